"""Rendered pages kept in this process, keyed by what they show and the data's revision.

A key must hold everything a page depends on, such as ``("conversation", 12, revision 31)``
plus who is looking (their roles and their session's CSRF token, which the sign-out form holds);
a new revision gives a new key, so an entry never goes stale, and with several workers each
keeps its own. Pages with a pending flash message are never cached, nor pages whose forms
(other than sign-out) would carry data typed in this request.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Callable, Hashable
from pathlib import Path
from threading import Lock

from flask import current_app, has_request_context, request, session, url_for

MAX_PAGES = 256
#: Per app: built link paths, at most this many (then they are built again from scratch).
MAX_PATHS = 4096

_pages: OrderedDict[Hashable, str] = OrderedDict()
_lock = Lock()


def cached_page(key: Hashable, render: Callable[[], str]) -> str:
    """The page for ``key``, rendered by ``render()`` only when it is not cached yet."""
    if session.get("_flashes") or not current_app.config["PAGE_CACHE_ENABLED"]:
        return render()  # a flash message is for this one response
    with _lock:
        page = _pages.get(key)
        if page is not None:
            _pages.move_to_end(key)
            return page
    page = render()
    with _lock:
        _pages[key] = page
        if len(_pages) > MAX_PAGES:
            _pages.popitem(last=False)
    return page


def forget_cached_pages() -> None:
    with _lock:
        _pages.clear()


def path_for(endpoint: str, **values) -> str:
    """``url_for(endpoint, **values)`` for templates, built once per app, script root and
    values: a path depends on nothing else (no ``_external``, no URL defaults in this app), and
    a page builds a dozen links that are the same on every request. Absolute endpoint names only.
    """
    if not has_request_context():  # a page rendered outside a request: as ``url_for`` does
        return url_for(endpoint, **_with_static_version(endpoint, values))
    paths = current_app.extensions.setdefault("handvat_paths", {})
    key = (request.script_root, endpoint, *sorted(values.items()))
    path = paths.get(key)
    if path is None:
        path = url_for(endpoint, **_with_static_version(endpoint, values))
        if len(paths) >= MAX_PATHS:
            paths.clear()
        paths[key] = path
    return path


def _with_static_version(endpoint: str, values: dict) -> dict:
    """A static file's link carries a digest of its content (``?v=…``), so a proxy may keep it
    for a year (``deploy/nginx/handvat.conf``): a changed file is a new address."""
    if endpoint != "static" or "filename" not in values:
        return values
    path = Path(current_app.static_folder, values["filename"])
    try:
        digest = hashlib.blake2b(path.read_bytes(), digest_size=6).hexdigest()
    except OSError:  # a missing file: the link is built as it is and gives a 404
        return values
    return {**values, "v": digest}
