from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from ..accounts.roles import Permission
from ..conversations.operations import InvalidChoice
from ..conversations.queries import chosen_question_ids, get_conversation_or_404
from ..core.formatting import number
from ..core.forms import Outcome, revision_of
from ..core.paging import page_count, page_number
from ..extensions import db
from . import operations
from .forms import ActionForm, DeleteForm, MoveForm, StatusForm
from .models import ActionPoint, ActionPriority, ActionStatus, EmbeddingPlace
from .operations import (
    ActionConflict,
    ActionGone,
    ActionLimitReached,
    EmbeddingMissing,
    UnknownOwner,
)
from .progress import latest_updates
from .queries import actions_page, carried_on_count, get_action_or_404, region_members

bp = Blueprint("actions", __name__, url_prefix="/gesprekken/<id:conversation_id>/acties")


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
        owner_user_id=form.owner_user_id_value,
        embedded_in=EmbeddingPlace(form.embedded_in.data) if form.embedded_in.data else None,
        embedded_reference=form.embedded_reference.data or "",
    )


def _new_form(conversation, question_ids: list[str], **kwargs) -> ActionForm:
    form = ActionForm(**kwargs)
    form.set_choices(conversation.questionnaire, question_ids)
    form.set_members(region_members(conversation.region_id))
    return form


def _organisations(conversation) -> list[str]:
    names = {p.organisation for p in conversation.participants}
    names |= {m.name for m in conversation.region.municipalities}
    return sorted(n for n in names if n)


#: Enough for any board's list on one page; a list of a thousand stays light.
ACTIONS_PER_PAGE = 100


@bp.get("")
def index(conversation_id: int):
    conversation = get_conversation_or_404(conversation_id)
    actions, total, page = actions_page(
        conversation, page_number(request.args.get("page")), ACTIONS_PER_PAGE
    )
    return render_template(
        "actions/index.html",
        conversation=conversation,
        actions=actions,
        total=total,
        page=page,
        pages=page_count(total, ACTIONS_PER_PAGE),
        updates=latest_updates(
            select(ActionPoint.id).where(ActionPoint.conversation_id == conversation.id)
        ),
        move_form=MoveForm(),
        status_form=StatusForm(),
        carried_on=carried_on_count(conversation),
    )


GONE_MESSAGE = (
    "Dit actiepunt bestaat niet meer: iemand anders, of u in een ander tabblad, heeft het "
    "verwijderd."
)
LIMIT_MESSAGE = (
    f"Dit gesprek heeft al {number(operations.MAX_ACTIONS_PER_CONVERSATION)} actiepunten, het "
    "hoogste aantal dat kan. Uw tekst staat nog in het formulier. Rond eerst actiepunten af in "
    "een nieuw gesprek, of voeg ze samen."
)


@bp.errorhandler(ActionGone)
def action_gone(_error):
    """A click on an action point that someone deleted in the meantime: back to the list."""
    db.session.rollback()
    flash(GONE_MESSAGE, "warning")
    return redirect(url_for(".index", conversation_id=request.view_args["conversation_id"]))


def _to_list(conversation, action_id: int | None = None):
    """Back to the list, on the page and at the row of ``action_id`` if it is still there."""
    if action_id is None:
        return redirect(url_for(".index", conversation_id=conversation.id))
    position = db.session.scalar(
        select(ActionPoint.position).where(
            ActionPoint.id == action_id, ActionPoint.conversation_id == conversation.id
        )
    )
    page = (position - 1) // ACTIONS_PER_PAGE + 1 if position else 1
    return redirect(
        url_for(
            ".index",
            conversation_id=conversation.id,
            page=page if page > 1 else None,
            _anchor=f"actie-{action_id}",
        )
    )


def _added_message(result: operations.AddResult) -> tuple[str, str]:
    if result.outcome is Outcome.ALREADY_SAVED:
        return (
            f"Dit actiepunt was al toegevoegd als nummer {result.action.position}. U stuurde "
            "het formulier twee keer; het staat één keer op de lijst.",
            "success",
        )
    if result.outcome is Outcome.SAVED_AS_NEW:
        return (
            "U had dit formulier al eerder verstuurd, met een andere tekst. Uw nieuwe tekst is "
            f"opgeslagen als actiepunt {result.action.position}. Het eerdere actiepunt "
            f"{result.earlier.position} staat er ook nog. Verwijder het actiepunt dat u niet "
            "wilt houden.",
            "warning",
        )
    return "Het actiepunt is toegevoegd.", "success"


@bp.route("/nieuw", methods=["GET", "POST"])
def add(conversation_id: int):
    conversation = get_conversation_or_404(conversation_id, Permission.MANAGE_ACTIONS)
    form = _new_form(conversation, chosen_question_ids(conversation))
    if request.method == "GET":
        form.question_id.data = request.args.get("vraag", "")
        if not form.offers_question(form.question_id.data):
            form.question_id.data = ""
    elif form.validate():
        try:
            result = operations.add_action(
                conversation, _action_data(form), form.creation_token.token
            )
        except (InvalidChoice, UnknownOwner):
            abort(400)
        except ActionLimitReached:
            db.session.rollback()
            form.description.errors.append(LIMIT_MESSAGE)
        else:
            db.session.commit()
            flash(*_added_message(result))
            if request.form.get("go") == "another":
                return redirect(
                    url_for(
                        ".add", conversation_id=conversation.id, vraag=form.question_id.data or None
                    )
                )
            return _to_list(conversation, result.action.id)
    return _render_form(conversation, form, None), (422 if form.errors else 200)


