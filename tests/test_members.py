"""A coordinator manages the members of their region: invite, change a role, remove, new link.

``client`` is Tess, coordinator of every region ``make_region`` makes (unless told otherwise).
"""

from __future__ import annotations

import re
from html import unescape

import pytest
from sqlalchemy import func, select

from app.accounts.models import AccountLink, Membership, User
from app.accounts.roles import Role
from app.audit.models import AuditEvent
from app.extensions import db

from .accounts import make_user, sign_in

pytestmark = pytest.mark.usefixtures("fresh_g_per_request")

NEW_PASSWORD = "een nieuw en lang wachtwoord"
LINK_TEXT = "Geef deze link door; hij werkt één keer en 7 dagen lang"
_LINK = re.compile(r'id="link" name="link" value="([^"]+)" readonly')


def shown_link(response) -> str:
    """The link in the readonly field of a page, as a path for the test client."""
    match = _LINK.search(response.text)
    assert match, "no link shown"
    return _path(unescape(match.group(1)))


def _path(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def mailed_link(message) -> str:
    match = re.search(r"https?://\S+/link/\S+", message.get_content())
    assert match, "no link in the mail"
    return _path(match.group(0))


def set_password_and_sign_in(app, link: str, email: str):
    """Use the link like the invited person would, then sign in: their client."""
    person = app.test_client()
    assert person.get(link).status_code == 200
    response = person.post(link, data={"password": NEW_PASSWORD, "repeat": NEW_PASSWORD})
    assert response.status_code == 302, response.text
    response = person.post("/inloggen", data={"email": email, "password": NEW_PASSWORD})
    assert response.status_code == 302
    assert "/inloggen" not in response.headers["Location"]
    return person


def invite(client, slug, email="nieuw@gemeente.test", name="Nina Nieuw", role="member"):
    return client.post(f"/regio/{slug}/leden", data={"email": email, "name": name, "role": role})


def membership_of(user, region) -> Membership | None:
    db.session.expire_all()
    return db.session.scalar(
        select(Membership).where(Membership.user_id == user.id, Membership.region_id == region.id)
    )


def user_by_email(email) -> User | None:
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.email == email))


@pytest.fixture
def twente(make_region):
    return make_region("Twente", ["Almelo", "Enschede"])


@pytest.fixture
def achterhoek(make_region):
    """Another region where Tess has no role."""
    return make_region("Achterhoek", ["Winterswijk"], role=None)


# --- the page and who may see it ---------------------------------------------------------------


def test_members_page_lists_members_with_role_two_factor_and_invitation(client, twente):
    make_user("piet@gemeente.test", "Piet Lid", region=twente, role=Role.MEMBER)
    invite(client, twente.slug, "open@gemeente.test", "Olga Open")
    response = client.get(f"/regio/{twente.slug}/leden")
    assert response.status_code == 200
    text = response.text
    assert "Piet Lid" in text and "piet@gemeente.test" in text and "Lid" in text
    assert "Tess Tester" in text and "Coördinator" in text
    assert "Olga Open" in text and "Uitgenodigd, nog geen wachtwoord" in text
    assert "Wachtwoord ingesteld" in text
    # The region page links to it.
    assert f"/regio/{twente.slug}/leden" in client.get(f"/regio/{twente.slug}").text


