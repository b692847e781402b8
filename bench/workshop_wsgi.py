"""Handvat as gunicorn serves it in the workshop load test (``workshop_bench.py``).

The database comes from ``BENCH_HANDVAT_DB_URL``, prepared by the benchmark. All simulated
phones come from 127.0.0.1, so the limit on joining per client address (which counts a whole
room behind one school network as one client) is raised for the run; the limits per code and
per participant stay as configured.
"""

from __future__ import annotations

import gc
import os

from _common import DB_URL_ENV, database_config

from app import create_app

app = create_app(
    {
        **database_config(os.environ[DB_URL_ENV]),
        "WORKSHOP_JOIN_LIMIT_PER_CLIENT": "100000 per minute",
        "WORKSHOP_JOIN_LIMIT_PER_CLIENT_AND_CODE": "100000 per minute",
        "WORKSHOP_LOOKUP_LIMIT_PER_CLIENT": "100000 per minute",
    }
)
# What create_app built lives as long as the worker: keep the collector from scanning it.
gc.freeze()
