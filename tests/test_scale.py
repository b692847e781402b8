"""Lists stay bounded as an installation grows: pages, and a fixed number of queries per page
that never carries one parameter per row."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date, timedelta

from sqlalchemy import event

from app.actions.models import ActionPoint
from app.conversations.models import Conversation
from app.extensions import db
from app.regions.models import Region


@contextmanager
def counted_statements():
    """The statements run meanwhile, with the number of parameters each carried."""
    seen: list[tuple[str, int]] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        size = len(parameters) if isinstance(parameters, (list, tuple, dict)) else 0
        seen.append((statement, size))

    engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def add_conversations(region, count: int, start: int = 0) -> None:
    """Bulk rows: the pages read them like any other conversation."""
    template = db.session.scalars(db.select(Conversation)).first()
    db.session.execute(
        db.insert(Conversation),
        [
            {
                "region_id": region.id,
                "questionnaire_snapshot_id": template.questionnaire_snapshot_id,
                "title": f"Overleg {n:05d}",
                "held_on": date(2020, 1, 1) + timedelta(days=n),
                "current_phase_id": "verkennen",
            }
            for n in range(start, start + count)
        ],
    )
    # A bulk insert skips the ORM's flush; the app's own writes raise the region's revision.
    db.session.execute(
        db.update(Region)
        .where(Region.id == region.id)
        .values(conversations_revision=Region.conversations_revision + 1)
    )
    db.session.commit()


def test_home_page_shows_each_regions_newest_with_a_fixed_number_of_queries(
    client, make_conversation, make_region
):
    twente = make_conversation().region
    achterhoek = make_region("Achterhoek", ("Aalten",))
    add_conversations(twente, 10)
    add_conversations(achterhoek, 3)
    client.get("/")  # caches warmed
    with counted_statements() as small:
        page = client.get("/").get_data(as_text=True)
    assert "Overleg 00009" in page and "Overleg 00004" not in page  # the 5 newest of Twente
    assert "Alle 11 gesprekken van regio Twente" in page
    assert "Overleg 00002" in page  # Achterhoek has only 3
    add_conversations(twente, 300, start=100)
    with counted_statements() as large:
        page = client.get("/").get_data(as_text=True)
    assert "Overleg 00399" in page and "Alle 311 gesprekken" in page
    assert len(large) == len(small)
    assert max(size for _, size in large) <= 5


def test_region_page_pages_through_all_conversations(client, make_conversation):
    region = make_conversation().region
    add_conversations(region, 60)
    with counted_statements() as first_statements:
        first = client.get(f"/regio/{region.slug}").get_data(as_text=True)
    assert "Gesprekken (61)" in first and "pagina 1 van 3" in first
    assert "Bestuurlijk overleg mbo" in first  # held in 2026: the newest
    assert "Overleg 00059" in first and "Overleg 00035" not in first
    third = client.get(f"/regio/{region.slug}?page=3").get_data(as_text=True)
    assert "Overleg 00000" in third and "Overleg 00011" not in third
    assert client.get(f"/regio/{region.slug}?page=99999999999999999999").status_code == 200
    add_conversations(region, 200, start=1000)
    with counted_statements() as later:
        client.get(f"/regio/{region.slug}")
    assert len(later) == len(first_statements)


def test_action_list_queries_do_not_grow_with_the_list(client, make_conversation):
    from app.actions.operations import ActionData, add_action

    conversation = make_conversation()
    add_action(conversation, ActionData(description="Eerste"))
    db.session.commit()
    url = f"/gesprekken/{conversation.id}/acties"
    client.get(url)
    with counted_statements() as small:
        client.get(url)
    for n in range(150):
        add_action(conversation, ActionData(description=f"Actie {n}"))
    db.session.commit()
    client.get(url)
    with counted_statements() as large:
        page = client.get(url).get_data(as_text=True)
    assert len(large) == len(small)
    assert page.count('id="actie-') == 100
    assert db.session.scalar(db.select(db.func.count()).select_from(ActionPoint)) == 151


def test_administrators_user_list_is_paged(app, anonymous_client):
    from app.accounts.models import User

    from .accounts import make_user, sign_in

    admin = make_user("admin@example.org", "Aa Beheerder", admin=True)
    db.session.execute(
        db.insert(User),
        [{"email": f"u{n:03d}@example.org", "name": f"Gebruiker {n:03d}"} for n in range(120)],
    )
    db.session.commit()
    sign_in(anonymous_client, admin)
    with counted_statements() as first_statements:
        first = anonymous_client.get("/beheer/gebruikers").get_data(as_text=True)
    assert "Alle gebruikers (121)" in first and "pagina 1 van 3" in first
    assert "Gebruiker 048" in first and "Gebruiker 049" not in first
    last = anonymous_client.get("/beheer/gebruikers?page=3").get_data(as_text=True)
    assert "Gebruiker 119" in last and "Gebruiker 098" not in last
    assert max(size for _, size in first_statements) <= 5


def test_the_cached_home_page_follows_every_change(client, make_conversation, make_region, tester):
    """The home page is kept per version of what it lists: a new, renamed, answered or deleted
    conversation, a new region or role shows at once."""
    from app.accounts.operations import remove_membership
    from app.accounts.roles import Role
    from app.conversations.operations import (
        ConversationDetails,
        delete_conversation,
        save_answer,
        update_details,
    )

    first = make_conversation("Eerste overleg")
    assert "Eerste overleg" in client.get("/").get_data(as_text=True)
    make_conversation("Tweede overleg", region=first.region)
    assert "Tweede overleg" in client.get("/").get_data(as_text=True)
    update_details(
        first,
        ConversationDetails("Hernoemd overleg", first.region, first.held_on, "verkennen"),
    )
    db.session.commit()
    page = client.get("/").get_data(as_text=True)
    assert "Hernoemd overleg" in page and "Eerste overleg" not in page
    save_answer(first, "verkennen-regie", "Er is regie.", "first_steps", 0)
    db.session.commit()
    assert client.get("/").status_code == 200
    delete_conversation(first)
    db.session.commit()
    assert "Hernoemd overleg" not in client.get("/").get_data(as_text=True)
    other = make_region("Achterhoek", ("Winterswijk",), role=Role.MEMBER)
    make_conversation("Overleg in de Achterhoek", region=other)
    assert "Overleg in de Achterhoek" in client.get("/").get_data(as_text=True)
    membership = next(m for m in tester.memberships if m.region_id == other.id)
    remove_membership(membership)
    db.session.commit()
    assert "Overleg in de Achterhoek" not in client.get("/").get_data(as_text=True)
