"""The participant's phone: joining with the code, the phone page, the scale, contributions,
dots, the poll, and what happens to a wrong code, a full room, a copied cookie or a stale form."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app import create_app
from app.conversations.operations import select_questions
from app.core.models import utcnow
from app.extensions import db
from app.workshops import operations as ops
from app.workshops.models import Contribution, Dot, RoomAssessment, WorkshopParticipant
from app.workshops.participation import COOKIE_PREFIX, cookie_name

from .conftest import BASE_TEST_CONFIG, _empty_all_tables

QUESTION = "verkennen-regie"
OTHER_QUESTION = "verkennen-populatie"
NOT_POSSIBLE = "Met deze code kunt u nu niet meedoen: de workshop bestaat niet, is afgelopen of"


@pytest.fixture
def workshop(make_workshop):
    return make_workshop([QUESTION, OTHER_QUESTION])


def _join(client, workshop, **fields):
    return client.post("/w", data={"code": workshop.join_code, **fields})


@pytest.fixture
def phone(anonymous_client, workshop):
    """A phone that joined the workshop."""
    response = _join(anonymous_client, workshop)
    assert response.status_code == 303
    return anonymous_client


def _page(client, workshop) -> str:
    response = client.get(f"/w/{workshop.join_code}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _contribute(client, workshop, text="Eén loket voor school en zorg", **fields):
    data = {
        "question_id": QUESTION,
        "kind": "idee",
        "text": text,
        "creation_token": "token-1",
    } | fields
    return client.post(f"/w/{workshop.join_code}/bijdragen", data=data)


def _dot(client, workshop, contribution_id, had=0, change="erbij"):
    return client.post(
        f"/w/{workshop.join_code}/stippen",
        data={"contribution_id": str(contribution_id), "had": str(had), "change": change},
    )


def _count(model, *where) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def _room_contribution(workshop, text, question_id=QUESTION):
    """A contribution of another participant in the room."""
    participant, _ = ops.join(workshop)
    contribution = ops.contribute(
        workshop, participant, question_id, ops.ContributionKind.IDEA, text
    )
    db.session.commit()
    return contribution


# --- joining -----------------------------------------------------------------------------------


def test_typing_the_code_again_after_joining_is_the_same_participant(anonymous_client, workshop):
    assert anonymous_client.post("/w", data={"code": workshop.join_code}).status_code == 303
    again = anonymous_client.post("/w", data={"code": workshop.join_code.lower()})
    assert (again.status_code, again.location) == (303, f"/w/{workshop.join_code}")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WorkshopParticipant)) == 1


def test_joining_by_code_typed_in_lower_case_with_a_space(anonymous_client, workshop):
    code = workshop.join_code
    response = anonymous_client.post("/w", data={"code": f" {code[:3].lower()} {code[3:]} "})
    assert response.status_code == 303
    assert response.location == f"/w/{code}"
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if COOKIE_PREFIX in h)
    assert f"{cookie_name(code)}=" in cookie and "Path=/w;" in cookie
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Max-Age=" in cookie
    assert "Secure" not in cookie
    participant = db.session.scalars(sa.select(WorkshopParticipant)).one()
    assert participant.first_name == "" and participant.workshop_id == workshop.id

    page = _page(anonymous_client, workshop)
    assert "Workshop: Bestuurlijk overleg mbo" in page
    assert "U doet mee" in page and "Wie voert de regie?" in page
    # Nothing of the conversation beyond the question: not its participants.
    assert "Anna de Vries" not in page and "Gemeente Enschede" not in page


def test_the_link_of_the_qr_code_shows_the_join_form_with_the_code(anonymous_client, workshop):
    code = workshop.join_code
    response = anonymous_client.get(f"/w/{code.lower()}")
    assert response.status_code == 302 and response.location == f"/w/{code}"
    page = _page(anonymous_client, workshop)
    assert 'action="/w"' in page and f'value="{code}"' in page
    assert 'name="first_name"' not in page  # anonymous: no name asked
    assert "Wie voert de regie?" not in page  # not joined yet
    prefilled = anonymous_client.get(f"/w?code={code.lower()}").get_data(as_text=True)
    assert f'value="{code}"' in prefilled


def test_a_wrong_code_gets_a_clear_dutch_message(anonymous_client, workshop):
    response = anonymous_client.post("/w", data={"code": "AAAAAA"})
    assert response.status_code == 404
    assert NOT_POSSIBLE in response.get_data(as_text=True)
    assert anonymous_client.get("/w/AAAAAA").status_code == 404
    assert NOT_POSSIBLE in anonymous_client.get("/w?code=AAAAAA").get_data(as_text=True)
    empty = anonymous_client.post("/w", data={"code": "  "})
    assert empty.status_code == 422
    assert "Vul de code in" in empty.get_data(as_text=True)
    assert _count(WorkshopParticipant) == 0


def test_a_closed_code_admits_nobody(anonymous_client, workshop):
    ops.close_workshop(workshop)
    db.session.commit()
    response = _join(anonymous_client, workshop)
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert NOT_POSSIBLE in page and "Bestuurlijk overleg mbo" not in page
    assert anonymous_client.get(f"/w/{workshop.join_code}").status_code == 404
    assert _count(WorkshopParticipant) == 0


def test_an_expired_code_admits_nobody(anonymous_client, workshop):
    workshop.expires_dt = utcnow() - timedelta(minutes=1)
    db.session.commit()
    response = _join(anonymous_client, workshop)
    assert response.status_code == 404
    assert NOT_POSSIBLE in response.get_data(as_text=True)
    assert _count(WorkshopParticipant) == 0


def test_joining_switched_off_says_so_as_any_code_that_cannot_be_joined(anonymous_client, workshop):
    ops.set_joining(workshop, False)
    db.session.commit()
    response = _join(anonymous_client, workshop)
    assert response.status_code == 404
    assert NOT_POSSIBLE in response.get_data(as_text=True)


def test_a_full_room_admits_nobody_more(app, workshop):
    ops.change_settings(workshop, ops.WorkshopSettings(participant_cap=1))
    db.session.commit()
    assert _join(app.test_client(), workshop).status_code == 303
    response = _join(app.test_client(), workshop)
    assert response.status_code == 409
    assert "Deze workshop is vol" in response.get_data(as_text=True)
    assert _count(WorkshopParticipant) == 1


def test_a_named_workshop_asks_for_an_optional_first_name(anonymous_client, workshop):
    ops.change_settings(workshop, ops.WorkshopSettings(anonymous=False))
    db.session.commit()
    page = anonymous_client.get(f"/w/{workshop.join_code}").get_data(as_text=True)
    assert 'name="first_name"' in page and "uw voornaam bij wat u schrijft" in page
    # Typed on /w (no name field there): the name is asked first, nobody joined yet.
    asked = _join(anonymous_client, workshop)
    assert asked.status_code == 200 and 'name="first_name"' in asked.get_data(as_text=True)
    assert _count(WorkshopParticipant) == 0
    assert _join(anonymous_client, workshop, first_name="Fatima").status_code == 303
    _contribute(anonymous_client, workshop)
    assert db.session.scalars(sa.select(Contribution)).one().author_name == "Fatima"
    assert "Fatima" in _page(anonymous_client, workshop)


def test_the_setting_as_it_is_now_decides_whether_names_show(
    app, anonymous_client, client, workshop
):
    """The audit switched to 'Anoniem' halfway: earlier contributions kept their first names on
    the phones, the control page and the projector."""
    ops.change_settings(workshop, ops.WorkshopSettings(anonymous=False))
    db.session.commit()
    assert _join(anonymous_client, workshop, first_name="Fatima").status_code == 303
    _contribute(anonymous_client, workshop, text="Eén loket")
    contribution = db.session.scalars(sa.select(Contribution)).one()
    ops.set_results_visible(workshop, True)
    db.session.commit()
    views = {
        "phone": lambda: anonymous_client.get(f"/w/{workshop.join_code}"),
        "control": lambda: client.get(f"/workshops/{workshop.id}/inhoud?vraag={QUESTION}"),
        "projector": lambda: client.get(f"/workshops/{workshop.id}/projectie/inhoud"),
        "contribution": lambda: client.get(f"/workshops/{workshop.id}/bijdragen/{contribution.id}"),
    }
    assert {name: "Fatima" in view().get_data(as_text=True) for name, view in views.items()} == (
        dict.fromkeys(views, True)
    )
    client.post(
        f"/workshops/{workshop.id}/instellingen",
        data={
            "anonymous": "ja",
            "dots_per_participant": "3",
            "dots_per_item": "1",
            "participant_cap": "300",
        },
    )
    assert {name: "Fatima" in view().get_data(as_text=True) for name, view in views.items()} == (
        dict.fromkeys(views, False)
    )
    # The results and the raw input never name anyone, whatever the setting.
    ops.change_settings(
        db.session.get(type(workshop), workshop.id), ops.WorkshopSettings(anonymous=False)
    )
    db.session.commit()
    assert "Fatima" in views["projector"]().get_data(as_text=True)
    for path in ("resultaten", "invoer.csv"):
        response = client.get(f"/workshops/{workshop.id}/{path}")
        assert response.status_code == 200 and "Fatima" not in response.get_data(as_text=True)


def test_an_anonymous_workshop_stores_no_name(anonymous_client, workshop):
    assert _join(anonymous_client, workshop, first_name="Fatima").status_code == 303
    assert db.session.scalars(sa.select(WorkshopParticipant)).one().first_name == ""


# --- the phone page ----------------------------------------------------------------------------


def test_the_phone_shows_the_open_questions_current_first_with_follow_ups_and_guidance(
    phone, workshop
):
    ops.open_questions(workshop, [OTHER_QUESTION])  # now the current one
    db.session.commit()
    page = _page(phone, workshop)
    assert page.index("Heeft u uw populatie mbo-studenten goed in beeld?") < page.index(
        "Wie voert de regie?"
    )
    assert "Waar komen ze vandaan? In welke gemeente wonen zij?" in page
    assert "Handvat bij deze vraag" in page and "De regionale verschillen zijn groot." in page
    assert "Weet niet / n.v.t." in page and "Goed geregeld" in page
    assert page.count('name="assessment_id"') == 2 * 5
    assert "nog 3 stippen" in page


def test_without_an_open_question_the_phone_says_to_wait(phone, workshop):
    ops.close_questions(workshop, [QUESTION])
    db.session.commit()
    assert "Er is nu geen vraag open" in _page(phone, workshop)
    ops.close_workshop(workshop)
    db.session.commit()
    assert "De workshop is afgelopen" in _page(phone, workshop)


def test_placing_on_the_scale_and_changing_it(phone, workshop):
    url = f"/w/{workshop.join_code}/schaal"
    response = phone.post(url, data={"question_id": QUESTION, "assessment_id": "first_steps"})
    assert response.status_code == 303
    assert response.location == f"/w/{workshop.join_code}#vraag-{QUESTION}"
    page = _page(phone, workshop)
    assert "Uw keuze is opgeslagen: Eerste stappen gezet." in page
    assert re.search(r'value="first_steps" checked', page)
    assert "Keuze wijzigen" in page

    phone.post(url, data={"question_id": QUESTION, "assessment_id": "well_arranged"})
    stored = db.session.scalars(sa.select(RoomAssessment)).all()
    assert [(s.question_id, s.assessment_id) for s in stored] == [(QUESTION, "well_arranged")]
    page = _page(phone, workshop)
    assert re.search(r'value="well_arranged" checked', page)
    assert not re.search(r'value="first_steps" checked', page)


def test_the_scale_without_a_choice_or_with_a_made_up_one(phone, workshop):
    url = f"/w/{workshop.join_code}/schaal"
    response = phone.post(url, data={"question_id": QUESTION})
    assert response.status_code == 422
    assert "Kies eerst een van de antwoorden" in response.get_data(as_text=True)
    assert phone.post(url, data={"question_id": QUESTION, "assessment_id": "x"}).status_code == 400
    assert phone.post(url, data={"question_id": "x", "assessment_id": "unknown"}).status_code == 400
    assert _count(RoomAssessment) == 0


def test_a_contribution_sent_twice_is_stored_once(phone, workshop):
    first = _contribute(phone, workshop, kind="obstakel")
    assert first.status_code == 303 and first.location.endswith(f"#vraag-{QUESTION}")
    assert _contribute(phone, workshop, kind="obstakel").status_code == 303
    stored = db.session.scalars(sa.select(Contribution)).one()
    assert stored.kind is ops.ContributionKind.OBSTACLE and stored.author_name == ""
    page = _page(phone, workshop)
    assert page.count('class="phone-item__text"') == 1
    assert "Eén loket voor school en zorg" in page
    assert "Uw bijdrage is verstuurd" in page
    # A new form, a new token: the same text again is a new contribution.
    token = re.search(r'name="creation_token" value="([^"]+)"', page).group(1)
    assert token != "token-1"


def test_the_same_form_sent_again_with_other_text_is_a_second_contribution(phone, workshop):
    """The audit's phone went back and sent the form with another text: the answer was "Dank u.
    Uw bijdrage is verstuurd" and the new text was gone. Now it is a second item, said so."""
    assert _contribute(phone, workshop, text="Eerste idee").status_code == 303
    second = _contribute(phone, workshop, text="Tweede, ander idee", kind="obstakel")
    assert second.status_code == 303
    stored = db.session.scalars(sa.select(Contribution).order_by(Contribution.id)).all()
    assert [(c.text, c.kind.value) for c in stored] == [
        ("Eerste idee", "idee"),
        ("Tweede, ander idee", "obstakel"),
    ]
    page = " ".join(_page(phone, workshop).split())
    assert "Uw nieuwe tekst is verstuurd als een tweede bijdrage" in page
    assert "Eerste idee" in page and "Tweede, ander idee" in page
    # That second text sent again with the same form: still two. Only the kind changed: three.
    assert (
        _contribute(phone, workshop, text="Tweede, ander idee", kind="obstakel").status_code == 303
    )
    assert "U stuurde hem twee keer" in _page(phone, workshop)
    _contribute(phone, workshop, text="Eerste idee", kind="voorstel")
    assert _count(Contribution) == 3
    # The phone's script gets the same message in the live part it swaps in.
    live = phone.post(
        f"/w/{workshop.join_code}/bijdragen",
        data={
            "question_id": QUESTION,
            "kind": "idee",
            "text": "Vierde tekst",
            "creation_token": "token-1",
        },
        headers=LIVE,
    )
    html = " ".join(live.get_data(as_text=True).split())
    assert live.status_code == 200 and 'id="live"' in html
    assert "Uw nieuwe tekst is verstuurd als een tweede bijdrage" in html
    assert _count(Contribution) == 4


