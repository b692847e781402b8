"""Reading a region's monitoring figures from a CSV or .xlsx file, as regions really have them.

``read_indicator_file(data, file_name)`` returns an :class:`ImportPlan`: the observations that
would be stored (a DataFrame, one row per value), every row that would not (:class:`Refusal`,
with the reason in Dutch) and notices the user should know about. It does not store anything;
whether to import all or nothing is the caller's choice (``ImportPlan.can_import``).

What it reads
-------------
The content decides, not the file name: .xlsx (a zip with ``xl/workbook.xml``), or text (CSV).
Old .xls files, PDFs, images, web pages and other binary files are refused with a Dutch message
(:class:`UnreadableFile`).

* **CSV**: UTF-8 with or without BOM, UTF-16 (Excel's "Unicode text"), else Windows-1252 (what
  Dutch Excel writes); separator ";", tab or "," (sniffed from the first lines, in that order of
  preference).
* **.xlsx**: the sheet in ``ImportOptions.sheet``, else the first visible sheet that holds a
  table (the notices say which sheet was read and which others there are). Numbers come as
  numbers. A cell formatted as a percentage holds 0.24 for 24%: it is read as 24 with
  ``is_percentage`` (the formats are read from the workbook's XML, only when it has percentage
  formats at all). A formula cell without a saved value (a file a program wrote and Excel
  never saved) is refused, saying to open and save the file in Excel. Before anything reads
  a cell, a workbook that unpacks to more than ``MAX_XLSX_UNPACKED`` bytes, or a part of it
  to more than ``MAX_XLSX_RATIO`` times its packed size (a zip bomb), is refused.

Above the table: title lines (one filled cell, in the first column): the first is the title, a
"Bron: …" line is the source; other lines are named in the notices. Below the table: footnotes
(named in the notices, a "Bron:" line again the source). The header row is the first row with
two or more filled cells; when the row below it starts empty and holds periods (a header cell
such as "Jaar" merged across "2020 | 2021"), the two rows make the header together.

Layouts
-------
* **Wide**: the first column(s) hold categories (or municipalities), the other headers are
  periods ("2020", "2021*", "2022JJ00"). Or headers are measures ("Aantal", "Percentage") and the
  period comes from ``ImportOptions.period`` or from the title ("Woongemeente studenten 2021");
  without one, :class:`UnreadableFile` asks for it. A "Percentage" column next to an "Aantal"
  column is derived and not read (a notice says so); other columns that are no period are not
  read either (notice).
* **Long**: a period column and a value column, optionally an indicator column ("Indicator",
  "Onderwerp", "Kenmerk" …), category columns and a municipality column ("Gemeente",
  "Woongemeente", CBS's "RegioS" …). A value column named after a measure (CBS: "Perioden;RegioS;
  Mbo-studenten") gives the indicator its name; several such columns give several indicators.

Indicator names: ``ImportOptions.indicator``; else, for wide tables, the title (without its
period), the header of the only category column (unless it is a generic word such as "Categorie"
or "Gemeente"), or the file name made readable ("afsluitredenen_2020-2021.csv" ->
"Afsluitredenen"); for long tables the indicator column or the measure header (a generic one,
"Waarde" or "Aantal", names it like a wide table). Several measure columns next to each other
are several indicators, named after their headers.

Categories: with several category columns (DUO: institution and home municipality) the category
is their texts joined, "ROC van Twente – Enschede", in the order of the columns;
``municipality_code`` comes from the municipality column.

Rows and values
---------------
* Municipalities (a column named so, or whose values mostly are municipalities) must be known to
  CBS (``MunicipalityDirectory``): the category becomes CBS's name and ``municipality_code`` its
  code; rest rows ("Anders & onbekend", "Overig") and other areas (NL01, PV23, "Nederland") are
  kept as plain categories; a name two municipalities share ("Bergen": Bergen (NH.) and
  Bergen (L.)) is refused naming both; anything else is refused ("onbekende gemeente").
* "Totaal", "Total", "Eindtotaal" rows are kept with ``is_total``; when no part is a
  percentage, missing or hidden, a total that differs from the sum of its parts gets a notice
  (not a refusal); with decimals, up to what rounding to the decimals shown explains.
* Values follow ``app.indicators.values`` (Dutch numbers, "24%", "<5", "x", a lone "*"
  (hidden, as "x"), "12*" (provisional), "." …; 10^15 or more is "getal te groot"). The
  numbers themselves decide the decimal mark, whatever the separator (:class:`_DecimalMark`):
  a comma unless the file has numbers that only a decimal point reads ("12.5", "0.75",
  "1,234.5"); "1.234" is 1234 unless the file also uses the point as decimal mark, and then it
  is refused as unclear (not stored as 1,234) unless other numbers have three decimals after
  a point. The notices say when the decimal mark is a point, or in a ","-separated file how
  "1.234" or "1,234" was read.
* Periods follow ``app.indicators.periods``; a date (an Excel date, or "1-3-2021",
  "2021-03-01" in a CSV) on the first of a month is that month, another date is refused.
* Refused: a value that is no number ("geen getal"), a period that cannot be read ("onbekende
  periode", naming the periods that are read), an unknown municipality, a long row with too
  few cells, and a second row (or column) with the same indicator, period, category and
  municipality as an earlier one ("dubbele rij").
* Nothing is dropped silently: every data row gives observations, refusals or a notice; only
  completely empty rows are skipped. Empty value cells are kept as missing (NaN), never as 0.

Speed: a CSV's columns are read as categoricals of text, exactly as in the file (the parser
finds each column's distinct texts while it reads; a column it would turn into numbers, with
"." as decimal mark, is read again as text), every column is handled as codes into its
distinct values, and each distinct
period, category, municipality and value text is parsed once; plain numbers are converted all
at once. Refusals are built only for bad rows. ``bench/indicator_import.py`` measures it.
"""

from __future__ import annotations

import codecs
import csv
import io
import math
import re
import struct
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import PurePath

import numpy as np
import pandas as pd

from app.core.text import clean_line
from app.indicators.municipalities import MunicipalityDirectory
from app.indicators.periods import (
    MONTH_NAMES,
    Period,
    find_period_in_text,
    month_period,
    parse_period,
    split_provisional,
)
from app.indicators.values import (
    MAX_MAGNITUDE,
    parse_cell,
    parse_cells,
    parse_factorized,
    too_large,
)

OBSERVATION_COLUMNS = [
    "indicator",
    "period",
    "category",
    "municipality_code",
    "value",
    "is_percentage",
    "is_total",
    "provisional",
    "suppressed",
    "row",
    "column",
]

#: How many notices of one kind (totals that differ, footnotes …) are listed one by one.
MAX_LISTED = 10

#: An .xlsx whose parts unpack to more than this is refused before it is read: reading takes
#: memory in proportion to the unpacked size (about 5 times it). A real workbook of 50,000 rows
#: unpacks to 8 MB (3 columns) or 14 MB (8 columns, numbers and text); 500,000 rows of 3
#: columns, the most rows Handvat reads, to about 85 MB.
MAX_XLSX_UNPACKED = 100 * 1024 * 1024
#: ... and one whose part of over a megabyte unpacks to more than this many times its packed
#: size: a zip bomb (deflate reaches about 1,000). A real sheet packs 5 to 15 times.
MAX_XLSX_RATIO = 200


_TOO_LARGE = (
    "getal te groot: Handvat leest getallen kleiner dan "
    + f"{int(MAX_MAGNITUDE):,}".replace(",", ".")
    + ". Kijk of het getal in de cel klopt"
)


class UnreadableFile(Exception):
    """The file cannot be read as a table; ``str(exc)`` is a Dutch message for the user."""


@dataclass(frozen=True)
class Refusal:
    row: int | None  # 1-based, as the user sees it in Excel / a text editor (header lines count)
    column: str | None  # the column's header text (or Excel letter when the header is empty)
    value: str | None  # the raw cell text
    reason: str  # Dutch: "geen getal", "onbekende gemeente", …

    @property
    def message(self) -> str:
        """ "Rij 12, kolom 'Waarde' ('abc'): geen getal." """
        place = []
        if self.row is not None:
            place.append(f"Rij {self.row}")
        if self.column:
            place.append(f"kolom '{self.column}'" if place else f"Kolom '{self.column}'")
        text = ", ".join(place)
        if self.value is not None and self.value != "":
            text = f"{text} ('{_short(self.value)}')" if text else f"'{_short(self.value)}'"
        reason = self.reason.rstrip(".")
        return f"{text}: {reason}." if text else f"{reason[:1].upper()}{reason[1:]}."


@dataclass(frozen=True)
class ImportOptions:
    indicator: str | None = None  # indicator name (wide layout / long without indicator column)
    sheet: str | None = None  # xlsx sheet name (default: the first sheet that holds a table)
    layout: str | None = None  # "long" | "wide" | None (work it out)
    period: str | None = None  # for a wide table whose columns are not periods (e.g. "Aantal")


@dataclass
class ImportPlan:
    file_name: str
    file_kind: str  # "csv" | "xlsx"
    sheet: str | None
    sheets: list[str]
    encoding: str | None
    delimiter: str | None
    layout: str  # "long" | "wide"
    header_row: int  # 1-based
    title: str | None
    source: str | None  # the text after "Bron:"
    indicator_names: list[str]
    #: One row per value to store, columns ``OBSERVATION_COLUMNS``: indicator, period (canonical
    #: code), category ("" when none), municipality_code (str or None) hold Python strings;
    #: value is float (NaN when missing or suppressed); is_percentage, is_total, provisional,
    #: suppressed are bool; row (int, as Refusal.row) and column (header text).
    observations: pd.DataFrame
    refused: list[Refusal] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)

    @property
    def can_import(self) -> bool:
        return not self.refused and len(self.observations) > 0


# ============================================================================================
# Entry point
# ============================================================================================


def read_indicator_file(
    data: bytes,
    file_name: str,
    options: ImportOptions | None = None,
    municipalities: MunicipalityDirectory | None = None,
    max_rows: int = 500_000,
) -> ImportPlan:
    """Read ``data`` (the file's bytes) and say what would be stored and what not."""
    options = options or ImportOptions()
    if options.layout not in (None, "long", "wide"):
        raise ValueError(f"layout must be 'long', 'wide' or None, not {options.layout!r}")
    directory = municipalities or MunicipalityDirectory.national()
    kind = _sniff(data, file_name)
    if kind == "xlsx":
        source = _read_xlsx(data, file_name, options, max_rows)
    else:
        source = _read_csv(data, file_name, max_rows)
    return _Planner(source, file_name, options, directory).plan()


# ============================================================================================
# Recognising the file
# ============================================================================================

_XLS_MESSAGE = (
    "Oude Excel-bestanden (.xls) kan Handvat niet lezen. Sla het bestand op als .xlsx of als CSV."
)
_IMAGE_MAGIC = (
    b"\x89PNG\r\n\x1a\n",
    b"\xff\xd8\xff",
    b"GIF87a",
    b"GIF89a",
    b"II*\x00",
    b"MM\x00*",
)


def _sniff(data: bytes, file_name: str) -> str:
    """ "xlsx" or "csv"; UnreadableFile for anything that is no table."""
    blank = b" \t\r\n\x00\xef\xbb\xbf\xff\xfe"
    if not data or (not data[:4096].strip(blank) and not data.strip(blank)):
        raise UnreadableFile("Het bestand is leeg.")
    name = _short(file_name, 60)
    if data.startswith(b"PK\x03\x04") or data.startswith(b"PK\x05\x06"):
        try:
            names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            raise UnreadableFile(
                f"'{name}' is een beschadigd of onvolledig Excel- of zip-bestand. "
                "Sla het opnieuw op als .xlsx of als CSV."
            ) from exc
        if "xl/workbook.xml" in names:
            return "xlsx"
        if "word/document.xml" in names:
            what = "een Word-document"
        elif any(n.startswith("ppt/") for n in names):
            what = "een PowerPoint-bestand"
        elif "content.xml" in names:
            raise UnreadableFile(
                f"'{name}' is een OpenDocument-bestand (.ods). Handvat leest .xlsx en CSV: "
                "sla het bestand op als .xlsx of als CSV."
            )
        else:
            what = "een zip-bestand"
        raise UnreadableFile(
            f"'{name}' is geen tabel maar {what}. Handvat leest tabellen uit een .xlsx- of "
            "CSV-bestand."
        )
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        raise UnreadableFile(_XLS_MESSAGE)
    if data.startswith(b"%PDF"):
        raise UnreadableFile(
            f"'{name}' is geen tabel maar een PDF-bestand. Neem de cijfers over in Excel en sla "
            "ze op als .xlsx of als CSV."
        )
    if data.startswith(_IMAGE_MAGIC) or (data[:4] == b"RIFF" and data[8:12] == b"WEBP"):
        raise UnreadableFile(
            f"'{name}' is geen tabel maar een afbeelding. Handvat leest tabellen uit een .xlsx- "
            "of CSV-bestand."
        )
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "csv"
    head = data[:4096]
    if b"\x00" in head:
        raise UnreadableFile(
            f"'{name}' is geen tabel die Handvat kan lezen. Gebruik een .xlsx- of CSV-bestand."
        )
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if start.startswith((b"<!doctype html", b"<html", b"<table", b"<?xml")):
        raise UnreadableFile(
            f"'{name}' is een webpagina of XML-bestand, geen CSV of Excel. Open het in Excel en "
            "sla het op als .xlsx of als CSV."
        )
    return "csv"


