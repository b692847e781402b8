"""Accounts in a real browser: signing in through the form, roles in two regions, switching
between them, a region one has no role in, and signing in with a second factor."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import date

import pyotp
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import BrowserContext, Page, expect

from .test_accessibility import _assert_no_violations

pytestmark = pytest.mark.browser

QUESTIONS = ["verkennen-bestuurlijk-overleg", "verkennen-regie"]
TWENTE_TITLE = "Accounttest: werkagenda Twente"
ACHTERHOEK_TITLE = "Accounttest: werkagenda Achterhoek"
#: Of a region the user has no role in: it must never show up anywhere.
ZEELAND_TITLE = "Accounttest: geheime agenda Zeeland"

TWO_REGIONS_EMAIL = "twee.regios@handvat.test"
TWO_REGIONS_NAME = "Tineke Tweeregio"
SECOND_FACTOR_EMAIL = "tweestaps@handvat.test"
SECOND_FACTOR_NAME = "Stefan Tweestaps"
AXE_EMAIL = "axe.accounts@handvat.test"
#: Has the second factor on from the start (set up in the database), for the code page.
CODE_PAGE_EMAIL = "codepagina@handvat.test"


@dataclass(frozen=True)
class Setting:
    twente_id: int
    achterhoek_id: int
    zeeland_id: int
    zeeland_slug: str


@pytest.fixture(scope="module")
def setting(live_server) -> Setting:
    """Three regions, each with its own conversation, and the users of these tests.

    Twente is the demo region. The users hold roles in Twente (coordinator) and Achterhoek
    (member), never in Zeeland.
    """
    from app.accounts.operations import set_role
    from app.accounts.roles import Role
    from app.accounts.two_factor import enable_two_factor, new_secret
    from app.conversations.models import OrganisationType
    from app.conversations.operations import (
        ConversationDetails,
        ParticipantData,
        select_questions,
        start_conversation,
    )
    from app.extensions import db
    from app.regions.operations import ensure_region
    from tests.accounts import make_user

    with live_server.app.app_context():
        regions = {
            name: ensure_region(name, municipalities)
            for name, municipalities in (
                ("Twente", []),
                ("Achterhoek", ["Doetinchem", "Winterswijk"]),
                ("Zeeland", ["Middelburg", "Vlissingen"]),
            )
        }
        ids = {}
        for name, title in (
            ("Twente", TWENTE_TITLE),
            ("Achterhoek", ACHTERHOEK_TITLE),
            ("Zeeland", ZEELAND_TITLE),
        ):
            conversation = start_conversation(
                ConversationDetails(title, regions[name], date(2026, 11, 12), "verkennen"),
                [
                    ParticipantData(
                        "Anna de Vries", "Gemeente", OrganisationType.MUNICIPALITY, "Wethouder"
                    )
                ],
            ).conversation
            select_questions(conversation, QUESTIONS)
            db.session.flush()
            ids[name] = conversation.id
        db.session.commit()
        for email, name in (
            (TWO_REGIONS_EMAIL, TWO_REGIONS_NAME),
            (SECOND_FACTOR_EMAIL, SECOND_FACTOR_NAME),
            (AXE_EMAIL, "Axel Toegankelijk"),
            (CODE_PAGE_EMAIL, "Cora Code"),
        ):
            user = make_user(email, name, region=regions["Twente"], role=Role.COORDINATOR)
            set_role(user, regions["Achterhoek"], Role.MEMBER)
            if email == CODE_PAGE_EMAIL:
                secret = new_secret()
                assert enable_two_factor(user, secret, pyotp.TOTP(secret).now()) is not None
            db.session.commit()
        slug = regions["Zeeland"].slug
        db.session.remove()
    return Setting(ids["Twente"], ids["Achterhoek"], ids["Zeeland"], slug)


@pytest.fixture(scope="module")
def axe() -> Axe:
    return Axe()


def _sign_in_with_form(page: Page, email: str) -> None:
    """Fill in and send the sign-in form that ``page`` shows."""
    from tests.accounts import TEST_PASSWORD

    expect(page.get_by_role("heading", level=1)).to_have_text("Inloggen")
    page.get_by_label("E-mailadres").fill(email)
    page.get_by_label("Wachtwoord").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Inloggen", exact=True).click()


def _main_menu(page: Page):
    return page.get_by_role("navigation", name="Hoofdmenu")


def _assert_zeeland_invisible(page: Page) -> None:
    content = page.content()
    assert ZEELAND_TITLE not in content, f"Zeeland's conversation shows on {page.url}"
    assert "Zeeland" not in content, f"the region Zeeland is named on {page.url}"


def test_user_with_two_regions_sees_each_region_and_never_a_third(
    anonymous_context: BrowserContext, live_server, setting: Setting, artifacts
):
    page = anonymous_context.new_page()

    # Anonymous: the home page sends the browser to the sign-in form, and back after.
    page.goto(live_server("/"))
    expect(page).to_have_url(live_server("/inloggen?next=/"))
    page.screenshot(path=artifacts / "accounts-01-sign-in.png", full_page=True)
    _sign_in_with_form(page, TWO_REGIONS_EMAIL)
    expect(page).to_have_url(live_server("/"))
    expect(page.locator(".site-header__account")).to_contain_text(TWO_REGIONS_NAME)

    # Home: both regions, each labelled with the user's role there and with its own work.
    twente = page.get_by_role("region", name="Regio Twente Coördinator")
    achterhoek = page.get_by_role("region", name="Regio Achterhoek Lid")
    expect(twente).to_be_visible()
    expect(achterhoek).to_be_visible()
    expect(twente.get_by_role("link", name=TWENTE_TITLE)).to_be_visible()
    expect(twente.get_by_role("link", name=ACHTERHOEK_TITLE)).to_have_count(0)
    expect(achterhoek.get_by_role("link", name=ACHTERHOEK_TITLE)).to_be_visible()
    expect(achterhoek.locator("tbody tr")).to_have_count(1)
    expect(_main_menu(page).get_by_role("link", name=re.compile("^Regio "))).to_have_count(2)
    _assert_zeeland_invisible(page)
    page.screenshot(path=artifacts / "accounts-02-home-two-regions.png", full_page=True)

    # Switch to Achterhoek: only its conversation, and the user's role there.
    _main_menu(page).get_by_role("link", name="Regio Achterhoek").click()
    expect(page).to_have_url(live_server("/regio/achterhoek"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Regio Achterhoek")
    expect(page.locator(".lead")).to_contain_text("Uw rol in deze regio: Lid")
    expect(page.locator("main tbody tr")).to_have_count(1)
    expect(page.get_by_role("link", name=ACHTERHOEK_TITLE)).to_be_visible()
    expect(page.get_by_role("link", name=TWENTE_TITLE)).to_have_count(0)
    # A member may not start a conversation here (the menu still offers it, for Twente).
    expect(
        page.locator("main").get_by_role("link", name=re.compile("^Nieuw gesprek"))
    ).to_have_count(0)
    _assert_zeeland_invisible(page)
    page.screenshot(path=artifacts / "accounts-03-region-achterhoek.png", full_page=True)

    # Then Twente: its own conversations (the demo's among them), none of Achterhoek.
    _main_menu(page).get_by_role("link", name="Regio Twente").click()
    expect(page).to_have_url(live_server("/regio/twente"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Regio Twente")
    expect(page.locator(".lead")).to_contain_text("Uw rol in deze regio: Coördinator")
    expect(page.get_by_role("link", name=TWENTE_TITLE)).to_be_visible()
    expect(page.get_by_role("link", name=ACHTERHOEK_TITLE)).to_have_count(0)
    _assert_zeeland_invisible(page)

    # The Achterhoek conversation opens for its member.
    page.goto(live_server(f"/gesprekken/{setting.achterhoek_id}"))
    expect(page.get_by_role("heading", level=1)).to_have_text(ACHTERHOEK_TITLE)
    _assert_zeeland_invisible(page)

    # Guessing Zeeland's addresses: the Dutch "not found" page, never the data.
    for path in (
        f"/gesprekken/{setting.zeeland_id}",
        f"/gesprekken/{setting.zeeland_id}/vragen",
        f"/gesprekken/{setting.zeeland_id}/acties",
        f"/gesprekken/{setting.zeeland_id}/actielijst",
        f"/regio/{setting.zeeland_slug}",
    ):
        response = page.goto(live_server(path))
        assert response is not None and response.status == 404, path
        expect(page.get_by_role("heading", level=1)).to_have_text("Pagina niet gevonden")
        expect(page.locator(".lead")).to_contain_text("Deze pagina bestaat niet (meer).")
        _assert_zeeland_invisible(page)

    # The account page lists both roles, and only those.
    page.goto(live_server("/account"))
    roles = page.locator("main ul").first
    expect(roles).to_contain_text("Regio Achterhoek: Lid")
    expect(roles).to_contain_text("Regio Twente: Coördinator")
    _assert_zeeland_invisible(page)


def _totp_code_after(secret: str, used_step: int | None) -> str:
    """A code for ``secret`` whose time step comes after ``used_step`` (the server accepts one
    step ahead, and each step only once)."""
    totp = pyotp.TOTP(secret)
    now = time.time()
    if used_step is not None and int(now // totp.interval) <= used_step:
        now = (used_step + 1) * totp.interval
    return totp.at(now)


def test_set_up_second_factor_then_sign_in_with_it(
    anonymous_context: BrowserContext, live_server, setting: Setting, artifacts, axe
):
    page = anonymous_context.new_page()
    page.goto(live_server("/inloggen"))
    _sign_in_with_form(page, SECOND_FACTOR_EMAIL)
    expect(page).to_have_url(live_server("/"))

    # Set up: from the account page to the set-up page, which shows the key as text too.
    page.goto(live_server("/account"))
    page.get_by_role("link", name="Tweestapsverificatie: uit").click()
    expect(page).to_have_url(live_server("/account/tweestapsverificatie"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Tweestapsverificatie instellen")
    expect(page.locator(".qr-code svg")).to_be_visible()
    page.screenshot(path=artifacts / "accounts-04-two-factor-set-up.png", full_page=True)
    secret = page.locator("main code").inner_text().replace(" ", "").strip()
    assert re.fullmatch(r"[A-Z2-7]{16,}", secret), secret
    totp = pyotp.TOTP(secret)
    set_up_step = int(time.time() // totp.interval)
    set_up_code = totp.at(set_up_step * totp.interval)
    page.get_by_label("De code van 6 cijfers uit de app").fill(set_up_code)
    page.get_by_role("button", name="Aanzetten").click()

    # The recovery codes, shown once.
    expect(page.get_by_role("heading", level=1)).to_contain_text("Bewaar uw herstelcodes")
    codes = page.locator(".code-list li")
    expect(codes).to_have_count(10)
    assert all(re.fullmatch(r"[a-z2-9]{5}-[a-z2-9]{5}", c) for c in codes.all_inner_texts())
    page.screenshot(path=artifacts / "accounts-05-recovery-codes.png", full_page=True)
    _assert_no_violations(axe, page)
    page.get_by_role("link", name="Ik heb de codes bewaard").click()
    expect(page.get_by_role("link", name="Tweestapsverificatie: aan")).to_be_visible()

    # Sign out, then in again: the password, then the code.
    page.get_by_role("button", name="Uitloggen").click()
    expect(page).to_have_url(live_server("/inloggen"))
    expect(page.get_by_text("U bent uitgelogd.")).to_be_visible()
    page.goto(live_server("/"))
    _sign_in_with_form(page, SECOND_FACTOR_EMAIL)
    expect(page).to_have_url(live_server("/inloggen/code"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Vul de code in")
    field = page.get_by_label("Code uit uw authenticator-app, of een herstelcode")

    # The code used for setting up was accepted once: sent again it is refused.
    field.fill(set_up_code)
    page.get_by_role("button", name="Inloggen", exact=True).click()
    expect(page.locator("#foutmeldingen")).to_contain_text("Deze code klopt niet of is al gebruikt")
    expect(page).to_have_url(live_server("/inloggen/code"))

    field = page.get_by_label("Code uit uw authenticator-app, of een herstelcode")
    field.fill(_totp_code_after(secret, set_up_step))
    page.get_by_role("button", name="Inloggen", exact=True).click()
    expect(page).to_have_url(live_server("/"))
    expect(page.locator(".site-header__account")).to_contain_text(SECOND_FACTOR_NAME)
    expect(page.get_by_role("region", name="Regio Twente Coördinator")).to_be_visible()


# --- axe on the account pages -------------------------------------------------------------------


def test_sign_in_page_has_no_axe_violations(anonymous_context: BrowserContext, live_server, axe):
    page = anonymous_context.new_page()
    page.goto(live_server("/inloggen"))
    _assert_no_violations(axe, page)
    # With an error: the summary and the field's message.
    page.get_by_label("E-mailadres").fill("niemand@handvat.test")
    page.get_by_label("Wachtwoord").fill("fout wachtwoord")
    page.get_by_role("button", name="Inloggen", exact=True).click()
    expect(page.locator("#foutmeldingen")).to_contain_text("klopt niet")
    _assert_no_violations(axe, page)


def test_code_page_has_no_axe_violations(
    anonymous_context: BrowserContext, live_server, setting: Setting, axe
):
    page = anonymous_context.new_page()
    page.goto(live_server("/inloggen"))
    _sign_in_with_form(page, CODE_PAGE_EMAIL)
    expect(page).to_have_url(live_server("/inloggen/code"))
    _assert_no_violations(axe, page)
    page.get_by_label("Code uit uw authenticator-app, of een herstelcode").fill("123")
    page.get_by_role("button", name="Inloggen", exact=True).click()
    expect(page.locator("#foutmeldingen")).to_be_visible()
    _assert_no_violations(axe, page)


#: (test id, path): pages of a signed-in user with roles in two regions.
SIGNED_IN_PAGES = [
    ("account", "/account"),
    ("two-factor-set-up", "/account/tweestapsverificatie"),
    ("roles-help", "/help/rollen"),
    ("home-two-regions", "/"),
    ("region", "/regio/achterhoek"),
]


@pytest.mark.parametrize(
    "path", [p for _, p in SIGNED_IN_PAGES], ids=[name for name, _ in SIGNED_IN_PAGES]
)
def test_account_pages_have_no_axe_violations(
    anonymous_context: BrowserContext, live_server, setting: Setting, axe, path
):
    anonymous_context.add_cookies([live_server.session_cookie(AXE_EMAIL)])
    page = anonymous_context.new_page()
    response = page.goto(live_server(path))
    assert response is not None and response.status == 200
    expect(page).to_have_url(live_server(path))
    _assert_no_violations(axe, page)


def test_an_existing_account_accepts_a_role_offered_by_another_region(
    anonymous_context: BrowserContext, chromium_browser, live_server, axe, artifacts
):
    """Coco coordinates Twente and invites Olga, whose account is Salland's: Coco sees only the
    address until Olga, signed in through the form, accepts on her account page."""
    from app.accounts.roles import Role
    from app.regions.operations import ensure_region
    from tests.accounts import make_user

    with live_server.app.app_context():
        twente = ensure_region("Twente", [])
        salland = ensure_region("Salland", ["Deventer"])
        make_user("coco@twente.test", "Coco Coördinator", region=twente, role=Role.COORDINATOR)
        make_user("olga@salland.test", "Olga Salland", region=salland)
        slug = twente.slug
        from app.extensions import db

        db.session.remove()

    anonymous_context.add_cookies([live_server.session_cookie("coco@twente.test")])
    coordinator = anonymous_context.new_page()
    coordinator.goto(live_server(f"/regio/{slug}/leden"))
    coordinator.get_by_label("E-mailadres").fill("Olga@Salland.test")
    coordinator.get_by_label("Naam").fill("Olga")
    coordinator.get_by_label("Projectleider").check()
    coordinator.get_by_role("button", name="Uitnodigen").click()
    expect(coordinator.locator(".flash-messages")).to_contain_text(
        "olga@salland.test heeft al een account in Handvat"
    )
    offers = coordinator.get_by_role("table", name="Open uitnodigingen van regio Twente")
    expect(offers).to_contain_text("olga@salland.test")
    expect(offers).to_contain_text("Projectleider")
    assert "Olga Salland" not in coordinator.content()
    _assert_no_violations(axe, coordinator)
    coordinator.screenshot(path=artifacts / "offer-members.png", full_page=True)

    own_context = chromium_browser.new_context(
        locale="nl-NL", viewport={"width": 390, "height": 844}
    )
    person = own_context.new_page()
    person.goto(live_server("/inloggen"))
    _sign_in_with_form(person, "olga@salland.test")
    expect(person.locator("main")).to_contain_text("U heeft een uitnodiging voor regio Twente")
    person.goto(live_server("/account"))
    expect(person.locator("#uitnodigingen")).to_have_text("Uitnodigingen")
    expect(person.locator("main")).to_contain_text("Uitgenodigd door Coco Coördinator")
    _assert_no_violations(axe, person)
    person.screenshot(path=artifacts / "offer-account-phone.png", full_page=True)
    accept = person.get_by_role(
        "button", name=re.compile(r"^Aannemen\W+Projectleider in regio Twente")
    )
    accept.click()
    expect(person).to_have_url(live_server(f"/regio/{slug}"))
    expect(person.locator("main")).to_contain_text("U bent nu projectleider in regio Twente.")
    own_context.close()

    coordinator.reload()
    members = coordinator.get_by_role("table", name="Leden van regio Twente")
    expect(members).to_contain_text("Olga Salland")
    expect(
        coordinator.get_by_role("table", name="Open uitnodigingen van regio Twente")
    ).to_have_count(0)