def test_an_empty_or_oversized_contribution_is_refused_with_the_text_kept(phone, workshop):
    long_text = "Een lange bijdrage " + "x" * 270
    response = _contribute(phone, workshop, text=long_text)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Uw bijdrage is te lang: 289 tekens" in page
    assert long_text in page and 'aria-invalid="true"' in page
    empty = _contribute(phone, workshop, text="   ")
    assert empty.status_code == 422 and "Schrijf eerst iets op" in empty.get_data(as_text=True)
    wrong_kind = _contribute(phone, workshop, kind="actievoorstel")
    assert wrong_kind.status_code == 422
    assert _count(Contribution) == 0
    # Line breaks and runs of spaces count as one space, as stored.
    assert _contribute(phone, workshop, text="a\n\n" + "b " * 139).status_code == 303


def test_a_question_closed_meanwhile_keeps_the_typed_text(phone, workshop):
    ops.close_questions(workshop, [QUESTION])
    db.session.commit()
    response = _contribute(phone, workshop, text="Wat ik net schreef")
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Deze vraag is nu niet open" in page and "Wat ik net schreef" in page
    response = phone.post(
        f"/w/{workshop.join_code}/schaal",
        data={"question_id": QUESTION, "assessment_id": "first_steps"},
    )
    assert response.status_code == 409
    assert _count(Contribution) == 0 and _count(RoomAssessment) == 0


