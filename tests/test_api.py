"""The API (``/api/v1``) on SQLite and PostgreSQL: every endpoint, pages and filters, writes with
``If-Match``, progress updates counted once, bearer tokens only, problem documents for every
error, and hostile JSON and query strings that never give a 500.

``api_world`` (also used by ``test_api_authorization.py`` and ``test_api_schema.py``) builds two
regions: Twente, where the tester is coordinator and a member, a project leader and a
facilitator work too, and the Achterhoek, where the tester has no role, with its own secrets.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from markupsafe import escape

from app.accounts.models import Membership, User
from app.accounts.operations import remove_membership
from app.accounts.roles import Role
from app.actions.models import ActionPoint, ActionStatus, ActionUpdate
from app.api.models import ApiToken, TokenScope
from app.api.operations import create_token
from app.core.formatting import local_now, local_today
from app.core.models import utcnow
from app.extensions import db
from app.indicators.models import Observation
from app.regions.models import Region

from .accounts import make_user

QUESTION = "verkennen-regie"
OTHER_QUESTION = "verkennen-populatie"
#: The figure of region B is a decimal: four digits before a point never occur in a timestamp.
SECRETS_OF_B = ("Achterhoek", "Geheim overleg", "Geheime actie", "Geheime cijfers", "4242.25")
LISTS = ("/api/v1/regions", "/api/v1/conversations", "/api/v1/actions", "/api/v1/indicators")


@dataclass
class ApiWorld:
    region_a: str = "twente"
    region_b: str = "achterhoek"
    conversation_a: int = 0
    conversation_b: int = 0
    actions_a: list[int] = field(default_factory=list)
    action_b: int = 0
    indicator_a: int = 0
    indicator_b: int = 0
    link_a: int = 0
    users: dict[str, User] = field(default_factory=dict)


def _figures(region, csv_text: str, action=None):
    from app.indicators.importer import read_indicator_file
    from app.indicators.operations import ActionLinkData, link_action, store_plan

    plan = read_indicator_file(csv_text.encode(), "cijfers.csv")
    indicator = store_plan(region, plan).indicators[0].indicator
    link = None
    if action is not None:
        link = link_action(
            action,
            ActionLinkData(indicator.id, "", None, None, 200.0, "2026", "Het verhaal"),
            None,
        )
    return indicator, link


def build_api_world(tester, make_region, make_conversation, make_action) -> ApiWorld:
    from app.conversations.operations import save_answer, select_questions

    world = ApiWorld()
    region_a = make_region("Twente", ["Almelo", "Enschede"])
    region_b = make_region("Achterhoek", ["Winterswijk"], role=None)
    conversation_a = make_conversation("Overleg Twente", region=region_a)
    conversation_b = make_conversation("Geheim overleg Achterhoek", region=region_b)
    select_questions(conversation_a, [QUESTION, OTHER_QUESTION])
    save_answer(conversation_a, QUESTION, "We hebben een regiegroep.", "first_steps", 0)
    db.session.commit()
    world.conversation_a, world.conversation_b = conversation_a.id, conversation_b.id
    first = make_action(
        conversation_a,
        "Regiegroep instellen",
        question_id=QUESTION,
        owner_name="Anna",
        due_date=local_today() - timedelta(days=3),
    )
    second = make_action(
        conversation_a,
        "Populatie in beeld brengen",
        status=ActionStatus.IN_PROGRESS,
        owner_user_id=tester.id,
        due_date=date(2030, 6, 1),
    )
    third = make_action(conversation_a, "Afgerond punt", status=ActionStatus.DONE)
    world.actions_a = [first.id, second.id, third.id]
    world.action_b = make_action(conversation_b, "Geheime actie Achterhoek").id
    indicator_a, link_a = _figures(
        region_a, "Indicator;Periode;Waarde\nConsultaties;2020;120\nConsultaties;2021;147\n", first
    )
    indicator_b, _ = _figures(
        region_b, "Indicator;Periode;Waarde\nGeheime cijfers Achterhoek;2021;4242,25\n"
    )
    db.session.commit()
    world.indicator_a, world.indicator_b, world.link_a = indicator_a.id, indicator_b.id, link_a.id
    world.users["coordinator"] = tester
    for role in (Role.MEMBER, Role.PROJECT_LEADER, Role.FACILITATOR):
        world.users[role.value] = make_user(
            f"{role.value}@twente.test", role.label, region=region_a, role=role
        )
    world.users["admin"] = make_user("beheer@handvat.test", "Bea Beheer", admin=True)
    world.users["coordinator-b"] = make_user(
        "coord@achterhoek.test", "Bram", region=region_b, role=Role.COORDINATOR
    )
    return world


def issue(user: User, scope: TokenScope = TokenScope.READ, name: str | None = None) -> str:
    secret = create_token(user, name or f"Sleutel {scope.value}", scope).secret
    db.session.commit()
    return secret


class Api:
    """A test client that sends a bearer token with every request."""

    def __init__(self, app, secret: str | None):
        self.client = app.test_client()
        self.secret = secret

    def headers(self, extra=None) -> dict:
        headers = {"Authorization": f"Bearer {self.secret}"} if self.secret else {}
        return {**headers, **(extra or {})}

    def get(self, path: str, **kwargs):
        return self.client.get(path, headers=self.headers(kwargs.pop("headers", None)), **kwargs)

    def patch(self, path: str, body=None, if_match=None, **kwargs):
        extra = {"If-Match": if_match} if if_match is not None else {}
        return self.client.patch(path, headers=self.headers(extra), json=body, **kwargs)

    def post(self, path: str, body=None, if_match=None, **kwargs):
        extra = {"If-Match": if_match} if if_match is not None else {}
        return self.client.post(path, headers=self.headers(extra), json=body, **kwargs)


@pytest.fixture
def api_world(app, tester, make_region, make_conversation, make_action) -> ApiWorld:
    return build_api_world(tester, make_region, make_conversation, make_action)


@pytest.fixture
def api(app, api_world) -> Api:
    """The coordinator of Twente (the tester), with a read-and-write token."""
    return Api(app, issue(api_world.users["coordinator"], TokenScope.WRITE))


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json(force=True)
    assert body["status"] == status and body["title"] and body["detail"]
    assert body["type"].startswith("/api/v1#fout-")
    assert response.headers["API-Version"] == "1.0.0"
    return body


def etag_of(api: Api, action_id: int) -> str:
    return api.get(f"/api/v1/actions/{action_id}").headers["ETag"]


# --- every endpoint -------------------------------------------------------------------------


def test_every_endpoint_answers_json_without_cookies(api, api_world):
    w = api_world
    update = ActionUpdate(
        action_id=w.actions_a[0],
        region_id=db.session.get(ActionPoint, w.actions_a[0]).region_id,
        written_on=date(2026, 11, 1),
        text="Eerste stap",
    )
    db.session.add(update)
    db.session.commit()
    paths = [
        "/api/v1/regions",
        "/api/v1/regions/twente",
        "/api/v1/conversations",
        f"/api/v1/conversations/{w.conversation_a}",
        f"/api/v1/conversations/{w.conversation_a}/answers",
        "/api/v1/actions",
        f"/api/v1/actions/{w.actions_a[0]}",
        f"/api/v1/actions/{w.actions_a[0]}/updates",
        f"/api/v1/actions/{w.actions_a[0]}/updates/{update.id}",
        "/api/v1/indicators",
        f"/api/v1/indicators/{w.indicator_a}",
        f"/api/v1/indicators/{w.indicator_a}/observations",
        "/api/v1/openapi.json",
    ]
    for path in paths:
        response = api.get(path)
        assert response.status_code == 200, path
        assert response.mimetype == "application/json", path
        assert response.headers["API-Version"] == "1.0.0"
        assert "Set-Cookie" not in response.headers, path
        text = response.get_data(as_text=True)
        assert not any(secret in text for secret in SECRETS_OF_B), path


def test_the_shapes_of_the_answers(api, api_world):
    w = api_world
    regions = api.get("/api/v1/regions").get_json()
    assert [r["slug"] for r in regions["_embedded"]["regions"]] == ["twente"]
    assert regions["_embedded"]["regions"][0]["role"] == "coordinator"
    region = api.get("/api/v1/regions/twente").get_json()
    assert [m["name"] for m in region["municipalities"]] == ["Almelo", "Enschede"]

    conversation = api.get(f"/api/v1/conversations/{w.conversation_a}").get_json()
    assert conversation["title"] == "Overleg Twente" and conversation["heldOn"] == "2026-10-08"
    assert conversation["participants"] == [
        {
            "organisation": "Gemeente Enschede",
            "organisationType": "gemeente",
            "organisationTypeLabel": "Gemeente",
            "role": "Wethouder",
        }
    ]
    assert [q["id"] for q in conversation["chosenQuestions"]] == [QUESTION, OTHER_QUESTION]

    answers = api.get(f"/api/v1/conversations/{w.conversation_a}/answers").get_json()
    first, second = answers["_embedded"]["answers"]
    assert first["questionId"] == QUESTION and first["number"].startswith("1.")
    assert first["answer"] == "We hebben een regiegroep." and first["question"]
    assert first["selfAssessment"] == {
        "id": "first_steps",
        "label": "Eerste stappen gezet",
        "countsOnScale": True,
    }
    assert second["answer"] == "" and second["selfAssessment"] is None

    action = api.get(f"/api/v1/actions/{w.actions_a[0]}")
    body = action.get_json()
    assert action.headers["ETag"] == f'"{body["revision"]}"'
    assert body["isOverdue"] is True and body["status"] == "open"
    assert body["question"]["id"] == QUESTION and body["phase"]["id"] == "verkennen"
    assert body["dueDate"] == (local_today() - timedelta(days=3)).isoformat()
    assert body["createdAt"].endswith("Z")
    (figure,) = body["indicators"]
    assert figure["name"].startswith("Consultaties") and figure["latestValue"] == 147
    assert figure["targetValue"] == 200 and figure["linkId"] == w.link_a
    assert body["latestUpdate"] is None

    indicator = api.get(f"/api/v1/indicators/{w.indicator_a}").get_json()
    assert indicator["name"].startswith("Consultaties")
    assert indicator["observationCount"] == 2
    observations = api.get(f"/api/v1/indicators/{w.indicator_a}/observations").get_json()
    assert [(o["period"], o["value"]) for o in observations["_embedded"]["observations"]] == [
        ("2020", 120),
        ("2021", 147),
    ]
    assert observations["_embedded"]["observations"][0]["suppressed"] is False


# --- pages and filters ----------------------------------------------------------------------


def test_pages_have_links_and_a_total(api, api_world, make_action):
    from app.conversations.models import Conversation

    conversation = db.session.get(Conversation, api_world.conversation_a)
    for number in range(22):
        make_action(conversation, f"Extra {number}")
    first = api.get("/api/v1/actions?pageSize=10&status=open")
    assert first.headers["X-Total-Count"] == "23"
    body = first.get_json()
    assert body["totalCount"] == 23 and body["pageCount"] == 3 and body["page"] == 1
    assert len(body["_embedded"]["actions"]) == 10
    links = body["_links"]
    assert "prev" not in links
    assert links["next"]["href"].endswith("/api/v1/actions?status=open&page=2&pageSize=10")
    assert links["last"]["href"].endswith("page=3&pageSize=10")
    seen = [a["id"] for a in body["_embedded"]["actions"]]
    url = links["next"]["href"]
    while url:
        page = api.get(url.removeprefix("http://localhost")).get_json()
        seen += [a["id"] for a in page["_embedded"]["actions"]]
        url = page["_links"].get("next", {}).get("href")
    assert len(seen) == len(set(seen)) == 23
    last = api.get("/api/v1/actions?pageSize=10&status=open&page=3").get_json()
    assert last["_links"]["prev"]["href"].endswith("page=2&pageSize=10")
    beyond = api.get("/api/v1/actions?page=9").get_json()
    assert beyond["_embedded"]["actions"] == [] and beyond["totalCount"] == 25
    for wrong in ("pageSize=101", "pageSize=0", "page=0", "page=-1", "pageSize=abc", "page=1e3"):
        body = assert_problem(api.get(f"/api/v1/actions?{wrong}"), 400)
        assert body["invalidParams"][0]["name"] == wrong.split("=")[0]


def _ids(api, query: str) -> list[int]:
    response = api.get("/api/v1/actions?" + query)
    assert response.status_code == 200, response.get_data(as_text=True)
    return [a["id"] for a in response.get_json()["_embedded"]["actions"]]


def test_every_action_filter(api, api_world, tester):
    first, second, third = api_world.actions_a
    assert _ids(api, "") == [first, second, third]
    assert _ids(api, "region=twente") == [first, second, third]
    assert _ids(api, f"conversation={api_world.conversation_a}") == [first, second, third]
    assert _ids(api, f"conversation={api_world.conversation_b}") == []
    assert _ids(api, "status=open") == [first]
    assert _ids(api, "status=open,bezig") == [first, second]
    assert _ids(api, "status=open&status=afgerond") == [first, third]
    assert _ids(api, "owner=me") == [second]
    assert _ids(api, f"owner={tester.id}") == [second]
    assert _ids(api, f"dueBefore={local_now().date().isoformat()}") == [first]
    assert _ids(api, "dueAfter=2030-06-01") == [second]
    assert _ids(api, "dueAfter=2030-06-02") == []
    tomorrow = (local_now().date() + timedelta(days=1)).isoformat()
    assert _ids(api, f"updatedSince={tomorrow}") == []
    assert _ids(api, "updatedSince=2020-01-01T00:00:00Z") == [first, second, third]
    db.session.execute(
        sa.update(ActionPoint)
        .where(ActionPoint.id == second)
        .values(updated_dt=utcnow() + timedelta(days=2))
    )
    db.session.commit()
    assert _ids(api, f"updatedSince={tomorrow}T12:00:00%2B01:00") == [second]
    # The filters say which values they took in the links.
    body = api.get("/api/v1/actions?status=bezig&owner=me&region=twente").get_json()
    assert "owner=me" in body["_links"]["self"]["href"]


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("region=Twente", "region"),
        ("region=achterhoek", "region"),  # another region's: refused as if it did not exist
        ("region=bestaat-niet", "region"),
        ("conversation=0", "conversation"),
        ("conversation=2147483648", "conversation"),
        ("status=klaar", "status"),
        ("owner=iemand", "owner"),
        ("owner=99999999999", "owner"),
        ("dueBefore=31-12-2026", "dueBefore"),
        ("dueAfter=2026-02-30", "dueAfter"),
        ("dueAfter=0001-01-01", "dueAfter"),
        ("updatedSince=gisteren", "updatedSince"),
        ("updatedSince=2026-01-01T25:00:00Z", "updatedSince"),
        ("pagesize=10", "pagesize"),
        ("page=1&page=2", "page"),
        ("region=%00", "region"),
        ("status=" + "open," * 2000, None),
    ],
)
def test_wrong_filters_are_a_400_that_names_them(api, api_world, query, name):
    response = api.get("/api/v1/actions?" + query)
    if query.startswith("status=open,"):
        assert response.status_code == 200  # many times the same status is just "open"
        return
    body = assert_problem(response, 400)
    if name:
        assert name in [p["name"] for p in body["invalidParams"]]
    assert "Achterhoek" not in response.get_data(as_text=True)


def test_the_action_list_runs_the_same_queries_at_any_size(app, api, api_world, make_action):
    from app.conversations.models import Conversation

    conversation = db.session.get(Conversation, api_world.conversation_a)
    statements: list[tuple[str, object]] = []

    def count(_conn, _cursor, statement, parameters, _context, _many):
        statements.append((statement, parameters))

    def measure() -> list[tuple[str, object]]:
        statements.clear()
        sa.event.listen(db.engine, "before_cursor_execute", count)
        try:
            response = api.get("/api/v1/actions?pageSize=100")
            assert response.status_code == 200
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", count)
        return list(statements)

    api.get("/api/v1/actions")  # the questionnaire is parsed once per process
    small = measure()
    for number in range(60):
        make_action(conversation, f"Nog een {number}")
    large = measure()
    assert len(small) == len(large) <= 4, [s for s, _ in large]
    for _statement, parameters in large:
        assert len(parameters or ()) <= 10  # the page size and the regions, never the rows


# --- writes ---------------------------------------------------------------------------------


def test_patch_needs_if_match_and_refuses_a_stale_one(api, api_world):
    action_id = api_world.actions_a[0]
    url = f"/api/v1/actions/{action_id}"
    assert_problem(api.patch(url, {"status": "bezig"}), 428)
    assert_problem(api.patch(url, {"status": "bezig"}, if_match="drie"), 400)
    etag = etag_of(api, action_id)
    done = api.patch(url, {"status": "afgerond"}, if_match=etag)
    assert done.status_code == 200 and done.get_json()["status"] == "afgerond"
    assert done.get_json()["closedAt"] is not None
    new_etag = done.headers["ETag"]
    assert new_etag != etag
    # The same request again (a retry after a time-out): counts once.
    again = api.patch(url, {"status": "afgerond"}, if_match=etag)
    assert again.status_code == 200 and again.headers["ETag"] == new_etag
    # Another change on the old revision: 412, with the current ETag; nothing stored.
    stale = api.patch(url, {"status": "vervallen"}, if_match=etag)
    assert_problem(stale, 412)
    assert stale.headers["ETag"] == new_etag
    db.session.expire_all()
    assert db.session.get(ActionPoint, action_id).status is ActionStatus.DONE
    # Weak and bare entity tags are understood; several, one of them current, too.
    bare = api.patch(url, {"status": "bezig"}, if_match=new_etag.strip('"'))
    assert bare.status_code == 200
    listed = api.patch(url, {"status": "open"}, if_match=f'"1", W/{bare.headers["ETag"]}')
    assert listed.status_code == 200


def test_patch_embedding(api, api_world):
    action_id = api_world.actions_a[1]
    url = f"/api/v1/actions/{action_id}"
    body = assert_problem(api.patch(url, {"status": "verankerd"}, etag_of(api, action_id)), 422)
    assert body["invalidParams"][0]["name"] == "embeddedIn"
    embedded = api.patch(
        url,
        {"status": "verankerd", "embeddedIn": "begroting", "embeddedReference": "Post 4.2"},
        etag_of(api, action_id),
    )
    assert embedded.status_code == 200, embedded.get_json()
    data = embedded.get_json()
    assert (data["status"], data["embeddedIn"], data["embeddedReference"]) == (
        "verankerd",
        "begroting",
        "Post 4.2",
    )
    assert data["embeddedInLabel"] == "Begroting"
    reference = api.patch(url, {"embeddedReference": "Post 5"}, embedded.headers["ETag"])
    assert reference.get_json()["embeddedReference"] == "Post 5"
    assert reference.get_json()["embeddedIn"] == "begroting"
    for wrong in ({}, {"status": "klaar"}, {"status": None}, {"embeddedIn": "kluis"}, {"x": 1}):
        assert_problem(api.patch(url, wrong, reference.headers["ETag"]), 422)


def test_a_progress_update_counts_once(api, api_world):
    action_id = api_world.actions_a[0]
    url = f"/api/v1/actions/{action_id}/updates"
    etag = etag_of(api, action_id)
    body = {
        "text": "Eerste overleg gehouden.",
        "status": "bezig",
        "writtenOn": local_today().isoformat(),
        "figure": {"linkId": api_world.link_a, "period": "2022", "value": 163},
    }
    assert_problem(api.post(url, body), 428)
    created = api.post(url, body, if_match=etag)
    assert created.status_code == 201, created.get_json()
    update = created.get_json()
    assert created.headers["Location"].endswith(f"{url}/{update['id']}")
    assert update["statusAfter"] == "bezig" and update["statusBefore"] == "open"
    assert update["figure"]["value"] == 163 and update["figure"]["period"] == "2022"
    assert update["authorName"] == "Tess Tester"
    assert created.headers["ETag"] == f'"{update["actionRevision"]}"'
    # A double post (a retry with the same If-Match): the first update, not a second one.
    again = api.post(url, body, if_match=etag)
    assert again.status_code == 200 and again.get_json()["id"] == update["id"]
    assert again.headers["Location"] == created.headers["Location"]
    # Something else on the old revision: 412.
    assert_problem(api.post(url, {"text": "Iets anders"}, if_match=etag), 412)
    assert api.get(created.headers["Location"].removeprefix("http://localhost")).status_code == 200
    history = api.get(url).get_json()
    assert history["totalCount"] == 1
    latest = api.get(f"/api/v1/actions/{action_id}").get_json()["latestUpdate"]
    assert latest["id"] == update["id"]
    assert db.session.scalar(
        sa.select(Observation.value).where(Observation.period == "2022")
    ) == pytest.approx(163)
    db.session.expire_all()
    assert db.session.get(ActionPoint, action_id).status is ActionStatus.IN_PROGRESS


@pytest.mark.parametrize(
    ("body", "name"),
    [
        ({}, "text"),
        ({"text": "   "}, "text"),
        ({"text": "x" * 2001}, "text"),
        ({"text": 12}, "text"),
        ({"text": "ok", "writtenOn": "05-03-2026"}, "writtenOn"),
        ({"text": "ok", "writtenOn": "2999-01-01"}, "writtenOn"),
        ({"text": "ok", "status": "klaar"}, "status"),
        ({"status": "verankerd"}, "embeddedIn"),
        ({"text": "ok", "figure": {"linkId": 999999, "period": "2022", "value": 1}}, None),
        ({"text": "ok", "figure": {"linkId": 1, "period": "ooit", "value": 1}}, "figure.period"),
        ({"text": "ok", "figure": {"linkId": True, "period": "2022", "value": 1}}, None),
        ({"text": "ok", "figure": {"linkId": 1, "period": "2022", "value": 1e16}}, None),
        ({"text": "ok", "figure": {"linkId": 1, "period": "2022"}}, "figure.value"),
        ({"text": "ok", "figure": [1, 2]}, "figure"),
        ({"text": "ok", "extra": "veld"}, "extra"),
    ],
)
def test_a_wrong_progress_update_is_a_422_that_names_the_field(api, api_world, body, name):
    action_id = api_world.actions_a[0]
    response = api.post(f"/api/v1/actions/{action_id}/updates", body, etag_of(api, action_id))
    problem = assert_problem(response, 422)
    if name:
        assert name in [p["name"] for p in problem["invalidParams"]], problem
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ActionUpdate)) == 0


HOSTILE_BODIES = [
    b"",
    b"{",
    b"not json",
    b"[]",
    b'"tekst"',
    b"null",
    b'{"text": NaN}',
    b'{"text": Infinity}',
    b'{"text": 1e400}',
    b'{"text": ' + b"9" * 5000 + b"}",
    b"[" * 50_000 + b"]" * 50_000,
    b'{"text": "\xff\xfe"}',
    b'{"text": "nul\\u0000byte"}',
    b'{"text": "\\ud800"}',
    '{"text": "مدرسة في التعاون שלום"}'.encode(),
    b'{"status": {"$ne": 1}}',
    b'{"figure": {"linkId": -1, "period": "' + b"9" * 5000 + b'", "value": "1"}}',
]


@pytest.mark.parametrize("raw", HOSTILE_BODIES, ids=range(len(HOSTILE_BODIES)))
def test_hostile_json_never_gives_a_server_error(api, api_world, raw):
    action_id = api_world.actions_a[0]
    etag = etag_of(api, action_id)
    for method, path in (
        ("POST", f"/api/v1/actions/{action_id}/updates"),
        ("PATCH", f"/api/v1/actions/{action_id}"),
    ):
        response = api.client.open(
            path,
            method=method,
            data=raw,
            headers=api.headers({"If-Match": etag, "Content-Type": "application/json"}),
        )
        assert response.status_code < 500, (method, raw[:40])
        if response.status_code >= 400:
            assert response.mimetype == "application/problem+json"
        assert "\x00" not in response.get_data(as_text=True)
        etag = etag_of(api, action_id)
    stored = db.session.scalars(sa.select(ActionUpdate.text)).all()
    assert all("\x00" not in text for text in stored)


def test_other_bodies_and_sizes(api, api_world):
    action_id = api_world.actions_a[0]
    url = f"/api/v1/actions/{action_id}/updates"
    etag = etag_of(api, action_id)
    form = api.client.post(url, data={"text": "x"}, headers=api.headers({"If-Match": etag}))
    assert_problem(form, 415)
    huge = json.dumps({"text": "x" * (2 * 1024 * 1024)})
    big = api.client.post(
        url,
        data=huge,
        headers=api.headers({"If-Match": etag, "Content-Type": "application/json"}),
    )
    assert_problem(big, 413)
    cleaned = api.post(url, {"text": "Regel\x00 een\r\nregel twee\x1b"}, if_match=etag)
    assert cleaned.status_code == 201
    assert cleaned.get_json()["text"] == "Regel een\nregel twee"


def test_a_body_with_a_byte_order_mark_is_read(api, api_world):
    """Notepad and PowerShell 5 put a UTF-8 byte order mark in front of what they save."""
    action_id = api_world.actions_a[0]
    response = api.client.patch(
        f"/api/v1/actions/{action_id}",
        data="\ufeff".encode() + b'{"status": "bezig"}',
        headers=api.headers(
            {"If-Match": etag_of(api, action_id), "Content-Type": "application/json"}
        ),
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["status"] == "bezig"


def test_a_field_given_twice_is_a_400_that_names_it(api, api_world):
    """JSON allows it, but which value counts differs per reader: refused, nothing saved."""
    action_id = api_world.actions_a[0]
    etag = etag_of(api, action_id)
    for raw, name in (
        (b'{"status": "bezig", "status": "afgerond"}', "status"),
        (
            b'{"text": "a", "figure": {"linkId": 1, "linkId": 2, "period": "2022", "value": 1}}',
            "linkId",
        ),
    ):
        path = (
            f"/api/v1/actions/{action_id}"
            if b"status" in raw
            else f"/api/v1/actions/{action_id}/updates"
        )
        response = api.client.open(
            path,
            method="PATCH" if b"status" in raw else "POST",
            data=raw,
            headers=api.headers({"If-Match": etag, "Content-Type": "application/json"}),
        )
        body = assert_problem(response, 400)
        assert f"‘{name}’" in body["detail"]
        assert [p["name"] for p in body["invalidParams"]] == [name]
    assert api.get(f"/api/v1/actions/{action_id}").get_json()["status"] == "open"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ActionUpdate)) == 0


def test_every_client_error_keeps_its_status(api, monkeypatch):
    """An error without a Dutch text of its own is still a problem with its status, not a 500."""
    from werkzeug.exceptions import ImATeapot, NotAcceptable

    from app.api import queries

    for error, status in ((NotAcceptable, 406), (ImATeapot, 418)):

        def refuse(*_args, error=error, **_kwargs):
            raise error()

        monkeypatch.setattr(queries, "actions_page", refuse)
        body = assert_problem(api.get("/api/v1/actions"), status)
        assert body["title"] != "Er ging iets mis"


# --- who may -------------------------------------------------------------------------------


def test_a_read_token_cannot_write(app, api_world):
    reader = Api(app, issue(api_world.users["coordinator"], TokenScope.READ))
    action_id = api_world.actions_a[0]
    etag = etag_of(reader, action_id)
    refused = reader.patch(f"/api/v1/actions/{action_id}", {"status": "bezig"}, etag)
    body = assert_problem(refused, 403)
    assert "alleen lezen" in body["detail"]
    assert_problem(reader.post(f"/api/v1/actions/{action_id}/updates", {"text": "x"}, etag), 403)
    # Another region's action point stays a 404, whatever the scope.
    assert_problem(reader.patch(f"/api/v1/actions/{api_world.action_b}", {"status": "bezig"}), 404)


def test_a_member_cannot_write_with_a_write_token(app, api_world):
    member = Api(app, issue(api_world.users["member"], TokenScope.WRITE))
    action_id = api_world.actions_a[0]
    response = member.patch(
        f"/api/v1/actions/{action_id}", {"status": "bezig"}, etag_of(member, action_id)
    )
    assert "rol" in assert_problem(response, 403)["detail"]
    leader = Api(app, issue(api_world.users["project-leader"], TokenScope.WRITE))
    response = leader.patch(
        f"/api/v1/actions/{action_id}", {"status": "bezig"}, etag_of(leader, action_id)
    )
    assert response.status_code == 200


def test_a_token_of_region_a_never_reads_region_b(api, api_world):
    w = api_world
    for path in (
        "/api/v1/regions/achterhoek",
        f"/api/v1/conversations/{w.conversation_b}",
        f"/api/v1/conversations/{w.conversation_b}/answers",
        f"/api/v1/actions/{w.action_b}",
        f"/api/v1/actions/{w.action_b}/updates",
        f"/api/v1/actions/{w.action_b}/updates/1",
        f"/api/v1/indicators/{w.indicator_b}",
        f"/api/v1/indicators/{w.indicator_b}/observations",
    ):
        response = api.get(path)
        assert_problem(response, 404)
        assert not any(s in response.get_data(as_text=True) for s in SECRETS_OF_B), path
    etag = '"1"'
    assert_problem(api.patch(f"/api/v1/actions/{w.action_b}", {"status": "bezig"}, etag), 404)
    assert_problem(api.post(f"/api/v1/actions/{w.action_b}/updates", {"text": "x"}, etag), 404)
    for path in LISTS:
        text = api.get(path + "?pageSize=100").get_data(as_text=True)
        assert not any(s in text for s in SECRETS_OF_B), path
    assert_problem(api.get("/api/v1/actions?region=achterhoek"), 400)
    # The filter on B's conversation is empty, not B's rows.
    assert _ids(api, f"conversation={w.conversation_b}") == []
    # An action of region A under ... the figure of region B's link is refused too.
    body = {"text": "x", "figure": {"linkId": w.link_a + 1000, "period": "2022", "value": 1}}
    action_id = w.actions_a[0]
    response = api.post(f"/api/v1/actions/{action_id}/updates", body, etag_of(api, action_id))
    assert_problem(response, 422)


def test_the_secrets_of_region_b_are_what_its_own_readers_see(app, api_world):
    """A control for the tests above: each secret does show where it may."""
    region_b = db.session.scalar(sa.select(Region).where(Region.slug == api_world.region_b))
    member_b = make_user("lid@achterhoek.test", "Lid van B", region=region_b, role=Role.MEMBER)
    reader = Api(app, issue(member_b))
    seen = "".join(
        reader.get(path + "?pageSize=100").get_data(as_text=True)
        for path in (*LISTS, f"/api/v1/indicators/{api_world.indicator_b}/observations")
    )
    assert [secret for secret in SECRETS_OF_B if secret not in seen] == []


def test_a_lost_role_is_lost_at_the_next_request(api, api_world, tester):
    assert api.get(f"/api/v1/actions/{api_world.actions_a[0]}").status_code == 200
    membership = db.session.scalar(sa.select(Membership).where(Membership.user_id == tester.id))
    remove_membership(membership)
    db.session.commit()
    assert_problem(api.get(f"/api/v1/actions/{api_world.actions_a[0]}"), 404)
    assert api.get("/api/v1/regions").get_json()["totalCount"] == 0


# --- tokens, not cookies --------------------------------------------------------------------


def test_a_session_cookie_alone_is_a_401(client, api_world):
    """The signed-in browser of the tester (``client``): its cookie opens every page, and no
    API endpoint."""
    assert client.get("/").status_code == 200
    for path in ("/api/v1/regions", f"/api/v1/actions/{api_world.actions_a[0]}"):
        response = client.get(path)
        body = assert_problem(response, 401)
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert "Authorization: Bearer" in body["detail"]
        assert "Set-Cookie" not in response.headers
    response = client.patch(f"/api/v1/actions/{api_world.actions_a[0]}", json={"status": "bezig"})
    assert_problem(response, 401)
    # With a token as well, the token decides (a member's read token here), and no cookie is set.
    member = issue(api_world.users["member"])
    response = client.get("/api/v1/regions", headers={"Authorization": f"Bearer {member}"})
    assert response.get_json()["_embedded"]["regions"][0]["role"] == "member"
    assert "Set-Cookie" not in response.headers


def test_api_answers_do_not_vary_on_cookies(client, api_world):
    """No answer of the API depends on a cookie, so none says ``Vary: Cookie`` (a cache in
    between would keep a copy per cookie); with or without a signed-in browser's cookie."""
    member = issue(api_world.users["member"])
    anonymous = client.application.test_client()
    token = {"Authorization": f"Bearer {member}"}
    for http in (client, anonymous):
        for method, path, headers in (
            ("GET", "/api/v1/regions", token),
            ("GET", f"/api/v1/actions/{api_world.actions_a[0]}", token),
            ("GET", "/api/v1/regions", {}),
            ("GET", "/api/v1/openapi.json", {}),
            ("GET", "/api/v1/bestaat-niet", token),
            ("GET", "/api/v2/regions", token),
            ("OPTIONS", "/api/v1/actions", {}),
            ("TRACE", "/api/v1/actions", token),
        ):
            response = http.open(path, method=method, headers=headers)
            assert "Cookie" not in response.vary, (method, path, response.headers)
            assert "Set-Cookie" not in response.headers, (method, path)
    # The documentation page is a page of the site: it shows who is signed in.
    assert "Cookie" in client.get("/api/v1").vary


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Basic dGVzczp3YWNodHdvb3Jk",
        "Bearer hvt_" + "a" * 43,
        "Bearer hvt_" + "a" * 44,
        "Bearer " + "x" * 5000,
        "Bearer hvt_\x00" + "a" * 42,
        "Token hvt_" + "a" * 43,
    ],
)
def test_no_valid_token_is_a_401(app, api_world, header):
    client = app.test_client()
    headers = {"Authorization": header} if header is not None else {}
    assert_problem(client.get("/api/v1/actions", headers=headers), 401)


