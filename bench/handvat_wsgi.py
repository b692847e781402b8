"""Handvat as gunicorn serves it in the benchmark: the app factory on a scratch database.

The database comes from ``BENCH_HANDVAT_DB_URL`` (a SQLAlchemy URL: SQLite or PostgreSQL) or,
as before, ``BENCH_HANDVAT_DB`` (the path of a SQLite file). The benchmark prepares it
(migrations, demo, benchmark account) before gunicorn starts, so no worker migrates.
``BENCH_HANDVAT_PAGE_CACHE=0`` turns the page cache off, so every conversation page is rendered.
``gc.freeze()`` after ``create_app``, as a production entry point should do too.
"""

from __future__ import annotations

import gc
import os
from pathlib import Path

from _common import DB_ENV, DB_URL_ENV, PAGE_CACHE_ENV, bench_config, database_config

from app import create_app

_page_cache = os.environ.get(PAGE_CACHE_ENV, "1") not in {"0", "false", "False"}
if os.environ.get(DB_URL_ENV):
    app = create_app(database_config(os.environ[DB_URL_ENV], page_cache=_page_cache))
else:
    app = create_app(bench_config(Path(os.environ[DB_ENV]), page_cache=_page_cache))

# Everything made at start-up (modules, the app, compiled templates' code) lives as long as the
# worker: out of the garbage collector's way, its full collections no longer walk it.
gc.freeze()