def test_a_dot_sent_twice_counts_once(phone, workshop):
    contribution = _room_contribution(workshop, "Een gezamenlijk loket")
    assert _dot(phone, workshop, contribution.id).status_code == 303
    assert _dot(phone, workshop, contribution.id).status_code == 303
    assert _count(Dot) == 1
    page = _page(phone, workshop)
    assert "nog 2 stippen" in page and "Uw stippen hier: 1" in page
    assert "Stip eraf" in page and "Stip erbij" not in page  # one per item
    # Taking it back, twice, takes one.
    assert _dot(phone, workshop, contribution.id, had=1, change="eraf").status_code == 303
    assert _dot(phone, workshop, contribution.id, had=1, change="eraf").status_code == 303
    assert _count(Dot) == 0
    assert "nog 3 stippen" in _page(phone, workshop)


def test_more_dots_than_allowed_are_refused_with_a_message(phone, workshop):
    contributions = [_room_contribution(workshop, f"Bijdrage {n}") for n in range(4)]
    response = _dot(phone, workshop, contributions[0].id, had=1)
    assert response.status_code == 409
    assert "U heeft al een stip op deze bijdrage gezet" in response.get_data(as_text=True)
    for contribution in contributions[:3]:
        assert _dot(phone, workshop, contribution.id).status_code == 303
    response = _dot(phone, workshop, contributions[3].id)
    assert response.status_code == 409
    assert "U heeft al uw 3 stippen voor deze vraag gebruikt" in response.get_data(as_text=True)
    assert _count(Dot) == 3
    assert "nog 0 stippen" in _page(phone, workshop)


