"""What happens in a workshop: opening it, joining, placing, contributing, dotting, leading.

Plain functions on the session; the caller commits. Whatever the room sends is keyed on the
participant's row and guarded by unique constraints, so a double tap, a reload or two taps at
the same moment never count twice. Every change raises the workshop's ``revision`` (what the
projector polls) and, when phones show it, its ``room_revision``.

Answers and action points are written through the conversation's own operations
(``conversations.operations.save_answer``, ``actions.operations.add_action``): a workshop is
another way to fill the same record, not a second record.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from threading import Lock

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from ..accounts.models import User
from ..actions.models import ActionPoint
from ..actions.operations import ActionData, add_action
from ..audit.models import AuditAction
from ..audit.operations import change, record
from ..conversations.models import Conversation
from ..conversations.operations import InvalidChoice, save_answer, save_room_spread
from ..core.formatting import local_now
from ..core.models import utcnow
from ..extensions import db
from .models import (
    CONTRIBUTION_MAX_CHARACTERS,
    FIRST_NAME_MAX_CHARACTERS,
    JOIN_CODE_ALPHABET,
    JOIN_CODE_LENGTH,
    Contribution,
    ContributionKind,
    Dot,
    RoomAssessment,
    Workshop,
    WorkshopParticipant,
    WorkshopQuestion,
)

#: A workshop admits nobody this long after it was opened, even when nobody closed it.
WORKSHOP_LIFETIME = timedelta(hours=12)
MAX_DOTS_PER_PARTICIPANT = 10
MAX_TIMER_MINUTES = 60
#: How often a phone's "still here" is written, at most (per participant and app process).
PRESENCE_WRITE_INTERVAL = 30.0
#: Participants seen this recently count as connected.
CONNECTED_WITHIN = timedelta(seconds=60)


class WorkshopError(Exception):
    """Something a participant or facilitator tried that the workshop does not allow now.
    The message is Dutch and says what to do."""


class WorkshopNotOpen(WorkshopError):
    pass


class WorkshopFull(WorkshopError):
    pass


class QuestionNotOpen(WorkshopError):
    pass


class NoDotsLeft(WorkshopError):
    pass


@dataclass(frozen=True)
class WorkshopSettings:
    anonymous: bool = True
    dots_per_participant: int = 3
    dots_per_item: int = 1
    participant_cap: int = 300


def normalise_code(typed: str) -> str:
    """A code as typed on a phone: any case, with spaces or a dash, is the code."""
    return "".join(ch for ch in typed.upper() if ch.isalnum())[: JOIN_CODE_LENGTH * 2]


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_join_code() -> str:
    """A code no workshop has used yet (the column is unique, closed workshops included)."""
    while True:
        code = "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(JOIN_CODE_LENGTH))
        if db.session.scalar(select(Workshop.id).where(Workshop.join_code == code)) is None:
            return code


def _checked(settings: WorkshopSettings, cap_limit: int) -> WorkshopSettings:
    if not 1 <= settings.dots_per_participant <= MAX_DOTS_PER_PARTICIPANT:
        raise ValueError("dots per participant out of range")
    if not 1 <= settings.dots_per_item <= settings.dots_per_participant:
        raise ValueError("dots per item out of range")
    if not 1 <= settings.participant_cap <= cap_limit:
        raise ValueError("participant cap out of range")
    return settings


def open_workshop(
    conversation: Conversation,
    opened_by: User | None,
    settings: WorkshopSettings,
    creation_token: str | None = None,
    cap_limit: int = 300,
) -> Workshop:
    """Open a workshop on the conversation's chosen questions; the same form twice opens one."""
    if creation_token:
        earlier = db.session.scalar(
            select(Workshop).where(Workshop.creation_token == creation_token)
        )
        if earlier is not None and earlier.conversation_id == conversation.id:
            return earlier
        if earlier is not None:
            creation_token = None
    settings = _checked(settings, cap_limit)
    question_ids = [s.question_id for s in conversation.selected_questions]
    if not question_ids:
        raise WorkshopError(
            "Kies eerst de vragen van het gesprek. Daarna kunt u een workshop openen."
        )
    now = utcnow()
    workshop = Workshop(
        conversation_id=conversation.id,
        join_code=_new_join_code(),
        anonymous=settings.anonymous,
        dots_per_participant=settings.dots_per_participant,
        dots_per_item=settings.dots_per_item,
        participant_cap=settings.participant_cap,
        participant_count=0,
        joining_open=True,
        current_question_id=question_ids[0],
        results_visible=False,
        revision=1,
        room_revision=1,
        contribution_revision=1,
        opened_by_id=opened_by.id if opened_by else None,
        creation_token=creation_token,
        created_dt=now,
        expires_dt=now + WORKSHOP_LIFETIME,
        questions=[
            WorkshopQuestion(question_id=qid, position=index, is_open=False)
            for index, qid in enumerate(question_ids)
        ],
    )
    db.session.add(workshop)
    try:
        db.session.flush()
    except IntegrityError:
        # Two submits of the same form at the same moment: the other one made it.
        db.session.rollback()
        raise
    _audit(workshop, AuditAction.CREATED, [change("Workshop", None, f"code {workshop.join_code}")])
    return workshop


