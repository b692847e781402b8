"""Hostile and impatient input, sent to every route of the URL map, on SQLite and PostgreSQL.

The route table below must name every endpoint in ``app.url_map`` (a test enforces it), so a
new route cannot escape. For every route: impossible numbers and odd strings in the URL; for
every form field: NUL bytes, control characters, line breaks, right-to-left text, huge, negative
and zero-padded numbers, broken tokens and dates at the edges. Every answer must be below 500,
and whatever a success redirect confirmed must be stored exactly as the cleaned input.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from datetime import date
from html import escape
from pathlib import Path
from urllib.parse import quote

import pytest

from app.accounts.models import LinkPurpose
from app.accounts.operations import ensure_user, issue_link, set_role
from app.accounts.roles import Role
from app.actions.models import ActionPoint, ActionStatus, ActionUpdate
from app.conversations.models import Answer, Conversation, Participant, SelectedQuestion
from app.core.forms import parse_dutch_date
from app.core.text import BIDI_CONTROLS, clean_line, clean_text
from app.extensions import db
from app.indicators.models import (
    ActionIndicatorLink,
    Indicator,
    IndicatorUpload,
    Observation,
)
from app.indicators.periods import period_from_code

from . import forms

QUESTION = "verkennen-regie"

# --- the values ---------------------------------------------------------------------------

HOSTILE_PATH_NUMBERS = [
    "0",
    "-1",
    "007",
    "2147483648",  # one past PostgreSQL's integer
    "9223372036854775808",  # one past a 64-bit integer
    "9" * 40,
    "1e3",
    "%00",
    "%D9%A1",  # an Arabic-Indic digit one
]
HOSTILE_PATH_STRINGS = ["%00", "..%2F..%2Fetc", "x" * 2000, "%E2%80%AE", "vraag%0Aregel"]
HOSTILE_TEXTS = [
    "Nul\x00byte in de tekst",
    "Bel\x07 en\x1b[31m escape\x7f en \x85C1",
    "Eerste regel\r\nTweede regel\rDerde\u2028vierde",
    "\t tab vooraan en achteraan \t",
    "مدرسة في التعاون שלום Şükrü Łódź",
    '=HYPERLINK("http://x")',
    "<script>alert(1)</script>",
    "   ",
    #: Bidirectional overrides, embeddings and isolates (removed; they reorder what follows, as
    #: in "Trojan Source") and the marks U+200F and U+200E (kept: right-to-left text uses them).
    "Factuur \u202efdp.exe\u202c \u2066\u2067\u2068isolaat\u2069 \u202a\u202b\u202d "
    "\u200fשלום\u200e.",
]
HOSTILE_NUMBERS = ["-1", "007", "2147483648", "9223372036854775808", "9" * 5000, "1.5", "\x00"]
HOSTILE_TOKENS = ["", "a" * 65, "b" * 5000, "tok\x00en", "'; DROP TABLE action_point; --"]
HOSTILE_DATES = [
    "31-12-1899",
    "01-01-1900",
    "31-12-9999",
    "01-01-10000",
    "00-00-0000",
    "29-02-2027",
    "٠٥-٠٣-٢٠٢٦",
    "5\x00-3-2026",
]
#: Periods as someone might type them into an indicator's form.
HOSTILE_PERIODS = [
    "2023KW05",
    "2023MM13",
    "0000",
    "9999999999",
    "2021/2023",
    "Q5 2023",
    "٢٠٢٣",
    "20\x0023",
    "9" * 5000,
    "-2021",
]

FIXTURES = Path(__file__).parent / "fixtures" / "indicators"
#: An indicator with categories over two years: "Afgesloten behandelingen naar reden".
FIGURES_FILE = FIXTURES / "kennispunt-twente-afsluitredenen-2020-2021.csv"
#: What an import waiting for its confirmation holds.
UPLOAD_FILE = FIXTURES / "pilot-hulpverleners-roc-van-twente-kerncijfers.csv"


# --- the world every route is tried against ---------------------------------------------------


@dataclass
class World:
    conversation_id: int
    action_id: int
    region_id: int
    other_action_id: int
    path_values: dict[str, str] = field(default_factory=dict)
    indicator_id: int = 0
    link_id: int = 0
    #: An import of the tester's waiting for its confirmation (``<token>`` of the indicator
    #: pages; the account pages' ``<token>`` is an invitation link).
    upload_token: str = ""
    #: An open workshop on the conversation, its first question open, with one contribution.
    workshop_id: int = 0
    workshop_code: str = ""
    contribution_id: int = 0

    def values_for(self, rule) -> dict[str, str]:
        if rule.endpoint.startswith("indicators."):
            return {**self.path_values, "token": self.upload_token}
        if rule.endpoint.startswith("api."):
            extra = {"indicator_id": str(self.indicator_id), "update_id": "1", "rest": "onbekend"}
            return {**self.path_values, **extra}
        return self.path_values


def _offer_to(user):
    """A role another region offers ``user`` (the accept and decline routes find it; the
    withdraw route, under the tester's own region, finds it gone)."""
    from app.accounts.models import RegionInvitation
    from app.regions.operations import ensure_region

    elders = ensure_region("Elders", ["Westerveld"])
    offer = RegionInvitation(
        user=user, region=elders, role=Role.MEMBER, invited_by_name="Iemand van Elders"
    )
    db.session.add(offer)
    db.session.flush()
    return offer


def _indicator_world(region, conversation, action, user_id) -> tuple[int, int, str]:
    """The region's figures: an indicator with categories, linked to ``QUESTION`` and (its
    total) to the action point; and an import of the user waiting for confirmation."""
    from app.indicators.importer import ImportOptions, read_indicator_file
    from app.indicators.operations import (
        ActionLinkData,
        keep_upload,
        link_action,
        link_question,
        store_plan,
    )

    plan = read_indicator_file(FIGURES_FILE.read_bytes(), FIGURES_FILE.name)
    indicator = store_plan(region, plan).indicators[0].indicator
    link_question(indicator, QUESTION)
    link = link_action(
        action, ActionLinkData(indicator.id, "", None, None, 60.0, "2023", "Minder afhakers"), None
    )
    upload = keep_upload(
        region, user_id, UPLOAD_FILE.name, UPLOAD_FILE.read_bytes(), ImportOptions()
    )
    db.session.commit()
    return indicator.id, link.id, upload.token


@pytest.fixture
def world(app, tester, make_conversation, make_action) -> World:
    """A conversation with two action points in a region where the signed-in tester is
    coordinator; the tester is also an administrator, so every page of the URL map opens, and
    a second member (with a pending invitation link) gives the member and user pages an
    object."""
    conversation = make_conversation()
    first = make_action(conversation, "Eerste actie")
    second = make_action(conversation, "Tweede actie")
    tester.is_admin = True
    other, _ = ensure_user("lid@handvat.test", "Lisa Lid")
    membership = set_role(other, conversation.region, Role.MEMBER)
    token = issue_link(other, LinkPurpose.INVITATION)
    offer = _offer_to(tester)
    db.session.commit()
    indicator_id, link_id, upload_token = _indicator_world(
        conversation.region, conversation, first, tester.id
    )
    app.config["SECURITY_CONTACT"] = "mailto:security@handvat.test"
    workshop, contribution = _workshop_world(conversation, tester)
    return World(
        conversation.id,
        first.id,
        conversation.region_id,
        second.id,
        {
            "conversation_id": str(conversation.id),
            "action_id": str(first.id),
            "question_id": QUESTION,
            "slug": conversation.region.slug,
            "user_id": str(other.id),
            "membership_id": str(membership.id),
            "invitation_id": str(offer.id),
            "token": token,
            "key": "afsluitredenen",
            "link_id": str(link_id),
            "workshop_id": str(workshop.id),
            "code": workshop.join_code,
            "contribution_id": str(contribution.id),
        },
        indicator_id=indicator_id,
        link_id=link_id,
        upload_token=upload_token,
        workshop_id=workshop.id,
        workshop_code=workshop.join_code,
        contribution_id=contribution.id,
    )


def _workshop_world(conversation, tester):
    from app.workshops import operations as workshops
    from app.workshops.models import ContributionKind

    workshop = workshops.open_workshop(conversation, tester, workshops.WorkshopSettings())
    workshops.open_questions(workshop, [QUESTION])
    participant, _token = workshops.join(workshop)
    contribution = workshops.contribute(
        workshop, participant, QUESTION, ContributionKind.IDEA, "Eén loket"
    )
    db.session.commit()
    return workshop, contribution


def start_form(w: World) -> dict:
    return forms.start_form(w.region_id, title="Overleg Twente", creation_token="start-token")


def edit_form(w: World) -> dict:
    current = db.session.get(Conversation, w.conversation_id)
    revision = str(current.details_revision) if current else "1"
    return {**start_form(w), "details_revision": revision}


def action_form(w: World) -> dict:
    return forms.action_form(
        description="Analyse laten maken", question_id=QUESTION, creation_token="action-token"
    )


def action_edit_form(w: World) -> dict:
    action = db.session.get(ActionPoint, w.action_id)
    return {**action_form(w), "revision": str(action.revision if action else 1)}


def answer_form(w: World) -> dict:
    answer = db.session.scalar(db.select(Answer).where(Answer.question_id == QUESTION))
    return {
        "text": "Ons antwoord",
        "assessment_id": "first_steps",
        "revision": str(answer.revision if answer else 0),
        "go": "stay",
    }


def _action_revision(w: World) -> str:
    action = db.session.get(ActionPoint, w.action_id)
    return str(action.revision if action else 1)


def _action_position(w: World) -> str:
    action = db.session.get(ActionPoint, w.action_id)
    return str(action.position if action else 1)


# --- reading back what a success redirect confirmed --------------------------------------------


def _conversation_from(location: str, w: World) -> Conversation:
    match = re.search(r"/gesprekken/(\d+)", location)
    conversation_id = int(match.group(1)) if match else w.conversation_id
    return db.session.get(Conversation, conversation_id)


def _stored_details(location: str, w: World) -> dict[str, str]:
    conversation = _conversation_from(location, w)
    participants = db.session.scalars(
        db.select(Participant)
        .where(Participant.conversation_id == conversation.id)
        .order_by(Participant.position)
    ).all()
    first = participants[0] if participants else None
    return {
        "title": conversation.title,
        "held_on": conversation.held_on,
        "participants-0-name": first.name if first else "",
        "participants-0-organisation": first.organisation if first else "",
        "participants-0-role": first.role if first else "",
    }


def _stored_action(location: str, w: World) -> dict[str, str]:
    match = re.search(r"#actie-(\d+)", location)
    action = db.session.get(ActionPoint, int(match.group(1)) if match else w.action_id)
    return {
        "description": action.description,
        "owner_name": action.owner_name,
        "owner_organisation": action.owner_organisation,
        "due_date": action.due_date,
    }


def _stored_progress(location: str, w: World) -> dict[str, str]:
    update = db.session.scalar(
        db.select(ActionUpdate)
        .where(ActionUpdate.action_id == w.action_id)
        .order_by(ActionUpdate.id.desc())
    )
    action = db.session.get(ActionPoint, w.action_id)
    return {
        "text": update.text if update else "",
        "written_on": update.written_on if update else None,
        "embedded_reference": action.embedded_reference if action else "",
    }


def _stored_answer(location: str, w: World) -> dict[str, str]:
    answer = db.session.scalar(db.select(Answer).where(Answer.question_id == QUESTION))
    return {"text": answer.text if answer else ""}


# --- the indicator forms -----------------------------------------------------------------------


def upload_form(w: World) -> dict:
    return {
        "file": (io.BytesIO(UPLOAD_FILE.read_bytes()), "cijfers.csv"),
        "indicator": "",
        "period": "",
        "layout": "",
        "sheet": "",
    }


def _stored_upload(location: str, w: World) -> dict:
    token = location.rstrip("/").rsplit("/", 1)[-1]
    upload = db.session.scalar(db.select(IndicatorUpload).where(IndicatorUpload.token == token))
    options = upload.options if upload else {}
    return {
        "indicator": options.get("indicator") or "",
        "sheet": options.get("sheet") or "",
        "period": options.get("period"),
    }


def indicator_form(w: World) -> dict:
    indicator = db.session.get(Indicator, w.indicator_id)
    return {
        "name": "Afgesloten behandelingen naar reden",
        "definition": "Aantal afgesloten behandelingen.",
        "unit": "behandelingen",
        "direction": "lager",
        "source": "Kennispunt Twente",
        "frequency": "Jaarlijks",
        "target_value": "60",
        "target_period": "2023",
        "revision": str(indicator.revision if indicator else 1),
    }


def _stored_indicator(location: str, w: World) -> dict:
    indicator = db.session.get(Indicator, w.indicator_id)
    return {
        "name": indicator.name,
        "definition": indicator.definition,
        "unit": indicator.unit,
        "source": indicator.source,
        "frequency": indicator.frequency,
        "target_period": indicator.target_period,
    }


def action_link_form(w: World) -> dict:
    """Links the action point to one category of the indicator (its total is linked already).
    A link an earlier trial made is removed first, so each trial can link it again."""
    db.session.execute(
        db.delete(ActionIndicatorLink).where(
            ActionIndicatorLink.action_point_id == w.action_id,
            ActionIndicatorLink.id != w.link_id,
        )
    )
    db.session.commit()
    return {
        "indicator": str(w.indicator_id),
        "category": "Afgehaakt",
        "baseline_value": "10",
        "baseline_period": "2020",
        "target_value": "5",
        "target_period": "2023",
        "story": "Studenten haken af als de wachttijd lang is.",
    }


def _stored_link(location: str, w: World) -> dict:
    link = db.session.scalar(
        db.select(ActionIndicatorLink)
        .where(ActionIndicatorLink.action_point_id == w.action_id)
        .order_by(ActionIndicatorLink.updated_dt.desc(), ActionIndicatorLink.id.desc())
    )
    return {
        "story": link.story,
        "baseline_period": link.baseline_period,
        "target_period": link.target_period,
    }


def _first_municipality(w: World) -> str:
    from app.regions.models import Municipality

    return str(
        db.session.scalar(
            db.select(Municipality.id)
            .where(Municipality.region_id == w.region_id)
            .order_by(Municipality.id)
        )
    )


@dataclass(frozen=True)
class RouteSpec:
    """How to reach a route with valid input, and how to read back what it stored."""

    form: object = None  #: World -> dict of a valid form, for routes that take POST
    text_fields: tuple[str, ...] = ()
    multiline_fields: tuple[str, ...] = ()
    number_fields: tuple[str, ...] = ()
    date_fields: tuple[str, ...] = ()
    token_fields: tuple[str, ...] = ()
    choice_fields: tuple[str, ...] = ()
    period_fields: tuple[str, ...] = ()
    stored: object = None  #: (location, World) -> dict of stored values
    #: An API route (``/api/v1``): it answers a bearer token, not the session of ``client``, so
    #: here it only meets hostile paths; ``tests/test_api.py`` sends it hostile JSON and query
    #: strings with a token.
    bearer: bool = False


ROUTES: dict[str, RouteSpec] = {
    "static": RouteSpec(),
    "core.home": RouteSpec(),
    "core.about": RouteSpec(),
    "core.favicon": RouteSpec(),
    "core.health": RouteSpec(),
    "health.live": RouteSpec(),
    "health.ready": RouteSpec(),
    "conversations.show": RouteSpec(),
    "actions.index": RouteSpec(),
    "exports.action_list": RouteSpec(),
    "exports.action_list_pdf": RouteSpec(),
    "exports.action_list_xlsx": RouteSpec(),
    "exports.blank_plate_pdf": RouteSpec(),
    "conversations.start": RouteSpec(
        form=start_form,
        text_fields=(
            "title",
            "participants-0-name",
            "participants-0-organisation",
            "participants-0-role",
        ),
        number_fields=("region_id",),
        date_fields=("held_on",),
        token_fields=("creation_token",),
        choice_fields=("current_phase_id", "participants-0-organisation_type"),
        stored=_stored_details,
    ),
    "conversations.edit": RouteSpec(
        form=edit_form,
        text_fields=("title", "participants-0-name", "participants-0-organisation"),
        number_fields=("region_id", "details_revision"),
        date_fields=("held_on",),
        choice_fields=("current_phase_id",),
        stored=_stored_details,
    ),
    "conversations.delete": RouteSpec(form=lambda w: {}),
    "conversations.choose_questions": RouteSpec(
        form=lambda w: {
            "question_ids": [QUESTION, "verkennen-populatie"],
            "shown_selection": " ".join(
                db.session.scalars(
                    db.select(SelectedQuestion.question_id).where(
                        SelectedQuestion.conversation_id == w.conversation_id
                    )
                )
            ),
        },
        choice_fields=("question_ids", "shown_selection"),
    ),
    "conversations.answer": RouteSpec(
        form=answer_form,
        multiline_fields=("text",),
        number_fields=("revision",),
        choice_fields=("assessment_id", "go"),
        stored=_stored_answer,
    ),
    "actions.add": RouteSpec(
        form=action_form,
        text_fields=("owner_name", "owner_organisation"),
        multiline_fields=("description",),
        date_fields=("due_date",),
        token_fields=("creation_token",),
        choice_fields=("question_id", "phase_id", "status", "priority"),
        stored=_stored_action,
    ),
    "actions.edit": RouteSpec(
        form=action_edit_form,
        text_fields=("owner_name", "owner_organisation"),
        multiline_fields=("description",),
        number_fields=("revision",),
        date_fields=("due_date",),
        choice_fields=("question_id", "status", "priority"),
        stored=_stored_action,
    ),
    "actions.move": RouteSpec(
        form=lambda w: {"direction": "down", "position": _action_position(w)},
        number_fields=("position",),
        choice_fields=("direction",),
    ),
    "actions.change_status": RouteSpec(
        form=lambda w: {"status": "afgerond", "revision": _action_revision(w)},
        number_fields=("revision",),
        choice_fields=("status",),
    ),
    "actions.delete": RouteSpec(
        form=lambda w: {"revision": _action_revision(w)}, number_fields=("revision",)
    ),
    # Accounts. Passwords are not text that comes back (error pages never show them).
    "accounts.sign_in": RouteSpec(
        form=lambda w: {"email": "tess@handvat.test", "password": "fout wachtwoord"},
        text_fields=("email",),
    ),
    "accounts.second_factor": RouteSpec(),
    "accounts.sign_out": RouteSpec(),
    "accounts.forgotten_password": RouteSpec(
        form=lambda w: {"email": "iemand@handvat.test"}, text_fields=("email",)
    ),
    "accounts.set_password": RouteSpec(
        form=lambda w: {"password": "kort", "repeat": "kort"}, choice_fields=("password",)
    ),
    "accounts.account": RouteSpec(),
    "accounts.change_password": RouteSpec(
        form=lambda w: {"current": "fout", "password": "kort", "repeat": "kort"},
        choice_fields=("current",),
    ),
    "accounts.end_other_sessions": RouteSpec(),
    "accounts.delete_account": RouteSpec(
        form=lambda w: {"password": "fout wachtwoord"}, choice_fields=("confirm",)
    ),
    "accounts.roles_help": RouteSpec(),
    "accounts.accept_offer": RouteSpec(form=lambda w: {"role": "member"}, choice_fields=("role",)),
    "accounts.decline_offer": RouteSpec(),
    "two_factor.set_up": RouteSpec(form=lambda w: {"code": "000000"}, choice_fields=("code",)),
    "two_factor.new_recovery_codes": RouteSpec(),
    "two_factor.switch_off": RouteSpec(),
    "core.security_txt": RouteSpec(),
    # Regions, their members, history and data.
    "regions.index": RouteSpec(),
    "regions.show": RouteSpec(),
    "regions.members": RouteSpec(
        form=lambda w: {"email": "nieuw@handvat.test", "name": "Nieuw Lid", "role": "member"},
        text_fields=("name",),
        choice_fields=("role",),
    ),
    "regions.member": RouteSpec(),
    "regions.change_member_role": RouteSpec(
        form=lambda w: {"role": "project-leader"}, choice_fields=("role",)
    ),
    "regions.new_member_link": RouteSpec(),
    "regions.remove_member": RouteSpec(),
    "regions.withdraw_offer": RouteSpec(),
    "audit.conversation_history": RouteSpec(),
    "audit.region_history": RouteSpec(),
    "privacy.statement": RouteSpec(),
    "privacy.region_data": RouteSpec(),
    "privacy.region_export": RouteSpec(),
    "privacy.delete_region_conversations": RouteSpec(
        form=lambda w: {"region_name": "Een andere regio"}, text_fields=("region_name",)
    ),
    # The region's figures and municipalities; an action point's links to them.
    "indicators.index": RouteSpec(),
    "indicators.show": RouteSpec(),
    "indicators.upload": RouteSpec(
        form=upload_form,
        text_fields=("indicator", "sheet"),
        choice_fields=("layout",),
        period_fields=("period",),
        stored=_stored_upload,
    ),
    "indicators.preview": RouteSpec(),
    "indicators.confirm": RouteSpec(form=lambda w: {}),
    "indicators.cancel": RouteSpec(form=lambda w: {}),
    "indicators.edit": RouteSpec(
        form=indicator_form,
        text_fields=("name", "unit", "source", "frequency"),
        multiline_fields=("definition",),
        number_fields=("target_value", "revision"),
        choice_fields=("direction",),
        period_fields=("target_period",),
        stored=_stored_indicator,
    ),
    "indicators.link_question": RouteSpec(
        form=lambda w: {"question_id": "verkennen-populatie"}, choice_fields=("question_id",)
    ),
    "indicators.unlink_question": RouteSpec(form=lambda w: {}),
    "indicators.delete": RouteSpec(form=lambda w: {}),
    "indicators.municipalities": RouteSpec(
        form=lambda w: {"added": "GM0153\nHof van Twente", "seats": [_first_municipality(w)]},
        multiline_fields=("added",),
        number_fields=("seats",),
    ),
    "action_indicators.index": RouteSpec(
        form=action_link_form,
        multiline_fields=("story",),
        number_fields=("baseline_value", "target_value"),
        choice_fields=("indicator", "category"),
        period_fields=("baseline_period", "target_period"),
        stored=_stored_link,
    ),
    "action_indicators.edit": RouteSpec(
        form=lambda w: {k: v for k, v in action_link_form(w).items() if k != "category"},
        multiline_fields=("story",),
        number_fields=("baseline_value", "target_value"),
        choice_fields=("indicator", "category"),
        period_fields=("baseline_period", "target_period"),
        stored=_stored_link,
    ),
    "action_indicators.unlink": RouteSpec(form=lambda w: {}),
    # Progress updates (app/actions/progress_routes.py).
    "progress.show": RouteSpec(),
    "progress.add": RouteSpec(
        form=lambda w: {
            "text": "Overleg gehouden",
            "written_on": "",
            "status": "verankerd",
            "embedded_in": "begroting",
            "embedded_reference": "Begroting 2027, post 4.2",
            "revision": _action_revision(w),
        },
        multiline_fields=("text",),
        text_fields=("embedded_reference",),
        number_fields=("revision",),
        date_fields=("written_on",),
        choice_fields=("status", "embedded_in"),
        stored=_stored_progress,
    ),
    "reminders.switch": RouteSpec(form=lambda w: {"setting": "uit"}, choice_fields=("setting",)),
    # --- progress: end ---
    # The region-wide action list and its exports (app/tracking/).
    "tracking.index": RouteSpec(),
    "tracking.mine": RouteSpec(),
    "tracking.board": RouteSpec(),
    "tracking.export_pdf": RouteSpec(),
    "tracking.export_xlsx": RouteSpec(),
    "tracking.export_csv": RouteSpec(),
    "tracking.feeds": RouteSpec(
        form=lambda w: {"name": "Deadlines", "filters": "status=open-alle", "creation_token": "t"},
        text_fields=("name",),
        token_fields=("creation_token",),
        choice_fields=("filters",),
    ),
    "tracking.revoke_feed": RouteSpec(form=lambda w: {"feed": "1"}, number_fields=("feed",)),
    "tracking.feed": RouteSpec(),
    # --- tracking: end ---
    # Rounds and agenda (app/rounds/).
    "rounds.new_round": RouteSpec(
        # No participant of the previous round kept: the typed row is the first one stored.
        form=lambda w: {
            **start_form(w),
            "kept_participants": [],
            "questionnaire_version": "nieuwste",
            "participants_revision": str(
                db.session.get(Conversation, w.conversation_id).details_revision
            ),
        },
        text_fields=(
            "title",
            "participants-0-name",
            "participants-0-organisation",
            "participants-0-role",
        ),
        number_fields=("participants_revision",),
        date_fields=("held_on",),
        token_fields=("creation_token",),
        choice_fields=(
            "current_phase_id",
            "questionnaire_version",
            "kept_participants",
            "participants-0-organisation_type",
        ),
        stored=_stored_details,
    ),
    "rounds.comparison": RouteSpec(),
    "rounds.comparison_pdf": RouteSpec(),
    "rounds.agenda": RouteSpec(),
    "rounds.agenda_pdf": RouteSpec(),
    # --- rounds: end ---
    # The API's tokens page (app/api/).
    "api_tokens.index": RouteSpec(),
    "api_tokens.create": RouteSpec(
        form=lambda w: {"name": "Power BI dashboard", "scope": "read"},
        text_fields=("name",),
        choice_fields=("scope",),
    ),
    "api_tokens.revoke": RouteSpec(form=lambda w: {"token_id": "1"}, number_fields=("token_id",)),
    "api.docs": RouteSpec(),
    "api.openapi": RouteSpec(),
    **{
        f"api.{name}": RouteSpec(bearer=True)
        for name in (
            "not_found",
            "regions",
            "region",
            "conversations",
            "conversation",
            "answers",
            "actions",
            "action",
            "change_action",
            "updates",
            "update",
            "add_update",
            "indicators",
            "indicator",
            "observations",
        )
    },
    # --- api: end ---
    # A live workshop: the facilitator's side (app/workshops/routes.py).
    "workshops.new": RouteSpec(
        form=lambda w: {
            "anonymous": "ja",
            "dots_per_participant": "3",
            "dots_per_item": "1",
            "participant_cap": "300",
            "creation_token": "workshop-token",
        },
        number_fields=("dots_per_participant", "dots_per_item", "participant_cap"),
        choice_fields=("anonymous",),
        token_fields=("creation_token",),
    ),
    "workshops.control": RouteSpec(),
    "workshops.control_live": RouteSpec(),
    "workshops.state": RouteSpec(),
    "workshops.projector": RouteSpec(),
    "workshops.projector_live": RouteSpec(),
    "workshops.contribution": RouteSpec(),
    "workshops.open_questions": RouteSpec(
        form=lambda w: {"question_id": QUESTION}, choice_fields=("question_id", "phase_id")
    ),
    "workshops.close_questions": RouteSpec(
        form=lambda w: {"question_id": QUESTION}, choice_fields=("question_id", "phase_id")
    ),
    "workshops.show_question": RouteSpec(
        form=lambda w: {"question_id": QUESTION}, choice_fields=("question_id",)
    ),
    "workshops.results_visible": RouteSpec(
        form=lambda w: {"state": "ja"}, choice_fields=("state",)
    ),
    "workshops.start_timer": RouteSpec(form=lambda w: {"minutes": "5"}, number_fields=("minutes",)),
    "workshops.stop_timer": RouteSpec(),
    "workshops.hide": RouteSpec(
        form=lambda w: {"contribution_id": str(w.contribution_id), "state": "nee"},
        number_fields=("contribution_id",),
        choice_fields=("state",),
    ),
    "workshops.merge": RouteSpec(
        form=lambda w: {"contribution_id": str(w.contribution_id), "into_id": "1"},
        number_fields=("contribution_id", "into_id"),
    ),
    "workshops.remove_participant": RouteSpec(
        form=lambda w: {
            "participant_id": "1",
            "contribution_id": str(w.contribution_id),
            "confirm": "ja",
        },
        number_fields=("participant_id", "contribution_id"),
        choice_fields=("confirm",),
    ),
    "workshops.readmit_participant": RouteSpec(
        form=lambda w: {"participant_id": "1", "contribution_id": str(w.contribution_id)},
        number_fields=("participant_id", "contribution_id"),
    ),
    "workshops.unmerge": RouteSpec(
        form=lambda w: {"contribution_id": str(w.contribution_id)},
        number_fields=("contribution_id",),
    ),
    "workshops.to_action": RouteSpec(
        form=lambda w: {"contribution_id": str(w.contribution_id)},
        number_fields=("contribution_id",),
    ),
    "workshops.draft_action": RouteSpec(
        form=lambda w: {
            "voorstel-question_id": QUESTION,
            "voorstel-text": "Eén loket voor school en zorg",
            "voorstel-creation_token": "voorstel-token",
        },
        text_fields=("voorstel-text",),
        token_fields=("voorstel-creation_token",),
        choice_fields=("voorstel-question_id",),
    ),
    "workshops.write_answer": RouteSpec(
        form=lambda w: {
            "question_id": QUESTION,
            "text": "Het antwoord van de tafel",
            "assessment_id": "first_steps",
            "revision": "0",
            "with_contributions": "y",
        },
        multiline_fields=("text",),
        number_fields=("revision",),
        choice_fields=("question_id", "assessment_id", "with_contributions"),
    ),
    "workshops.settings": RouteSpec(
        form=lambda w: {
            "anonymous": "ja",
            "dots_per_participant": "3",
            "dots_per_item": "1",
            "participant_cap": "300",
        },
        number_fields=("dots_per_participant", "dots_per_item", "participant_cap"),
        choice_fields=("anonymous",),
    ),
    "workshops.joining": RouteSpec(form=lambda w: {"state": "nee"}, choice_fields=("state",)),
    "workshops.close": RouteSpec(),
    # The participants' side (app/workshops/participant_routes.py); the client has no
    # participant cookie, so posts get the join form back.
    "workshop_participants.join_form": RouteSpec(),
    "workshop_participants.join": RouteSpec(
        form=lambda w: {"code": w.workshop_code, "first_name": "Anna"},
        text_fields=("first_name", "code"),
    ),
    "workshop_participants.phone": RouteSpec(),
    "workshop_participants.live": RouteSpec(),
    "workshop_participants.state": RouteSpec(),
    "workshop_participants.assess": RouteSpec(
        form=lambda w: {"question_id": QUESTION, "assessment_id": "first_steps"},
        choice_fields=("question_id", "assessment_id"),
    ),
    "workshop_participants.contribute": RouteSpec(
        form=lambda w: {
            "question_id": QUESTION,
            "kind": "idee",
            "text": "Eén loket",
            "creation_token": "bijdrage-token",
        },
        multiline_fields=("text",),
        token_fields=("creation_token",),
        choice_fields=("question_id", "kind"),
    ),
    "workshop_participants.dot": RouteSpec(
        form=lambda w: {"contribution_id": str(w.contribution_id), "had": "0", "change": "erbij"},
        number_fields=("contribution_id", "had"),
        choice_fields=("change",),
    ),
    # A workshop's results (app/workshops/results_routes.py).
    "workshop_results.results": RouteSpec(),
    "workshop_results.results_pdf": RouteSpec(),
    "workshop_results.input_csv": RouteSpec(),
    # --- workshops: end ---
    # The installation's management.
    "admin.index": RouteSpec(),
    "admin.regions": RouteSpec(
        form=lambda w: {"name": "Achterhoek", "municipalities": "Winterswijk\nAalten"},
        text_fields=("name",),
        multiline_fields=("municipalities",),
    ),
    "admin.users": RouteSpec(
        form=lambda w: {
            "email": "nieuw@handvat.test",
            "name": "Nieuwe Gebruiker",
            "region_id": str(w.region_id),
            "role": "member",
        },
        text_fields=("name",),
        number_fields=("region_id",),
        choice_fields=("role", "is_admin"),
    ),
    "admin.user": RouteSpec(),
    "admin.set_user_role": RouteSpec(
        form=lambda w: {"region_id": str(w.region_id), "role": "facilitator"},
        number_fields=("region_id",),
        choice_fields=("role",),
    ),
    "admin.remove_user_role": RouteSpec(),
    "admin.set_user_admin": RouteSpec(
        form=lambda w: {"is_admin": "nee"}, choice_fields=("is_admin",)
    ),
    "admin.user_link": RouteSpec(),
    "admin.delete_user": RouteSpec(),
    "admin.questionnaires": RouteSpec(),
}

#: What a GET of a page with real objects answers, where that is not 200: the sign-in pages
#: send a signed-in user (or one without a password step under way) on.
GET_STATUS = {
    "accounts.sign_in": 302,
    "accounts.second_factor": 302,
    "tracking.feed": 404,
    # The live part of a phone's page and its poll are for a phone that joined (the client
    # did not).
    "workshop_participants.live": 404,
    "workshop_participants.state": 404,
}


def _rules(app):
    return [rule for rule in app.url_map.iter_rules() if rule.endpoint != "static"]


def _url(rule, values: dict[str, str]) -> str:
    url = rule.rule
    for name in rule.arguments:
        url = re.sub(rf"<(?:[a-z]+(?:\([^)]*\))?:)?{name}>", values[name], url)
    return url


def _no_server_error(response, what: str) -> None:
    assert response.status_code < 500, f"{what}: {response.status_code}"


def test_every_route_is_in_the_table(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints == set(ROUTES), "add the new route to ROUTES in this module"


def test_impossible_numbers_and_odd_strings_in_urls(app, client, world):
    for rule in _rules(app):
        for name in rule.arguments:
            converter = type(rule._converters[name]).__name__
            hostile = (
                HOSTILE_PATH_NUMBERS if converter == "DatabaseIdConverter" else HOSTILE_PATH_STRINGS
            )
            for value in hostile:
                url = _url(rule, {**world.values_for(rule), name: value})
                for method in sorted(rule.methods & {"GET", "POST"}):
                    with client.open(url, method=method, data={"status": "afgerond"}) as response:
                        _no_server_error(response, f"{method} {url}")
                    if converter == "DatabaseIdConverter":
                        assert response.status_code == 404, f"{method} {url}"
    # Nothing was changed by any of it.
    assert db.session.get(ActionPoint, world.action_id).status is ActionStatus.OPEN


def test_every_route_answers_get_on_real_objects(app, client, world):
    for rule in _rules(app):
        if "GET" in rule.methods and not ROUTES[rule.endpoint].bearer:
            with client.get(_url(rule, world.values_for(rule))) as response:
                assert response.status_code == GET_STATUS.get(rule.endpoint, 200), rule.rule


def _post_routes(app):
    return sorted({rule.endpoint for rule in app.url_map.iter_rules() if "POST" in rule.methods})


@pytest.mark.parametrize("endpoint", [e for e, spec in ROUTES.items() if spec.form is not None])
def test_hostile_form_values(app, client, world, endpoint):
    spec = ROUTES[endpoint]
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    url = _url(rule, world.values_for(rule))
    trials = (
        [(f, v) for f in spec.text_fields + spec.multiline_fields for v in HOSTILE_TEXTS]
        + [(f, v) for f in spec.number_fields for v in HOSTILE_NUMBERS]
        + [(f, v) for f in spec.date_fields for v in HOSTILE_DATES]
        + [(f, v) for f in spec.token_fields for v in HOSTILE_TOKENS]
        + [(f, v) for f in spec.choice_fields for v in ("\x00", "9" * 40, "", "onbekend")]
        + [(f, v) for f in spec.period_fields for v in HOSTILE_PERIODS]
    )
    for name, value in trials:
        form = {**spec.form(world), name: value}
        response = client.post(url, data=form)
        what = f"POST {url} {name}={value[:30]!r}"
        _no_server_error(response, what)
        page = response.get_data(as_text=True)
        assert "\x00" not in page, what
        assert not BIDI_CONTROLS & set(page), f"{what}: a bidirectional control on the page"
        if response.status_code == 302 and spec.stored and name in spec.text_fields:
            stored = spec.stored(response.location, world)
            expected = clean_line(value).strip()
            if expected:
                assert stored[name] == expected, what
                assert not BIDI_CONTROLS & set(stored[name]), what
        elif response.status_code == 302 and spec.stored and name in spec.multiline_fields:
            stored = spec.stored(response.location, world)
            assert stored[name] == clean_text(value).strip(), what
            assert not BIDI_CONTROLS & set(stored[name]), what
        elif response.status_code == 302 and spec.stored and name in spec.date_fields:
            stored = spec.stored(response.location, world)
            assert stored[name] == parse_dutch_date(value), what
            assert 1900 <= stored[name].year <= 9999
        elif response.status_code == 302 and spec.stored and name in spec.period_fields:
            stored = spec.stored(response.location, world)[name]
            assert stored is None or period_from_code(stored).code == stored, what
        elif response.status_code in (400, 409, 422) and name in spec.text_fields + (
            spec.multiline_fields
        ):
            cleaned = (clean_text if name in spec.multiline_fields else clean_line)(value)
            assert escape(cleaned.strip(), quote=False)[:20] in page.replace("&#34;", '"').replace(
                "&#39;", "'"
            ), f"{what}: the text is not given back"
        db.session.expire_all()


# --- the classes one by one -----------------------------------------------------------------


def test_nul_bytes_and_line_breaks_are_cleaned_on_both_databases(client, world):
    url = f"/gesprekken/{world.conversation_id}/acties/nieuw"
    form = {
        **action_form(world),
        "description": "Regel\x00 een\r\nregel twee\x1b",
        "owner_name": "Anna\nde\tVries\x00",
        "creation_token": "clean-1",
    }
    response = client.post(url, data=form)
    assert response.status_code == 302
    action = db.session.scalars(
        db.select(ActionPoint).where(ActionPoint.creation_token == "clean-1")
    ).one()
    assert action.description == "Regel een\nregel twee"
    assert action.owner_name == "Anna de Vries"


def test_bytes_that_are_not_utf8_are_kept_as_typed(client, world):
    url = f"/gesprekken/{world.conversation_id}/vragen/{QUESTION}"
    response = client.post(
        url,
        data=b"text=caf%E9+%FF%FE%00+klaar&revision=0&go=stay",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 302
    # Werkzeug keeps a percent-escape it cannot decode as it came; the NUL byte goes.
    assert db.session.scalar(db.select(Answer.text)) == "caf%E9 %FF%FE klaar"


def test_huge_revision_is_a_conflict_not_an_error(client, world):
    url = f"/gesprekken/{world.conversation_id}/vragen/{QUESTION}"
    client.post(url, data={"text": "Eerste", "revision": "0"})
    response = client.post(url, data={"text": "Tweede", "revision": "9" * 30})
    assert response.status_code == 409
    assert "Tweede" in response.get_data(as_text=True)
    assert db.session.scalar(db.select(Answer.text)) == "Eerste"


def test_form_token_of_another_conversation_adds_a_new_action(
    client, world, make_conversation, make_region
):
    other = make_conversation(title="Ander", region=make_region("Fryslân", ["Leeuwarden"]))
    form = {**action_form(world), "creation_token": "shared-token"}
    first = client.post(f"/gesprekken/{world.conversation_id}/acties/nieuw", data=form)
    second = client.post(f"/gesprekken/{other.id}/acties/nieuw", data=form)
    assert (first.status_code, second.status_code) == (302, 302)
    tokens = db.session.scalars(
        db.select(ActionPoint.conversation_id).where(ActionPoint.creation_token == "shared-token")
    ).all()
    assert sorted(tokens) == sorted([world.conversation_id, other.id])


def test_resubmit_with_changed_text_is_kept_as_a_new_action(client, world):
    url = f"/gesprekken/{world.conversation_id}/acties/nieuw"
    form = {**action_form(world), "creation_token": "resubmit"}
    client.post(url, data=form)
    client.post(url, data=form)  # the same: counts once
    response = client.post(url, data={**form, "description": "Toch iets anders"})
    page = client.get(response.location).get_data(as_text=True)
    descriptions = db.session.scalars(
        db.select(ActionPoint.description).order_by(ActionPoint.position)
    ).all()
    assert descriptions == [
        "Eerste actie",
        "Tweede actie",
        "Analyse laten maken",
        "Toch iets anders",
    ]
    assert "U had dit formulier al eerder verstuurd, met een andere tekst" in page
    assert "actiepunt 4" in page and "actiepunt 3" in page


def test_resubmit_of_start_form_with_changes_starts_a_second_conversation(client, world):
    form = start_form(world)
    first = client.post("/gesprekken/nieuw", data=form)
    again = client.post("/gesprekken/nieuw", data=form)
    changed = client.post("/gesprekken/nieuw", data={**form, "title": "Overleg Twente, versie 2"})
    assert first.location == again.location != changed.location
    page = client.get(changed.location).get_data(as_text=True)
    assert "tweede gesprek gestart" in page
    titles = db.session.scalars(db.select(Conversation.title).order_by(Conversation.id)).all()
    assert titles[-2:] == ["Overleg Twente", "Overleg Twente, versie 2"]


def test_too_many_participants_are_refused_whole(client, world):
    form = start_form(world)
    for row in range(1, 62):
        form |= {
            f"participants-{row}-name": f"Deelnemer {row}",
            f"participants-{row}-organisation": "ROC van Twente",
            f"participants-{row}-organisation_type": "mbo-instelling",
        }
    before = db.session.scalar(db.select(db.func.count()).select_from(Conversation))
    response = client.post("/gesprekken/nieuw", data=form)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "U vulde 62 deelnemers in. Er kunnen er maximaal 60" in page
    assert 'value="Deelnemer 61"' in page  # nothing dropped from the form
    assert db.session.scalar(db.select(db.func.count()).select_from(Conversation)) == before


def test_concurrent_detail_edits_show_both_versions(client, world):
    url = f"/gesprekken/{world.conversation_id}/bewerken"
    form = edit_form(world)
    mine = client.post(url, data={**form, "title": "Mijn titel"})
    theirs = client.post(url, data={**form, "title": "Hun titel"})
    assert mine.status_code == 302
    assert theirs.status_code == 409
    page = theirs.get_data(as_text=True)
    assert "Iemand anders heeft de gegevens intussen gewijzigd" in page
    assert "Mijn titel" in page and 'value="Hun titel"' in page
    assert db.session.get(Conversation, world.conversation_id).title == "Mijn titel"
    # Saving again from the conflict page (it carries the new revision) overwrites on purpose.
    revision = re.search(r'name="details_revision" type="hidden" value="(\d+)"', page).group(1)
    again = client.post(url, data={**form, "title": "Hun titel", "details_revision": revision})
    assert again.status_code == 302


def test_stale_move_status_and_delete_are_refused_with_a_message(client, world):
    base = f"/gesprekken/{world.conversation_id}/acties/{world.action_id}"
    action = db.session.get(ActionPoint, world.action_id)
    revision = str(action.revision)
    client.post(f"{base}/verplaatsen", data={"direction": "down", "position": "1"})
    stale_move = client.post(f"{base}/verplaatsen", data={"direction": "down", "position": "1"})
    assert "De lijst was intussen veranderd" in client.get(stale_move.location).get_data(
        as_text=True
    )
    client.post(f"{base}/status", data={"status": "afgerond", "revision": revision})
    stale = client.post(f"{base}/status", data={"status": "bezig", "revision": revision})
    assert "De status is niet aangepast" in client.get(stale.location).get_data(as_text=True)
    stale_delete = client.post(f"{base}/verwijderen", data={"revision": revision})
    assert stale_delete.status_code == 409
    assert "Het is daarom niet verwijderd" in stale_delete.get_data(as_text=True)
    positions = db.session.scalars(
        db.select(ActionPoint.position).order_by(ActionPoint.position)
    ).all()
    assert positions == [1, 2]


def test_delete_closes_the_gap_and_a_second_delete_says_so(client, world):
    base = f"/gesprekken/{world.conversation_id}/acties/{world.action_id}/verwijderen"
    revision = str(db.session.get(ActionPoint, world.action_id).revision)
    assert client.post(base, data={"revision": revision}).status_code == 302
    again = client.post(base, data={"revision": revision})
    message = "Dit actiepunt staat niet (meer) in dit gesprek. Er is niets verwijderd."
    assert message in client.get(again.location).get_data(as_text=True)
    assert db.session.scalars(db.select(ActionPoint.position)).all() == [1]


def test_edit_of_a_deleted_action_keeps_the_text(client, world):
    form = {**action_edit_form(world), "description": "Mijn nieuwe tekst"}
    base = f"/gesprekken/{world.conversation_id}/acties/{world.action_id}"
    client.post(f"{base}/verwijderen", data={"revision": form["revision"]})
    response = client.post(f"{base}/bewerken", data=form)
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Dit actiepunt is intussen verwijderd" in page and "Mijn nieuwe tekst" in page
    assert f'action="/gesprekken/{world.conversation_id}/acties/nieuw"' in page


def test_action_limit_is_said_in_dutch(client, world, monkeypatch):
    from app.actions import operations

    monkeypatch.setattr(operations, "MAX_ACTIONS_PER_CONVERSATION", 2)
    response = client.post(
        f"/gesprekken/{world.conversation_id}/acties/nieuw", data=action_form(world)
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "het hoogste aantal dat kan" in page and "Analyse laten maken" in page


@pytest.mark.parametrize("typed", ["01-01-1900", "31-12-9999", "29-02-2028"])
def test_dates_at_the_edges_round_trip(client, world, typed):
    from openpyxl import load_workbook
    from pypdf import PdfReader

    url = f"/gesprekken/{world.conversation_id}/acties/{world.action_id}/bewerken"
    response = client.post(url, data={**action_edit_form(world), "due_date": typed})
    assert response.status_code == 302
    form_page = client.get(url).get_data(as_text=True)
    assert f'value="{typed}"' in form_page
    pdf = client.get(f"/gesprekken/{world.conversation_id}/actielijst.pdf").data
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert typed in text
    xlsx = client.get(f"/gesprekken/{world.conversation_id}/actielijst.xlsx").data
    sheet = load_workbook(io.BytesIO(xlsx))["Actiepunten"]
    stored = [row[6].value for row in sheet.iter_rows(min_row=5) if row[6].value]
    assert parse_dutch_date(typed) in [value.date() for value in stored]


def test_dates_before_1900_are_refused_with_a_message(client, world):
    url = f"/gesprekken/{world.conversation_id}/acties/{world.action_id}/bewerken"
    response = client.post(url, data={**action_edit_form(world), "due_date": "31-12-1899"})
    assert response.status_code == 422
    assert "Kies een datum vanaf 1 januari 1900" in response.get_data(as_text=True)
    assert db.session.get(ActionPoint, world.action_id).due_date != date(1899, 12, 31)


def test_question_ids_in_urls_are_matched_exactly(client, world):
    for value in (quote(QUESTION + "\x00"), QUESTION.upper(), quote(" " + QUESTION)):
        response = client.get(f"/gesprekken/{world.conversation_id}/vragen/{value}")
        assert response.status_code == 404


def test_writes_on_a_conversation_deleted_meanwhile_are_a_404(world):
    from app.actions.operations import ActionData, add_action
    from app.conversations.operations import ConversationGone

    conversation = db.session.get(Conversation, world.conversation_id)
    with db.engine.begin() as other_request:
        other_request.execute(db.delete(Conversation).where(Conversation.id == conversation.id))
    with pytest.raises(ConversationGone):
        add_action(conversation, ActionData("Te laat"))
    db.session.rollback()


# --- the indicator pages ------------------------------------------------------------------------

HOSTILE_FILE_NAMES = [
    "../../etc/passwd.csv",
    "C:\\Windows\\cijfers.csv",
    "naam\x00met-nul.csv",
    "regel\r\nbreuk\x1b[31m.csv",
    "\u202evsc.exe",  # right-to-left override: removed, as from every other typed text
    "x" * 1000 + ".csv",
    "",
    "cijfers.xlsx",  # a CSV that says it is Excel
]
HOSTILE_FILE_CONTENTS = [
    b"",
    b"\x00" * 1000,
    bytes(range(256)) * 8,
    b"Indicator;Periode;Waarde\nConsul\x00taties;20\x0021;1\x00\n",
    b"\xff\xfeI\x00n\x00d\x00",  # half a UTF-16 file
    b"PK\x03\x04" + b"\x00" * 200,  # a broken zip, as a damaged .xlsx
    b"Indicator;Periode;Waarde\n" + b"Consultaties;2021;" + b"9" * 5000 + b"\n",
    b'Indicator;Periode;Waarde\n"=HYPERLINK(""http://x"")";2021;5\n<script>x</script>;2022;6\n',
    b"a;" * 5000 + b"\n" + b"1;" * 5000 + b"\n",
]


def _upload_url(world: World) -> str:
    return f"/regio/{world.path_values['slug']}/indicatoren/importeren"


@pytest.mark.parametrize("name", HOSTILE_FILE_NAMES)
def test_hostile_file_names_are_cleaned(client, world, name):
    response = client.post(
        _upload_url(world),
        data={"file": (io.BytesIO(UPLOAD_FILE.read_bytes()), name)},
    )
    _no_server_error(response, f"upload {name[:30]!r}")
    assert "\x00" not in response.get_data(as_text=True)
    if response.status_code != 302:
        return
    preview = client.get(response.location)
    _no_server_error(preview, f"preview {name[:30]!r}")
    page = preview.get_data(as_text=True)
    assert "\x00" not in page
    token = response.location.rsplit("/", 1)[-1]
    stored = db.session.scalar(
        db.select(IndicatorUpload.file_name).where(IndicatorUpload.token == token)
    )
    assert stored and len(stored) <= 255
    assert stored == clean_line(stored) and "\x00" not in stored
    assert not BIDI_CONTROLS & set(stored)


@pytest.mark.parametrize("content", HOSTILE_FILE_CONTENTS, ids=range(len(HOSTILE_FILE_CONTENTS)))
def test_hostile_file_contents_never_give_an_error(client, world, content):
    """Whatever a file holds: a Dutch answer, never a 500; confirming stores it or nothing."""
    before = db.session.scalar(db.select(db.func.count()).select_from(Observation))
    response = client.post(_upload_url(world), data={"file": (io.BytesIO(content), "cijfers.csv")})
    _no_server_error(response, "upload")
    page = response.get_data(as_text=True)
    assert "\x00" not in page
    if response.status_code != 302:
        assert response.status_code == 422
        assert "Bestand met cijfers" in page  # the form again, with what went wrong
        return
    preview = client.get(response.location)
    _no_server_error(preview, "preview")
    assert "\x00" not in preview.get_data(as_text=True)
    confirmed = client.post(response.location)
    _no_server_error(confirmed, "confirm")
    page = client.get(confirmed.location).get_data(as_text=True)
    assert "<script>x</script>" not in page
    db.session.expire_all()
    after = db.session.scalar(db.select(db.func.count()).select_from(Observation))
    if preview.status_code == 422:  # refused rows: nothing stored
        assert after == before
    for name in db.session.scalars(db.select(Indicator.name)):
        assert name == clean_line(name).strip() and name


@pytest.mark.parametrize(
    "typed", ["0" * 50 + "7", "12" + " " * 45 + "3", "1" * 39 + ",5", "1e400", "inf", "nan"]
)
def test_numbers_too_long_or_not_finite_are_refused_not_cut_short(client, world, typed):
    slug = world.path_values["slug"]
    url = f"/regio/{slug}/indicatoren/afsluitredenen/bewerken"
    response = client.post(url, data={**indicator_form(world), "target_value": typed})
    assert response.status_code == 422, typed
    page = response.get_data(as_text=True)
    assert escape(typed, quote=False) in page  # what was typed is given back
    assert db.session.get(Indicator, world.indicator_id).target_value is None
    link_url = (
        f"/gesprekken/{world.conversation_id}/acties/{world.action_id}/indicatoren/{world.link_id}"
    )
    response = client.post(link_url, data={**action_link_form(world), "baseline_value": typed})
    assert response.status_code == 422, typed
    assert db.session.get(ActionIndicatorLink, world.link_id).story == "Minder afhakers"


# --- bidirectional controls, on every way in ------------------------------------------------------

#: Overrides, embeddings and isolates around a file name and a date; the RTL marks stay.
BIDI_TEXT = (
    "Zie \u202efdp.exe\u202c en \u2067\u202b31-12\u202c\u2069 \u202a\u202d\u2066\u2068 "
    "\u200fשלום\u200e."
)
BIDI_CLEANED = "Zie fdp.exe en 31-12  \u200fשלום\u200e."


def test_bidi_controls_are_removed_from_a_form_and_the_marks_kept(client, world):
    url = f"/gesprekken/{world.conversation_id}/acties/nieuw"
    form = {
        **action_form(world),
        "description": BIDI_TEXT,
        "owner_name": BIDI_TEXT,
        "creation_token": "bidi-1",
    }
    assert client.post(url, data=form).status_code == 302
    action = db.session.scalars(
        db.select(ActionPoint).where(ActionPoint.creation_token == "bidi-1")
    ).one()
    assert action.description == BIDI_CLEANED
    assert action.owner_name == BIDI_CLEANED
    page = client.get(f"/gesprekken/{world.conversation_id}/acties").get_data(as_text=True)
    assert "fdp.exe" in page and not BIDI_CONTROLS & set(page)


def test_bidi_controls_are_removed_from_api_json(app, tester, world):
    from app.api.models import TokenScope

    from .test_api import Api, etag_of, issue

    api = Api(app, issue(tester, TokenScope.WRITE))
    action_id = world.action_id
    url = f"/api/v1/actions/{action_id}"
    body = {"status": "verankerd", "embeddedIn": "begroting", "embeddedReference": BIDI_TEXT[:60]}
    response = api.patch(url, body, etag_of(api, action_id))
    assert response.status_code == 200, response.get_json()
    assert not BIDI_CONTROLS & set(response.get_json()["embeddedReference"])
    update = {"text": BIDI_TEXT, "status": "bezig", "writtenOn": date.today().isoformat()}
    response = api.post(f"{url}/updates", update, etag_of(api, action_id))
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["text"] == BIDI_CLEANED
    db.session.expire_all()
    stored = db.session.scalars(
        db.select(ActionUpdate.text).where(ActionUpdate.action_id == action_id)
    ).all()
    assert BIDI_CLEANED in stored
    reference = db.session.get(ActionPoint, action_id).embedded_reference
    assert reference and not BIDI_CONTROLS & set(reference)


def _bidi_upload(client, world, extension: str):
    """A file of figures with bidirectional controls in its indicator and category names,
    uploaded: (the upload's answer, its preview)."""
    rows = [
        ["Indicator", "Periode", "Categorie", "Waarde"],
        ["\u202eBidi\u202c cijfers\u2066", "2021", "\u2067Man\u2069 \u200fזכר\u200e", "5"],
        ["\u202eBidi\u202c cijfers\u2066", "2021", "Vrouw\u202d", "6"],
    ]
    if extension == "csv":
        content = "".join(";".join(row) + "\n" for row in rows).encode()
    else:
        import openpyxl

        workbook = openpyxl.Workbook()
        for row in rows:
            workbook.active.append([int(v) if v.isdigit() else v for v in row])
        buffer = io.BytesIO()
        workbook.save(buffer)
        content = buffer.getvalue()
    response = client.post(
        _upload_url(world), data={"file": (io.BytesIO(content), f"\u202ebidi.{extension}")}
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    preview = client.get(response.location)
    assert preview.status_code == 200
    return response, preview


def _imported_indicator() -> Indicator:
    db.session.expire_all()
    return db.session.scalars(db.select(Indicator).where(Indicator.name.like("%cijfers%"))).one()


@pytest.mark.parametrize("extension", ["csv", "xlsx"])
def test_bidi_controls_are_removed_from_an_imported_indicator_name(client, world, extension):
    response, _preview = _bidi_upload(client, world, extension)
    assert client.post(response.location).status_code == 302
    assert _imported_indicator().name == "Bidi cijfers"


@pytest.mark.parametrize("extension", ["csv", "xlsx"])
def test_bidi_controls_are_removed_from_an_imported_preview_and_categories(
    client, world, extension
):
    response, preview = _bidi_upload(client, world, extension)
    assert not BIDI_CONTROLS & set(preview.get_data(as_text=True))
    assert client.post(response.location).status_code == 302
    indicator = _imported_indicator()
    categories = set(
        db.session.scalars(
            db.select(Observation.category).where(Observation.indicator_id == indicator.id)
        )
    )
    assert categories == {"Man \u200fזכר\u200e", "Vrouw"}


def test_a_title_of_only_zero_width_characters_is_empty(client, make_region):
    """It shows nothing, so it is no title: the form says so, and nothing is saved."""
    region = make_region()
    response = client.post(
        "/gesprekken/nieuw", data=forms.start_form(region.id, title="\u200b\u200b\u2060")
    )
    assert "Geef het gesprek een titel." in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count()).select_from(Conversation)) == 0
