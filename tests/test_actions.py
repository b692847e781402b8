"""Action points: add from an answer or free-standing, edit, reorder, close, delete."""

from __future__ import annotations

from datetime import date

from app.actions.models import ActionPoint, ActionStatus
from app.actions.operations import move_action
from app.extensions import db

from .forms import action_form


def count_actions() -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(ActionPoint))


def test_add_action_from_question(client, make_conversation):
    conversation = make_conversation()
    page = client.get(f"/gesprekken/{conversation.id}/acties/nieuw?vraag=verkennen-populatie")
    assert '<option selected value="verkennen-populatie">' in page.get_data(as_text=True)
    response = client.post(f"/gesprekken/{conversation.id}/acties/nieuw", data=action_form())
    assert response.status_code == 302
    action = db.session.scalars(db.select(ActionPoint)).one()
    assert (action.phase_id, action.question_id, action.position) == (
        "verkennen",
        "verkennen-populatie",
        1,
    )
    assert action.due_date == date(2027, 3, 1)
    assert action.region_id == conversation.region_id
    listing = client.get(f"/gesprekken/{conversation.id}/acties").get_data(as_text=True)
    assert "Analyse van de zorg binnen het mbo" in listing
    assert "01-03-2027" in listing and "Gemeente Enschede" in listing


def test_free_standing_action_with_phase(client, make_conversation):
    conversation = make_conversation()
    client.post(
        f"/gesprekken/{conversation.id}/acties/nieuw",
        data=action_form(question_id="", phase_id="verankeren", due_date=""),
    )
    action = db.session.scalars(db.select(ActionPoint)).one()
    assert (action.question_id, action.phase_id, action.due_date) == (None, "verankeren", None)


def test_double_submit_adds_one_action(client, make_conversation):
    conversation = make_conversation()
    url = f"/gesprekken/{conversation.id}/acties/nieuw"
    client.post(url, data=action_form())
    client.post(url, data=action_form())
    assert count_actions() == 1
    client.post(url, data=action_form(creation_token="tok-2"))
    assert count_actions() == 2


def test_bad_action_input_gets_dutch_messages_and_keeps_text(client, make_conversation):
    conversation = make_conversation()
    url = f"/gesprekken/{conversation.id}/acties/nieuw"
    response = client.post(url, data=action_form(due_date="volgende week"))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "is geen datum. Schrijf de datum als dd-mm-jjjj" in page
    assert "Analyse van de zorg binnen het mbo laten maken" in page
    assert 'value="volgende week"' in page
    response = client.post(url, data=action_form(description="  "))
    assert "Beschrijf wat er gedaan wordt." in response.get_data(as_text=True)
    long_text = "b" * 20_000
    response = client.post(url, data=action_form(description=long_text))
    page = response.get_data(as_text=True)
    assert "De beschrijving is te lang: 20.000 tekens" in page and long_text in page
    response = client.post(url, data=action_form(question_id="verzonnen-vraag"))
    assert "Ongeldige keuze" in response.get_data(as_text=True)
    assert count_actions() == 0


def test_edit_with_conflict_keeps_both_versions(client, make_conversation, make_action):
    conversation = make_conversation()
    action = make_action(conversation, "Oorspronkelijk")
    url = f"/gesprekken/{conversation.id}/acties/{action.id}/bewerken"
    assert (
        client.post(url, data=action_form(description="Eerste wijziging", revision="1")).status_code
        == 302
    )
    response = client.post(url, data=action_form(description="Tweede wijziging", revision="1"))
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Dit actiepunt is intussen gewijzigd" in page
    assert "Eerste wijziging" in page and "Tweede wijziging" in page
    assert (
        client.post(url, data=action_form(description="Tweede wijziging", revision="2")).status_code
        == 302
    )
    db.session.refresh(action)
    assert action.description == "Tweede wijziging"


def test_close_reopen_and_closed_dt(client, make_conversation, make_action):
    conversation = make_conversation()
    action = make_action(conversation)
    url = f"/gesprekken/{conversation.id}/acties/{action.id}/status"
    client.post(url, data={"status": "afgerond", "revision": str(action.revision)})
    db.session.refresh(action)
    assert action.status is ActionStatus.DONE and action.closed_dt is not None
    client.post(url, data={"status": "open", "revision": str(action.revision)})
    db.session.refresh(action)
    assert action.status is ActionStatus.OPEN and action.closed_dt is None
    assert client.post(url, data={"status": "weg"}).status_code == 400


