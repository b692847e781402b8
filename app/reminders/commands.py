"""``flask --app app reminders send``: the daily digest for trekkers (see operations.py)."""

from __future__ import annotations

import click
from flask import url_for
from flask.cli import AppGroup

from ..core.formatting import local_today
from ..core.mail import mail_configured, send_mail
from ..core.security import public_urls
from ..extensions import db
from .operations import DigestLine, digest_mail, digests, mark_sent

reminders_cli = AppGroup("reminders", help="Herinneringen aan trekkers van actiepunten.")


def _link(line: DigestLine) -> str:
    return url_for(
        "progress.show",
        conversation_id=line.conversation_id,
        action_id=line.action_id,
        _external=True,
    )


@reminders_cli.command("send")
@click.option("--dry-run", is_flag=True, help="Alleen tonen wat verstuurd zou worden.")
@click.option(
    "--today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    metavar="JJJJ-MM-DD",
    help="Rekenen alsof het vandaag deze dag is.",
)
@click.option("--again", is_flag=True, help="Ook wie vandaag al een herinnering kreeg.")
def send_command(dry_run: bool, today, again: bool) -> None:
    """Stuur elke trekker met een account een overzicht van actiepunten die te laat zijn of
    binnenkort klaar moeten zijn. Hoogstens één mail per dag; draai het dagelijks vanuit cron.

    Zonder mailserver (HANDVAT_MAIL_SERVER) wordt niets verstuurd: dan toont het de mails. De
    links gaan naar het adres van de site (HANDVAT_TRUSTED_HOSTS, met https bij
    HANDVAT_FORCE_HTTPS).
    """
    today = today.date() if today else local_today()
    sending = mail_configured() and not dry_run
    with public_urls():
        found = digests(today, include_sent_today=again)
        sent = failed = 0
        for digest in found:
            subject, body = digest_mail(digest, today, _link)
            if not sending:
                click.echo(f"--- aan {digest.email}: {subject}\n{body}")
                continue
            if send_mail(digest.email, subject, body):
                mark_sent(digest.user_id, today)
                db.session.commit()
                sent += 1
            else:
                failed += 1
    if not found:
        click.echo("Niemand hoeft vandaag een herinnering te krijgen.")
    elif not sending:
        reason = "proefdraai" if dry_run else "geen mailserver ingesteld (MAIL_SERVER)"
        click.echo(f"{len(found)} herinnering(en) niet verstuurd: {reason}.")
    else:
        click.echo(f"{sent} herinnering(en) verstuurd, {failed} niet gelukt.")
        if failed:
            raise SystemExit(1)