def test_dots_on_a_merged_duplicate_count_for_the_one_it_was_merged_into(phone, workshop):
    """The audit's t_merge.py: one dot per contribution, the phone dotted D, the facilitator
    merged D into T. The phone showed "Uw stippen hier: 1" on T but offered "Stip erbij" and no
    "Stip eraf", took a second dot on T, and could not take back the one on D (409, "Uw stip
    is niet gebruikt"), which kept counting against its dots."""
    target = _room_contribution(workshop, "Meer data delen tussen gemeente en school")
    duplicate = _room_contribution(workshop, "Data delen tussen school en gemeente")
    assert _dot(phone, workshop, duplicate.id).status_code == 303
    ops.merge(workshop, duplicate.id, target.id)
    db.session.commit()
    page = _page(phone, workshop)
    item = page[page.index(f'id="bijdrage-{target.id}"') :]
    item = item[: item.index("</li>")]
    assert "Uw stippen hier: 1" in item
    assert f'id="stip-{target.id}-eraf"' in item and f'id="stip-{target.id}-erbij"' not in item
    assert 'name="had" value="1"' in item
    # A second dot on T, as the phone used to offer it: it is the one already there.
    assert _dot(phone, workshop, target.id, had=0).status_code == 303
    assert _dot(phone, workshop, target.id, had=1).status_code == 409
    assert _count(Dot) == 1
    # Taken back from T (the dot on D goes), and a tap on the old D afterwards takes nothing.
    live = _live_dot(phone, workshop, target.id, had=1, change="eraf")
    assert live.status_code == 200
    assert live.get_json()["notice"] == "Uw stip is weggehaald."
    assert live.get_json()["dotsLeft"] == 3 and live.get_json()["dots"] == {}
    assert _count(Dot) == 0
    again = _dot(phone, workshop, duplicate.id, had=1, change="eraf")
    assert again.status_code == 303
    assert "Deze stip was al weggehaald" in _page(phone, workshop)
    # A phone that still lists D puts its dot where D counts now, and sees it there.
    answer = _live_dot(phone, workshop, duplicate.id).get_json()
    assert answer["dots"] == {str(target.id): 1} and answer["dotsLeft"] == 2
    assert db.session.scalars(sa.select(Dot.contribution_id)).all() == [target.id]
    # Hidden: a removal says the dots came back, an addition that it was not used.
    ops.set_hidden(workshop, target.id, True)
    db.session.commit()
    removal = _dot(phone, workshop, target.id, had=1, change="eraf")
    assert removal.status_code == 409
    assert "Uw stippen erop kreeg u al terug" in removal.get_data(as_text=True)
    assert "Uw stip is niet gebruikt" in _dot(phone, workshop, target.id).get_data(as_text=True)


