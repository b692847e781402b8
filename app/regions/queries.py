"""Reads of regions, narrowed to the regions the signed-in user has a role in."""

from __future__ import annotations

from sqlalchemy import Select, select

from ..extensions import db
from .models import Region


def visible_regions_select() -> Select:
    """The ids of the regions the current user has a role in. Every region-scoped list query
    filters on this; it is built anew at each call, from this request's roles."""
    from ..accounts.access import current_access

    return select(Region.id).where(Region.id.in_(current_access().region_ids))


def visible_regions(permission=None) -> list[Region]:
    """The regions the user sees; with ``permission``, only those where their role allows it."""
    from ..accounts.access import current_access

    access = current_access()
    ids = (
        [r.region_id for r in access.regions_allowing(permission)]
        if permission
        else access.region_ids
    )
    return list(db.session.scalars(select(Region).where(Region.id.in_(ids)).order_by(Region.name)))
