"""The participants' side of a workshop: joining with the code, the phone page."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("workshop_participants", __name__)
