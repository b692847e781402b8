"""Privacy (AVG): the statement, a region's zip and wiping a region's conversations."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.accounts.models import RecoveryCode, User, UserSession
from app.accounts.roles import Role
from app.actions.models import ActionPoint
from app.audit.models import AuditEvent
from app.conversations import operations as conversation_operations
from app.conversations.models import Answer, Conversation, OrganisationType, Participant
from app.conversations.operations import ParticipantData
from app.extensions import db
from app.indicators.models import (
    ActionIndicatorLink,
    Indicator,
    IndicatorUpload,
    Observation,
    QuestionIndicatorLink,
)
from app.privacy.export import csv_cell, export_filename, neutralise
from app.privacy.queries import TRANSIENT_TABLES, region_counts, region_tables

from .accounts import make_user, sign_in

TABLES = (
    "regio",
    "gemeenten",
    "gesprekken",
    "deelnemers",
    "gekozen_vragen",
    "antwoorden",
    "actiepunten",
    "voortgang",
    "indicatoren",
    "indicatorwaarden",
    "indicatoren_bij_vragen",
    "actiepunten_bij_indicatoren",
    "workshops",
    "workshopdeelnemers",
    "workshopinvoer",
    "leden",
    "geschiedenis",
)
#: Every table of the database: the export file that holds its rows ...
EXPORTED_IN = {
    "region": "regio",
    "municipality": "gemeenten",
    "conversation": "gesprekken",
    "participant": "deelnemers",
    "selected_question": "gekozen_vragen",
    "answer": "antwoorden",
    "action_point": "actiepunten",
    "action_update": "voortgang",
    "indicator": "indicatoren",
    "indicator_observation": "indicatorwaarden",
    "question_indicator_link": "indicatoren_bij_vragen",
    "action_indicator_link": "actiepunten_bij_indicatoren",
    "membership": "leden",
    "user_account": "leden",  # name and e-mail address of the region's members
    "audit_event": "geschiedenis",
    "workshop": "workshops",
    "workshop_question": "workshops",
    "workshop_participant": "workshopdeelnemers",
    "room_assessment": "workshopinvoer",
    "contribution": "workshopinvoer",
    "dot": "workshopinvoer",
}
#: ... or why it is not in the export.
NOT_EXPORTED = {
    "questionnaire_snapshot": "the questionnaire's text: content, the same for every region",
    "account_link": "secret: single-use links",
    "recovery_code": "secret",
    "user_session": "secret",
    "indicator_upload": "transient: a file between its preview and its confirmation",
    "api_token": "secret: a person's API tokens (hashes), not the region's data",
    "calendar_feed": "secret: a person's calendar links (hashes), not the region's data",
    "region_invitation": (
        "transient: a role offered to someone's account that they have not answered; the "
        "region's history (geschiedenis) keeps that it was offered and how it ended"
    ),
}
FIGURES = Path(__file__).parent / "fixtures" / "indicators"
#: Twente's figures: 16 values of "Afgesloten behandelingen naar reden" in 2020 and 2021.
CLOSED = FIGURES / "kennispunt-twente-afsluitredenen-2020-2021.csv"
#: ... and two more indicators with a negative and a decimal value.
TWENTE_MORE = (
    "Indicator;Periode;Waarde\nSaldo wachtlijst;2021;-3,5\nAandeel zelfstandig verder;2021;24,5%\n"
)
UPLOAD_MARKER = "NOG-NIET-INGELEZEN"
HOSTILE_NAME = "=cmd|' /C calc'!A0"
TOTP_SECRET = "JBSWY3DPEHPK3PXPGEHEIM22"
SECRET_USER_AGENT = "GeheimeBrowser/9.9"
OTHER_REGION_MARKER = "Achterhoek-geheim"


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def fill_region(make_conversation, make_action, region, marker: str, participant_name: str):
    """A conversation with a participant, an answer and two action points in ``region``."""
    conversation = make_conversation(
        f"Overleg {marker}",
        region=region,
        participants=[
            ParticipantData(
                participant_name, f"Gemeente {marker}", OrganisationType.MUNICIPALITY, "Wethouder"
            ),
            ParticipantData(f"Bram {marker}", "ROC", OrganisationType.MBO_INSTITUTION, "Docent"),
        ],
    )
    conversation_operations.save_answer(
        conversation, "verkennen-regie", f"Antwoord {marker}\nop twee regels", "first_steps", 0
    )
    db.session.commit()
    make_action(
        conversation,
        f"Actie {marker}",
        owner_name=f"Trekker {marker}",
        owner_organisation=f"Organisatie {marker}",
        due_date=date(2026, 12, 1),
    )
    make_action(conversation, f"+Tweede actie {marker}", question_id="verkennen-regie")
    return conversation


@pytest.fixture
def regions(app, tester, make_region, make_conversation, make_action):
    """Twente (tester coordinator, with data and a hostile participant name) and Achterhoek
    (tester coordinator too, with its own data) on one installation."""
    twente = make_region("Twente", ("Almelo", "Enschede"))
    achterhoek = make_region("Achterhoek", ("Winterswijk",))
    first = fill_region(make_conversation, make_action, twente, "Twente", HOSTILE_NAME)
    second = make_conversation("Tweede overleg Twente", region=twente, held_on=date(2026, 11, 2))
    make_action(second, "Nog een actie")
    other = fill_region(
        make_conversation, make_action, achterhoek, OTHER_REGION_MARKER, "Anna Achter"
    )
    # Figures of both regions, linked to a question and to an action point.
    add_figures(twente, CLOSED.read_bytes(), CLOSED.name, first, "=1+1 minder afhakers")
    add_figures(twente, TWENTE_MORE.encode(), "meer.csv", second, "")
    add_figures(
        achterhoek,
        f"Indicator;Periode;Waarde\nCijfers {OTHER_REGION_MARKER};2021;77\n".encode(),
        "achter.csv",
        other,
        f"Verhaal {OTHER_REGION_MARKER}",
    )
    # An import waiting for its confirmation: transient, never in the zip.
    from app.indicators.importer import ImportOptions
    from app.indicators.operations import keep_upload

    keep_upload(
        twente,
        tester.id,
        f"{UPLOAD_MARKER}.csv",
        f"Indicator;Periode;Waarde\n{UPLOAD_MARKER};2021;1\n".encode(),
        ImportOptions(),
    )
    make_user("anna@twente.test", "Anna Twente", region=twente, role=Role.FACILITATOR)
    make_user("piet@achterhoek.test", f"Piet {OTHER_REGION_MARKER}", region=achterhoek)
    # Secrets that must never leave the installation.
    tester.totp_secret = TOTP_SECRET
    db.session.add(RecoveryCode(user_id=tester.id, code_hash="ab" * 32))
    db.session.add(UserSession(key_hash="cd" * 32, user_id=tester.id, user_agent=SECRET_USER_AGENT))
    db.session.commit()
    return twente, achterhoek, first, second


def add_figures(region, content: bytes, file_name: str, conversation, story: str):
    """Import figures for ``region``; link its first indicator to a question and its total to
    the conversation's first action point."""
    from app.indicators.importer import read_indicator_file
    from app.indicators.operations import ActionLinkData, link_action, link_question, store_plan

    stored = store_plan(region, read_indicator_file(content, file_name))
    indicator = stored.indicators[0].indicator
    link_question(indicator, "verkennen-regie")
    action = db.session.scalar(
        select(ActionPoint)
        .where(ActionPoint.conversation_id == conversation.id)
        .order_by(ActionPoint.position)
    )
    link_action(action, ActionLinkData(indicator.id, "", None, None, 60.0, "2023", story), None)
    db.session.commit()
    return indicator


