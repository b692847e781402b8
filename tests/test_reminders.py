"""`flask reminders send`: a digest per trekker of overdue and nearly due actions."""

from __future__ import annotations

from datetime import date

import pytest

from app.accounts.models import Membership, User
from app.accounts.roles import Role
from app.actions.models import ActionStatus
from app.extensions import db
from app.reminders import commands as reminder_commands

from .accounts import make_user, sign_in

TODAY = date(2026, 11, 23)


@pytest.fixture
def trekkers(app, make_conversation, make_action, make_region):
    conversation = make_conversation()
    region = conversation.region
    anna = make_user("anna@example.org", "Anna de Vries", region=region, role=Role.PROJECT_LEADER)
    bram = make_user("bram@example.org", "Bram Bos", region=region, role=Role.MEMBER)
    make_action(conversation, "Te laat: analyse", owner_user_id=anna.id, due_date=date(2026, 11, 1))
    make_action(conversation, "Binnenkort: overleg", owner_user_id=anna.id, due_date=TODAY)
    make_action(conversation, "Later: evaluatie", owner_user_id=anna.id, due_date=date(2027, 3, 1))
    make_action(
        conversation,
        "Al klaar",
        owner_user_id=anna.id,
        due_date=date(2026, 1, 1),
        status=ActionStatus.DONE,
    )
    make_action(conversation, "Zonder datum", owner_user_id=anna.id)
    make_action(conversation, "Van Bram", owner_user_id=bram.id, due_date=date(2026, 12, 7))
    make_action(conversation, "Zonder account", owner_name="Iemand", due_date=date(2026, 11, 2))
    return anna, bram, conversation


def run(runner, *args):
    return runner.invoke(args=["reminders", "send", "--today", TODAY.isoformat(), *args])


def test_without_smtp_prints_the_digests_and_marks_nothing(runner, trekkers):
    anna, bram, conversation = trekkers
    result = run(runner)
    assert result.exit_code == 0, result.output
    out = result.output
    assert (
        "--- aan anna@example.org: Handvat: uw actiepunten (1 te laat, 1 binnenkort klaar)" in out
    )
    assert "Te laat:\n- 01-11-2026  Te laat: analyse" in out
    assert "23-11-2026  Binnenkort: overleg" in out
    for absent in ("Later: evaluatie", "Al klaar", "Zonder datum", "Zonder account"):
        assert absent not in out
    assert "--- aan bram@example.org" in out and "07-12-2026  Van Bram" in out
    assert f"/gesprekken/{conversation.id}/acties/" in out
    assert "2 herinnering(en) niet verstuurd: geen mailserver ingesteld" in out
    db.session.expire_all()
    assert db.session.get(User, anna.id).reminder_sent_on is None


def test_with_smtp_sends_once_a_day(app, runner, trekkers, monkeypatch):
    anna, bram, _ = trekkers
    sent = []
    app.config["MAIL_SERVER"] = "smtp.example.org"
    monkeypatch.setattr(
        reminder_commands, "send_mail", lambda to, subject, body: sent.append((to, body)) or True
    )
    result = run(runner)
    assert result.exit_code == 0, result.output
    assert sorted(to for to, _ in sent) == ["anna@example.org", "bram@example.org"]
    assert "2 herinnering(en) verstuurd" in result.output
    again = run(runner)
    assert "Niemand hoeft vandaag" in again.output and len(sent) == 2
    db.session.expire_all()
    assert db.session.get(User, anna.id).reminder_sent_on == TODAY


def test_failed_mail_is_not_marked_sent_and_exits_non_zero(app, runner, trekkers, monkeypatch):
    anna, _, _ = trekkers
    app.config["MAIL_SERVER"] = "smtp.example.org"
    monkeypatch.setattr(reminder_commands, "send_mail", lambda *args: False)
    result = run(runner)
    assert result.exit_code == 1 and "0 herinnering(en) verstuurd, 2 niet gelukt" in result.output
    db.session.expire_all()
    assert db.session.get(User, anna.id).reminder_sent_on is None


def test_switched_off_or_removed_from_the_region_gets_nothing(client, runner, trekkers):
    anna, bram, _ = trekkers
    sign_in(client, anna)
    page = client.get("/account").get_data(as_text=True)
    assert "Herinneringen staan nu <strong>aan</strong>" in page
    response = client.post("/account/herinneringen", data={"setting": "uit"}, follow_redirects=True)
    assert "U krijgt geen herinneringen meer." in response.get_data(as_text=True)
    db.session.execute(db.delete(Membership).where(Membership.user_id == bram.id))
    db.session.commit()
    result = run(runner)
    assert "Niemand hoeft vandaag" in result.output
    client.post("/account/herinneringen", data={"setting": "aan"})
    assert client.post("/account/herinneringen", data={"setting": "x"}).status_code == 400
    assert "anna@example.org" in run(runner).output


def test_dry_run_with_smtp_sends_nothing(app, runner, trekkers, monkeypatch):
    app.config["MAIL_SERVER"] = "smtp.example.org"
    monkeypatch.setattr(reminder_commands, "send_mail", lambda *args: pytest.fail("sent"))
    result = run(runner, "--dry-run")
    assert "niet verstuurd: proefdraai" in result.output


def test_a_day_near_the_last_day_there_is_sends_what_is_due(runner, trekkers, make_action):
    """``--today`` takes any date: 14 days after 25-12-9999 do not exist, the digest still runs
    and counts 31-12-9999 as due soon."""
    anna, _bram, conversation = trekkers
    make_action(conversation, "Tot het einde der tijden", owner_user_id=anna.id, due_date=date.max)
    result = runner.invoke(args=["reminders", "send", "--today", "9999-12-25"])
    assert result.exit_code == 0, result.output
    assert "Klaar binnen 14 dagen:\n- 31-12-9999  Tot het einde der tijden" in result.output
