"""Exports of the filtered action list (PDF, Excel, CSV) read back as their readers would, and
the latest progress update in the per-conversation exports."""

from __future__ import annotations

import io
from datetime import timedelta

import openpyxl
import pandas as pd
import pytest
from pypdf import PdfReader

from app.accounts.models import Membership
from app.accounts.roles import ROLE_PERMISSIONS, Permission, Role
from app.actions import progress
from app.actions.models import ActionPoint
from app.actions.queries import actions_of
from app.exports.cache import document_digest
from app.exports.queries import action_list_document
from app.extensions import db
from app.tracking import routes

from .accounts import make_user, sign_in
from .test_tracking_list import SECRET, build_world, dutch, today

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def world(tester, make_region, make_conversation, make_action):
    w = build_world(tester, make_region, make_conversation, make_action)
    action = w.actions["soon"]
    progress.add_update(
        w.conversation, action.id,
        progress.ProgressData(text="Cijfers van DUO opgevraagd", written_on=today()),
        action.revision, None,
    )  # fmt: skip
    w.actions["formula"] = ActionPoint(
        region_id=w.twente.id, conversation_id=w.second.id, position=3,
        description='=HYPERLINK("http://x")', owner_name="@baas", owner_organisation="+31 6",
    )  # fmt: skip
    db.session.add(w.actions["formula"])
    db.session.commit()
    return w


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_pdf_of_the_filtered_list(client, world):
    response = client.get("/acties/export.pdf?status=open-alle&regio=twente")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert (
        f'filename="actiepunten-twente-{dutch(today())}.pdf"'
        in (response.headers["Content-Disposition"])
    )
    text = " ".join(pdf_text(response.data).split())
    assert "Actiepunten regio Twente" in text
    assert "Selectie: regio Twente; status alle open" in text
    assert "Aantal: 5 actiepunten, waarvan 1 te laat en 1 binnenkort" in text
    assert "(binnenkort: klaar binnen 14 dagen)" in text
    assert "Bestuurlijk overleg plannen" in text and "Te laat" in text
    soon_due = dutch(today() + timedelta(days=5))
    assert f"{soon_due} Binnenkort" in text  # below the date, as on the web page
    assert f"Laatste voortgang {dutch(today())}: Cijfers van DUO opgevraagd" in text
    assert "Oude actie met 50 deelnemers" not in text  # afgerond: not selected
    assert "Bron vragen en handvatten" in text and "pagina 1 van 1" in text
    reader = PdfReader(io.BytesIO(response.data))
    assert reader.metadata.title == "Actiepunten regio Twente"


def test_pdf_shows_where_an_action_is_embedded(client, world):
    text = " ".join(pdf_text(client.get("/acties/export.pdf?status=verankerd").data).split())
    assert "Convenant tekenen" in text and "Verankerd in: Convenant (Convenant 2027)" in text


def test_xlsx_read_back_with_pandas(client, world):
    response = client.get("/acties/export.xlsx?sorteer=deadline")
    assert response.status_code == 200 and response.mimetype == XLSX
    frame = pd.read_excel(io.BytesIO(response.data), sheet_name="Actiepunten", engine="calamine")
    assert list(frame.columns[:6]) == [
        "Nr.", "Actie", "Gesprek", "Datum gesprek", "Nr. in gesprek", "Regio",
    ]  # fmt: skip
    assert "Klaar op" in frame.columns and "Laatste voortgang" in frame.columns
    assert len(frame) == 8 and SECRET not in frame["Actie"].tolist()
    late = frame[frame["Actie"] == "Bestuurlijk overleg plannen"].iloc[0]
    assert late["Klaar op"].date() == today() - timedelta(days=10)
    assert (late["Te laat"], late["Binnenkort"]) == ("ja", "nee")
    assert late["Trekker"] == "Anna de Vries" and late["Cijfers"].startswith("Consultaties")
    soon = frame[frame["Actie"] == "Analyse: 50% van de studenten"].iloc[0]
    assert (soon["Te laat"], soon["Binnenkort"]) == ("nee", "ja")
    assert soon["Laatste voortgang"] == "Cijfers van DUO opgevraagd"
    assert soon["Datum laatste voortgang"].date() == today()
    assert pd.api.types.is_datetime64_any_dtype(frame["Klaar op"])
    formula = frame[frame["Trekker"] == "@baas"].iloc[0]
    assert formula["Actie"] == '=HYPERLINK("http://x")'  # a string, not a formula


