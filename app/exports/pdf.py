"""PDF renderings of a conversation: the action list and the blank printable plate.

Both renderers share one page layout (A4 portrait, a header with the document title, a footer
with the NJi source attribution and "pagina X van Y"), one set of styles and one build function.
Only the standard Helvetica fonts are used, so no font files are needed. Those fonts know only the
WinAnsi characters: any other character gets a stand-in (an accent is dropped, "→" becomes "->")
rather than the black box reportlab would draw.

All user text is escaped for Paragraph markup; line breaks are kept. Long texts (10,000
characters) are fine: answers become one Paragraph per line, and a table row taller than a page
is split inside the row (see ``_RowTable``).
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
    Frame,
    KeepTogether,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from ..core.formatting import date_long, date_short, datetime_long
from ..questionnaires.schema import Question, Source
from .document import ActionListDocument, ActionRow, BlankPlateDocument, ParticipantRow

__all__ = ["render_action_list_pdf", "render_blank_plate_pdf", "source_attribution"]

# --------------------------------------------------------------------------------------------
# Page geometry and colours
# --------------------------------------------------------------------------------------------

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN_X = 2 * cm
MARGIN_TOP = 2.5 * cm
MARGIN_BOTTOM = 2.9 * cm
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN_X
FRAME_HEIGHT = PAGE_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM

HEADER_BASELINE = PAGE_HEIGHT - 1.35 * cm
HEADER_RULE = PAGE_HEIGHT - 1.55 * cm
FOOTER_RULE = 2.15 * cm
FOOTER_BASELINE = 1.7 * cm
ATTRIBUTION_BASELINE = 1.25 * cm

BLUE = colors.HexColor("#154273")  # Rijkshuisstijl donkerblauw
TEXT = colors.HexColor("#1f1f1f")
MUTED = colors.HexColor("#595959")
RULE = colors.HexColor("#8fa3b8")
GRID = colors.HexColor("#b4c2d0")
ZEBRA = colors.HexColor("#eef2f7")
TINT = colors.HexColor("#e3ecf5")
WRITING_LINE = colors.HexColor("#a6b1bc")

BODY_FONT = "Helvetica"
BOLD_FONT = "Helvetica-Bold"
ITALIC_FONT = "Helvetica-Oblique"

CELL_PADDING = 4  #: left/right padding of table cells, in points


# --------------------------------------------------------------------------------------------
# Styles: created once, shared by both renderers (never mutated after import)
# --------------------------------------------------------------------------------------------


def _style(name: str, **kwargs) -> ParagraphStyle:
    base = {
        "fontName": BODY_FONT,
        "fontSize": 10,
        "leading": 14,
        "textColor": TEXT,
        "splitLongWords": 1,
    }
    base.update(kwargs)
    return ParagraphStyle(name, **base)


QUESTION_INDENT = 26


class _Styles:
    kicker = _style("kicker", fontName=BOLD_FONT, fontSize=9, leading=12, textColor=BLUE)
    title = _style(
        "title", fontName=BOLD_FONT, fontSize=20, leading=25, textColor=BLUE, spaceAfter=4
    )
    subtitle = _style("subtitle", fontSize=12, leading=16, textColor=BLUE, spaceAfter=10)
    h1 = _style(
        "h1",
        fontName=BOLD_FONT,
        fontSize=14,
        leading=18,
        textColor=BLUE,
        spaceBefore=16,
        spaceAfter=8,
        keepWithNext=1,
    )
    #: The heading above the 1,000-row action table: keeping it with the table would make
    #: reportlab measure every row at once.
    h1_table = ParagraphStyle("h1_table", parent=h1, keepWithNext=0)
    h2 = _style(
        "h2",
        fontName=BOLD_FONT,
        fontSize=12,
        leading=16,
        textColor=BLUE,
        spaceBefore=12,
        spaceAfter=6,
        keepWithNext=1,
    )
    body = _style("body")
    body_after = _style("body_after", spaceAfter=6)
    meta = _style("meta", leading=15)
    meta_muted = _style("meta_muted", fontSize=9, leading=13, textColor=MUTED)
    question = _style(
        "question",
        fontName=BOLD_FONT,
        leftIndent=QUESTION_INDENT,
        bulletIndent=0,
        bulletFontName=BOLD_FONT,
        bulletFontSize=10,
        spaceBefore=10,
        spaceAfter=2,
        keepWithNext=1,
    )
    follow_up = _style(
        "follow_up",
        fontName=ITALIC_FONT,
        fontSize=9,
        leading=12,
        textColor=MUTED,
        leftIndent=QUESTION_INDENT,
        spaceAfter=1,
        keepWithNext=1,
    )
    answer = _style("answer", leftIndent=QUESTION_INDENT)
    not_answered = _style(
        "not_answered", fontName=ITALIC_FONT, textColor=MUTED, leftIndent=QUESTION_INDENT
    )
    assessment = _style(
        "assessment", fontSize=9, leading=12, leftIndent=QUESTION_INDENT, spaceBefore=4
    )
    label = _style("label", fontName=BOLD_FONT, fontSize=9, leading=12, textColor=BLUE)
    guidance = _style("guidance", fontSize=9, leading=12.5, spaceAfter=3)
    cell = _style("cell", fontSize=9, leading=11.5)
    cell_small = _style("cell_small", fontSize=8, leading=10.5)
    cell_small_bold = _style("cell_small_bold", fontName=BOLD_FONT, fontSize=8, leading=10.5)
    cell_note = _style("cell_note", fontSize=8, leading=11, textColor=MUTED)
    cell_bold = _style("cell_bold", fontName=BOLD_FONT, fontSize=9, leading=11.5)
    cell_header = _style(
        "cell_header", fontName=BOLD_FONT, fontSize=9, leading=11.5, textColor=colors.white
    )
    lines_label = _style(
        "lines_label", fontName=BOLD_FONT, fontSize=9, leading=12, leftIndent=QUESTION_INDENT
    )


S = _Styles


class _Para(Paragraph):
    """A Paragraph that remembers its layout for the last width.

    A long table measures each cell several times (to fill a page, to split it, to draw it);
    Paragraph.wrap depends on the width only, so laying out the lines once is enough.
    """

    _wrapped: tuple[float, tuple[float, float]] | None = None

    def wrap(self, availWidth, availHeight):
        cached = self._wrapped
        # (split() drops blPara when it gives up; then the lines must be laid out again)
        if cached is not None and cached[0] == availWidth and "blPara" in self.__dict__:
            self.width, self.height = cached[1]
            return cached[1]
        size = super().wrap(availWidth, availHeight)
        self._wrapped = (availWidth, size)
        return size


# --------------------------------------------------------------------------------------------
# Text helpers
# --------------------------------------------------------------------------------------------

# Control characters break nothing in reportlab, but show as boxes; zero-width characters too.
_INVISIBLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u2028\u2029\u2060\ufeff]")


# The standard PDF fonts only have the WinAnsi (cp1252) characters; reportlab draws a black box
# for any other. Common ones get a stand-in; letters with accents lose the accent.
_STAND_INS = str.maketrans(
    {
        "\u2192": "->",
        "\u2190": "<-",
        "\u2194": "<->",
        "\u21d2": "=>",
        "\u2265": ">=",
        "\u2264": "<=",
        "\u2260": "!=",
        "\u2248": "~",
        "\u2212": "-",
        "\u2010": "-",
        "\u2011": "-",
        "\u2009": " ",
        "\u202f": " ",
        "\u2610": "[ ]",
        "\u2611": "[x]",
        "\u2612": "[x]",
        "\u2713": "v",
        "\u2714": "v",
        "\u0131": "i",
        "\u0142": "l",
        "\u0141": "L",
        "\u0111": "d",
        "\u0110": "D",
    }
)


def _encodable(text: str) -> bool:
    try:
        text.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


def _winansi(text: str) -> str:
    if _encodable(text):
        return text
    out = []
    for char in text.translate(_STAND_INS):
        if _encodable(char):
            out.append(char)
            continue
        base = "".join(
            c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)
        )
        if base and _encodable(base):
            out.append(base)
            continue
        category = unicodedata.category(char)
        if category not in ("So", "Sk") and category[0] not in "MC":
            out.append("?")  # a letter we cannot show; emoji, symbols and marks are left out
    return "".join(out)


def _clean(text: str | None) -> str:
    """Normalised line breaks and tabs, without invisible characters, in WinAnsi."""
    if not text:
        return ""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", "    ")
    return _winansi(_INVISIBLE.sub("", text))


def _one_line(text: str) -> str:
    """For PDF metadata, which can hold any character but no line breaks."""
    return " ".join(_INVISIBLE.sub("", text).split())


def _markup(text: str | None) -> str:
    """User text as Paragraph markup: escaped, with its line breaks kept."""
    return escape(_clean(text).strip()).replace("\n", "<br/>")


def _text_paragraphs(
    text: str, style: ParagraphStyle, paragraph: type[Paragraph] = Paragraph
) -> list[Flowable]:
    """A long text as one Paragraph per line, so a page can break between any two lines."""
    flowables: list[Flowable] = []
    blank = False
    for line in _clean(text).strip().split("\n"):
        if line.strip():
            if blank and flowables:
                flowables.append(Spacer(1, style.leading * 0.5))
            flowables.append(paragraph(escape(line), style))
            blank = False
        else:
            blank = True
    return flowables


def _truncate(text: str, font: str, size: float, width: float) -> str:
    """Text cut off with an ellipsis so that it fits ``width``."""
    text = " ".join(_clean(text).split())
    if stringWidth(text, font, size) <= width:
        return text
    while text and stringWidth(text + "…", font, size) > width:
        text = text[: max(0, min(len(text) - 1, int(len(text) * 0.9)))].rstrip()
    return text + "…"


def _display_url(url: str) -> str:
    """https://www.nji.nl/ -> www.nji.nl"""
    parts = urlsplit(url)
    if not parts.netloc:
        return url.rstrip("/")
    rest = (parts.path.rstrip("/") + ("?" + parts.query if parts.query else "")).rstrip("/")
    return parts.netloc + rest