def _audit(workshop: Workshop, action: AuditAction, changes: list[dict[str, str]]) -> None:
    record(
        action,
        "workshop",
        object_id=workshop.id,
        object_label=f"Workshop {workshop.join_code}",
        region_id=workshop.conversation.region_id,
        conversation_id=workshop.conversation_id,
        changes=changes,
    )


def _bump(workshop: Workshop, *, room: bool, contributions: bool = False) -> None:
    """Raise the revisions in one statement, so concurrent changes never lose a count."""
    values = {"revision": Workshop.revision + 1}
    if room:
        values["room_revision"] = Workshop.room_revision + 1
    if contributions:
        values["contribution_revision"] = Workshop.contribution_revision + 1
    db.session.execute(
        update(Workshop)
        .where(Workshop.id == workshop.id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    db.session.expire(workshop, ["revision", "room_revision", "contribution_revision"])


def close_workshop(workshop: Workshop) -> None:
    if workshop.closed_dt is not None:
        return
    workshop.closed_dt = utcnow()
    workshop.joining_open = False
    workshop.timer_ends_dt = None
    for question in workshop.questions:
        if question.is_open:
            question.is_open = False
            question.closed_dt = workshop.closed_dt
    db.session.flush()
    _bump(workshop, room=True)
    _audit(workshop, AuditAction.CHANGED, [change("Workshop", "open", "gesloten")])


def change_settings(workshop: Workshop, settings: WorkshopSettings, cap_limit: int = 300) -> None:
    _require_open(workshop)
    settings = _checked(settings, cap_limit)
    workshop.anonymous = settings.anonymous
    workshop.dots_per_participant = settings.dots_per_participant
    workshop.dots_per_item = settings.dots_per_item
    workshop.participant_cap = settings.participant_cap
    db.session.flush()
    _bump(workshop, room=True)


def set_joining(workshop: Workshop, open_: bool) -> None:
    _require_open(workshop)
    workshop.joining_open = open_
    db.session.flush()
    _bump(workshop, room=True)


def _require_open(workshop: Workshop) -> None:
    if not workshop.is_open():
        raise WorkshopNotOpen("Deze workshop is gesloten. Er kan niets meer bij.")


# --- participants ----------------------------------------------------------------------------


def find_workshop_by_code(typed: str) -> Workshop | None:
    code = normalise_code(typed)
    if len(code) != JOIN_CODE_LENGTH:
        return None
    return db.session.scalar(select(Workshop).where(Workshop.join_code == code))


def join(workshop: Workshop, first_name: str = "") -> tuple[WorkshopParticipant, str]:
    """Admit one participant; returns them and the token for their cookie (never stored)."""
    if not workshop.admits():
        raise WorkshopNotOpen(
            "Met deze code kunt u niet meer meedoen: de workshop is gesloten. "
            "Vraag de gespreksleider om hulp."
        )
    # One statement takes the seat, checks the cap and numbers the participant, so two joins
    # at once never pass the cap or get the same number.
    number = db.session.execute(
        update(Workshop)
        .where(Workshop.id == workshop.id, Workshop.participant_count < Workshop.participant_cap)
        .values(
            participant_count=Workshop.participant_count + 1,
            joined_count=Workshop.joined_count + 1,
        )
        .returning(Workshop.joined_count)
        .execution_options(synchronize_session=False)
    ).scalar()
    if number is None:
        raise WorkshopFull(
            f"Deze workshop is vol: er doen al {workshop.participant_cap} mensen mee. "
            "Kijk mee op het grote scherm of op de telefoon van iemand naast u."
        )
    token = secrets.token_urlsafe(32)
    participant = WorkshopParticipant(
        workshop_id=workshop.id,
        number=number,
        token_hash=token_hash(token),
        first_name=first_name.strip()[:FIRST_NAME_MAX_CHARACTERS],
    )
    db.session.add(participant)
    db.session.flush()
    db.session.expire(workshop, ["participant_count", "joined_count"])
    _bump(workshop, room=False)
    return participant, token


def participant_by_token(workshop: Workshop, token: str | None) -> WorkshopParticipant | None:
    """The participant whose token this is, in this workshop only (also when the facilitator
    removed them: the caller decides what a removed participant may do)."""
    if not token:
        return None
    return db.session.scalar(
        select(WorkshopParticipant).where(
            WorkshopParticipant.token_hash == token_hash(token),
            WorkshopParticipant.workshop_id == workshop.id,
        )
    )


def removed_participants(workshop_id: int):
    """The ids of the workshop's removed participants, as a subquery: what they sent no
    longer counts."""
    return select(WorkshopParticipant.id).where(
        WorkshopParticipant.workshop_id == workshop_id,
        WorkshopParticipant.removed_dt.is_not(None),
    )


def _workshop_participant(workshop: Workshop, participant_id: int) -> WorkshopParticipant:
    participant = db.session.get(WorkshopParticipant, participant_id)
    if participant is None or participant.workshop_id != workshop.id:
        raise InvalidChoice("not a participant of this workshop")
    return participant


@dataclass(frozen=True)
class Removal:
    """What removing a participant did."""

    number: int
    #: Their contributions, now hidden (False when they had been removed already).
    contributions: int
    #: Dots other participants had put on those contributions, given back to them.
    dots_returned: int
    done: bool = True


def remove_participant(workshop: Workshop, participant_id: int) -> Removal:
    """Take a participant out of the workshop in one step: their token stops working (also to
    join again), their contributions are hidden, their dots and scale choices stop counting,
    and their seat is free again. The rows stay, so ``readmit_participant`` undoes it; only the
    dots others had put on their contributions are given back to those others (as when the
    facilitator hides a contribution), so those people can spend them again."""
    participant = _workshop_participant(workshop, participant_id)
    written = select(Contribution.id).where(Contribution.participant_id == participant.id)
    count = db.session.scalar(select(func.count()).select_from(written.subquery()))
    if participant.removed_dt is not None:
        return Removal(participant.number, count, 0, done=False)
    participant.removed_dt = utcnow()
    returned = db.session.execute(
        delete(Dot).where(Dot.contribution_id.in_(written), Dot.participant_id != participant.id)
    ).rowcount
    _seat_changed(workshop, participant, -1, "doet mee", "verwijderd")
    return Removal(participant.number, count, returned)


def readmit_participant(workshop: Workshop, participant_id: int) -> bool:
    """Undo ``remove_participant``: the token works again and what they sent counts again
    (the seat is taken again, also when that goes past the cap: the facilitator chose it).
    False when they were not removed."""
    participant = _workshop_participant(workshop, participant_id)
    if participant.removed_dt is None:
        return False
    participant.removed_dt = None
    _seat_changed(workshop, participant, +1, "verwijderd", "doet weer mee")
    return True


def _seat_changed(workshop: Workshop, participant, seats: int, before: str, after: str) -> None:
    """A participant removed or let back in: the seats taken, the room's pages, the audit."""
    _change_seats(workshop, seats)
    db.session.flush()
    _bump(workshop, room=True, contributions=True)
    _audit(
        workshop,
        AuditAction.CHANGED,
        [change(f"Deelnemer {participant.number}", before, after)],
    )


def _change_seats(workshop: Workshop, by: int) -> None:
    db.session.execute(
        update(Workshop)
        .where(Workshop.id == workshop.id, Workshop.participant_count + by >= 0)
        .values(participant_count=Workshop.participant_count + by)
        .execution_options(synchronize_session=False)
    )
    db.session.expire(workshop, ["participant_count"])


_last_presence: dict[int, float] = {}
_presence_lock = Lock()


def note_presence(participant_id: int) -> bool:
    """Record that a phone is still there, at most every ``PRESENCE_WRITE_INTERVAL`` seconds
    per participant in this process: polling must stay a read. True when it wrote."""
    now = time.monotonic()
    with _presence_lock:
        if (
            now - _last_presence.get(participant_id, -PRESENCE_WRITE_INTERVAL)
            < PRESENCE_WRITE_INTERVAL
        ):
            return False
        _last_presence[participant_id] = now
        if len(_last_presence) > 100_000:
            _last_presence.clear()
    db.session.execute(
        update(WorkshopParticipant)
        .where(WorkshopParticipant.id == participant_id)
        .values(last_seen_dt=utcnow())
        .execution_options(synchronize_session=False)
    )
    return True


def _open_question(workshop: Workshop, question_id: str) -> WorkshopQuestion:
    _require_open(workshop)
    question = next((q for q in workshop.questions if q.question_id == question_id), None)
    if question is None:
        raise InvalidChoice(f"question {question_id!r} is not part of this workshop")
    if not question.is_open:
        raise QuestionNotOpen(
            "Deze vraag is nu niet open. Wat u stuurde, is niet opgeslagen. "
            "Kijk op het scherm welke vraag nu aan de beurt is."
        )
    return question


def choose_assessment(
    workshop: Workshop, participant: WorkshopParticipant, question_id: str, assessment_id: str
) -> None:
    """Place (or move) the participant's mark on the scale; sending it twice changes nothing."""
    _open_question(workshop, question_id)
    if assessment_id not in workshop.conversation.questionnaire.assessment_by_id:
        raise InvalidChoice(f"unknown assessment step {assessment_id!r}")
    key = {"participant_id": participant.id, "question_id": question_id}
    stored = db.session.get(RoomAssessment, key)
    if stored is not None and stored.assessment_id == assessment_id:
        return
    if stored is None:
        db.session.add(RoomAssessment(**key, workshop_id=workshop.id, assessment_id=assessment_id))
    else:
        stored.assessment_id = assessment_id
        stored.chosen_dt = utcnow()
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        # The same choice arrived twice at once: the first one is stored; apply ours over it.
        db.session.execute(
            update(RoomAssessment)
            .where(
                RoomAssessment.participant_id == participant.id,
                RoomAssessment.question_id == question_id,
            )
            .values(assessment_id=assessment_id, chosen_dt=utcnow())
        )
    _bump(workshop, room=False)


#: What became of a contribution that was sent (``Contributed.outcome``).
NEW, SENT_TWICE, OTHER_TEXT = "new", "sent twice", "other text"


@dataclass(frozen=True)
class Contributed:
    contribution: Contribution
    #: ``NEW``; ``SENT_TWICE``: the same form with the same text and kind again, stored once;
    #: ``OTHER_TEXT``: the same form again with another text or kind, stored as a second item
    #: (nothing typed is swallowed as "already sent").
    outcome: str


def contribute(
    workshop: Workshop,
    participant: WorkshopParticipant | None,
    question_id: str,
    kind: ContributionKind,
    text: str,
    creation_token: str | None = None,
) -> Contribution:
    """``send_contribution``, for callers that only need the contribution."""
    return send_contribution(
        workshop, participant, question_id, kind, text, creation_token
    ).contribution


def send_contribution(
    workshop: Workshop,
    participant: WorkshopParticipant | None,
    question_id: str,
    kind: ContributionKind,
    text: str,
    creation_token: str | None = None,
) -> Contributed:
    """Add a contribution; ``participant`` None for the facilitator's draft action point.

    The same form sent twice (same ``creation_token``, text and kind) adds it once. The same
    form sent again with another text or kind (a phone that went back, or that did not hear
    whether the first send arrived and changed the text) is a second item: it is stored under
    a token made of the form's token and what it holds, so sending that again adds it once too.
    """
    if participant is None:
        _require_open(workshop)
    else:
        _open_question(workshop, question_id)
    text = " ".join(text.split())
    if not text:
        raise WorkshopError("Schrijf eerst iets op. Er is niets opgeslagen.")
    if len(text) > CONTRIBUTION_MAX_CHARACTERS:
        raise WorkshopError(
            f"Uw bijdrage is te lang: houd het bij {CONTRIBUTION_MAX_CHARACTERS} tekens. "
            "Er is niets opgeslagen."
        )
    outcome = NEW
    if creation_token:
        earlier = _contribution_with_token(workshop, creation_token)
        if earlier is not None:
            if _same_contribution(earlier, participant, question_id, kind, text):
                return Contributed(earlier, SENT_TWICE)
            creation_token = _token_for_other_text(creation_token, participant, kind, text)
            outcome = OTHER_TEXT
            again = _contribution_with_token(workshop, creation_token)
            if again is not None:
                return Contributed(again, SENT_TWICE)
    contribution = Contribution(
        workshop_id=workshop.id,
        question_id=question_id,
        participant_id=participant.id if participant else None,
        kind=kind,
        text=text,
        author_name="" if workshop.anonymous or participant is None else participant.first_name,
        hidden=False,
        creation_token=creation_token or None,
    )
    try:
        with db.session.begin_nested():
            db.session.add(contribution)
            db.session.flush()
    except IntegrityError:
        earlier = _contribution_with_token(workshop, creation_token or "")
        if earlier is None:
            raise
        if outcome == NEW and not _same_contribution(earlier, participant, question_id, kind, text):
            # Another text with the same form at the same moment: store this one as well.
            return send_contribution(workshop, participant, question_id, kind, text, creation_token)
        return Contributed(earlier, SENT_TWICE)
    # The facilitator's draft is news for every phone at once; the room's own writing is not.
    _bump(workshop, room=participant is None, contributions=participant is not None)
    return Contributed(contribution, outcome)


def _same_contribution(
    earlier: Contribution,
    participant: WorkshopParticipant | None,
    question_id: str,
    kind: ContributionKind,
    text: str,
) -> bool:
    return (
        earlier.text == text
        and earlier.kind == kind
        and earlier.question_id == question_id
        and earlier.participant_id == (participant.id if participant else None)
    )


def _token_for_other_text(
    token: str, participant: WorkshopParticipant | None, kind: ContributionKind, text: str
) -> str:
    """The token of a second item sent with the same form: the same form with the same text
    again finds it."""
    who = participant.id if participant else 0
    return hashlib.sha256(f"{token}\n{who}\n{kind.value}\n{text}".encode()).hexdigest()


def _contribution_with_token(workshop: Workshop, creation_token: str) -> Contribution | None:
    return db.session.scalar(
        select(Contribution).where(
            Contribution.workshop_id == workshop.id,
            Contribution.creation_token == creation_token,
        )
    )


#: A dot asked for on a contribution the room can no longer see.
DOT_NOT_USED = (
    "Deze bijdrage is er niet meer: de gespreksleider heeft haar verborgen. Uw stip is niet "
    "gebruikt."
)
#: A dot taken back from such a contribution: its dots went back when it was hidden.
DOT_ALREADY_BACK = (
    "Deze bijdrage is er niet meer: de gespreksleider heeft haar verborgen. Uw stippen erop "
    "kreeg u al terug; u kunt ze ergens anders zetten."
)


def _votable(workshop: Workshop, contribution_id: int, gone_message: str) -> Contribution:
    """The contribution a dot is for, as the room sees it: a duplicate merged into another is
    that other one (its dots count there, so a phone that still shows the duplicate puts or
    takes the dot there). Hidden ones, and those of a removed participant, are refused."""
    contribution = db.session.get(Contribution, contribution_id)
    if contribution is None or contribution.workshop_id != workshop.id:
        raise WorkshopError(gone_message)
    seen = {contribution.id}
    while contribution.merged_into_id is not None:
        target = db.session.get(Contribution, contribution.merged_into_id)
        if target is None or target.workshop_id != workshop.id or target.id in seen:
            break
        seen.add(target.id)
        contribution = target
    author = (
        db.session.get(WorkshopParticipant, contribution.participant_id)
        if contribution.participant_id is not None
        else None
    )
    if contribution.hidden or (author is not None and author.removed_dt is not None):
        raise WorkshopError(gone_message)
    return contribution


def _dots_on(participant: WorkshopParticipant, contribution: Contribution) -> list:
    """The participant's dots that count for ``contribution``: on it and on the duplicates
    merged into it, as (id, contribution id, item slot)."""
    merged = select(Contribution.id).where(Contribution.merged_into_id == contribution.id)
    return db.session.execute(
        select(Dot.id, Dot.contribution_id, Dot.item_slot).where(
            Dot.participant_id == participant.id,
            (Dot.contribution_id == contribution.id) | Dot.contribution_id.in_(merged),
        )
    ).all()


def add_dot(
    workshop: Workshop, participant: WorkshopParticipant, contribution_id: int, had: int
) -> bool:
    """Spend a dot: the participant's ``had + 1``-th dot on this contribution (dots on the
    duplicates merged into it included: they count for it).

    ``had`` is how many dots the phone showed on it, so the same tap sent twice asks for the
    same dot and counts once. Returns False when that dot was already there.
    """
    contribution = _votable(workshop, contribution_id, DOT_NOT_USED)
    _open_question(workshop, contribution.question_id)
    if not 0 <= had < workshop.dots_per_item:
        if had >= workshop.dots_per_item:
            raise NoDotsLeft(_max_per_item_message(workshop.dots_per_item))
        raise InvalidChoice("negative dot count")
    counting = _dots_on(participant, contribution)
    if len(counting) > had:
        return False
    if len(counting) >= workshop.dots_per_item:
        raise NoDotsLeft(_max_per_item_message(workshop.dots_per_item))
    spent = db.session.scalars(
        select(Dot.slot).where(
            Dot.participant_id == participant.id, Dot.question_id == contribution.question_id
        )
    ).all()
    free = sorted(set(range(1, workshop.dots_per_participant + 1)) - set(spent))
    if not free:
        raise NoDotsLeft(
            f"U heeft al uw {workshop.dots_per_participant} stippen voor deze vraag gebruikt. "
            "Haal eerst een stip weg als u hem ergens anders wilt zetten."
        )
    # Two taps that saw the same dots ask for the same item slot: the database keeps one.
    item_slot = max([len(counting), *(s for _, c, s in counting if c == contribution.id)]) + 1
    try:
        with db.session.begin_nested():
            db.session.add(
                Dot(
                    workshop_id=workshop.id,
                    question_id=contribution.question_id,
                    participant_id=participant.id,
                    contribution_id=contribution.id,
                    slot=free[0],
                    item_slot=item_slot,
                )
            )
            db.session.flush()
    except IntegrityError:
        # Another tap of this participant took the slot or the same dot at the same moment.
        if len(_dots_on(participant, contribution)) > had:
            return False
        raise NoDotsLeft(
            "Uw stippen voor deze vraag zijn op. Haal eerst een stip weg als u hem ergens "
            "anders wilt zetten."
        ) from None
    _bump(workshop, room=False)
    return True


def _max_per_item_message(dots_per_item: int) -> str:
    if dots_per_item == 1:
        return "U heeft al een stip op deze bijdrage gezet. Meer mag niet."
    return f"U heeft al {dots_per_item} stippen op deze bijdrage gezet. Meer mag niet."


def remove_dot(
    workshop: Workshop, participant: WorkshopParticipant, contribution_id: int, had: int
) -> bool:
    """Take back the ``had``-th dot on this contribution, counting the dots on the duplicates
    merged into it (the same tap twice takes one): a dot on it before one on a duplicate, the
    last placed first."""
    contribution = _votable(workshop, contribution_id, DOT_ALREADY_BACK)
    _open_question(workshop, contribution.question_id)
    counting = _dots_on(participant, contribution)
    if had <= 0 or len(counting) < had:
        return False
    # The same choice for two taps at once: one of them deletes it, the other finds nothing.
    dot_id = max(counting, key=lambda d: (d.contribution_id == contribution.id, d.item_slot, d.id))
    removed = db.session.execute(delete(Dot).where(Dot.id == dot_id.id)).rowcount
    if removed:
        _bump(workshop, room=False)
    return bool(removed)


# --- leading the room ------------------------------------------------------------------------


def _question(workshop: Workshop, question_id: str) -> WorkshopQuestion:
    question = next((q for q in workshop.questions if q.question_id == question_id), None)
    if question is None:
        raise InvalidChoice(f"question {question_id!r} is not part of this workshop")
    return question


def open_questions(workshop: Workshop, question_ids: list[str]) -> None:
    """Open these questions (one, or a whole phase); the first becomes the current one."""
    _require_open(workshop)
    now = utcnow()
    for question_id in question_ids:
        question = _question(workshop, question_id)
        if not question.is_open:
            question.is_open, question.opened_dt, question.closed_dt = True, now, None
    if question_ids:
        _put_on_screen(workshop, question_ids[0])
    db.session.flush()
    _bump(workshop, room=True)


def close_questions(workshop: Workshop, question_ids: list[str]) -> None:
    _require_open(workshop)
    now = utcnow()
    for question_id in question_ids:
        question = _question(workshop, question_id)
        if question.is_open:
            question.is_open, question.closed_dt = False, now
    if workshop.current_question_id in question_ids:
        workshop.timer_ends_dt = None
    db.session.flush()
    _bump(workshop, room=True)


def show_question(workshop: Workshop, question_id: str) -> None:
    """Put a question on the projector (open or not)."""
    _require_open(workshop)
    _question(workshop, question_id)
    if workshop.current_question_id != question_id:
        workshop.timer_ends_dt = None
    _put_on_screen(workshop, question_id)
    db.session.flush()
    _bump(workshop, room=True)


def _put_on_screen(workshop: Workshop, question_id: str) -> None:
    """Make ``question_id`` the question on the projector. Another question starts with its
    results off the screen: the room must not see the votes while it votes."""
    if workshop.current_question_id != question_id:
        workshop.current_question_id = question_id
        workshop.results_visible = False


def set_results_visible(workshop: Workshop, visible: bool) -> None:
    _require_open(workshop)
    workshop.results_visible = visible
    db.session.flush()
    _bump(workshop, room=True)


def start_timer(workshop: Workshop, minutes: int) -> None:
    _require_open(workshop)
    if not 1 <= minutes <= MAX_TIMER_MINUTES:
        raise ValueError("timer out of range")
    workshop.timer_ends_dt = utcnow() + timedelta(minutes=minutes)
    db.session.flush()
    _bump(workshop, room=True)


def stop_timer(workshop: Workshop) -> None:
    workshop.timer_ends_dt = None
    db.session.flush()
    _bump(workshop, room=True)


def _own_contribution(workshop: Workshop, contribution_id: int) -> Contribution:
    contribution = db.session.get(Contribution, contribution_id)
    if contribution is None or contribution.workshop_id != workshop.id:
        raise InvalidChoice("not a contribution of this workshop")
    return contribution


def set_hidden(workshop: Workshop, contribution_id: int, hidden: bool) -> int:
    """Hide (or show again) a contribution, with the duplicates merged into it: the room sees
    them as one, so they go (and come back) as one. Dots on them go back to who spent them.
    Returns how many duplicates went with it.

    (A participant's removal hides only their own contributions: duplicates that others wrote
    then show on their own, see ``queries.contributions``.)
    """
    contribution = _own_contribution(workshop, contribution_id)
    if contribution.hidden == hidden:
        return 0
    duplicates = list(
        db.session.scalars(
            select(Contribution)
            .where(Contribution.merged_into_id == contribution.id)
            .order_by(Contribution.id)
        )
    )
    group = [contribution, *duplicates]
    for member in group:
        member.hidden = hidden
    if hidden:
        db.session.execute(delete(Dot).where(Dot.contribution_id.in_([m.id for m in group])))
    db.session.flush()
    _bump(workshop, room=True)
    before, after = ("zichtbaar", "verborgen") if hidden else ("verborgen", "zichtbaar")
    _audit(
        workshop,
        AuditAction.CHANGED,
        [change(f"Bijdrage {member.id}", before, after) for member in group],
    )
    return len(duplicates)


def merge(workshop: Workshop, duplicate_id: int, into_id: int) -> None:
    """Merge a duplicate into another contribution of the same question: their dots add up."""
    duplicate = _own_contribution(workshop, duplicate_id)
    target = _own_contribution(workshop, into_id)
    while target.merged_into_id is not None:
        target = _own_contribution(workshop, target.merged_into_id)
    if target.id == duplicate.id or target.question_id != duplicate.question_id:
        raise WorkshopError("Voeg alleen twee verschillende bijdragen bij dezelfde vraag samen.")
    if target.hidden or duplicate.hidden:
        raise WorkshopError(
            "Een verborgen bijdrage kunt u niet samenvoegen. Toon haar eerst weer, of kies een "
            "andere."
        )
    if duplicate.merged_into_id == target.id:
        return
    duplicate.merged_into_id = target.id
    for earlier in db.session.scalars(
        select(Contribution).where(Contribution.merged_into_id == duplicate.id)
    ):
        earlier.merged_into_id = target.id
    db.session.flush()
    _bump(workshop, room=True)


def unmerge(workshop: Workshop, contribution_id: int) -> None:
    contribution = _own_contribution(workshop, contribution_id)
    if contribution.merged_into_id is None:
        return
    contribution.merged_into_id = None
    db.session.flush()
    _bump(workshop, room=True)


def contribution_to_action(workshop: Workshop, contribution_id: int) -> ActionPoint:
    """Make an action point of a contribution, once: its text, linked to its question."""
    contribution = _own_contribution(workshop, contribution_id)
    if contribution.action_id is not None:
        existing = db.session.get(ActionPoint, contribution.action_id)
        if existing is not None:
            return existing
    result = add_action(
        workshop.conversation,
        ActionData(description=contribution.text, question_id=contribution.question_id),
        creation_token=f"workshop-{workshop.id}-contribution-{contribution.id}",
    )
    contribution.action_id = result.action.id
    db.session.flush()
    _bump(workshop, room=True)
    return result.action


@dataclass(frozen=True)
class Spread:
    """How the room placed the collaboration on the scale for one question."""

    participants: int
    #: (step id, count) for every step of the scale, in the scale's order, zeros included.
    counts: tuple[tuple[str, int], ...]

    def as_stored(self, workshop: Workshop, on: datetime) -> dict:
        return {
            "participants": self.participants,
            "counts": {step: count for step, count in self.counts},
            "workshop": workshop.id,
            "recorded_on": on.date().isoformat(),
        }


def room_spread(workshop: Workshop, question_id: str) -> Spread:
    rows = dict(
        db.session.execute(
            select(RoomAssessment.assessment_id, func.count())
            .where(
                RoomAssessment.workshop_id == workshop.id,
                RoomAssessment.question_id == question_id,
                RoomAssessment.participant_id.not_in(removed_participants(workshop.id)),
            )
            .group_by(RoomAssessment.assessment_id)
        ).all()
    )
    scale = workshop.conversation.questionnaire.assessment_scale
    counts = tuple((step.id, int(rows.get(step.id, 0))) for step in scale)
    return Spread(sum(count for _, count in counts), counts)


def write_answer(
    workshop: Workshop,
    question_id: str,
    text: str,
    assessment_id: str | None,
    based_on_revision: int,
) -> None:
    """Write the table's answer and store the room's spread beside it.

    The answer goes through ``save_answer`` (its conflict check included); the spread is what
    the room said at this moment.
    """
    _question(workshop, question_id)
    save_answer(workshop.conversation, question_id, text, assessment_id, based_on_revision)
    spread = room_spread(workshop, question_id)
    # The day as the room knows it (Amsterdam), not UTC: a workshop runs into the evening.
    save_room_spread(workshop.conversation, question_id, spread.as_stored(workshop, local_now()))
    _bump(workshop, room=False)


def contributions_as_text(contributions, dots: dict[int, int]) -> str:
    """The room's contributions as lines under an answer, the most dotted first."""
    lines = []
    for contribution in contributions:
        count = dots.get(contribution.id, 0)
        suffix = f" ({count} {'stip' if count == 1 else 'stippen'})" if count else ""
        lines.append(f"- {contribution.kind.label}: {contribution.text}{suffix}")
    return "\n".join(lines)