# ============================================================================================
# Reading: a grid of cells
# ============================================================================================


@dataclass
class _Source:
    grid: pd.DataFrame  # object cells; "" where empty; columns 0..n-1
    file_kind: str
    sheet: str | None = None
    sheets: list[str] = field(default_factory=list)
    encoding: str | None = None
    delimiter: str | None = None
    row_offset: int = 0  # file row of grid row i is i + 1 + row_offset
    col_offset: int = 0  # Excel column of grid column j is j + col_offset (0 = A)
    notices: list[str] = field(default_factory=list)
    #: .xlsx: grid column -> sorted grid rows whose cell has a percentage format.
    percent_cells: dict[int, np.ndarray] = field(default_factory=dict)
    #: .xlsx: some cells are formulas without a saved value (``_Formula`` in the grid).
    has_formulas: bool = False
    #: CSV: the text, to count the cells of rows that may be too short.
    text_lines: object = None


_DELIMITERS = (";", "\t", ",")


def _read_csv(data: bytes, file_name: str, max_rows: int) -> _Source:
    text: str | None = None
    if data.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
        text = data.decode("utf-16", errors="replace")
    else:
        encoding = "utf-8"
    sample_bytes = data[:65536]
    if text is not None:
        sample = text[:65536]
    else:
        sample = sample_bytes.decode("utf-8", errors="replace")
        if "\ufffd" in sample and not _valid_utf8_prefix(sample_bytes):
            encoding, text = _decode_legacy(data)
            sample = text[:65536]
    delimiter, width = _sniff_delimiter(sample)
    nrows = max_rows + 101
    try:
        grid = _parse_csv(data, text, encoding, delimiter, width, nrows)
    except UnicodeDecodeError:
        encoding, text = _decode_legacy(data)
        grid = _parse_csv(data, text, encoding, delimiter, width, nrows)
    if len(grid) >= nrows:
        raise UnreadableFile(_too_many_rows(max_rows))
    return _Source(
        grid=grid,
        file_kind="csv",
        encoding=encoding,
        delimiter=delimiter,
        text_lines=(data, text, encoding, delimiter),
    )


def _valid_utf8_prefix(sample: bytes) -> bool:
    """True when ``sample`` is valid UTF-8 but for a character cut off at its end."""
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start >= len(sample) - 3
    return True


def _decode_legacy(data: bytes) -> tuple[str, str]:
    """Text that is no UTF-8: Windows-1252, what Dutch Excel writes; charset-normalizer decides
    only when the bytes cannot be Windows-1252. A UTF-8 byte order mark in front of such text
    (a file that a program saved half in one encoding) is no text: it would read as "ï»¿"."""
    data = data.removeprefix(codecs.BOM_UTF8)
    try:
        return "cp1252", data.decode("cp1252")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is not None:
        return best.encoding, str(best)
    return "latin-1", data.decode("latin-1")


def _sniff_delimiter(sample: str) -> tuple[str, int]:
    """The separator and the widest row in the first lines. ";" (Dutch Excel), tab and ","
    in that order, the first one that splits most lines into the same number of cells."""
    lines = sample.splitlines()
    if len(lines) > 1 and not sample.endswith(("\n", "\r")):
        lines = lines[:-1]  # possibly cut off
    lines = [line for line in lines[:300] if line.strip()]
    best: tuple[str, int] | None = None
    for delimiter in _DELIMITERS:
        counts = [len(row) for row in csv.reader(lines, delimiter=delimiter)]
        multi = [c for c in counts if c > 1]
        if not multi:
            continue
        mode = max(set(multi), key=multi.count)
        share = multi.count(mode) / len(multi)
        if share >= 0.6 and len(multi) >= min(2, len(lines)):
            return delimiter, max(counts)
        if best is None:
            best = (delimiter, max(counts))
    return best or (";", 1)


def _parse_csv(
    data: bytes, text: str | None, encoding: str, delimiter: str, width: int, nrows: int
) -> pd.DataFrame:
    def read(ncols: int, dtype, usecols=None) -> pd.DataFrame:
        source = io.StringIO(text) if text is not None else io.BytesIO(data)
        return pd.read_csv(
            source,
            sep=delimiter,
            header=None,
            names=range(ncols),
            usecols=usecols,
            dtype=dtype,
            na_filter=False,
            skip_blank_lines=False,
            encoding=None if text is not None else encoding,
            nrows=nrows,
            engine="c",
            quotechar='"',
        )

    def attempt(ncols: int) -> pd.DataFrame:
        # Categoricals: the parser finds each column's distinct texts while it reads. But it
        # turns a column whose every cell looks like a number (or like True/False) into
        # numbers, with "." as decimal mark ("1.234" -> 1.234, "2.300" -> 2.3, "007" -> 7),
        # before the Dutch parser sees the text: such columns are read again, as text.
        frame = read(ncols, "category")
        converted = [col for col in frame.columns if not _text_categories(frame[col])]
        if converted:
            texts = read(ncols, object, usecols=converted)
            for col in converted:
                frame[col] = _categorical(texts[col])
        return frame

    try:
        return attempt(max(width, 1))
    except pd.errors.ParserError:
        # A row further down is wider than the first lines: count them all.
        full = text if text is not None else data.decode(encoding)
        rows = csv.reader(full.splitlines(), delimiter=delimiter)
        widest = max((len(r) for r in rows), default=1)
        try:
            return attempt(widest)
        except pd.errors.ParserError as exc:
            raise UnreadableFile(
                "Het bestand is geen geldige CSV: de aanhalingstekens kloppen niet."
            ) from exc


def _text_categories(column: pd.Series) -> bool:
    categories = column.cat.categories
    if isinstance(categories.dtype, pd.StringDtype):
        return True
    return categories.dtype == object and pd.api.types.infer_dtype(categories) in (
        "string",
        "empty",
    )


def _categorical(column: pd.Series) -> pd.Categorical:
    """A column of text as codes into its distinct texts (kept as text: object categories)."""
    codes, uniques = pd.factorize(column.to_numpy(dtype=object), use_na_sentinel=True)
    return pd.Categorical.from_codes(codes, pd.Index(uniques, dtype=object))


def _too_many_rows(max_rows: int) -> str:
    return (
        f"Het bestand heeft meer dan {_dutch_int(max_rows)} rijen. Zoveel leest Handvat niet "
        "in één keer: verdeel de cijfers over meer bestanden."
    )


def _read_xlsx(data: bytes, file_name: str, options: ImportOptions, max_rows: int) -> _Source:
    from python_calamine import CalamineError, CalamineWorkbook

    _check_unpacked_size(data, file_name)
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        metadata = workbook.sheets_metadata
    except (CalamineError, OSError, ValueError) as exc:
        raise UnreadableFile(
            f"'{_short(file_name, 60)}' is een beschadigd Excel-bestand. Open het in Excel en "
            "sla het opnieuw op als .xlsx of als CSV."
        ) from exc
    sheets = [m.name for m in metadata]
    visible = [m.name for m in metadata if str(m.visible).endswith("Visible")] or sheets
    notices: list[str] = []
    chosen: str | None = None
    rows: list[list] = []
    start = (0, 0)
    if options.sheet:
        wanted = options.sheet.strip().casefold()
        chosen = next((s for s in sheets if s.strip().casefold() == wanted), None)
        if chosen is None:
            raise UnreadableFile(
                f"Het werkblad '{options.sheet}' staat niet in het bestand. Werkbladen: "
                + ", ".join(f"'{s}'" for s in sheets)
                + "."
            )
        sheet = workbook.get_sheet_by_name(chosen)
        rows, start = sheet.to_python(), sheet.start or (0, 0)
    else:
        for name in visible:
            sheet = workbook.get_sheet_by_name(name)
            candidate = sheet.to_python()
            if _holds_table(candidate):
                chosen, rows, start = name, candidate, sheet.start or (0, 0)
                break
        if chosen is None:
            raise UnreadableFile(
                f"In '{_short(file_name, 60)}' is geen tabel gevonden: geen werkblad heeft een "
                "kopregel met rijen eronder."
            )
    if len(sheets) > 1:
        others = [s for s in sheets if s != chosen]
        notices.append(
            f"Gelezen: werkblad '{chosen}'. Niet gelezen: "
            + ", ".join(f"'{s}'" for s in others)
            + "."
        )
    if len(rows) > max_rows + 100:
        raise UnreadableFile(_too_many_rows(max_rows))
    if any(type(v) is bool for row in rows for v in row):
        rows = [["WAAR" if v is True else "ONWAAR" if v is False else v for v in r] for r in rows]
    sheet_xml = _sheet_xml(data, chosen)
    formulas = _formula_cells(sheet_xml)
    if formulas:
        rows, start = _with_formulas(rows, start, formulas, file_name)
        if len(rows) > max_rows + 100:
            raise UnreadableFile(_too_many_rows(max_rows))
    grid = pd.DataFrame(rows, dtype=object) if rows else pd.DataFrame(dtype=object)
    grid.columns = range(grid.shape[1])
    source = _Source(
        grid=grid,
        file_kind="xlsx",
        sheet=chosen,
        sheets=sheets,
        row_offset=start[0],
        col_offset=start[1],
        notices=notices,
        has_formulas=bool(formulas),
    )
    source.percent_cells = _percent_cells(data, sheet_xml, start, grid.shape)
    return source


def _damaged_xlsx(file_name: str) -> str:
    return (
        f"'{_short(file_name, 60)}' is een beschadigd Excel-bestand. Open het in Excel en sla "
        "het opnieuw op als .xlsx of als CSV."
    )


def _check_unpacked_size(data: bytes, file_name: str) -> None:
    """UnreadableFile when the workbook unpacks beyond ``MAX_XLSX_UNPACKED`` or a part of it
    beyond ``MAX_XLSX_RATIO`` times its packed size, before anything reads a cell.

    The zip's directory is checked first (declared sizes), then every part is unpacked for
    real, a piece at a time and thrown away, counting the bytes: a part may declare less than
    it holds, and one that holds more is refused as damaged as soon as it shows."""
    name = _short(file_name, 60)
    try:
        infos = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise UnreadableFile(_damaged_xlsx(file_name)) from exc
    too_big = UnreadableFile(
        f"'{name}' is te groot: uitgepakt is het meer dan "
        f"{_dutch_int(MAX_XLSX_UNPACKED / 1024 / 1024)} MB. Zoveel leest Handvat niet in één "
        "keer. Sla alleen het werkblad met de cijfers op, als .xlsx of als CSV, of verdeel de "
        "cijfers over meer bestanden."
    )
    bomb = UnreadableFile(
        f"'{name}' wordt uitgepakt meer dan {MAX_XLSX_RATIO} keer zo groot. Zo ziet een tabel "
        "met cijfers er niet uit: Handvat leest het bestand niet. Open het in Excel en sla het "
        "opnieuw op als .xlsx of als CSV."
    )
    for info in infos:
        if info.file_size > 1024 * 1024 and info.file_size > MAX_XLSX_RATIO * max(
            info.compress_size, 1
        ):
            raise bomb
    if sum(info.file_size for info in infos) > MAX_XLSX_UNPACKED:
        raise too_big
    total = 0
    for info in infos:
        unpacked = _unpacked_size(data, info, MAX_XLSX_UNPACKED - total, file_name)
        if unpacked > 1024 * 1024 and unpacked > MAX_XLSX_RATIO * max(info.compress_size, 1):
            raise bomb
        total += unpacked
        if total > MAX_XLSX_UNPACKED:
            raise too_big