def download(client, slug: str) -> tuple[dict[str, bytes], object]:
    response = client.get(f"/regio/{slug}/gegevens.zip")
    try:
        assert response.status_code == 200, response.status_code
        with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
            files = {name: archive.read(name) for name in archive.namelist()}
    finally:
        response.close()
    return files, response


def read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf"), "CSV without a byte-order mark"
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))


def counts_of(region) -> tuple[int, int, int]:
    conversation_ids = select(Conversation.id).where(Conversation.region_id == region.id)
    return (
        db.session.scalar(select(func.count()).where(Conversation.region_id == region.id)),
        db.session.scalar(select(func.count()).where(Answer.conversation_id.in_(conversation_ids))),
        db.session.scalar(
            select(func.count()).where(ActionPoint.conversation_id.in_(conversation_ids))
        ),
    )


# --------------------------------------------------------------------------------------------
# The statement
# --------------------------------------------------------------------------------------------


def test_statement_is_public_and_reads_the_settings(app, anonymous_client):
    app.config["SESSION_IDLE_MINUTES"] = 47
    app.config["SESSION_MAX_HOURS"] = 9
    app.config["SECURITY_CONTACT"] = "mailto:security@gemeente.test"
    response = anonymous_client.get("/privacy")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "verwerkingsverantwoordelijke" in page
    assert "verwerker" in page
    assert "47 minuten" in page
    assert "9 uur" in page
    assert "security@gemeente.test" in page
    assert "sessiecookie" in page
    assert "geen trackers" in page
    assert "nooit naar gegevens over een leerling" in page
    assert "/account/verwijderen" in page


