from __future__ import annotations

from flask import Blueprint, Response, render_template

from ..actions.queries import actions_of
from ..conversations.queries import get_conversation_or_404
from ..core.formatting import date_short
from ..questionnaires.registry import current_questionnaire
from ..regions.operations import slugify
from .pdf import render_action_list_pdf, render_blank_plate_pdf
from .queries import action_list_document, blank_plate_document

bp = Blueprint("exports", __name__)


def _pdf_response(pdf: bytes, filename: str) -> Response:
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "no-store",
    })


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
    filename = (f"actielijst-{slugify(conversation.title)[:60]}-"
                f"{date_short(conversation.held_on)}.pdf")
    return _pdf_response(render_action_list_pdf(document), filename)


@bp.get("/gespreksplaat.pdf")
def blank_plate_pdf():
    questionnaire = current_questionnaire().questionnaire
    filename = f"gespreksplaat-{questionnaire.key}-v{questionnaire.version}.pdf"
    return _pdf_response(render_blank_plate_pdf(blank_plate_document(questionnaire)), filename)
