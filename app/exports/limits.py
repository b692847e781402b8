"""Keeping exports from tying up the server: export slots and a time budget.

* **Slots.** At most ``EXPORT_SLOTS`` exports are rendered at the same time on one server, by
  all its worker processes together. A slot is an exclusive ``flock`` on one of the files
  ``slot-0.lock`` … in a folder; the kernel releases it when the holder ends, even when a
  worker is killed. A request that finds no free slot within ``EXPORT_WAIT_SECONDS`` gets
  ``ExportBusy`` (a Dutch 503 with ``Retry-After``). Where ``fcntl`` is missing (Windows) there
  is no limit. ``flock`` is per machine: on a network file system it may not work.
* **Time budget.** A render that takes longer than ``EXPORT_TIME_BUDGET_SECONDS`` is stopped
  with ``ExportTooSlow``, before gunicorn's worker timeout (30 s) kills the whole worker. This
  uses ``SIGALRM``, so it only works in a process's main thread (as gunicorn's sync workers
  serve requests) and where no other timer is running; elsewhere there is no budget.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: no slots, no limit
    fcntl = None

log = logging.getLogger(__name__)

#: The seconds a client is asked to wait before it tries again (the Dutch text says "a minute").
RETRY_AFTER_SECONDS = 60
#: How often a waiting request looks for a free slot.
POLL_SECONDS = 0.05


class ExportBusy(Exception):
    """Every export slot stayed taken for as long as a request may wait."""

    retry_after = RETRY_AFTER_SECONDS


class ExportTooSlow(Exception):
    """Rendering an export took longer than its time budget, so it was stopped."""


class _OutOfTime(BaseException):
    """Raised by the alarm inside the renderer. A ``BaseException``, so that no
    ``except Exception`` in a library swallows it; ``time_budget`` turns it into
    ``ExportTooSlow`` before it can leave the block."""


def slots_supported() -> bool:
    return fcntl is not None


def _try_slot(path: Path) -> int | None:
    """An open, exclusively locked file descriptor for ``path``, or None when it is taken."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    except BaseException:
        os.close(fd)
        raise
    return fd


def slot_path(folder: Path, number: int) -> Path:
    return folder / f"slot-{number}.lock"


@contextmanager
def export_slot(folder: Path, slots: int, wait_seconds: float) -> Iterator[None]:
    """Hold one of ``slots`` slots (files in ``folder``) while the block runs.

    Waits at most ``wait_seconds`` for a free one, then raises ``ExportBusy``. ``slots`` of 0
    or less means no limit, and so does a folder that cannot be used (logged): a broken slot
    folder must not stop every download.
    """
    if fcntl is None or slots <= 0:
        yield
        return
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd = _wait_for_slot(folder, slots, time.monotonic() + max(wait_seconds, 0))
    except OSError:
        log.warning("Export slots in %s cannot be used; exporting without a limit", folder,
                    exc_info=True)  # fmt: skip
        fd = None
    try:
        yield
    finally:
        if fd is not None:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)


def _wait_for_slot(folder: Path, slots: int, deadline: float) -> int:
    while True:
        for number in range(slots):
            fd = _try_slot(slot_path(folder, number))
            if fd is not None:
                return fd
        if time.monotonic() >= deadline:
            raise ExportBusy()
        time.sleep(POLL_SECONDS)


def _alarm_usable() -> bool:
    return (
        hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
        and signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    )


@contextmanager
def time_budget(seconds: float | None) -> Iterator[None]:
    """Stop the block with ``ExportTooSlow`` after ``seconds`` (None or 0: no budget).

    Only in the main thread and when no other ``ITIMER_REAL`` timer runs; otherwise the block
    runs without a budget. The alarm is a one-shot timer that raises at most once, and only
    while it is armed, so it can never escape this function.
    """
    if not seconds or seconds <= 0 or not _alarm_usable():
        yield
        return
    armed = True

    def expire(_signum, _frame):
        if armed:
            raise _OutOfTime()

    previous = signal.signal(signal.SIGALRM, expire)
    try:
        signal.setitimer(signal.ITIMER_REAL, seconds)
        try:
            yield
        finally:
            armed = False
            signal.setitimer(signal.ITIMER_REAL, 0)
    except _OutOfTime:
        raise ExportTooSlow(f"took longer than {seconds:g} s") from None
    finally:
        signal.signal(signal.SIGALRM, previous)


def answer_export_limits(
    blueprint, *, busy_message: str, slow_title: str, slow_message: str, slow_retry: bool
) -> None:
    """Answer a full slot queue or a render over budget on ``blueprint`` with a Dutch 503 page,
    never a 500. ``slow_retry``: a retry will be faster (what was done is cached)."""
    from flask import current_app, request

    from ..core.errors import render_error

    @blueprint.errorhandler(ExportBusy)
    def export_busy(error: ExportBusy):
        current_app.logger.info("No free export slot for %s", request.path)
        body, status = render_error(503, "Even geduld", busy_message)
        return body, status, {"Retry-After": str(error.retry_after)}

    @blueprint.errorhandler(ExportTooSlow)
    def export_too_slow(error: ExportTooSlow):
        current_app.logger.warning("Export %s stopped: %s", request.path, error)
        body, status = render_error(503, slow_title, slow_message)
        return body, status, ({"Retry-After": "60"} if slow_retry else {})
