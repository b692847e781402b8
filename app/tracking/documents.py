"""The filtered list as the plain data its exports render (``ActionOverviewDocument``)."""

from __future__ import annotations

from datetime import date

from ..actions.models import ActionStatus
from ..core.formatting import local_now
from ..exports.document import ActionOverviewDocument, OverviewRow
from ..exports.queries import progress_note
from ..questionnaires.schema import Questionnaire
from .queries import ListRow


def embedded_text(row: ListRow) -> str:
    """Where a "verankerd" action is embedded: "Begroting (post 4.2)"; else ""."""
    action = row.action
    if action.status is not ActionStatus.EMBEDDED or action.embedded_in is None:
        return ""
    reference = action.embedded_reference.strip()
    return f"{action.embedded_in.label} ({reference})" if reference else action.embedded_in.label


def overview_row(number: int, row: ListRow, questionnaire: Questionnaire) -> OverviewRow:
    action = row.action
    phase = questionnaire.phases_by_id.get(action.phase_id) if action.phase_id else None
    question = questionnaire.questions_by_id.get(action.question_id) if action.question_id else None
    return OverviewRow(
        number=number,
        action_id=action.id,
        description=action.description,
        conversation=row.conversation_title,
        held_on=row.held_on,
        position=action.position,
        region=row.region_name,
        phase=phase.name if phase else (action.phase_id or ""),
        question=(
            f"{questionnaire.question_numbers[question.id]} {question.text}" if question else ""
        ),
        owner_name=action.owner_name,
        owner_organisation=action.owner_organisation,
        due_date=action.due_date,
        status=action.status.label,
        embedded=embedded_text(row),
        is_overdue=row.is_overdue,
        is_due_soon=row.is_due_soon,
        latest_update=progress_note(row.update),
        indicators=[indicator.name for indicator in row.indicators],
    )


def overview_document(
    rows: list[ListRow],
    *,
    description: str,
    regions: list[str],
    today: date,
    questionnaire: Questionnaire,
) -> ActionOverviewDocument:
    title = "Actiepunten" if len(regions) != 1 else f"Actiepunten regio {regions[0]}"
    return ActionOverviewDocument(
        title=title,
        description=description,
        regions=regions,
        as_of=today,
        source=questionnaire.source,
        generated_at=local_now(),
        rows=[overview_row(n, row, questionnaire) for n, row in enumerate(rows, start=1)],
    )
