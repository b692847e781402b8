"""The facilitator's side of a workshop: opening it, the control page, the projector."""

from __future__ import annotations

from flask import Blueprint

from . import models  # noqa: F401  (the tables belong to the app's metadata)

bp = Blueprint("workshops", __name__)
