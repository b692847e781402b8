"""Rate limits on everything that checks a secret: sign-in, second factor, links, invitations.

Counted per client address and per account (the address typed, known or not, so the limit
never tells whether an account exists). Flask-Limiter keeps the counters where
``RATELIMIT_STORAGE_URI`` says: in the process for the embedded default, in Redis when several
workers or servers must share them.
"""

from __future__ import annotations

from flask import Flask, request, session
from flask_limiter import Limiter, RateLimitExceeded
from flask_limiter.util import get_remote_address

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


def init_rate_limits(app: Flask) -> None:
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    limiter.init_app(app)

    @app.errorhandler(RateLimitExceeded)
    def too_many_attempts(_error: RateLimitExceeded):
        from ..core.errors import render_error

        body, status = render_error(
            429,
            "Te veel pogingen",
            "Er zijn te veel pogingen gedaan. Wacht een paar minuten en probeer het dan "
            "opnieuw. Er is niets opgeslagen.",
        )
        # Flask-Limiter replaces this with the exact wait when it adds its headers.
        return body, status, {"Retry-After": "60"}
