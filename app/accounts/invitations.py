"""Inviting people, and links to set a password that an inviter or administrator hands out.

With a mail server configured the link goes by mail and is never shown on screen (so it does
not end up on a projector or in a screenshot); without one, it is shown to the person who asked
for it, to pass on. If the mail cannot be sent, the link is shown after all, so the invitation
is never lost.

Whoever follows such a link takes the account. So a link is shown only to someone who may
manage all of the account's access anyway (``may_see_link``): an administrator, or a
coordinator of every region the account has a role in, when it is no administrator's account.
For any other account it only goes by mail, to the account's own address; without a mail
server it is not made at all (the account's current link keeps working) and an administrator
must hand one out.

Operations flush; the request commits. The mail is sent after the flush, so a link in a mail
always exists in the transaction that is about to be committed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask import current_app, render_template, url_for
from sqlalchemy import func, select

from ..core.database import serialize_writes
from ..core.mail import mail_configured, send_mail
from ..core.models import utcnow
from ..extensions import db
from ..regions.models import Region
from .models import AccountLink, LinkPurpose, Membership, User
from .operations import (
    AccountError,
    checked_email,
    checked_name,
    ensure_user,
    issue_link,
    set_role,
)
from .roles import ROLE_PERMISSIONS, Permission, Role

#: An invitation mailed this recently is not mailed again: a double click on "Uitnodigen" must
#: not send two mails of which the first link no longer works.
RECENTLY_MAILED = timedelta(minutes=2)


@dataclass(frozen=True)
class LinkDelivery:
    """How a link reached (or is to reach) its person."""

    purpose: LinkPurpose
    #: The link to show the inviter: no mail server, or the mail could not be sent.
    link: str | None
    mailed: bool
    #: A mail server is configured but the mail could not be sent.
    mail_failed: bool = False
    #: Not shown: the inviter may not see a link for this account (``may_see_link``).
    withheld: bool = False

    def withheld_message(self, name: str) -> str:
        """For a withheld link: why there is none on screen, and who can help."""
        failed = "De e-mail met de link kon niet worden verstuurd. " if self.mail_failed else ""
        return (
            f"{failed}{name} heeft nog geen wachtwoord gekozen. Een link om dat te doen tonen we "
            "hier niet: het account hoort niet alleen bij deze regio, en wie de link volgt, "
            "neemt het hele account over. Vraag een beheerder van Handvat om een nieuwe link."
        )

    @property
    def validity(self) -> str:
        """How long the link works, in Dutch: '7 dagen', '60 minuten'."""
        config = current_app.config
        if self.purpose is LinkPurpose.INVITATION:
            days = config["INVITATION_DAYS"]
            return f"{days} dag" if days == 1 else f"{days} dagen"
        minutes = config["PASSWORD_RESET_MINUTES"]
        return f"{minutes} minuut" if minutes == 1 else f"{minutes} minuten"


@dataclass(frozen=True)
class Invitation:
    user: User
    #: A new account was made.
    created: bool
    #: The role in the region, when one was given.
    membership: Membership | None
    #: None when the person already has a password: they only got the role, no link.
    delivery: LinkDelivery | None

    @property
    def link(self) -> str | None:
        return self.delivery.link if self.delivery else None

    @property
    def mailed(self) -> bool:
        return bool(self.delivery and self.delivery.mailed)


def link_url(token: str) -> str:
    return url_for("accounts.set_password", token=token, _external=True)


def coordinator_count(region_id: int) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(Membership)
        .where(Membership.region_id == region_id, Membership.role == Role.COORDINATOR)
    )


def last_coordinator_problem(
    region: Region, user: User, new_role: Role | None, *, actor: User | None = None
) -> str | None:
    """Why ``user`` cannot get ``new_role`` (None: be removed) in ``region``: they are its only
    coordinator. A region without a coordinator has nobody left to manage its members."""
    current = db.session.scalar(
        select(Membership.role).where(
            Membership.user_id == user.id, Membership.region_id == region.id
        )
    )
    if current is not Role.COORDINATOR or new_role is Role.COORDINATOR:
        return None
    if coordinator_count(region.id) > 1:
        return None
    if actor is not None and actor.id == user.id:
        return (
            f"U bent de enige coördinator van regio {region.name}. Maak eerst iemand anders "
            "coördinator. Daarna kunt u uw eigen rol wijzigen of uzelf uit de regio halen."
        )
    return (
        f"{user.name} is de enige coördinator van regio {region.name}. Maak eerst iemand anders "
        "coördinator. Daarna kan de rol van deze persoon veranderen."
    )


def lock_region_members(region_id: int) -> None:
    """Changes to a region's members one at a time, so two coordinators who demote each other
    at the same moment cannot leave the region without one."""
    serialize_writes(f"region-members:{region_id}")


def invite(
    email: str,
    name: str,
    *,
    region: Region | None = None,
    role: Role | None = None,
    is_admin: bool = False,
    inviter: User,
) -> Invitation:
    """Give ``email`` an account (if new), the role in the region and a link to set a password.

    An address that already has an account keeps its name and password and just gets the
    role; if it never set a password it gets a new link. Inviting the same person twice with
    the same role changes nothing but the link. Raises ``AccountError`` (Dutch message).
    """
    email = checked_email(email)
    name = checked_name(name)
    if region is not None:
        lock_region_members(region.id)
    serialize_writes(f"account:{email}")
    user, created = ensure_user(email, name, is_admin=is_admin)
    membership = None
    if region is not None and role is not None:
        problem = last_coordinator_problem(region, user, role, actor=inviter)
        if problem:
            raise AccountError(problem)
        membership = set_role(user, region, role)
    if user.has_password:
        return Invitation(user, created, membership, None)
    if mail_configured() and _recently_mailed(user):
        delivery = LinkDelivery(LinkPurpose.INVITATION, None, mailed=True)
    else:
        delivery = _deliver(user, LinkPurpose.INVITATION, inviter=inviter, region=region)
    return Invitation(user, created, membership, delivery)


def new_invitation_link(user: User, *, inviter: User, region: Region | None = None) -> LinkDelivery:
    """A new invitation link for someone who never set a password; the old one stops working."""
    if user.has_password:
        raise AccountError(
            f"{user.name} heeft al een wachtwoord en kan gewoon inloggen. Is het wachtwoord "
            "vergeten? Dan kan hij of zij op de inlogpagina ‘Wachtwoord vergeten’ kiezen."
        )
    return _deliver(user, LinkPurpose.INVITATION, inviter=inviter, region=region)


def password_link(user: User, *, inviter: User) -> LinkDelivery:
    """For administrators: a link for any user to set a (new) password. Someone who never set
    one gets a new invitation, which works longer."""
    if not user.has_password:
        return new_invitation_link(user, inviter=inviter)
    return _deliver(user, LinkPurpose.PASSWORD_RESET, inviter=inviter)


def may_see_link(inviter: User, user: User) -> bool:
    """Whether ``inviter`` may be shown a link that sets ``user``'s password: whoever follows
    it takes the account, with all its roles."""
    if inviter.is_admin:
        return True
    if user.is_admin:
        return False
    managed = {
        m.region_id
        for m in inviter.memberships
        if Permission.MANAGE_MEMBERS in ROLE_PERMISSIONS[m.role]
    }
    return all(m.region_id in managed for m in user.memberships)


def _recently_mailed(user: User) -> bool:
    return (
        db.session.scalar(
            select(AccountLink.id)
            .where(
                AccountLink.user_id == user.id,
                AccountLink.purpose == LinkPurpose.INVITATION,
                AccountLink.used_dt.is_(None),
                AccountLink.created_dt > utcnow() - RECENTLY_MAILED,
            )
            .limit(1)
        )
        is not None
    )


def _deliver(
    user: User, purpose: LinkPurpose, *, inviter: User, region: Region | None = None
) -> LinkDelivery:
    shown = may_see_link(inviter, user)
    if not shown and not mail_configured():
        return LinkDelivery(purpose, None, mailed=False, withheld=True)
    link = link_url(issue_link(user, purpose))
    if not mail_configured():
        return LinkDelivery(purpose, link, mailed=False)
    config = current_app.config
    if purpose is LinkPurpose.INVITATION:
        subject = "Uitnodiging voor Handvat"
        body = render_template(
            "accounts/mail_invitation.txt",
            user=user,
            inviter=inviter.name,
            region=region.name if region is not None else None,
            link=link,
            days=config["INVITATION_DAYS"],
        )
    else:
        subject = "Nieuw wachtwoord voor Handvat"
        body = render_template(
            "accounts/mail_reset.txt",
            user=user,
            link=link,
            minutes=config["PASSWORD_RESET_MINUTES"],
        )
    if send_mail(user.email, subject, body):
        return LinkDelivery(purpose, None, mailed=True)
    if not shown:
        return LinkDelivery(purpose, None, mailed=False, mail_failed=True, withheld=True)
    return LinkDelivery(purpose, link, mailed=False, mail_failed=True)
