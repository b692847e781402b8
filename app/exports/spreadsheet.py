"""The action list as an Excel workbook: the same ActionListDocument as the PDF, as data."""

from __future__ import annotations

import io
import math

import xlsxwriter

from ..core.formatting import date_long, datetime_long
from .document import ActionListDocument

ACTION_COLUMNS = [
    ("Nr.", 6),
    ("Actie", 60),
    ("Fase", 14),
    ("Vraag", 45),
    ("Trekker", 22),
    ("Organisatie trekker", 26),
    ("Klaar op", 12),
    ("Prioriteit", 11),
    ("Status", 12),
    ("Te laat", 8),
    ("Binnenkort", 11),
    ("Datum laatste voortgang", 14),
    ("Laatste voortgang", 60),
]
FIGURE_COLUMNS = [
    ("Actiepunt nr.", 11),
    ("Indicator", 40),
    ("Categorie", 30),
    ("Eenheid", 14),
    ("Beginwaarde", 12),
    ("Beginperiode", 14),
    ("Laatste waarde", 14),
    ("Periode", 14),
    ("Doel", 10),
    ("Doelperiode", 14),
    ("Stand", 22),
    ("Het verhaal achter het cijfer", 80),
]
ANSWER_COLUMNS = [
    ("Nr.", 6),
    ("Fase", 14),
    ("Vraag", 60),
    ("Antwoord", 80),
    ("Zelfbeoordeling", 22),
    ("De zaal (workshop)", 60),
]


def render_action_list_xlsx(doc: ActionListDocument) -> bytes:
    """Three sheets: the action list, the figures of the action points (one row per linked
    indicator) and the conversation's answers.

    Every cell is written as a string, number or date explicitly, so text that starts with
    ``=``, ``+``, ``-`` or ``@`` never becomes a formula in Excel.
    """
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(
        buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
    )
    workbook.set_properties(
        {
            "title": f"{doc.title} — actiepuntenlijst",
            "author": "Handvat",
            "comments": doc.source.citation,
        }
    )
    header = workbook.add_format(
        {
            "bold": True,
            "font_color": "#FFFFFF",
            "bg_color": "#154273",
            "text_wrap": True,
            "valign": "top",
        }
    )
    wrap = workbook.add_format({"text_wrap": True, "valign": "top"})
    day = workbook.add_format({"num_format": "dd-mm-yyyy", "valign": "top"})
    title = workbook.add_format({"bold": True, "font_size": 14})
    amount = workbook.add_format({"valign": "top"})

    actions = workbook.add_worksheet("Actiepunten")
    actions.write_string(0, 0, doc.title, title)
    about = (
        f"Regio {doc.region}, gesprek van {date_long(doc.held_on)}. "
        f"Gemaakt op {datetime_long(doc.generated_at)}."
    )
    if doc.as_of is not None:
        about += (
            f" Te laat en binnenkort (klaar binnen {doc.due_soon_days} dagen): stand van "
            f"{date_long(doc.as_of)}."
        )
    actions.write_string(1, 0, about)
    _header(actions, 3, ACTION_COLUMNS, header)
    for row, action in enumerate(doc.actions, start=4):
        actions.write_number(row, 0, action.number, wrap)
        for column, value in enumerate(
            (
                action.description,
                action.phase,
                action.question,
                action.owner_name,
                action.owner_organisation,
            ),
            start=1,
        ):
            actions.write_string(row, column, value, wrap)
        if action.due_date:
            actions.write_datetime(row, 6, action.due_date, day)
        actions.write_string(row, 7, action.priority, wrap)
        actions.write_string(row, 8, action.status, wrap)
        # As the region-wide list's file: "ja" or "nee", to filter on.
        actions.write_string(row, 9, "ja" if action.is_overdue else "nee", wrap)
        actions.write_string(row, 10, "ja" if action.is_due_soon else "nee", wrap)
        if action.latest_update is not None:
            actions.write_datetime(row, 11, action.latest_update.written_on, day)
            actions.write_string(row, 12, action.latest_update.text, wrap)
    actions.autofilter(3, 0, 3 + len(doc.actions), len(ACTION_COLUMNS) - 1)
    actions.freeze_panes(4, 0)

    _figures_sheet(workbook.add_worksheet("Cijfers"), doc, header, wrap, amount, title)

    answers = workbook.add_worksheet("Antwoorden")
    answers.write_string(
        0, 0, f"{doc.questionnaire_title} (versie {doc.questionnaire_version})", title
    )
    _header(answers, 2, ANSWER_COLUMNS, header)
    row = 3
    for section in doc.sections:
        for question in section.questions:
            room = question.room_spread.sentence if question.room_spread else ""
            for column, value in enumerate(
                (
                    question.number,
                    section.name,
                    question.text,
                    question.answer,
                    question.assessment,
                    room,
                )
            ):
                answers.write_string(row, column, value, wrap)
            row += 1
    answers.freeze_panes(3, 0)
    answers.write_string(row + 1, 0, f"Bron: {doc.source.citation} {doc.source.rights}")
    workbook.close()
    return buffer.getvalue()


def _figures_sheet(sheet, doc: ActionListDocument, header, wrap, amount, title) -> None:
    sheet.write_string(0, 0, "Cijfers bij de actiepunten", title)
    sheet.write_string(
        1,
        0,
        "Per actiepunt de indicatoren die het moet veranderen: beginwaarde, laatste waarde, "
        "doel en stand.",
    )
    _header(sheet, 3, FIGURE_COLUMNS, header)
    row = 4
    for action in doc.actions:
        for figure in action.figures:
            sheet.write_number(row, 0, action.number, wrap)
            for column, text in (
                (1, figure.indicator),
                (2, figure.category),
                (3, figure.unit),
                (5, figure.baseline_period),
                (7, figure.latest_period),
                (9, figure.target_period),
                (10, figure.status),
                (11, figure.story),
            ):
                sheet.write_string(row, column, text, wrap)
            for column, number in ((4, figure.baseline), (6, figure.latest), (8, figure.target)):
                if number is not None and math.isfinite(number):
                    sheet.write_number(row, column, number, amount)
            row += 1
    if row == 4:
        sheet.write_string(row, 0, "Er zijn geen actiepunten met cijfers.")
    else:
        sheet.autofilter(3, 0, row - 1, len(FIGURE_COLUMNS) - 1)
    sheet.freeze_panes(4, 0)


def _header(sheet, row: int, columns: list[tuple[str, int]], fmt) -> None:
    for column, (label, width) in enumerate(columns):
        sheet.write_string(row, column, label, fmt)
        sheet.set_column(column, column, width)