def source_attribution(source: Source) -> str:
    """The one-line attribution the NJi asks for, e.g. for the footer of every page."""
    work = source.title
    if source.section:
        work = f"{work} — {source.section}"
    text = f"Bron vragen en handvatten: {source.publisher} ({source.year}), {work}."
    if source.url:
        text = f"{text} {_display_url(source.url)}"
    return text


def _source_colophon(source: Source) -> list[Flowable]:
    """The full source reference with its reproduction rights, for the end of a document."""
    reference = f"{_markup(source.publisher)} ({source.year}). <i>{_markup(source.title)}</i>."
    if source.subtitle:
        reference += f" {_markup(source.subtitle)}."
    if source.section:
        reference += f" Onderdeel: {_markup(source.section)}."
    if source.url:
        reference += f" {_markup(_display_url(source.url))}"
    return [
        Paragraph("Bron", S.h2),
        Paragraph(reference, S.meta_muted),
        Paragraph(_markup(" ".join(source.rights.split())), S.meta_muted),
    ]


# --------------------------------------------------------------------------------------------
# Page template: header, footer, "pagina X van Y"
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _PageDecoration:
    """What the header and footer of every page show."""

    header_left: str
    header_right: str
    generated: str
    attribution: str

    def draw(self, canv: Canvas, _doc: BaseDocTemplate) -> None:
        canv.saveState()
        left, right = MARGIN_X, PAGE_WIDTH - MARGIN_X

        # Header: document title left, region right, thin rule below.
        canv.setFont(BODY_FONT, 8)
        canv.setFillColor(MUTED)
        right_text = _truncate(self.header_right, BODY_FONT, 8, CONTENT_WIDTH * 0.4)
        right_width = stringWidth(right_text, BODY_FONT, 8)
        left_room = CONTENT_WIDTH - right_width - (12 if right_text else 0)
        canv.drawString(left, HEADER_BASELINE, _truncate(self.header_left, BODY_FONT, 8, left_room))
        if right_text:
            canv.drawRightString(right, HEADER_BASELINE, right_text)
        canv.setStrokeColor(RULE)
        canv.setLineWidth(0.5)
        canv.line(left, HEADER_RULE, right, HEADER_RULE)

        # Footer: rule, generation time left (page number right, drawn by _NumberedCanvas),
        # and the source attribution below.
        canv.line(left, FOOTER_RULE, right, FOOTER_RULE)
        canv.drawString(left, FOOTER_BASELINE, self.generated)
        canv.setFont(BODY_FONT, 7)
        lines = _wrap_words(self.attribution, BODY_FONT, 7, CONTENT_WIDTH)[:2]
        for i, line in enumerate(lines):
            canv.drawString(left, ATTRIBUTION_BASELINE - i * 9, line)
        canv.restoreState()


