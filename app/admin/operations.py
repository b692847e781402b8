"""Writes for the management pages and a region's member management. They flush; the route
commits.

Every change to a region's members first takes that region's member lock and reads the
membership again, so a membership removed by someone else a moment ago is never brought back
by a role change, and two coordinators cannot both step down and leave a region without one.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from ..accounts.access import forget_current_access
from ..accounts.invitations import last_coordinator_problem, lock_region_members
from ..accounts.models import Membership, User
from ..accounts.operations import (
    AccountError,
    account_deletion_problem,
    delete_account,
    remove_membership,
    set_role,
)
from ..accounts.roles import Role
from ..audit.models import AuditAction
from ..audit.operations import change, record
from ..core.database import serialize_writes
from ..core.text import clean_line
from ..extensions import db
from ..regions.models import Region
from ..regions.operations import ensure_region, slugify
from .queries import admin_count, region_membership


class MembershipGone(LookupError):
    """The membership was removed meanwhile (or never belonged to this region)."""


# --- regions -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RegionAdded:
    region: Region
    created: bool
    municipalities_added: int


def add_region(name: str, municipalities: list[str]) -> RegionAdded:
    """Create a region, or add municipalities to the one with this name. ``ValueError`` with a
    Dutch message for a name that is empty, too long, or too close to another region's."""
    serialize_writes("regions")
    cleaned = clean_line(name).strip()
    existing = db.session.scalar(select(Region).where(Region.name == cleaned))
    before = len(existing.municipalities) if existing else 0
    if existing is None:
        slug = slugify(cleaned) or "regio"
        other = db.session.scalar(select(Region).where(Region.slug == slug))
        if other is not None:
            raise ValueError(
                f"De naam lijkt te veel op die van regio {other.name}: ze krijgen hetzelfde "
                f"adres (/regio/{slug}). Kies een andere naam, of voeg de gemeenten toe aan "
                f"regio {other.name} door precies die naam te gebruiken."
            )
    region = ensure_region(name, _unique(municipalities))
    return RegionAdded(region, existing is None, len(region.municipalities) - before)


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, None] = {}
    for name in names:
        seen.setdefault(clean_line(name).strip(), None)
    return [name for name in seen if name]


# --- a region's members ------------------------------------------------------------------------


def locked_membership(region_id: int, membership_id: int) -> Membership:
    """The membership, read again under the region's member lock; ``MembershipGone`` if not."""
    lock_region_members(region_id)
    membership = region_membership(region_id, membership_id)
    if membership is None:
        raise MembershipGone(membership_id)
    db.session.refresh(membership)
    return membership


def change_member_role(
    region: Region, membership_id: int, role: Role, *, actor: User, keep_a_coordinator: bool
) -> Membership:
    """Give the member ``role``. With ``keep_a_coordinator`` (a coordinator's own page) the
    region's last coordinator cannot step down. Raises ``MembershipGone`` or ``AccountError``."""
    membership = locked_membership(region.id, membership_id)
    if keep_a_coordinator:
        problem = last_coordinator_problem(region, membership.user, role, actor=actor)
        if problem:
            raise AccountError(problem)
    return set_role(membership.user, region, role)


def remove_member(
    region: Region, membership_id: int, *, actor: User, keep_a_coordinator: bool
) -> User:
    """Take the member out of the region; the person whose role it was."""
    membership = locked_membership(region.id, membership_id)
    user = membership.user
    if keep_a_coordinator:
        problem = last_coordinator_problem(region, user, None, actor=actor)
        if problem:
            raise AccountError(problem)
    remove_membership(membership)
    return user


# --- users -------------------------------------------------------------------------------------


LAST_ADMIN = (
    "{name} is de enige beheerder. Maak eerst iemand anders beheerder; anders kan niemand "
    "Handvat meer beheren."
)


class UserGone(LookupError):
    """The account was deleted meanwhile."""


def _locked_user(user_id: int) -> User:
    serialize_writes("administrators")
    user = db.session.get(User, user_id, populate_existing=True)
    if user is None:
        raise UserGone(user_id)
    return user


def set_admin(user_id: int, is_admin: bool) -> tuple[User, bool]:
    """Make the user administrator or not; (user, changed). The last administrator stays one
    (``AccountError``); ``UserGone`` when the account was deleted meanwhile."""
    user = _locked_user(user_id)
    if user.is_admin == is_admin:
        return user, False
    if not is_admin and admin_count() <= 1:
        raise AccountError(LAST_ADMIN.format(name=user.name))
    user.is_admin = is_admin
    db.session.flush()
    record(
        AuditAction.CHANGED,
        "user",
        object_id=user.id,
        object_label=f"{user.name} ({user.email})",
        changes=[change("Beheerder", _yes_no(not is_admin), _yes_no(is_admin))],
    )
    forget_current_access()
    return user, True


def _yes_no(value: bool) -> str:
    return "ja" if value else "nee"


def user_deletion_problem(user: User, actor: User) -> str | None:
    if user.id == actor.id:
        return "Uw eigen account verwijdert u via ‘Mijn account’. Daar vragen we ook uw wachtwoord."
    if account_deletion_problem(user):
        return LAST_ADMIN.format(name=user.name)
    return None


def delete_user(user_id: int, *, actor: User) -> User:
    """Delete someone else's account: their roles, sessions and links go with it. Returns the
    deleted user (for its name). ``UserGone`` when it was deleted meanwhile."""
    user = _locked_user(user_id)
    problem = user_deletion_problem(user, actor)
    if problem:
        raise AccountError(problem)
    label = f"{user.name} ({user.email})"
    # Roles first, then a fresh (empty) collection: ``delete_account`` on a user whose
    # memberships collection still holds the deleted rows would delete them a second time.
    for membership in list(user.memberships):
        remove_membership(membership)
    db.session.expire(user, ["memberships"])
    delete_account(user)
    record(AuditAction.DELETED, "user", object_id=user_id, object_label=label)
    return user
