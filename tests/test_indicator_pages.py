"""The indicator pages through the test client, on SQLite and PostgreSQL: importing a region's
figures (upload, preview, confirm), the indicator pages, figures beside a question, action
points linked to a figure, the region's municipalities and ``flask indicators import``."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from app.accounts.roles import Role
from app.audit.models import AuditAction, AuditEvent
from app.conversations.operations import select_questions
from app.core.forms import Outcome
from app.extensions import db
from app.indicators.commands import EXIT_REFUSED
from app.indicators.models import (
    ActionIndicatorLink,
    Indicator,
    IndicatorUpload,
    Observation,
    QuestionIndicatorLink,
)
from app.regions.models import Municipality

from .accounts import make_user, sign_in

FIXTURES = Path(__file__).parent / "fixtures" / "indicators"
#: "Afgesloten behandelingen naar reden", 2020 and 2021, seven reasons and a total.
CLOSED = FIXTURES / "kennispunt-twente-afsluitredenen-2020-2021.csv"
#: One row per value; rows 3 to 6 cannot be read.
REFUSED = FIXTURES / "refusals.csv"
#: Helped students per home municipality, 2021 ("Aantal": the period is given on the form).
HOME_MUNICIPALITIES = FIXTURES / "kennispunt-twente-woongemeente-2021.csv"

KEY = "afsluitredenen"  # the standard indicator the file's title names
NAME = "Afgesloten behandelingen naar reden"


# --- helpers ------------------------------------------------------------------------------------


@pytest.fixture
def region(make_region):
    return make_region("Twente", ("Almelo", "Enschede", "Hengelo"))


def upload(client, path: Path | None = None, *, data: bytes | None = None, name=None, **fields):
    content = path.read_bytes() if path is not None else data
    file = FileStorage(io.BytesIO(content), filename=name or (path.name if path else "cijfers.csv"))
    # Encoded here, in memory: the test client would spool a large body to a temporary file
    # that nothing closes.
    boundary, body = encode_multipart(MultiDict({"file": file, **fields}))
    return client.post(
        "/regio/twente/indicatoren/importeren",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def import_file(client, path: Path | None = None, **kwargs) -> str:
    """Upload and confirm; the page the confirmation leads to."""
    response = upload(client, path, **kwargs)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    confirmed = client.post(response.location)
    assert confirmed.status_code == 302
    return client.get(confirmed.location).get_data(as_text=True)


def wide_csv(title: str, rows: dict[str, dict[str, int]]) -> bytes:
    """A factsheet table: categories down, periods across, under a title line."""
    periods = list(next(iter(rows.values())))
    lines = [f"{title};", ";".join(["Afgesloten", *periods])]
    lines += [";".join([category, *map(str, values.values())]) for category, values in rows.items()]
    return ("\n".join(lines) + "\n").encode()


def count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def values_of(key: str = KEY) -> dict[tuple[str, str], float | None]:
    db.session.expire_all()
    rows = db.session.execute(
        select(Observation.period, Observation.category, Observation.value)
        .join(Indicator, Indicator.id == Observation.indicator_id)
        .where(Indicator.key == key)
    )
    return {(period, category): value for period, category, value in rows}


def text_of(page: str) -> str:
    """The page's text without tags and with single spaces, for phrases across elements."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))


# --- upload, preview, confirm -------------------------------------------------------------------


