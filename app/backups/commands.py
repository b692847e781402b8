"""``flask --app app backup FILE`` and ``flask --app app restore FILE``.

Both work on the database the app runs on (the embedded SQLite file, or PostgreSQL through
``DATABASE_URL``). A refusal or failure exits with status 1 and says why; nothing is changed.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy.exc import OperationalError

from ..core.formatting import datetime_short, number
from ..core.schema import code_heads
from .operations import KIND_LABELS, BackupError, Manifest, make_backup, restore_backup


@contextmanager
def refusals_as_click_errors():
    """A refusal or a database error: its Dutch message and exit code 1, no traceback."""
    try:
        yield
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    except OperationalError as error:
        raise click.ClickException(f"De database gaf een fout: {error.orig}") from None


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--overwrite", is_flag=True, help="Vervang FILE als dat al bestaat.")
@with_appcontext
def backup_command(file: Path, overwrite: bool) -> None:
    """Bewaar de hele database in één bestand FILE (ook terwijl de app draait).

    Het bestand bevat persoonsgegevens: alleen de eigenaar kan het lezen (0600).
    """
    with refusals_as_click_errors():
        result = make_backup(file, overwrite=overwrite)
    click.echo(f"Back-up gemaakt: {result.path} ({file_size(result.size)})")
    for line in describe(result.manifest):
        click.echo(line)


@click.command("restore")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--replace",
    is_flag=True,
    help="Vervang wat er nu in de database staat (anders alleen in een lege database).",
)
@with_appcontext
def restore_command(file: Path, replace: bool) -> None:
    """Zet de back-up FILE terug in de database van de app.

    Alles of niets: als het terugzetten mislukt, blijft de database zoals hij was.
    """
    with refusals_as_click_errors():
        result = restore_backup(file, replace=replace)
    what = "teruggezet (wat er stond is vervangen)" if result.replaced else "teruggezet"
    click.echo(f"Back-up {what}: {result.path} ({file_size(result.size)})")
    for line in describe(result.manifest):
        click.echo(line)
    if result.tables != result.manifest.tables:
        click.echo(
            "Let op: het aantal rijen in de database verschilt van de back-up. Controleer de "
            "database voordat de app weer gebruikt wordt.",
            err=True,
        )
    if result.needs_upgrade:
        click.echo(
            f"De back-up heeft schemaversie {result.manifest.revision_label}; deze Handvat "
            f"verwacht {', '.join(sorted(code_heads()))}. Breng de database bij met: "
            "flask --app app db upgrade"
        )
    click.echo(
        "Herstart de app als die draait, zodat geen pagina van vóór het terugzetten uit het "
        "geheugen getoond wordt."
    )


def describe(manifest: Manifest) -> list[str]:
    made = datetime_short(datetime.fromisoformat(manifest.created_at))
    return [
        f"Database: {KIND_LABELS[manifest.database]}, schemaversie {manifest.revision_label}, "
        f"gemaakt op {made}",
        f"Inhoud: {number(len(manifest.tables))} tabellen, {number(manifest.total_rows)} rijen",
    ]


def file_size(size: int) -> str:
    if size < 1000 * 1000:
        return f"{number(max(1, round(size / 1000)))} kB"
    return f"{number(size / (1000 * 1000), 1)} MB"