def test_reorder(client, make_conversation, make_action):
    conversation = make_conversation()
    first, second, third = (make_action(conversation, f"Actie {n}") for n in (1, 2, 3))
    client.post(
        f"/gesprekken/{conversation.id}/acties/{third.id}/verplaatsen",
        data={"direction": "up", "position": "3"},
    )
    ordered = db.session.scalars(
        db.select(ActionPoint.description).order_by(ActionPoint.position)
    ).all()
    assert ordered == ["Actie 1", "Actie 3", "Actie 2"]
    move_action(conversation, first.id, "up", 1)  # already first: nothing changes
    db.session.commit()
    ordered = db.session.scalars(
        db.select(ActionPoint.description).order_by(ActionPoint.position)
    ).all()
    assert ordered == ["Actie 1", "Actie 3", "Actie 2"]


def test_delete_asks_first(client, make_conversation, make_action):
    conversation = make_conversation()
    action = make_action(conversation)
    url = f"/gesprekken/{conversation.id}/acties/{action.id}/verwijderen"
    assert "Actiepunt verwijderen?" in client.get(url).get_data(as_text=True)
    assert count_actions() == 1
    client.post(url, data={"revision": str(action.revision)})
    assert count_actions() == 0


def test_action_of_other_conversation_is_not_found(
    client, make_conversation, make_action, make_region
):
    mine = make_conversation()
    other = make_conversation(
        title="Ander gesprek", region=make_region("Friesland", ["Leeuwarden"])
    )
    foreign = make_action(other, "Niet van jou")
    for method, url in (
        ("get", f"/gesprekken/{mine.id}/acties/{foreign.id}/bewerken"),
        ("post", f"/gesprekken/{mine.id}/acties/{foreign.id}/status"),
        ("post", f"/gesprekken/{mine.id}/acties/{foreign.id}/verplaatsen"),
        ("post", f"/gesprekken/{mine.id}/acties/{foreign.id}/verwijderen"),
    ):
        response = getattr(client, method)(
            url,
            data={"status": "afgerond", "direction": "up", "position": "1", "revision": "1"},
        )
        # Another conversation's action point is as good as deleted here: a 404, or back to
        # this list with "bestaat niet meer"; never a change, never its text.
        assert response.status_code in (302, 404), url
        if response.status_code == 302:
            page = client.get(response.location).get_data(as_text=True)
            assert "Niet van jou" not in page
            assert "bestaat niet meer" in page or "staat niet (meer) in dit gesprek" in page
    db.session.refresh(foreign)
    assert foreign.status is ActionStatus.OPEN and foreign.position == 1


def test_csrf_is_required_and_a_refused_form_gives_the_text_back(app, client, make_conversation):
    app.config["WTF_CSRF_ENABLED"] = True
    conversation = make_conversation()
    response = client.post(
        f"/gesprekken/{conversation.id}/vragen/verkennen-regie",
        data={"text": "Een lang antwoord dat niet verloren mag gaan.", "revision": "0"},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Het formulier is verlopen" in page
    assert "Een lang antwoord dat niet verloren mag gaan." in page
    page = client.get(f"/gesprekken/{conversation.id}/vragen/verkennen-regie")
    assert 'name="csrf_token"' in page.get_data(as_text=True)


def test_security_headers(client):
    response = client.get("/")
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_oversized_request_gets_dutch_message(client, make_conversation):
    conversation = make_conversation()
    response = client.post(
        f"/gesprekken/{conversation.id}/vragen/verkennen-regie",
        data={"text": "x" * (2 * 1024 * 1024), "revision": "0"},
    )
    assert response.status_code == 413
    assert "Wat u verstuurde is te groot" in response.get_data(as_text=True)


def test_question_page_lists_the_actions_of_that_question(client, make_conversation, make_action):
    conversation = make_conversation()
    make_action(conversation, "Bij de regievraag", question_id="verkennen-regie")
    make_action(conversation, "Bij een andere vraag", question_id="verkennen-populatie")
    page = client.get(f"/gesprekken/{conversation.id}/vragen/verkennen-regie").get_data(
        as_text=True
    )
    assert "Actiepunten bij deze vraag" in page
    assert "Bij de regievraag" in page and "Bij een andere vraag" not in page
