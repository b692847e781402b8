"""Writes on conversations and answers. Operations flush; the request commits once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import bindparam, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import NotFound

from ..audit.models import AuditAction
from ..audit.operations import change, record
from ..core.database import serialize_writes
from ..core.forms import Outcome
from ..core.models import utcnow
from ..extensions import db
from ..questionnaires.registry import current_questionnaire, snapshot_of
from ..regions.models import Region
from .models import Answer, Conversation, OrganisationType, Participant, SelectedQuestion
from .revisions import raise_revisions

ANSWER_MAX_CHARACTERS = 10_000

# Built once: saving an answer is the busiest write there is.
_STORED_ANSWER = select(Answer).where(
    Answer.conversation_id == bindparam("conversation_id"),
    Answer.question_id == bindparam("question_id"),
)
_ANSWER = Answer.__table__
_SAVE_IF_CURRENT = (
    update(_ANSWER)
    .where(
        _ANSWER.c.conversation_id == bindparam("of_conversation"),
        _ANSWER.c.question_id == bindparam("of_question"),
        _ANSWER.c.revision == bindparam("based_on_revision"),
        or_(
            _ANSWER.c.text != bindparam("new_text"),
            _ANSWER.c.assessment_id.is_distinct_from(bindparam("new_assessment_id")),
        ),
    )
    .values(
        text=bindparam("new_text"),
        assessment_id=bindparam("new_assessment_id"),
        revision=_ANSWER.c.revision + 1,
        updated_dt=bindparam("now"),
    )
)
# The audit trail needs the answer as it was before the UPDATE. On PostgreSQL a subquery in
# RETURNING still sees the row as it was when the statement started, so the one UPDATE also
# gives the old content back. SQLite's RETURNING sees the new row, so there the row is read
# first (in-process, no round trip); the UPDATE's revision condition makes sure it is the row
# that gets replaced.
_BEFORE = _ANSWER.alias("answer_before")


def _before_value(column: str):
    return (
        select(_BEFORE.c[column])
        .where(_BEFORE.c.id == _ANSWER.c.id)
        .correlate(_ANSWER)
        .scalar_subquery()
    )


_SAVE_IF_CURRENT_RETURNING_BEFORE = _SAVE_IF_CURRENT.returning(
    _ANSWER.c.id, _before_value("text"), _before_value("assessment_id")
)
_ANSWER_AT_REVISION = select(_ANSWER.c.id, _ANSWER.c.text, _ANSWER.c.assessment_id).where(
    _ANSWER.c.conversation_id == bindparam("of_conversation"),
    _ANSWER.c.question_id == bindparam("of_question"),
    _ANSWER.c.revision == bindparam("based_on_revision"),
)


@dataclass(frozen=True)
class ParticipantData:
    name: str
    organisation: str
    organisation_type: OrganisationType
    role: str = ""


@dataclass(frozen=True)
class ConversationDetails:
    title: str
    region: Region
    held_on: date
    current_phase_id: str


class InvalidChoice(ValueError):
    """A phase, question or assessment step that is not in the conversation's questionnaire."""


class ConversationGone(NotFound):
    """The conversation was deleted while this request was working on it.

    A ``NotFound``, so it is answered like any missing page: a 404 in Dutch that gives the
    submitted text back (``core/errors.py``).
    """


def lock_conversation(conversation: Conversation, part: str) -> None:
    """Handle writes on one ``part`` of a conversation one request at a time, and make sure
    the conversation still exists once it is our turn (see ``serialize_writes``)."""
    serialize_writes(f"{part}:{conversation.id}")
    exists = db.session.scalar(select(Conversation.id).where(Conversation.id == conversation.id))
    if exists is None:
        raise ConversationGone()


class EditConflict(Exception):
    """The answer changed since the form was opened (another tab, another person)."""


class SelectionConflict(Exception):
    """The chosen questions changed since the form showed them. ``current`` is the choice
    as it is stored now."""

    def __init__(self, current: list[str]):
        super().__init__(current)
        self.current = current


class DetailsConflict(Exception):
    """The conversation's details or participants changed since the edit form was opened.
    ``current`` holds them as they are stored now."""

    def __init__(self, current: StoredDetails):
        super().__init__(current.details_revision)
        self.current = current


