"""Calendar feeds of the action list: made once with a secret URL, read by calendar apps
without a session, showing only what the owner may see now, revocable."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, date, datetime, timedelta
from html import unescape
from urllib.parse import urlsplit

import pytest
from icalendar import Calendar
from icalendar.parser import unescape_backslash
from sqlalchemy import delete, func, select

from app.accounts.models import Membership
from app.actions.models import ActionStatus
from app.core.forms import Outcome
from app.core.models import utcnow
from app.extensions import db
from app.tracking import operations, queries, routes
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


def revoke(client, url: str):
    """Revoke the (active) feed behind ``url`` through its button; the page after it."""
    key = url.rsplit("/", 1)[1].removesuffix(".ics")
    feed = db.session.scalar(
        select(CalendarFeed).where(
            CalendarFeed.key_hash == hashlib.sha256(key.encode()).hexdigest()
        )
    )
    response = client.post("/acties/agenda-abonnementen/intrekken", data={"feed": str(feed.id)})
    assert response.status_code == 302
    return client.get(response.location).get_data(as_text=True)


def test_the_form_sent_again_after_a_revoke_never_brings_the_url_back(
    client, anonymous_client, world
):
    """A leaked URL was revoked; the browser then sends the creation form once more (the back
    button, a reload) within the double-submit window: the old URL stays dead."""
    _first, url = subscribe(client, name="Mijn deadlines", token="form-1")
    read_feed(anonymous_client, url)
    assert "is ingetrokken" in revoke(client, url)
    assert anonymous_client.get(feed_path(url)).status_code == 404

    again, new_url = subscribe(client, name="Mijn deadlines", token="form-1")
    assert again.status_code == 200 and new_url and new_url != url
    assert anonymous_client.get(feed_path(url)).status_code == 404
    read_feed(anonymous_client, new_url)
    html = unescape(again.get_data(as_text=True))
    assert "Nieuw abonnement 'Mijn deadlines' met een nieuwe link" in html
    assert "Het abonnement 'Mijn deadlines' dat u toen maakte, heeft u daarna ingetrokken" in html
    assert "De link van dat abonnement blijft onbruikbaar" in html
    assert "Dit abonnement was al gemaakt" not in html
    # The list shows the new feed only.
    listing = client.get("/acties/agenda-abonnementen").get_data(as_text=True)
    assert "Uw agenda-abonnementen (1)" in listing

    # Revoked too, and the form sent a third time: still never one of the old URLs.
    revoke(client, new_url)
    _third, third_url = subscribe(client, name="Mijn deadlines", token="form-1")
    assert third_url not in (url, new_url)
    for old in (url, new_url):
        assert anonymous_client.get(feed_path(old)).status_code == 404
    read_feed(anonymous_client, third_url)


def test_a_revoke_sent_twice_says_the_feed_is_gone(client, world):
    _response, url = subscribe(client)
    feed_id = db.session.scalar(select(CalendarFeed.id))
    revoke(client, url)
    again = client.post("/acties/agenda-abonnementen/intrekken", data={"feed": str(feed_id)})
    assert "bestaat niet (meer)" in client.get(again.location).get_data(as_text=True)
    assert db.session.get(CalendarFeed, feed_id).revoked_dt is not None


# --- operations --------------------------------------------------------------------------------

T0 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def new_feed(user, name="Feed", *, token=None, now=T0) -> operations.NewFeed:
    result = operations.create_feed(
        user, name, "", submission_token=token, secret="test-secret", now=now
    )
    db.session.commit()
    return result


def test_revoked_feeds_are_not_listed_counted_or_found(app, tester, monkeypatch):
    kept = new_feed(tester, "Blijft")
    gone = new_feed(tester, "Weg")
    assert operations.revoke_feed(tester, gone.feed.id, now=T0) is gone.feed
    db.session.commit()
    assert operations.feeds_of(tester.id) == [kept.feed]
    assert operations.feed_count(tester.id) == 1
    assert operations.feed_for_key(gone.key) is None
    assert operations.feed_for_key(kept.key) is kept.feed
    # A second revoke: "does not exist (any more)", and the revoked date stays the first one.
    assert operations.revoke_feed(tester, gone.feed.id, now=T0 + timedelta(minutes=1)) is None
    db.session.expire_all()
    assert db.session.get(CalendarFeed, gone.feed.id).revoked_dt is not None
    # Only working feeds count towards the maximum.
    monkeypatch.setattr(operations, "MAX_FEEDS_PER_USER", 2)
    new_feed(tester, "Tweede")
    with pytest.raises(operations.TooManyFeeds):
        new_feed(tester, "Derde")


def test_the_account_page_leaves_revoked_feeds_out(client, world):
    _response, url = subscribe(client, name="Ingetrokken deadlines")
    subscribe(client, name="Werkende deadlines", token="tok-2")
    revoke(client, url)
    page = client.get("/account").get_data(as_text=True)
    assert "Werkende deadlines" in page and "Ingetrokken deadlines" not in page
    assert "U heeft 1 abonnement op" in page


def test_a_double_submit_without_a_revoke_finds_the_same_feed(app, tester):
    first = new_feed(tester, token="form-1")
    assert first.outcome is Outcome.SAVED
    again = new_feed(tester, token="form-1", now=T0 + timedelta(seconds=30))
    assert (again.feed, again.key, again.outcome) == (first.feed, first.key, Outcome.ALREADY_SAVED)
    assert again.earlier is None
    assert operations.feed_count(tester.id) == 1


@pytest.mark.parametrize("later", [timedelta(seconds=30), timedelta(seconds=120)])
def test_a_form_sent_again_after_a_revoke_makes_a_feed_with_a_random_key(app, tester, later):
    """Also when the second submit falls in the next window (the previous window's key): the
    form is first sent a minute before a window ends."""
    start = datetime(2026, 11, 24, 10, 0, 0, tzinfo=UTC) - timedelta(seconds=60)
    first = new_feed(tester, "Eerste", token="form-1", now=start)
    operations.revoke_feed(tester, first.feed.id, now=start + timedelta(seconds=10))
    db.session.commit()
    again = new_feed(tester, "Eerste", token="form-1", now=start + later)
    assert again.outcome is Outcome.SAVED_AS_NEW and again.earlier is first.feed
    assert again.feed is not first.feed and again.key != first.key
    candidates = operations._candidate_keys("test-secret", tester.id, "form-1", start + later)
    assert again.key not in candidates  # random, not derived from the form
    assert operations.feed_for_key(first.key) is None
    assert operations.feed_for_key(again.key) is again.feed
    assert operations.feeds_of(tester.id) == [again.feed]


def test_old_revoked_feeds_are_deleted_on_a_later_revoke(app, tester):
    other = make_user("ander@handvat.test", "Ander")
    old = new_feed(tester, "Oud")
    recent = new_feed(tester, "Recent")
    last = new_feed(tester, "Laatste")
    active = new_feed(tester, "Actief")
    others_old = new_feed(other, "Van een ander")
    long_ago = T0 - operations.REVOKED_KEPT - timedelta(seconds=1)
    operations.revoke_feed(tester, old.feed.id, now=long_ago)
    operations.revoke_feed(other, others_old.feed.id, now=long_ago)
    operations.revoke_feed(tester, recent.feed.id, now=T0 - timedelta(minutes=5))
    db.session.commit()
    ids = {f.id for f in (old.feed, recent.feed, last.feed, active.feed, others_old.feed)}
    # Rows loaded in the session (naive datetimes on SQLite) do not trip the delete.
    db.session.expire_all()
    assert len(list(db.session.scalars(select(CalendarFeed).where(CalendarFeed.id.in_(ids))))) == 5

    operations.revoke_feed(tester, last.feed.id, now=T0)
    db.session.commit()
    db.session.expire_all()
    left = set(db.session.scalars(select(CalendarFeed.id).where(CalendarFeed.id.in_(ids))))
    # The tester's long-revoked feed is gone; the recently revoked ones stay (still revoked),
    # and someone else's rows wait for their own next revoke.
    assert left == ids - {old.feed.id}
    assert db.session.get(CalendarFeed, recent.feed.id).revoked_dt is not None
    assert db.session.get(CalendarFeed, active.feed.id).revoked_dt is None


@pytest.mark.parametrize("offset", [0, 1, 299, 599])
def test_a_revoked_row_is_kept_as_long_as_its_key_can_be_derived(app, tester, offset):
    """Deleting the row after ``REVOKED_KEPT`` is safe: by then the same form derives other
    keys, so a submit makes a plain new feed and the old URL stays dead."""
    window_start = datetime(2026, 11, 24, 10, 0, 0, tzinfo=UTC)
    made = window_start + timedelta(seconds=offset)
    first = new_feed(tester, token="form-1", now=made)
    # Revoked at once, then deleted as soon as the rule allows.
    operations.revoke_feed(tester, first.feed.id, now=made)
    purge_at = made + operations.REVOKED_KEPT + timedelta(microseconds=1)
    operations.revoke_feed(tester, 0, now=purge_at)
    db.session.commit()
    assert db.session.get(CalendarFeed, first.feed.id) is None
    assert first.key not in operations._candidate_keys("test-secret", tester.id, "form-1", purge_at)
    again = new_feed(tester, token="form-1", now=purge_at)
    assert again.outcome is Outcome.SAVED and again.key != first.key
    assert operations.feed_for_key(first.key) is None


# --- the ends of the calendar and odd names -----------------------------------------------------


def test_an_action_due_on_the_last_day_there_is_does_not_break_the_feed(
    client, anonymous_client, world, make_action
):
    """31-12-9999 has no next day: its event has no DTEND (one day, RFC 5545 3.6.1); the other
    events keep theirs, and 01-01-1900 needs no day before it."""
    last = make_action(world.conversation, "Tot het einde der tijden", due_date=date.max)
    first = make_action(world.conversation, "Lang geleden", due_date=date(1900, 1, 1))
    _response, url = subscribe(client, "status=open-alle")
    found = events(read_feed(anonymous_client, url))
    event = found[f"actie-{last.id}@handvat"]
    assert event.decoded("DTSTART") == date(9999, 12, 31)
    assert "DTEND" not in event and "DURATION" not in event
    assert "Klaar op: 31-12-9999" in str(event["DESCRIPTION"])
    early = found[f"actie-{first.id}@handvat"]
    assert (early.decoded("DTSTART"), early.decoded("DTEND")) == (
        date(1900, 1, 1),
        date(1900, 1, 2),
    )
    late = found[f"actie-{world.actions['late'].id}@handvat"]
    assert late.decoded("DTEND") - late.decoded("DTSTART") == timedelta(days=1)


def test_the_feed_is_text_calendar_with_one_charset(client, anonymous_client, world):
    _response, url = subscribe(client)
    response = anonymous_client.get(feed_path(url))
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"


def test_the_feed_name_is_escaped_as_text(client, anonymous_client, world):
    name = "Stress ; , \\ test"
    _response, url = subscribe(client, name=name)
    data = anonymous_client.get(feed_path(url)).data
    assert b"\r\nX-WR-CALNAME:Stress \\; \\, \\\\ test\r\n" in data
    # icalendar keeps an X- property as it was written; read as TEXT it is the name as typed.
    assert unescape_backslash(str(Calendar.from_ical(data)["X-WR-CALNAME"])) == name


def test_due_soon_near_the_last_day_there_is(
    client, anonymous_client, world, make_action, monkeypatch
):
    """Seen from 25-12-9999, "binnenkort" ends on 31-12-9999 (there is no later day to add)."""
    last = make_action(world.conversation, "Tot het einde der tijden", due_date=date.max)
    _response, url = subscribe(client, "termijn=binnenkort")
    monkeypatch.setattr(routes, "local_today", lambda: date(9999, 12, 25))
    assert set(events(read_feed(anonymous_client, url))) == {f"actie-{last.id}@handvat"}
    page = client.get("/acties?termijn=binnenkort")
    assert page.status_code == 200 and "Tot het einde der tijden" in page.get_data(as_text=True)
    assert client.get("/acties").status_code == 200
    assert queries.due_soon_horizon(date.max) == date.max
    assert queries.due_soon_horizon(date(2026, 1, 1)) == date(2026, 1, 15)
