"""The look every Handvat PDF shares, so that each reads as a document a board signs off:
the page (A4 portrait, a header with the document title, a footer with the NJi source attribution
and "pagina X van Y", ``build_pdf``), the colours, fonts and paragraph styles (``S``), text made
safe for reportlab (``clean_text``, ``text_markup``, ``text_para``), and the tables and boxes
(``data_table``, ``table_cell``, ``header_row``, ``tinted_box``). The action list, the blank plate
(``pdf.py``), the region-wide list (``overview_pdf.py``), the rounds' comparison and agenda and a
workshop's results are built from these.

Fonts: the text is set in the standard Helvetica fonts, which need no font file but know only the
WinAnsi (cp1252) characters. Text that fits WinAnsi (nearly all Dutch text) takes that path
unchanged, so such a PDF embeds no font at all. A word with any other character is set in the Noto
fonts shipped in ``fonts/`` (Latin with every accent, Greek, Cyrillic, Arabic, Hebrew, Ethiopic):
each character in the first of ``_FALLBACK_FONTS`` that has it, bold and italic in the matching
Noto variant. reportlab embeds the glyphs used (a subset). For Paragraphs this happens on the
parsed fragments (``FallbackParagraph``), for strings drawn on the canvas (header, footer) in
``_draw_text``. Right-to-left text (Arabic, Hebrew) is put in visual order with python-bidi, and
Arabic letters get their joined forms (arabic-reshaper) first; a paragraph with such text is broken
into lines before each line is reordered (``_BidiPara``), so long texts read right too. A character
no shipped font has gets a stand-in ("→" becomes "->", a letter "?", an emoji U+FFFD "�") rather
than the black box reportlab would draw; format characters (direction overrides, zero-width
spaces) are never drawn.

All user text is escaped for Paragraph markup; line breaks are kept. Long texts (10,000
characters) are fine: answers become one Paragraph per line, and a table row taller than a page
is split inside the row (see ``RowTable``).
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
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.paragraph import cleanBlockQuotedText

from ..core.formatting import datetime_long
from ..questionnaires.schema import Source

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
    #: "(vervolg)" under the number of a table row continued from the page before.
    cell_continued = _style("cell_continued", fontSize=7, leading=9, textColor=MUTED)
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


class FallbackParagraph(Paragraph):
    """A Paragraph that sets the characters Helvetica lacks in a fallback font.

    The markup is parsed as usual; a fragment with other than WinAnsi text is then cut into runs
    per font (see ``_runs``). Its bold and italic come from the Helvetica it replaces, so
    ``<b>`` around such text works as it should.
    """

    def _setup(self, text, style, bulletText, frags, cleaner):
        super()._setup(text, style, bulletText, frags, cleaner)
        if frags is None and not encodable(text):
            self.frags = _fallback_frags(self.frags)


def _fallback_frags(frags: list) -> list:
    result = []
    for frag in frags:
        text = getattr(frag, "text", "")
        if not text or frag.fontName not in _HELVETICA or encodable(text):
            result.append(frag)
            continue
        result += [frag.clone(text=run, fontName=font) for font, run in _runs(text, frag.fontName)]
    return result


class Para(FallbackParagraph):
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


class _BidiPara(Para):
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

# Control and format characters break nothing in reportlab, but a font may draw them as a box
# or a stray mark ("tekens\u202c"): they are never drawn. The C0 controls (tab and line breaks are
# handled before), the soft hyphen (Helvetica would print it as a hyphen mid-word), the zero-width
# characters, the direction embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069),
# the invisible operators (U+2060-U+2064), the byte-order mark, interlinear annotations and tags.
_FORMAT = (
    "\x00-\x08\x0b\x0c\x0e-\x1f\x7f\xad\u180e\u200b\u2028-\u202e\u2060-\u206f\ufeff"
    "\ufff9-\ufffb\U000e0000-\U000e007f"
)
# The joiners (ZWNJ, ZWJ) and direction marks (LRM, RLM, ALM): see ``_BIDI_CONTROLS``.
_JOINERS_AND_MARKS = "\u061c\u200c-\u200f"
_INVISIBLE = re.compile(f"[{_FORMAT}{_JOINERS_AND_MARKS}]")
# In right-to-left text the joiners and direction marks matter until the text is shaped and
# reordered; they are removed after that.
_INVISIBLE_BUT_BIDI = re.compile(f"[{_FORMAT}]")
_BIDI_CONTROLS = re.compile(f"[{_JOINERS_AND_MARKS}]")

#: Hebrew, Arabic (with its presentation forms), and the scripts between them.
RTL_SCRIPT = re.compile(r"[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]")
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


def encodable(text: str) -> bool:
    """Whether Helvetica can draw all of ``text``."""
    try:
        text.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


#: What an emoji or another symbol no shipped font has becomes: the replacement character, which
#: NotoSans (regular, bold and italic) has, so that the reader sees something is missing.
MISSING_SYMBOL = "\ufffd"


@functools.lru_cache(maxsize=4096)
def _drawable(char: str) -> str:
    """``char`` (not in WinAnsi) if a fallback font has it, else its stand-in: "?" for a letter,
    ``MISSING_SYMBOL`` for an emoji or another symbol, nothing for a mark (an emoji's variation
    selector, a skin tone, a combining accent no font has)."""
    if _BIDI_CONTROLS.match(char):
        return char
    if unicodedata.category(char) == "Cf":
        return ""  # a format character: never a glyph (the fonts may have a visible one)
    if _has_glyph(char):
        return char
    stand_in = char.translate(_STAND_INS)
    if stand_in != char:
        return stand_in
    base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
    if base and all(encodable(c) or _has_glyph(c) for c in base):
        return base  # a letter with an accent no font has, or a compatibility form
    category = unicodedata.category(char)
    if _EMOJI_MODIFIER.match(char) or category[0] in "MC":
        return ""  # part of the emoji or letter before it, or a control character
    if category == "So" or category == "Sk":
        return MISSING_SYMBOL  # an emoji, a symbol
    return "?"  # a letter no font here has (Chinese, say)


#: Skin tones: they belong to the emoji before them (which gets one stand-in for both).
_EMOJI_MODIFIER = re.compile("[\U0001f3fb-\U0001f3ff]")
#: A stand-in for an emoji made of several characters (a family joined by ZWJ, a flag of two
#: regional indicators) or several emoji in a row: one stand-in for the lot.
_REPEATED_STAND_IN = re.compile(f"{MISSING_SYMBOL}{{2,}}")


def clean_text(text: str | None) -> str:
    """Normalised line breaks and tabs, without invisible and format characters, and only
    characters the fonts can draw (or their stand-ins). In logical order: see ``_display``."""
    if not text:
        return ""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", "    ")
    if encodable(text):
        return _INVISIBLE.sub("", text)
    # Composed where possible: "e" + combining accent becomes "é", which Helvetica has.
    text = unicodedata.normalize("NFC", text)
    text = (_INVISIBLE_BUT_BIDI if RTL_SCRIPT.search(text) else _INVISIBLE).sub("", text)
    text = text.translate(_LOOK_ALIKES)
    pieces: list[str] = []
    dropped = False  # a character left out since the last space
    for char in text:
        if encodable(char):
            if char == " " and dropped and pieces and pieces[-1].endswith(" "):
                continue  # "a <mark> b" is "a b", not "a  b"
            dropped = dropped and char != " "
            pieces.append(char)
            continue
        piece = _drawable(char)
        if piece:
            pieces.append(piece)
        else:
            dropped = True
    cleaned = "".join(pieces)
    if MISSING_SYMBOL in cleaned:
        cleaned = _REPEATED_STAND_IN.sub(MISSING_SYMBOL, cleaned)
    return cleaned


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
    if RTL_SCRIPT.search(line):
        line = get_display(line, base_dir=base)
    return _BIDI_CONTROLS.sub("", line)


def _display(line: str) -> str:
    """One line of cleaned text as it is drawn: Arabic shaped, right-to-left runs reversed. For
    text within the Dutch (left-to-right) layout: labels, headers; see ``_BidiPara`` for a
    paragraph of user text, which takes the direction of the text itself."""
    if encodable(line):
        return line
    return _reorder(_shape(line), "L")


def _runs(text: str, font: str) -> list[tuple[str, str]]:
    """``text`` (as drawn) cut into (font name, text) runs. A word Helvetica can draw stays in
    ``font``; in any other word each character gets the first fallback font that has it (or the
    font of the character before it, when that has it too, so that punctuation stays with its
    script). Spaces join the run before them where they can."""
    chain = _fallback_chains().get(font)
    if chain is None or encodable(text):
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
        elif encodable(word):
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
                else:  # (``clean_text`` leaves no such character; text from elsewhere might)
                    add(font, char if encodable(char) else "?")
    return [(run_font, piece) for run_font, piece in runs]


def _runs_width(text: str, font: str, size: float) -> float:
    return sum(stringWidth(piece, run_font, size) for run_font, piece in _runs(text, font))


def _text_width(text: str, font: str, size: float) -> float:
    """The width of one line of cleaned text as ``_draw_text`` draws it."""
    if encodable(text):
        return stringWidth(text, font, size)
    return _runs_width(_display(text), font, size)


def _draw_text(
    canv: Canvas, x: float, y: float, text: str, font: str, size: float, *, right: bool = False
) -> None:
    """One line of cleaned text on the canvas, starting at ``x`` (or ending there, ``right``),
    in fallback fonts where Helvetica has no glyph. Leaves ``font`` set."""
    canv.setFont(font, size)
    if encodable(text):
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


def text_markup(text: str | None) -> str:
    """User text as Paragraph markup: escaped, in visual order, with its line breaks kept."""
    return cleaned_markup(clean_text(text).strip())


def cleaned_markup(text: str) -> str:
    if encodable(text):
        return escape(text).replace("\n", "<br/>")
    return "<br/>".join(escape(_display(line)) for line in text.split("\n"))


def text_para(
    text: str | None, style: ParagraphStyle, paragraph: type[Paragraph] = Para
) -> Paragraph:
    """User text (line breaks kept) as one Paragraph in one style; a ``_BidiPara`` when it has
    right-to-left script."""
    text = clean_text(text).strip()
    if RTL_SCRIPT.search(text):
        return _BidiPara(text, style)
    return paragraph(cleaned_markup(text), style)


def text_paragraphs(
    text: str, style: ParagraphStyle, paragraph: type[Paragraph] = FallbackParagraph
) -> list[Flowable]:
    """A long text as one Paragraph per line, so a page can break between any two lines."""
    flowables: list[Flowable] = []
    blank = False
    for line in clean_text(text).strip().split("\n"):
        if line.strip():
            if blank and flowables:
                flowables.append(Spacer(1, style.leading * 0.5))
            if RTL_SCRIPT.search(line):
                flowables.append(_BidiPara(line, style))
            else:
                flowables.append(paragraph(cleaned_markup(line), style))
            blank = False
        else:
            blank = True
    return flowables


def _truncate(text: str, font: str, size: float, width: float) -> str:
    """Text cut off with an ellipsis so that it fits ``width``."""
    text = " ".join(clean_text(text).split())
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


def source_colophon(source: Source) -> list[Flowable]:
    """The full source reference with its reproduction rights, for the end of a document."""
    reference = (
        f"{text_markup(source.publisher)} ({source.year}). <i>{text_markup(source.title)}</i>."
    )
    if source.subtitle:
        reference += f" {text_markup(source.subtitle)}."
    if source.section:
        reference += f" Onderdeel: {text_markup(source.section)}."
    if source.url:
        reference += f" {text_markup(_display_url(source.url))}"
    return [
        FallbackParagraph("Bron", S.h2),
        FallbackParagraph(reference, S.meta_muted),
        FallbackParagraph(text_markup(" ".join(source.rights.split())), S.meta_muted),
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


def build_pdf(
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


def page_decoration(
    header_left: str, header_right: str, generated_at: datetime, source: Source
) -> _PageDecoration:
    return _PageDecoration(
        header_left=clean_text(header_left),
        header_right=clean_text(header_right),
        generated=f"Gemaakt op {datetime_long(generated_at)}",
        attribution=clean_text(source_attribution(source)),
    )


# --------------------------------------------------------------------------------------------
# Shared building blocks
# --------------------------------------------------------------------------------------------


#: The text and padding of every table's cells.
CELL_STYLE: tuple[tuple, ...] = (
    ("FONT", (0, 0), (-1, -1), BODY_FONT, 9, 11.5),
    ("TEXTCOLOR", (0, 0), (-1, -1), TEXT),
    ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ("LEFTPADDING", (0, 0), (-1, -1), CELL_PADDING),
    ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PADDING),
    ("TOPPADDING", (0, 0), (-1, -1), 4),
    ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
)


def grid_style(*, zebra: bool = True, header: bool = True) -> list[tuple]:
    """Thin grid, dark-blue header row with white bold text, zebra striping."""
    commands: list[tuple] = [*CELL_STYLE, ("GRID", (0, 0), (-1, -1), 0.4, GRID)]
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


def header_row(labels: Sequence[str]) -> list[Paragraph]:
    return [Para(escape(label), S.cell_header) for label in labels]


#: "(vervolg)": below the number of a row continued from the page before.
CONTINUED = "(vervolg)"
#: The least width of a table's first column ("Nr.") that holds ``CONTINUED`` on one line.
NUMBER_COLUMN_WIDTH = (
    stringWidth(CONTINUED, BODY_FONT, S.cell_continued.fontSize) + 2 * CELL_PADDING + 2
)
#: A row taller than a page is split inside the row only where this much of a page is left
#: below the header row; with less, it starts on the next page.
ROW_SPLIT_ROOM = 0.2 * FRAME_HEIGHT


class _ContinuedCell(list):
    """The first cell of a row continued from the page before: its number and "(vervolg)"."""

    def __init__(self, label: str):
        super().__init__([Para(escape(label), S.cell), Para(CONTINUED, S.cell_continued)])
        self.label = label


class RowTable(Table):
    """A table that breaks pages between rows, and inside a row only when that row is too tall
    for a page of its own (a 10,000-character action, say).

    reportlab's own ``splitInRow`` also splits an ordinary row to fill the end of a page, which
    leaves a repeated header row stranded at the bottom of the page. And a part that starts
    with a repeated header row never goes in the space left on a page, where the header would
    stand in the middle of the page: a row too tall for a page is split where it starts, in
    the part before the page break. The continued part of a split row shows its number in the
    first column, with "(vervolg)" below it.
    """

    #: Whether this part of a table starts with a repeated header row (made by ``split``).
    _continued = False
    #: While a row is split inside: the label of its first cell (see ``_splitCell``).
    _label: str | None = None
    _cells_split = 0

    def split(self, availWidth, availHeight):
        in_row, self.splitInRow = self.splitInRow, 0
        try:
            parts = super().split(availWidth, availHeight)
        finally:
            self.splitInRow = in_row
        for part in parts:  # they were made while splitInRow was off
            part.splitInRow = in_row
        if not in_row:
            return self._mark(parts)
        header = self.repeatRows  # a number of rows, as data_table sets it
        heights = self._rowHeights
        if parts:
            # Between rows. When the next row is too tall for a page, split inside it here
            # instead: the part after the break goes to the next page, and at its top.
            following = len(parts[0]._cellvalues) if len(parts) == 2 else len(heights)
            if (
                following < len(heights)
                and self._too_tall(following)
                and availHeight - sum(heights[:following]) >= ROW_SPLIT_ROOM
            ):
                return self._mark(self._split_in_row(availHeight) or parts)
            return self._mark(parts)
        # The first body row does not fit in the space left on this page.
        if len(heights) <= header or not self._too_tall(header):
            return []
        if self._continued and availHeight < FRAME_HEIGHT - 1:
            return []  # a repeated header row only at the top of a page
        if availHeight - sum(heights[:header]) < ROW_SPLIT_ROOM:
            return []
        return self._mark(self._split_in_row(availHeight))

    def _too_tall(self, row: int) -> bool:
        """Whether ``row`` with the header row above it is taller than a page."""
        return sum(self._rowHeights[: self.repeatRows]) + self._rowHeights[row] > FRAME_HEIGHT

    def _split_in_row(self, availHeight: float) -> list:
        """reportlab's split inside the last row that starts in ``availHeight``."""
        row = self._getFirstPossibleSplitRowPosition(availHeight, ignoreSpans=1)
        first = self._cellvalues[row][0] if row < len(self._cellvalues) else None
        if isinstance(first, _ContinuedCell):
            label = first.label
        elif isinstance(first, str) and first.strip() and "\n" not in first:
            label = first.strip()
        else:
            label = None
        self._label, self._cells_split = label, 0
        try:
            return self._splitRows(availHeight, doInRowSplit=1)
        finally:
            self._label = None

    def _splitCell(self, value, style, oldHeight, newHeight, width):
        parts = super()._splitCell(value, style, oldHeight, newHeight, width)
        column, self._cells_split = self._cells_split, self._cells_split + 1
        if column == 0 and parts and self._label is not None:
            return (parts[0] or value, _ContinuedCell(self._label))
        return parts

    @staticmethod
    def _mark(parts: list) -> list:
        for part in parts[1:]:
            part._continued = True
        return parts