def test_upload_preview_confirm_show_and_import_again(client, region):
    response = upload(client, CLOSED)
    assert response.status_code == 302
    preview_path = r"/regio/twente/indicatoren/importeren/[A-Za-z0-9_-]{20,64}"
    assert re.fullmatch(preview_path, response.location)
    preview = client.get(response.location)
    assert preview.status_code == 200
    page = preview.get_data(as_text=True)
    assert f"Dit leest Handvat in uit {CLOSED.name}" in page
    assert "Er is nog niets opgeslagen" in page
    assert NAME in page and "Nieuwe indicator." in page
    assert "Opgelost, student kan zelf verder" in page and "Afgehaakt" in page
    assert "16 waarden" in page
    assert "Rijen die Handvat niet kan lezen" not in page
    assert ">Inlezen</button>" in page
    assert count(Observation) == 0 and count(Indicator) == 0  # a preview stores nothing

    confirmed = client.post(response.location)
    assert confirmed.status_code == 302
    assert confirmed.location == f"/regio/twente/indicatoren/{KEY}"
    page = client.get(confirmed.location).get_data(as_text=True)
    assert f"16 waarden ingelezen voor ‘{NAME}’." in page
    assert "<svg" in page and 'role="img"' in page  # the charts, inline
    assert "Afgehaakt" in page and ">83<" in page and ">69<" in page
    assert count(Observation) == 16 and count(IndicatorUpload) == 0

    overview = client.get("/regio/twente/indicatoren").get_data(as_text=True)
    assert NAME in overview and f'href="/regio/twente/indicatoren/{KEY}"' in overview
    assert "2020 tot en met 2021" in text_of(overview)
    assert "83 behandelingen" in text_of(overview)  # the latest total, with its unit

    # A second click on "Inlezen" (or the back button and again) stores nothing twice.
    again = client.post(response.location)
    assert again.status_code == 302 and again.location == "/regio/twente/indicatoren"
    page = client.get(again.location).get_data(as_text=True)
    assert "Deze import bestaat niet meer: hij is al ingelezen" in page
    assert count(Observation) == 16

    # The same indicator and period again replaces that period, when so chosen; 2020 stays.
    newer = wide_csv(
        "Afgesloten behandelingen naar reden",
        {"Afgehaakt": {"2021": 20}, "Anders": {"2021": 5}, "Totaal": {"2021": 25}},
    )
    response = upload(client, data=newer, name="afsluitredenen-2021-herzien.csv")
    assert response.status_code == 302
    page = client.get(response.location).get_data(as_text=True)
    assert "Bestaande indicator." in page
    assert "Vervangt" in page and "Andere perioden blijven staan" in page
    client.post(response.location, data={"others": "weghalen"})
    values = values_of()
    assert {k: v for k, v in values.items() if k[0] == "2021"} == {
        ("2021", "Afgehaakt"): 20.0,
        ("2021", "Anders"): 5.0,
        ("2021", "Totaal"): 25.0,
    }
    assert len([k for k in values if k[0] == "2020"]) == 8
    assert values[("2020", "Totaal")] == 69.0
    assert count(Indicator) == 1


def test_a_partial_file_asks_whether_the_periods_other_values_stay(client, region):
    """A correction of one value must not wipe the rest of its period unasked: the preview
    names what the file leaves out, and the confirmation needs a choice."""
    import_file(client, CLOSED)
    before = values_of()
    correction = wide_csv("Afgesloten behandelingen naar reden", {"Afgehaakt": {"2021": 20}})
    response = upload(client, data=correction, name="correctie-2021.csv")
    page = text_of(client.get(response.location).get_data(as_text=True))
    assert "Let op: 7 cijfers van die periode staan wel in Handvat, maar niet in dit bestand:" in (
        page
    )
    assert "Anders (2021)" in page and "Totaal (2021)" in page
    assert "Laten staan: alleen de cijfers uit dit bestand toevoegen of bijwerken" in page

    # Without a choice nothing is stored, and the page asks again.
    unanswered = client.post(response.location)
    assert unanswered.status_code == 422
    asked = unanswered.get_data(as_text=True)
    assert "Kies wat er moet gebeuren met de cijfers die niet in dit bestand staan." in asked
    # The error summary's link leads to the first option (a radio group has no id of its own).
    assert 'href="#others-0"' in asked and 'id="others-0"' in asked
    assert values_of() == before and count(IndicatorUpload) == 1

    kept = client.post(response.location, data={"others": "laten"})
    page = client.get(kept.location).get_data(as_text=True)
    assert "1 waarde ingelezen" in page and "7 andere waarden van die perioden zijn blijven" in page
    assert values_of() == {**before, ("2021", "Afgehaakt"): 20.0}

    response = upload(client, data=correction, name="correctie-2021.csv")
    removed = client.post(response.location, data={"others": "weghalen"})
    page = client.get(removed.location).get_data(as_text=True)
    assert "7 andere waarden van die perioden zijn weggehaald." in page
    values = values_of()
    assert [k for k in values if k[0] == "2021"] == [("2021", "Afgehaakt")]
    assert len([k for k in values if k[0] == "2020"]) == 8
    history = db.session.scalars(
        select(AuditEvent).where(AuditEvent.object_type == "indicator").order_by(AuditEvent.id)
    ).all()
    told = [c["after"] for event in history for c in event.changes]
    assert any("7 andere waarden van die perioden laten staan" in line for line in told)
    assert any("7 andere waarden van die perioden weggehaald" in line for line in told)


