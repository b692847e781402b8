from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for

from ..accounts.access import current_access
from ..accounts.roles import Permission, roles_allowing
from ..actions.queries import action_counts
from ..core.database import reads_only
from ..core.formatting import local_today
from ..core.forms import HandvatForm, Outcome, revision_of
from ..core.page_cache import cached_page
from ..extensions import db
from ..questionnaires.registry import current_questionnaire
from ..regions.models import Region
from ..regions.queries import visible_regions
from . import operations
from .forms import AnswerForm, ConversationForm, QuestionSelectionForm
from .models import OrganisationType
from .queries import (
    ConversationView,
    QuestionStep,
    answers_by_question,
    chosen_question_ids,
    conversation_view_or_404,
    conversation_with_chosen_or_404,
    conversation_with_steps_or_404,
    first_open_step,
    get_conversation_or_404,
    page_actions,
    page_participants,
    page_steps,
    phase_progress,
    question_steps,
    stored_answer,
)

bp = Blueprint("conversations", __name__, url_prefix="/gesprekken")


def _details_from(form: ConversationForm, permission: Permission) -> operations.ConversationDetails:
    region = db.session.get(Region, form.region_id.data)
    if region is None or not current_access().allows(permission, region.id):
        abort(400)
    return operations.ConversationDetails(
        title=form.title.data,
        region=region,
        held_on=form.held_on.data,
        current_phase_id=form.current_phase_id.data,
    )


def _participants_from(form: ConversationForm) -> list[operations.ParticipantData]:
    return [
        operations.ParticipantData(
            name=row.form.name.data,
            organisation=row.form.organisation.data,
            organisation_type=OrganisationType(row.form.organisation_type.data),
            role=row.form.role.data or "",
        )
        for row in form.participants
        if not row.form.is_empty()
    ]


def _wants_extra_participant_row(form: ConversationForm) -> bool:
    if "add_participant" not in request.form:
        return False
    if form.can_add_participant_row():
        form.participants.append_entry()
    return True


def _started_message(result: operations.StartResult) -> tuple[str, str]:
    if result.outcome is Outcome.ALREADY_SAVED:
        return (
            "Dit gesprek was al gestart: u stuurde het formulier twee keer. Er is één gesprek.",
            "success",
        )
    if result.outcome is Outcome.SAVED_AS_NEW:
        return (
            "U had dit formulier al eerder verstuurd, met andere gegevens. Daarom is er nu een "
            f"tweede gesprek gestart: ‘{result.conversation.title}’. Het eerdere gesprek "
            f"‘{result.earlier.title}’ staat er ook nog. Verwijder het gesprek dat u niet wilt "
            "houden.",
            "warning",
        )
    return "Het gesprek is gestart. Kies de vragen die u wilt bespreken.", "success"


@bp.route("/nieuw", methods=["GET", "POST"])
def start():
    questionnaire = current_questionnaire().questionnaire
    regions = visible_regions(Permission.START_CONVERSATION)
    if not regions:
        abort(403)
    form = ConversationForm()
    form.set_choices(regions, questionnaire)
    if request.method == "GET":
        form.region_id.data = _preferred_region_id(regions)
        form.held_on.data = local_today()
        form.current_phase_id.data = questionnaire.phases[0].id
    elif not _wants_extra_participant_row(form) and form.validate():
        result = operations.start_conversation(
            _details_from(form, Permission.START_CONVERSATION),
            _participants_from(form),
            form.creation_token.token,
        )
        db.session.commit()
        flash(*_started_message(result))
        return redirect(url_for(".choose_questions", conversation_id=result.conversation.id))
    return render_template(
        "conversations/start.html",
        form=form,
        questionnaire=questionnaire,
        regions=regions,
    ), (422 if form.errors else 200)


def _preferred_region_id(regions: list[Region]) -> int:
    """The region the user came from (``?regio=slug``), else the first they may start in."""
    slug = request.args.get("regio")
    return next((r.id for r in regions if r.slug == slug), regions[0].id)