def _unpacked_size(data: bytes, info: zipfile.ZipInfo, budget: int, file_name: str) -> int:
    """How many bytes part ``info`` really unpacks to; stops a little over ``budget`` or over
    the size the part declares (then: damaged)."""
    damaged = UnreadableFile(_damaged_xlsx(file_name))
    start = info.header_offset
    if data[start : start + 4] != b"PK\x03\x04" or len(data) < start + 30:
        raise damaged
    name_length, extra_length = struct.unpack_from("<HH", data, start + 26)
    begin = start + 30 + name_length + extra_length
    packed = memoryview(data)[begin : begin + info.compress_size]
    if info.compress_type == zipfile.ZIP_STORED:
        size = len(packed)
    elif info.compress_type == zipfile.ZIP_DEFLATED:
        limit = min(budget, info.file_size) + 1
        inflate = zlib.decompressobj(-zlib.MAX_WBITS)
        size = 0
        try:
            for offset in range(0, len(packed), 1 << 16):
                chunk = packed[offset : offset + (1 << 16)]
                while size <= limit:
                    out = len(inflate.decompress(chunk, 1 << 20))
                    size += out
                    chunk = inflate.unconsumed_tail
                    if not chunk and out < 1 << 20:
                        break  # this piece is done (a full 1 MB out may have more pending)
                if size > limit or inflate.eof:
                    break
        except zlib.error as exc:
            raise damaged from exc
    else:
        raise damaged  # Excel packs with deflate only
    if size > info.file_size:
        raise damaged
    return size


def _holds_table(rows: list[list]) -> bool:
    filled_rows = 0
    for row in rows[:200]:
        if sum(1 for v in row if v != "" and v is not None) >= 2:
            filled_rows += 1
            if filled_rows >= 2:
                return True
    return False


_PERCENT_XF = re.compile(rb"<xf\b[^>]*?numFmtId=\"(\d+)\"")
_NUMFMT = re.compile(rb"<numFmt\b[^>]*?numFmtId=\"(\d+)\"[^>]*?formatCode=\"([^\"]*)\"")
_CELL_STYLE = re.compile(rb"<c\b[^>]*?\br=\"([A-Z]+)(\d+)\"[^>]*?\bs=\"(\d+)\"")


def _sheet_xml(data: bytes, sheet_name: str) -> bytes | None:
    """The XML of the sheet ``sheet_name`` (None when it cannot be found)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        path = _sheet_path(archive, sheet_name)
        return archive.read(path) if path is not None else None
    except (KeyError, zipfile.BadZipFile, OSError, ValueError):
        return None


class _Formula(str):
    """A grid cell that holds a formula without a saved value; the text is the formula. It is
    filled (the table and its rows are found as Excel shows them), and refused."""


_FORMULA = re.compile(rb"<f[\s>/]")
_CELL_REF = re.compile(rb"\br=\"([A-Z]+)(\d+)\"")
_CELL_VALUE = re.compile(rb"<v\b[^>]*?(?:/>|>(.*?)</v>)", re.DOTALL)
_FORMULA_TEXT = re.compile(rb"<f\b[^>]*>(.*?)</f>", re.DOTALL)


def _formula_cells(xml: bytes | None) -> dict[tuple[int, int], str]:
    """(row, column) (0-based, in the sheet) -> formula, of the cells that hold a formula but
    no saved value (a file written by a program, not saved by Excel: the library reads them as
    empty, or not at all). A formula whose saved value is empty text (``t="str"``) is an empty
    cell, as Excel shows it."""
    if not xml or b"<f" not in xml:
        return {}
    found: dict[tuple[int, int], str] = {}
    for match in _FORMULA.finditer(xml):
        at = match.start()
        cell_at = xml.rfind(b"<c ", 0, at)
        tag_end = xml.find(b">", cell_at) if cell_at >= 0 else -1
        cell_end = xml.find(b"</c>", at)
        if cell_at < 0 or tag_end < 0 or tag_end > at or cell_end < 0:
            continue
        tag, body = xml[cell_at:tag_end], xml[tag_end + 1 : cell_end]
        ref = _CELL_REF.search(tag)
        if ref is None:
            continue
        value = _CELL_VALUE.search(body)
        if value is not None and (value.group(1) or b't="str"' in tag):
            continue  # a saved value
        text = _FORMULA_TEXT.search(body)
        formula = _xml_unescape(text.group(1).decode("utf-8", "replace")) if text else ""
        at_cell = (int(ref.group(2)) - 1, _column_index(ref.group(1).decode()))
        found[at_cell] = f"={formula}" if formula else "(formule)"
    return found


def _with_formulas(
    rows: list[list], start: tuple[int, int], formulas: dict[tuple[int, int], str], file_name: str
) -> tuple[list[list], tuple[int, int]]:
    """The sheet's rows with ``_Formula`` cells where formulas without a saved value are,
    grown to hold them (the library leaves out rows and columns that hold only those)."""
    top = min(start[0], min(r for r, _ in formulas))
    left = min(start[1], min(c for _, c in formulas))
    width = max((len(row) for row in rows), default=0)
    bottom = max(start[0] + len(rows), max(r for r, _ in formulas) + 1)
    right = max(start[1] + width, max(c for _, c in formulas) + 1)
    cells = (bottom - top) * (right - left)
    if cells > max(2 * len(rows) * width, len(rows) * width + 100_000):
        far = max(formulas, key=lambda rc: (rc[0] - start[0]) ** 2 + (rc[1] - start[1]) ** 2)
        raise UnreadableFile(
            f"In '{_short(file_name, 60)}' staan formules zonder opgeslagen uitkomst, ver "
            f"buiten de tabel (cel {_column_letters(far[1])}{far[0] + 1}). Open het bestand in "
            "Excel en sla het op: dan bewaart Excel de uitkomsten van de formules."
        )
    grown = [[""] * (right - left) for _ in range(bottom - top)]
    for i, row in enumerate(rows):
        r = start[0] - top + i
        c = start[1] - left
        grown[r][c : c + len(row)] = row
    for (r, c), formula in formulas.items():
        if grown[r - top][c - left] in ("", None):
            grown[r - top][c - left] = _Formula(formula)
    return grown, (top, left)


def _percent_cells(
    data: bytes, xml: bytes | None, start: tuple[int, int], shape: tuple[int, int]
) -> dict[int, np.ndarray]:
    """Grid column -> grid rows of the cells formatted as a percentage, from the styles and
    the sheet's XML."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        styles = archive.read("xl/styles.xml")
    except (KeyError, zipfile.BadZipFile, OSError):
        return {}
    percent_formats = {9, 10}
    for fmt_id, code in _NUMFMT.findall(styles):
        if b"%" in code.replace(b'"%"', b""):
            percent_formats.add(int(fmt_id))
    cell_xfs = re.search(rb"<cellXfs\b.*?</cellXfs>", styles, re.DOTALL)
    if not cell_xfs:
        return {}
    percent_styles = {
        str(i).encode()
        for i, fmt in enumerate(_PERCENT_XF.findall(cell_xfs.group(0)))
        if int(fmt) in percent_formats
    }
    if not percent_styles or not xml:
        return {}
    found: dict[int, list[int]] = {}
    for letters, row, style in _CELL_STYLE.findall(xml):
        if style in percent_styles:
            col = _column_index(letters.decode()) - start[1]
            grid_row = int(row) - 1 - start[0]
            if 0 <= col < shape[1] and 0 <= grid_row < shape[0]:
                found.setdefault(col, []).append(grid_row)
    return {col: np.array(sorted(rows)) for col, rows in found.items()}


def _sheet_path(archive: zipfile.ZipFile, sheet_name: str) -> str | None:
    workbook = archive.read("xl/workbook.xml")
    rels = archive.read("xl/_rels/workbook.xml.rels")
    rel_id = None
    for match in re.finditer(rb"<sheet\b[^>]*>", workbook):
        tag = match.group(0)
        name = re.search(rb'name="([^"]*)"', tag)
        rid = re.search(rb'r:id="([^"]*)"', tag)
        if name and rid and _xml_unescape(name.group(1).decode("utf-8")) == sheet_name:
            rel_id = rid.group(1)
            break
    if rel_id is None:
        return None
    for match in re.finditer(rb"<Relationship\b[^>]*>", rels):
        tag = match.group(0)
        if re.search(rb'Id="' + re.escape(rel_id) + rb'"', tag):
            target = re.search(rb'Target="([^"]*)"', tag)
            if target:
                path = target.group(1).decode()
                return path.lstrip("/") if path.startswith("/") else "xl/" + path
    return None


def _xml_unescape(text: str) -> str:
    return (
        text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", '"')
        .replace("&apos;", "'")
        .replace("&amp;", "&")
    )


def _column_index(letters: str) -> int:
    index = 0
    for ch in letters:
        index = index * 26 + (ord(ch) - 64)
    return index - 1


def _column_letters(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


# ============================================================================================
# Small helpers
# ============================================================================================


def _short(text: str, limit: int = 80) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _dutch_int(value: float) -> str:
    return f"{int(round(value)):,}".replace(",", ".")


def _dutch_number(value: float) -> str:
    """1234 -> "1.234", 3.534 -> "3,534" (at most six decimals)."""
    if not math.isfinite(value):
        return str(value)
    if value == int(value):
        return _dutch_int(value)
    text = f"{value:,.6f}".rstrip("0").rstrip(".")
    return text.replace(",", "_").replace(".", ",").replace("_", ".")


def _text(value: object) -> str:
    """A cell as text, for headers, categories and periods."""
    if value is None:
        return ""
    if isinstance(value, str):
        return " ".join(clean_line(value).split())
    if isinstance(value, bool):
        return "WAAR" if value else "ONWAAR"
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        if value.is_integer():
            return str(int(value))
        return repr(value).replace(".", ",")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime):
        if value.hour == value.minute == value.second == 0:
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return " ".join(str(value).split())


def _key(text: str) -> str:
    """Header text for comparing: folded, punctuation a space."""
    decomposed = unicodedata.normalize("NFKD", text)
    folded = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    return " ".join(re.sub(r"[^\w%]+", " ", folded).split())


def _cell_period(value: object) -> tuple[Period | None, bool]:
    """A cell as a period, and whether it is marked provisional. Dates on the first of a month
    are that month (Excel turns "mrt 2023" into 1-3-2023), as Excel dates and as text in a CSV
    ("1-3-2023", "01/03/2023" in Dutch order, "2023-03-01", with or without a time); other
    dates are no period."""
    if isinstance(value, datetime | date) and not isinstance(value, bool):
        return _date_period(value), False
    text, provisional = split_provisional(_text(value))
    day = _date_text(text)
    if day is not None:
        return _date_period(day), provisional
    whole_year = _WHOLE_YEAR.fullmatch(text)
    if whole_year:
        text = whole_year.group(1)  # "2020.0": a year written as a number by a program
    return parse_period(text), provisional


def _date_period(value: date) -> Period | None:
    day = value.date() if isinstance(value, datetime) else value
    if day.day == 1 and 1900 <= day.year <= 2100:
        return month_period(day.year, day.month)
    return None


_WHOLE_YEAR = re.compile(r"(\d{4})[.,]0+")
_TIME = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
_ISO_DATE = re.compile(rf"(?P<y>\d{{4}})-(?P<m>\d{{1,2}})-(?P<d>\d{{1,2}}){_TIME}")
_DUTCH_DATE = re.compile(
    rf"(?P<d>\d{{1,2}})(?P<sep>[-/.])(?P<m>\d{{1,2}})(?P=sep)(?P<y>\d{{4}}){_TIME}"
)


def _date_text(text: str) -> date | None:
    """A date written as text: "1-3-2023", "01/03/2023", "1.3.2023" (day first, as in Dutch),
    "2023-03-01", optionally with a time; None for anything else."""
    match = _ISO_DATE.fullmatch(text) or _DUTCH_DATE.fullmatch(text)
    if match is None:
        return None
    try:
        return date(int(match["y"]), int(match["m"]), int(match["d"]))
    except ValueError:
        return None