def test_a_tampered_dot_form_is_refused_without_an_error(phone, workshop):
    url = f"/w/{workshop.join_code}/stippen"
    for data in (
        {"contribution_id": "x", "had": "0", "change": "erbij"},
        {"contribution_id": "1", "had": "-1", "change": "erbij"},
        {"contribution_id": "1", "had": "0", "change": "alles"},
        {"contribution_id": "99999999999", "had": "0", "change": "erbij"},
    ):
        assert phone.post(url, data=data).status_code == 400
    gone = _dot(phone, workshop, 424242)
    assert gone.status_code == 409 and "Deze bijdrage is er niet meer" in gone.get_data(
        as_text=True
    )


def test_a_hidden_contribution_never_reaches_a_phone(phone, workshop):
    shown = _room_contribution(workshop, "Een zichtbare bijdrage")
    hidden = _room_contribution(workshop, "Iets wat niet op het scherm hoort")
    ops.set_hidden(workshop, hidden.id, True)
    db.session.commit()
    for response in (
        phone.get(f"/w/{workshop.join_code}"),
        phone.get(f"/w/{workshop.join_code}/inhoud"),
    ):
        page = response.get_data(as_text=True)
        assert response.status_code == 200
        assert "Een zichtbare bijdrage" in page
        assert "Iets wat niet op het scherm hoort" not in page
        assert f'value="{hidden.id}"' not in page and f'value="{shown.id}"' in page
    assert _dot(phone, workshop, hidden.id).status_code == 409


def test_the_cookie_of_one_workshop_is_no_participant_of_another(
    app, phone, workshop, make_conversation, tester
):
    other_conversation = make_conversation(title="Ander overleg")
    select_questions(other_conversation, [QUESTION])
    other = ops.open_workshop(other_conversation, tester, ops.WorkshopSettings())
    ops.open_questions(other, [QUESTION])
    db.session.commit()
    cookie = phone.get_cookie(cookie_name(workshop.join_code), path="/w")
    assert cookie is not None
    phone.set_cookie(cookie_name(other.join_code), cookie.value, path="/w")

    page = phone.get(f"/w/{other.join_code}").get_data(as_text=True)
    assert 'action="/w"' in page and "Wie voert de regie?" not in page
    response = _contribute(phone, other, text="Via een geleende cookie")
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "U doet niet (meer) mee" in page and "Via een geleende cookie" in page
    assert phone.get(f"/w/{other.join_code}/inhoud").status_code == 404
    assert _count(Contribution) == 0
    # A cookie that was tampered with counts as none.
    phone.set_cookie(cookie_name(workshop.join_code), cookie.value[:-2] + "xx", path="/w")
    assert "Wie voert de regie?" not in phone.get(f"/w/{workshop.join_code}").get_data(as_text=True)


