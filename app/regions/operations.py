from __future__ import annotations

import re
import unicodedata

from sqlalchemy import select

from ..core.text import clean_line
from ..extensions import db
from ..indicators.municipalities import MunicipalityDirectory
from .models import Municipality, Region


def slugify(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")


def ensure_region(name: str, municipalities: list[str]) -> Region:
    """Create the region if needed and add any municipality it does not have yet.

    Names are cleaned like every typed text; a name that is empty or longer than its column
    raises ``ValueError`` with a Dutch message.
    """
    name = _checked_name(name, "regio")
    municipalities = [_checked_name(m, "gemeente") for m in municipalities]
    region = db.session.scalar(select(Region).where(Region.name == name))
    if region is None:
        region = Region(name=name, slug=slugify(name) or "regio")
        db.session.add(region)
    known = {m.name for m in region.municipalities}
    directory = MunicipalityDirectory.national()
    for municipality in municipalities:
        if municipality not in known:
            # The CBS code lets the region's figures name the municipality by code too.
            cbs = directory.resolve(municipality)
            region.municipalities.append(
                Municipality(name=municipality, cbs_code=cbs.code if cbs else None)
            )
    db.session.flush()
    return region


NAME_MAX_CHARACTERS = 120


def _checked_name(name: str, what: str) -> str:
    name = clean_line(name).strip()
    if not name:
        raise ValueError(f"De naam van de {what} is leeg.")
    if len(name) > NAME_MAX_CHARACTERS:
        raise ValueError(
            f"De naam van de {what} is te lang: {len(name)} tekens. "
            f"Het mag maximaal {NAME_MAX_CHARACTERS} tekens zijn."
        )
    return name
