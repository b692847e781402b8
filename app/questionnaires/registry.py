"""The app's questionnaire registry and the snapshot of the current version."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app
from sqlalchemy import select

from ..extensions import db
from .loader import LoadedQuestionnaire, QuestionnaireRegistry
from .models import QuestionnaireSnapshot


def init_questionnaires(app: Flask) -> None:
    # Loading at start-up means a broken file stops the app with a message naming the file.
    app.extensions["handvat_questionnaires"] = QuestionnaireRegistry.from_folder(
        Path(app.config["QUESTIONNAIRE_FOLDER"])
    )


def registry() -> QuestionnaireRegistry:
    return current_app.extensions["handvat_questionnaires"]


def current_questionnaire() -> LoadedQuestionnaire:
    return registry().current(current_app.config["QUESTIONNAIRE_KEY"])


def snapshot_of(loaded: LoadedQuestionnaire) -> QuestionnaireSnapshot:
    """The stored snapshot for this exact content, created the first time it is used."""
    q = loaded.questionnaire
    snapshot = db.session.scalar(
        select(QuestionnaireSnapshot).where(
            QuestionnaireSnapshot.key == q.key,
            QuestionnaireSnapshot.version == q.version,
            QuestionnaireSnapshot.content_sha256 == loaded.content_sha256,
        )
    )
    if snapshot is None:
        snapshot = QuestionnaireSnapshot(
            key=q.key,
            version=q.version,
            content_sha256=loaded.content_sha256,
            content=loaded.content,
        )
        db.session.add(snapshot)
        db.session.flush()
    return snapshot
