"""The pages of ``GET /api/v1/actions`` that the API keeps (``app/api/cache.py``), on SQLite and
PostgreSQL: a page is served again only while nothing it is made of changed.

Every kind of change to a region's action points makes a new page at once: a status, a text, a
progress update, an added, deleted or moved action point, a new round that takes the open ones
along, a deleted conversation, a conversation moved to another region, a renamed region. A
membership that ends is never served from a kept page, a page is kept per token owner and per
host, "te laat" follows the date, and ``If-None-Match`` gets a 304 only for the current page.
The in-process rate limiter counts as Flask-Limiter's storage did.
"""

from __future__ import annotations

from datetime import UTC, date, timedelta

import pytest
import sqlalchemy as sa

from app.accounts.models import Membership
from app.accounts.operations import remove_membership, set_role
from app.accounts.roles import Role
from app.actions import operations as action_operations
from app.actions import progress
from app.actions.models import ActionPoint, ActionStatus
from app.api.cache import CachedPage, PageCache
from app.api.models import TokenScope
from app.conversations.models import Conversation
from app.core.formatting import local_today
from app.extensions import db
from app.regions.models import Region

from .accounts import make_user
from .test_api import Api, issue

LIST = "/api/v1/actions?pageSize=100"


@pytest.fixture
def world(app, tester, make_region, make_conversation, make_action):
    """Twente and the Achterhoek, the tester coordinator of both; two action points in a
    conversation of Twente, one in the Achterhoek."""
    twente = make_region("Twente", ["Almelo"])
    achterhoek = make_region("Achterhoek", ["Winterswijk"])
    first = make_conversation("Overleg Twente", region=twente)
    other = make_conversation("Overleg Achterhoek", region=achterhoek)
    make_action(first, "Regiegroep instellen", due_date=local_today())
    make_action(first, "Populatie in beeld brengen", status=ActionStatus.IN_PROGRESS)
    make_action(other, "Achterhoekse actie")
    return {"twente": twente, "achterhoek": achterhoek, "first": first, "other": other}


@pytest.fixture
def api(app, tester, world) -> Api:
    return Api(app, issue(tester, TokenScope.WRITE))


class Statements:
    """Counts the statements that read action points (a page made, not served again)."""

    def __init__(self):
        self.pages = 0

    def __call__(self, _conn, _cursor, statement, _parameters, _context, _many):
        if "FROM action_point" in statement:
            self.pages += 1


@pytest.fixture
def statements(app):
    counter = Statements()
    sa.event.listen(db.engine, "before_cursor_execute", counter)
    yield counter
    sa.event.remove(db.engine, "before_cursor_execute", counter)


def actions(api: Api, path: str = LIST, **kwargs) -> list[dict]:
    response = api.get(path, **kwargs)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["_embedded"]["actions"]


def by_description(items: list[dict]) -> dict[str, dict]:
    return {item["description"]: item for item in items}


def warm(api: Api, statements: Statements) -> list[dict]:
    """Read the list twice; the second time it comes from the cache."""
    first = actions(api)
    before = statements.pages
    assert actions(api) == first
    assert statements.pages == before, "the second read made the page again"
    return first


def action(description: str) -> ActionPoint:
    db.session.expire_all()
    return db.session.scalar(sa.select(ActionPoint).where(ActionPoint.description == description))


# --- served again while nothing changed -----------------------------------------------------


def test_the_same_page_is_served_again_with_the_same_entity_tag(api, world, statements):
    first = api.get(LIST)
    second = api.get(LIST)
    assert first.get_data() == second.get_data()
    assert first.headers["ETag"] == second.headers["ETag"]
    assert second.headers["X-Total-Count"] == "3"
    assert second.headers["API-Version"] == "1.0.0"
    assert second.headers["Cache-Control"] == "private, no-store"
    assert statements.pages == 2  # count and page, once


def test_a_change_in_a_region_without_a_role_keeps_the_page(
    app, api, world, statements, make_region, make_conversation, make_action
):
    """The version covers the asker's regions only (and what they cannot see never shows)."""
    elsewhere = make_region("Drenthe", ["Assen"], role=None)
    drenthe = make_conversation("Overleg Drenthe", region=elsewhere)
    make_action(drenthe, "Drentse actie")
    warm(api, statements)
    make_action(db.session.get(Conversation, drenthe.id), "Nog een")
    before = statements.pages
    assert "Drentse actie" not in by_description(actions(api))
    assert statements.pages == before


