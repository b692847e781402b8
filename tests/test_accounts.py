"""Accounts through the test client, on SQLite and PostgreSQL: signing in and out, sessions,
single-use links, forgotten passwords, one's own account, and the production settings that
come with accounts (secret key, security.txt, session cookie)."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select, update

from app import create_app
from app.accounts.access import session_key_hash
from app.accounts.models import AccountLink, LinkPurpose, User, UserSession
from app.accounts.operations import issue_link, remove_membership
from app.accounts.roles import Role
from app.audit.models import AuditEvent
from app.config import MissingRateLimitStorage, MissingSecretKey
from app.core.models import utcnow
from app.extensions import db

from .accounts import TEST_PASSWORD, FakeSMTP, make_user, sign_in
from .conftest import BASE_TEST_CONFIG

EMAIL = "anna@gemeente.test"
WRONG_SIGN_IN = "Het e-mailadres of het wachtwoord klopt niet."
NEW_PASSWORD = "een heel ander lang wachtwoord"


@pytest.fixture
def anna(app):
    return make_user(EMAIL, "Anna de Vries")


def post_sign_in(client, email, password, next_target=None):
    query = {"next": next_target} if next_target is not None else {}
    return client.post("/inloggen", query_string=query, data={"email": email, "password": password})


def cookie_key(client) -> str | None:
    """The session key the client's cookie carries (what Flask-Login keeps as ``_user_id``)."""
    with client.session_transaction() as session:
        return session.get("_user_id")


def sessions_of(user_id: int) -> int:
    db.session.expire_all()
    return db.session.scalar(
        select(func.count()).select_from(UserSession).where(UserSession.user_id == user_id)
    )


def is_sign_in_redirect(response) -> bool:
    return response.status_code == 302 and urlsplit(response.location).path == "/inloggen"


def location_path(response) -> str:
    parts = urlsplit(response.location)
    assert not parts.netloc, response.location
    return parts.path


# --- signing in -------------------------------------------------------------------------------


def test_right_password_signs_in(anonymous_client, anna):
    response = post_sign_in(anonymous_client, EMAIL, TEST_PASSWORD)
    assert response.status_code == 302
    assert location_path(response) == "/"
    page = anonymous_client.get("/account")
    assert page.status_code == 200
    assert "Anna de Vries" in page.text
    assert sessions_of(anna.id) == 1


def test_wrong_password_and_unknown_address_get_the_same_answer(anonymous_client, anna):
    wrong = post_sign_in(anonymous_client, EMAIL, "niet het goede wachtwoord")
    unknown = post_sign_in(anonymous_client, "niemand@gemeente.test", "niet het goede wachtwoord")
    assert wrong.status_code == unknown.status_code == 422
    for response in (wrong, unknown):
        assert WRONG_SIGN_IN in response.text
        assert "bestaat niet" not in response.text
    # Apart from the address typed back into the form, the pages are the same.
    assert wrong.text.replace(EMAIL, "X") == unknown.text.replace("niemand@gemeente.test", "X")
    assert sessions_of(anna.id) == 0
    assert is_sign_in_redirect(anonymous_client.get("/"))


def test_email_address_is_case_insensitive(anonymous_client, anna):
    response = post_sign_in(anonymous_client, "  Anna@GEMEENTE.Test ", TEST_PASSWORD)
    assert response.status_code == 302
    assert anonymous_client.get("/account").status_code == 200


def test_user_without_password_cannot_sign_in(anonymous_client, app):
    from app.accounts.operations import ensure_user

    ensure_user("nieuw@gemeente.test", "Nieuw")
    db.session.commit()
    response = post_sign_in(anonymous_client, "nieuw@gemeente.test", TEST_PASSWORD)
    assert response.status_code == 422
    assert WRONG_SIGN_IN in response.text


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example",
        "//evil.example/gesprekken",
        "https://evil.example/",
        "http:evil.example",
        "\\\\evil.example",
        "/\\evil.example",
        "/\t/evil.example",
        "javascript:alert(1)",
        "",
    ],
)
def test_next_only_follows_local_paths(anonymous_client, anna, target):
    response = post_sign_in(anonymous_client, EMAIL, TEST_PASSWORD, next_target=target)
    assert response.status_code == 302
    assert response.location == "/"


