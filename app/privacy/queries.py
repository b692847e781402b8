"""Reading everything Handvat holds about one region, table by table, for its export.

Every table names its columns explicitly: an allow-list, so a new column in a model (a secret,
a token) never ends up in a region's download by accident. Password hashes, second-factor
secrets, recovery codes, session keys and link tokens are not in any of these tables.

Rows are plain dicts whose values are ``str``, ``int``, ``bool``, ``date``, ``datetime``,
``list`` or None; ``export.py`` writes them as JSON and as CSV. The row functions are
generators that fetch in batches, so a region with many conversations of 1,000 action points
each is never held in memory at once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select

from ..accounts.models import Membership, User
from ..actions.models import ActionPoint, ActionUpdate
from ..audit.models import AuditEvent
from ..conversations.models import Answer, Conversation, Participant, SelectedQuestion
from ..extensions import db
from ..indicators.models import (
    ActionIndicatorLink,
    Indicator,
    IndicatorUpload,
    Observation,
    QuestionIndicatorLink,
)
from ..indicators.periods import period_from_code
from ..questionnaires.models import parsed_snapshot
from ..questionnaires.schema import Questionnaire
from ..regions.models import Municipality, Region
from ..workshops.models import (
    Contribution,
    Dot,
    RoomAssessment,
    Workshop,
    WorkshopParticipant,
    WorkshopQuestion,
)

#: Rows fetched from the database at a time.
BATCH_SIZE = 1000

Row = dict[str, Any]


@dataclass(frozen=True)
class RegionTable:
    """One file pair (JSON and CSV) in the export."""

    #: File name without extension, e.g. ``"actiepunten"``.
    name: str
    #: One Dutch line for the README.
    description: str
    columns: tuple[str, ...]
    rows: Callable[[], Iterator[Row]]


def _batched(query) -> Iterator:
    return db.session.execute(query.execution_options(yield_per=BATCH_SIZE))


def _conversation_ids(region: Region):
    return select(Conversation.id).where(Conversation.region_id == region.id).scalar_subquery()


def _questionnaires(region: Region) -> dict[int, Questionnaire]:
    """conversation id -> the questionnaire version it was held with (parsed once each)."""
    pairs = db.session.execute(
        select(Conversation.id, Conversation.questionnaire_snapshot_id).where(
            Conversation.region_id == region.id
        )
    ).all()
    return {conversation_id: parsed_snapshot(snapshot_id) for conversation_id, snapshot_id in pairs}


def _question_label(
    questionnaire: Questionnaire | None, question_id: str | None
) -> tuple[str, str]:
    """(number, text) of a question, or empty strings when unknown."""
    if questionnaire is None or not question_id:
        return "", ""
    question = questionnaire.questions_by_id.get(question_id)
    if question is None:
        return "", ""
    return questionnaire.question_numbers.get(question_id, ""), question.text


# --------------------------------------------------------------------------------------------
# The tables
# --------------------------------------------------------------------------------------------

REGION_COLUMNS = ("id", "naam", "slug", "aangemaakt_op")


def region_rows(region: Region) -> Iterator[Row]:
    yield {
        "id": region.id,
        "naam": region.name,
        "slug": region.slug,
        "aangemaakt_op": region.created_dt,
    }


MUNICIPALITY_COLUMNS = ("id", "regio_id", "naam", "cbs_code", "vestiging_mbo_instelling")


def municipality_rows(region: Region) -> Iterator[Row]:
    query = (
        select(
            Municipality.id,
            Municipality.region_id,
            Municipality.name,
            Municipality.cbs_code,
            Municipality.hosts_institution,
        )
        .where(Municipality.region_id == region.id)
        .order_by(Municipality.name, Municipality.id)
    )
    for id_, region_id, name, code, seat in _batched(query):
        yield {
            "id": id_,
            "regio_id": region_id,
            "naam": name,
            "cbs_code": code or "",
            "vestiging_mbo_instelling": bool(seat),
        }


CONVERSATION_COLUMNS = (
    "id",
    "titel",
    "datum",
    "fase_van_de_samenwerking",
    "vragenlijst",
    "versie_vragenlijst",
    "vorige_ronde_id",
    "aangemaakt_op",
    "gewijzigd_op",
)


def conversation_rows(region: Region) -> Iterator[Row]:
    query = (
        select(
            Conversation.id,
            Conversation.title,
            Conversation.held_on,
            Conversation.current_phase_id,
            Conversation.questionnaire_snapshot_id,
            Conversation.previous_conversation_id,
            Conversation.created_dt,
            Conversation.updated_dt,
        )
        .where(Conversation.region_id == region.id)
        .order_by(Conversation.held_on, Conversation.id)
    )
    for id_, title, held_on, phase_id, snapshot_id, previous, created, updated in _batched(query):
        questionnaire = parsed_snapshot(snapshot_id)
        phase = questionnaire.phases_by_id.get(phase_id)
        yield {
            "id": id_,
            "titel": title,
            "datum": held_on,
            "fase_van_de_samenwerking": phase.name if phase else phase_id,
            "vragenlijst": questionnaire.title,
            "versie_vragenlijst": questionnaire.version,
            "vorige_ronde_id": previous,
            "aangemaakt_op": created,
            "gewijzigd_op": updated,
        }


PARTICIPANT_COLUMNS = (
    "id",
    "gesprek_id",
    "volgorde",
    "naam",
    "organisatie",
    "soort_organisatie",
    "rol",
)


def participant_rows(region: Region) -> Iterator[Row]:
    query = (
        select(
            Participant.id,
            Participant.conversation_id,
            Participant.position,
            Participant.name,
            Participant.organisation,
            Participant.organisation_type,
            Participant.role,
        )
        .where(Participant.conversation_id.in_(_conversation_ids(region)))
        .order_by(Participant.conversation_id, Participant.position, Participant.id)
    )
    for id_, conversation_id, position, name, organisation, kind, role in _batched(query):
        yield {
            "id": id_,
            "gesprek_id": conversation_id,
            "volgorde": position + 1,
            "naam": name,
            "organisatie": organisation,
            "soort_organisatie": kind.label,
            "rol": role,
        }


SELECTED_QUESTION_COLUMNS = ("gesprek_id", "volgorde", "vraag_id", "vraagnummer", "vraag")


def selected_question_rows(region: Region) -> Iterator[Row]:
    questionnaires = _questionnaires(region)
    query = (
        select(
            SelectedQuestion.conversation_id,
            SelectedQuestion.position,
            SelectedQuestion.question_id,
        )
        .where(SelectedQuestion.conversation_id.in_(_conversation_ids(region)))
        .order_by(SelectedQuestion.conversation_id, SelectedQuestion.position)
    )
    for conversation_id, position, question_id in _batched(query):
        number, text = _question_label(questionnaires.get(conversation_id), question_id)
        yield {
            "gesprek_id": conversation_id,
            "volgorde": position + 1,
            "vraag_id": question_id,
            "vraagnummer": number,
            "vraag": text,
        }


ANSWER_COLUMNS = (
    "id",
    "gesprek_id",
    "vraag_id",
    "vraagnummer",
    "vraag",
    "antwoord",
    "zelfbeoordeling",
    "spreiding_workshop",
    "aangemaakt_op",
    "gewijzigd_op",
)


def answer_rows(region: Region) -> Iterator[Row]:
    questionnaires = _questionnaires(region)
    query = (
        select(
            Answer.id,
            Answer.conversation_id,
            Answer.question_id,
            Answer.text,
            Answer.assessment_id,
            Answer.room_spread,
            Answer.created_dt,
            Answer.updated_dt,
        )
        .where(Answer.conversation_id.in_(_conversation_ids(region)))
        .order_by(Answer.conversation_id, Answer.id)
    )
    for (
        id_,
        conversation_id,
        question_id,
        text,
        assessment_id,
        room_spread,
        created,
        updated,
    ) in _batched(query):
        questionnaire = questionnaires.get(conversation_id)
        number, question = _question_label(questionnaire, question_id)
        step = questionnaire.assessment_by_id.get(assessment_id) if questionnaire else None
        yield {
            "id": id_,
            "gesprek_id": conversation_id,
            "vraag_id": question_id,
            "vraagnummer": number,
            "vraag": question,
            "antwoord": text,
            "zelfbeoordeling": step.label if step else (assessment_id or ""),
            "spreiding_workshop": _spread_text(questionnaire, room_spread),
            "aangemaakt_op": created,
            "gewijzigd_op": updated,
        }


def _spread_text(questionnaire: Questionnaire | None, spread: dict | None) -> str:
    """ "12 deelnemers: Nog niet geregeld 2, Eerste stappen gezet 7, ..." or ""."""
    if not spread:
        return ""
    steps = questionnaire.assessment_by_id if questionnaire else {}
    counts = ", ".join(
        f"{steps[step].label if step in steps else step} {count}"
        for step, count in spread.get("counts", {}).items()
    )
    return f"{spread.get('participants', 0)} deelnemers: {counts}"


ACTION_COLUMNS = (
    "id",
    "gesprek_id",
    "nummer",
    "omschrijving",
    "fase",
    "vraagnummer",
    "vraag",
    "trekker",
    "organisatie_trekker",
    "account_trekker_id",
    "deadline",
    "status",
    "verankerd_in",
    "vindplaats",
    "prioriteit",
    "overgenomen_uit_gesprek_id",
    "afgesloten_op",
    "laatste_voortgang_op",
    "aangemaakt_op",
    "gewijzigd_op",
)


def action_rows(region: Region) -> Iterator[Row]:
    questionnaires = _questionnaires(region)
    query = (
        select(
            ActionPoint.id,
            ActionPoint.conversation_id,
            ActionPoint.position,
            ActionPoint.description,
            ActionPoint.phase_id,
            ActionPoint.question_id,
            ActionPoint.owner_name,
            ActionPoint.owner_organisation,
            ActionPoint.due_date,
            ActionPoint.status,
            ActionPoint.priority,
            ActionPoint.closed_dt,
            ActionPoint.created_dt,
            ActionPoint.updated_dt,
            ActionPoint.owner_user_id,
            ActionPoint.embedded_in,
            ActionPoint.embedded_reference,
            ActionPoint.origin_conversation_id,
            ActionPoint.last_update_dt,
        )
        .where(ActionPoint.conversation_id.in_(_conversation_ids(region)))
        .order_by(ActionPoint.conversation_id, ActionPoint.position, ActionPoint.id)
    )
    for row in _batched(query):
        questionnaire = questionnaires.get(row.conversation_id)
        phase = (
            questionnaire.phases_by_id.get(row.phase_id) if questionnaire and row.phase_id else None
        )
        number, question = _question_label(questionnaire, row.question_id)
        yield {
            "id": row.id,
            "gesprek_id": row.conversation_id,
            "nummer": row.position,
            "omschrijving": row.description,
            "fase": phase.name if phase else (row.phase_id or ""),
            "vraagnummer": number,
            "vraag": question,
            "trekker": row.owner_name,
            "organisatie_trekker": row.owner_organisation,
            "account_trekker_id": row.owner_user_id,
            "deadline": row.due_date,
            "status": row.status.label,
            "verankerd_in": row.embedded_in.label if row.embedded_in else "",
            "vindplaats": row.embedded_reference,
            "prioriteit": row.priority.label,
            "overgenomen_uit_gesprek_id": row.origin_conversation_id,
            "afgesloten_op": row.closed_dt,
            "laatste_voortgang_op": row.last_update_dt,
            "aangemaakt_op": row.created_dt,
            "gewijzigd_op": row.updated_dt,
        }


PROGRESS_COLUMNS = (
    "id",
    "actiepunt_id",
    "datum",
    "tekst",
    "status_voor",
    "status_na",
    "indicator_id",
    "periode",
    "categorie",
    "waarde",
    "door_account_id",
    "door",
    "vastgelegd_op",
)


def progress_rows(region: Region) -> Iterator[Row]:
    query = (
        select(ActionUpdate)
        .where(ActionUpdate.region_id == region.id)
        .order_by(ActionUpdate.action_id, ActionUpdate.id)
    )
    for (update,) in _batched(query):
        yield {
            "id": update.id,
            "actiepunt_id": update.action_id,
            "datum": update.written_on,
            "tekst": update.text,
            "status_voor": update.status_before.label if update.status_before else "",
            "status_na": update.status_after.label if update.status_after else "",
            "indicator_id": update.indicator_id,
            "periode": update.indicator_period or "",
            "categorie": update.indicator_category,
            "waarde": update.indicator_value,
            "door_account_id": update.author_user_id,
            "door": update.author_name,
            "vastgelegd_op": update.created_dt,
        }


WORKSHOP_COLUMNS = (
    "id",
    "gesprek_id",
    "code",
    "anoniem",
    "stippen_per_deelnemer",
    "stippen_per_bijdrage",
    "maximum_deelnemers",
    "deelnemers",
    "vragen",
    "geopend_op",
    "gesloten_op",
)


def _region_workshop_ids(region: Region):
    return (
        select(Workshop.id)
        .where(Workshop.conversation_id.in_(_conversation_ids(region)))
        .scalar_subquery()
    )


def workshop_rows(region: Region) -> Iterator[Row]:
    questions: dict[int, list[str]] = {}
    for workshop_id, question_id in db.session.execute(
        select(WorkshopQuestion.workshop_id, WorkshopQuestion.question_id)
        .where(WorkshopQuestion.workshop_id.in_(_region_workshop_ids(region)))
        .order_by(WorkshopQuestion.workshop_id, WorkshopQuestion.position)
    ):
        questions.setdefault(workshop_id, []).append(question_id)
    query = (
        select(Workshop)
        .where(Workshop.conversation_id.in_(_conversation_ids(region)))
        .order_by(Workshop.id)
    )
    for (workshop,) in _batched(query):
        yield {
            "id": workshop.id,
            "gesprek_id": workshop.conversation_id,
            "code": workshop.join_code,
            "anoniem": workshop.anonymous,
            "stippen_per_deelnemer": workshop.dots_per_participant,
            "stippen_per_bijdrage": workshop.dots_per_item,
            "maximum_deelnemers": workshop.participant_cap,
            "deelnemers": workshop.participant_count,
            "vragen": questions.get(workshop.id, []),
            "geopend_op": workshop.created_dt,
            "gesloten_op": workshop.closed_dt,
        }


WORKSHOP_PARTICIPANT_COLUMNS = ("workshop_id", "deelnemer", "voornaam", "meegedaan_op")


def workshop_participant_rows(region: Region) -> Iterator[Row]:
    """Participants by their number in the workshop; the token's hash stays out."""
    query = (
        select(
            WorkshopParticipant.workshop_id,
            WorkshopParticipant.number,
            WorkshopParticipant.first_name,
            WorkshopParticipant.joined_dt,
        )
        .where(WorkshopParticipant.workshop_id.in_(_region_workshop_ids(region)))
        .order_by(WorkshopParticipant.workshop_id, WorkshopParticipant.number)
    )
    for workshop_id, number, first_name, joined in _batched(query):
        yield {
            "workshop_id": workshop_id,
            "deelnemer": number,
            "voornaam": first_name,
            "meegedaan_op": joined,
        }


