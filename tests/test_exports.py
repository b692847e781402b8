"""The export routes: the action-list PDF, its accessible HTML twin and the blank plate."""

from __future__ import annotations

import io
from datetime import date

from pypdf import PdfReader

from app.conversations import operations
from app.extensions import db


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_action_list_pdf_holds_answers_and_actions(client, make_conversation, make_action):
    conversation = make_conversation(title="Overleg mbo & zorg <Twente>")
    operations.save_answer(
        conversation, "verkennen-regie", "De gemeenten voeren regie op de hulp.", "first_steps", 0
    )
    make_action(
        conversation,
        "Regietafel inrichten",
        question_id="verkennen-regie",
        owner_name="Anna de Vries",
        owner_organisation="Gemeente Enschede",
    )
    response = client.get(f"/gesprekken/{conversation.id}/actielijst.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    assert (
        "actielijst-overleg-mbo-zorg-twente-08-10-2026.pdf"
        in (response.headers["Content-Disposition"])
    )
    reader = PdfReader(io.BytesIO(response.data))
    assert reader.trailer["/Root"]["/Lang"] == "nl-NL"
    assert reader.metadata.title.startswith("Overleg mbo & zorg <Twente>")
    text = pdf_text(response.data)
    for expected in (
        "Overleg mbo & zorg <Twente>",
        "Twente",
        "8 oktober 2026",
        "Anna de Vries",
        "Wie voert de regie?",
        "De gemeenten voeren regie op de hulp.",
        "Eerste stappen gezet",
        "Regietafel inrichten",
        "Gemeente Enschede",
        "pagina 1 van",
        "Nederlands Jeugdinstituut",
    ):
        assert expected in text, expected


def test_html_twin_shows_the_same_content(client, make_conversation, make_action):
    conversation = make_conversation()
    operations.save_answer(conversation, "verkennen-regie", "Regel 1\nRegel 2", "unknown", 0)
    make_action(conversation, "Regietafel inrichten", phase_id="verankeren")
    db.session.commit()
    page = client.get(f"/gesprekken/{conversation.id}/actielijst").get_data(as_text=True)
    assert '<html lang="nl">' in page
    assert "Regel 1\nRegel 2" in page
    assert "Weet niet / n.v.t." in page
    assert "Regietafel inrichten" in page and "Verankeren" in page
    assert '<th scope="col">Trekker</th>' in page
    assert "Nederlands Jeugdinstituut (2018)" in page


def test_blank_plate_has_every_question(client, app):
    response = client.get("/gespreksplaat.pdf")
    assert response.status_code == 200
    text = " ".join(pdf_text(response.data).split())
    questionnaire = (
        app.extensions["handvat_questionnaires"].current("handvatten-voor-gesprek").questionnaire
    )
    for phase in questionnaire.phases:
        for question in phase.questions:
            assert " ".join(question.text.split())[:40] in text
    assert "Actiepuntenlijst" in text


def test_exports_of_unknown_conversation_are_404(client, make_conversation):
    conversation = make_conversation()
    assert client.get(f"/gesprekken/{conversation.id + 7}/actielijst.pdf").status_code == 404
    assert client.get(f"/gesprekken/{conversation.id + 7}/actielijst").status_code == 404


def test_action_list_xlsx_is_data_and_never_a_formula(client, make_conversation, make_action):
    from openpyxl import load_workbook

    conversation = make_conversation()
    operations.save_answer(conversation, "verkennen-regie", "=SOM(A1:A9)", "first_steps", 0)
    make_action(
        conversation,
        '=HYPERLINK("http://example.org")',
        owner_name="+31 6 123",
        due_date=date(2027, 3, 1),
    )
    response = client.get(f"/gesprekken/{conversation.id}/actielijst.xlsx")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    workbook = load_workbook(io.BytesIO(response.data))
    actions = workbook["Actiepunten"]
    header = [cell.value for cell in actions[4]]
    assert header[:3] == ["Nr.", "Actie", "Fase"]
    row = [cell for cell in actions[5]]
    assert row[1].value == '=HYPERLINK("http://example.org")' and row[1].data_type == "s"
    assert row[4].value == "+31 6 123" and row[4].data_type == "s"
    assert row[6].value.date() == date(2027, 3, 1) and row[6].number_format == "dd-mm-yyyy"
    answers = workbook["Antwoorden"]
    values = [[cell.value for cell in r] for r in answers.iter_rows(min_row=4, max_row=8)]
    assert [
        "1.4",
        "Verkennen",
        "Wie voert de regie?",
        "=SOM(A1:A9)",
        "Eerste stappen gezet",
        "",  # no workshop placed this question
    ] in values
