"""The pages people use most pass the W3C Nu HTML checker (``vnu.jar``), which nobody here
wrote: the demo's pages as a coordinator sees them, a workshop's control and phone pages, the
calendar feeds and a form sent back with errors.

``.ci/run`` installs the checker (npm package ``vnu-jar``); see ``checkers.py``.
"""

from __future__ import annotations

import re

import pytest

from app.accounts.operations import set_role
from app.accounts.roles import Role
from app.demo.commands import load_demo
from app.extensions import db

from .checkers import assert_valid_html, require_vnu


def csrf_token(page: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def _open_offers(client, tester, region) -> None:
    """A role the tester's region offered to someone else's account, and one offered to the
    tester: the members page and the account page then show their open invitations."""
    from app.accounts.models import RegionInvitation
    from app.regions.operations import ensure_region

    from .accounts import make_user

    elders = ensure_region("Elders", ["Westerveld"])
    make_user("eva@elders.test", "Eva Elders", region=elders)
    db.session.add(
        RegionInvitation(user=tester, region=elders, role=Role.MEMBER, invited_by_name="Eva")
    )
    db.session.commit()
    response = client.post(
        f"/regio/{region.slug}/leden",
        data={"email": "eva@elders.test", "name": "Eva", "role": "member"},
    )
    assert response.status_code == 302


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_pages_pass_the_nu_html_checker(client, anonymous_client, tester, tmp_path):
    require_vnu()  # skipped early without it
    conversation = load_demo()
    set_role(tester, conversation.region, Role.COORDINATOR)
    db.session.commit()
    _open_offers(client, tester, conversation.region)
    first_question = conversation.selected_questions[0].question_id
    pages = {
        "home": "/",
        "conversation": f"/gesprekken/{conversation.id}",
        "question": f"/gesprekken/{conversation.id}/vragen/{first_question}",
        "actions": f"/gesprekken/{conversation.id}/acties",
        "action-list": f"/gesprekken/{conversation.id}/actielijst",
        "region-wide-list": "/acties?status=open-alle",
        "board": "/acties/bord",
        "feeds": "/acties/agenda-abonnementen",
        "regions": "/regio/",
        "region": f"/regio/{conversation.region.slug}",
        "indicators": f"/regio/{conversation.region.slug}/indicatoren",
        "comparison": f"/gesprekken/{conversation.id}/vergelijking",
        "about": "/over",
        "account": "/account",
        "members": f"/regio/{conversation.region.slug}/leden",
    }
    html: dict[str, str] = {}
    for name, url in pages.items():
        response = client.get(url)
        assert response.status_code == 200, (name, response.status_code)
        html[name] = response.get_data(as_text=True)
    # One indicator, with its charts.
    indicator_url = re.search(
        r'<th scope="row"><a href="(/regio/[a-z0-9-]+/indicatoren/[^"/]+)"', html["indicators"]
    )
    html["indicator"] = client.get(indicator_url.group(1)).get_data(as_text=True)
    assert "<svg" in html["indicator"]

    # A form sent back with its errors: the conversation's details without a title.
    edit_url = f"/gesprekken/{conversation.id}/bewerken"
    form = client.get(edit_url).get_data(as_text=True)
    fields = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', form))
    refused = client.post(edit_url, data={**fields, "title": ""})
    assert refused.status_code == 422
    html["details-with-errors"] = refused.get_data(as_text=True)

    # A workshop: the facilitator's control page, the join form and a participant's phone.
    opened = client.get(f"/gesprekken/{conversation.id}/workshop/nieuw").get_data(as_text=True)
    fields = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', opened))
    fields["anonymous"] = "ja"
    response = client.post(f"/gesprekken/{conversation.id}/workshop/nieuw", data=fields)
    assert response.status_code == 303
    control = client.get(response.headers["Location"]).get_data(as_text=True)
    html["workshop-control"] = control
    code = re.search(r"/w/([A-Z0-9]{6})", control).group(1)
    join = anonymous_client.get(f"/w/{code}").get_data(as_text=True)
    html["workshop-join"] = join
    joined = anonymous_client.post("/w", data={"code": code, "csrf_token": csrf_token(join)})
    assert joined.status_code in (200, 303)
    phone = anonymous_client.get(f"/w/{code}").get_data(as_text=True)
    assert "data-phone" in phone  # joined: the phone page, not the join form
    html["workshop-phone"] = phone

    assert_valid_html(html, tmp_path)
