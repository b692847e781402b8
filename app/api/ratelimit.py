"""The API's rate limit: ``API_RATE_LIMIT`` requests per known token; every request without
one (no token, one that cannot be a token, an unknown or revoked one) counts for its client
address, in one count per address (``routes.authenticate_request``). Counted in fixed windows
where the rest of the site counts (``RATELIMIT_STORAGE_URI``).

Written here instead of Flask-Limiter's ``shared_limit`` on the blueprint, with a measured
reason: Flask-Limiter's in-process storage (``memory://``, the default) starts a new
``threading.Timer`` whenever its previous one (10 ms) has run out, so under a steady stream of
API requests nearly every request started a thread. That, with the limiter's per-request
bookkeeping, cost about 1 ms of CPU per request, more than the API's own work on a small page
(``bench/api_bench.py``). The in-process counter here is a dict lookup; expired windows are
swept at most once a minute. With another storage (Redis: several workers or servers share the
counts) the ``limits`` library (Flask-Limiter's own) counts there, with the same keys and
windows as before.

The same settings as Flask-Limiter: ``RATELIMIT_ENABLED`` switches it off (the tests),
``RATELIMIT_HEADERS_ENABLED`` adds ``X-RateLimit-Limit``/``-Remaining``/``-Reset``. A refused
request is a 429 problem document with ``Retry-After``.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass

from flask import current_app
from limits import RateLimitItem, parse_many
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

from .problems import ApiProblem

#: Per known token (per client address without one); a dashboard's refresh of 10,000 action points
#: is 100 requests. ``API_RATE_LIMIT`` in the configuration changes it.
DEFAULT_RATE_LIMIT = "600 per minute"
_EXTENSION = "handvat_api_rate_limit"


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    limit: int
    remaining: int
    #: Seconds since the epoch at which the current window ends.
    reset_at: float


class _Windows:
    """Fixed windows in this process: a window starts with its first request."""

    #: Expired windows are removed this often (seconds), so the dict holds only live keys.
    SWEEP_EVERY = 60.0

    def __init__(self) -> None:
        self._windows: dict[tuple[str, int, int], list[float]] = {}
        self._lock = threading.Lock()
        self._next_sweep = time.time() + self.SWEEP_EVERY

    def hit(self, key: str, item: RateLimitItem) -> Verdict:
        now = time.time()
        name = (key, item.amount, item.get_expiry())
        with self._lock:
            if now >= self._next_sweep:
                self._sweep(now)
            window = self._windows.get(name)
            if window is None or window[0] <= now:
                window = self._windows[name] = [now + item.get_expiry(), 0]
            if window[1] >= item.amount:
                return Verdict(False, item.amount, 0, window[0])
            window[1] += 1
            return Verdict(True, item.amount, item.amount - int(window[1]), window[0])

    def _sweep(self, now: float) -> None:
        for name in [name for name, window in self._windows.items() if window[0] <= now]:
            del self._windows[name]
        self._next_sweep = now + self.SWEEP_EVERY


class _SharedWindows:
    """Fixed windows in the configured storage (Redis, ...), through ``limits``."""

    def __init__(self, uri: str, options: dict) -> None:
        self._limiter = FixedWindowRateLimiter(storage_from_string(uri, **options))

    def hit(self, key: str, item: RateLimitItem) -> Verdict:
        allowed = self._limiter.hit(item, "handvat-api", key)
        stats = self._limiter.get_window_stats(item, "handvat-api", key)
        return Verdict(allowed, item.amount, stats.remaining, stats.reset_time)


@dataclass(frozen=True)
class _Limits:
    items: tuple[RateLimitItem, ...]
    counter: _Windows | _SharedWindows
    headers: bool


def _limits_of_app() -> _Limits | None:
    """This app's limits and counter, made on its first API request (None: switched off)."""
    app = current_app._get_current_object()
    if _EXTENSION not in app.extensions:
        config = app.config
        if not config.get("RATELIMIT_ENABLED", True):
            app.extensions[_EXTENSION] = None
        else:
            uri = config.get("RATELIMIT_STORAGE_URI") or "memory://"
            counter = (
                _Windows()
                if uri.startswith("memory://")
                else _SharedWindows(uri, config.get("RATELIMIT_STORAGE_OPTIONS") or {})
            )
            app.extensions[_EXTENSION] = _Limits(
                tuple(parse_many(config.get("API_RATE_LIMIT") or DEFAULT_RATE_LIMIT)),
                counter,
                bool(config.get("RATELIMIT_HEADERS_ENABLED", True)),
            )
    return app.extensions[_EXTENSION]


def check_rate_limit(key: str, detail: str | None = None) -> dict[str, str]:
    """Count this request for ``key``; the headers to send, or a 429 problem (with ``detail``)
    when a limit is reached."""
    limits = _limits_of_app()
    if limits is None:
        return {}
    tightest = None
    for item in limits.items:
        verdict = limits.counter.hit(key, item)
        if not verdict.allowed:
            wait = max(1, math.ceil(verdict.reset_at - time.time()))
            headers = {"Retry-After": str(wait)}
            if limits.headers:
                headers.update(_headers(verdict))
            raise ApiProblem(429, detail, headers=headers)
        if tightest is None or verdict.remaining < tightest.remaining:
            tightest = verdict
    return _headers(tightest) if limits.headers and tightest is not None else {}


def _headers(verdict: Verdict) -> dict[str, str]:
    return {
        "X-RateLimit-Limit": str(verdict.limit),
        "X-RateLimit-Remaining": str(max(0, verdict.remaining)),
        "X-RateLimit-Reset": str(math.ceil(verdict.reset_at)),
    }
