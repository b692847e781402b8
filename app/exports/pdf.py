"""PDF renderings of a conversation: the action list and the blank printable plate, in the
shared look of ``pdf_layout.py`` (page, fonts, styles, tables).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.units import cm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    PageBreak,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from ..core.formatting import date_long, date_short
from ..indicators.charts import pdf_flowable
from ..indicators.presentation import format_value
from ..questionnaires.schema import Question
from ..workshops.spread import RoomSpread, spread_flowable
from .document import (
    ActionListDocument,
    ActionRow,
    BlankPlateDocument,
    FigureRow,
    OverviewRow,
    ParticipantRow,
    ProgressNote,
)
from .pdf_layout import (
    BLUE,
    BODY_FONT,
    BOLD_FONT,
    CELL_PADDING,
    CELL_STYLE,
    CONTENT_WIDTH,
    GRID,
    MUTED,
    NUMBER_COLUMN_WIDTH,
    QUESTION_INDENT,
    RTL_SCRIPT,
    TEXT,
    TINT,
    WRITING_LINE,
    ChoiceLine,
    FallbackParagraph,
    Para,
    RoomFor,
    RowTable,
    S,
    WritingLines,
    build_pdf,
    clean_text,
    cleaned_markup,
    data_table,
    encodable,
    fits_on_line,
    grid_style,
    header_row,
    page_decoration,
    question_heading,
    source_attribution,
    source_colophon,
    table_cell,
    table_start,
    text_markup,
    text_para,
    text_paragraphs,
    tinted_box,
)

__all__ = ["render_action_list_pdf", "render_blank_plate_pdf", "source_attribution"]


ACTION_COLUMNS = ("Nr.", "Actie", "Fase / vraag", "Trekker", "Uiterlijk", "Status")
# Nr. | Actie | Fase / vraag | Trekker | Uiterlijk | Status  (sum: CONTENT_WIDTH)
_DATE_WIDTH = stringWidth("00-00-0000", BODY_FONT, 9) + 2 * CELL_PADDING + 2
#: Wide enough for the longest status label on one line.
_STATUS_WIDTH = (
    max(stringWidth(label, BODY_FONT, 9) for label in ("Vervallen", "Verankerd", "Afgerond"))
    + 2 * CELL_PADDING
    + 4
)
#: Room for "9999", and for "(vervolg)" below the number of a row continued on the next page.
_NR_WIDTH = max(stringWidth("9999", BODY_FONT, 9) + 2 * CELL_PADDING + 2, NUMBER_COLUMN_WIDTH)
_FLEX = CONTENT_WIDTH - _DATE_WIDTH - _STATUS_WIDTH - _NR_WIDTH
ACTION_WIDTHS = (
    _NR_WIDTH,
    _FLEX * 0.46,
    _FLEX * 0.29,
    _FLEX * 0.25,
    _DATE_WIDTH,
    _STATUS_WIDTH,
)


# --------------------------------------------------------------------------------------------
# The action list
# --------------------------------------------------------------------------------------------


def render_action_list_pdf(doc: ActionListDocument) -> bytes:
    """The conversation as a board document: who took part, the answers per phase, the action
    list as a table, the figures the action points are meant to move, and a block to sign it
    off."""
    story: list[Flowable] = []
    story += _title_block(doc)
    story += _participants(doc.participants)
    if doc.sections:
        # The headings not yet in the story: they go right before the next question (and keep
        # with it), after the page break that a question with the room's chart may need.
        headings: list[Flowable] = [FallbackParagraph("Antwoorden per fase", S.h1)]
        for section in doc.sections:
            headings.append(FallbackParagraph(f"Fase: {text_markup(section.name)}", S.h2))
            for question in section.questions:
                if question.room_spread is not None:  # the room's chart stays with its question
                    story.append(RoomFor(headings, extra=ROOM_SPREAD_ROOM))
                story += headings
                headings = []
                story += question_heading(question.number, question.text, question.follow_ups)
                answer = text_paragraphs(question.answer, S.answer)
                story += answer or [FallbackParagraph("Niet beantwoord", S.not_answered)]
                assessment = (
                    text_markup(question.assessment)
                    if clean_text(question.assessment).strip()
                    else f'<font color="{MUTED.hexval()}">niet ingevuld</font>'
                )
                line = FallbackParagraph(f"<b>Zelfbeoordeling:</b> {assessment}", S.assessment)
                if question.room_spread is not None:
                    story.append(_room_spread(question.room_spread, line))
                else:
                    story.append(line)
        story += headings
        story.append(PageBreak())
    story += _action_list(doc)
    story += _figures_section(doc.actions)
    story.append(_signature_block())
    story += source_colophon(doc.source)

    held_on = date_long(doc.held_on)
    return build_pdf(
        story,
        title=f"{doc.title} — actiepuntenlijst",
        subject=(
            f"Antwoorden en actiepunten van het gesprek '{doc.questionnaire_title}'"
            f" in regio {doc.region}, gehouden op {held_on}"
        ),
        decoration=page_decoration(doc.title, doc.region, doc.generated_at, doc.source),
    )


def _action_list(doc: ActionListDocument) -> list[Flowable]:
    """The heading, what "te laat" and "binnenkort" are measured against, and the table; the
    heading never ends a page without the table's first row (``RoomFor``: keepWithNext would
    measure the whole, possibly 1,000-row, table in one go)."""
    above: list[Flowable] = [FallbackParagraph("Actiepuntenlijst", S.h1_table)]
    if not doc.actions:
        above.append(FallbackParagraph("Er zijn nog geen actiepunten afgesproken.", S.body))
        return [RoomFor(above), *above]
    if doc.as_of is not None and doc.has_due_marks:
        above.append(
            FallbackParagraph(
                f"‘Te laat’ en ‘binnenkort’ (klaar binnen {doc.due_soon_days} dagen): stand van "
                f"{date_long(doc.as_of)}.",
                S.body_after,
            )
        )
    table = _action_table(doc.actions)
    return [RoomFor(above, table_start(table)), *above, table]


def _title_block(doc: ActionListDocument) -> list[Flowable]:
    questionnaire = (
        f"{text_markup(doc.questionnaire_title)} (versie {text_markup(doc.questionnaire_version)})"
    )
    lines = [
        FallbackParagraph(f"<b>Regio:</b> {text_markup(doc.region)}", S.meta),
        FallbackParagraph(f"<b>Gesprek gehouden op</b> {date_long(doc.held_on)}", S.meta),
        FallbackParagraph(
            f"<b>Fase van de samenwerking:</b> {text_markup(doc.current_phase)}", S.meta
        ),
        FallbackParagraph(f"<b>Vragenlijst:</b> {questionnaire}", S.meta),
    ]
    if doc.questionnaire_subtitle:
        lines.append(FallbackParagraph(text_markup(doc.questionnaire_subtitle), S.meta_muted))
    return [
        FallbackParagraph("Verslag en actiepuntenlijst", S.kicker),
        text_para(doc.title, S.title, FallbackParagraph),
        Spacer(1, 4),
        tinted_box(lines, CONTENT_WIDTH),
    ]


#: The small chart of a workshop room's spread under an answer.
ROOM_SPREAD_CHART_WIDTH = 260
#: A question with the room's spread starts on a new page when less than this is left.
ROOM_SPREAD_ROOM = 8 * cm


def _room_spread(spread: RoomSpread, assessment: Flowable) -> Flowable:
    """The table's self-assessment with how a workshop's room placed the question on the
    scale below it: the sentence (which says all the chart shows) and, when anyone placed
    it, the small chart."""
    parts: list[Flowable] = [
        assessment,
        FallbackParagraph(
            f"<b>Zo zag de zaal het:</b> {text_markup(spread.sentence)}", S.assessment
        ),
    ]
    if spread.participants:
        chart = spread_flowable(spread, width=ROOM_SPREAD_CHART_WIDTH)
        parts += [Spacer(1, 2), _Indented(chart)]
    return KeepTogether(parts)


PARTICIPANT_WIDTHS = tuple(CONTENT_WIDTH * f for f in (0.25, 0.31, 0.2, 0.24))


def _participants(participants: Sequence[ParticipantRow]) -> list[Flowable]:
    flowables: list[Flowable] = [FallbackParagraph("Deelnemers", S.h1)]
    if not participants:
        flowables.append(FallbackParagraph("Er zijn geen deelnemers vastgelegd.", S.body))
        return flowables
    w = PARTICIPANT_WIDTHS
    rows: list[list] = [header_row(("Naam", "Organisatie", "Soort organisatie", "Rol"))]
    for p in participants:
        rows.append(
            [
                table_cell(p.name, w[0]),
                table_cell(p.organisation, w[1]),
                table_cell(p.organisation_type, w[2]),
                table_cell(p.role, w[3]),
            ]
        )
    flowables.append(data_table(rows, w))
    return flowables


def _description_cell(
    description: str, priority: str, figures: int = 0, update: ProgressNote | None = None
) -> list[Flowable]:
    """The action, one Paragraph per line (so that a row taller than a page splits cleanly
    between lines), with its priority below, where to find its figures and its latest
    progress update. Plain one-style Paragraphs: reportlab lays those out much faster than
    mixed markup."""
    cell = text_paragraphs(description, S.cell, Para) or [Para("—", S.cell)]
    priority = clean_text(priority).strip()
    if priority:
        cell.append(Para(f"Prioriteit: {text_markup(priority)}", S.cell_note))
    if figures:
        count = "1 cijfer" if figures == 1 else f"{figures} cijfers"
        cell.append(Para(f"{count}: zie Cijfers bij de actiepunten", S.cell_note))
    if update is not None:
        cell.append(progress_paragraph(update))
    return cell


#: The most characters of a progress update a PDF table cell shows.
UPDATE_EXCERPT = 300


def progress_paragraph(update: ProgressNote) -> Paragraph:
    """The note "Laatste voortgang 05-03-2026: ..." in the muted style, cut off after
    ``UPDATE_EXCERPT`` characters."""
    text = " ".join(clean_text(update.text).split())
    if len(text) > UPDATE_EXCERPT:
        text = text[:UPDATE_EXCERPT].rstrip() + "…"
    label = f"Laatste voortgang {date_short(update.written_on)}"
    return text_para(f"{label}: {text}" if text else label, S.cell_note)


def _action_table(actions: Sequence[ActionRow]) -> Table:
    w = ACTION_WIDTHS
    rows: list[list] = [header_row(ACTION_COLUMNS)]
    for action in actions:
        phase, question = clean_text(action.phase).strip(), clean_text(action.question).strip()
        if phase and question:
            where: str | list[Flowable] = [
                text_para(phase, S.cell_small_bold),
                text_para(question, S.cell_small),
            ]
        else:
            where = table_cell(phase or question or "—", w[2])

        name, organisation = (
            clean_text(action.owner_name).strip(),
            clean_text(action.owner_organisation).strip(),
        )
        if not (name or organisation):
            owner: str | Paragraph = "—"
        elif (
            "\n" not in name + organisation
            and encodable(name + organisation)
            and fits_on_line(name, w[3])
            and fits_on_line(organisation, w[3])
        ):
            owner = f"{name}\n{organisation}" if name and organisation else name or organisation
        else:
            owner = text_para("\n".join(t for t in (name, organisation) if t), S.cell)

        rows.append(
            [
                str(action.number),
                _description_cell(
                    action.description, action.priority, len(action.figures), action.latest_update
                ),
                where,
                owner,
                due_cell(action),
                table_cell(action.status, w[5]),
            ]
        )
    return data_table(rows, w)


def due_cell(row: ActionRow | OverviewRow) -> str | list[Flowable]:
    """The date, with "Te laat" or "Binnenkort" below it as on the web page."""
    day = date_short(row.due_date) or "—"
    if row.is_overdue:
        return [Para(day, S.cell), Para("Te laat", S.cell_bold)]
    if row.is_due_soon:
        return [Para(day, S.cell), Para("Binnenkort", S.cell_bold)]
    return day


# --------------------------------------------------------------------------------------------
# The figures of the action points
# --------------------------------------------------------------------------------------------

FIGURE_COLUMNS = ("Indicator", "Beginwaarde", "Laatste waarde", "Doel", "Stand en verloop")


def _header_width(label: str, minimum: float) -> float:
    """A column at least as wide as its (bold) header on one line."""
    return max(stringWidth(label, BOLD_FONT, 9) + 2 * CELL_PADDING + 2, minimum)


#: Beginwaarde, Laatste waarde, Doel: room for "1.234.567" and a period like "2020/2021".
_VALUE_WIDTHS = tuple(
    _header_width(label, minimum)
    for label, minimum in zip(FIGURE_COLUMNS[1:4], (62, 62, 58), strict=True)
)
_TRACK_WIDTH = 88
FIGURE_WIDTHS = (
    CONTENT_WIDTH - sum(_VALUE_WIDTHS) - _TRACK_WIDTH,
    *_VALUE_WIDTHS,
    _TRACK_WIDTH,
)
#: The small chart below the status: as wide as the column allows.
SPARKLINE_SIZE = (_TRACK_WIDTH - 2 * CELL_PADDING, 26)

#: The status in colour as well as in words: good, bad, neither.
TRACK_COLORS = {
    True: colors.HexColor("#2e6b15"),
    False: colors.HexColor("#a4262c"),
    None: MUTED,
}
SPARKLINE_LEGEND = (
    "Verloop: de lijn toont de waarde per periode, de stip de laatste waarde. De grijze lijn is "
    "de beginwaarde, de stippellijn het doel."
)


def _figures_section(actions: Sequence[ActionRow]) -> list[Flowable]:
    """One table of every action point's linked indicators, grouped by action point: per
    indicator the baseline, the latest value and the target (each with its period), the status
    with a small chart, and the story behind the figure below it."""
    linked = [action for action in actions if action.figures]
    if not linked:
        return []
    above = [
        FallbackParagraph("Cijfers bij de actiepunten", S.h2),
        FallbackParagraph(
            "Bij deze actiepunten is afgesproken welk cijfer moet veranderen. Per cijfer ziet u "
            "waar het begon, de laatste meting, het doel en hoe het ervoor staat.",
            S.body_after,
        ),
    ]
    # The start of the table: the first action point with its first figure.
    first = replace(linked[0], figures=linked[0].figures[:1])
    start = _figure_table([first], legend=False)
    return [RoomFor(above, start), *above, _figure_table(linked)]


def _figure_table(actions: Sequence[ActionRow], *, legend: bool = True) -> Table:
    """The figures per action point; below them (as the last row, which never goes to a page
    of its own) the legend of the small charts."""
    w = FIGURE_WIDTHS
    header = [
        Para(escape(label), S.cell_header_number if 0 < i < 4 else S.cell_header)
        for i, label in enumerate(FIGURE_COLUMNS)
    ]
    rows: list[list] = [header]
    style: list[tuple] = [
        *CELL_STYLE,
        ("BACKGROUND", (0, 0), (-1, 0), BLUE),
        ("BOX", (0, 0), (-1, -1), 0.4, GRID),
    ]
    for action in actions:
        first = len(rows)
        rows.append([_figure_action_cell(action)] + [""] * (len(w) - 1))
        style += [
            ("SPAN", (0, first), (-1, first)),
            ("BACKGROUND", (0, first), (-1, first), TINT),
            ("LINEABOVE", (0, first), (-1, first), 0.4, GRID),
            ("LINEBEFORE", (0, first), (0, first), 3, BLUE),
        ]
        for index, figure in enumerate(action.figures):
            top = len(rows)
            rows.append(_figure_cells(figure))
            story = clean_text(figure.story).strip()
            if story:
                rows.append([_story_cell(story)] + [""] * (len(w) - 1))
                style += [
                    ("SPAN", (0, top + 1), (-1, top + 1)),
                    ("TOPPADDING", (0, top + 1), (-1, top + 1), 0),
                    ("BOTTOMPADDING", (0, top + 1), (-1, top + 1), 7),
                ]
            bottom = len(rows) - 1
            if index:
                style.append(("LINEABOVE", (0, top), (-1, top), 0.4, GRID))
            # An action point never ends a page without its first figure; a figure never
            # leaves its story behind.
            style.append(("NOSPLIT", (0, first if index == 0 else top), (-1, bottom)))
            style.append(("LINEAFTER", (0, top), (-2, top), 0.4, GRID))
    if legend:  # outside the box, and on the page of the last figure
        last = len(rows)
        rows.append([Para(SPARKLINE_LEGEND, S.meta_muted)] + [""] * (len(w) - 1))
        style[style.index(("BOX", (0, 0), (-1, -1), 0.4, GRID))] = (
            "BOX",
            (0, 0),
            (-1, last - 1),
            0.4,
            GRID,
        )
        style += [
            ("SPAN", (0, last), (-1, last)),
            ("LEFTPADDING", (0, last), (-1, last), 0),
            ("TOPPADDING", (0, last), (-1, last), 6),
            ("NOSPLIT", (0, top), (-1, last)),
        ]
    table = RowTable(
        rows, colWidths=list(w), repeatRows=1, splitByRow=1, splitInRow=0, hAlign="LEFT"
    )
    table.setStyle(TableStyle(style))
    return table


def _figure_action_cell(action: ActionRow) -> Paragraph:
    """ "Actiepunt 3: the action's first line", cut off after some 150 characters: the whole
    text is in the action list above."""
    text = " ".join(clean_text(action.description).split())
    if len(text) > 150:
        text = text[:150].rsplit(" ", 1)[0].rstrip(" ,.;:") + "…"
    return text_para(f"Actiepunt {action.number}: {text}", S.figure_action)


def _figure_cells(figure: FigureRow) -> list:
    unit = clean_text(figure.unit).strip()
    label: list[Flowable] = [text_para(figure.label, S.cell_bold)]
    if unit and unit != "%":
        label.append(text_para(f"in {unit}", S.cell_note))
    status = Para(
        f'<font color="{TRACK_COLORS[figure.on_track].hexval()}">'
        f"{text_markup(figure.status)}</font>",
        S.figure_status,
    )
    track: list[Flowable] = [status]
    if any(value is not None for value in figure.series):
        track += [Spacer(1, 3), pdf_flowable(figure.sparkline(*SPARKLINE_SIZE))]
    return [
        label,
        _value_cell(figure.baseline, figure.unit, figure.baseline_period),
        _value_cell(figure.latest, figure.unit, figure.latest_period, bold=True),
        _value_cell(figure.target, figure.unit, figure.target_period),
        track,
    ]


def _value_cell(value: float | None, unit: str, period: str, *, bold: bool = False) -> list:
    cell = [Para(escape(format_value(value, unit)), S.number_bold if bold else S.number)]
    period = clean_text(period).strip()
    if period and value is not None:
        cell.append(text_para(period, S.number_period))
    return cell


#: A story with more lines than this is set as one paragraph: a figure and its story never
#: split between pages, so they must fit on one.
STORY_MAX_LINES = 8


def _story_cell(story: str) -> list[Flowable]:
    """The story behind the figure, below the figure across the whole table."""
    lines = [line.strip() for line in story.split("\n") if line.strip()]
    story = ("\n" if len(lines) <= STORY_MAX_LINES else " ").join(lines)
    if RTL_SCRIPT.search(story):
        return [Para("Het verhaal achter het cijfer:", S.cell_small_bold)] + text_paragraphs(
            story, S.figure_story, Para
        )
    return [
        Para(
            f"<b>Het verhaal achter het cijfer:</b> {cleaned_markup(story)}",
            S.figure_story,
        )
    ]


def _write_in_table(
    rows: list[list[str]],
    *,
    col_widths: Sequence[float],
    row_heights,
    line_columns: Sequence[int],
    font: str,
    color,
    line: tuple[float, object],
) -> Table:
    """Labels with a ruled line to write on beside them (sign-off block, plate header)."""
    table = Table(rows, colWidths=list(col_widths), rowHeights=row_heights, hAlign="LEFT")
    style = [
        ("FONT", (0, 0), (-1, -1), font, 9),
        ("TEXTCOLOR", (0, 0), (-1, -1), color),
        ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]
    style += [("LINEBELOW", (col, 0), (col, -1), *line) for col in line_columns]
    table.setStyle(TableStyle(style))
    return table


def _signature_block() -> KeepTogether:
    gap = 0.8 * cm
    label_width = 2.6 * cm
    line_width = (CONTENT_WIDTH - gap - 2 * label_width) / 2
    labels = ("Naam", "Functie", "Datum", "Handtekening")
    table = _write_in_table(
        [[label, "", "", label, ""] for label in labels],
        col_widths=[label_width, line_width, gap, label_width, line_width],
        row_heights=[26, 26, 26, 52],
        line_columns=(1, 4),
        font=BODY_FONT,
        color=MUTED,
        line=(0.6, TEXT),
    )
    return KeepTogether(
        [
            FallbackParagraph("Vastgesteld door", S.h2),
            FallbackParagraph(
                "De antwoorden en de actiepunten in dit document zijn vastgesteld door:",
                S.body,
            ),
            table,
            Spacer(1, 6),
        ]
    )


# --------------------------------------------------------------------------------------------
# The blank plate
# --------------------------------------------------------------------------------------------


def render_blank_plate_pdf(doc: BlankPlateDocument) -> bytes:
    """The plate to print for a meeting without laptops: every question with its guidance, boxes
    for the self-assessment, lines to write on, and an empty action list at the back."""
    q = doc.questionnaire
    scale = [clean_text(step.label).strip() for step in q.assessment_scale]
    story: list[Flowable] = [
        FallbackParagraph("Lege gespreksplaat", S.kicker),
        text_para(q.title, S.title, FallbackParagraph),
    ]
    if q.subtitle:
        story.append(FallbackParagraph(text_markup(q.subtitle), S.subtitle))
    story.append(_fill_in_fields([phase.name for phase in q.phases]))

    story.append(FallbackParagraph("Over deze plaat", S.h1))
    story += text_paragraphs(q.introduction, S.body_after)

    story.append(FallbackParagraph("Zelfbeoordeling", S.h1))
    story.append(
        FallbackParagraph(
            "Kruis bij elke vraag aan hoe de samenwerking er op dit punt voor staat.",
            S.body_after,
        )
    )
    label_width = 0.3 * CONTENT_WIDTH
    scale_rows = [
        [text_para(step.label, S.cell_bold), text_para(step.description, S.cell)]
        for step in q.assessment_scale
    ]
    scale_table = Table(
        [header_row(("Stap", "Betekenis")), *scale_rows],
        colWidths=[label_width, CONTENT_WIDTH - label_width],
        repeatRows=1,
        hAlign="LEFT",
    )
    scale_table.setStyle(TableStyle(grid_style()))
    story.append(scale_table)

    for phase_number, phase in enumerate(q.phases, start=1):
        heading: Flowable | None = FallbackParagraph(f"Fase: {text_markup(phase.name)}", S.h1)
        for question_number, question in enumerate(phase.questions, start=1):
            number = f"{phase_number}.{question_number}"
            story.append(_blank_question(number, question, scale, heading=heading))
            heading = None

    story.append(PageBreak())
    story.append(FallbackParagraph("Actiepuntenlijst (de achterkant)", S.h1))
    story.append(
        FallbackParagraph(
            "Noteer hier de acties die uit het gesprek komen: wat er moet gebeuren, bij welke "
            "vraag het hoort, wie de trekker is en wanneer het klaar moet zijn.",
            S.body_after,
        )
    )
    story.append(_empty_action_table(doc.empty_action_rows))
    story += source_colophon(q.source)

    return build_pdf(
        story,
        title=f"{q.title} — lege gespreksplaat",
        subject=(
            f"Printbare gespreksplaat '{q.title}' (versie {q.version})"
            " met een lege actiepuntenlijst"
        ),
        decoration=page_decoration(q.title, "Lege gespreksplaat", doc.generated_at, q.source),
    )


def _fill_in_fields(phase_names: Sequence[str]) -> Flowable:
    label_width = 4.2 * cm
    fields = _write_in_table(
        [["Regio", ""], ["Datum van het gesprek", ""], ["Aanwezig", ""], ["", ""]],
        col_widths=[label_width, CONTENT_WIDTH - label_width],
        row_heights=22,
        line_columns=(1,),
        font=BOLD_FONT,
        color=TEXT,
        line=(0.5, WRITING_LINE),
    )
    return KeepTogether(
        [
            Spacer(1, 4),
            fields,
            Spacer(1, 10),
            ChoiceLine("Fase van de samenwerking:", phase_names),
        ]
    )


def _blank_question(
    number: str, question: Question, scale: Sequence[str], *, heading: Flowable | None = None
) -> KeepTogether:
    """One question to fill in by hand, kept on one page (with the phase heading before it)."""
    parts = [heading] if heading else []
    parts += question_heading(number, question.text, question.follow_ups)
    if question.guidance:
        guidance: list[Flowable] = [FallbackParagraph("Handvat", S.label)]
        guidance += [FallbackParagraph(text_markup(g), S.guidance) for g in question.guidance]
        parts += [Spacer(1, 5), _Indented(tinted_box(guidance, CONTENT_WIDTH - QUESTION_INDENT))]
    parts += [
        Spacer(1, 8),
        ChoiceLine("Zelfbeoordeling:", scale, indent=QUESTION_INDENT),
        Spacer(1, 4),
        FallbackParagraph("Antwoord en afspraken:", S.lines_label),
        Spacer(1, 2),
        WritingLines(4, indent=QUESTION_INDENT),
        Spacer(1, 6),
    ]
    return KeepTogether(parts)


class _Indented(Flowable):
    """A flowable shifted right by the question indent."""

    def __init__(self, flowable: Flowable, indent: float = QUESTION_INDENT):
        super().__init__()
        self.flowable, self.indent = flowable, indent

    def wrap(self, avail_width, avail_height):
        w, h = self.flowable.wrap(avail_width - self.indent, avail_height)
        self.width, self.height = w + self.indent, h
        return self.width, self.height

    def draw(self):
        self.flowable.drawOn(self.canv, self.indent, 0)


def _empty_action_table(count: int) -> Table:
    rows: list[list] = [header_row(ACTION_COLUMNS)]
    rows += [[str(n), "", "", "", "", ""] for n in range(1, max(0, count) + 1)]
    table = Table(
        rows,
        colWidths=list(ACTION_WIDTHS),
        rowHeights=[None] + [40] * max(0, count),
        repeatRows=1,
        hAlign="LEFT",
    )
    table.setStyle(TableStyle(grid_style(zebra=False) + [("TEXTCOLOR", (0, 1), (0, -1), MUTED)]))
    return table
