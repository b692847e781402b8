"""After the workshop: its results as a page and a PDF, and the raw input as CSV.

The page needs VIEW on the conversation's region, the downloads EXPORT (everyone in the region
has both; no role there at all gives a 404). The conversation pages and the action list show a
question's stored spread through the template globals registered here: the conversations
feature does not import the workshop.
"""

from __future__ import annotations

from flask import Blueprint, Response, render_template

from ..accounts.roles import Permission
from ..core.formatting import date_short
from ..exports.cache import rendered_export
from ..exports.limits import answer_export_limits
from ..regions.operations import slugify
from .queries import get_workshop_or_404
from .results import input_rows, render_input_csv, results_document, workshop_day
from .results_pdf import render_results_pdf, renderer_digest
from .spread import RoomSpread, spread_from_stored, spread_svg

bp = Blueprint("workshop_results", __name__)

#: Werkzeug adds "; charset=utf-8" to a text/* mimetype itself; naming it here made it twice.
CSV_MIMETYPE = "text/csv"


@bp.get("/workshops/<id:workshop_id>/resultaten")
def results(workshop_id: int):
    workshop = get_workshop_or_404(workshop_id, Permission.VIEW)
    return render_template(
        "workshops/results.html",
        doc=results_document(workshop),
        workshop=workshop,
        conversation=workshop.conversation,
    )


@bp.get("/workshops/<id:workshop_id>/resultaten.pdf")
def results_pdf(workshop_id: int):
    workshop = get_workshop_or_404(workshop_id, Permission.EXPORT)
    document = results_document(workshop)
    data = rendered_export(
        f"workshop-results-{renderer_digest()}.pdf", document, render_results_pdf
    )
    return _download(data, _filename(workshop, "resultaten", "pdf"), "application/pdf")


@bp.get("/workshops/<id:workshop_id>/invoer.csv")
def input_csv(workshop_id: int):
    workshop = get_workshop_or_404(workshop_id, Permission.EXPORT)
    data = render_input_csv(input_rows(workshop))
    return _download(data, _filename(workshop, "invoer", "csv"), CSV_MIMETYPE)


def _filename(workshop, what: str, extension: str) -> str:
    title = slugify(workshop.conversation.title)[:60]
    return f"workshop-{what}-{title}-{date_short(workshop_day(workshop))}.{extension}"


def _download(data: bytes, filename: str, mimetype: str) -> Response:
    return Response(
        data,
        mimetype=mimetype,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


# --- for the conversation pages and the action list ------------------------------------------


def room_spread(conversation, answer) -> RoomSpread | None:
    """The room's spread stored with an answer (``Answer`` or ``AnswerView``, read with the
    conversation's steps), in the conversation's scale; None when there is none."""
    stored = answer.room_spread if answer is not None else None
    return (
        spread_from_stored(stored, conversation.questionnaire.assessment_scale) if stored else None
    )


bp.add_app_template_global(room_spread, "room_spread")
bp.add_app_template_global(spread_svg, "room_spread_svg")


answer_export_limits(
    bp,
    busy_message="Er wordt nu al een ander bestand gemaakt. Probeer het over een minuut opnieuw. "
    "Er is niets verloren gegaan.",
    slow_title="Dit bestand is te groot",
    slow_message="Het maken van dit bestand duurde te lang. Daarom zijn we gestopt. Er is niets "
    "verloren gegaan. U kunt de resultaten wel als webpagina bekijken en printen.",
    slow_retry=False,
)
