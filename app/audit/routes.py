"""The audit trail on the page: a conversation's history and a region's history. Read only."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from ..accounts.roles import Permission
from ..conversations.queries import get_conversation_or_404
from ..regions.routes import get_region_or_404
from . import queries
from .models import AuditAction, AuditEvent

bp = Blueprint("audit", __name__)


@bp.get("/gesprekken/<id:conversation_id>/geschiedenis")
def conversation_history(conversation_id: int):
    conversation = get_conversation_or_404(conversation_id, Permission.VIEW)
    page = queries.conversation_history(
        conversation.id, queries.page_number(request.args.get("pagina"))
    )
    return render_template("audit/conversation_history.html", conversation=conversation, page=page)


@bp.get("/regio/<slug>/geschiedenis")
def region_history(slug: str):
    region = get_region_or_404(slug, Permission.VIEW)
    page = queries.region_history(region.id, queries.page_number(request.args.get("pagina")))
    return render_template("audit/region_history.html", region=region, page=page)


@bp.app_template_global()
def action_history(conversation_id: int, action_id: int) -> tuple[list[AuditEvent], bool]:
    """The latest changes of an action point, for its edit page (whose route checked access)."""
    return queries.object_history(conversation_id, "action_point", action_id, limit=5)


@bp.app_template_filter()
def audit_what(event: AuditEvent) -> tuple[str, str]:
    """(what happened, to what) in Dutch: ("gewijzigd", "Antwoord op vraag 1.2")."""
    verb = event.action.label
    label = event.object_label
    match event.object_type:
        case "conversation":
            subject = f"Gesprek ‘{label}’"
        case "participants":
            subject = "Deelnemers"
        case "questions":
            subject = "Gekozen vragen"
        case "answer":
            subject = f"Antwoord op {label[:1].lower()}{label[1:]}"
        case "indicator":
            subject = f"Indicator ‘{label}’"
        case "membership":
            subject = f"Lid van de regio: {label}"
            if event.action is AuditAction.CREATED:
                verb = "toegevoegd"
        case "region_invitation":
            subject = f"Uitnodiging voor de regio: {label}"
            if event.action is AuditAction.CREATED:
                verb = "verstuurd"
            elif event.changes and event.changes[0]["field"] == "Status":
                verb = event.changes[0]["after"]  # aangenomen, afgeslagen, ingetrokken
        case _:
            subject = label
    return verb, subject
