"""Rendered pages kept in this process, keyed by what they show and the data's revision.

A key must hold everything a page depends on, such as ``("conversation", 12, revision 31)``
plus who is looking (their roles and their session's CSRF token, which the sign-out form holds);
a new revision gives a new key, so an entry never goes stale, and with several workers each
keeps its own. Pages with a pending flash message are never cached, nor pages whose forms
(other than sign-out) would carry data typed in this request.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from threading import Lock

from flask import current_app, session

MAX_PAGES = 256

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
