"""``flask users add`` and the demo accounts of ``flask demo``, on SQLite and PostgreSQL: what
the commands print works in the browser (a link, printed credentials)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from app.accounts.models import AccountLink, Membership, User
from app.accounts.roles import Role
from app.extensions import db

STRONG = "een lange zin die niemand raadt"
LINK = re.compile(r"(https?://\S+/link/\S+)")


@pytest.fixture
def region(make_region):
    return make_region("Twente", role=None)


def add_user(runner, *args, input=None):
    return runner.invoke(args=["users", "add", *args], input=input)


def find(email) -> User | None:
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.email == email))


def roles_of(user) -> dict[str, Role]:
    return {m.region.slug: m.role for m in user.memberships}


def sign_in(app, email, password):
    client = app.test_client()
    response = client.post("/inloggen", data={"email": email, "password": password})
    return client, response


def test_add_admin_with_password_from_stdin(app, runner):
    result = add_user(
        runner,
        "Beheer@Gemeente.test",
        "--name",
        "Bea Beheer",
        "--admin",
        "--password-stdin",
        input=STRONG + "\n",
    )
    assert result.exit_code == 0, result.output
    assert "beheer@gemeente.test aangemaakt: beheerder" in result.output
    assert "link" not in result.output.lower()
    user = find("beheer@gemeente.test")
    assert user.is_admin and user.name == "Bea Beheer"
    client, response = sign_in(app, "beheer@gemeente.test", STRONG)
    assert response.status_code == 302
    assert client.get("/beheer").status_code == 200


@pytest.mark.parametrize("role", list(Role))
def test_add_with_region_and_role(app, runner, region, role):
    result = add_user(
        runner,
        "lid@gemeente.test",
        "--name",
        "Lars Lid",
        "--region",
        region.slug,
        "--role",
        role.value,
        "--password-stdin",
        input=STRONG + "\r\n",
    )
    assert result.exit_code == 0, result.output
    assert f"{role.label.lower()} in Twente" in result.output
    user = find("lid@gemeente.test")
    assert roles_of(user) == {region.slug: role}
    assert not user.is_admin
    client, response = sign_in(app, "lid@gemeente.test", STRONG)
    assert response.status_code == 302
    assert client.get(f"/regio/{region.slug}").status_code == 200


def test_without_password_stdin_prints_a_link_that_works_once(app, runner, region):
    result = add_user(
        runner,
        "nieuw@gemeente.test",
        "--name",
        "Nina Nieuw",
        "--region",
        region.slug,
        "--role",
        "facilitator",
    )
    assert result.exit_code == 0, result.output
    links = LINK.findall(result.output)
    assert len(links) == 1
    assert "één keer" in result.output
    path = urlsplit(links[0]).path
    client = app.test_client()
    assert client.get(path).status_code == 200
    response = client.post(path, data={"password": STRONG, "repeat": STRONG})
    assert response.status_code == 302
    assert client.get(path).status_code == 404
    assert sign_in(app, "nieuw@gemeente.test", STRONG)[1].status_code == 302


def test_the_printed_link_names_the_production_site(app, runner, region, monkeypatch):
    """Behind ``TRUSTED_HOSTS`` a link to the development address would not even be built."""
    monkeypatch.setitem(app.config, "TRUSTED_HOSTS", [".example.nl", "handvat.example.nl"])
    monkeypatch.setitem(app.config, "FORCE_HTTPS", True)
    result = add_user(runner, "beheer@example.nl", "--name", "Beheerder", "--admin")
    assert result.exit_code == 0, result.output
    [link] = LINK.findall(result.output)
    assert link.startswith("https://handvat.example.nl/link/"), link


def test_rerun_adds_a_role_instead_of_failing(app, runner, region, make_region):
    other = make_region("Achterhoek", ("Winterswijk",), role=None)
    first = add_user(
        runner,
        "anna@gemeente.test",
        "--name",
        "Anna",
        "--region",
        region.slug,
        "--role",
        "member",
        "--password-stdin",
        input=STRONG + "\n",
    )
    assert first.exit_code == 0, first.output
    again = add_user(
        runner,
        "ANNA@gemeente.test",
        "--name",
        "Andere naam",
        "--region",
        other.slug,
        "--role",
        "coordinator",
    )
    assert again.exit_code == 0, again.output
    assert "bijgewerkt" in again.output
    # She has a password already: no link that would replace it.
    assert not LINK.search(again.output)
    user = find("anna@gemeente.test")
    assert user.name == "Anna"
    assert roles_of(user) == {region.slug: Role.MEMBER, other.slug: Role.COORDINATOR}

    changed = add_user(
        runner,
        "anna@gemeente.test",
        "--name",
        "Anna",
        "--region",
        region.slug,
        "--role",
        "project-leader",
    )
    assert changed.exit_code == 0, changed.output
    assert roles_of(find("anna@gemeente.test"))[region.slug] is Role.PROJECT_LEADER
    admin = add_user(runner, "anna@gemeente.test", "--name", "Anna", "--admin")
    assert admin.exit_code == 0, admin.output
    user = find("anna@gemeente.test")
    assert user.is_admin and len(user.memberships) == 2
    assert db.session.scalar(select(func.count()).select_from(User)) == 2  # with the tester
    assert sign_in(app, "anna@gemeente.test", STRONG)[1].status_code == 302


def test_unknown_region_is_a_dutch_error(app, runner, region):
    result = add_user(
        runner,
        "x@gemeente.test",
        "--name",
        "X",
        "--region",
        "atlantis",
        "--role",
        "member",
    )
    assert result.exit_code != 0
    assert "Regio 'atlantis' bestaat niet" in result.output
    assert region.slug in result.output
    assert find("x@gemeente.test") is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "Geef --admin, of --region en --role."),
        (("--region", "twente"), "Geef --admin, of --region en --role."),
        (("--role", "member", "--admin"), "--region en --role horen bij elkaar"),
    ],
)
def test_missing_options_are_refused(runner, region, args, message):
    result = add_user(runner, "x@gemeente.test", "--name", "X", *args)
    assert result.exit_code != 0
    assert message in result.output
    assert find("x@gemeente.test") is None


def test_invalid_address_is_refused(runner):
    result = add_user(runner, "geen-adres", "--name", "X", "--admin")
    assert result.exit_code != 0
    assert "Vul een geldig e-mailadres in" in result.output
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("kort", "minstens 10 tekens"),
        ("wachtwoord123", "veel gebruikt"),
        ("zwak@gemeente.test", "naam of e-mailadres"),
        ("", "minstens 10 tekens"),
    ],
)
def test_weak_password_from_stdin_stores_nothing(runner, region, password, message):
    result = add_user(
        runner,
        "zwak@gemeente.test",
        "--name",
        "Zwak",
        "--region",
        region.slug,
        "--role",
        "coordinator",
        "--password-stdin",
        input=password + "\n",
    )
    assert result.exit_code != 0
    assert message in result.output
    assert find("zwak@gemeente.test") is None
    assert db.session.scalar(select(func.count()).select_from(Membership)) == 0
    assert db.session.scalar(select(func.count()).select_from(AccountLink)) == 0


def test_weak_password_for_an_existing_user_changes_nothing(app, runner, region):
    add_user(
        runner,
        "anna@gemeente.test",
        "--name",
        "Anna",
        "--region",
        region.slug,
        "--role",
        "member",
        "--password-stdin",
        input=STRONG + "\n",
    )
    result = add_user(
        runner,
        "anna@gemeente.test",
        "--name",
        "Anna",
        "--region",
        region.slug,
        "--role",
        "coordinator",
        "--password-stdin",
        input="kort\n",
    )
    assert result.exit_code != 0
    assert roles_of(find("anna@gemeente.test")) == {region.slug: Role.MEMBER}
    assert sign_in(app, "anna@gemeente.test", STRONG)[1].status_code == 302


def test_users_list(runner, region):
    add_user(
        runner,
        "anna@gemeente.test",
        "--name",
        "Anna",
        "--region",
        region.slug,
        "--role",
        "project-leader",
    )
    result = runner.invoke(args=["users", "list"])
    assert result.exit_code == 0
    assert f"anna@gemeente.test\tAnna\tproject-leader@{region.slug}" in result.output


# --- flask demo -------------------------------------------------------------------------------

CREDENTIALS = re.compile(r"e-mail: (\S+) wachtwoord: (\S+)\s+\(([^)]*)\)")


def test_demo_prints_credentials_that_sign_in(app, runner):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    accounts = {
        email: (password, roles) for email, password, roles in CREDENTIALS.findall(result.output)
    }
    roles = {r for _password, r in accounts.values()}
    assert {"coördinator", "gespreksleider"} <= roles
    for email, (password, _roles) in accounts.items():
        client, response = sign_in(app, email, password)
        assert response.status_code == 302, email
        assert client.get("/account").status_code == 200

    # Each run gives new passwords; the old ones stop working.
    again = runner.invoke(args=["demo"])
    assert again.exit_code == 0, again.output
    new = dict((e, p) for e, p, _r in CREDENTIALS.findall(again.output))
    assert new.keys() == accounts.keys()
    coordinator = next(e for e, (_p, r) in accounts.items() if r == "coördinator")
    assert sign_in(app, coordinator, accounts[coordinator][0])[1].status_code == 422
    client, response = sign_in(app, coordinator, new[coordinator])
    assert response.status_code == 302
    # The coordinator sees the demo conversation of the demo region.
    home = client.get("/")
    assert home.status_code == 200
    assert "Twente" in home.text