def test_next_follows_a_local_path(anonymous_client, anna):
    response = post_sign_in(anonymous_client, EMAIL, TEST_PASSWORD, next_target="/account?x=1")
    assert response.status_code == 302
    assert response.location == "/account?x=1"


def test_anonymous_get_goes_to_sign_in_and_comes_back(anonymous_client, anna):
    response = anonymous_client.get("/account")
    assert is_sign_in_redirect(response)
    next_target = parse_qs(urlsplit(response.location).query)["next"][0]
    assert next_target == "/account"
    signed_in = post_sign_in(anonymous_client, EMAIL, TEST_PASSWORD, next_target=next_target)
    assert signed_in.location == "/account"


def test_sign_in_gives_a_new_session_key(anonymous_client, anna, app):
    """Session fixation: a key planted in the cookie before signing in is never used after."""
    mallory = make_user("mallory@gemeente.test", "Mallory")
    planted = sign_in(anonymous_client, mallory)
    assert anonymous_client.get("/account").status_code == 200

    post_sign_in(anonymous_client, EMAIL, TEST_PASSWORD)
    key = cookie_key(anonymous_client)
    assert key and key != planted
    row = db.session.scalar(
        select(UserSession).where(UserSession.key_hash == session_key_hash(key))
    )
    assert row.user_id == anna.id
    # The planted key still belongs to Mallory's own session, never to Anna's.
    planted_row = db.session.scalar(
        select(UserSession).where(UserSession.key_hash == session_key_hash(planted))
    )
    assert planted_row is None or planted_row.user_id == mallory.id
    assert "Anna de Vries" in anonymous_client.get("/account").text


def test_sign_in_again_gets_another_key(anonymous_client, anna):
    post_sign_in(anonymous_client, EMAIL, TEST_PASSWORD)
    first = cookie_key(anonymous_client)
    with anonymous_client.session_transaction() as session:
        session["_user_id"] = "geplant-door-een-ander"
    post_sign_in(anonymous_client, EMAIL, TEST_PASSWORD)
    second = cookie_key(anonymous_client)
    assert second not in (first, "geplant-door-een-ander")


def test_signed_in_user_opening_sign_in_goes_on(anonymous_client, anna):
    post_sign_in(anonymous_client, EMAIL, TEST_PASSWORD)
    response = anonymous_client.get("/inloggen?next=/account")
    assert response.status_code == 302
    assert response.location == "/account"


# --- signing out and session lifetime ---------------------------------------------------------


def test_sign_out_ends_the_session_and_a_copied_cookie(app, anonymous_client, anna):
    post_sign_in(anonymous_client, EMAIL, TEST_PASSWORD)
    copied = anonymous_client.get_cookie("session").value
    assert sessions_of(anna.id) == 1

    response = anonymous_client.post("/uitloggen")
    assert is_sign_in_redirect(response)
    assert sessions_of(anna.id) == 0
    assert is_sign_in_redirect(anonymous_client.get("/account"))

    thief = app.test_client()
    thief.set_cookie("session", copied)
    assert is_sign_in_redirect(thief.get("/account"))


def test_sign_out_of_one_browser_keeps_the_other(app, anna):
    first, second = app.test_client(), app.test_client()
    sign_in(first, anna)
    sign_in(second, anna)
    first.post("/uitloggen")
    assert is_sign_in_redirect(first.get("/account"))
    assert second.get("/account").status_code == 200


def _age_sessions(user, **fields):
    db.session.execute(update(UserSession).where(UserSession.user_id == user.id).values(**fields))
    db.session.commit()


def test_session_ends_after_inactivity(app, anonymous_client, anna):
    sign_in(anonymous_client, anna)
    idle = timedelta(minutes=app.config["SESSION_IDLE_MINUTES"])
    _age_sessions(anna, last_seen_dt=utcnow() - idle + timedelta(minutes=2))
    assert anonymous_client.get("/account").status_code == 200

    _age_sessions(anna, last_seen_dt=utcnow() - idle - timedelta(minutes=1))
    assert is_sign_in_redirect(anonymous_client.get("/account"))
    assert sessions_of(anna.id) == 0


