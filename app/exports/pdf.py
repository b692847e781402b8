"""PDF renderings of a conversation: the action list and the blank printable plate.

Both renderers share one page layout (A4 portrait, a header with the document title, a footer
with the NJi source attribution and "pagina X van Y"), one set of styles and one build function.

Fonts: the text is set in the standard Helvetica fonts, which need no font file but know only the
WinAnsi (cp1252) characters. Text that fits WinAnsi (nearly all Dutch text) takes that path
unchanged, so such a PDF embeds no font at all. A word with any other character is set in the Noto
fonts shipped in ``fonts/`` (Latin with every accent, Greek, Cyrillic, Arabic, Hebrew, Ethiopic):
each character in the first of ``_FALLBACK_FONTS`` that has it, bold and italic in the matching
Noto variant. reportlab embeds the glyphs used (a subset). For Paragraphs this happens on the
parsed fragments (``_Paragraph``), for strings drawn on the canvas (header, footer) in
``_draw_text``. Right-to-left text (Arabic, Hebrew) is put in visual order with python-bidi, and
Arabic letters get their joined forms (arabic-reshaper) first; a paragraph with such text is broken
into lines before each line is reordered (``_BidiPara``), so long texts read right too. A character
no shipped font has gets a stand-in ("→" becomes "->", a letter "?"; emoji are left out) rather
than the black box reportlab would draw.

All user text is escaped for Paragraph markup; line breaks are kept. Long texts (10,000
characters) are fine: answers become one Paragraph per line, and a table row taller than a page
is split inside the row (see ``_RowTable``).
"""

from __future__ import annotations

import functools
import io
import re
import threading
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

import arabic_reshaper
from bidi.algorithm import get_display
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfbase.ttfonts import TTFont
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
from reportlab.platypus.paragraph import cleanBlockQuotedText

from ..core.formatting import date_long, date_short, datetime_long
from ..indicators.charts import pdf_flowable
from ..indicators.presentation import format_value
from ..questionnaires.schema import Question, Source
from ..workshops.spread import RoomSpread, spread_flowable
from .document import (
    ActionListDocument,
    ActionRow,
    BlankPlateDocument,
    FigureRow,
    ParticipantRow,
    ProgressNote,
)

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
    cell_header_number = ParagraphStyle(
        "cell_header_number", parent=cell_header, alignment=TA_RIGHT
    )
    number = _style("number", fontSize=9, leading=11.5, alignment=TA_RIGHT)
    number_bold = _style(
        "number_bold", fontName=BOLD_FONT, fontSize=9, leading=11.5, alignment=TA_RIGHT
    )
    number_period = _style(
        "number_period", fontSize=8, leading=10, textColor=MUTED, alignment=TA_RIGHT
    )
    figure_action = _style("figure_action", fontName=BOLD_FONT, fontSize=9, leading=11.5)
    figure_story = _style("figure_story", fontSize=8.5, leading=11, textColor=TEXT)
    figure_status = _style("figure_status", fontName=BOLD_FONT, fontSize=8.5, leading=10.5)
    lines_label = _style(
        "lines_label", fontName=BOLD_FONT, fontSize=9, leading=12, leftIndent=QUESTION_INDENT
    )


S = _Styles


# --------------------------------------------------------------------------------------------
# Fonts: Helvetica first, the shipped Noto fonts for everything else
# --------------------------------------------------------------------------------------------

FONT_DIR = Path(__file__).resolve().parent / "fonts"

#: The fallback fonts in the order they are tried: (regular, bold, italic) file names without
#: ".ttf"; None where the font has no italic (the regular one is used).
_FALLBACK_FONTS: tuple[tuple[str, str, str | None], ...] = (
    ("NotoSans-Regular", "NotoSans-Bold", "NotoSans-Italic"),  # Latin, Greek, Cyrillic
    ("NotoSansArabic-Regular", "NotoSansArabic-Bold", None),
    ("NotoSansHebrew-Regular", "NotoSansHebrew-Bold", None),
    ("NotoSansEthiopic-Regular", "NotoSansEthiopic-Bold", None),  # Tigrinya, Amharic
)

