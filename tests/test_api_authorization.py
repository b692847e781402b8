"""The authorisation matrix of the API: every route under ``/api/v1``, every method, every kind
of user with a read and a write token, on an object of the own region and of another region,
on SQLite and PostgreSQL. ``tests/test_authorization_matrix.py`` does the same for the pages
(with sessions) and leaves the API's routes (``BEARER``) to this module.

What is expected, per request:

- no token: 401;
- an object of another region: 404 for everyone, whatever the token's scope and the role the
  user holds elsewhere; an administrator without a role in the region is no exception;
- a list: only the own regions' rows; another region as a filter is a 400 like an unknown one;
- a read: 200 with a role in the region;
- a write (PATCH, POST): 403 for a read token, 403 for a role without ``UPDATE_ACTIONS`` (a
  member), and a real answer (200 or 201) for a coordinator, facilitator or project leader with
  a write token.
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from app import create_app
from app.accounts.roles import Permission, Role, role_allows
from app.actions.models import ActionPoint, ActionUpdate
from app.api.models import TokenScope
from app.extensions import db

from .conftest import BASE_TEST_CONFIG
from .test_api import LISTS, SECRETS_OF_B, build_api_world, issue

ACTORS = ("anonymous", "admin", "member", "project-leader", "facilitator", "coordinator")
SCOPES = (TokenScope.READ, TokenScope.WRITE)
OWN, OTHER = "own", "other"
#: Routes of the blueprint that answer without a token, tested in ``test_api.py``.
WITHOUT_TOKEN = {"api.not_found", "api.openapi", "api.docs"}


def _api_routes() -> list[tuple[str, str]]:
    app = create_app({**BASE_TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    return sorted(
        (rule.endpoint, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("api.") and rule.endpoint not in WITHOUT_TOKEN
    )


ROUTES = _api_routes()


@pytest.fixture
def api_world(app, tester, make_region, make_conversation, make_action):
    return build_api_world(tester, make_region, make_conversation, make_action)


def _updates(world) -> dict[str, int]:
    ids = {}
    for target, action_id in ((OWN, world.actions_a[0]), (OTHER, world.action_b)):
        action = db.session.get(ActionPoint, action_id)
        update = ActionUpdate(
            action_id=action_id, region_id=action.region_id, written_on=action.created_dt.date()
        )
        db.session.add(update)
        db.session.flush()
        ids[target] = update.id
    db.session.commit()
    return ids


def url_for_target(rule: str, world, updates: dict[str, int], target: str) -> str:
    values = {
        "slug": {OWN: world.region_a, OTHER: world.region_b},
        "conversation_id": {OWN: world.conversation_a, OTHER: world.conversation_b},
        "action_id": {OWN: world.actions_a[0], OTHER: world.action_b},
        "update_id": updates,
        "indicator_id": {OWN: world.indicator_a, OTHER: world.indicator_b},
    }
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values[m.group(1)][target]), rule)


def expected(method: str, actor: str, scope: TokenScope, target: str, scoped: bool) -> set[int]:
    if actor == "anonymous":
        return {401}
    if scoped and (target == OTHER or actor == "admin"):
        return {404}
    if method == "GET":
        return {200}
    if scope is TokenScope.READ:
        return {403}
    if not role_allows(Role(actor), Permission.UPDATE_ACTIONS):
        return {403}
    return {200, 201}


def body_for(endpoint: str, number: int) -> dict | None:
    if endpoint == "api.change_action":
        return {"status": "bezig" if number % 2 else "open"}
    if endpoint == "api.add_update":
        return {"text": f"Voortgang {number}"}
    return None


@pytest.mark.parametrize(("endpoint", "rule"), ROUTES, ids=[f"{e} {r}" for e, r in ROUTES])
def test_api_matrix(app, api_world, endpoint, rule):
    world = api_world
    updates = _updates(world)
    tokens = {
        (actor, scope): issue(world.users[actor], scope)
        for actor in ACTORS
        if actor != "anonymous"
        for scope in SCOPES
    }
    (werkzeug_rule,) = [
        r for r in app.url_map.iter_rules() if r.rule == rule and r.endpoint == endpoint
    ]
    scoped = bool(werkzeug_rule.arguments)
    client = app.test_client()
    wrong = []
    number = 0
    for method in sorted(werkzeug_rule.methods - {"HEAD", "OPTIONS"}):
        for actor in ACTORS:
            for scope in SCOPES if actor != "anonymous" else (None,):
                for target in (OWN, OTHER) if scoped else (OWN,):
                    number += 1
                    url = url_for_target(rule, world, updates, target)
                    headers = {}
                    if scope is not None:
                        headers["Authorization"] = f"Bearer {tokens[(actor, scope)]}"
                    if method != "GET":
                        action = db.session.get(
                            ActionPoint, world.actions_a[0] if target == OWN else world.action_b
                        )
                        db.session.refresh(action)
                        headers["If-Match"] = f'"{action.revision}"'
                    response = client.open(
                        url, method=method, headers=headers, json=body_for(endpoint, number)
                    )
                    allowed = expected(method, actor, scope, target, scoped)
                    text = response.get_data(as_text=True)
                    if response.status_code not in allowed:
                        wrong.append(
                            f"{method} {url} as {actor} ({scope and scope.value}): "
                            f"{response.status_code}, expected {sorted(allowed)}: {text[:200]}"
                        )
                    if response.status_code >= 400:
                        assert response.mimetype == "application/problem+json", url
                    if response.status_code < 300 and not scoped:
                        for secret in SECRETS_OF_B:
                            assert secret not in text, f"{url} shows {secret!r} to {actor}"
                    if not scoped and method == "GET" and "region" in _filters(endpoint):
                        filtered = client.get(f"{url}?region={world.region_b}", headers=headers)
                        if filtered.status_code != (401 if actor == "anonymous" else 400):
                            wrong.append(f"{url}?region=... as {actor}: {filtered.status_code}")
    assert number
    assert not wrong, "\n".join(wrong)


def _filters(endpoint: str) -> set[str]:
    filtered = ("api.conversations", "api.actions", "api.indicators")
    return {"region"} if endpoint in filtered else set()


def test_every_api_route_is_in_this_matrix(app):
    """A new route under /api/v1 is tried here automatically; the page matrix must mark it
    ``BEARER`` (or the route must answer without a token and be tested elsewhere)."""
    from .test_authorization_matrix import BEARER, REQUIRED

    routed = {r.endpoint for r in app.url_map.iter_rules() if r.endpoint.startswith("api.")}
    assert {endpoint for endpoint, _ in ROUTES} == routed - WITHOUT_TOKEN
    assert {e for e in routed if REQUIRED.get(e) == BEARER} >= routed - WITHOUT_TOKEN


def test_the_lists_of_an_administrator_without_a_role_are_empty(app, api_world):
    secret = issue(api_world.users["admin"], TokenScope.WRITE)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {secret}"}
    for path in LISTS:
        body = client.get(path, headers=headers).get_json()
        assert body["totalCount"] == 0 and not next(iter(body["_embedded"].values())), path
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ActionUpdate)) == 0