def test_a_revoked_token_is_a_401(app, api, api_world):
    from app.api.operations import revoke_token_named

    assert api.get("/api/v1/regions").status_code == 200
    assert revoke_token_named(api_world.users["coordinator"], "Sleutel write")
    db.session.commit()
    body = assert_problem(api.get("/api/v1/regions"), 401)
    assert "ingetrokken" in body["detail"]


def test_last_use_is_written_at_most_once_a_minute(api, api_world):
    token = db.session.scalar(sa.select(ApiToken))
    assert token.last_used_dt is None
    api.get("/api/v1/regions")
    db.session.expire_all()
    first = db.session.get(ApiToken, token.id).last_used_dt
    assert first is not None
    api.get("/api/v1/regions")
    db.session.expire_all()
    assert db.session.get(ApiToken, token.id).last_used_dt == first
    db.session.execute(sa.update(ApiToken).values(last_used_dt=utcnow() - timedelta(minutes=5)))
    db.session.commit()
    api.get("/api/v1/regions")
    db.session.expire_all()
    later = db.session.get(ApiToken, token.id).last_used_dt
    assert later.replace(tzinfo=None) > first.replace(tzinfo=None) - timedelta(minutes=1)


def test_rate_limit_per_token(database_url, api_world):
    """With the limits on (the other tests run without): the token's next request is a 429
    problem with Retry-After; another token still works."""
    from app import create_app

    from .conftest import BASE_TEST_CONFIG

    limited = create_app(
        {
            **BASE_TEST_CONFIG,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_STORAGE_URI": "memory://",
            "API_RATE_LIMIT": "3 per minute",
        }
    )
    first = issue(api_world.users["coordinator"], name="Eerste")
    second = issue(api_world.users["member"], name="Tweede")
    with limited.app_context():
        try:
            one, two = Api(limited, first), Api(limited, second)
            assert [one.get("/api/v1/regions").status_code for _ in range(3)] == [200] * 3
            refused = one.get("/api/v1/regions")
            assert_problem(refused, 429)
            assert int(refused.headers["Retry-After"]) > 0
            assert two.get("/api/v1/regions").status_code == 200
        finally:
            db.session.remove()
            db.engine.dispose()