@pytest.mark.parametrize("role", [Role.FACILITATOR, Role.PROJECT_LEADER, Role.MEMBER])
def test_other_roles_get_403_on_the_members_pages(app, client, twente, role):
    user = make_user("ander@gemeente.test", "Ander", region=twente, role=role)
    other = make_user("derde@gemeente.test", "Derde", region=twente, role=Role.MEMBER)
    membership_id = membership_of(other, twente).id
    visitor = app.test_client()
    sign_in(visitor, user)
    base = f"/regio/{twente.slug}/leden"
    assert visitor.get(base).status_code == 403
    assert invite(visitor, twente.slug).status_code == 403
    assert visitor.get(f"{base}/{membership_id}").status_code == 403
    assert (
        visitor.post(f"{base}/{membership_id}/rol", data={"role": "coordinator"}).status_code == 403
    )
    assert visitor.post(f"{base}/{membership_id}/verwijderen").status_code == 403
    assert visitor.post(f"{base}/{membership_id}/nieuwe-link").status_code == 403
    assert membership_of(other, twente).role is Role.MEMBER
    assert user_by_email("nieuw@gemeente.test") is None
    # Nor is the link shown on the region page.
    assert base not in visitor.get(f"/regio/{twente.slug}").text


def test_coordinator_of_a_gets_404_for_region_b_and_its_members(client, twente, achterhoek):
    stranger = make_user("bert@achterhoek.test", "Bert", region=achterhoek, role=Role.MEMBER)
    theirs = membership_of(stranger, achterhoek).id
    for slug in (achterhoek.slug, twente.slug):
        base = f"/regio/{slug}/leden"
        if slug == achterhoek.slug:
            assert client.get(base).status_code == 404
            assert invite(client, slug).status_code == 404
        assert client.get(f"{base}/{theirs}").status_code == 404
        assert client.post(f"{base}/{theirs}/rol", data={"role": "coordinator"}).status_code == 404
        assert client.get(f"{base}/{theirs}/verwijderen").status_code == 404
        assert client.post(f"{base}/{theirs}/verwijderen").status_code == 404
        assert client.post(f"{base}/{theirs}/nieuwe-link").status_code == 404
    assert membership_of(stranger, achterhoek).role is Role.MEMBER
    assert "Bert" not in client.get(f"/regio/{twente.slug}/leden").text
    assert user_by_email("nieuw@gemeente.test") is None


def test_anonymous_is_sent_to_sign_in(anonymous_client, twente):
    response = anonymous_client.get(f"/regio/{twente.slug}/leden")
    assert response.status_code == 302 and "/inloggen" in response.headers["Location"]
    assert invite(anonymous_client, twente.slug).status_code == 401


# --- inviting ------------------------------------------------------------------------------------


def test_invite_without_mail_shows_a_link_that_sets_a_password(
    app, client, twente, make_conversation
):
    conversation = make_conversation("Overleg Twente", region=twente)
    response = invite(client, twente.slug, "Nina@Gemeente.test", "Nina Nieuw", "facilitator")
    assert response.status_code == 200
    assert LINK_TEXT in response.text
    assert "readonly" in response.text
    nina = user_by_email("nina@gemeente.test")
    assert nina.name == "Nina Nieuw" and not nina.has_password
    assert membership_of(nina, twente).role is Role.FACILITATOR
    person = set_password_and_sign_in(app, shown_link(response), "nina@gemeente.test")
    assert person.get(f"/gesprekken/{conversation.id}").status_code == 200
    # The link works once.
    assert person.get(shown_link(response)).status_code == 404


def test_invite_with_mail_sends_the_link_and_does_not_show_it(app, client, twente, mailbox):
    response = invite(client, twente.slug, role="member")
    assert response.status_code == 302
    page = client.get(response.headers["Location"])
    assert "per e-mail verstuurd" in page.text
    assert "/link/" not in page.text
    assert len(mailbox) == 1
    message = mailbox[0]
    assert message["To"] == "nieuw@gemeente.test"
    assert "Tess Tester" in message.get_content() and "Twente" in message.get_content()
    set_password_and_sign_in(app, mailed_link(message), "nieuw@gemeente.test")


def test_double_invite_is_harmless(client, twente, mailbox):
    assert invite(client, twente.slug).status_code == 302
    assert invite(client, twente.slug).status_code == 302
    nina = user_by_email("nieuw@gemeente.test")
    assert membership_of(nina, twente).role is Role.MEMBER
    # One mail, so the person never gets a link that was replaced a moment later.
    assert len(mailbox) == 1
    assert db.session.scalar(select(func.count()).select_from(Membership)) == 2