#: The Helvetica fonts the layout uses, with whether each is (bold, italic).
_HELVETICA = {
    "Helvetica": (False, False),
    "Helvetica-Bold": (True, False),
    "Helvetica-Oblique": (False, True),
    "Helvetica-BoldOblique": (True, True),
}

#: Per Helvetica font: the fallback fonts to try, as (registered name, char-to-glyph map).
_Chain = tuple[tuple[str, dict[int, int]], ...]
_chains: dict[str, _Chain] | None = None
_chains_lock = threading.Lock()


def _fallback_chains() -> dict[str, _Chain]:
    """The fallback fonts, registered with reportlab on first use (once per process)."""
    global _chains
    if _chains is None:
        with _chains_lock:
            if _chains is None:
                _chains = _load_fallback_fonts()
    return _chains


def _load_fallback_fonts() -> dict[str, _Chain]:
    loaded: dict[str, tuple[str, dict[int, int]]] = {}

    def font(name: str) -> tuple[str, dict[int, int]]:
        if name not in loaded:
            # Not shapable: Arabic is shaped by arabic-reshaper, whether or not uharfbuzz is
            # installed. reportlab embeds a subset of each TrueType font it draws with.
            ttf = TTFont(name, str(FONT_DIR / f"{name}.ttf"), shapable=False)
            pdfmetrics.registerFont(ttf)
            loaded[name] = (name, ttf.face.charToGlyph)
        return loaded[name]

    def variant(bold: bool, italic: bool, regular: str, bold_name: str, italic_name: str | None):
        if bold:  # there is no bold italic: bold it is
            return bold_name
        return (italic_name or regular) if italic else regular

    return {
        helvetica: tuple(font(variant(*style, *names)) for names in _FALLBACK_FONTS)
        for helvetica, style in _HELVETICA.items()
    }


def _has_glyph(char: str) -> bool:
    """Whether a fallback font can draw ``char`` (Helvetica cannot)."""
    code = ord(char)
    return any(code in cmap for _name, cmap in _fallback_chains()[BODY_FONT])


class _Paragraph(Paragraph):
    """A Paragraph that sets the characters Helvetica lacks in a fallback font.

    The markup is parsed as usual; a fragment with other than WinAnsi text is then cut into runs
    per font (see ``_runs``). Its bold and italic come from the Helvetica it replaces, so
    ``<b>`` around such text works as it should.
    """

    def _setup(self, text, style, bulletText, frags, cleaner):
        super()._setup(text, style, bulletText, frags, cleaner)
        if frags is None and not _encodable(text):
            self.frags = _fallback_frags(self.frags)


def _fallback_frags(frags: list) -> list:
    result = []
    for frag in frags:
        text = getattr(frag, "text", "")
        if not text or frag.fontName not in _HELVETICA or _encodable(text):
            result.append(frag)
            continue
        result += [frag.clone(text=run, fontName=font) for font, run in _runs(text, frag.fontName)]
    return result


class _Para(_Paragraph):
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


class _BidiPara(_Para):
    """User text with right-to-left script, as one Paragraph.

    A line can only be put in visual order (right to left) once it is known which words are on
    it; reordering the whole text first would put the end of a long Arabic text on the first
    line. So the (shaped) text is broken into lines here, for the width the paragraph gets, and
    then each line is reordered. A text that starts right to left is aligned right.
    """

    _logical: list[tuple[str, str]] | None = None  #: (shaped line, base direction "L" or "R")
    _laid_out_for: float | None = None

    def __init__(self, text, style=None, bulletText=None, frags=None, **kwargs):
        if frags is not None or text is None:  # a part made by split(): already laid out
            super().__init__(text, style, bulletText, frags, **kwargs)
            return
        self._logical = [(_shape(line), _base_direction(line)) for line in text.split("\n")]
        if self._logical[0][1] == "R":
            style = _aligned_right(style)
        super().__init__(self._markup_for(None, style), style, bulletText, **kwargs)

    def _markup_for(self, width: float | None, style: ParagraphStyle) -> str:
        lines = []
        for logical, base in self._logical or ():
            pieces = [logical] if width is None else _break_line(logical, style, width)
            lines += [escape(_reorder(piece, base)) for piece in pieces]
        return "<br/>".join(lines)

    def wrap(self, availWidth, availHeight):
        if self._logical is not None and availWidth != self._laid_out_for:
            style = self.style
            width = availWidth - style.leftIndent - style.rightIndent - style.firstLineIndent
            markup = self._markup_for(width, style)
            self._setup(markup, style, self.bulletText, None, cleanBlockQuotedText)
            self.__dict__.pop("blPara", None)
            self._wrapped = None
            self._laid_out_for = availWidth
        return super().wrap(availWidth, availHeight)


