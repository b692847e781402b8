from __future__ import annotations

from datetime import timedelta

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    render_template,
    send_from_directory,
    session,
)

from ..accounts.access import current_access, public
from ..config import security_txt_stale
from ..conversations.queries import latest_conversations_by_region
from ..questionnaires.registry import current_questionnaire
from .database import reads_only
from .formatting import local_now
from .page_cache import cached_page

bp = Blueprint("core", __name__)


@bp.get("/")
@reads_only
def home():
    # Rendered only when a conversation of the user's regions changed (their revisions come
    # with the session, no statement of its own), or the user (roles, region names and slugs)
    # or the session (the sign-out form's CSRF token) did, as the conversation page is.
    questionnaire = current_questionnaire().questionnaire
    access = current_access()
    return cached_page(
        (
            "home",
            access.revisions_key(),
            access.fingerprint,
            tuple(region.slug for region in access.regions),
            session.get("csrf_token"),
            questionnaire.title,
        ),
        lambda: render_template(
            "home.html",
            by_region=latest_conversations_by_region(),
            questionnaire=questionnaire,
        ),
    )


@bp.get("/over")
@public
def about():
    return render_template("about.html", questionnaire=current_questionnaire().questionnaire)


@bp.get("/healthz")
@public
def health():
    return {"status": "ok"}


@bp.get("/favicon.ico")
@public
def favicon():
    """Browsers ask for this address by themselves (beside a PDF, or for a page that names no
    icon): the pages' own icon, rather than a 404 page rendered on every visit."""
    return send_from_directory(
        current_app.static_folder, "favicon.svg", mimetype="image/svg+xml", max_age=86_400
    )


@bp.get("/.well-known/security.txt")
@public
def security_txt():
    """RFC 9116: where to report a vulnerability. Only when the installation names a contact."""
    config = current_app.config
    contact = config.get("SECURITY_CONTACT")
    if not contact:
        abort(404)
    if stale := security_txt_stale(config):
        current_app.logger.warning(stale)
    expires = config.get("SECURITY_TXT_EXPIRES") or (
        (local_now() + timedelta(days=365)).replace(microsecond=0).isoformat()
    )
    lines = [
        f"Contact: {contact}",
        f"Expires: {expires}",
        "Preferred-Languages: nl, en",
    ]
    return Response("\n".join(lines) + "\n", mimetype="text/plain")
