"""A filtered action list across conversations (``app/tracking/``) as a board-ready PDF.

The same page as the conversation's action list (``pdf.py``): header, footer with the source
and "pagina X van Y", styles, the table that repeats its header row and splits between rows.
Above the table: what was selected, for which regions, on which day, and how many actions are
late. Each row shows where the action was agreed and its latest progress update.
"""

from __future__ import annotations

from collections.abc import Sequence

from reportlab.platypus import Flowable, Spacer, Table

from ..actions.deadlines import DUE_SOON_DAYS
from ..core.formatting import date_long, date_short, number
from .document import ActionOverviewDocument, OverviewRow
from .pdf import ACTION_WIDTHS, due_cell, progress_paragraph
from .pdf_layout import (
    CONTENT_WIDTH,
    FallbackParagraph,
    Para,
    RoomFor,
    S,
    build_pdf,
    clean_text,
    data_table,
    encodable,
    fits_on_line,
    header_row,
    page_decoration,
    source_colophon,
    table_cell,
    table_start,
    text_markup,
    text_para,
    text_paragraphs,
    tinted_box,
)

__all__ = ["render_overview_pdf"]

OVERVIEW_COLUMNS = ("Nr.", "Actie", "Gesprek / fase", "Trekker", "Uiterlijk", "Status")


def render_overview_pdf(doc: ActionOverviewDocument) -> bytes:
    """The selection as a title block and one table of its actions."""
    story: list[Flowable] = _title_block(doc) + _action_table_section(doc)
    story += source_colophon(doc.source)
    regions = ", ".join(doc.regions)
    return build_pdf(
        story,
        title=doc.title,
        subject=f"Actiepunten van regio {regions}: {doc.description or 'alle actiepunten'}",
        decoration=page_decoration(doc.title, regions, doc.generated_at, doc.source),
    )


def _action_table_section(doc: ActionOverviewDocument) -> list[Flowable]:
    """The heading and the table; the heading never ends a page without the table's first
    row (``RoomFor``)."""
    above: list[Flowable] = [FallbackParagraph("Actiepunten", S.h1_table)]
    if not doc.rows:
        above.append(
            FallbackParagraph("Er zijn geen actiepunten die bij deze selectie passen.", S.body)
        )
        return [RoomFor(above), *above]
    table = _overview_table(doc.rows, several_regions=len(doc.regions) > 1)
    return [RoomFor(above, table_start(table)), *above, table]


def _title_block(doc: ActionOverviewDocument) -> list[Flowable]:
    count = len(doc.rows)
    counted = f"{number(count)} {'actiepunt' if count == 1 else 'actiepunten'}"
    marked = [
        f"{number(n)} {label}"
        for n, label in ((doc.overdue, "te laat"), (doc.due_soon, "binnenkort"))
        if n
    ]
    if marked:
        counted += ", waarvan " + " en ".join(marked)
    label = "Regio" if len(doc.regions) == 1 else "Regio's"
    lines = [
        FallbackParagraph(
            f"<b>Selectie:</b> {text_markup(doc.description or 'alle actiepunten')}", S.meta
        ),
        FallbackParagraph(f"<b>{label}:</b> {text_markup(', '.join(doc.regions) or '—')}", S.meta),
        FallbackParagraph(
            f"<b>Stand van</b> {date_long(doc.as_of)} (binnenkort: klaar binnen"
            f" {DUE_SOON_DAYS} dagen)",
            S.meta,
        ),
        FallbackParagraph(f"<b>Aantal:</b> {counted}", S.meta),
    ]
    return [
        FallbackParagraph("Actiepuntenlijst", S.kicker),
        text_para(doc.title, S.title, FallbackParagraph),
        Spacer(1, 4),
        tinted_box(lines, CONTENT_WIDTH),
    ]


def _overview_table(rows: Sequence[OverviewRow], *, several_regions: bool) -> Table:
    w = ACTION_WIDTHS
    data: list[list] = [header_row(OVERVIEW_COLUMNS)]
    for row in rows:
        data.append(
            [
                str(row.number),
                _action_cell(row),
                _where_cell(row, w[2], several_regions),
                _lines_cell((row.owner_name, row.owner_organisation), w[3]),
                due_cell(row),
                table_cell(row.status, w[5]),
            ]
        )
    return data_table(data, w)


def _action_cell(row: OverviewRow) -> list[Flowable]:
    """The action, where it is embedded, its latest update and its indicators."""
    cell = text_paragraphs(row.description, S.cell, Para) or [Para("—", S.cell)]
    if row.embedded:
        cell.append(text_para(f"Verankerd in: {row.embedded}", S.cell_note))
    if row.latest_update is not None:
        cell.append(progress_paragraph(row.latest_update))
    if row.indicators:
        cell.append(text_para("Cijfers: " + ", ".join(row.indicators), S.cell_note))
    return cell


def _where_cell(row: OverviewRow, width: float, several_regions: bool) -> str | Flowable:
    lines = [row.conversation, f"nr. {row.position}, {date_short(row.held_on)}"]
    if row.phase:
        lines.append(f"Fase {row.phase}")
    if several_regions:
        lines.append(f"Regio {row.region}")
    return _lines_cell(lines, width)


def _lines_cell(lines: Sequence[str], width: float) -> str | Flowable:
    """Short lines as one plain string (fast: drawn in the table's font); a wrapping
    Paragraph as soon as one of them does not fit."""
    lines = [" ".join(clean_text(line).split()) for line in lines]
    lines = [line for line in lines if line]
    if not lines:
        return "—"
    if all(encodable(line) and fits_on_line(line, width) for line in lines):
        return "\n".join(lines)
    return text_para("\n".join(lines), S.cell)