# --- every change makes a new page ----------------------------------------------------------


def _set_status(world):
    found = action("Regiegroep instellen")
    action_operations.set_status(world["first"], found.id, ActionStatus.DONE, found.revision)


def _edit(world):
    found = action("Regiegroep instellen")
    data = action_operations.ActionData(description="Regiegroep ingesteld", question_id=None)
    action_operations.update_action(world["first"], found.id, data, found.revision)


def _progress(world):
    found = action("Regiegroep instellen")
    progress.add_update(
        world["first"], found.id, progress.ProgressData(text="Eerste stap"), found.revision, None
    )


def _add(world):
    action_operations.add_action(world["first"], action_operations.ActionData("Nieuwe actie"))


def _delete(world):
    found = action("Regiegroep instellen")
    action_operations.delete_action(world["first"], found.id, found.revision)


def _move(world):
    found = action("Populatie in beeld brengen")
    action_operations.move_action(world["first"], found.id, "up", found.position)


def _new_round(world):
    from app.rounds import operations as rounds

    previous = world["first"]
    rounds.start_round(
        previous,
        rounds.RoundData(
            title="Overleg Twente 2027",
            held_on=date(2027, 10, 7),
            current_phase_id="verkennen",
            kept_participants=[0],
            added_participants=[],
            based_on_details_revision=previous.details_revision,
        ),
    )


def _delete_conversation(world):
    from app.conversations.operations import delete_conversation

    delete_conversation(world["other"])


def _move_conversation(world):
    from app.conversations.operations import ConversationDetails, update_details

    conversation = world["other"]
    update_details(
        conversation,
        ConversationDetails(conversation.title, world["twente"], conversation.held_on, "verkennen"),
    )


def _rename_region(world):
    db.session.get(Region, world["achterhoek"].id).name = "Achterhoek en Liemers"


def _status_of(description):
    return lambda items: by_description(items)[description]["status"]