@dataclass(frozen=True)
class StartResult:
    conversation: Conversation
    outcome: Outcome
    #: For ``SAVED_AS_NEW``: the conversation the earlier submit of this form started.
    earlier: Conversation | None = None


@dataclass(frozen=True)
class StoredDetails:
    """A conversation's details and participants as stored, in the shape the forms send."""

    details_revision: int
    title: str
    region_id: int
    held_on: date
    current_phase_id: str
    participants: tuple[ParticipantData, ...]

    def same_content(self, details: ConversationDetails, participants) -> bool:
        return (
            self.title,
            self.region_id,
            self.held_on,
            self.current_phase_id,
            self.participants,
        ) == (
            details.title.strip(),
            details.region.id,
            details.held_on,
            details.current_phase_id,
            tuple(_cleaned(p) for p in participants),
        )


def _cleaned(p: ParticipantData) -> ParticipantData:
    return ParticipantData(
        p.name.strip(), p.organisation.strip(), p.organisation_type, p.role.strip()
    )


def stored_details(conversation_id: int) -> StoredDetails:
    """The details as they are in the database now, also when this session holds older ones."""
    conversation = db.session.scalar(
        select(Conversation)
        .where(Conversation.id == conversation_id)
        .execution_options(populate_existing=True)
    )
    rows = db.session.scalars(
        select(Participant)
        .where(Participant.conversation_id == conversation_id)
        .order_by(Participant.position, Participant.id)
        .execution_options(populate_existing=True)
    )
    return StoredDetails(
        conversation.details_revision,
        conversation.title,
        conversation.region_id,
        conversation.held_on,
        conversation.current_phase_id,
        tuple(ParticipantData(p.name, p.organisation, p.organisation_type, p.role) for p in rows),
    )


def start_conversation(
    details: ConversationDetails,
    participants: list[ParticipantData],
    creation_token: str | None = None,
) -> StartResult:
    """Start a conversation on the current questionnaire version, with the questions of the
    phase the collaboration is in pre-selected (the plate: pick the questions that fit).

    The same form (``creation_token``) sent twice with the same content starts one
    conversation; sent again with other content, it starts a second one and says so.
    """
    earlier = None
    if creation_token:
        serialize_writes(f"conversation-token:{creation_token}")
        earlier = db.session.scalar(
            select(Conversation).where(Conversation.creation_token == creation_token)
        )
        if earlier is not None:
            if stored_details(earlier.id).same_content(details, participants):
                return StartResult(earlier, Outcome.ALREADY_SAVED)
            creation_token = None
    snapshot = snapshot_of(current_questionnaire())
    questionnaire = snapshot.questionnaire
    if details.current_phase_id not in questionnaire.phases_by_id:
        raise InvalidChoice(f"unknown phase {details.current_phase_id!r}")
    conversation = Conversation(
        region=details.region,
        questionnaire_snapshot_id=snapshot.id,
        title=details.title.strip(),
        held_on=details.held_on,
        current_phase_id=details.current_phase_id,
        creation_token=creation_token,
    )
    db.session.add(conversation)
    replace_participants(conversation, participants)
    phase = questionnaire.phases_by_id[details.current_phase_id]
    select_questions(conversation, [q.id for q in phase.questions])
    db.session.flush()
    record(
        AuditAction.CREATED,
        "conversation",
        object_id=conversation.id,
        object_label=conversation.title,
        region_id=conversation.region_id,
        conversation_id=conversation.id,
        changes=[
            *_detail_changes(questionnaire, None, conversation),
            change("Deelnemers", None, participants_text(conversation.participants)),
            change(
                "Gekozen vragen",
                None,
                question_numbers_text(
                    questionnaire, [s.question_id for s in conversation.selected_questions]
                ),
            ),
        ],
    )
    if earlier is not None:
        return StartResult(conversation, Outcome.SAVED_AS_NEW, earlier)
    return StartResult(conversation, Outcome.SAVED)


