"""What the API answers: plain dicts with camelCase names, dates in ISO 8601, links (HAL).

Each function turns one stored thing into the shape ``openapi.py`` describes; the two are
checked against each other by ``tests/test_api_schema.py``. Codes (a status, a place of
embedding) go out as their stable value with the Dutch label beside it (``status`` and
``statusLabel``), so a dashboard can filter on the code and show the label.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from urllib.parse import urlencode

from flask import g, request, url_for

from ..accounts.access import current_access
from ..actions.models import ActionPriority, ActionStatus, EmbeddingPlace
from ..core.formatting import local_today
from ..indicators.periods import period_from_code
from ..questionnaires.models import parsed_snapshot
from .params import Paging
from .queries import Page


def iso_date(value: date | None) -> str | None:
    return value.isoformat() if value else None


def iso_moment(value: datetime | None) -> str | None:
    """UTC, with a ``Z``; SQLite gives naive datetimes back, which were stored in UTC."""
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat() + "Z"


def finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def api_root() -> str:
    """The API's absolute address (``https://host/api/v1``), worked out once per request."""
    if "api_root" not in g:
        g.api_root = url_for("api.docs", _external=True)
    return g.api_root


def link(path: str, **query) -> dict[str, str]:
    query = {k: v for k, v in query.items() if v is not None}
    return {"href": api_root() + path + (("?" + urlencode(query)) if query else "")}


def _code(value, prefix: str) -> dict:
    """``{prefix: "bezig", prefix + "Label": "Bezig"}``, or None for both."""
    if value is None:
        return {prefix: None, prefix + "Label": None}
    return {prefix: value.value, prefix + "Label": value.label}


# --- pages ----------------------------------------------------------------------------------


def page_document(
    name: str, items: list[dict], page: Page, paging: Paging, query: dict[str, str]
) -> tuple[dict, dict[str, str]]:
    """A page of ``items`` under ``_embedded[name]``, with links to the other pages, and the
    headers the NL API Design Rules name (``X-Total-Count`` and the page's number and size)."""
    page_count = max(1, math.ceil(page.total / paging.page_size))
    # ``urlencode({**query, "page": ..., "pageSize": ...})``, with the query encoded once.
    prefix = request.base_url + "?" + (urlencode(query) + "&" if query else "") + "page="
    size = f"&pageSize={paging.page_size}"

    def page_link(number: int) -> dict[str, str]:
        return {"href": f"{prefix}{number}{size}"}

    links = {"self": page_link(paging.page), "first": page_link(1), "last": page_link(page_count)}
    if paging.page > 1:
        links["prev"] = page_link(min(paging.page - 1, page_count))
    if paging.page < page_count:
        links["next"] = page_link(paging.page + 1)
    document = {
        "_links": links,
        "_embedded": {name: items},
        "page": paging.page,
        "pageSize": paging.page_size,
        "totalCount": page.total,
        "pageCount": page_count,
    }
    headers = {
        "X-Total-Count": str(page.total),
        "X-Pagination-Page": str(paging.page),
        "X-Pagination-Limit": str(paging.page_size),
    }
    return document, headers


# --- regions --------------------------------------------------------------------------------


def region_ref(region_id: int) -> dict:
    """The region of a row the asker may see: its name and slug are in their ``Access``."""
    role = current_access().roles[region_id]
    return {"id": region_id, "slug": role.slug, "name": role.name}


def region(region_id: int) -> dict:
    role = current_access().roles[region_id]
    return {
        "id": region_id,
        "slug": role.slug,
        "name": role.name,
        **_code(role.role, "role"),
        "_links": {
            "self": link(f"/regions/{role.slug}"),
            "conversations": link("/conversations", region=role.slug),
            "actions": link("/actions", region=role.slug),
            "indicators": link("/indicators", region=role.slug),
        },
    }


def region_detail(region_id: int, municipalities) -> dict:
    return {
        **region(region_id),
        "municipalities": [
            {"name": m.name, "cbsCode": m.cbs_code, "hostsInstitution": bool(m.hosts_institution)}
            for m in municipalities
        ],
    }


# --- conversations --------------------------------------------------------------------------


def conversation(row) -> dict:
    questionnaire = parsed_snapshot(row.questionnaire_snapshot_id)
    phase = questionnaire.phases_by_id.get(row.current_phase_id)
    return {
        "id": row.id,
        "title": row.title,
        "heldOn": iso_date(row.held_on),
        "region": region_ref(row.region_id),
        "questionnaire": {
            "key": questionnaire.key,
            "version": questionnaire.version,
            "title": questionnaire.title,
        },
        "currentPhase": {
            "id": row.current_phase_id,
            "name": phase.name if phase else row.current_phase_id,
        },
        "previousConversationId": row.previous_conversation_id,
        "revision": row.revision,
        "createdAt": iso_moment(row.created_dt),
        "updatedAt": iso_moment(row.updated_dt),
        "_links": {
            "self": link(f"/conversations/{row.id}"),
            "answers": link(f"/conversations/{row.id}/answers"),
            "actions": link("/actions", conversation=str(row.id)),
            "region": link(f"/regions/{region_ref(row.region_id)['slug']}"),
        },
    }


