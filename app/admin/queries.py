"""Reads for the management pages: regions, users and their roles, questionnaire versions.

The region's member list for its coordinator lives here too: it is the same people
management, narrowed to one region.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager, selectinload

from ..accounts.models import AccountLink, LinkPurpose, Membership, User
from ..conversations.models import Conversation
from ..core.models import utcnow
from ..core.paging import page_count
from ..extensions import db
from ..questionnaires.models import QuestionnaireSnapshot
from ..questionnaires.registry import registry
from ..regions.models import Region


@dataclass(frozen=True)
class RegionRow:
    region: Region
    members: int
    conversations: int


def regions_overview() -> list[RegionRow]:
    members = dict(
        db.session.execute(
            select(Membership.region_id, func.count()).group_by(Membership.region_id)
        ).all()
    )
    conversations = dict(
        db.session.execute(
            select(Conversation.region_id, func.count()).group_by(Conversation.region_id)
        ).all()
    )
    regions = db.session.scalars(
        select(Region).options(selectinload(Region.municipalities)).order_by(Region.name)
    )
    return [
        RegionRow(region, members.get(region.id, 0), conversations.get(region.id, 0))
        for region in regions
    ]


def all_regions() -> list[Region]:
    return list(db.session.scalars(select(Region).order_by(Region.name)))


def pending_invitations(user_ids) -> dict[int, datetime]:
    """For users without a password: until when their invitation link works, if it does.

    ``user_ids``: a SELECT of ids (one statement however many users), or one user's id in a
    list."""
    rows = db.session.execute(
        select(AccountLink.user_id, func.max(AccountLink.expires_dt))
        .where(
            AccountLink.user_id.in_(user_ids),
            AccountLink.purpose == LinkPurpose.INVITATION,
            AccountLink.used_dt.is_(None),
            AccountLink.expires_dt > utcnow(),
        )
        .group_by(AccountLink.user_id)
    ).all()
    return dict(rows)


@dataclass(frozen=True)
class UserRow:
    user: User
    memberships: list[Membership]
    #: Until when the invitation link works; None when there is none (or a password is set).
    invitation_until: datetime | None


USERS_PER_PAGE = 50


def users_overview(page: int = 1) -> tuple[list[UserRow], int, int]:
    """One page of all users by name, the total, and the page actually shown."""
    total = db.session.scalar(select(func.count()).select_from(User))
    page = min(page, page_count(total, USERS_PER_PAGE))
    ids = (
        select(User.id)
        .order_by(User.name, User.email, User.id)
        .limit(USERS_PER_PAGE)
        .offset((page - 1) * USERS_PER_PAGE)
    )
    users = list(
        db.session.scalars(
            select(User)
            .where(User.id.in_(ids.scalar_subquery()))
            .order_by(User.name, User.email, User.id)
        )
    )
    roles: dict[int, list[Membership]] = {}
    for membership in db.session.scalars(
        select(Membership)
        .join(Region, Region.id == Membership.region_id)
        .where(Membership.user_id.in_(ids.scalar_subquery()))
        .options(contains_eager(Membership.region))
        .order_by(Region.name)
    ):
        roles.setdefault(membership.user_id, []).append(membership)
    pending = pending_invitations(
        select(User.id).where(User.id.in_(ids.scalar_subquery()), User.password_hash.is_(None))
    )
    rows = [UserRow(user, roles.get(user.id, []), pending.get(user.id)) for user in users]
    return rows, total, page


def get_user(user_id: int) -> User | None:
    return db.session.get(User, user_id)


def user_row(user: User) -> UserRow:
    return UserRow(
        user,
        sorted(user.memberships, key=lambda m: m.region.name.casefold()),
        None if user.has_password else pending_invitations([user.id]).get(user.id),
    )


def user_membership(user_id: int, membership_id: int) -> Membership | None:
    return db.session.scalar(
        select(Membership).where(Membership.id == membership_id, Membership.user_id == user_id)
    )


def admin_count() -> int:
    return db.session.scalar(select(func.count()).select_from(User).where(User.is_admin))


# --- a region's members ------------------------------------------------------------------------


@dataclass(frozen=True)
class MemberRow:
    membership: Membership
    user: User
    invitation_until: datetime | None


def region_members(region_id: int) -> list[MemberRow]:
    memberships = list(
        db.session.scalars(
            select(Membership)
            .join(User, User.id == Membership.user_id)
            .where(Membership.region_id == region_id)
            .options(selectinload(Membership.user))
            .order_by(User.name, User.email)
        )
    )
    pending = pending_invitations(
        select(Membership.user_id)
        .join(User, User.id == Membership.user_id)
        .where(Membership.region_id == region_id, User.password_hash.is_(None))
    )
    return [MemberRow(m, m.user, pending.get(m.user_id)) for m in memberships]


def region_membership(region_id: int, membership_id: int) -> Membership | None:
    """A membership of this region only: an id of another region's member is not found."""
    return db.session.scalar(
        select(Membership).where(Membership.id == membership_id, Membership.region_id == region_id)
    )