def test_statement_without_security_contact(app, anonymous_client):
    app.config["SECURITY_CONTACT"] = None
    page = anonymous_client.get("/privacy").get_data(as_text=True)
    assert "mailto:" not in page
    assert "coördinator van uw regio" in page


# --------------------------------------------------------------------------------------------
# The region's data page and zip
# --------------------------------------------------------------------------------------------


def test_region_data_page(client, regions):
    response = client.get("/regio/twente/gegevens")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Dit is geen back-up" in page
    assert "/regio/twente/gegevens.zip" in page
    assert "/regio/twente/gesprekken-wissen" in page
    assert "2 gesprekken" in page
    assert "3 indicatoren met 18 waarden" in page
    assert "cijfers (indicatoren en hun waarden)" in page


def test_region_page_links_to_the_data_page(client, regions):
    page = client.get("/regio/twente").get_data(as_text=True)
    assert "/regio/twente/gegevens" in page


def test_export_holds_every_table_as_json_and_csv_and_every_action_list(client, regions):
    twente, _, first, second = regions
    files, response = download(client, "twente")

    assert response.headers["Cache-Control"] == "no-store"
    disposition = response.headers["Content-Disposition"]
    assert f"filename={export_filename(twente)}" in disposition.replace('"', "")
    assert response.mimetype == "application/zip"

    expected = {"README.txt"}
    expected |= {f"json/{table}.json" for table in TABLES}
    expected |= {f"csv/{table}.csv" for table in TABLES}
    pdfs = {name for name in files if name.startswith("actielijsten/")}
    assert expected <= set(files)
    assert set(files) == expected | pdfs
    assert len(pdfs) == 2
    assert any(f"-{first.id}-" in name for name in pdfs)
    assert any(f"-{second.id}-" in name for name in pdfs)
    for name in pdfs:
        assert files[name].startswith(b"%PDF")

    readme = files["README.txt"].decode("utf-8-sig")
    assert "DIT IS GEEN BACK-UP" in readme
    for table in TABLES:
        assert f"{table}.csv" in readme

    for table in TABLES:
        rows = json.loads(files[f"json/{table}.json"].decode("utf-8"))
        assert isinstance(rows, list)
        lines = read_csv(files[f"csv/{table}.csv"])
        assert len(lines) == len(rows) + 1  # the header
        assert b";" in files[f"csv/{table}.csv"].splitlines()[0]

    conversations = json.loads(files["json/gesprekken.json"])
    assert {c["titel"] for c in conversations} == {"Overleg Twente", "Tweede overleg Twente"}
    answers = json.loads(files["json/antwoorden.json"])
    assert answers[0]["antwoord"] == "Antwoord Twente\nop twee regels"
    assert answers[0]["vraag"]  # the question's text
    assert answers[0]["vraagnummer"]
    actions = json.loads(files["json/actiepunten.json"])
    assert len(actions) == 3
    owned = next(a for a in actions if a["omschrijving"] == "Actie Twente")
    assert owned["trekker"] == "Trekker Twente"
    assert owned["organisatie_trekker"] == "Organisatie Twente"
    assert owned["deadline"] == "2026-12-01"
    members = json.loads(files["json/leden.json"])
    assert {m["e_mailadres"] for m in members} == {"tess@handvat.test", "anna@twente.test"}
    assert set(members[0]) == {"account_id", "naam", "e_mailadres", "rol", "lid_sinds"}
    municipalities = json.loads(files["json/gemeenten.json"])
    assert [m["naam"] for m in municipalities] == ["Almelo", "Enschede"]
    history = json.loads(files["json/geschiedenis.json"])
    assert history  # at least the memberships and the conversations

    action_lines = read_csv(files["csv/actiepunten.csv"])
    header = action_lines[0]
    deadline = header.index("deadline")
    assert "01-12-2026" in [line[deadline] for line in action_lines[1:]]


