"""The production setup on this machine: nginx in front of two gunicorns, PostgreSQL, Redis.

Everything is built from the shipped files, with only their placeholders filled in:

- ``deploy/nginx/handvat.conf``: the site's name becomes ``SITE``, the certificate directory a
  self-signed certificate made here with openssl, the clone the repository under test, the
  app servers' ports and the listening ports free loopback ports, the log directory the
  temporary directory (``fill_nginx_placeholders``). Debian's nginx runs it as its own master
  process, with a minimal main configuration whose paths all lie in the temporary directory.
- ``deploy/gunicorn.conf.py``: each app server is ``gunicorn -c deploy/gunicorn.conf.py
  app:create_app()`` with ``HANDVAT_BIND`` on its own loopback port, in its own process group
  (so a hard stop takes the master and its workers at once, as a crashed machine would).
- A fresh PostgreSQL database per cluster, a Redis key prefix of its own; the settings of the
  README's production section: ``HANDVAT_FORCE_HTTPS``, ``HANDVAT_TRUSTED_HOSTS``,
  ``HANDVAT_PROXY_COUNT=1``, rate limits in Redis, a fixed ``SECRET_KEY``, CSRF on.

Clients reach the site over HTTPS at ``https://SITE:<port>`` and verify the certificate
against that name; only the connection goes to 127.0.0.1 (``LoopbackAdapter``).

Bounded and tidy: every wait has a timeout; processes, the temporary directory, the database
and the Redis keys are removed afterwards, also when a test fails. Without nginx, openssl,
PostgreSQL or Redis these tests are skipped locally and fail in CI (``CI=true``).
"""

from __future__ import annotations

import getpass
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

from ..conftest import IN_CI, create_postgres_database, drop_postgres_database

PROJECT_ROOT = Path(__file__).resolve().parents[2]
NGINX_SITE = Path("deploy/nginx/handvat.conf")
GUNICORN_CONFIG = Path("deploy/gunicorn.conf.py")
SYSTEMD_UNIT = Path("deploy/systemd/handvat@.service")
#: The test's own site name; the certificate is made for it.
SITE = "handvat.test"
SECRET_KEY = "production-test-secret-" + "0123456789abcdef" * 3
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
#: Seconds an app server may take to answer /health/ready after its start, and to stop.
SERVER_START_SECONDS = 60
SERVER_STOP_SECONDS = 45
#: Seconds any one request may take.
REQUEST_TIMEOUT = 30
#: Settings from the environment that must not leak from the developer's shell into a server.
_OWN_SETTINGS = re.compile(r"^(HANDVAT_|DATABASE_URL$|SECRET_KEY$|FLASK_)")


def need(ok: bool, message: str) -> None:
    """Skip the test when ``ok`` is false, except in CI, where that is a failure."""
    if not ok:
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)


def need_tools() -> None:
    for tool in ("nginx", "openssl"):
        need(
            shutil.which(tool) is not None,
            f"{tool} is not installed (apt-get install nginx openssl)",
        )


def redis_client():
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2, socket_timeout=5)
    try:
        client.ping()
    except redis.exceptions.ConnectionError as error:
        client.close()
        need(False, f"Redis not reachable at {REDIS_URL}: {error}")
    return client


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(check: Callable[[], object], seconds: float, what: str, pause: float = 0.1):
    """``check()``'s first true result within ``seconds``; else the test fails saying ``what``."""
    deadline = time.monotonic() + seconds
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {seconds} s")
        time.sleep(pause)


def tail(path: Path, lines: int = 40) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return f"({path} cannot be read)"
    return "\n".join(text.splitlines()[-lines:])


def clean_environment(settings: Mapping[str, str]) -> dict[str, str]:
    """This process's environment without any Handvat setting, plus ``settings``."""
    env = {key: value for key, value in os.environ.items() if not _OWN_SETTINGS.match(key)}
    env.update(settings)
    return env


# --- the certificate and nginx --------------------------------------------------------------


def make_certificate(directory: Path, name: str) -> Path:
    """A self-signed certificate for ``name`` as ``fullchain.pem`` and ``privkey.pem``;
    the certificate file is also what a client trusts."""
    directory.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
            "-nodes", "-days", "2", "-subj", f"/CN={name}",
            "-addext", f"subjectAltName=DNS:{name}",
            "-keyout", str(directory / "privkey.pem"), "-out", str(directory / "fullchain.pem"),
        ],
        check=True, capture_output=True, timeout=30,
    )  # fmt: skip
    return directory / "fullchain.pem"