def member_row(membership: Membership) -> MemberRow:
    user = membership.user
    pending = None if user.has_password else pending_invitations([user.id]).get(user.id)
    return MemberRow(membership, user, pending)


# --- questionnaire versions --------------------------------------------------------------------


@dataclass(frozen=True)
class QuestionnaireVersionRow:
    key: str
    version: str
    title: str
    file_name: str | None
    content_sha256: str
    #: New conversations get this one.
    current: bool
    conversations: int
    #: Stored for older conversations; no file holds this content any more.
    stored_only: bool = False


def questionnaire_versions() -> list[QuestionnaireVersionRow]:
    """The versions loaded from the questionnaire folder, and the stored snapshots that
    conversations use (also of content no file holds any more)."""
    counts = {
        (key, version, sha): count
        for key, version, sha, count in db.session.execute(
            select(
                QuestionnaireSnapshot.key,
                QuestionnaireSnapshot.version,
                QuestionnaireSnapshot.content_sha256,
                func.count(Conversation.id),
            )
            .outerjoin(
                Conversation, Conversation.questionnaire_snapshot_id == QuestionnaireSnapshot.id
            )
            .group_by(
                QuestionnaireSnapshot.key,
                QuestionnaireSnapshot.version,
                QuestionnaireSnapshot.content_sha256,
            )
        ).all()
    }
    loaded_items = _loaded_questionnaires()
    current_key = current_app.config["QUESTIONNAIRE_KEY"]
    current = registry().current(current_key)
    rows = []
    for item in loaded_items:
        q = item.questionnaire
        identity = (q.key, q.version, item.content_sha256)
        rows.append(
            QuestionnaireVersionRow(
                key=q.key,
                version=q.version,
                title=q.title,
                file_name=item.path.name,
                content_sha256=item.content_sha256,
                current=item is current,
                conversations=counts.pop(identity, 0),
            )
        )
    if counts:
        titles = dict(
            db.session.execute(
                select(QuestionnaireSnapshot.content_sha256, QuestionnaireSnapshot.content).where(
                    QuestionnaireSnapshot.content_sha256.in_([sha for _, _, sha in counts])
                )
            ).all()
        )
        for (key, version, sha), count in counts.items():
            content = titles.get(sha) or {}
            rows.append(
                QuestionnaireVersionRow(
                    key=key,
                    version=version,
                    title=str(content.get("title", "")),
                    file_name=None,
                    content_sha256=sha,
                    current=False,
                    conversations=count,
                    stored_only=True,
                )
            )
    return sorted(rows, key=lambda r: (r.key, not r.current, r.stored_only, r.version))


def _loaded_questionnaires() -> list:
    """Every file the registry loaded. ``QuestionnaireRegistry`` has no public listing yet, so
    this reads its table; the registry never changes after start-up."""
    return list(registry()._by_key_version.values())
