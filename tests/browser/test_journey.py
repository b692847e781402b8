"""The main journey through Handvat in a real browser, as a new user would go through it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from .conftest import render_pdf_page

pytestmark = pytest.mark.browser

TITLE = "Browsertest: bestuurlijk overleg mbo en jeugdhulp"
ANSWER = (
    "Er is twee keer per jaar een bestuurlijk overleg. Het mbo schuift aan, "
    "de zorgverzekeraar nog niet."
)
ACTION = "Zorgverzekeraar uitnodigen voor het volgende bestuurlijk overleg"
VERKENNEN_QUESTIONS = [
    "verkennen-bestuurlijk-overleg",
    "verkennen-centrumgemeente",
    "verkennen-financiering",
    "verkennen-regie",
    "verkennen-populatie",
]
EXTRA_QUESTION = "verbeelden-visie-en-ambities"


def _flat(text: str) -> str:
    """Whitespace collapsed, so a line break in the PDF does not split a phrase."""
    return " ".join(text.split())


def _participant_rows(page: Page):
    return page.locator("tbody[data-repeat-rows] > tr")


def _checkbox(page: Page, question_id: str):
    return page.locator(f"#vraag-{question_id}")


def test_new_user_journey(page: Page, live_server, artifacts):
    # Home: start a new conversation.
    page.goto(live_server("/"))
    page.get_by_role("link", name="Nieuw gesprek starten").click()
    expect(page).to_have_url(live_server("/gesprekken/nieuw"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Nieuw gesprek starten")

    # The start form.
    page.get_by_label("Titel van het gesprek").fill(TITLE)
    page.get_by_label("Regio").select_option(label="Twente")
    date_field = page.get_by_label("Datum van het gesprek")
    date_field.fill("")
    date_field.press_sequentially("12-11-2026")
    page.get_by_role("radio", name="Verkennen", exact=True).check()
    participants = [
        ("Anna de Vries", "Gemeente Enschede", "Gemeente", "Wethouder"),
        ("Bram Kuipers", "ROC van Twente", "Mbo-instelling", "Lid college van bestuur"),
    ]
    # Rows are found by position, not by their labels: those are checked (and currently
    # wrong) in test_participant_rows_are_labelled_with_their_row_number.
    rows = _participant_rows(page)
    for index, (name, organisation, kind, role) in enumerate(participants):
        row = rows.nth(index)
        row.get_by_role("textbox", name=re.compile(r"^Naam,")).fill(name)
        row.get_by_role("combobox", name=re.compile(r"^Organisatie,")).fill(organisation)
        row.get_by_role("combobox", name=re.compile(r"^Soort organisatie,")).select_option(
            label=kind
        )
        row.get_by_role("textbox", name=re.compile(r"^Rol,")).fill(role)
    page.screenshot(path=artifacts / "01-start-form.png", full_page=True)
    page.get_by_role("button", name="Gesprek starten").click()

    # Choosing questions: the Verkennen questions are already checked.
    expect(page).to_have_url(re.compile(r"/gesprekken/\d+/vragen$"))
    conversation_url = page.url.removesuffix("/vragen")
    expect(page.get_by_text("Het gesprek is gestart.")).to_be_visible()
    for question_id in VERKENNEN_QUESTIONS:
        expect(_checkbox(page, question_id)).to_be_checked()
    expect(page.locator("input[name=question_ids]:checked")).to_have_count(len(VERKENNEN_QUESTIONS))
    expect(_checkbox(page, EXTRA_QUESTION)).not_to_be_checked()
    _checkbox(page, EXTRA_QUESTION).check()
    page.screenshot(path=artifacts / "02-choose-questions.png", full_page=True)
    page.get_by_role("button", name="Opslaan en beginnen").click()

    # The first question.
    first_question_url = f"{conversation_url}/vragen/{VERKENNEN_QUESTIONS[0]}"
    expect(page).to_have_url(first_question_url)
    expect(page.locator(".step-indicator")).to_contain_text(
        f"vraag 1 van {len(VERKENNEN_QUESTIONS) + 1}"
    )
    page.get_by_label("Uw antwoord").fill(ANSWER)
    page.get_by_role("radio", name="Eerste stappen gezet").check()
    page.screenshot(path=artifacts / "03-question.png", full_page=True)
    page.get_by_role("button", name="Opslaan en volgende vraag").click()

    # The second question, then back: the answer and the self-assessment are still there.
    expect(page).to_have_url(f"{conversation_url}/vragen/{VERKENNEN_QUESTIONS[1]}")
    page.get_by_role("button", name="Vorige vraag").click()
    expect(page).to_have_url(first_question_url)
    expect(page.get_by_label("Uw antwoord")).to_have_value(ANSWER)
    expect(page.get_by_role("radio", name="Eerste stappen gezet")).to_be_checked()

    # An action point from this question: the question is preselected.
    page.get_by_role("button", name="Opslaan en actiepunt toevoegen").click()
    expect(page).to_have_url(re.compile(r"/acties/nieuw\?vraag=verkennen-bestuurlijk-overleg$"))
    expect(page.get_by_label("Hoort bij vraag")).to_have_value(VERKENNEN_QUESTIONS[0])
    page.get_by_label("Wat gaan we doen?").fill(ACTION)
    page.get_by_label("Trekker: naam").fill("Anna de Vries")
    page.get_by_label("Trekker: organisatie").fill("Gemeente Enschede")
    due = page.get_by_label("Klaar op (uiterlijk)")
    due.fill("")
    due.press_sequentially("01-03-2027")
    page.get_by_label("Prioriteit").select_option(label="Hoog")
    page.screenshot(path=artifacts / "04-action-form.png", full_page=True)
    page.get_by_role("button", name="Opslaan", exact=True).click()

    # The action list shows the new row.
    expect(page).to_have_url(re.compile(re.escape(f"{conversation_url}/acties") + r"#actie-\d+$"))
    expect(page.get_by_text("Het actiepunt is toegevoegd.")).to_be_visible()
    rows = page.locator("table.table--actions tbody tr")
    expect(rows).to_have_count(1)
    row = rows.first
    expect(row.locator("td").nth(0)).to_have_text("1")
    expect(row.locator("td").nth(1)).to_have_text(ACTION)
    expect(row.locator("td").nth(2)).to_contain_text("Verkennen")
    expect(row.locator("td").nth(2)).to_contain_text("1.1")
    expect(row.locator("td").nth(3)).to_contain_text("Anna de Vries")
    expect(row.locator("td").nth(3)).to_contain_text("Gemeente Enschede")
    expect(row.locator("td").nth(4)).to_have_text("01-03-2027")
    expect(row.locator("td").nth(5)).to_have_text("Hoog")
    expect(row.locator("td").nth(6)).to_have_text("Open")
    page.screenshot(path=artifacts / "05-action-list.png", full_page=True)

    # The conversation page: progress, participants, and the PDF download.
    page.get_by_role("navigation", name="Kruimelpad").get_by_role("link", name=TITLE).click()
    expect(page).to_have_url(conversation_url)
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(page.get_by_text("12 november 2026")).to_be_visible()
    expect(
        page.get_by_text(f"1 van de {len(VERKENNEN_QUESTIONS) + 1} gekozen vragen")
    ).to_be_visible()
    expect(page.locator(".participant-list")).to_contain_text("Bram Kuipers")
    page.screenshot(path=artifacts / "06-conversation.png", full_page=True)
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Actielijst downloaden (pdf)").click()
    download = download_info.value
    assert download.failure() is None
    assert download.suggested_filename.startswith("actielijst-")
    assert download.suggested_filename.endswith("-12-11-2026.pdf")
    pdf_path = artifacts / "07-actielijst.pdf"
    download.save_as(pdf_path)

    reader = PdfReader(pdf_path)
    text = _flat("\n".join(p.extract_text() or "" for p in reader.pages))
    assert TITLE in text
    assert _flat(ANSWER) in text
    assert ACTION in text
    assert "Eerste stappen gezet" in text
    assert "pagina 1 van" in text
    assert "Nederlands Jeugdinstituut" in text
    assert "Bron vragen en handvatten" in text
    render_pdf_page(pdf_path, artifacts / "07-actielijst")


def test_nothing_is_lost_when_two_tabs_save_the_same_answer(
    browser_context, live_server, seed_conversation
):
    conversation_id = seed_conversation("Browsertest: twee tabbladen", VERKENNEN_QUESTIONS[:2])
    url = live_server(f"/gesprekken/{conversation_id}/vragen/{VERKENNEN_QUESTIONS[0]}")
    first, second = browser_context.new_page(), browser_context.new_page()
    first.goto(url)
    second.goto(url)
    first_text = "Tekst uit het eerste tabblad: we overleggen elk kwartaal."
    second_text = "Tekst uit het tweede tabblad: er is nog geen vast overleg."

    first.bring_to_front()
    first.get_by_label("Uw antwoord").fill(first_text)
    first.get_by_role("button", name="Opslaan", exact=True).click()
    expect(first.get_by_text("Het antwoord is opgeslagen.")).to_be_visible()

    second.bring_to_front()
    second.get_by_label("Uw antwoord").fill(second_text)
    second.get_by_role("radio", name="Goed geregeld").check()
    with second.expect_navigation() as navigation:
        second.get_by_role("button", name="Opslaan", exact=True).click()
    assert navigation.value.status == 409
    warning = second.get_by_role("alert").filter(has_text="Dit antwoord is intussen gewijzigd")
    expect(warning).to_be_visible()
    expect(warning.locator(".stored-answer")).to_have_text(first_text)
    expect(second.get_by_label("Uw antwoord")).to_have_value(second_text)
    expect(second.get_by_role("radio", name="Goed geregeld")).to_be_checked()

    # Saving again, now knowingly, keeps the second tab's text.
    second.get_by_role("button", name="Opslaan", exact=True).click()
    expect(second.get_by_text("Het antwoord is opgeslagen.")).to_be_visible()
    expect(second.get_by_label("Uw antwoord")).to_have_value(second_text)
    first.bring_to_front()
    first.reload()
    expect(first.get_by_label("Uw antwoord")).to_have_value(second_text)


def test_question_page_works_with_the_keyboard(page: Page, live_server):
    page.goto(
        live_server(
            f"/gesprekken/{live_server.demo_conversation_id}/vragen/vormgeven-kwaliteitseisen"
        )
    )

    def focused() -> dict:
        return page.evaluate(
            "() => { const e = document.activeElement;"
            " return {tag: e.tagName, id: e.id, text: (e.textContent || '').trim()}; }"
        )

    page.keyboard.press("Tab")
    assert focused()["text"] == "Naar de inhoud", "the skip link is not the first tab stop"

    # The skip link moves the focus to the main content.
    page.keyboard.press("Enter")
    expect(page.locator("main#inhoud")).to_be_focused()

    # From the top, Tab reaches the answer textarea.
    page.goto(page.url.split("#")[0])
    textarea = page.get_by_label("Uw antwoord")
    for _ in range(60):
        page.keyboard.press("Tab")
        if focused()["id"] == "text":
            break
    else:
        pytest.fail("the answer textarea cannot be reached with Tab")
    expect(textarea).to_be_focused()
    page.keyboard.press("Control+End")
    page.keyboard.type(" Aangevuld met het toetsenbord.")
    expect(textarea).to_have_value(re.compile(r"Aangevuld met het toetsenbord\.$"))


def test_participant_rows_are_labelled_with_their_row_number(page: Page, live_server):
    """Each participant field is announced with its own row: "Naam, deelnemer 2"."""
    page.goto(live_server("/gesprekken/nieuw"))
    rows = _participant_rows(page)
    expect(rows).to_have_count(4)
    # The page is loaded, so read the labels at once instead of waiting for them to change.
    labels = [
        [
            row.locator(f"label[for='{field}']").inner_text()
            for field in row.locator("input, select").evaluate_all("els => els.map(e => e.id)")
        ]
        for row in rows.all()
    ]
    expected = [
        [
            f"{label}, deelnemer {number}"
            for label in ("Naam", "Organisatie", "Soort organisatie", "Rol")
        ]
        for number in range(1, 5)
    ]
    assert labels == expected


def test_error_summary_names_the_participant_row(page: Page, live_server):
    page.goto(live_server("/gesprekken/nieuw"))
    page.get_by_label("Titel van het gesprek").fill("Browsertest: foutmelding deelnemer")
    row = _participant_rows(page).nth(2)
    row.get_by_role("combobox", name=re.compile(r"^Organisatie,")).fill("ROC van Twente")
    page.get_by_role("button", name="Gesprek starten").click()
    summary = page.locator("#foutmeldingen")
    expect(summary).to_be_focused()
    # One error, so one line in the summary, naming row 3 and linking to its name field.
    links = summary.get_by_role("link")
    entries = [(link.inner_text(), link.get_attribute("href")) for link in links.all()]
    assert entries == [
        ("Naam (regel 3): Vul de naam in, of maak de hele regel leeg.", "#participants-2-name")
    ]
    # The typed organisation is still there.
    expect(
        _participant_rows(page).nth(2).get_by_role("combobox", name=re.compile(r"^Organisatie,"))
    ).to_have_value("ROC van Twente")
