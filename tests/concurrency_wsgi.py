"""WSGI entry for ``tests/test_concurrency.py``: the app on the database the test names.

gunicorn calls ``tests.concurrency_wsgi:build_app()`` in every worker. The test passes the
database and the secret key through the environment; CSRF is off (the test posts forms as a
browser would, without first fetching a token) and the workers never migrate (the test brings
the database up to date once, before gunicorn starts). ``TESTING`` stays off, so an unhandled
error is logged to gunicorn's error log and answered with the Dutch 500 page, as in production.
"""

from __future__ import annotations

import os

from flask import Flask

from app import create_app

DATABASE_ENV = "HANDVAT_CONCURRENCY_DATABASE_URI"
SECRET_KEY_ENV = "HANDVAT_CONCURRENCY_SECRET_KEY"


def build_app() -> Flask:
    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": os.environ[DATABASE_ENV],
            "SECRET_KEY": os.environ[SECRET_KEY_ENV],
            "WTF_CSRF_ENABLED": False,
            "AUTO_UPGRADE_EMBEDDED_DB": False,
            # The test signs in a coordinator by cookie; PostgreSQL would ask a second factor.
            "REQUIRE_TWO_FACTOR": False,
        }
    )
