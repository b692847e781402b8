"""Indicators in a real browser: reading in a file (preview, then confirm), the indicator's page
with its chart, the figure beside a question it is linked to, an action point's target on the
action's "Cijfers" page and in the PDF action list. axe checks the pages on the way."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from .test_accessibility import _assert_no_violations

pytestmark = pytest.mark.browser

INDICATOR = "Browsertest: schoolverlaters zonder diploma"
FILE_NAME = "browsertest-schoolverlaters.csv"
#: As Dutch Excel saves it: ";" between cells, Windows-1252, a title line above the table.
FILE_CONTENT = (
    "Schoolverlaters zonder diploma per gemeente\n"
    "\n"
    "Gemeente;2021;2022;2023\n"
    "Almelo;41;38;35\n"
    "Enschede;87;80;74\n"
    "Hengelo;52;49;44\n"
    "Totaal;180;167;153\n"
).encode("cp1252")
QUESTION = "verkennen-regie"
ACTION = "Browsertest: elke schoolverlater zonder diploma krijgt een vaste contactpersoon"
TARGET = "120"
TARGET_PERIOD = "2027"
STORY = "Browsertest: met een vaste contactpersoon haakt minder dan een op de vijf af."


@pytest.fixture(scope="module")
def axe() -> Axe:
    return Axe()


def _flat(text: str) -> str:
    """Whitespace collapsed, so a line break in the PDF does not split a phrase."""
    return " ".join(text.split())


def _add_action(live_server, conversation_id: int) -> int:
    from app.actions.operations import ActionData, add_action
    from app.conversations.models import Conversation
    from app.extensions import db

    with live_server.app.app_context():
        conversation = db.session.get(Conversation, conversation_id)
        action_id = add_action(conversation, ActionData(description=ACTION)).action.id
        db.session.commit()
        db.session.remove()
    return action_id


def test_import_chart_question_and_action_target(
    page: Page, live_server, axe, seed_conversation, artifacts, tmp_path: Path
):
    conversation_id = seed_conversation("Browsertest: cijfers bij de vragen", [QUESTION])
    action_id = _add_action(live_server, conversation_id)
    upload = tmp_path / FILE_NAME
    upload.write_bytes(FILE_CONTENT)

    # The import page: choose the file, name the indicator under "Meer keuzes".
    page.goto(live_server("/regio/twente/indicatoren"))
    page.get_by_role("link", name="Cijfers inlezen (CSV of Excel)").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cijfers inlezen")
    page.get_by_label("Bestand met cijfers").set_input_files(upload)
    page.get_by_text("Meer keuzes: naam, periode, indeling, werkblad").click()
    page.get_by_label("Naam van de indicator").fill(INDICATOR)
    page.get_by_role("button", name="Bekijk wat Handvat inleest").click()

    # The preview: nothing stored yet; what Handvat found, and the figures in a table.
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Dit leest Handvat in uit {FILE_NAME}"
    )
    expect(page.get_by_text("Er is nog niets opgeslagen.")).to_be_visible()
    expect(page.locator(".details-list")).to_contain_text("scheidingsteken: ‘;’")
    expect(page.get_by_role("heading", level=2, name=INDICATOR)).to_be_visible()
    expect(page.get_by_text("Nieuwe indicator.")).to_be_visible()
    preview = page.get_by_role("table", name=INDICATOR)
    expect(preview.get_by_role("columnheader")).to_have_text(["Categorie", "2021", "2022", "2023"])
    enschede = preview.get_by_role("row", name=re.compile("^Enschede"))
    expect(enschede.get_by_role("cell")).to_have_text(["87", "80", "74"])
    page.screenshot(path=artifacts / "indicators-01-preview.png", full_page=True)
    _assert_no_violations(axe, page)
    page.get_by_role("button", name="Inlezen", exact=True).click()

    # The indicator's page: the chart (one image in a figure) and the table beside it.
    expect(page.get_by_role("heading", level=1)).to_have_text(INDICATOR)
    expect(page.get_by_text(f"ingelezen voor ‘{INDICATOR}’")).to_be_visible()
    charts = page.locator("figure.chart")
    expect(charts.first).to_be_visible()
    chart = charts.first.get_by_role("img")
    expect(chart).to_have_count(1)
    assert chart.evaluate("element => element.tagName.toLowerCase()") == "svg"
    expect(chart).to_have_accessible_name(re.compile(r"\S"))
    table = page.get_by_role("table", name=f"Alle cijfers van {INDICATOR}")
    expect(table.get_by_role("row", name=re.compile("^Totaal"))).to_contain_text("153")
    indicator_url = page.url
    page.screenshot(path=artifacts / "indicators-02-indicator.png", full_page=True)
    _assert_no_violations(axe, page)

    # Link it to a question: the figure shows beside that question on the answer page.
    page.get_by_label("Ook tonen bij vraag").select_option(value=QUESTION)
    page.get_by_role("button", name="Koppelen", exact=True).click()
    expect(page).to_have_url(re.compile(re.escape(indicator_url)))
    expect(page.get_by_role("listitem").filter(has_text="door de regio gekoppeld")).to_be_visible()
    page.goto(live_server(f"/gesprekken/{conversation_id}/vragen/{QUESTION}"))
    figures = page.get_by_role("region", name="Cijfers van regio Twente")
    expect(figures.get_by_role("link", name=INDICATOR)).to_be_visible()
    beside = figures.get_by_role("table", name=re.compile(re.escape(INDICATOR) + ", 2023"))
    expect(beside.get_by_role("row", name=re.compile("^Totaal"))).to_contain_text("153")
    page.screenshot(path=artifacts / "indicators-03-beside-question.png", full_page=True)

    # The action point's "Cijfers" page: link it to the indicator, with a target.
    page.goto(live_server(f"/gesprekken/{conversation_id}/acties"))
    page.get_by_role("link", name="Cijfers bij actiepunt 1").click()
    expect(page).to_have_url(
        live_server(f"/gesprekken/{conversation_id}/acties/{action_id}/indicatoren")
    )
    expect(page.get_by_text("nog niet aan een indicator gekoppeld")).to_be_visible()
    page.get_by_label("Indicator", exact=True).select_option(label=INDICATOR)
    page.get_by_label("Doel", exact=True).fill(TARGET)
    page.get_by_label("Doel te halen in periode").fill(TARGET_PERIOD)
    page.get_by_label("Het verhaal achter het cijfer").fill(STORY)
    page.get_by_role("button", name="Koppelen", exact=True).click()
    expect(page.get_by_text(f"Actiepunt 1 is gekoppeld aan {INDICATOR}.")).to_be_visible()
    linked = page.get_by_role("table", name="Gekoppelde indicatoren van actiepunt 1")
    row = linked.get_by_role("row", name=re.compile("^" + re.escape(INDICATOR)))
    expect(row).to_contain_text(STORY)
    # Beginwaarde: the latest figure (153 in 2023); Doel: the target; one small chart.
    expect(row.get_by_role("cell").nth(0)).to_contain_text("153")
    expect(row.get_by_role("cell").nth(2)).to_contain_text(TARGET)
    expect(row.get_by_role("cell").nth(2)).to_contain_text(TARGET_PERIOD)
    expect(row.get_by_role("img")).to_have_count(1)
    page.screenshot(path=artifacts / "indicators-04-action-figures.png", full_page=True)
    _assert_no_violations(axe, page)

    # The PDF action list names the indicator and the target.
    page.goto(live_server(f"/gesprekken/{conversation_id}"))
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Actielijst downloaden (pdf)").click()
    download = download_info.value
    assert download.failure() is None
    pdf_path = artifacts / "indicators-05-actielijst.pdf"
    download.save_as(pdf_path)
    text = _flat("\n".join(p.extract_text() or "" for p in PdfReader(pdf_path).pages))
    assert ACTION in text
    # The figures table's row: indicator, baseline and latest (value, period), target, period.
    assert re.search(re.escape(INDICATOR) + rf".{{0,80}}?\b{TARGET} {TARGET_PERIOD}\b", text), text
    assert STORY in text


def test_two_tabs_editing_one_link_the_second_is_told(
    page: Page, live_server, axe, seed_conversation, artifacts
):
    """Two tabs open the same link; the first saves; the second is shown what is stored now,
    keeps what it typed, and saving again from there replaces it on purpose."""
    from app.actions.models import ActionPoint
    from app.extensions import db
    from app.indicators.importer import ImportOptions, read_indicator_file
    from app.indicators.operations import ActionLinkData, link_action, store_plan
    from app.regions.models import Region

    conversation_id = seed_conversation("Browsertest: twee tabbladen", [QUESTION])
    action_id = _add_action(live_server, conversation_id)
    with live_server.app.app_context():
        region = db.session.scalar(db.select(Region).where(Region.name == "Twente"))
        plan = read_indicator_file(
            FILE_CONTENT, FILE_NAME, ImportOptions(indicator="Browsertest: twee tabbladen")
        )
        indicator = store_plan(region, plan).indicators[0].indicator
        action = db.session.get(ActionPoint, action_id)
        link = link_action(
            action, ActionLinkData(indicator.id, "", 153.0, "2023", 120.0, "2027", ""), None
        )
        db.session.commit()
        url = live_server(f"/gesprekken/{conversation_id}/acties/{action_id}/indicatoren/{link.id}")
        db.session.remove()

    other = page.context.new_page()
    page.goto(url)
    other.goto(url)
    page.get_by_label("Het verhaal achter het cijfer").fill("Eerste tabblad: het verhaal.")
    page.get_by_role("button", name="Opslaan").click()
    expect(page.get_by_text("De koppeling is opgeslagen.")).to_be_visible()

    other.get_by_label("Doel", exact=True).fill("100")
    other.get_by_label("Het verhaal achter het cijfer").fill("Tweede tabblad: mijn verhaal.")
    other.get_by_role("button", name="Opslaan").click()
    alert = other.get_by_role("alert")
    expect(alert).to_contain_text("Deze koppeling is intussen gewijzigd")
    expect(alert).to_contain_text("Eerste tabblad: het verhaal.")
    expect(alert).to_contain_text("120 in 2027")
    expect(other.get_by_label("Doel", exact=True)).to_have_value("100")
    expect(other.get_by_label("Het verhaal achter het cijfer")).to_have_value(
        "Tweede tabblad: mijn verhaal."
    )
    other.screenshot(path=artifacts / "indicators-06-link-conflict.png", full_page=True)
    _assert_no_violations(axe, other)

    other.get_by_role("button", name="Opslaan").click()
    expect(other.get_by_text("De koppeling is opgeslagen.")).to_be_visible()
    expect(
        other.get_by_role("table", name="Gekoppelde indicatoren van actiepunt 1")
    ).to_contain_text("Tweede tabblad: mijn verhaal.")
    other.close()