def test_unknown_tokens_count_per_client_address(database_url, api_world):
    """A new made-up token per request gets no count of its own: every request without a
    known token counts once for the client's address, and costs at most one lookup of the
    token (none for one that cannot be a token). A known token keeps its own count."""
    import secrets

    from app import create_app

    from .conftest import BASE_TEST_CONFIG

    limited = create_app(
        {
            **BASE_TEST_CONFIG,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_STORAGE_URI": "memory://",
            "API_RATE_LIMIT": "4 per minute",
        }
    )
    known = issue(api_world.users["coordinator"], name="Bekend")
    made_up = [
        secrets.token_hex(4),  # ill-formed
        "hvt_" + secrets.token_urlsafe(32),  # the shape of a token, unknown
        "hvt_" + secrets.token_urlsafe(32),
        "iets " + secrets.token_hex(4),
        "hvt_" + secrets.token_urlsafe(32),
    ]
    with limited.app_context():
        statements: list[str] = []

        def count(_conn, _cursor, statement, *_args):
            statements.append(statement)

        sa.event.listen(db.engine, "before_cursor_execute", count)
        try:
            client = limited.test_client()
            answers = []
            for bearer in made_up:
                statements.clear()
                response = client.get(
                    "/api/v1/regions", headers={"Authorization": f"Bearer {bearer}"}
                )
                shaped = bearer.startswith("hvt_")
                answers.append(response.status_code)
                assert len(statements) == (1 if shaped else 0), (bearer, statements)
                assert response.mimetype == "application/problem+json"
            assert answers == [401, 401, 401, 401, 429]
            # Without a token: the same count, of the same address.
            assert_problem(client.get("/api/v1/regions"), 429)
            # A known token from that address still works, on its own count.
            assert Api(limited, known).get("/api/v1/regions").status_code == 200
            windows = limited.extensions["handvat_api_rate_limit"].counter._windows
            assert len({key for key, _amount, _expiry in windows}) == 2
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", count)
            db.session.remove()
            db.engine.dispose()


