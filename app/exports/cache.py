"""Rendered exports kept in a folder, shared by all workers on a server.

A file's name is a digest of everything it shows: the document's content (without the moment
it was made), the kind of export and the renderer (``renderer_fingerprint``). So an entry never
goes stale and never belongs to another conversation: a changed action, new figures of a
linked indicator (the document holds each action's figures, ``FigureRow``), a changed link, a
restored database that reuses ids and revisions, or a new renderer all give a new name. The
access check runs before any of this, in the route.

A cached file keeps the moment it was first made: a PDF downloaded again from the cache shows
the original "Gemaakt op" time (and the Excel file its own), which is the moment
this exact content was first exported. A document that depends on the day (the action list's
"te laat" and "binnenkort") holds that day as a field (``as_of``), so it is made again the next
day.

Files are written atomically (a temporary file, then ``os.replace``), so a reader never sees
half a file. The folder stays within ``EXPORT_CACHE_MAX_FILES`` and ``EXPORT_CACHE_MAX_MB``;
the least recently used files go first. Rendering itself runs in an export slot and within a
time budget (``limits.py``); a cache hit needs neither.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import tempfile
import time
from collections.abc import Callable
from datetime import date, datetime
from enum import Enum
from functools import cache
from pathlib import Path
from typing import TypeVar

from flask import Flask, current_app
from pydantic import BaseModel

from .limits import export_slot, time_budget

#: Raise this when the output changes for a reason ``renderer_fingerprint`` does not see (for
#: example a change in another module the renderers use), so no file made by the old renderer
#: is served again.
RENDERER_VERSION = 1

#: Document fields that do not count as content: the moment of making.
VOLATILE_FIELDS = frozenset({"generated_at"})

#: Temporary files older than this are left over from a crash and are removed.
STALE_TEMP_SECONDS = 3600
TEMP_PREFIX = ".tmp-"
SLOT_FOLDER = "slots"

Document = TypeVar("Document")


# --------------------------------------------------------------------------------------------
# The key: a digest of the content
# --------------------------------------------------------------------------------------------


@cache
def renderer_fingerprint() -> str:
    """``RENDERER_VERSION``, the library versions and the source of the renderer modules.

    A change to ``pdf.py``, ``spreadsheet.py``, ``document.py``, the filtered list's renderers
    (``overview_pdf.py``, ``overview_tables.py``), the Dutch formats (of dates and of figures),
    the indicator charts, the room's spread chart or a font file in ``fonts/`` gives new cache
    keys by itself; ``RENDERER_VERSION`` is for anything else. Computed once per process.
    """
    import reportlab
    import xlsxwriter

    from ..core import formatting
    from ..indicators import charts, presentation
    from ..workshops import spread
    from . import document, overview_pdf, overview_tables, pdf, pdf_layout, spreadsheet

    digest = hashlib.sha256(
        f"{RENDERER_VERSION}|{reportlab.Version}|{xlsxwriter.__version__}".encode()
    )
    modules = (
        pdf,
        pdf_layout,
        spreadsheet,
        document,
        overview_pdf,
        overview_tables,
        formatting,
        charts,
        presentation,
        spread,
    )
    files = [Path(m.__file__) for m in modules]
    fonts = Path(pdf.__file__).parent / "fonts"
    if fonts.is_dir():
        files += sorted(p for p in fonts.rglob("*") if p.is_file())
    for path in files:
        digest.update(f"|{path.name}|".encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _plain(value):
    """``value`` as plain JSON data, field by field; an unknown type is an error, so a new
    field can never silently drop out of the key."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        plain = {"~type": type(value).__name__}
        for field in dataclasses.fields(value):
            if field.name not in VOLATILE_FIELDS:
                plain[field.name] = _plain(getattr(value, field.name))
        return plain
    if isinstance(value, BaseModel):
        return {"~type": type(value).__name__, **value.model_dump(mode="json")}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, Enum):
        return _plain(value.value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise TypeError(f"cannot key an export on a {type(value).__name__}")


def document_digest(kind: str, document) -> str:
    """The cache key of ``document`` rendered as ``kind`` (e.g. ``"action-list.pdf"``)."""
    content = json.dumps(
        {"kind": kind, "renderer": renderer_fingerprint(), "document": _plain(document)},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(content.encode()).hexdigest()


# --------------------------------------------------------------------------------------------
# The folder
# --------------------------------------------------------------------------------------------


def export_cache_folder(app: Flask) -> Path | None:
    """``EXPORT_CACHE_FOLDER``, else ``export-cache`` in the instance folder.

    A testing app without its own folder gets None: no cache and no slots, so no test writes
    into the repository's ``instance/`` folder.
    """
    folder = app.config.get("EXPORT_CACHE_FOLDER")
    if folder:
        return Path(folder)
    if app.testing:
        return None
    return Path(app.instance_path) / "export-cache"


def read_cached(path: Path) -> bytes | None:
    """The cached file, or None. A hit counts as a use, for pruning."""
    try:
        data = path.read_bytes()
    except OSError:  # not there, or removed by another worker's pruning meanwhile
        return None
    with contextlib.suppress(OSError):
        os.utime(path)
    return data or None


def write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


def prune(folder: Path, max_files: int, max_bytes: int) -> int:
    """Remove the least recently used files until at most ``max_files`` files and
    ``max_bytes`` bytes remain, and temporary files left over from a crash. Returns how many
    files it removed. Safe while other workers read, write or prune."""
    now = time.time()
    entries: list[tuple[float, int, str]] = []
    removed = 0
    with os.scandir(folder) as scan:
        for entry in scan:
            try:
                if not entry.is_file(follow_symlinks=False):
                    continue
                stat = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if entry.name.startswith(TEMP_PREFIX):
                if now - stat.st_mtime > STALE_TEMP_SECONDS:
                    removed += _remove(entry.path)
                continue
            entries.append((stat.st_mtime, stat.st_size, entry.path))
    entries.sort()
    count, size = len(entries), sum(e[1] for e in entries)
    for _mtime, file_size, path in entries:
        if count <= max_files and size <= max_bytes:
            break
        removed += _remove(path)
        count, size = count - 1, size - file_size
    return removed


def _remove(path: str) -> int:
    try:
        os.unlink(path)
    except OSError:
        return 0
    return 1


# --------------------------------------------------------------------------------------------
# Putting it together
# --------------------------------------------------------------------------------------------


def rendered_export(kind: str, document: Document, render: Callable[[Document], bytes]) -> bytes:
    """``render(document)``, from the cache when this content was rendered before.

    ``kind`` names the export and ends in the file extension (``"action-list.pdf"``). Call it
    after the access check. A miss renders in an export slot and within the time budget; it
    may raise ``ExportBusy`` or ``ExportTooSlow`` (``limits.py``), which the routes turn into a
    Dutch 503. Trouble with the folder itself (full disk, no permission) is logged and never
    stops a download.
    """
    app = current_app._get_current_object()
    config = app.config
    budget = config["EXPORT_TIME_BUDGET_SECONDS"]
    folder = export_cache_folder(app)
    if folder is None:
        with time_budget(budget):
            return render(document)

    path = None
    if config["EXPORT_CACHE_ENABLED"]:
        path = folder / f"{document_digest(kind, document)}.{kind.rsplit('.', 1)[-1]}"
        if (data := read_cached(path)) is not None:
            return data
    with export_slot(folder / SLOT_FOLDER, config["EXPORT_SLOTS"], config["EXPORT_WAIT_SECONDS"]):
        # Another worker may have rendered the same content while this one waited.
        if path is not None and (data := read_cached(path)) is not None:
            return data
        with time_budget(budget):
            data = render(document)
        if path is not None:
            _store(app, path, data)
    return data


def _store(app: Flask, path: Path, data: bytes) -> None:
    try:
        write_atomically(path, data)
        prune(
            path.parent,
            int(app.config["EXPORT_CACHE_MAX_FILES"]),
            int(app.config["EXPORT_CACHE_MAX_MB"] * 1024 * 1024),
        )
    except OSError:
        app.logger.warning("Could not keep an export in %s", path.parent, exc_info=True)
