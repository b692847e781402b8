"""A region's monitoring indicators, their observations, and what they are linked to.

An indicator belongs to one region: regions measure different things in different ways, and
one region never sees another's figures. Standard indicators (``questionnaires/indicators/``)
only suggest a key, a name and a definition; the figures are always the region's own.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.models import LabelledEnum, TimestampMixin, UtcDateTime, enum_column, utcnow
from ..extensions import db


class Direction(LabelledEnum):
    HIGHER = ("hoger", "Hoger is beter")
    LOWER = ("lager", "Lager is beter")
    NEUTRAL = ("neutraal", "Geen richting: de cijfers geven een beeld")


class Indicator(TimestampMixin, db.Model):
    __tablename__ = "indicator"
    __table_args__ = (
        UniqueConstraint("region_id", "key", name="uq_indicator_region_key"),
        UniqueConstraint("region_id", "name", name="uq_indicator_region_name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    #: Stable within the region; a standard indicator's key links it to questions.
    key: Mapped[str] = mapped_column(String(80))
    name: Mapped[str] = mapped_column(String(200))
    definition: Mapped[str] = mapped_column(Text, default="")
    #: What a value counts ("studenten", "gesprekken", "%"); shown after the value.
    unit: Mapped[str] = mapped_column(String(40), default="")
    direction: Mapped[Direction] = mapped_column(enum_column(Direction), default=Direction.NEUTRAL)
    source: Mapped[str] = mapped_column(String(300), default="")
    frequency: Mapped[str] = mapped_column(String(80), default="")
    #: The region's target for the indicator's total, drawn as a line in its chart.
    target_value: Mapped[float | None] = mapped_column(Float)
    target_period: Mapped[str | None] = mapped_column(String(20))
    #: Goes up with every saved change of the description: a form based on an older one is a
    #: concurrent edit.
    revision: Mapped[int] = mapped_column(Integer, nullable=False)

    observations: Mapped[list[Observation]] = relationship(
        back_populates="indicator", cascade="all, delete-orphan", passive_deletes=True
    )

    __mapper_args__ = {"version_id_col": revision}


class Observation(db.Model):
    """One value: an indicator in a period, for one category (or none) of the region."""

    __tablename__ = "indicator_observation"
    #: ``municipality_code`` and ``category`` are "" rather than NULL when absent, so that the
    #: unique constraint holds: NULLs never collide.
    __table_args__ = (UniqueConstraint("indicator_id", "period", "category", "municipality_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    indicator_id: Mapped[int] = mapped_column(
        ForeignKey("indicator.id", ondelete="CASCADE"), index=True
    )
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    #: Canonical period code ("2021", "2021-H1", "2021-Q2", "2021-03", "2021/2022").
    period: Mapped[str] = mapped_column(String(20))
    period_start: Mapped[date] = mapped_column(Date)
    category: Mapped[str] = mapped_column(String(200), default="")
    municipality_code: Mapped[str] = mapped_column(String(10), default="")
    #: Order of the categories as in the file (months stay January to December).
    position: Mapped[int] = mapped_column(Integer, default=0)
    #: None when missing or suppressed: missing is not zero.
    value: Mapped[float | None] = mapped_column(Float)
    is_percentage: Mapped[bool] = mapped_column(Boolean, default=False)
    is_total: Mapped[bool] = mapped_column(Boolean, default=False)
    provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    suppressed: Mapped[bool] = mapped_column(Boolean, default=False)

    indicator: Mapped[Indicator] = relationship(back_populates="observations")


class QuestionIndicatorLink(db.Model):
    """A region's own link between a question and one of its indicators, beside the links
    the questionnaire content names."""

    __tablename__ = "question_indicator_link"
    __table_args__ = (UniqueConstraint("indicator_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    indicator_id: Mapped[int] = mapped_column(
        ForeignKey("indicator.id", ondelete="CASCADE"), index=True
    )
    question_id: Mapped[str] = mapped_column(String(80))

    indicator: Mapped[Indicator] = relationship()


class ActionIndicatorLink(TimestampMixin, db.Model):
    """An action point meant to move an indicator: where it started, where it should go."""

    __tablename__ = "action_indicator_link"
    __table_args__ = (UniqueConstraint("action_point_id", "indicator_id", "category"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    action_point_id: Mapped[int] = mapped_column(
        ForeignKey("action_point.id", ondelete="CASCADE"), index=True
    )
    indicator_id: Mapped[int] = mapped_column(
        ForeignKey("indicator.id", ondelete="CASCADE"), index=True
    )
    #: "" for the indicator's total (or its only value); else one of its categories.
    category: Mapped[str] = mapped_column(String(200), default="")
    baseline_value: Mapped[float | None] = mapped_column(Float)
    baseline_period: Mapped[str | None] = mapped_column(String(20))
    target_value: Mapped[float | None] = mapped_column(Float)
    target_period: Mapped[str | None] = mapped_column(String(20))
    #: "Het verhaal achter het cijfer": what explains the figure, what the action changes.
    story: Mapped[str] = mapped_column(Text, default="")
    #: Raised by every change, so an edit made on an older copy of the form is refused.
    revision: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    indicator: Mapped[Indicator] = relationship()


class IndicatorUpload(db.Model):
    """A file between its preview and the user's confirmation.

    Kept in the database, never under a name the user chose and never on one server's disk:
    whichever app server answers the confirmation finds it. Removed when confirmed or
    cancelled, and after a day.
    """

    __tablename__ = "indicator_upload"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    file_name: Mapped[str] = mapped_column(String(255))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    #: The import options chosen on the form (``ImportOptions`` as a dict).
    options: Mapped[dict] = mapped_column(JSON, default=dict)
    created_dt: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
