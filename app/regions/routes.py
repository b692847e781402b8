"""A region's own page: its conversations, and for its coordinator its members and data."""

from __future__ import annotations

from typing import NamedTuple

from flask import Blueprint, abort, current_app, render_template, url_for
from sqlalchemy import select

from ..accounts.access import current_access
from ..accounts.roles import Permission
from ..conversations.queries import conversations_overview
from ..extensions import db
from .models import Region

bp = Blueprint("regions", __name__, url_prefix="/regio")


def get_region_or_404(slug: str, permission=None) -> Region:
    """The region, if the user has a role in it (else 404); 403 without ``permission``."""
    region = db.session.scalar(select(Region).where(Region.slug == slug[:120]))
    access = current_access()
    if region is None or not access.can_see(region.id):
        abort(404)
    if permission is not None and not access.allows(permission, region.id):
        abort(403)
    return region


class RegionLink(NamedTuple):
    label: str
    href: str


#: (label, endpoint, permission): the region's pages beside its conversations.
REGION_PAGES = (
    ("Leden beheren", "regions.members", Permission.MANAGE_MEMBERS),
    ("Geschiedenis", "audit.region_history", Permission.VIEW),
    ("Gegevens downloaden of wissen", "privacy.region_data", Permission.REGION_DATA),
)


def region_links(region: Region) -> list[RegionLink]:
    access = current_access()
    return [
        RegionLink(label, url_for(endpoint, slug=region.slug))
        for label, endpoint, permission in REGION_PAGES
        if access.allows(permission, region.id) and endpoint in current_app.view_functions
    ]


@bp.get("/<slug>")
def show(slug: str):
    region = get_region_or_404(slug)
    return render_template(
        "regions/show.html",
        region=region,
        conversations=conversations_overview(region.id),
        region_links=region_links,
    )
