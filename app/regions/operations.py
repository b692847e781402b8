from __future__ import annotations

import re
import unicodedata

from sqlalchemy import select

from ..extensions import db
from .models import Municipality, Region


def slugify(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")


def ensure_region(name: str, municipalities: list[str]) -> Region:
    """Create the region if needed and add any municipality it does not have yet."""
    region = db.session.scalar(select(Region).where(Region.name == name))
    if region is None:
        region = Region(name=name, slug=slugify(name))
        db.session.add(region)
    known = {m.name for m in region.municipalities}
    for municipality in municipalities:
        if municipality not in known:
            region.municipalities.append(Municipality(name=municipality))
    db.session.flush()
    return region