WORKSHOP_INPUT_COLUMNS = (
    "workshop_id",
    "soort",
    "id",
    "vraag_id",
    "deelnemer",
    "keuze_of_tekst",
    "bij_bijdrage_id",
    "verborgen",
    "samengevoegd_met_id",
    "actiepunt_id",
    "tijdstip",
)


def workshop_input_rows(region: Region) -> Iterator[Row]:
    """Everything the room sent: scale choices, contributions and dots, by participant number."""
    number = WorkshopParticipant.number
    workshops = _region_workshop_ids(region)
    choices = (
        select(RoomAssessment, number)
        .join(WorkshopParticipant, WorkshopParticipant.id == RoomAssessment.participant_id)
        .where(RoomAssessment.workshop_id.in_(workshops))
        .order_by(RoomAssessment.workshop_id, number, RoomAssessment.question_id)
    )
    for choice, participant in _batched(choices):
        yield {
            "workshop_id": choice.workshop_id,
            "soort": "zelfbeoordeling",
            "id": None,
            "vraag_id": choice.question_id,
            "deelnemer": participant,
            "keuze_of_tekst": choice.assessment_id,
            "bij_bijdrage_id": None,
            "verborgen": False,
            "samengevoegd_met_id": None,
            "actiepunt_id": None,
            "tijdstip": choice.chosen_dt,
        }
    contributions = (
        select(Contribution, number)
        .outerjoin(WorkshopParticipant, WorkshopParticipant.id == Contribution.participant_id)
        .where(Contribution.workshop_id.in_(workshops))
        .order_by(Contribution.workshop_id, Contribution.id)
    )
    for contribution, participant in _batched(contributions):
        yield {
            "workshop_id": contribution.workshop_id,
            "soort": contribution.kind.label,
            "id": contribution.id,
            "vraag_id": contribution.question_id,
            "deelnemer": participant,
            "keuze_of_tekst": contribution.text,
            "bij_bijdrage_id": None,
            "verborgen": contribution.hidden,
            "samengevoegd_met_id": contribution.merged_into_id,
            "actiepunt_id": contribution.action_id,
            "tijdstip": contribution.created_dt,
        }
    dots = (
        select(Dot, number)
        .join(WorkshopParticipant, WorkshopParticipant.id == Dot.participant_id)
        .where(Dot.workshop_id.in_(workshops))
        .order_by(Dot.workshop_id, Dot.id)
    )
    for dot, participant in _batched(dots):
        yield {
            "workshop_id": dot.workshop_id,
            "soort": "stip",
            "id": dot.id,
            "vraag_id": dot.question_id,
            "deelnemer": participant,
            "keuze_of_tekst": "",
            "bij_bijdrage_id": dot.contribution_id,
            "verborgen": False,
            "samengevoegd_met_id": None,
            "actiepunt_id": None,
            "tijdstip": dot.created_dt,
        }


