"""The next round of a conversation: participants, questions (also of a newer questionnaire
version), the open action points carried over once, double submits, and the comparison of
rounds as a page, a chart and a PDF."""

from __future__ import annotations

import io
import re
from datetime import date
from pathlib import Path

import pytest
import yaml
from pypdf import PdfReader
from sqlalchemy import event, select

from app.accounts.roles import Role
from app.actions import progress
from app.actions.models import ActionPoint, ActionStatus, ActionUpdate
from app.audit.models import AuditEvent
from app.conversations import operations as conversation_operations
from app.conversations.models import Conversation, OrganisationType, SelectedQuestion
from app.conversations.operations import ParticipantData
from app.core.formatting import date_long, local_now
from app.core.forms import Outcome
from app.extensions import db
from app.questionnaires.loader import QuestionnaireRegistry
from app.rounds import operations, queries
from app.rounds.document import BETTER, NOT_ANSWERED, NOT_CHOSEN, SAME, WORSE

from .accounts import make_user, sign_in

VERKENNEN = [
    "verkennen-bestuurlijk-overleg",
    "verkennen-centrumgemeente",
    "verkennen-financiering",
    "verkennen-regie",
    "verkennen-populatie",
]


# --- helpers ------------------------------------------------------------------------------------


def round_data(previous: Conversation, **changes) -> operations.RoundData:
    values = {
        "title": "Bestuurlijk overleg mbo 2027",
        "held_on": date(2027, 10, 7),
        "current_phase_id": "verkennen",
        "kept_participants": list(range(len(previous.participants))),
        "added_participants": [],
        "based_on_details_revision": previous.details_revision,
        "use_newest_version": True,
    }
    values.update(changes)
    return operations.RoundData(**values)


def start(previous: Conversation, token: str | None = None, **changes) -> operations.RoundResult:
    result = operations.start_round(previous, round_data(previous, **changes), token)
    db.session.commit()
    return result


def actions_of(conversation_id: int) -> list[tuple[str, int, ActionStatus]]:
    db.session.expire_all()
    return [
        (a.description, a.position, a.status)
        for a in db.session.scalars(
            select(ActionPoint)
            .where(ActionPoint.conversation_id == conversation_id)
            .order_by(ActionPoint.position)
        )
    ]


def set_status(action: ActionPoint, status: ActionStatus) -> None:
    from app.actions.operations import set_status as change

    change(action.conversation, action.id, status, action.revision)
    db.session.commit()


def answer(conversation: Conversation, question_id: str, step: str | None) -> None:
    conversation_operations.save_answer(conversation, question_id, "", step, 0)
    db.session.commit()


@pytest.fixture
def previous(make_conversation, make_action):
    """A conversation with two participants and four action points: open, afgerond, bezig,
    open (in that order)."""
    conversation = make_conversation(
        title="Bestuurlijk overleg mbo 2026",
        participants=[
            ParticipantData(
                "Anna de Vries", "Gemeente Enschede", OrganisationType.MUNICIPALITY, "Wethouder"
            ),
            ParticipantData("Bas Jansen", "ROC van Twente", OrganisationType.MBO_INSTITUTION),
        ],
    )
    first = make_action(conversation, "Eerste: regie beleggen", owner_name="Anna de Vries")
    done = make_action(conversation, "Tweede: al klaar")
    busy = make_action(conversation, "Derde: loopt nog", status=ActionStatus.IN_PROGRESS)
    make_action(conversation, "Vierde: nog open")
    set_status(done, ActionStatus.DONE)
    progress.add_update(
        conversation, first.id, progress.ProgressData(text="Gesprek gepland"), 1, None
    )
    db.session.commit()
    assert busy.status is ActionStatus.IN_PROGRESS
    return db.session.get(Conversation, conversation.id)


# --- carrying over --------------------------------------------------------------------------------


