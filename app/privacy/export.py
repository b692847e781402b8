"""A region's data as one zip: every table as JSON and as CSV, every action list as a PDF.

The zip is written to a temporary file on disk, table by table and row by row, so memory stays
small however many conversations and action points a region has. The action-list PDFs go
through the export cache (``app/exports/cache.py``): a second download renders only what
changed.
"""

from __future__ import annotations

import csv
import io
import json
import math
import zipfile
from collections.abc import Iterable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import IO, Any

from flask import current_app

from ..actions.queries import actions_of
from ..conversations.models import Conversation
from ..core.csv_cells import CSV_DELIMITER, neutralise
from ..core.formatting import (
    TIMEZONE,
    date_long,
    date_short,
    datetime_short,
    local_now,
    local_today,
)
from ..exports.cache import rendered_export
from ..exports.limits import time_budget
from ..exports.pdf import render_action_list_pdf
from ..exports.queries import action_list_document
from ..extensions import db
from ..regions.models import Region
from ..regions.operations import slugify
from .queries import RegionTable, region_conversation_ids, region_tables

PDF_FOLDER = "actielijsten"


def export_filename(region: Region, day: date | None = None) -> str:
    """``handvat-<slug>-<dd-mm-jjjj>.zip``."""
    return f"handvat-{region.slug}-{date_short(day or local_today())}.zip"


# --------------------------------------------------------------------------------------------
# Values
# --------------------------------------------------------------------------------------------


def _local(moment: datetime) -> datetime:
    """SQLite gives naive datetimes back; they were stored in UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(TIMEZONE)


def json_value(value: Any) -> Any:
    """Dates as ISO 8601; moments in Dutch time with their offset."""
    if isinstance(value, datetime):
        return _local(value).isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return [json_value(item) for item in value]
    if isinstance(value, dict):
        return {key: json_value(item) for key, item in value.items()}
    return value


def dutch_decimal(value: float) -> str:
    """A number as Dutch Excel reads it: a decimal comma, no thousands separator, no exponent
    (1234.5 -> "1234,5", 83.0 -> "83", 1e-07 -> "0,0000001"). Not a formula: no apostrophe
    before a minus sign."""
    if not math.isfinite(value):
        return ""
    if value.is_integer():
        return str(int(value))
    return format(Decimal(repr(value)), "f").replace(".", ",")


def csv_cell(value: Any) -> str:
    """As Dutch Excel shows it: 05-03-2026, 05-03-2026 14:05, ja/nee; formulas defused."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "ja" if value else "nee"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return dutch_decimal(value)
    if isinstance(value, datetime):
        return datetime_short(value)
    if isinstance(value, date):
        return date_short(value)
    if isinstance(value, list):
        text = "; ".join(
            f"{item.get('veld', '')}: {item.get('voor', '')} → {item.get('na', '')}"
            if isinstance(item, dict)
            else str(item)
            for item in value
        )
        return neutralise(text)
    return neutralise(str(value))


# --------------------------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------------------------


def _entry(name: str, made: datetime) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=made.timetuple()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    return info


def write_json(binary: IO[bytes], rows: Iterable[dict]) -> None:
    """A JSON array of objects, one row per line, written as the rows come."""
    text = io.TextIOWrapper(binary, encoding="utf-8", newline="\n")
    text.write("[")
    first = True
    for row in rows:
        text.write("\n  " if first else ",\n  ")
        text.write(json.dumps(json_value(row), ensure_ascii=False, separators=(", ", ": ")))
        first = False
    text.write("\n]\n")
    text.flush()
    text.detach()


