from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column

from ..core.models import UtcDateTime, utcnow
from ..extensions import db
from .schema import Questionnaire

#: Parsed snapshot content by snapshot id. Snapshots never change and ids are never reused, so
#: the cache never goes stale (tests that empty the database call ``forget_parsed_snapshots``).
_parsed_by_id: dict[int, Questionnaire] = {}


class QuestionnaireSnapshot(db.Model):
    """The exact questionnaire content a conversation was held with.

    Conversations point at a snapshot, never at the YAML file, so editing a file later does not
    rewrite an old conversation or its PDF. A changed file gets a new snapshot (new hash).
    """

    __table_args__ = (UniqueConstraint("key", "version", "content_sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80))
    version: Mapped[str] = mapped_column(String(20))
    content_sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[dict] = mapped_column(JSON)
    created_dt: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

    @property
    def questionnaire(self) -> Questionnaire:
        return parsed_snapshot(self.id)


def parsed_snapshot(snapshot_id: int) -> Questionnaire:
    """The questionnaire of a snapshot, parsed once per process (it is read on every page)."""
    parsed = _parsed_by_id.get(snapshot_id)
    if parsed is None:
        content = db.session.scalar(
            select(QuestionnaireSnapshot.content).where(QuestionnaireSnapshot.id == snapshot_id)
        )
        parsed = _parsed_by_id[snapshot_id] = Questionnaire.model_validate(content)
    return parsed


def forget_parsed_snapshots() -> None:
    _parsed_by_id.clear()