def test_activity_keeps_a_session_alive(app, anonymous_client, anna):
    sign_in(anonymous_client, anna)
    idle = timedelta(minutes=app.config["SESSION_IDLE_MINUTES"])
    _age_sessions(anna, last_seen_dt=utcnow() - idle + timedelta(minutes=2))
    assert anonymous_client.get("/account").status_code == 200
    db.session.expire_all()
    seen = db.session.scalar(select(UserSession.last_seen_dt))
    seen = seen if seen.tzinfo else seen.replace(tzinfo=utcnow().tzinfo)
    assert utcnow() - seen < timedelta(minutes=1)


def test_session_ends_after_its_maximum_lifetime(app, anonymous_client, anna):
    sign_in(anonymous_client, anna)
    lifetime = timedelta(hours=app.config["SESSION_MAX_HOURS"])
    _age_sessions(anna, created_dt=utcnow() - lifetime - timedelta(minutes=1))
    assert is_sign_in_redirect(anonymous_client.get("/account"))
    assert sessions_of(anna.id) == 0


def test_anonymous_post_gets_the_typed_text_back(anonymous_client, make_region):
    region = make_region()
    typed = "Wat de wethouder zei over de begroting"
    response = anonymous_client.post(
        "/gesprekken/nieuw", data={"title": typed, "region_id": str(region.id)}
    )
    assert response.status_code == 401
    assert "U bent niet meer ingelogd" in response.text
    assert typed in response.text


def test_expired_session_post_gets_the_typed_text_back(app, make_region, anonymous_client):
    region = make_region()
    user = make_user("lid@gemeente.test", region=region, role=Role.FACILITATOR)
    sign_in(anonymous_client, user)
    _age_sessions(user, last_seen_dt=utcnow() - timedelta(days=1))
    typed = "Mijn lange titel die niet verloren mag gaan"
    response = anonymous_client.post(
        "/gesprekken/nieuw", data={"title": typed, "region_id": str(region.id)}
    )
    assert response.status_code == 401
    assert typed in response.text


def test_expired_session_page_never_shows_a_password(app, anonymous_client, anna):
    sign_in(anonymous_client, anna)
    _age_sessions(anna, last_seen_dt=utcnow() - timedelta(days=1))
    response = anonymous_client.post(
        "/account/wachtwoord",
        data={"current": TEST_PASSWORD, "password": NEW_PASSWORD, "repeat": NEW_PASSWORD},
    )
    assert response.status_code == 401
    assert TEST_PASSWORD not in response.text
    assert NEW_PASSWORD not in response.text


# --- changing the password --------------------------------------------------------------------


def test_password_change_ends_other_sessions_and_keeps_this_one(app, anna):
    here, elsewhere = app.test_client(), app.test_client()
    sign_in(here, anna)
    sign_in(elsewhere, anna)
    response = here.post(
        "/account/wachtwoord",
        data={"current": TEST_PASSWORD, "password": NEW_PASSWORD, "repeat": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert here.get("/account").status_code == 200
    assert is_sign_in_redirect(elsewhere.get("/account"))
    assert sessions_of(anna.id) == 1

    fresh = app.test_client()
    assert post_sign_in(fresh, EMAIL, TEST_PASSWORD).status_code == 422
    assert post_sign_in(fresh, EMAIL, NEW_PASSWORD).status_code == 302


def test_password_change_needs_the_current_password(client, tester):
    response = client.post(
        "/account/wachtwoord",
        data={"current": "verkeerd wachtwoord", "password": NEW_PASSWORD, "repeat": NEW_PASSWORD},
    )
    assert response.status_code == 422
    assert "Uw huidige wachtwoord klopt niet." in response.text


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("kort", "Kies een wachtwoord van minstens 10 tekens"),
        ("wachtwoord123", "Dit wachtwoord wordt veel gebruikt"),
        ("tess@handvat.test", "mag niet uw naam of e-mailadres zijn"),
    ],
)
def test_password_change_refuses_a_weak_password(client, tester, password, message):
    response = client.post(
        "/account/wachtwoord",
        data={"current": TEST_PASSWORD, "password": password, "repeat": password},
    )
    assert response.status_code == 422
    assert message in response.text
    assert client.get("/account").status_code == 200