def write_csv(binary: IO[bytes], columns: tuple[str, ...], rows: Iterable[dict]) -> None:
    """``;``-separated UTF-8 with a byte-order mark: Dutch Excel opens it with a double click."""
    text = io.TextIOWrapper(binary, encoding="utf-8-sig", newline="")
    writer = csv.writer(text, delimiter=CSV_DELIMITER, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([csv_cell(row.get(column)) for column in columns])
    text.flush()
    text.detach()


def _pdf_name(conversation: Conversation) -> str:
    title = slugify(conversation.title)[:60] or "gesprek"
    return (
        f"{PDF_FOLDER}/actielijst-{conversation.id}-{title}-{date_short(conversation.held_on)}.pdf"
    )


def write_region_zip(region: Region, file: IO[bytes]) -> list[str]:
    """Write the region's zip to ``file``; the names of the files in it.

    The whole zip gets one time budget (``EXPORT_TIME_BUDGET_SECONDS``), so a worker is never
    killed halfway; PDFs rendered before the budget ran out are in the cache, so trying again
    goes faster. Raises ``ExportBusy`` or ``ExportTooSlow`` like the other exports.
    """
    made = local_now()
    names: list[str] = []
    tables = region_tables(region)
    budget = current_app.config["EXPORT_TIME_BUDGET_SECONDS"]
    with time_budget(budget), zipfile.ZipFile(file, "w", zipfile.ZIP_DEFLATED) as archive:
        pdf_names = []
        for conversation_id in region_conversation_ids(region):
            conversation = db.session.get(Conversation, conversation_id)
            if conversation is None:  # deleted meanwhile
                continue
            actions = actions_of(conversation)
            document = action_list_document(conversation, actions)
            data = rendered_export("action-list.pdf", document, render_action_list_pdf)
            name = _pdf_name(conversation)
            with archive.open(_entry(name, made), "w") as entry:
                entry.write(data)
            pdf_names.append(name)
            # Read-only from here on: let go of this conversation's rows before the next.
            for action in actions:
                db.session.expunge(action)
            db.session.expunge(conversation)

        for table in tables:
            name = f"json/{table.name}.json"
            with archive.open(_entry(name, made), "w") as entry:
                write_json(entry, table.rows())
            names.append(name)
            name = f"csv/{table.name}.csv"
            with archive.open(_entry(name, made), "w") as entry:
                write_csv(entry, table.columns, table.rows())
            names.append(name)
        names.extend(pdf_names)

        readme = readme_text(region, tables, pdf_names, made)
        archive.writestr(_entry("README.txt", made), readme.encode("utf-8-sig"))
        names.insert(0, "README.txt")
    return names


def readme_text(
    region: Region, tables: list[RegionTable], pdf_names: list[str], made: datetime
) -> str:
    """The Dutch explanation at the top of the zip (Windows line ends, for Notepad)."""
    table_lines = "\n".join(
        f"  - {table.name}.json / {table.name}.csv: {table.description}\n"
        f"    Kolommen: {', '.join(table.columns)}"
        for table in tables
    )
    pdf_line = (
        f"  {len(pdf_names)} actielijst(en), één per gesprek."
        if pdf_names
        else "  Geen: de regio heeft geen gesprekken."
    )
    text = f"""Handvat – alle gegevens van regio {region.name}
Gemaakt op {date_long(made.date())} om {made.strftime("%H:%M")} (Nederlandse tijd).

WAT IS DIT?
Dit zijn alle gegevens die Handvat over regio {region.name} bewaart. De coördinator van de
regio heeft ze gedownload. U kunt ze bekijken, bewaren in uw eigen archief of aan iemand
geven die erom vraagt (bijvoorbeeld bij een verzoek om inzage onder de AVG).

DIT IS GEEN BACK-UP
U kunt deze bestanden niet terugzetten in Handvat. Een back-up van de hele installatie
maakt de beheerder van de installatie.

Let op: in deze bestanden staan namen en e-mailadressen. Bewaar ze veilig en deel ze
alleen met wie ze nodig heeft.

WAT ZIT ERIN?
Elke tabel staat er twee keer in: als JSON (map json, voor ICT en andere programma's) en
als CSV (map csv, om te openen in Excel).

{table_lines}

Map {PDF_FOLDER}:
{pdf_line}

Wat er NIET in zit: wachtwoorden, codes voor tweestapsverificatie, herstelcodes en
gegevens over waar iemand is ingelogd. Handvat bewaart geen gegevens over leerlingen,
studenten of cliënten: de cijfers zijn aantallen, geen personen.
Ook niet: bestanden met cijfers die iemand heeft gekozen maar nog niet heeft ingelezen.
Handvat bewaart zo'n bestand alleen tussen het voorbeeld en de knop 'Inlezen' (hoogstens
een dag). Wat is ingelezen, staat in indicatorwaarden.

CSV-BESTANDEN OPENEN
- Dubbelklik op het bestand: Excel opent het goed. De kolommen zijn gescheiden door een
  puntkomma (;) en de tekens zijn UTF-8.
- Data staan er als 05-03-2026, tijden als 14:05 (Nederlandse tijd).
- Begint een cel met =, +, -, of @? Dan staat er een ' (apostrof) voor. Zo voert Excel de
  cel niet uit als formule. In de JSON-bestanden staat de tekst zoals hij is ingevoerd.

JSON-BESTANDEN
- Elk bestand is een lijst met één object per rij, in UTF-8.
- Data staan er als 2026-03-05 (ISO 8601), tijden met de tijdzone erbij.

DE KOLOMMEN
- id, gesprek_id, regio_id, account_id, indicator_id, actiepunt_id: nummers waarmee de
  tabellen naar elkaar verwijzen. Bijvoorbeeld: gesprek_id in actiepunten.csv is de id in
  gesprekken.csv, indicator_id in indicatorwaarden.csv de id in indicatoren.csv.
- indicatorwaarden: een lege waarde betekent 'geen cijfer' (ontbreekt of is afgeschermd),
  niet 0. In de CSV-bestanden staan getallen met een komma (24,5), zonder punt voor
  duizendtallen.
- geschiedenis: 'door' is wie de wijziging deed, 'wijzigingen' wat er veranderde
  (veld: voor → na). 'opdrachtregel' betekent: een beheerder op de server.
"""
    return text.replace("\n", "\r\n")