@functools.cache
def _aligned_right(style: ParagraphStyle) -> ParagraphStyle:
    return ParagraphStyle(f"{style.name}_rtl", parent=style, alignment=TA_RIGHT)


def _break_line(text: str, style: ParagraphStyle, width: float) -> list[str]:
    """``text`` broken into lines that fit ``width`` (greedy, at spaces, in logical order)."""
    font, size = style.fontName, style.fontSize
    space = _runs_width(" ", font, size)
    width -= 1  # a little room, so that reportlab does not break a line again
    lines: list[str] = []
    current: list[str] = []
    current_width = 0.0
    for word in text.split():
        word_width = _runs_width(word, font, size)
        if current and current_width + space + word_width > width:
            lines.append(" ".join(current))
            current, current_width = [], 0.0
        current_width += (space if current else 0) + word_width
        current.append(word)
    if current or not lines:
        lines.append(" ".join(current))
    return lines


# --------------------------------------------------------------------------------------------
# Text helpers
# --------------------------------------------------------------------------------------------

# Control characters break nothing in reportlab, but show as boxes; zero-width characters too.
_INVISIBLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u2028\u2029\u2060\ufeff]")
# In right-to-left text the joiners (ZWNJ, ZWJ) and direction marks (LRM, RLM) matter until the
# text is shaped and reordered; they are removed after that.
_INVISIBLE_BUT_BIDI = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\u2028\u2029\u2060\ufeff]")
_BIDI_CONTROLS = re.compile(r"[\u200c-\u200f]")

#: Hebrew, Arabic (with its presentation forms), and the scripts between them.
_RTL = re.compile(r"[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]")
_ARABIC = re.compile(r"[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff]")

# Hyphens and thin spaces always become their WinAnsi look-alikes, so that a word like
# "18‑jarigen" (with a non-breaking hyphen) stays in Helvetica.
_LOOK_ALIKES = str.maketrans({"\u2010": "-", "\u2011": "-", "\u2009": " ", "\u202f": " "})
# Characters no font here has get a stand-in.
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
        "\u2610": "[ ]",
        "\u2611": "[x]",
        "\u2612": "[x]",
        "\u2713": "v",
        "\u2714": "v",
    }
)


def _encodable(text: str) -> bool:
    """Whether Helvetica can draw all of ``text``."""
    try:
        text.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


@functools.lru_cache(maxsize=4096)
def _drawable(char: str) -> str:
    """``char`` (not in WinAnsi) if a fallback font has it, else its stand-in."""
    if _BIDI_CONTROLS.match(char) or _has_glyph(char):
        return char
    stand_in = char.translate(_STAND_INS)
    if stand_in != char:
        return stand_in
    base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
    if base and all(_encodable(c) or _has_glyph(c) for c in base):
        return base  # a letter with an accent no font has, or a compatibility form
    category = unicodedata.category(char)
    if category not in ("So", "Sk") and category[0] not in "MC":
        return "?"  # a letter no font here has (Chinese, say); emoji, symbols, marks are left out
    return ""


def _clean(text: str | None) -> str:
    """Normalised line breaks and tabs, without invisible characters, and only characters the
    fonts can draw (or their stand-ins). In logical order: see ``_display``."""
    if not text:
        return ""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", "    ")
    if _encodable(text):
        return _INVISIBLE.sub("", text)
    # Composed where possible: "e" + combining accent becomes "é", which Helvetica has.
    text = unicodedata.normalize("NFC", text)
    text = (_INVISIBLE_BUT_BIDI if _RTL.search(text) else _INVISIBLE).sub("", text)
    text = text.translate(_LOOK_ALIKES)
    return "".join(c if _encodable(c) else _drawable(c) for c in text)


