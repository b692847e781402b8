"""A live workshop against someone who has only the join code: filling the room, probing codes.

The facilitator removes a participant (and lets them back in) in one step; one client address
cannot fill a workshop; a code that cannot be joined answers the same whether it exists or not.
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from app import create_app
from app.audit.models import AuditEvent
from app.conversations.operations import select_questions
from app.extensions import db
from app.workshops import operations as ops
from app.workshops.models import (
    Contribution,
    Dot,
    Workshop,
    WorkshopParticipant,
)
from app.workshops.participation import JOIN_LIMIT_PER_CLIENT_AND_CODE, cookie_name

from .conftest import BASE_TEST_CONFIG, _empty_all_tables

QUESTION = "verkennen-regie"


def text_of(response) -> str:
    return " ".join(response.get_data(as_text=True).split())


def words_of(response) -> str:
    """The text a reader sees, without the tags."""
    return " ".join(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)).split())


@pytest.fixture
def workshop(make_workshop):
    return make_workshop([QUESTION])


def _phone(app, workshop):
    """A phone that joined: its client and its participant."""
    phone = app.test_client()
    assert phone.post("/w", data={"code": workshop.join_code}).status_code == 303
    participant = db.session.scalars(
        sa.select(WorkshopParticipant).order_by(WorkshopParticipant.id.desc())
    ).first()
    return phone, participant


def _write(phone, workshop, text, token):
    return phone.post(
        f"/w/{workshop.join_code}/bijdragen",
        data={"question_id": QUESTION, "kind": "idee", "text": text, "creation_token": token},
    )


def _contribution(text) -> Contribution:
    return db.session.scalars(sa.select(Contribution).where(Contribution.text == text)).one()


def _fresh(workshop) -> Workshop:
    db.session.expire_all()
    return db.session.get(Workshop, workshop.id)


# --- removing a participant --------------------------------------------------------------------


def test_the_facilitator_removes_a_participant_in_one_step_and_can_undo_it(app, client, workshop):
    anna, anna_row = _phone(app, workshop)
    bob, bob_row = _phone(app, workshop)
    carl, _ = _phone(app, workshop)
    _write(anna, workshop, "Eén loket voor school en zorg", "a1")
    _write(bob, workshop, "Koop nu goedkope horloges", "b1")
    _write(bob, workshop, "Nog meer reclame", "b2")
    good, spam = _contribution("Eén loket voor school en zorg"), _contribution("Nog meer reclame")
    stand = f"/w/{workshop.join_code}/stippen"
    dot = {"had": "0", "change": "erbij"}
    assert bob.post(stand, data={"contribution_id": str(good.id), **dot}).status_code == 303
    assert carl.post(stand, data={"contribution_id": str(spam.id), **dot}).status_code == 303
    bob.post(
        f"/w/{workshop.join_code}/schaal",
        data={"question_id": QUESTION, "assessment_id": "well_arranged"},
    )
    assert _fresh(workshop).participant_count == 3

    control = client.get(f"/workshops/{workshop.id}?vraag={QUESTION}").get_data(as_text=True)
    page_url = f"/workshops/{workshop.id}/bijdragen/{spam.id}"
    assert f'href="{page_url}#deelnemer">Deelnemer {bob_row.number} verwijderen…' in control
    page = text_of(client.get(page_url))
    assert f"Deelnemer {bob_row.number} stuurde 2 bijdragen, zette 1 stip" in page
    assert f"Ja, ik wil deelnemer {bob_row.number} verwijderen" in page

    form = {"participant_id": str(bob_row.id), "contribution_id": str(spam.id)}
    url = f"/workshops/{workshop.id}/deelnemer-verwijderen"
    unconfirmed = client.post(url, data=form)
    assert unconfirmed.status_code == 303
    assert "Vink eerst aan" in text_of(client.get(unconfirmed.location))
    assert db.session.get(WorkshopParticipant, bob_row.id).removed_dt is None

    removed = client.post(url, data=form | {"confirm": "ja"})
    assert removed.status_code == 303 and removed.location.endswith(f"{page_url}#deelnemer")
    said = text_of(client.get(removed.location))
    assert f"Deelnemer {bob_row.number} is verwijderd" in said
    assert "2 bijdragen zijn verborgen" in said and "1 stip van anderen" in said
    assert f"Deelnemer {bob_row.number} weer toelaten" in said
    workshop = _fresh(workshop)
    assert workshop.participant_count == 2  # the seat is free again
    # Carl's dot on the spam went back to him; Bob's own rows stay, for the undo.
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Dot)) == 1
    assert db.session.scalars(sa.select(AuditEvent)).all()[-1].changes == [
        {"field": f"Deelnemer {bob_row.number}", "before": "doet mee", "after": "verwijderd"}
    ]

    # Nowhere to be seen, and nothing of his counts: not his dot, not his choice.
    ops.set_results_visible(workshop, True)
    db.session.commit()
    projector = words_of(client.get(f"/workshops/{workshop.id}/projectie/inhoud"))
    assert "horloges" not in projector and "reclame" not in projector
    assert "Eén loket voor school en zorg 0 stippen" in projector
    assert "Hoe de zaal het ziet: 0 antwoorden" in projector
    phone_page = text_of(anna.get(f"/w/{workshop.join_code}"))
    assert "horloges" not in phone_page and "Eén loket" in phone_page
    control = text_of(client.get(f"/workshops/{workshop.id}/inhoud?vraag={QUESTION}&verborgen=1"))
    assert f"deelnemer {bob_row.number} is verwijderd" in control
    assert "Bijdragen (1)" in control and "Verborgen (2)" in control
    results = text_of(client.get(f"/workshops/{workshop.id}/resultaten"))
    assert "horloges" not in results

    # Bob's phone is out, also to join again with the same cookie; what he typed comes back.
    out = bob.get(f"/w/{workshop.join_code}")
    assert out.status_code == 403 and "heeft u uit deze workshop gehaald" in text_of(out)
    again = bob.post("/w", data={"code": workshop.join_code})
    assert again.status_code == 403 and "heeft u uit deze workshop gehaald" in text_of(again)
    refused = _write(bob, workshop, "Nog een keer reclame", "b3")
    assert refused.status_code == 403 and "Nog een keer reclame" in text_of(refused)
    assert bob.get(f"/w/{workshop.join_code}/inhoud").status_code == 403  # the script reloads
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WorkshopParticipant)) == 3
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Contribution)) == 3

    # Undone: everything of his counts again; removing twice or letting in twice is harmless.
    back = client.post(f"/workshops/{workshop.id}/deelnemer-toelaten", data=form)
    assert back.status_code == 303
    assert f"Deelnemer {bob_row.number} doet weer mee" in text_of(client.get(back.location))
    assert _fresh(workshop).participant_count == 3
    projector = words_of(client.get(f"/workshops/{workshop.id}/projectie/inhoud"))
    assert "horloges" in projector and "Eén loket voor school en zorg 1 stip" in projector
    assert bob.get(f"/w/{workshop.join_code}").status_code == 200
    again = client.post(f"/workshops/{workshop.id}/deelnemer-toelaten", data=form)
    assert "deed al mee" in text_of(client.get(again.location))
    client.post(url, data=form | {"confirm": "ja"})
    twice = client.post(url, data=form | {"confirm": "ja"})
    assert "was al verwijderd" in text_of(client.get(twice.location))
    assert _fresh(workshop).participant_count == 2


def test_a_new_participant_never_gets_the_number_of_a_removed_one(app, client, workshop):
    first, first_row = _phone(app, workshop)
    ops.remove_participant(workshop, first_row.id)
    db.session.commit()
    _, second_row = _phone(app, workshop)
    assert second_row.number == first_row.number + 1
    assert _fresh(workshop).participant_count == 1


def test_removing_someone_of_another_workshop_is_a_bad_request(
    app, client, workshop, make_conversation, tester
):
    other_conversation = make_conversation(title="Ander overleg")
    select_questions(other_conversation, [QUESTION])
    other = ops.open_workshop(other_conversation, tester, ops.WorkshopSettings())
    stranger, _ = ops.join(other)
    db.session.commit()
    for data in (
        {"participant_id": str(stranger.id), "confirm": "ja"},
        {"participant_id": "x", "confirm": "ja"},
        {"participant_id": "", "confirm": "ja"},
    ):
        response = client.post(f"/workshops/{workshop.id}/deelnemer-verwijderen", data=data)
        assert response.status_code == 400, data
    assert db.session.get(WorkshopParticipant, stranger.id).removed_dt is None


# --- one client cannot fill the room -------------------------------------------------------------


@pytest.fixture
def limited_app(database_url):
    """Rate limits on, as in production (with their defaults)."""
    app = create_app(
        {
            **BASE_TEST_CONFIG,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_STORAGE_URI": "memory://",
        }
    )
    with app.app_context():
        yield app
        db.session.remove()
        _empty_all_tables()
        db.engine.dispose()


def _limited_workshop(title="Overleg"):
    from datetime import date

    from app.conversations.models import OrganisationType
    from app.conversations.operations import (
        ConversationDetails,
        ParticipantData,
        start_conversation,
    )
    from app.regions.operations import ensure_region

    region = ensure_region("Twente", ["Enschede"])
    conversation = start_conversation(
        ConversationDetails(title, region, date(2026, 10, 8), "verkennen"),
        [ParticipantData("Anna", "Gemeente", OrganisationType.MUNICIPALITY, "Wethouder")],
    ).conversation
    select_questions(conversation, [QUESTION])
    workshop = ops.open_workshop(conversation, None, ops.WorkshopSettings())
    db.session.commit()
    return workshop


def _join_dropping_the_cookie(client, workshop) -> int:
    status = client.post("/w", data={"code": workshop.join_code}).status_code
    client.delete_cookie(cookie_name(workshop.join_code), path="/w")
    return status


def test_one_client_cannot_fill_a_workshop_but_a_class_behind_one_address_joins(limited_app):
    """The audit joined 118 participants in 1.9 s from one client by dropping the cookie after
    each join, and filled 300 seats in under 3 minutes. A class of 30 real phones behind one
    school address still joins; the one client gets 40 seats a minute and 80 in all."""
    assert JOIN_LIMIT_PER_CLIENT_AND_CODE == "40 per minute;80 per 12 hours"
    workshop = _limited_workshop()
    phones = [limited_app.test_client() for _ in range(30)]
    assert [
        phone.post("/w", data={"code": workshop.join_code}).status_code for phone in phones
    ] == [303] * 30
    # Joining again with the cookie, a wrong code or a typo: no seat, so it does not count.
    for phone in phones[:5]:
        assert phone.post("/w", data={"code": workshop.join_code}).status_code == 303
    assert phones[0].post("/w", data={"code": "AAAAAA"}).status_code == 404

    flooder = limited_app.test_client()
    statuses = [_join_dropping_the_cookie(flooder, workshop) for _ in range(15)]
    assert statuses == [303] * 10 + [429] * 5
    assert _fresh(workshop).participant_count == 40
    # Another workshop counts apart.
    other = _limited_workshop("Ander overleg")
    assert _join_dropping_the_cookie(flooder, other) == 303


def test_the_limit_per_client_and_workshop_can_be_set(limited_app):
    limited_app.config["WORKSHOP_JOIN_LIMIT_PER_CLIENT_AND_CODE"] = "2 per minute"
    workshop = _limited_workshop()
    client = limited_app.test_client()
    statuses = [_join_dropping_the_cookie(client, workshop) for _ in range(3)]
    assert statuses == [303, 303, 429]
    page = client.post("/w", data={"code": workshop.join_code})
    assert page.status_code == 429


def test_a_removed_participant_keeps_the_seats_count_right_under_the_cap(app, workshop):
    ops.change_settings(workshop, ops.WorkshopSettings(participant_cap=2))
    db.session.commit()
    _, first = _phone(app, workshop)
    _phone(app, workshop)
    full = app.test_client().post("/w", data={"code": workshop.join_code})
    assert full.status_code == 409 and "Deze workshop is vol" in text_of(full)
    ops.remove_participant(workshop, first.id)
    db.session.commit()
    assert app.test_client().post("/w", data={"code": workshop.join_code}).status_code == 303
    assert _fresh(workshop).participant_count == 2
    # Letting the removed one back in goes past the cap: the facilitator chose it.
    ops.readmit_participant(workshop, first.id)
    db.session.commit()
    assert _fresh(workshop).participant_count == 3


# --- probing codes -------------------------------------------------------------------------------


def _same(response, code) -> tuple[int, str]:
    """A refusal as someone probing codes sees it: the status and the page, without the code
    they typed themselves and without the form's tokens."""
    html = response.get_data(as_text=True).replace(code, "CODE").replace(code.lower(), "CODE")
    html = re.sub(r'name="csrf_token" value="[^"]*"', "", html)
    return response.status_code, html


