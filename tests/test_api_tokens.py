"""Personal access tokens: the page under Mijn account and ``flask --app app tokens``, on
SQLite and PostgreSQL. A token is shown once, stored as its SHA-256 only, works at once and
stops at once when revoked."""

from __future__ import annotations

import hashlib
import re

import pytest
import sqlalchemy as sa

from app.api.models import ApiToken, TokenScope
from app.api.operations import MAX_TOKENS_PER_USER
from app.extensions import db

from .accounts import make_user, sign_in

TOKEN = re.compile(r"hvt_[A-Za-z0-9_-]{43}")


def shown_token(page: str) -> str:
    (token,) = set(TOKEN.findall(page))
    return token


def api_status(app, token: str, path: str = "/api/v1/regions") -> int:
    return app.test_client().get(path, headers={"Authorization": f"Bearer {token}"}).status_code


def test_make_a_token_and_see_it_once(app, client, tester, make_region):
    make_region()
    page = client.get("/account/api-sleutels")
    assert page.status_code == 200
    assert "U heeft nog geen API-sleutels." in page.text
    made = client.post("/account/api-sleutels", data={"name": "Power BI", "scope": "read"})
    assert made.status_code == 200
    assert "U ziet hem maar één keer" in made.text
    token = shown_token(made.text)
    stored = db.session.scalars(sa.select(ApiToken)).one()
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token.startswith(stored.token_prefix) and len(stored.token_prefix) == 12
    assert stored.scope is TokenScope.READ and stored.user_id == tester.id
    assert made.headers["Cache-Control"] == "private, no-store"
    # The list shows the name, scope and start; never the token again.
    listed = client.get("/account/api-sleutels").text
    assert "Power BI" in listed and "Alleen lezen" in listed and stored.token_prefix in listed
    assert token not in listed and not TOKEN.search(listed)
    assert "nog niet" in listed
    assert api_status(app, token) == 200
    listed = client.get("/account/api-sleutels").text
    assert "nog niet" not in listed
    account = client.get("/account").text
    assert "U heeft 1 API-sleutel" in account and "API-sleutels beheren" in account


def test_a_double_submit_makes_one_token(app, client, make_region):
    make_region()
    form = {"name": "Dashboard", "scope": "write"}
    first = shown_token(client.post("/account/api-sleutels", data=form).text)
    second_page = client.post("/account/api-sleutels", data=form).text
    second = shown_token(second_page)
    assert "U had dit formulier net al verstuurd" in second_page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 1
    assert api_status(app, first) == 401 and api_status(app, second) == 200
    # Once the token is in use, the same name is refused: nothing is replaced behind its back.
    again = client.post("/account/api-sleutels", data=form)
    assert again.status_code == 422
    assert "U heeft al een sleutel met de naam ‘Dashboard’" in again.text
    assert 'value="Dashboard"' in again.text
    assert api_status(app, second) == 200


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"name": "", "scope": "read"}, "Geef de sleutel een naam"),
        ({"name": "x" * 81, "scope": "read"}, "De naam is te lang"),
        ({"name": "Goed", "scope": "alles"}, "Ongeldige keuze"),
    ],
)
def test_a_wrong_form_keeps_what_was_typed(client, form, message):
    response = client.post("/account/api-sleutels", data=form)
    assert response.status_code == 422
    assert message.lower() in response.text.lower()
    if form.get("name"):
        assert f'value="{form["name"]}"' in response.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 0


def test_without_a_scope_a_token_may_only_read(client):
    response = client.post("/account/api-sleutels", data={"name": "Zonder keuze"})
    assert response.status_code == 200 and "alleen lezen" in response.text
    assert db.session.scalars(sa.select(ApiToken.scope)).one() is TokenScope.READ


def test_the_number_of_tokens_is_bounded(client):
    for number in range(MAX_TOKENS_PER_USER):
        client.post("/account/api-sleutels", data={"name": f"Sleutel {number}", "scope": "read"})
    refused = client.post("/account/api-sleutels", data={"name": "Eén te veel", "scope": "read"})
    assert refused.status_code == 422 and "het hoogste aantal" in refused.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == (
        MAX_TOKENS_PER_USER
    )