def test_double_invite_without_mail_shows_the_newest_link(app, client, twente):
    invite(client, twente.slug)
    second = invite(client, twente.slug)
    assert second.status_code == 200
    set_password_and_sign_in(app, shown_link(second), "nieuw@gemeente.test")


def test_inviting_an_account_of_another_region_offers_the_role_without_showing_it(
    app, client, twente, achterhoek, make_conversation
):
    """Bert's account is his: Tess sees only the address she typed until he accepts."""
    bert = make_user("bert@achterhoek.test", "Bert Achter", region=achterhoek, role=Role.MEMBER)
    response = invite(client, twente.slug, "BERT@achterhoek.test", "Een andere naam", "member")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).text
    assert "Achterhoek" not in page and "Bert Achter" not in page
    assert "bert@achterhoek.test heeft al een account" in page
    assert membership_of(bert, twente) is None
    assert membership_of(bert, achterhoek).role is Role.MEMBER
    assert user_by_email("bert@achterhoek.test").name == "Bert Achter"
    # No link: Bert signs in with his own password.
    assert db.session.scalar(select(func.count()).select_from(AccountLink)) == 0


def _pending(email: str, name: str, *, region=None, admin: bool = False) -> tuple[User, str]:
    """An account that never set a password, and the path of the link it was given."""
    from app.accounts.models import LinkPurpose
    from app.accounts.operations import issue_link

    user = make_user(email, name, region=region, admin=admin)
    user.password_hash = None
    token = issue_link(user, LinkPurpose.INVITATION)
    db.session.commit()
    return user, f"/link/{token}"


@pytest.mark.parametrize("elsewhere", ["administrator", "other region"])
def test_no_link_for_an_account_that_is_not_only_this_regions(
    app, client, twente, achterhoek, elsewhere
):
    """Whoever follows a set-password link takes the account. A coordinator of Twente must
    not get one for an administrator's account, or one with a role in another region, that
    was invited elsewhere and has not chosen a password yet: it would be theirs. Such an
    account is only offered the role."""
    if elsewhere == "administrator":
        person, own_link = _pending("nieuwe.beheerder@handvat.test", "Bea Nieuw", admin=True)
    else:
        person, own_link = _pending("ad@achterhoek.test", "Ad Achter", region=achterhoek)
    response = invite(client, twente.slug, person.email, "Wie dan ook", "member")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).text
    assert f"{person.email} heeft al een account" in page
    assert LINK_TEXT not in page and "/link/" not in page and person.name not in page
    assert membership_of(person, twente) is None
    # The link the account was given still works: it was not replaced by one nobody has.
    assert app.test_client().get(own_link).status_code == 200


def test_such_an_account_is_asked_by_mail_without_a_link(client, twente, achterhoek, mailbox):
    from datetime import timedelta

    person, _ = _pending("ad@achterhoek.test", "Ad Achter", region=achterhoek)
    for link in db.session.scalars(select(AccountLink)):  # not mailed just now
        link.created_dt -= timedelta(hours=1)
    db.session.commit()
    response = invite(client, twente.slug, person.email, "Ad", "member")
    assert response.status_code == 302
    assert len(mailbox) == 1 and mailbox[0]["To"] == "ad@achterhoek.test"
    body = mailbox[0].get_content()
    assert "/link/" not in body and "/account#uitnodigingen" in body
    assert "/link/" not in client.get(response.headers["Location"]).text


def test_a_coordinator_of_every_region_of_the_account_gets_the_link(
    app, client, twente, make_region
):
    """Tess coordinates Twente and Salland: for an account only in those, she may hand it out."""
    salland = make_region("Salland", ["Deventer"])
    person, _ = _pending("sam@salland.test", "Sam Salland", region=salland)
    response = invite(client, twente.slug, person.email, "Sam", "member")
    assert response.status_code == 200 and LINK_TEXT in response.text
    set_password_and_sign_in(app, shown_link(response), "sam@salland.test")