@bp.get("/<id:conversation_id>")
@reads_only
def show(conversation_id: int):
    # One statement reads the conversation with its region and checks access; its revisions
    # are the cache key, and on a cache miss the page is rendered from it.
    conversation = conversation_view_or_404(conversation_id)
    # The page shows the user's name, the buttons their role allows and the sign-out form with
    # this session's CSRF token: it is kept per user and per session.
    return cached_page(
        (
            "conversation",
            conversation_id,
            conversation.revision,
            conversation.region.indicator_revision,
            current_access().fingerprint,
            session.get("csrf_token"),
        ),
        lambda: _render_show(conversation),
    )


def _render_show(conversation: ConversationView) -> str:
    steps = page_steps(conversation)
    return render_template(
        "conversations/show.html",
        conversation=conversation,
        steps=steps,
        progress=phase_progress(steps),
        resume=first_open_step(steps),
        actions=page_actions(conversation),
        participants=page_participants(conversation),
    )


@bp.route("/<id:conversation_id>/bewerken", methods=["GET", "POST"])
def edit(conversation_id: int):
    conversation = get_conversation_or_404(conversation_id, Permission.RUN_CONVERSATION)
    form = ConversationForm(obj=conversation if request.method == "GET" else None)
    form.set_choices(visible_regions(Permission.RUN_CONVERSATION), conversation.questionnaire)
    conflict = None
    if request.method == "POST" and not _wants_extra_participant_row(form) and form.validate():
        try:
            outcome = operations.save_details(
                conversation,
                _details_from(form, Permission.RUN_CONVERSATION),
                _participants_from(form),
                revision_of(form.details_revision),
            )
        except operations.DetailsConflict as error:
            db.session.rollback()
            conflict = error.current
            form.details_revision.data = str(conflict.details_revision)
        else:
            db.session.commit()
            flash(
                "De gegevens van het gesprek waren al zo opgeslagen."
                if outcome is Outcome.ALREADY_SAVED
                else "De gegevens van het gesprek zijn opgeslagen.",
                "success",
            )
            return redirect(url_for(".show", conversation_id=conversation.id))
    return render_template(
        "conversations/edit.html",
        form=form,
        conversation=conversation,
        conflict=conflict,
        conflict_region=db.session.get(Region, conflict.region_id) if conflict else None,
        questionnaire=conversation.questionnaire,
    ), (409 if conflict else 422 if form.errors else 200)


@bp.route("/<id:conversation_id>/verwijderen", methods=["GET", "POST"])
def delete(conversation_id: int):
    conversation = get_conversation_or_404(conversation_id, Permission.DELETE_CONVERSATION)
    form = HandvatForm()
    if request.method == "POST" and form.validate():
        from ..rounds.operations import hand_back_carried_actions  # rounds build on this

        title = conversation.title
        handed_back = hand_back_carried_actions(conversation)
        operations.delete_conversation(conversation)
        db.session.commit()
        flash(f"Het gesprek ‘{title}’ is verwijderd.", "success")
        if handed_back:
            flash(
                f"{handed_back} actiepunt(en) die uit de vorige ronde waren overgenomen, staan "
                "weer bij die vorige ronde.",
                "success",
            )
        return redirect(url_for("core.home"))
    return render_template(
        "conversations/delete.html",
        conversation=conversation,
        form=form,
        answered=sum(a.is_answered for a in answers_by_question(conversation).values()),
        action_count=action_counts(conversation.id),
    )


@bp.route("/<id:conversation_id>/vragen", methods=["GET", "POST"])
def choose_questions(conversation_id: int):
    conversation = get_conversation_or_404(conversation_id, Permission.RUN_CONVERSATION)
    questionnaire = conversation.questionnaire
    form = QuestionSelectionForm()
    form.set_choices(questionnaire)
    conflict = None
    if request.method == "GET":
        form.question_ids.data = chosen_question_ids(conversation)
        form.shown_selection.data = " ".join(form.question_ids.data)
    elif form.validate():
        try:
            operations.change_question_selection(
                conversation, form.question_ids.data, form.shown_question_ids()
            )
        except operations.SelectionConflict as error:
            db.session.rollback()
            conflict = error.current
            form.shown_selection.data = " ".join(conflict)
        else:
            db.session.commit()
            flash("De keuze van vragen is opgeslagen.", "success")
            step = first_open_step(question_steps(conversation))
            return redirect(
                url_for(".answer", conversation_id=conversation.id, question_id=step.question.id)
            )
    return render_template(
        "conversations/choose_questions.html",
        form=form,
        conversation=conversation,
        questionnaire=questionnaire,
        answered=answers_by_question(conversation),
        conflict=conflict,
    ), (409 if conflict is not None else 422 if form.errors else 200)