MEMBER_COLUMNS = ("account_id", "naam", "e_mailadres", "rol", "lid_sinds")


def member_rows(region: Region) -> Iterator[Row]:
    """Who has a role in the region. Only name, address and role: never a password hash, a
    second-factor secret, a recovery code or a session."""
    query = (
        select(User.id, User.name, User.email, Membership.role, Membership.created_dt)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.region_id == region.id)
        .order_by(User.name, User.id)
    )
    for user_id, name, email, role, since in _batched(query):
        yield {
            "account_id": user_id,
            "naam": name,
            "e_mailadres": email,
            "rol": role.label,
            "lid_sinds": since,
        }


AUDIT_COLUMNS = (
    "id",
    "moment",
    "door",
    "door_account_id",
    "gesprek_id",
    "soort",
    "object_id",
    "omschrijving",
    "handeling",
    "wijzigingen",
)


def audit_rows(region: Region) -> Iterator[Row]:
    """The region's history, also of conversations and members that are gone."""
    query = (
        select(
            AuditEvent.id,
            AuditEvent.at,
            AuditEvent.actor_name,
            AuditEvent.actor_id,
            AuditEvent.conversation_id,
            AuditEvent.object_type,
            AuditEvent.object_id,
            AuditEvent.object_label,
            AuditEvent.action,
            AuditEvent.changes,
        )
        .where(AuditEvent.region_id == region.id)
        .order_by(AuditEvent.id)
    )
    for row in _batched(query):
        yield {
            "id": row.id,
            "moment": row.at,
            "door": row.actor_name,
            "door_account_id": row.actor_id,
            "gesprek_id": row.conversation_id,
            "soort": row.object_type,
            "object_id": row.object_id,
            "omschrijving": row.object_label,
            "handeling": row.action.label,
            "wijzigingen": [
                {
                    "veld": str(change.get("field", "")),
                    "voor": str(change.get("before", "")),
                    "na": str(change.get("after", "")),
                }
                for change in (row.changes or [])
                if isinstance(change, dict)
            ],
        }