# --- problems for every error inside /api/v1, pages elsewhere --------------------------------


def test_unknown_paths_and_methods_inside_the_api_are_problems(api, client, api_world):
    assert_problem(api.get("/api/v1/bestaat-niet"), 404)
    assert api.get("/api/v1/").mimetype == "text/html"  # the documentation
    assert_problem(api.get("/api/v1/regions/"), 404)  # no trailing slashes
    assert_problem(api.get("/api/v1/Actions"), 404)  # lower case only
    assert_problem(api.get("/api/v1/actions/007"), 404)
    assert_problem(api.get("/api/v1/actions/99999999999"), 404)
    assert_problem(api.get("/api/v1/actions/999999"), 404)
    response = api.client.delete(f"/api/v1/actions/{api_world.actions_a[0]}", headers=api.headers())
    body = assert_problem(response, 405)
    assert response.headers["Allow"] == "GET, HEAD, OPTIONS, PATCH"
    assert "DELETE" in body["detail"] and "Wel met: GET, PATCH." in body["detail"]
    assert_problem(api.client.put("/api/v1/regions", headers=api.headers()), 405)
    # Elsewhere the site keeps its own Dutch pages.
    page = client.get("/gesprekken/999999")
    assert page.status_code == 404 and page.mimetype == "text/html"
    assert client.get("/bestaat-niet").mimetype == "text/html"


