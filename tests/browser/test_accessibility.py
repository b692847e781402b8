"""axe-core on every kind of page: zero WCAG 2.2 A/AA violations."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from app.extensions import db

from .layout import assert_reflows, assert_takes_text_spacing

pytestmark = pytest.mark.browser

AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]},
    "resultTypes": ["violations"],
}
DEMO = "/gesprekken/{id}"

#: (test id, path, expected status). ``{id}`` is the demo conversation.
PAGES = [
    ("home", "/", 200),
    ("start-form", "/gesprekken/nieuw", 200),
    ("conversation", DEMO, 200),
    ("choose-questions", DEMO + "/vragen", 200),
    ("question", DEMO + "/vragen/vormgeven-kwaliteitseisen", 200),
    ("actions", DEMO + "/acties", 200),
    ("action-form", DEMO + "/acties/nieuw", 200),
    ("action-edit", DEMO + "/acties/{action_id}/bewerken", 200),
    ("edit-conversation", DEMO + "/bewerken", 200),
    ("delete-conversation", DEMO + "/verwijderen", 200),
    ("action-list-html", DEMO + "/actielijst", 200),
    ("action-progress", DEMO + "/acties/{action_id}", 200),
    ("comparison", DEMO + "/vergelijking", 200),
    ("new-round", DEMO + "/nieuwe-ronde", 200),
    ("agenda", "/regio/twente/agenda", 200),
    ("regions", "/regio/", 200),
    ("region", "/regio/twente", 200),
    ("account", "/account", 200),
    ("api-tokens", "/account/api-sleutels", 200),
    ("api-docs", "/api/v1", 200),
    ("actions-overview", "/acties?status=open-alle", 200),
    ("actions-board", "/acties/bord", 200),
    ("calendar-feeds", "/acties/agenda-abonnementen", 200),
    ("open-workshop", DEMO + "/workshop/nieuw", 200),
    ("workshop-results", "/workshops/1/resultaten", 200),
    ("workshop-control", "/workshops/1", 200),
    ("workshop-projector", "/workshops/1/projectie", 200),
    ("join-workshop", "/w", 200),
    ("about", "/over", 200),
    ("not-found", "/bestaat-niet", 404),
]


@pytest.fixture(scope="module")
def axe() -> Axe:
    return Axe()


def _report(violations: list[dict], url: str) -> str:
    lines = [f"{len(violations)} axe violation(s) on {url}:"]
    for v in violations:
        lines.append(f"- {v['id']} ({v.get('impact')}): {v['help']}  [{v['helpUrl']}]")
        for node in v["nodes"][:5]:
            target = " ".join(str(t) for t in node["target"])
            lines.append(f"    target: {target}")
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            if summary:
                lines.append(f"      {summary[:300]}")
        if len(v["nodes"]) > 5:
            lines.append(f"    ... and {len(v['nodes']) - 5} more")
    return "\n".join(lines)


def _assert_no_violations(axe: Axe, page: Page) -> None:
    results = axe.run(page, options=AXE_OPTIONS)
    violations = results.response["violations"]
    assert not violations, _report(violations, page.url)


def _open(page: Page, live_server, path: str, status: int) -> None:
    """Open a page of ``PAGES``, with the demo's conversation and action point filled in."""
    response = page.goto(
        live_server(
            path.format(id=live_server.demo_conversation_id, action_id=live_server.demo_action_id)
        )
    )
    assert response is not None and response.status == status


@pytest.mark.parametrize(
    ("path", "status"), [(p, s) for _, p, s in PAGES], ids=[name for name, _, _ in PAGES]
)
def test_page_has_no_axe_violations(page: Page, live_server, axe, path, status):
    _open(page, live_server, path, status)
    _assert_no_violations(axe, page)


#: WCAG 1.4.10 (reflow) and 1.4.12 (text spacing), on a screen 320 CSS pixels wide (see
#: ``layout.py``). Before the tests below, which delete
#: the demo's first action point (as ``test_page_has_no_axe_violations``).
REFLOW_WIDTH = 320
REFLOW_PAGES = [
    *PAGES,
    ("my-actions", "/acties/mijn", 200),
    ("history", DEMO + "/geschiedenis", 200),
    ("indicators", "/regio/twente/indicatoren", 200),
    ("indicator", "/regio/twente/indicatoren/afsluitredenen", 200),
    ("members", "/regio/twente/leden", 200),
    ("roles-help", "/help/rollen", 200),
    ("privacy", "/privacy", 200),
]


@pytest.mark.parametrize(
    ("path", "status"),
    [(p, s) for _, p, s in REFLOW_PAGES],
    ids=[name for name, _, _ in REFLOW_PAGES],
)
def test_page_reflows_and_takes_text_spacing(page: Page, live_server, path, status):
    page.set_viewport_size({"width": REFLOW_WIDTH, "height": 800})
    _open(page, live_server, path, status)
    assert_reflows(page)
    assert_takes_text_spacing(page)


def test_start_form_with_errors_has_no_axe_violations(page: Page, live_server, axe):
    page.goto(live_server("/gesprekken/nieuw"))
    page.get_by_label("Titel van het gesprek").fill("")
    page.get_by_label("Datum van het gesprek").fill("")
    page.get_by_role("button", name="Gesprek starten").click()
    summary = page.locator("#foutmeldingen")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("Geef het gesprek een titel.")
    expect(summary).to_contain_text("Vul de datum van het gesprek in")
    _assert_no_violations(axe, page)