#: Each placeholder of ``deploy/nginx/handvat.conf`` (its header lists them) and what it stands
#: for; ``fill_nginx_placeholders`` fails when one is missing from the file or left over.
NGINX_PLACEHOLDERS = (
    "handvat.example.nl",
    "/etc/ssl/handvat/",
    "/srv/handvat/",
    "127.0.0.1:8001",
    "127.0.0.1:8002",
    "/var/log/nginx/",
)


def fill_nginx_placeholders(
    text: str,
    *,
    site: str,
    certificates: Path,
    clone: Path,
    app_ports: tuple[int, int],
    logs: Path,
    http_port: int,
    https_port: int,
) -> str:
    """The shipped site configuration with the test's values: the placeholders its header
    names, and the public ports 80 and 443 as loopback ports (IPv6 listeners dropped)."""
    values = {
        "handvat.example.nl": site,
        "/etc/ssl/handvat/": f"{certificates}/",
        "/srv/handvat/": f"{clone}/",
        "127.0.0.1:8001": f"127.0.0.1:{app_ports[0]}",
        "127.0.0.1:8002": f"127.0.0.1:{app_ports[1]}",
        "/var/log/nginx/": f"{logs}/",
    }
    assert set(values) == set(NGINX_PLACEHOLDERS)
    # Each is used by a directive, not only named in a comment.
    directives = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    for placeholder in NGINX_PLACEHOLDERS:
        assert placeholder in directives, f"{NGINX_SITE} no longer uses {placeholder}"
    for placeholder, value in values.items():
        text = text.replace(placeholder, value)
    listens = {
        r"^(\s*)listen 80;$": rf"\1listen 127.0.0.1:{http_port};",
        r"^(\s*)listen 443 ssl http2;$": rf"\1listen 127.0.0.1:{https_port} ssl http2;",
        r"^\s*listen \[::\]:(80|443)[^;]*;\n": "",
    }
    for pattern, replacement in listens.items():
        text, count = re.subn(pattern, replacement, text, flags=re.M)
        assert count == (2 if "::" in pattern else 1), f"{NGINX_SITE}: {pattern!r} {count}x"
    return text


@dataclass
class Nginx:
    root: Path
    http_port: int
    https_port: int
    process: subprocess.Popen | None = None

    @property
    def error_log(self) -> Path:
        return self.root / "logs" / "handvat.error.log"

    @property
    def access_log(self) -> Path:
        return self.root / "logs" / "handvat.access.log"

    def access_lines(self) -> list[dict]:
        import json

        if not self.access_log.exists():
            return []
        return [json.loads(line) for line in self.access_log.read_text().splitlines() if line]

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGQUIT)  # graceful: finish open requests
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=15)


def start_nginx(root: Path, site_config: str, http_port: int, https_port: int) -> Nginx:
    """Debian's nginx as its own master process, with ``site_config`` as its only site and
    every path (pid, logs, temporary files) under ``root``."""
    for name in ("logs", "temp", "sites"):
        (root / name).mkdir(parents=True, exist_ok=True)
    (root / "sites" / "handvat.conf").write_text(site_config)
    temp = root / "temp"
    # As root, nginx would run its workers as "nobody", who cannot read the test's private
    # temporary directory; the test's own user instead (ignored when not root).
    user = getpass.getuser()
    (root / "nginx.conf").write_text(
        f"""
daemon off;
worker_processes 1;
user {user};
pid {root}/nginx.pid;
error_log {root}/logs/error.log;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    access_log off;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    include {root}/sites/handvat.conf;
}}
"""
    )
    error_log = root / "logs" / "error.log"
    command = ["nginx", "-p", str(root), "-c", str(root / "nginx.conf"), "-e", str(error_log)]
    checked = subprocess.run([*command, "-t"], capture_output=True, text=True, timeout=30)
    assert checked.returncode == 0, f"nginx -t:\n{checked.stderr}\n{site_config}"
    nginx = Nginx(root, http_port, https_port)
    with (root / "logs" / "nginx.out").open("wb") as out:
        nginx.process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)

    def listening() -> bool:
        if nginx.process.poll() is not None:
            pytest.fail(f"nginx stopped:\n{tail(root / 'logs' / 'error.log')}")
        with socket.socket() as sock:
            sock.settimeout(1)
            return sock.connect_ex(("127.0.0.1", https_port)) == 0

    wait_until(listening, 20, "nginx listening")
    return nginx