def test_invite_errors_are_dutch_and_keep_what_was_typed(client, twente):
    response = invite(client, twente.slug, "geen-adres", "Nina Nieuw", "member")
    assert response.status_code == 422
    assert "Vul een geldig e-mailadres in" in response.text
    assert 'value="geen-adres"' in response.text and 'value="Nina Nieuw"' in response.text
    response = invite(client, twente.slug, "nina@gemeente.test", "   ", "baas")
    assert response.status_code == 422
    assert "Vul de naam in" in response.text
    assert 'value="nina@gemeente.test"' in response.text
    assert user_by_email("nina@gemeente.test") is None


def test_last_coordinator_cannot_invite_themselves_to_a_lower_role(client, twente, tester):
    response = invite(client, twente.slug, tester.email, tester.name, "member")
    assert response.status_code == 422
    assert "U bent de enige coördinator van regio Twente" in response.text
    assert membership_of(tester, twente).role is Role.COORDINATOR


# --- changing roles and removing -----------------------------------------------------------------


def test_change_role_twice_is_harmless_and_recorded_once(client, twente):
    piet = make_user("piet@gemeente.test", "Piet", region=twente, role=Role.MEMBER)
    membership_id = membership_of(piet, twente).id
    url = f"/regio/{twente.slug}/leden/{membership_id}"
    assert client.get(url).status_code == 200
    for _ in range(2):
        response = client.post(f"{url}/rol", data={"role": "project-leader"})
        assert response.status_code == 302
    assert membership_of(piet, twente).role is Role.PROJECT_LEADER
    changes = db.session.scalars(
        select(AuditEvent).where(
            AuditEvent.object_type == "membership", AuditEvent.object_id == membership_id
        )
    ).all()
    assert [e.action.value for e in changes] == ["created", "changed"]
    assert "Projectleider" in client.get(f"/regio/{twente.slug}/leden").text


def test_change_role_with_a_bad_value_is_refused_in_dutch(client, twente):
    piet = make_user("piet@gemeente.test", "Piet", region=twente, role=Role.MEMBER)
    membership_id = membership_of(piet, twente).id
    response = client.post(f"/regio/{twente.slug}/leden/{membership_id}/rol", data={"role": "baas"})
    assert response.status_code == 422
    assert "Controleer uw invoer" in response.text
    assert membership_of(piet, twente).role is Role.MEMBER


def test_last_coordinator_cannot_demote_or_remove_themselves(client, twente, tester):
    own = membership_of(tester, twente).id
    url = f"/regio/{twente.slug}/leden/{own}"
    response = client.post(f"{url}/rol", data={"role": "facilitator"})
    assert response.status_code == 422
    assert "U bent de enige coördinator van regio Twente" in response.text
    page = client.get(f"{url}/verwijderen")
    assert "U bent de enige coördinator" in page.text and "Ja, uit de regio halen" not in page.text
    response = client.post(f"{url}/verwijderen")
    assert response.status_code == 409
    assert "U bent de enige coördinator" in response.text
    assert membership_of(tester, twente).role is Role.COORDINATOR


