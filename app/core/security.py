"""Safe response headers on every page."""

from __future__ import annotations

from flask import Flask

from ..extensions import talisman

#: Everything is self-hosted: no CDN, no third-party fonts or analytics.
CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "img-src": "'self' data:",
    "style-src": "'self'",
    "script-src": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
    "base-uri": "'self'",
    "object-src": "'none'",
}


def init_security(app: Flask) -> None:
    force_https = bool(app.config.get("FORCE_HTTPS"))
    talisman.init_app(
        app,
        force_https=force_https,
        strict_transport_security=force_https,
        session_cookie_secure=force_https,
        content_security_policy=CONTENT_SECURITY_POLICY,
        frame_options="DENY",
        referrer_policy="same-origin",
        permissions_policy={"camera": "()", "microphone": "()", "geolocation": "()"},
    )