def test_xlsx_has_a_filter_a_frozen_header_and_dutch_dates(client, world):
    workbook = openpyxl.load_workbook(io.BytesIO(client.get("/acties/export.xlsx").data))
    sheet = workbook["Actiepunten"]
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref.startswith("A1:")
    due = [cell for cell in sheet["K"][1:] if cell.value is not None]
    assert due and all(cell.number_format == "dd-mm-yyyy" for cell in due)
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    about = workbook["Over dit bestand"]
    assert about["A1"].value == "Actiepunten regio Twente"


def about_facts(data: bytes) -> dict[str, object]:
    """Sheet "Over dit bestand" as {label: cell}."""
    sheet = openpyxl.load_workbook(io.BytesIO(data))["Over dit bestand"]
    return {row[0].value: row[1] for row in sheet.iter_rows(min_row=2) if row[0].value}


def test_xlsx_about_sheet_counts_are_numbers_and_one_region_is_regio(client, world):
    response = client.get("/acties/export.xlsx?regio=twente")
    facts = about_facts(response.data)
    count, late = facts["Aantal actiepunten"], facts["Waarvan te laat"]
    assert (count.data_type, count.value) == ("n", 8)  # no "number stored as text" in Excel
    assert (late.data_type, late.value) == ("n", 1)
    soon = facts["Waarvan binnenkort (klaar binnen 14 dagen)"]
    assert (soon.data_type, soon.value) == ("n", 1)
    assert facts["Te laat en binnenkort: stand van"].value == dutch(today())
    assert facts["Regio"].value == "Twente" and "Regio's" not in facts
    frame = pd.read_excel(
        io.BytesIO(response.data), sheet_name="Over dit bestand", engine="calamine", header=None
    )
    assert frame.set_index(0).loc["Aantal actiepunten", 1] == 8


def test_xlsx_of_two_regions_says_regios(app, world):
    both = make_user("beide@regio.test", "Beide", region=world.twente, role=Role.PROJECT_LEADER)
    db.session.add(
        Membership(user_id=both.id, region_id=world.achterhoek.id, role=Role.PROJECT_LEADER)
    )
    db.session.commit()
    client = app.test_client()
    sign_in(client, both)
    facts = about_facts(client.get("/acties/export.xlsx").data)
    assert facts["Regio's"].value == "Achterhoek, Twente" and "Regio" not in facts


def test_xlsx_filter_covers_the_header_and_the_rows_only(client, world):
    for query, ref in (("q=bestaat-nergens", "A1:R1"), ("regio=twente", "A1:R9")):
        data = client.get(f"/acties/export.xlsx?{query}").data
        sheet = openpyxl.load_workbook(io.BytesIO(data))["Actiepunten"]
        assert sheet.auto_filter.ref == ref, query
        assert sheet.max_row == int(ref.rsplit("R", 1)[1])


def test_csv_as_dutch_excel_reads_it(client, world):
    response = client.get("/acties/export.csv?status=open-alle")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"  # one charset
    data = response.data
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 with a byte-order mark
    assert b"\r\n" in data and b"\n" not in data.replace(b"\r\n", b"")
    frame = pd.read_csv(io.BytesIO(data), sep=";", encoding="utf-8-sig", dtype=str)
    assert frame.columns[0] == "Nr." and "Klaar op" in frame.columns
    assert len(frame) == 5
    late = frame[frame["Actie"] == "Bestuurlijk overleg plannen"].iloc[0]
    due = pd.to_datetime(late["Klaar op"], format="%d-%m-%Y").date()
    assert due == today() - timedelta(days=10)
    assert late["Datum gesprek"] == "08-10-2026"
    marks = frame.set_index("Actie")[["Te laat", "Binnenkort"]]
    assert tuple(marks.loc["Bestuurlijk overleg plannen"]) == ("ja", "nee")
    assert tuple(marks.loc["Analyse: 50% van de studenten"]) == ("nee", "ja")
    formula = frame[frame["Trekker"] == "'@baas"].iloc[0]
    assert formula["Actie"] == '\'=HYPERLINK("http://x")'
    assert formula["Organisatie trekker"] == "'+31 6"
    assert SECRET not in data.decode("utf-8-sig")


