"""Dutch error pages. No stack trace ever reaches a user."""

from __future__ import annotations

from flask import Flask, current_app, render_template, request
from flask.globals import request_ctx
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from .logs import log_unhandled_error, request_id
from .text import clean_text

MESSAGES = {
    400: (
        "Het verzoek klopt niet",
        "De gegevens die we kregen zijn niet compleet of niet geldig. "
        "Ga terug en probeer het opnieuw.",
    ),
    403: ("Geen toegang", "U heeft geen toegang tot deze pagina."),
    404: (
        "Pagina niet gevonden",
        "Deze pagina bestaat niet (meer). Misschien is het adres niet "
        "goed, of is het gesprek of actiepunt verwijderd.",
    ),
    405: ("Dit kan hier niet", "Deze pagina kan niet op deze manier worden gebruikt."),
    413: (
        "Te veel gegevens",
        "Wat u verstuurde is te groot (meer dan 1 MB). Maak de tekst "
        "korter en probeer het opnieuw.",
    ),
    500: (
        "Er ging iets mis",
        "Er ging bij ons iets mis. Uw laatste wijziging is misschien niet "
        "opgeslagen. Ga terug, controleer uw gegevens en probeer het opnieuw.",
    ),
    503: (
        "Het is nu even te druk",
        "Het lukt nu even niet. Er is niets verloren gegaan. Probeer het over een minuut opnieuw.",
    ),
}


#: Fields whose value is never shown back: passwords, second-factor codes, tokens.
SECRET_FIELDS = frozenset({"csrf_token", "password", "current", "repeat", "code"})


def submitted_texts() -> list[tuple[str, str]]:
    """The text a user just submitted, so an error page can give it back instead of losing it."""
    if request.method != "POST":
        return []
    try:
        form = request.form
    except Exception:  # an oversized body cannot be read back
        return []
    return [
        (key, clean_text(value))
        for key, value in form.items(multi=True)
        if key not in SECRET_FIELDS and value.strip() and len(value) > 2
    ]


def bind_urls_for_untrusted_host() -> None:
    """Let ``url_for`` work on the error page for a Host that is not in ``TRUSTED_HOSTS``.

    Flask then binds no URL adapter to the request (that is where it raises the 400), so every
    link in the page would fail and turn the 400 into a 500. The page's links are paths without
    a host name, so the forged name never ends up in them.
    """
    if request_ctx.url_adapter is None:
        hosts = current_app.config.get("TRUSTED_HOSTS") or ["localhost"]
        request_ctx.url_adapter = current_app.url_map.bind(
            hosts[0].lstrip("."), script_name=request.root_path or "/", url_scheme=request.scheme
        )


def render_error(
    status: int, title: str | None = None, message: str | None = None, *, give_back: bool = True
):
    """The error page; ``give_back``: with the texts the request submitted, not to lose them."""
    bind_urls_for_untrusted_host()
    default_title, default_message = MESSAGES.get(status, MESSAGES[500])
    return render_template(
        "errors/error.html",
        status=status,
        title=title or default_title,
        message=message or default_message,
        submitted=submitted_texts() if give_back else [],
        # On a server error, what a user quotes when they call about it (the log's lines of the
        # request carry it). A 4xx page says itself what to do; every answer has the id in its
        # X-Request-ID header.
        request_id=request_id() if status >= 500 else None,
    ), status


def register_errorhandlers(app: Flask) -> None:
    from .uploads import upload_limit_mb

    @app.errorhandler(CSRFError)
    def csrf_error(_error):
        return render_error(
            400,
            "Het formulier is verlopen",
            "Het formulier was te oud of kwam niet van deze site, daarom is het niet opgeslagen. "
            "Uw tekst staat hieronder. Kopieer die, open de pagina opnieuw en plak de tekst terug.",
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code == 413 and (limit := upload_limit_mb()):
            return render_error(
                413,
                "Het bestand is te groot",
                f"Een bestand mag hier hoogstens {limit} MB zijn. Er is niets opgeslagen. Sla "
                "alleen het werkblad of de kolommen op die u nodig heeft, of verdeel de cijfers "
                "over meer bestanden.",
            )
        body, status = render_error(error.code or 500)
        # What the status needs beside the page: a 405's Allow (RFC 9110), a 401's challenge.
        headers = [(k, v) for k, v in error.get_headers() if k.lower() != "content-type"]
        return body, status, headers

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        log_unhandled_error(error)
        from ..extensions import db

        db.session.rollback()
        return render_error(500)
