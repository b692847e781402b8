"""The rendered-export cache, export slots and the time budget (``app/exports/cache.py``,
``app/exports/limits.py``).

Cache hits are proven by counting the renderer's calls, never by timing.
"""

from __future__ import annotations

import io
import os
import signal
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from pypdf import PdfReader

from app.actions.operations import ActionData, update_action
from app.actions.queries import actions_of
from app.conversations.models import Conversation
from app.exports import routes
from app.exports.cache import (
    TEMP_PREFIX,
    document_digest,
    export_cache_folder,
    prune,
    read_cached,
    write_atomically,
)
from app.exports.limits import ExportTooSlow, slot_path, slots_supported, time_budget
from app.exports.queries import action_list_document
from app.extensions import db

BUSY_TEXT = "Er wordt nu al een andere lijst gemaakt. Probeer het over een minuut opnieuw."


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


@pytest.fixture
def export_folder(app, tmp_path):
    """The cache in this test's own folder, one slot, and no waiting for it."""
    folder = tmp_path / "export-cache"
    app.config.update(
        EXPORT_CACHE_FOLDER=str(folder),
        EXPORT_CACHE_ENABLED=True,
        EXPORT_SLOTS=1,
        EXPORT_WAIT_SECONDS=0,
    )
    return folder


def counting(monkeypatch, name: str) -> list:
    """Count the calls of the renderer ``routes.<name>`` (it still renders)."""
    calls = []
    real = getattr(routes, name)

    def render(document):
        calls.append(document)
        return real(document)

    monkeypatch.setattr(routes, name, render)
    return calls


@pytest.fixture
def pdf_renders(monkeypatch):
    return counting(monkeypatch, "render_action_list_pdf")


class HeldSlot:
    """Take a slot the way another worker process would: an exclusive flock on its file."""

    def __init__(self, folder: Path, number: int = 0):
        import fcntl

        path = slot_path(folder / "slots", number)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.fd = os.open(path, os.O_RDWR | os.O_CREAT)
        fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)

    def release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)  # closing the file releases the lock
            self.fd = None


needs_slots = pytest.mark.skipif(not slots_supported(), reason="no fcntl: no export slots")
needs_alarm = pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="no setitimer")


# --- the cache -------------------------------------------------------------------------------


def test_second_download_is_served_from_the_cache(
    client, export_folder, pdf_renders, make_conversation, make_action
):
    conversation = make_conversation()
    make_action(conversation, "Regietafel inrichten")
    url = f"/gesprekken/{conversation.id}/actielijst.pdf"

    first = client.get(url)
    second = client.get(url)

    assert first.status_code == second.status_code == 200
    assert len(pdf_renders) == 1
    assert second.data == first.data  # the same file, with the original "Gemaakt op"
    assert second.headers["Content-Disposition"] == first.headers["Content-Disposition"]
    assert second.headers["Cache-Control"] == "no-store"
    assert len(list(export_folder.glob("*.pdf"))) == 1


def test_a_changed_action_gives_a_new_pdf(
    client, export_folder, pdf_renders, make_conversation, make_action
):
    conversation = make_conversation()
    make_action(conversation, "Regietafel inrichten")
    url = f"/gesprekken/{conversation.id}/actielijst.pdf"
    assert "Regietafel inrichten" in pdf_text(client.get(url).data)

    action = actions_of(conversation)[0]
    update_action(conversation, action.id, ActionData("Regietafel opheffen"), action.revision)
    db.session.commit()
    text = pdf_text(client.get(url).data)

    assert len(pdf_renders) == 2
    assert "Regietafel opheffen" in text
    assert "Regietafel inrichten" not in text


def test_two_conversations_never_get_each_others_file(
    client, export_folder, pdf_renders, make_conversation, make_action
):
    one = make_conversation(title="Overleg Almelo")
    make_action(one, "Actie van Almelo")
    two = make_conversation(title="Overleg Hengelo", region=one.region)
    make_action(two, "Actie van Hengelo")

    for _ in range(2):
        text_one = pdf_text(client.get(f"/gesprekken/{one.id}/actielijst.pdf").data)
        text_two = pdf_text(client.get(f"/gesprekken/{two.id}/actielijst.pdf").data)
        assert "Actie van Almelo" in text_one and "Hengelo" not in text_one
        assert "Actie van Hengelo" in text_two and "Almelo" not in text_two
    assert len(pdf_renders) == 2