def test_with_a_second_coordinator_one_may_step_down(client, twente, tester):
    make_user("co@gemeente.test", "Co", region=twente, role=Role.COORDINATOR)
    own = membership_of(tester, twente).id
    response = client.post(f"/regio/{twente.slug}/leden/{own}/rol", data={"role": "member"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/regio/{twente.slug}")
    assert membership_of(tester, twente).role is Role.MEMBER
    assert client.get(f"/regio/{twente.slug}/leden").status_code == 403


def test_coordinator_may_remove_themselves_when_another_remains(client, twente, tester):
    make_user("co@gemeente.test", "Co", region=twente, role=Role.COORDINATOR)
    own = membership_of(tester, twente).id
    response = client.post(f"/regio/{twente.slug}/leden/{own}/verwijderen")
    assert response.status_code == 302 and response.headers["Location"].endswith("/")
    assert membership_of(tester, twente) is None
    assert client.get(f"/regio/{twente.slug}").status_code == 404


def test_removed_member_loses_access_at_the_next_request(app, client, twente, make_conversation):
    conversation = make_conversation("Overleg Twente", region=twente)
    piet = make_user("piet@gemeente.test", "Piet", region=twente, role=Role.MEMBER)
    piet_client = app.test_client()
    sign_in(piet_client, piet)
    assert piet_client.get(f"/gesprekken/{conversation.id}").status_code == 200
    membership_id = membership_of(piet, twente).id
    confirm = client.get(f"/regio/{twente.slug}/leden/{membership_id}/verwijderen")
    assert confirm.status_code == 200 and "Ja, uit de regio halen" in confirm.text
    response = client.post(f"/regio/{twente.slug}/leden/{membership_id}/verwijderen")
    assert response.status_code == 302
    assert "Piet is geen lid meer" in client.get(response.headers["Location"]).text
    assert piet_client.get(f"/gesprekken/{conversation.id}").status_code == 404
    assert piet_client.get(f"/regio/{twente.slug}").status_code == 404
    # The account stays.
    assert user_by_email("piet@gemeente.test") is not None


def test_membership_removed_meanwhile_gives_a_clear_404(client, twente):
    piet = make_user("piet@gemeente.test", "Piet", region=twente, role=Role.MEMBER)
    membership_id = membership_of(piet, twente).id
    base = f"/regio/{twente.slug}/leden/{membership_id}"
    assert client.post(f"{base}/verwijderen").status_code == 302
    for response in (
        client.post(f"{base}/verwijderen"),
        client.post(f"{base}/rol", data={"role": "facilitator"}),
        client.post(f"{base}/nieuwe-link"),
        client.get(base),
    ):
        assert response.status_code == 404
        assert "geen lid (meer) van regio Twente" in response.text
    assert membership_of(piet, twente) is None


# --- new invitation link -------------------------------------------------------------------------


def test_new_invitation_link_for_someone_who_never_set_a_password(app, client, twente):
    first = invite(client, twente.slug)
    nina = user_by_email("nieuw@gemeente.test")
    membership_id = membership_of(nina, twente).id
    page = client.get(f"/regio/{twente.slug}/leden/{membership_id}")
    assert "Nieuwe uitnodigingslink maken" in page.text
    response = client.post(f"/regio/{twente.slug}/leden/{membership_id}/nieuwe-link")
    assert response.status_code == 200
    assert LINK_TEXT in response.text
    # The first link stopped working; the new one works.
    assert app.test_client().get(shown_link(first)).status_code == 404
    set_password_and_sign_in(app, shown_link(response), "nieuw@gemeente.test")


def test_new_invitation_link_by_mail(client, twente, mailbox):
    nina = make_user("nina@gemeente.test", "Nina", region=twente)
    nina.password_hash = None
    db.session.commit()
    membership_id = membership_of(nina, twente).id
    response = client.post(f"/regio/{twente.slug}/leden/{membership_id}/nieuwe-link")
    assert response.status_code == 302
    assert len(mailbox) == 1 and mailbox[0]["To"] == "nina@gemeente.test"


def test_no_new_invitation_link_for_someone_with_a_password(client, twente):
    piet = make_user("piet@gemeente.test", "Piet", region=twente, role=Role.MEMBER)
    membership_id = membership_of(piet, twente).id
    response = client.post(f"/regio/{twente.slug}/leden/{membership_id}/nieuwe-link")
    assert response.status_code == 302
    assert "heeft al een wachtwoord" in client.get(response.headers["Location"]).text
    assert db.session.scalar(select(func.count()).select_from(AccountLink)) == 0
