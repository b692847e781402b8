"""Errors of the API as ``application/problem+json`` (RFC 9457), in Dutch.

Every error inside ``/api/v1`` is a problem document: ``type``, ``title``, ``status`` and a
``detail`` that says in Dutch what went wrong and what to do; a refused parameter or field is
named in ``invalidParams`` (the NL API Design Rules' extension). The blueprint registers the
handlers (``register_problem_handlers``), so the rest of the site keeps its HTML error pages.
"""

from __future__ import annotations

import json
from contextlib import suppress
from dataclasses import dataclass, field

from flask import Blueprint, Response, current_app, request
from flask_limiter import RateLimitExceeded
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from ..core.text import clean_line

PROBLEM_MEDIA_TYPE = "application/problem+json"
#: Where each problem type is explained: the API's own documentation page, one anchor per
#: status. A relative reference (RFC 9457 allows it), so it never depends on the Host header.
PROBLEM_TYPE = "/api/v1#fout-{status}"

#: (title, detail) per status, for problems raised without a detail of their own.
MESSAGES: dict[int, tuple[str, str]] = {
    400: (
        "Het verzoek klopt niet",
        "De gegevens in het verzoek zijn niet compleet of niet geldig. Kijk in invalidParams "
        "welke parameter niet klopt.",
    ),
    401: (
        "Geen geldige sleutel",
        "Stuur een geldige API-sleutel mee in de kop 'Authorization: Bearer <sleutel>'. Een "
        "sleutel maakt u in Handvat onder Mijn account, API-sleutels. Een ingetrokken sleutel "
        "werkt niet meer.",
    ),
    403: ("Geen toegang", "Uw sleutel of uw rol in deze regio staat dit niet toe."),
    404: (
        "Niet gevonden",
        "Dit bestaat niet (meer), of u heeft geen rol in de regio waar het bij hoort. Controleer "
        "het adres.",
    ),
    405: ("Methode niet toegestaan", "Dit adres kan niet met deze methode worden gebruikt."),
    406: (
        "Niet in dit formaat",
        "De API geeft alleen JSON. Vraag in de kop Accept om application/json, of laat de kop "
        "Accept weg.",
    ),
    412: (
        "Intussen gewijzigd",
        "Het actiepunt is gewijzigd sinds u het ophaalde. Haal het opnieuw op en stuur de nieuwe "
        "ETag mee in If-Match. Er is niets opgeslagen.",
    ),
    413: (
        "Te veel gegevens",
        "Het verzoek is groter dan 1 MB. Stuur minder tekst. Er is niets opgeslagen.",
    ),
    415: (
        "Verkeerd formaat",
        "Stuur de gegevens als JSON, met de kop 'Content-Type: application/json'.",
    ),
    422: ("Kan niet worden verwerkt", "De gegevens kloppen niet. Er is niets opgeslagen."),
    428: (
        "If-Match ontbreekt",
        "Stuur de ETag van het actiepunt mee in de kop If-Match, bijvoorbeeld 'If-Match: \"3\"'. "
        "U vindt de ETag in de antwoordkop van GET /api/v1/actions/{id}. Zo overschrijft u "
        "nooit ongemerkt de wijziging van een ander.",
    ),
    429: (
        "Te veel verzoeken",
        "Deze sleutel deed te veel verzoeken in korte tijd. Wacht een minuut en probeer het dan "
        "opnieuw; de kop Retry-After zegt hoe lang.",
    ),
    500: (
        "Er ging iets mis",
        "Er ging bij ons iets mis. Er is niets opgeslagen. Probeer het later opnieuw.",
    ),
    503: ("Even niet beschikbaar", "Het lukt nu even niet. Probeer het over een minuut opnieuw."),
}


@dataclass(frozen=True)
class InvalidParam:
    """One refused query parameter or body field (``name`` as the client wrote it)."""

    name: str
    reason: str