def test_export_holds_the_regions_figures_and_their_links(client, regions):
    _, _, first, second = regions
    files, _ = download(client, "twente")
    indicators = json.loads(files["json/indicatoren.json"])
    assert {i["naam"] for i in indicators} == {
        "Afgesloten behandelingen naar reden",
        "Saldo wachtlijst",
        "Aandeel zelfstandig verder",
    }
    closed = next(i for i in indicators if i["sleutel"] == "afsluitredenen")
    assert closed["eenheid"] == "behandelingen" and closed["richting"]
    assert "Kennispunt Twente" in closed["bron"]
    ids = {i["id"] for i in indicators}

    values = json.loads(files["json/indicatorwaarden.json"])
    assert len(values) == 18 and {v["indicator_id"] for v in values} == ids
    total = next(
        v
        for v in values
        if v["indicator_id"] == closed["id"]
        and v["categorie"] == "Totaal"
        and v["periode_code"] == "2021"
    )
    assert (total["waarde"], total["totaal"], total["periode"]) == (83, True, "2021")
    assert total["begin_periode"] == "2021-01-01"
    lines = read_csv(files["csv/indicatorwaarden.csv"])
    column = lines[0].index("waarde")
    numbers = [line[column] for line in lines[1:]]
    # Numbers as Dutch Excel reads them; a minus sign is a number here, not a formula.
    assert "24,5" in numbers and "-3,5" in numbers and "83" in numbers
    assert not [n for n in numbers if n.startswith("'") or "." in n]

    questions = json.loads(files["json/indicatoren_bij_vragen.json"])
    assert len(questions) == 2 and {q["indicator_id"] for q in questions} <= ids
    assert {q["vraag_id"] for q in questions} == {"verkennen-regie"}
    assert all(q["vraagnummer"] and q["vraag"] for q in questions)

    links = json.loads(files["json/actiepunten_bij_indicatoren.json"])
    assert {link["gesprek_id"] for link in links} == {first.id, second.id}
    assert {link["indicator_id"] for link in links} <= ids
    story = next(link for link in links if link["gesprek_id"] == first.id)
    assert story["verhaal_achter_het_cijfer"] == "=1+1 minder afhakers"  # JSON: as typed
    assert (story["doel"], story["doel_in_periode"]) == (60, "2023")
    lines = read_csv(files["csv/actiepunten_bij_indicatoren.csv"])
    column = lines[0].index("verhaal_achter_het_cijfer")
    assert "'=1+1 minder afhakers" in [line[column] for line in lines[1:]]  # CSV: defused

    municipalities = json.loads(files["json/gemeenten.json"])
    assert {m["naam"]: m["cbs_code"] for m in municipalities} == {
        "Almelo": "GM0141",
        "Enschede": "GM0153",
    }


