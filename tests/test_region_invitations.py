"""A role offered to someone who already has an account waits until they accept it.

``client`` is Tess, coordinator of Twente (``make_region``). Bert has an account of his own in
Achterhoek, where Tess has no role: she may offer him a role in Twente, but not add him, and
sees only the address she typed until he accepts.
"""

from __future__ import annotations

import re
from html import unescape

import pytest
from sqlalchemy import func, select

from app.accounts.models import Membership, RegionInvitation, User
from app.accounts.roles import Role
from app.audit.models import AuditEvent
from app.extensions import db

from .accounts import TEST_PASSWORD, FakeSMTP, make_user, sign_in

pytestmark = pytest.mark.usefixtures("fresh_g_per_request")


@pytest.fixture
def twente(make_region):
    return make_region("Twente", ["Almelo", "Enschede"])


@pytest.fixture
def achterhoek(make_region):
    return make_region("Achterhoek", ["Winterswijk"], role=None)


@pytest.fixture
def bert(achterhoek) -> User:
    return make_user("bert@achterhoek.test", "Bert Achter", region=achterhoek)


@pytest.fixture
def bert_client(app, bert):
    client = app.test_client()
    sign_in(client, bert)
    return client


def invite(client, slug, email="bert@achterhoek.test", role="member"):
    return client.post(
        f"/regio/{slug}/leden", data={"email": email, "name": "Naam die Tess typt", "role": role}
    )


def offers() -> list[RegionInvitation]:
    db.session.expire_all()
    return list(db.session.scalars(select(RegionInvitation).order_by(RegionInvitation.id)))


def role_of(user: User, region) -> Role | None:
    db.session.expire_all()
    return db.session.scalar(
        select(Membership.role).where(
            Membership.user_id == user.id, Membership.region_id == region.id
        )
    )


def accept(client, offer_id: int, role: str = "member"):
    return client.post(f"/account/uitnodigingen/{offer_id}/aannemen", data={"role": role})


def followed(client, response) -> str:
    assert response.status_code == 302, response.text
    return unescape(client.get(response.headers["Location"]).text)


def region_trail(region) -> list[tuple[str, str, str]]:
    db.session.expire_all()
    return [
        (e.object_type, e.action.value, e.object_label)
        for e in db.session.scalars(
            select(AuditEvent).where(AuditEvent.region_id == region.id).order_by(AuditEvent.id)
        )
    ]


# --- the whole way: offered, told, accepted --------------------------------------------------


def test_offer_accepted_by_its_owner_makes_the_role_and_shows_the_name(app, client, twente, bert):
    page = followed(client, invite(client, twente.slug, "Bert@Achterhoek.test", "project-leader"))
    assert "bert@achterhoek.test heeft al een account in Handvat" in page
    assert "Laat de persoon weten" in page  # no mail server: Tess passes it on
    assert "Bert Achter" not in page and "Naam die Tess typt" not in page
    assert "Open uitnodigingen van regio Twente" in page
    (offer,) = offers()
    assert (offer.role, offer.invited_by_name) == (Role.PROJECT_LEADER, "Tess Tester")
    assert role_of(bert, twente) is None

    # Bert signs in through the form and is told.
    person = app.test_client()
    response = person.post(
        "/inloggen", data={"email": "bert@achterhoek.test", "password": TEST_PASSWORD}
    )
    assert "U heeft een uitnodiging voor regio Twente" in followed(person, response)
    account = unescape(person.get("/account").text)
    assert "Regio Twente: Projectleider" in account
    assert "Uitgenodigd door Tess Tester" in account

    page = followed(person, accept(person, offer.id, "project-leader"))
    assert "U bent nu projectleider in regio Twente." in page
    assert role_of(bert, twente) is Role.PROJECT_LEADER
    assert offers() == []
    members = unescape(client.get(f"/regio/{twente.slug}/leden").text)
    assert "Bert Achter" in members and "Open uitnodigingen" not in members
    # The same form sent again changes nothing and says why.
    again = followed(person, accept(person, offer.id, "project-leader"))
    assert "Deze uitnodiging staat niet meer open" in again
    assert role_of(bert, twente) is Role.PROJECT_LEADER
    assert region_trail(twente)[-3:] == [
        ("region_invitation", "created", "bert@achterhoek.test: Projectleider"),
        ("region_invitation", "changed", "bert@achterhoek.test: Projectleider"),
        ("membership", "created", "Bert Achter (bert@achterhoek.test): Projectleider"),
    ]
    history = unescape(client.get(f"/regio/{twente.slug}/geschiedenis").text)
    assert (
        "Aangenomen:</strong> Uitnodiging voor de regio: bert@achterhoek.test: Projectleider"
        in history
    )
    assert (
        "Verstuurd:</strong> Uitnodiging voor de regio: bert@achterhoek.test: Projectleider"
        in history
    )


