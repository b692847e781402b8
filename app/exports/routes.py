from __future__ import annotations

from flask import Blueprint, Response, render_template

from ..accounts.access import public
from ..accounts.roles import Permission
from ..actions.queries import actions_of
from ..conversations.queries import get_conversation_or_404
from ..core.formatting import date_short
from ..indicators.charts import svg_markup
from ..indicators.presentation import format_value
from ..questionnaires.registry import current_questionnaire
from ..regions.operations import slugify
from .cache import rendered_export
from .document import FigureRow
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
    return render_template(
        "exports/action_list.html",
        doc=document,
        conversation=conversation,
        value_text=format_value,
        sparkline_svg=_sparkline_svg,
    )


def _sparkline_svg(figure: FigureRow):
    """The figure's small chart as inline SVG, named and described for screen readers."""
    values = "; ".join(
        f"{period}: {'onbekend' if value is None else format_value(value, figure.unit)}"
        for period, value in zip(figure.series_periods, figure.series, strict=False)
    )
    described = [f"Waarde per periode: {values}."]
    if figure.baseline is not None:
        described.append(f"Beginwaarde {format_value(figure.baseline, figure.unit)}.")
    if figure.target is not None:
        described.append(f"Doel {format_value(figure.target, figure.unit)}.")
    return svg_markup(
        figure.sparkline(),
        title=f"Verloop van {figure.label}",
        description=" ".join(described),
    )


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