@pytest.mark.parametrize("method", ["TRACE", "PROPFIND", "CONNECT", "FOO"])
def test_any_other_method_is_a_problem_with_allow(api, method):
    """Methods no route of the app knows fail while routing, before the API's own handlers;
    they are problems too, with the methods the address does have."""
    response = api.client.open("/api/v1/regions", method=method, headers=api.headers())
    body = assert_problem(response, 405)
    assert response.headers["Allow"] == "GET, HEAD, OPTIONS"
    assert method in body["detail"]
    assert_problem(api.client.open("/api/v1/bestaat-niet", method=method), 404)


def test_every_path_under_api_is_a_problem(api):
    for path in ("/api", "/api/", "/api/v2/regions", "/api/bestaat-niet"):
        body = assert_problem(api.get(path), 404)
        assert "/api/v1" in body["detail"]


def test_options_says_which_methods_an_address_has_and_allows_no_other_site(api, api_world):
    """OPTIONS needs no token and tells the methods; a browser's CORS preflight gets the same
    answer without any Access-Control header, so another site's script cannot use the API."""
    anonymous = api.client
    for path, allowed in (
        ("/api/v1/actions", "GET, HEAD, OPTIONS"),
        (f"/api/v1/actions/{api_world.actions_a[0]}", "GET, HEAD, OPTIONS, PATCH"),
        (f"/api/v1/actions/{api_world.actions_a[0]}/updates", "GET, HEAD, OPTIONS, POST"),
        ("/api/v1", "GET, HEAD, OPTIONS"),
    ):
        response = anonymous.options(path)
        assert response.status_code == 204, path
        assert response.headers["Allow"] == allowed and response.data == b""
        assert response.headers["API-Version"] == "1.0.0"
    preflight = anonymous.options(
        "/api/v1/actions",
        headers={
            "Origin": "https://dashboard.example.org",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization",
        },
    )
    assert preflight.status_code == 204
    assert not [name for name, _ in preflight.headers.items() if name.startswith("Access-Con")]
    assert_problem(anonymous.options("/api/v1/bestaat-niet"), 404)
    assert_problem(anonymous.options("/api/v2/regions"), 404)