def test_a_table_of_percentages_with_an_empty_cell_gets_the_unit_percent(client, region):
    shares = "Top 5 onderwerpen;;\nOnderwerp;2020;2021\nFamilie;18%;10%\nZelfbeeld;14%;\n"
    import_file(client, data=shares.encode(), name="onderwerpen.csv")
    indicator = db.session.scalars(select(Indicator)).one()
    assert indicator.unit == "%"


def test_a_complete_file_needs_no_choice(client, region):
    import_file(client, CLOSED)
    response = upload(client, CLOSED)
    page = client.get(response.location).get_data(as_text=True)
    assert "Let op:" not in page and 'name="others"' not in page
    assert client.post(response.location).status_code == 302
    assert count(Observation) == 16


def test_a_refused_row_shows_where_and_why_and_nothing_can_be_stored(client, region):
    response = upload(client, REFUSED)
    assert response.status_code == 302  # readable: the preview says what is wrong
    preview = client.get(response.location)
    assert preview.status_code == 422
    page = preview.get_data(as_text=True)
    assert "Er wordt niets ingelezen" in page
    assert "4 rijen kan Handvat niet lezen" in page
    table = text_of(page[page.index('id="niet-ingelezen"') :])
    assert "Rij Kolom Waarde Reden" in table
    assert "3 Waarde abc geen getal" in table
    assert "4 Periode Vorig jaar (2020) onbekende periode" in table
    assert "5 te weinig cellen (2 van de 4)" in table
    assert ">Inlezen</button>" not in page and "Inlezen</button>" not in page
    assert "Een ander bestand kiezen" in page

    forged = client.post(response.location)  # a confirm the page did not offer
    assert forged.status_code == 302 and forged.location == response.location
    page = client.get(forged.location).get_data(as_text=True)
    assert "Er is niets ingelezen" in page
    assert count(Observation) == 0 and count(Indicator) == 0


def test_an_oversized_file_gets_the_dutch_413_page(app, client, region):
    app.config["INDICATOR_UPLOAD_MAX_MB"] = 1
    big = b"Indicator;Periode;Waarde\n" + b"Consultaties;2021;147\n" * 60_000  # 1.3 MB
    assert len(big) > 1024 * 1024
    response = upload(client, data=big)
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "Het bestand is te groot" in page
    assert "hoogstens 1 MB" in page
    assert count(IndicatorUpload) == 0 and count(Observation) == 0
    # Just under the limit is fine.
    small = b"Indicator;Periode;Waarde\n" + b"Consultaties;2021;147\n" * 40_000
    assert upload(client, data=small).status_code == 302


def test_an_upload_is_found_only_by_the_user_who_made_it(app, client, region):
    response = upload(client, CLOSED)
    preview = response.location
    colleague = make_user("co@handvat.test", "Co Collega", region=region, role=Role.COORDINATOR)
    other = app.test_client()
    sign_in(other, colleague)
    seen = other.get(preview)
    assert seen.status_code == 302 and seen.location == "/regio/twente/indicatoren"
    assert "Deze import bestaat niet meer" in other.get(seen.location).get_data(as_text=True)
    assert other.post(preview).location == "/regio/twente/indicatoren"
    assert other.post(preview + "/annuleren").status_code == 302
    assert count(Observation) == 0 and count(IndicatorUpload) == 1
    assert client.get(preview).status_code == 200  # still there for its owner


def test_a_member_cannot_import(app, region):
    member = make_user("lid@handvat.test", "Lid Lisa", region=region, role=Role.MEMBER)
    client = app.test_client()
    sign_in(client, member)
    assert client.get("/regio/twente/indicatoren/importeren").status_code == 403
    assert upload(client, CLOSED).status_code == 403
    assert count(IndicatorUpload) == 0
    page = client.get("/regio/twente/indicatoren").get_data(as_text=True)
    assert client.get("/regio/twente/indicatoren").status_code == 200  # members see the figures
    assert "Cijfers inlezen" not in page


