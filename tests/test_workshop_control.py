"""The facilitator's side of a workshop: opening it, the control page, the projector, commands."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from app.accounts.roles import Role
from app.actions.models import ActionPoint
from app.conversations.models import Answer
from app.conversations.operations import select_questions
from app.extensions import db
from app.workshops import operations as ops
from app.workshops.models import Contribution, ContributionKind, Workshop, WorkshopQuestion

from .accounts import make_user, sign_in

QUESTION = "verkennen-regie"  # 1.4
OTHER_QUESTION = "verkennen-populatie"  # 1.5
LATER_QUESTION = "verbeelden-visie-en-ambities"  # 2.1, another phase


def text_of(response) -> str:
    return " ".join(response.get_data(as_text=True).split())


@pytest.fixture
def conversation(make_conversation):
    conversation = make_conversation()
    select_questions(conversation, [QUESTION, OTHER_QUESTION, LATER_QUESTION])
    db.session.commit()
    return conversation


@pytest.fixture
def workshop(conversation, tester):
    workshop = ops.open_workshop(conversation, tester, ops.WorkshopSettings())
    ops.open_questions(workshop, [QUESTION])
    db.session.commit()
    return workshop


def _join(workshop, name=""):
    participant, _ = ops.join(workshop, name)
    db.session.commit()
    return participant


def _contribution(workshop, participant, text, question_id=QUESTION):
    contribution = ops.contribute(workshop, participant, question_id, ContributionKind.IDEA, text)
    db.session.commit()
    # Read back as a request would (SQLite gives its datetimes back without a time zone).
    db.session.expire(contribution)
    return contribution


def _url(workshop, command=""):
    return f"/workshops/{workshop.id}" + (f"/{command}" if command else "")


def _fresh(workshop) -> Workshop:
    db.session.expire_all()
    return db.session.get(Workshop, workshop.id)


# --- opening ---------------------------------------------------------------------------------


def test_the_open_form_opens_one_workshop_even_when_sent_twice(client, conversation):
    url = f"/gesprekken/{conversation.id}/workshop/nieuw"
    page = client.get(url)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'name="creation_token"' in html
    assert re.search(r'<input checked id="anonymous-0"[^>]*value="ja">', html)  # anonymous
    assert 'name="dots_per_participant"' in html and 'value="3"' in html
    assert 'value="300"' in html  # the installation's cap is the default
    form = {
        "anonymous": "nee",
        "dots_per_participant": "4",
        "dots_per_item": "2",
        "participant_cap": "40",
        "creation_token": "open-token-1",
    }
    first = client.post(url, data=form)
    second = client.post(url, data=form)
    assert first.status_code == second.status_code == 303
    assert first.location == second.location
    workshops = db.session.scalars(sa.select(Workshop)).all()
    assert len(workshops) == 1
    workshop = workshops[0]
    assert first.location.endswith(f"/workshops/{workshop.id}")
    assert (workshop.anonymous, workshop.dots_per_participant, workshop.dots_per_item) == (
        False,
        4,
        2,
    )
    assert workshop.participant_cap == 40
    page = client.get(first.location)
    assert "al geopend" in text_of(page)  # the second submit's message


def test_the_open_form_refuses_impossible_settings(client, conversation):
    url = f"/gesprekken/{conversation.id}/workshop/nieuw"
    base = {"anonymous": "ja", "dots_per_participant": "3", "dots_per_item": "1"}
    for field, value, message in [
        ("dots_per_participant", "11", "Kies 1 tot en met 10 stippen"),
        ("participant_cap", "301", "Kies 1 tot en met 300 deelnemers"),
        ("dots_per_item", "5", "niet meer stippen dan iemand in totaal heeft"),
    ]:
        response = client.post(url, data={"participant_cap": "30", **base, field: value})
        assert response.status_code == 422, field
        assert message in text_of(response)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Workshop)) == 0


def test_a_conversation_without_questions_says_to_choose_them(client, make_conversation):
    conversation = make_conversation()
    select_questions(conversation, [])
    db.session.commit()
    url = f"/gesprekken/{conversation.id}/workshop/nieuw"
    assert "Kies eerst de vragen" in text_of(client.get(url))
    response = client.post(
        url,
        data={
            "anonymous": "ja",
            "dots_per_participant": "3",
            "dots_per_item": "1",
            "participant_cap": "30",
        },
        follow_redirects=True,
    )
    assert "Kies eerst de vragen van het gesprek" in text_of(response)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Workshop)) == 0


# --- the control page ------------------------------------------------------------------------


def test_the_control_page_shows_code_link_and_qr_code(client, workshop):
    response = client.get(_url(workshop))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert workshop.join_code in html
    assert f"http://localhost/w/{workshop.join_code}" in html
    svg = re.search(r"<svg role=\"img\" aria-label=\"([^\"]+)\"[^>]*>", html)
    assert svg and workshop.join_code in svg.group(1)
    assert "viewBox" in svg.group(0)
    assert "Open de hele fase" in html
    assert f'href="/workshops/{workshop.id}/projectie"' in html


def test_questions_open_and_close_one_at_a_time_or_by_phase(client, workshop):
    response = client.post(_url(workshop, "vragen-openen"), data={"question_id": OTHER_QUESTION})
    assert response.status_code == 303
    assert response.location.endswith(
        f"/workshops/{workshop.id}?vraag={OTHER_QUESTION}#vraag-{OTHER_QUESTION}"
    )
    workshop = _fresh(workshop)
    states = {q.question_id: q.is_open for q in workshop.questions}
    assert states == {QUESTION: True, OTHER_QUESTION: True, LATER_QUESTION: False}
    assert workshop.current_question_id == OTHER_QUESTION
    assert "Vraag 1.5 is open" in text_of(client.get(response.location))

    client.post(_url(workshop, "vragen-sluiten"), data={"phase_id": "verkennen"})
    workshop = _fresh(workshop)
    assert not any(q.is_open for q in workshop.questions)

    client.post(_url(workshop, "vragen-openen"), data={"phase_id": "verbeelden"})
    workshop = _fresh(workshop)
    assert [q.question_id for q in workshop.questions if q.is_open] == [LATER_QUESTION]
    assert workshop.current_question_id == LATER_QUESTION

    client.post(_url(workshop, "op-het-scherm"), data={"question_id": QUESTION})
    assert _fresh(workshop).current_question_id == QUESTION


def test_ids_that_are_not_part_of_the_workshop_are_a_bad_request(client, workshop, conversation):
    other = ops.open_workshop(conversation, None, ops.WorkshopSettings())
    db.session.commit()
    foreign = ops.contribute(other, None, QUESTION, ContributionKind.DRAFT_ACTION, "Elders")
    db.session.commit()
    for command, data in [
        ("vragen-openen", {"question_id": "verankeren-opbrengst"}),
        ("vragen-openen", {"phase_id": "bestaat-niet"}),
        ("vragen-openen", {}),
        ("op-het-scherm", {"question_id": "x" * 2000}),
        ("verbergen", {"contribution_id": "abc", "state": "ja"}),
        ("verbergen", {"contribution_id": "007", "state": "ja"}),
        ("verbergen", {"contribution_id": str(foreign.id), "state": "ja"}),
        ("samenvoegen", {"contribution_id": str(foreign.id), "into_id": "99999"}),
        ("actiepunt", {"contribution_id": "2147483648"}),
        ("resultaten-zichtbaar", {"state": "misschien"}),
        ("antwoord", {"question_id": "onbekend", "text": "x"}),
        ("actievoorstel", {"voorstel-question_id": "onbekend", "voorstel-text": "x"}),
    ]:
        response = client.post(_url(workshop, command), data=data)
        assert response.status_code == 400, (command, data)
    assert db.session.get(Contribution, foreign.id).hidden is False


def test_results_on_the_projector_only_when_shown(client, workshop):
    people = [_join(workshop) for _ in range(3)]
    for person, step in zip(people, ["first_steps", "first_steps", "unknown"], strict=True):
        ops.choose_assessment(workshop, person, QUESTION, step)
    db.session.commit()
    fragment = text_of(client.get(_url(workshop, "projectie/inhoud")))
    assert "De resultaten komen zo" in fragment
    assert "Eerste stappen gezet" not in fragment
    assert "<strong>3</strong> hebben deze vraag beantwoord" in fragment

    response = client.post(_url(workshop, "resultaten-zichtbaar"), data={"state": "ja"})
    assert response.status_code == 303
    assert _fresh(workshop).results_visible
    html = client.get(_url(workshop, "projectie/inhoud")).get_data(as_text=True)
    fragment = " ".join(html.split())
    assert "De resultaten komen zo" not in fragment
    # Every step with its count as text, the bars as an image beside them.
    assert '<th scope="row" class="spread__label">Eerste stappen gezet</th>' in fragment
    rows = re.findall(r'spread__label">([^<]+)</th>.*?spread__count">(\d+)', fragment)
    assert rows == [
        ("Nog niet geregeld", "0"),
        ("Eerste stappen gezet", "2"),
        ("Grotendeels geregeld", "0"),
        ("Goed geregeld", "0"),
        ("Weet niet / n.v.t.", "1"),
    ]
    assert 'width="66.7"' in fragment  # 2 of 3

    client.post(_url(workshop, "resultaten-zichtbaar"), data={"state": "nee"})
    assert not _fresh(workshop).results_visible


def test_the_results_leave_the_screen_when_another_question_comes_on(client, workshop):
    """The audit showed the results of one question, then opened the next: the room saw its
    votes while it voted."""
    client.post(_url(workshop, "resultaten-zichtbaar"), data={"state": "ja"})
    assert _fresh(workshop).results_visible
    client.post(_url(workshop, "vragen-openen"), data={"question_id": OTHER_QUESTION})
    workshop = _fresh(workshop)
    assert workshop.current_question_id == OTHER_QUESTION and not workshop.results_visible
    assert "De resultaten komen zo" in text_of(client.get(_url(workshop, "projectie/inhoud")))
    client.post(_url(workshop, "resultaten-zichtbaar"), data={"state": "ja"})
    client.post(_url(workshop, "op-het-scherm"), data={"question_id": QUESTION})
    assert not _fresh(workshop).results_visible
    client.post(_url(workshop, "vragen-openen"), data={"phase_id": "verbeelden"})
    assert not _fresh(workshop).results_visible
    # The same question again (opened twice, put on the screen again) keeps them.
    client.post(_url(workshop, "resultaten-zichtbaar"), data={"state": "ja"})
    client.post(_url(workshop, "op-het-scherm"), data={"question_id": LATER_QUESTION})
    client.post(_url(workshop, "vragen-openen"), data={"question_id": LATER_QUESTION})
    assert _fresh(workshop).results_visible


def test_the_projector_page_is_a_page_of_its_own(client, workshop):
    html = client.get(_url(workshop, "projectie")).get_data(as_text=True)
    assert '<html lang="nl">' in html
    assert '<noscript><meta http-equiv="refresh" content="5"></noscript>' in html
    assert "<main" in html and "<title>" in html
    assert "site-nav" not in html  # no site navigation on the big screen
    assert workshop.join_code in html and '<svg role="img"' in html
    assert "workshop-room.js" in html
    ops.set_joining(workshop, False)
    db.session.commit()
    fragment = client.get(_url(workshop, "projectie/inhoud")).get_data(as_text=True)
    assert workshop.join_code not in fragment  # no code while joining is off


def test_the_timer_starts_and_stops(client, workshop):
    response = client.post(_url(workshop, "timer"), data={"minutes": "5"})
    assert response.status_code == 303
    assert _fresh(workshop).timer_ends_dt is not None
    fragment = text_of(client.get(_url(workshop, "projectie/inhoud")))
    assert re.search(r"Timer: <span [^>]*>nog [45]:[0-5][0-9]</span>", fragment)
    assert "data-timer-remaining" in client.get(_url(workshop)).get_data(as_text=True)
    client.post(_url(workshop, "timer-stoppen"))
    assert _fresh(workshop).timer_ends_dt is None
    for wrong in ("0", "61", "vijf", ""):
        page = client.post(_url(workshop, "timer"), data={"minutes": wrong}, follow_redirects=True)
        assert page.status_code == 200
        assert "minuten" in text_of(page)
        assert _fresh(workshop).timer_ends_dt is None


def test_a_hidden_contribution_never_reaches_the_projector(client, workshop):
    anna = _join(workshop)
    rude = _contribution(workshop, anna, "Iets heel lelijks")
    _contribution(workshop, anna, "Een loket voor iedereen")
    response = client.post(
        _url(workshop, "verbergen"), data={"contribution_id": str(rude.id), "state": "ja"}
    )
    assert response.status_code == 303
    assert response.location.endswith(f"?vraag={QUESTION}#bijdrage-{rude.id}")
    for _ in range(2):  # before and after the results are shown
        fragment = text_of(client.get(_url(workshop, "projectie/inhoud")))
        assert "Een loket voor iedereen" in fragment
        assert "lelijks" not in fragment
        ops.set_results_visible(workshop, True)
        db.session.commit()
    control = text_of(client.get(_url(workshop, "inhoud") + f"?vraag={QUESTION}"))
    # Hidden ones are a number with a link, not the whole text on every fetch.
    assert "Iets heel lelijks" not in control and "1 bijdrage is verborgen" in control
    control = text_of(client.get(_url(workshop, "inhoud") + f"?vraag={QUESTION}&verborgen=1"))
    assert "Iets heel lelijks" in control and "Verborgen" in control and "Weer tonen" in control
    client.post(_url(workshop, "verbergen"), data={"contribution_id": str(rude.id), "state": "nee"})
    assert "lelijks" in text_of(client.get(_url(workshop, "projectie/inhoud")))


def test_hiding_says_which_duplicates_went_with_it(client, workshop):
    anna, bob = _join(workshop), _join(workshop)
    main = _contribution(workshop, anna, "Iets heel lelijks")
    copy = _contribution(workshop, bob, "Iets heel lelijks!!")
    ops.merge(workshop, copy.id, main.id)
    db.session.commit()
    data = {"contribution_id": str(main.id), "state": "ja"}
    response = client.post(_url(workshop, "verbergen"), data=data)
    said = text_of(client.get(response.location))
    assert "De bijdrage is verborgen met de bijdrage die erin is samengevoegd" in said
    assert "lelijks" not in text_of(client.get(_url(workshop, "projectie/inhoud")))
    response = client.post(_url(workshop, "verbergen"), data={**data, "state": "nee"})
    assert "De bijdrage is weer te zien met de bijdrage die erin is samengevoegd" in text_of(
        client.get(response.location)
    )


def test_duplicates_merge_into_a_contribution_of_the_same_question(client, workshop):
    anna, bob = _join(workshop), _join(workshop)
    first = _contribution(workshop, anna, "Eén loket")
    second = _contribution(workshop, bob, "Een loket")
    _contribution(workshop, bob, "Meer geld")
    ops.add_dot(workshop, bob, second.id, had=0)
    db.session.commit()
    control = client.get(_url(workshop)).get_data(as_text=True)
    # Each contribution links to its own page, where the others of its question are the targets.
    page_url = _url(workshop, f"bijdragen/{second.id}")
    assert f'href="{page_url}"' in control and "<select" not in control
    page = client.get(page_url)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    radio = f'<input type="radio" id="doel-{first.id}" name="into_id" value="{first.id}"'
    assert radio in html
    assert f'value="{second.id}"' in html and f'id="doel-{second.id}"' not in html
    assert "Meer geld" in html
    found = text_of(client.get(page_url, query_string={"zoek": "  LOKET "}))
    assert "1 van 2 bijdragen met ‘LOKET’" in found and "Meer geld" not in found
    nothing = client.get(page_url, query_string={"zoek": "x" * 500})
    assert nothing.status_code == 200 and "Geen andere bijdrage gevonden" in text_of(nothing)
    unchosen = client.post(_url(workshop, "samenvoegen"), data={"contribution_id": str(second.id)})
    assert unchosen.status_code == 303 and unchosen.location.endswith(page_url)
    assert "Kies eerst de bijdrage" in text_of(client.get(unchosen.location))
    response = client.post(
        _url(workshop, "samenvoegen"),
        data={"contribution_id": str(second.id), "into_id": str(first.id)},
    )
    assert response.status_code == 303
    assert db.session.get(Contribution, second.id).merged_into_id == first.id
    control = text_of(client.get(_url(workshop, "inhoud")))
    assert "Samengevoegd: Een loket" in control
    assert "1 stip" in control
    merged = text_of(client.get(page_url))
    assert "samengevoegd met ‘Eén loket’" in merged and "Losmaken" in merged
    page = client.post(
        _url(workshop, "samenvoegen"),
        data={"contribution_id": str(first.id), "into_id": str(first.id)},
        follow_redirects=True,
    )
    assert "Voeg alleen twee verschillende bijdragen" in text_of(page)
    client.post(_url(workshop, "losmaken"), data={"contribution_id": str(second.id)})
    db.session.expire_all()
    assert db.session.get(Contribution, second.id).merged_into_id is None
    assert client.get(_url(workshop, "bijdragen/424242")).status_code == 404


def test_the_control_page_grows_with_the_room_not_with_its_square(client, workshop):
    """Every contribution offered every other one as a merge target: 550 contributions made
    26 MB, fetched again with every vote. Now one fetch lists at most 100, hidden ones as a
    number, and each contribution costs the same few forms."""
    people = [_join(workshop) for _ in range(5)]
    made = [
        ops.contribute(
            workshop, people[n % 5], QUESTION, ContributionKind.IDEA, f"Bijdrage nummer {n:03d}"
        )
        for n in range(130)
    ]
    for contribution in made[:5]:
        ops.set_hidden(workshop, contribution.id, True)
    db.session.commit()
    fragment = client.get(_url(workshop, "inhoud") + f"?vraag={QUESTION}")
    html = fragment.get_data(as_text=True)
    assert fragment.status_code == 200
    assert "<option" not in html and "<select" not in html
    assert len(re.findall(r'<li class="contribution[^"]*" id="bijdrage-', html)) == 100
    assert "Bijdragen (125)" in html and "Toon alle 125 bijdragen" in html
    assert "5 bijdragen zijn verborgen" in html
    assert "Bijdrage nummer 000" not in html  # hidden
    assert len(html) < 2_500 * 100, len(html)
    page = client.get(_url(workshop) + f"?vraag={QUESTION}").get_data(as_text=True)
    assert len(page) < 2_500 * 100 + 60_000, len(page)
    # Everything, the newest first, and the hidden ones, each on request (also for the script).
    everything = client.get(_url(workshop) + f"?vraag={QUESTION}&alle=1&volgorde=nieuw")
    html = everything.get_data(as_text=True)
    assert len(re.findall(r'<li class="contribution" id="bijdrage-', html)) == 125
    assert html.index("Bijdrage nummer 129") < html.index("Bijdrage nummer 128")
    assert "Toon alleen de eerste 100" in html and "Toon de meeste stippen eerst" in html
    assert (
        f'data-live-fragment="/workshops/{workshop.id}/inhoud?vraag={QUESTION}'
        '&amp;alle=1&amp;volgorde=nieuw"' in html
    )
    hidden = client.get(_url(workshop, "inhoud") + f"?vraag={QUESTION}&verborgen=1")
    html = hidden.get_data(as_text=True)
    assert "Bijdrage nummer 000" in html and html.count("Weer tonen") == 5


def test_a_contribution_becomes_one_action_point(client, workshop, conversation):
    anna = _join(workshop)
    idea = _contribution(workshop, anna, "Eén loket voor alle studenten")
    for _ in range(2):
        response = client.post(_url(workshop, "actiepunt"), data={"contribution_id": str(idea.id)})
        assert response.status_code == 303
    actions = db.session.scalars(sa.select(ActionPoint)).all()
    assert [(a.description, a.question_id) for a in actions] == [
        ("Eén loket voor alle studenten", QUESTION)
    ]
    page = text_of(client.get(response.location))
    assert "al een actiepunt gemaakt" in page
    html = client.get(_url(workshop, "inhoud")).get_data(as_text=True)
    assert f'href="/gesprekken/{conversation.id}/acties/{actions[0].id}"' in html
    assert "Actiepunt gemaakt" in html


def test_a_draft_action_point_goes_to_the_room_once(client, workshop):
    form = {
        "voorstel-question_id": QUESTION,
        "voorstel-text": "Regiegroep instellen",
        "voorstel-creation_token": "draft-1",
    }
    for _ in range(2):
        assert client.post(_url(workshop, "actievoorstel"), data=form).status_code == 303
    drafts = db.session.scalars(sa.select(Contribution)).all()
    assert [(d.kind, d.text, d.participant_id) for d in drafts] == [
        (ContributionKind.DRAFT_ACTION, "Regiegroep instellen", None)
    ]
    other = client.post(
        _url(workshop, "actievoorstel"), data={**form, "voorstel-text": "Regiegroep met school"}
    )
    assert "als een tweede voorstel" in text_of(client.get(other.location))
    drafts = db.session.scalars(sa.select(Contribution.text).order_by(Contribution.id)).all()
    assert drafts == ["Regiegroep instellen", "Regiegroep met school"]
    empty = client.post(_url(workshop, "actievoorstel"), data={**form, "voorstel-text": " "})
    assert empty.status_code == 422
    assert "Schrijf eerst het voorstel op" in text_of(empty)
    assert "Voorstel voor een actiepunt" in text_of(client.get(_url(workshop, "projectie/inhoud")))


def test_the_table_answer_keeps_the_spread_and_the_rooms_contributions(client, workshop):
    people = [_join(workshop) for _ in range(3)]
    for person, step in zip(people, ["first_steps", "first_steps", "well_arranged"], strict=True):
        ops.choose_assessment(workshop, person, QUESTION, step)
    loket = _contribution(workshop, people[0], "Eén loket")
    _contribution(workshop, people[1], "Meer geld")
    rude = _contribution(workshop, people[1], "Iets lelijks")
    ops.add_dot(workshop, people[2], loket.id, had=0)
    ops.set_hidden(workshop, rude.id, True)
    db.session.commit()
    control = client.get(_url(workshop) + f"?vraag={QUESTION}").get_data(as_text=True)
    assert re.search(r'<input [^>]*checked[^>]*name="with_contributions"', control)
    response = client.post(
        _url(workshop, "antwoord"),
        data={
            "question_id": QUESTION,
            "text": "Er is een regiegroep.",
            "assessment_id": "first_steps",
            "revision": "0",
            "with_contributions": "y",
        },
    )
    assert response.status_code == 303
    assert response.location.endswith(f"?vraag={QUESTION}#antwoord-{QUESTION}")
    answer = db.session.scalar(sa.select(Answer).where(Answer.question_id == QUESTION))
    heading = f"Bijdragen uit de zaal (workshop {workshop.join_code}):"
    assert answer.text == (
        f"Er is een regiegroep.\n\n{heading}\n- Idee: Eén loket (1 stip)\n- Idee: Meer geld"
    )
    assert answer.assessment_id == "first_steps"
    assert answer.room_spread["participants"] == 3
    assert answer.room_spread["counts"]["first_steps"] == 2
    assert answer.room_spread["workshop"] == workshop.id
    assert "met hoe de zaal het zag (3 deelnemers)" in text_of(client.get(response.location))

    # Saved again from the form as it is now: the list is replaced, not added twice.
    revision = answer.revision
    client.post(
        _url(workshop, "antwoord"),
        data={
            "question_id": QUESTION,
            "text": answer.text.replace("regiegroep", "sterke regiegroep"),
            "assessment_id": "first_steps",
            "revision": str(revision),
            "with_contributions": "y",
        },
    )
    db.session.expire_all()
    answer = db.session.scalar(sa.select(Answer).where(Answer.question_id == QUESTION))
    assert answer.text.count(heading) == 1
    assert answer.text.startswith("Er is een sterke regiegroep.\n\n")

    # Based on an old revision: refused with both versions, the typed text kept.
    conflict = client.post(
        _url(workshop, "antwoord"),
        data={"question_id": QUESTION, "text": "Mijn eigen versie", "revision": str(revision)},
    )
    assert conflict.status_code == 409
    page = text_of(conflict)
    assert "Dit antwoord is intussen gewijzigd" in page
    assert "Mijn eigen versie" in page and "sterke regiegroep" in page


def test_without_the_box_the_answer_is_only_what_was_typed(client, workshop):
    anna = _join(workshop)
    _contribution(workshop, anna, "Eén loket")
    client.post(
        _url(workshop, "antwoord"),
        data={"question_id": QUESTION, "text": "Alleen dit.", "revision": "0"},
    )
    answer = db.session.scalar(sa.select(Answer).where(Answer.question_id == QUESTION))
    assert answer.text == "Alleen dit."
    assert answer.room_spread["participants"] == 0


def test_settings_and_joining_can_change(client, workshop):
    response = client.post(
        _url(workshop, "instellingen"),
        data={
            "anonymous": "nee",
            "dots_per_participant": "5",
            "dots_per_item": "2",
            "participant_cap": "50",
        },
    )
    assert response.status_code == 303
    workshop = _fresh(workshop)
    assert (workshop.anonymous, workshop.dots_per_participant, workshop.participant_cap) == (
        False,
        5,
        50,
    )
    wrong = client.post(
        _url(workshop, "instellingen"),
        data={
            "anonymous": "ja",
            "dots_per_participant": "0",
            "dots_per_item": "1",
            "participant_cap": "50",
        },
    )
    assert wrong.status_code == 422 and "Kies 1 tot en met 10" in text_of(wrong)
    client.post(_url(workshop, "meedoen"), data={"state": "nee"})
    assert not _fresh(workshop).joining_open
    with pytest.raises(ops.WorkshopNotOpen):
        ops.join(_fresh(workshop))
    client.post(_url(workshop, "meedoen"), data={"state": "ja"})
    assert _fresh(workshop).joining_open


def test_a_closed_workshop_admits_nobody_and_says_so(client, anonymous_client, workshop):
    response = client.post(_url(workshop, "sluiten"))
    assert response.status_code == 303
    workshop = _fresh(workshop)
    assert workshop.closed_dt is not None
    with pytest.raises(ops.WorkshopNotOpen):
        ops.join(workshop)
    db.session.rollback()
    refused = anonymous_client.post("/w", data={"code": workshop.join_code})
    assert refused.status_code >= 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Workshop)) == 1
    assert workshop.participant_count == 0
    # A command on the closed workshop: a friendly message, no error page.
    page = client.post(
        _url(workshop, "vragen-openen"), data={"question_id": OTHER_QUESTION}, follow_redirects=True
    )
    assert page.status_code == 200
    assert "Deze workshop is gesloten" in text_of(page)
    assert "Gesloten op" in text_of(page)
    assert not db.session.get(WorkshopQuestion, (workshop.id, OTHER_QUESTION)).is_open
    fragment = text_of(client.get(_url(workshop, "projectie/inhoud")))
    assert "De workshop is afgelopen" in fragment and workshop.join_code not in fragment


# --- who may -----------------------------------------------------------------------------------


def test_a_member_may_not_lead_a_workshop(app, workshop, conversation):
    member = make_user("lid@handvat.test", region=conversation.region, role=Role.MEMBER)
    client = app.test_client()
    sign_in(client, member)
    assert client.get(f"/gesprekken/{conversation.id}/workshop/nieuw").status_code == 403
    for path in ("", "/projectie", "/projectie/inhoud", "/stand", "/inhoud"):
        assert client.get(_url(workshop) + path).status_code == 403, path
    for command in ("vragen-openen", "resultaten-zichtbaar", "timer", "sluiten", "antwoord"):
        response = client.post(_url(workshop, command), data={"question_id": QUESTION})
        assert response.status_code == 403, command
    assert _fresh(workshop).closed_dt is None
    page = text_of(client.get(f"/gesprekken/{conversation.id}"))
    assert "Workshop openen" not in page and "Bediening" not in page


def test_another_regions_user_does_not_find_the_workshop(app, workshop, make_region):
    elsewhere = make_region("Drenthe", ("Assen",), role=None)
    stranger = make_user("vreemde@handvat.test", region=elsewhere, role=Role.COORDINATOR)
    client = app.test_client()
    sign_in(client, stranger)
    for path in ("", "/projectie", "/projectie/inhoud", "/stand"):
        assert client.get(_url(workshop) + path).status_code == 404, path
    assert client.post(_url(workshop, "sluiten")).status_code == 404
    assert client.get(f"/gesprekken/{workshop.conversation_id}/workshop/nieuw").status_code == 404


# --- staying live ------------------------------------------------------------------------------


def test_the_state_answers_304_while_nothing_changed(client, workshop):
    response = client.get(_url(workshop, "stand"))
    assert response.status_code == 200
    revision = response.get_json()["revision"]
    assert response.headers["ETag"] == f'"{revision}"'
    assert "no-cache" in response.headers["Cache-Control"]
    unchanged = client.get(_url(workshop, "stand"), headers={"If-None-Match": f'"{revision}"'})
    assert unchanged.status_code == 304
    assert unchanged.get_data() == b""
    _join(workshop)
    changed = client.get(_url(workshop, "stand"), headers={"If-None-Match": f'"{revision}"'})
    assert changed.status_code == 200
    assert changed.get_json()["revision"] > revision


def test_the_fragments_hold_only_the_live_part(client, workshop):
    anna = _join(workshop)
    _contribution(workshop, anna, "Eén loket")
    ops.set_results_visible(workshop, True)
    db.session.commit()
    projector = client.get(_url(workshop, "projectie/inhoud")).get_data(as_text=True)
    assert "<html" not in projector and "<main" not in projector
    assert "Wie voert de regie?" in projector or "regie" in projector
    assert "Eén loket" in projector and "0 stippen" in projector
    control = client.get(_url(workshop, "inhoud")).get_data(as_text=True)
    assert "<html" not in control
    assert "1</strong> deelnemer" in control
    assert "Maak er een actiepunt van" in control


def test_the_list_of_questions_follows_the_room_with_the_live_part(client, workshop):
    """Only the selected question's area followed the room; the list at the top ("N op de
    schaal", Open/Dicht) stayed as it was loaded."""
    page = client.get(_url(workshop)).get_data(as_text=True)
    assert '<div id="vragenlijst">' in page and "data-live-extra" not in page
    anna = _join(workshop)
    ops.choose_assessment(workshop, anna, QUESTION, "first_steps")
    ops.open_questions(workshop, [OTHER_QUESTION])
    db.session.commit()
    fragment = client.get(_url(workshop, "inhoud") + f"?vraag={QUESTION}").get_data(as_text=True)
    extra = re.search(
        r'<template data-live-extra="vragenlijst">(.*?)</template>', fragment, re.S
    ).group(1)
    items = {
        re.search(r"vraag=([a-z-]+)", item).group(1): " ".join(item.split())
        for item in extra.split('<li class="workshop-question')[1:]
    }
    assert "Open" in items[OTHER_QUESTION] and "Op het scherm</span>" in items[OTHER_QUESTION]
    assert "1 op de schaal" in items[QUESTION] and "0 op de schaal" in items[OTHER_QUESTION]
    assert 'id="lijst-sluiten-verkennen-populatie"' in extra
    assert 'aria-current="true">Wie voert de regie?' in extra  # the question looked at
    # The copy costs little: a few kilobytes for the workshop's questions.
    assert len(extra) < 1_500 * len(items) + 1_000


