"""Turning a stored conversation into the document the exports render."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from ..actions.deadlines import is_due_soon, is_overdue
from ..actions.models import ActionPoint, ActionUpdate
from ..actions.progress import latest_updates
from ..conversations.models import Conversation
from ..conversations.queries import question_steps
from ..core.formatting import local_now, local_today
from ..indicators.queries import ActionFigure, action_figures, period_label
from ..questionnaires.schema import Questionnaire
from ..workshops.spread import spread_from_stored
from .document import (
    ActionListDocument,
    ActionRow,
    AnsweredQuestion,
    BlankPlateDocument,
    FigureRow,
    ParticipantRow,
    PhaseSection,
    ProgressNote,
)


def action_list_document(
    conversation: Conversation, actions: list[ActionPoint]
) -> ActionListDocument:
    questionnaire = conversation.questionnaire
    today = local_today()
    figures = action_figures([a.id for a in actions])
    updates = latest_updates(
        select(ActionPoint.id).where(ActionPoint.conversation_id == conversation.id)
    )
    sections: dict[str, PhaseSection] = {}
    for step in question_steps(conversation):
        answer = step.answer
        assessment = questionnaire.assessment_by_id.get(answer.assessment_id) if answer else None
        section = sections.setdefault(
            step.phase.id, PhaseSection(step.phase.id, step.phase.name, [])
        )
        section.questions.append(
            AnsweredQuestion(
                number=step.number,
                question_id=step.question.id,
                text=step.question.text,
                follow_ups=list(step.question.follow_ups),
                answer=answer.text if answer else "",
                assessment=assessment.label if assessment else "",
                room_spread=(
                    spread_from_stored(answer.room_spread, questionnaire.assessment_scale)
                    if answer
                    else None
                ),
            )
        )
    return ActionListDocument(
        title=conversation.title,
        region=conversation.region.name,
        held_on=conversation.held_on,
        current_phase=conversation.current_phase_name,
        questionnaire_title=questionnaire.title,
        questionnaire_subtitle=questionnaire.subtitle,
        questionnaire_version=questionnaire.version,
        source=questionnaire.source,
        generated_at=local_now(),
        participants=[
            ParticipantRow(p.name, p.organisation, p.organisation_type.label, p.role)
            for p in conversation.participants
        ],
        sections=list(sections.values()),
        actions=[
            _action_row(
                questionnaire,
                number,
                a,
                figures.get(a.id, []),
                updates.get(a.id),
                today,
            )
            for number, a in enumerate(actions, start=1)
        ],
        as_of=today,
    )


def progress_note(update: ActionUpdate | None) -> ProgressNote | None:
    """The latest update as the exports show it: its text, or else the status it set."""
    if update is None:
        return None
    text = update.text
    if not text and update.status_after is not None:
        text = f"Status: {update.status_after.label}"
    if not text and update.indicator_value is not None:
        text = "Nieuwe meting"
    return ProgressNote(update.written_on, text)


def _action_row(
    questionnaire: Questionnaire,
    number: int,
    action: ActionPoint,
    figures: list[ActionFigure],
    update: ActionUpdate | None = None,
    today: date | None = None,
) -> ActionRow:
    phase = questionnaire.phases_by_id.get(action.phase_id) if action.phase_id else None
    question = questionnaire.questions_by_id.get(action.question_id) if action.question_id else None
    return ActionRow(
        number=number,
        description=action.description,
        phase=phase.name if phase else "",
        question=(
            f"{questionnaire.question_numbers[question.id]} {question.text}" if question else ""
        ),
        owner_name=action.owner_name,
        owner_organisation=action.owner_organisation,
        due_date=action.due_date,
        status=action.status.label,
        priority=action.priority.label,
        figures=[_figure_row(f) for f in figures],
        latest_update=progress_note(update),
        is_overdue=today is not None and is_overdue(action.due_date, action.status, today),
        is_due_soon=today is not None and is_due_soon(action.due_date, action.status, today),
    )


def _figure_row(figure: ActionFigure) -> FigureRow:
    link = figure.link
    return FigureRow(
        indicator=figure.indicator.name,
        category=link.category,
        unit=figure.unit or "",
        baseline=link.baseline_value,
        baseline_period=period_label(link.baseline_period),
        latest=figure.latest_value,
        latest_period=figure.latest_period.label if figure.latest_period else "",
        target=link.target_value,
        target_period=period_label(link.target_period),
        status=figure.status,
        on_track=figure.on_track,
        story=link.story or "",
        series=[value for _period, value in figure.series],
        series_periods=[period.label for period, _value in figure.series],
    )


def blank_plate_document(questionnaire: Questionnaire) -> BlankPlateDocument:
    return BlankPlateDocument(questionnaire=questionnaire, generated_at=local_now())
