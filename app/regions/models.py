from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.models import TimestampMixin
from ..extensions import db


class Region(TimestampMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    #: Goes up with every change to the region's figures, indicators or municipalities: pages
    #: that show figures (the conversation page) are cached per revision.
    indicator_revision: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    #: Goes up with every change to one of the region's conversations (whenever its
    #: ``Conversation.revision`` does), and when one is added, deleted or moved here or away:
    #: pages that list a region's conversations or action points are cached per revision.
    conversations_revision: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    municipalities: Mapped[list[Municipality]] = relationship(
        back_populates="region", order_by="Municipality.name", cascade="all, delete-orphan"
    )


class Municipality(db.Model):
    __table_args__ = (UniqueConstraint("region_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    #: The CBS code ("GM0153"), which the region's figures use to name the municipality.
    cbs_code: Mapped[str | None] = mapped_column(String(10))
    #: The mbo institution has a location here: for the plate's rule of thumb, students from
    #: here come from "de plaats van vestiging".
    hosts_institution: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    region: Mapped[Region] = relationship(back_populates="municipalities")
