"""Issue 9's "done when", in a real browser: a project leader finds what is late across the
region, records progress, marks an action as embedded, opens the agenda for the next meeting,
starts next year's round and compares it, exports the list, subscribes to the calendar and
reads the actions through the API with a token."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from pathlib import Path

import pytest
from icalendar import Calendar
from openpyxl import load_workbook
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from app.core.formatting import local_today
from app.extensions import db

pytestmark = pytest.mark.browser

LEADER = "projectleider@browsertest.handvat"
LATE = "Browsertest: regie op de overgang 18-/18+ beleggen"
DONE = "Browsertest: financiering hulpverleners na de pilot regelen"


@pytest.fixture
def leader_page(chromium_browser, live_server, seed_conversation) -> tuple[Page, int]:
    """A project leader of Twente, signed in, and a conversation with a late and a done action."""
    from app.accounts.roles import Role
    from app.actions.models import ActionStatus
    from app.actions.operations import ActionData, add_action
    from app.conversations.models import Conversation
    from app.conversations.operations import save_answer
    from tests.accounts import make_user

    conversation_id = seed_conversation(
        "Browsertest: ronde 2026", ["verkennen-bestuurlijk-overleg", "verkennen-financiering"]
    )
    with live_server.app.app_context():
        conversation = db.session.get(Conversation, conversation_id)
        make_user(LEADER, "Pia Projectleider", region=conversation.region, role=Role.PROJECT_LEADER)
        add_action(
            conversation,
            ActionData(LATE, owner_name="Pia Projectleider", due_date=local_today() - timedelta(3)),
        )
        add_action(conversation, ActionData(DONE, status=ActionStatus.DONE))
        save_answer(conversation, "verkennen-financiering", "Nog niet geregeld.", "not_started", 0)
        db.session.commit()
        db.session.remove()
    context = chromium_browser.new_context(
        locale="nl-NL", viewport={"width": 1280, "height": 900}, accept_downloads=True
    )
    context.add_cookies([live_server.session_cookie(LEADER)])
    try:
        yield context.new_page(), conversation_id
    finally:
        context.close()


def _download(page: Page, link_name: str) -> bytes:
    with page.expect_download() as info:
        page.get_by_role("link", name=link_name).click()
    return Path(info.value.path()).read_bytes()


def test_project_leader_keeps_the_actions_moving(leader_page, live_server):
    page, conversation_id = leader_page

    # What is late across the region.
    page.goto(live_server("/acties"))
    page.get_by_label("Te laat").check()
    page.get_by_role("button", name="Toon acties").click()
    expect(page).to_have_url(re.compile(r"te-laat"))
    late_row = page.locator("tr", has_text=LATE)
    expect(late_row).to_contain_text("Te laat")
    expect(page.locator("tr", has_text=DONE)).to_have_count(0)

    # Record progress.
    late_row.get_by_role("link", name="Voortgang").click()
    page.get_by_label("Wat is er gebeurd?").fill("Eerste overleg met de gemeenten gepland.")
    page.get_by_label("Nieuwe status").select_option("bezig")
    page.get_by_role("button", name="Voortgang opslaan").click()
    expect(page.get_by_text("is opgeslagen")).to_be_visible()
    expect(page.get_by_text("Eerste overleg met de gemeenten gepland.")).to_be_visible()

    # Mark the done action as embedded, saying where.
    page.goto(live_server(f"/gesprekken/{conversation_id}/acties"))
    page.locator("tr", has_text=DONE).get_by_role("link", name="Voortgang").click()
    page.get_by_label("Nieuwe status").select_option("verankerd")
    page.get_by_role("button", name="Voortgang opslaan").click()
    expect(page.get_by_text("waar is het vastgelegd?").first).to_be_visible()
    page.get_by_label("Verankerd in").select_option("begroting")
    page.get_by_label("Vindplaats: kenmerk of link").fill("Begroting 2027, programma Jeugd")
    page.get_by_role("button", name="Voortgang opslaan").click()
    expect(page.get_by_text("Verankerd in: Begroting")).to_be_visible()

    # The agenda for the next meeting lists the open action with its latest progress.
    page.goto(live_server("/regio/twente/agenda"))
    expect(page.get_by_text(LATE).first).to_be_visible()
    expect(page.get_by_text("Eerste overleg met de gemeenten gepland.").first).to_be_visible()

    # Next year's round; the open action moves along, and the rounds compare.
    page.goto(live_server(f"/gesprekken/{conversation_id}"))
    page.get_by_role("link", name="Volgende ronde starten").click()
    page.get_by_role("button", name="Nieuwe ronde starten").click()
    expect(page.get_by_text("Vervolg op")).to_be_visible()
    new_round_url = page.url
    page.get_by_role("link", name="Vergelijken met eerdere rondes").click()
    expect(page.get_by_role("heading", name="Vergelijking van de rondes")).to_be_visible()
    expect(page.get_by_text("Ronde 2").first).to_be_visible()
    page.goto(new_round_url.rstrip("/") + "/acties")
    expect(page.get_by_text(LATE)).to_be_visible()

    # Export the list to Excel, CSV and PDF.
    page.goto(live_server("/acties?regio=twente&q=Browsertest"))
    workbook = load_workbook(io.BytesIO(_download(page, "Download als Excel-bestand")))
    cells = [c.value for row in workbook.active.iter_rows() for c in row]
    assert LATE in cells and DONE in cells
    rows = list(
        csv.reader(
            io.StringIO(_download(page, "Download als CSV").decode("utf-8-sig")), delimiter=";"
        )
    )
    assert any(LATE in row for row in rows)
    pdf = PdfReader(io.BytesIO(_download(page, "Download als pdf")))
    text = " ".join(" ".join(p.extract_text().split()) for p in pdf.pages)
    assert "Browsertest: regie op de overgang" in text

    # Subscribe to the calendar: a secret URL that a calendar app reads without a session.
    page.get_by_role("link", name="Abonneren in agenda").click()
    page.get_by_label("Naam").fill("Mijn Handvat-acties")
    page.get_by_role("button", name="Abonneren in agenda").click()
    feed_url = page.get_by_label("Link voor uw agenda").input_value()
    calendar = Calendar.from_ical(page.request.get(feed_url).body())
    assert any(LATE in str(event.get("SUMMARY")) for event in calendar.walk("VEVENT"))

    # Read the actions through the API with a token made on the account page.
    page.goto(live_server("/account/api-sleutels"))
    page.get_by_label("Naam").fill("Power BI")
    page.get_by_role("button", name="Sleutel maken").click()
    token = page.locator("#api-sleutel").input_value()
    response = page.request.get(
        live_server("/api/v1/actions?region=twente&pageSize=100"),
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status == 200
    assert LATE in {item["description"] for item in response.json()["_embedded"]["actions"]}