def test_end_other_sessions(app, anna):
    here, elsewhere = app.test_client(), app.test_client()
    sign_in(here, anna)
    sign_in(elsewhere, anna)
    assert here.post("/account/andere-sessies-beeindigen").status_code == 302
    assert here.get("/account").status_code == 200
    assert is_sign_in_redirect(elsewhere.get("/account"))


# --- single-use links -------------------------------------------------------------------------


def new_link(user, purpose=LinkPurpose.INVITATION) -> str:
    token = issue_link(user, purpose)
    db.session.commit()
    return f"/link/{token}"


def set_password_through(client, link, password=NEW_PASSWORD):
    return client.post(link, data={"password": password, "repeat": password})


@pytest.mark.parametrize("purpose", list(LinkPurpose))
def test_link_works_once(anonymous_client, anna, purpose):
    link = new_link(anna, purpose)
    assert anonymous_client.get(link).status_code == 200
    response = set_password_through(anonymous_client, link)
    assert response.status_code == 302
    assert urlsplit(response.location).path == "/inloggen"
    assert post_sign_in(anonymous_client, EMAIL, NEW_PASSWORD).status_code == 302

    reused = anonymous_client.get(link)
    assert reused.status_code == 404
    assert "werkt niet meer" in reused.text
    again = set_password_through(anonymous_client, link, "nog een ander lang wachtwoord")
    assert again.status_code == 404
    assert "werkt niet meer" in again.text
    fresh = anonymous_client.application.test_client()
    assert post_sign_in(fresh, EMAIL, NEW_PASSWORD).status_code == 302


def test_expired_link_does_not_work(anonymous_client, anna):
    link = new_link(anna, LinkPurpose.PASSWORD_RESET)
    db.session.execute(update(AccountLink).values(expires_dt=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    for response in (anonymous_client.get(link), set_password_through(anonymous_client, link)):
        assert response.status_code == 404
        assert "werkt niet meer" in response.text
    assert post_sign_in(anonymous_client, EMAIL, NEW_PASSWORD).status_code == 422


def test_an_earlier_link_stops_working_when_a_new_one_is_issued(anonymous_client, anna):
    first = new_link(anna, LinkPurpose.INVITATION)
    second = new_link(anna, LinkPurpose.PASSWORD_RESET)
    assert anonymous_client.get(first).status_code == 404
    assert anonymous_client.get(second).status_code == 200


@pytest.mark.parametrize("token", ["bestaat-niet", "x" * 500, "%00", "%E2%80%AE"])
def test_unknown_link_gives_the_same_page(anonymous_client, token):
    response = anonymous_client.get(f"/link/{token}")
    assert response.status_code == 404
    assert "werkt niet meer" in response.text


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("kort", "Kies een wachtwoord van minstens 10 tekens. Een zin werkt goed."),
        ("wachtwoord123", "Dit wachtwoord wordt veel gebruikt en is makkelijk te raden."),
        ("Wachtwoord123", "Dit wachtwoord wordt veel gebruikt en is makkelijk te raden."),
        ("password123", "Dit wachtwoord wordt veel gebruikt en is makkelijk te raden."),
        (EMAIL, "Uw wachtwoord mag niet uw naam of e-mailadres zijn."),
        ("Anna de Vries", "Uw wachtwoord mag niet uw naam of e-mailadres zijn."),
    ],
)
def test_weak_password_through_a_link_is_refused_and_the_link_still_works(
    anonymous_client, anna, password, message
):
    link = new_link(anna)
    response = set_password_through(anonymous_client, link, password)
    assert response.status_code == 422
    assert message in response.text
    assert anonymous_client.get(link).status_code == 200
    assert set_password_through(anonymous_client, link).status_code == 302
    assert post_sign_in(anonymous_client, EMAIL, NEW_PASSWORD).status_code == 302


def test_two_different_passwords_through_a_link_are_refused(anonymous_client, anna):
    link = new_link(anna)
    response = anonymous_client.post(
        link, data={"password": NEW_PASSWORD, "repeat": NEW_PASSWORD + "x"}
    )
    assert response.status_code == 422
    assert "De twee wachtwoorden zijn niet gelijk." in response.text
    assert anonymous_client.get(link).status_code == 200


def test_setting_a_password_through_a_link_ends_every_session(app, anna):
    signed_in = app.test_client()
    sign_in(signed_in, anna)
    set_password_through(app.test_client(), new_link(anna, LinkPurpose.PASSWORD_RESET))
    assert is_sign_in_redirect(signed_in.get("/account"))


