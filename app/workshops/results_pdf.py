"""A workshop's results as a PDF a board can hand out.

The same page as the action list (``exports/pdf_layout.py``): A4, a header with the conversation and
the region, a footer with the NJi attribution and "pagina X van Y", the same fonts (Helvetica,
with the shipped Noto fonts for other scripts), styles and tables, a title and ``nl-NL`` in the
metadata. Per question: how the room placed the collaboration on the scale (a small chart, a
table with the same counts and the sentence that says it in words), the contributions ranked by
dots, and the action points made of them. The results page is its accessible twin.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Sequence
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib.units import cm
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    Spacer,
    Table,
    TableStyle,
)

from ..core.formatting import date_long, date_short, number
from ..exports.pdf_layout import (
    BLUE,
    CONTENT_WIDTH,
    NUMBER_COLUMN_WIDTH,
    FallbackParagraph,
    Para,
    RoomFor,
    S,
    build_pdf,
    data_table,
    grid_style,
    header_row,
    page_decoration,
    question_heading,
    source_colophon,
    table_cell,
    table_start,
    text_markup,
    text_para,
    tinted_box,
)
from .results import ResultAction, ResultContribution, ResultQuestion, WorkshopResultsDocument
from .spread import RoomSpread, spread_flowable

__all__ = ["render_results_pdf", "renderer_digest"]


@functools.cache
def renderer_digest() -> str:
    """A digest of this renderer's code, for the export cache's key (the cache itself only
    knows the action list's renderers)."""
    digest = hashlib.sha256()
    folder = Path(__file__).parent
    for name in ("results_pdf.py", "results.py", "spread.py"):
        digest.update((folder / name).read_bytes())
    return digest.hexdigest()[:16]


#: The chart beside the table of the spread.
CHART_WIDTH = 260
_GAP = 14
SPREAD_TABLE_WIDTH = CONTENT_WIDTH - CHART_WIDTH - _GAP
_COUNT_WIDTH = 46
_SHARE_WIDTH = 52
SPREAD_WIDTHS = (SPREAD_TABLE_WIDTH - _COUNT_WIDTH - _SHARE_WIDTH, _COUNT_WIDTH, _SHARE_WIDTH)

_NR_WIDTH = NUMBER_COLUMN_WIDTH  #: with room for "(vervolg)"
_DOTS_WIDTH = 50
CONTRIBUTION_WIDTHS = (_NR_WIDTH, CONTENT_WIDTH - _NR_WIDTH - _DOTS_WIDTH, _DOTS_WIDTH)

_DATE_WIDTH = 66
_STATUS_WIDTH = 62
_FLEX = CONTENT_WIDTH - _NR_WIDTH - _DATE_WIDTH - _STATUS_WIDTH
ACTION_WIDTHS = (_NR_WIDTH, _FLEX * 0.68, _FLEX * 0.32, _DATE_WIDTH, _STATUS_WIDTH)


def render_results_pdf(doc: WorkshopResultsDocument) -> bytes:
    """The title block, then per question the spread, the contributions and the actions."""
    story: list[Flowable] = _title_block(doc)
    if not doc.questions:
        story.append(
            FallbackParagraph("In deze workshop is nog geen vraag aan de zaal voorgelegd.", S.body)
        )
    phase = None
    for question in doc.questions:
        heading = None
        if question.phase and question.phase != phase:
            phase = question.phase
            heading = FallbackParagraph(f"Fase: {text_markup(phase)}", S.h1)
        story += _question(question, heading)
    if doc.not_discussed:
        story.append(FallbackParagraph("Niet besproken in de workshop", S.h2))
        story += [text_para(f"• {line}", S.body) for line in doc.not_discussed]
    story.append(KeepTogether(source_colophon(doc.source)))
    held_on = date_long(doc.held_on)
    return build_pdf(
        story,
        title=f"{doc.title} — resultaten van de workshop van {held_on}",
        subject=(
            f"Hoe de zaal de samenwerking beoordeelde, de bijdragen en de actiepunten van de "
            f"workshop van {held_on} (code {doc.join_code}) in regio {doc.region}"
        ),
        decoration=page_decoration(doc.title, doc.region, doc.generated_at, doc.source),
    )


def _title_block(doc: WorkshopResultsDocument) -> list[Flowable]:
    people = "1 deelnemer" if doc.participants == 1 else f"{number(doc.participants)} deelnemers"
    questionnaire = (
        f"{text_markup(doc.questionnaire_title)} (versie {text_markup(doc.questionnaire_version)})"
    )
    lines = [
        FallbackParagraph(f"<b>Regio:</b> {text_markup(doc.region)}", S.meta),
        FallbackParagraph(f"<b>Workshop gehouden op</b> {date_long(doc.held_on)}", S.meta),
        FallbackParagraph(f"<b>Code van de workshop:</b> {text_markup(doc.join_code)}", S.meta),
        FallbackParagraph(f"<b>Meegedaan:</b> {people}", S.meta),
        FallbackParagraph(f"<b>Vragenlijst:</b> {questionnaire}", S.meta),
    ]
    return [
        FallbackParagraph("Resultaten van de workshop", S.kicker),
        text_para(doc.title, S.title, FallbackParagraph),
        Spacer(1, 4),
        tinted_box(lines, CONTENT_WIDTH),
        Spacer(1, 8),
        FallbackParagraph(
            "Per vraag ziet u hoe de deelnemers de samenwerking beoordeelden, welke bijdragen "
            "de meeste stippen kregen en welke actiepunten eruit kwamen. Bijdragen die de "
            "gespreksleider heeft verborgen, staan er niet in.",
            S.body_after,
        ),
    ]


#: A question starts on a new page when less than this is left (below its phase's heading).
QUESTION_ROOM = 7 * cm


def _question(question: ResultQuestion, heading: Flowable | None = None) -> list[Flowable]:
    """The question (after its phase's heading, if given: the page break goes before both)."""
    headings = [heading] if heading is not None else []
    flowables: list[Flowable] = [RoomFor(headings, extra=QUESTION_ROOM), *headings]
    flowables += question_heading(question.number, question.text, [])
    flowables.append(KeepTogether(_spread_block(question.spread)))
    flowables += _contributions(question.contributions)
    flowables += _actions(question.actions)
    return flowables


def _spread_block(spread: RoomSpread) -> list[Flowable]:
    """Chart and table side by side, the sentence below them."""
    label = FallbackParagraph("Hoe staat de samenwerking ervoor, volgens de zaal?", S.label)
    if not spread.participants:
        return [Spacer(1, 4), label, text_para(spread.summary + ".", S.body)]
    side_by_side = Table(
        [[spread_flowable(spread, width=CHART_WIDTH), "", _spread_table(spread)]],
        colWidths=[CHART_WIDTH, _GAP, SPREAD_TABLE_WIDTH],
        hAlign="LEFT",
    )
    side_by_side.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 0),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return [
        Spacer(1, 4),
        label,
        Spacer(1, 4),
        side_by_side,
        Spacer(1, 4),
        text_para(spread.sentence, S.body_after),
    ]