def test_cancel_removes_the_upload(client, region):
    response = upload(client, CLOSED)
    cancelled = client.post(response.location + "/annuleren")
    assert cancelled.status_code == 302
    assert "De import is geannuleerd. Er is niets ingelezen." in client.get(
        cancelled.location
    ).get_data(as_text=True)
    assert count(IndicatorUpload) == 0 and count(Observation) == 0


# --- the description -------------------------------------------------------------------------


def test_a_stale_description_edit_is_a_409_that_keeps_the_typed_text(client, region):
    import_file(client, CLOSED)
    url = f"/regio/twente/indicatoren/{KEY}/bewerken"
    page = client.get(url).get_data(as_text=True)
    revision = re.search(r'name="revision" type="hidden" value="(\d+)"', page).group(1)
    form = {
        "name": NAME,
        "definition": "Eerste versie van de definitie.",
        "unit": "behandelingen",
        "direction": "neutraal",
        "source": "Kennispunt Twente",
        "frequency": "Jaarlijks",
        "target_value": "",
        "target_period": "",
        "revision": revision,
    }
    first = client.post(url, data=form)
    assert first.status_code == 302
    second = client.post(
        url, data={**form, "definition": "Mijn eigen definitie, in een ander tabblad getypt."}
    )
    assert second.status_code == 409
    page = second.get_data(as_text=True)
    assert "Deze indicator is intussen gewijzigd" in page
    assert "Mijn eigen definitie, in een ander tabblad getypt." in page
    db.session.expire_all()
    indicator = db.session.scalar(select(Indicator).where(Indicator.key == KEY))
    assert indicator.definition == "Eerste versie van de definitie."
    # The conflict page carries the current revision: saving from it is on purpose.
    revision = re.search(r'name="revision" type="hidden" value="(\d+)"', page).group(1)
    third = client.post(url, data={**form, "definition": "Toch de mijne.", "revision": revision})
    assert third.status_code == 302
    db.session.expire_all()
    assert db.session.get(Indicator, indicator.id).definition == "Toch de mijne."


# --- beside a question --------------------------------------------------------------------------


@pytest.fixture
def conversation(region, make_conversation):
    conversation = make_conversation("Overleg Twente", region=region)
    select_questions(conversation, ["verkennen-regie", "verkennen-populatie"])
    db.session.commit()
    return conversation


def test_a_linked_question_shows_the_figures_on_the_answer_page(
    client, region, conversation, make_region, make_conversation
):
    import_file(client, CLOSED)
    answer = f"/gesprekken/{conversation.id}/vragen/verkennen-regie"
    assert NAME not in client.get(answer).get_data(as_text=True)

    response = client.post(
        f"/regio/twente/indicatoren/{KEY}/vragen", data={"question_id": "verkennen-regie"}
    )
    assert response.status_code == 302
    assert "De cijfers staan nu naast vraag" in client.get(response.location).get_data(as_text=True)
    page = client.get(answer).get_data(as_text=True)
    assert "Cijfers van regio Twente" in page
    assert NAME in page and "Afgehaakt" in page and "2021" in page
    assert "(door de regio gekoppeld)" in client.get(f"/regio/twente/indicatoren/{KEY}").get_data(
        as_text=True
    )

    # Another region's conversation of the same question shows none of it.
    other_region = make_region("Achterhoek", ("Winterswijk",))
    other = make_conversation("Overleg Achterhoek", region=other_region)
    select_questions(other, ["verkennen-regie"])
    db.session.commit()
    page = client.get(f"/gesprekken/{other.id}/vragen/verkennen-regie").get_data(as_text=True)
    assert NAME not in page and "Cijfers van regio" not in page

    # Unlinking takes them away again.
    unlinked = client.post(f"/regio/twente/indicatoren/{KEY}/vragen/verkennen-regie/los")
    assert unlinked.status_code == 302
    assert count(QuestionIndicatorLink) == 0
    assert NAME not in client.get(answer).get_data(as_text=True)


