"""gunicorn's configuration for one Handvat app server behind nginx.

Start it from the clone, with the settings (README, Configuration) in the environment:

    gunicorn -c deploy/gunicorn.conf.py "app:create_app()"

``deploy/systemd/handvat@.service`` does exactly this, once per port. Two settings come from the
environment so that one file serves every server:

- ``HANDVAT_BIND``: the address to listen on (default ``127.0.0.1:8000``). Loopback only:
  nginx on the same machine is the only client. One server per port (8001, 8002, ... as in
  ``deploy/nginx/handvat.conf``).
- ``HANDVAT_WORKERS``: the number of worker processes (default ``2 * CPUs + 1``). With two
  app servers on one machine, give each about half, e.g. ``CPUs + 1``.

Restarting without dropping a request (signals to the master process, the ``MainPID`` of the
systemd unit):

- ``HUP`` (``systemctl reload handvat@8001``): reads this file again and starts new workers
  with the code as it is on disk now, then stops the old ones gracefully. The listening socket
  stays open throughout, so no request is refused. Use it after an upgrade (after
  ``flask --app app db upgrade``). This works because the app is not preloaded (see
  ``preload_app``).
- After upgrading Python or gunicorn itself, restart the servers one at a time instead
  (``systemctl restart handvat@8001``, then ``handvat@8002``). gunicorn's USR2 (a new master)
  does not fit systemd, which follows the master's process id.
- ``TERM`` (``systemctl stop``): stops accepting, lets every request in progress finish
  (``graceful_timeout``), then exits. nginx sends new requests to the other server meanwhile.
- ``KILL``: immediate. A request in progress on that server is lost and answered by nginx with
  502 (only a request that never reached the server is tried on the other one).
"""

import contextlib
import json
import logging
import os
import time

# --- where, and how many ----------------------------------------------------------------------

bind = [os.environ.get("HANDVAT_BIND", "127.0.0.1:8000")]


