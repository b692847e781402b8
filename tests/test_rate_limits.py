"""Rate limits on sign-in, forgotten password, the second factor and single-use links, on SQLite
and PostgreSQL, with the limits switched on (the other tests run without them).

The counters live in memory here (a new app starts at zero), except in the last test, which
runs two app instances in two processes against Redis and shows they count together.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from app import create_app
from app.accounts.limits import PER_ACCOUNT, PER_CLIENT, limiter
from app.core.models import utcnow
from app.extensions import db

from .accounts import TEST_PASSWORD, make_user
from .conftest import BASE_TEST_CONFIG, IN_CI, _empty_all_tables

PROJECT_ROOT = Path(__file__).resolve().parent.parent
#: The limits as configured: "5 per minute;..." and "30 per minute;...".
ACCOUNT_LIMIT = int(PER_ACCOUNT.split()[0])
CLIENT_LIMIT = int(PER_CLIENT.split()[0])
KNOWN = "anna@gemeente.test"
UNKNOWN = "niemand@gemeente.test"
WRONG = "niet het goede wachtwoord"


def limited_config(database_url: str, **config) -> dict:
    return {
        **BASE_TEST_CONFIG,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": "memory://",
        **config,
    }


@pytest.fixture
def limited_app(database_url):
    app = create_app(limited_config(database_url))
    with app.app_context():
        yield app
        db.session.remove()
        _empty_all_tables()
        db.engine.dispose()


@pytest.fixture
def anna(limited_app):
    return make_user(KNOWN, "Anna de Vries")


def from_address(address: str) -> dict:
    return {"environ_base": {"REMOTE_ADDR": address}}


def sign_in_attempt(client, email, password=WRONG, address="127.0.0.1"):
    return client.post(
        "/inloggen", data={"email": email, "password": password}, **from_address(address)
    )


def assert_too_many(response) -> None:
    assert response.status_code == 429
    assert "Te veel pogingen" in response.text
    assert "Er is niets opgeslagen" in response.text
    # Not the page that gives back a lost text: an e-mail address as "Veld 1" helps no one.
    assert "Wat u had ingevuld" not in response.text
    assert "Naar inloggen" in response.text and "Naar de gesprekken" not in response.text
    retry_after = int(response.headers["Retry-After"])
    assert 0 < retry_after <= 60 * 60


# --- sign-in ----------------------------------------------------------------------------------


@pytest.mark.parametrize("email", [KNOWN, UNKNOWN])
def test_too_many_wrong_passwords_for_one_address(limited_app, anna, email):
    client = limited_app.test_client()
    statuses = [sign_in_attempt(client, email).status_code for _ in range(ACCOUNT_LIMIT)]
    assert statuses == [422] * ACCOUNT_LIMIT
    blocked = sign_in_attempt(client, email)
    assert_too_many(blocked)
    # Also the right password waits now (for the known address).
    assert sign_in_attempt(client, email, TEST_PASSWORD).status_code == 429
    # Typed in other case: the same account, the same counter.
    assert sign_in_attempt(client, email.upper()).status_code == 429


def test_known_and_unknown_address_look_the_same_when_limited(limited_app, anna):
    client = limited_app.test_client()
    known = [sign_in_attempt(client, KNOWN) for _ in range(ACCOUNT_LIMIT + 1)]
    unknown = [sign_in_attempt(client, UNKNOWN) for _ in range(ACCOUNT_LIMIT + 1)]
    assert [r.status_code for r in known] == [r.status_code for r in unknown]
    # The page gives the typed text back; apart from that, nothing differs.
    assert known[-1].text.replace(KNOWN, "X") == unknown[-1].text.replace(UNKNOWN, "X")
    assert dict(known[-1].headers).keys() == dict(unknown[-1].headers).keys()


def test_limited_page_never_shows_the_password(limited_app, anna):
    client = limited_app.test_client()
    for _ in range(ACCOUNT_LIMIT + 1):
        response = sign_in_attempt(client, KNOWN)
    assert response.status_code == 429
    assert WRONG not in response.text


def test_account_limit_holds_across_client_addresses(limited_app, anna):
    client = limited_app.test_client()
    for number in range(ACCOUNT_LIMIT):
        assert sign_in_attempt(client, KNOWN, address=f"10.0.0.{number + 1}").status_code == 422
    assert sign_in_attempt(client, KNOWN, address="10.0.1.1").status_code == 429


def test_other_address_from_the_same_client_works_until_the_client_limit(limited_app, anna):
    client = limited_app.test_client()
    for _ in range(ACCOUNT_LIMIT + 1):
        sign_in_attempt(client, KNOWN)
    assert sign_in_attempt(client, KNOWN).status_code == 429
    other = make_user("bas@gemeente.test", "Bas")
    response = sign_in_attempt(client, other.email, TEST_PASSWORD)
    assert response.status_code == 302

    # Every attempt from this client counts towards its own limit, whatever the address.
    attempts = ACCOUNT_LIMIT + 3
    statuses = []
    while attempts < CLIENT_LIMIT + 5:
        attempts += 1
        statuses.append(sign_in_attempt(client, f"persoon{attempts}@gemeente.test").status_code)
    assert 429 in statuses
    first_blocked = statuses.index(429)
    assert set(statuses[:first_blocked]) == {422}
    assert set(statuses[first_blocked:]) == {429}
    # Counted: the attempts that got an answer (those the account limit refused are not
    # counted again for the client).
    assert ACCOUNT_LIMIT + 1 + first_blocked == CLIENT_LIMIT
    # Another client is not held up by this one.
    assert sign_in_attempt(client, "carla@gemeente.test", address="10.9.9.9").status_code == 422


def test_get_of_the_sign_in_page_is_not_counted(limited_app):
    client = limited_app.test_client()
    for _ in range(CLIENT_LIMIT + 1):
        assert client.get("/inloggen").status_code == 200


def test_forgotten_password_is_limited_per_address(limited_app, anna):
    client = limited_app.test_client()
    for email in (KNOWN, UNKNOWN):
        statuses = [
            client.post("/wachtwoord-vergeten", data={"email": email}).status_code
            for _ in range(ACCOUNT_LIMIT + 1)
        ]
        assert statuses == [200] * ACCOUNT_LIMIT + [429]


# --- links and the second factor ------------------------------------------------------------


def test_link_endpoint_is_limited_per_link(limited_app):
    client = limited_app.test_client()
    link = "/link/" + "a" * 43
    statuses = [client.get(link).status_code for _ in range(ACCOUNT_LIMIT)]
    assert statuses == [404] * ACCOUNT_LIMIT
    assert_too_many(client.get(link))
    assert client.post(link, data={"password": "x", "repeat": "x"}).status_code == 429
    # Another link still answers.
    assert client.get("/link/" + "b" * 43).status_code == 404


def test_link_endpoint_is_limited_per_client(limited_app):
    client = limited_app.test_client()
    statuses = [client.get(f"/link/token-{n}").status_code for n in range(CLIENT_LIMIT + 1)]
    assert statuses == [404] * CLIENT_LIMIT + [429]
    assert client.get("/link/token-x", **from_address("10.9.9.9")).status_code == 404


def test_second_factor_endpoint_is_limited(limited_app, anna):
    import pyotp

    secret = pyotp.random_base32()
    anna.totp_secret = secret
    anna.totp_enabled_dt = utcnow()
    db.session.commit()

    client = limited_app.test_client()
    assert sign_in_attempt(client, KNOWN, TEST_PASSWORD).status_code == 302
    right = pyotp.TOTP(secret).now()
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    statuses = [
        client.post("/inloggen/code", data={"code": wrong}).status_code
        for _ in range(ACCOUNT_LIMIT)
    ]
    assert statuses == [422] * ACCOUNT_LIMIT
    assert_too_many(client.post("/inloggen/code", data={"code": wrong}))
    assert client.post("/inloggen/code", data={"code": right}).status_code == 429

    # Signing in again (a new pending step) does not reset the count for this account.
    other = limited_app.test_client()
    assert sign_in_attempt(other, KNOWN, TEST_PASSWORD, address="10.0.0.7").status_code == 302
    response = other.post("/inloggen/code", data={"code": right}, **from_address("10.0.0.7"))
    assert response.status_code == 429


# --- two instances, one counter ---------------------------------------------------------------

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379")

#: One app instance in its own process: sign-in attempts, the statuses as JSON.
INSTANCE = """
import json, sys
from app import create_app
config, email, count = json.loads(sys.argv[1]), sys.argv[2], int(sys.argv[3])
app = create_app(config)
client = app.test_client()
statuses = [
    client.post("/inloggen", data={"email": email, "password": "niet goed"}).status_code
    for _ in range(count)
]
print(json.dumps(statuses))
"""


def redis_client():
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.exceptions.ConnectionError as error:
        client.close()
        message = f"Redis not reachable at {REDIS_URL}: {error}"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return client


def run_instance(config: dict, email: str, count: int) -> list[int]:
    result = subprocess.run(
        [sys.executable, "-c", INSTANCE, json.dumps(config), email, str(count)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_two_instances_share_the_counter_in_redis(database_url):
    redis = redis_client()
    prefix = f"handvat-test-{uuid.uuid4().hex[:12]}"
    config = limited_config(database_url, RATELIMIT_STORAGE_URI=REDIS_URL)
    config["RATELIMIT_KEY_PREFIX"] = prefix
    email = f"{prefix}@gemeente.test"
    try:
        assert run_instance(config, email, ACCOUNT_LIMIT) == [422] * ACCOUNT_LIMIT
        assert any(redis.scan_iter(match=f"*{prefix}*"))
        # A second process, its own app and its own connection: the same count.
        assert run_instance(config, email, 1) == [429]
        # With counters in memory, each instance counts alone (what Redis is there to prevent).
        memory = {**config, "RATELIMIT_STORAGE_URI": "memory://"}
        assert run_instance(memory, email, ACCOUNT_LIMIT) == [422] * ACCOUNT_LIMIT
    finally:
        keys = list(redis.scan_iter(match=f"*{prefix}*"))
        if keys:
            redis.delete(*keys)
        redis.close()


def test_an_unreachable_redis_never_stops_a_sign_in(database_url):
    """Redis down: each process counts for itself until it is back; nobody gets a 500."""
    app = create_app(limited_config(database_url, RATELIMIT_STORAGE_URI="redis://127.0.0.1:1"))
    with app.app_context():
        try:
            make_user(KNOWN, "Anna de Vries")
            client = app.test_client()
            statuses = [sign_in_attempt(client, KNOWN).status_code for _ in range(ACCOUNT_LIMIT)]
            assert statuses == [422] * ACCOUNT_LIMIT
            assert_too_many(sign_in_attempt(client, KNOWN))
        finally:
            # Flask-Limiter keeps "storage is down" on its (module-wide) limiter; a later app
            # in this test process would switch back mid-test and count from zero.
            limiter._storage_dead = False
            db.session.remove()
            _empty_all_tables()
            db.engine.dispose()