def test_a_host_outside_the_trusted_hosts_is_a_problem(database_url, api_world):
    from app import create_app

    from .conftest import BASE_TEST_CONFIG

    secret = issue(api_world.users["coordinator"])
    for force_https in (False, True):
        guarded = create_app(
            {
                **BASE_TEST_CONFIG,
                "SQLALCHEMY_DATABASE_URI": database_url,
                "TRUSTED_HOSTS": ["handvat.example.nl"],
                "FORCE_HTTPS": force_https,
            }
        )
        with guarded.app_context():
            try:
                client = guarded.test_client()
                headers = {"Authorization": f"Bearer {secret}", "Host": "evil.example"}
                for method in ("GET", "POST", "OPTIONS", "TRACE"):
                    response = client.open("/api/v1/actions", method=method, headers=headers)
                    body = assert_problem(response, 400)
                    assert "Host" in body["detail"] and "evil.example" not in body["detail"]
                # The site keeps its own page.
                page = client.get("/over", headers={"Host": "evil.example"})
                assert page.status_code == 400 and page.mimetype == "text/html"
                fine = client.get(
                    "/api/v1/regions",
                    headers={"Authorization": f"Bearer {secret}"},
                    base_url="https://handvat.example.nl",
                )
                assert fine.status_code == 200
            finally:
                db.session.remove()
                db.engine.dispose()


