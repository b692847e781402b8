"""Reads of regions. Per-region access control (a later issue) narrows ``visible_regions``."""

from __future__ import annotations

from sqlalchemy import Select, select

from ..extensions import db
from .models import Region


def visible_regions_select() -> Select:
    """The regions the current user may see. Every region-scoped query filters on this."""
    return select(Region.id)


def visible_regions() -> list[Region]:
    return list(
        db.session.scalars(
            select(Region).where(Region.id.in_(visible_regions_select())).order_by(Region.name)
        )
    )