def _render_form(conversation, form, action, conflict=None, gone=False) -> str:
    return render_template(
        "actions/form.html",
        form=form,
        conversation=conversation,
        action=action,
        conflict=conflict,
        gone=gone,
        organisations=_organisations(conversation),
    )


@bp.route("/<id:action_id>/bewerken", methods=["GET", "POST"])
def edit(conversation_id: int, action_id: int):
    conversation = get_conversation_or_404(conversation_id, Permission.UPDATE_ACTIONS)
    if request.method == "GET":
        action = get_action_or_404(conversation, action_id)
        # An action may hang on a question that was deselected later; keep it selectable.
        form = _new_form(
            conversation,
            chosen_question_ids(conversation)
            + ([action.question_id] if action.question_id else []),
            obj=action,
        )
        form.question_id.data = action.question_id or ""
        form.phase_id.data = action.phase_id or ""
        form.status.data = action.status.value
        form.priority.data = action.priority.value
        form.owner_user_id.data = str(action.owner_user_id or "")
        form.embedded_in.data = action.embedded_in.value if action.embedded_in else ""
        return _render_form(conversation, form, action)
    form = _new_form(
        conversation, chosen_question_ids(conversation) + [request.form.get("question_id", "")]
    )
    if not form.validate():
        return _render_form(conversation, form, get_action_or_404(conversation, action_id)), 422
    try:
        outcome = operations.update_action(
            conversation, action_id, _action_data(form), revision_of(form.revision)
        )
    except (InvalidChoice, UnknownOwner):
        abort(400)
    except ActionGone:
        db.session.rollback()
        return _render_form(conversation, form, None, gone=True), 409
    except ActionConflict:
        db.session.rollback()
        conflict = operations.current_action(conversation, action_id)
        if conflict is None:  # and deleted right after that
            return _render_form(conversation, form, None, gone=True), 409
        form.revision.data = str(conflict.revision)
        return _render_form(conversation, form, conflict, conflict=conflict), 409
    # Read before the commit, while the list's lock is held: a delete may follow at once.
    action = operations.current_action(conversation, action_id)
    db.session.commit()
    if outcome is Outcome.ALREADY_SAVED:
        flash(f"Actiepunt {action.position} was al zo opgeslagen.", "success")
    else:
        flash(f"Actiepunt {action.position} is opgeslagen.", "success")
    return _to_list(conversation, action_id)


@bp.post("/<id:action_id>/verplaatsen")
def move(conversation_id: int, action_id: int):
    conversation = get_conversation_or_404(conversation_id, Permission.MANAGE_ACTIONS)
    form = MoveForm()
    if not form.validate() or form.direction.data not in ("up", "down"):
        abort(400)
    try:
        operations.move_action(
            conversation, action_id, form.direction.data, revision_of(form.position)
        )
    except ActionConflict:
        db.session.rollback()
        flash(
            "De lijst was intussen veranderd, in een ander tabblad of door iemand anders. "
            "Daarom is er niets verplaatst. Bekijk de volgorde hieronder en probeer het opnieuw.",
            "warning",
        )
        return _to_list(conversation, action_id)
    db.session.commit()
    return _to_list(conversation, action_id)


@bp.post("/<id:action_id>/status")
def change_status(conversation_id: int, action_id: int):
    conversation = get_conversation_or_404(conversation_id, Permission.UPDATE_ACTIONS)
    form = StatusForm()
    if not form.validate() or form.status.data not in {s.value for s in ActionStatus}:
        abort(400)
    status = ActionStatus(form.status.data)
    try:
        operations.set_status(conversation, action_id, status, revision_of(form.revision))
    except EmbeddingMissing:
        db.session.rollback()
        flash("Zeg eerst waar het actiepunt is verankerd.", "warning")
        return redirect(
            url_for(
                "progress.show",
                conversation_id=conversation.id,
                action_id=action_id,
                status=status.value,
                _anchor="voortgang-formulier",
            )
        )
    except ActionConflict as conflict:
        db.session.rollback()
        current = operations.current_action(conversation, action_id)
        if current is None:  # and deleted right after that
            raise ActionGone() from None
        flash(
            f"Actiepunt {current.position} is intussen gewijzigd, in een ander tabblad of door "
            f"iemand anders. De status is niet aangepast en staat nu op "
            f"‘{current.status.label}’. Bekijk het actiepunt en probeer het opnieuw.",
            "warning",
        )
        return _to_list(conversation, conflict.current.id)
    action = operations.current_action(conversation, action_id)  # before a delete can follow
    db.session.commit()
    flash(f"Actiepunt {action.position} staat nu op ‘{action.status.label}’.", "success")
    return _to_list(conversation, action_id)


@bp.route("/<id:action_id>/verwijderen", methods=["GET", "POST"])
def delete(conversation_id: int, action_id: int):
    conversation = get_conversation_or_404(conversation_id, Permission.MANAGE_ACTIONS)
    form = DeleteForm()
    changed = None
    if request.method == "POST" and form.validate():
        try:
            operations.delete_action(conversation, action_id, revision_of(form.revision))
        except ActionGone:
            db.session.rollback()
            # Deleted a moment ago (a second click), or never this conversation's: true for both.
            flash("Dit actiepunt staat niet (meer) in dit gesprek. Er is niets verwijderd.", "info")
            return _to_list(conversation)
        except ActionConflict:
            db.session.rollback()
            changed = True
        else:
            db.session.commit()
            flash("Het actiepunt is verwijderd.", "success")
            return _to_list(conversation)
    action = get_action_or_404(conversation, action_id)
    form.revision.data = str(action.revision)
    return render_template(
        "actions/delete.html", conversation=conversation, action=action, form=form, changed=changed
    ), (409 if changed else 200)