def _period_name(code: str | None) -> str:
    """'2e kwartaal 2023' for '2023-Q2'; the code itself when it cannot be read."""
    if not code:
        return ""
    try:
        return period_from_code(code).label
    except ValueError:
        return code


INDICATOR_COLUMNS = (
    "id",
    "regio_id",
    "sleutel",
    "naam",
    "definitie",
    "eenheid",
    "richting",
    "bron",
    "frequentie",
    "doel",
    "doel_in_periode",
    "aangemaakt_op",
    "gewijzigd_op",
)


def indicator_rows(region: Region) -> Iterator[Row]:
    query = (
        select(
            Indicator.id,
            Indicator.region_id,
            Indicator.key,
            Indicator.name,
            Indicator.definition,
            Indicator.unit,
            Indicator.direction,
            Indicator.source,
            Indicator.frequency,
            Indicator.target_value,
            Indicator.target_period,
            Indicator.created_dt,
            Indicator.updated_dt,
        )
        .where(Indicator.region_id == region.id)
        .order_by(Indicator.name, Indicator.id)
    )
    for row in _batched(query):
        yield {
            "id": row.id,
            "regio_id": row.region_id,
            "sleutel": row.key,
            "naam": row.name,
            "definitie": row.definition,
            "eenheid": row.unit,
            "richting": row.direction.label,
            "bron": row.source,
            "frequentie": row.frequency,
            "doel": row.target_value,
            "doel_in_periode": _period_name(row.target_period),
            "aangemaakt_op": row.created_dt,
            "gewijzigd_op": row.updated_dt,
        }


