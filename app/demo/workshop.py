"""The demo's workshop: before the board met, the facilitator ran the plate with a room.

Fourteen people (teachers, counsellors, youth workers, policy makers) placed two questions of
the demo conversation on the scale, wrote down what they saw and put their dots. The table
then wrote its answers with the room's spread beside them, so the conversation page and the
action-list PDF show that spread. Loaded through the workshop's own operations; safe to run
again (found by its fixed creation token). The workshop is closed: a facilitator who tries the
demo opens a new one.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from ..conversations.models import Answer, Conversation
from ..extensions import db
from ..workshops import operations as ops
from ..workshops.models import ContributionKind, Workshop

CREATION_TOKEN = "demo-workshop-twente-2026"

#: (question, the fourteen places on the scale in joining order)
PLACES = {
    "verkennen-bestuurlijk-overleg": ["well_arranged"] * 6
    + ["largely_arranged"] * 5
    + ["first_steps"] * 2
    + ["unknown"],
    "verkennen-financiering": ["not_started"] * 4
    + ["first_steps"] * 7
    + ["largely_arranged"] * 2
    + ["unknown"],
}
#: (question, participant number, kind, text, participant numbers who put a dot on it)
CONTRIBUTIONS = [
    (
        "verkennen-bestuurlijk-overleg",
        3,
        ContributionKind.OBSTACLE,
        "Wat de Ontwikkeltafel besluit, horen docenten pas veel later.",
        [1, 2, 4, 5, 7, 9, 11],
    ),
    (
        "verkennen-bestuurlijk-overleg",
        8,
        ContributionKind.PROPOSAL,
        "Een vaste plek op de agenda voor wat de werkvloer tegenkomt.",
        [3, 6, 10, 12],
    ),
    (
        "verkennen-financiering",
        2,
        ContributionKind.OBSTACLE,
        "De pilot met de coaches stopt als de subsidie stopt.",
        [1, 3, 4, 5, 6, 8, 10, 13, 14],
    ),
    (
        "verkennen-financiering",
        11,
        ContributionKind.IDEA,
        "Gemeenten en ROC betalen samen, naar rato van het aantal studenten.",
        [2, 7, 9, 12],
    ),
    (
        "verkennen-financiering",
        5,
        ContributionKind.PROPOSAL,
        "Zet de financiering op de agenda van het volgende bestuurlijk overleg.",
        [11, 14],
    ),
]


def load_demo_workshop(conversation: Conversation) -> Workshop:
    existing = db.session.scalar(select(Workshop).where(Workshop.creation_token == CREATION_TOKEN))
    if existing is not None:
        return existing
    workshop = ops.open_workshop(conversation, None, ops.WorkshopSettings(), CREATION_TOKEN)
    ops.open_questions(workshop, list(PLACES))
    people = [ops.join(workshop)[0] for _ in range(14)]
    for question_id, places in PLACES.items():
        for person, step in zip(people, places, strict=True):
            ops.choose_assessment(workshop, person, question_id, step)
    for question_id, author, kind, text, dotted_by in CONTRIBUTIONS:
        contribution = ops.contribute(workshop, people[author - 1], question_id, kind, text)
        for number in dotted_by:
            ops.add_dot(workshop, people[number - 1], contribution.id, had=0)
    for question_id in PLACES:
        answer = db.session.scalar(
            select(Answer).where(
                Answer.conversation_id == conversation.id, Answer.question_id == question_id
            )
        )
        text, step, revision = (
            (answer.text, answer.assessment_id, answer.revision) if answer else ("", None, 0)
        )
        ops.write_answer(workshop, question_id, text, step, revision)
    ops.close_workshop(workshop)
    for answer in db.session.scalars(
        select(Answer).where(
            Answer.conversation_id == conversation.id, Answer.question_id.in_(list(PLACES))
        )
    ):
        answer.room_spread = {**answer.room_spread, "recorded_on": conversation.held_on.isoformat()}
    # The workshop was held the morning of the meeting.
    morning = datetime.combine(conversation.held_on, datetime.min.time(), UTC) + timedelta(hours=8)
    workshop.created_dt = morning
    workshop.expires_dt = morning + ops.WORKSHOP_LIFETIME
    workshop.closed_dt = morning + timedelta(hours=1, minutes=30)
    db.session.flush()
    return workshop
