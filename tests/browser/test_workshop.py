"""Issue 10's "done when", in a real browser: a facilitator opens a workshop, three people join
on their phones with the code, the projector shows the spread and the ranked contributions
live, the top contribution becomes an action point, and the action-list PDF shows the room's
spread beside the question. axe-core judges the phone page, the control page and the
projector view along the way."""

from __future__ import annotations

import io
import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from .layout import assert_reflows
from .test_accessibility import _assert_no_violations

pytestmark = pytest.mark.browser

QUESTION = "verkennen-bestuurlijk-overleg"
TOP = "Eén loket voor school en zorg"
SECOND = "Vaste contactpersoon per student"
PHONE = {"width": 375, "height": 740}


@pytest.fixture
def facilitator(chromium_browser, live_server):
    context = chromium_browser.new_context(
        locale="nl-NL", viewport={"width": 1280, "height": 900}, accept_downloads=True
    )
    context.add_cookies([live_server.session_cookie()])
    context.set_default_timeout(10_000)
    try:
        yield context
    finally:
        context.close()


@pytest.fixture
def phones(chromium_browser):
    contexts = [
        chromium_browser.new_context(locale="nl-NL", viewport=PHONE, is_mobile=True, has_touch=True)
        for _ in range(3)
    ]
    for context in contexts:
        context.set_default_timeout(10_000)
    try:
        yield [context.new_page() for context in contexts]
    finally:
        for context in contexts:
            context.close()


def _join(phone: Page, url: str, code: str) -> None:
    phone.goto(url)
    phone.get_by_label("Code").fill(f"{code[:3].lower()} {code[3:]}")
    phone.get_by_role("button", name="Meedoen").click()
    expect(phone).to_have_url(re.compile(rf"/w/{code}"))


def _contribute(phone: Page, text: str) -> None:
    phone.locator("textarea[name=text]").first.fill(text)
    phone.get_by_role("button", name="Versturen").first.click()
    expect(phone.get_by_text(text).first).to_be_visible()


def _dot(phone: Page, text: str) -> None:
    item = phone.locator("li", has_text=text).first
    item.get_by_role("button", name=re.compile("Stip erbij")).click()
    expect(
        phone.locator("li", has_text=text).first.get_by_role("button", name=re.compile("Stip eraf"))
    ).to_be_visible()