OBSERVATION_COLUMNS = (
    "id",
    "indicator_id",
    "periode",
    "periode_code",
    "begin_periode",
    "categorie",
    "cbs_code_gemeente",
    "waarde",
    "percentage",
    "totaal",
    "voorlopig",
    "afgeschermd",
)


def observation_rows(region: Region) -> Iterator[Row]:
    """Every value of the region's indicators. Only indicators of the region itself: the join
    holds even if an observation's own region column were ever wrong."""
    query = (
        select(
            Observation.id,
            Observation.indicator_id,
            Observation.period,
            Observation.period_start,
            Observation.category,
            Observation.municipality_code,
            Observation.value,
            Observation.is_percentage,
            Observation.is_total,
            Observation.provisional,
            Observation.suppressed,
        )
        .join(Indicator, Indicator.id == Observation.indicator_id)
        .where(Indicator.region_id == region.id, Observation.region_id == region.id)
        .order_by(
            Observation.indicator_id,
            Observation.period_start,
            Observation.position,
            Observation.id,
        )
    )
    names: dict[str, str] = {}
    for row in _batched(query):
        if row.period not in names:
            names[row.period] = _period_name(row.period)
        yield {
            "id": row.id,
            "indicator_id": row.indicator_id,
            "periode": names[row.period],
            "periode_code": row.period,
            "begin_periode": row.period_start,
            "categorie": row.category,
            "cbs_code_gemeente": row.municipality_code,
            "waarde": row.value,
            "percentage": row.is_percentage,
            "totaal": row.is_total,
            "voorlopig": row.provisional,
            "afgeschermd": row.suppressed,
        }