@pytest.fixture
def codes(app, make_conversation, tester):
    """Four codes nobody can join now, for four reasons, and one that admits people."""
    from datetime import timedelta

    from app.core.models import utcnow

    conversation = make_conversation()
    select_questions(conversation, [QUESTION])
    closed, expired, off, open_ = (
        ops.open_workshop(conversation, tester, ops.WorkshopSettings()) for _ in range(4)
    )
    ops.close_workshop(closed)
    expired.expires_dt = utcnow() - timedelta(minutes=1)
    ops.set_joining(off, False)
    db.session.commit()
    return {
        "unknown": "AAAAAA",
        "closed": closed.join_code,
        "expired": expired.join_code,
        "joining off": off.join_code,
        "open": open_.join_code,
    }


def test_a_code_that_cannot_be_joined_answers_the_same_whatever_the_reason(app, codes):
    """The audit told a made-up code (404), a closed one (410), one with joining off (403)
    and an open one (200) apart, on the poll without having joined: {"contributions": 551,
    "open": true} for a real code."""
    refusing = {reason: code for reason, code in codes.items() if reason != "open"}
    for ask in (
        lambda c, code: c.get(f"/w/{code}"),
        lambda c, code: c.get("/w", query_string={"code": code}),
        lambda c, code: c.post("/w", data={"code": code}),
        lambda c, code: c.post(
            f"/w/{code}/bijdragen",
            data={"question_id": QUESTION, "kind": "idee", "text": "Mijn tekst"},
        ),
    ):
        answers = {
            reason: _same(ask(app.test_client(), code), code) for reason, code in refusing.items()
        }
        assert len(set(answers.values())) == 1, {r: a[0] for r, a in answers.items()}
        status, page = answers["unknown"]
        assert status == 404
        assert (
            "Met deze code kunt u nu niet meedoen: de workshop bestaat niet, is afgelopen" in page
        )
    kept = app.test_client().post(
        f"/w/{codes['closed']}/bijdragen", data={"question_id": QUESTION, "text": "Mijn tekst"}
    )
    assert "Mijn tekst" in text_of(kept)  # nothing typed is lost
    # The poll: the same 404 for every code, the open one too, for anyone who has not joined.
    polls = {
        reason: (r.status_code, r.get_data(as_text=True), r.headers.get("ETag"))
        for reason, code in codes.items()
        for r in [app.test_client().get(f"/w/{code}/stand")]
    }
    assert len(set(polls.values())) == 1 and polls["open"][0] == 404
    assert "contributions" not in polls["open"][1] and polls["open"][2] is None


