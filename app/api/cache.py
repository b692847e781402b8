"""Pages of ``GET /api/v1/actions`` kept in the worker and served again while provably the same.

A dashboard reads the same pages again and again while little changes, and a page of 100 action
points is the API's most frequent and most expensive answer: counting the rows, reading the
page, shaping and encoding it. A page is kept under everything it is made of, and served again
only when all of that is equal:

* who asks and what they see: the token's owner and their roles (region, name, slug, role),
  read for this request (``auth.py``); the page is read for those regions (all of them, or
  the one of ``?region=``), named by id, not looked up again;
* what was asked: the address (scheme, host, path: the links contain them) and the
  normalised query string, page and page size;
* today's date (``isOverdue``);
* the **version** of the owner's regions: each region with the revision of its
  conversations (``Region.conversations_revision``, ``queries.conversations_version``), read
  by the same statement as the token and the roles, before the page itself.

Why the version says enough: ``Conversation.revision`` goes up in the transaction of every
change to a conversation or to one of its action points, whatever code makes it
(``conversations/revisions.py``: the ORM's flush, for every change made through the ORM,
progress updates included, and ``raise_revisions`` for the writes past it: renumbering,
moving open action points to the next round and back); a revision never goes down; ids are
never reused (``sqlite_autoincrement``, sequences); and an action point is in its
conversation's region (a conversation that moves region takes its action points along, in the
same transaction). So the same list of (conversation, revision) for the same regions means the
same action points with the same content: nothing was added, changed, moved or deleted.
Anything else (a new round, a deleted conversation, a conversation moved into or out of the
regions) changes the list. A region's ``conversations_revision`` goes up, in the same
transaction, whenever one of its conversations' revisions does and when a conversation is
added to it, deleted or moved away (``conversations/revisions.py``), and never goes down: so
equal region revisions mean an equal list. What is read after the version can only be newer
than it; a page stored under a version that has passed is never asked for again, because that
version never comes back. (A write straight into the database that skips the revision is not
seen, as by the pages' own cache, ``core/page_cache.py``.) ``tests/test_api_cache.py`` makes
each kind of change and checks the next page shows it.

The store is this process's memory, bounded (``API_LIST_CACHE_BYTES``, 0 switches it off): it
needs nothing shared between workers, since a key holds everything it depends on, and a worker
that never saw a page simply makes it. Keys are compared whole. The entity tag of a page is a
digest of its key, so a client that sends it back in ``If-None-Match`` gets a 304 after the
same check, without the page being read.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from flask import Response, current_app, g, request

from ..core.formatting import local_today
from .auth import current_roles_key, current_version
from .params import Paging

#: Per worker. A page of 100 action points is about 90 KB.
DEFAULT_MAX_BYTES = 16 * 1024 * 1024
_EXTENSION = "handvat_api_list_cache"


@dataclass(frozen=True)
class CachedPage:
    body: bytes
    tag: str
    headers: tuple[tuple[str, str], ...]


def entity_tag(key: tuple) -> str:
    """A strong entity tag for the page with this key (the version is part of the key)."""
    return '"a' + hashlib.sha256(repr(key).encode()).hexdigest()[:40] + '"'


class PageCache:
    """Least recently used pages, up to ``max_bytes`` of bodies. Keys are compared whole (a
    dict compares equal keys by value), never by a digest alone."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._pages: OrderedDict[tuple, CachedPage] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: tuple) -> CachedPage | None:
        with self._lock:
            page = self._pages.get(key)
            if page is not None:
                self._pages.move_to_end(key)
            return page

    def put(self, key: tuple, page: CachedPage) -> None:
        size = len(page.body)
        if size > self.max_bytes:
            return
        with self._lock:
            old = self._pages.pop(key, None)
            if old is not None:
                self._bytes -= len(old.body)
            self._pages[key] = page
            self._bytes += size
            while self._bytes > self.max_bytes:
                _, evicted = self._pages.popitem(last=False)
                self._bytes -= len(evicted.body)

    def clear(self) -> None:
        with self._lock:
            self._pages.clear()
            self._bytes = 0

    def __len__(self) -> int:
        return len(self._pages)


def page_cache() -> PageCache | None:
    """This app's cache of pages (None when ``API_LIST_CACHE_BYTES`` is 0)."""
    app = current_app._get_current_object()
    if _EXTENSION not in app.extensions:
        size = app.config.get("API_LIST_CACHE_BYTES", DEFAULT_MAX_BYTES)
        app.extensions[_EXTENSION] = PageCache(int(size)) if size else None
    return app.extensions[_EXTENSION]


def page_key(region_ids: tuple[int, ...], query: dict[str, str], paging: Paging) -> tuple:
    """Everything a page of action points of ``region_ids`` (some or all of the asker's) is
    made of (see above)."""
    return (
        g.api_token.user_id,
        current_roles_key(),
        # What the links are made of (``request.base_url`` and ``api_root`` are built from
        # these), without building the address itself.
        (request.scheme, request.host, request.root_path, request.path),
        tuple(sorted(query.items())),
        (paging.page, paging.page_size),
        local_today(),
        region_ids,
        current_version(),
    )


def serve(cache: PageCache, key: tuple, make: Callable[[], Response]) -> Response:
    """The page of ``key``: 304 when the client has it, else from the cache or ``make()``."""
    cached = cache.get(key)
    tag = cached.tag if cached is not None else entity_tag(key)
    if _client_has(tag):
        not_modified = current_app.response_class(status=304, headers={"ETag": tag})
        del not_modified.headers["Content-Type"]  # no content, so no type
        return not_modified
    if cached is None:
        made = make()
        headers = tuple((k, v) for k, v in made.headers.items() if k.startswith("X-"))
        cached = CachedPage(made.get_data(), tag, headers)
        cache.put(key, cached)
    return current_app.response_class(
        cached.body, headers=[*cached.headers, ("ETag", tag)], mimetype="application/json"
    )


def _client_has(tag: str) -> bool:
    """``If-None-Match`` names this entity tag (or is ``*``)."""
    header = request.environ.get("HTTP_IF_NONE_MATCH")
    if not header:
        return False
    tags = [part.strip().removeprefix("W/") for part in header.split(",")[:20]]
    return "*" in tags or tag in tags