QUESTION_LINK_COLUMNS = ("id", "indicator_id", "vraag_id", "vraagnummer", "vraag")


def question_link_rows(region: Region) -> Iterator[Row]:
    """The questions the region itself linked its indicators to (the questionnaire's own
    suggestions are content, not the region's data). Number and text of the question as in the
    current version of the questionnaire."""
    from ..questionnaires.registry import current_questionnaire

    questionnaire = current_questionnaire().questionnaire
    query = (
        select(
            QuestionIndicatorLink.id,
            QuestionIndicatorLink.indicator_id,
            QuestionIndicatorLink.question_id,
        )
        .join(Indicator, Indicator.id == QuestionIndicatorLink.indicator_id)
        .where(Indicator.region_id == region.id, QuestionIndicatorLink.region_id == region.id)
        .order_by(QuestionIndicatorLink.indicator_id, QuestionIndicatorLink.id)
    )
    for id_, indicator_id, question_id in _batched(query):
        number, text = _question_label(questionnaire, question_id)
        yield {
            "id": id_,
            "indicator_id": indicator_id,
            "vraag_id": question_id,
            "vraagnummer": number,
            "vraag": text,
        }


ACTION_LINK_COLUMNS = (
    "id",
    "actiepunt_id",
    "gesprek_id",
    "indicator_id",
    "categorie",
    "beginwaarde",
    "beginwaarde_in_periode",
    "doel",
    "doel_in_periode",
    "verhaal_achter_het_cijfer",
    "aangemaakt_op",
    "gewijzigd_op",
)