@bp.route("/<id:conversation_id>/vragen/<question_id>", methods=["GET", "POST"])
@reads_only  # on a GET; a POST never runs in autocommit
def answer(conversation_id: int, question_id: str):
    if request.method != "POST":  # GET, and HEAD as Flask answers it
        # Shown after every save: read as plain values, without ORM objects. Everyone who may
        # see the conversation may read its answers; only those who may answer get the form.
        conversation, steps = conversation_with_steps_or_404(conversation_id, Permission.VIEW)
        if not current_access().allows(Permission.RUN_CONVERSATION, conversation.region_id):
            return _question_page(conversation, question_id, steps)
        form = AnswerForm()
        form.set_choices(conversation.questionnaire)
        return _answer_page(conversation, question_id, form, steps=steps)
    conversation, chosen = conversation_with_chosen_or_404(
        conversation_id, Permission.RUN_CONVERSATION
    )
    if question_id not in chosen:
        abort(404)
    form = AnswerForm()
    form.set_choices(conversation.questionnaire)
    conflict = None
    if form.validate():
        try:
            operations.save_answer(
                conversation,
                question_id,
                form.text.data or "",
                form.assessment_id.data or None,
                revision_of(form.revision),
            )
        except operations.EditConflict:
            db.session.rollback()
            conflict = stored_answer(conversation_id, question_id)
            if conflict is None:  # the conversation was deleted meanwhile
                abort(404)
            form.revision.data = str(conflict.revision)
        else:
            db.session.commit()
            return redirect(_after_answer_target(conversation_id, chosen, question_id))
    return _answer_page(conversation, question_id, form, conflict)


def _answer_page(conversation, question_id: str, form: AnswerForm, conflict=None, steps=None):
    """The question page: on a GET with the stored answer in the form, after a refused or
    conflicting save with what was typed."""
    if steps is None:
        steps = page_steps(conversation)
    index, step = _step_of(steps, question_id)
    if request.method == "GET" and step.answer is not None:
        form.text.data = step.answer.text
        form.assessment_id.data = step.answer.assessment_id
        form.revision.data = str(step.answer.revision)
    status = 409 if conflict else (422 if form.errors else 200)
    return render_template(
        "conversations/answer.html",
        conversation=conversation,
        steps=steps,
        step=step,
        index=index,
        form=form,
        conflict=conflict,
        progress=phase_progress(steps),
        actions=page_actions(conversation, question_id),
    ), status


def _step_of(steps: list[QuestionStep], question_id: str) -> tuple[int, QuestionStep]:
    """The place of a chosen question among the steps, and its step; 404 if not chosen."""
    index = next((i for i, s in enumerate(steps) if s.question.id == question_id), None)
    if index is None:
        abort(404)
    return index, steps[index]


def _question_page(conversation: ConversationView, question_id: str, steps: list[QuestionStep]):
    """The question page to read: the question, its answer and self-assessment, without the
    form (for a role that may see the conversation but not answer)."""
    index, step = _step_of(steps, question_id)
    return render_template(
        "conversations/question.html",
        conversation=conversation,
        steps=steps,
        step=step,
        index=index,
        progress=phase_progress(steps),
        actions=page_actions(conversation, question_id),
        answering_roles=roles_allowing(Permission.RUN_CONVERSATION),
    )


def _after_answer_target(conversation_id: int, chosen: list[str], question_id: str) -> str:
    """Where the button the user pressed leads, after the answer has been saved."""
    go = request.form.get("go", "next")
    index = chosen.index(question_id)
    target = None
    if go == "previous" and index > 0:
        target = chosen[index - 1]
    elif go == "next" and index + 1 < len(chosen):
        target = chosen[index + 1]
    elif go.startswith("question:") and go.removeprefix("question:") in chosen:
        target = go.removeprefix("question:")
    elif go == "stay":
        flash("Het antwoord is opgeslagen.", "success")
        target = question_id
    elif go == "add_action":
        return url_for("actions.add", conversation_id=conversation_id, vraag=question_id)
    if target is None:
        return url_for(".show", conversation_id=conversation_id)
    return url_for(".answer", conversation_id=conversation_id, question_id=target)
