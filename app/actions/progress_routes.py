"""An action point's own page: its details, its progress history and the update form."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from ..accounts.access import current_access, is_safe_next
from ..accounts.roles import Permission
from ..conversations.queries import get_conversation_or_404
from ..core.forms import Outcome, revision_of
from ..extensions import db
from ..indicators.queries import action_links
from . import progress
from .forms import ProgressForm
from .models import ActionStatus, EmbeddingPlace
from .operations import ActionConflict, ActionGone, EmbeddingMissing
from .progress import EmptyUpdate, UnknownLink
from .queries import get_action_or_404

bp = Blueprint("progress", __name__, url_prefix="/gesprekken/<id:conversation_id>/acties")


def _form_for(action, formdata=None) -> ProgressForm:
    form = ProgressForm(formdata=formdata)
    form.set_choices(action_links(action.id))
    return form


@bp.get("/<id:action_id>")
def show(conversation_id: int, action_id: int):
    conversation = get_conversation_or_404(conversation_id)
    action = get_action_or_404(conversation, action_id)
    form = _form_for(action, formdata=None)
    form.revision.data = str(action.revision)
    if request.args.get("status") in {s.value for s in ActionStatus}:
        form.status.data = request.args["status"]
    if action.embedded_in:
        form.embedded_in.data = action.embedded_in.value
        form.embedded_reference.data = action.embedded_reference
    return _render(conversation, action, form)


def _render(conversation, action, form, conflict=False):
    return render_template(
        "actions/show.html",
        conversation=conversation,
        action=action,
        form=form,
        history=progress.history(action.id),
        conflict=conflict,
        next_url=_next_url(),
    )


def _next_url() -> str | None:
    target = request.values.get("next")
    return target if is_safe_next(target) else None


@bp.post("/<id:action_id>/voortgang")
def add(conversation_id: int, action_id: int):
    conversation = get_conversation_or_404(conversation_id, Permission.UPDATE_ACTIONS)
    action = get_action_or_404(conversation, action_id)
    form = _form_for(action, formdata=request.form)
    if not form.validate():
        return _render(conversation, action, form), 422
    data = progress.ProgressData(
        text=form.text.data or "",
        written_on=form.written_on.data,
        new_status=form.new_status,
        embedded_in=EmbeddingPlace(form.embedded_in.data) if form.embedded_in.data else None,
        embedded_reference=form.embedded_reference.data or "",
        figure=(
            progress.FigureData(
                int(form.figure_link.data), form.figure_period.data, form.figure_value.data
            )
            if form.figure_link.data
            else None
        ),
    )
    try:
        result = progress.add_update(
            conversation, action_id, data, revision_of(form.revision), current_access().user
        )
    except ActionGone:
        db.session.rollback()
        flash("Dit actiepunt bestaat niet meer. Uw voortgang is niet opgeslagen.", "warning")
        return redirect(_next_url() or url_for("actions.index", conversation_id=conversation.id))
    except ActionConflict:
        db.session.rollback()
        current = get_action_or_404(conversation, action_id)
        db.session.refresh(current)
        form.revision.data = str(current.revision)
        return _render(conversation, current, form, conflict=True), 409
    except EmptyUpdate:
        db.session.rollback()
        form.text.errors = [
            *form.text.errors,
            "Schrijf wat er is gebeurd, of kies een nieuwe status of een nieuwe waarde.",
        ]
        return _render(conversation, action, form), 422
    except EmbeddingMissing:
        db.session.rollback()
        form.embedded_in.errors = [*form.embedded_in.errors, "Zeg waar het is verankerd."]
        return _render(conversation, action, form), 422
    except UnknownLink:
        abort(400)
    position = result.action.position
    db.session.commit()
    if result.outcome is Outcome.ALREADY_SAVED:
        flash(f"Deze voortgang van actiepunt {position} was al opgeslagen.", "success")
    else:
        flash(f"De voortgang van actiepunt {position} is opgeslagen.", "success")
    return redirect(
        _next_url() or url_for(".show", conversation_id=conversation.id, action_id=action_id)
    )
