"""The ``HANDVAT_`` settings: one typed table, checked when the app starts (``app/config.py``).

A value that does not fit stops the app with a message naming the variable and what it
accepts; an unknown ``HANDVAT_`` variable is a warning in the log.
"""

from __future__ import annotations

import logging
import os

import pytest
from flask import Config, Flask

from app import create_app
from app.config import (
    DefaultConfig,
    InvalidSettings,
    WeakSecretKey,
    load_settings,
)

SECRET = "0123456789abcdef" * 4


@pytest.fixture
def start(monkeypatch):
    """``start(NAME=value, ...)``: the app as a server starts it, from the environment only,
    with the README's production settings plus ``HANDVAT_<NAME>=value``."""
    for key in list(os.environ):
        if key.startswith(("HANDVAT_", "FLASK_")) or key in ("DATABASE_URL", "SECRET_KEY"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("DATABASE_URL", "postgresql://handvat@db.example/handvat")
    monkeypatch.setenv("SECRET_KEY", SECRET)
    monkeypatch.setenv("HANDVAT_RATELIMIT_STORAGE_URI", "memory://")
    monkeypatch.setenv("HANDVAT_TRUSTED_HOSTS", "handvat.example.nl")

    def start(**settings: str):
        for name, value in settings.items():
            monkeypatch.setenv(f"HANDVAT_{name}", value)
        return create_app()

    return start


def settings(environment: dict[str, str], file_names=()) -> Config:
    config = Config(".")
    config.from_object(DefaultConfig)
    load_settings(config, environment, file_names)
    return config


@pytest.mark.parametrize(
    ("written", "meaning"),
    [
        *[(word, True) for word in ("true", "TRUE", "1", "yes", "Ja", "on", " true ")],
        *[(word, False) for word in ("false", "False", "0", "no", "NEE", "off", "Off")],
    ],
)
def test_yes_and_no_in_every_usual_way(written, meaning):
    config = settings({"HANDVAT_FORCE_HTTPS": written, "HANDVAT_MAIL_USE_TLS": written})
    assert config["FORCE_HTTPS"] is meaning and config["MAIL_USE_TLS"] is meaning


@pytest.mark.parametrize("written", ["False", "off", "no", "nee", "0"])
def test_force_https_switched_off_is_off(start, written):
    """Each of these meant on before (a non-empty text): HSTS for two years by accident."""
    app = start(FORCE_HTTPS=written)
    assert app.config["FORCE_HTTPS"] is False
    response = app.test_client().get("/health/live", base_url="https://handvat.example.nl")
    assert response.status_code == 200
    assert "Strict-Transport-Security" not in response.headers
    assert not app.config["SESSION_COOKIE_SECURE"]


def test_force_https_on_is_on(start):
    app = start(FORCE_HTTPS="true")
    response = app.test_client().get("/health/live", base_url="https://handvat.example.nl")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


@pytest.mark.parametrize(
    ("name", "value", "accepts"),
    [
        ("FORCE_HTTPS", "ture", "true or false"),
        ("MAIL_USE_TLS", "misschien", "true or false"),
        ("MAIL_PORT", "abc", "a whole number from 1 to 65,535"),
        ("MAIL_PORT", "70000", "a whole number from 1 to 65,535"),
        ("EXPORT_SLOTS", "abc", "a whole number from 0 to 1,000"),
        ("SESSION_IDLE_MINUTES", "-5", "a whole number from 1 to"),
        ("DATABASE_CONNECT_TIMEOUT", "abc", "a whole number from 1 to 600"),
        ("SECURITY_TXT_EXPIRES", "tomorrow", "an ISO date or date-time"),
        ("SECURITY_TXT_EXPIRES", "2027-02-30", "an ISO date or date-time"),
        ("WORKSHOP_JOIN_LIMIT_PER_CLIENT", "lots", "a rate such as '120 per minute'"),
        ("WORKSHOP_POST_LIMIT_PER_CODE", "0 per minute", "a rate such as"),
        ("PROXY_COUNT", "1.5", "a whole number from 0 to 10"),
        ("LOG_LEVEL", "LUID", "one of DEBUG, INFO, WARNING, ERROR"),
        ("TRUSTED_HOSTS", "[handvat.example.nl", "host names"),
        ("ENV", "prod", "one of production, development"),
    ],
)
def test_an_invalid_value_stops_the_app_and_says_what_fits(start, name, value, accepts):
    with pytest.raises(InvalidSettings) as refused:
        start(**{name: value})
    message = str(refused.value)
    assert f"HANDVAT_{name} is {value!r}; it must be {accepts}" in message


def test_every_invalid_value_is_named_at_once(start):
    with pytest.raises(InvalidSettings) as refused:
        start(MAIL_PORT="abc", FORCE_HTTPS="ture")
    message = str(refused.value)
    assert "these settings are not valid" in message
    assert "HANDVAT_MAIL_PORT" in message and "HANDVAT_FORCE_HTTPS" in message


def test_values_become_their_type(start):
    app = start(
        MAIL_SERVER=" smtp.example.nl ",
        MAIL_PORT="25",
        MAIL_USE_TLS="nee",
        MAIL_PASSWORD="12345",
        EXPORT_SLOTS="0",
        SESSION_IDLE_MINUTES="30",
        SECURITY_TXT_EXPIRES="2027-06-30",
        WORKSHOP_JOIN_LIMIT_PER_CLIENT="200 per minute",
        LOG_LEVEL="warning",
        REQUIRE_TWO_FACTOR="ja",
    )
    config = app.config
    assert config["MAIL_SERVER"] == "smtp.example.nl" and config["MAIL_PORT"] == 25
    assert config["MAIL_USE_TLS"] is False
    assert config["MAIL_PASSWORD"] == "12345"  # text, not the number 12345
    assert config["EXPORT_SLOTS"] == 0 and config["SESSION_IDLE_MINUTES"] == 30
    assert config["SECURITY_TXT_EXPIRES"] == "2027-06-30T00:00:00+02:00"
    assert config["WORKSHOP_JOIN_LIMIT_PER_CLIENT"] == "200 per minute"
    assert config["LOG_LEVEL"] == "WARNING" and config["REQUIRE_TWO_FACTOR"] is True


def test_an_empty_value_counts_as_not_set(start):
    app = start(MAIL_SERVER="", MAIL_PORT="", FORCE_HTTPS=" ")
    assert app.config["MAIL_SERVER"] is None and app.config["MAIL_PORT"] == 587
    assert app.config["FORCE_HTTPS"] is False


def test_a_secret_value_is_never_shown(start):
    config = Config(".")
    config.from_object(DefaultConfig)
    config["MAIL_PASSWORD"] = 12345
    with pytest.raises(InvalidSettings) as refused:
        load_settings(config, {}, ["MAIL_PASSWORD"])
    assert "MAIL_PASSWORD in instance/config.py is (not shown); it must be text" in str(
        refused.value
    )
    assert "12345" not in str(refused.value)


def test_values_from_the_instance_file_are_checked_too():
    config = Config(".")
    config.from_object(DefaultConfig)
    config.update(FORCE_HTTPS="false", EXPORT_SLOTS=2)
    load_settings(config, {}, ["FORCE_HTTPS", "EXPORT_SLOTS"])
    assert config["FORCE_HTTPS"] is False and config["EXPORT_SLOTS"] == 2
    config["MAIL_PORT"] = "abc"
    with pytest.raises(InvalidSettings, match="MAIL_PORT in instance/config.py is 'abc'"):
        load_settings(config, {}, ["MAIL_PORT"])
    # The environment wins, as it always did.
    config["MAIL_PORT"] = "abc"
    load_settings(config, {"HANDVAT_MAIL_PORT": "2525"}, ["MAIL_PORT"])
    assert config["MAIL_PORT"] == 2525


def test_an_unknown_variable_is_a_warning_with_the_setting_it_probably_means(start, caplog):
    with caplog.at_level(logging.WARNING):
        app = start(FORCE_HTTP="true", SOMETHING_ELSE="1")
    assert app.config["FORCE_HTTPS"] is False
    assert "FORCE_HTTP" not in app.config
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(
        "HANDVAT_FORCE_HTTP is not a setting of Handvat and is ignored. Did you mean "
        "HANDVAT_FORCE_HTTPS?" in warning
        for warning in warnings
    ), warnings
    assert any(w.startswith("HANDVAT_SOMETHING_ELSE is not a setting") for w in warnings)


def test_every_setting_the_app_reads_is_in_the_table():
    """A setting read somewhere in ``app/`` but missing from the table could no longer be set
    from the environment (it would be warned about and ignored)."""
    import re
    from pathlib import Path

    from app.config import EXTENSION_PREFIXES, PROJECT_ROOT, SETTINGS

    known = Flask(__name__).config  # Flask's own settings ...
    known.from_object(DefaultConfig)  # ... and Handvat's defaults
    read = set()
    for path in (PROJECT_ROOT / "app").rglob("*.py"):
        text = Path(path).read_text()
        read |= set(re.findall(r'config(?:\.get\(|\[)\s*"([A-Z][A-Z0-9_]+)"', text))
        read |= set(re.findall(r'_configured\("([A-Z][A-Z0-9_]+)"', text))
    derived = {"IS_EMBEDDED_DB"}  # set by configure() itself, never by an installation
    missing = {
        name
        for name in read - derived
        if name not in SETTINGS and name not in known and not name.startswith(EXTENSION_PREFIXES)
    }
    assert not missing, f"add to SETTINGS in app/config.py: {sorted(missing)}"


def test_settings_of_gunicorn_flask_and_the_limiter_are_known(start, caplog):
    with caplog.at_level(logging.WARNING):
        app = start(
            BIND="127.0.0.1:8001",
            WORKERS="2",
            RATELIMIT_KEY_PREFIX="handvat-test",
            SESSION_COOKIE_NAME="handvat",
            ENV="production",
        )
    assert not [r for r in caplog.records if "is not a setting" in r.getMessage()]
    assert app.config["RATELIMIT_KEY_PREFIX"] == "handvat-test"
    assert app.config["SESSION_COOKIE_NAME"] == "handvat"


@pytest.mark.parametrize("key", ["kort", "test-secret", "x" * 31])
def test_production_refuses_a_short_secret_key(start, monkeypatch, key):
    monkeypatch.setenv("SECRET_KEY", key)
    with pytest.raises(WeakSecretKey) as refused:
        start()
    message = str(refused.value)
    assert f"SECRET_KEY is too short ({len(key)} characters)" in message
    assert "at least 32" in message
    assert "python3 -c 'import secrets; print(secrets.token_hex(32))'" in message


def test_production_accepts_a_secret_key_of_32_characters(start, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x" * 32)
    assert start().config["SECRET_KEY"] == "x" * 32


def test_a_short_secret_key_is_fine_for_the_embedded_demo(start, monkeypatch, tmp_path):
    monkeypatch.delenv("DATABASE_URL")
    monkeypatch.setenv("SECRET_KEY", "kort")
    app = create_app(
        {
            "TESTING": False,
            "SQLALCHEMY_DATABASE_URI": "sqlite://",
            "AUTO_UPGRADE_EMBEDDED_DB": False,
        }
    )
    assert app.config["SECRET_KEY"] == "kort"


def test_a_security_txt_expiry_that_has_passed_is_warned_about_at_start():
    config = Config(".")
    config.from_object(DefaultConfig)
    warnings = load_settings(config, {"HANDVAT_SECURITY_TXT_EXPIRES": "2025-06-30"})
    assert len(warnings) == 1
    assert "HANDVAT_SECURITY_TXT_EXPIRES (2025-06-30T00:00:00+02:00) has passed" in warnings[0]
    assert load_settings(config, {"HANDVAT_SECURITY_TXT_EXPIRES": "2099-06-30"}) == []