def test_a_database_that_does_not_answer_is_a_503_with_retry_after(api, api_world, monkeypatch):
    """Not a 500: the request may work in a minute; the client is told when to retry."""
    from sqlalchemy.exc import OperationalError

    from app.api import queries

    def down(*_args, **_kwargs):
        raise OperationalError("SELECT ...", {}, Exception("server closed the connection"))

    monkeypatch.setattr(queries, "actions_page", down)
    response = api.get("/api/v1/actions")
    body = assert_problem(response, 503)
    assert body["title"] == "Even niet beschikbaar"
    assert int(response.headers["Retry-After"]) > 0


def test_no_database_server_at_all_is_a_503(api_world):
    """The token cannot even be looked up: the server is not there."""
    from app import create_app

    from .conftest import BASE_TEST_CONFIG

    secret = issue(api_world.users["coordinator"])
    unreachable = create_app(
        {
            **BASE_TEST_CONFIG,
            "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://handvat@127.0.0.1:9/handvat",
            "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"connect_timeout": 2}},
        }
    )
    with unreachable.app_context():
        try:
            response = Api(unreachable, secret).get("/api/v1/regions")
            assert_problem(response, 503)
            assert int(response.headers["Retry-After"]) > 0
        finally:
            db.session.remove()
            db.engine.dispose()