# --- forgotten password -----------------------------------------------------------------------


def request_reset(client, email):
    return client.post("/wachtwoord-vergeten", data={"email": email})


def test_forgotten_password_without_mail_reveals_nothing(anonymous_client, anna, monkeypatch):
    monkeypatch.setattr("smtplib.SMTP", FakeSMTP)
    FakeSMTP.sent = []
    known = request_reset(anonymous_client, EMAIL)
    unknown = request_reset(anonymous_client, "niemand@gemeente.test")
    assert known.status_code == unknown.status_code == 200
    assert known.text == unknown.text
    assert "verstuurt geen e-mail" in known.text
    assert FakeSMTP.sent == []
    assert db.session.scalar(select(func.count()).select_from(AccountLink)) == 0


def test_forgotten_password_with_mail_sends_a_link_that_works(anonymous_client, anna, mailbox):
    known = request_reset(anonymous_client, "ANNA@gemeente.test")
    unknown = request_reset(anonymous_client, "niemand@gemeente.test")
    assert known.status_code == unknown.status_code == 200
    assert known.text == unknown.text
    assert "Kijk in uw e-mail" in known.text

    assert len(mailbox) == 1
    message = mailbox[0]
    assert message["To"] == EMAIL
    link = re.search(r"https?://\S+/link/\S+", message.get_content()).group(0)
    path = urlsplit(link).path
    assert anonymous_client.get(path).status_code == 200
    assert set_password_through(anonymous_client, path).status_code == 302
    assert anonymous_client.get(path).status_code == 404
    assert post_sign_in(anonymous_client, EMAIL, NEW_PASSWORD).status_code == 302


def test_forgotten_password_when_mail_fails_reveals_nothing(anonymous_client, anna, mailbox):
    class BrokenSMTP(FakeSMTP):
        def send_message(self, message):
            raise OSError("verbinding geweigerd")

    import smtplib

    smtplib.SMTP = BrokenSMTP  # monkeypatch (mailbox) puts the original back
    known = request_reset(anonymous_client, EMAIL)
    unknown = request_reset(anonymous_client, "niemand@gemeente.test")
    assert known.status_code == unknown.status_code == 200
    assert known.text == unknown.text


# --- one's own account ------------------------------------------------------------------------


def test_delete_own_account(app, make_region, anna):
    region = make_region()
    make_user(EMAIL, region=region, role=Role.FACILITATOR)
    client = app.test_client()
    sign_in(client, anna)
    assert client.get("/account/verwijderen").status_code == 200

    wrong = client.post("/account/verwijderen", data={"password": "verkeerd", "confirm": "y"})
    assert wrong.status_code == 422
    unconfirmed = client.post("/account/verwijderen", data={"password": TEST_PASSWORD})
    assert unconfirmed.status_code == 422
    assert db.session.get(User, anna.id) is not None

    response = client.post("/account/verwijderen", data={"password": TEST_PASSWORD, "confirm": "y"})
    assert is_sign_in_redirect(response)
    db.session.expire_all()
    assert db.session.scalar(select(User).where(User.email == EMAIL)) is None
    assert sessions_of(anna.id) == 0
    assert is_sign_in_redirect(client.get("/account"))
    assert post_sign_in(app.test_client(), EMAIL, TEST_PASSWORD).status_code == 422
    # The audit trail keeps who removed the role: the person themselves.
    event = db.session.scalar(
        select(AuditEvent)
        .where(AuditEvent.object_type == "membership")
        .order_by(AuditEvent.id.desc())
    )
    assert event.action.value == "deleted"
    assert event.actor_name == "Anna de Vries"


def test_last_administrator_cannot_delete_their_account(app):
    admin = make_user("beheer@gemeente.test", "Beheerder", admin=True)
    client = app.test_client()
    sign_in(client, admin)
    page = client.get("/account/verwijderen")
    assert "enige beheerder" in page.text
    response = client.post("/account/verwijderen", data={"password": TEST_PASSWORD, "confirm": "y"})
    assert response.status_code in (200, 422)
    assert "enige beheerder" in response.text
    db.session.expire_all()
    assert db.session.get(User, admin.id) is not None
    assert client.get("/account").status_code == 200

    make_user("tweede@gemeente.test", "Tweede beheerder", admin=True)
    response = client.post("/account/verwijderen", data={"password": TEST_PASSWORD, "confirm": "y"})
    assert is_sign_in_redirect(response)
    db.session.expire_all()
    assert db.session.get(User, admin.id) is None