def test_the_rule_of_thumb_compares_where_helped_students_live(client, region, conversation):
    page = import_file(
        client,
        HOME_MUNICIPALITIES,
        indicator="Geholpen studenten per woongemeente",
        period="2021",
    )
    assert "Geholpen studenten per woongemeente" in page
    db.session.expire_all()
    indicator = db.session.scalar(select(Indicator))
    assert indicator.key == "geholpen-studenten-per-woongemeente"
    codes = set(
        db.session.scalars(
            select(Observation.municipality_code).where(Observation.municipality_code != "")
        )
    )
    assert {"GM0153", "GM0141", "GM0164"} <= codes

    page = client.get(f"/gesprekken/{conversation.id}/vragen/verkennen-populatie").get_data(
        as_text=True
    )
    text = text_of(page)
    assert "Waar wonen de studenten? Vuistregel van de plaat" in text
    assert "geholpen studenten per woongemeente, 2021" in text
    assert "Vuistregel" in text and "30%" in text and "40%" in text
    # No seats of the mbo institution yet: the page says so and where to set them.
    assert "weet nog niet waar de mbo-instelling een vestiging heeft" in text
    assert "Vestigingen aangeven" in text
    assert "‘Anders &amp; onbekend’ telt mee als buiten de regio." in page
    # A member reads the same, without a link to a page they may not open.
    member = make_user("lid@handvat.test", "Lid Lisa", region=region, role=Role.MEMBER)
    members_client = client.application.test_client()
    sign_in(members_client, member)
    members_page = members_client.get(f"/gesprekken/{conversation.id}/vragen/verkennen-populatie")
    members_text = text_of(members_page.get_data(as_text=True))
    assert "weet nog niet waar de mbo-instelling een vestiging heeft" in members_text
    assert "Vestigingen aangeven" not in members_text
    assert "Wie de cijfers van de regio beheert, kan ze aangeven." in members_text

    # With Enschede as the seat: 35 of 105 there, Almelo and Hengelo (33) the region.
    enschede = db.session.scalar(select(Municipality).where(Municipality.name == "Enschede"))
    response = client.post("/regio/twente/gemeenten", data={"seats": [str(enschede.id)]})
    assert response.status_code == 302
    text = text_of(
        client.get(f"/gesprekken/{conversation.id}/vragen/verkennen-populatie").get_data(
            as_text=True
        )
    )
    assert "weet nog niet waar" not in text
    assert "(35)" in text and "(33)" in text and "(37)" in text


# --- action points ------------------------------------------------------------------------------


