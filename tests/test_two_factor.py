"""The second factor, on SQLite and PostgreSQL: setting it up, signing in with a TOTP code or a
recovery code, replays, the pending step's expiry, and the requirement for privileged roles.

The clock of ``app.accounts.two_factor`` is fixed per test (``clock``), so a code never
changes its time step while a test runs; ``clock.tick()`` moves on to the next step.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pyotp
import pytest
from sqlalchemy import func, select

from app.accounts.models import RecoveryCode, User
from app.accounts.roles import Role
from app.extensions import db

from .accounts import TEST_PASSWORD, make_user, sign_in

EMAIL = "carla@regio.test"
SET_UP = "/account/tweestapsverificatie"
RECOVERY_CODE = re.compile(r"<li>([a-z2-9]{5}-[a-z2-9]{5})</li>")
CODE_REFUSED = "Deze code klopt niet of is al gebruikt."


class Clock:
    def __init__(self):
        # Halfway a 30-second step, so "one step off" stays within the same step too.
        self.now = datetime(2026, 10, 8, 9, 30, 15, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def tick(self, steps: int = 1) -> None:
        self.now += timedelta(seconds=30 * steps)

    def code(self, secret: str, steps: int = 0) -> str:
        return pyotp.TOTP(secret).at(self.now + timedelta(seconds=30 * steps))


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr("app.accounts.two_factor.utcnow", clock)
    return clock


@pytest.fixture
def carla(app, make_region):
    region = make_region()
    return make_user(EMAIL, "Carla Coördinator", region=region, role=Role.COORDINATOR)


def secret_of(user: User) -> str:
    db.session.expire_all()
    return db.session.get(User, user.id).totp_secret


def enable(client, user, clock) -> list[str]:
    """Set up the second factor for the signed-in ``user``; the recovery codes shown."""
    assert client.get(SET_UP).status_code == 200
    response = client.post(SET_UP, data={"code": clock.code(secret_of(user))})
    assert response.status_code == 200, response.text
    codes = RECOVERY_CODE.findall(response.text)
    assert len(codes) == 10
    return codes


@pytest.fixture
def with_two_factor(app, carla, clock):
    """Carla with the second factor on; her recovery codes. She is signed out again."""
    client = app.test_client()
    sign_in(client, carla)
    codes = enable(client, carla, clock)
    client.post("/uitloggen")
    clock.tick()
    return codes


def password_step(client, email=EMAIL, next_target=None):
    query = {"next": next_target} if next_target else {}
    return client.post(
        "/inloggen", query_string=query, data={"email": email, "password": TEST_PASSWORD}
    )


def code_step(client, code):
    return client.post("/inloggen/code", data={"code": code})


def signed_in(client) -> bool:
    return client.get("/account").status_code == 200


# --- setting it up --------------------------------------------------------------------------


def test_set_up_page_shows_an_inline_qr_code(client, tester):
    response = client.get(SET_UP)
    assert response.status_code == 200
    assert "<svg" in response.text
    assert "QR-code voor uw authenticator-app" in response.text
    secret = secret_of(tester)
    # Shown in groups of four, as authenticator apps accept it.
    grouped = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
    assert secret and grouped in response.text
    # Made here: nothing of the secret goes to an outside service.
    assert "https://" not in response.text.split('class="qr-code"')[1].split("</div>")[0]
    # The same secret on the next visit, so a scanned code keeps working.
    client.get(SET_UP)
    assert secret_of(tester) == secret


def test_wrong_code_is_refused(client, tester, clock):
    client.get(SET_UP)
    secret = secret_of(tester)
    wrong = f"{(int(clock.code(secret)) + 1) % 1_000_000:06d}"
    for code in (wrong, "abcdef", "12345", ""):
        response = client.post(SET_UP, data={"code": code})
        assert response.status_code == 422
    db.session.expire_all()
    assert not db.session.get(User, tester.id).has_two_factor


def test_right_code_enables_and_shows_ten_recovery_codes_once(client, tester, clock):
    codes = enable(client, tester, clock)
    assert len(set(codes)) == 10
    db.session.expire_all()
    assert db.session.get(User, tester.id).has_two_factor
    page = client.get(SET_UP)
    assert "Tweestapsverificatie staat aan" in page.text
    assert not any(code in page.text for code in codes)
    assert "nog 10 herstelcodes" in page.text
    # Only hashes are stored.
    stored = db.session.scalars(select(RecoveryCode.code_hash)).all()
    assert len(stored) == 10
    assert not set(codes) & set(stored)


def test_new_recovery_codes_replace_the_old(app, carla, clock, with_two_factor):
    client = app.test_client()
    sign_in(client, carla)
    response = client.post(f"{SET_UP}/herstelcodes")
    new_codes = RECOVERY_CODE.findall(response.text)
    assert len(new_codes) == 10
    client.post("/uitloggen")

    fresh = app.test_client()
    password_step(fresh)
    assert code_step(fresh, with_two_factor[0]).status_code == 422
    assert code_step(fresh, new_codes[0]).status_code == 302


# --- signing in with it ---------------------------------------------------------------------


def test_sign_in_asks_for_the_code(app, carla, clock, with_two_factor):
    client = app.test_client()
    response = password_step(client, next_target="/account")
    assert response.status_code == 302
    assert urlsplit(response.location).path == "/inloggen/code"
    assert not signed_in(client)
    assert client.get("/inloggen/code").status_code == 200

    response = code_step(client, clock.code(secret_of(carla)))
    assert response.status_code == 302
    assert response.location == "/account"
    assert signed_in(client)


def test_code_with_spaces_and_from_the_neighbouring_step_is_accepted(
    app, carla, clock, with_two_factor
):
    client = app.test_client()
    password_step(client)
    code = clock.code(secret_of(carla), steps=1)
    assert code_step(client, f" {code[:3]} {code[3:]} ").status_code == 302


def test_replayed_code_is_refused(app, carla, clock, with_two_factor):
    code = clock.code(secret_of(carla))
    first = app.test_client()
    password_step(first)
    assert code_step(first, code).status_code == 302

    second = app.test_client()
    password_step(second)
    response = code_step(second, code)
    assert response.status_code == 422
    assert CODE_REFUSED in response.text
    assert not signed_in(second)
    # A code of an earlier step is refused as well, also within the window.
    assert code_step(second, clock.code(secret_of(carla), steps=-1)).status_code == 422
    clock.tick()
    assert code_step(second, clock.code(secret_of(carla))).status_code == 302


def test_wrong_code_is_refused_at_sign_in(app, carla, clock, with_two_factor):
    client = app.test_client()
    password_step(client)
    secret = secret_of(carla)
    right = clock.code(secret)
    for code in (f"{(int(right) + 1) % 1_000_000:06d}", clock.code(secret, steps=5), "000"):
        response = code_step(client, code)
        assert response.status_code == 422
        assert CODE_REFUSED in response.text
    assert not signed_in(client)
    # The pending step survives a wrong code.
    assert code_step(client, right).status_code == 302


def test_wrong_password_never_reaches_the_code_step(app, carla, clock, with_two_factor):
    client = app.test_client()
    client.post("/inloggen", data={"email": EMAIL, "password": "verkeerd wachtwoord"})
    response = code_step(client, clock.code(secret_of(carla)))
    assert urlsplit(response.location).path == "/inloggen"
    assert not signed_in(client)


def test_recovery_code_works_once(app, carla, clock, with_two_factor):
    code = with_two_factor[3]
    first = app.test_client()
    password_step(first)
    response = code_step(first, code.upper().replace("-", " "))
    assert response.status_code == 302
    page = first.get(response.location)
    assert page.status_code == 200
    assert "U bent ingelogd met een herstelcode" in page.text
    assert "nog 9" in page.text

    second = app.test_client()
    password_step(second)
    response = code_step(second, code)
    assert response.status_code == 422
    assert CODE_REFUSED in response.text
    assert not signed_in(second)
    assert (
        db.session.scalar(
            select(func.count()).select_from(RecoveryCode).where(RecoveryCode.used_dt.is_(None))
        )
        == 9
    )


def test_recovery_code_of_someone_else_is_refused(app, carla, clock, with_two_factor):
    other = make_user("ander@regio.test", "Ander")
    other_client = app.test_client()
    sign_in(other_client, other)
    other_codes = enable(other_client, other, clock)

    client = app.test_client()
    password_step(client)
    assert code_step(client, other_codes[0]).status_code == 422


def test_pending_step_expires_after_five_minutes(app, carla, clock, with_two_factor):
    client = app.test_client()
    password_step(client)
    with client.session_transaction() as session:
        session["pending_since"] -= 5 * 60 + 1
    response = client.get("/inloggen/code")
    assert urlsplit(response.location).path == "/inloggen"
    response = code_step(client, clock.code(secret_of(carla)))
    assert urlsplit(response.location).path == "/inloggen"
    assert not signed_in(client)


def test_pending_step_within_five_minutes_still_works(app, carla, clock, with_two_factor):
    client = app.test_client()
    password_step(client)
    with client.session_transaction() as session:
        session["pending_since"] -= 4 * 60
    assert code_step(client, clock.code(secret_of(carla))).status_code == 302


def test_code_step_without_password_step(anonymous_client, carla, clock, with_two_factor):
    response = code_step(anonymous_client, clock.code(secret_of(carla)))
    assert urlsplit(response.location).path == "/inloggen"
    with anonymous_client.session_transaction() as session:
        session["pending_user_id"] = carla.id  # forged without the time of the password step
    response = code_step(anonymous_client, clock.code(secret_of(carla)))
    assert urlsplit(response.location).path == "/inloggen"
    assert not signed_in(anonymous_client)


# --- required for privileged roles ----------------------------------------------------------


@pytest.fixture
def required(app, monkeypatch):
    monkeypatch.setitem(app.config, "REQUIRE_TWO_FACTOR", True)


def test_coordinator_without_second_factor_is_sent_to_set_up(
    app, make_region, make_conversation, required
):
    region = make_region()
    conversation = make_conversation(region=region)
    coordinator = make_user("coord@regio.test", region=region, role=Role.COORDINATOR)
    client = app.test_client()
    sign_in(client, coordinator)
    for path in (
        "/",
        f"/gesprekken/{conversation.id}",
        f"/regio/{region.slug}",
        "/gesprekken/nieuw",
    ):
        response = client.get(path)
        assert response.status_code == 302, path
        assert urlsplit(response.location).path == SET_UP
    page = client.get(SET_UP)
    assert page.status_code == 200
    assert "Voor uw rol is tweestapsverificatie verplicht" in page.text
    assert client.get("/account").status_code == 200
    assert client.get("/account/wachtwoord").status_code == 200
    assert client.get("/help/rollen").status_code == 200
    response = client.post("/uitloggen")
    assert urlsplit(response.location).path == "/inloggen"
    assert not signed_in(client)


def test_admin_without_second_factor_is_sent_to_set_up(app, required):
    admin = make_user("beheer@regio.test", admin=True)
    client = app.test_client()
    sign_in(client, admin)
    response = client.get("/beheer")
    assert urlsplit(response.location).path == SET_UP


def test_forced_user_can_set_up_and_go_on(app, make_region, clock, required):
    region = make_region()
    coordinator = make_user("coord@regio.test", region=region, role=Role.COORDINATOR)
    client = app.test_client()
    sign_in(client, coordinator)
    enable(client, coordinator, clock)
    assert client.get("/").status_code == 200


@pytest.mark.parametrize("role", [Role.MEMBER, Role.PROJECT_LEADER, Role.FACILITATOR])
def test_other_roles_are_not_forced(app, make_region, make_conversation, required, role):
    region = make_region()
    conversation = make_conversation(region=region)
    user = make_user("lid@regio.test", region=region, role=role)
    client = app.test_client()
    sign_in(client, user)
    assert client.get("/").status_code == 200
    assert client.get(f"/gesprekken/{conversation.id}").status_code == 200


def test_not_forced_when_the_installation_relaxes_it(client, make_region):
    make_region()
    assert client.get("/").status_code == 200


def disable_data():
    return {"password": TEST_PASSWORD, "confirm": "y"}


def test_cannot_switch_off_when_required(app, carla, clock, with_two_factor, required):
    client = app.test_client()
    password_step(client)
    code_step(client, clock.code(secret_of(carla)))
    page = client.get(SET_UP)
    assert "U kunt het niet uitzetten" in page.text
    response = client.post(f"{SET_UP}/uitzetten", data=disable_data())
    assert urlsplit(response.location).path == SET_UP
    db.session.expire_all()
    assert db.session.get(User, carla.id).has_two_factor


def test_switch_off_when_not_required(app, carla, clock, with_two_factor):
    client = app.test_client()
    sign_in(client, carla)
    wrong = client.post(f"{SET_UP}/uitzetten", data={"password": "verkeerd", "confirm": "y"})
    assert wrong.status_code == 422
    db.session.expire_all()
    assert db.session.get(User, carla.id).has_two_factor

    response = client.post(f"{SET_UP}/uitzetten", data=disable_data())
    assert urlsplit(response.location).path == "/account"
    db.session.expire_all()
    user = db.session.get(User, carla.id)
    assert not user.has_two_factor and user.totp_secret is None
    assert db.session.scalar(select(func.count()).select_from(RecoveryCode)) == 0
    fresh = app.test_client()
    assert password_step(fresh).location == "/"
