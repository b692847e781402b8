from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..core.models import utcnow
from ..extensions import db
from .schema import Questionnaire

#: Parsed snapshot content by its hash: the hash identifies the content, so it can be shared.
_parsed_by_hash: dict[str, Questionnaire] = {}


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
    created_dt: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    @property
    def questionnaire(self) -> Questionnaire:
        parsed = _parsed_by_hash.get(self.content_sha256)
        if parsed is None:
            parsed = _parsed_by_hash[self.content_sha256] = Questionnaire.model_validate(
                self.content
            )
        return parsed
