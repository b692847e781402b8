"""Switching one's own reminders on or off (from the account page)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, url_for
from wtforms import HiddenField

from ..accounts.access import current_access
from ..core.forms import HandvatForm
from ..extensions import db
from .operations import DUE_SOON_DAYS, set_reminders

bp = Blueprint("reminders", __name__, url_prefix="/account/herinneringen")


class RemindersForm(HandvatForm):
    setting = HiddenField()


@bp.post("")
def switch():
    form = RemindersForm()
    if not form.validate() or form.setting.data not in ("aan", "uit"):
        abort(400)
    setting = form.setting.data
    set_reminders(current_access().user, setting == "aan")
    db.session.commit()
    if setting == "aan":
        flash(
            "U krijgt weer herinneringen als een actiepunt van u te laat is of binnen "
            f"{DUE_SOON_DAYS} dagen klaar moet zijn.",
            "success",
        )
    else:
        flash("U krijgt geen herinneringen meer.", "success")
    return redirect(url_for("accounts.account", _anchor="herinneringen"))


@bp.app_template_global()
def reminder_days() -> int:
    return DUE_SOON_DAYS
