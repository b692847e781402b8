from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from ..conversations.operations import InvalidChoice
from ..conversations.queries import chosen_question_ids, get_conversation_or_404
from ..core.forms import revision_of
from ..extensions import db
from . import operations
from .forms import ActionForm, MoveForm, StatusForm
from .models import ActionPriority, ActionStatus
from .queries import actions_of, get_action_or_404

bp = Blueprint("actions", __name__, url_prefix="/gesprekken/<int:conversation_id>/acties")


def _action_data(form: ActionForm) -> operations.ActionData:
    return operations.ActionData(
        description=form.description.data,
        question_id=form.question_id.data or None,
        phase_id=form.phase_id.data or None,
        owner_name=form.owner_name.data or "",
        owner_organisation=form.owner_organisation.data or "",
        due_date=form.due_date.data,
        status=ActionStatus(form.status.data),
        priority=ActionPriority(form.priority.data),
    )


def _organisations(conversation) -> list[str]:
    names = {p.organisation for p in conversation.participants}
    names |= {m.name for m in conversation.region.municipalities}
    return sorted(n for n in names if n)


@bp.get("")
def index(conversation_id: int):
    conversation = get_conversation_or_404(conversation_id)
    return render_template(
        "actions/index.html",
        conversation=conversation,
        actions=actions_of(conversation),
        move_form=MoveForm(),
        status_form=StatusForm(),
    )


@bp.route("/nieuw", methods=["GET", "POST"])
def add(conversation_id: int):
    conversation = get_conversation_or_404(conversation_id)
    form = ActionForm()
    form.set_choices(conversation.questionnaire, chosen_question_ids(conversation))
    if request.method == "GET":
        form.question_id.data = request.args.get("vraag", "")
        if not form.offers_question(form.question_id.data):
            form.question_id.data = ""
    elif form.validate():
        try:
            operations.add_action(conversation, _action_data(form), form.creation_token.data)
        except InvalidChoice:
            abort(400)
        db.session.commit()
        flash("Het actiepunt is toegevoegd.", "success")
        if request.form.get("go") == "another":
            return redirect(
                url_for(
                    ".add", conversation_id=conversation.id, vraag=form.question_id.data or None
                )
            )
        return redirect(url_for(".index", conversation_id=conversation.id))
    return render_template(
        "actions/form.html",
        form=form,
        conversation=conversation,
        action=None,
        organisations=_organisations(conversation),
    ), (422 if form.errors else 200)


@bp.route("/<int:action_id>/bewerken", methods=["GET", "POST"])
def edit(conversation_id: int, action_id: int):
    conversation = get_conversation_or_404(conversation_id)
    action = get_action_or_404(conversation, action_id)
    form = ActionForm(obj=action if request.method == "GET" else None)
    form.set_choices(conversation.questionnaire, chosen_question_ids(conversation))
    if request.method == "GET":
        # An action may hang on a question that was deselected later; keep it selectable.
        if action.question_id and not form.offers_question(action.question_id):
            form.set_choices(
                conversation.questionnaire,
                chosen_question_ids(conversation) + [action.question_id],
            )
        form.question_id.data = action.question_id or ""
        form.phase_id.data = action.phase_id or ""
        form.status.data = action.status.value
        form.priority.data = action.priority.value
    conflict = None
    if request.method == "POST" and form.validate():
        try:
            operations.update_action(action, _action_data(form), revision_of(form.revision))
        except operations.ActionConflict:
            db.session.rollback()
            conflict = get_action_or_404(conversation, action_id)
            form.revision.data = str(conflict.revision)
        except InvalidChoice:
            abort(400)
        else:
            db.session.commit()
            flash(f"Actiepunt {action.position} is opgeslagen.", "success")
            return redirect(url_for(".index", conversation_id=conversation.id))
    status = 409 if conflict else (422 if form.errors else 200)
    return render_template(
        "actions/form.html",
        form=form,
        conversation=conversation,
        action=action,
        conflict=conflict,
        organisations=_organisations(conversation),
    ), status


@bp.post("/<int:action_id>/verplaatsen")
def move(conversation_id: int, action_id: int):
    conversation = get_conversation_or_404(conversation_id)
    action = get_action_or_404(conversation, action_id)
    form = MoveForm()
    if not form.validate() or form.direction.data not in ("up", "down"):
        abort(400)
    operations.move_action(action, form.direction.data)
    db.session.commit()
    return redirect(
        url_for(".index", conversation_id=conversation.id, _anchor=f"actie-{action.id}")
    )


@bp.post("/<int:action_id>/status")
def change_status(conversation_id: int, action_id: int):
    conversation = get_conversation_or_404(conversation_id)
    action = get_action_or_404(conversation, action_id)
    form = StatusForm()
    if not form.validate() or form.status.data not in {s.value for s in ActionStatus}:
        abort(400)
    operations.set_status(action, ActionStatus(form.status.data))
    db.session.commit()
    flash(f"Actiepunt {action.position} staat nu op '{action.status.label}'.", "success")
    return redirect(
        url_for(".index", conversation_id=conversation.id, _anchor=f"actie-{action.id}")
    )


@bp.route("/<int:action_id>/verwijderen", methods=["GET", "POST"])
def delete(conversation_id: int, action_id: int):
    conversation = get_conversation_or_404(conversation_id)
    action = get_action_or_404(conversation, action_id)
    form = StatusForm()
    if request.method == "POST" and form.validate():
        operations.delete_action(action)
        db.session.commit()
        flash("Het actiepunt is verwijderd.", "success")
        return redirect(url_for(".index", conversation_id=conversation.id))
    return render_template(
        "actions/delete.html", conversation=conversation, action=action, form=form
    )