# --- app servers -----------------------------------------------------------------------------


@dataclass
class AppServer:
    """One gunicorn (master and workers, one process group) on ``port``."""

    command: list[str]
    cwd: Path
    env: dict[str, str]
    port: int
    log: Path
    process: subprocess.Popen | None = None
    starts: int = 0

    def start(self) -> AppServer:
        assert self.process is None or self.process.poll() is not None
        self.starts += 1
        env = {**self.env, "HANDVAT_BIND": f"127.0.0.1:{self.port}"}
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                self.command, cwd=self.cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        return self

    def wait_ready(self, host: str) -> None:
        """Until ``/health/ready`` answers 200 on this server directly."""

        def ready() -> bool:
            if self.process.poll() is not None:
                pytest.fail(f"app server {self.port} stopped:\n{tail(self.log)}")
            return probe(self.port, "/health/ready", host) == 200

        wait_until(ready, SERVER_START_SECONDS, f"app server {self.port} ready", pause=0.25)

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill_hard(self) -> None:
        """SIGKILL to the master and every worker at once: the server is simply gone."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=SERVER_STOP_SECONDS)
        # Its workers were in the same group; none may be left accepting connections.
        wait_until(lambda: not _group_alive(self.process.pid), 10, f"workers of {self.port} gone")

    def stop_gracefully(self) -> int:
        """SIGTERM to the master (what ``systemctl stop`` does); its exit status."""
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=SERVER_STOP_SECONDS)

    def stop(self) -> None:
        """For the teardown: gracefully, then hard, whatever state it is in."""
        if self.process is None:
            return
        if self.process.poll() is None:
            with suppress(ProcessLookupError):
                self.process.send_signal(signal.SIGTERM)
            with suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=SERVER_STOP_SECONDS)
        with suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        with suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=10)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def probe(port: int, path: str, host: str) -> int | None:
    """The status of a GET straight to an app server, as nginx would send it (a trusted Host,
    HTTPS); None when it does not answer."""
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", path, headers={"Host": host, "X-Forwarded-Proto": "https"})
        return connection.getresponse().status
    except OSError:
        return None
    finally:
        connection.close()


@contextmanager
def table_unavailable(database_url: str, table: str) -> Iterator[None]:
    """``table`` renamed for a moment: a page that reads it fails with a server error, as it
    would with a damaged database. Named back afterwards, whatever happens."""
    import sqlalchemy as sa

    engine = sa.create_engine(
        database_url.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT"
    )
    try:
        with engine.connect() as connection:
            connection.execute(sa.text(f'ALTER TABLE "{table}" RENAME TO "{table}_away"'))
        try:
            yield
        finally:
            with engine.connect() as connection:
                connection.execute(sa.text(f'ALTER TABLE "{table}_away" RENAME TO "{table}"'))
    finally:
        engine.dispose()


#: A workshop code of the right form that no workshop has: ``/w/<code>`` reads the workshop
#: table without anyone signed in.
UNUSED_WORKSHOP_CODE = "KM74QX"


def server_error_page(cluster: Cluster) -> tuple[object, str]:
    """A request through the proxy that fails with a 500 (the workshop table is briefly
    missing), and the id its Dutch error page shows."""
    with table_unavailable(cluster.database_url, "workshop"):
        response = cluster.session().get(
            cluster.url(f"/w/{UNUSED_WORKSHOP_CODE}"), timeout=REQUEST_TIMEOUT
        )
    assert response.status_code == 500, response.text[:500]
    shown = re.search(r"Kenmerk van deze fout: <code>([0-9a-f]{32})</code>", response.text)
    assert shown, response.text
    return response, shown.group(1)


# --- clients ---------------------------------------------------------------------------------


def https_session(site: str, port: int, certificate: Path):
    """A ``requests`` session for ``https://site:port`` that connects to 127.0.0.1 and checks
    the certificate against ``site`` (SNI and host name), as a browser would after DNS."""
    import requests
    from requests.adapters import HTTPAdapter

    class LoopbackAdapter(HTTPAdapter):
        def build_connection_pool_key_attributes(self, request, verify, cert=None):
            host_params, pool_kwargs = super().build_connection_pool_key_attributes(
                request, verify, cert
            )
            if host_params["host"] == site:
                host_params["host"] = "127.0.0.1"
                pool_kwargs["server_hostname"] = site
                pool_kwargs["assert_hostname"] = site
            return host_params, pool_kwargs

        def add_headers(self, request, **kwargs):
            # urllib3 would name the address it connects to; a browser names the site.
            parts = urlsplit(request.url)
            if parts.hostname == site and "Host" not in request.headers:
                request.headers["Host"] = parts.netloc

    session = requests.Session()
    # Not the environment's CA bundle (REQUESTS_CA_BUNDLE would win over ``verify``), and no
    # proxy from the environment: the test's own certificate, straight to loopback.
    session.trust_env = False
    session.verify = str(certificate)
    adapter = LoopbackAdapter(max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


class _Forms(HTMLParser):
    """Every form on a page: its action, method and the fields a browser would send, in order
    (a checked box, the selected option, a hidden field), plus each field's possible values."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self._select: tuple[str, list[str], list[str]] | None = None
        self._textarea: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            self.forms.append(
                {"action": a.get("action", ""), "method": a.get("method", "get").lower(),
                 "pairs": [], "options": {}}
            )  # fmt: skip
            return
        if not self.forms:
            return
        form = self.forms[-1]
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text").lower()
            if kind in ("submit", "button", "image", "reset", "file"):
                return
            value = a.get("value", "on" if kind in ("checkbox", "radio") else "")
            form["options"].setdefault(name, []).append(value)
            if kind not in ("checkbox", "radio") or "checked" in a:
                form["pairs"].append([name, value])
        elif tag == "textarea" and name:
            self._textarea = [name, ""]
            form["pairs"].append(self._textarea)
        elif tag == "select" and name:
            self._select = (name, [], [])
        elif tag == "option" and self._select:
            value = a.get("value", "")
            self._select[1].append(value)
            if "selected" in a:
                self._select[2].append(value)

    def handle_endtag(self, tag):
        if tag == "select" and self._select and self.forms:
            name, values, selected = self._select
            self.forms[-1]["options"][name] = values
            for value in selected or values[:1]:
                self.forms[-1]["pairs"].append([name, value])
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data


