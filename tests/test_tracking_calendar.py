"""Calendar feeds of the action list: made once with a secret URL, read by calendar apps
without a session, showing only what the owner may see now, revocable."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from html import unescape
from urllib.parse import urlsplit

import pytest
from icalendar import Calendar
from sqlalchemy import delete, func, select

from app.accounts.models import Membership
from app.actions.models import ActionStatus
from app.core.models import utcnow
from app.extensions import db
from app.tracking.models import CalendarFeed

from .accounts import make_user, sign_in
from .test_tracking_list import SECRET, build_world, today

FEED_URL = re.compile(r'id="feed-url" value="([^"]+)"')


@pytest.fixture
def world(tester, make_region, make_conversation, make_action):
    return build_world(tester, make_region, make_conversation, make_action)


def subscribe(client, filters: str = "", name: str = "Mijn deadlines", token: str = "tok-1"):
    """Make a feed through the form; (the response, the feed's URL or None)."""
    response = client.post(
        "/acties/agenda-abonnementen",
        data={"name": name, "filters": filters, "creation_token": token},
    )
    match = FEED_URL.search(response.get_data(as_text=True))
    return response, unescape(match.group(1)) if match else None


def feed_path(url: str) -> str:
    return urlsplit(url).path


def read_feed(anonymous_client, url: str) -> Calendar:
    response = anonymous_client.get(feed_path(url))
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    return Calendar.from_ical(response.data)


def events(calendar: Calendar) -> dict[str, object]:
    return {str(e["UID"]): e for e in calendar.walk("VEVENT")}


def test_subscribing_shows_the_url_once_with_instructions(client, world):
    page = client.get("/acties/agenda-abonnementen?status=open-alle&regio=twente")
    html = page.get_data(as_text=True)
    assert 'name="filters" type="hidden" value="regio=twente&amp;status=open-alle"' in html
    assert "Acties: regio Twente; status alle open" in html  # the suggested name
    response, url = subscribe(client, "regio=twente&status=open-alle")
    assert response.status_code == 200 and url
    assert re.fullmatch(r"http://localhost/acties/agenda/[A-Za-z0-9_-]{43}\.ics", url)
    html = response.get_data(as_text=True)
    assert "U ziet hem maar één keer" in html
    assert url.replace("http://", "webcal://") in html
    assert "In Outlook" in html and "In Google Agenda" in html
    key = url.rsplit("/", 1)[1].removesuffix(".ics")
    feed = db.session.scalar(select(CalendarFeed))
    assert feed.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key not in feed.filter_query + feed.name
    assert feed.filter_query == "regio=twente&status=open-alle"
    # Shown once: the list of feeds never shows the URL again.
    assert key not in client.get("/acties/agenda-abonnementen").get_data(as_text=True)


def test_the_feed_holds_the_open_actions_with_a_due_date(client, anonymous_client, world):
    _response, url = subscribe(client, name="Twente deadlines")
    calendar = read_feed(anonymous_client, url)
    assert str(calendar["X-WR-CALNAME"]) == "Twente deadlines"
    found = events(calendar)
    open_with_date = [world.actions[n] for n in ("late", "soon", "later")]
    assert set(found) == {f"actie-{a.id}@handvat" for a in open_with_date}
    late = found[f"actie-{world.actions['late'].id}@handvat"]
    assert late.decoded("DTSTART") == today() - timedelta(days=10)
    assert late.decoded("DTEND") == today() - timedelta(days=9)
    assert str(late["SUMMARY"]) == "Actie: Bestuurlijk overleg plannen"
    assert "Trekker: Anna de Vries (Gemeente Enschede)" in str(late["DESCRIPTION"])
    action = world.actions["late"]
    assert str(late["URL"]) == (
        f"http://localhost/gesprekken/{action.conversation_id}/acties#actie-{action.id}"
    )
    assert SECRET not in calendar.to_ical().decode()


def test_uids_stay_the_same_and_a_closed_action_leaves(client, anonymous_client, world):
    _response, url = subscribe(client, "status=open-alle")
    first = set(events(read_feed(anonymous_client, url)))
    assert set(events(read_feed(anonymous_client, url))) == first
    action = world.actions["soon"]
    action.status = ActionStatus.DONE
    db.session.commit()
    assert set(events(read_feed(anonymous_client, url))) == first - {f"actie-{action.id}@handvat"}


def test_the_feed_uses_its_filters(client, anonymous_client, world):
    _response, url = subscribe(client, "trekker=mijn")
    assert set(events(read_feed(anonymous_client, url))) == {
        f"actie-{world.actions['late'].id}@handvat"
    }
    _response, url = subscribe(client, "termijn=binnenkort", token="tok-2")
    assert set(events(read_feed(anonymous_client, url))) == {
        f"actie-{world.actions['soon'].id}@handvat"
    }


def test_the_feed_follows_the_owners_current_roles(client, anonymous_client, world, tester):
    _response, url = subscribe(client)
    _response, twente_url = subscribe(client, "regio=twente", token="tok-2")
    assert len(events(read_feed(anonymous_client, url))) == 3
    db.session.execute(
        delete(Membership).where(
            Membership.user_id == tester.id, Membership.region_id == world.twente.id
        )
    )
    db.session.commit()
    assert events(read_feed(anonymous_client, url)) == {}
    assert events(read_feed(anonymous_client, twente_url)) == {}


def test_a_member_of_another_region_gets_only_that_region(app, anonymous_client, world):
    other = make_user("berend@achterhoek.test", "Berend", region=world.achterhoek)
    client = app.test_client()
    sign_in(client, other)
    _response, url = subscribe(client, "regio=twente")  # refused on the form: left out
    assert set(events(read_feed(anonymous_client, url))) == {
        f"actie-{world.actions['secret'].id}@handvat"
    }


def test_a_double_submit_makes_one_feed_with_the_same_url(client, world):
    _first, url = subscribe(client, token="same-token")
    second, again = subscribe(client, token="same-token")
    assert again == url
    assert "Dit abonnement was al gemaakt" in second.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(CalendarFeed)) == 1
    _third, other = subscribe(client, token="other-token")
    assert other != url
    _fourth, random_one = subscribe(client, token="")  # no usable token: a random key
    assert random_one not in (url, other)