def test_the_offer_is_mailed_to_the_account_once_for_a_double_click(client, twente, bert, mailbox):
    first = followed(client, invite(client, twente.slug))
    assert "We hebben de vraag per e-mail verstuurd." in first
    second = followed(client, invite(client, twente.slug))
    assert "De uitnodiging voor bert@achterhoek.test stond al klaar." in second
    assert len(mailbox) == 1 and len(offers()) == 1
    message = mailbox[0]
    assert message["To"] == "bert@achterhoek.test"
    assert message["Subject"] == "Uitnodiging voor regio Twente in Handvat"
    body = message.get_content()
    assert "Beste Bert Achter," in body and "Tess Tester nodigt u uit om lid te worden" in body
    assert re.search(r"https?://\S+/account#uitnodigingen", body)


def test_a_mail_that_fails_is_said_and_the_offer_kept(client, twente, bert, mailbox, monkeypatch):
    def refuse(self, message):
        raise OSError("connection refused")

    monkeypatch.setattr(FakeSMTP, "send_message", refuse)
    page = followed(client, invite(client, twente.slug))
    assert "De e-mail kon niet worden verstuurd." in page
    assert len(offers()) == 1


def test_inviting_again_with_another_role_changes_the_offer(client, twente, bert, bert_client):
    invite(client, twente.slug, role="member")
    (offer,) = offers()
    # Moments later Tess chooses another role (not a double click: the role differs).
    invite(client, twente.slug, role="facilitator")
    assert [o.role for o in offers()] == [Role.FACILITATOR]
    # Bert's page still showed "Lid": he is asked to look again, nothing is taken unseen.
    page = followed(bert_client, accept(bert_client, offer.id, "member"))
    assert "is net gewijzigd: de rol is nu gespreksleider" in page
    assert role_of(bert, twente) is None
    followed(bert_client, accept(bert_client, offer.id, "facilitator"))
    assert role_of(bert, twente) is Role.FACILITATOR


# --- declining and withdrawing ---------------------------------------------------------------


def test_declined_offer_leaves_no_role_and_leaves_the_list(client, twente, bert, bert_client):
    invite(client, twente.slug)
    (offer,) = offers()
    page = followed(bert_client, bert_client.post(f"/account/uitnodigingen/{offer.id}/afslaan"))
    assert "U heeft de uitnodiging voor regio Twente afgeslagen." in page
    assert role_of(bert, twente) is None and offers() == []
    assert "Open uitnodigingen" not in client.get(f"/regio/{twente.slug}/leden").text
    assert region_trail(twente)[-1][:2] == ("region_invitation", "changed")
    history = unescape(client.get(f"/regio/{twente.slug}/geschiedenis").text)
    assert "Afgeslagen:</strong> Uitnodiging voor de regio: bert@achterhoek.test: Lid" in history


def test_withdrawn_offer_can_no_longer_be_accepted(client, twente, bert, bert_client):
    invite(client, twente.slug)
    (offer,) = offers()
    page = followed(client, client.post(f"/regio/{twente.slug}/uitnodigingen/{offer.id}/intrekken"))
    assert "De uitnodiging voor bert@achterhoek.test is ingetrokken." in page
    again = followed(
        client, client.post(f"/regio/{twente.slug}/uitnodigingen/{offer.id}/intrekken")
    )
    assert "staat niet meer open" in again
    late = followed(bert_client, accept(bert_client, offer.id))
    assert "Deze uitnodiging staat niet meer open" in late
    assert role_of(bert, twente) is None


def test_an_offer_answered_by_an_administrator_adding_the_person_lapses(
    app, client, twente, bert, bert_client
):
    from app.accounts.operations import set_role

    invite(client, twente.slug, role="member")
    (offer,) = offers()
    set_role(bert, twente, Role.COORDINATOR)  # an administrator, on the user's page
    db.session.commit()
    assert offers() == []
    page = followed(bert_client, accept(bert_client, offer.id))
    assert "staat niet meer open" in page
    assert role_of(bert, twente) is Role.COORDINATOR  # not lowered to the old offer's "lid"