def action_link_rows(region: Region) -> Iterator[Row]:
    """Action points of the region's conversations linked to the region's indicators."""
    query = (
        select(
            ActionIndicatorLink.id,
            ActionIndicatorLink.action_point_id,
            ActionPoint.conversation_id,
            ActionIndicatorLink.indicator_id,
            ActionIndicatorLink.category,
            ActionIndicatorLink.baseline_value,
            ActionIndicatorLink.baseline_period,
            ActionIndicatorLink.target_value,
            ActionIndicatorLink.target_period,
            ActionIndicatorLink.story,
            ActionIndicatorLink.created_dt,
            ActionIndicatorLink.updated_dt,
        )
        .join(ActionPoint, ActionPoint.id == ActionIndicatorLink.action_point_id)
        .join(Indicator, Indicator.id == ActionIndicatorLink.indicator_id)
        .where(
            ActionPoint.conversation_id.in_(_conversation_ids(region)),
            Indicator.region_id == region.id,
        )
        .order_by(ActionPoint.conversation_id, ActionPoint.position, ActionIndicatorLink.id)
    )
    for row in _batched(query):
        yield {
            "id": row.id,
            "actiepunt_id": row.action_point_id,
            "gesprek_id": row.conversation_id,
            "indicator_id": row.indicator_id,
            "categorie": row.category,
            "beginwaarde": row.baseline_value,
            "beginwaarde_in_periode": _period_name(row.baseline_period),
            "doel": row.target_value,
            "doel_in_periode": _period_name(row.target_period),
            "verhaal_achter_het_cijfer": row.story,
            "aangemaakt_op": row.created_dt,
            "gewijzigd_op": row.updated_dt,
        }


#: Kept for at most a day between an import's preview and its confirmation, then removed:
#: not in the export (what was confirmed is, in ``indicatorwaarden``). Named here so that a
#: test can tell a table left out on purpose from one forgotten.
TRANSIENT_TABLES = (IndicatorUpload.__tablename__,)


