from __future__ import annotations

from flask import Blueprint, render_template

from ..accounts.access import require_admin

bp = Blueprint("admin", __name__, url_prefix="/beheer")


@bp.get("")
def index():
    require_admin()
    return render_template("admin/index.html")