def test_open_actions_move_once_without_gaps(previous):
    count_before = db.session.scalar(select(db.func.count()).select_from(ActionPoint))
    revision_before = previous.revision
    result = start(previous)
    new = result.conversation
    assert result.outcome is Outcome.SAVED
    assert new.previous_conversation_id == previous.id
    assert new.region_id == previous.region_id
    assert actions_of(new.id) == [
        ("Eerste: regie beleggen", 1, ActionStatus.OPEN),
        ("Derde: loopt nog", 2, ActionStatus.IN_PROGRESS),
        ("Vierde: nog open", 3, ActionStatus.OPEN),
    ]
    assert actions_of(previous.id) == [("Tweede: al klaar", 1, ActionStatus.DONE)]
    # Moved, not copied; they remember where they were agreed, and keep their history.
    assert db.session.scalar(select(db.func.count()).select_from(ActionPoint)) == count_before
    moved = db.session.scalars(
        select(ActionPoint).where(ActionPoint.conversation_id == new.id)
    ).all()
    assert {a.origin_conversation_id for a in moved} == {previous.id}
    assert len(result.moved_action_ids) == 3
    first = next(a for a in moved if a.description.startswith("Eerste"))
    assert [u.text for u in progress.history(first.id)] == ["Gesprek gepland"]
    # Both conversations' cached pages are refreshed.
    db.session.expire_all()
    assert db.session.get(Conversation, previous.id).revision > revision_before

    # A second round from the same conversation finds nothing left to carry over.
    again = start(previous, title="Nog een ronde")
    assert again.moved_action_ids == []
    assert actions_of(again.conversation.id) == []
    assert len(actions_of(new.id)) == 3

    # The round after that takes them on, keeping the conversation they were first agreed in.
    third = start(db.session.get(Conversation, new.id), title="Overleg 2028")
    assert [a[1] for a in actions_of(third.conversation.id)] == [1, 2, 3]
    assert actions_of(new.id) == []
    origins = db.session.scalars(
        select(ActionPoint.origin_conversation_id).where(
            ActionPoint.conversation_id == third.conversation.id
        )
    ).all()
    assert set(origins) == {previous.id}


def test_carry_over_is_in_the_audit_trail(previous):
    result = start(previous)
    left = db.session.scalars(
        select(AuditEvent).where(
            AuditEvent.conversation_id == previous.id,
            AuditEvent.object_label == "Open actiepunten naar de volgende ronde",
        )
    ).one()
    assert {"field": "Actiepunten", "before": "1, 3, 4", "after": ""} in left.changes
    arrived = db.session.scalars(
        select(AuditEvent).where(
            AuditEvent.conversation_id == result.conversation.id,
            AuditEvent.object_type == "action_point",
        )
    ).all()
    assert len(arrived) == 3
    created = db.session.scalars(
        select(AuditEvent).where(
            AuditEvent.conversation_id == result.conversation.id,
            AuditEvent.object_type == "conversation",
        )
    ).one()
    assert {"field": "Vervolg op", "before": "", "after": previous.title} in created.changes


def test_an_action_added_meanwhile_stays_or_moves_but_is_never_lost(previous, make_action):
    """Writes on the list take its lock: what was added before the move goes along."""
    make_action(previous, "Vijfde: net toegevoegd")
    result = start(previous)
    descriptions = [a[0] for a in actions_of(result.conversation.id)]
    assert descriptions[-1] == "Vijfde: net toegevoegd"
    make_action(previous, "Zesde: na de nieuwe ronde")
    assert actions_of(previous.id) == [
        ("Tweede: al klaar", 1, ActionStatus.DONE),
        ("Zesde: na de nieuwe ronde", 2, ActionStatus.OPEN),
    ]


# --- participants and questions -----------------------------------------------------------------


def test_participants_are_confirmed_and_added(previous):
    extra = ParticipantData("Chris de Zorg", "Jeugdhulp Twente", OrganisationType.CARE_PROVIDER)
    result = start(previous, kept_participants=[1], added_participants=[extra])
    names = [(p.name, p.organisation) for p in result.conversation.participants]
    assert names == [("Bas Jansen", "ROC van Twente"), ("Chris de Zorg", "Jeugdhulp Twente")]
    # The previous round keeps its own.
    assert [p.name for p in previous.participants] == ["Anna de Vries", "Bas Jansen"]


def test_participants_changed_since_the_form_is_refused(previous):
    shown = previous.details_revision
    conversation_operations.save_details(
        previous,
        conversation_operations.ConversationDetails(
            previous.title, previous.region, previous.held_on, previous.current_phase_id
        ),
        [ParticipantData("Dirk Nieuw", "Gemeente Almelo", OrganisationType.MUNICIPALITY)],
        shown,
    )
    db.session.commit()
    with pytest.raises(operations.ParticipantsChanged) as raised:
        operations.start_round(previous, round_data(previous, based_on_details_revision=shown))
    db.session.rollback()
    assert [p.name for p in raised.value.current.participants] == ["Dirk Nieuw"]
    assert db.session.scalar(select(db.func.count()).select_from(Conversation)) == 1


def test_same_questions_are_chosen(previous):
    conversation_operations.select_questions(
        previous, ["verkennen-regie", "vormgeven-dekkend-aanbod"]
    )
    db.session.commit()
    result = start(previous)
    chosen = db.session.scalars(
        select(SelectedQuestion.question_id)
        .where(SelectedQuestion.conversation_id == result.conversation.id)
        .order_by(SelectedQuestion.position)
    ).all()
    assert chosen == ["verkennen-regie", "vormgeven-dekkend-aanbod"]
    assert result.conversation.questionnaire_snapshot_id == previous.questionnaire_snapshot_id


