"""The workshop's operations, called directly: joining, the scale, contributions, dots, leading."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.actions.models import ActionPoint
from app.conversations.models import Answer
from app.conversations.operations import InvalidChoice, select_questions
from app.core.models import utcnow
from app.extensions import db
from app.workshops import operations as ops
from app.workshops import queries
from app.workshops.models import (
    JOIN_CODE_ALPHABET,
    ContributionKind,
    Dot,
    RoomAssessment,
    Workshop,
)

QUESTION = "verkennen-regie"
OTHER_QUESTION = "verkennen-populatie"


@pytest.fixture
def workshop(make_workshop):
    return make_workshop([QUESTION, OTHER_QUESTION])


def _join(workshop, name=""):
    participant, token = ops.join(workshop, name)
    db.session.commit()
    return participant


def test_a_join_code_has_six_characters_without_look_alikes(workshop):
    assert len(workshop.join_code) == 6
    assert set(workshop.join_code) <= set(JOIN_CODE_ALPHABET)
    assert not set("0O1IL2Z5S8B") & set(JOIN_CODE_ALPHABET)
    spaced = f" {workshop.join_code[:3].lower()}-{workshop.join_code[3:]} "
    assert ops.find_workshop_by_code(spaced) == workshop
    assert ops.find_workshop_by_code("AAAAAA") is None
    assert ops.find_workshop_by_code("") is None


def test_opening_twice_with_the_same_form_opens_one(make_conversation, tester):
    conversation = make_conversation()
    select_questions(conversation, [QUESTION])
    first = ops.open_workshop(conversation, tester, ops.WorkshopSettings(), "token-1")
    second = ops.open_workshop(conversation, tester, ops.WorkshopSettings(), "token-1")
    assert first.id == second.id
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Workshop)) == 1


def test_a_conversation_without_chosen_questions_has_no_workshop(make_conversation, tester):
    conversation = make_conversation()
    select_questions(conversation, [])
    with pytest.raises(ops.WorkshopError, match="Kies eerst de vragen"):
        ops.open_workshop(conversation, tester, ops.WorkshopSettings())


def test_a_closed_or_expired_workshop_admits_nobody(workshop):
    ops.close_workshop(workshop)
    db.session.commit()
    with pytest.raises(ops.WorkshopNotOpen):
        ops.join(workshop)
    workshop.closed_dt = None
    workshop.joining_open = True
    workshop.expires_dt = utcnow() - timedelta(minutes=1)
    db.session.commit()
    with pytest.raises(ops.WorkshopNotOpen):
        ops.join(workshop)


def test_the_cap_is_never_passed(workshop):
    workshop.participant_cap = 2
    db.session.commit()
    numbers = [_join(workshop).number, _join(workshop).number]
    assert numbers == [1, 2]
    with pytest.raises(ops.WorkshopFull, match="vol: er doen al 2 mensen mee"):
        ops.join(workshop)


def test_a_token_counts_only_in_its_own_workshop(workshop, tester):
    participant, token = ops.join(workshop)
    other = ops.open_workshop(workshop.conversation, tester, ops.WorkshopSettings())
    db.session.commit()
    assert ops.participant_by_token(workshop, token) == participant
    assert ops.participant_by_token(other, token) is None
    assert ops.participant_by_token(workshop, "guess") is None


def test_the_scale_choice_is_one_per_participant_and_can_change(workshop):
    anna, bob = _join(workshop), _join(workshop)
    for _ in range(2):
        ops.choose_assessment(workshop, anna, QUESTION, "first_steps")
    ops.choose_assessment(workshop, bob, QUESTION, "first_steps")
    ops.choose_assessment(workshop, bob, QUESTION, "well_arranged")
    db.session.commit()
    spread = ops.room_spread(workshop, QUESTION)
    assert spread.participants == 2
    assert dict(spread.counts) == {
        "not_started": 0,
        "first_steps": 1,
        "largely_arranged": 0,
        "well_arranged": 1,
        "unknown": 0,
    }
    with pytest.raises(InvalidChoice):
        ops.choose_assessment(workshop, anna, QUESTION, "excellent")


def test_nothing_is_taken_for_a_question_that_is_not_open(workshop):
    anna = _join(workshop)
    with pytest.raises(ops.QuestionNotOpen, match="niet opgeslagen"):
        ops.choose_assessment(workshop, anna, OTHER_QUESTION, "first_steps")
    with pytest.raises(ops.QuestionNotOpen):
        ops.contribute(workshop, anna, OTHER_QUESTION, ContributionKind.IDEA, "Idee")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RoomAssessment)) == 0


def test_a_contribution_sent_twice_is_stored_once(workshop):
    anna = _join(workshop, "Anna")
    first = ops.contribute(workshop, anna, QUESTION, ContributionKind.IDEA, " Een  loket ", "t1")
    again = ops.contribute(workshop, anna, QUESTION, ContributionKind.IDEA, "Een loket", "t1")
    assert first.id == again.id
    assert first.text == "Een loket"
    assert first.author_name == ""  # anonymous by default
    with pytest.raises(ops.WorkshopError, match="te lang"):
        ops.contribute(workshop, anna, QUESTION, ContributionKind.IDEA, "x" * 281)
    with pytest.raises(ops.WorkshopError, match="Schrijf eerst"):
        ops.contribute(workshop, anna, QUESTION, ContributionKind.IDEA, "  \n ")


def test_names_only_when_the_workshop_is_not_anonymous(workshop):
    workshop.anonymous = False
    anna = _join(workshop, "Anna")
    contribution = ops.contribute(workshop, anna, QUESTION, ContributionKind.OBSTACLE, "Geld")
    assert contribution.author_name == "Anna"


def test_dots_count_once_per_tap_and_never_more_than_allowed(workshop):
    anna = _join(workshop)
    items = [
        ops.contribute(workshop, anna, QUESTION, ContributionKind.IDEA, f"Idee {n}")
        for n in range(5)
    ]
    assert ops.add_dot(workshop, anna, items[0].id, had=0)
    assert not ops.add_dot(workshop, anna, items[0].id, had=0)  # the same tap again
    with pytest.raises(ops.NoDotsLeft, match="al een stip op deze bijdrage"):
        ops.add_dot(workshop, anna, items[0].id, had=1)
    assert ops.add_dot(workshop, anna, items[1].id, had=0)
    assert ops.add_dot(workshop, anna, items[2].id, had=0)
    with pytest.raises(ops.NoDotsLeft, match="al uw 3 stippen"):
        ops.add_dot(workshop, anna, items[3].id, had=0)
    assert ops.remove_dot(workshop, anna, items[2].id, had=1)
    assert not ops.remove_dot(workshop, anna, items[2].id, had=1)
    assert ops.add_dot(workshop, anna, items[3].id, had=0)
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Dot)) == 3


def test_more_dots_per_item_when_the_facilitator_allows(workshop):
    workshop.dots_per_item = 2
    anna = _join(workshop)
    item = ops.contribute(workshop, anna, QUESTION, ContributionKind.IDEA, "Idee")
    assert ops.add_dot(workshop, anna, item.id, had=0)
    assert ops.add_dot(workshop, anna, item.id, had=1)
    assert not ops.add_dot(workshop, anna, item.id, had=1)
    with pytest.raises(ops.NoDotsLeft):
        ops.add_dot(workshop, anna, item.id, had=2)
    view = queries.contributions(workshop, [QUESTION], participant_id=anna.id)[QUESTION]
    assert (view[0].dots, view[0].my_dots) == (2, 2)


def test_hiding_gives_the_dots_back_and_keeps_it_off_the_room(workshop):
    anna, bob = _join(workshop), _join(workshop)
    rude = ops.contribute(workshop, anna, QUESTION, ContributionKind.IDEA, "Iets lelijks")
    fine = ops.contribute(workshop, anna, QUESTION, ContributionKind.IDEA, "Een loket")
    ops.add_dot(workshop, bob, rude.id, had=0)
    ops.set_hidden(workshop, rude.id, True)
    db.session.commit()
    assert [c.text for c in queries.contributions(workshop)[QUESTION]] == ["Een loket"]
    assert [c.text for c in queries.room_view(workshop).contributions] == ["Een loket"]
    control = queries.room_view(workshop, include_hidden=True).contributions
    assert {c.text for c in control} == {"Een loket", "Iets lelijks"}
    assert queries.phone_view(workshop, bob).questions[0].dots_left == 3
    with pytest.raises(ops.WorkshopError, match="heeft haar verborgen. Uw stip is niet gebruikt"):
        ops.add_dot(workshop, bob, rude.id, had=0)
    assert fine.hidden is False


def test_merged_duplicates_add_their_dots_up(workshop):
    anna, bob = _join(workshop), _join(workshop)
    first = ops.contribute(workshop, anna, QUESTION, ContributionKind.IDEA, "Eén loket")
    second = ops.contribute(workshop, bob, QUESTION, ContributionKind.IDEA, "Een loket")
    third = ops.contribute(workshop, bob, QUESTION, ContributionKind.IDEA, "Geld")
    ops.add_dot(workshop, anna, second.id, had=0)
    ops.add_dot(workshop, bob, second.id, had=0)
    ops.add_dot(workshop, anna, third.id, had=0)
    ops.merge(workshop, second.id, first.id)
    db.session.commit()
    ranked = queries.contributions(workshop)[QUESTION]
    assert [(c.text, c.dots) for c in ranked] == [("Eén loket", 2), ("Geld", 1)]
    assert [m.text for m in ranked[0].merged] == ["Een loket"]
    with pytest.raises(ops.WorkshopError):
        ops.merge(workshop, first.id, first.id)


def test_hiding_a_contribution_hides_the_duplicates_merged_into_it(workshop):
    """The room sees a contribution and its duplicates as one: hiding it must not leave the
    duplicates on the projector on their own, with dots that count for nothing."""
    anna, bob, carl = _join(workshop), _join(workshop), _join(workshop)
    main = ops.contribute(workshop, anna, QUESTION, ContributionKind.IDEA, "Iets lelijks")
    copy = ops.contribute(workshop, bob, QUESTION, ContributionKind.IDEA, "Iets lelijks!")
    fine = ops.contribute(workshop, carl, QUESTION, ContributionKind.IDEA, "Een loket")
    ops.add_dot(workshop, carl, copy.id, had=0)
    ops.merge(workshop, copy.id, main.id)
    assert ops.set_hidden(workshop, main.id, True) == 1
    db.session.commit()
    assert [c.text for c in queries.room_view(workshop).contributions] == ["Een loket"]
    assert queries.phone_view(workshop, carl).questions[0].dots_left == 3
    (hidden,) = [
        c for c in queries.contributions(workshop, include_hidden=True)[QUESTION] if c.hidden
    ]
    assert [m.text for m in hidden.merged] == ["Iets lelijks!"]
    with pytest.raises(ops.WorkshopError, match="verborgen"):
        ops.add_dot(workshop, carl, copy.id, had=0)
    with pytest.raises(ops.WorkshopError, match="verborgen bijdrage kunt u niet samenvoegen"):
        ops.merge(workshop, fine.id, main.id)
    # Shown again, as one: the duplicate is back under it, not on its own.
    assert ops.set_hidden(workshop, main.id, False) == 1
    db.session.commit()
    ranked = queries.room_view(workshop).contributions
    assert sorted(c.text for c in ranked) == ["Een loket", "Iets lelijks"]
    assert [m.text for m in next(c for c in ranked if c.id == main.id).merged] == ["Iets lelijks!"]


def test_a_contribution_becomes_one_action_point(workshop):
    anna = _join(workshop)
    idea = ops.contribute(workshop, anna, QUESTION, ContributionKind.PROPOSAL, "Eén loket")
    action = ops.contribution_to_action(workshop, idea.id)
    again = ops.contribution_to_action(workshop, idea.id)
    db.session.commit()
    assert action.id == again.id
    assert (action.description, action.question_id) == ("Eén loket", QUESTION)
    assert action.owner_name == "" and action.due_date is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ActionPoint)) == 1


def test_the_table_answer_keeps_the_rooms_spread(workshop):
    people = [_join(workshop) for _ in range(3)]
    for person, step in zip(people, ["first_steps", "first_steps", "unknown"], strict=True):
        ops.choose_assessment(workshop, person, QUESTION, step)
    ops.write_answer(workshop, QUESTION, "Er is een regiegroep.", "first_steps", 0)
    db.session.commit()
    answer = db.session.scalar(sa.select(Answer).where(Answer.question_id == QUESTION))
    assert answer.text == "Er is een regiegroep."
    assert answer.room_spread["participants"] == 3
    assert answer.room_spread["counts"]["first_steps"] == 2
    assert answer.room_spread["workshop"] == workshop.id


def test_every_change_raises_the_revision_phones_only_for_what_they_show(workshop):
    before = (workshop.revision, workshop.room_revision)
    anna = _join(workshop)
    ops.choose_assessment(workshop, anna, QUESTION, "first_steps")
    db.session.commit()
    assert workshop.revision == before[0] + 2
    assert workshop.room_revision == before[1]
    ops.set_results_visible(workshop, True)
    db.session.commit()
    assert workshop.room_revision == before[1] + 1


def test_the_control_counts_connected_and_answered(workshop):
    anna, _bob = _join(workshop), _join(workshop)
    ops.choose_assessment(workshop, anna, QUESTION, "first_steps")
    db.session.commit()
    view = queries.room_view(workshop)
    assert (view.connected, view.answered) == (2, 1)


def test_the_regions_export_holds_the_workshop_without_tokens(workshop, make_region):
    from app.privacy.queries import region_tables

    anna = _join(workshop, "Anna")
    ops.choose_assessment(workshop, anna, QUESTION, "first_steps")
    idea = ops.contribute(workshop, anna, QUESTION, ContributionKind.IDEA, "Eén loket")
    ops.add_dot(workshop, anna, idea.id, had=0)
    db.session.commit()
    tables = {t.name: list(t.rows()) for t in region_tables(workshop.conversation.region)}
    assert [w["code"] for w in tables["workshops"]] == [workshop.join_code]
    (participant,) = tables["workshopdeelnemers"]
    assert (participant["deelnemer"], participant["voornaam"]) == (1, "Anna")
    kinds = [(row["soort"], row["deelnemer"]) for row in tables["workshopinvoer"]]
    assert kinds == [("zelfbeoordeling", 1), ("Idee", 1), ("stip", 1)]
    assert anna.token_hash not in repr(tables)
    other = region_tables(make_region("Achterhoek", ("Winterswijk",)))
    assert all(not list(t.rows()) for t in other if t.name.startswith("workshop"))


def test_a_phone_lists_a_stable_share_of_a_long_list_with_its_own_first(workshop):
    people = [_join(workshop) for _ in range(40)]
    items = [
        ops.contribute(workshop, person, QUESTION, ContributionKind.IDEA, f"Idee {n}")
        for n, person in enumerate(people)
    ]
    draft = ops.contribute(workshop, None, QUESTION, ContributionKind.DRAFT_ACTION, "Voorstel")
    anna, bob = people[0], people[1]
    ops.add_dot(workshop, anna, items[39].id, had=0)
    db.session.commit()
    shown = queries.phone_view(workshop, anna).questions[0]
    ids = [c.id for c in shown.contributions]
    assert (len(ids), shown.total, shown.is_selection) == (queries.PHONE_LIST_SIZE, 41, True)
    assert {items[0].id, items[39].id, draft.id} <= set(ids)  # own, dotted, the draft
    assert ids == sorted(ids)
    assert ids == [c.id for c in queries.phone_view(workshop, anna).questions[0].contributions]
    others = [c.id for c in queries.phone_view(workshop, bob).questions[0].contributions]
    assert others != ids
    everything = queries.phone_view(workshop, anna, show_all=True).questions[0]
    assert len(everything.contributions) == 41 and not everything.is_selection