def data_table(rows: list[list], col_widths: Sequence[float]) -> Table:
    """A table with a repeating header row, split between rows (or inside one that is taller
    than a page)."""
    table = RowTable(
        rows,
        colWidths=list(col_widths),
        repeatRows=1,
        splitByRow=1,
        splitInRow=1,
        hAlign="LEFT",
    )
    table.setStyle(TableStyle(grid_style()))
    return table


class RoomFor(CondPageBreak):
    """A page break unless the space left holds ``flowables`` (headings, say) and the start of
    what they head: ``start`` (see ``table_start``) plus ``extra`` points. Measured when it is
    laid out, at the real width, so a heading never ends a page without what it heads.

    A heading with ``keepWithNext`` would do the same for a short table, but would make
    reportlab measure a long table whole; this measures only its first rows.
    """

    def __init__(
        self, flowables: Sequence[Flowable], start: Flowable | None = None, extra: float = 0
    ):
        super().__init__(0)
        self._flowables, self._start, self._extra = list(flowables), start, extra
        self._measured_for: float | None = None

    def wrap(self, availWidth, availHeight):
        if self._measured_for != availWidth:
            self.height = self._needed(availWidth)
            self._measured_for = availWidth
        return super().wrap(availWidth, availHeight)

    def _needed(self, width: float) -> float:
        needed = self._extra
        for flowable in self._flowables:
            needed += flowable.wrap(width, FRAME_HEIGHT)[1]
            needed += flowable.getSpaceBefore() + flowable.getSpaceAfter()
        if self._start is not None:
            start = self._start.wrap(width, FRAME_HEIGHT)[1]
            heights = getattr(self._start, "_rowHeights", ())
            header = sum(heights[: getattr(self._start, "header_rows", 0)])
            if start > FRAME_HEIGHT and header:
                # A first row taller than a page is split where at least this is left.
                start = header + ROW_SPLIT_ROOM
            needed += start
        # More than a page would break on every page; the flowables alone always fit.
        return min(needed, FRAME_HEIGHT - 1)


