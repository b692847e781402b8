"""``/health/live`` and ``/health/ready``, polled every few seconds by a load balancer.

Both are public, set no cookie, load no session or user, have no rate limit and write
nothing; their request lines are logged at DEBUG only. The answers say nothing about the
installation: no versions, revisions, database names, hosts or error texts (those go to the
log, at WARNING).
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response
from sqlalchemy import text

from ..accounts.access import public
from ..core.logs import quietly_logged
from ..core.schema import is_at_head
from ..extensions import db

bp = Blueprint("health", __name__, url_prefix="/health")

#: A probe must never get an answer a cache kept.
NO_STORE = {"Cache-Control": "no-store"}

log = logging.getLogger("handvat.health")


def database_is_ready() -> bool:
    """A ``SELECT 1`` answers and the schema is at the code's head migration.

    Any failure is "not ready", never an error page: a load balancer then takes this server out
    until the database is back or ``flask db upgrade`` has run. Two statements on a connection
    from the pool; no ORM session, so nothing is written.
    """
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            if is_at_head(connection):
                return True
    except Exception as error:  # any driver or pool error: not ready, and say why in the log
        log.warning("Not ready: the database does not answer (%s: %s)", type(error).__name__, error)
        return False
    log.warning("Not ready: the database is not at the newest migration; run 'flask db upgrade'")
    return False


def _answer(status: str, code: int) -> Response:
    response = Response(f'{{"status":"{status}"}}\n', code, mimetype="application/json")
    response.headers.update(NO_STORE)
    return response


@bp.get("/live")
@public
@quietly_logged
def live():
    """The process answers. Never touches the database: a database outage must not make an
    orchestrator restart healthy workers."""
    return _answer("ok", 200)


@bp.get("/ready")
@public
@quietly_logged
def ready():
    """The database answers and its schema is at the code's newest migration: 200, else 503."""
    if database_is_ready():
        return _answer("ok", 200)
    return _answer("niet gereed", 503)