def test_revoking_makes_the_url_a_404(client, anonymous_client, world):
    _response, url = subscribe(client)
    feed = db.session.scalar(select(CalendarFeed))
    response = client.post("/acties/agenda-abonnementen/intrekken", data={"feed": str(feed.id)})
    assert response.status_code == 302
    assert "is ingetrokken" in client.get(response.location).get_data(as_text=True)
    assert anonymous_client.get(feed_path(url)).status_code == 404
    again = client.post("/acties/agenda-abonnementen/intrekken", data={"feed": str(feed.id)})
    assert "bestaat niet (meer)" in client.get(again.location).get_data(as_text=True)


def test_nobody_revokes_someone_elses_feed(app, client, world):
    _response, _url = subscribe(client)
    feed = db.session.scalar(select(CalendarFeed))
    other = make_user("ander@twente.test", "Ander", region=world.twente)
    other_client = app.test_client()
    sign_in(other_client, other)
    for value in (str(feed.id), "-1", "9" * 40, "abc", ""):
        other_client.post("/acties/agenda-abonnementen/intrekken", data={"feed": value})
    assert db.session.scalar(select(func.count()).select_from(CalendarFeed)) == 1
    assert "Mijn deadlines" not in other_client.get("/acties/agenda-abonnementen").get_data(
        as_text=True
    )


@pytest.mark.parametrize(
    "path",
    [
        "/acties/agenda/" + "a" * 43 + ".ics",
        "/acties/agenda/kort.ics",
        "/acties/agenda/" + "x" * 2000 + ".ics",
        "/acties/agenda/%00.ics",
    ],
)
def test_an_unknown_key_is_a_404(anonymous_client, world, path):
    assert anonymous_client.get(path).status_code == 404


def test_last_read_is_noted_at_most_once_an_hour(client, anonymous_client, world):
    _response, url = subscribe(client)
    feed = db.session.scalar(select(CalendarFeed))
    assert feed.last_read_dt is None
    read_feed(anonymous_client, url)
    db.session.expire_all()
    first = db.session.get(CalendarFeed, feed.id).last_read_dt
    assert first is not None
    read_feed(anonymous_client, url)
    db.session.expire_all()
    assert db.session.get(CalendarFeed, feed.id).last_read_dt == first
    db.session.get(CalendarFeed, feed.id).last_read_dt = utcnow() - timedelta(hours=2)
    db.session.commit()
    read_feed(anonymous_client, url)
    db.session.expire_all()
    assert db.session.get(CalendarFeed, feed.id).last_read_dt > first


def test_the_account_page_lists_the_feeds(client, world):
    subscribe(client, name="Deadlines Twente")
    page = client.get("/account").get_data(as_text=True)
    assert "Agenda-abonnementen" in page and "Deadlines Twente" in page
    assert 'href="/acties/agenda-abonnementen"' in page


def test_a_feed_name_is_required_and_kept_short(client, world):
    response, url = subscribe(client, name="   ")
    assert response.status_code == 422 and url is None
    assert "Geef het abonnement een naam" in response.get_data(as_text=True)
    response, url = subscribe(client, name="x" * 81)
    assert response.status_code == 422 and url is None
    assert "x" * 81 in response.get_data(as_text=True)  # the typed text comes back