def save_details(
    conversation: Conversation,
    details: ConversationDetails,
    participants: list[ParticipantData],
    based_on_details_revision: int,
) -> Outcome:
    """Save the details and participants from an edit form that showed
    ``based_on_details_revision``. Raises ``DetailsConflict`` when someone saved others in
    between; the very same content sent twice is simply accepted."""
    lock_conversation(conversation, "details")
    current = stored_details(conversation.id)
    if current.same_content(details, participants):
        return Outcome.ALREADY_SAVED
    if current.details_revision != based_on_details_revision:
        raise DetailsConflict(current)
    before = _DetailsBefore(
        current.title,
        db.session.get(Region, current.region_id),
        current.held_on,
        current.current_phase_id,
    )
    update_details(conversation, details)
    replace_participants(conversation, participants)
    conversation.details_revision = current.details_revision + 1
    db.session.flush()
    _record_details_saved(conversation, before, current.participants)
    return Outcome.SAVED


def update_details(conversation: Conversation, details: ConversationDetails) -> None:
    if details.current_phase_id not in conversation.questionnaire.phases_by_id:
        raise InvalidChoice(f"unknown phase {details.current_phase_id!r}")
    if details.region.id != conversation.region_id:
        from ..actions.models import ActionPoint  # actions build on conversations

        # Actions carry their region for region-wide views; they move along.
        db.session.execute(
            update(ActionPoint)
            .where(ActionPoint.conversation_id == conversation.id)
            .values(region_id=details.region.id)
        )
    conversation.title = details.title.strip()
    conversation.region = details.region
    conversation.held_on = details.held_on
    conversation.current_phase_id = details.current_phase_id
    db.session.flush()


def delete_conversation(conversation: Conversation) -> None:
    """Delete a conversation with everything in it: participants, answers and action points.

    Raises ``ConversationGone`` when another request deleted it first.
    """
    lock_conversation(conversation, "details")
    lock_conversation(conversation, "action-list")
    from ..actions.models import ActionPoint  # actions build on conversations

    action_count = db.session.scalar(
        select(func.count()).where(ActionPoint.conversation_id == conversation.id)
    )
    record(
        AuditAction.DELETED,
        "conversation",
        object_id=conversation.id,
        object_label=conversation.title,
        region_id=conversation.region_id,
        conversation_id=conversation.id,
        changes=[
            *_detail_changes(conversation.questionnaire, conversation, None),
            change("Deelnemers", participants_text(conversation.participants), None),
            change(
                "Beantwoorde vragen", sum(a.is_answered for a in conversation.answers) or None, None
            ),
            change("Actiepunten", action_count or None, None),
        ],
    )
    db.session.delete(conversation)
    db.session.flush()


def replace_participants(conversation: Conversation, participants: list[ParticipantData]) -> None:
    conversation.participants = [
        Participant(
            position=index,
            name=p.name.strip(),
            organisation=p.organisation.strip(),
            organisation_type=p.organisation_type,
            role=p.role.strip(),
        )
        for index, p in enumerate(participants)
    ]


def change_question_selection(
    conversation: Conversation, question_ids: list[str], shown_question_ids: list[str]
) -> Outcome:
    """Choose the questions to discuss from a form that showed ``shown_question_ids`` as
    chosen. Raises ``SelectionConflict`` when someone changed the choice in between (unless
    this very choice is what is stored now)."""
    lock_conversation(conversation, "questions")
    current = list(
        db.session.scalars(
            select(SelectedQuestion.question_id)
            .where(SelectedQuestion.conversation_id == conversation.id)
            .order_by(SelectedQuestion.position)
        )
    )
    if set(current) == set(question_ids):
        return Outcome.ALREADY_SAVED
    if set(current) != set(shown_question_ids):
        raise SelectionConflict(current)
    db.session.refresh(conversation, ["selected_questions"])
    select_questions(conversation, question_ids)
    questionnaire = conversation.questionnaire
    record(
        AuditAction.CHANGED,
        "questions",
        object_id=conversation.id,
        object_label="Gekozen vragen",
        region_id=conversation.region_id,
        conversation_id=conversation.id,
        changes=[
            change(
                "Gekozen vragen",
                question_numbers_text(questionnaire, current),
                question_numbers_text(questionnaire, question_ids),
            )
        ],
    )
    return Outcome.SAVED


