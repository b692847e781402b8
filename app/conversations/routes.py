from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from ..core.formatting import local_now
from ..core.forms import revision_of
from ..extensions import db
from ..questionnaires.registry import current_questionnaire
from ..regions.models import Region
from ..regions.queries import visible_regions
from . import operations
from .forms import AnswerForm, ConversationForm, QuestionSelectionForm
from .models import Conversation, OrganisationType
from .queries import first_open_step, get_conversation_or_404, phase_progress, question_steps

bp = Blueprint("conversations", __name__, url_prefix="/gesprekken")


def _details_from(form: ConversationForm) -> operations.ConversationDetails:
    region = db.session.get(Region, form.region_id.data)
    if region is None or region not in visible_regions():
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
    if len(form.participants) < form.participants.max_entries:
        form.participants.append_entry()
    return True


@bp.route("/nieuw", methods=["GET", "POST"])
def start():
    questionnaire = current_questionnaire().questionnaire
    form = ConversationForm()
    form.set_choices(visible_regions(), questionnaire)
    if request.method == "GET":
        form.held_on.data = local_now().date()
        form.current_phase_id.data = questionnaire.phases[0].id
    elif not _wants_extra_participant_row(form) and form.validate():
        conversation = operations.start_conversation(
            _details_from(form), _participants_from(form), form.creation_token.data
        )
        db.session.commit()
        flash("Het gesprek is gestart. Kies de vragen die u wilt bespreken.", "success")
        return redirect(url_for(".choose_questions", conversation_id=conversation.id))
    return render_template(
        "conversations/start.html",
        form=form,
        questionnaire=questionnaire,
        regions=visible_regions(),
    )


@bp.get("/<int:conversation_id>")
def show(conversation_id: int):
    from ..actions.queries import actions_of

    conversation = get_conversation_or_404(conversation_id)
    steps = question_steps(conversation)
    return render_template(
        "conversations/show.html",
        conversation=conversation,
        steps=steps,
        progress=phase_progress(steps),
        resume=first_open_step(steps),
        actions=actions_of(conversation),
    )


@bp.route("/<int:conversation_id>/bewerken", methods=["GET", "POST"])
def edit(conversation_id: int):
    conversation = get_conversation_or_404(conversation_id)
    form = ConversationForm(obj=conversation if request.method == "GET" else None)
    form.set_choices(visible_regions(), conversation.questionnaire)
    if request.method == "POST" and not _wants_extra_participant_row(form) and form.validate():
        operations.update_details(conversation, _details_from(form))
        operations.replace_participants(conversation, _participants_from(form))
        db.session.commit()
        flash("De gegevens van het gesprek zijn opgeslagen.", "success")
        return redirect(url_for(".show", conversation_id=conversation.id))
    return render_template(
        "conversations/edit.html",
        form=form,
        conversation=conversation,
        questionnaire=conversation.questionnaire,
    )


@bp.route("/<int:conversation_id>/vragen", methods=["GET", "POST"])
def choose_questions(conversation_id: int):
    conversation = get_conversation_or_404(conversation_id)
    questionnaire = conversation.questionnaire
    form = QuestionSelectionForm()
    form.set_choices(questionnaire)
    if request.method == "GET":
        form.question_ids.data = conversation.selected_question_ids()
    elif form.validate():
        operations.select_questions(conversation, form.question_ids.data)
        db.session.commit()
        flash("De keuze van vragen is opgeslagen.", "success")
        steps = question_steps(conversation)
        step = first_open_step(steps)
        return redirect(
            url_for(".answer", conversation_id=conversation.id, question_id=step.question.id)
        )
    return render_template(
        "conversations/choose_questions.html",
        form=form,
        conversation=conversation,
        questionnaire=questionnaire,
        answered=conversation.answers_by_question(),
    )


@bp.route("/<int:conversation_id>/vragen/<question_id>", methods=["GET", "POST"])
def answer(conversation_id: int, question_id: str):
    conversation = get_conversation_or_404(conversation_id)
    steps = question_steps(conversation)
    index = next((i for i, s in enumerate(steps) if s.question.id == question_id), None)
    if index is None:
        abort(404)
    step = steps[index]
    form = AnswerForm(obj=step.answer if request.method == "GET" else None)
    form.set_choices(conversation.questionnaire)
    conflict = None
    if request.method == "POST" and form.validate():
        try:
            operations.save_answer(
                conversation,
                question_id,
                form.text.data or "",
                form.assessment_id.data or None,
                revision_of(form.revision),
            )
        except operations.EditConflict as exc:
            db.session.rollback()
            conflict = exc.current
            form.revision.data = str(conflict.revision)
        else:
            db.session.commit()
            return redirect(_after_answer_target(conversation, steps, index))
    elif request.method == "GET":
        form.revision.data = str(step.answer.revision if step.answer else 0)
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
    ), status


def _after_answer_target(conversation: Conversation, steps, index: int) -> str:
    """Where the button the user pressed leads, after the answer has been saved."""
    go = request.form.get("go", "next")
    if go == "previous" and index > 0:
        return url_for(
            ".answer", conversation_id=conversation.id, question_id=steps[index - 1].question.id
        )
    if go == "next" and index + 1 < len(steps):
        return url_for(
            ".answer", conversation_id=conversation.id, question_id=steps[index + 1].question.id
        )
    if go.startswith("question:"):
        target = go.removeprefix("question:")
        if any(s.question.id == target for s in steps):
            return url_for(".answer", conversation_id=conversation.id, question_id=target)
    if go == "add_action":
        return url_for(
            "actions.add", conversation_id=conversation.id, vraag=steps[index].question.id
        )
    if go == "stay":
        flash("Het antwoord is opgeslagen.", "success")
        return url_for(
            ".answer", conversation_id=conversation.id, question_id=steps[index].question.id
        )
    return url_for(".show", conversation_id=conversation.id)
