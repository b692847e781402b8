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

An address that already has an account belongs to someone: a coordinator who invites it to
their region does not add it, but offers the role (``RegionInvitation``), which its owner accepts
or declines on their account page (``needs_consent``). Until then the coordinator sees only the
address they typed, not the account's name or anything else about it.

Operations flush; the request commits. The mail is sent after the flush, so a link in a mail
always exists in the transaction that is about to be committed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask import current_app, render_template, url_for
from sqlalchemy import func, select

from ..audit.models import AuditAction
from ..audit.operations import change, record
from ..core.database import serialize_writes
from ..core.mail import mail_configured, send_mail
from ..core.models import utcnow
from ..extensions import db
from ..regions.models import Region
from .models import AccountLink, LinkPurpose, Membership, RegionInvitation, User
from .operations import (
    AccountError,
    checked_email,
    checked_name,
    ensure_user,
    find_user,
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
    #: The role waits for the account's owner to accept it (``needs_consent``).
    offer: RoleOffer | None = None

    @property
    def link(self) -> str | None:
        return self.delivery.link if self.delivery else None

    @property
    def mailed(self) -> bool:
        return bool(self.delivery and self.delivery.mailed)


#: The audit trail's field for how an offer ended (``audit_what`` turns it into the verb).
OFFER_STATUS = "Status"


@dataclass(frozen=True)
class RoleOffer:
    """A role offered to an existing account, and whether its owner was told by mail."""

    invitation: RegionInvitation
    mailed: bool
    mail_failed: bool = False
    #: The same offer was made moments ago (a double click): nothing new was sent.
    repeated: bool = False


class OfferGone(AccountError):
    """The invitation was accepted, declined or withdrawn meanwhile."""


class AlreadyMember(AccountError):
    """The person got a role in the region another way; the offer lapsed (commit that)."""


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
    existing = find_user(email)
    if (
        existing is not None
        and region is not None
        and role is not None
        and needs_consent(inviter, existing, region)
    ):
        return Invitation(existing, False, None, None, offer_role(existing, region, role, inviter))
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


# --- roles offered to existing accounts ------------------------------------------------------


def managed_region_ids(user: User) -> set[int]:
    return {
        m.region_id
        for m in user.memberships
        if Permission.MANAGE_MEMBERS in ROLE_PERMISSIONS[m.role]
    }


def needs_consent(inviter: User, user: User, region: Region) -> bool:
    """Whether a role in ``region`` for the existing account ``user`` waits for its owner.

    It does not for an administrator's invitation (they manage every account), for someone who
    already has a role in the region (it just changes), for someone who has a role in another
    region the inviter manages (the inviter sees them there already), or for an account that
    was never used: no password, no role, no administrator, as an invitation leaves it.
    """
    if inviter.is_admin:
        return False
    regions = {m.region_id for m in user.memberships}
    if region.id in regions:
        return False
    if not regions and not user.has_password and not user.is_admin:
        return False
    return not (regions & managed_region_ids(inviter))


def _audit_offer(action: AuditAction, invitation: RegionInvitation, what: dict) -> None:
    """In the region's history: the address the inviter typed and the role, never the name."""
    record(
        action,
        "region_invitation",
        object_id=invitation.id,
        object_label=f"{invitation.user.email}: {invitation.role.label}",
        region_id=invitation.region_id,
        changes=[what],
    )


def offer_role(user: User, region: Region, role: Role, inviter: User) -> RoleOffer:
    """Offer ``role`` in ``region`` to ``user``, or change the role of an open offer."""
    invitation = db.session.scalar(
        select(RegionInvitation).where(
            RegionInvitation.user_id == user.id, RegionInvitation.region_id == region.id
        )
    )
    if invitation is None:
        invitation = RegionInvitation(
            user=user,
            region=region,
            role=role,
            invited_by_id=inviter.id,
            invited_by_name=inviter.name,
        )
        db.session.add(invitation)
        db.session.flush()
        _audit_offer(AuditAction.CREATED, invitation, change("Rol", None, role))
    elif invitation.role is role and invitation.updated_dt > utcnow() - RECENTLY_MAILED:
        # A double click on "Uitnodigen": one invitation, one mail.
        return RoleOffer(invitation, mailed=False, repeated=True)
    else:
        before = invitation.role
        invitation.role = role
        invitation.invited_by_id = inviter.id
        invitation.invited_by_name = inviter.name
        invitation.updated_dt = utcnow()
        db.session.flush()
        _audit_offer(AuditAction.CHANGED, invitation, change("Rol", before, role))
    if not mail_configured():
        return RoleOffer(invitation, mailed=False)
    body = render_template(
        "accounts/mail_region_invitation.txt",
        user=user,
        inviter=inviter.name,
        region=region.name,
        role=role.label.lower(),
        link=url_for("accounts.account", _external=True, _anchor="uitnodigingen"),
    )
    if send_mail(user.email, f"Uitnodiging voor regio {region.name} in Handvat", body):
        return RoleOffer(invitation, mailed=True)
    return RoleOffer(invitation, mailed=False, mail_failed=True)


def open_offers_for(user: User) -> list[RegionInvitation]:
    """The roles offered to ``user``, oldest first."""
    return list(
        db.session.scalars(
            select(RegionInvitation)
            .where(RegionInvitation.user_id == user.id)
            .order_by(RegionInvitation.created_dt, RegionInvitation.id)
        )
    )


def open_offers_of_region(region_id: int) -> list[RegionInvitation]:
    """The roles the region offered that wait for an answer, newest first."""
    return list(
        db.session.scalars(
            select(RegionInvitation)
            .where(RegionInvitation.region_id == region_id)
            .order_by(RegionInvitation.created_dt.desc(), RegionInvitation.id.desc())
        )
    )


def _locked_offer(invitation_id: int, **where) -> RegionInvitation:
    """The offer, read again after taking its region's lock; ``OfferGone`` if it is gone."""
    query = select(RegionInvitation).where(RegionInvitation.id == invitation_id)
    for column, value in where.items():
        query = query.where(getattr(RegionInvitation, column) == value)
    invitation = db.session.scalar(query)
    if invitation is not None:
        lock_region_members(invitation.region_id)
        invitation = db.session.scalar(query.execution_options(populate_existing=True))
    if invitation is None:
        raise OfferGone(
            "Deze uitnodiging staat niet meer open: ze is al aangenomen, afgeslagen of ingetrokken."
        )
    return invitation


def _close_offer(invitation: RegionInvitation, outcome: str) -> None:
    """The offer is answered: ``outcome`` is "aangenomen", "afgeslagen", "ingetrokken" or
    "vervallen"; the audit trail keeps it as the offer's last status."""
    _audit_offer(AuditAction.CHANGED, invitation, change(OFFER_STATUS, "open", outcome))
    db.session.delete(invitation)
    db.session.flush()


def accept_offer(user: User, invitation_id: int, role_seen: str) -> Membership:
    """``user`` takes the role offered. ``role_seen`` is the role on the page they answered:
    if the coordinator changed it meanwhile, they are asked to look again."""
    invitation = _locked_offer(invitation_id, user_id=user.id)
    current = db.session.scalar(
        select(Membership.role).where(
            Membership.user_id == user.id, Membership.region_id == invitation.region_id
        )
    )
    if current is not None:
        name = invitation.region.name
        _close_offer(invitation, "vervallen")
        raise AlreadyMember(
            f"U bent al {current.label.lower()} in regio {name}. De uitnodiging is vervallen."
        )
    if invitation.role.value != role_seen:
        raise AccountError(
            f"De uitnodiging voor regio {invitation.region.name} is net gewijzigd: de rol is "
            f"nu {invitation.role.label.lower()}. Bekijk de uitnodiging en kies opnieuw."
        )
    region, role = invitation.region, invitation.role
    _close_offer(invitation, "aangenomen")
    return set_role(user, region, role)


def decline_offer(user: User, invitation_id: int) -> Region:
    invitation = _locked_offer(invitation_id, user_id=user.id)
    region = invitation.region
    _close_offer(invitation, "afgeslagen")
    return region


def withdraw_offer(region: Region, invitation_id: int) -> str:
    """A coordinator withdraws their region's offer; returns the address it was for."""
    invitation = _locked_offer(invitation_id, region_id=region.id)
    email = invitation.user.email
    _close_offer(invitation, "ingetrokken")
    return email


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
    managed = managed_region_ids(inviter)
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