def test_same_id_and_revision_with_other_content_is_not_served_stale(
    client, export_folder, pdf_renders, make_conversation
):
    """As after a database restore, or in tests that reuse ids: the key is the content."""
    conversation = make_conversation(title="Overleg voor de terugzetting")
    url = f"/gesprekken/{conversation.id}/actielijst.pdf"
    assert "Overleg voor de terugzetting" in pdf_text(client.get(url).data)
    revision = conversation.revision

    # A change that bypasses the ORM, so the revision stays the same.
    table = Conversation.__table__
    db.session.execute(
        sa.update(table).where(table.c.id == conversation.id).values(title="Ander overleg")
    )
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Conversation, conversation.id).revision == revision

    text = pdf_text(client.get(url).data)
    assert "Ander overleg" in text and "terugzetting" not in text
    assert len(pdf_renders) == 2


def test_excel_and_blank_plate_are_cached_too(
    client, export_folder, monkeypatch, make_conversation, make_action
):
    xlsx_renders = counting(monkeypatch, "render_action_list_xlsx")
    plate_renders = counting(monkeypatch, "render_blank_plate_pdf")
    conversation = make_conversation()
    make_action(conversation, "Regietafel inrichten")
    for _ in range(2):
        assert client.get(f"/gesprekken/{conversation.id}/actielijst.xlsx").status_code == 200
        assert client.get("/gespreksplaat.pdf").status_code == 200
    assert len(xlsx_renders) == len(plate_renders) == 1


def test_the_key_is_the_content_without_the_moment_of_making(app, make_conversation, make_action):
    conversation = make_conversation()
    make_action(conversation, "Regietafel inrichten")
    first = action_list_document(conversation, actions_of(conversation))
    time.sleep(0.01)
    again = action_list_document(conversation, actions_of(conversation))
    assert first.generated_at != again.generated_at
    assert document_digest("action-list.pdf", first) == document_digest("action-list.pdf", again)
    assert document_digest("action-list.pdf", first) != document_digest("action-list.xlsx", first)

    make_action(conversation, "Nog een actie")
    more = action_list_document(conversation, actions_of(conversation))
    assert document_digest("action-list.pdf", more) != document_digest("action-list.pdf", first)


def test_unknown_export_is_checked_before_the_cache(client, export_folder, make_conversation):
    conversation = make_conversation()
    assert client.get(f"/gesprekken/{conversation.id}/actielijst.pdf").status_code == 200
    assert client.get(f"/gesprekken/{conversation.id + 7}/actielijst.pdf").status_code == 404


def test_a_testing_app_without_a_folder_writes_nothing(tmp_path):
    testing = Flask("x", instance_path=str(tmp_path))
    testing.config.update(TESTING=True, EXPORT_CACHE_FOLDER=None)
    assert export_cache_folder(testing) is None
    production = Flask("y", instance_path=str(tmp_path))
    production.config.update(EXPORT_CACHE_FOLDER=None)
    assert export_cache_folder(production) == tmp_path / "export-cache"


# --- the folder --------------------------------------------------------------------------------


def test_written_atomically_and_read_back(tmp_path):
    path = tmp_path / "cache" / "abc.pdf"
    write_atomically(path, b"%PDF one")
    write_atomically(path, b"%PDF two")
    assert read_cached(path) == b"%PDF two"
    assert [p.name for p in path.parent.iterdir()] == ["abc.pdf"]
    assert read_cached(tmp_path / "cache" / "missing.pdf") is None
    (tmp_path / "cache" / "empty.pdf").write_bytes(b"")
    assert read_cached(tmp_path / "cache" / "empty.pdf") is None