def test_the_poll_answers_a_participant_only(app, workshop, codes):
    phone, _ = _phone(app, workshop)
    own = phone.get(f"/w/{workshop.join_code}/stand")
    assert own.status_code == 200 and own.get_json()["open"] is True
    # The cookie of this workshop sent under another code's name is no participant there.
    cookie = phone.get_cookie(cookie_name(workshop.join_code), path="/w")
    phone.set_cookie(cookie_name(codes["open"]), cookie.value, path="/w")
    assert phone.get(f"/w/{codes['open']}/stand").status_code == 404
    phone.set_cookie(cookie_name(codes["open"]), "rommel", path="/w")
    assert phone.get(f"/w/{codes['open']}/stand").status_code == 404


def test_a_participant_whose_workshop_ended_is_told_so(app, workshop):
    phone, _ = _phone(app, workshop)
    ops.close_workshop(_fresh(workshop))
    db.session.commit()
    code = workshop.join_code
    page = phone.get(f"/w/{code}")
    assert page.status_code == 200 and "De workshop is afgelopen" in text_of(page)
    for response in (
        phone.get("/w", query_string={"code": code.lower()}),
        phone.post("/w", data={"code": code}),
    ):
        assert response.status_code == 303 and response.location == f"/w/{code}"
    assert phone.get(f"/w/{code}/stand").get_json()["open"] is False
    # Someone who never joined gets the refusal that says nothing.
    assert app.test_client().get(f"/w/{code}").status_code == 404