def test_a_room_joins_votes_and_its_top_idea_becomes_an_action_point(
    facilitator, phones, live_server, seed_conversation
):
    axe = Axe()
    conversation_id = seed_conversation("Browsertest: workshop", [QUESTION, "verkennen-regie"])
    control = facilitator.new_page()
    control.goto(live_server(f"/gesprekken/{conversation_id}"))
    control.get_by_role("link", name="Workshop openen").click()
    control.get_by_role("button", name="Workshop openen").click()
    expect(control.get_by_role("heading", level=1)).to_contain_text("Workshop")
    code = control.locator(".join-code").inner_text().strip()
    assert re.fullmatch(r"[A-Z0-9]{6}", code)
    assert control.locator(".join-panel__qr svg").count() == 1

    projector = facilitator.new_page()
    projector.set_viewport_size({"width": 1920, "height": 1080})
    projector.goto(live_server(control.url.split(live_server.url)[1] + "/projectie"))
    expect(projector.get_by_text(code).first).to_be_visible()
    projector.evaluate("window.handvatNoReload = true")

    for phone in phones:
        _join(phone, live_server("/w"), code)
    expect(projector.locator(".projector-counts")).to_contain_text("3")

    control.get_by_role("button", name="Vraag openen").click()
    # The phones follow by themselves (JavaScript polls); no reload.
    for phone in phones:
        expect(phone.locator(f"#vraag-{QUESTION}")).to_be_visible()
    _assert_no_violations(axe, phones[0])

    for phone, step in zip(
        phones, ["Eerste stappen gezet", "Eerste stappen gezet", "Goed geregeld"], strict=True
    ):
        phone.get_by_label(step).first.check()
        phone.get_by_role("button", name=re.compile("Keuze opslaan")).first.click()
        expect(phone.get_by_role("button", name=re.compile("Keuze wijzigen")).first).to_be_visible()
        expect(phone.locator(".phone-chosen").first).to_have_text(f"Uw keuze nu: {step}")
        expect(phone.locator("[data-phone-notice]")).to_contain_text("Uw keuze is opgeslagen")
    _contribute(phones[0], TOP)
    _contribute(phones[1], SECOND)
    for phone in phones:
        phone.reload()
        expect(phone.get_by_text(SECOND).first).to_be_visible()
    for phone in phones:
        _dot(phone, TOP)
    _dot(phones[2], SECOND)
    # The script updated the page from the server's small answer: as the page after a reload.
    voter = phones[2]
    expect(voter.locator(".phone-dots-left").first).to_contain_text("U heeft nog 1 stip ")
    expect(voter.locator("[data-phone-announcer]")).to_have_text("Uw stip is gezet.")
    expect(voter.locator("li", has_text=SECOND).first).to_contain_text("Uw stippen hier: 1")
    before = voter.locator("#live").inner_html()
    voter.reload()
    expect(voter.locator(".phone-dots-left").first).to_contain_text("U heeft nog 1 stip ")
    after = voter.locator("#live").inner_html()

    def _items(html):
        return re.findall(r'<li class="[^"]*" id="bijdrage-\d+">.*?</li>', html, re.S)

    def _normal(html):
        return re.sub(r"\s+", " ", re.sub(r'value="[^"]{30,}"', "", html)).replace("> <", "><")

    assert [_normal(i) for i in _items(before)] == [_normal(i) for i in _items(after)]
    for phone in phones:
        assert_reflows(phone)
    # A tap the server refuses (a page out of date): the script shows the server's message.
    item = phones[1].locator("li", has_text=SECOND).first
    item.locator('input[name="had"]').evaluate("input => { input.value = '1'; }")
    item.get_by_role("button", name=re.compile("Stip erbij")).click()
    expect(phones[1].locator("#foutmeldingen")).to_contain_text("Meer mag niet")
    expect(phones[1].locator("#foutmeldingen")).to_be_focused()
    _assert_no_violations(axe, phones[1])

    control.get_by_role("button", name="Resultaten op het scherm tonen").click()
    expect(projector.locator(".projector-contributions li").first).to_contain_text(TOP)
    expect(projector.locator(".projector-contributions li").first).to_contain_text("3 stippen")
    spread = projector.locator(".projector-results__spread")
    expect(spread).to_contain_text("Eerste stappen gezet")
    expect(spread).to_contain_text("2")
    assert projector.evaluate("window.handvatNoReload") is True, "the projector reloaded"
    _assert_no_violations(axe, projector)

    control.get_by_role("button", name="Vraag sluiten").click()
    expect(projector.locator(".projector-kicker")).to_contain_text("gesloten")
    control.reload()
    _assert_no_violations(axe, control)
    top = control.locator(".contribution__text", has_text=TOP)
    control.locator("li.contribution", has=top).get_by_role(
        "button", name=re.compile("Maak er een actiepunt van")
    ).click()
    expect(control.get_by_text("Actiepunt gemaakt").first).to_be_visible()
    control.locator("textarea[name=text]").first.fill("De regiegroep pakt het loket op.")
    control.get_by_role("button", name="Antwoord opslaan").click()
    expect(control.get_by_text(re.compile("opgeslagen")).first).to_be_visible()

    pdf = control.request.get(live_server(f"/gesprekken/{conversation_id}/actielijst.pdf"))
    assert pdf.ok
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.body())).pages)
    text = " ".join(text.split())
    assert TOP in text
    assert "3 deelnemers: 2 eerste stappen gezet, 1 goed geregeld" in text


