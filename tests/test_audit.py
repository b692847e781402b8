"""The audit trail: every change to a conversation, its answers, participants, chosen questions
and action points is recorded with who, when and from what to what, and shown read-only."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from app.accounts.roles import Role
from app.actions.models import ActionPoint
from app.actions.operations import move_action
from app.audit.models import AuditAction, AuditEvent, AuditTrailIsReadOnly
from app.audit.operations import COMMAND_LINE, record
from app.conversations import operations
from app.conversations.models import Answer, Conversation
from app.conversations.queries import chosen_question_ids
from app.extensions import db

from .accounts import make_user, sign_in
from .forms import action_form, start_form


def events(object_type: str | None = None) -> list[AuditEvent]:
    statement = db.select(AuditEvent).order_by(AuditEvent.id)
    if object_type is not None:
        statement = statement.where(AuditEvent.object_type == object_type)
    db.session.expire_all()
    return list(db.session.scalars(statement))


def changes_of(event: AuditEvent) -> dict[str, tuple[str, str]]:
    return {c["field"]: (c["before"], c["after"]) for c in event.changes}


def assert_recent_by(event: AuditEvent, user) -> None:
    assert (event.actor_id, event.actor_name) == (user.id, user.name)
    at = event.at if event.at.tzinfo else event.at.replace(tzinfo=UTC)
    assert datetime.now(UTC) - at < timedelta(minutes=1)


def other_client(app, region, role=Role.MEMBER, email="lid@handvat.test", name="Lotte Lid"):
    user = make_user(email, name, region=region, role=role)
    client = app.test_client()
    sign_in(client, user)
    return client


# --- what is recorded --------------------------------------------------------------------------


def test_starting_a_conversation_is_recorded(client, tester, make_region):
    region = make_region()
    response = client.post("/gesprekken/nieuw", data=start_form(region.id))
    assert response.status_code == 302
    (event,) = events("conversation")
    conversation = db.session.scalar(db.select(Conversation))
    assert event.action is AuditAction.CREATED
    assert (event.region_id, event.conversation_id) == (region.id, conversation.id)
    assert event.object_label == "Bestuurlijk overleg Twente"
    assert_recent_by(event, tester)
    assert changes_of(event) == {
        "Titel": ("", "Bestuurlijk overleg Twente"),
        "Regio": ("", "Twente"),
        "Datum": ("", "08-10-2026"),
        "Fase": ("", "Vormgeven"),
        "Deelnemers": (
            "",
            "Anna de Vries (Gemeente Enschede, Wethouder); Bas Jansen (ROC van Twente, Bestuurder)",
        ),
        "Gekozen vragen": ("", changes_of(event)["Gekozen vragen"][1]),
    }
    assert changes_of(event)["Gekozen vragen"][1].startswith("3.1, 3.2")


def test_changed_details_and_participants_are_recorded(client, tester, make_conversation):
    conversation = make_conversation()
    before = len(events())
    response = client.post(
        f"/gesprekken/{conversation.id}/bewerken",
        data=start_form(conversation.region_id, title="Nieuwe titel", details_revision="1"),
    )
    assert response.status_code == 302
    details, participants = events()[before:]
    assert (details.object_type, details.action) == ("conversation", AuditAction.CHANGED)
    assert changes_of(details) == {
        "Titel": ("Bestuurlijk overleg mbo", "Nieuwe titel"),
        "Fase": ("Verkennen", "Vormgeven"),
    }
    assert participants.object_type == "participants"
    assert participants.object_label == "Deelnemers"
    assert changes_of(participants) == {
        "Deelnemers": (
            "Anna de Vries (Gemeente Enschede, Wethouder)",
            "Anna de Vries (Gemeente Enschede, Wethouder); Bas Jansen (ROC van Twente, Bestuurder)",
        )
    }
    for event in (details, participants):
        assert_recent_by(event, tester)
        assert (event.region_id, event.conversation_id) == (conversation.region_id, conversation.id)
    # The same form again: nothing changes, nothing is recorded.
    client.post(
        f"/gesprekken/{conversation.id}/bewerken",
        data=start_form(conversation.region_id, title="Nieuwe titel", details_revision="2"),
    )
    assert len(events()) == before + 2


def test_moving_a_conversation_is_recorded_in_the_region_it_left(
    client, make_conversation, make_region
):
    conversation = make_conversation()
    twente = conversation.region_id
    friesland = make_region("Friesland", ["Leeuwarden"])
    client.post(
        f"/gesprekken/{conversation.id}/bewerken",
        data=start_form(
            friesland.id,
            title=conversation.title,
            current_phase_id="verkennen",
            details_revision="1",
            **{
                "participants-1-name": "",
                "participants-1-organisation": "",
                "participants-1-role": "",
            },
        ),
    )
    (event,) = [e for e in events("conversation") if e.action is AuditAction.CHANGED]
    assert changes_of(event) == {"Regio": ("Twente", "Friesland")}
    assert event.region_id == twente
    assert not events("participants")  # the same one participant


def test_chosen_questions_are_recorded_as_numbers(client, tester, make_conversation):
    conversation = make_conversation(current_phase_id="verkennen")
    shown = " ".join(chosen_question_ids(conversation))
    response = client.post(
        f"/gesprekken/{conversation.id}/vragen",
        data={
            "question_ids": ["verkennen-regie", "verankeren-opbrengst"],
            "shown_selection": shown,
        },
    )
    assert response.status_code == 302
    (event,) = events("questions")
    assert event.object_label == "Gekozen vragen"
    before, after = changes_of(event)["Gekozen vragen"]
    assert before == "1.1, 1.2, 1.3, 1.4, 1.5"
    assert re.fullmatch(r"1\.4, 4\.\d+", after)
    assert_recent_by(event, tester)


def test_answers_are_recorded_and_an_unchanged_save_is_not(client, tester, make_conversation):
    conversation = make_conversation()
    url = f"/gesprekken/{conversation.id}/vragen/verkennen-regie"
    first = {"text": "Eerste versie", "assessment_id": "first_steps", "revision": "0", "go": "stay"}
    assert client.post(url, data=first).status_code == 302
    (created,) = events("answer")
    answer = db.session.scalar(db.select(Answer))
    assert created.action is AuditAction.CREATED
    assert (created.object_id, created.object_label) == (answer.id, "Vraag 1.4")
    assert (created.region_id, created.conversation_id) == (conversation.region_id, conversation.id)
    assert changes_of(created) == {
        "Antwoord": ("", "Eerste versie"),
        "Zelfbeoordeling": ("", "Eerste stappen gezet"),
    }
    assert_recent_by(created, tester)

    # The usual save: the one-UPDATE path, which must still know what was there before.
    second = first | {"text": "Tweede versie", "revision": "1"}
    assert client.post(url, data=second).status_code == 302
    changed = events("answer")[-1]
    assert changed.action is AuditAction.CHANGED
    assert changes_of(changed) == {"Antwoord": ("Eerste versie", "Tweede versie")}
    assert_recent_by(changed, tester)

    third = {"text": "Tweede versie", "assessment_id": "well_arranged", "revision": "2"}
    client.post(url, data=third | {"go": "stay"})
    assert changes_of(events("answer")[-1]) == {
        "Zelfbeoordeling": ("Eerste stappen gezet", "Goed geregeld")
    }

    count = len(events())
    client.post(url, data=third | {"go": "stay"})  # a double submit (stale revision)
    client.post(url, data=third | {"revision": "3", "go": "stay"})  # saved, nothing changed
    client.post(url, data={"text": "Oud tabblad", "revision": "1", "go": "stay"})  # a conflict
    assert len(events()) == count
    assert db.session.scalar(db.select(Answer.revision)) == 3


def test_a_skipped_question_records_nothing(make_conversation):
    conversation = make_conversation()
    count = len(events())
    operations.save_answer(conversation, "verkennen-regie", "  ", None, 0)
    db.session.commit()
    assert len(events()) == count


def test_action_points_are_recorded(client, tester, make_conversation):
    conversation = make_conversation()
    base = f"/gesprekken/{conversation.id}/acties"
    assert client.post(f"{base}/nieuw", data=action_form()).status_code == 302
    action = db.session.scalar(db.select(ActionPoint))
    (created,) = events("action_point")
    assert created.action is AuditAction.CREATED
    assert created.object_id == action.id
    assert created.object_label == "Actiepunt 1: Analyse van de zorg binnen het mbo laten maken"
    assert changes_of(created) == {
        "Omschrijving": ("", "Analyse van de zorg binnen het mbo laten maken"),
        "Trekker": ("", "Anna de Vries"),
        "Organisatie": ("", "Gemeente Enschede"),
        "Deadline": ("", "01-03-2027"),
        "Status": ("", "Open"),
        "Prioriteit": ("", "Hoog"),
        "Fase": ("", "Verkennen"),
        "Vraag": ("", "1.5"),
    }
    assert_recent_by(created, tester)

    edited = action_form(
        description="Een heel lange omschrijving die veel langer is dan zestig tekens, echt waar",
        question_id="",
        phase_id="verankeren",
        owner_name="Bas Jansen",
        due_date="",
        revision=str(action.revision),
    )
    assert client.post(f"{base}/{action.id}/bewerken", data=edited).status_code == 302
    changed = events("action_point")[-1]
    assert changed.action is AuditAction.CHANGED
    assert changed.object_label == (
        "Actiepunt 1: Een heel lange omschrijving die veel langer is dan zestig te…"
    )
    assert changes_of(changed) == {
        "Omschrijving": (
            "Analyse van de zorg binnen het mbo laten maken",
            "Een heel lange omschrijving die veel langer is dan zestig tekens, echt waar",
        ),
        "Trekker": ("Anna de Vries", "Bas Jansen"),
        "Deadline": ("01-03-2027", ""),
        "Fase": ("Verkennen", "Verankeren"),
        "Vraag": ("1.5", ""),
    }

    db.session.refresh(action)
    status_url = f"{base}/{action.id}/status"
    client.post(status_url, data={"status": "afgerond", "revision": str(action.revision)})
    assert changes_of(events("action_point")[-1]) == {"Status": ("Open", "Afgerond")}
    count = len(events())
    client.post(status_url, data={"status": "afgerond", "revision": "1"})  # already so
    assert len(events()) == count

    client.post(f"{base}/nieuw", data=action_form(description="Tweede", creation_token="tok-2"))
    second = db.session.scalar(db.select(ActionPoint).where(ActionPoint.description == "Tweede"))
    client.post(f"{base}/{second.id}/verplaatsen", data={"direction": "up", "position": "2"})
    moved = events("action_point")[-1]
    assert (moved.object_id, moved.action) == (second.id, AuditAction.CHANGED)
    assert moved.object_label == "Actiepunt 1: Tweede"
    assert changes_of(moved) == {"Positie": ("2", "1")}
    count = len(events())
    move_action(conversation, second.id, "up", 1)  # already first: nothing to record
    db.session.commit()
    assert len(events()) == count

    db.session.refresh(action)
    client.post(f"{base}/{action.id}/verwijderen", data={"revision": str(action.revision)})
    deleted = events("action_point")[-1]
    assert (deleted.object_id, deleted.action) == (action.id, AuditAction.DELETED)
    assert deleted.object_label.startswith("Actiepunt 2: Een heel lange")
    assert changes_of(deleted)["Status"] == ("Afgerond", "")
    assert_recent_by(deleted, tester)


def test_operations_without_a_request_are_recorded_as_the_command_line(make_conversation):
    make_conversation()
    (event,) = events("conversation")
    assert (event.actor_id, event.actor_name) == (None, COMMAND_LINE)


# --- the trail is kept and never changed -------------------------------------------------------


def test_trail_survives_deleting_the_conversation(client, app, tester, make_conversation):
    conversation = make_conversation(title="Gesprek dat weg gaat")
    operations.save_answer(conversation, "verkennen-regie", "Antwoord", None, 0)
    db.session.commit()
    response = client.post(f"/gesprekken/{conversation.id}/verwijderen")
    assert response.status_code == 302
    deleted = events("conversation")[-1]
    assert deleted.action is AuditAction.DELETED
    assert_recent_by(deleted, tester)
    assert changes_of(deleted)["Titel"] == ("Gesprek dat weg gaat", "")
    assert changes_of(deleted)["Beantwoorde vragen"] == ("1", "")
    kept = [e.object_type for e in events() if e.conversation_id == conversation.id]
    assert kept == ["conversation", "answer", "conversation"]  # created, answered, deleted

    assert client.get(f"/gesprekken/{conversation.id}/geschiedenis").status_code == 404
    member = other_client(app, conversation.region)
    page = member.get(f"/regio/{conversation.region.slug}/geschiedenis").get_data(as_text=True)
    assert "Gesprek dat weg gaat" in page and "(verwijderd)" in page
    assert "Antwoord op vraag 1.4" in page
    assert "Verwijderd:" in page and "Tess Tester" in page


def test_audit_events_cannot_be_changed_or_deleted(make_conversation):
    make_conversation()
    event = events()[-1]
    event.actor_name = "Iemand anders"
    with pytest.raises(AuditTrailIsReadOnly):
        db.session.flush()
    db.session.rollback()
    event = events()[-1]
    db.session.delete(event)
    with pytest.raises(AuditTrailIsReadOnly):
        db.session.flush()
    db.session.rollback()
    assert events()[-1].actor_name == COMMAND_LINE


# --- the pages ---------------------------------------------------------------------------------


def test_conversation_history_page_shows_who_what_and_from_what(app, client, make_conversation):
    conversation = make_conversation()
    url = f"/gesprekken/{conversation.id}/vragen/verkennen-regie"
    long_text = "Eerste alinea.\n\nTweede alinea, " + "met heel veel woorden " * 10
    client.post(url, data={"text": long_text, "revision": "0", "go": "stay"})
    client.post(url, data={"text": "Kort", "assessment_id": "unknown", "revision": "1"})

    show = client.get(f"/gesprekken/{conversation.id}").get_data(as_text=True)
    assert f'href="/gesprekken/{conversation.id}/geschiedenis"' in show

    member = other_client(app, conversation.region)
    response = member.get(f"/gesprekken/{conversation.id}/geschiedenis")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<caption" in page and '<th scope="col">Wanneer</th>' in page
    assert '<th scope="col">Van en naar</th>' in page
    assert "Tess Tester" in page and COMMAND_LINE in page
    assert "Gewijzigd:</strong> Antwoord op vraag 1.4" in page
    assert "Aangemaakt:</strong> Gesprek ‘Bestuurlijk overleg mbo’" in page
    assert 'van <span class="muted">(leeg)</span> naar ‘Weet niet / n.v.t.’' in page
    assert "<details>" in page and "Oude en nieuwe tekst tonen" in page
    assert "Eerste alinea.\n\nTweede alinea" in page  # in full, line breaks kept
    # Newest first, with a Dutch date and time.
    assert page.index("Gewijzigd:</strong> Antwoord") < page.index("Aangemaakt:</strong> Gesprek")
    assert re.search(r"\d\d-\d\d-20\d\d \d\d:\d\d", page)
    # Read only: the only form is the sign-out button in the header.
    assert page.count("<form") == 1 and 'action="/uitloggen"' in page


def test_region_history_shows_conversations_and_members(app, client, make_conversation):
    conversation = make_conversation()
    member = other_client(app, conversation.region)
    response = member.get(f"/regio/{conversation.region.slug}/geschiedenis")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<th scope="col">Gesprek</th>' in page
    assert f'<a href="/gesprekken/{conversation.id}">Bestuurlijk overleg mbo</a>' in page
    assert "Toegevoegd:</strong> Lid van de regio: Lotte Lid" in page
    assert page.count("<form") == 1


def test_history_of_another_region_is_not_found(app, client, make_conversation, make_region):
    conversation = make_conversation()
    friesland = make_region("Friesland", ["Leeuwarden"])
    outsider = other_client(app, friesland, role=Role.COORDINATOR)
    assert outsider.get(f"/gesprekken/{conversation.id}/geschiedenis").status_code == 404
    assert outsider.get(f"/regio/{conversation.region.slug}/geschiedenis").status_code == 404
    assert outsider.get(f"/regio/{friesland.slug}/geschiedenis").status_code == 200
    assert client.get("/regio/bestaat-niet/geschiedenis").status_code == 404
    assert client.get(f"/gesprekken/{conversation.id + 1}/geschiedenis").status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(anonymous_client, make_conversation):
    conversation = make_conversation()
    response = anonymous_client.get(f"/gesprekken/{conversation.id}/geschiedenis")
    assert response.status_code == 302 and "/inloggen" in response.headers["Location"]


@pytest.mark.parametrize(
    "number", ["99999999999999999999", "abc", "-1", "0", "1e5", "", "٣", "2.5", "100001"]
)
def test_junk_page_numbers_do_not_break_the_pages(client, make_conversation, number):
    conversation = make_conversation()
    for url in (
        f"/gesprekken/{conversation.id}/geschiedenis",
        f"/regio/{conversation.region.slug}/geschiedenis",
    ):
        response = client.get(url, query_string={"pagina": number})
        assert response.status_code == 200, (url, number)


def test_history_is_paged(client, make_conversation):
    conversation = make_conversation()
    for n in range(105):
        record(
            AuditAction.CHANGED,
            "answer",
            object_id=1,
            object_label="Vraag 1.1",
            region_id=conversation.region_id,
            conversation_id=conversation.id,
            changes=[{"field": "Antwoord", "before": f"Tekst {n}", "after": f"Tekst {n + 1}"}],
        )
    db.session.commit()
    url = f"/gesprekken/{conversation.id}/geschiedenis"
    first = client.get(url).get_data(as_text=True)
    assert "van ‘Tekst 104’ naar ‘Tekst 105’" in first and "van ‘Tekst 4’" not in first
    assert 'rel="next"' in first and 'rel="prev"' not in first
    second = client.get(url, query_string={"pagina": "2"}).get_data(as_text=True)
    assert "van ‘Tekst 4’" in second and "van ‘Tekst 5’" not in second
    assert "Aangemaakt:</strong> Gesprek" in second
    assert 'rel="prev"' in second and 'rel="next"' not in second
    far = client.get(url, query_string={"pagina": "50"}).get_data(as_text=True)
    assert "Op deze pagina staan geen wijzigingen" in far


def test_action_edit_page_shows_its_history(client, make_conversation, make_action):
    conversation = make_conversation()
    action = make_action(conversation, "Bestuurlijk overleg plannen")
    other = make_action(conversation, "Iets anders")
    client.post(
        f"/gesprekken/{conversation.id}/acties/{action.id}/status",
        data={"status": "bezig", "revision": str(action.revision)},
    )
    page = client.get(f"/gesprekken/{conversation.id}/acties/{action.id}/bewerken").get_data(
        as_text=True
    )
    assert "Geschiedenis van dit actiepunt" in page
    assert "Gewijzigd:</strong> Actiepunt 1: Bestuurlijk overleg plannen" in page
    assert "van ‘Open’ naar ‘Bezig’" in page
    assert "Iets anders" not in page.split("Geschiedenis van dit actiepunt")[1]
    assert f'href="/gesprekken/{conversation.id}/geschiedenis"' in page
    assert other.id != action.id
