"""Privacy (AVG): what Handvat stores and why, a region's data export and deletion."""

from __future__ import annotations

import tempfile

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)

from ..accounts.access import public
from ..accounts.roles import Permission
from ..exports.limits import answer_export_limits
from ..extensions import db
from ..regions.routes import get_region_or_404
from . import operations
from .export import export_filename, write_region_zip
from .forms import ConfirmRegionNameForm
from .queries import region_counts

bp = Blueprint("privacy", __name__)


@bp.get("/privacy")
@public
def statement():
    config = current_app.config
    return render_template(
        "privacy/statement.html",
        idle_minutes=config["SESSION_IDLE_MINUTES"],
        max_hours=config["SESSION_MAX_HOURS"],
        invitation_days=config["INVITATION_DAYS"],
        reset_minutes=config["PASSWORD_RESET_MINUTES"],
        security_contact=config.get("SECURITY_CONTACT"),
    )


@bp.get("/regio/<slug>/gegevens")
def region_data(slug: str):
    region = get_region_or_404(slug, Permission.REGION_DATA)
    return render_template("privacy/region_data.html", region=region, counts=region_counts(region))


@bp.get("/regio/<slug>/gegevens.zip")
def region_export(slug: str):
    region = get_region_or_404(slug, Permission.REGION_DATA)
    # On disk, not in memory: a region may have many conversations of 1,000 action points.
    # send_file closes (and so removes) the file once the download has been sent.
    file = tempfile.TemporaryFile()  # noqa: SIM115 (send_file closes it)
    try:
        write_region_zip(region, file)
        file.seek(0)
    except BaseException:
        file.close()
        raise
    response = send_file(
        file,
        mimetype="application/zip",
        as_attachment=True,
        download_name=export_filename(region),
        conditional=False,
        etag=False,
        last_modified=None,
        max_age=None,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/regio/<slug>/gesprekken-wissen", methods=["GET", "POST"])
def delete_region_conversations(slug: str):
    region = get_region_or_404(slug, Permission.REGION_DATA)
    form = ConfirmRegionNameForm(region.name)
    if request.method == "POST" and form.validate():
        deleted = operations.delete_region_conversations(region)
        db.session.commit()
        if deleted == 1:
            message = f"1 gesprek van regio {region.name} is gewist."
        else:
            message = f"{deleted} gesprekken van regio {region.name} zijn gewist."
        flash(message, "success")
        return redirect(url_for("privacy.region_data", slug=region.slug))
    return render_template(
        "privacy/delete_conversations.html",
        region=region,
        form=form,
        counts=region_counts(region),
    ), (422 if form.errors else 200)


# The zip renders PDFs in an export slot and within a time budget (``app/exports/limits.py``).
answer_export_limits(
    bp,
    busy_message="Er wordt nu al een ander bestand gemaakt. Probeer het over een minuut opnieuw. "
    "Er is niets verloren gegaan.",
    slow_title="Het bestand is nog niet klaar",
    slow_message="Het maken van alle actielijsten duurde te lang. Daarom zijn we gestopt. Er is "
    "niets verloren gegaan. Probeer het over een minuut opnieuw: wat al klaar was, gaat dan "
    "sneller.",
    slow_retry=True,
)
