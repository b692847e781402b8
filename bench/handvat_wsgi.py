"""Handvat as gunicorn serves it in the benchmark: the app factory on a scratch SQLite file.

The database path comes from ``BENCH_HANDVAT_DB``; ``http_bench.py`` prepares the file (migrations
and demo) before gunicorn starts, so no worker migrates. ``BENCH_HANDVAT_PAGE_CACHE=0`` turns the
page cache off, so every conversation page is rendered.
"""

from __future__ import annotations

import os
from pathlib import Path

from _common import DB_ENV, PAGE_CACHE_ENV, bench_config

from app import create_app

app = create_app(
    bench_config(
        Path(os.environ[DB_ENV]),
        page_cache=os.environ.get(PAGE_CACHE_ENV, "1") not in {"0", "false", "False"},
    )
)