def _shape(text: str) -> str:
    """Arabic letters in their joined (contextual) forms; still in logical order."""
    return arabic_reshaper.reshape(text) if _ARABIC.search(text) else text


def _base_direction(text: str) -> str:
    """The direction of ``text``: "R" when its first letter with a direction is right to
    left, else "L"."""
    for char in text:
        direction = unicodedata.bidirectional(char)
        if direction == "L":
            return "L"
        if direction in ("R", "AL"):
            return "R"
    return "L"


def _reorder(line: str, base: str) -> str:
    """A shaped line in visual order (left to right, as it is drawn), for base direction
    ``base`` ("L" or "R"); without the joiners and direction marks."""
    if _RTL.search(line):
        line = get_display(line, base_dir=base)
    return _BIDI_CONTROLS.sub("", line)


def _display(line: str) -> str:
    """One line of cleaned text as it is drawn: Arabic shaped, right-to-left runs reversed. For
    text within the Dutch (left-to-right) layout: labels, headers; see ``_BidiPara`` for a
    paragraph of user text, which takes the direction of the text itself."""
    if _encodable(line):
        return line
    return _reorder(_shape(line), "L")


def _runs(text: str, font: str) -> list[tuple[str, str]]:
    """``text`` (as drawn) cut into (font name, text) runs. A word Helvetica can draw stays in
    ``font``; in any other word each character gets the first fallback font that has it (or the
    font of the character before it, when that has it too, so that punctuation stays with its
    script). Spaces join the run before them where they can."""
    chain = _fallback_chains().get(font)
    if chain is None or _encodable(text):
        return [(font, text)]
    cmaps = dict(chain)
    runs: list[list[str]] = []  # [font name, text]

    def add(run_font: str, piece: str) -> None:
        if runs and runs[-1][0] == run_font:
            runs[-1][1] += piece
        else:
            runs.append([run_font, piece])

    for word in re.split(r"(\s+)", text):
        if not word:
            continue
        previous = cmaps.get(runs[-1][0]) if runs else None  # None: Helvetica, or no run yet
        if word.isspace() and previous is not None and all(ord(c) in previous for c in word):
            add(runs[-1][0], word)
        elif _encodable(word):
            add(font, word)
        else:
            for char in word:
                code = ord(char)
                previous = cmaps.get(runs[-1][0]) if runs else None
                if previous is not None and code in previous:
                    add(runs[-1][0], char)
                    continue
                choice = next((name for name, cmap in chain if code in cmap), None)
                if choice is not None:
                    add(choice, char)
                else:  # (``_clean`` leaves no such character; text from elsewhere might)
                    add(font, char if _encodable(char) else "?")
    return [(run_font, piece) for run_font, piece in runs]


def _runs_width(text: str, font: str, size: float) -> float:
    return sum(stringWidth(piece, run_font, size) for run_font, piece in _runs(text, font))


def _text_width(text: str, font: str, size: float) -> float:
    """The width of one line of cleaned text as ``_draw_text`` draws it."""
    if _encodable(text):
        return stringWidth(text, font, size)
    return _runs_width(_display(text), font, size)


def _draw_text(
    canv: Canvas, x: float, y: float, text: str, font: str, size: float, *, right: bool = False
) -> None:
    """One line of cleaned text on the canvas, starting at ``x`` (or ending there, ``right``),
    in fallback fonts where Helvetica has no glyph. Leaves ``font`` set."""
    canv.setFont(font, size)
    if _encodable(text):
        if right:
            canv.drawRightString(x, y, text)
        else:
            canv.drawString(x, y, text)
        return
    runs = _runs(_display(text), font)
    if right:
        x -= sum(stringWidth(piece, run_font, size) for run_font, piece in runs)
    for run_font, piece in runs:
        canv.setFont(run_font, size)
        canv.drawString(x, y, piece)
        x += stringWidth(piece, run_font, size)
    canv.setFont(font, size)


def _one_line(text: str) -> str:
    """For PDF metadata, which can hold any character but no line breaks."""
    return " ".join(_INVISIBLE.sub("", text).split())