def test_keyboard_focus_never_lands_under_the_news_bar(
    facilitator, phones, live_server, seed_conversation
):
    """A participant who is typing when the room changes gets a bar "Er is iets nieuw" that
    sticks to the top of the screen. Going back up the page with the keyboard, no control
    ends up under that bar (WCAG 2.4.11)."""
    conversation_id = seed_conversation("Browsertest: nieuwsbalk", [QUESTION, "verkennen-regie"])
    control = facilitator.new_page()
    control.goto(live_server(f"/gesprekken/{conversation_id}/workshop/nieuw"))
    control.get_by_role("button", name="Workshop openen").click()
    code = control.locator(".join-code").inner_text().strip()
    control.get_by_role("button", name="Vraag openen").first.click()
    phone = phones[0]
    _join(phone, live_server("/w"), code)
    phone.locator("textarea[name=text]").first.fill("Nog niet verstuurd")
    control.get_by_role("button", name="Vraag sluiten").click()
    news = phone.locator("[data-phone-news]")
    expect(news).to_contain_text("Er is iets nieuw", timeout=15_000)

    # Shift+Tab from each control to the one before it, with that one scrolled to just below
    # the top edge, where the bar sticks: the browser must see it as hidden and scroll.
    under_the_bar = []
    controls = phone.locator("#live").locator("input:visible, button:visible, summary:visible")
    assert controls.count() >= 3
    for index in range(1, controls.count()):
        controls.nth(index).evaluate("e => e.focus({preventScroll: true})")
        controls.nth(index - 1).evaluate(
            "e => window.scrollBy(0, e.getBoundingClientRect().top - 8)"
        )
        phone.keyboard.press("Shift+Tab")
        focused, top, bar_top, bar_bottom = phone.evaluate(
            """() => [document.activeElement.outerHTML.slice(0, 80),
                      document.activeElement.getBoundingClientRect().top,
                      ...(({top, bottom}) => [top, bottom])(
                          document.querySelector('[data-phone-news]').getBoundingClientRect())]"""
        )
        if bar_top <= 1 and top < bar_bottom:  # the bar sticks to the top, over the control
            under_the_bar.append(focused)
    assert not under_the_bar


def test_the_character_counter_counts_as_the_server_does(
    facilitator, phones, live_server, seed_conversation
):
    """The counter counted UTF-16 units: 200 emoji showed "400 van 280 tekens" while the server
    took them. It counts characters now, after the cleaning the server does."""
    conversation_id = seed_conversation("Browsertest: teller", [QUESTION])
    control = facilitator.new_page()
    control.goto(live_server(f"/gesprekken/{conversation_id}/workshop/nieuw"))
    control.get_by_role("button", name="Workshop openen").click()
    code = control.locator(".join-code").inner_text().strip()
    control.get_by_role("button", name="Vraag openen").first.click()
    phone = phones[0]
    _join(phone, live_server("/w"), code)
    area = phone.locator("textarea[name=text]").first
    counter = phone.locator(".char-count").first
    area.fill("\U0001f600" * 200)
    expect(counter).to_have_text("200 van 280 tekens")
    expect(counter).not_to_have_class(re.compile("char-count--over"))
    area.fill("  Twee   woorden \n\n ")
    expect(counter).to_have_text("12 van 280 tekens")
    area.fill("\U0001f600" * 281)
    expect(counter).to_have_class(re.compile("char-count--over"))
    area.fill("\U0001f600" * 280)
    phone.get_by_role("button", name="Versturen").first.click()
    expect(phone.locator("[data-phone-notice]")).to_contain_text("Uw bijdrage is verstuurd")


def test_the_list_of_questions_follows_the_room_without_a_reload(
    facilitator, phones, live_server, seed_conversation
):
    conversation_id = seed_conversation("Browsertest: vragenlijst", [QUESTION, "verkennen-regie"])
    control = facilitator.new_page()
    control.goto(live_server(f"/gesprekken/{conversation_id}/workshop/nieuw"))
    control.get_by_role("button", name="Workshop openen").click()
    code = control.locator(".join-code").inner_text().strip()
    control.get_by_role("button", name="Vraag openen").first.click()
    expect(control.locator(f"#lijst-sluiten-{QUESTION}")).to_be_visible()
    control.evaluate("window.handvatNoReload = true")
    phone = phones[0]
    _join(phone, live_server("/w"), code)
    phone.get_by_label("Eerste stappen gezet").first.check()
    phone.get_by_role("button", name=re.compile("Keuze opslaan")).first.click()
    selected = control.locator("#vragenlijst .workshop-question--selected")
    expect(selected).to_contain_text("1 op de schaal")
    # Another tab of the facilitator opens the next question: this list shows it open.
    other = facilitator.new_page()
    other.goto(control.url)
    other.locator("#lijst-openen-verkennen-regie").click()
    expect(control.locator("#lijst-sluiten-verkennen-regie")).to_be_visible()
    assert control.evaluate("window.handvatNoReload") is True, "the control page reloaded"
    # Focus on a button of the list stays there when the list is replaced.
    control.locator("#lijst-scherm-" + QUESTION).focus()
    second = phones[1]
    _join(second, live_server("/w"), code)
    second.locator(f"#vraag-{QUESTION}").get_by_label("Goed geregeld").check()
    second.locator(f"#vraag-{QUESTION}").get_by_role("button", name="Keuze opslaan").click()
    expect(selected).to_contain_text("2 op de schaal")
    expect(control.locator("#lijst-scherm-" + QUESTION)).to_be_focused()