def newer_version(app, tmp_path: Path) -> None:
    """A questionnaire folder with version 1 and a version 2 that drops question 1.2
    (centrumgemeente), rewords 1.4 (same id) and adds a question to Verkennen."""
    original = Path(app.config["QUESTIONNAIRE_FOLDER"]) / "handvatten-voor-gesprek-v1.yaml"
    content = yaml.safe_load(original.read_text(encoding="utf-8"))
    folder = tmp_path / "vragenlijsten"
    folder.mkdir()
    (folder / "v1.yaml").write_text(original.read_text(encoding="utf-8"), encoding="utf-8")
    verkennen = content["phases"][0]
    verkennen["questions"] = [
        q for q in verkennen["questions"] if q["id"] != "verkennen-centrumgemeente"
    ]
    for question in verkennen["questions"]:
        if question["id"] == "verkennen-regie":
            question["text"] = "Wie heeft de regie over de samenwerking?"
    verkennen["questions"].append(
        {"id": "verkennen-data", "text": "Welke cijfers delen de partners al met elkaar?"}
    )
    content["version"] = "2"
    (folder / "v2.yaml").write_text(yaml.safe_dump(content, allow_unicode=True), encoding="utf-8")
    app.extensions["handvat_questionnaires"] = QuestionnaireRegistry.from_folder(folder)


def test_newer_version_matches_questions_by_id(app, tmp_path, previous):
    newer_version(app, tmp_path)
    options = operations.version_options(previous)
    assert options.differ and options.newest.questionnaire.version == "2"

    result = start(previous)
    new = result.conversation
    assert new.questionnaire.version == "2"
    chosen = db.session.scalars(
        select(SelectedQuestion.question_id)
        .where(SelectedQuestion.conversation_id == new.id)
        .order_by(SelectedQuestion.position)
    ).all()
    assert chosen == [q for q in VERKENNEN if q != "verkennen-centrumgemeente"]
    assert result.match.dropped == [
        ("1.2", previous.questionnaire.questions_by_id["verkennen-centrumgemeente"].text)
    ]
    assert result.match.added == [("1.5", "Welke cijfers delen de partners al met elkaar?")]
    # The previous round keeps its own version.
    db.session.expire_all()
    assert db.session.get(Conversation, previous.id).questionnaire.version == "1"

    same = start(previous, title="Met de oude versie", use_newest_version=False)
    assert same.conversation.questionnaire_snapshot_id == previous.questionnaire_snapshot_id
    assert len(same.match.kept) == 5


def test_form_offers_the_newer_version_and_says_what_changes(app, tmp_path, client, previous):
    newer_version(app, tmp_path)
    page = client.get(f"/gesprekken/{previous.id}/nieuwe-ronde").get_data(as_text=True)
    assert "De nieuwste versie (2)" in page and "Dezelfde versie als de vorige ronde (1)" in page
    assert "vallen weg" in page and "centrumgemeente" in page
    assert "Welke cijfers delen de partners al met elkaar?" in page
    form = new_round_form(page, title="Overleg met versie 1", questionnaire_version="zelfde")
    response = client.post(f"/gesprekken/{previous.id}/nieuwe-ronde", data=form)
    assert response.status_code == 302
    new = db.session.get(Conversation, int(re.search(r"/gesprekken/(\d+)", response.location)[1]))
    assert new.questionnaire.version == "1"


# --- the form -------------------------------------------------------------------------------------


def new_round_form(page: str, **changes) -> dict:
    """The form as the page rendered it, every participant still ticked."""
    form = {
        "title": re.search(r'name="title"[^>]*value="([^"]*)"', page)[1],
        "suggested_title": re.search(r'name="suggested_title"[^>]*value="([^"]*)"', page)[1],
        "held_on": "07-10-2027",
        "current_phase_id": "verkennen",
        "questionnaire_version": "nieuwste",
        "kept_participants": [
            re.search(r'value="(\d+)"', box)[1]
            for box in re.findall(r'<input[^>]*name="kept_participants"[^>]*>', page)
            if " checked" in box
        ],
        "participants_revision": re.search(r'name="participants_revision"[^>]*value="(\d+)"', page)[
            1
        ],
        "creation_token": re.search(r'name="creation_token"[^>]*value="([^"]+)"', page)[1],
        "participants-0-name": "",
        "participants-0-organisation": "",
        "participants-0-organisation_type": "gemeente",
        "participants-0-role": "",
    }
    form.update(changes)
    return form


def test_form_is_prefilled(client, previous):
    response = client.get(f"/gesprekken/{previous.id}/nieuwe-ronde")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    today = local_now().date()  # the day in the Netherlands, as the form's default
    expected_title = "Bestuurlijk overleg mbo 2026".replace("2026", str(today.year))
    if today.year == 2026:
        expected_title = f"Bestuurlijk overleg mbo 2026 — vervolg {date_long(today)}"
    assert f'value="{expected_title}"' in page
    assert f'value="{today:%d-%m-%Y}"' in page
    assert page.count('name="kept_participants"') == 2
    boxes = re.findall(r'<input[^>]*name="kept_participants"[^>]*>', page)
    assert len(boxes) == 2 and all(" checked" in box for box in boxes)
    assert "3 actiepunten van de vorige ronde zijn nog open of bezig" in page
    # Without a newer version there is nothing to choose.
    assert 'name="questionnaire_version"' not in page