def _markup(text: str | None) -> str:
    """User text as Paragraph markup: escaped, in visual order, with its line breaks kept."""
    return _cleaned_markup(_clean(text).strip())


def _cleaned_markup(text: str) -> str:
    if _encodable(text):
        return escape(text).replace("\n", "<br/>")
    return "<br/>".join(escape(_display(line)) for line in text.split("\n"))


def _text_para(
    text: str | None, style: ParagraphStyle, paragraph: type[Paragraph] = _Para
) -> Paragraph:
    """User text (line breaks kept) as one Paragraph in one style; a ``_BidiPara`` when it has
    right-to-left script."""
    text = _clean(text).strip()
    if _RTL.search(text):
        return _BidiPara(text, style)
    return paragraph(_cleaned_markup(text), style)


def _text_paragraphs(
    text: str, style: ParagraphStyle, paragraph: type[Paragraph] = _Paragraph
) -> list[Flowable]:
    """A long text as one Paragraph per line, so a page can break between any two lines."""
    flowables: list[Flowable] = []
    blank = False
    for line in _clean(text).strip().split("\n"):
        if line.strip():
            if blank and flowables:
                flowables.append(Spacer(1, style.leading * 0.5))
            if _RTL.search(line):
                flowables.append(_BidiPara(line, style))
            else:
                flowables.append(paragraph(_cleaned_markup(line), style))
            blank = False
        else:
            blank = True
    return flowables


def _truncate(text: str, font: str, size: float, width: float) -> str:
    """Text cut off with an ellipsis so that it fits ``width``."""
    text = " ".join(_clean(text).split())
    if _text_width(text, font, size) <= width:
        return text
    while text and _text_width(text + "…", font, size) > width:
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
        _Paragraph("Bron", S.h2),
        _Paragraph(reference, S.meta_muted),
        _Paragraph(_markup(" ".join(source.rights.split())), S.meta_muted),
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
        canv.setFillColor(MUTED)
        right_text = _truncate(self.header_right, BODY_FONT, 8, CONTENT_WIDTH * 0.4)
        right_width = _text_width(right_text, BODY_FONT, 8)
        left_room = CONTENT_WIDTH - right_width - (12 if right_text else 0)
        left_text = _truncate(self.header_left, BODY_FONT, 8, left_room)
        _draw_text(canv, left, HEADER_BASELINE, left_text, BODY_FONT, 8)
        if right_text:
            _draw_text(canv, right, HEADER_BASELINE, right_text, BODY_FONT, 8, right=True)
        canv.setStrokeColor(RULE)
        canv.setLineWidth(0.5)
        canv.line(left, HEADER_RULE, right, HEADER_RULE)

        # Footer: rule, generation time left (page number right, drawn by _NumberedCanvas),
        # and the source attribution below.
        canv.line(left, FOOTER_RULE, right, FOOTER_RULE)
        _draw_text(canv, left, FOOTER_BASELINE, self.generated, BODY_FONT, 8)
        lines = _wrap_words(self.attribution, BODY_FONT, 7, CONTENT_WIDTH)[:2]
        for i, line in enumerate(lines):
            _draw_text(canv, left, ATTRIBUTION_BASELINE - i * 9, line, BODY_FONT, 7)
        canv.restoreState()


def _wrap_words(text: str, font: str, size: float, width: float) -> list[str]:
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if current and _text_width(candidate, font, size) > width:
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
    """A plain string when Helvetica can draw it on one line (fast, drawn with the table's
    font), otherwise a wrapping Paragraph."""
    text = _clean(text).strip()
    if "\n" not in text and _encodable(text) and _fits(text, width, style.fontSize, style.fontName):
        return text
    return _text_para(text, style)


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
        start = self.indent + _text_width(self.prefix, BOLD_FONT, self.SIZE) + 10
        x, line = start, 0
        self._placed = []
        for option in self.options:
            needed = self.BOX + 4 + _text_width(option, BODY_FONT, self.SIZE)
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
        _draw_text(canv, self.indent, top, self.prefix, BOLD_FONT, self.SIZE)
        canv.setStrokeColor(TEXT)
        canv.setLineWidth(0.7)
        for x, line, option in self._placed:
            y = top - line * self.LINE_HEIGHT
            canv.rect(x, y - 1, self.BOX, self.BOX)
            _draw_text(canv, x + self.BOX + 4, y, option, BODY_FONT, self.SIZE)


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
    flowables: list[Flowable] = [_Paragraph(_markup(text), S.question, bulletText=_clean(number))]
    flowables += [_Paragraph(_markup(f), S.follow_up) for f in follow_ups if _clean(f).strip()]
    return flowables


