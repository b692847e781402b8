from __future__ import annotations

from flask import Blueprint, Response, render_template

from ..accounts.access import public
from ..accounts.roles import Permission
from ..actions.queries import actions_of
from ..conversations.queries import get_conversation_or_404
from ..core.formatting import date_short
from ..questionnaires.registry import current_questionnaire
from ..regions.operations import slugify
from .cache import rendered_export
from .limits import answer_export_limits
from .pdf import render_action_list_pdf, render_blank_plate_pdf
from .queries import action_list_document, blank_plate_document
from .spreadsheet import render_action_list_xlsx

bp = Blueprint("exports", __name__)


XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _download(data: bytes, filename: str, mimetype: str = "application/pdf") -> Response:
    return Response(
        data,
        mimetype=mimetype,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


@bp.get("/gesprekken/<id:conversation_id>/actielijst")
def action_list(conversation_id: int):
    """The accessible twin of the PDF: same content, semantic HTML, prints well."""
    conversation = get_conversation_or_404(conversation_id, Permission.EXPORT)
    document = action_list_document(conversation, actions_of(conversation))
    return render_template("exports/action_list.html", doc=document, conversation=conversation)


@bp.get("/gesprekken/<id:conversation_id>/actielijst.pdf")
def action_list_pdf(conversation_id: int):
    conversation = get_conversation_or_404(conversation_id, Permission.EXPORT)
    document = action_list_document(conversation, actions_of(conversation))
    data = rendered_export("action-list.pdf", document, render_action_list_pdf)
    return _download(data, _filename(conversation, "pdf"))


@bp.get("/gesprekken/<id:conversation_id>/actielijst.xlsx")
def action_list_xlsx(conversation_id: int):
    conversation = get_conversation_or_404(conversation_id, Permission.EXPORT)
    document = action_list_document(conversation, actions_of(conversation))
    data = rendered_export("action-list.xlsx", document, render_action_list_xlsx)
    return _download(data, _filename(conversation, "xlsx"), XLSX_MIMETYPE)


def _filename(conversation, extension: str) -> str:
    return (
        f"actielijst-{slugify(conversation.title)[:60]}-"
        f"{date_short(conversation.held_on)}.{extension}"
    )


@bp.get("/gespreksplaat.pdf")
@public
def blank_plate_pdf():
    """The blank plate holds only the published questions: anyone may print it."""
    questionnaire = current_questionnaire().questionnaire
    filename = f"gespreksplaat-{questionnaire.key}-v{questionnaire.version}.pdf"
    data = rendered_export(
        "blank-plate.pdf", blank_plate_document(questionnaire), render_blank_plate_pdf
    )
    return _download(data, filename)


# Exports are rendered in a slot and within a time budget (``limits.py``).
answer_export_limits(
    bp,
    busy_message="Er wordt nu al een andere lijst gemaakt. Probeer het over een minuut opnieuw. "
    "Er is niets verloren gegaan.",
    slow_title="Dit bestand is te groot",
    slow_message="Het maken van dit bestand duurde te lang. Daarom zijn we gestopt. Er is niets "
    "verloren gegaan. U kunt de actielijst wel als webpagina bekijken en printen.",
    slow_retry=False,
)