def test_conflict_pages_have_no_axe_violations(browser_context, live_server, axe):
    """Two tabs on the same details, then on the same action point: the loser's pages."""
    demo = live_server.demo_conversation_id
    first, second = browser_context.new_page(), browser_context.new_page()
    for tab in (first, second):
        tab.goto(live_server(f"/gesprekken/{demo}/bewerken"))
    first.get_by_label("Titel van het gesprek").fill("Titel uit het eerste tabblad")
    first.get_by_role("button", name="Opslaan").click()
    second.get_by_label("Titel van het gesprek").fill("Titel uit het tweede tabblad")
    second.get_by_role("button", name="Opslaan").click()
    expect(second.get_by_role("alert").first).to_contain_text(
        "Iemand anders heeft de gegevens intussen gewijzigd"
    )
    expect(second.get_by_label("Titel van het gesprek")).to_have_value(
        "Titel uit het tweede tabblad"
    )
    second.screenshot(path="test-artifacts/conflict-details.png", full_page=True)
    _assert_no_violations(axe, second)

    action = live_server.demo_action_id
    first.goto(live_server(f"/gesprekken/{demo}/acties/{action}/verwijderen"))
    second.goto(live_server(f"/gesprekken/{demo}/acties/{action}/bewerken"))
    first.get_by_role("button", name="Ja, verwijderen").click()
    second.get_by_label("Wat gaan we doen?").fill("Mijn wijziging mag niet verloren gaan")
    second.get_by_role("button", name="Opslaan").click()
    expect(second.get_by_role("alert").first).to_contain_text(
        "Dit actiepunt is intussen verwijderd"
    )
    second.screenshot(path="test-artifacts/conflict-action-gone.png", full_page=True)
    _assert_no_violations(axe, second)
    second.get_by_role("button", name="Opslaan als nieuw actiepunt").click()
    expect(second.locator("table")).to_contain_text("Mijn wijziging mag niet verloren gaan")


def test_question_choice_conflict_has_no_axe_violations(browser_context, live_server, axe):
    url = live_server(f"/gesprekken/{live_server.demo_conversation_id}/vragen")
    first, second = browser_context.new_page(), browser_context.new_page()
    for tab in (first, second):
        tab.goto(url)
    first.locator("#vraag-verankeren-opbrengst").click()  # each tab toggles another question
    first.get_by_role("button", name="Opslaan en beginnen").click()
    regie = second.locator("#vraag-verkennen-regie")
    regie.click()
    was_checked = regie.is_checked()
    second.get_by_role("button", name="Opslaan en beginnen").click()
    expect(second.get_by_role("alert").first).to_contain_text(
        "Iemand anders heeft de keuze intussen gewijzigd"
    )
    expect(second.locator("#vraag-verkennen-regie")).to_be_checked(checked=was_checked)
    _assert_no_violations(axe, second)


def test_wide_tables_and_charts_say_they_scroll_sideways_on_a_phone(page: Page, live_server, axe):
    """On a phone the action list and the comparison's charts are wider than the screen: a
    line above each says to scroll it sideways. On a wide screen, where they fit, the line is
    hidden; turning the phone (a resize) shows or hides it again."""
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(live_server("/acties"))
    table_hint = page.locator(".scroll-hint").first
    expect(table_hint).to_be_visible()
    expect(table_hint).to_have_text(
        "De tabel is breder dan uw scherm. Schuif haar opzij om alles te zien."
    )
    expect(page.locator(".scroll-hint + .table-scroll")).to_have_count(1)
    _assert_no_violations(axe, page)

    page.set_viewport_size({"width": 1280, "height": 900})
    expect(table_hint).to_be_hidden()
    page.set_viewport_size({"width": 390, "height": 844})
    expect(table_hint).to_be_visible()

    page.goto(live_server(f"/gesprekken/{live_server.demo_conversation_id}/vergelijking"))
    charts = page.locator(".chart-scroll").count()
    assert charts >= 2
    chart_hints = page.locator(".scroll-hint:visible", has_text="De grafiek is breder")
    expect(chart_hints).to_have_count(charts)
    page.set_viewport_size({"width": 1280, "height": 900})
    expect(page.locator(".scroll-hint:visible")).to_have_count(0)


ADMIN = "beheerder@browsertest.handvat"
ADMIN_PAGES = [
    "/beheer",
    "/beheer/regios",
    "/beheer/gebruikers",
    "/beheer/gebruikers/{user_id}",
    "/beheer/gebruikers/{user_id}/verwijderen",
    "/beheer/vragenlijsten",
]


def test_admin_pages_have_no_axe_violations_and_reflow(anonymous_context, live_server, axe):
    """The administrator's pages, which the coordinator of the other tests cannot open: axe on
    a wide screen; reflow and text spacing at 320 pixels."""
    from tests.accounts import make_user

    with live_server.app.app_context():
        user_id = make_user(ADMIN, "Beheerder Browsertest", admin=True).id
        db.session.remove()
    anonymous_context.add_cookies([live_server.session_cookie(ADMIN)])
    page = anonymous_context.new_page()
    for path in ADMIN_PAGES:
        url = live_server(path.format(user_id=user_id))
        page.set_viewport_size({"width": 1280, "height": 900})
        response = page.goto(url)
        assert response is not None and response.status == 200, path
        _assert_no_violations(axe, page)
        page.set_viewport_size({"width": REFLOW_WIDTH, "height": 800})
        assert_reflows(page)
        assert_takes_text_spacing(page)