def test_an_import_waiting_for_confirmation_is_not_exported_and_the_readme_says_so(client, regions):
    assert db.session.scalar(select(func.count()).select_from(IndicatorUpload)) == 1
    files, _ = download(client, "twente")
    for name, data in files.items():
        assert UPLOAD_MARKER.encode() not in data, name
    readme = files["README.txt"].decode("utf-8-sig")
    assert "nog niet heeft ingelezen" in readme and "hoogstens" in readme
    assert "indicatorwaarden" in readme


def test_every_table_of_the_database_is_exported_or_left_out_on_purpose(app):
    """A new table that holds a region's data must be added to the zip (or, with a reason,
    to NOT_EXPORTED here): the region's export holds everything Handvat keeps about it."""
    assert set(db.metadata.tables) == set(EXPORTED_IN) | set(NOT_EXPORTED), (
        "Add the new table to app/privacy/queries.py region_tables() and to EXPORTED_IN, or "
        "say in NOT_EXPORTED why a region's export leaves it out."
    )
    assert not set(EXPORTED_IN) & set(NOT_EXPORTED)
    assert set(EXPORTED_IN.values()) == set(TABLES)
    assert set(TRANSIENT_TABLES) <= set(NOT_EXPORTED)


def test_export_neutralises_formulas_in_csv_only(client, regions):
    files, _ = download(client, "twente")
    participants = read_csv(files["csv/deelnemers.csv"])
    names = [line[participants[0].index("naam")] for line in participants[1:]]
    assert "'" + HOSTILE_NAME in names
    assert HOSTILE_NAME not in names
    actions = read_csv(files["csv/actiepunten.csv"])
    descriptions = [line[actions[0].index("omschrijving")] for line in actions[1:]]
    assert "'+Tweede actie Twente" in descriptions
    # JSON keeps the text as it was typed.
    json_names = [p["naam"] for p in json.loads(files["json/deelnemers.json"])]
    assert HOSTILE_NAME in json_names


def test_export_holds_no_secrets(client, regions, tester):
    files, _ = download(client, "twente")
    user = db.session.get(User, tester.id)
    secrets = [
        user.password_hash,
        TOTP_SECRET,
        "ab" * 32,  # recovery code hash
        "cd" * 32,  # session key hash
        SECRET_USER_AGENT,
    ]
    session_hashes = db.session.scalars(select(UserSession.key_hash)).all()
    secrets += session_hashes
    for name, data in files.items():
        for secret in secrets:
            assert secret.encode() not in data, f"{secret[:12]}… in {name}"
        if not name.endswith(".pdf"):
            text = data.decode("utf-8-sig").lower()
            for word in ("password", "wachtwoord_hash", "totp", "key_hash", "user_agent"):
                assert word not in text, f"{word} in {name}"


def test_export_never_holds_another_regions_data(client, regions):
    files, _ = download(client, "twente")
    for name, data in files.items():
        assert OTHER_REGION_MARKER.encode() not in data, name
        assert b"Achterhoek" not in data, name
        assert b"Winterswijk" not in data, name
        assert b"Anna Achter" not in data, name
    # And the other way round.
    files, _ = download(client, "achterhoek")
    for name, data in files.items():
        assert b"Twente" not in data, name
        assert HOSTILE_NAME.encode() not in data, name


def test_region_tables_are_plain_functions(app, regions):
    twente, achterhoek, _, _ = regions
    tables = {table.name: table for table in region_tables(twente)}
    assert tuple(tables) == TABLES
    for table in tables.values():
        for row in table.rows():
            assert tuple(row) == table.columns
    participants = list(tables["deelnemers"].rows())
    assert {p["naam"] for p in participants} == {HOSTILE_NAME, "Bram Twente", "Anna de Vries"}
    other = {p["naam"] for p in region_tables(achterhoek)[3].rows()}
    assert "Anna Achter" in other and HOSTILE_NAME not in other
    counts = region_counts(twente)
    assert (counts.conversations, counts.answers, counts.actions) == (2, 1, 3)
    assert (counts.indicators, counts.observations) == (3, 18)
    other = region_counts(achterhoek)
    assert (other.indicators, other.observations) == (1, 1)
    # Every figure table holds only its own region's rows.
    for name in ("indicatoren", "indicatorwaarden", "indicatoren_bij_vragen"):
        mine = {row["id"] for row in tables[name].rows()}
        theirs = {
            row["id"] for t in region_tables(achterhoek) if t.name == name for row in t.rows()
        }
        assert mine and theirs and not mine & theirs, name


