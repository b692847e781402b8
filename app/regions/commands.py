from __future__ import annotations

import click
from flask.cli import AppGroup

from ..extensions import db
from .operations import ensure_region

region_cli = AppGroup("region", help="Regio's beheren.")


@region_cli.command("add")
@click.argument("name")
@click.option("--municipality", "-m", multiple=True, help="Gemeente in de regio (herhaalbaar).")
def add_region(name: str, municipality: tuple[str, ...]) -> None:
    """Add a region (or add municipalities to an existing one)."""
    try:
        region = ensure_region(name, list(municipality))
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(f"Regio {region.name}: {len(region.municipalities)} gemeenten.")
