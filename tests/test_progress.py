"""Progress updates on an action point, "verankerd", the trekker's account, the paged list."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from app.accounts.roles import Role
from app.actions import progress
from app.actions.models import ActionPoint, ActionStatus, ActionUpdate, EmbeddingPlace
from app.actions.operations import ActionConflict, EmbeddingMissing
from app.core.formatting import local_today
from app.extensions import db
from app.indicators.models import ActionIndicatorLink, Indicator, Observation

from .accounts import make_user, sign_in
from .forms import action_form


def progress_form(action: ActionPoint, **overrides) -> dict:
    return {
        "text": "Eerste overleg met de zorgaanbieders gehouden.",
        "written_on": "",
        "status": "",
        "embedded_in": "",
        "embedded_reference": "",
        "figure_link": "",
        "figure_period": "",
        "figure_value": "",
        "revision": str(action.revision),
    } | overrides


def url_of(action: ActionPoint, suffix: str = "") -> str:
    return f"/gesprekken/{action.conversation_id}/acties/{action.id}{suffix}"


def fresh(action: ActionPoint) -> ActionPoint:
    db.session.expire_all()
    return db.session.get(ActionPoint, action.id)


def test_update_is_kept_as_history_and_shows_on_the_list(client, make_conversation, make_action):
    conversation = make_conversation()
    action = make_action(conversation)
    response = client.post(url_of(action, "/voortgang"), data=progress_form(action))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(url_of(action))
    second = progress_form(
        fresh(action),
        text="Plan besproken in het Ontwikkeloverleg.",
        written_on="10-11-2026",
        status="bezig",
    )
    client.post(url_of(action, "/voortgang"), data=second)
    action = fresh(action)
    assert action.status is ActionStatus.IN_PROGRESS
    updates = progress.history(action.id)
    assert [u.text for u in updates] == [
        "Eerste overleg met de zorgaanbieders gehouden.",
        "Plan besproken in het Ontwikkeloverleg.",
    ]
    assert updates[1].written_on == date(2026, 11, 10)
    assert (updates[1].status_before, updates[1].status_after) == (
        ActionStatus.OPEN,
        ActionStatus.IN_PROGRESS,
    )
    page = client.get(url_of(action)).get_data(as_text=True)
    assert "Plan besproken in het Ontwikkeloverleg." in page and "10 november 2026" in page
    assert "Open → Bezig" in page
    listing = client.get(f"/gesprekken/{conversation.id}/acties").get_data(as_text=True)
    latest = progress.latest_update(action.id).text
    assert f"Laatste voortgang {progress.latest_update(action.id).written_on:%d-%m-%Y}" in listing
    assert latest[:40] in listing


def test_double_submit_records_one_update(client, make_conversation, make_action):
    action = make_action(make_conversation())
    form = progress_form(action)
    client.post(url_of(action, "/voortgang"), data=form)
    response = client.post(url_of(action, "/voortgang"), data=form, follow_redirects=True)
    assert "was al opgeslagen" in response.get_data(as_text=True)
    assert len(progress.history(action.id)) == 1


def test_concurrent_update_is_refused_and_keeps_the_text(client, make_conversation, make_action):
    action = make_action(make_conversation())
    opened = progress_form(action, text="Mijn update")
    client.post(url_of(action, "/voortgang"), data=progress_form(action, text="Van een collega"))
    response = client.post(url_of(action, "/voortgang"), data=opened)
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "intussen bijgewerkt" in page and "Mijn update" in page and "Van een collega" in page
    assert [u.text for u in progress.history(action.id)] == ["Van een collega"]


def test_two_writers_at_once_in_operations(app, make_conversation, make_action, tester):
    """The same revision sent twice with different content: the second is told."""
    conversation = make_conversation()
    action = make_action(conversation)
    revision = action.revision
    progress.add_update(
        conversation, action.id, progress.ProgressData(text="een"), revision, tester
    )
    db.session.commit()
    with pytest.raises(ActionConflict):
        progress.add_update(
            conversation, action.id, progress.ProgressData(text="twee"), revision, tester
        )
    db.session.rollback()
    assert [u.text for u in progress.history(action.id)] == ["een"]


def test_empty_update_gets_a_dutch_message(client, make_conversation, make_action):
    action = make_action(make_conversation())
    response = client.post(url_of(action, "/voortgang"), data=progress_form(action, text=" "))
    assert response.status_code == 422
    assert "Schrijf wat er is gebeurd" in response.get_data(as_text=True)
    assert progress.history(action.id) == []


def test_update_dated_far_ahead_or_nonsense_is_refused(client, make_conversation, make_action):
    action = make_action(make_conversation())
    far = (local_today() + timedelta(days=60)).strftime("%d-%m-%Y")
    for written_on in ("31-02-2026", "morgen"):
        response = client.post(
            url_of(action, "/voortgang"), data=progress_form(action, written_on=written_on)
        )
        assert response.status_code == 422
    with pytest.raises(ValueError):
        progress.add_update(
            action.conversation,
            action.id,
            progress.ProgressData(text="x", written_on=local_today() + timedelta(days=60)),
            action.revision,
            None,
        )
    assert far  # the form refuses the same through the operation
    assert progress.history(action.id) == []


def test_embedded_needs_a_place_and_shows_it(client, make_conversation, make_action):
    conversation = make_conversation()
    action = make_action(conversation, status=ActionStatus.DONE)
    response = client.post(
        url_of(action, "/voortgang"), data=progress_form(action, status="verankerd")
    )
    assert response.status_code == 422
    assert "Verankerd" in response.get_data(as_text=True)
    assert fresh(action).status is ActionStatus.DONE
    client.post(
        url_of(action, "/voortgang"),
        data=progress_form(
            action,
            text="Opgenomen in de begroting 2027.",
            status="verankerd",
            embedded_in="begroting",
            embedded_reference="https://example.org/begroting-2027#jeugd",
        ),
    )
    action = fresh(action)
    assert action.status is ActionStatus.EMBEDDED and action.status.is_closed
    assert (action.embedded_in, action.embedded_reference) == (
        EmbeddingPlace.BUDGET,
        "https://example.org/begroting-2027#jeugd",
    )
    page = client.get(url_of(action)).get_data(as_text=True)
    assert 'href="https://example.org/begroting-2027#jeugd"' in page
    listing = client.get(f"/gesprekken/{conversation.id}/acties").get_data(as_text=True)
    assert "Verankerd in: Begroting" in listing


def test_embedded_from_the_list_asks_where(client, make_conversation, make_action):
    action = make_action(make_conversation())
    response = client.post(
        url_of(action, "/status"), data={"status": "verankerd", "revision": action.revision}
    )
    assert response.status_code == 302
    assert f"{url_of(action)}?status=verankerd" in response.headers["Location"]
    assert fresh(action).status is ActionStatus.OPEN
    with pytest.raises(EmbeddingMissing):
        from app.actions.operations import set_status

        set_status(action.conversation, action.id, ActionStatus.EMBEDDED, action.revision)


def test_edit_form_stores_embedding_and_trekker_account(client, make_conversation, make_action):
    conversation = make_conversation()
    action = make_action(conversation)
    leader = make_user("pl@example.org", "Piet Leider", region=conversation.region)
    form = action_form(
        revision=str(action.revision),
        status="verankerd",
        embedded_in="",
        owner_user_id=str(leader.id),
    )
    response = client.post(url_of(action, "/bewerken"), data=form)
    assert response.status_code == 422
    assert "waar is het vastgelegd" in response.get_data(as_text=True)
    form |= {"embedded_in": "convenant", "embedded_reference": "Convenant Twente 2026"}
    assert client.post(url_of(action, "/bewerken"), data=form).status_code == 302
    action = fresh(action)
    assert action.owner_user_id == leader.id and action.embedded_in is EmbeddingPlace.COVENANT


def test_trekker_account_must_be_a_member_of_the_region(
    client, make_conversation, make_action, make_region
):
    conversation = make_conversation()
    action = make_action(conversation)
    stranger = make_user("x@example.org", region=make_region("Achterhoek", ("Aalten",)))
    form = action_form(revision=str(action.revision), owner_user_id=str(stranger.id))
    assert client.post(url_of(action, "/bewerken"), data=form).status_code == 422
    assert fresh(action).owner_user_id is None


def test_a_new_value_of_a_linked_indicator(client, make_conversation, make_action):
    conversation = make_conversation()
    action = make_action(conversation)
    indicator = Indicator(
        region_id=conversation.region_id,
        key="geholpen",
        name="Geholpen studenten",
        definition="",
        unit="",
        source="",
        frequency="",
    )
    db.session.add(indicator)
    db.session.flush()
    link = ActionIndicatorLink(action_point_id=action.id, indicator_id=indicator.id)
    db.session.add(link)
    db.session.commit()
    action = fresh(action)
    response = client.post(
        url_of(action, "/voortgang"),
        data=progress_form(
            action, figure_link=str(link.id), figure_period="2026", figure_value="1.250"
        ),
    )
    assert response.status_code == 302
    observation = db.session.scalars(db.select(Observation)).one()
    assert (observation.period, observation.value) == ("2026", 1250.0)
    update = progress.latest_update(action.id)
    assert (update.indicator_id, update.indicator_value) == (indicator.id, 1250.0)
    page = client.get(url_of(action)).get_data(as_text=True)
    assert "Nieuwe waarde: 1.250 (2026)" in page
    # A value without saying which figure, or a period that is none: a Dutch message.
    action = fresh(action)
    response = client.post(
        url_of(action, "/voortgang"),
        data=progress_form(action, figure_value="3", text="x"),
    )
    assert response.status_code == 422 and "bij welk cijfer" in response.get_data(as_text=True)
    response = client.post(
        url_of(action, "/voortgang"),
        data=progress_form(
            action, figure_link=str(link.id), figure_period="ooit", figure_value="3"
        ),
    )
    assert response.status_code == 422 and "geen periode" in response.get_data(as_text=True)
    # Another action point's link is refused.
    response = client.post(
        url_of(action, "/voortgang"),
        data=progress_form(action, figure_link="999999", figure_period="2026", figure_value="3"),
    )
    assert response.status_code == 422


def test_member_sees_history_but_cannot_update(app, client, make_conversation, make_action):
    conversation = make_conversation()
    action = make_action(conversation)
    member = make_user("lid@example.org", region=conversation.region, role=Role.MEMBER)
    other = app.test_client()
    sign_in(other, member)
    page = other.get(url_of(action)).get_data(as_text=True)
    assert "Voortgang" in page and "Voortgang opslaan" not in page
    assert other.post(url_of(action, "/voortgang"), data=progress_form(action)).status_code == 403


def test_next_goes_back_to_the_agenda_only_on_this_site(client, make_conversation, make_action):
    action = make_action(make_conversation())
    form = progress_form(action, next="/regios/twente/agenda")
    response = client.post(url_of(action, "/voortgang"), data=form)
    assert response.headers["Location"].endswith("/regios/twente/agenda")
    action = fresh(action)
    form = progress_form(action, text="ander", next="https://evil.example/")
    response = client.post(url_of(action, "/voortgang"), data=form)
    assert response.headers["Location"].endswith(url_of(action))


def test_action_list_is_paged(client, make_conversation):
    from app.actions.operations import ActionData, add_action

    conversation = make_conversation()
    for n in range(1, 106):
        add_action(conversation, ActionData(description=f"Actie nummer {n:03d}"))
    db.session.commit()
    first = client.get(f"/gesprekken/{conversation.id}/acties").get_data(as_text=True)
    assert "Actie nummer 100" in first and "Actie nummer 101" not in first
    assert "pagina 1 van 2" in first
    second = client.get(f"/gesprekken/{conversation.id}/acties?page=2").get_data(as_text=True)
    assert "Actie nummer 101" in second and "Actie nummer 099" not in second
    for page in ("99999999999999999999", "-1", "abc", "2.5"):
        assert client.get(f"/gesprekken/{conversation.id}/acties?page={page}").status_code == 200
    last = db.session.scalar(db.select(ActionPoint).where(ActionPoint.position == 105))
    response = client.post(
        f"/gesprekken/{conversation.id}/acties/{last.id}/status",
        data={"status": "afgerond", "revision": last.revision},
    )
    assert "page=2" in response.headers["Location"]


def test_updates_are_deleted_with_their_action(client, make_conversation, make_action):
    action = make_action(make_conversation())
    client.post(url_of(action, "/voortgang"), data=progress_form(action))
    action = fresh(action)
    client.post(url_of(action, "/verwijderen"), data={"revision": action.revision})
    assert db.session.scalar(db.select(db.func.count()).select_from(ActionUpdate)) == 0
