"""The API against its own OpenAPI description, with schemathesis, on SQLite and PostgreSQL.

Schemathesis reads ``/api/v1/openapi.json`` from the app and, per operation, makes requests
from the description (valid ones, valid ones on the world's real objects with their current
``If-Match``, and invalid ones), sends them with a read-and-write token of Twente's
coordinator, and checks each answer: never a 5xx, a documented status code, the documented
content type, and a body that matches the documented schema. Bounded (a few dozen requests per
operation), derandomised so a run is reproducible, and without Hypothesis's example database,
so nothing is written into the repository.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from app.actions.models import ActionPoint
from app.api.models import TokenScope
from app.extensions import db

from .test_api import build_api_world, issue

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
#: Examples per operation and pass.
EXAMPLES = 8
WRITES = ("PATCH", "POST")


@pytest.fixture
def api_world(app, tester, make_region, make_conversation, make_action):
    return build_api_world(tester, make_region, make_conversation, make_action)


def _settings(examples: int):
    return settings(
        max_examples=examples,
        database=None,
        deadline=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )


def _real_path_parameters(operation, world) -> dict:
    real = {
        "slug": world.region_a,
        "conversationId": world.conversation_a,
        "actionId": world.actions_a[0],
        "updateId": 1,
        "indicatorId": world.indicator_a,
    }
    return {p.name: real[p.name] for p in operation.iter_parameters() if p.location == "path"}


def _revision(action_id: int) -> str:
    db.session.expire_all()
    return f'"{db.session.get(ActionPoint, action_id).revision}"'


def _run(strategy, token: str, real: dict | None, world, seen: dict[str, set[int]]) -> None:
    """Up to ``EXAMPLES`` requests drawn from ``strategy``, each answer checked."""

    @_settings(EXAMPLES)
    @given(case=strategy)
    def run(case):
        headers = {"Authorization": f"Bearer {token}"}
        if real and case.method.upper() in WRITES:
            headers["If-Match"] = _revision(world.actions_a[0])
        response = case.call_and_validate(headers=headers, checks=CHECKS)
        seen.setdefault(case.operation.label, set()).add(response.status_code)
        db.session.rollback()

    run()


def test_the_api_matches_its_description(app, api_world):
    token = issue(api_world.users["coordinator"], TokenScope.WRITE)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 14
    seen: dict[str, set[int]] = {}

    for operation in operations:
        path_parameters = _real_path_parameters(operation, api_world)
        passes = [
            (GenerationMode.POSITIVE, None),
            (GenerationMode.NEGATIVE, None),
        ]
        if path_parameters:
            passes.append((GenerationMode.POSITIVE, path_parameters))
        for mode, real in passes:
            _run(operation.as_strategy(mode, path_parameters=real), token, real, api_world, seen)

    # The real objects were reached: every read answered 200 at least once, and both writes
    # stored something.
    for label, statuses in seen.items():
        if label.startswith("GET"):
            assert 200 in statuses, (label, statuses)
    assert 200 in seen["PATCH /actions/{actionId}"]
    assert 201 in seen["POST /actions/{actionId}/updates"]