def region_tables(region: Region) -> list[RegionTable]:
    """Every table that holds the region's data, in the order the README lists them."""

    def rows(function):
        return lambda: function(region)

    return [
        RegionTable(
            "regio", "De regio zelf: naam en korte naam.", REGION_COLUMNS, rows(region_rows)
        ),
        RegionTable(
            "gemeenten",
            "De gemeenten in de regio.",
            MUNICIPALITY_COLUMNS,
            rows(municipality_rows),
        ),
        RegionTable(
            "gesprekken",
            "De gesprekken: titel, datum, fase van de samenwerking en versie van de vragenlijst.",
            CONVERSATION_COLUMNS,
            rows(conversation_rows),
        ),
        RegionTable(
            "deelnemers",
            "Wie aan tafel zaten: naam, organisatie en rol.",
            PARTICIPANT_COLUMNS,
            rows(participant_rows),
        ),
        RegionTable(
            "gekozen_vragen",
            "De vragen die per gesprek zijn gekozen.",
            SELECTED_QUESTION_COLUMNS,
            rows(selected_question_rows),
        ),
        RegionTable(
            "antwoorden",
            "De antwoorden, met de tekst van de vraag en de zelfbeoordeling.",
            ANSWER_COLUMNS,
            rows(answer_rows),
        ),
        RegionTable(
            "actiepunten",
            "De actiepunten: wat, wie trekt het, wanneer klaar en de status.",
            ACTION_COLUMNS,
            rows(action_rows),
        ),
        RegionTable(
            "voortgang",
            "De voortgang per actiepunt: datum, wat er gebeurde, nieuwe status of waarde.",
            PROGRESS_COLUMNS,
            rows(progress_rows),
        ),
        RegionTable(
            "indicatoren",
            "De cijfers die de regio volgt (indicatoren): naam, definitie, eenheid, bron en doel.",
            INDICATOR_COLUMNS,
            rows(indicator_rows),
        ),
        RegionTable(
            "indicatorwaarden",
            "De waarden van de indicatoren: per periode, categorie en gemeente.",
            OBSERVATION_COLUMNS,
            rows(observation_rows),
        ),
        RegionTable(
            "indicatoren_bij_vragen",
            "Bij welke vragen van het gesprek de regio een indicator heeft gezet.",
            QUESTION_LINK_COLUMNS,
            rows(question_link_rows),
        ),
        RegionTable(
            "actiepunten_bij_indicatoren",
            "Welk cijfer een actiepunt moet veranderen: beginwaarde, doel en het verhaal erachter.",
            ACTION_LINK_COLUMNS,
            rows(action_link_rows),
        ),
        RegionTable(
            "workshops",
            "De workshops bij de gesprekken: code, instellingen, aantal deelnemers en vragen.",
            WORKSHOP_COLUMNS,
            rows(workshop_rows),
        ),
        RegionTable(
            "workshopdeelnemers",
            "Wie meedeed aan een workshop: een volgnummer en, als die is opgegeven, een voornaam.",
            WORKSHOP_PARTICIPANT_COLUMNS,
            rows(workshop_participant_rows),
        ),
        RegionTable(
            "workshopinvoer",
            "Wat de zaal invoerde: zelfbeoordelingen, bijdragen en stippen, per deelnemernummer.",
            WORKSHOP_INPUT_COLUMNS,
            rows(workshop_input_rows),
        ),
        RegionTable(
            "leden",
            "Wie een rol heeft in de regio: naam, e-mailadres en rol.",
            MEMBER_COLUMNS,
            rows(member_rows),
        ),
        RegionTable(
            "geschiedenis",
            "Wie wat heeft veranderd, en wanneer. Ook van gesprekken die al gewist zijn.",
            AUDIT_COLUMNS,
            rows(audit_rows),
        ),
    ]


# --------------------------------------------------------------------------------------------
# For the pages
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RegionCounts:
    conversations: int
    participants: int
    #: Answered questions: an answer row with text or a self-assessment.
    answers: int
    actions: int
    members: int
    audit_events: int
    indicators: int = 0
    #: Values of the indicators (a missing value counts too: it is a row).
    observations: int = 0


def region_counts(region: Region) -> RegionCounts:
    conversation_ids = _conversation_ids(region)

    def count(query) -> int:
        return db.session.scalar(query) or 0

    return RegionCounts(
        conversations=count(
            select(func.count())
            .select_from(Conversation)
            .where(Conversation.region_id == region.id)
        ),
        participants=count(
            select(func.count()).where(Participant.conversation_id.in_(conversation_ids))
        ),
        answers=count(
            select(func.count()).where(
                Answer.conversation_id.in_(conversation_ids),
                or_(func.trim(Answer.text) != "", Answer.assessment_id.is_not(None)),
            )
        ),
        actions=count(
            select(func.count()).where(ActionPoint.conversation_id.in_(conversation_ids))
        ),
        members=count(select(func.count()).where(Membership.region_id == region.id)),
        audit_events=count(select(func.count()).where(AuditEvent.region_id == region.id)),
        indicators=count(select(func.count()).where(Indicator.region_id == region.id)),
        observations=count(select(func.count()).where(Observation.region_id == region.id)),
    )


def region_conversations(region: Region) -> list[Conversation]:
    """The region's conversations, oldest first."""
    return list(
        db.session.scalars(
            select(Conversation)
            .where(Conversation.region_id == region.id)
            .order_by(Conversation.held_on, Conversation.id)
        )
    )


def region_conversation_ids(region: Region) -> list[int]:
    return list(
        db.session.scalars(
            select(Conversation.id)
            .where(Conversation.region_id == region.id)
            .order_by(Conversation.held_on, Conversation.id)
        )
    )