def conversation_detail(row, participants, chosen_ids: list[str]) -> dict:
    questionnaire = parsed_snapshot(row.questionnaire_snapshot_id)
    chosen = set(chosen_ids)
    return {
        **conversation(row),
        # The organisations at the table and the roles there; names of people are left out
        # (a dashboard does not need them; the conversation's page shows them).
        "participants": [
            {
                "organisation": p.organisation,
                **_code(p.organisation_type, "organisationType"),
                "role": p.role,
            }
            for p in participants
        ],
        "chosenQuestions": [
            {
                "id": question.id,
                "number": number,
                "text": question.text,
                "phase": {"id": phase.id, "name": phase.name},
            }
            for number, phase, question in questionnaire.numbered_questions
            if question.id in chosen
        ],
    }


def answers(row, chosen_ids: list[str], stored: dict) -> list[dict]:
    """Every chosen question with the table's answer and self-assessment (or none yet)."""
    questionnaire = parsed_snapshot(row.questionnaire_snapshot_id)
    chosen = set(chosen_ids)
    result = []
    for number, phase, question in questionnaire.numbered_questions:
        if question.id not in chosen:
            continue
        answer = stored.get(question.id)
        step = (
            questionnaire.assessment_by_id.get(answer.assessment_id)
            if answer and answer.assessment_id
            else None
        )
        result.append(
            {
                "questionId": question.id,
                "number": number,
                "question": question.text,
                "phase": {"id": phase.id, "name": phase.name},
                "answer": answer.text if answer else "",
                "isAnswered": bool(answer and answer.is_answered),
                "selfAssessment": (
                    {"id": step.id, "label": step.label, "countsOnScale": step.counts_on_scale}
                    if step
                    else None
                ),
                "updatedAt": iso_moment(answer.updated_dt) if answer else None,
            }
        )
    return result


# --- action points --------------------------------------------------------------------------


_CLOSED = frozenset(status.value for status in ActionStatus if status.is_closed)
#: Stored code -> its label (``queries._action_columns`` gives codes as stored text).
_STATUS_LABELS = {status.value: status.label for status in ActionStatus}
_PRIORITY_LABELS = {priority.value: priority.label for priority in ActionPriority}
_PLACE_LABELS = {place.value: place.label for place in EmbeddingPlace}


class ActionShape:
    """Turns rows of ``queries._action_columns`` (codes as their stored text, moments in UTC)
    into action points, a page of them at a time.

    What is the same for every row (the API's address, today, the regions, the questionnaire's
    phases and question numbers) is worked out once per page, not once per row: a page of 100
    is the API's most frequent answer (``bench/api_bench.py``). Moments stay ``datetime``
    objects in UTC: ``routes.json_response`` writes them in ISO 8601 with a ``Z`` (in C, ten
    times faster than ``isoformat`` here).
    """

    def __init__(self):
        self.root = api_root()
        self.today = local_today()
        self.regions = {
            region_id: {"id": region_id, "slug": role.slug, "name": role.name}
            for region_id, role in current_access().roles.items()
        }
        self._questionnaires: dict[int, tuple[dict, dict]] = {}

    def _phases_and_questions(self, snapshot_id: int) -> tuple[dict, dict]:
        known = self._questionnaires.get(snapshot_id)
        if known is None:
            questionnaire = parsed_snapshot(snapshot_id)
            phases = {p.id: {"id": p.id, "name": p.name} for p in questionnaire.phases}
            questions = {
                question.id: {"id": question.id, "number": number}
                for number, _phase, question in questionnaire.numbered_questions
            }
            known = self._questionnaires[snapshot_id] = (phases, questions)
        return known

    def __call__(self, row) -> dict:
        # In the order of ``queries._ACTION_COLUMNS``: unpacking is cheaper than a lookup by
        # name per column, and this runs for every row of every page.
        (
            action_id,
            region_id,
            conversation_id,
            position,
            description,
            question_id,
            phase_id,
            owner_name,
            owner_organisation,
            owner_user_id,
            due,
            status,
            priority,
            closed_dt,
            embedded_in,
            embedded_reference,
            origin_conversation_id,
            last_update_dt,
            created_dt,
            updated_dt,
            revision,
            snapshot_id,
        ) = row
        phases, questions = self._phases_and_questions(snapshot_id)
        closed = status in _CLOSED
        action_url = f"{self.root}/actions/{action_id}"
        return {
            "id": action_id,
            "number": position,
            "description": description,
            "status": status,
            "statusLabel": _STATUS_LABELS[status],
            "isClosed": closed,
            "isOverdue": due is not None and not closed and due < self.today,
            "priority": priority,
            "priorityLabel": _PRIORITY_LABELS[priority],
            "dueDate": due,
            "ownerName": owner_name,
            "ownerOrganisation": owner_organisation,
            "ownerAccountId": owner_user_id,
            "embeddedIn": embedded_in,
            "embeddedInLabel": _PLACE_LABELS[embedded_in] if embedded_in else None,
            "embeddedReference": embedded_reference or "",
            "question": questions.get(question_id) if question_id else None,
            "phase": phases.get(phase_id) if phase_id else None,
            "conversationId": conversation_id,
            "originConversationId": origin_conversation_id,
            "region": self.regions[region_id],
            "closedAt": closed_dt,
            "lastUpdateAt": last_update_dt,
            "createdAt": created_dt,
            "updatedAt": updated_dt,
            "revision": revision,
            "_links": {
                "self": {"href": action_url},
                "updates": {"href": action_url + "/updates"},
                "conversation": {"href": f"{self.root}/conversations/{conversation_id}"},
            },
        }