def _wrap_words(text: str, font: str, size: float, width: float) -> list[str]:
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if current and stringWidth(candidate, font, size) > width:
            lines.append(current)
            current = word
        else:
            current = candidate
    if current:
        lines.append(current)
    return lines


class _NumberedCanvas(Canvas):
    """The standard two-pass canvas: pages are kept until the end, so "van Y" is known."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._page_states: list[dict] = []

    def showPage(self):
        self._page_states.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        total = len(self._page_states)
        for number, state in enumerate(self._page_states, start=1):
            self.__dict__.update(state)
            self.saveState()
            self.setFont(BODY_FONT, 8)
            self.setFillColor(MUTED)
            self.drawRightString(
                PAGE_WIDTH - MARGIN_X, FOOTER_BASELINE, f"pagina {number} van {total}"
            )
            self.restoreState()
            super().showPage()
        super().save()


def _build_pdf(
    story: list[Flowable], *, title: str, subject: str, decoration: _PageDecoration
) -> bytes:
    buffer = io.BytesIO()
    template = BaseDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN_X,
        rightMargin=MARGIN_X,
        topMargin=MARGIN_TOP,
        bottomMargin=MARGIN_BOTTOM,
        title=_one_line(title),
        author="Handvat",
        subject=_one_line(subject),
        creator="Handvat",
        lang="nl-NL",
        displayDocTitle=True,
    )
    frame = Frame(
        MARGIN_X,
        MARGIN_BOTTOM,
        CONTENT_WIDTH,
        FRAME_HEIGHT,
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
        id="content",
    )
    template.addPageTemplates([PageTemplate(id="page", frames=[frame], onPage=decoration.draw)])
    template.build(story, canvasmaker=_NumberedCanvas)
    return buffer.getvalue()


def _decoration(
    header_left: str, header_right: str, generated_at: datetime, source: Source
) -> _PageDecoration:
    return _PageDecoration(
        header_left=_clean(header_left),
        header_right=_clean(header_right),
        generated=f"Gegenereerd op {datetime_long(generated_at)}",
        attribution=_clean(source_attribution(source)),
    )


# --------------------------------------------------------------------------------------------
# Shared building blocks
# --------------------------------------------------------------------------------------------


def _grid_style(*, zebra: bool = True, header: bool = True) -> list[tuple]:
    """Thin grid, dark-blue header row with white bold text, zebra striping."""
    commands: list[tuple] = [
        ("FONT", (0, 0), (-1, -1), BODY_FONT, 9, 11.5),
        ("TEXTCOLOR", (0, 0), (-1, -1), TEXT),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), CELL_PADDING),
        ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PADDING),
        ("TOPPADDING", (0, 0), (-1, -1), 4),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
        ("GRID", (0, 0), (-1, -1), 0.4, GRID),
    ]
    if header:
        commands += [
            ("BACKGROUND", (0, 0), (-1, 0), BLUE),
            ("FONT", (0, 0), (-1, 0), BOLD_FONT, 9, 11.5),
            ("TEXTCOLOR", (0, 0), (-1, 0), colors.white),
            ("LINEBELOW", (0, 0), (-1, 0), 0.4, BLUE),
        ]
    if zebra:
        commands.append(
            ("ROWBACKGROUNDS", (0, 1 if header else 0), (-1, -1), [colors.white, ZEBRA])
        )
    return commands


def _header_row(labels: Sequence[str]) -> list[Paragraph]:
    return [_Para(escape(label), S.cell_header) for label in labels]


class _RowTable(Table):
    """A table that breaks pages between rows, and inside a row only when that row is too tall
    for a page of its own (a 10,000-character action, say).

    reportlab's own ``splitInRow`` also splits an ordinary row to fill the end of a page, which
    leaves a repeated header row stranded at the bottom of the page.
    """

    def split(self, availWidth, availHeight):
        in_row, self.splitInRow = self.splitInRow, 0
        try:
            parts = super().split(availWidth, availHeight)
        finally:
            self.splitInRow = in_row
        if parts or not in_row:
            for part in parts:  # they were made while splitInRow was off
                part.splitInRow = in_row
            return parts
        # The first body row does not fit in the space left on this page.
        header = self.repeatRows  # a number of rows, as _data_table sets it
        heights = self._rowHeights
        if len(heights) <= header:
            return []
        header_height = sum(heights[:header])
        too_tall = header_height + heights[header] > FRAME_HEIGHT
        enough_room = availHeight - header_height >= 0.2 * FRAME_HEIGHT
        return super().split(availWidth, availHeight) if too_tall and enough_room else []


def _data_table(rows: list[list], col_widths: Sequence[float]) -> Table:
    """A table with a repeating header row, split between rows (or inside one that is taller
    than a page)."""
    table = _RowTable(
        rows,
        colWidths=list(col_widths),
        repeatRows=1,
        splitByRow=1,
        splitInRow=1,
        hAlign="LEFT",
    )
    table.setStyle(TableStyle(_grid_style()))
    return table


def _fits(text: str, width: float, size: float = 9, font: str = BODY_FONT) -> bool:
    return stringWidth(text, font, size) <= width - 2 * CELL_PADDING


def _cell(text: str, width: float, style: ParagraphStyle = S.cell) -> str | Paragraph:
    """A plain string when it fits on one line (fast, drawn with the table's font), otherwise a
    wrapping Paragraph."""
    text = _clean(text).strip()
    if "\n" not in text and _fits(text, width, style.fontSize, style.fontName):
        return text
    return _Para(_markup(text), style)


class _ChoiceLine(Flowable):
    """'Label:' followed by an empty box and a label per option, wrapping onto more lines."""

    BOX = 8.5
    SIZE = 9
    LINE_HEIGHT = 16

    def __init__(self, prefix: str, options: Sequence[str], indent: float = 0):
        super().__init__()
        self.prefix = prefix
        self.options = [" ".join(_clean(o).split()) for o in options]
        self.indent = indent
        self._placed: list[tuple[float, int, str]] = []

    def wrap(self, avail_width, avail_height):
        self.width = avail_width
        start = self.indent + stringWidth(self.prefix, BOLD_FONT, self.SIZE) + 10
        x, line = start, 0
        self._placed = []
        for option in self.options:
            needed = self.BOX + 4 + stringWidth(option, BODY_FONT, self.SIZE)
            if x > start and x + needed > avail_width:
                x, line = start, line + 1
            self._placed.append((x, line, option))
            x += needed + 16
        self.height = (line + 1) * self.LINE_HEIGHT
        return self.width, self.height

    def draw(self):
        canv = self.canv
        top = self.height - self.LINE_HEIGHT + 4
        canv.setFillColor(TEXT)
        canv.setFont(BOLD_FONT, self.SIZE)
        canv.drawString(self.indent, top, self.prefix)
        canv.setFont(BODY_FONT, self.SIZE)
        canv.setStrokeColor(TEXT)
        canv.setLineWidth(0.7)
        for x, line, option in self._placed:
            y = top - line * self.LINE_HEIGHT
            canv.rect(x, y - 1, self.BOX, self.BOX)
            canv.drawString(x + self.BOX + 4, y, option)


class _WritingLines(Flowable):
    """Ruled empty lines to write an answer on."""

    def __init__(self, count: int, spacing: float = 21, indent: float = 0):
        super().__init__()
        self.count, self.spacing, self.indent = count, spacing, indent

    def wrap(self, avail_width, avail_height):
        self.width = avail_width
        self.height = self.count * self.spacing
        return self.width, self.height

    def draw(self):
        self.canv.setStrokeColor(WRITING_LINE)
        self.canv.setLineWidth(0.5)
        for i in range(self.count):
            self.canv.line(self.indent, i * self.spacing, self.width, i * self.spacing)


def _tinted_box(flowables: list[Flowable], width: float, *, bar: bool = True) -> Table:
    """Content set apart on a light-blue background, with a dark-blue bar on the left."""
    box = Table([[flowables]], colWidths=[width], hAlign="LEFT")
    commands = [
        ("BACKGROUND", (0, 0), (-1, -1), TINT),
        ("LEFTPADDING", (0, 0), (-1, -1), 10),
        ("RIGHTPADDING", (0, 0), (-1, -1), 10),
        ("TOPPADDING", (0, 0), (-1, -1), 7),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
    ]
    if bar:
        commands.append(("LINEBEFORE", (0, 0), (0, -1), 3, BLUE))
    box.setStyle(TableStyle(commands))
    return box


def _question_heading(number: str, text: str, follow_ups: Sequence[str]) -> list[Flowable]:
    flowables: list[Flowable] = [Paragraph(_markup(text), S.question, bulletText=_clean(number))]
    flowables += [Paragraph(_markup(f), S.follow_up) for f in follow_ups if _clean(f).strip()]
    return flowables


ACTION_COLUMNS = ("Nr.", "Actie", "Fase / vraag", "Trekker", "Uiterlijk", "Status")
# Nr. | Actie | Fase / vraag | Trekker | Uiterlijk | Status  (sum: CONTENT_WIDTH)
_DATE_WIDTH = stringWidth("00-00-0000", BODY_FONT, 9) + 2 * CELL_PADDING + 2
_STATUS_WIDTH = stringWidth("Vervallen", BODY_FONT, 9) + 2 * CELL_PADDING + 4
_NR_WIDTH = stringWidth("9999", BODY_FONT, 9) + 2 * CELL_PADDING + 2
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
    list as a table and a block to sign it off."""
    story: list[Flowable] = []
    story += _title_block(doc)
    story += _participants(doc.participants)
    if doc.sections:
        story.append(Paragraph("Antwoorden per fase", S.h1))
        for section in doc.sections:
            story.append(Paragraph(f"Fase: {_markup(section.name)}", S.h2))
            for question in section.questions:
                story += _question_heading(question.number, question.text, question.follow_ups)
                answer = _text_paragraphs(question.answer, S.answer)
                story += answer or [Paragraph("Niet beantwoord", S.not_answered)]
                assessment = (
                    _markup(question.assessment)
                    if _clean(question.assessment).strip()
                    else f'<font color="{MUTED.hexval()}">niet ingevuld</font>'
                )
                story.append(Paragraph(f"<b>Zelfbeoordeling:</b> {assessment}", S.assessment))
        story.append(PageBreak())
    # Not keepWithNext: that would measure the whole (possibly 1,000-row) table in one go.
    story += [CondPageBreak(4 * cm), Paragraph("Actiepuntenlijst", S.h1_table)]
    if doc.actions:
        story.append(_action_table(doc.actions))
    else:
        story.append(Paragraph("Er zijn nog geen actiepunten afgesproken.", S.body))
    story.append(_signature_block())
    story += _source_colophon(doc.source)

    held_on = date_long(doc.held_on)
    return _build_pdf(
        story,
        title=f"{doc.title} — actiepuntenlijst",
        subject=(
            f"Antwoorden en actiepunten van het gesprek '{doc.questionnaire_title}'"
            f" in regio {doc.region}, gehouden op {held_on}"
        ),
        decoration=_decoration(doc.title, doc.region, doc.generated_at, doc.source),
    )


def _title_block(doc: ActionListDocument) -> list[Flowable]:
    questionnaire = (
        f"{_markup(doc.questionnaire_title)} (versie {_markup(doc.questionnaire_version)})"
    )
    lines = [
        Paragraph(f"<b>Regio:</b> {_markup(doc.region)}", S.meta),
        Paragraph(f"<b>Gesprek gehouden op</b> {date_long(doc.held_on)}", S.meta),
        Paragraph(f"<b>Fase van de samenwerking:</b> {_markup(doc.current_phase)}", S.meta),
        Paragraph(f"<b>Vragenlijst:</b> {questionnaire}", S.meta),
    ]
    if doc.questionnaire_subtitle:
        lines.append(Paragraph(_markup(doc.questionnaire_subtitle), S.meta_muted))
    return [
        Paragraph("Verslag en actiepuntenlijst", S.kicker),
        Paragraph(_markup(doc.title), S.title),
        Spacer(1, 4),
        _tinted_box(lines, CONTENT_WIDTH),
    ]


PARTICIPANT_WIDTHS = tuple(CONTENT_WIDTH * f for f in (0.25, 0.31, 0.2, 0.24))


def _participants(participants: Sequence[ParticipantRow]) -> list[Flowable]:
    flowables: list[Flowable] = [Paragraph("Deelnemers", S.h1)]
    if not participants:
        flowables.append(Paragraph("Er zijn geen deelnemers vastgelegd.", S.body))
        return flowables
    w = PARTICIPANT_WIDTHS
    rows: list[list] = [_header_row(("Naam", "Organisatie", "Soort organisatie", "Rol"))]
    for p in participants:
        rows.append(
            [
                _cell(p.name, w[0]),
                _cell(p.organisation, w[1]),
                _cell(p.organisation_type, w[2]),
                _cell(p.role, w[3]),
            ]
        )
    flowables.append(_data_table(rows, w))
    return flowables


def _description_cell(description: str, priority: str) -> list[Flowable]:
    """The action, one Paragraph per line (so that a row taller than a page splits cleanly
    between lines), with its priority below. Plain one-style Paragraphs: reportlab lays those
    out much faster than mixed markup."""
    cell = _text_paragraphs(description, S.cell, _Para) or [_Para("—", S.cell)]
    priority = _clean(priority).strip()
    if priority:
        cell.append(_Para(f"Prioriteit: {escape(priority)}", S.cell_note))
    return cell


def _action_table(actions: Sequence[ActionRow]) -> Table:
    w = ACTION_WIDTHS
    rows: list[list] = [_header_row(ACTION_COLUMNS)]
    for action in actions:
        phase, question = _clean(action.phase).strip(), _clean(action.question).strip()
        if phase and question:
            where: str | list[Flowable] = [
                _Para(escape(phase), S.cell_small_bold),
                _Para(_markup(question), S.cell_small),
            ]
        else:
            where = _cell(phase or question or "—", w[2])

        name, organisation = (
            _clean(action.owner_name).strip(),
            _clean(action.owner_organisation).strip(),
        )
        if not (name or organisation):
            owner: str | Paragraph = "—"
        elif "\n" not in name + organisation and _fits(name, w[3]) and _fits(organisation, w[3]):
            owner = f"{name}\n{organisation}" if name and organisation else name or organisation
        else:
            owner = _Para("<br/>".join(_markup(t) for t in (name, organisation) if t), S.cell)

        rows.append(
            [
                str(action.number),
                _description_cell(action.description, action.priority),
                where,
                owner,
                date_short(action.due_date) or "—",
                _cell(action.status, w[5]),
            ]
        )
    return _data_table(rows, w)


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
            Paragraph("Vastgesteld door", S.h2),
            Paragraph(
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
    scale = [_clean(step.label).strip() for step in q.assessment_scale]
    story: list[Flowable] = [
        Paragraph("Lege gespreksplaat", S.kicker),
        Paragraph(_markup(q.title), S.title),
    ]
    if q.subtitle:
        story.append(Paragraph(_markup(q.subtitle), S.subtitle))
    story.append(_fill_in_fields([phase.name for phase in q.phases]))

    story.append(Paragraph("Over deze plaat", S.h1))
    story += _text_paragraphs(q.introduction, S.body_after)

    story.append(Paragraph("Zelfbeoordeling", S.h1))
    story.append(
        Paragraph(
            "Kruis bij elke vraag aan hoe de samenwerking er op dit punt voor staat.",
            S.body_after,
        )
    )
    label_width = 0.3 * CONTENT_WIDTH
    scale_rows = [
        [Paragraph(_markup(step.label), S.cell_bold), Paragraph(_markup(step.description), S.cell)]
        for step in q.assessment_scale
    ]
    scale_table = Table(
        [_header_row(("Stap", "Betekenis")), *scale_rows],
        colWidths=[label_width, CONTENT_WIDTH - label_width],
        repeatRows=1,
        hAlign="LEFT",
    )
    scale_table.setStyle(TableStyle(_grid_style()))
    story.append(scale_table)

    for phase_number, phase in enumerate(q.phases, start=1):
        heading: Flowable | None = Paragraph(f"Fase: {_markup(phase.name)}", S.h1)
        for question_number, question in enumerate(phase.questions, start=1):
            number = f"{phase_number}.{question_number}"
            story.append(_blank_question(number, question, scale, heading=heading))
            heading = None

    story.append(PageBreak())
    story.append(Paragraph("Actiepuntenlijst (de achterkant)", S.h1))
    story.append(
        Paragraph(
            "Noteer hier de acties die uit het gesprek komen: wat er moet gebeuren, bij welke "
            "vraag het hoort, wie de trekker is en wanneer het klaar moet zijn.",
            S.body_after,
        )
    )
    story.append(_empty_action_table(doc.empty_action_rows))
    story += _source_colophon(q.source)

    return _build_pdf(
        story,
        title=f"{q.title} — lege gespreksplaat",
        subject=(
            f"Printbare gespreksplaat '{q.title}' (versie {q.version})"
            " met een lege actiepuntenlijst"
        ),
        decoration=_decoration(q.title, "Lege gespreksplaat", doc.generated_at, q.source),
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
            _ChoiceLine("Fase van de samenwerking:", phase_names),
        ]
    )


def _blank_question(
    number: str, question: Question, scale: Sequence[str], *, heading: Flowable | None = None
) -> KeepTogether:
    """One question to fill in by hand, kept on one page (with the phase heading before it)."""
    parts = [heading] if heading else []
    parts += _question_heading(number, question.text, question.follow_ups)
    if question.guidance:
        guidance: list[Flowable] = [Paragraph("Handvat", S.label)]
        guidance += [Paragraph(_markup(g), S.guidance) for g in question.guidance]
        parts += [Spacer(1, 5), _Indented(_tinted_box(guidance, CONTENT_WIDTH - QUESTION_INDENT))]
    parts += [
        Spacer(1, 8),
        _ChoiceLine("Zelfbeoordeling:", scale, indent=QUESTION_INDENT),
        Spacer(1, 4),
        Paragraph("Antwoord en afspraken:", S.lines_label),
        Spacer(1, 2),
        _WritingLines(4, indent=QUESTION_INDENT),
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
    rows: list[list] = [_header_row(ACTION_COLUMNS)]
    rows += [[str(n), "", "", "", "", ""] for n in range(1, max(0, count) + 1)]
    table = Table(
        rows,
        colWidths=list(ACTION_WIDTHS),
        rowHeights=[None] + [40] * max(0, count),
        repeatRows=1,
        hAlign="LEFT",
    )
    table.setStyle(TableStyle(_grid_style(zebra=False) + [("TEXTCOLOR", (0, 1), (0, -1), MUTED)]))
    return table