def _is_date(value: object) -> bool:
    if isinstance(value, datetime | date) and not isinstance(value, bool):
        return True
    return isinstance(value, str) and _date_text(split_provisional(_text(value))[0]) is not None


#: The refusal of a period that cannot be read: which periods are.
_UNKNOWN_PERIOD = (
    "onbekende periode. Handvat leest jaren (2021), schooljaren (2021/2022), halfjaren "
    "(1e halfjaar 2021), kwartalen (2e kwartaal 2021) en maanden (maart 2021, 2021-03 of "
    "1-3-2021)"
)


def _period_reason(value: object) -> str:
    """Why a period cell is refused."""
    if not _raw_text(value):
        return "geen periode"
    if not _is_date(value):
        return _UNKNOWN_PERIOD
    day = value if isinstance(value, date) else _date_text(split_provisional(_text(value))[0])
    example = f"{MONTH_NAMES[day.month - 1]} {day.year}"
    return (
        "een datum, geen periode. Handvat leest een datum alleen als het de eerste van een "
        "maand is (1-3-2021 is maart 2021). Schrijf de periode als jaar, kwartaal of maand, "
        f"bijvoorbeeld {example}"
    )


_FOOTNOTE_START = re.compile(
    r"^(?:\*|¹|²|³|\(\d\)|\d\)|bron|bronnen|noot|noten|toelichting|opmerking|let op|n\.?b\.?\b|"
    r"voetnoot|verklaring|legenda|x\s*=|\.\s*=|-\s*=|<\s*\d+\s*=|cijfers|gegevens|peildatum|"
    r"datum|gemaakt|bewerking|publicatie|copyright|©)",
    re.IGNORECASE,
)
_SOURCE = re.compile(r"^\s*(?:bron|bronnen)\s*:?\s*(.*)$", re.IGNORECASE | re.DOTALL)


def _footnote_like(text: str) -> bool:
    return bool(_FOOTNOTE_START.match(text)) or (len(text) > 45 and " " in text)


_TOTAL_WORDS = {"totaal", "total", "eindtotaal", "subtotaal", "totalen", "grand total"}

_PERIOD_HEADERS = {
    "periode",
    "perioden",
    "period",
    "periods",
    "jaar",
    "jaren",
    "jaartal",
    "year",
    "maand",
    "month",
    "kwartaal",
    "quarter",
    "halfjaar",
    "schooljaar",
    "studiejaar",
    "tijdvak",
    "tijd",
    "peiljaar",
    "meetjaar",
    "verslagjaar",
    "rapportagejaar",
    "peildatum",
}
_VALUE_HEADERS = {
    "waarde",
    "waarden",
    "value",
    "values",
    "getal",
    "aantal",
    "aantallen",
    "score",
    "uitkomst",
    "cijfer",
    "cijfers",
    "resultaat",
    "n",
    "percentage",
    "%",
    "procent",
}
_INDICATOR_HEADERS = {
    "indicator",
    "indicatoren",
    "indicatornaam",
    "naam indicator",
    "indicator naam",
    "onderwerp",
    "onderwerpen",
    "kenmerk",
    "kenmerken",
    "thema",
    "variabele",
    "maat",
    "meting",
    "item",
    "omschrijving",
}
_CATEGORY_HEADERS = {
    "categorie",
    "categorieen",
    "category",
    "groep",
    "subgroep",
    "uitsplitsing",
    "doelgroep",
    "klasse",
    "soort",
    "type",
    "dimensie",
}
_STRONG_MUNICIPALITY = re.compile(r"\b(?:\w*gemeente\w*|regios|gm ?code|gemcode)\b")
_WEAK_MUNICIPALITY = {
    "regio",
    "regiocode",
    "regionaam",
    "regio naam",
    "woonplaats",
    "plaats",
    "gebied",
    "gebiedsnaam",
    "gebiedscode",
    "region",
    "municipality",
}
_ID_HEADERS = {"id", "nr", "nummer", "volgnummer", "rij", "rijnummer", "#", "no"}
_DERIVED_HEADERS = {"percentage", "%", "procent", "aandeel", "perc", "in %", "percentage %"}
_GENERIC_FIRST_HEADERS = (
    _CATEGORY_HEADERS
    | {"gemeente", "gemeenten", "regio", "regios", "naam", "omschrijving", "onderwerp", ""}
    | _INDICATOR_HEADERS
)


def _is_total_text(key: str) -> bool:
    if key in _TOTAL_WORDS:
        return True
    words = key.split()
    return bool(words) and (words[0] in _TOTAL_WORDS or words[-1] in _TOTAL_WORDS)


def _is_count_header(key: str) -> bool:
    return key in {"aantal", "aantallen", "n", "totaal aantal"} or key.startswith("aantal ")


def _is_derived_header(key: str) -> bool:
    return key in _DERIVED_HEADERS or key.startswith(("percentage ", "% ", "aandeel "))


# ============================================================================================
# Planning: from a grid of cells to observations, refusals and notices
# ============================================================================================


@dataclass
class _Coded:
    """Cells as codes into their distinct values: each distinct value is handled once."""

    codes: np.ndarray  # intp, one per cell; -1: no value
    uniques: np.ndarray  # object

    @classmethod
    def of(cls, cells) -> _Coded:
        """From a Categorical (how CSV columns are kept) or any cells."""
        if isinstance(cells, pd.Categorical):
            codes = np.asarray(cells.codes, dtype=np.intp)
            return cls(codes, cells.categories.to_numpy(dtype=object))
        codes, uniques = pd.factorize(np.asarray(cells, dtype=object), use_na_sentinel=True)
        return cls(codes.astype(np.intp, copy=False), np.asarray(uniques, dtype=object))

    @classmethod
    def constant(cls, value: object, n: int) -> _Coded:
        return cls(np.zeros(n, dtype=np.intp), np.array([value], dtype=object))

    @classmethod
    def tiled(cls, labels: list, n_rows: int) -> _Coded:
        """``labels`` repeated for every row: row 0's cells, row 1's cells …"""
        codes = np.tile(np.arange(len(labels), dtype=np.intp), n_rows)
        return cls(codes, np.array(labels, dtype=object))

    def __len__(self) -> int:
        return len(self.codes)

    def get(self, i: int) -> object:
        code = self.codes[i]
        return None if code < 0 else self.uniques[code]

    def repeat(self, k: int) -> _Coded:
        return self if k == 1 else _Coded(np.repeat(self.codes, k), self.uniques)

    def take(self, per_unique: np.ndarray) -> np.ndarray:
        """``per_unique`` (one entry per distinct value, plus one for "no value" at the end)
        spread over the cells: code -1 picks the last entry, as numpy indexes it."""
        if len(per_unique) != len(self.uniques) + 1:
            raise ValueError("one entry per distinct value and one for no value")
        return per_unique[self.codes]

    def dense(self) -> np.ndarray:
        return self.take(np.append(self.uniques, None))

    def empty_at(self, cells: np.ndarray) -> np.ndarray:
        """For the cells at positions ``cells``: is the cell empty (or only spaces)?"""
        codes = self.codes[cells]
        distinct = np.unique(codes)
        empty = {c: c < 0 or _text(self.uniques[c]) == "" for c in distinct.tolist()}
        return np.array([empty[c] for c in codes.tolist()], dtype=bool)


@dataclass
class _Dim:
    """One category column, as it applies to every cell read."""

    header: str
    kind: str  # "municipality" | "category"
    cells: _Coded


@dataclass
class _Cells:
    """Every value cell to read, whatever the layout, with what belongs to it."""

    grid_rows: np.ndarray  # int, grid row per cell
    columns: _Coded  # header text per cell
    values: _Coded  # raw cell
    indicator: _Coded  # indicator name (or raw cell of the indicator column)
    indicator_header: str | None  # when the names come from a column
    period_cells: _Coded | None  # raw period cells (or period headers); None: a fixed period
    period_header: str | None
    fixed_period: Period | None
    dims: list[_Dim]
    percent: np.ndarray | None  # bool: Excel cell formatted as a percentage
    percentage_column: np.ndarray | None  # bool: the column is a percentage measure
    needed_width: int = 0  # long CSV: the cells a row needs


@dataclass
class _Resolved:
    """A category column's distinct cells resolved (one entry each, plus "no value")."""

    texts: np.ndarray
    municipality: np.ndarray
    totals: np.ndarray
    errors: np.ndarray
    meaning: np.ndarray