# --- the conversation page -----------------------------------------------------------------------


def test_the_conversation_page_links_to_its_workshops(client, conversation):
    page_url = f"/gesprekken/{conversation.id}"
    for _ in range(2):  # the second answer comes from the page cache
        page = text_of(client.get(page_url))
        assert "Workshop met de zaal" in page and "Workshop openen" in page
    response = client.post(
        f"/gesprekken/{conversation.id}/workshop/nieuw",
        data={
            "anonymous": "ja",
            "dots_per_participant": "3",
            "dots_per_item": "1",
            "participant_cap": "30",
            "creation_token": "tok",
        },
    )
    client.get(response.location)  # takes the flash message, so the next page may be cached
    workshop = db.session.scalar(sa.select(Workshop))
    html = client.get(page_url).get_data(as_text=True)
    assert f'href="/workshops/{workshop.id}"' in html
    assert workshop.join_code in html and "de code werkt tot" in html
    client.get(page_url)
    client.post(_url(workshop, "sluiten"))
    client.get(_url(workshop))
    assert "gesloten op" in text_of(client.get(page_url))


# --- valid pages -------------------------------------------------------------------------------


def test_the_control_pages_are_valid_html(client, workshop, tmp_path):
    from .checkers import assert_valid_html

    anna, bob = _join(workshop), _join(workshop)
    first = _contribution(workshop, anna, "Eén loket")
    second = _contribution(workshop, bob, "Een loket")
    rude = _contribution(workshop, bob, "Iets lelijks")
    ops.set_hidden(workshop, rude.id, True)
    ops.merge(workshop, second.id, first.id)
    db.session.commit()
    pages = {
        "control": client.get(_url(workshop) + f"?vraag={QUESTION}&verborgen=1"),
        "contribution": client.get(_url(workshop, f"bijdragen/{first.id}") + "?zoek=loket"),
        "contribution-merged": client.get(_url(workshop, f"bijdragen/{second.id}")),
        "contribution-hidden": client.get(_url(workshop, f"bijdragen/{rude.id}")),
    }
    assert {name: r.status_code for name, r in pages.items()} == dict.fromkeys(pages, 200)
    assert_valid_html({name: r.get_data(as_text=True) for name, r in pages.items()}, tmp_path)