CHANGES = {
    "status": (_set_status, _status_of("Regiegroep instellen"), "afgerond"),
    "text": (_edit, lambda items: "Regiegroep ingesteld" in by_description(items), True),
    "progress update": (
        _progress,
        lambda items: by_description(items)["Regiegroep instellen"]["lastUpdateAt"] is not None,
        True,
    ),
    "added": (_add, lambda items: "Nieuwe actie" in by_description(items), True),
    "deleted": (_delete, lambda items: "Regiegroep instellen" in by_description(items), False),
    "moved up": (
        _move,
        lambda items: by_description(items)["Populatie in beeld brengen"]["number"],
        1,
    ),
    "new round": (
        _new_round,
        lambda items: (
            by_description(items)["Regiegroep instellen"]["originConversationId"] is not None
        ),
        True,
    ),
    "conversation deleted": (
        _delete_conversation,
        lambda items: "Achterhoekse actie" in by_description(items),
        False,
    ),
    "conversation moved": (
        _move_conversation,
        lambda items: by_description(items)["Achterhoekse actie"]["region"]["slug"],
        "twente",
    ),
    "region renamed": (
        _rename_region,
        lambda items: by_description(items)["Achterhoekse actie"]["region"]["name"],
        "Achterhoek en Liemers",
    ),
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_every_change_makes_a_new_page(api, world, statements, change):
    make_change, seen, expected = CHANGES[change]
    before = warm(api, statements)
    assert seen(before) != expected
    tag = api.get(LIST).headers["ETag"]
    make_change(world)
    db.session.commit()
    after = api.get(LIST)
    assert seen(after.get_json()["_embedded"]["actions"]) == expected
    assert after.headers["ETag"] != tag
    # And the new page is kept in its turn.
    pages = statements.pages
    assert actions(api) == after.get_json()["_embedded"]["actions"]
    assert statements.pages == pages


# --- who asks -------------------------------------------------------------------------------


def _membership(user, region) -> Membership:
    return db.session.scalar(
        sa.select(Membership).where(
            Membership.user_id == user.id, Membership.region_id == region.id
        )
    )


def test_an_ended_membership_is_never_served_from_a_kept_page(api, world, tester, statements):
    assert "Achterhoekse actie" in by_description(warm(api, statements))
    remove_membership(_membership(tester, world["achterhoek"]))
    db.session.commit()
    response = api.get(LIST)
    assert "Achterhoekse actie" not in response.get_data(as_text=True)
    assert response.headers["X-Total-Count"] == "2"
    assert api.get(LIST + "&region=achterhoek").status_code == 400
    # Meanwhile the Achterhoek changes; with the role back, the page shows the change.
    other = world["other"]
    found = action("Achterhoekse actie")
    action_operations.set_status(other, found.id, ActionStatus.CANCELLED, found.revision)
    set_role(tester, world["achterhoek"], Role.MEMBER)
    db.session.commit()
    assert by_description(actions(api))["Achterhoekse actie"]["status"] == "vervallen"


def test_a_changed_role_makes_a_new_key(api, world, tester, statements):
    warm(api, statements)
    set_role(tester, world["achterhoek"], Role.MEMBER)
    db.session.commit()
    pages = statements.pages
    actions(api)
    assert statements.pages > pages


def test_pages_are_kept_per_token_owner(app, api, world, statements):
    """A member of Twente only, asking after the tester, gets their own page."""
    member = make_user("lid@twente.test", "Lid", region=world["twente"], role=Role.MEMBER)
    warm(api, statements)
    theirs = Api(app, issue(member))
    seen = by_description(actions(theirs))
    assert set(seen) == {"Regiegroep instellen", "Populatie in beeld brengen"}
    assert "Achterhoek" not in theirs.get(LIST).get_data(as_text=True)


def test_owner_me_is_the_asker(app, api, world, tester):
    found = action("Populatie in beeld brengen")
    found.owner_user_id = tester.id
    db.session.commit()
    member = make_user("lid@twente.test", "Lid", region=world["twente"], role=Role.MEMBER)
    mine = LIST + "&owner=me"
    assert [a["description"] for a in actions(api, mine)] == ["Populatie in beeld brengen"]
    assert actions(Api(app, issue(member)), mine) == []


def test_a_revoked_token_gets_no_kept_page(app, api, world, tester, statements):
    from app.api.operations import revoke_token_named

    warm(api, statements)
    revoke_token_named(tester, "Sleutel write")
    db.session.commit()
    assert api.get(LIST).status_code == 401


def test_the_host_is_part_of_the_page(api, world):
    one = api.get(LIST, base_url="http://een.example").get_json()
    two = api.get(LIST, base_url="http://twee.example").get_json()
    assert one["_links"]["self"]["href"].startswith("http://een.example/api/v1/actions")
    assert two["_links"]["self"]["href"].startswith("http://twee.example/api/v1/actions")
    assert two["_embedded"]["actions"][0]["_links"]["self"]["href"].startswith(
        "http://twee.example/"
    )


def test_other_queries_are_other_pages(api, world):
    assert [a["status"] for a in actions(api, LIST + "&status=bezig")] == ["bezig"]
    assert len(actions(api, LIST + "&region=twente")) == 2
    assert len(actions(api, "/api/v1/actions?pageSize=1&page=2")) == 1
    assert len(actions(api)) == 3


def test_late_follows_the_date(api, world, monkeypatch):
    """Due today: not late today, late tomorrow, whatever was kept."""
    assert by_description(actions(api))["Regiegroep instellen"]["isOverdue"] is False

    def tomorrow():
        return local_today() + timedelta(days=1)

    monkeypatch.setattr("app.api.cache.local_today", tomorrow)
    monkeypatch.setattr("app.api.representations.local_today", tomorrow)
    assert by_description(actions(api))["Regiegroep instellen"]["isOverdue"] is True


# --- If-None-Match --------------------------------------------------------------------------


def test_if_none_match_gets_304_only_for_the_current_page(api, world):
    first = api.get(LIST)
    tag = first.headers["ETag"]
    for sent in (tag, f"W/{tag}", f'"other", {tag}', "*"):
        same = api.get(LIST, headers={"If-None-Match": sent})
        assert same.status_code == 304, sent
        assert same.get_data() == b"" and same.headers["ETag"] == tag
        assert "Content-Type" not in same.headers
    assert api.get(LIST, headers={"If-None-Match": '"other"'}).status_code == 200
    assert api.get(LIST, headers={"If-None-Match": "geen etag \u00e9"}).status_code == 200
    _set_status(world)
    db.session.commit()
    changed = api.get(LIST, headers={"If-None-Match": tag})
    assert changed.status_code == 200 and changed.headers["ETag"] != tag


# --- switched off, bounded ------------------------------------------------------------------


def test_without_the_cache_every_page_is_made(database_url, world, tester):
    from app import create_app

    from .conftest import BASE_TEST_CONFIG

    uncached = create_app(
        {**BASE_TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url, "API_LIST_CACHE_BYTES": 0}
    )
    secret = issue(tester)
    with uncached.app_context():
        try:
            counter = Statements()
            sa.event.listen(db.engine, "before_cursor_execute", counter)
            client = Api(uncached, secret)
            first, second = client.get(LIST), client.get(LIST)
            assert first.get_data() == second.get_data()
            assert "ETag" not in second.headers
            assert counter.pages == 4
            sa.event.remove(db.engine, "before_cursor_execute", counter)
        finally:
            db.session.remove()
            db.engine.dispose()


def test_the_cache_keeps_at_most_its_size():
    cache = PageCache(max_bytes=100)
    for number in range(3):
        cache.put(("page", number), CachedPage(b"x" * 40, f'"{number}"', ()))
    assert len(cache) == 2 and cache.get(("page", 0)) is None
    assert cache.get(("page", 1)) is not None  # now the most recently used
    cache.put(("page", 3), CachedPage(b"x" * 40, '"3"', ()))
    assert cache.get(("page", 2)) is None and cache.get(("page", 1)) is not None
    cache.put(("big",), CachedPage(b"x" * 101, '"big"', ()))
    assert cache.get(("big",)) is None


# --- moments in UTC on every database -------------------------------------------------------


def test_moments_are_utc_whatever_the_session_time_zone(database_url, world, tester):
    """PostgreSQL gives moments in the session's time zone; the list, like the action point
    itself, writes them in UTC with a Z."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has no session time zone")
    from app import create_app

    from .conftest import BASE_TEST_CONFIG

    far_east = create_app(
        {
            **BASE_TEST_CONFIG,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SQLALCHEMY_ENGINE_OPTIONS": {
                "connect_args": {"options": "-c timezone=Pacific/Kiritimati"}
            },
        }
    )
    stored = action("Regiegroep instellen").created_dt
    secret = issue(tester)
    with far_east.app_context():
        try:
            client = Api(far_east, secret)
            item = by_description(actions(client))["Regiegroep instellen"]
            detail = client.get(f"/api/v1/actions/{item['id']}").get_json()
        finally:
            db.session.remove()
            db.engine.dispose()
    assert item["createdAt"] == stored.astimezone(UTC).replace(tzinfo=None).isoformat() + "Z"
    assert detail["createdAt"] == item["createdAt"]


# --- the rate limit -------------------------------------------------------------------------


@pytest.mark.parametrize("shared", [False, True], ids=["in-process", "limits-storage"])
def test_fixed_windows_count_per_key(monkeypatch, shared):
    """The in-process counter and the shared one (``limits``, as with Redis) count alike:
    three in a window, the fourth refused until the window has passed; keys apart."""
    from limits import parse

    from app.api import ratelimit

    now = [1_000_000.0]
    monkeypatch.setattr(ratelimit.time, "time", lambda: now[0])
    counter = ratelimit._SharedWindows("memory://", {}) if shared else ratelimit._Windows()
    item = parse("3 per minute")
    verdicts = [counter.hit("token-a", item) for _ in range(4)]
    assert [v.allowed for v in verdicts] == [True, True, True, False]
    assert [v.remaining for v in verdicts[:3]] == [2, 1, 0]
    assert counter.hit("token-b", item).allowed
    if not shared:  # ``limits`` reads its own clock
        now[0] += 61
        assert counter.hit("token-a", item).allowed


def test_the_rate_limit_headers(database_url, world, tester):
    from app import create_app

    from .conftest import BASE_TEST_CONFIG

    limited = create_app(
        {
            **BASE_TEST_CONFIG,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "RATELIMIT_ENABLED": True,
            "API_RATE_LIMIT": "2 per minute",
        }
    )
    secret = issue(tester)
    with limited.app_context():
        try:
            client = Api(limited, secret)
            first, second, third = (client.get(LIST) for _ in range(3))
            assert first.headers["X-RateLimit-Limit"] == "2"
            assert first.headers["X-RateLimit-Remaining"] == "1"
            assert second.headers["X-RateLimit-Remaining"] == "0"
            assert third.status_code == 429
            assert int(third.headers["Retry-After"]) > 0
            assert third.headers["X-RateLimit-Remaining"] == "0"
            assert third.mimetype == "application/problem+json"
            # Without a token the client's address is counted, apart from the token.
            assert limited.test_client().get("/api/v1/openapi.json").status_code == 200
        finally:
            db.session.remove()
            db.engine.dispose()