def test_merging_and_removing_a_participant_from_a_contributions_page(
    facilitator, phones, live_server, seed_conversation
):
    axe = Axe()
    conversation_id = seed_conversation("Browsertest: bijdrage", [QUESTION])
    control = facilitator.new_page()
    control.goto(live_server(f"/gesprekken/{conversation_id}/workshop/nieuw"))
    control.get_by_role("button", name="Workshop openen").click()
    code = control.locator(".join-code").inner_text().strip()
    control.get_by_role("button", name="Vraag openen").first.click()
    for phone, text in zip(phones[:2], (TOP, SECOND), strict=True):
        _join(phone, live_server("/w"), code)
        _contribute(phone, text)
    _contribute(phones[1], "Koop goedkope horloges")
    control.reload()
    item = control.locator("li.contribution", has_text=SECOND)
    item.get_by_role("link", name=re.compile("Samenvoegen")).click()
    expect(control.get_by_role("heading", level=1)).to_contain_text("Bijdrage bij vraag")
    _assert_no_violations(axe, control)
    assert_reflows(control)
    control.get_by_label("Zoek in de andere bijdragen").fill("loket")
    control.get_by_role("button", name="Zoeken").click()
    control.get_by_label(re.compile(TOP)).check()
    control.get_by_role("button", name="Samenvoegen").click()
    expect(control.locator("li.contribution", has_text=TOP)).to_contain_text("Samengevoegd")

    spam = control.locator("li.contribution", has_text="horloges")
    spam.get_by_role("link", name=re.compile("verwijderen")).click()
    expect(control.locator("#deelnemer")).to_be_visible()
    control.get_by_label(re.compile("Ja, ik wil deelnemer")).check()
    control.get_by_role("button", name=re.compile("Deelnemer \\d+ verwijderen")).click()
    expect(
        control.get_by_text(re.compile("is verwijderd en kan met deze telefoon"))
    ).to_be_visible()
    _assert_no_violations(axe, control)
    # The phone of the removed participant finds out without a reload: its page says why.
    expect(phones[1].get_by_text("heeft u uit deze workshop gehaald")).to_be_visible(timeout=15_000)
    control.get_by_role("button", name=re.compile("weer toelaten")).click()
    expect(control.get_by_text(re.compile("doet weer mee"))).to_be_visible()


def test_a_send_whose_answer_got_lost_and_another_text_are_two_contributions(
    facilitator, phones, live_server, seed_conversation
):
    """The audit's pw_net.py: the first send reached the server but the phone never heard
    back; the participant changed the text and sent it again with the same form. The second
    text was dropped with "Uw bijdrage is verstuurd"."""
    conversation_id = seed_conversation("Browsertest: verbinding", [QUESTION])
    control = facilitator.new_page()
    control.goto(live_server(f"/gesprekken/{conversation_id}/workshop/nieuw"))
    control.get_by_role("button", name="Workshop openen").click()
    code = control.locator(".join-code").inner_text().strip()
    control.get_by_role("button", name="Vraag openen").first.click()
    phone = phones[0]
    _join(phone, live_server("/w"), code)
    sent = {"count": 0}

    def lose_the_first_answer(route):
        sent["count"] += 1
        if sent["count"] == 1:
            route.fetch()  # it reaches the server
            route.abort("connectionreset")  # but the phone never hears back
        else:
            route.continue_()

    phone.route("**/bijdragen", lose_the_first_answer)
    area = phone.locator("textarea[name=text]").first
    area.fill("Eerste versie met tikfout")
    phone.get_by_role("button", name="Versturen").first.click()
    expect(phone.locator("[data-phone-problem]")).to_contain_text("Het versturen lukte niet")
    area.fill("Tweede versie, verbeterd")
    phone.get_by_role("button", name="Versturen").first.click()
    expect(phone.locator("[data-phone-notice]")).to_contain_text(
        "Uw nieuwe tekst is verstuurd als een tweede bijdrage"
    )
    expect(phone.locator(".phone-list")).to_contain_text("Tweede versie, verbeterd")
    expect(phone.locator(".phone-list")).to_contain_text("Eerste versie met tikfout")
