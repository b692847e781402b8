"""The comparison of rounds and the agenda of the next meeting as board-ready PDFs.

Both use the action list's page layout, styles and text handling (``exports/pdf_layout.py``): A4, a
header with the document's title and region, a footer with the NJi source attribution and
"pagina X van Y", Helvetica with the Noto fonts for other scripts. Change nothing there for
these documents: import it.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.platypus import CondPageBreak, Flowable, Spacer

from ..core.formatting import date_long, date_short, number
from ..exports.pdf_layout import (
    CONTENT_WIDTH,
    MUTED,
    NUMBER_COLUMN_WIDTH,
    FallbackParagraph,
    Para,
    RoomFor,
    S,
    build_pdf,
    clean_text,
    data_table,
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
from ..indicators.charts import pdf_flowable
from .charts import phase_chart, question_chart
from .document import AgendaAction, AgendaDocument, ComparisonDocument, StepCell

#: A heading above a table that may be long: keeping it with the table would make reportlab
#: measure every row at once (``RoomFor`` keeps it with the table's first row instead).
H2_TABLE = ParagraphStyle("rounds_h2_table", parent=S.h2, keepWithNext=0)
#: The PDF's table shows at most this many rounds (the newest); the web page shows them all.
PDF_MAX_ROUNDS = 5


@functools.cache
def renderer_digest() -> str:
    """A digest of this package's rendering code, for the export cache's key (the cache only
    knows the action list's own renderer)."""
    digest = hashlib.sha256()
    folder = Path(__file__).parent
    for name in ("pdf.py", "charts.py", "document.py"):
        digest.update((folder / name).read_bytes())
    return digest.hexdigest()[:16]


# --- the comparison -----------------------------------------------------------------------------


def _trend_text(trend: str | None) -> str:
    return f" ({trend})" if trend else ""


def _step_cell(cell: StepCell) -> Flowable:
    text = text_markup(cell.text)
    if cell.is_missing:
        text = f'<font color="{MUTED.hexval()}"><i>{text}</i></font>'
    if cell.trend:
        text += f"<br/><b>{text_markup(cell.trend)}</b>"
    return Para(text, S.cell_small)


def _limited(doc: ComparisonDocument) -> ComparisonDocument:
    """The document with at most ``PDF_MAX_ROUNDS`` rounds, the newest."""
    if len(doc.rounds) <= PDF_MAX_ROUNDS:
        return doc
    from dataclasses import replace

    from .document import PhaseComparison, QuestionComparison

    cut = len(doc.rounds) - PDF_MAX_ROUNDS
    phases = tuple(
        PhaseComparison(
            p.phase_id,
            p.name,
            tuple(
                QuestionComparison(q.question_id, q.number, q.text, q.in_newest, q.cells[cut:])
                for q in p.questions
            ),
            p.summaries[cut:],
        )
        for p in doc.phases
    )
    return replace(doc, rounds=doc.rounds[cut:], phases=phases)


def render_comparison_pdf(doc: ComparisonDocument) -> bytes:
    """Per phase and per question, the self-assessment of each round: charts, then tables."""
    all_rounds = len(doc.rounds)
    doc = _limited(doc)
    story: list[Flowable] = [
        FallbackParagraph("Vergelijking van gespreksrondes", S.kicker),
        text_para(doc.title, S.title, FallbackParagraph),
        Spacer(1, 4),
    ]
    lines = [FallbackParagraph(f"<b>Regio:</b> {text_markup(doc.region)}", S.meta)]
    for index, column in enumerate(doc.rounds, start=all_rounds - len(doc.rounds) + 1):
        lines.append(
            FallbackParagraph(
                f"<b>Ronde {index}:</b> {text_markup(column.title)}, {date_long(column.held_on)}"
                f" (vragenlijst versie {text_markup(column.questionnaire_version)})",
                S.meta,
            )
        )
    scale = ", ".join(f"{i} = {label}" for i, label in enumerate(doc.scale, start=1))
    lines.append(
        FallbackParagraph(f"<b>Stappen van de zelfbeoordeling:</b> {text_markup(scale)}", S.meta)
    )
    story.append(tinted_box(lines, CONTENT_WIDTH))
    if all_rounds > len(doc.rounds):
        story.append(
            FallbackParagraph(
                f"Deze pdf toont de laatste {len(doc.rounds)} van de {all_rounds} rondes. "
                "De webpagina van de vergelijking toont ze allemaal.",
                S.meta_muted,
            )
        )
    story.append(Spacer(1, 8))
    story.append(
        FallbackParagraph(
            "Per ronde staat de stap die de tafel koos. ‘beter’, ‘slechter’ en ‘gelijk’ "
            "vergelijken met de ronde ervoor.",
            S.body_after,
        )
    )
    if not doc.phases:
        story.append(FallbackParagraph("In deze rondes zijn nog geen vragen gekozen.", S.body))
    else:
        for make in (phase_chart, question_chart):
            drawing, title, _description = make(doc)
            story += [
                CondPageBreak(5 * cm),
                FallbackParagraph(text_markup(title), S.h1),
                pdf_flowable(drawing),
            ]
        story += _phase_tables(doc)
    story += source_colophon(doc.source)
    return build_pdf(
        story,
        title=f"{doc.title} — vergelijking van rondes",
        subject=f"Zelfbeoordeling per vraag en fase over {all_rounds} rondes, regio {doc.region}",
        decoration=page_decoration(
            f"{doc.title} — vergelijking", doc.region, doc.generated_at, doc.source
        ),
    )


def _phase_tables(doc: ComparisonDocument) -> list[Flowable]:
    rounds = len(doc.rounds)
    number_w = NUMBER_COLUMN_WIDTH  # (room for "(vervolg)")
    question_w = max(CONTENT_WIDTH * 0.3, CONTENT_WIDTH - number_w - rounds * 88)
    round_w = (CONTENT_WIDTH - number_w - question_w) / rounds
    widths = [number_w, question_w, *([round_w] * rounds)]
    headers = ["Nr.", "Vraag", *(f"Ronde {c.label}" for c in doc.rounds)]
    story: list[Flowable] = []
    headings: list[Flowable] = [FallbackParagraph("Per fase en per vraag", S.h1_table)]
    for phase in doc.phases:
        rows: list[list] = [header_row(headers)]
        averages = []
        for summary in phase.summaries:
            average = text_markup(summary.average_text)
            parts = [f"<b>Gemiddeld: {average}</b>{_trend_text(summary.trend)}"]
            parts += [f"{text_markup(label)}: {count}" for label, count in summary.distribution]
            averages.append(Para("<br/>".join(parts), S.cell_small))
        rows.append(["", Para("<b>De hele fase</b>", S.cell_small), *averages])
        for question in phase.questions:
            text = clean_text(question.text)
            if not question.in_newest:
                text += " (niet meer in de nieuwste versie)"
            rows.append(
                [
                    question.number,
                    text_para(text, S.cell_small),
                    *(_step_cell(cell) for cell in question.cells),
                ]
            )
        headings.append(FallbackParagraph(f"Fase: {text_markup(phase.name)}", H2_TABLE))
        table = data_table(rows, widths)
        story += [RoomFor(headings, table_start(table)), *headings, table]
        headings = []
    return story


# --- the agenda ---------------------------------------------------------------------------------

AGENDA_COLUMNS = ("Nr.", "Actie en laatste voortgang", "Uiterlijk", "Status")
_NR_W, _DATE_W, _STATUS_W = NUMBER_COLUMN_WIDTH, 66, 62  # (room for "(vervolg)")
AGENDA_WIDTHS = (_NR_W, CONTENT_WIDTH - _NR_W - _DATE_W - _STATUS_W, _DATE_W, _STATUS_W)


def _agenda_row(action: AgendaAction) -> list:
    w = AGENDA_WIDTHS
    cell: list[Flowable] = text_paragraphs(action.description, S.cell, Para) or [Para("—", S.cell)]
    where = f"{action.conversation_title} ({date_short(action.conversation_held_on)})"
    if action.question:
        where += f" · vraag {action.question}"
    cell.append(text_para(where, S.cell_note))
    if action.update_text or action.update_on:
        cell.append(
            Para(
                f"<b>Laatste voortgang {date_short(action.update_on)}:</b> "
                f"{text_markup(action.update_text)}",
                S.cell_small,
            )
        )
    else:
        cell.append(Para("Nog geen voortgang vastgelegd.", S.cell_note))
    due = date_short(action.due_date) or "—"
    if action.is_overdue:
        due_cell: object = Para(f"{due}<br/><b>te laat</b>", S.cell)
    else:
        due_cell = due
    return [str(action.position), cell, due_cell, table_cell(action.status_label, w[3])]


def render_agenda_pdf(doc: AgendaDocument) -> bytes:
    """The region's open action points by trekker and phase, overdue first, with their latest
    progress: the agenda a project group opens its next meeting with."""
    story: list[Flowable] = [
        FallbackParagraph("Agenda volgende overleg", S.kicker),
        text_para(doc.title, S.title, FallbackParagraph),
        Spacer(1, 4),
    ]
    summary = [
        FallbackParagraph(f"<b>Regio:</b> {text_markup(doc.region)}", S.meta),
        FallbackParagraph(
            f"<b>Open actiepunten:</b> {number(doc.total)}, waarvan {number(doc.overdue_total)} "
            "te laat",
            S.meta,
        ),
        FallbackParagraph(
            "Per trekker en per fase; wat te laat is staat bovenaan en is gemarkeerd met "
            "‘te laat’. Het nummer is het nummer op de actielijst van het gesprek.",
            S.meta_muted,
        ),
    ]
    story.append(tinted_box(summary, CONTENT_WIDTH))
    if doc.shown < doc.total:
        story.append(
            FallbackParagraph(
                f"Deze pdf toont de eerste {number(doc.shown)} van de {number(doc.total)} open "
                "actiepunten. De agenda op de website toont ze allemaal, over meer pagina's.",
                S.body_after,
            )
        )
    if not doc.owners:
        story.append(FallbackParagraph("Er zijn geen open actiepunten in deze regio.", S.body))
    for owner in doc.owners:
        heading = f"Trekker: {text_markup(owner.name)}"
        counts = f"{owner.count} open"
        if owner.overdue:
            counts += f", {owner.overdue} te laat"
        # The headings go on the page of the table's first row.
        headings: list[Flowable] = [
            FallbackParagraph(f"{heading} <font size='10'>({counts})</font>", S.h1_table)
        ]
        for phase in owner.phases:
            rows: list[list] = [header_row(AGENDA_COLUMNS)]
            rows += [_agenda_row(action) for action in phase.actions]
            headings.append(FallbackParagraph(f"Fase: {text_markup(phase.name)}", H2_TABLE))
            table = data_table(rows, AGENDA_WIDTHS)
            story += [RoomFor(headings, table_start(table)), *headings, table]
            headings = []
        story += headings
    story += source_colophon(doc.source)
    return build_pdf(
        story,
        title=doc.title,
        subject=f"Open en te late actiepunten van regio {doc.region}, per trekker en fase",
        decoration=page_decoration(
            f"Agenda volgende overleg, {date_long(doc.on)}",
            doc.region,
            doc.generated_at,
            doc.source,
        ),
    )
