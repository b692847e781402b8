"""``flask --app app tokens ...``: personal access tokens from the command line.

``tokens create`` prints the token on the last line of standard output and nothing after it,
so a script can take it with ``| tail -n 1``; everything else it says goes before it or to
standard error. Errors (an unknown address, a name in use) exit with status 1.
"""

from __future__ import annotations

import click
from flask.cli import AppGroup

from ..accounts.operations import find_user
from ..core.formatting import datetime_short, local_now
from ..extensions import db
from .models import TokenScope
from .operations import TokenError, create_token, revoke_token_named
from .queries import tokens_of

tokens_cli = AppGroup("tokens", help="Persoonlijke toegangssleutels voor de API.")

SCOPES = [scope.value for scope in TokenScope]


def _user(email: str):
    user = find_user(email)
    if user is None:
        raise click.ClickException(
            f"Er is geen account met het e-mailadres '{email}'. Maak het eerst met "
            "flask --app app users add."
        )
    return user


@tokens_cli.command("create")
@click.argument("email")
@click.option("--scope", type=click.Choice(SCOPES), required=True, help="read of write.")
@click.option("--name", help="Naam van de sleutel (standaard: opdrachtregel en het tijdstip).")
def create(email: str, scope: str, name: str | None) -> None:
    """Maak een sleutel voor het account EMAIL en toon die (één keer)."""
    user = _user(email)
    name = name or f"Opdrachtregel {local_now():%d-%m-%Y %H:%M:%S}"
    try:
        new = create_token(user, name, TokenScope(scope))
    except TokenError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(
        f"Sleutel ‘{new.token.name}’ ({new.token.scope.label.lower()}) gemaakt voor "
        f"{user.email}. Hij wordt maar één keer getoond:",
        err=True,
    )
    click.echo(new.secret)


@tokens_cli.command("list")
@click.argument("email")
def list_tokens(email: str) -> None:
    """Toon de sleutels van het account EMAIL (zonder de sleutels zelf)."""
    user = _user(email)
    tokens = tokens_of(user)
    if not tokens:
        click.echo(f"{user.email} heeft geen sleutels.")
        return
    for token in tokens:
        used = datetime_short(token.last_used_dt) if token.last_used_dt else "nog niet gebruikt"
        click.echo(
            f"{token.name}\t{token.scope.value}\t{token.token_prefix}…\t"
            f"gemaakt {datetime_short(token.created_dt)}\t{used}"
        )


@tokens_cli.command("revoke")
@click.argument("email")
@click.argument("name")
def revoke(email: str, name: str) -> None:
    """Trek de sleutel NAME van het account EMAIL in."""
    user = _user(email)
    name = " ".join(name.split())
    if not revoke_token_named(user, name):
        known = ", ".join(f"‘{t.name}’" for t in tokens_of(user)) or "geen"
        raise click.ClickException(
            f"{user.email} heeft geen sleutel met de naam ‘{name}’. Wel: {known}."
        )
    db.session.commit()
    click.echo(f"Sleutel ‘{name}’ van {user.email} is ingetrokken.")