def test_default_title():
    class Previous:
        title = "Overleg 2026"
        held_on = date(2026, 10, 8)

    assert operations.default_title(Previous, date(2027, 1, 5)) == "Overleg 2027"
    Previous.title = "Bestuurlijk overleg"
    assert operations.default_title(Previous, date(2027, 1, 5)) == (
        "Bestuurlijk overleg — ronde 2027"
    )
    assert operations.default_title(Previous, date(2026, 12, 5)) == (
        "Bestuurlijk overleg — vervolg 5 december 2026"
    )
    Previous.title = "x" * 200
    assert len(operations.default_title(Previous, date(2027, 1, 5))) == 200


def test_a_title_left_as_suggested_follows_the_date(client, previous):
    """The form suggests a title for today's date; whoever picks next year's date and leaves
    the title alone gets next year's title, not one that names today."""
    page = client.get(f"/gesprekken/{previous.id}/nieuwe-ronde").get_data(as_text=True)
    suggested = re.search(r'name="suggested_title"[^>]*value="([^"]+)"', page)[1]
    form = new_round_form(page, held_on="08-10-2031")
    assert form["title"] == suggested
    response = client.post(f"/gesprekken/{previous.id}/nieuwe-ronde", data=form)
    assert response.status_code == 302
    new = db.session.get(Conversation, int(response.location.rsplit("/", 1)[1]))
    assert new.title == "Bestuurlijk overleg mbo 2031"


def test_a_title_of_ones_own_stays(client, previous):
    page = client.get(f"/gesprekken/{previous.id}/nieuwe-ronde").get_data(as_text=True)
    form = new_round_form(page, held_on="08-10-2031", title="Ons eigen overleg")
    response = client.post(f"/gesprekken/{previous.id}/nieuwe-ronde", data=form)
    new = db.session.get(Conversation, int(response.location.rsplit("/", 1)[1]))
    assert new.title == "Ons eigen overleg"


def test_double_submit_makes_one_round(client, previous):
    url = f"/gesprekken/{previous.id}/nieuwe-ronde"
    form = new_round_form(client.get(url).get_data(as_text=True))
    first = client.post(url, data=form)
    second = client.post(url, data=form)
    assert first.status_code == second.status_code == 302
    assert first.location == second.location
    assert db.session.scalar(select(db.func.count()).select_from(Conversation)) == 2
    page = client.get(second.location).get_data(as_text=True)
    assert "u stuurde het formulier twee keer" in page

    # The same form with other content is a second round, which finds no actions left.
    third = client.post(url, data={**form, "title": "Toch een andere titel"})
    assert third.location != first.location
    assert "tweede nieuwe ronde gestart" in client.get(third.location).get_data(as_text=True)
    new_id = int(re.search(r"/gesprekken/(\d+)", third.location)[1])
    assert actions_of(new_id) == []


def test_form_errors_keep_what_was_typed(client, previous):
    url = f"/gesprekken/{previous.id}/nieuwe-ronde"
    form = new_round_form(
        client.get(url).get_data(as_text=True),
        title="",
        **{"participants-0-name": "Chris de Zorg", "participants-0-organisation": ""},
    )
    response = client.post(url, data=form)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Geef het gesprek een titel." in page and "Vul de organisatie in." in page
    assert 'value="Chris de Zorg"' in page
    assert db.session.scalar(select(db.func.count()).select_from(Conversation)) == 1


def test_participants_changed_since_the_form_is_a_409(client, previous):
    url = f"/gesprekken/{previous.id}/nieuwe-ronde"
    form = new_round_form(client.get(url).get_data(as_text=True))
    conversation_operations.save_details(
        previous,
        conversation_operations.ConversationDetails(
            previous.title, previous.region, previous.held_on, previous.current_phase_id
        ),
        [ParticipantData("Dirk Nieuw", "Gemeente Almelo", OrganisationType.MUNICIPALITY)],
        previous.details_revision,
    )
    db.session.commit()
    response = client.post(url, data=form)
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "De deelnemers van de vorige ronde zijn intussen gewijzigd" in page
    assert "Dirk Nieuw" in page
    again = client.post(url, data=new_round_form(page))
    assert again.status_code == 302


def test_extra_participant_row_without_javascript(client, previous):
    url = f"/gesprekken/{previous.id}/nieuwe-ronde"
    form = new_round_form(client.get(url).get_data(as_text=True), add_participant="1")
    page = client.post(url, data=form).get_data(as_text=True)
    assert 'name="participants-1-name"' in page
    assert db.session.scalar(select(db.func.count()).select_from(Conversation)) == 1