def test_revoke_works_at_once_and_only_on_ones_own(app, client, tester):
    made = client.post("/account/api-sleutels", data={"name": "Weg", "scope": "read"})
    token = shown_token(made.text)
    other = make_user("ander@handvat.test", "Ander")
    other_client = app.test_client()
    sign_in(other_client, other)
    form = {"name": "Van een ander", "scope": "read"}
    theirs = shown_token(other_client.post("/account/api-sleutels", data=form).text)
    mine_id, theirs_id = db.session.scalars(sa.select(ApiToken.id).order_by(ApiToken.id)).all()
    # Someone else's token id: nothing happens to it.
    response = client.post("/account/api-sleutels/intrekken", data={"token_id": str(theirs_id)})
    assert response.status_code == 302
    assert "staat niet (meer) bij uw account" in client.get(response.location).text
    assert api_status(app, theirs) == 200
    response = client.post("/account/api-sleutels/intrekken", data={"token_id": str(mine_id)})
    assert "‘Weg’ is ingetrokken" in client.get(response.location).text
    assert api_status(app, token) == 401
    for hostile in ("", "0", "-1", "9" * 40, "١", "1\x00"):
        response = client.post("/account/api-sleutels/intrekken", data={"token_id": hostile})
        assert response.status_code == 302
    assert api_status(app, theirs) == 200


def test_the_page_needs_a_signed_in_user(anonymous_client):
    response = anonymous_client.get("/account/api-sleutels")
    assert response.status_code == 302 and "/inloggen" in response.location
    response = anonymous_client.post("/account/api-sleutels", data={"name": "x", "scope": "read"})
    assert response.status_code == 401
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 0


def test_the_forms_need_their_csrf_token(app, tester):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        browser = app.test_client()
        sign_in(browser, tester)
        response = browser.post("/account/api-sleutels", data={"name": "x", "scope": "read"})
        assert response.status_code == 400
        page = browser.get("/account/api-sleutels").text
        csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        response = browser.post(
            "/account/api-sleutels", data={"name": "x", "scope": "read", "csrf_token": csrf}
        )
        assert response.status_code == 200 and TOKEN.search(response.text)
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


# --- the command line -------------------------------------------------------------------------


def test_cli_create_prints_the_token_last(app, runner, tester, make_region):
    make_region()
    result = runner.invoke(
        args=["tokens", "create", "TESS@handvat.test", "--scope", "write", "--name", "Script"]
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    token = lines[-1]
    assert TOKEN.fullmatch(token) and len(lines) == 1
    assert "één keer" in result.stderr
    stored = db.session.scalars(sa.select(ApiToken)).one()
    assert (stored.name, stored.scope) == ("Script", TokenScope.WRITE)
    assert api_status(app, token) == 200
    # Without a name: one is made up.
    result = runner.invoke(args=["tokens", "create", "tess@handvat.test", "--scope", "read"])
    assert result.exit_code == 0
    assert TOKEN.fullmatch(result.stdout.strip().splitlines()[-1])


def test_cli_list_and_revoke(app, runner, tester):
    created = runner.invoke(
        args=["tokens", "create", "tess@handvat.test", "--scope", "read", "--name", "Power BI"]
    )
    token = created.stdout.strip().splitlines()[-1]
    listed = runner.invoke(args=["tokens", "list", "tess@handvat.test"])
    assert listed.exit_code == 0
    assert "Power BI\tread\t" + token[:12] + "…" in listed.output
    assert token not in listed.output
    revoked = runner.invoke(args=["tokens", "revoke", "tess@handvat.test", "Power BI"])
    assert revoked.exit_code == 0 and "ingetrokken" in revoked.output
    assert api_status(app, token) == 401
    assert "geen sleutels" in runner.invoke(args=["tokens", "list", "tess@handvat.test"]).output


@pytest.mark.parametrize(
    "args",
    [
        ["tokens", "create", "niemand@handvat.test", "--scope", "read"],
        ["tokens", "list", "niemand@handvat.test"],
        ["tokens", "revoke", "niemand@handvat.test", "Power BI"],
        ["tokens", "revoke", "tess@handvat.test", "Bestaat niet"],
        ["tokens", "create", "tess@handvat.test", "--scope", "alles"],
        ["tokens", "create", "tess@handvat.test"],
        ["tokens", "create", "tess@handvat.test", "--scope", "read", "--name", "x" * 81],
    ],
)
def test_cli_errors_are_clear_and_exit_non_zero(runner, tester, args):
    result = runner.invoke(args=args)
    assert result.exit_code != 0
    if "niemand@handvat.test" in args:
        assert "Er is geen account met het e-mailadres 'niemand@handvat.test'" in result.output
    assert not TOKEN.search(result.stdout)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 0


def test_cli_refuses_a_name_in_use(runner, tester):
    args = ["tokens", "create", "tess@handvat.test", "--scope", "read", "--name", "Dubbel"]
    assert runner.invoke(args=args).exit_code == 0
    again = runner.invoke(args=args)
    assert again.exit_code == 1 and "al een sleutel met de naam ‘Dubbel’" in again.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 1