def _spread_table(spread: RoomSpread) -> Table:
    w = SPREAD_WIDTHS
    header = [
        Para("Stap", S.cell_header),
        Para("Aantal", S.cell_header_number),
        Para("Aandeel", S.cell_header_number),
    ]
    rows: list[list] = [header]
    for step in spread.steps:
        rows.append(
            [
                table_cell(step.label, w[0]),
                Para(escape(number(step.count)), S.number),
                Para(escape(spread.share(step)), S.number),
            ]
        )
    rows.append(
        [
            Para("Totaal", S.cell_bold),
            Para(escape(number(spread.participants)), S.number_bold),
            Para("100%", S.number_bold),
        ]
    )
    table = Table(rows, colWidths=list(w), hAlign="LEFT")
    table.setStyle(
        TableStyle(
            grid_style(zebra=False)
            + [
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
                ("LINEABOVE", (0, -1), (-1, -1), 1, BLUE),
            ]
        )
    )
    return table


def _dots_text(count: int) -> str:
    return f"{number(count)} {'stip' if count == 1 else 'stippen'}"


def _contributions(items: Sequence[ResultContribution]) -> list[Flowable]:
    label = FallbackParagraph("Bijdragen uit de zaal, de meeste stippen eerst", S.label)
    if not items:
        return [
            Spacer(1, 2),
            label,
            FallbackParagraph("Er zijn geen bijdragen bij deze vraag.", S.body),
        ]
    w = CONTRIBUTION_WIDTHS
    header = [
        Para("Nr.", S.cell_header),
        Para("Bijdrage", S.cell_header),
        Para("Stippen", S.cell_header_number),
    ]
    rows: list[list] = [header]
    for rank, item in enumerate(items, start=1):
        rows.append([str(rank), _contribution_cell(item), Para(number(item.dots), S.number_bold)])
    table = data_table(rows, w)
    above = [Spacer(1, 2), label, Spacer(1, 3)]
    return [RoomFor(above, table_start(table)), *above, table, Spacer(1, 6)]


def _contribution_cell(item: ResultContribution) -> list[Flowable]:
    cell: list[Flowable] = [
        Para(f"<b>{text_markup(item.kind)}:</b> {text_markup(item.text)}", S.cell)
    ]
    for merged in item.merged:
        cell.append(
            Para(
                f"Samengevoegd: {text_markup(merged.kind)}: {text_markup(merged.text)}"
                f" ({_dots_text(merged.dots)})",
                S.cell_note,
            )
        )
    if item.action_number:
        cell.append(Para(f"Werd actiepunt {item.action_number}", S.cell_note))
    return cell


def _actions(actions: Sequence[ResultAction]) -> list[Flowable]:
    if not actions:
        return []
    w = ACTION_WIDTHS
    rows: list[list] = [header_row(("Nr.", "Actiepunt", "Trekker", "Uiterlijk", "Status"))]
    for action in actions:
        rows.append(
            [
                str(action.number),
                text_para(action.description, S.cell),
                table_cell(action.owner_name or "—", w[2]),
                date_short(action.due_date) or "—",
                table_cell(action.status, w[4]),
            ]
        )
    table = data_table(rows, w)
    above = [FallbackParagraph("Actiepunten die eruit kwamen", S.label), Spacer(1, 3)]
    return [RoomFor(above, table_start(table)), *above, table, Spacer(1, 6)]
