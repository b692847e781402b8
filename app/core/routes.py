from __future__ import annotations

from flask import Blueprint, render_template

from ..conversations.queries import conversations_overview
from ..questionnaires.registry import current_questionnaire

bp = Blueprint("core", __name__)


@bp.get("/")
def home():
    return render_template(
        "home.html",
        conversations=conversations_overview(),
        questionnaire=current_questionnaire().questionnaire,
    )


@bp.get("/over")
def about():
    return render_template("about.html", questionnaire=current_questionnaire().questionnaire)


@bp.get("/healthz")
def health():
    return {"status": "ok"}