def test_user_removed_from_region_loses_access_at_the_next_request(
    app, make_region, make_conversation
):
    region = make_region()
    conversation = make_conversation("Overleg over de zorgroute", region=region)
    member = make_user("lid@gemeente.test", region=region, role=Role.MEMBER)
    client = app.test_client()
    sign_in(client, member)
    assert client.get(f"/gesprekken/{conversation.id}").status_code == 200
    assert "Overleg over de zorgroute" in client.get("/").text

    remove_membership(member.memberships[0])
    db.session.commit()

    assert client.get(f"/gesprekken/{conversation.id}").status_code == 404
    assert client.get(f"/gesprekken/{conversation.id}/actielijst.pdf").status_code == 404
    assert client.get(f"/regio/{region.slug}").status_code == 404
    assert "Overleg over de zorgroute" not in client.get("/").text


def test_role_lowered_takes_effect_at_the_next_request(app, make_region, make_conversation):
    from app.accounts.operations import set_role

    region = make_region()
    conversation = make_conversation(region=region)
    user = make_user("leider@gemeente.test", region=region, role=Role.FACILITATOR)
    client = app.test_client()
    sign_in(client, user)
    assert client.get(f"/gesprekken/{conversation.id}/bewerken").status_code == 200
    set_role(user, region, Role.MEMBER)
    db.session.commit()
    assert client.get(f"/gesprekken/{conversation.id}/bewerken").status_code == 403
    assert client.get(f"/gesprekken/{conversation.id}").status_code == 200


def test_roles_help_is_public_and_names_every_role(anonymous_client):
    response = anonymous_client.get("/help/rollen")
    assert response.status_code == 200
    for role in Role:
        assert role.label in response.text


# --- production settings ----------------------------------------------------------------------

CONFIG_WITHOUT_KEY = {
    key: value for key, value in BASE_TEST_CONFIG.items() if key != "SECRET_KEY"
} | {"SQLALCHEMY_DATABASE_URI": "sqlite://"}


