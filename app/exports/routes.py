from __future__ import annotations

from flask import Blueprint, Response, render_template

from ..actions.queries import actions_of
from ..conversations.queries import get_conversation_or_404
from ..core.formatting import date_short
from ..questionnaires.registry import current_questionnaire
from ..regions.operations import slugify
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


@bp.get("/gesprekken/<int:conversation_id>/actielijst")
def action_list(conversation_id: int):
    """The accessible twin of the PDF: same content, semantic HTML, prints well."""
    conversation = get_conversation_or_404(conversation_id)
    document = action_list_document(conversation, actions_of(conversation))
    return render_template("exports/action_list.html", doc=document, conversation=conversation)


@bp.get("/gesprekken/<int:conversation_id>/actielijst.pdf")
def action_list_pdf(conversation_id: int):
    conversation = get_conversation_or_404(conversation_id)
    document = action_list_document(conversation, actions_of(conversation))
    return _download(render_action_list_pdf(document), _filename(conversation, "pdf"))


@bp.get("/gesprekken/<int:conversation_id>/actielijst.xlsx")
def action_list_xlsx(conversation_id: int):
    conversation = get_conversation_or_404(conversation_id)
    document = action_list_document(conversation, actions_of(conversation))
    return _download(
        render_action_list_xlsx(document), _filename(conversation, "xlsx"), XLSX_MIMETYPE
    )


def _filename(conversation, extension: str) -> str:
    return (
        f"actielijst-{slugify(conversation.title)[:60]}-"
        f"{date_short(conversation.held_on)}.{extension}"
    )


@bp.get("/gespreksplaat.pdf")
def blank_plate_pdf():
    questionnaire = current_questionnaire().questionnaire
    filename = f"gespreksplaat-{questionnaire.key}-v{questionnaire.version}.pdf"
    return _download(render_blank_plate_pdf(blank_plate_document(questionnaire)), filename)
