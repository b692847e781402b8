"""Starting a conversation, choosing questions and answering them."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from app.conversations import operations
from app.conversations.models import Answer, Conversation
from app.conversations.queries import chosen_question_ids
from app.extensions import db

from .database import statements
from .forms import start_form


def test_start_conversation_preselects_questions_of_current_phase(client, make_region):
    region = make_region()
    response = client.post("/gesprekken/nieuw", data=start_form(region.id))
    assert response.status_code == 302
    conversation = db.session.scalars(db.select(Conversation)).one()
    assert response.location.endswith(f"/gesprekken/{conversation.id}/vragen")
    assert conversation.held_on == date(2026, 10, 8)
    assert [p.name for p in conversation.participants] == ["Anna de Vries", "Bas Jansen"]
    assert chosen_question_ids(conversation) == [
        "vormgeven-ondersteuningsstructuur",
        "vormgeven-kwaliteitseisen",
        "vormgeven-dekkend-aanbod",
        "vormgeven-professionalisering",
    ]
    page = client.get(response.location).get_data(as_text=True)
    assert re.search(r'value="vormgeven-kwaliteitseisen" id="[^"]+"\s+checked', page)
    assert not re.search(r'value="verkennen-regie" id="[^"]+"\s+checked', page)
    assert "Fase: Verkennen" in page and "Fase: Verankeren" in page


def test_double_submit_of_start_form_makes_one_conversation(client, make_region):
    region = make_region()
    first = client.post("/gesprekken/nieuw", data=start_form(region.id))
    second = client.post("/gesprekken/nieuw", data=start_form(region.id))
    assert first.location == second.location
    assert db.session.scalar(db.select(db.func.count()).select_from(Conversation)) == 1


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("title", "", "Geef het gesprek een titel."),
        ("held_on", "", "Vul de datum van het gesprek in"),
        ("held_on", "morgen", "&#39;morgen&#39; is geen datum. Schrijf de datum als dd-mm-jjjj"),
        ("held_on", "31-02-2026", "bestaat niet als datum"),
        ("title", "x" * 201, "De titel is te lang: 201 tekens"),
        ("participants-1-organisation", "", "Vul de organisatie in."),
    ],
)
def test_bad_start_input_gets_dutch_message_and_keeps_input(
    client, make_region, field, value, message
):
    region = make_region()
    response = client.post("/gesprekken/nieuw", data=start_form(region.id, **{field: value}))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in page
    assert "Controleer uw invoer" in page
    assert 'value="Anna de Vries"' in page  # nothing typed is lost
    assert db.session.scalar(db.select(db.func.count()).select_from(Conversation)) == 0


def test_add_participant_row_without_javascript(client, make_region):
    region = make_region()
    response = client.post("/gesprekken/nieuw", data=start_form(region.id, add_participant="1"))
    page = response.get_data(as_text=True)
    assert 'name="participants-4-name"' in page
    assert 'value="Bas Jansen"' in page
    assert db.session.scalar(db.select(db.func.count()).select_from(Conversation)) == 0


def test_unknown_region_is_refused(client, make_region):
    make_region()
    response = client.post("/gesprekken/nieuw", data=start_form(9999))
    assert response.status_code == 422
    assert "Not a valid choice" not in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count()).select_from(Conversation)) == 0


def test_choose_questions_keeps_answers_of_deselected_questions(client, make_conversation):
    conversation = make_conversation(current_phase_id="verkennen")
    operations.save_answer(conversation, "verkennen-regie", "De gemeente voert regie.", None, 0)
    db.session.commit()
    shown = " ".join(chosen_question_ids(conversation))
    response = client.post(
        f"/gesprekken/{conversation.id}/vragen",
        data={"question_ids": ["verankeren-opbrengst"], "shown_selection": shown},
    )
    assert response.status_code == 302
    assert chosen_question_ids(conversation) == ["verankeren-opbrengst"]
    assert db.session.scalar(db.select(Answer.text)) == "De gemeente voert regie."
    response = client.post(f"/gesprekken/{conversation.id}/vragen", data={})
    assert "Kies minstens één vraag" in response.get_data(as_text=True)


def test_choosing_questions_in_two_tabs_shows_the_other_choice(client, make_conversation):
    conversation = make_conversation(current_phase_id="verkennen")
    url = f"/gesprekken/{conversation.id}/vragen"
    shown = " ".join(chosen_question_ids(conversation))
    first = client.post(url, data={"question_ids": ["verkennen-regie"], "shown_selection": shown})
    assert first.status_code == 302
    again = client.post(url, data={"question_ids": ["verkennen-regie"], "shown_selection": shown})
    assert again.status_code == 302  # the same choice twice: a double submit
    other = client.post(
        url, data={"question_ids": ["verankeren-opbrengst"], "shown_selection": shown}
    )
    page = other.get_data(as_text=True)
    assert other.status_code == 409
    assert "Iemand anders heeft de keuze intussen gewijzigd" in page
    assert re.search(r'value="verankeren-opbrengst" id="[^"]+"\s+checked', page)
    assert chosen_question_ids(conversation) == ["verkennen-regie"]
    assert 'name="shown_selection" type="hidden" value="verkennen-regie"' in page


def test_a_save_reads_the_conversation_and_its_chosen_questions_in_one_statement(
    client, make_conversation
):
    conversation = make_conversation(current_phase_id="verkennen")
    url = f"/gesprekken/{conversation.id}/vragen/verkennen-centrumgemeente"
    with statements() as sent:
        response = client.post(url, data={"text": "Enschede.", "revision": "0", "go": "next"})
    assert response.location.endswith("/vragen/verkennen-financiering")  # the next one chosen
    reads = [s for s in sent if "selected_question" in s]
    assert len(reads) == 1 and "FROM conversation" in reads[0]
    last = f"/gesprekken/{conversation.id}/vragen/{chosen_question_ids(conversation)[-1]}"
    response = client.post(last, data={"text": "Laatste.", "revision": "0", "go": "next"})
    assert response.location.endswith(f"/gesprekken/{conversation.id}")  # no next: the overview


def test_answer_and_navigate(client, make_conversation):
    conversation = make_conversation(current_phase_id="verkennen")
    url = f"/gesprekken/{conversation.id}/vragen/verkennen-centrumgemeente"
    page = client.get(url).get_data(as_text=True)
    assert "In hoeverre speelt een centrumgemeente" in page
    assert "Als de rol van de centrumgemeente legitiem is" in page  # the guidance
    assert "vraag 2 van 5" in page
    response = client.post(
        url,
        data={
            "text": "Enschede is centrumgemeente.",
            "assessment_id": "first_steps",
            "revision": "0",
            "go": "next",
        },
    )
    assert response.location.endswith("/vragen/verkennen-financiering")
    answer = db.session.scalars(db.select(Answer)).one()
    assert (answer.text, answer.assessment_id, answer.revision) == (
        "Enschede is centrumgemeente.",
        "first_steps",
        1,
    )
    response = client.post(
        url,
        data={
            "text": "Enschede is centrumgemeente.",
            "assessment_id": "first_steps",
            "revision": "1",
            "go": "previous",
        },
    )
    assert response.location.endswith("/vragen/verkennen-bestuurlijk-overleg")
    response = client.post(
        url, data={"text": "x", "revision": "1", "go": "question:verkennen-regie"}
    )
    assert response.location.endswith("/vragen/verkennen-regie")
    response = client.post(url, data={"text": "x", "revision": "2", "go": "add_action"})
    assert "/acties/nieuw?vraag=verkennen-centrumgemeente" in response.location
    overview = client.get(f"/gesprekken/{conversation.id}").get_data(as_text=True)
    assert "1 van de 5 gekozen vragen zijn beantwoord" in overview
    assert "Verder met de vragen" in overview


def test_too_long_answer_is_refused_and_kept(client, make_conversation):
    conversation = make_conversation()
    text = "a" * 20_000
    response = client.post(
        f"/gesprekken/{conversation.id}/vragen/verkennen-regie",
        data={"text": text, "revision": "0", "go": "next"},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Het antwoord is te lang: 20.000 tekens. Het mag maximaal 10.000 tekens zijn." in page
    assert text in page
    assert db.session.scalar(db.select(db.func.count()).select_from(Answer)) == 0


def test_second_tab_conflict_shows_both_versions(client, make_conversation):
    conversation = make_conversation()
    url = f"/gesprekken/{conversation.id}/vragen/verkennen-regie"
    client.post(url, data={"text": "Eerste tabblad", "revision": "0", "go": "stay"})
    response = client.post(url, data={"text": "Tweede tabblad", "revision": "0", "go": "stay"})
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Dit antwoord is intussen gewijzigd" in page
    assert "Eerste tabblad" in page and "Tweede tabblad" in page
    assert re.search(r'name="revision" type="hidden" value="1"', page)
    response = client.post(url, data={"text": "Samengevoegd", "revision": "1", "go": "stay"})
    assert response.status_code == 302
    assert db.session.scalar(db.select(Answer.text)) == "Samengevoegd"


def test_double_submit_of_same_answer_is_accepted(client, make_conversation):
    conversation = make_conversation()
    url = f"/gesprekken/{conversation.id}/vragen/verkennen-regie"
    data = {"text": "Zelfde tekst", "assessment_id": "unknown", "revision": "0", "go": "next"}
    assert client.post(url, data=data).status_code == 302
    assert client.post(url, data=data).status_code == 302
    assert db.session.scalar(db.select(Answer.revision)) == 1


def test_tampered_ids_give_dutch_404(client, make_conversation):
    conversation = make_conversation()
    for url in (
        f"/gesprekken/{conversation.id + 1}",
        "/gesprekken/abc",
        f"/gesprekken/{conversation.id}/vragen/bestaat-niet",
        f"/gesprekken/{conversation.id}/vragen/verankeren-opbrengst",
    ):  # not chosen
        response = client.get(url)
        assert response.status_code == 404, url
        assert "Pagina niet gevonden" in response.get_data(as_text=True)


def test_tampered_assessment_is_refused(client, make_conversation):
    conversation = make_conversation()
    response = client.post(
        f"/gesprekken/{conversation.id}/vragen/verkennen-regie",
        data={"text": "Tekst", "assessment_id": "excellent", "revision": "0"},
    )
    assert response.status_code == 422
    assert "Tekst" in response.get_data(as_text=True)


def test_edit_details_and_participants(client, make_conversation):
    conversation = make_conversation()
    page = client.get(f"/gesprekken/{conversation.id}/bewerken").get_data(as_text=True)
    assert 'value="Anna de Vries"' in page and 'value="08-10-2026"' in page
    response = client.post(
        f"/gesprekken/{conversation.id}/bewerken",
        data=start_form(
            conversation.region_id,
            title="Nieuwe titel",
            details_revision="1",
            **{"participants-0-name": ""},
            **{"participants-0-organisation": "", "participants-0-role": ""},
        ),
    )
    assert response.status_code == 302
    db.session.refresh(conversation)
    assert conversation.title == "Nieuwe titel"
    assert [p.name for p in conversation.participants] == ["Bas Jansen"]


def test_conversation_keeps_its_questionnaire_version(app, make_conversation, tmp_path):
    from app.questionnaires.loader import QuestionnaireRegistry

    conversation = make_conversation()
    original = conversation.questionnaire.questions_by_id["verkennen-regie"].text
    folder = tmp_path / "q"
    folder.mkdir()
    original_file = Path(app.config["QUESTIONNAIRE_FOLDER"]) / "handvatten-voor-gesprek-v1.yaml"
    text = original_file.read_text(encoding="utf-8")
    (folder / "v1.yaml").write_text(
        text.replace("Wie voert de regie?", "Wie heeft de regie?"), encoding="utf-8"
    )
    app.extensions["handvat_questionnaires"] = QuestionnaireRegistry.from_folder(folder)
    newer = operations.start_conversation(
        operations.ConversationDetails(
            "Later gesprek", conversation.region, date(2027, 1, 1), "verkennen"
        ),
        [],
    ).conversation
    db.session.commit()
    db.session.expire_all()
    old = db.session.get(Conversation, conversation.id)
    assert old.questionnaire.questions_by_id["verkennen-regie"].text == original
    assert newer.questionnaire.questions_by_id["verkennen-regie"].text == "Wie heeft de regie?"
    assert old.questionnaire_snapshot_id != newer.questionnaire_snapshot_id


def test_saving_over_a_loaded_answer_keeps_the_session_copy_current(make_conversation):
    conversation = make_conversation()
    operations.save_answer(conversation, "verkennen-regie", "Eerste", None, 0)
    db.session.commit()
    loaded = db.session.scalars(db.select(Answer)).one()
    operations.save_answer(conversation, "verkennen-regie", "Tweede", "first_steps", 1)
    db.session.commit()
    again = db.session.scalars(db.select(Answer)).one()
    assert again is loaded
    assert (again.text, again.assessment_id, again.revision) == ("Tweede", "first_steps", 2)
    with pytest.raises(operations.EditConflict):
        operations.save_answer(conversation, "verkennen-regie", "Derde", None, 1)
    db.session.rollback()
    operations.save_answer(conversation, "verkennen-regie", "Tweede", "first_steps", 1)
    assert db.session.scalar(db.select(Answer.revision)) == 2  # a double submit changes nothing


def test_moving_a_conversation_to_another_region_moves_its_actions(
    make_conversation, make_action, make_region
):
    from app.actions.models import ActionPoint

    conversation = make_conversation()
    action = make_action(conversation)
    friesland = make_region("Friesland", ["Leeuwarden"])
    operations.update_details(
        conversation,
        operations.ConversationDetails(
            conversation.title, friesland, conversation.held_on, conversation.current_phase_id
        ),
    )
    db.session.commit()
    assert (
        db.session.scalar(db.select(ActionPoint.region_id).where(ActionPoint.id == action.id))
        == friesland.id
    )


def test_delete_conversation_with_everything_in_it(client, make_conversation, make_action):
    from app.actions.models import ActionPoint

    conversation = make_conversation()
    operations.save_answer(conversation, "verkennen-regie", "Antwoord", None, 0)
    make_action(conversation, "Actie")
    url = f"/gesprekken/{conversation.id}/verwijderen"
    page = client.get(url).get_data(as_text=True)
    assert "Gesprek verwijderen?" in page and "1 beantwoorde vraag" in page
    response = client.post(url)
    assert response.status_code == 302
    assert "is verwijderd" in client.get("/").get_data(as_text=True)
    for model in (Conversation, Answer, ActionPoint):
        assert db.session.scalar(db.select(db.func.count()).select_from(model)) == 0
    assert client.get(f"/gesprekken/{conversation.id}").status_code == 404