def test_the_cookie_outlives_the_workshop_by_a_day(app, workshop):
    response = app.test_client().post("/w", data={"code": workshop.join_code})
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if "handvat_deelname_" in h)
    max_age = int(re.search(r"Max-Age=(\d+)", cookie).group(1))
    assert 12 * 3600 + 23 * 3600 < max_age <= 12 * 3600 + 24 * 3600


def test_looking_codes_up_is_limited_per_client_but_not_for_participants(limited_app):
    limited_app.config["WORKSHOP_LOOKUP_LIMIT_PER_CLIENT"] = "5 per minute"
    workshop = _limited_workshop()
    phone = limited_app.test_client()
    assert phone.post("/w", data={"code": workshop.join_code}).status_code == 303
    prober = limited_app.test_client()
    statuses = [prober.get(f"/w/{code}/stand").status_code for code in ("AAAAAA", "CCCCCC") * 3]
    assert statuses == [404] * 5 + [429]
    for path in (f"/w/{workshop.join_code}", f"/w?code={workshop.join_code}", "/w/DDDDDD"):
        assert prober.get(path).status_code == 429, path
    assert prober.get("/w").status_code == 200  # the empty form looks nothing up
    # The phone that joined, at the same address, polls on.
    for _ in range(10):
        assert phone.get(f"/w/{workshop.join_code}/stand").status_code == 200
    assert phone.get(f"/w/{workshop.join_code}").status_code == 200


