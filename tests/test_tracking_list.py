"""The region-wide action list (``/acties``): every filter, sorting, paging, "Mijn acties",
"te laat" and "binnenkort", the board view, region isolation and a fixed number of queries."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from html import unescape

import pytest
from sqlalchemy import event, select

from app.accounts.models import Membership
from app.actions import progress
from app.actions.models import ActionPoint, ActionStatus, ActionUpdate, EmbeddingPlace
from app.core.formatting import local_today
from app.extensions import db
from app.questionnaires.registry import current_questionnaire
from app.tracking import queries
from app.tracking.filters import ActionFilter, parse_filter
from app.tracking.queries import Viewer

from .accounts import make_user, sign_in

SECRET = "Geheime actie Achterhoek"


def today() -> date:
    return local_today()


def dutch(day: date) -> str:
    return day.strftime("%d-%m-%Y")


@dataclass
class World:
    """Two regions: Twente (the tester is coordinator) with two conversations and seven
    actions, Achterhoek (the tester has no role) with one secret action."""

    twente: object
    achterhoek: object
    conversation: object
    second: object
    secret_conversation: object
    actions: dict[str, ActionPoint] = field(default_factory=dict)
    indicator_key: str = ""

    def ids(self, *names: str) -> set[int]:
        return {self.actions[n].id for n in names}


def _indicator(region, action) -> str:
    """An indicator of the region, linked to ``action``; its key."""
    from app.indicators.importer import read_indicator_file
    from app.indicators.operations import ActionLinkData, link_action, store_plan

    plan = read_indicator_file(
        b"Indicator;Periode;Waarde\nConsultaties;2020;120\nConsultaties;2021;147\n", "c.csv"
    )
    indicator = store_plan(region, plan).indicators[0].indicator
    link_action(action, ActionLinkData(indicator.id, "", None, None, 200.0, "2026", ""), None)
    db.session.commit()
    return indicator.key


def build_world(tester, make_region, make_conversation, make_action) -> World:
    now = today()
    twente = make_region("Twente")
    achterhoek = make_region("Achterhoek", ("Winterswijk",), role=None)
    conversation = make_conversation("Overleg Twente", region=twente, held_on=date(2026, 10, 8))
    second = make_conversation("Tweede overleg", region=twente, held_on=date(2026, 11, 12))
    secret_conversation = make_conversation("Geheim overleg", region=achterhoek)
    w = World(twente, achterhoek, conversation, second, secret_conversation)
    a = w.actions
    a["late"] = make_action(
        conversation, "Bestuurlijk overleg plannen", question_id="verkennen-regie",
        owner_name="Anna de Vries", owner_organisation="Gemeente Enschede",
        due_date=now - timedelta(days=10), owner_user_id=tester.id,
    )  # fmt: skip
    a["soon"] = make_action(
        conversation, "Analyse: 50% van de studenten", phase_id="vormgeven",
        owner_name="Bas Jansen", owner_organisation="ROC van Twente",
        due_date=now + timedelta(days=5), status=ActionStatus.IN_PROGRESS,
    )  # fmt: skip
    a["later"] = make_action(
        conversation, "Werkgroep_zorg starten", owner_name="Carla Smit",
        owner_organisation="Menzis", due_date=now + timedelta(days=60),
    )  # fmt: skip
    a["embedded"] = make_action(
        conversation, "Convenant tekenen", phase_id="verankeren", owner_name="Dirk",
        due_date=now - timedelta(days=3), status=ActionStatus.EMBEDDED,
        embedded_in=EmbeddingPlace.COVENANT, embedded_reference="Convenant 2027",
    )  # fmt: skip
    a["done"] = make_action(
        conversation, "Oude actie met 50 deelnemers", phase_id="verkennen", owner_name="Eva",
        due_date=now - timedelta(days=100), status=ActionStatus.DONE,
    )  # fmt: skip
    a["cancelled"] = make_action(
        second, "Werkgroepxzorg in het tweede gesprek", phase_id="verbeelden",
        status=ActionStatus.CANCELLED,
    )  # fmt: skip
    a["no_date"] = make_action(second, "Zonder datum", phase_id="verbeelden", owner_name="Fleur")
    a["secret"] = make_action(
        secret_conversation, SECRET, owner_name="Anna de Vries", due_date=now - timedelta(days=1)
    )
    w.indicator_key = _indicator(twente, a["late"])
    return w


@pytest.fixture
def world(tester, make_region, make_conversation, make_action) -> World:
    return build_world(tester, make_region, make_conversation, make_action)


ROW = re.compile(r'<tr class="[^"]*">\s*<td class="cell-text"><a href="([^"]+)">([^<]+)</a>')


def listed(client, query: str = "", path: str = "/acties") -> list[str]:
    """The descriptions on the page, in order."""
    response = client.get(f"{path}?{query}" if query else path)
    assert response.status_code == 200, query
    return [unescape(text) for _href, text in ROW.findall(response.get_data(as_text=True))]


def descriptions(w: World, *names: str) -> set[str]:
    return {w.actions[n].description for n in names}


# --- what the list shows ------------------------------------------------------------------------


def test_the_list_shows_every_action_of_the_users_regions_and_nothing_else(client, world):
    shown = listed(client)
    assert set(shown) == descriptions(
        world, "late", "soon", "later", "embedded", "done", "cancelled", "no_date"
    )
    page = client.get("/acties").get_data(as_text=True)
    assert SECRET not in page and "Achterhoek" not in page and "Geheim overleg" not in page


def test_each_row_links_to_the_action_in_its_conversation(client, world):
    html = client.get("/acties").get_data(as_text=True)
    action = world.actions["late"]
    assert f'href="/gesprekken/{action.conversation_id}/acties#actie-{action.id}"' in html
    assert "Overleg Twente" in html and "nr. 1, 08-10-2026" in html
    assert "Anna de Vries" in html and "Gemeente Enschede" in html


def test_another_regions_actions_never_show(client, world):
    for query in (
        "regio=achterhoek",
        f"gesprek={world.secret_conversation.id}",
        "regio=achterhoek&regio=twente",
        "trekker=Anna",
        "q=Geheime",
    ):
        page = client.get(f"/acties?{query}").get_data(as_text=True)
        assert SECRET not in page and "Geheim overleg" not in page, query
    page = client.get("/acties?regio=achterhoek").get_data(as_text=True)
    assert "Regio &#39;achterhoek&#39; kennen we niet, of u werkt daar niet." in page
    page = client.get(f"/acties?gesprek={world.secret_conversation.id}").get_data(as_text=True)
    assert "bestaat niet, of u werkt niet in de regio" in page
    assert SECRET not in client.get("/acties/bord?regio=achterhoek").get_data(as_text=True)


def test_a_member_of_the_other_region_sees_only_that_region(app, world):
    other = make_user("berend@achterhoek.test", "Berend", region=world.achterhoek)
    client = app.test_client()
    sign_in(client, other)
    assert listed(client) == [SECRET]
    assert listed(client, "regio=twente") == [SECRET]  # the filter is refused, not obeyed
    assert listed(client, f"gesprek={world.conversation.id}") == [SECRET]


def test_a_removed_membership_counts_at_once(app, client, world, tester):
    db.session.execute(
        Membership.__table__.delete().where(
            Membership.user_id == tester.id, Membership.region_id == world.twente.id
        )
    )
    db.session.commit()
    page = client.get("/acties").get_data(as_text=True)
    assert "Bestuurlijk overleg plannen" not in page
    assert "U werkt nog niet in een regio" in page


def test_the_list_needs_a_signed_in_user(anonymous_client, world):
    response = anonymous_client.get("/acties")
    assert response.status_code == 302 and "/inloggen" in response.location


# --- every filter -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=open", ("late", "later", "no_date")),
        ("status=bezig", ("soon",)),
        ("status=open&status=bezig", ("late", "soon", "later", "no_date")),
        ("status=open-alle", ("late", "soon", "later", "no_date")),
        ("status=verankerd", ("embedded",)),
        ("status=afgerond&status=vervallen", ("done", "cancelled")),
        ("regio=twente", ("late", "soon", "later", "embedded", "done", "cancelled", "no_date")),
        ("trekker=jansen", ("soon",)),
        ("trekker=ANNA", ("late",)),
        ("trekker=mijn", ("late",)),
        ("organisatie=menzis", ("later",)),
        ("organisatie=twente", ("soon",)),
        ("fase=vormgeven", ("soon",)),
        ("fase=verkennen", ("late", "done")),
        ("fase=geen", ("later",)),
        ("vraag=verkennen-regie", ("late",)),
        ("termijn=te-laat", ("late",)),
        ("termijn=binnenkort", ("soon",)),
        ("q=BESTUURLIJK", ("late",)),
        ("q=50%25", ("soon",)),
        ("q=p_z", ("later",)),
        ("q=%25", ("soon",)),
        ("q=_", ("later",)),
        ("status=open-alle&termijn=te-laat&trekker=mijn", ("late",)),
    ],
)
def test_filter(client, world, query, expected):
    assert set(listed(client, query)) == descriptions(world, *expected), query


def test_filter_on_conversation_and_indicator(client, world):
    assert set(listed(client, f"gesprek={world.second.id}")) == descriptions(
        world, "cancelled", "no_date"
    )
    assert set(listed(client, f"indicator={world.indicator_key}")) == descriptions(world, "late")
    page = client.get(f"/acties?gesprek={world.second.id}").get_data(as_text=True)
    assert "Tweede overleg" in page and "Alle gesprekken tonen" in page


def test_filter_on_due_period(client, world):
    now = today()
    query = f"van={dutch(now + timedelta(days=1))}&tot={dutch(now + timedelta(days=30))}"
    assert set(listed(client, query)) == descriptions(world, "soon")
    assert set(listed(client, f"tot={dutch(now - timedelta(days=50))}")) == descriptions(
        world, "done"
    )
    assert set(listed(client, f"van={dutch(now + timedelta(days=6))}")) == descriptions(
        world, "later"
    )


def test_mijn_acties(client, world):
    assert listed(client, path="/acties/mijn") == ["Bestuurlijk overleg plannen"]
    page = client.get("/acties/mijn").get_data(as_text=True)
    assert "<h1>Mijn acties</h1>" in page
    assert '<a href="/acties/mijn" aria-current="page">Mijn acties</a>' in page
    # The heading says whose actions these are; the selection does not say it again.
    assert "<title>Mijn acties · Handvat</title>" in page
    assert '<caption id="acties-caption">Mijn acties, gesorteerd' in page
    filtered = client.get("/acties/mijn?status=open").get_data(as_text=True)
    assert "<title>Mijn acties – status open · Handvat</title>" in filtered


@pytest.mark.parametrize(
    "query",
    [
        "status=onbekend",
        "regio=..%2Fx",
        "van=32-13-2026",
        "tot=gisteren",
        "sorteer=prioriteit",
        "volgorde=zijwaarts",
        "gesprek=abc",
        "gesprek=99999999999",
        "fase=fase-9",
        "vraag=bestaat-niet",
        "indicator=%3Cscript%3E",
        "termijn=ooit",
        "page=99999999999",
        "page=-1",
        "q=" + "x" * 5000,
        "status=%00",
        "trekker=%00%00",
    ],
)
def test_invalid_values_are_ignored_with_a_notice(client, world, query):
    response = client.get(f"/acties?{query}")
    assert response.status_code == 200, query
    page = response.get_data(as_text=True)
    if not query.startswith(("page=", "trekker=", "status=%00")):  # cleaned away: nothing left
        assert "Niet alle filters zijn gebruikt" in page or "zoektekst was te lang" in page, query
    assert "\x00" not in page


def test_filters_survive_a_round_trip_through_the_url(world):
    questionnaire = current_questionnaire().questionnaire
    regions = {"twente": "Twente"}
    f = ActionFilter(
        regions=("twente",), statuses=("open", "open-alle"), mine=True, owner="Bas",
        organisation="ROC", phase="vormgeven", question="verkennen-regie", conversation_id=7,
        indicator="consultaties", due_from=date(2026, 1, 5), due_until=date(2026, 12, 31),
        period="te-laat", text="50% _x", sort="trekker", descending=True, page=3,
    )  # fmt: skip
    from werkzeug.datastructures import MultiDict

    args = MultiDict()
    for name, value in f.url_args().items():
        for item in value if isinstance(value, list) else [value]:
            args.add(name, item)
    parsed = parse_filter(args, regions, questionnaire)
    assert parsed.notices == []
    assert parsed.filter == f
    from urllib.parse import parse_qsl

    again = parse_filter(MultiDict(parse_qsl(f.query_string())), regions, questionnaire)
    assert again.filter == ActionFilter(**{**f.__dict__, "page": 1})


# --- sorting and paging ---------------------------------------------------------------------------


def test_sorted_by_deadline_by_default_and_reversed(client, world):
    assert listed(client, "status=open-alle") == [
        "Bestuurlijk overleg plannen",
        "Analyse: 50% van de studenten",
        "Werkgroep_zorg starten",
        "Zonder datum",  # no date: last
    ]
    assert listed(client, "status=open-alle&volgorde=aflopend")[:3] == [
        "Werkgroep_zorg starten",
        "Analyse: 50% van de studenten",
        "Bestuurlijk overleg plannen",
    ]


def test_sorted_by_status_trekker_conversation_and_last_change(client, world):
    by_status = listed(client, "sorteer=status")
    assert by_status.index("Bestuurlijk overleg plannen") < by_status.index(
        "Analyse: 50% van de studenten"
    )
    assert by_status[-1] == "Werkgroepxzorg in het tweede gesprek"  # vervallen: last
    by_owner = listed(client, "sorteer=trekker")
    assert by_owner[:3] == [
        "Bestuurlijk overleg plannen",  # Anna
        "Analyse: 50% van de studenten",  # Bas
        "Werkgroep_zorg starten",  # Carla
    ]
    assert by_owner[-1] == "Werkgroepxzorg in het tweede gesprek"  # no trekker: last
    by_conversation = listed(client, "sorteer=gesprek&volgorde=aflopend")
    assert set(by_conversation[:2]) == descriptions(world, "cancelled", "no_date")
    progress.add_update(
        world.conversation,
        world.actions["later"].id,
        progress.ProgressData(text="Eerste bijeenkomst gehouden"),
        world.actions["later"].revision,
        None,
    )
    db.session.commit()
    assert listed(client, "sorteer=laatst-bijgewerkt")[0] == "Werkgroep_zorg starten"


def test_pages_of_fifty_with_links_that_keep_the_filters(client, world, monkeypatch):
    monkeypatch.setattr(queries, "PER_PAGE", 2)
    first = listed(client, "status=open-alle")
    second = listed(client, "status=open-alle&page=2")
    beyond = listed(client, "status=open-alle&page=999")
    assert len(first) == 2 and len(second) == 2 and not set(first) & set(second)
    assert beyond == second  # past the end: the last page
    page = client.get("/acties?status=open-alle").get_data(as_text=True)
    assert 'href="/acties?page=2&amp;status=open-alle"' in page
    assert "pagina 1 van 2" in page
    assert "4 actiepunten" in page


def test_export_and_calendar_links_carry_the_filters(client, world):
    page = client.get("/acties?status=open&trekker=mijn&q=overleg&page=1").get_data(as_text=True)
    for endpoint in ("export.pdf", "export.xlsx", "export.csv", "agenda-abonnementen"):
        assert f'href="/acties/{endpoint}?status=open&amp;trekker=mijn&amp;q=overleg"' in page


# --- late and soon, counts, progress, indicators -----------------------------------------------


def test_late_and_soon_stand_out_in_text_not_only_colour(client, world):
    page = client.get("/acties").get_data(as_text=True)
    assert page.count('<span class="badge badge--late">Te laat</span>') == 1
    assert page.count('<span class="badge badge--soon">Binnenkort</span>') == 1
    assert 'class="is-late"' in page and 'class="is-soon"' in page
    assert "Te laat: 1" in page and "Binnenkort: 1" in page


def test_counts_per_status_in_one_query(app, world, tester):
    with app.test_request_context():
        viewer = Viewer(tester.id, today())
        counts = queries.status_counts(ActionFilter(), viewer)
    assert counts.total == 7
    assert counts.of(ActionStatus.OPEN) == 3
    assert counts.of(ActionStatus.EMBEDDED) == 1
    assert (counts.overdue, counts.due_soon) == (1, 1)


def test_latest_update_embedding_and_indicator_show_in_the_row(client, world):
    action = world.actions["soon"]
    progress.add_update(
        world.conversation, action.id,
        progress.ProgressData(text="Eerste cijfers binnen", written_on=today()),
        action.revision, None,
    )  # fmt: skip
    progress.add_update(
        world.conversation, action.id,
        progress.ProgressData(text="Analyse besproken in het Ontwikkeloverleg"),
        db.session.get(ActionPoint, action.id).revision, None,
    )  # fmt: skip
    db.session.commit()
    page = client.get("/acties").get_data(as_text=True)
    assert "Analyse besproken in het Ontwikkeloverleg" in page
    assert "Eerste cijfers binnen" not in page  # only the latest
    assert "in: Convenant (Convenant 2027)" in page
    assert f'/regio/twente/indicatoren/{world.indicator_key}"' in page
    assert "Cijfer: Consultaties" in page


# --- the board ----------------------------------------------------------------------------------


def test_board_counts_per_phase_done_against_embedded(app, world, tester):
    questionnaire = current_questionnaire().questionnaire
    with app.test_request_context():
        data = queries.board(ActionFilter(), Viewer(tester.id, today()), questionnaire)
    names = [g.name for g in data.groups]
    assert names == ["Verkennen", "Verbeelden", "Vormgeven", "Verankeren", "Zonder fase"]
    groups = {g.name: g for g in data.groups}
    assert groups["Verkennen"].counts == {ActionStatus.OPEN: 1, ActionStatus.DONE: 1}
    assert groups["Verkennen"].overdue == 1
    assert groups["Verbeelden"].counts == {ActionStatus.CANCELLED: 1, ActionStatus.OPEN: 1}
    assert groups["Verankeren"].of(ActionStatus.EMBEDDED) == 1
    assert groups["Zonder fase"].total == 1
    assert data.total.total == 7
    assert (data.total.of(ActionStatus.DONE), data.total.of(ActionStatus.EMBEDDED)) == (1, 1)


def test_board_page_is_a_table_with_bars_and_text_alternatives(client, world):
    page = client.get("/acties/bord?regio=twente").get_data(as_text=True)
    assert "<caption" in page and 'scope="row"' in page
    assert 'role="img" focusable="false"\n     aria-label="Verkennen: 1 open, 1 afgerond"' in page
    assert "Afgerond: <strong>1</strong> · Verankerd: <strong>1</strong>" in page
    assert 'href="/acties?regio=twente&amp;fase=verkennen&amp;termijn=te-laat"' in page
    filtered = client.get("/acties/bord?status=verankerd").get_data(as_text=True)
    assert "1 actiepunt" in filtered and "Verankeren: 1 verankerd" in filtered


# --- a fixed number of queries ----------------------------------------------------------------


def _add_actions(conversation, count: int, tester) -> None:
    """``count`` more actions, inserted in bulk, each with an update and some with a link."""
    start = db.session.scalar(
        select(db.func.count()).where(ActionPoint.conversation_id == conversation.id)
    )
    rows = [
        ActionPoint(
            region_id=conversation.region_id,
            conversation_id=conversation.id,
            position=start + n,
            description=f"Bulkactie {n}",
            owner_name=f"Trekker {n % 7}",
            phase_id=("verkennen", "vormgeven", None)[n % 3],
            due_date=today() + timedelta(days=n % 40 - 20),
            owner_user_id=tester.id,
            status=list(ActionStatus)[n % 5],
        )  # fmt: skip
        for n in range(1, count + 1)
    ]
    db.session.add_all(rows)
    db.session.flush()
    db.session.add_all(
        ActionUpdate(action_id=a.id, region_id=a.region_id, written_on=today(), text="Bezig")
        for a in rows
    )
    db.session.commit()


def _statements(app, client, url: str) -> int:
    counted = []

    def count(*_args):
        counted.append(1)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        response = client.get(url)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert response.status_code == 200, url
    return len(counted)


URLS = ("/acties", "/acties?status=open-alle&sorteer=gesprek", "/acties/mijn", "/acties/bord")


def test_queries_per_page_do_not_grow_with_the_data(app, client, world, tester):
    app.config["PAGE_CACHE_ENABLED"] = False  # count the statements of rendering the page
    _add_actions(world.conversation, 10, tester)
    for url in URLS:  # warm up: the questionnaire snapshot, caches
        client.get(url)
    small = {url: _statements(app, client, url) for url in URLS}
    _add_actions(world.second, 190, tester)
    large = {url: _statements(app, client, url) for url in URLS}
    assert small == large
    assert max(large.values()) <= 10, large


def test_a_page_seen_before_costs_one_statement_until_something_changes(app, client, world, tester):
    url = "/acties?status=open-alle"
    client.get(url)  # stores a CSRF token in the session (the sign-out form)
    client.get(url)
    # The session, with the user's roles and their regions' revisions: nothing else.
    assert _statements(app, client, url) == 1
    action = world.actions["later"]
    progress.add_update(
        world.conversation, action.id, progress.ProgressData(text="Werkgroep is begonnen"),
        action.revision, None,
    )  # fmt: skip
    db.session.commit()
    assert "Werkgroep is begonnen" in client.get(url).get_data(as_text=True)
    action = db.session.get(ActionPoint, action.id)
    action.description = "Werkgroep zorg starten (nieuwe tekst)"
    db.session.commit()
    assert "Werkgroep zorg starten (nieuwe tekst)" in client.get(url).get_data(as_text=True)
    other = make_user("ander@twente.test", "Ander", region=world.twente)
    other_client = app.test_client()
    sign_in(other_client, other)
    assert "Ander" in other_client.get(url).get_data(as_text=True)  # never another's page