def test_export_of_a_region_without_conversations(client, make_region):
    make_region("Leeg", ("Ergens",))
    files, _ = download(client, "leeg")
    assert not [name for name in files if name.endswith(".pdf")]
    assert json.loads(files["json/gesprekken.json"]) == []
    assert read_csv(files["csv/gesprekken.csv"])[0][0] == "id"


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+31 6 1234", "'+31 6 1234"),
        ("-5", "'-5"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("Gewoon", "Gewoon"),
        (" =1", " =1"),
        (-5, "-5"),
        (None, ""),
        (True, "ja"),
        (date(2026, 3, 5), "05-03-2026"),
    ],
)
def test_csv_cells(value, cell):
    assert csv_cell(value) == cell


def test_neutralise_keeps_plain_text():
    assert neutralise("Anna") == "Anna"


# --------------------------------------------------------------------------------------------
# Access
# --------------------------------------------------------------------------------------------

PAGES = ("/regio/{slug}/gegevens", "/regio/{slug}/gegevens.zip", "/regio/{slug}/gesprekken-wissen")


def test_coordinator_of_one_region_gets_404_for_another(app, tester, make_region, regions):
    twente, achterhoek, _, _ = regions
    coordinator = make_user("co@twente.test", "Co Twente", region=twente, role=Role.COORDINATOR)
    client = app.test_client()
    sign_in(client, coordinator)
    for page in PAGES:
        assert client.get(page.format(slug="achterhoek")).status_code == 404, page
        assert client.get(page.format(slug="bestaat-niet")).status_code == 404, page
    assert client.get("/regio/twente/gegevens").status_code == 200
    response = client.post(
        "/regio/achterhoek/gesprekken-wissen", data={"region_name": "Achterhoek"}
    )
    assert response.status_code == 404
    assert counts_of(achterhoek)[0] == 1


@pytest.mark.parametrize("role", [Role.FACILITATOR, Role.PROJECT_LEADER, Role.MEMBER])
def test_other_roles_get_403(app, regions, role):
    twente = regions[0]
    user = make_user(f"{role.value}@twente.test", region=twente, role=role)
    client = app.test_client()
    sign_in(client, user)
    for page in PAGES:
        assert client.get(page.format(slug="twente")).status_code == 403, page
    response = client.post("/regio/twente/gesprekken-wissen", data={"region_name": "Twente"})
    assert response.status_code == 403
    assert counts_of(twente)[0] == 2


def test_anonymous_is_sent_to_sign_in(anonymous_client, regions):
    for page in PAGES:
        response = anonymous_client.get(page.format(slug="twente"))
        assert response.status_code == 302
        assert "/inloggen" in response.headers["Location"]
    response = anonymous_client.post(
        "/regio/twente/gesprekken-wissen", data={"region_name": "Twente"}
    )
    assert response.status_code == 401
    assert counts_of(regions[0])[0] == 2


# --------------------------------------------------------------------------------------------
# Wiping the conversations
# --------------------------------------------------------------------------------------------


def test_confirm_page_states_the_counts(client, regions):
    response = client.get("/regio/twente/gesprekken-wissen")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "2 gesprekken" in page
    assert "1 beantwoorde vraag" in page
    assert "3 actiepunten" in page
    assert 'name="region_name"' in page


@pytest.mark.parametrize("typed", ["", "Twent", "Achterhoek", "Twente Oost"])
def test_wrong_name_deletes_nothing(client, regions, typed):
    twente, achterhoek, _, _ = regions
    before = counts_of(twente), counts_of(achterhoek)
    response = client.post("/regio/twente/gesprekken-wissen", data={"region_name": typed})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Typ de naam van de regio" in page
    assert "Er is niets gewist" in page or not typed
    db.session.expire_all()
    assert (counts_of(twente), counts_of(achterhoek)) == before