def action(row) -> dict:
    """One action point (a page of them: ``ActionShape``)."""
    return ActionShape()(row)


def action_detail(row, figures, latest) -> dict:
    shown = action(row)
    if shown["question"] is not None:
        question = parsed_snapshot(row.questionnaire_snapshot_id).questions_by_id[row.question_id]
        shown["question"] = {**shown["question"], "text": question.text}
    return {
        **shown,
        "indicators": [
            {
                "linkId": figure.link.id,
                "indicatorId": figure.indicator.id,
                "name": figure.indicator.name,
                "category": figure.link.category,
                "unit": figure.indicator.unit,
                "baselineValue": finite(figure.link.baseline_value),
                "baselinePeriod": figure.link.baseline_period,
                "targetValue": finite(figure.link.target_value),
                "targetPeriod": figure.link.target_period,
                "latestValue": finite(figure.latest_value),
                "latestPeriod": figure.latest_period.code if figure.latest_period else None,
                "assessment": figure.status,
                "onTrack": figure.on_track,
                "_links": {"indicator": link(f"/indicators/{figure.indicator.id}")},
            }
            for figure in figures
        ],
        "latestUpdate": update(latest) if latest is not None else None,
    }


def update(row) -> dict:
    """A progress update from a row of ``queries._UPDATE_COLUMNS``."""
    figure = None
    if row.indicator_value is not None and row.indicator_period:
        figure = {
            "indicatorId": row.indicator_id,
            "indicatorName": row.indicator_name,
            "period": row.indicator_period,
            "category": row.indicator_category or "",
            "value": finite(row.indicator_value),
        }
    return {
        "id": row.id,
        "actionId": row.action_id,
        "writtenOn": iso_date(row.written_on),
        "text": row.text or "",
        **_code(row.status_before, "statusBefore"),
        **_code(row.status_after, "statusAfter"),
        "figure": figure,
        "authorName": row.author_name or "",
        "authorAccountId": row.author_user_id,
        "createdAt": iso_moment(row.created_dt),
        "_links": {
            "self": link(f"/actions/{row.action_id}/updates/{row.id}"),
            "action": link(f"/actions/{row.action_id}"),
        },
    }


# --- indicators -----------------------------------------------------------------------------


def indicator(item) -> dict:
    return {
        "id": item.id,
        "key": item.key,
        "name": item.name,
        "definition": item.definition or "",
        "unit": item.unit or "",
        **_code(item.direction, "direction"),
        "source": item.source or "",
        "frequency": item.frequency or "",
        "targetValue": finite(item.target_value),
        "targetPeriod": item.target_period,
        "region": region_ref(item.region_id),
        "updatedAt": iso_moment(item.updated_dt),
        "_links": {
            "self": link(f"/indicators/{item.id}"),
            "observations": link(f"/indicators/{item.id}/observations"),
        },
    }


def indicator_detail(item, observation_count: int) -> dict:
    return {**indicator(item), "observationCount": observation_count}


def observation(item) -> dict:
    try:
        label = period_from_code(item.period).label
    except ValueError:
        label = item.period
    return {
        "period": item.period,
        "periodLabel": label,
        "periodStart": iso_date(item.period_start),
        "category": item.category or "",
        "municipalityCode": item.municipality_code or "",
        "value": finite(item.value),
        "isPercentage": bool(item.is_percentage),
        "isTotal": bool(item.is_total),
        "provisional": bool(item.provisional),
        "suppressed": bool(item.suppressed),
    }
