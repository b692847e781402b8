"""The administrator's pages: regions, users and their roles, questionnaire versions."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from app.accounts.models import AccountLink, LinkPurpose, User, UserSession
from app.accounts.roles import Role
from app.audit.models import AuditEvent
from app.extensions import db
from app.regions.models import Region

from .accounts import make_user, sign_in
from .test_members import (
    LINK_TEXT,
    mailed_link,
    membership_of,
    set_password_and_sign_in,
    shown_link,
    user_by_email,
)

#: As in the member tests: an empty ``g`` per request (``mailbox`` is in conftest too).
pytestmark = pytest.mark.usefixtures("fresh_g_per_request")


@pytest.fixture
def admin(app):
    return make_user("beheer@handvat.test", "Bea Beheer", admin=True)


@pytest.fixture
def admin_client(app, admin):
    client = app.test_client()
    sign_in(client, admin)
    return client


def invite(client, email="nina@gemeente.test", name="Nina Nieuw", **fields):
    return client.post("/beheer/gebruikers", data={"email": email, "name": name, **fields})


def admin_urls(app) -> list[tuple[str, str]]:
    """(method, url) of every route of the admin blueprint, with ids filled in."""
    urls = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("admin."):
            continue
        url = rule.rule.replace("<id:user_id>", "1").replace("<id:membership_id>", "1")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            urls.append((method, url))
    return urls


# --- who may ---------------------------------------------------------------------------------


def test_every_admin_page_is_403_for_a_non_admin(app, client, make_region, tester):
    """Tess is coordinator of a region, but no administrator."""
    region = make_region()
    other = make_user("piet@gemeente.test", "Piet", region=region)
    urls = admin_urls(app)
    assert len(urls) >= 12
    for method, url in urls:
        url = url.replace("/1", f"/{other.id}", 1)
        response = client.open(
            url, method=method, data={"email": "x@y.nl", "name": "X", "is_admin": "ja"}
        )
        assert response.status_code == 403, (method, url)
    db.session.expire_all()
    assert not db.session.get(User, tester.id).is_admin
    assert db.session.get(User, other.id) is not None
    assert user_by_email("x@y.nl") is None
    # And the menu does not offer it.
    assert "/beheer" not in client.get("/").text


def test_anonymous_is_sent_to_sign_in(app, anonymous_client):
    for method, url in admin_urls(app):
        response = anonymous_client.open(url, method=method)
        assert response.status_code == (302 if method == "GET" else 401), (method, url)


def test_index_links_to_every_part(admin_client):
    response = admin_client.get("/beheer")
    assert response.status_code == 200
    for url in ("/beheer/regios", "/beheer/gebruikers", "/beheer/vragenlijsten"):
        assert url in response.text


def test_admin_without_a_role_sees_no_region_pages(admin_client, make_region, make_conversation):
    region = make_region("Twente", role=None)
    conversation = make_conversation("Geheim overleg", region=region)
    assert admin_client.get(f"/regio/{region.slug}/leden").status_code == 404
    assert admin_client.get(f"/gesprekken/{conversation.id}").status_code == 404
    assert "Geheim overleg" not in admin_client.get("/beheer/regios").text


# --- regions ---------------------------------------------------------------------------------


def test_add_region_with_municipalities_and_counts(admin_client, make_region, make_conversation):
    twente = make_region("Twente", role=None)
    make_user("piet@gemeente.test", "Piet", region=twente)
    make_conversation("Overleg", region=twente)
    response = admin_client.post(
        "/beheer/regios",
        data={"name": " Achterhoek ", "municipalities": "Winterswijk\r\n\r\nAalten\nWinterswijk\n"},
    )
    assert response.status_code == 302
    page = admin_client.get("/beheer/regios")
    assert "Regio Achterhoek is aangemaakt, met 2 gemeente(n)" in page.text
    achterhoek = db.session.scalar(select(Region).where(Region.name == "Achterhoek"))
    assert sorted(m.name for m in achterhoek.municipalities) == ["Aalten", "Winterswijk"]
    # Twente: 1 member (Piet), 1 conversation.
    assert "<td>1</td>\n      <td>1</td>" in page.text
    # Again, with one more municipality: added, nothing doubled.
    response = admin_client.post(
        "/beheer/regios", data={"name": "Achterhoek", "municipalities": "Aalten\nLochem"}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert len(achterhoek.municipalities) == 3
    assert "1 gemeente(n) bijgekomen" in admin_client.get("/beheer/regios").text


def test_region_errors_are_dutch_and_keep_the_typed_text(admin_client, make_region):
    make_region("Twente", role=None)
    response = admin_client.post(
        "/beheer/regios", data={"name": "  ", "municipalities": "Almelo\nHengelo"}
    )
    assert response.status_code == 422
    assert "Vul de naam van de regio in" in response.text
    assert "Almelo\nHengelo" in response.text
    response = admin_client.post(
        "/beheer/regios", data={"name": "TWENTE!", "municipalities": "Almelo"}
    )
    assert response.status_code == 422
    assert "lijkt te veel op die van regio Twente" in response.text
    assert 'value="TWENTE!"' in response.text
    response = admin_client.post(
        "/beheer/regios", data={"name": "Regio", "municipalities": "x" * 121}
    )
    assert response.status_code == 422
    assert "De naam van de gemeente is te lang" in response.text
    assert db.session.scalar(select(func.count()).select_from(Region)) == 1


# --- users -----------------------------------------------------------------------------------


def test_users_list_shows_roles_two_factor_and_password(admin_client, make_region, tester):
    make_region("Twente")
    invite(admin_client, "open@gemeente.test", "Olga Open", is_admin="y")
    page = admin_client.get("/beheer/gebruikers")
    assert page.status_code == 200
    text = page.text
    assert "Tess Tester" in text and "tess@handvat.test" in text
    assert "Coördinator in Twente" in text
    assert "Bea Beheer" in text and "Olga Open" in text
    assert "Uitgenodigd, nog geen wachtwoord" in text and "Wachtwoord ingesteld" in text
    assert "Tweestapsverificatie" in text


def test_invite_without_mail_shows_the_link_that_lets_them_sign_in(app, admin_client, make_region):
    twente = make_region("Twente", role=None)
    response = invite(
        admin_client, "Nina@Gemeente.test", region_id=str(twente.id), role="facilitator"
    )
    assert response.status_code == 200
    assert LINK_TEXT in response.text and "readonly" in response.text
    nina = user_by_email("nina@gemeente.test")
    assert membership_of(nina, twente).role is Role.FACILITATOR and not nina.is_admin
    person = set_password_and_sign_in(app, shown_link(response), "nina@gemeente.test")
    assert person.get(f"/regio/{twente.slug}").status_code == 200


def test_invite_an_admin_with_mail(app, admin_client, mailbox):
    response = invite(admin_client, is_admin="y")
    assert response.status_code == 302
    page = admin_client.get(response.headers["Location"])
    assert "per e-mail verstuurd naar nina@gemeente.test" in page.text
    assert "/link/" not in page.text
    assert len(mailbox) == 1 and "Bea Beheer" in mailbox[0].get_content()
    assert user_by_email("nina@gemeente.test").is_admin
    person = set_password_and_sign_in(app, mailed_link(mailbox[0]), "nina@gemeente.test")
    assert person.get("/beheer").status_code == 200


def test_invite_an_existing_account_only_adds_the_role(admin_client, make_region):
    twente = make_region("Twente", role=None)
    piet = make_user("piet@gemeente.test", "Piet")
    response = invite(
        admin_client, "piet@gemeente.test", "Andere naam", region_id=str(twente.id), role="member"
    )
    assert response.status_code == 302
    assert "kan meteen inloggen" in admin_client.get(response.headers["Location"]).text
    assert membership_of(piet, twente).role is Role.MEMBER
    assert user_by_email("piet@gemeente.test").name == "Piet"
    assert db.session.scalar(select(func.count()).select_from(AccountLink)) == 0


def test_invite_errors_keep_the_typed_values(admin_client, make_region):
    twente = make_region("Twente", role=None)
    response = invite(admin_client, "nina@gemeente.test", "Nina Nieuw")
    assert response.status_code == 422
    assert "Kies een regio en een rol, of maak de persoon beheerder" in response.text
    assert 'value="nina@gemeente.test"' in response.text and 'value="Nina Nieuw"' in response.text
    response = invite(admin_client, region_id=str(twente.id))
    assert response.status_code == 422
    assert "Kies een regio én een rol" in response.text
    response = invite(admin_client, region_id="999999", role="member")
    assert response.status_code == 422
    assert user_by_email("nina@gemeente.test") is None


# --- one user --------------------------------------------------------------------------------


def test_give_change_and_remove_roles(admin_client, make_region):
    twente = make_region("Twente", role=None)
    achterhoek = make_region("Achterhoek", role=None)
    piet = make_user("piet@gemeente.test", "Piet")
    url = f"/beheer/gebruikers/{piet.id}"
    assert admin_client.get(url).status_code == 200
    for _ in range(2):  # double submit: the same role twice is fine
        response = admin_client.post(f"{url}/rol", data={"region_id": twente.id, "role": "member"})
        assert response.status_code == 302
    admin_client.post(f"{url}/rol", data={"region_id": achterhoek.id, "role": "coordinator"})
    admin_client.post(f"{url}/rol", data={"region_id": twente.id, "role": "project-leader"})
    assert membership_of(piet, twente).role is Role.PROJECT_LEADER
    assert membership_of(piet, achterhoek).role is Role.COORDINATOR
    page = admin_client.get(url).text
    assert "Projectleider" in page and "Coördinator" in page
    membership_id = membership_of(piet, twente).id
    for _ in range(2):
        response = admin_client.post(f"{url}/rollen/{membership_id}/verwijderen")
        assert response.status_code == 302
    assert membership_of(piet, twente) is None
    assert "al weggehaald" in admin_client.get(url).text
    # Removing Achterhoek's only coordinator is allowed here, with a warning.
    coordinator = membership_of(piet, achterhoek).id
    response = admin_client.post(f"{url}/rollen/{coordinator}/verwijderen")
    assert "heeft geen coördinator meer" in admin_client.get(response.headers["Location"]).text
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.object_type == "membership")
        )
        == 5
    )


def _checked_role(page: str) -> list[str]:
    radios = re.findall(r'<input[^>]*name="role"[^>]*>', page)
    return [re.search(r'value="([^"]+)"', r)[1] for r in radios if re.search(r"\bchecked\b", r)]


def test_role_form_never_stands_on_a_demotion(admin_client, make_region):
    """One click on "Rol opslaan" must not turn a project leader into a member: with one role
    the form stands on it, with more it stands on none."""
    twente = make_region("Twente", role=None)
    achterhoek = make_region("Achterhoek", role=None)
    piet = make_user("piet@gemeente.test", "Piet")
    url = f"/beheer/gebruikers/{piet.id}"
    admin_client.post(f"{url}/rol", data={"region_id": twente.id, "role": "project-leader"})
    page = admin_client.get(url).text
    assert _checked_role(page) == ["project-leader"]
    assert re.search(
        rf'<option[^>]*selected[^>]*value="{twente.id}"|'
        rf'<option[^>]*value="{twente.id}"[^>]*selected',
        page,
    )
    admin_client.post(f"{url}/rol", data={"region_id": achterhoek.id, "role": "coordinator"})
    assert _checked_role(admin_client.get(url).text) == []
    # Nothing chosen: told so, nothing changed.
    response = admin_client.post(f"{url}/rol", data={"region_id": twente.id})
    assert response.status_code == 422 and "Kies een rol." in response.text
    assert membership_of(piet, twente).role is Role.PROJECT_LEADER


def test_role_form_errors(admin_client, make_region):
    make_region("Twente", role=None)
    piet = make_user("piet@gemeente.test", "Piet")
    response = admin_client.post(
        f"/beheer/gebruikers/{piet.id}/rol", data={"region_id": "abc", "role": "baas"}
    )
    assert response.status_code == 422
    assert "Controleer uw invoer" in response.text


def test_a_membership_of_another_user_cannot_be_removed_through_this_user(
    admin_client, make_region
):
    twente = make_region("Twente", role=None)
    piet = make_user("piet@gemeente.test", "Piet", region=twente)
    anna = make_user("anna@gemeente.test", "Anna")
    response = admin_client.post(
        f"/beheer/gebruikers/{anna.id}/rollen/{membership_of(piet, twente).id}/verwijderen"
    )
    assert response.status_code == 302
    assert membership_of(piet, twente) is not None


def test_make_and_unmake_admin_never_the_last(admin_client, admin):
    piet = make_user("piet@gemeente.test", "Piet")
    url = f"/beheer/gebruikers/{piet.id}/beheerder"
    # The only admin cannot step down.
    response = admin_client.post(
        f"/beheer/gebruikers/{admin.id}/beheerder", data={"is_admin": "nee"}
    )
    assert response.status_code == 302
    assert "enige beheerder" in admin_client.get(response.headers["Location"]).text
    assert user_by_email(admin.email).is_admin
    for _ in range(2):
        assert admin_client.post(url, data={"is_admin": "ja"}).status_code == 302
    assert user_by_email("piet@gemeente.test").is_admin
    assert admin_client.post(url, data={"is_admin": "nee"}).status_code == 302
    assert not user_by_email("piet@gemeente.test").is_admin
    assert admin_client.post(url, data={"is_admin": "misschien"}).status_code == 400
    # With two admins, one may step down; the page is then closed to them.
    admin_client.post(url, data={"is_admin": "ja"})
    response = admin_client.post(
        f"/beheer/gebruikers/{admin.id}/beheerder", data={"is_admin": "nee"}
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/")
    assert admin_client.get("/beheer").status_code == 403


def test_reset_link_is_shown_without_mail_and_works(app, admin_client):
    piet = make_user("piet@gemeente.test", "Piet")
    response = admin_client.post(f"/beheer/gebruikers/{piet.id}/link")
    assert response.status_code == 200
    assert "Geef deze link door; hij werkt één keer en 60 minuten lang" in response.text
    link = db.session.scalar(select(AccountLink).where(AccountLink.user_id == piet.id))
    assert link.purpose is LinkPurpose.PASSWORD_RESET
    set_password_and_sign_in(app, shown_link(response), "piet@gemeente.test")


def test_link_for_someone_without_password_is_a_new_invitation(admin_client):
    invite(admin_client, is_admin="y")
    nina = user_by_email("nina@gemeente.test")
    response = admin_client.post(f"/beheer/gebruikers/{nina.id}/link")
    assert LINK_TEXT in response.text
    links = db.session.scalars(select(AccountLink).where(AccountLink.user_id == nina.id)).all()
    assert {link.purpose for link in links} == {LinkPurpose.INVITATION}
    assert sum(link.used_dt is None for link in links) == 1


def test_reset_link_by_mail(admin_client, mailbox):
    piet = make_user("piet@gemeente.test", "Piet")
    response = admin_client.post(f"/beheer/gebruikers/{piet.id}/link")
    assert response.status_code == 302
    assert len(mailbox) == 1 and mailbox[0]["To"] == "piet@gemeente.test"
    assert "/link/" not in admin_client.get(response.headers["Location"]).text


def test_delete_user_but_never_yourself(app, admin_client, admin, make_region):
    twente = make_region("Twente", role=None)
    piet = make_user("piet@gemeente.test", "Piet", region=twente)
    piet_client = app.test_client()
    sign_in(piet_client, piet)
    url = f"/beheer/gebruikers/{piet.id}/verwijderen"
    confirm = admin_client.get(url)
    assert confirm.status_code == 200 and "Ja, account verwijderen" in confirm.text
    response = admin_client.post(url)
    assert response.status_code == 302
    assert (
        "Het account van Piet is verwijderd" in admin_client.get(response.headers["Location"]).text
    )
    assert user_by_email("piet@gemeente.test") is None
    assert (
        db.session.scalar(
            select(func.count()).select_from(UserSession).where(UserSession.user_id == piet.id)
        )
        == 0
    )
    assert piet_client.get(f"/regio/{twente.slug}").status_code == 302  # signed out
    # Deleted meanwhile: a clear 404, no 500.
    for response in (
        admin_client.post(url),
        admin_client.get(f"/beheer/gebruikers/{piet.id}"),
        admin_client.post(
            f"/beheer/gebruikers/{piet.id}/rol", data={"region_id": twente.id, "role": "member"}
        ),
        admin_client.post(f"/beheer/gebruikers/{piet.id}/beheerder", data={"is_admin": "ja"}),
        admin_client.post(f"/beheer/gebruikers/{piet.id}/link"),
    ):
        assert response.status_code == 404
        assert "Deze gebruiker bestaat niet (meer)" in response.text
    # Yourself: not here.
    own = admin_client.get(f"/beheer/gebruikers/{admin.id}/verwijderen")
    assert "Uw eigen account verwijdert u via ‘Mijn account’" in own.text
    assert "Ja, account verwijderen" not in own.text
    assert admin_client.post(f"/beheer/gebruikers/{admin.id}/verwijderen").status_code == 409
    assert user_by_email(admin.email) is not None


# --- questionnaire versions -------------------------------------------------------------------


def test_questionnaire_versions_with_their_conversations(admin_client, make_conversation):
    make_conversation("Eerste")
    make_conversation("Tweede", region=db.session.scalar(select(Region)))
    response = admin_client.get("/beheer/vragenlijsten")
    assert response.status_code == 200
    text = response.text
    assert "handvatten-voor-gesprek" in text
    assert "handvatten-voor-gesprek-v1.yaml" in text
    assert "Ja, deze versie" in text
    assert "<td>2</td>" in text
