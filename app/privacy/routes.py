from __future__ import annotations

from flask import Blueprint, render_template

from ..accounts.access import public

bp = Blueprint("privacy", __name__)


@bp.get("/privacy")
@public
def statement():
    return render_template("privacy/statement.html")
