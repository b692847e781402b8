"""Rate limits on everything that checks a secret: sign-in, second factor, links, invitations.

Counted per client address and per account (the address typed, known or not, so the limit
never tells whether an account exists). Flask-Limiter keeps the counters where
``RATELIMIT_STORAGE_URI`` says: in the process for the embedded default, in Redis when several
workers or servers must share them.
"""

from __future__ import annotations

from flask import Flask, current_app, request, session
from flask_limiter import Limiter, RateLimitExceeded
from flask_limiter.util import get_qualified_name, get_remote_address

limiter = Limiter(get_remote_address)

#: Per client address: generous enough for a room behind one NAT address.
PER_CLIENT = "30 per minute;300 per hour"
#: Per account: guessing one person's password or code.
PER_ACCOUNT = "5 per minute;30 per hour"


def typed_account() -> str:
    from .operations import normalise_email

    return "account:" + normalise_email(request.form.get("email", ""))[:254]


def pending_account() -> str:
    return f"pending:{session.get('pending_user_id', '-')}"


def link_token() -> str:
    return "link:" + (request.view_args or {}).get("token", "")[:100]


sign_in_per_client = limiter.shared_limit(PER_CLIENT, scope="sign-in-client", methods=["POST"])
sign_in_per_account = limiter.shared_limit(
    PER_ACCOUNT, scope="sign-in-account", key_func=typed_account, methods=["POST"]
)
second_factor_per_account = limiter.shared_limit(
    PER_ACCOUNT, scope="second-factor-account", key_func=pending_account, methods=["POST"]
)
token_per_client = limiter.shared_limit(PER_CLIENT, scope="token-client")
token_per_link = limiter.shared_limit(PER_ACCOUNT, scope="token-link", key_func=link_token)
invitations_per_client = limiter.shared_limit(
    "60 per hour", scope="invitations-client", methods=["POST"]
)


def _has_no_limits(endpoint: str | None) -> bool:
    """True for an endpoint that no limit applies to (most of them).

    Only the views decorated here carry limits (their decorator checks them when the view
    runs); there are no default, application, blueprint or meta limits. Should any appear, or
    should Flask-Limiter keep them elsewhere (its private attributes read below), every request
    is checked as before.
    """
    if not endpoint:
        return False
    view = current_app.view_functions.get(endpoint)
    manager = getattr(limiter, "limit_manager", None)
    marked = getattr(limiter, "_marked_for_limiting", None)
    if view is None or manager is None or marked is None:
        return False
    if (
        getattr(manager, "_default_limits", True)
        or getattr(manager, "_application_limits", True)
        or getattr(manager, "_blueprint_limits", True)
        or getattr(limiter, "_meta_limits", True)
    ):
        return False
    return get_qualified_name(view) not in marked and not manager.has_hints(endpoint)


#: Per app: endpoint -> whether no limit applies (worked out once; every limit is declared at
#: import, before the first request).
_UNLIMITED = "handvat_unlimited_endpoints"


def _check_limits_where_they_apply() -> None:
    """Flask-Limiter's check before every request, skipped for endpoints without limits: it
    resolves the limits of every request anew, about a tenth of a cheap signed-in request."""
    known = current_app.extensions[_UNLIMITED]
    endpoint = request.endpoint
    unlimited = known.get(endpoint)
    if unlimited is None:
        unlimited = known[endpoint] = _has_no_limits(endpoint)
    if not unlimited:
        limiter._check_request_limit()


def init_rate_limits(app: Flask) -> None:
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    limiter.init_app(app)
    app.extensions[_UNLIMITED] = {}
    checks = app.before_request_funcs.get(None, [])
    for position, function in enumerate(checks):
        if function == limiter._check_request_limit:
            checks[position] = _check_limits_where_they_apply

    @app.errorhandler(RateLimitExceeded)
    def too_many_attempts(_error: RateLimitExceeded):
        from ..core.errors import render_error

        body, status = render_error(
            429,
            "Te veel pogingen",
            "Er zijn te veel pogingen gedaan. Wacht een paar minuten en probeer het dan "
            "opnieuw. Er is niets opgeslagen.",
            # Only sign-in, invitation and feed requests are limited: nothing worth giving back.
            give_back=False,
        )
        # Flask-Limiter replaces this with the exact wait when it adds its headers.
        return body, status, {"Retry-After": "60"}