def test_the_poll_answers_with_the_room_revision_and_304_while_unchanged(phone, workshop):
    url = f"/w/{workshop.join_code.lower()}/stand"
    response = phone.get(url)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-cache"
    revision, written = workshop.room_revision, workshop.contribution_revision
    assert json.loads(response.data) == {
        "revision": revision,
        "contributions": written,
        "open": True,
    }
    etag = response.headers["ETag"]
    assert etag == f'"r{revision}-c{written}"'
    unchanged = phone.get(url, headers={"If-None-Match": etag})
    assert unchanged.status_code == 304 and unchanged.headers["ETag"] == etag
    # Someone's contribution changes only the contributions' revision (phones take their time).
    _room_contribution(workshop, "Iets")
    db.session.commit()
    state = json.loads(phone.get(url).data)
    assert (state["revision"], state["contributions"]) == (revision, written + 1)
    etag = phone.get(url).headers["ETag"]
    # A vote does not change what phones show; a new question does.
    _dot(phone, workshop, _room_contribution(workshop, "Iets anders").id)
    ops.open_questions(workshop, [OTHER_QUESTION])
    db.session.commit()
    changed = phone.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    ops.close_workshop(workshop)
    db.session.commit()
    assert json.loads(phone.get(url).data)["open"] is False
    missing = phone.get("/w/AAAAAA/stand")
    assert missing.status_code == 404 and missing.is_json


def test_the_poll_and_the_page_note_that_the_phone_is_there(phone, workshop):
    participant = db.session.scalars(sa.select(WorkshopParticipant)).one()
    long_ago = utcnow() - timedelta(hours=1)
    participant.last_seen_dt = long_ago
    db.session.commit()
    ops._last_presence.clear()
    phone.get(f"/w/{workshop.join_code}/stand")
    db.session.refresh(participant)
    assert participant.last_seen_dt.replace(tzinfo=None) > long_ago.replace(tzinfo=None)


def test_the_live_part_alone(phone, workshop, anonymous_client):
    fragment = phone.get(f"/w/{workshop.join_code}/inhoud")
    page = fragment.get_data(as_text=True)
    assert fragment.status_code == 200
    assert page.lstrip().startswith("<div") and "<html" not in page
    assert f'data-revision="{workshop.room_revision}"' in page
    assert 'name="contribution_id"' not in page  # no contributions yet
    assert (
        anonymous_client.application.test_client()
        .get(f"/w/{workshop.join_code}/inhoud")
        .status_code
        == 404
    )


def test_the_cookie_is_secure_behind_https(app, anonymous_client, workshop):
    app.config["FORCE_HTTPS"] = True
    try:
        response = _join(anonymous_client, workshop)
    finally:
        app.config["FORCE_HTTPS"] = False
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if COOKIE_PREFIX in h)
    assert "Secure" in cookie


HOSTILE = ["\x00", "a\x00b", "x" * 5000, "-1", "9" * 40, "\u202e", "%00", "<b>", " ", ""]


def test_hostile_values_never_give_an_error(phone, workshop):
    contribution = _room_contribution(workshop, "Een bijdrage")
    forms = {
        "schaal": {"question_id": QUESTION, "assessment_id": "first_steps"},
        "bijdragen": {
            "question_id": QUESTION,
            "kind": "idee",
            "text": "Tekst",
            "creation_token": "t",
        },
        "stippen": {"contribution_id": str(contribution.id), "had": "0", "change": "erbij"},
    }
    for path, form in forms.items():
        for name in form:
            for value in HOSTILE:
                response = phone.post(f"/w/{workshop.join_code}/{path}", data=form | {name: value})
                assert response.status_code < 500, (path, name, value)
    for value in HOSTILE:
        assert phone.post("/w", data={"code": value, "first_name": value}).status_code < 500
        assert phone.get("/w", query_string={"code": value}).status_code < 500
    for path in ("%00", "x" * 41, "%E2%80%AE", "vraag%0Aregel"):
        for suffix in ("", "/inhoud", "/stand"):
            assert phone.get(f"/w/{path}{suffix}").status_code < 500
    stored = db.session.scalars(sa.select(Contribution.text)).all()
    assert all("\x00" not in text for text in stored)


# --- CSRF ---------------------------------------------------------------------------------------