# --- the description and its page -----------------------------------------------------------


def _openapi_path(rule) -> str:
    import re

    names = {
        "conversation_id": "conversationId",
        "action_id": "actionId",
        "update_id": "updateId",
        "indicator_id": "indicatorId",
        "slug": "slug",
    }
    path = rule.rule.removeprefix("/api/v1")
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: "{" + names[m.group(1)] + "}", path)


def test_the_description_names_every_route_and_nothing_else(app):
    from app.api.openapi import openapi_document

    document = openapi_document()
    described = {
        (path, method.upper())
        for path, item in document["paths"].items()
        for method in item
        if method in ("get", "post", "patch", "put", "delete")
    }
    routed = {
        (_openapi_path(rule), method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("api.")
        and rule.endpoint not in ("api.not_found", "api.openapi", "api.docs")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert described == routed


def test_the_documentation_page_is_generated_from_the_description(app, client):
    from app.api.openapi import openapi_document

    response = app.test_client().get("/api/v1")
    assert response.status_code == 200 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    document = openapi_document()
    for path, item in document["paths"].items():
        assert f"<code>{path}</code>" in page
        for operation in item.values():
            assert f'id="{operation["operationId"]}"' in page
            assert str(escape(operation["summary"])) in page
    for status in (400, 401, 403, 404, 405, 412, 422, 428, 429, 503):
        assert f'id="fout-{status}"' in page
    assert 'id="fout-409"' not in page  # a change made meanwhile is a 412
    assert "curl -X PATCH" in page and "If-Match: &#34;3&#34;" in page
    assert "geen CORS-koppen" in page and "<code>OPTIONS</code>" in page
    assert "Web.Contents" in page and "http://localhost/api/v1" in page
    assert "<script" not in page.split("</head>")[1]
    assert "https://" not in page.replace("https://spec", "")
    # Signed in, the page is a page of the site like any other.
    assert "Uitloggen" in client.get("/api/v1").get_data(as_text=True)