def table_start(table: Table, rows: int = 1) -> Table:
    """A table of the header row and the first ``rows`` rows of ``table``, in its styles, to
    measure (for ``RoomFor``); without the rest, which may be 1,000 rows."""
    count = table.repeatRows + rows
    start = Table(
        table._cellvalues[:count],
        colWidths=table._colWidths,
        normalizedData=1,
        cellStyles=table._cellStyles[:count],
    )
    start.header_rows = table.repeatRows
    return start


def fits_on_line(text: str, width: float, size: float = 9, font: str = BODY_FONT) -> bool:
    return stringWidth(text, font, size) <= width - 2 * CELL_PADDING


def table_cell(text: str, width: float, style: ParagraphStyle = S.cell) -> str | Paragraph:
    """A plain string when Helvetica can draw it on one line (fast, drawn with the table's
    font), otherwise a wrapping Paragraph."""
    text = clean_text(text).strip()
    if (
        "\n" not in text
        and encodable(text)
        and fits_on_line(text, width, style.fontSize, style.fontName)
    ):
        return text
    return text_para(text, style)


class ChoiceLine(Flowable):
    """'Label:' followed by an empty box and a label per option, wrapping onto more lines."""

    BOX = 8.5
    SIZE = 9
    LINE_HEIGHT = 16

    def __init__(self, prefix: str, options: Sequence[str], indent: float = 0):
        super().__init__()
        self.prefix = prefix
        self.options = [" ".join(clean_text(o).split()) for o in options]
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


class WritingLines(Flowable):
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


def tinted_box(flowables: list[Flowable], width: float, *, bar: bool = True) -> Table:
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


def question_heading(number: str, text: str, follow_ups: Sequence[str]) -> list[Flowable]:
    flowables: list[Flowable] = [
        FallbackParagraph(text_markup(text), S.question, bulletText=clean_text(number))
    ]
    flowables += [
        FallbackParagraph(text_markup(f), S.follow_up) for f in follow_ups if clean_text(f).strip()
    ]
    return flowables
