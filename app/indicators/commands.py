"""``flask indicators import``: the same importer as the web page, for administrators and
scripts. Prints what it read and what it stored; stores nothing and exits non-zero when a row
is refused."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import select

from ..core.formatting import number
from ..extensions import db
from ..regions.models import Region
from .importer import ImportOptions, UnreadableFile, read_indicator_file
from .operations import OthersInPeriod, store_plan
from .queries import period_label

indicators_cli = AppGroup("indicators", help="Cijfers van een regio inlezen.")

#: Exit status when the file is readable but rows are refused (1 is click's own errors).
EXIT_REFUSED = 3


@indicators_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--region", "region_slug", required=True, help="De regio (zoals in de URL).")
@click.option("--dry-run", is_flag=True, help="Alleen laten zien wat er ingelezen zou worden.")
@click.option("--indicator", help="Naam of sleutel van de indicator (anders uit titel of bestand).")
@click.option("--sheet", help="Werkblad van een Excel-bestand.")
@click.option("--layout", type=click.Choice(["long", "wide"]), help="Indeling van de tabel.")
@click.option("--period", help="Periode, als de kolommen geen perioden zijn (zoals 2021).")
@click.option(
    "--keep-others",
    is_flag=True,
    help="Cijfers van dezelfde perioden die niet in het bestand staan laten staan "
    "(anders worden die perioden helemaal vervangen).",
)
def import_command(
    file: Path, region_slug: str, dry_run: bool, keep_others: bool, **overrides
) -> None:
    """Read FILE (CSV or .xlsx) and store its figures for the region."""
    region = db.session.scalar(select(Region).where(Region.slug == region_slug))
    if region is None:
        raise click.ClickException(f"Regio ‘{region_slug}’ bestaat niet.")
    plan = read_file(file, ImportOptions(**overrides))
    describe_plan(plan)
    if plan.refused:
        click.echo(
            f"Niets opgeslagen: {number(len(plan.refused))} rij(en) niet te lezen.", err=True
        )
        raise SystemExit(EXIT_REFUSED)
    if not plan.can_import:
        click.echo("Niets opgeslagen: het bestand heeft geen cijfers.", err=True)
        raise SystemExit(EXIT_REFUSED)
    if dry_run:
        click.echo("Proefrun (--dry-run): niets opgeslagen.")
        return
    result = store_plan(region, plan, OthersInPeriod.KEEP if keep_others else OthersInPeriod.REMOVE)
    db.session.commit()
    for stored in result.indicators:
        periods = ", ".join(period_label(p) for p in stored.periods)
        state = "nieuw" if stored.created else f"{number(stored.replaced)} oude waarden vervangen"
        if stored.kept:
            state += f", {number(stored.kept)} andere laten staan"
        click.echo(
            f"Opgeslagen: {stored.indicator.name} ({stored.indicator.key}): "
            f"{number(stored.values)} waarden voor {periods} ({state})."
        )


def read_file(file: Path, options: ImportOptions):
    try:
        return read_indicator_file(file.read_bytes(), file.name, options)
    except UnreadableFile as problem:
        raise click.ClickException(str(problem)) from None


def describe_plan(plan) -> None:
    click.echo(f"Bestand: {plan.file_name} ({'Excel' if plan.file_kind == 'xlsx' else 'CSV'})")
    if plan.sheet:
        click.echo(f"Werkblad: {plan.sheet}")
    click.echo(
        f"Indeling: {'lang' if plan.layout == 'long' else 'breed'}, kopregel rij {plan.header_row}"
    )
    if plan.title:
        click.echo(f"Titel: {plan.title}")
    if plan.source:
        click.echo(f"Bron: {plan.source}")
    frame = plan.observations
    if frame is not None and not frame.empty:
        for name, rows in frame.groupby("indicator", sort=False):
            periods = sorted(set(rows["period"]))
            click.echo(
                f"Indicator: {name}: {number(len(rows))} waarden voor "
                f"{', '.join(period_label(p) for p in periods)}"
            )
    for notice in plan.notices:
        click.echo(f"Let op: {notice}")
    for refusal in plan.refused:
        click.echo(f"Niet te lezen: {refusal.message}", err=True)
