"""Who a request is made by: the session statement, the person and their account."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from flask import session
from sqlalchemy import select

from app.accounts.access import (
    Person,
    current_access,
    forget_current_access,
    forget_previous_request,
)
from app.accounts.operations import set_role
from app.accounts.roles import Role
from app.admin.operations import set_admin
from app.core.database import reads_only
from app.extensions import db
from app.regions.models import Region

from .accounts import make_user, new_session_key
from .database import statements


@contextmanager
def _request_of(app, user, method="GET"):
    """A request of ``user``'s to a page that is not ``@reads_only``."""
    key = new_session_key(user)
    db.session.remove()  # a request starts with a session of its own
    with app.test_request_context("/account", method=method):
        forget_previous_request()  # as before every request: ``g`` outlives one here
        session["_user_id"] = key
        yield


def test_roles_and_revisions_come_with_the_session_in_one_statement(app, make_region):
    north = make_region("Noord", role=None)
    south = make_region("Zuid", role=None)
    make_region("Oost", role=None)  # a region the person has no role in
    person = make_user("rosa@handvat.test", "Rosa Ruiter", region=north, role=Role.MEMBER)
    set_role(person, south, Role.COORDINATOR)
    db.session.commit()
    revisions = {
        region.id: (region.conversations_revision, region.indicator_revision)
        for region in db.session.scalars(db.select(Region))
    }

    with _request_of(app, person), statements() as seen:
        access = current_access()
        assert len(seen) == 1, seen
        assert access.person == Person(
            person.id, "Rosa Ruiter", "rosa@handvat.test", False, False, access.person.session_key
        )
        assert {region: role.role for region, role in access.roles.items()} == {
            north.id: Role.MEMBER,
            south.id: Role.COORDINATOR,
        }
        assert [role.name for role in access.regions] == ["Noord", "Zuid"]
        assert access.region_revisions == {r: revisions[r] for r in (north.id, south.id)}
        # The account as an ORM object is loaded only when something asks for it.
        assert "user" not in vars(access)
        assert access.user.email == "rosa@handvat.test"
        assert len(seen) == 2


def test_a_person_without_roles_is_signed_in_with_no_regions(app):
    person = make_user("zonder@handvat.test", "Zonder Rol")
    with _request_of(app, person):
        access = current_access()
        assert access.person.name == "Zonder Rol"
        assert access.roles == {} and access.region_revisions == {}


def test_a_change_to_ones_own_account_counts_in_the_same_request(app):
    make_user("beheer@handvat.test", "Tweede Beheerder", admin=True)
    admin = make_user("ik@handvat.test", "Ik", admin=True)
    with _request_of(app, admin, method="POST"):
        assert current_access().is_admin
        set_admin(admin.id, False)
        assert not current_access().is_admin
        assert not current_access().person.is_admin


def test_the_access_is_read_again_after_forgetting_it(app, make_region):
    region = make_region("Noord", role=None)
    person = make_user("rosa@handvat.test", "Rosa", region=region, role=Role.MEMBER)
    with _request_of(app, person, method="POST"):
        assert current_access().role_in(region.id) is Role.MEMBER
        set_role(person, region, Role.COORDINATOR)  # forgets the access itself
        assert current_access().role_in(region.id) is Role.COORDINATOR
        forget_current_access()
        assert current_access().person.name == "Rosa"


def test_a_read_on_postgresql_reads_the_session_outside_a_transaction(app):
    """A GET's session statement runs in autocommit on PostgreSQL, and gives the connection
    back: the view's own statements get a transaction as before. A POST keeps its transaction
    from the start; SQLite needs no such care."""
    person = make_user("rosa@handvat.test", "Rosa")
    postgresql = db.engine.dialect.name == "postgresql"
    with _request_of(app, person, method="GET"):
        assert current_access().person is not None
        assert db.session().in_transaction() is not postgresql
        assert db.session.scalar(db.select(Region.id).limit(1)) is None
        options = db.session.connection().get_execution_options()
        assert options.get("isolation_level") != "AUTOCOMMIT"
    with _request_of(app, person, method="POST"):
        assert current_access().person is not None
        assert db.session().in_transaction()


def test_a_reads_only_view_reads_outside_a_transaction_on_postgresql(app, client):
    """Not only the session's statement: all of the view's, on a GET. SQLite keeps its
    ordinary connection (it sends no ``BEGIN`` for a read anyway)."""

    @app.get("/test/alleen-lezen")
    @reads_only
    def reading():
        db.session.scalar(select(Region.id).limit(1))
        options = db.session.connection().get_execution_options()
        return options.get("isolation_level", "standaard")

    @app.get("/test/gewoon")
    def ordinary():
        db.session.scalar(select(Region.id).limit(1))
        options = db.session.connection().get_execution_options()
        return options.get("isolation_level", "standaard")

    postgresql = db.engine.dialect.name == "postgresql"
    assert client.get("/test/alleen-lezen").text == ("AUTOCOMMIT" if postgresql else "standaard")
    assert client.get("/test/gewoon").text == "standaard"
    # The test's session outlives the request (its app context was pushed before): what it
    # does next runs in a transaction again.
    client.get("/test/alleen-lezen")
    db.session.add(Region(name="Daarna", slug="daarna"))
    db.session.commit()
    assert db.session.connection().get_execution_options().get("isolation_level") is None


def test_an_orm_write_in_autocommit_is_refused(app):
    """A write in a ``@reads_only`` view would not be atomic: it fails instead."""
    with app.test_request_context("/"):
        db.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        db.session.add(Region(name="Nergens", slug="nergens"))
        with pytest.raises(RuntimeError, match="autocommit"):
            db.session.flush()
        db.session.rollback()
    db.session.remove()
    assert db.session.scalar(select(Region.id).where(Region.slug == "nergens")) is None