@dataclass(eq=False)
class ApiProblem(Exception):
    """Raised anywhere while answering an API request; becomes a problem document."""

    status: int
    detail: str | None = None
    title: str | None = None
    invalid_params: list[InvalidParam] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__(self.status, self.detail)


#: A client error without a text of its own above keeps its status, with this text.
OTHER_CLIENT_ERROR = (
    "Het verzoek kan niet worden verwerkt",
    "Dit verzoek kan de API niet verwerken. Controleer het adres, de methode en de koppen met "
    "de documentatie op /api/v1.",
)


def problem_response(
    status: int,
    detail: str | None = None,
    title: str | None = None,
    invalid_params: list[InvalidParam] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    fallback = OTHER_CLIENT_ERROR if 400 <= status < 500 else MESSAGES[500]
    default_title, default_detail = MESSAGES.get(status, fallback)
    body: dict = {
        "type": PROBLEM_TYPE.format(status=status),
        "title": title or default_title,
        "status": status,
        "detail": detail or default_detail,
        "instance": request.path,
    }
    if invalid_params:
        body["invalidParams"] = [{"name": p.name, "reason": p.reason} for p in invalid_params]
    response = Response(
        json.dumps(body, ensure_ascii=False), status=status, mimetype=PROBLEM_MEDIA_TYPE
    )
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def problem_from_http_exception(error: HTTPException) -> Response:
    status = error.code or 500
    headers = {}
    if isinstance(error, MethodNotAllowed) and error.valid_methods:
        headers["Allow"] = ", ".join(sorted(error.valid_methods))
        useful = ", ".join(sorted(set(error.valid_methods) - {"HEAD", "OPTIONS"}))
        return problem_response(
            405,
            f"Dit adres kan niet met {clean_line(request.method)[:20]} worden gebruikt. Wel "
            f"met: {useful}.",
            headers=headers,
        )
    if status == 429:
        headers["Retry-After"] = "60"  # Flask-Limiter replaces it with the exact wait
    known = status in MESSAGES or 400 <= status < 500
    return problem_response(status if known else 500, headers=headers)


def register_problem_handlers(bp: Blueprint) -> None:
    """Every error of the blueprint's requests as a problem document, never an HTML page."""

    @bp.errorhandler(ApiProblem)
    def api_problem(problem: ApiProblem):
        from ..extensions import db

        db.session.rollback()
        return problem_response(
            problem.status, problem.detail, problem.title, problem.invalid_params, problem.headers
        )

    # The app's own handler for this one is registered by its status code, which Flask looks
    # up before the blueprint's handler for every HTTPException: name it here too.
    @bp.errorhandler(RateLimitExceeded)
    @bp.errorhandler(HTTPException)
    def http_problem(error: HTTPException):
        from ..extensions import db

        db.session.rollback()
        return problem_from_http_exception(error)

    @bp.errorhandler(Exception)
    def unexpected_problem(error: Exception):
        from ..core.logs import log_unhandled_error
        from ..extensions import db

        if database_unavailable(error):
            # The database does not answer (down, restarting, unreachable, every connection
            # in use): the request may well work in a minute, so a 503 that says when.
            current_app.logger.warning(
                "API request answered 503: the database is not available (%s: %s)",
                type(error).__name__,
                str(error).splitlines()[0][:300] if str(error) else "",
            )
            with suppress(Exception):  # the connection may be gone
                db.session.rollback()
            return problem_response(503, headers={"Retry-After": str(DATABASE_RETRY_AFTER)})
        log_unhandled_error(error)
        db.session.rollback()
        return problem_response(500)


#: Seconds a client is asked to wait when the database does not answer.
DATABASE_RETRY_AFTER = 60


def database_unavailable(error: BaseException) -> bool:
    """Whether ``error`` says the database cannot be used right now (not that a statement or
    the data is wrong): the server cannot be reached or broke off, or no connection is free."""
    from sqlalchemy import exc

    if isinstance(error, exc.OperationalError | exc.InterfaceError | exc.TimeoutError):
        return True
    return isinstance(error, exc.DBAPIError) and error.connection_invalidated
