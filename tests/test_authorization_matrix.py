"""The authorisation matrix: every route of ``app.url_map``, every method, every kind of user,
on an object of the user's own region and of another region, on SQLite and PostgreSQL.

``REQUIRED`` below names what each endpoint needs. A route that is not in it fails
``test_every_route_is_in_the_table`` (and its own matrix case), so a new route cannot escape:
add it to the table with the permission its view checks (per method, where the view checks a
different one for GET and POST).

What is expected, per request:

- anonymous: a GET goes to ``/inloggen`` (302), a POST gets the 401 page, unless the endpoint
  is public;
- an object of another region (a conversation, an action point, a region page, a membership,
  an indicator, an action point's link to an indicator): 404 for every signed-in user,
  whatever their role there would allow, so they never learn it exists; an administrator
  without a role in the region is no exception;
- the user's own region, without the permission: 403; with it: a real answer (never 401, 403,
  404 or 500; a POST with empty data gets 200, 302, 400, 409 or 422);
- administrator pages: 403 for everyone else, a real answer for an administrator.

One world per database (module scope): two regions, each with a conversation, chosen questions,
an action point, members, an indicator with figures linked to a question and to the action
point, and an import waiting for its confirmation for every actor. A request that changed the
world (a delete with empty data is a valid delete) is followed by building it again, so every
case meets the same objects.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from app import create_app
from app.accounts.models import Membership, RegionInvitation, User
from app.accounts.roles import Permission, Role
from app.actions.models import ActionPoint
from app.conversations.models import Conversation, SelectedQuestion
from app.core.page_cache import forget_cached_pages
from app.extensions import db
from app.indicators.models import (
    ActionIndicatorLink,
    Indicator,
    IndicatorUpload,
    Observation,
    QuestionIndicatorLink,
)
from app.questionnaires.models import forget_parsed_snapshots
from app.regions.models import Municipality
from app.workshops.models import Contribution, Workshop

from .accounts import make_user, new_session_key
from .conftest import BASE_TEST_CONFIG, _empty_all_tables

P = Permission
PUBLIC = "public"
SIGNED_IN = "signed-in"
ADMIN = "admin"
#: The API (``/api/v1``) answers a bearer token, never a session: the matrix's clients carry
#: sessions, so it skips these routes; ``tests/test_api_authorization.py`` tries each of them
#: with every kind of user's tokens, in both regions, in the same way.
BEARER = "bearer-token"

#: What each endpoint needs: the same for every method of the endpoint, or per method.
REQUIRED: dict[str, Permission | str | dict[str, Permission | str]] = {
    # signing in and one's own account
    "accounts.sign_in": PUBLIC,
    "accounts.second_factor": PUBLIC,
    "accounts.sign_out": PUBLIC,
    "accounts.forgotten_password": PUBLIC,
    "accounts.set_password": PUBLIC,
    "accounts.roles_help": PUBLIC,
    "accounts.account": SIGNED_IN,
    "accounts.change_password": SIGNED_IN,
    "accounts.end_other_sessions": SIGNED_IN,
    "accounts.delete_account": SIGNED_IN,
    # Answering a role offered: only the offer's own account finds it (any other: "gone").
    "accounts.accept_offer": SIGNED_IN,
    "accounts.decline_offer": SIGNED_IN,
    "two_factor.set_up": SIGNED_IN,
    "two_factor.new_recovery_codes": SIGNED_IN,
    "two_factor.switch_off": SIGNED_IN,
    # general pages
    "core.home": SIGNED_IN,
    "core.about": PUBLIC,
    "core.favicon": PUBLIC,
    "core.health": PUBLIC,
    # a load balancer's health checks (app/health/)
    "health.live": PUBLIC,
    "health.ready": PUBLIC,
    "core.security_txt": PUBLIC,
    "privacy.statement": PUBLIC,
    "exports.blank_plate_pdf": PUBLIC,
    # conversations
    "conversations.start": P.START_CONVERSATION,
    "conversations.show": P.VIEW,
    "conversations.edit": P.RUN_CONVERSATION,
    "conversations.choose_questions": P.RUN_CONVERSATION,
    "conversations.answer": {"GET": P.VIEW, "POST": P.RUN_CONVERSATION},
    "conversations.delete": P.DELETE_CONVERSATION,
    # action points and their exports
    "actions.index": P.VIEW,
    "actions.add": P.MANAGE_ACTIONS,
    "actions.move": P.MANAGE_ACTIONS,
    "actions.delete": P.MANAGE_ACTIONS,
    "actions.edit": P.UPDATE_ACTIONS,
    "actions.change_status": P.UPDATE_ACTIONS,
    "exports.action_list": P.EXPORT,
    "exports.action_list_pdf": P.EXPORT,
    "exports.action_list_xlsx": P.EXPORT,
    # an action point's links to the region's indicators
    "action_indicators.index": {"GET": P.VIEW, "POST": P.UPDATE_ACTIONS},
    "action_indicators.edit": P.UPDATE_ACTIONS,
    "action_indicators.unlink": P.UPDATE_ACTIONS,
    # history
    "audit.conversation_history": P.VIEW,
    "audit.region_history": P.VIEW,
    # a region and its members
    "regions.index": SIGNED_IN,
    "regions.show": P.VIEW,
    "regions.members": P.MANAGE_MEMBERS,
    "regions.member": P.MANAGE_MEMBERS,
    "regions.change_member_role": P.MANAGE_MEMBERS,
    "regions.remove_member": P.MANAGE_MEMBERS,
    "regions.new_member_link": P.MANAGE_MEMBERS,
    "regions.withdraw_offer": P.MANAGE_MEMBERS,
    # the region's figures (indicators) and its municipalities
    "indicators.index": P.VIEW,
    "indicators.show": P.VIEW,
    "indicators.upload": P.MANAGE_INDICATORS,
    "indicators.preview": P.MANAGE_INDICATORS,
    "indicators.confirm": P.MANAGE_INDICATORS,
    "indicators.cancel": P.MANAGE_INDICATORS,
    "indicators.edit": P.MANAGE_INDICATORS,
    "indicators.link_question": P.MANAGE_INDICATORS,
    "indicators.unlink_question": P.MANAGE_INDICATORS,
    "indicators.delete": P.MANAGE_INDICATORS,
    "indicators.municipalities": P.MANAGE_INDICATORS,
    # progress updates on an action point (app/actions/progress_routes.py)
    "progress.show": P.VIEW,
    "progress.add": P.UPDATE_ACTIONS,
    "reminders.switch": SIGNED_IN,
    # --- progress: end ---
    # the region-wide action list, board view, filtered exports, calendar feeds (app/tracking/)
    # Every signed-in user gets the list; it holds only the regions they work in (or none).
    "tracking.index": SIGNED_IN,
    "tracking.mine": SIGNED_IN,
    "tracking.board": SIGNED_IN,
    "tracking.export_pdf": P.EXPORT,
    "tracking.export_xlsx": P.EXPORT,
    "tracking.export_csv": P.EXPORT,
    "tracking.feeds": SIGNED_IN,
    "tracking.revoke_feed": SIGNED_IN,
    # A calendar app has no session: the secret key in the URL is the access (404 without).
    "tracking.feed": PUBLIC,
    # --- tracking: end ---
    # new rounds, their comparison, the next meeting's agenda (app/rounds/)
    "rounds.new_round": P.START_ROUND,
    "rounds.comparison": P.VIEW,
    "rounds.comparison_pdf": P.EXPORT,
    "rounds.agenda": P.VIEW,
    "rounds.agenda_pdf": P.EXPORT,
    # --- rounds: end ---
    # the API's tokens page (app/api/)
    "api_tokens.index": SIGNED_IN,
    "api_tokens.create": SIGNED_IN,
    "api_tokens.revoke": SIGNED_IN,
    "api.docs": PUBLIC,
    "api.openapi": PUBLIC,
    "api.not_found": BEARER,
    "api.regions": BEARER,
    "api.region": BEARER,
    "api.conversations": BEARER,
    "api.conversation": BEARER,
    "api.answers": BEARER,
    "api.actions": BEARER,
    "api.action": BEARER,
    "api.change_action": BEARER,
    "api.updates": BEARER,
    "api.update": BEARER,
    "api.add_update": BEARER,
    "api.indicators": BEARER,
    "api.indicator": BEARER,
    "api.observations": BEARER,
    # --- api: end ---
    # a live workshop: the facilitator's side (app/workshops/routes.py)
    "workshops.new": P.RUN_CONVERSATION,
    "workshops.control": P.RUN_CONVERSATION,
    "workshops.control_live": P.RUN_CONVERSATION,
    "workshops.state": P.RUN_CONVERSATION,
    "workshops.projector": P.RUN_CONVERSATION,
    "workshops.projector_live": P.RUN_CONVERSATION,
    "workshops.open_questions": P.RUN_CONVERSATION,
    "workshops.close_questions": P.RUN_CONVERSATION,
    "workshops.show_question": P.RUN_CONVERSATION,
    "workshops.results_visible": P.RUN_CONVERSATION,
    "workshops.start_timer": P.RUN_CONVERSATION,
    "workshops.stop_timer": P.RUN_CONVERSATION,
    "workshops.hide": P.RUN_CONVERSATION,
    "workshops.merge": P.RUN_CONVERSATION,
    "workshops.unmerge": P.RUN_CONVERSATION,
    "workshops.contribution": P.RUN_CONVERSATION,
    "workshops.remove_participant": P.RUN_CONVERSATION,
    "workshops.readmit_participant": P.RUN_CONVERSATION,
    "workshops.to_action": P.RUN_CONVERSATION,
    "workshops.draft_action": P.RUN_CONVERSATION,
    "workshops.write_answer": P.RUN_CONVERSATION,
    "workshops.settings": P.RUN_CONVERSATION,
    "workshops.joining": P.RUN_CONVERSATION,
    "workshops.close": P.RUN_CONVERSATION,
    # the participants' side: no account; the join code and the phone's signed cookie are the
    # access (app/workshops/participant_routes.py)
    "workshop_participants.join_form": PUBLIC,
    "workshop_participants.join": PUBLIC,
    "workshop_participants.phone": PUBLIC,
    "workshop_participants.live": PUBLIC,
    "workshop_participants.state": PUBLIC,
    "workshop_participants.assess": PUBLIC,
    "workshop_participants.contribute": PUBLIC,
    "workshop_participants.dot": PUBLIC,
    # a workshop's results (app/workshops/results_routes.py)
    "workshop_results.results": P.VIEW,
    "workshop_results.results_pdf": P.EXPORT,
    "workshop_results.input_csv": P.EXPORT,
    # --- workshops: end ---
    # the region's data (AVG)
    "privacy.region_data": P.REGION_DATA,
    "privacy.region_export": P.REGION_DATA,
    "privacy.delete_region_conversations": P.REGION_DATA,
    # the installation
    "admin.index": ADMIN,
    "admin.regions": ADMIN,
    "admin.users": ADMIN,
    "admin.user": ADMIN,
    "admin.set_user_role": ADMIN,
    "admin.remove_user_role": ADMIN,
    "admin.set_user_admin": ADMIN,
    "admin.user_link": ADMIN,
    "admin.delete_user": ADMIN,
    "admin.questionnaires": ADMIN,
}

#: Served by Flask itself, public by design (``static`` needs no sign-in).
NOT_IN_MATRIX = {"static"}

#: URL arguments that point into a region: their routes are tried on both regions.
REGION_ARGUMENTS = {
    "conversation_id",
    "action_id",
    "slug",
    "membership_id",
    "key",
    "link_id",
    "workshop_id",
}

QUESTION = "verkennen-regie"
ACTORS = ("anonymous", "admin", "member", "project-leader", "facilitator", "coordinator")
ROLE_OF_ACTOR = {
    "member": Role.MEMBER,
    "project-leader": Role.PROJECT_LEADER,
    "facilitator": Role.FACILITATOR,
    "coordinator": Role.COORDINATOR,
}
OWN, OTHER = "own", "other"
#: What a page must never show to a user of region A: region B's rows.
SECRETS_OF_B = (
    "Achterhoek",
    "Geheim overleg Achterhoek",
    "Geheime actie Achterhoek",
    "lid-b@achterhoek.test",
    "Berend van B",
    "Geheime cijfers Achterhoek",
    "4.242",
)
#: The figures each region imports: its own indicator, under its own key.
FIGURES = {
    OWN: "Indicator;Periode;Waarde\nConsultaties;2020;120\nConsultaties;2021;147\n",
    OTHER: (
        "Indicator;Periode;Waarde\nGeheime cijfers Achterhoek;2020;4000\n"
        "Geheime cijfers Achterhoek;2021;4242\n"
    ),
}
#: What a preview waiting for its confirmation holds.
UPLOADED = "Indicator;Periode;Waarde\nConsultaties;2022;160\n"


def _url_map_app():
    return create_app({**BASE_TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": "sqlite://"})


def _routes() -> list[tuple[str, str]]:
    """(endpoint, rule) of every route, for the test ids."""
    app = _url_map_app()
    rules = sorted(app.url_map.iter_rules(), key=lambda r: (r.endpoint, r.rule))
    return [
        (r.endpoint, r.rule)
        for r in rules
        if r.endpoint not in NOT_IN_MATRIX and REQUIRED.get(r.endpoint) != BEARER
    ]


ROUTES = _routes()


# --- the world ----------------------------------------------------------------------------------


@dataclass
class World:
    slug: dict[str, str] = field(default_factory=dict)
    conversation: dict[str, int] = field(default_factory=dict)
    action: dict[str, int] = field(default_factory=dict)
    #: A member of each region who is none of the actors (for the membership pages).
    target_user: dict[str, int] = field(default_factory=dict)
    membership: dict[str, int] = field(default_factory=dict)
    #: The key of each region's indicator, and the id of its link to the action point.
    indicator_key: dict[str, str] = field(default_factory=dict)
    action_link: dict[str, int] = field(default_factory=dict)
    #: Imports waiting for their confirmation: in the own region one per actor (an upload is
    #: found only by the user who made it), in the other region one of its coordinator.
    upload: dict[str, dict[str, str]] = field(default_factory=dict)
    #: An open workshop on each region's conversation, and its join code.
    workshop: dict[str, int] = field(default_factory=dict)
    workshop_code: dict[str, str] = field(default_factory=dict)
    #: A role each region offered to an account that has none of its roles yet.
    offer: dict[str, int] = field(default_factory=dict)
    actors: dict[str, User] = field(default_factory=dict)
    snapshot: tuple = ()


def _conversation(title: str, region, action: str) -> tuple[int, int]:
    from app.actions.operations import ActionData, add_action
    from app.conversations.models import OrganisationType
    from app.conversations.operations import (
        ConversationDetails,
        ParticipantData,
        select_questions,
        start_conversation,
    )

    participant = ParticipantData(
        "Anna de Vries", "Gemeente", OrganisationType.MUNICIPALITY, "Wethouder"
    )
    conversation = start_conversation(
        ConversationDetails(title, region, date(2026, 10, 8), "verkennen"), [participant]
    ).conversation
    select_questions(conversation, [QUESTION, "verkennen-populatie"])
    action_point = add_action(conversation, ActionData(description=action)).action
    db.session.flush()
    return conversation.id, action_point.id


def _figures(region, csv_text: str, action_id: int) -> tuple[str, int]:
    """Import the region's figures, link its indicator to ``QUESTION`` and to the action
    point; (the indicator's key, the link's id)."""
    from app.indicators.importer import read_indicator_file
    from app.indicators.operations import ActionLinkData, link_action, link_question, store_plan

    plan = read_indicator_file(csv_text.encode(), "cijfers.csv")
    indicator = store_plan(region, plan).indicators[0].indicator
    link_question(indicator, QUESTION)
    action_point = db.session.get(ActionPoint, action_id)
    link = link_action(
        action_point,
        ActionLinkData(indicator.id, "", None, None, 200.0, "2026", "Het verhaal"),
        None,
    )
    return indicator.key, link.id


def _upload(region, user: User) -> str:
    from app.indicators.importer import ImportOptions
    from app.indicators.operations import keep_upload

    return keep_upload(
        region, user.id, "nieuwe-cijfers.csv", UPLOADED.encode(), ImportOptions()
    ).token


def _workshop(conversation_id: int) -> tuple[int, str]:
    """An open workshop with its first question open, a participant and a contribution."""
    from app.workshops import operations as workshops
    from app.workshops.models import ContributionKind

    conversation = db.session.get(Conversation, conversation_id)
    workshop = workshops.open_workshop(conversation, None, workshops.WorkshopSettings())
    workshops.open_questions(workshop, [QUESTION])
    participant, _token = workshops.join(workshop)
    workshops.contribute(
        workshop, participant, QUESTION, ContributionKind.IDEA, f"Idee bij {conversation.title}"
    )
    db.session.flush()
    return workshop.id, workshop.join_code


def build_world() -> World:
    from app.regions.operations import ensure_region

    world = World()
    region_a = ensure_region("Twente", ["Almelo", "Enschede"])
    region_b = ensure_region("Achterhoek", ["Winterswijk"])
    db.session.flush()
    world.slug = {OWN: region_a.slug, OTHER: region_b.slug}
    world.conversation[OWN], world.action[OWN] = _conversation(
        "Gewoon overleg Twente", region_a, "Gewone actie Twente"
    )
    world.conversation[OTHER], world.action[OTHER] = _conversation(
        "Geheim overleg Achterhoek", region_b, "Geheime actie Achterhoek"
    )
    db.session.commit()

    world.actors["admin"] = make_user("beheer@handvat.test", "Bea Beheer", admin=True)
    for actor, role in ROLE_OF_ACTOR.items():
        world.actors[actor] = make_user(
            f"{actor}@twente.test", actor.title(), region=region_a, role=role
        )
    # Each region keeps a coordinator who is not an actor, and a plain member to point at.
    coordinator_b = make_user(
        "coord-b@achterhoek.test", "Bram Coördinator", region=region_b, role=Role.COORDINATOR
    )
    for target, region, email, name in (
        (OWN, region_a, "lid-a@twente.test", "Anouk van A"),
        (OTHER, region_b, "lid-b@achterhoek.test", "Berend van B"),
    ):
        user = make_user(email, name, region=region, role=Role.MEMBER)
        world.target_user[target] = user.id
        world.membership[target] = user.memberships[0].id
    for target, region in ((OWN, region_a), (OTHER, region_b)):
        world.indicator_key[target], world.action_link[target] = _figures(
            region, FIGURES[target], world.action[target]
        )
    world.upload[OWN] = {actor: _upload(region_a, user) for actor, user in world.actors.items()}
    world.upload[OWN]["anonymous"] = world.upload[OWN]["coordinator"]
    world.upload[OTHER] = dict.fromkeys(ACTORS, _upload(region_b, coordinator_b))
    for target in (OWN, OTHER):
        world.workshop[target], world.workshop_code[target] = _workshop(world.conversation[target])
    guest = make_user("gast@elders.test", "Gijs Gast")
    for target, region, inviter in (
        (OWN, region_a, world.actors["coordinator"]),
        (OTHER, region_b, coordinator_b),
    ):
        offer = RegionInvitation(
            user=guest,
            region=region,
            role=Role.MEMBER,
            invited_by_id=inviter.id,
            invited_by_name=inviter.name,
        )
        db.session.add(offer)
        db.session.flush()
        world.offer[target] = offer.id
    db.session.commit()
    world.snapshot = world_snapshot()
    return world


def world_snapshot() -> tuple:
    """Everything a request with empty data could have changed that the matrix relies on."""
    db.session.expire_all()
    return (
        tuple(db.session.execute(select(Conversation.id, Conversation.region_id)).all()),
        tuple(db.session.execute(select(ActionPoint.id, ActionPoint.conversation_id)).all()),
        tuple(
            db.session.execute(
                select(SelectedQuestion.conversation_id, SelectedQuestion.question_id).order_by(
                    SelectedQuestion.conversation_id, SelectedQuestion.question_id
                )
            ).all()
        ),
        tuple(
            db.session.execute(
                select(
                    Membership.id, Membership.user_id, Membership.region_id, Membership.role
                ).order_by(Membership.id)
            ).all()
        ),
        tuple(db.session.execute(select(User.id, User.is_admin).order_by(User.id)).all()),
        tuple(
            db.session.execute(
                select(
                    Municipality.id,
                    Municipality.region_id,
                    Municipality.cbs_code,
                    Municipality.hosts_institution,
                ).order_by(Municipality.id)
            ).all()
        ),
        tuple(
            db.session.execute(
                select(
                    Indicator.id, Indicator.region_id, Indicator.key, Indicator.revision
                ).order_by(Indicator.id)
            ).all()
        ),
        tuple(
            db.session.execute(
                select(Observation.id, Observation.value).order_by(Observation.id)
            ).all()
        ),
        tuple(
            db.session.execute(
                select(
                    QuestionIndicatorLink.indicator_id, QuestionIndicatorLink.question_id
                ).order_by(QuestionIndicatorLink.id)
            ).all()
        ),
        tuple(
            db.session.execute(
                select(
                    ActionIndicatorLink.id,
                    ActionIndicatorLink.action_point_id,
                    ActionIndicatorLink.indicator_id,
                    ActionIndicatorLink.baseline_value,
                    ActionIndicatorLink.baseline_period,
                    ActionIndicatorLink.target_value,
                    ActionIndicatorLink.target_period,
                    ActionIndicatorLink.story,
                ).order_by(ActionIndicatorLink.id)
            ).all()
        ),
        tuple(
            db.session.execute(
                select(IndicatorUpload.id, IndicatorUpload.token).order_by(IndicatorUpload.id)
            ).all()
        ),
        tuple(
            db.session.execute(
                select(
                    Workshop.id,
                    Workshop.closed_dt,
                    Workshop.joining_open,
                    Workshop.participant_count,
                    Workshop.participant_cap,
                ).order_by(Workshop.id)
            ).all()
        ),
        tuple(
            db.session.execute(
                select(Contribution.id, Contribution.hidden, Contribution.merged_into_id)
            ).all()
        ),
        tuple(
            db.session.execute(
                select(
                    RegionInvitation.id, RegionInvitation.region_id, RegionInvitation.role
                ).order_by(RegionInvitation.id)
            ).all()
        ),
    )


def reset_database() -> None:
    db.session.rollback()
    _empty_all_tables()
    forget_parsed_snapshots()
    forget_cached_pages()


@pytest.fixture(scope="module")
def matrix(database_url, tmp_path_factory) -> Iterator[tuple]:
    app = create_app(
        {
            **BASE_TEST_CONFIG,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "EXPORT_CACHE_FOLDER": str(tmp_path_factory.mktemp("matrix-export-cache")),
        }
    )
    with app.app_context():
        reset_database()
        holder = {"world": build_world()}
        yield app, holder
        db.session.remove()
        reset_database()
        db.engine.dispose()


def current_world(holder: dict) -> World:
    """The world, built again if a request changed it."""
    world = holder["world"]
    if world_snapshot() != world.snapshot:
        reset_database()
        world = holder["world"] = build_world()
    return world


# --- the cases ----------------------------------------------------------------------------------


def url_values(rule, world: World, target: str, actor: str = "coordinator") -> dict:
    values = {}
    for argument in sorted(rule.arguments):
        if argument == "conversation_id":
            values[argument] = world.conversation[target]
        elif argument == "action_id":
            values[argument] = world.action[target]
        elif argument == "question_id":
            values[argument] = QUESTION
        elif argument == "slug":
            values[argument] = world.slug[target]
        elif argument == "token" and rule.endpoint.startswith("indicators."):
            values[argument] = world.upload[target][actor]
        elif argument == "token":
            values[argument] = "geen-echte-link-" + "x" * 27
        elif argument == "key":
            values[argument] = world.indicator_key[target]
        elif argument == "link_id":
            values[argument] = world.action_link[target]
        elif argument == "membership_id":
            values[argument] = world.membership[target]
        elif argument == "invitation_id":
            values[argument] = world.offer[target]
        elif argument == "user_id":
            values[argument] = world.target_user[target]
        elif argument == "workshop_id":
            values[argument] = world.workshop[target]
        elif argument == "code":
            values[argument] = world.workshop_code[target]
        elif argument == "contribution_id":
            # The contribution of the workshop in the same URL.
            values[argument] = db.session.scalar(
                select(Contribution.id).where(Contribution.workshop_id == world.workshop[target])
            )
        else:
            pytest.fail(
                f"The matrix cannot fill <{argument}> of {rule.rule} ({rule.endpoint}). Teach "
                "url_values() in tests/test_authorization_matrix.py what object it names, in "
                "the user's own region and in the other region."
            )
    return values


def client_for(app, world: World, actor: str):
    client = app.test_client()
    if actor != "anonymous":
        key = new_session_key(world.actors[actor])
        with client.session_transaction() as session:
            session["_user_id"] = key
            session["_fresh"] = True
    return client


def actor_allows(actor: str, permission: Permission) -> bool:
    role = ROLE_OF_ACTOR.get(actor)
    return role is not None and permission in _permissions(role)


def _permissions(role: Role) -> frozenset[Permission]:
    from app.accounts.roles import ROLE_PERMISSIONS

    return ROLE_PERMISSIONS[role]


OK_GET_REFUSED = {401, 403, 404, 405, 500}
OK_POST = {200, 302, 303, 400, 409, 422}


def is_real_answer(method: str, status: int) -> bool:
    if method == "POST":
        return status in OK_POST
    return status not in OK_GET_REFUSED and status < 500


def expectation(requirement, method: str, actor: str, target: str, scoped: bool):
    """(what is expected in words, a check of the response)."""
    if requirement == PUBLIC:
        return (
            "open to everyone",
            lambda r: (
                r.status_code < 500
                and r.status_code
                not in (
                    401,
                    403,
                )
            ),
        )
    if actor == "anonymous":
        if method == "GET":
            return (
                "302 to /inloggen",
                lambda r: r.status_code == 302 and urlsplit(r.location).path == "/inloggen",
            )
        return "401", lambda r: r.status_code == 401
    if requirement == SIGNED_IN:
        return "a real answer", lambda r: is_real_answer(method, r.status_code)
    if requirement == ADMIN:
        if actor == "admin":
            return "a real answer", lambda r: is_real_answer(method, r.status_code)
        return "403", lambda r: r.status_code == 403
    assert isinstance(requirement, Permission), requirement
    if scoped and (target == OTHER or actor == "admin"):
        return "404", lambda r: r.status_code == 404
    if not actor_allows(actor, requirement):
        return "403", lambda r: r.status_code == 403
    return "a real answer", lambda r: is_real_answer(method, r.status_code)


def requirement_of(endpoint: str, method: str):
    """What ``method`` on ``endpoint`` needs."""
    required = REQUIRED[endpoint]
    return required[method] if isinstance(required, dict) else required


def methods_of(rule) -> list[str]:
    return sorted(rule.methods - {"HEAD", "OPTIONS"})


def cases(rule):
    """(method, what it needs, actor, target, scoped) of every request the matrix makes."""
    for method in methods_of(rule):
        requirement = requirement_of(rule.endpoint, method)
        scoped = isinstance(requirement, Permission) and bool(
            set(rule.arguments) & REGION_ARGUMENTS
        )
        targets = (OWN, OTHER) if scoped else (OWN,)
        for actor in ACTORS:
            for target in targets:
                yield method, requirement, actor, target, scoped


# --- the tests ----------------------------------------------------------------------------------


def test_every_route_is_in_the_table(matrix):
    app, _holder = matrix
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()} - NOT_IN_MATRIX
    missing = sorted(endpoints - REQUIRED.keys())
    assert not missing, (
        f"Routes missing from REQUIRED in tests/test_authorization_matrix.py: {missing}. "
        "Add each with the permission its view checks (a Permission, PUBLIC, SIGNED_IN or "
        "ADMIN): a new route cannot escape the authorisation matrix."
    )
    stale = sorted(REQUIRED.keys() - endpoints)
    assert not stale, f"REQUIRED names endpoints that no longer exist: {stale}"
    for rule in app.url_map.iter_rules():
        required = REQUIRED.get(rule.endpoint)
        if isinstance(required, dict):
            assert set(required) == set(methods_of(rule)), (
                f"REQUIRED[{rule.endpoint!r}] names {sorted(required)}, the route takes "
                f"{methods_of(rule)}: name what each method needs"
            )


@pytest.mark.parametrize(("endpoint", "path"), ROUTES, ids=[f"{e} {r}" for e, r in ROUTES])
def test_matrix(matrix, endpoint, path):
    app, holder = matrix
    assert endpoint in REQUIRED, (
        f"{endpoint} ({path}) is not in REQUIRED in tests/test_authorization_matrix.py: add it "
        "with the permission its view checks, so it cannot escape the matrix."
    )
    rules = [r for r in app.url_map.iter_rules() if r.endpoint == endpoint and r.rule == path]
    assert rules, f"{endpoint} {path} is gone from the URL map"
    rule = rules[0]
    wrong = []
    tried = 0
    for method, requirement, actor, target, scoped in cases(rule):
        world = current_world(holder)
        with app.test_request_context():
            from flask import url_for

            url = url_for(endpoint, **url_values(rule, world, target, actor))
        client = client_for(app, world, actor)
        response = client.open(url, method=method, data={} if method == "POST" else None)
        tried += 1
        expected, check = expectation(requirement, method, actor, target, scoped)
        if not check(response):
            where = f" ({target} region)" if scoped else ""
            wrong.append(
                f"{method} {url} as {actor}{where}: {response.status_code}"
                f"{' -> ' + response.location if response.location else ''}, expected {expected}"
            )
        response.close()
    assert tried
    assert not wrong, f"{endpoint} needs {REQUIRED[endpoint]}:\n" + "\n".join(wrong)


#: URL arguments that name an object inside a region: given another region's, with the user's
#: own region (or conversation and action point) around it.
OBJECT_ARGUMENTS = ("key", "link_id", "token")


def _mixed_cases(app):
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.endpoint, r.rule)):
        if not rule.endpoint.startswith(("indicators.", "action_indicators.")):
            continue
        for argument in OBJECT_ARGUMENTS:
            if argument in rule.arguments:
                for method in methods_of(rule):
                    yield rule, argument, method


def test_another_regions_indicator_link_or_import_is_not_found(matrix):
    """The region in the URL is the user's own; the indicator, the link or the import is
    another region's: an indicator or a link is a 404, an import is not found (sent back to
    the overview), and nothing of the other region changes."""
    app, holder = matrix
    tried = set()
    wrong = []
    for rule, argument, method in _mixed_cases(app):
        for actor in ("coordinator", "facilitator", "project-leader"):
            world = current_world(holder)
            values = url_values(rule, world, OWN, actor)
            values[argument] = url_values(rule, world, OTHER, actor)[argument]
            with app.test_request_context():
                from flask import url_for

                url = url_for(rule.endpoint, **values)
            response = client_for(app, world, actor).open(
                url, method=method, data={} if method == "POST" else None
            )
            tried.add((rule.endpoint, argument))
            if argument == "token":
                overview = f"/regio/{world.slug[OWN]}/indicatoren"
                ok = response.status_code == 302 and urlsplit(response.location).path == overview
            else:
                ok = response.status_code == 404
            if not ok:
                wrong.append(f"{method} {url} as {actor}: {response.status_code}")
            response.close()
            other_rows = world_snapshot()
            assert other_rows == world.snapshot, f"{method} {url} as {actor} changed the world"
    assert {
        ("indicators.show", "key"),
        ("indicators.edit", "key"),
        ("indicators.delete", "key"),
        ("indicators.link_question", "key"),
        ("indicators.unlink_question", "key"),
        ("indicators.preview", "token"),
        ("indicators.confirm", "token"),
        ("indicators.cancel", "token"),
        ("action_indicators.edit", "link_id"),
        ("action_indicators.unlink", "link_id"),
    } <= tried
    assert not wrong, "another region's object was found:\n" + "\n".join(wrong)


def test_the_world_has_every_object_the_urls_name(matrix):
    """The real answers above are answers about real objects: every URL the matrix fills in
    for the own region opens for each actor allowed to manage indicators (each with an import
    of their own waiting), and the preview shows that import."""
    app, holder = matrix
    world = current_world(holder)
    opened = set()
    for actor in ("coordinator", "facilitator", "project-leader"):
        client = client_for(app, world, actor)
        for rule in app.url_map.iter_rules():
            if "GET" not in rule.methods or not set(rule.arguments) & set(OBJECT_ARGUMENTS):
                continue
            if not rule.endpoint.startswith(("indicators.", "action_indicators.")):
                continue
            with app.test_request_context():
                from flask import url_for

                url = url_for(rule.endpoint, **url_values(rule, world, OWN, actor))
            response = client.get(url)
            assert response.status_code == 200, f"{url} as {actor}"
            if rule.endpoint == "indicators.preview":
                assert "nieuwe-cijfers.csv" in response.get_data(as_text=True)
            opened.add(rule.endpoint)
            response.close()
    assert {
        "indicators.show",
        "indicators.edit",
        "indicators.delete",
        "indicators.preview",
        "action_indicators.edit",
    } <= opened


def page_paths(world: World) -> list[str]:
    own_conversation = world.conversation[OWN]
    return [
        "/",
        f"/regio/{world.slug[OWN]}",
        f"/regio/{world.slug[OWN]}/geschiedenis",
        f"/regio/{world.slug[OWN]}/leden",
        f"/regio/{world.slug[OWN]}/gegevens",
        "/gesprekken/nieuw",
        f"/gesprekken/{own_conversation}",
        f"/gesprekken/{own_conversation}/acties",
        f"/gesprekken/{own_conversation}/geschiedenis",
        f"/gesprekken/{own_conversation}/actielijst",
        f"/gesprekken/{own_conversation}/bewerken",
        f"/gesprekken/{own_conversation}/vragen/{QUESTION}",
        f"/gesprekken/{own_conversation}/acties/{world.action[OWN]}/indicatoren",
        f"/gesprekken/{own_conversation}/acties/{world.action[OWN]}/indicatoren/"
        f"{world.action_link[OWN]}",
        f"/regio/{world.slug[OWN]}/indicatoren",
        f"/regio/{world.slug[OWN]}/indicatoren/{world.indicator_key[OWN]}",
        f"/regio/{world.slug[OWN]}/indicatoren/{world.indicator_key[OWN]}/bewerken",
        f"/regio/{world.slug[OWN]}/indicatoren/importeren",
        f"/regio/{world.slug[OWN]}/gemeenten",
        "/account",
        f"/workshops/{world.workshop[OWN]}",
        f"/workshops/{world.workshop[OWN]}/projectie",
        f"/workshops/{world.workshop[OWN]}/resultaten",
        f"/workshops/{world.workshop[OWN]}/invoer.csv",
        f"/w/{world.workshop_code[OWN]}",
    ]


@pytest.mark.parametrize("actor", [a for a in ACTORS if a != "anonymous"])
def test_pages_of_region_a_never_show_region_b(matrix, actor):
    app, holder = matrix
    world = current_world(holder)
    client = client_for(app, world, actor)
    shown = 0
    for path in page_paths(world):
        response = client.get(path)
        assert response.status_code < 500, path
        if response.status_code != 200:
            continue
        shown += 1
        for secret in SECRETS_OF_B:
            assert secret not in response.text, f"{path} shows {secret!r} to {actor}"
    assert shown >= 2
    home = client.get("/").text
    if actor == "admin":
        assert "Gewoon overleg Twente" not in home
    else:
        assert "Gewoon overleg Twente" in home


def test_the_action_list_of_region_a_has_only_its_own_rows(matrix):
    from io import BytesIO

    from openpyxl import load_workbook

    app, holder = matrix
    world = current_world(holder)
    client = client_for(app, world, "member")
    response = client.get(f"/gesprekken/{world.conversation[OWN]}/actielijst.xlsx")
    assert response.status_code == 200
    book = load_workbook(BytesIO(response.data))
    cells = " ".join(
        str(cell.value) for sheet in book for row in sheet.iter_rows() for cell in row if cell.value
    )
    assert "Gewone actie Twente" in cells
    assert not any(secret in cells for secret in SECRETS_OF_B)
