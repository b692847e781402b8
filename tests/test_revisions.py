"""Conversation.revision goes up with every change, so cached pages never show old data."""

from __future__ import annotations

from datetime import date

from app.actions import operations as actions
from app.actions.models import ActionStatus
from app.actions.queries import actions_of
from app.conversations import operations
from app.conversations.models import Conversation, OrganisationType
from app.extensions import db
from app.regions.models import Region


def revision_of(conversation_id: int) -> int:
    return db.session.scalar(
        db.select(Conversation.revision).where(Conversation.id == conversation_id)
    )


def test_every_kind_of_change_raises_the_revision(make_conversation, make_action, make_region):
    conversation = make_conversation()
    cid = conversation.id
    assert revision_of(cid) == 1
    changes = [
        lambda: operations.save_answer(conversation, "verkennen-regie", "Eerste", None, 0),
        lambda: operations.save_answer(conversation, "verkennen-regie", "Tweede", None, 1),
        lambda: operations.select_questions(conversation, ["verankeren-opbrengst"]),
        lambda: operations.replace_participants(
            conversation,
            [operations.ParticipantData("Bas", "ROC van Twente", OrganisationType.MBO_INSTITUTION)],
        ),
        lambda: operations.update_details(
            conversation,
            operations.ConversationDetails(
                "Nieuwe titel", conversation.region, date(2027, 1, 1), "verankeren"
            ),
        ),
        lambda: actions.add_action(conversation, actions.ActionData("Actie A")),
        lambda: actions.add_action(conversation, actions.ActionData("Actie B")),
    ]
    for expected, change in enumerate(changes, start=2):
        change()
        db.session.commit()
        assert revision_of(cid) == expected
    first, second = actions_of(conversation)
    for change in (
        lambda: actions.move_action(conversation, second.id, "up", 2),
        lambda: actions.set_status(conversation, first.id, ActionStatus.DONE, first.revision),
        lambda: actions.update_action(
            conversation, first.id, actions.ActionData("Anders"), first.revision
        ),
        lambda: actions.delete_action(conversation, first.id, first.revision),
    ):
        before = revision_of(cid)
        change()
        db.session.commit()
        assert revision_of(cid) > before


def test_reading_does_not_raise_the_revision(client, make_conversation):
    conversation = make_conversation()
    client.get(f"/gesprekken/{conversation.id}")
    client.get(f"/gesprekken/{conversation.id}/vragen/verkennen-regie")
    client.get(f"/gesprekken/{conversation.id}/actielijst.pdf")
    assert revision_of(conversation.id) == 1


def test_conversation_page_shows_changes_at_once(client, make_conversation):
    conversation = make_conversation()
    url = f"/gesprekken/{conversation.id}"
    assert "0 van de 5 gekozen vragen zijn beantwoord" in client.get(url).get_data(as_text=True)
    client.post(f"{url}/vragen/verkennen-regie", data={"text": "Ja", "revision": "0"})
    assert "1 van de 5 gekozen vragen zijn beantwoord" in client.get(url).get_data(as_text=True)
    client.post(
        f"{url}/acties/nieuw",
        data={
            "description": "Nieuwe actie",
            "status": "open",
            "priority": "normaal",
            "revision": "0",
            "creation_token": "t1",
        },
    )
    page = client.get(url).get_data(as_text=True)
    assert "Nieuwe actie" in page
    assert "Het actiepunt is toegevoegd." in page  # the message comes with the next page
    again = client.get(url).get_data(as_text=True)
    assert "Nieuwe actie" in again and "Het actiepunt is toegevoegd." not in again


def test_flash_message_is_not_cached(client, make_conversation, make_region):
    region = make_region()
    response = client.post(
        "/gesprekken/nieuw",
        data={
            "title": "Overleg",
            "region_id": str(region.id),
            "held_on": "01-02-2027",
            "current_phase_id": "verkennen",
            "creation_token": "x",
        },
    )
    conversation_url = response.location.removesuffix("/vragen")
    client.get(response.location)  # shows (and uses up) the flash message
    first = client.get(conversation_url).get_data(as_text=True)
    client.post(
        f"{conversation_url}/bewerken",
        data={
            "title": "Overleg, nieuwe titel",
            "region_id": str(region.id),
            "held_on": "01-02-2027",
            "current_phase_id": "verkennen",
            "details_revision": "1",
        },
    )
    with_flash = client.get(conversation_url).get_data(as_text=True)
    assert "De gegevens van het gesprek zijn opgeslagen." in with_flash
    again = client.get(conversation_url).get_data(as_text=True)
    assert "De gegevens van het gesprek zijn opgeslagen." not in again
    assert "De gegevens van het gesprek zijn opgeslagen." not in first


def region_revision(region_id: int) -> int:
    return db.session.scalar(db.select(Region.conversations_revision).where(Region.id == region_id))


def test_a_regions_revision_follows_its_conversations(make_conversation, make_region):
    """Once per transaction that changes one of its conversations (through the ORM or past
    it), adds one, deletes one or moves one in or out; never for another region's, never for
    a transaction that is rolled back."""
    conversation = make_conversation()
    here, there = conversation.region_id, make_region("Achterhoek", ("Winterswijk",)).id
    start = region_revision(here)
    other = region_revision(there)

    def after(change) -> tuple[int, int]:
        change()
        db.session.commit()
        return region_revision(here) - start, region_revision(there) - other

    # Past the ORM's flush (an UPDATE), then through it, twice in one transaction.
    assert after(lambda: operations.save_answer(conversation, "verkennen-regie", "A", None, 0)) == (
        1,
        0,
    )

    def two_changes():
        actions.add_action(conversation, actions.ActionData("Actie A"))
        db.session.flush()
        actions.add_action(conversation, actions.ActionData("Actie B"))

    assert after(two_changes) == (2, 0)
    added = make_conversation(title="Nog een overleg", region=conversation.region)
    assert (region_revision(here) - start, region_revision(there) - other) == (3, 0)

    moved = operations.ConversationDetails(
        added.title, db.session.get(Region, there), added.held_on, "verkennen"
    )
    assert after(lambda: operations.update_details(added, moved)) == (4, 1)
    assert after(lambda: operations.delete_conversation(added)) == (4, 2)

    operations.save_answer(conversation, "verkennen-regie", "B", None, 1)
    db.session.rollback()
    assert (region_revision(here) - start, region_revision(there) - other) == (4, 2)
    assert after(lambda: None) == (4, 2)  # a later commit does not raise what was undone
