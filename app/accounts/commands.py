"""``flask --app app users ...``: accounts from the command line, for administrators and scripts."""

from __future__ import annotations

import sys

import click
from flask import url_for
from flask.cli import AppGroup
from sqlalchemy import select

from ..core.security import public_urls
from ..extensions import db
from ..regions.models import Region
from .models import LinkPurpose, User
from .operations import AccountError, ensure_user, issue_link, set_password, set_role
from .roles import Role

users_cli = AppGroup("users", help="Gebruikers en hun rollen beheren.")

ROLE_NAMES = [role.value for role in Role]


def link_url(token: str) -> str:
    """The full link to set a password, on the site's own address (``public_base_url``)."""
    with public_urls():
        return url_for("accounts.set_password", token=token, _external=True)


@users_cli.command("add")
@click.argument("email")
@click.option("--name", required=True, help="Naam zoals anderen die zien.")
@click.option("--admin", is_flag=True, help="Beheerder van de installatie.")
@click.option("--region", "region_slug", help="Regio (slug, bijvoorbeeld twente).")
@click.option("--role", type=click.Choice(ROLE_NAMES), help="Rol in die regio.")
@click.option("--password-stdin", is_flag=True, help="Lees het wachtwoord van standaardinvoer.")
def add_user(
    email: str,
    name: str,
    admin: bool,
    region_slug: str | None,
    role: str | None,
    password_stdin: bool,
) -> None:
    """Maak een gebruiker (of geef een bestaande gebruiker er een rol bij)."""
    if not admin and not (region_slug and role):
        raise click.UsageError("Geef --admin, of --region en --role.")
    if bool(region_slug) != bool(role):
        raise click.UsageError("--region en --role horen bij elkaar: geef ze allebei.")
    region = None
    if region_slug:
        region = db.session.scalar(select(Region).where(Region.slug == region_slug))
        if region is None:
            known = ", ".join(db.session.scalars(select(Region.slug).order_by(Region.slug)))
            raise click.ClickException(
                f"Regio '{region_slug}' bestaat niet. Bestaande regio's: {known or 'geen'}."
            )
    try:
        user, created = ensure_user(email, name, is_admin=admin)
        if region is not None:
            set_role(user, region, Role(role))
        if password_stdin:
            password = sys.stdin.readline().rstrip("\r\n")
            set_password(user, password)
    except AccountError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    token = None
    if not password_stdin and not user.has_password:
        token = issue_link(user, LinkPurpose.INVITATION)
    db.session.commit()
    what = "aangemaakt" if created else "bijgewerkt"
    roles = []
    if user.is_admin:
        roles.append("beheerder")
    roles += [f"{m.role.label.lower()} in {m.region.name}" for m in user.memberships]
    click.echo(f"Gebruiker {user.email} {what}: {', '.join(roles)}.")
    if token:
        click.echo(f"Link om een wachtwoord te kiezen (één keer te gebruiken): {link_url(token)}")


@users_cli.command("list")
def list_users() -> None:
    """Toon alle gebruikers en hun rollen."""
    for user in db.session.scalars(select(User).order_by(User.email)):
        roles = ["beheerder"] if user.is_admin else []
        roles += [f"{m.role.value}@{m.region.slug}" for m in user.memberships]
        click.echo(f"{user.email}\t{user.name}\t{' '.join(roles) or '-'}")