@dataclass
class Form:
    action: str
    method: str
    #: (name, value) as a browser would send them, in order.
    pairs: list[tuple[str, str]]
    #: Every value each field offers (the options of a select, every box of a group).
    options: dict[str, list[str]] = field(default_factory=dict)

    @property
    def fields(self) -> dict[str, str]:
        return dict(self.pairs)

    def data(self, **overrides) -> list[tuple[str, str]]:
        """The fields as sent, with each field in ``overrides`` set to its value (a list: one
        pair per value, as boxes of a group are sent)."""
        pairs = [(name, value) for name, value in self.pairs if name not in overrides]
        for name, value in overrides.items():
            for one in value if isinstance(value, list) else [value]:
                pairs.append((name, one))
        return pairs


def forms_on(page_url: str, text: str) -> list[Form]:
    parser = _Forms()
    parser.feed(text)
    return [
        Form(urljoin(page_url, f["action"] or page_url), f["method"],
             [(n, v) for n, v in f["pairs"]], f["options"])
        for f in parser.forms
    ]  # fmt: skip


def form_on(page_url: str, text: str, action: str | re.Pattern, method: str = "post") -> Form:
    """The first form on the page whose action path is ``action`` (or matches it)."""
    found = []
    for form in forms_on(page_url, text):
        path = urlsplit(form.action).path
        hit = action.fullmatch(path) if isinstance(action, re.Pattern) else path == action
        if hit and form.method == method:
            found.append(form)
    actions = [f"{f.method} {urlsplit(f.action).path}" for f in forms_on(page_url, text)]
    assert found, f"no {method} form to {action} on {page_url}; forms: {actions}"
    return found[0]


# --- the cluster -----------------------------------------------------------------------------