def test_an_administrator_sees_the_open_offer_and_a_role_given_there_answers_it(
    app, client, twente, bert
):
    invite(client, twente.slug)
    admin = make_user("beheer@handvat.test", "Bea Beheer", admin=True)
    admin_client = app.test_client()
    sign_in(admin_client, admin)
    url = f"/beheer/gebruikers/{bert.id}"
    page = " ".join(unescape(admin_client.get(url).text).split())
    assert "nog niet heeft beantwoord: regio Twente als lid (van Tess Tester" in page
    response = admin_client.post(f"{url}/rol", data={"region_id": twente.id, "role": "member"})
    assert response.status_code == 302
    assert role_of(bert, twente) is Role.MEMBER and offers() == []
    assert "nog niet heeft beantwoord" not in admin_client.get(url).text


# --- who may do what -------------------------------------------------------------------------


def test_nobody_else_can_answer_an_offer(app, client, twente, bert):
    invite(client, twente.slug)
    (offer,) = offers()
    carl = make_user("carl@twente.test", "Carl Anders", region=twente)
    other = app.test_client()
    sign_in(other, carl)
    assert "staat niet meer open" in followed(other, accept(other, offer.id))
    assert "staat niet meer open" in followed(
        other, other.post(f"/account/uitnodigingen/{offer.id}/afslaan")
    )
    assert len(offers()) == 1
    assert role_of(bert, twente) is None and role_of(carl, twente) is Role.MEMBER
    assert "Regio Twente: Lid" not in other.get("/account").text.split("Uw rollen")[0]


def test_another_regions_coordinator_cannot_withdraw_the_offer(
    app, client, twente, achterhoek, bert
):
    invite(client, twente.slug)
    (offer,) = offers()
    anna = make_user("anna@achterhoek.test", "Anna", region=achterhoek, role=Role.COORDINATOR)
    other = app.test_client()
    sign_in(other, anna)
    response = other.post(f"/regio/{achterhoek.slug}/uitnodigingen/{offer.id}/intrekken")
    assert "staat niet meer open" in followed(other, response)
    assert other.post(f"/regio/{twente.slug}/uitnodigingen/{offer.id}/intrekken").status_code == 404
    assert len(offers()) == 1


def test_a_member_cannot_withdraw_offers(app, twente, bert, client):
    invite(client, twente.slug)
    (offer,) = offers()
    mia = make_user("mia@twente.test", "Mia", region=twente, role=Role.MEMBER)
    other = app.test_client()
    sign_in(other, mia)
    assert other.post(f"/regio/{twente.slug}/uitnodigingen/{offer.id}/intrekken").status_code == 403
    assert len(offers()) == 1


# --- who is added at once, as before ----------------------------------------------------------


def test_a_new_address_is_a_member_at_once(client, twente):
    invite(client, twente.slug, "nieuw@twente.test")
    user = db.session.scalar(select(User).where(User.email == "nieuw@twente.test"))
    assert role_of(user, twente) is Role.MEMBER and offers() == []


def test_someone_tess_already_manages_elsewhere_is_added_at_once(client, make_region, twente):
    salland = make_region("Salland", ["Deventer"])
    sam = make_user("sam@salland.test", "Sam Salland", region=salland)
    page = followed(client, invite(client, twente.slug, "sam@salland.test"))
    assert "Sam Salland is nu lid in regio Twente" in page
    assert role_of(sam, twente) is Role.MEMBER and offers() == []


def test_an_administrator_adds_an_existing_account_at_once(client, tester, twente, bert):
    tester.is_admin = True
    db.session.commit()
    invite(client, twente.slug)
    assert role_of(bert, twente) is Role.MEMBER and offers() == []


def test_a_role_change_of_a_member_is_not_an_offer(client, twente, bert, bert_client):
    invite(client, twente.slug)
    (offer,) = offers()
    followed(bert_client, accept(bert_client, offer.id))
    invite(client, twente.slug, role="project-leader")
    assert role_of(bert, twente) is Role.PROJECT_LEADER and offers() == []


# --- accounts that go ---------------------------------------------------------------------------


def test_deleting_the_account_takes_its_offers_and_the_inviters_name_stays(
    app, client, tester, twente, bert, bert_client
):
    invite(client, twente.slug)
    assert len(offers()) == 1
    from app.accounts.operations import delete_account

    delete_account(db.session.get(User, tester.id))
    db.session.commit()
    (offer,) = offers()
    assert offer.invited_by_id is None and offer.invited_by_name == "Tess Tester"
    assert "Uitgenodigd door Tess Tester" in unescape(bert_client.get("/account").text)
    delete_account(db.session.get(User, bert.id))
    db.session.commit()
    assert offers() == []
    assert db.session.scalar(select(func.count()).select_from(RegionInvitation)) == 0