def test_the_previous_rounds_action_list_says_where_its_open_actions_went(client, previous):
    url = f"/gesprekken/{previous.id}/acties"
    assert "meegenomen naar een volgende ronde" not in client.get(url).get_data(as_text=True)
    new = start(previous).conversation
    page = client.get(url).get_data(as_text=True)
    assert "3 actiepunten uit dit gesprek zijn meegenomen naar een volgende ronde" in page
    assert f'href="/gesprekken/{new.id}/acties"' in page
    assert "opnieuw genummerd" in page
    # The new round's own list has nothing of the kind.
    new_page = client.get(f"/gesprekken/{new.id}/acties").get_data(as_text=True)
    assert "meegenomen naar een volgende ronde" not in new_page


def test_conversation_page_links_the_rounds(client, previous):
    page = client.get(f"/gesprekken/{previous.id}").get_data(as_text=True)
    assert "Volgende ronde starten" in page
    assert "Vergelijken met eerdere rondes" not in page
    new = start(previous).conversation
    page = client.get(f"/gesprekken/{new.id}").get_data(as_text=True)
    assert "Vervolg op" in page and f'href="/gesprekken/{previous.id}"' in page
    assert f'href="/gesprekken/{new.id}/vergelijking"' in page
    # The previous round's page (cached on its revision) now links on.
    page = client.get(f"/gesprekken/{previous.id}").get_data(as_text=True)
    assert "Volgende ronde:" in page and f'href="/gesprekken/{new.id}"' in page
    assert "Vergelijken met eerdere rondes" in page


def rename(conversation: Conversation, title: str) -> None:
    stored = conversation_operations.stored_details(conversation.id)
    details = conversation_operations.ConversationDetails(
        title=title,
        region=conversation.region,
        held_on=conversation.held_on,
        current_phase_id=conversation.current_phase_id,
    )
    participants = [
        ParticipantData(p.name, p.organisation, p.organisation_type, p.role)
        for p in conversation.participants
    ]
    conversation_operations.save_details(
        conversation, details, participants, stored.details_revision
    )
    db.session.commit()


def test_round_links_follow_the_other_rounds_changes(client, make_conversation):
    """A conversation's page is cached on its own revision, but it names its neighbours: their
    new title, their deletion and a round started without open actions show at once."""
    first = make_conversation(title="Overleg 2026")
    first_page = f"/gesprekken/{first.id}"
    assert "Volgende ronde:" not in client.get(first_page).get_data(as_text=True)
    second = start(first, title="Overleg 2027").conversation  # nothing to carry over
    assert "Volgende ronde: <a" in client.get(first_page).get_data(as_text=True)

    rename(second, "Overleg najaar 2027")
    assert "Overleg najaar 2027" in client.get(first_page).get_data(as_text=True)
    second_page = f"/gesprekken/{second.id}"
    assert "Vervolg op" in client.get(second_page).get_data(as_text=True)
    rename(db.session.get(Conversation, first.id), "Overleg voorjaar 2026")
    assert "Overleg voorjaar 2026" in client.get(second_page).get_data(as_text=True)

    conversation_operations.delete_conversation(db.session.get(Conversation, second.id))
    db.session.commit()
    page = client.get(first_page).get_data(as_text=True)
    assert "Volgende ronde:" not in page and f'href="{second_page}"' not in page


# --- the comparison -------------------------------------------------------------------------------


@pytest.fixture
def three_rounds(previous):
    """Rounds of 2026, 2027 and 2028 with self-assessments that go up, down and stay."""
    answer(previous, "verkennen-regie", "first_steps")
    answer(previous, "verkennen-populatie", "well_arranged")
    answer(previous, "verkennen-financiering", "not_started")
    second = start(previous).conversation
    answer(second, "verkennen-regie", "largely_arranged")
    answer(second, "verkennen-populatie", "first_steps")
    answer(second, "verkennen-financiering", "unknown")
    third = start(second, title="Overleg 2028", held_on=date(2028, 10, 5)).conversation
    answer(third, "verkennen-regie", "largely_arranged")
    answer(third, "verkennen-populatie", "largely_arranged")
    return previous, second, third


def row(doc, question_id):
    return next(q for p in doc.phases for q in p.questions if q.question_id == question_id)


