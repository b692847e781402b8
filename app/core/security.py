"""Safe response headers on every page, trusted host names and proxies, the HTTPS redirect.

Written out here instead of using Flask-Talisman: the headers are fixed, so they are built once
at start-up; Talisman rebuilds them on every request, which doubled the cost of a bare request.
Per request this costs one pass over the response's headers and one list extension.

Host names: ``TRUSTED_HOSTS`` is Flask's own setting. Flask checks the ``Host`` header (or,
behind a trusted proxy, ``X-Forwarded-Host``) while it sets up the request; an unknown name is a
``SecurityError``, a 400 with the Dutch error page, before any view or redirect runs. Nothing is
ever built from an untrusted name. Production (``FORCE_HTTPS``) must name its hosts, and so
must a site that sends mail (its links are built from the request's name): the app refuses to
start without them.

Proxies: forwarded headers (``X-Forwarded-For``/``-Proto``/``-Host``/``-Port``) are trusted only
from the ``PROXY_COUNT`` proxies in front, through werkzeug's ``ProxyFix``. With the default 0
they are ignored, so a client cannot pretend to be HTTPS or another address.

Caching: pages show names and organisations, so every dynamic response that does not set its
own ``Cache-Control`` gets ``private, no-store``. Static files keep Flask's own caching.

Server banner: the app never sets ``Server`` itself, because both servers add their own in
front of the app's headers and a second one would be sent, not a replacement.

- gunicorn writes ``Server: gunicorn`` without a version: ``Response.default_headers`` in
  ``gunicorn/http/wsgi.py`` uses ``gunicorn.SERVER`` (``"gunicorn"``); the versioned
  ``SERVER_SOFTWARE`` only goes into the WSGI environ. Checked in gunicorn 27.0.1.
- Werkzeug's development server always writes ``Server: Werkzeug/x.y Python/x.y``
  (``BaseHTTPRequestHandler.send_response`` calls ``version_string()``; werkzeug 3.1.9's
  ``WSGIRequestHandler`` does not skip it when the app sends its own). So
  :func:`hide_dev_server_versions` makes its ``version_string()`` say ``Handvat``.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager

from flask import Flask, Response, abort, current_app, redirect, request
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.sansio.utils import get_current_url, host_is_trusted

#: Everything is self-hosted: no CDN, no third-party fonts or analytics.
CONTENT_SECURITY_POLICY = "; ".join(
    f"{directive} {sources}"
    for directive, sources in {
        "default-src": "'self'",
        "img-src": "'self' data:",
        "style-src": "'self'",
        "script-src": "'self'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
        "base-uri": "'self'",
        "object-src": "'none'",
    }.items()
)

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}

#: Two years, as the HSTS preload list asks; only sent over HTTPS (FORCE_HTTPS).
STRICT_TRANSPORT_SECURITY = "max-age=63072000; includeSubDomains"

#: For every dynamic response that does not choose its own: no shared or browser cache keeps
#: a page with names and organisations.
NO_STORE = "private, no-store"

#: What Werkzeug's development server sends as ``Server`` instead of its and Python's versions.
DEV_SERVER_BANNER = "Handvat"

#: Where ``flask run`` serves the site: the address of links made outside a request when the
#: installation names no host (the embedded development default).
DEVELOPMENT_BASE_URL = "http://127.0.0.1:5000"


class ConfigurationError(RuntimeError):
    """A setting that makes the app unsafe or unusable; the app does not start."""


def init_security(app: Flask) -> None:
    proxy_count = parse_proxy_count(app.config.get("PROXY_COUNT"))
    trusted_hosts = parse_trusted_hosts(app.config.get("TRUSTED_HOSTS"))
    app.config.update(PROXY_COUNT=proxy_count, TRUSTED_HOSTS=trusted_hosts)
    force_https = bool(app.config.get("FORCE_HTTPS"))
    if force_https and not trusted_hosts:
        raise ConfigurationError(
            "HANDVAT_FORCE_HTTPS is on but no host names are configured. Set "
            "HANDVAT_TRUSTED_HOSTS to the name(s) this site is reached at, for example "
            "HANDVAT_TRUSTED_HOSTS=handvat.example.nl (several: comma-separated); requests for "
            "any other Host are refused with 400."
        )
    if app.config.get("MAIL_SERVER") and not trusted_hosts:
        # A mailed link is built from the request's Host: a forged one would send a password
        # link to someone else's site.
        raise ConfigurationError(
            "HANDVAT_MAIL_SERVER is set but no host names are configured. Set "
            "HANDVAT_TRUSTED_HOSTS to the name(s) this site is reached at, for example "
            "HANDVAT_TRUSTED_HOSTS=handvat.example.nl: the links in invitation and password "
            "mails are built from the name a request was sent to."
        )
    if proxy_count:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app,
            x_for=proxy_count,
            x_proto=proxy_count,
            x_host=proxy_count,
            x_port=proxy_count,
        )
    hide_dev_server_versions()

    headers = dict(SECURITY_HEADERS)
    if force_https:
        headers["Strict-Transport-Security"] = STRICT_TRANSPORT_SECURITY
        app.config.update(SESSION_COOKIE_SECURE=True)

        @app.before_request
        def redirect_to_https():
            # A load balancer's health probe goes straight to an app server, over plain HTTP.
            if request.is_secure or request.blueprint == "health":
                return None
            # ``request.host`` raises SecurityError (400) for a name not in TRUSTED_HOSTS; check
            # again here so the redirect never depends on where Flask does that check.
            host = request.host
            if not host_is_trusted(host, trusted_hosts):
                abort(400)
            url = get_current_url(
                "https", host, request.root_path, request.path, request.query_string
            )
            return redirect(url, code=301)

    app.session_interface = CachedSerializerSessionInterface()
    prebuilt = list(headers.items())
    ours = {name.lower() for name in headers}
    cache_control = "cache-control"

    @app.after_request
    def add_security_headers(response: Response) -> Response:
        # One pass over the response's few headers instead of a scan per header we set: almost
        # always none of ours is there yet, and the fixed values are appended as they are
        # (checked once, at start-up, by ``Headers``). Otherwise each one replaces what is
        # there, as ``headers[name] = value`` does.
        target = response.headers
        present = {name.lower() for name, _value in target.items()}
        raw = getattr(target, "_list", None)
        if raw is not None and not present & ours:
            raw.extend(prebuilt)
        else:
            for name, value in prebuilt:
                target[name] = value
        # Static files always carry their own (Flask's send_file sets it), so they keep theirs.
        if cache_control not in present:
            target["Cache-Control"] = NO_STORE
        return response


class CachedSerializerSessionInterface(SecureCookieSessionInterface):
    """Flask's signed session cookie, with its signing serializer built once per key instead
    of on every request (it is read on every request and written when the session changes).
    The cookie, its keys (``SECRET_KEY`` and ``SECRET_KEY_FALLBACKS``) and salt are as before."""

    def __init__(self) -> None:
        self._serializers: dict[tuple, URLSafeTimedSerializer | None] = {}

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        key = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        serializer = self._serializers.get(key)
        if serializer is None:
            serializer = super().get_signing_serializer(app)
            if len(self._serializers) > 8:  # keys only change in tests
                self._serializers.clear()
            self._serializers[key] = serializer
        return serializer


def parse_proxy_count(value: object) -> int:
    """``PROXY_COUNT`` as a number of proxies (``HANDVAT_PROXY_COUNT=1`` arrives as ``1``)."""
    if value is None or value == "":
        return 0
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigurationError(
            f"HANDVAT_PROXY_COUNT must be a whole number of proxies (0 or more), not {value!r}."
        )
    return value


def parse_trusted_hosts(value: object) -> list[str] | None:
    """``TRUSTED_HOSTS`` as a list of names, from a JSON list or a comma-separated string.

    ``None`` (also for an empty value) means every host is accepted, as in Flask.
    """
    if value is None:
        return None
    if isinstance(value, str):
        names: Collection[object] = value.split(",")
    elif isinstance(value, list | tuple | set | frozenset):
        names = value
    else:
        names = [value]
    hosts = []
    for name in names:
        if not isinstance(name, str):
            raise ConfigurationError(
                f"HANDVAT_TRUSTED_HOSTS must be host names, comma-separated or a JSON list, "
                f"not {value!r}."
            )
        if name.strip():
            hosts.append(name.strip())
    return hosts or None


def public_base_url(config: Mapping) -> str:
    """The address people reach this installation at, for links made outside a request (a
    command's printed link, a reminder mail): ``SERVER_NAME`` when set; else the first name of
    ``TRUSTED_HOSTS`` (a name itself before a ``.example.nl``, which also accepts every
    subdomain), with https when ``FORCE_HTTPS``; else the development address. A host the site
    would refuse is never used: the link must work."""
    scheme = "https" if config.get("FORCE_HTTPS") else config.get("PREFERRED_URL_SCHEME") or "http"
    if config.get("SERVER_NAME"):
        root = (config.get("APPLICATION_ROOT") or "/").rstrip("/")
        return f"{scheme}://{config['SERVER_NAME']}{root}"
    trusted = [
        host for host in parse_trusted_hosts(config.get("TRUSTED_HOSTS")) or [] if host.strip(".")
    ]
    hosts = sorted(trusted, key=lambda host: host.startswith("."))
    if hosts:
        return f"{scheme}://{hosts[0].lstrip('.')}"
    return DEVELOPMENT_BASE_URL


@contextmanager
def public_urls() -> Iterator[None]:
    """Inside the block, ``url_for(..., _external=True)`` builds links on
    :func:`public_base_url`, also where there is no request (a command run by cron)."""
    app = current_app._get_current_object()
    with app.test_request_context(base_url=public_base_url(app.config)) as context:
        if context.url_adapter is None:  # a SERVER_NAME that TRUSTED_HOSTS does not name
            context.url_adapter = app.create_url_adapter(None)
        yield


def _version_free_banner(_handler: object) -> str:
    return DEV_SERVER_BANNER


def hide_dev_server_versions() -> None:
    """Make Werkzeug's development server send ``Server: Handvat`` instead of its versions.

    Werkzeug offers no setting for this and ``flask run`` builds the server itself, so the
    handler's ``version_string()`` is replaced; the WSGI ``SERVER_SOFTWARE`` stays as it was.
    """
    from werkzeug.serving import WSGIRequestHandler

    WSGIRequestHandler.version_string = _version_free_banner  # type: ignore[method-assign]