class _Planner:
    def __init__(
        self,
        source: _Source,
        file_name: str,
        options: ImportOptions,
        directory: MunicipalityDirectory,
    ):
        self.source = source
        self.grid = source.grid
        self.file_name = file_name
        self.options = options
        self.directory = directory
        self.notices: list[str] = list(source.notices)
        self.refused: list[Refusal] = []
        self.title: str | None = None
        self.source_text: str | None = None
        self.title_period: Period | None = None
        self.title_rest: str | None = None
        self.indicator_names: list[str] = []
        self._names_shared: dict[str, list] | None = None

    # ---------------------------------------------------------------- structure

    def plan(self) -> ImportPlan:
        grid = self.grid
        if grid.shape[0] == 0 or grid.shape[1] == 0:
            raise UnreadableFile(self._no_table())
        header_index, header_end, header = self._find_header()
        body_rows = self._body_rows(header_end)
        header = self._name_columns(header)
        layout, cells = self._layout(header, body_rows)
        frame = self._finish(cells)
        names = self.indicator_names
        if len(frame) == 0 and not self.refused:
            raise UnreadableFile(self._no_table())
        return ImportPlan(
            file_name=self.file_name,
            file_kind=self.source.file_kind,
            sheet=self.source.sheet,
            sheets=self.source.sheets,
            encoding=self.source.encoding,
            delimiter=self.source.delimiter,
            layout=layout,
            header_row=self._file_row(header_index),
            title=self.title,
            source=self.source_text,
            indicator_names=names,
            observations=frame,
            refused=self.refused,
            notices=self.notices,
        )

    def _no_table(self) -> str:
        return (
            f"In '{_short(self.file_name, 60)}' is geen tabel gevonden. Handvat zoekt een "
            "kopregel (bijvoorbeeld Periode en Waarde, of jaartallen naast elkaar) met rijen "
            "getallen eronder."
        )

    def _file_row(self, grid_row: int) -> int:
        return int(grid_row) + 1 + self.source.row_offset

    def _letter(self, col: int) -> str:
        return _column_letters(col + self.source.col_offset)

    def _row_texts(self, start: int, stop: int) -> list[list[str]]:
        block = self.grid.iloc[start:stop].to_numpy(dtype=object)
        return [[_text(v) for v in row] for row in block]

    def _find_header(self) -> tuple[int, int, list[str]]:
        """The header row (and the row below when they make the header together); title lines
        above it go to ``title``, ``source`` and the notices."""
        limit = min(len(self.grid), 60)
        rows = self._row_texts(0, limit)
        titles: list[tuple[int, str]] = []
        header_index = None
        for i, cells in enumerate(rows):
            filled = [j for j, t in enumerate(cells) if t]
            if not filled:
                continue
            if len(filled) == 1:
                if filled[0] == 0:
                    titles.append((i, cells[0]))
                elif _key(cells[filled[0]]) not in _PERIOD_HEADERS:
                    # A label above some columns (e.g. "Jaar" over the years): not read.
                    self.notices.append(
                        f"Regel {self._file_row(i)} is niet gelezen: '{_short(cells[filled[0]])}'."
                    )
                continue
            header_index = i
            break
        if header_index is None:
            raise UnreadableFile(self._no_table())
        for i, text in titles:
            source = _SOURCE.match(text)
            if source and source.group(1).strip():
                self.source_text = source.group(1).strip()
            elif self.title is None:
                self.title = text
            else:
                self.notices.append(f"Regel {self._file_row(i)} is niet gelezen: '{_short(text)}'.")
        if self.title:
            found = find_period_in_text(self.title)
            if found:
                self.title_period, self.title_rest = found
        header = rows[header_index]
        header_end = header_index
        if header_index + 1 < len(rows):
            below = rows[header_index + 1]
            if not below[0] and any(
                _cell_period(self.grid.iat[header_index + 1, j])[0] is not None
                for j in range(1, len(below))
                if below[j]
            ):
                header = [below[j] or header[j] for j in range(len(below))]
                header_end = header_index + 1
        return header_index, header_end, header

    def _body_rows(self, header_end: int) -> np.ndarray:
        """Grid rows below the header that belong to the table; footnotes below it go to the
        notices (and a "Bron:" line to ``source``)."""
        n = len(self.grid)
        start = header_end + 1
        tail_start = max(start, n - 60)
        tail = self._row_texts(tail_start, n)
        filled_counts = [sum(1 for t in row if t) for row in tail]
        last_multi = None
        for k in range(len(tail) - 1, -1, -1):
            if filled_counts[k] >= 2:
                last_multi = tail_start + k
                break
        if last_multi is None:
            last_multi = self._last_multi_row(start, tail_start)
        end = n
        footnotes: list[tuple[int, str]] = []
        if last_multi is not None:
            blank_seen = False
            in_footer = False
            end = last_multi + 1
            for i in range(last_multi + 1, n):
                row = tail[i - tail_start] if i >= tail_start else self._row_texts(i, i + 1)[0]
                filled = [t for t in row if t]
                if not filled:
                    blank_seen = True
                    continue
                text = filled[0]
                if in_footer or blank_seen or len(filled) > 1 or _footnote_like(text):
                    in_footer = True
                    footnotes.append((i, " ".join(filled)))
                else:
                    end = i + 1
        for i, text in footnotes:
            source = _SOURCE.match(text)
            if source and source.group(1).strip():
                if self.source_text is None:
                    self.source_text = source.group(1).strip()
                continue
            self.notices.append(
                f"Voetnoot in rij {self._file_row(i)} is niet gelezen: '{_short(text)}'."
            )
        return np.arange(start, end)

    def _last_multi_row(self, start: int, stop: int) -> int | None:
        if stop <= start:
            return None
        block = self.grid.iloc[start:stop]
        filled = (block.map(_text) != "").sum(axis=1).to_numpy()
        hits = np.flatnonzero(filled >= 2)
        return start + int(hits[-1]) if len(hits) else None

    def _name_columns(self, header: list[str]) -> list[str]:
        width = self.grid.shape[1]
        header = list(header) + [""] * (width - len(header))
        return header[:width]

    def _column_label(self, header: list[str], col: int) -> str:
        return header[col] or self._letter(col)

    def _measure_name(self, header: list[str], col: int) -> str:
        """A measure header as an indicator name; CBS's keys lose their number
        ("MboStudenten_1" -> "MboStudenten")."""
        label = self._column_label(header, col)
        return re.sub(r"^([A-Za-z]\w*?)_\d+$", r"\1", label)

    # ---------------------------------------------------------------- layout

    def _layout(self, header: list[str], body: np.ndarray) -> tuple[str, _Cells]:
        keys = [_key(h) for h in header]
        period_cols = [
            j for j in range(1, len(header)) if header[j] and _cell_period(header[j])[0] is not None
        ]
        wanted = self.options.layout
        if wanted == "wide" or (wanted is None and period_cols):
            return "wide", self._wide(header, keys, body, period_cols)
        roles = self._long_roles(header, keys, body)
        if roles is not None:
            return "long", self._long(header, keys, body, roles)
        if wanted == "long":
            raise UnreadableFile(
                "Handvat vindt in dit bestand geen kolom met perioden en geen kolom met waarden "
                "eronder. Staan de perioden of de aantallen naast elkaar? Kies dan die indeling."
            )
        return "wide", self._wide(header, keys, body, period_cols)

    def _sample(self, col: int, body: np.ndarray, size: int = 200) -> list:
        rows = body[:size]
        values = self.grid.iloc[rows, col].tolist() if len(rows) else []
        return [v for v in values if _text(v)]

    def _mostly_numbers(self, col: int, body: np.ndarray) -> bool:
        sample = self._sample(col, body)
        if not sample:
            return False
        parsed = parse_cells(sample, decimal=self._decimal_guess(sample))
        return parsed.ok.mean() >= 0.6 and not (parsed.missing.all())

    def _mostly_periods(self, col: int, body: np.ndarray) -> bool:
        sample = self._sample(col, body)
        if not sample:
            return False
        hits = sum(1 for v in sample if _cell_period(v)[0] is not None)
        return hits / len(sample) >= 0.8

    def _mostly_municipalities(self, col: int, body: np.ndarray) -> bool:
        distinct = {_text(v) for v in self._sample(col, body, 500)}
        distinct = {
            t
            for t in distinct
            if not _is_total_text(_key(t)) and not self.directory.is_rest_category(t)
        }
        if len(distinct) < 2:
            return False
        known = sum(1 for t in distinct if self.directory.resolve(t) is not None)
        return known / len(distinct) >= 0.6

    def _long_roles(self, header: list[str], keys: list[str], body: np.ndarray) -> dict | None:
        """Which column is what in a long table; None when it is no long table (no period
        column and no indicator column, or no values)."""
        width = len(header)
        filled_cols = [j for j in range(width) if header[j] or self._sample(j, body, 20)]
        period = next((j for j in filled_cols if keys[j] in _PERIOD_HEADERS), None)
        if period is None:
            period = next(
                (
                    j
                    for j in filled_cols
                    if keys[j] not in _VALUE_HEADERS and self._mostly_periods(j, body)
                ),
                None,
            )
        indicator = next(
            (j for j in filled_cols if keys[j] in _INDICATOR_HEADERS and j != period), None
        )
        if period is None and indicator is None:
            # A table of categories with measures: the wide reading handles it, with the
            # period from the options or the title.
            return None
        used = {j for j in (period, indicator) if j is not None}
        ignored = [j for j in filled_cols if j not in used and keys[j] in _ID_HEADERS]
        used.update(ignored)
        values = [j for j in filled_cols if j not in used and keys[j] in _VALUE_HEADERS]
        if not values:
            values = [
                j
                for j in filled_cols
                if j not in used
                and not _STRONG_MUNICIPALITY.search(keys[j])
                and keys[j] not in _CATEGORY_HEADERS
                and self._mostly_numbers(j, body)
            ]
        if not values:
            return None
        derived: list[int] = []
        if len(values) > 1 and any(_is_count_header(keys[j]) for j in values):
            derived = [j for j in values if _is_derived_header(keys[j])]
            values = [j for j in values if j not in derived]
        if indicator is not None and len(values) > 1:
            keep = next((j for j in values if keys[j] in _VALUE_HEADERS), values[0])
            ignored.extend(j for j in values if j != keep)
            values = [keep]
        used.update(values)
        used.update(derived)
        municipality = None
        categories = []
        for j in filled_cols:
            if j in used:
                continue
            if municipality is None and (
                _STRONG_MUNICIPALITY.search(keys[j])
                or (keys[j] not in _CATEGORY_HEADERS and self._mostly_municipalities(j, body))
            ):
                municipality = j
            else:
                categories.append(j)
        return {
            "period": period,
            "indicator": indicator,
            "values": values,
            "derived": derived,
            "ignored": sorted(ignored),
            "municipality": municipality,
            "categories": categories,
        }

    def _fixed_period_available(self) -> bool:
        return bool(self.options.period) or self.title_period is not None

    def _fixed_period(self) -> Period:
        if self.options.period:
            text, _ = split_provisional(self.options.period)
            period = parse_period(text)
            if period is None:
                raise UnreadableFile(
                    f"'{_short(self.options.period)}' is geen periode die Handvat kent. Schrijf "
                    "bijvoorbeeld 2021, 2021/2022, 2e kwartaal 2021 of maart 2021."
                )
            self.notices.append(f"Periode {period.label}: zoals opgegeven.")
            return period
        if self.title_period is not None:
            self.notices.append(
                f"Periode {self.title_period.label}: uit de titel '{_short(self.title or '')}'."
            )
            return self.title_period
        raise UnreadableFile(
            "In dit bestand staat geen periode: geen kolom met jaartallen en geen jaartal in de "
            "titel. Vul de periode in (bijvoorbeeld 2021) en lees het bestand opnieuw."
        )

    def _indicator_name_wide(self, header: list[str], first_category: int | None) -> str:
        if self.options.indicator and self.options.indicator.strip():
            return " ".join(self.options.indicator.split())
        if self.title:
            name = self.title_rest if self.title_period is not None else self.title
            if name:
                return name
        if first_category is not None:
            first = header[first_category]
            if first and _key(first) not in _GENERIC_FIRST_HEADERS:
                return first
        return _humanise(self.file_name)

    # ---------------------------------------------------------------- wide

    def _wide(
        self, header: list[str], keys: list[str], body: np.ndarray, period_cols: list[int]
    ) -> _Cells:
        filled_cols = [j for j in range(len(header)) if header[j] or self._sample(j, body, 50)]
        if not filled_cols:
            raise UnreadableFile(self._no_table())
        fixed: Period | None = None
        if period_cols:
            category_cols = [j for j in filled_cols if j < period_cols[0]]
            value_cols = period_cols
            for j in filled_cols:
                if j > period_cols[0] and j not in period_cols:
                    self.notices.append(
                        f"Kolom '{self._column_label(header, j)}' is niet gelezen: de kop is "
                        "geen periode."
                    )
            if self.options.period:
                self.notices.append(
                    "De opgegeven periode is niet gebruikt: de perioden staan in de kopregel."
                )
        else:

            def is_measure(j: int) -> bool:
                return (
                    keys[j] in _VALUE_HEADERS
                    or _is_count_header(keys[j])
                    or _is_derived_header(keys[j])
                    or self._mostly_numbers(j, body)
                )

            category_cols = [filled_cols[0]]
            rest = filled_cols[1:]
            while rest and not is_measure(rest[0]):
                category_cols.append(rest.pop(0))
            value_cols = [j for j in rest if is_measure(j)]
            for j in rest:
                if j not in value_cols:
                    self.notices.append(
                        f"Kolom '{self._column_label(header, j)}' is niet gelezen: er staan geen "
                        "getallen in."
                    )
            if not value_cols:
                raise UnreadableFile(self._no_table())
            counts = [j for j in value_cols if _is_count_header(keys[j])]
            if counts and len(value_cols) > 1:
                for j in [j for j in value_cols if _is_derived_header(keys[j])]:
                    value_cols.remove(j)
                    self.notices.append(
                        f"Kolom '{self._column_label(header, j)}' is niet gelezen: die is "
                        f"berekend uit kolom '{self._column_label(header, counts[0])}'."
                    )
            fixed = self._fixed_period()
        n_rows, k = len(body), len(value_cols)
        grid_rows = np.repeat(body, k)
        if n_rows:
            values = _Coded.of(self.grid.iloc[body, value_cols].to_numpy(dtype=object).ravel())
        else:
            values = _Coded.of(np.empty(0, dtype=object))
        labels = [self._column_label(header, j) for j in value_cols]
        columns = _Coded.tiled(labels, n_rows)
        period_cells = _Coded.tiled(labels, n_rows) if period_cols else None
        name = self._indicator_name_wide(
            header, category_cols[0] if len(category_cols) == 1 else None
        )
        if not period_cols and k > 1:
            if self.options.indicator:
                labels = [f"{name} – {label}" for label in labels]
            indicator = _Coded.tiled(labels, n_rows)
        else:
            indicator = _Coded.constant(name, n_rows * k)
        dims = self._dims(header, keys, body, category_cols, repeat=k)
        percent_col = np.array([_is_derived_header(keys[j]) for j in value_cols], dtype=bool)
        return _Cells(
            grid_rows=grid_rows,
            columns=columns,
            values=values,
            indicator=indicator,
            indicator_header=None,
            period_cells=period_cells,
            period_header=None,
            fixed_period=fixed,
            dims=dims,
            percent=self._percent_mask(grid_rows, np.tile(np.array(value_cols), n_rows)),
            percentage_column=np.tile(percent_col, n_rows) if percent_col.any() else None,
        )

    def _dims(
        self,
        header: list[str],
        keys: list[str],
        body: np.ndarray,
        cols: list[int],
        repeat: int = 1,
        municipality: int | None = None,
    ) -> list[_Dim]:
        dims = []
        found_municipality = municipality is not None
        for j in cols:
            if j == municipality:
                kind = "municipality"
            elif not found_municipality and (
                _STRONG_MUNICIPALITY.search(keys[j]) or self._mostly_municipalities(j, body)
            ):
                kind = "municipality"
                found_municipality = True
            else:
                kind = "category"
            cells = self._coded(j, body).repeat(repeat)
            dims.append(_Dim(self._column_label(header, j), kind, cells))
        return dims

    def _coded(self, col: int, body: np.ndarray) -> _Coded:
        """The cells of grid column ``col`` in the (contiguous) rows ``body``."""
        if len(body) == 0:
            return _Coded(np.zeros(0, dtype=np.intp), np.zeros(0, dtype=object))
        first, stop = int(body[0]), int(body[-1]) + 1
        array = self.grid[col].array
        if isinstance(array, pd.Categorical):
            return _Coded.of(array[first:stop])
        return _Coded.of(np.asarray(array, dtype=object)[first:stop])

    def _percent_mask(self, grid_rows: np.ndarray, grid_cols: np.ndarray) -> np.ndarray | None:
        cells = self.source.percent_cells
        if not cells:
            return None
        mask = np.zeros(len(grid_rows), dtype=bool)
        for col, rows in cells.items():
            in_col = grid_cols == col
            if in_col.any():
                mask[in_col] = np.isin(grid_rows[in_col], rows)
        return mask

    # ---------------------------------------------------------------- long

    def _long(self, header: list[str], keys: list[str], body: np.ndarray, roles: dict) -> _Cells:
        for j in roles["ignored"]:
            self.notices.append(f"Kolom '{self._column_label(header, j)}' is niet gelezen.")
        for j in roles["derived"]:
            self.notices.append(
                f"Kolom '{self._column_label(header, j)}' is niet gelezen: die is berekend uit "
                "de aantallen."
            )
        value_cols: list[int] = roles["values"]
        k = len(value_cols)
        n_rows = len(body)

        def column(j: int) -> _Coded:
            return self._coded(j, body).repeat(k)

        grid_rows = np.repeat(body, k) if k > 1 else body
        if k > 1:
            block = self.grid.iloc[body, value_cols].to_numpy(dtype=object).ravel()
            values = _Coded.of(block)
            columns = _Coded.tiled([self._column_label(header, j) for j in value_cols], n_rows)
        else:
            values = column(value_cols[0])
            columns = _Coded.constant(self._column_label(header, value_cols[0]), n_rows)
        indicator_col = roles["indicator"]
        if indicator_col is not None:
            indicator = column(indicator_col)
            indicator_header = self._column_label(header, indicator_col)
        else:
            indicator_header = None
            generic = {"waarde", "waarden", "value", "values", "aantal", "getal", "n"}
            generic |= _DERIVED_HEADERS
            if k == 1 and (self.options.indicator or keys[value_cols[0]] in generic):
                name = self._indicator_name_wide(header, None)
                indicator = _Coded.constant(name, n_rows)
            else:
                labels = [self._measure_name(header, j) for j in value_cols]
                indicator = _Coded.tiled(labels, n_rows)
        if roles["period"] is not None:
            period_cells = column(roles["period"])
            period_header = self._column_label(header, roles["period"])
            fixed = None
        else:
            period_cells, period_header, fixed = None, None, self._fixed_period()
        dim_cols = list(roles["categories"])
        if roles["municipality"] is not None:
            dim_cols.append(roles["municipality"])
            dim_cols.sort()
        dims = []
        for j in dim_cols:
            kind = "municipality" if j == roles["municipality"] else "category"
            dims.append(_Dim(self._column_label(header, j), kind, column(j)))
        percent_col = np.array([_is_derived_header(keys[j]) for j in value_cols], dtype=bool)
        cells = _Cells(
            grid_rows=grid_rows,
            columns=columns,
            values=values,
            indicator=indicator,
            indicator_header=indicator_header,
            period_cells=period_cells,
            period_header=period_header,
            fixed_period=fixed,
            dims=dims,
            percent=self._percent_mask(grid_rows, np.tile(np.array(value_cols), n_rows)),
            percentage_column=np.tile(percent_col, n_rows) if percent_col.any() else None,
        )
        read = [*value_cols, *dim_cols, indicator_col or 0, roles["period"] or 0]
        cells.needed_width = max(read) + 1
        return cells

    def _decimal_guess(self, sample: list) -> str:
        return _DecimalMark.of(sample, self.source.delimiter).decimal

    # ---------------------------------------------------------------- the plan itself

    def _finish(self, cells: _Cells) -> pd.DataFrame:
        n = len(cells.values)
        file_rows = cells.grid_rows.astype(np.int64) + 1 + self.source.row_offset
        refusals: list[tuple[int, int, str | None, str | None, str]] = []

        def refuse(mask: np.ndarray, column: str | None, raw: _Coded | None, reason_of) -> None:
            for i in np.flatnonzero(mask).tolist():
                col = column if column is not None else _text(cells.columns.get(i))
                value = _raw_text(raw.get(i)) if raw is not None else None
                refusals.append((i, int(file_rows[i]), col, value, reason_of(i)))

        # Values first: only a cell without a value can belong to a blank row.
        number_mark = self._file_decimal(cells.values)
        decimal = number_mark.decimal
        parsed = parse_factorized(cells.values.codes, cells.values.uniques, decimal=decimal)
        formulas = self._formulas_without_value(cells)
        formula = np.zeros(n, dtype=bool)
        formula[[i for i, _, _ in formulas]] = True
        keep_rows = ~self._blank_rows(cells, parsed.missing & ~formula)
        bad = formula.copy()
        for i, column, text in formulas:
            refusals.append((i, int(file_rows[i]), column, text, _FORMULA_WITHOUT_VALUE))

        # Long CSV rows with too few cells.
        short = self._short_rows(cells, parsed.missing & keep_rows)
        if short:
            mask = np.isin(cells.grid_rows, list(short))
            first = _first_per_row(cells.grid_rows, mask)
            for i in np.flatnonzero(first).tolist():
                refusals.append((i, int(file_rows[i]), None, None, short[int(cells.grid_rows[i])]))
            bad |= mask

        value = parsed.value
        is_pct = parsed.is_percentage
        if cells.percent is not None:
            numeric = cells.percent & parsed.ok & ~parsed.is_percentage & ~np.isnan(value)
            if numeric.any():
                is_number = [
                    isinstance(v, float | int) and not isinstance(v, bool)
                    for v in cells.values.uniques.tolist()
                ]
                numeric &= cells.values.take(np.array([*is_number, False], dtype=bool))
                value = value.copy()
                value[numeric] = np.round(value[numeric] * 100, 10)
                is_pct = is_pct | numeric
        if cells.percentage_column is not None:
            is_pct = is_pct | (
                cells.percentage_column & parsed.ok & ~parsed.missing & ~parsed.suppressed
            )
        not_number = ~parsed.ok & keep_rows & ~bad
        if not_number.any():
            wrong = np.unique(cells.values.codes[not_number])
            reasons = number_mark.refusals(cells.values, wrong)
            for code in wrong.tolist():
                if code >= 0 and too_large(cells.values.uniques[code], decimal=decimal):
                    reasons[code] = _TOO_LARGE
            refuse(
                not_number,
                None,
                cells.values,
                lambda i: reasons.get(int(cells.values.codes[i]), "geen getal"),
            )
            bad |= not_number
        unclear = number_mark.unclear(cells.values)
        if unclear:
            in_doubt = cells.values.take(
                np.array([u in unclear for u in range(len(cells.values.uniques) + 1)])
            )
            in_doubt &= keep_rows & ~bad
            refuse(in_doubt, None, cells.values, lambda i: unclear[int(cells.values.codes[i])])
            bad |= in_doubt

        # Periods: each distinct text once.
        provisional = parsed.provisional
        if cells.period_cells is not None:
            periods = cells.period_cells
            m = len(periods.uniques)
            canonical = np.full(m + 1, "", dtype=object)
            marked = np.zeros(m + 1, dtype=bool)
            for u, raw in enumerate(periods.uniques.tolist()):
                period, mark = _cell_period(raw)
                if period is not None:
                    canonical[u], marked[u] = period.code, mark
            per = periods.take(canonical)
            if marked.any():
                provisional = provisional | periods.take(marked)
            unread = periods.take(canonical == "") & keep_rows
            if unread.any():
                refuse(
                    unread & ~bad,
                    cells.period_header,
                    periods,
                    lambda i: _period_reason(periods.get(i)),
                )
                bad |= unread
            per_id = periods.take(pd.factorize(canonical)[0])
        else:
            per = np.full(n, cells.fixed_period.code, dtype=object)
            per_id = np.zeros(n, dtype=np.int64)

        # Indicators.
        names = np.array([_text(u) for u in cells.indicator.uniques.tolist()] + [""], dtype=object)
        indicator = cells.indicator.take(names)
        name_codes, name_uniques = pd.factorize(names)
        ind_id = cells.indicator.take(name_codes)
        if cells.indicator_header is not None:
            nameless = cells.indicator.take(names == "") & keep_rows & ~bad
            refuse(nameless, cells.indicator_header, None, lambda i: "geen indicator")
            bad |= nameless

        # Category and municipality columns.
        municipality = np.full(n, None, dtype=object)
        total_dim = np.full(n, -1, dtype=np.int64)
        dim_ids: list[np.ndarray] = []
        dim_texts: list[tuple[np.ndarray, _Coded]] = []
        for d, dim in enumerate(cells.dims):
            r = self._resolve_dim(dim)
            dim_texts.append((r.texts, dim.cells))
            dim_ids.append(dim.cells.take(r.meaning))
            if dim.kind == "municipality":
                municipality = dim.cells.take(r.municipality)
            wrong = r.errors != ""
            if wrong.any():
                error_mask = dim.cells.take(wrong) & keep_rows
                refuse(
                    error_mask & ~bad & _first_per_row(cells.grid_rows, error_mask),
                    dim.header,
                    dim.cells,
                    lambda i, r=r, dim=dim: _dim_error(r, dim, i),
                )
                bad |= error_mask
            if r.totals.any():
                totals = dim.cells.take(r.totals)
                total_dim = np.where(totals, np.where(total_dim == -1, d, -2), total_dim)
        category = _category_text(dim_texts, dim_ids, n)

        # Duplicates: the same indicator, period, category and municipality twice.
        good = keep_rows & ~bad
        self._refuse_duplicates(
            _group_ids([ind_id, per_id, *dim_ids], n), good, file_rows, cells, refusals, bad
        )
        good = keep_rows & ~bad

        refusals.sort(key=lambda r: (r[1], r[0]))
        seen: set[tuple] = set()
        for _, row, col, raw, reason in refusals:
            marker = (row, col, reason)
            if marker not in seen:
                seen.add(marker)
                self.refused.append(Refusal(row, col, raw, reason))

        all_good = bool(good.all())
        self.indicator_names = [
            str(name_uniques[c]) for c in pd.unique(ind_id if all_good else ind_id[good]).tolist()
        ]

        def pick(array: np.ndarray) -> np.ndarray:
            return array if all_good else array[good]

        frame = pd.DataFrame(
            copy=False,
            data={
                "indicator": pd.Series(pick(indicator), dtype=object),
                "period": pd.Series(pick(per), dtype=object),
                "category": pd.Series(pick(category), dtype=object),
                "municipality_code": pd.Series(pick(municipality), dtype=object),
                "value": pick(value),
                "is_percentage": pick(is_pct),
                "is_total": pick(total_dim != -1),
                "provisional": pick(provisional),
                "suppressed": pick(parsed.suppressed),
                "row": pick(file_rows),
                "column": pd.Series(pick(cells.columns.dense()), dtype=object),
            },
        )
        self._value_notices(parsed, good, number_mark)
        if (total_dim[good] != -1).any():
            self._check_totals(
                frame, pick(total_dim), [pick(ids) for ids in dim_ids], pick(ind_id), pick(per_id)
            )
        return frame

    def _formulas_without_value(self, cells: _Cells) -> list[tuple[int, str, str]]:
        """(cell, column header, formula) for every cell read from a formula cell without a
        saved value: one of its category, period, indicator or value cells."""
        if not self.source.has_formulas:
            return []
        read: list[tuple[_Coded, str | None]] = [(dim.cells, dim.header) for dim in cells.dims]
        if cells.period_header is not None:
            read.append((cells.period_cells, cells.period_header))
        if cells.indicator_header is not None:
            read.append((cells.indicator, cells.indicator_header))
        read.append((cells.values, None))
        hits: list[tuple[int, str, str]] = []
        for coded, label in read:
            flags = [isinstance(u, _Formula) for u in coded.uniques.tolist()]
            if not any(flags):
                continue
            mask = coded.take(np.array([*flags, False], dtype=bool))
            for i in np.flatnonzero(mask).tolist():
                column = label if label is not None else _text(cells.columns.get(i))
                hits.append((i, column, str(coded.get(i))))
        return hits

    def _blank_rows(self, cells: _Cells, missing: np.ndarray) -> np.ndarray:
        """Per cell: True when every cell read from its row is empty (skipped silently)."""
        candidates = np.flatnonzero(missing)
        if len(candidates) == 0:
            return np.zeros(len(missing), dtype=bool)
        columns = [cells.values] + [dim.cells for dim in cells.dims]
        if cells.period_header is not None:
            columns.append(cells.period_cells)
        if cells.indicator_header is not None:
            columns.append(cells.indicator)
        blank = np.zeros(len(missing), dtype=bool)
        in_candidates = np.ones(len(candidates), dtype=bool)
        for column in columns:
            in_candidates &= column.empty_at(candidates)
        blank[candidates[in_candidates]] = True
        if not blank.any():
            return blank
        if len(np.unique(cells.grid_rows[candidates])) == len(candidates) and (
            len(cells.grid_rows) == len(np.unique(cells.grid_rows))
        ):
            return blank
        return _rows_all_blank(cells.grid_rows, blank)

    def _short_rows(self, cells: _Cells, empty_value: np.ndarray) -> dict[int, str]:
        """Long CSV: rows with fewer cells than the columns read (Excel fills every row up to
        the widest; a shorter row is damaged or typed by hand). Grid row -> reason."""
        if (
            not cells.needed_width
            or self.source.file_kind != "csv"
            or self.source.text_lines is None
            or not empty_value.any()
        ):
            return {}
        positions = np.flatnonzero(empty_value)
        positions = positions[cells.values.empty_at(positions)]
        if len(positions) == 0:
            return {}
        candidates = np.unique(cells.grid_rows[positions])[:50_000].tolist()
        lines = _Lines.of(self.source.text_lines, len(self.grid))
        if lines is None:
            return {}  # quoted line breaks: rows and lines differ, so it cannot tell
        needed = cells.needed_width
        delimiter = self.source.delimiter
        short: dict[int, str] = {}
        for row in candidates:
            line = lines.line(row)
            width = len(next(csv.reader([line], delimiter=delimiter), []))
            if line.strip() and width < needed:
                short[row] = f"te weinig cellen ({width} van de {needed})"
        return short

    def _file_decimal(self, values: _Coded) -> _DecimalMark:
        uniques = values.uniques
        if len(uniques) > 2000:
            uniques = uniques[:: len(uniques) // 1000]
        return _DecimalMark.of(uniques.tolist(), self.source.delimiter)

    def _resolve_dim(self, dim: _Dim) -> _Resolved:
        """Each distinct cell of a category column once: its category text, municipality code,
        whether it is a total, what is wrong with it, and an id by meaning (so that "Hengelo"
        and "GM0164" are the same)."""
        uniques = dim.cells.uniques
        m = len(uniques)
        texts = np.empty(m + 1, dtype=object)
        muni = np.full(m + 1, None, dtype=object)
        totals = np.zeros(m + 1, dtype=bool)
        errors = np.full(m + 1, "", dtype=object)
        header_key = _key(dim.header)
        code_column = header_key in {"code", "cbs code"} or (
            "gem" in header_key and any(w in header_key for w in ("code", "nummer", "nr"))
        )
        for u, raw in enumerate([*uniques.tolist(), ""]):
            text = _text(raw)
            if _is_total_text(_key(text)):
                texts[u], totals[u] = text, True
                continue
            if dim.kind != "municipality":
                texts[u] = text
                continue
            if not text:
                texts[u], errors[u] = "", "geen gemeente"
                continue
            if code_column and re.fullmatch(r"\d{1,4}", text):
                text = text.zfill(4)  # Excel drops the leading zeros of 0153
            known = self.directory.resolve(text)
            if known is not None:
                texts[u], muni[u] = known.name, known.code
            elif self.directory.is_rest_category(text):
                texts[u] = text
            elif (region := self.directory.region_label(text)) is not None:
                texts[u] = region
            elif same_name := self._same_name().get(_key(text)):
                texts[u], errors[u] = text, _ambiguous_municipality(same_name)
            else:
                texts[u], errors[u] = text, "onbekende gemeente"
        meaning = pd.factorize(
            np.array([f"{t}\x00{c}" for t, c in zip(texts, muni, strict=True)], dtype=object)
        )[0]
        return _Resolved(texts, muni, totals, errors, meaning)

    def _same_name(self) -> dict[str, list]:
        """Municipalities told apart by what is between brackets ("Bergen (L.)", "Bergen
        (NH.)"), by their name without it, when two or more share it."""
        if self._names_shared is None:
            by_name: dict[str, list] = {}
            for known in self.directory.municipalities:
                bare = re.sub(r"\s*\([^)]*\)\s*$", "", known.name)
                if bare != known.name:
                    by_name.setdefault(_key(bare), []).append(known)
            self._names_shared = {k: v for k, v in by_name.items() if len(v) > 1}
        return self._names_shared

    def _refuse_duplicates(self, groups, good, file_rows, cells, refusals, bad) -> None:
        ids, count = groups
        if not good.any():
            return
        all_good = bool(good.all())
        idx = None if all_good else np.flatnonzero(good)
        kept = ids if all_good else ids[idx]
        if np.bincount(kept, minlength=count).max() <= 1:
            return
        first_of_id = _first_index(kept, count)
        first = first_of_id[kept]
        if idx is not None:
            first = idx[first]
        else:
            idx = np.arange(len(ids))
        for j in np.flatnonzero(first != idx).tolist():
            i, f = int(idx[j]), int(first[j])
            if file_rows[f] == file_rows[i]:
                reason = f"dubbele waarde: zelfde periode als kolom '{cells.columns.get(f)}'"
            else:
                reason = (
                    "dubbele rij: zelfde indicator, periode en categorie als rij "
                    f"{int(file_rows[f])}"
                )
            refusals.append(
                (
                    i,
                    int(file_rows[i]),
                    _text(cells.columns.get(i)),
                    _raw_text(cells.values.get(i)),
                    reason,
                )
            )
            bad[i] = True

    def _value_notices(self, parsed, good: np.ndarray, mark: _DecimalMark) -> None:
        missing = int((parsed.missing & good).sum())
        suppressed = int((parsed.suppressed & good).sum())
        provisional = int((parsed.provisional & good).sum())
        if missing:
            self.notices.append(
                f"{_cells_word(missing)} zonder getal ('', '.', '-' of 'n.v.t.') "
                f"{'is' if missing == 1 else 'zijn'} bewaard als ontbrekend, niet als 0."
            )
        if suppressed:
            self.notices.append(
                f"{_cells_word(suppressed)} {'is' if suppressed == 1 else 'zijn'} afgeschermd "
                "('<5', 'x' of '*') en bewaard zonder getal."
            )
        if provisional:
            self.notices.append(
                f"{_cells_word(provisional, 'waarde', 'waarden')} "
                f"{'is' if provisional == 1 else 'zijn'} voorlopig (*)."
            )
        notice = mark.notice()
        if notice:
            self.notices.append(notice)

    def _check_totals(self, frame, total_dim, dim_ids, ind_id, per_id) -> None:
        """A total that differs from the sum of its parts: a notice. Compared when no value of
        the group is a percentage, missing or hidden. Whole numbers must add up exactly; with
        decimals, each value may be rounded to the decimals shown, so the sum may be off by
        half a unit of the last decimal per value ("1,3 + 2,3 + 1,1" is 4,7; a total of 4,8 is
        fine)."""
        values = frame["value"].to_numpy()
        countable = ~frame["is_percentage"].to_numpy() & ~np.isnan(values)
        decimals = _decimals(values)
        messages: list[str] = []
        differing = 0
        part = total_dim == -1
        for d in range(len(dim_ids)):
            is_total = total_dim == d
            if not is_total.any():
                continue
            others = [ids for e, ids in enumerate(dim_ids) if e != d]
            group, g = _group_ids([ind_id, per_id, *others], len(values))
            sums = np.bincount(group[part], weights=np.nan_to_num(values[part]), minlength=g)
            parts = np.bincount(group[part], minlength=g)
            unusable = np.bincount(group[part & ~countable], minlength=g)
            totals = np.bincount(group[is_total], minlength=g)
            in_group = part | is_total
            finest = np.zeros(g, dtype=np.int64)
            np.maximum.at(finest, group[in_group], decimals[in_group])
            tolerance = np.where(finest == 0, 1e-6, 0.5 * 10.0**-finest * (parts + 1))
            differs = (
                is_total
                & countable
                & (parts[group] > 0)
                & (unusable[group] == 0)
                & (totals[group] == 1)
                & (np.abs(sums[group] - values) > tolerance[group] + 1e-9)
            )
            differing += int(differs.sum())
            for i in np.flatnonzero(differs)[:MAX_LISTED].tolist():
                messages.append(
                    f"Het totaal in rij {int(frame['row'].iat[i])}, kolom "
                    f"'{frame['column'].iat[i]}' is {_dutch_number(values[i])}, maar de "
                    f"getallen erbij tellen samen op tot {_dutch_number(sums[group[i]])}."
                )
        self.notices.extend(messages[:MAX_LISTED])
        if differing > MAX_LISTED:
            self.notices.append(
                f"En nog {differing - MAX_LISTED} totalen die niet kloppen met de som."
            )


# ============================================================================================
# Array helpers
# ============================================================================================


def _decimals(values: np.ndarray, most: int = 6) -> np.ndarray:
    """Per value: how many decimals it has (0 for whole numbers and NaN, at most ``most``)."""
    out = np.full(len(values), most, dtype=np.int64)
    unsettled = np.isfinite(values)  # values whose number of decimals is not known yet
    out[~unsettled] = 0
    for k in range(most):
        scaled = values * 10.0**k
        close = np.abs(scaled - np.round(scaled)) <= 1e-6 * np.maximum(1, np.abs(scaled))
        exact = unsettled & close
        out[exact] = k
        unsettled &= ~exact
    return out


def _raw_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return ""
    if isinstance(value, str):
        return clean_line(value).strip()
    return _text(value)


def _rows_all_blank(grid_rows: np.ndarray, blank: np.ndarray) -> np.ndarray:
    """Per cell: True when every cell read from its row is blank."""
    if not blank.any():
        return blank
    rows, inverse = np.unique(grid_rows, return_inverse=True)
    not_blank = np.bincount(inverse, weights=(~blank).astype(float), minlength=len(rows))
    return (not_blank == 0)[inverse]


def _first_per_row(grid_rows: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """``mask`` thinned to its first cell per grid row (one refusal per row and problem)."""
    if not mask.any():
        return mask
    out = np.zeros_like(mask)
    idx = np.flatnonzero(mask)
    _, first = np.unique(grid_rows[idx], return_index=True)
    out[idx[first]] = True
    return out


class _Lines:
    """Single lines of a CSV file by row number, without splitting the whole file."""

    def __init__(self, data: bytes | None, text: str | None, encoding: str, starts, ends):
        self.data, self.text, self.encoding = data, text, encoding
        self.starts, self.ends = starts, ends

    @classmethod
    def of(cls, source: tuple, rows: int) -> _Lines | None:
        """None when the lines are not the rows (a quoted line break, "\r" line ends)."""
        data, text, encoding, _ = source
        if text is None or encoding in ("cp1252", "latin-1"):
            # One byte per line break in these encodings: find them with numpy.
            breaks = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 10)
            length = len(data)
            blob = data
        else:
            breaks = np.array([m.start() for m in re.finditer("\n", text)], dtype=np.int64)
            length = len(text)
            blob = None
        ends = breaks if length and (length - 1) in breaks[-1:] else np.append(breaks, length)
        if len(ends) != rows:
            return None
        starts = np.concatenate(([0], ends[:-1] + 1))
        return cls(blob, text, encoding, starts, ends)

    def line(self, row: int) -> str:
        start, end = int(self.starts[row]), int(self.ends[row])
        if self.data is not None:
            return self.data[start:end].decode(self.encoding, errors="replace").rstrip("\r")
        return self.text[start:end].rstrip("\r")


_FORMULA_WITHOUT_VALUE = (
    "formule zonder opgeslagen uitkomst. Open het bestand in Excel en sla het op: dan bewaart "
    "Excel de uitkomsten van de formules"
)


def _ambiguous_municipality(known: list) -> str:
    """ "Bergen": which of the municipalities of that name, and how to write it."""
    names = " of ".join(f"'{m.name}'" for m in known)
    codes = " of ".join(m.code for m in known)
    return (
        f"niet duidelijk welke gemeente: {len(known)} gemeenten heten zo. Schrijf {names}, of "
        f"de CBS-code ({codes})"
    )


def _dim_error(resolved: _Resolved, dim: _Dim, i: int) -> str:
    code = dim.cells.codes[i]
    return resolved.errors[len(resolved.errors) - 1 if code < 0 else code]


def _first_index(codes: np.ndarray, count: int) -> np.ndarray:
    """For codes 0..count-1: the index of each code's first occurrence (-1: none)."""
    first = np.full(count, -1, dtype=np.int64)
    first[codes[::-1]] = np.arange(len(codes) - 1, -1, -1)  # the last write wins: the first
    return first


def _group_ids(parts: list[np.ndarray], n: int) -> tuple[np.ndarray, int]:
    """Ids 0..count-1 for the distinct tuples of ``parts`` (small non-negative ints per cell).
    When the tuples fit in a small range the combined number is the id (no hashing)."""
    key = _combined_key(parts) if parts else np.zeros(n, dtype=np.int64)
    top = int(key.max()) + 1 if len(key) else 1
    if top <= 4 * len(key) + 1024:
        return key, top
    ids, uniques = pd.factorize(key)
    return ids, len(uniques)


def _combined_key(parts: list[np.ndarray]) -> np.ndarray:
    """One int64 per cell for a tuple of small non-negative ints."""
    if not parts or len(parts[0]) == 0:
        return np.zeros(len(parts[0]) if parts else 0, dtype=np.int64)
    key = np.zeros(len(parts[0]), dtype=np.int64)
    for part in parts:
        part = np.asarray(part, dtype=np.int64)
        size = int(part.max()) + 1 if len(part) else 1
        key = key * size + part
        if int(key.max()) > 2**52:  # keep it small: renumber
            key = pd.factorize(key)[0].astype(np.int64)
    return key


def _category_text(texts: list[tuple[np.ndarray, _Coded]], ids: list[np.ndarray], n: int):
    """The category of each cell: the texts of its category columns (per distinct cell, and
    the cells) joined with " – ", each distinct combination built once."""
    if not texts:
        return np.full(n, "", dtype=object)
    if len(texts) == 1:
        per_unique, coded = texts[0]
        return coded.take(per_unique)
    group, count = _group_ids(ids, n)
    first = _first_index(group, count)
    joined = np.empty(count, dtype=object)
    for u in np.flatnonzero(first >= 0).tolist():
        i = first[u]
        parts = (per_unique[coded.codes[i]] for per_unique, coded in texts)
        joined[u] = " – ".join(part for part in parts if part)
    return joined[group]


class _DecimalMark:
    """Which mark a file's numbers use as decimal mark, decided from the numbers themselves.

    Each distinct text with a "." or "," (a sample of them in a big file) is one of:

    * **point**: a number only with a decimal point ("12.5", "0.75", "0.125", "1,234.5",
      "1.2345"): Dutch thousands come in groups of three and never start with 0;
    * **comma**: a number only with a decimal comma ("12,5", "1.234,5", "12.345.678");
    * **unclear**: a number either way, with another value: "1.234" (1234 or 1,234) and
      "1,234" (1,234 or 1234) -- one group of three digits after one mark.

    The rule:

    1. The file shows which mark is the decimal mark: the kind of unambiguous numbers it has
       most of (a tie is Dutch, the comma). Numbers of the other kind are refused with a
       reason that says so.
    2. Without such numbers the comma is the decimal mark (Dutch Excel), so "1.234" is 1234
       (also in a ","-separated file, where the notices say it); only in a ","-separated file
       whose unclear numbers all have a comma (quoted "1,234", as English Excel writes
       thousands) is the point the decimal mark, and "1,234" 1234.
    3. An unclear number is read with the mark as thousands separator, which is safe when
       the file never uses that mark as decimal mark. Otherwise it is refused, as "niet
       duidelijk": "1.234" in a file whose decimal mark is the point (it has "12.5"), unless
       the file also has numbers with three or more decimals after a point ("0.125"), which
       shows three decimals are meant; and in a ","-separated file with unclear numbers of
       both kinds ("1.234" and "1,234") and no other sign, every unclear number.

    Genuinely English files (12.5, 0.75, "1,234.5") read as before; a file from Dutch Excel
    (";", "1.234", "12,5") too.
    """

    def __init__(self, decimal: str, delimiter: str | None, examples: dict[str, str], refuse):
        self.decimal = decimal
        self.delimiter = delimiter
        self.examples = examples  # kind -> a text of that kind from the file
        self.refuse = refuse  # the unclear kinds to refuse: {"point", "comma"}

    @classmethod
    def of(cls, sample: list, delimiter: str | None) -> _DecimalMark:
        counts = {"point": 0, "comma": 0, "point3": 0, "unclear point": 0, "unclear comma": 0}
        examples: dict[str, str] = {}
        for v in sample:
            kind = _number_kind(v)
            if kind is None:
                continue
            counts[kind] += 1
            examples.setdefault(kind, v.strip())
            if kind == "point3":
                counts["point"] += 1
                examples.setdefault("point", v.strip())
        point, comma = counts["point"], counts["comma"]
        unclear_point, unclear_comma = counts["unclear point"], counts["unclear comma"]
        refuse: set[str] = set()
        if point or comma:
            decimal = "." if point > comma else ","
            if decimal == "." and not counts["point3"]:
                refuse.add("point")
        elif delimiter == "," and unclear_comma and not unclear_point:
            decimal = "."
        else:
            decimal = ","
            if delimiter == "," and unclear_point and unclear_comma:
                refuse.update(("point", "comma"))
        return cls(decimal, delimiter, examples, refuse)

    def unclear(self, values: _Coded) -> dict[int, str]:
        """Distinct values (by code) that are refused as unclear, with the reason."""
        if not self.refuse:
            return {}
        marks = tuple("." if kind == "point" else "," for kind in self.refuse)
        found: dict[int, str] = {}
        for u, v in enumerate(values.uniques.tolist()):
            if type(v) is not str or not any(m in v for m in marks):
                continue
            if not _MAYBE_UNCLEAR.search(v):
                continue
            kind = _number_kind(v)
            if kind is not None and kind.startswith("unclear ") and kind[8:] in self.refuse:
                found[u] = self._unclear_reason(v)
        if found and "point" in self.refuse and len(self.refuse) == 1:
            # A number with three decimals after a point anywhere in the file (the choice
            # only saw a sample): then "1.234" is a decimal number too.
            for v in values.uniques.tolist():
                if type(v) is str and _THREE_DECIMALS.search(v) and _number_kind(v) == "point3":
                    return {}
        return found

    def refusals(self, values: _Coded, codes: np.ndarray) -> dict[int, str]:
        """Reasons for distinct values that are no number with this decimal mark but would be
        one with the other (the rest are "geen getal")."""
        other = "," if self.decimal == "." else "."
        reasons: dict[int, str] = {}
        for code in codes.tolist():
            if code < 0:
                continue
            v = values.uniques[code]
            if type(v) is not str or other not in v:
                continue
            parsed = parse_cell(v, decimal=other)
            if parsed is None or parsed.value is None:
                continue
            here, rest = ("de komma", "de punt") if other == "," else ("de punt", "de komma")
            example = self.examples.get("point" if self.decimal == "." else "comma")
            like = f" (zoals '{_short(example, 20)}')" if example else ""
            written = _plain_number(parsed.value, self.decimal)
            if parsed.is_percentage:
                written += "%"
            reasons[code] = (
                f"geen getal: hier is {here} het decimaalteken, maar in de rest van het bestand "
                f"{rest}{like}. Schrijf {written}"
            )
        return reasons

    def _unclear_reason(self, text: str) -> str:
        comma, point = parse_cell(text, decimal=","), parse_cell(text, decimal=".")
        if "." in text:
            thousands, decimal = comma.value, point.value
        else:
            thousands, decimal = point.value, comma.value
        if self.decimal == ".":
            example = self.examples.get("point")
            why = "elders in het bestand is de punt een decimaalteken" + (
                f" (zoals '{_short(example, 20)}')" if example else ""
            )
        else:
            why = "in dit bestand staan punten en komma's in getallen, en niets laat zien welke "
            why += "het decimaalteken is"
        return (
            f"niet duidelijk of dit {_plain_number(thousands, ',')} is of "
            f"{_plain_number(decimal, ',')}: {why}. Schrijf alle getallen op dezelfde manier, "
            "bijvoorbeeld door het bestand in Nederlandse Excel op te slaan als CSV met ';'"
        )

    def notice(self) -> str | None:
        """What the notices say about the decimal mark (nothing for a plain Dutch file)."""
        if self.decimal == ".":
            if "point" in self.examples:
                return "De getallen hebben een punt als decimaalteken (zoals 12.5)."
            example = self.examples.get("unclear comma")
            if example:
                return (
                    f"De komma in getallen zoals '{_short(example, 20)}' is gelezen als "
                    "scheiding tussen duizendtallen: nergens in het bestand is de komma een "
                    "decimaalteken."
                )
            return "De getallen hebben een punt als decimaalteken (zoals 12.5)."
        if self.delimiter != "," or self.refuse:
            return None
        if "comma" in self.examples:
            return (
                "De getallen hebben een komma als decimaalteken "
                f"(zoals '{_short(self.examples['comma'], 20)}')."
            )
        example = self.examples.get("unclear point")
        if example:
            value = parse_cell(example, decimal=",").value
            return (
                f"De punt in getallen zoals '{_short(example, 20)}' is gelezen als scheiding "
                f"tussen duizendtallen ({_short(example, 20)} is {_plain_number(value, ',')}): "
                "nergens in het bestand is de punt een decimaalteken."
            )
        return None


#: A cell that may hold an unclear number: one group of three digits after a mark.
_MAYBE_UNCLEAR = re.compile(r"(?<![\d.,])\d{1,3}[.,]\d{3}(?![\d.,])")
_THREE_DECIMALS = re.compile(r"\.\d{3,}(?!\d)")


def _number_kind(value: object) -> str | None:
    """ "point", "point3" (three or more decimals), "comma", "unclear point", "unclear comma"
    or None (no mark, or no number): see :class:`_DecimalMark`."""
    if type(value) is not str or ("." not in value and "," not in value):
        return None
    comma = parse_cell(value, decimal=",")
    point = parse_cell(value, decimal=".")
    comma_ok = comma is not None and comma.value is not None
    point_ok = point is not None and point.value is not None
    if comma_ok and point_ok:
        if comma.value == point.value:
            return None
        return "unclear point" if "." in value else "unclear comma"
    if comma_ok:
        return "comma"
    if point_ok:
        return "point3" if _THREE_DECIMALS.search(value) else "point"
    return None


def _plain_number(value: float, decimal: str) -> str:
    """A number without thousands separators, with ``decimal`` as decimal mark: 1234,
    "1,234" (with a comma), "-2,5"."""
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return text.replace(".", decimal)


def _cells_word(count: int, one: str = "cel", many: str = "cellen") -> str:
    return f"{_dutch_int(count)} {one if count == 1 else many}"


def _humanise(file_name: str) -> str:
    """ "afsluitredenen_2020-2021.csv" -> "Afsluitredenen"."""
    stem = PurePath(file_name or "").stem.replace("_", " ")
    found = find_period_in_text(stem)
    while found is not None:
        stem = found[1]
        found = find_period_in_text(stem)
    stem = re.sub(r"\b(?:19|20)\d{2}\b", " ", stem)
    stem = " ".join(stem.replace("-", " ").split())
    if not stem:
        return "Indicator"
    return stem[:1].upper() + stem[1:]