def test_exports_keep_to_the_users_regions(client, world):
    for extension in ("pdf", "xlsx", "csv"):
        for query in ("", "regio=achterhoek", f"gesprek={world.secret_conversation.id}"):
            response = client.get(f"/acties/export.{extension}?{query}")
            assert response.status_code == 200
            if extension == "csv":
                assert SECRET not in response.data.decode("utf-8-sig")
            elif extension == "pdf":
                assert SECRET not in pdf_text(response.data)
            else:
                frame = pd.read_excel(io.BytesIO(response.data), engine="calamine")
                assert SECRET not in frame["Actie"].tolist()


def test_exports_need_the_export_permission_in_the_region(app, world, monkeypatch):
    member = make_user("lid@twente.test", "Lid", region=world.twente, role=Role.MEMBER)
    client = app.test_client()
    sign_in(client, member)
    assert client.get("/acties/export.csv").status_code == 200
    monkeypatch.setitem(ROLE_PERMISSIONS, Role.MEMBER, frozenset({Permission.VIEW}))
    for extension in ("pdf", "xlsx", "csv"):
        assert client.get(f"/acties/export.{extension}").status_code == 403
        assert client.get(f"/acties/export.{extension}?regio=twente").status_code == 403
    assert client.get("/acties").status_code == 200  # viewing stays allowed


def test_a_list_too_long_to_export_says_so(client, world, monkeypatch):
    monkeypatch.setattr(routes, "EXPORT_MAX_ROWS", 3)
    response = client.get("/acties/export.pdf")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Deze lijst is te lang om te downloaden" in page and "hoogstens 3" in page
    assert client.get("/acties/export.csv?termijn=te-laat").status_code == 200


def test_an_empty_selection_exports_an_empty_list(client, world):
    response = client.get("/acties/export.pdf?q=bestaat-nergens")
    assert "Er zijn geen actiepunten die bij deze selectie passen." in pdf_text(response.data)
    frame = pd.read_csv(
        io.BytesIO(client.get("/acties/export.csv?q=bestaat-nergens").data),
        sep=";",
        encoding="utf-8-sig",
    )
    assert len(frame) == 0 and frame.columns[1] == "Actie"


# --- the per-conversation exports get the latest update ------------------------------------------


def test_conversation_exports_show_the_latest_update(client, world):
    conversation = world.conversation
    pdf = pdf_text(client.get(f"/gesprekken/{conversation.id}/actielijst.pdf").data)
    pdf = " ".join(pdf.split())
    assert f"Laatste voortgang {dutch(today())}: Cijfers van DUO opgevraagd" in pdf
    html = client.get(f"/gesprekken/{conversation.id}/actielijst").get_data(as_text=True)
    assert "Cijfers van DUO opgevraagd" in html
    workbook = openpyxl.load_workbook(
        io.BytesIO(client.get(f"/gesprekken/{conversation.id}/actielijst.xlsx").data)
    )
    sheet = workbook["Actiepunten"]
    header = [cell.value for cell in sheet[4]]
    column = header.index("Laatste voortgang")
    assert "Cijfers van DUO opgevraagd" in [row[column].value for row in sheet.iter_rows(5)]


def test_the_cache_key_includes_the_latest_update(client, world):
    conversation = world.conversation

    def digest():
        db.session.expire_all()
        document = action_list_document(conversation, actions_of(conversation))
        return document_digest("action-list.pdf", document)

    before = digest()
    action = db.session.get(ActionPoint, world.actions["late"].id)
    progress.add_update(
        conversation, action.id, progress.ProgressData(text="Uitnodiging verstuurd"),
        action.revision, None,
    )  # fmt: skip
    db.session.commit()
    assert digest() != before
    pdf = client.get(f"/gesprekken/{conversation.id}/actielijst.pdf").data
    assert "Uitnodiging verstuurd" in " ".join(pdf_text(pdf).split())
