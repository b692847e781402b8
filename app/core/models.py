"""Small building blocks shared by the feature models."""

from __future__ import annotations

import enum
from datetime import UTC, datetime

from sqlalchemy import DateTime, Enum
from sqlalchemy.orm import Mapped, mapped_column


def utcnow() -> datetime:
    return datetime.now(UTC)


class TimestampMixin:
    created_dt: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_dt: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )


def enum_column(enum_cls: type[enum.Enum]) -> Enum:
    """Store an enum by its value as a plain string column (portable, readable in SQL)."""
    return Enum(
        enum_cls,
        native_enum=False,
        length=max(len(m.value) for m in enum_cls),
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
        name=enum_cls.__name__.lower(),
    )


class LabelledEnum(enum.StrEnum):
    """A string enum whose members carry the Dutch label users see."""

    def __new__(cls, value: str, label: str):
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        return [(m.value, m.label) for m in cls]