# --- too many requests ---------------------------------------------------------------------------


def test_a_phone_that_sends_too_much_gets_its_own_page_with_the_text_kept(limited_app):
    """The audit's phone without JavaScript got the app's 429 page with 'Naar inloggen', and
    the typed text was gone."""
    limited_app.config["WORKSHOP_POST_LIMIT_PER_PARTICIPANT"] = "2 per minute"
    limited_app.config["WORKSHOP_JOIN_LIMIT_PER_CLIENT"] = "1 per minute"
    workshop = _limited_workshop()
    ops.open_questions(workshop, [QUESTION])
    db.session.commit()
    phone = limited_app.test_client()
    assert phone.post("/w", data={"code": workshop.join_code}).status_code == 303
    for n in range(2):
        assert _write(phone, workshop, f"Idee {n}", f"t{n}").status_code == 303
    refused = _write(phone, workshop, "Mijn lange, zorgvuldig getypte tekst", "t9")
    assert refused.status_code == 429 and refused.headers["Retry-After"]
    html = refused.get_data(as_text=True)
    assert "U heeft veel tegelijk gestuurd" in html and "Uw tekst staat nog in het vak" in html
    assert re.search(r"<textarea[^>]*>Mijn lange, zorgvuldig getypte tekst</textarea>", html)
    assert "Naar inloggen" not in html and 'id="live"' in html
    # The phone's script gets the live part, to swap in with the text in its field.
    live = phone.post(
        f"/w/{workshop.join_code}/bijdragen",
        data={
            "question_id": QUESTION,
            "kind": "idee",
            "text": "Via het script",
            "creation_token": "t8",
        },
        headers={"X-Handvat-Live": "1"},
    )
    assert live.status_code == 429 and "Via het script</textarea>" in live.get_data(as_text=True)
    dot = phone.post(
        f"/w/{workshop.join_code}/stippen",
        data={"contribution_id": str(_contribution("Idee 0").id), "had": "0", "change": "erbij"},
    )
    assert dot.status_code == 429 and "U heeft veel tegelijk gestuurd" in text_of(dot)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Contribution)) == 2
    # Joining too often from one address: the join form again, with the code in it.
    other = limited_app.test_client()
    joining = other.post("/w", data={"code": workshop.join_code.lower()})
    assert joining.status_code == 429
    page = joining.get_data(as_text=True)
    assert "Wacht even en probeer het dan opnieuw" in page and "Naar inloggen" not in page
    assert f'value="{workshop.join_code.lower()}"' in page