def test_a_post_without_csrf_token_is_refused_with_the_text_kept(app, phone, workshop):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = phone.post(
            f"/w/{workshop.join_code}/bijdragen",
            data={"question_id": QUESTION, "kind": "idee", "text": "Niet verloren gaan"},
        )
        page = response.get_data(as_text=True)
        assert response.status_code == 400
        assert "Het formulier was verlopen" in page
        assert re.search(r"<textarea[^>]*>Niet verloren gaan</textarea>", page)
        assert _count(Contribution) == 0
        dot = phone.post(
            f"/w/{workshop.join_code}/stippen",
            data={"contribution_id": "1", "had": "0", "change": "erbij"},
        )
        assert dot.status_code == 400
        joining = app.test_client().post("/w", data={"code": workshop.join_code})
        assert joining.status_code == 400
        assert "Het formulier was verlopen" in joining.get_data(as_text=True)
        # With the token of the page it is stored.
        page = _page(phone, workshop)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        sent = _contribute(phone, workshop, csrf_token=token)
        assert sent.status_code == 303 and _count(Contribution) == 1
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


# --- rate limits ----------------------------------------------------------------------------------


@pytest.fixture
def limited_app(database_url):
    app = create_app(
        {
            **BASE_TEST_CONFIG,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_STORAGE_URI": "memory://",
            "WORKSHOP_JOIN_LIMIT_PER_CLIENT": "2 per minute",
            "WORKSHOP_POST_LIMIT_PER_PARTICIPANT": "3 per minute",
        }
    )
    with app.app_context():
        yield app
        db.session.remove()
        _empty_all_tables()
        db.engine.dispose()


def test_joining_and_posting_are_rate_limited(limited_app):
    from app.conversations.models import OrganisationType
    from app.conversations.operations import (
        ConversationDetails,
        ParticipantData,
        start_conversation,
    )
    from app.regions.operations import ensure_region

    region = ensure_region("Twente", ["Enschede"])
    conversation = start_conversation(
        ConversationDetails("Overleg", region, utcnow().date(), "verkennen"),
        [ParticipantData("Anna", "Gemeente", OrganisationType.MUNICIPALITY, "Wethouder")],
    ).conversation
    select_questions(conversation, [QUESTION])
    workshop = ops.open_workshop(conversation, None, ops.WorkshopSettings())
    ops.open_questions(workshop, [QUESTION])
    db.session.commit()

    client = limited_app.test_client()
    assert [_join(client, workshop).status_code for _ in range(3)] == [303, 303, 429]
    statuses = [_contribute(client, workshop, creation_token=f"t{n}").status_code for n in range(4)]
    assert statuses == [303, 303, 303, 429]
    # The limit is per phone: another phone may still post (its own cookie).
    other = limited_app.test_client()
    other.set_cookie(
        cookie_name(workshop.join_code),
        client.get_cookie(cookie_name(workshop.join_code), path="/w").value + "x",
        path="/w",
    )
    assert "Te veel pogingen" not in _contribute(other, workshop).get_data(as_text=True)


def test_a_long_list_shows_a_selection_and_everything_on_request(phone, workshop):
    for n in range(35):
        _room_contribution(workshop, f"Bijdrage nummer {n:02d}")
    page = phone.get(f"/w/{workshop.join_code}").get_data(as_text=True)
    assert "30 van 35" in page and "Toon alle 35 bijdragen" in page
    assert sum(f"Bijdrage nummer {n:02d}" in page for n in range(35)) == 30
    everything = phone.get(f"/w/{workshop.join_code}?alle=1").get_data(as_text=True)
    assert all(f"Bijdrage nummer {n:02d}" in everything for n in range(35))
    assert f'data-live-url="/w/{workshop.join_code}/inhoud?alle=1"' in everything
    fragment = phone.get(f"/w/{workshop.join_code}/inhoud?alle=1").get_data(as_text=True)
    assert "Toon minder bijdragen" in fragment


LIVE = {"X-Handvat-Live": "1", "Accept": "application/json, text/html"}