def test_prune_removes_the_least_recently_used(tmp_path):
    now = time.time()
    for n in range(5):
        path = tmp_path / f"{n}.pdf"
        path.write_bytes(b"x" * 100)
        os.utime(path, (now - 100 + n, now - 100 + n))
    (tmp_path / "slots").mkdir()
    stale, fresh = tmp_path / f"{TEMP_PREFIX}old", tmp_path / f"{TEMP_PREFIX}new"
    stale.write_bytes(b"half")
    os.utime(stale, (now - 7200, now - 7200))
    fresh.write_bytes(b"being written")

    assert prune(tmp_path, max_files=3, max_bytes=10_000) == 3  # two files and the stale one
    assert sorted(p.name for p in tmp_path.glob("*.pdf")) == ["2.pdf", "3.pdf", "4.pdf"]
    assert fresh.exists() and (tmp_path / "slots").is_dir()

    assert prune(tmp_path, max_files=10, max_bytes=150) == 2
    assert [p.name for p in tmp_path.glob("*.pdf")] == ["4.pdf"]


def test_the_cache_stays_within_its_limits(client, app, export_folder, make_conversation):
    app.config["EXPORT_CACHE_MAX_FILES"] = 2
    for n in range(4):
        conversation = make_conversation(title=f"Overleg {n}")
        assert client.get(f"/gesprekken/{conversation.id}/actielijst.pdf").status_code == 200
    assert len(list(export_folder.glob("*.pdf"))) == 2


# --- slots -------------------------------------------------------------------------------------


@needs_slots
def test_a_full_slot_gives_a_dutch_503_with_retry_after(
    client, export_folder, pdf_renders, make_conversation
):
    conversation = make_conversation()
    url = f"/gesprekken/{conversation.id}/actielijst.pdf"
    slot = HeldSlot(export_folder)
    try:
        response = client.get(url)
    finally:
        slot.release()

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "60"
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert '<html lang="nl">' in page
    assert BUSY_TEXT in page
    assert pdf_renders == []
    # Once the slot is free again, the same request works.
    assert client.get(url).status_code == 200


@needs_slots
def test_a_cache_hit_needs_no_slot(client, export_folder, pdf_renders, make_conversation):
    conversation = make_conversation()
    url = f"/gesprekken/{conversation.id}/actielijst.pdf"
    first = client.get(url)
    slot = HeldSlot(export_folder)
    try:
        again = client.get(url)
    finally:
        slot.release()
    assert again.status_code == 200 and again.data == first.data
    assert len(pdf_renders) == 1


@needs_slots
def test_a_request_waits_for_a_slot_that_comes_free(
    client, app, export_folder, pdf_renders, make_conversation
):
    app.config["EXPORT_WAIT_SECONDS"] = 10
    conversation = make_conversation()
    slot = HeldSlot(export_folder)
    release = threading.Timer(0.3, slot.release)
    release.start()
    try:
        response = client.get(f"/gesprekken/{conversation.id}/actielijst.pdf")
    finally:
        release.join()
    assert response.status_code == 200
    assert len(pdf_renders) == 1


@needs_slots
def test_more_slots_let_more_exports_through(client, app, export_folder, make_conversation):
    app.config["EXPORT_SLOTS"] = 2
    conversation = make_conversation()
    slot = HeldSlot(export_folder, 0)
    try:
        assert client.get(f"/gesprekken/{conversation.id}/actielijst.pdf").status_code == 200
    finally:
        slot.release()


# --- the time budget ---------------------------------------------------------------------------


@needs_alarm
def test_an_export_over_its_time_budget_stops_with_a_dutch_503(
    client, app, export_folder, monkeypatch, make_conversation
):
    app.config["EXPORT_TIME_BUDGET_SECONDS"] = 0.2
    conversation = make_conversation()
    url = f"/gesprekken/{conversation.id}/actielijst.pdf"
    real = routes.render_action_list_pdf

    def endless(document):
        time.sleep(30)
        return real(document)

    monkeypatch.setattr(routes, "render_action_list_pdf", endless)
    handler_before = signal.getsignal(signal.SIGALRM)
    response = client.get(url)

    assert response.status_code == 503
    assert "duurde te lang" in response.get_data(as_text=True)
    assert signal.getsignal(signal.SIGALRM) is handler_before
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    assert list(export_folder.glob("*.pdf")) == []
    # The slot was given back and nothing was cached: a normal render works.
    monkeypatch.setattr(routes, "render_action_list_pdf", real)
    assert client.get(url).status_code == 200


@needs_alarm
def test_time_budget_leaves_no_timer_behind():
    with time_budget(5):
        pass
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    with pytest.raises(ExportTooSlow), time_budget(0.05):
        time.sleep(5)
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    with time_budget(0):
        assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