def test_linking_an_action_takes_the_latest_figure_as_baseline(
    client, region, conversation, make_action
):
    import_file(client, CLOSED)
    action = make_action(conversation, "Wachttijd voor hulp op school verkorten")
    indicator = db.session.scalar(select(Indicator).where(Indicator.key == KEY))
    url = f"/gesprekken/{conversation.id}/acties/{action.id}/indicatoren"
    response = client.post(
        url,
        data={
            "indicator": str(indicator.id),
            "category": "",
            "baseline_value": "",
            "baseline_period": "",
            "target_value": "100",
            "target_period": "2023",
            "story": "Meer studenten ronden de behandeling af.",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    db.session.expire_all()
    link = db.session.scalar(select(ActionIndicatorLink))
    assert (link.baseline_value, link.baseline_period) == (83.0, "2021")  # the 2021 total
    assert (link.target_value, link.target_period) == (100.0, "2023")
    page = client.get(url).get_data(as_text=True)
    assert "Actiepunt 1 is gekoppeld aan " + NAME in page
    assert "Nog geen nieuwe meting" in page and "Meer studenten ronden de behandeling af." in page

    actions_page = text_of(
        client.get(f"/gesprekken/{conversation.id}/acties").get_data(as_text=True)
    )
    assert f"{NAME}: 83, doel 100 · Nog geen nieuwe meting" in actions_page
    conversation_page = client.get(f"/gesprekken/{conversation.id}").get_data(as_text=True)
    assert "Actiepunten en de cijfers die ze moeten veranderen" in conversation_page
    assert "Nog geen nieuwe meting" in conversation_page

    # Figures of a new year change the status, on the cached conversation page too.
    import_file(
        client,
        data=wide_csv(NAME, {"Afgehaakt": {"2022": 20}, "Totaal": {"2022": 95}}),
        name="afsluitredenen-2022.csv",
    )
    conversation_page = client.get(f"/gesprekken/{conversation.id}").get_data(as_text=True)
    assert "Op koers" in conversation_page and "Nog geen nieuwe meting" not in conversation_page
    assert "Op koers" in client.get(f"/gesprekken/{conversation.id}/acties").get_data(as_text=True)

    # Linking the same figure twice is refused with a Dutch message.
    twice = client.post(url, data={"indicator": str(indicator.id), "category": ""})
    assert twice.status_code == 422
    assert "Dit actiepunt is al aan dit cijfer gekoppeld" in twice.get_data(as_text=True)
    assert count(ActionIndicatorLink) == 1


LINK_FORM = {
    "baseline_value": "83",
    "baseline_period": "2021",
    "target_value": "100",
    "target_period": "2023",
    "story": "Meer studenten ronden de behandeling af.",
}


@pytest.fixture
def linked_action(client, region, conversation, make_action):
    """An action point linked to the indicator's total through the page; its edit URL."""
    import_file(client, CLOSED)
    action = make_action(conversation, "Wachttijd voor hulp op school verkorten")
    indicator = db.session.scalar(select(Indicator).where(Indicator.key == KEY))
    links = f"/gesprekken/{conversation.id}/acties/{action.id}/indicatoren"
    response = client.post(
        links, data={"indicator": str(indicator.id), "category": "", **LINK_FORM}
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    link = db.session.scalar(select(ActionIndicatorLink))
    return action, link.id, f"{links}/{link.id}"


def stored_link(link_id: int) -> ActionIndicatorLink:
    db.session.expire_all()
    return db.session.get(ActionIndicatorLink, link_id)


def link_changes() -> list[AuditEvent]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(AuditEvent).where(
                AuditEvent.action == AuditAction.CHANGED,
                AuditEvent.object_label.contains("koppeling met indicator"),
            )
        )
    )


def revision_on(page: str) -> str:
    return re.search(r'name="revision" type="hidden" value="(\d+)"', page).group(1)


def test_a_stale_link_edit_is_a_409_that_shows_the_stored_link_and_keeps_the_typed_one(
    client, linked_action
):
    _action, link_id, url = linked_action
    # Two people open the same link's form.
    first_page = client.get(url).get_data(as_text=True)
    second_page = client.get(url).get_data(as_text=True)
    assert revision_on(first_page) == revision_on(second_page) == "1"
    ours = {**LINK_FORM, "revision": revision_on(first_page)}

    first = client.post(
        url, data={**ours, "target_value": "110", "story": "Eerst: het verhaal van Anna."}
    )
    assert first.status_code == 302
    assert len(link_changes()) == 1

    second = client.post(
        url, data={**ours, "target_value": "95", "story": "Later: het verhaal van Bert."}
    )
    assert second.status_code == 409
    page = second.get_data(as_text=True)
    text = text_of(page)
    assert "Deze koppeling is intussen gewijzigd" in text
    assert "Iemand anders, of u in een ander tabblad, heeft deze koppeling opgeslagen" in text
    # What is stored now (the first's) ...
    assert "Eerst: het verhaal van Anna." in text and "Doel 110 in 2023" in text
    assert "Beginwaarde 83 in 2021" in text
    # ... and what the second typed, still in the form.
    assert "Later: het verhaal van Bert." in page and 'value="95"' in page
    link = stored_link(link_id)
    assert (link.target_value, link.story) == (110.0, "Eerst: het verhaal van Anna.")
    assert link.revision == 2
    assert len(link_changes()) == 1  # the refused save wrote no history

    # The conflict page carries the stored revision: saving from it overwrites on purpose.
    assert revision_on(page) == "2"
    third = client.post(
        url,
        data={**ours, "target_value": "95", "story": "Later: het verhaal van Bert.", "revision": 2},
    )
    assert third.status_code == 302
    link = stored_link(link_id)
    assert (link.target_value, link.story, link.revision) == (
        95.0,
        "Later: het verhaal van Bert.",
        3,
    )
    history = link_changes()
    assert len(history) == 2
    assert {c["field"]: (c["before"], c["after"]) for c in history[-1].changes}["doel"] == (
        "110.0",
        "95.0",
    )


def test_the_same_link_values_sent_twice_are_saved_once(client, linked_action):
    _action, link_id, url = linked_action
    revision = revision_on(client.get(url).get_data(as_text=True))
    form = {**LINK_FORM, "story": "Een nieuw verhaal.", "revision": revision}
    assert client.post(url, data=form).status_code == 302
    again = client.post(url, data=form)  # a double click, or a second tab with the same text
    assert again.status_code == 302
    assert "De koppeling was al zo opgeslagen." in client.get(again.location).get_data(as_text=True)
    link = stored_link(link_id)
    assert (link.story, link.revision) == ("Een nieuw verhaal.", 2)
    assert len(link_changes()) == 1


@pytest.mark.parametrize("revision", [None, "", "abc", "-1", "007", "99999999999999999999"])
def test_a_link_form_without_a_usable_revision_is_told_not_saved(client, linked_action, revision):
    _action, link_id, url = linked_action
    form = {**LINK_FORM, "story": "Uit een oud formulier."}
    if revision is not None:
        form["revision"] = revision
    response = client.post(url, data=form)
    assert response.status_code == 409
    assert "Deze koppeling is intussen gewijzigd" in response.get_data(as_text=True)
    assert stored_link(link_id).story == LINK_FORM["story"]
    # With exactly what is stored nothing is overwritten: no reason to refuse.
    same = {**LINK_FORM, **({"revision": revision} if revision is not None else {})}
    assert client.post(url, data=same).status_code == 302


def test_update_action_link_refuses_a_stale_revision(app, linked_action):
    from app.indicators.operations import (
        ActionLinkData,
        LinkConflict,
        LinkGone,
        unlink_action,
        update_action_link,
    )

    action, link_id, _url = linked_action
    link = stored_link(link_id)
    values = ActionLinkData(link.indicator_id, "", 83.0, "2021", 100.0, "2023", "Nieuw.")
    assert update_action_link(action, link, values, 1) is Outcome.SAVED
    db.session.commit()
    assert stored_link(link_id).revision == 2

    other = ActionLinkData(link.indicator_id, "", 83.0, "2021", 120.0, "2023", "Anders.")
    with pytest.raises(LinkConflict) as conflict:
        update_action_link(action, link, other, 1)
    assert (conflict.value.current.story, conflict.value.current.revision) == ("Nieuw.", 2)
    db.session.rollback()
    # The values already stored, sent again from the old form: accepted, nothing written.
    assert update_action_link(action, link, values, 1) is Outcome.ALREADY_SAVED
    db.session.commit()
    assert stored_link(link_id).revision == 2

    # Removed meanwhile (the other request loaded it first): gone, and removed only once.
    link = stored_link(link_id)
    _ = link.indicator
    assert unlink_action(action, link) is True
    assert unlink_action(action, link) is False
    db.session.commit()
    deleted = db.session.scalar(
        select(func.count()).where(
            AuditEvent.action == AuditAction.DELETED,
            AuditEvent.object_label.contains("koppeling met indicator"),
        )
    )
    assert deleted == 1
    with pytest.raises(LinkGone):
        update_action_link(action, link, other, 2)
    db.session.rollback()


def test_a_link_edited_meanwhile_can_still_be_unlinked(client, linked_action):
    _action, link_id, url = linked_action
    revision = revision_on(client.get(url).get_data(as_text=True))
    assert client.post(url, data={**LINK_FORM, "story": "Gewijzigd.", "revision": revision})
    response = client.post(url + "/verwijderen")
    assert response.status_code == 302
    assert "De koppeling met de indicator is weg." in client.get(response.location).get_data(
        as_text=True
    )
    assert count(ActionIndicatorLink) == 0


def test_the_same_link_sent_twice_links_once(client, region, conversation, make_action):
    import_file(client, CLOSED)
    action = make_action(conversation, "Wachttijd verkorten")
    indicator = db.session.scalar(select(Indicator).where(Indicator.key == KEY))
    url = f"/gesprekken/{conversation.id}/acties/{action.id}/indicatoren"
    # Baseline left empty: both submits take the latest figure, so they are the same.
    form = {**LINK_FORM, "indicator": str(indicator.id), "category": "", "baseline_value": ""}
    form["baseline_period"] = ""
    assert client.post(url, data=form).status_code == 302
    again = client.post(url, data=form)
    assert again.status_code == 302
    assert f"Actiepunt 1 was al zo gekoppeld aan {NAME}." in client.get(again.location).get_data(
        as_text=True
    )
    assert count(ActionIndicatorLink) == 1
    # Other values for the same figure: refused, the existing link is changed on its own page.
    other = client.post(url, data={**form, "target_value": "120"})
    assert other.status_code == 422
    assert "Dit actiepunt is al aan dit cijfer gekoppeld" in other.get_data(as_text=True)


def test_a_member_sees_the_action_figures_but_cannot_link(
    app, client, region, conversation, make_action
):
    import_file(client, CLOSED)
    action = make_action(conversation, "Wachttijd verkorten")
    indicator = db.session.scalar(select(Indicator).where(Indicator.key == KEY))
    member = make_user("lid@handvat.test", "Lid Lisa", region=region, role=Role.MEMBER)
    other = app.test_client()
    sign_in(other, member)
    url = f"/gesprekken/{conversation.id}/acties/{action.id}/indicatoren"
    assert other.get(url).status_code == 200
    assert other.post(url, data={"indicator": str(indicator.id)}).status_code == 403
    assert count(ActionIndicatorLink) == 0


# --- the region's municipalities ----------------------------------------------------------------


def test_municipalities_are_added_by_cbs_code_and_unknown_ones_refused(client, make_region):
    make_region("Twente", ("Almelo", "Hengelo"))
    response = client.post("/regio/twente/gemeenten", data={"added": "GM0153"})
    assert response.status_code == 302
    page = client.get(response.location).get_data(as_text=True)
    assert "Toegevoegd: Enschede." in page
    db.session.expire_all()
    assert (
        db.session.scalar(select(Municipality.cbs_code).where(Municipality.name == "Enschede"))
        == "GM0153"
    )
    before = db.session.execute(
        select(Municipality.name, Municipality.cbs_code).order_by(Municipality.name)
    ).all()

    refused = client.post("/regio/twente/gemeenten", data={"added": "Borne\nAtlantis"})
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert "Deze gemeente(n) kent Handvat niet: ‘Atlantis’." in page
    assert "Er is niets opgeslagen." in page
    assert "Borne\nAtlantis" in page  # what was typed stays in the form
    db.session.expire_all()
    after = db.session.execute(
        select(Municipality.name, Municipality.cbs_code).order_by(Municipality.name)
    ).all()
    assert after == before  # Borne neither: all or nothing


# --- the command line ---------------------------------------------------------------------------


def test_the_import_command(app, region, tmp_path):
    runner = app.test_cli_runner()
    base = ["indicators", "import", "--region", "twente"]

    dry = runner.invoke(args=[*base, str(CLOSED), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert f"Indicator: {NAME}: 16 waarden voor 2020, 2021" in dry.output
    assert "Proefrun (--dry-run): niets opgeslagen." in dry.output
    assert count(Observation) == 0 and count(Indicator) == 0

    stored = runner.invoke(args=[*base, str(CLOSED)])
    assert stored.exit_code == 0, stored.output
    assert f"Opgeslagen: {NAME} ({KEY}): 16 waarden voor 2020, 2021 (nieuw)." in stored.output
    assert count(Observation) == 16

    again = runner.invoke(args=[*base, str(CLOSED)])
    assert "16 oude waarden vervangen" in again.output
    assert count(Observation) == 16

    correction = tmp_path / "correctie.csv"
    correction.write_bytes(
        wide_csv("Afgesloten behandelingen naar reden", {"Afgehaakt": {"2021": 20}})
    )
    kept = runner.invoke(args=[*base, str(correction), "--keep-others"])
    assert "1 oude waarden vervangen, 7 andere laten staan" in kept.output, kept.output
    assert count(Observation) == 16
    replaced = runner.invoke(args=[*base, str(correction)])
    assert "8 oude waarden vervangen" in replaced.output, replaced.output
    assert count(Observation) == 9
    runner.invoke(args=[*base, str(CLOSED)])

    refused = runner.invoke(args=[*base, str(REFUSED)])
    assert refused.exit_code == EXIT_REFUSED == 3
    assert "Niets opgeslagen: 4 rij(en) niet te lezen." in refused.output
    assert "geen getal" in refused.output
    assert count(Observation) == 16
    assert count(Indicator) == 1  # not "Consultatiegesprekken" of the refused file

    unknown = runner.invoke(args=["indicators", "import", "--region", "nergens", str(CLOSED)])
    assert unknown.exit_code == 1 and "Regio ‘nergens’ bestaat niet." in unknown.output