@pytest.mark.parametrize(
    "environment",
    [
        {"DATABASE_URL": "postgresql://handvat@db.example/handvat"},
        {"HANDVAT_ENV": "production"},
    ],
)
def test_production_without_secret_key_does_not_start(monkeypatch, environment):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("HANDVAT_ENV", raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(MissingSecretKey, match="SECRET_KEY is not set"):
        create_app(dict(CONFIG_WITHOUT_KEY))


def test_production_with_secret_key_starts(monkeypatch):
    monkeypatch.setenv("HANDVAT_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "een-vaste-sleutel-voor-alle-servers")
    app = create_app(dict(CONFIG_WITHOUT_KEY))
    assert app.config["SECRET_KEY"] == "een-vaste-sleutel-voor-alle-servers"


def test_the_icon_is_served_where_browsers_look_for_it(anonymous_client):
    page = anonymous_client.get("/inloggen").text
    link = re.search(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', page)
    assert link and link.group(1).startswith("/static/favicon.svg?v=")
    with anonymous_client.get(link.group(1)) as icon:
        assert icon.status_code == 200 and icon.data.startswith(b"<svg")
    with anonymous_client.get("/favicon.ico") as response:
        assert response.status_code == 200
        assert response.mimetype == "image/svg+xml"
        assert response.data == icon.data
        assert response.cache_control.max_age == 86_400


def test_security_txt(app, anonymous_client, monkeypatch):
    assert anonymous_client.get("/.well-known/security.txt").status_code == 404
    monkeypatch.setitem(app.config, "SECURITY_CONTACT", "mailto:security@gemeente.test")
    monkeypatch.setitem(app.config, "SECURITY_TXT_EXPIRES", "2027-06-30T00:00:00+02:00")
    response = anonymous_client.get("/.well-known/security.txt")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    lines = response.text.splitlines()
    assert "Contact: mailto:security@gemeente.test" in lines
    assert "Expires: 2027-06-30T00:00:00+02:00" in lines


def test_security_txt_past_its_expiry_is_served_as_it_is_and_logged(
    app, anonymous_client, monkeypatch, caplog
):
    """A date set a year ago runs out while the server runs: the file keeps saying so (a
    researcher must see it is stale), and every request for it leaves a warning in the log."""
    monkeypatch.setitem(app.config, "SECURITY_CONTACT", "mailto:security@gemeente.test")
    monkeypatch.setitem(app.config, "SECURITY_TXT_EXPIRES", "2025-06-30T00:00:00+02:00")
    response = anonymous_client.get("/.well-known/security.txt")
    assert "Expires: 2025-06-30T00:00:00+02:00" in response.text.splitlines()
    assert any(
        r.levelname == "WARNING" and "SECURITY_TXT_EXPIRES" in r.getMessage()
        for r in caplog.records
    )


def test_security_txt_expires_by_default_within_a_year(app, anonymous_client, monkeypatch):
    from datetime import datetime

    monkeypatch.setitem(app.config, "SECURITY_CONTACT", "https://gemeente.test/melden")
    response = anonymous_client.get("/.well-known/security.txt")
    expires = next(
        line.removeprefix("Expires: ")
        for line in response.text.splitlines()
        if line.startswith("Expires: ")
    )
    moment = datetime.fromisoformat(expires)
    assert moment.tzinfo is not None
    assert timedelta(days=300) < moment - utcnow() <= timedelta(days=366)


def _session_set_cookie(response) -> str:
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert len(cookies) == 1, response.headers.getlist("Set-Cookie")
    return cookies[0]


def test_session_cookie_is_httponly_and_samesite_lax(anonymous_client, anna):
    cookie = _session_set_cookie(post_sign_in(anonymous_client, EMAIL, TEST_PASSWORD))
    attributes = {part.strip().split("=")[0].lower(): part for part in cookie.split(";")}
    assert "httponly" in attributes
    assert attributes["samesite"].strip() == "SameSite=Lax"
    assert "secure" not in attributes  # plain HTTP in development


def test_session_cookie_is_secure_behind_https(app, database_url, anna):
    https_app = create_app(
        {
            **BASE_TEST_CONFIG,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "FORCE_HTTPS": True,
            "TRUSTED_HOSTS": ["handvat.example.nl"],
        }
    )
    client = https_app.test_client()
    try:
        response = client.post(
            "/inloggen",
            data={"email": EMAIL, "password": TEST_PASSWORD},
            base_url="https://handvat.example.nl",
        )
        assert response.status_code == 302
        cookie = _session_set_cookie(response)
        attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
        assert {"secure", "httponly", "samesite"} <= attributes
    finally:
        with https_app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_an_expired_session_is_told_why_at_sign_in(app, anonymous_client, anna):
    sign_in(anonymous_client, anna)
    _age_sessions(anna, last_seen_dt=utcnow() - timedelta(days=1))
    response = anonymous_client.get("/account")
    assert is_sign_in_redirect(response)
    page = anonymous_client.get(response.location).text
    assert "U was een tijd niet actief" in page
    # A visitor who never signed in is not told that.
    fresh = app.test_client().get("/account")
    assert "U was een tijd niet actief" not in app.test_client().get(fresh.location).text


def test_production_without_rate_limit_storage_does_not_start(monkeypatch, tmp_path):
    """Several servers must share their counters; production must say where."""
    monkeypatch.setenv("DATABASE_URL", "postgresql://handvat@db.example/handvat")
    monkeypatch.setenv("SECRET_KEY", "een-vaste-sleutel-voor-alle-servers")
    monkeypatch.delenv("HANDVAT_RATELIMIT_STORAGE_URI", raising=False)
    with pytest.raises(MissingRateLimitStorage, match="HANDVAT_RATELIMIT_STORAGE_URI"):
        create_app()
    monkeypatch.setenv("HANDVAT_RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/0")
    assert create_app().config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/0"


def test_embedded_default_counts_in_memory(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("HANDVAT_ENV", raising=False)
    app = create_app(dict(CONFIG_WITHOUT_KEY, SECRET_KEY="x"))
    assert app.config["RATELIMIT_STORAGE_URI"] == "memory://"
