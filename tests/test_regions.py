"""The regions a user works in: the page header's links to them, and the list of them.

``client`` is Tess, coordinator of every region ``make_region`` makes (unless told otherwise).
"""

from __future__ import annotations

import re

from app.accounts.roles import Role

from .accounts import make_user, sign_in


def _nav(page: str) -> str:
    return re.search(r'<nav aria-label="Hoofdmenu">(.*?)</nav>', page, re.S).group(1)


def test_up_to_three_regions_each_have_a_link_in_the_header(client, make_region):
    for name in ("Twente", "Achterhoek", "Zwolle"):
        make_region(name, ())
    nav = _nav(client.get("/").text)
    assert "Regio Twente" in nav and "Regio Achterhoek" in nav and "Regio Zwolle" in nav
    assert "Regio's" not in nav
    current = _nav(client.get("/regio/twente").text)
    assert '<a href="/regio/twente" aria-current="page">Regio Twente</a>' in current


def test_with_more_regions_the_header_links_to_the_list_of_them(client, make_region):
    names = ["Twente", "Achterhoek", "Zwolle", "Rijnmond", "Drechtsteden"]
    for name in names:
        make_region(name, ())
    nav = _nav(client.get("/").text)
    assert re.search(r'<a href="/regio/"\s*>Regio\'s</a>', nav)
    assert not any(f"Regio {name}" in nav for name in names)
    nav_on_list = _nav(client.get("/regio/").text)
    assert '<a href="/regio/" aria-current="page">Regio\'s</a>' in nav_on_list


def test_the_list_shows_the_users_regions_with_role_and_conversations(
    app, client, make_region, make_conversation
):
    twente = make_region("Twente", ())
    zwolle = make_region("Zwolle", (), role=Role.MEMBER)
    make_region("Rijnmond", (), role=None)  # Tess has no role there
    make_conversation(region=twente)
    make_conversation(title="Tweede overleg", region=twente)
    page = client.get("/regio/")
    assert page.status_code == 200
    assert "<h1>Uw regio's</h1>" in page.text and "U werkt in 2 regio's." in page.text
    rows = re.findall(
        r'<tr>\s*<th scope="row">(.*?)</th>\s*<td>(.*?)</td>\s*<td>(.*?)</td>', page.text, re.S
    )
    assert rows == [
        ('<a href="/regio/twente">Twente</a>', "Coördinator", "2"),
        ('<a href="/regio/zwolle">Zwolle</a>', "Lid", "0"),
    ]
    assert 'href="/acties?regio=zwolle"' in page.text
    assert "Rijnmond" not in page.text and zwolle.slug == "zwolle"


def test_someone_without_a_region_is_told_how_to_get_one(app, anonymous_client):
    newcomer = make_user("nieuw@handvat.test", "Nieuw")
    sign_in(anonymous_client, newcomer)
    page = anonymous_client.get("/regio/")
    assert page.status_code == 200
    assert "U heeft nog geen rol in een regio." in page.text
    assert "<table" not in page.text


def test_the_list_needs_a_signed_in_user(anonymous_client):
    response = anonymous_client.get("/regio/")
    assert response.status_code == 302 and "/inloggen" in response.headers["Location"]