def test_comparison_of_two_rounds(previous):
    answer(previous, "verkennen-regie", "first_steps")
    answer(previous, "verkennen-populatie", "well_arranged")
    second = start(previous).conversation
    answer(second, "verkennen-regie", "well_arranged")
    answer(second, "verkennen-populatie", "well_arranged")
    doc = queries.comparison_document(second)
    assert [r.conversation_id for r in doc.rounds] == [previous.id, second.id]
    assert doc.rounds[1].is_current
    regie = row(doc, "verkennen-regie")
    assert [c.text for c in regie.cells] == ["Eerste stappen gezet", "Goed geregeld"]
    assert [c.trend for c in regie.cells] == [None, BETTER]
    assert row(doc, "verkennen-populatie").cells[1].trend == SAME
    assert row(doc, "verkennen-centrumgemeente").cells[0].text == NOT_ANSWERED
    verkennen = doc.phases[0]
    assert [s.average for s in verkennen.summaries] == [3.0, 4.0]
    assert verkennen.summaries[1].trend == BETTER
    assert ("Goed geregeld", 2) in verkennen.summaries[1].distribution
    assert (NOT_ANSWERED, 3) in verkennen.summaries[1].distribution


def test_comparison_of_three_rounds_from_the_middle(three_rounds):
    first, second, third = three_rounds
    doc = queries.comparison_document(second)
    assert [r.conversation_id for r in doc.rounds] == [first.id, second.id, third.id]
    regie = row(doc, "verkennen-regie")
    assert [c.trend for c in regie.cells] == [None, BETTER, SAME]
    populatie = row(doc, "verkennen-populatie")
    assert [c.trend for c in populatie.cells] == [None, WORSE, BETTER]
    financiering = row(doc, "verkennen-financiering")
    assert [c.text for c in financiering.cells] == [
        "Nog niet geregeld",
        "Weet niet / n.v.t.",
        NOT_ANSWERED,
    ]
    assert [c.trend for c in financiering.cells] == [None, None, None]


def test_comparison_numbers_questions_as_in_the_newest_round(app, tmp_path, previous):
    conversation_operations.select_questions(previous, VERKENNEN)
    answer(previous, "verkennen-centrumgemeente", "first_steps")
    answer(previous, "verkennen-populatie", "first_steps")
    newer_version(app, tmp_path)
    second = start(previous).conversation
    conversation_operations.select_questions(second, ["verkennen-populatie", "verkennen-data"])
    answer(second, "verkennen-data", "well_arranged")
    db.session.commit()
    doc = queries.comparison_document(previous)
    numbers = {q.question_id: (q.number, q.in_newest) for p in doc.phases for q in p.questions}
    assert numbers["verkennen-populatie"] == ("1.4", True)  # 1.5 in version 1
    assert numbers["verkennen-data"] == ("1.5", True)
    assert numbers["verkennen-centrumgemeente"] == ("1.2", False)
    assert [c.text for c in row(doc, "verkennen-data").cells] == [NOT_CHOSEN, "Goed geregeld"]
    assert row(doc, "verkennen-regie").text == "Wie heeft de regie over de samenwerking?"
    assert [c.text for c in row(doc, "verkennen-centrumgemeente").cells] == [
        "Eerste stappen gezet",
        NOT_CHOSEN,
    ]


def test_comparison_page_shows_table_and_chart(client, three_rounds):
    first, second, third = three_rounds
    response = client.get(f"/gesprekken/{third.id}/vergelijking")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert page.count("<svg") == 2 and 'role="img"' in page
    assert "<title" in page and "Gemiddelde zelfbeoordeling per fase en ronde" in page
    assert "<desc" in page and "Ronde 1: 08-10-2026" in page
    assert ' style="' not in page.split("<svg", 1)[1]  # the CSP forbids inline styles
    assert "<caption" in page and 'scope="row"' in page
    assert "Grotendeels geregeld" in page and "niet beantwoord" in page
    assert page.count("slechter</span>") == 1 and "beter</span>" in page
    assert "Gemiddeld: 2,3 van 4" in page  # round 1: (2 + 4 + 1) / 3
    assert f'href="/gesprekken/{first.id}"' in page


def test_comparison_chart_content(three_rounds):
    from app.rounds.charts import question_chart

    doc = queries.comparison_document(three_rounds[0])
    drawing, title, description = question_chart(doc)
    assert title == "Zelfbeoordeling per vraag en ronde"
    assert "1.4 Wie voert de regie?" in description
    assert "Ronde 2: 07-10-2027: 3" in description
    texts = [s.text for s in drawing.getContents() if hasattr(s, "text")]
    assert "Ronde 3: 05-10-2028" in texts and "Nog niet" in " ".join(texts)


def test_comparison_with_one_round(client, previous):
    page = client.get(f"/gesprekken/{previous.id}/vergelijking").get_data(as_text=True)
    assert "nog geen eerdere of latere ronde" in page
    assert "<svg" not in page


