"""`flask reminders send`: a digest per trekker of overdue and nearly due actions."""

from __future__ import annotations

import email
import email.policy
import os
import re
import socketserver
import subprocess
import sys
import threading
from datetime import date

import pytest

from app.accounts.models import Membership, User
from app.accounts.roles import Role
from app.actions.models import ActionStatus
from app.config import PROJECT_ROOT
from app.extensions import db
from app.reminders import commands as reminder_commands
from app.reminders.operations import Digest, DigestLine, digest_mail

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


def test_a_long_description_is_cut_between_words_with_an_ellipsis():
    words = "Vast overleg starten tussen het Loopbaancentrum en de jeugdconsulenten " * 4
    line = DigestLine(1, 1, "Bestuurlijk overleg", "Twente", 1, words, TODAY)
    _subject, body = digest_mail(
        Digest(1, "anna@example.org", "Anna", due_soon=[line]), TODAY, lambda _line: "link"
    )
    [shown] = [text for text in body.splitlines() if text.startswith("- 23-11-2026  ")]
    text = shown.removeprefix("- 23-11-2026  ")
    assert text.endswith("…") and len(text) <= 150
    assert words.startswith(text.removesuffix("…").rstrip() + " ")  # whole words only
    short = DigestLine(1, 1, "Overleg", "Twente", 1, "Kort actiepunt", TODAY)
    _subject, body = digest_mail(Digest(1, "a@b.nl", "A", due_soon=[short]), TODAY, str)
    assert "- 23-11-2026  Kort actiepunt\n" in body


def test_the_help_is_in_dutch(runner):
    result = runner.invoke(args=["reminders", "send", "--help"])
    assert result.exit_code == 0, result.output
    assert "Mail each trekker" not in result.output
    assert "Stuur elke trekker" in result.output and "JJJJ-MM-DD" in result.output


# --- as cron runs it on a production server -----------------------------------------------------


class _SMTPHandler(socketserver.StreamRequestHandler):
    """Just enough of an SMTP server for ``smtplib``: keeps every message it receives."""

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        self.reply("220 test ESMTP")
        data: list[bytes] | None = None
        while line := self.rfile.readline():
            if data is not None:
                if line.rstrip(b"\r\n") == b".":
                    self.server.messages.append(
                        email.message_from_bytes(b"".join(data), policy=email.policy.default)
                    )
                    data = None
                    self.reply("250 OK")
                else:
                    data.append(line[1:] if line.startswith(b"..") else line)
                continue
            verb = line[:4].upper()
            if verb == b"DATA":
                data = []
                self.reply("354 Send the message")
            elif verb == b"QUIT":
                self.reply("221 Bye")
                return
            else:
                self.reply("250 OK")


@pytest.fixture
def smtp_server():
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _SMTPHandler)
    server.daemon_threads = True
    server.messages = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


#: The README's production settings (Configuration, Production step 2), with a local mail server.
_OWN_SETTINGS = re.compile(r"^(HANDVAT_|DATABASE_URL$|SECRET_KEY$|FLASK_)")


def cron(database_url: str, smtp_port: int, export_cache, *args: str):
    """``flask --app app reminders send ...`` in a process of its own, as cron runs it."""
    env = {key: value for key, value in os.environ.items() if not _OWN_SETTINGS.match(key)}
    env.update(
        {
            "DATABASE_URL": database_url,
            "SECRET_KEY": "0123456789abcdef" * 4,
            "HANDVAT_FORCE_HTTPS": "true",
            "HANDVAT_TRUSTED_HOSTS": "handvat.example.nl",
            "HANDVAT_PROXY_COUNT": "1",
            "HANDVAT_RATELIMIT_STORAGE_URI": "memory://",
            "HANDVAT_EXPORT_CACHE_FOLDER": str(export_cache),
            "HANDVAT_MAIL_SERVER": "127.0.0.1",
            "HANDVAT_MAIL_PORT": str(smtp_port),
            "HANDVAT_MAIL_USE_TLS": "false",
            "HANDVAT_MAIL_SENDER": "Handvat <handvat@example.nl>",
        }
    )
    command = [sys.executable, "-m", "flask", "--app", "app", "reminders", "send", *args]
    return subprocess.run(
        command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_cron_sends_with_the_production_settings(database_url, trekkers, smtp_server, tmp_path):
    """With trusted hosts, HTTPS and a mail server the command sends, and every link names the
    site (no development address, no crash while building it)."""
    anna, _bram, conversation = trekkers
    port = smtp_server.server_address[1]
    link = f"https://handvat.example.nl/gesprekken/{conversation.id}/acties/"

    dry = cron(database_url, port, tmp_path, "--today", TODAY.isoformat(), "--dry-run")
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert f"Voortgang bijwerken: {link}" in dry.stdout and "127.0.0.1" not in dry.stdout
    assert "niet verstuurd: proefdraai" in dry.stdout and not smtp_server.messages

    sent = cron(database_url, port, tmp_path, "--today", TODAY.isoformat())
    assert sent.returncode == 0, sent.stdout + sent.stderr
    assert "2 herinnering(en) verstuurd, 0 niet gelukt." in sent.stdout
    mails = {message["To"]: message for message in smtp_server.messages}
    assert sorted(mails) == ["anna@example.org", "bram@example.org"]
    body = mails["anna@example.org"].get_content()
    assert f"Voortgang bijwerken: {link}" in body and "127.0.0.1" not in body
    assert mails["anna@example.org"]["From"] == "Handvat <handvat@example.nl>"
    db.session.expire_all()
    assert db.session.get(User, anna.id).reminder_sent_on == TODAY