@pytest.mark.parametrize("typed", ["Twente", "  twente ", "TWENTE"])
def test_right_name_deletes_every_conversation_of_that_region_only(client, regions, typed):
    twente, achterhoek, first, second = regions
    audit_before = db.session.scalars(select(AuditEvent.id).order_by(AuditEvent.id)).all()
    achterhoek_before = counts_of(achterhoek)
    assert achterhoek_before[0] == 1

    response = client.post("/regio/twente/gesprekken-wissen", data={"region_name": typed})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/regio/twente/gegevens")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "2 gesprekken van regio Twente zijn gewist." in page

    db.session.expire_all()
    assert counts_of(twente) == (0, 0, 0)
    assert (
        db.session.scalar(
            select(func.count()).where(Participant.conversation_id.in_([first.id, second.id]))
        )
        == 0
    )
    assert counts_of(achterhoek) == achterhoek_before
    # The region, its municipalities and its members stay; so does the audit trail.
    assert client.get("/regio/twente").status_code == 200
    audit_after = db.session.scalars(select(AuditEvent.id).order_by(AuditEvent.id)).all()
    assert set(audit_before) <= set(audit_after)
    files, _ = download(client, "twente")
    assert json.loads(files["json/gesprekken.json"]) == []
    assert json.loads(files["json/actiepunten_bij_indicatoren.json"]) == []
    assert len(json.loads(files["json/indicatoren.json"])) == 3  # the figures stay
    history = json.loads(files["json/geschiedenis.json"])
    assert {e["id"] for e in history} >= {
        e for e in audit_before if db.session.get(AuditEvent, e).region_id == twente.id
    }


def test_wiping_the_conversations_removes_their_action_links_and_keeps_the_figures(client, regions):
    """The links go with their action points (a foreign key with ON DELETE CASCADE, on both
    databases); the region's figures and question links are the region's, not a
    conversation's, and stay."""
    twente, achterhoek, _, _ = regions

    def links_of(region) -> int:
        return db.session.scalar(
            select(func.count())
            .select_from(ActionIndicatorLink)
            .join(Indicator, Indicator.id == ActionIndicatorLink.indicator_id)
            .where(Indicator.region_id == region.id)
        )

    assert (links_of(twente), links_of(achterhoek)) == (2, 1)
    response = client.post("/regio/twente/gesprekken-wissen", data={"region_name": "Twente"})
    assert response.status_code == 302
    db.session.expire_all()
    assert (links_of(twente), links_of(achterhoek)) == (0, 1)
    assert (
        db.session.scalar(
            select(func.count()).select_from(ActionPoint).where(ActionPoint.region_id == twente.id)
        )
        == 0
    )
    counts = region_counts(twente)
    assert (counts.indicators, counts.observations) == (3, 18)
    assert (
        db.session.scalar(select(func.count()).where(QuestionIndicatorLink.region_id == twente.id))
        == 2
    )
    assert (
        db.session.scalar(select(func.count()).where(Observation.region_id == achterhoek.id)) == 1
    )


def test_one_conversation_is_reported_in_the_singular(client, make_region, make_conversation):
    region = make_region("Salland", ("Deventer",))
    make_conversation("Enig overleg", region=region)
    response = client.post(
        "/regio/salland/gesprekken-wissen", data={"region_name": "salland"}, follow_redirects=True
    )
    assert "1 gesprek van regio Salland is gewist." in response.get_data(as_text=True)


@pytest.mark.parametrize("typed", ["Twente\x00", "T" * 10_000, "<script>Twente</script>"])
def test_hostile_confirmation_is_refused_without_error(client, regions, typed):
    twente = regions[0]
    response = client.post("/regio/twente/gesprekken-wissen", data={"region_name": typed})
    assert response.status_code in (200, 302, 422)
    assert "<script>Twente" not in response.get_data(as_text=True)
    db.session.expire_all()
    if response.status_code != 302:
        assert counts_of(twente)[0] == 2