@dataclass
class Cluster:
    root: Path
    clone: Path
    site: str
    certificate: Path
    database_url: str
    database_name: str
    redis_prefix: str
    #: The settings of the README's production section (the settings file), with test values.
    settings: dict[str, str]
    #: The environment of a command: this process's, without its own Handvat settings, plus
    #: ``settings``.
    env: dict[str, str]
    python: str
    servers: list[AppServer]
    nginx: Nginx

    @property
    def base_url(self) -> str:
        return f"https://{self.site}:{self.nginx.https_port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def session(self):
        return https_session(self.site, self.nginx.https_port, self.certificate)

    def flask(self, *args: str, stdin: str | None = None) -> str:
        """``flask --app app ARGS`` in the clone with the servers' settings; its output."""
        result = subprocess.run(
            [self.python, "-m", "flask", "--app", "app", *args],
            cwd=self.clone, env=self.env, input=stdin, capture_output=True, text=True,
            timeout=120,
        )  # fmt: skip
        assert result.returncode == 0, f"flask {' '.join(args)}:\n{result.stdout}{result.stderr}"
        return result.stdout

    def logs(self) -> str:
        parts = [f"--- nginx error log\n{tail(self.nginx.error_log)}"]
        parts += [f"--- app server {s.port}\n{tail(s.log)}" for s in self.servers]
        return "\n".join(parts)


def app_settings(database_url: str, redis_prefix: str, site: str) -> dict[str, str]:
    """The environment of the README's production section, with the test's values."""
    return {
        "DATABASE_URL": database_url,
        "SECRET_KEY": SECRET_KEY,
        "HANDVAT_FORCE_HTTPS": "true",
        "HANDVAT_TRUSTED_HOSTS": site,
        "HANDVAT_PROXY_COUNT": "1",
        "HANDVAT_RATELIMIT_STORAGE_URI": REDIS_URL,
        "HANDVAT_RATELIMIT_KEY_PREFIX": redis_prefix,
        # Two cores shared with other work: two workers per server are plenty here.
        "HANDVAT_WORKERS": "2",
    }


@contextmanager
def production_cluster(
    *,
    clone: Path = PROJECT_ROOT,
    python: str = sys.executable,
    server_command: Callable[[Path, int], list[str]] | None = None,
    prepare: Callable[[Cluster], None] | None = None,
    start_servers: bool = True,
) -> Iterator[Cluster]:
    """A temporary directory, certificate, database, Redis prefix, nginx and two app servers;
    all of it removed afterwards. ``prepare`` runs before the servers start (migrations)."""
    need_tools()
    redis = redis_client()
    root = Path(tempfile.mkdtemp(prefix="handvat-production-"))
    database_name = f"handvat_prod_{uuid.uuid4().hex[:12]}"
    redis_prefix = f"handvat-prod-{uuid.uuid4().hex[:12]}"
    servers: list[AppServer] = []
    nginx: Nginx | None = None
    database_created = False
    try:
        database_url = create_postgres_database(database_name).replace(
            "postgresql+psycopg://", "postgresql://"
        )
        database_created = True
        certificate = make_certificate(root / "certificates", SITE)
        settings = app_settings(database_url, redis_prefix, SITE)
        env = clean_environment(settings)
        app_ports = (free_port(), free_port())
        http_port, https_port = free_port(), free_port()
        site_config = fill_nginx_placeholders(
            (clone / NGINX_SITE).read_text(),
            site=SITE, certificates=root / "certificates", clone=clone, app_ports=app_ports,
            logs=root / "logs", http_port=http_port, https_port=https_port,
        )  # fmt: skip
        command = server_command or (
            lambda _clone, _port: [python, "-m", "gunicorn", "-c", str(GUNICORN_CONFIG),
                                   "app:create_app()"]
        )  # fmt: skip
        for port in app_ports:
            server_env = {**env, "HANDVAT_EXPORT_CACHE_FOLDER": str(root / f"export-cache-{port}")}
            servers.append(
                AppServer(command(clone, port), clone, server_env, port, root / f"app-{port}.log")
            )
        nginx = start_nginx(root, site_config, http_port, https_port)
        cluster = Cluster(
            root, clone, SITE, certificate, database_url, database_name, redis_prefix, settings,
            env, python, servers, nginx,
        )  # fmt: skip
        if prepare is not None:
            prepare(cluster)
        if start_servers:
            for server in servers:
                server.start()
            for server in servers:
                server.wait_ready(SITE)
        yield cluster
    finally:
        for server in servers:
            server.stop()
        if nginx is not None:
            nginx.stop()
        if database_created:
            drop_postgres_database(database_name)
        with suppress(Exception):
            keys = list(redis.scan_iter(match=f"*{redis_prefix}*", count=1000))
            if keys:
                redis.delete(*keys)
        redis.close()
        shutil.rmtree(root, ignore_errors=True)