def select_questions(conversation: Conversation, question_ids: list[str]) -> None:
    """Set the questions to discuss. Answers to questions left out are kept, not deleted."""
    order = conversation.questionnaire.question_ids_in_order()
    unknown = set(question_ids) - set(order)
    if unknown:
        raise InvalidChoice(f"unknown questions {sorted(unknown)!r}")
    chosen = set(question_ids)
    conversation.selected_questions = [
        SelectedQuestion(question_id=qid, position=index)
        for index, qid in enumerate(q for q in order if q in chosen)
    ]
    db.session.flush()


def save_answer(
    conversation: Conversation,
    question_id: str,
    text: str,
    assessment_id: str | None,
    based_on_revision: int,
) -> None:
    """Save the table's answer to a question.

    ``based_on_revision`` is the revision the form showed. If the answer changed since, the
    save is refused with ``EditConflict`` so nobody silently overwrites someone else, unless
    the content is the same (a double submit), which is simply accepted. After an
    ``EditConflict`` the session must be rolled back.
    """
    questionnaire = conversation.questionnaire
    if question_id not in questionnaire.questions_by_id:
        raise InvalidChoice(f"unknown question {question_id!r}")
    if assessment_id is not None and assessment_id not in questionnaire.assessment_by_id:
        raise InvalidChoice(f"unknown assessment step {assessment_id!r}")
    if len(text) > ANSWER_MAX_CHARACTERS:
        raise ValueError("answer too long")
    text = text.replace("\r\n", "\n").strip()
    key = {"conversation_id": conversation.id, "question_id": question_id}
    if based_on_revision > 0:
        before = _saved_if_current(key, text, assessment_id, based_on_revision)
        if before is not None:
            _record_answer(conversation, question_id, before, text, assessment_id)
            return
    answer = db.session.scalar(_STORED_ANSWER, key)
    if answer is None:
        if not text and assessment_id is None:
            return  # nothing to save yet: skipping a question is fine
        answer = Answer(**key, text=text, assessment_id=assessment_id)
        db.session.add(answer)
        before = None
    elif answer.text == text and answer.assessment_id == assessment_id:
        return
    elif answer.revision != based_on_revision:
        raise EditConflict()
    else:
        before = _AnswerBefore(answer.id, answer.text, answer.assessment_id)
        answer.text = text
        answer.assessment_id = assessment_id
    try:
        db.session.flush()
    except (IntegrityError, StaleDataError):
        # Someone else saved this answer between our read and our write.
        raise EditConflict() from None
    _record_answer(
        conversation, question_id, before or _AnswerBefore(answer.id), text, assessment_id
    )


def save_room_spread(conversation: Conversation, question_id: str, spread: dict) -> None:
    """Store a workshop room's spread over the scale beside the table's answer to a question
    (made empty when there is none yet). The answer's text and step stay as they are."""
    if question_id not in conversation.questionnaire.questions_by_id:
        raise InvalidChoice(f"unknown question {question_id!r}")
    key = {"conversation_id": conversation.id, "question_id": question_id}
    answer = db.session.scalar(_STORED_ANSWER, key)
    if answer is None:
        answer = Answer(**key, text="", assessment_id=None)
        db.session.add(answer)
    answer.room_spread = spread
    try:
        db.session.flush()
    except (IntegrityError, StaleDataError):
        raise EditConflict() from None


@dataclass(frozen=True)
class _AnswerBefore:
    """An answer as it was before a save; ``text`` None when there was none yet."""

    answer_id: int
    text: str | None = None
    assessment_id: str | None = None


def _record_answer(
    conversation: Conversation,
    question_id: str,
    before: _AnswerBefore,
    text: str,
    assessment_id: str | None,
) -> None:
    questionnaire = conversation.questionnaire

    def assessment(step_id: str | None) -> str | None:
        step = questionnaire.assessment_by_id.get(step_id) if step_id else None
        return step.label if step else step_id

    record(
        AuditAction.CREATED if before.text is None else AuditAction.CHANGED,
        "answer",
        object_id=before.answer_id,
        object_label=f"Vraag {questionnaire.question_numbers.get(question_id, question_id)}",
        region_id=conversation.region_id,
        conversation_id=conversation.id,
        changes=[
            change("Antwoord", before.text, text),
            change("Zelfbeoordeling", assessment(before.assessment_id), assessment(assessment_id)),
        ],
    )


