"""A filtered action list across conversations as Excel (.xlsx) and CSV, for Dutch Excel.

Both have one row per action under one header row, with the same Dutch column names, so the
list goes straight into a pivot table, Power BI or a script. The Excel file keeps dates as
real dates (shown dd-mm-jjjj), has a filter on every column and a frozen header row; a second
sheet says what was selected and when. The CSV is what Dutch Excel opens with a double click:
``;`` between the fields, UTF-8 with a byte-order mark, dates as dd-mm-jjjj, lines ending in
CRLF, and no cell that Excel would run as a formula.
"""

from __future__ import annotations

import csv
import io
from datetime import date

import xlsxwriter

from ..actions.deadlines import DUE_SOON_DAYS
from ..core.csv_cells import CSV_DELIMITER, neutralise
from ..core.formatting import date_short, datetime_long
from .document import ActionOverviewDocument, OverviewRow

__all__ = ["OVERVIEW_COLUMNS", "render_overview_csv", "render_overview_xlsx", "row_values"]

#: (header, column width in Excel).
OVERVIEW_COLUMNS = [
    ("Nr.", 6),
    ("Actie", 60),
    ("Gesprek", 30),
    ("Datum gesprek", 13),
    ("Nr. in gesprek", 8),
    ("Regio", 16),
    ("Fase", 14),
    ("Vraag", 40),
    ("Trekker", 22),
    ("Organisatie trekker", 26),
    ("Klaar op", 12),
    ("Status", 12),
    ("Te laat", 8),
    ("Binnenkort", 11),
    ("Verankerd in", 30),
    ("Datum laatste voortgang", 14),
    ("Laatste voortgang", 60),
    ("Cijfers", 30),
]


def row_values(row: OverviewRow) -> list[str | int | date | None]:
    """The row's cells in the order of ``OVERVIEW_COLUMNS``: text, whole numbers and dates."""
    update = row.latest_update
    return [
        row.number,
        row.description,
        row.conversation,
        row.held_on,
        row.position,
        row.region,
        row.phase,
        row.question,
        row.owner_name,
        row.owner_organisation,
        row.due_date,
        row.status,
        "ja" if row.is_overdue else "nee",
        "ja" if row.is_due_soon else "nee",
        row.embedded,
        update.written_on if update else None,
        update.text if update else "",
        ", ".join(row.indicators),
    ]


def render_overview_xlsx(doc: ActionOverviewDocument) -> bytes:
    """Sheet "Actiepunten" (the list) and sheet "Over dit bestand" (selection and date).

    Every cell is written as a string, number or date explicitly, so text that starts with
    ``=``, ``+``, ``-`` or ``@`` never becomes a formula.
    """
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(
        buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
    )
    workbook.set_properties(
        {"title": doc.title, "author": "Handvat", "comments": doc.source.citation}
    )
    header = workbook.add_format(
        {"bold": True, "font_color": "#FFFFFF", "bg_color": "#154273", "text_wrap": True,
         "valign": "top"}
    )  # fmt: skip
    formats = {
        str: workbook.add_format({"text_wrap": True, "valign": "top"}),
        int: workbook.add_format({"valign": "top"}),
        date: workbook.add_format({"num_format": "dd-mm-yyyy", "valign": "top"}),
    }
    sheet = workbook.add_worksheet("Actiepunten")
    for column, (label, width) in enumerate(OVERVIEW_COLUMNS):
        sheet.write_string(0, column, label, header)
        sheet.set_column(column, column, width)
    for number, row in enumerate(doc.rows, start=1):
        for column, value in enumerate(row_values(row)):
            _write(sheet, number, column, value, formats)
    # The header and the data rows; an empty list has a filter on its header row alone.
    sheet.autofilter(0, 0, len(doc.rows), len(OVERVIEW_COLUMNS) - 1)
    sheet.freeze_panes(1, 0)
    _about_sheet(workbook.add_worksheet("Over dit bestand"), doc, workbook)
    workbook.close()
    return buffer.getvalue()


def _write(sheet, row: int, column: int, value, formats) -> None:
    if value is None or value == "":
        return
    if isinstance(value, date):
        sheet.write_datetime(row, column, value, formats[date])
    elif isinstance(value, int):
        sheet.write_number(row, column, value, formats[int])
    else:
        sheet.write_string(row, column, value, formats[str])


def _about_sheet(sheet, doc: ActionOverviewDocument, workbook) -> None:
    bold = workbook.add_format({"bold": True})
    sheet.set_column(0, 0, 22)
    sheet.set_column(1, 1, 90)
    sheet.write_string(0, 0, doc.title, workbook.add_format({"bold": True, "font_size": 14}))
    left = workbook.add_format({"align": "left"})
    facts: list[tuple[str, str | int]] = [
        ("Selectie", doc.description or "alle actiepunten"),
        ("Regio" if len(doc.regions) == 1 else "Regio's", ", ".join(doc.regions)),
        ("Aantal actiepunten", len(doc.rows)),
        ("Waarvan te laat", doc.overdue),
        (f"Waarvan binnenkort (klaar binnen {DUE_SOON_DAYS} dagen)", doc.due_soon),
        ("Te laat en binnenkort: stand van", date_short(doc.as_of)),
        ("Gemaakt op", datetime_long(doc.generated_at)),
        ("Bron vragen", f"{doc.source.citation} {doc.source.rights}"),
    ]
    for row, (label, value) in enumerate(facts, start=2):
        sheet.write_string(row, 0, label, bold)
        if isinstance(value, int):  # a number Excel can count with, left like the text
            sheet.write_number(row, 1, value, left)
        else:
            sheet.write_string(row, 1, value)


# --- CSV ------------------------------------------------------------------------------------


def csv_cell(value: str | int | date | None) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return date_short(value)
    if isinstance(value, int):
        return str(value)
    return neutralise(value)


def render_overview_csv(doc: ActionOverviewDocument) -> bytes:
    """The list as CSV for Dutch Excel (see the module's docstring)."""
    text = io.StringIO(newline="")
    writer = csv.writer(text, delimiter=CSV_DELIMITER, lineterminator="\r\n")
    writer.writerow([label for label, _width in OVERVIEW_COLUMNS])
    for row in doc.rows:
        writer.writerow([csv_cell(value) for value in row_values(row)])
    return text.getvalue().encode("utf-8-sig")