def test_comparison_pdf(client, three_rounds):
    first, second, third = three_rounds
    response = client.get(f"/gesprekken/{second.id}/vergelijking.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(response.data))
    text = " ".join(" ".join((p.extract_text() or "").split()) for p in reader.pages)
    assert "Vergelijking van gespreksrondes" in text
    assert "Ronde 3: Overleg 2028" in text
    assert "Zelfbeoordeling per vraag en ronde" in text
    assert "Grotendeels geregeld" in text and "slechter" in text and "beter" in text
    assert "Gemiddeld: 2,3 van 4" in text
    assert "niet beantwoord" in text
    assert "Bron vragen en handvatten: Nederlands Jeugdinstituut (2018)" in text
    assert reader.metadata.title.endswith("vergelijking van rondes")


def test_comparison_pdf_shows_the_newest_five_rounds(app, previous):
    from app.rounds.pdf import render_comparison_pdf

    conversation = previous
    for year in range(2027, 2033):
        conversation = start(
            conversation, title=f"Overleg {year}", held_on=date(year, 10, 1)
        ).conversation
    doc = queries.comparison_document(conversation)
    assert len(doc.rounds) == 7
    text = " ".join(
        " ".join((p.extract_text() or "").split())
        for p in PdfReader(io.BytesIO(render_comparison_pdf(doc))).pages
    )
    assert "laatste 5 van de 7 rondes" in text
    assert "Ronde 3: Overleg 2028" in text and "Ronde 2: Overleg 2027" not in text


def test_chain_is_bounded_and_reads_a_fixed_number_of_queries(previous):
    chain = [previous]
    for year in range(2027, 2040):
        chain.append(
            start(chain[-1], title=f"Overleg {year}", held_on=date(year, 10, 1)).conversation
        )
    assert len(chain) == 14

    def count_queries(conversation) -> int:
        db.session.expire_all()
        conversation = db.session.get(Conversation, conversation.id)
        conversation.questionnaire  # noqa: B018 (parsed once per process)
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            queries.comparison_document(conversation)
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(statements)

    rounds = queries.round_chain(chain[0])
    assert len(rounds) == operations.MAX_ROUNDS and rounds[0].id == chain[0].id
    newest = queries.round_chain(chain[-1])
    assert [c.id for c in newest] == [c.id for c in chain[-10:]]
    middle = queries.round_chain(chain[7])
    assert chain[7] in middle and middle[-1].id == chain[-1].id
    assert count_queries(chain[1]) == count_queries(chain[-1])


def test_chain_stays_in_the_region(previous, make_region):
    second = start(previous).conversation
    friesland = make_region("Fryslân", ["Leeuwarden"])
    conversation_operations.update_details(
        second,
        conversation_operations.ConversationDetails(
            second.title, friesland, second.held_on, second.current_phase_id
        ),
    )
    db.session.commit()
    assert [c.id for c in queries.round_chain(previous)] == [previous.id]
    assert [c.id for c in queries.round_chain(second)] == [second.id]


# --- authorisation --------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", ["/nieuwe-ronde", "/vergelijking", "/vergelijking.pdf"])
def test_other_region_is_not_found(client, make_conversation, make_region, suffix):
    other = make_region("Achterhoek", ["Winterswijk"], role=None)
    conversation = make_conversation(title="Geheim overleg", region=other)
    response = client.get(f"/gesprekken/{conversation.id}{suffix}")
    assert response.status_code == 404
    assert "Geheim overleg" not in response.get_data(as_text=True)
    post = client.post(f"/gesprekken/{conversation.id}/nieuwe-ronde", data={"title": "x"})
    assert post.status_code == 404
    assert db.session.scalar(select(db.func.count()).select_from(Conversation)) == 1


def test_member_may_compare_but_not_start_a_round(app, previous):
    member = make_user("lid@handvat.test", "Lies Lid", region=previous.region, role=Role.MEMBER)
    client = app.test_client()
    sign_in(client, member)
    assert client.get(f"/gesprekken/{previous.id}/nieuwe-ronde").status_code == 403
    assert client.post(f"/gesprekken/{previous.id}/nieuwe-ronde", data={}).status_code == 403
    assert client.get(f"/gesprekken/{previous.id}/vergelijking").status_code == 200
    assert client.get(f"/gesprekken/{previous.id}/vergelijking.pdf").status_code == 200
    page = client.get(f"/gesprekken/{previous.id}").get_data(as_text=True)
    assert "Volgende ronde starten" not in page


def test_previous_round_in_a_region_the_user_cannot_see_is_not_named(app, previous, make_region):
    second = start(previous).conversation
    friesland = make_region("Fryslân", ["Leeuwarden"], role=None)
    conversation_operations.update_details(
        previous,
        conversation_operations.ConversationDetails(
            "Verhuisd overleg", friesland, previous.held_on, previous.current_phase_id
        ),
    )
    db.session.commit()
    member = make_user("lid@handvat.test", "Lies Lid", region=second.region, role=Role.MEMBER)
    client = app.test_client()
    sign_in(client, member)
    page = client.get(f"/gesprekken/{second.id}").get_data(as_text=True)
    assert "Verhuisd overleg" not in page and "Vervolg op" not in page


def test_updates_move_with_the_action(previous):
    start(previous)
    updates = db.session.scalars(select(ActionUpdate)).all()
    assert len(updates) == 1
    assert db.session.get(ActionPoint, updates[0].action_id).conversation_id != previous.id


def test_concurrent_rounds_and_an_added_action_lose_nothing(app, previous):
    """Two new rounds started at the same moment from the same conversation, while someone
    adds an action point to it: every action point ends up in exactly one list, once, and
    every list numbers 1, 2, 3 … without gaps."""
    import threading

    from app.actions.operations import ActionData, add_action

    previous_id = previous.id
    barrier = threading.Barrier(3)
    errors = []

    def run(work):
        with app.app_context():
            try:
                conversation = db.session.get(Conversation, previous_id)
                data = round_data(conversation)
                barrier.wait(timeout=10)
                work(conversation, data)
                db.session.commit()
            except Exception as error:  # reported below
                errors.append(error)
                db.session.rollback()

    threads = [
        threading.Thread(target=run, args=(lambda c, d: operations.start_round(c, d, "token-a"),)),
        threading.Thread(target=run, args=(lambda c, d: operations.start_round(c, d, "token-b"),)),
        threading.Thread(
            target=run, args=(lambda c, d: add_action(c, ActionData("Erbij gekomen")),)
        ),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors
    db.session.expire_all()
    rows = db.session.execute(
        select(ActionPoint.description, ActionPoint.conversation_id, ActionPoint.position)
    ).all()
    descriptions = sorted(r.description for r in rows)
    assert descriptions == sorted(
        [
            "Eerste: regie beleggen",
            "Tweede: al klaar",
            "Derde: loopt nog",
            "Vierde: nog open",
            "Erbij gekomen",
        ]
    )
    by_list: dict[int, list[int]] = {}
    for r in rows:
        by_list.setdefault(r.conversation_id, []).append(r.position)
    for positions in by_list.values():
        assert sorted(positions) == list(range(1, len(positions) + 1))
    rounds = db.session.scalars(
        select(Conversation.id).where(Conversation.previous_conversation_id == previous_id)
    ).all()
    assert len(rounds) == 2
    # The open ones all went to the same one of the two rounds; the one added meanwhile is in
    # a list too (the previous one, or the round that started after it was added).
    where = {r.description: r.conversation_id for r in rows}
    first_round = where["Eerste: regie beleggen"]
    assert first_round in rounds
    assert where["Derde: loopt nog"] == where["Vierde: nog open"] == first_round
    assert where["Tweede: al klaar"] == previous_id


# --- deleting a round -----------------------------------------------------------------------------


def test_deleting_a_round_hands_its_carried_actions_back(client, previous, make_action):
    new = start(previous).conversation
    make_action(new, "Nieuw in de tweede ronde")
    page = client.get(f"/gesprekken/{new.id}/verwijderen").get_data(as_text=True)
    assert "4 actiepunten" in page and "3 van deze actiepunten zijn overgenomen" in page
    response = client.post(f"/gesprekken/{new.id}/verwijderen", follow_redirects=True)
    assert "3 actiepunt(en) die uit de vorige ronde waren overgenomen" in response.get_data(
        as_text=True
    )
    assert db.session.get(Conversation, new.id) is None
    assert actions_of(previous.id) == [
        ("Tweede: al klaar", 1, ActionStatus.DONE),
        ("Eerste: regie beleggen", 2, ActionStatus.OPEN),
        ("Derde: loopt nog", 3, ActionStatus.IN_PROGRESS),
        ("Vierde: nog open", 4, ActionStatus.OPEN),
    ]
    back = db.session.scalars(
        select(ActionPoint).where(ActionPoint.conversation_id == previous.id)
    ).all()
    assert {a.origin_conversation_id for a in back} == {None}
    first = next(a for a in back if a.description.startswith("Eerste"))
    assert [u.text for u in progress.history(first.id)] == ["Gesprek gepland"]


def test_a_project_leader_may_start_the_next_round(app, previous):
    leader = make_user("pl@handvat.test", region=previous.region, role=Role.PROJECT_LEADER)
    other = app.test_client()
    sign_in(other, leader)
    assert other.get(f"/gesprekken/{previous.id}/nieuwe-ronde").status_code == 200
    assert other.get("/gesprekken/nieuw").status_code == 403


def test_an_old_link_to_a_moved_action_leads_to_its_new_round(client, previous):
    first = db.session.scalar(
        select(ActionPoint).where(ActionPoint.description.startswith("Eerste"))
    )
    new = start(previous).conversation
    response = client.get(f"/gesprekken/{previous.id}/acties/{first.id}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/gesprekken/{new.id}/acties/{first.id}")
    assert client.get(f"/gesprekken/{previous.id}/acties/999999").status_code == 404
