"""Starting the next round of a conversation, and carrying its open action points over.

A region holds the conversation again a year later: same region, the participants confirmed,
the same questions (of the same or the newest questionnaire version, matched by their stable
question id), and the action points that are still open moved along, once. Operations flush;
the request commits once.

Locks, in this order (the order every other writer takes them too, so no two requests can wait
for each other): the form token, the previous conversation's details (its participants are
copied), the previous conversation's action list, the new conversation's action list.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import bindparam, func, select, update

from ..actions import operations as action_operations
from ..actions.models import ActionPoint, ActionStatus
from ..audit.models import AuditAction
from ..audit.operations import change, record
from ..conversations.models import Conversation, SelectedQuestion
from ..conversations.operations import (
    ConversationDetails,
    InvalidChoice,
    ParticipantData,
    lock_conversation,
    participants_text,
    question_numbers_text,
    replace_participants,
    select_questions,
    stored_details,
)
from ..conversations.revisions import raise_revisions
from ..core.database import serialize_writes
from ..core.formatting import date_long, date_short
from ..core.forms import Outcome
from ..extensions import db
from ..questionnaires.loader import LoadedQuestionnaire
from ..questionnaires.registry import registry, snapshot_of
from ..questionnaires.schema import Questionnaire

#: How many rounds a comparison follows, back and forth (a chain of yearly conversations).
MAX_ROUNDS = 10


# --- the questionnaire version of the new round ---------------------------------------------------


@dataclass(frozen=True)
class VersionOptions:
    """The questionnaire versions a new round can be held with."""

    #: The previous round's own content (its snapshot).
    same: Questionnaire
    #: The newest version of the same questionnaire key, when its content differs from
    #: ``same``; None when the previous round already has the newest content (or the key is no
    #: longer in the questionnaire folder).
    newest: LoadedQuestionnaire | None

    @property
    def differ(self) -> bool:
        return self.newest is not None

    def chosen(self, use_newest: bool) -> Questionnaire:
        return self.newest.questionnaire if use_newest and self.newest else self.same


def version_options(previous: Conversation) -> VersionOptions:
    """Which versions the next round of ``previous`` may use. Reads, never writes: the newest
    version gets its snapshot only when the round is started with it."""
    snapshot = previous.questionnaire_snapshot
    try:
        newest = registry().current(snapshot.key)
    except KeyError:
        newest = None
    if newest is not None and newest.content_sha256 == snapshot.content_sha256:
        newest = None
    return VersionOptions(previous.questionnaire, newest)


@dataclass(frozen=True)
class QuestionMatch:
    """The previous round's chosen questions, matched by id in the new round's version."""

    #: Chosen again in the new round (in the new version's order).
    kept: list[str]
    #: (number in the old version, text) of chosen questions the new version no longer has.
    dropped: list[tuple[str, str]] = field(default_factory=list)
    #: (number, text) of questions only the new version has: offered, not chosen.
    added: list[tuple[str, str]] = field(default_factory=list)


def match_questions(
    chosen_before: list[str], old: Questionnaire, new: Questionnaire
) -> QuestionMatch:
    """Match the questions chosen with ``old`` to ``new`` by their stable ids."""
    chosen = set(chosen_before)
    kept = [q for q in new.question_ids_in_order() if q in chosen]
    dropped = [
        (number, question.text)
        for number, _phase, question in old.numbered_questions
        if question.id in chosen and question.id not in new.questions_by_id
    ]
    added = [
        (number, question.text)
        for number, _phase, question in new.numbered_questions
        if question.id not in old.questions_by_id
    ]
    return QuestionMatch(kept, dropped, added)


def open_action_count(conversation_id: int) -> int:
    """How many action points of the conversation a new round would carry over now."""
    return db.session.scalar(
        select(func.count()).where(
            ActionPoint.conversation_id == conversation_id,
            ActionPoint.status.in_(ActionStatus.open_statuses()),
        )
    )


def chosen_question_ids(conversation_id: int) -> list[str]:
    return list(
        db.session.scalars(
            select(SelectedQuestion.question_id)
            .where(SelectedQuestion.conversation_id == conversation_id)
            .order_by(SelectedQuestion.position)
        )
    )


# --- starting the round -----------------------------------------------------------------------


@dataclass(frozen=True)
class RoundData:
    """What the new-round form sends."""

    title: str
    held_on: date
    current_phase_id: str
    #: Indexes (0-based, in list order) of the previous round's participants who come again.
    kept_participants: list[int]
    #: People added in the form, as on the start form.
    added_participants: list[ParticipantData]
    #: The previous round's ``details_revision`` the form showed its participants at.
    based_on_details_revision: int
    #: Hold the round with the newest questionnaire version (when it differs).
    use_newest_version: bool = True


@dataclass(frozen=True)
class RoundResult:
    conversation: Conversation
    outcome: Outcome
    #: Ids of the action points carried over from the previous round.
    moved_action_ids: list[int] = field(default_factory=list)
    match: QuestionMatch | None = None
    #: For ``SAVED_AS_NEW``: the round the earlier submit of this form started.
    earlier: Conversation | None = None


class ParticipantsChanged(Exception):
    """The previous round's participants changed since the form listed them: which ones were
    ticked can no longer be told. ``current`` holds them as they are stored now."""

    def __init__(self, current):
        super().__init__(current.details_revision)
        self.current = current


class TooManyParticipants(ValueError):
    """More people than a conversation can hold (``conversations.forms.MAX_PARTICIPANTS``)."""


def default_title(previous: Conversation, held_on: date) -> str:
    """The previous title with its year replaced by the new one ("Overleg 2026" -> "Overleg
    2027"), else the previous title with "— ronde 2027" after it (in the same year: "— vervolg
    5 maart 2027"); at most 200 characters."""
    old_year, new_year = str(previous.held_on.year), str(held_on.year)
    if old_year != new_year and old_year in previous.title:
        return previous.title.replace(old_year, new_year)[:200]
    suffix = f" — ronde {new_year}" if old_year != new_year else f" — vervolg {date_long(held_on)}"
    return previous.title[: 200 - len(suffix)].rstrip() + suffix


def _participants(stored, data: RoundData) -> list[ParticipantData]:
    kept = sorted(set(data.kept_participants))
    if any(not 0 <= index < len(stored.participants) for index in kept):
        raise InvalidChoice(f"unknown participants {kept!r}")
    return [stored.participants[index] for index in kept] + list(data.added_participants)


def start_round(
    previous: Conversation, data: RoundData, creation_token: str | None = None
) -> RoundResult:
    """Start the next round of ``previous``: a new conversation in the same region with the
    confirmed participants and the same chosen questions, in the chosen questionnaire version;
    the previous round's open action points move to it (``carry_over_open_actions``).

    The same form (``creation_token``) sent twice with the same content starts one round; sent
    again with other content it starts a second one (which finds no open action points left).
    Raises ``ParticipantsChanged`` when the previous round's participants changed since the
    form was shown, ``InvalidChoice`` for a phase the chosen version does not have and
    ``ConversationGone`` when the previous round was deleted meanwhile.
    """
    from ..conversations.forms import MAX_PARTICIPANTS  # the one limit of the start form

    earlier = None
    if creation_token:
        serialize_writes(f"conversation-token:{creation_token}")
        earlier = db.session.scalar(
            select(Conversation).where(Conversation.creation_token == creation_token)
        )
    lock_conversation(previous, "details")
    stored = stored_details(previous.id)
    if stored.details_revision != data.based_on_details_revision:
        raise ParticipantsChanged(stored)
    participants = _participants(stored, data)
    if len(participants) > MAX_PARTICIPANTS:
        raise TooManyParticipants(len(participants))
    details = ConversationDetails(data.title, previous.region, data.held_on, data.current_phase_id)
    if earlier is not None:
        if earlier.previous_conversation_id == previous.id and stored_details(
            earlier.id
        ).same_content(details, participants):
            return RoundResult(earlier, Outcome.ALREADY_SAVED)
        creation_token = None

    options = version_options(previous)
    if options.newest is not None and data.use_newest_version:
        snapshot = snapshot_of(options.newest)
    else:
        snapshot = previous.questionnaire_snapshot
    questionnaire = snapshot.questionnaire
    if data.current_phase_id not in questionnaire.phases_by_id:
        raise InvalidChoice(f"unknown phase {data.current_phase_id!r}")
    match = match_questions(chosen_question_ids(previous.id), previous.questionnaire, questionnaire)

    conversation = Conversation(
        region=previous.region,
        questionnaire_snapshot_id=snapshot.id,
        title=data.title.strip(),
        held_on=data.held_on,
        current_phase_id=data.current_phase_id,
        creation_token=creation_token,
        previous_conversation_id=previous.id,
    )
    db.session.add(conversation)
    replace_participants(conversation, participants)
    select_questions(conversation, match.kept)
    db.session.flush()
    phase = questionnaire.phases_by_id[data.current_phase_id]
    record(
        AuditAction.CREATED,
        "conversation",
        object_id=conversation.id,
        object_label=conversation.title,
        region_id=conversation.region_id,
        conversation_id=conversation.id,
        changes=[
            change("Titel", None, conversation.title),
            change("Regio", None, previous.region.name),
            change("Datum", None, conversation.held_on),
            change("Fase", None, phase.name),
            change("Vervolg op", None, previous.title),
            change("Vragenlijst", None, f"{questionnaire.title}, versie {questionnaire.version}"),
            change("Deelnemers", None, participants_text(conversation.participants)),
            change("Gekozen vragen", None, question_numbers_text(questionnaire, match.kept)),
        ],
    )
    moved = carry_over_open_actions(previous, conversation)
    outcome = Outcome.SAVED_AS_NEW if earlier is not None else Outcome.SAVED
    return RoundResult(conversation, outcome, moved, match, earlier)


# --- carrying the open action points over ---------------------------------------------------------

_ACTION = ActionPoint.__table__
#: One row per action point moved (executemany: the statement has a fixed set of parameters).
_MOVE = (
    update(_ACTION)
    .where(
        _ACTION.c.id == bindparam("action_id"),
        _ACTION.c.conversation_id == bindparam("from_conversation"),
    )
    .values(
        conversation_id=bindparam("to_conversation"),
        origin_conversation_id=func.coalesce(
            _ACTION.c.origin_conversation_id, bindparam("origin_conversation")
        ),
        position=bindparam("new_position"),
    )
)


def carry_over_open_actions(previous: Conversation, new: Conversation) -> list[int]:
    """Move the action points of ``previous`` that are still open (open or bezig) to the end
    of ``new``'s list, in their order; both lists keep positions 1, 2, 3 … without gaps. Each
    keeps the conversation it was first agreed in (``origin_conversation_id``), its history
    and its links to indicators. Closed ones (afgerond, vervallen, verankerd) stay.

    Moved, not copied: a second round started from ``previous`` finds nothing left to move.
    Both lists are locked first, so an action point added or closed at the same moment is
    either moved or stays, never lost or doubled. Returns the ids moved.
    """
    rows, moves = _move_actions(
        previous,
        new,
        ActionPoint.status.in_(ActionStatus.open_statuses()),
        _MOVE,
        {"origin_conversation": previous.id},
    )
    if not rows:
        return []
    action_operations._renumber(previous, action_operations._list_order(previous))
    _record_moves(previous, new, rows, moves)
    return [row.id for row in rows]


def _move_actions(source: Conversation, target: Conversation, which, statement, extra: dict):
    """Move the action points of ``source`` that ``which`` selects to the end of ``target``'s
    list, in their order, with ``statement`` (``_MOVE`` or ``_HAND_BACK``), under both lists'
    locks; both conversations' revisions go up whatever moved. The (id, position, description)
    rows moved and the parameters used."""
    # Always the older conversation's lock first: a carry-over and a hand-back between the
    # same two rounds at once wait for each other instead of deadlocking.
    for conversation in sorted((source, target), key=lambda c: c.id):
        action_operations.lock_action_list(conversation)
    rows = db.session.execute(
        select(ActionPoint.id, ActionPoint.position, ActionPoint.description)
        .where(ActionPoint.conversation_id == source.id, which)
        .order_by(ActionPoint.position, ActionPoint.id)
    ).all()
    raise_revisions(db.session, {source.id, target.id})
    if not rows:
        return rows, []
    last = db.session.scalar(
        select(func.coalesce(func.max(ActionPoint.position), 0)).where(
            ActionPoint.conversation_id == target.id
        )
    )
    moves = [
        {
            "action_id": row.id,
            "from_conversation": source.id,
            "to_conversation": target.id,
            "new_position": last + index,
            **extra,
        }
        for index, row in enumerate(rows, start=1)
    ]
    db.session.connection().execute(statement, moves)
    # Conversation, origin and position changed past the ORM: copies in memory are stale.
    for loaded in [o for o in db.session.identity_map.values() if isinstance(o, ActionPoint)]:
        db.session.expire(loaded)
    return rows, moves


def _named(conversation: Conversation) -> str:
    """A round as people tell them apart: "Bestuurlijk overleg (08-10-2026)"."""
    return f"{conversation.title} ({date_short(conversation.held_on)})"


def _record_moves(previous: Conversation, new: Conversation, rows, moves) -> None:
    """One event on the previous round (which action points left), one per action point on
    the new round (where it came from, its old and new number)."""
    record(
        AuditAction.CHANGED,
        "action_point",
        object_id=previous.id,
        object_label="Open actiepunten naar de volgende ronde",
        region_id=previous.region_id,
        conversation_id=previous.id,
        changes=[
            change("Actiepunten", ", ".join(str(row.position) for row in rows), ""),
            change("Overgezet naar", "", _named(new)),
        ],
    )
    for row, move in zip(rows, moves, strict=True):
        record(
            AuditAction.CHANGED,
            "action_point",
            object_id=row.id,
            object_label=action_operations._audit_label(move["new_position"], row.description),
            region_id=new.region_id,
            conversation_id=new.id,
            changes=[
                change("Gesprek", _named(previous), _named(new)),
                change("Positie", row.position, move["new_position"]),
            ],
        )


_HAND_BACK = (
    update(_ACTION)
    .where(
        _ACTION.c.id == bindparam("action_id"),
        _ACTION.c.conversation_id == bindparam("from_conversation"),
    )
    .values(
        conversation_id=bindparam("to_conversation"),
        # Back in the conversation it was agreed in: no longer "from an earlier round".
        origin_conversation_id=func.nullif(
            _ACTION.c.origin_conversation_id, bindparam("to_conversation")
        ),
        position=bindparam("new_position"),
    )
)


def hand_back_carried_actions(conversation: Conversation) -> int:
    """Before a round is deleted: the action points it took over from the round before go back
    there (at the end of its list), so deleting a round never deletes work that was agreed
    earlier. How many went back; 0 when there is no previous round (any more)."""
    previous = (
        db.session.get(Conversation, conversation.previous_conversation_id)
        if conversation.previous_conversation_id
        else None
    )
    if previous is None:
        return 0
    rows, _moves = _move_actions(
        conversation,
        previous,
        ActionPoint.origin_conversation_id.is_not(None),
        _HAND_BACK,
        {},
    )
    if not rows:
        return 0
    record(
        AuditAction.CHANGED,
        "action_point",
        object_id=previous.id,
        object_label="Actiepunten terug uit een verwijderde ronde",
        region_id=previous.region_id,
        conversation_id=previous.id,
        changes=[
            change(
                "Terug naar deze ronde",
                "",
                f"{len(rows)} actiepunt(en) uit {_named(conversation)}, dat is verwijderd",
            )
        ],
    )
    return len(rows)