def _cpus() -> int:
    """CPUs this process may use (a container's or cgroup's limit), not all of the machine's."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):
        return os.cpu_count() or 1


workers = int(os.environ.get("HANDVAT_WORKERS") or 2 * _cpus() + 1)

#: One request at a time per worker. Handvat's export time budget and slots assume it: the
#: budget uses SIGALRM, which only works in a worker's main thread (app/exports/limits.py).
worker_class = "sync"

# --- time -------------------------------------------------------------------------------------

#: A worker that does not answer within this many seconds is killed and replaced. An export
#: stops itself after ``HANDVAT_EXPORT_TIME_BUDGET_SECONDS`` (20) with a Dutch message, well
#: before this; nginx waits a little longer than this (proxy_read_timeout 35s).
timeout = 30

#: After HUP or TERM, a request in progress has this long to finish: as long as a request may
#: take at all. systemd's TimeoutStopSec (deploy/systemd/handvat@.service) is longer still.
graceful_timeout = 30

#: Ignored by sync workers: they close the connection after every response ("Connection:
#: close"), so nginx opens a new loopback connection per request (cheap). Should the worker
#: class ever become gthread, this must be longer than nginx's upstream keepalive_timeout
#: (60 s), so that gunicorn never closes a connection nginx is about to reuse.
keepalive = 75

#: Replace each worker after about this many requests (jitter: not all at once), so that
#: memory a long-running worker gathers (per-process page caches, pandas, reportlab) is given
#: back. The caches are keyed on the data, so a new worker only renders afresh.
max_requests = 1000
max_requests_jitter = 100

#: Load the app in each worker, not once in the master. Preloading would share database
#: connections and the rate limiter's Redis client across forks, and HUP would not pick up new
#: code. Start-up takes a few seconds per worker; that is paid at start and on HUP only.
preload_app = False


def post_worker_init(worker) -> None:
    """On TERM, a worker stops listening at once, not only when its request is done.

    gunicorn's master closes its listening socket on TERM, but every worker holds a copy of it
    until it exits, so a worker finishing a long request (up to ``graceful_timeout``) keeps the
    port open: the kernel still accepts connections there that no worker will take; they wait
    until that request is done and are then reset. nginx resends a GET that met this, but not
    a POST (it was sent): the user would get a 502 or 504. Closing each worker's copy on TERM
    makes the port refuse new connections at once, so nginx sends them to the other server (a
    refused connection is safe to retry, also for a POST), while the request in progress
    finishes. Python runs this handler as soon as the worker runs Python code again: at once
    while it renders or waits for PostgreSQL (tests/production/test_cluster.py stops a server
    whose worker waits for a database lock). On HUP the master and the new workers keep the
    port open, so a reload refuses nothing.
    """
    import signal

    def stop_listening(signum, frame):
        for listener in worker.sockets:
            with contextlib.suppress(OSError):
                listener.close()
        worker.handle_exit(signum, frame)

    signal.signal(signal.SIGTERM, stop_listening)
    # As gunicorn has it: TERM must not interrupt the request in progress.
    signal.siginterrupt(signal.SIGTERM, False)


# --- the proxy in front -----------------------------------------------------------------------

#: Only nginx on this machine may say the request came over HTTPS (gunicorn's own variable
#: FORWARDED_ALLOW_IPS names nginx's address when it runs elsewhere). The app itself trusts
#: the forwarded headers through werkzeug's ProxyFix (HANDVAT_PROXY_COUNT=1), not these; it
#: trusts whoever connects, so an app server must be reachable by nginx alone.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS") or "127.0.0.1,::1"
#: Only the header nginx sets (always, overwriting the client's). With gunicorn's default of
#: three headers, a client could add ``X-Forwarded-Ssl: off`` and get a 400 from gunicorn.
secure_scheme_headers = {"X-FORWARDED-PROTO": "https"}

#: gunicorn 25+ opens a control socket at one path per user (``~/.gunicorn/gunicorn.ctl``), so
#: two app servers of one user would take it from each other. Off; signals (above) suffice.
control_socket_disable = True

#: The process title shows which server it is (``ps``, ``top``).
proc_name = "handvat-" + bind[0].rsplit(":", 1)[-1]

# --- logs -------------------------------------------------------------------------------------

#: No access log from gunicorn: the app writes one JSON line per request itself
#: (``handvat.request``: request_id, method, path without secrets, status, duration, user),
#: and nginx logs every request with the same request_id, including those that never reach
#: the app (static files, 413, 502). A third line per request would add nothing.
accesslog = None

#: gunicorn's own lines (start, workers booting and exiting, a worker timeout) as one JSON
#: object per line on stderr, with the fields of the app's lines (time, level, logger,
#: message, exc_info), so that one log collector reads both; under systemd both land in the
#: journal. ``HANDVAT_LOG_LEVEL`` (default INFO) sets the level, as it does for the app.
#:
#: Not ``app.core.logs.JsonFormatter`` itself: the master process configures logging, and
#: importing the app there would keep the old code in every worker forked after a HUP (a
#: worker imports ``app`` only when the master has not). The app's own lines use its
#: formatter: with no handler on the root logger, each worker's app adds it (app/core/logs.py).
loglevel = (os.environ.get("HANDVAT_LOG_LEVEL") or "info").lower()


class JsonLines(logging.Formatter):
    """The shape of ``app.core.logs.JsonFormatter`` for gunicorn's own lines."""

    def format(self, record: logging.LogRecord) -> str:
        seconds = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
        entry = {
            "time": f"{seconds}.{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "pid": record.process,
        }
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=True, default=str)


logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": JsonLines}},
    "handlers": {
        "stderr": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "stream": "ext://sys.stderr",
        },
        "discard": {"class": "logging.NullHandler"},
    },
    # No handler here: the app adds its own (JSON, with request ids) in each worker.
    # Libraries log at WARNING and above.
    "root": {"level": "WARNING", "handlers": []},
    "loggers": {
        "gunicorn.error": {"level": loglevel.upper(), "handlers": ["stderr"], "propagate": False},
        # See ``accesslog``: with a logging configuration gunicorn would log access lines.
        "gunicorn.access": {"level": "WARNING", "handlers": ["discard"], "propagate": False},
    },
}