def test_the_phones_script_gets_the_live_part_back_after_a_contribution(phone, workshop):
    response = phone.post(
        f"/w/{workshop.join_code}/bijdragen",
        data={
            "question_id": QUESTION,
            "kind": "idee",
            "text": "Eén loket voor school en zorg",
            "creation_token": "token-1",
        },
        headers=LIVE,
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert page.lstrip().startswith("<div") and 'id="live"' in page
    assert "<html" not in page
    assert "Uw bijdrage is verstuurd" in page and "Eén loket voor school en zorg" in page
    # Without the header, as without JavaScript: the redirect to the page.
    assert _contribute(phone, workshop, creation_token="token-2").status_code == 303


def _live_dot(client, workshop, contribution_id, had=0, change="erbij"):
    return client.post(
        f"/w/{workshop.join_code}/stippen",
        data={"contribution_id": str(contribution_id), "had": str(had), "change": change},
        headers=LIVE,
    )


def test_the_phones_script_gets_a_small_answer_to_a_dot(phone, workshop):
    idea = _room_contribution(workshop, "Eén loket")
    other = _room_contribution(workshop, "Een vaste contactpersoon")
    response = _live_dot(phone, workshop, idea.id)
    assert response.status_code == 200 and response.is_json
    assert response.get_json() == {
        "question": QUESTION,
        "notice": "Uw stip is gezet.",
        "category": "success",
        "dotsLeft": 2,
        "perItem": 1,
        "dots": {str(idea.id): 1},
    }
    # No notice kept for a next page: the answer said it (and no session cookie to write).
    assert "Set-Cookie" not in response.headers
    # The same tap twice: counted once, and the answer says what is stored.
    again = _live_dot(phone, workshop, idea.id).get_json()
    assert again["notice"] == "Uw stip stond er al. Hij telt één keer."
    assert again["dots"] == {str(idea.id): 1} and again["dotsLeft"] == 2
    assert _count(Dot) == 1
    assert _live_dot(phone, workshop, other.id).get_json()["dots"] == {
        str(idea.id): 1,
        str(other.id): 1,
    }
    taken = _live_dot(phone, workshop, idea.id, had=1, change="eraf").get_json()
    assert taken["notice"] == "Uw stip is weggehaald."
    assert taken["dots"] == {str(other.id): 1} and taken["dotsLeft"] == 2
    # The page after a reload shows the same, without the notice again.
    page = _page(phone, workshop)
    assert "nog 2 stippen" in page and "Uw stip is weggehaald" not in page
    assert f'id="stip-{other.id}-eraf"' in page and f'id="stip-{idea.id}-erbij"' in page


def test_a_refused_dot_from_the_script_gets_the_page_with_the_message(phone, workshop):
    contributions = [_room_contribution(workshop, f"Bijdrage {n}") for n in range(4)]
    for contribution in contributions[:3]:
        assert _live_dot(phone, workshop, contribution.id).get_json()["dotsLeft"] >= 0
    refused = _live_dot(phone, workshop, contributions[3].id)
    assert refused.status_code == 409 and not refused.is_json
    page = refused.get_data(as_text=True)
    assert 'id="live"' in page and "U heeft al uw 3 stippen voor deze vraag gebruikt" in page
    assert _count(Dot) == 3
    ops.close_questions(workshop, [QUESTION])
    db.session.commit()
    closed = _live_dot(phone, workshop, contributions[0].id, had=1, change="eraf")
    assert closed.status_code == 409 and "Deze vraag is nu niet open" in closed.get_data(
        as_text=True
    )
    assert _count(Dot) == 3


def test_the_phones_script_gets_a_small_answer_to_a_scale_choice(phone, workshop):
    url = f"/w/{workshop.join_code}/schaal"
    response = phone.post(
        url, data={"question_id": QUESTION, "assessment_id": "first_steps"}, headers=LIVE
    )
    assert response.status_code == 200 and response.is_json
    answer = response.get_json()
    assert answer["question"] == QUESTION and answer["chosen"] == "first_steps"
    assert answer["notice"] == f"Uw keuze is opgeslagen: {answer['label']}."
    assert answer["label"] in _page(phone, workshop)
    assert _count(RoomAssessment) == 1
    # Refused (no choice made, a closed question): the page with the message, as before.
    empty = phone.post(url, data={"question_id": QUESTION}, headers=LIVE)
    assert empty.status_code == 422 and 'id="live"' in empty.get_data(as_text=True)
    ops.close_questions(workshop, [QUESTION])
    db.session.commit()
    closed = phone.post(
        url, data={"question_id": QUESTION, "assessment_id": "unknown"}, headers=LIVE
    )
    assert closed.status_code == 409 and "Deze vraag is nu niet open" in closed.get_data(
        as_text=True
    )


def test_the_name_in_the_header_leads_a_participant_back_to_the_workshop(
    anonymous_client, phone, workshop, client
):
    """Not to the sign-in page that a participant without an account cannot use; the
    workshop's style sheet and script are in the head."""
    page = _page(phone, workshop)
    assert f'class="site-header__brand" href="/w/{workshop.join_code}"' in page
    head = page.split("</head>")[0]
    assert "workshop-phone.css" in head and "workshop-phone.js" in head
    join_form = anonymous_client.get("/w").get_data(as_text=True)
    assert 'class="site-header__brand" href="/w"' in join_form
    # Someone signed in (the facilitator trying their own phone) goes home as on every page.
    _join(client, workshop)
    assert 'class="site-header__brand" href="/"' in _page(client, workshop)