def _saved_if_current(
    key: dict, text: str, assessment_id: str | None, revision: int
) -> _AnswerBefore | None:
    """The usual save in one UPDATE, without loading the row first: it applies only when the
    stored answer is still at ``revision`` and differs from the new content. Everything else
    (a first answer, a double submit, a conflict) takes the careful path in ``save_answer``.

    Returns the answer as it was before, for the audit trail, or None when nothing was saved.
    """
    params = {
        "of_conversation": key["conversation_id"],
        "of_question": key["question_id"],
        "based_on_revision": revision,
        "new_text": text,
        "new_assessment_id": assessment_id,
        "now": utcnow(),
    }
    if db.session.get_bind().dialect.name == "postgresql":
        row = db.session.execute(_SAVE_IF_CURRENT_RETURNING_BEFORE, params).first()
    else:
        row = db.session.execute(_ANSWER_AT_REVISION, params).first()
        if row is not None and not db.session.execute(_SAVE_IF_CURRENT, params).rowcount:
            row = None
    if row is None:
        return None
    for loaded in [o for o in db.session.identity_map.values() if isinstance(o, Answer)]:
        if (loaded.conversation_id, loaded.question_id) == tuple(key.values()):
            db.session.expire(loaded)  # the copy in memory is out of date now
    raise_revisions(db.session, {key["conversation_id"]})
    return _AnswerBefore(*row)


# --- the audit trail of details, participants and chosen questions ---------------------------


@dataclass(frozen=True)
class _DetailsBefore:
    title: str
    region: Region
    held_on: date
    current_phase_id: str


def _phase_name(questionnaire, phase_id: str | None) -> str | None:
    if phase_id is None:
        return None
    phase = questionnaire.phases_by_id.get(phase_id)
    return phase.name if phase else phase_id


def _detail_changes(questionnaire, before, after) -> list[dict[str, str]]:
    """Titel, Regio, Datum and Fase from ``before`` to ``after`` (either may be None)."""

    def get(details, name):
        return None if details is None else getattr(details, name)

    return [
        change("Titel", get(before, "title"), get(after, "title")),
        change("Regio", get(get(before, "region"), "name"), get(get(after, "region"), "name")),
        change("Datum", get(before, "held_on"), get(after, "held_on")),
        change(
            "Fase",
            _phase_name(questionnaire, get(before, "current_phase_id")),
            _phase_name(questionnaire, get(after, "current_phase_id")),
        ),
    ]


def participants_text(participants) -> str:
    """The participant list as one readable line for the audit trail:
    "Anna de Vries (Gemeente Enschede, Wethouder); Bas Jansen (ROC van Twente)"."""
    return "; ".join(
        f"{p.name} ({', '.join(part for part in (p.organisation, p.role) if part)})"
        if p.organisation or p.role
        else p.name
        for p in participants
    )


def question_numbers_text(questionnaire, question_ids) -> str:
    """Chosen questions by their printed numbers, in questionnaire order: "1.1, 1.2, 2.3"."""
    numbers = questionnaire.question_numbers
    chosen = set(question_ids)
    return ", ".join(numbers[q] for q in questionnaire.question_ids_in_order() if q in chosen)


def _record_details_saved(
    conversation: Conversation, before: _DetailsBefore, participants_before
) -> None:
    """The saved details and participants, each as its own event. They count in the region
    the conversation was in before this save: when it moves to another region, the old
    region's trail shows where it went."""
    questionnaire = conversation.questionnaire
    where = {"region_id": before.region.id, "conversation_id": conversation.id}
    record(
        AuditAction.CHANGED,
        "conversation",
        object_id=conversation.id,
        object_label=conversation.title,
        changes=_detail_changes(questionnaire, before, conversation),
        **where,
    )
    record(
        AuditAction.CHANGED,
        "participants",
        object_id=conversation.id,
        object_label="Deelnemers",
        changes=[
            change(
                "Deelnemers",
                participants_text(participants_before),
                participants_text(conversation.participants),
            )
        ],
        **where,
    )