ACTION_COLUMNS = ("Nr.", "Actie", "Fase / vraag", "Trekker", "Uiterlijk", "Status")
# Nr. | Actie | Fase / vraag | Trekker | Uiterlijk | Status  (sum: CONTENT_WIDTH)
_DATE_WIDTH = stringWidth("00-00-0000", BODY_FONT, 9) + 2 * CELL_PADDING + 2
#: Wide enough for the longest status label on one line.
_STATUS_WIDTH = (
    max(stringWidth(label, BODY_FONT, 9) for label in ("Vervallen", "Verankerd", "Afgerond"))
    + 2 * CELL_PADDING
    + 4
)
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
    list as a table, the figures the action points are meant to move, and a block to sign it
    off."""
    story: list[Flowable] = []
    story += _title_block(doc)
    story += _participants(doc.participants)
    if doc.sections:
        story.append(_Paragraph("Antwoorden per fase", S.h1))
        for section in doc.sections:
            story.append(_Paragraph(f"Fase: {_markup(section.name)}", S.h2))
            for question in section.questions:
                if question.room_spread is not None:  # the room's chart stays with its question
                    story.append(CondPageBreak(ROOM_SPREAD_ROOM))
                story += _question_heading(question.number, question.text, question.follow_ups)
                answer = _text_paragraphs(question.answer, S.answer)
                story += answer or [_Paragraph("Niet beantwoord", S.not_answered)]
                assessment = (
                    _markup(question.assessment)
                    if _clean(question.assessment).strip()
                    else f'<font color="{MUTED.hexval()}">niet ingevuld</font>'
                )
                line = _Paragraph(f"<b>Zelfbeoordeling:</b> {assessment}", S.assessment)
                if question.room_spread is not None:
                    story.append(_room_spread(question.room_spread, line))
                else:
                    story.append(line)
        story.append(PageBreak())
    # Not keepWithNext: that would measure the whole (possibly 1,000-row) table in one go.
    story += [CondPageBreak(4 * cm), _Paragraph("Actiepuntenlijst", S.h1_table)]
    if doc.actions:
        story.append(_action_table(doc.actions))
    else:
        story.append(_Paragraph("Er zijn nog geen actiepunten afgesproken.", S.body))
    story += _figures_section(doc.actions)
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
        _Paragraph(f"<b>Regio:</b> {_markup(doc.region)}", S.meta),
        _Paragraph(f"<b>Gesprek gehouden op</b> {date_long(doc.held_on)}", S.meta),
        _Paragraph(f"<b>Fase van de samenwerking:</b> {_markup(doc.current_phase)}", S.meta),
        _Paragraph(f"<b>Vragenlijst:</b> {questionnaire}", S.meta),
    ]
    if doc.questionnaire_subtitle:
        lines.append(_Paragraph(_markup(doc.questionnaire_subtitle), S.meta_muted))
    return [
        _Paragraph("Verslag en actiepuntenlijst", S.kicker),
        _text_para(doc.title, S.title, _Paragraph),
        Spacer(1, 4),
        _tinted_box(lines, CONTENT_WIDTH),
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
        _Paragraph(f"<b>Zo zag de zaal het:</b> {_markup(spread.sentence)}", S.assessment),
    ]
    if spread.participants:
        chart = spread_flowable(spread, width=ROOM_SPREAD_CHART_WIDTH)
        parts += [Spacer(1, 2), _Indented(chart)]
    return KeepTogether(parts)


PARTICIPANT_WIDTHS = tuple(CONTENT_WIDTH * f for f in (0.25, 0.31, 0.2, 0.24))


def _participants(participants: Sequence[ParticipantRow]) -> list[Flowable]:
    flowables: list[Flowable] = [_Paragraph("Deelnemers", S.h1)]
    if not participants:
        flowables.append(_Paragraph("Er zijn geen deelnemers vastgelegd.", S.body))
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


def _description_cell(
    description: str, priority: str, figures: int = 0, update: ProgressNote | None = None
) -> list[Flowable]:
    """The action, one Paragraph per line (so that a row taller than a page splits cleanly
    between lines), with its priority below, where to find its figures and its latest
    progress update. Plain one-style Paragraphs: reportlab lays those out much faster than
    mixed markup."""
    cell = _text_paragraphs(description, S.cell, _Para) or [_Para("—", S.cell)]
    priority = _clean(priority).strip()
    if priority:
        cell.append(_Para(f"Prioriteit: {_markup(priority)}", S.cell_note))
    if figures:
        count = "1 cijfer" if figures == 1 else f"{figures} cijfers"
        cell.append(_Para(f"{count}: zie Cijfers bij de actiepunten", S.cell_note))
    if update is not None:
        cell.append(_progress_note(update))
    return cell


#: The most characters of a progress update a PDF table cell shows.
UPDATE_EXCERPT = 300


def _progress_note(update: ProgressNote) -> Paragraph:
    """The note "Laatste voortgang 05-03-2026: ..." in the muted style, cut off after
    ``UPDATE_EXCERPT`` characters."""
    text = " ".join(_clean(update.text).split())
    if len(text) > UPDATE_EXCERPT:
        text = text[:UPDATE_EXCERPT].rstrip() + "…"
    label = f"Laatste voortgang {date_short(update.written_on)}"
    return _text_para(f"{label}: {text}" if text else label, S.cell_note)


def _action_table(actions: Sequence[ActionRow]) -> Table:
    w = ACTION_WIDTHS
    rows: list[list] = [_header_row(ACTION_COLUMNS)]
    for action in actions:
        phase, question = _clean(action.phase).strip(), _clean(action.question).strip()
        if phase and question:
            where: str | list[Flowable] = [
                _text_para(phase, S.cell_small_bold),
                _text_para(question, S.cell_small),
            ]
        else:
            where = _cell(phase or question or "—", w[2])

        name, organisation = (
            _clean(action.owner_name).strip(),
            _clean(action.owner_organisation).strip(),
        )
        if not (name or organisation):
            owner: str | Paragraph = "—"
        elif (
            "\n" not in name + organisation
            and _encodable(name + organisation)
            and _fits(name, w[3])
            and _fits(organisation, w[3])
        ):
            owner = f"{name}\n{organisation}" if name and organisation else name or organisation
        else:
            owner = _text_para("\n".join(t for t in (name, organisation) if t), S.cell)

        rows.append(
            [
                str(action.number),
                _description_cell(
                    action.description, action.priority, len(action.figures), action.latest_update
                ),
                where,
                owner,
                date_short(action.due_date) or "—",
                _cell(action.status, w[5]),
            ]
        )
    return _data_table(rows, w)


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
    return [
        CondPageBreak(5 * cm),
        _Paragraph("Cijfers bij de actiepunten", S.h2),
        _Paragraph(
            "Bij deze actiepunten is afgesproken welk cijfer moet veranderen. Per cijfer ziet u "
            "waar het begon, de laatste meting, het doel en hoe het ervoor staat.",
            S.body_after,
        ),
        _figure_table(linked),
        Spacer(1, 3),
        _Paragraph(SPARKLINE_LEGEND, S.meta_muted),
    ]


def _figure_table(actions: Sequence[ActionRow]) -> Table:
    w = FIGURE_WIDTHS
    header = [
        _Para(escape(label), S.cell_header_number if 0 < i < 4 else S.cell_header)
        for i, label in enumerate(FIGURE_COLUMNS)
    ]
    rows: list[list] = [header]
    style: list[tuple] = [
        ("FONT", (0, 0), (-1, -1), BODY_FONT, 9, 11.5),
        ("TEXTCOLOR", (0, 0), (-1, -1), TEXT),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), CELL_PADDING),
        ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PADDING),
        ("TOPPADDING", (0, 0), (-1, -1), 4),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
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
            story = _clean(figure.story).strip()
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
    table = _RowTable(
        rows, colWidths=list(w), repeatRows=1, splitByRow=1, splitInRow=0, hAlign="LEFT"
    )
    table.setStyle(TableStyle(style))
    return table


def _figure_action_cell(action: ActionRow) -> Paragraph:
    """ "Actiepunt 3: the action's first line", cut off after some 150 characters: the whole
    text is in the action list above."""
    text = " ".join(_clean(action.description).split())
    if len(text) > 150:
        text = text[:150].rsplit(" ", 1)[0].rstrip(" ,.;:") + "…"
    return _text_para(f"Actiepunt {action.number}: {text}", S.figure_action)


def _figure_cells(figure: FigureRow) -> list:
    unit = _clean(figure.unit).strip()
    label: list[Flowable] = [_text_para(figure.label, S.cell_bold)]
    if unit and unit != "%":
        label.append(_text_para(f"in {unit}", S.cell_note))
    status = _Para(
        f'<font color="{TRACK_COLORS[figure.on_track].hexval()}">{_markup(figure.status)}</font>',
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
    cell = [_Para(escape(format_value(value, unit)), S.number_bold if bold else S.number)]
    period = _clean(period).strip()
    if period and value is not None:
        cell.append(_text_para(period, S.number_period))
    return cell


#: A story with more lines than this is set as one paragraph: a figure and its story never
#: split between pages, so they must fit on one.
STORY_MAX_LINES = 8


def _story_cell(story: str) -> list[Flowable]:
    """The story behind the figure, below the figure across the whole table."""
    lines = [line.strip() for line in story.split("\n") if line.strip()]
    story = ("\n" if len(lines) <= STORY_MAX_LINES else " ").join(lines)
    if _RTL.search(story):
        return [_Para("Het verhaal achter het cijfer:", S.cell_small_bold)] + _text_paragraphs(
            story, S.figure_story, _Para
        )
    return [
        _Para(
            f"<b>Het verhaal achter het cijfer:</b> {_cleaned_markup(story)}",
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
            _Paragraph("Vastgesteld door", S.h2),
            _Paragraph(
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
        _Paragraph("Lege gespreksplaat", S.kicker),
        _text_para(q.title, S.title, _Paragraph),
    ]
    if q.subtitle:
        story.append(_Paragraph(_markup(q.subtitle), S.subtitle))
    story.append(_fill_in_fields([phase.name for phase in q.phases]))

    story.append(_Paragraph("Over deze plaat", S.h1))
    story += _text_paragraphs(q.introduction, S.body_after)

    story.append(_Paragraph("Zelfbeoordeling", S.h1))
    story.append(
        _Paragraph(
            "Kruis bij elke vraag aan hoe de samenwerking er op dit punt voor staat.",
            S.body_after,
        )
    )
    label_width = 0.3 * CONTENT_WIDTH
    scale_rows = [
        [_text_para(step.label, S.cell_bold), _text_para(step.description, S.cell)]
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
        heading: Flowable | None = _Paragraph(f"Fase: {_markup(phase.name)}", S.h1)
        for question_number, question in enumerate(phase.questions, start=1):
            number = f"{phase_number}.{question_number}"
            story.append(_blank_question(number, question, scale, heading=heading))
            heading = None

    story.append(PageBreak())
    story.append(_Paragraph("Actiepuntenlijst (de achterkant)", S.h1))
    story.append(
        _Paragraph(
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
        guidance: list[Flowable] = [_Paragraph("Handvat", S.label)]
        guidance += [_Paragraph(_markup(g), S.guidance) for g in question.guidance]
        parts += [Spacer(1, 5), _Indented(_tinted_box(guidance, CONTENT_WIDTH - QUESTION_INDENT))]
    parts += [
        Spacer(1, 8),
        _ChoiceLine("Zelfbeoordeling:", scale, indent=QUESTION_INDENT),
        Spacer(1, 4),
        _Paragraph("Antwoord en afspraken:", S.lines_label),
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
