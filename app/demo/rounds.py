"""The demo's history: last year's round, and what the project group did since.

The region held the conversation a year before the demo conversation (the pilot with
counsellors at ROC van Twente was running; financing after the pilot was not settled). By this
year's round its two actions were done, and the financing was embedded in a regional agreement.
Since this year's round, the project leader has recorded progress on the actions she leads.
Plain data first, then the loading; safe to run again.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from ..accounts.models import User
from ..actions import progress
from ..actions.models import ActionPoint, ActionPriority, ActionStatus, EmbeddingPlace
from ..actions.operations import ActionData, add_action
from ..conversations.models import Conversation
from ..conversations.operations import (
    ConversationDetails,
    save_answer,
    select_questions,
    start_conversation,
)
from ..extensions import db
from .content import (
    KENNISPUNT,
    OZJT,
    PARTICIPANTS,
    QUESTION_IDS,
    DemoAction,
    DemoAnswer,
    DemoConversation,
)

PREVIOUS_ROUND = DemoConversation(
    creation_token="demo-conversation-twente-2025",
    title="Bestuurlijk overleg Onderwijs-Zorg mbo Twente",
    held_on=date(2025, 10, 9),
    current_phase_id="verbeelden",
    participants=PARTICIPANTS,
    question_ids=QUESTION_IDS,
    answers=[
        DemoAnswer(
            "verkennen-bestuurlijk-overleg",
            "largely_arranged",
            "Onderwijs, gemeenten en zorg praten met elkaar aan de Ontwikkeltafel Onderwijs-Zorg. "
            "De zorgverzekeraar schuift nog niet aan.",
        ),
        DemoAnswer(
            "verkennen-financiering",
            "not_started",
            "De pilot met hulpverleners van Tactus en Mediant loopt. Hoe het daarna betaald "
            "wordt, is nog niet afgesproken.",
        ),
        DemoAnswer(
            "verkennen-populatie",
            "first_steps",
            "Kennispunt Twente volgt de pilot. Een beeld van alle mbo-studenten met een "
            "ondersteuningsvraag hebben we nog niet.",
        ),
        DemoAnswer(
            "vormgeven-ondersteuningsstructuur",
            "first_steps",
            "De hulpverleners werken op de locaties Almelo, Enschede en Hengelo samen met het "
            "Loopbaancentrum. De gemeenten zijn daar nog niet bij.",
        ),
        DemoAnswer("vormgeven-kwaliteitseisen", "not_started", ""),
        DemoAnswer("verankeren-opbrengst", "first_steps", ""),
    ],
    actions=[
        DemoAction(
            "demo-round-2025-action-1",
            ActionData(
                description=(
                    "Afspraken maken over de financiering van de hulpverleners na de pilot, "
                    "zodat de inzet op ROC van Twente kan doorlopen."
                ),
                question_id="verkennen-financiering",
                owner_name="K. Mulder",
                owner_organisation=OZJT,
                due_date=date(2026, 6, 30),
                status=ActionStatus.EMBEDDED,
                priority=ActionPriority.HIGH,
                embedded_in=EmbeddingPlace.REGIONAL_AGREEMENT,
                embedded_reference="Regionale afspraak Ontwikkeltafel Onderwijs-Zorg, juni 2026",
            ),
        ),
        DemoAction(
            "demo-round-2025-action-2",
            ActionData(
                description=(
                    "Kennispunt Twente vragen de resultaten van de pilot te rapporteren: "
                    "begeleide jongeren, doorverwijzingen, consultaties en preventie."
                ),
                question_id="verankeren-opbrengst",
                owner_name="A. de Vries",
                owner_organisation=KENNISPUNT,
                due_date=date(2026, 3, 1),
                status=ActionStatus.DONE,
                priority=ActionPriority.NORMAL,
            ),
        ),
    ],
)

#: Actions of this year's round the demo project leader leads (by their creation tokens).
PROJECT_LEADER_ACTIONS = ("demo-action-2", "demo-action-8")

#: (action's creation token, date, text, new status) — recorded by the project leader.
PROGRESS = (
    (
        "demo-action-3",
        date(2026, 10, 29),
        "Kennispunt Twente heeft de cijfers van het mbo binnen. De cijfers van de gemeenten "
        "komen later dan gepland.",
        None,
    ),
    (
        "demo-action-5",
        date(2026, 11, 5),
        "Eerste overleg gehouden met het Loopbaancentrum, twee jeugdconsulenten en de "
        "hulpverleners. Afgesproken: elke zes weken, op wisselende locaties.",
        None,
    ),
    (
        "demo-action-8",
        date(2026, 11, 12),
        "Concept van het registratieformat besproken met de hulpverleners van Tactus en Mediant.",
        ActionStatus.IN_PROGRESS,
    ),
)


def _find(creation_token: str) -> Conversation | None:
    return db.session.scalar(
        select(Conversation).where(Conversation.creation_token == creation_token)
    )


def load_previous_round(region) -> Conversation:
    """Last year's round of the demo conversation; found again, not added twice."""
    demo = PREVIOUS_ROUND
    conversation = _find(demo.creation_token)
    if conversation is not None:
        return conversation
    details = ConversationDetails(demo.title, region, demo.held_on, demo.current_phase_id)
    conversation = start_conversation(
        details, demo.participants, creation_token=demo.creation_token
    ).conversation
    select_questions(conversation, demo.question_ids)
    for answer in demo.answers:
        save_answer(
            conversation, answer.question_id, answer.text, answer.assessment_id, based_on_revision=0
        )
    for action in demo.actions:
        add_action(conversation, action.data, creation_token=action.creation_token)
    return conversation


def link_rounds(previous: Conversation, current: Conversation) -> None:
    if current.previous_conversation_id is None:
        current.previous_conversation_id = previous.id
        db.session.flush()


def load_project_leader_work(current: Conversation, project_leader: User) -> None:
    """The project leader leads two actions and recorded progress on three; only once."""
    actions = {
        action.creation_token: action
        for action in db.session.scalars(
            select(ActionPoint).where(ActionPoint.conversation_id == current.id)
        )
    }
    for token in PROJECT_LEADER_ACTIONS:
        action = actions.get(token)
        if action is not None and action.owner_user_id is None:
            action.owner_user_id = project_leader.id
            action.owner_name = project_leader.name
    db.session.flush()
    for token, written_on, text, status in PROGRESS:
        action = actions.get(token)
        if action is None or progress.latest_update(action.id) is not None:
            continue
        progress.add_update(
            current,
            action.id,
            progress.ProgressData(text=text, written_on=written_on, new_status=status),
            action.revision,
            project_leader,
        )
