"""``flask --app app demo``: load region Twente and a partly filled demo conversation."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import func, inspect, select
from sqlalchemy.exc import OperationalError

from ..accounts.models import User
from ..accounts.operations import ensure_user, set_password, set_role
from ..accounts.roles import Role
from ..actions.models import ActionPoint
from ..actions.operations import add_action
from ..conversations.models import Answer, Conversation
from ..conversations.operations import (
    ConversationDetails,
    save_answer,
    select_questions,
    start_conversation,
)
from ..conversations.queries import answers_by_question, chosen_question_ids
from ..core.database import upgrade_to_head
from ..extensions import db
from ..indicators.models import Indicator
from ..regions.operations import ensure_region
from .content import CONVERSATION, REGION_NAME, TWENTE_MUNICIPALITIES
from .figures import link_demo_actions, load_demo_figures
from .rounds import link_rounds, load_previous_round, load_project_leader_work
from .workshop import load_demo_workshop

LOCAL_URL = "http://127.0.0.1:5000/gesprekken/{id}"


def find_demo_conversation() -> Conversation | None:
    return db.session.scalar(
        select(Conversation).where(Conversation.creation_token == CONVERSATION.creation_token)
    )


def load_demo() -> Conversation:
    """Load region Twente and the demo conversation; safe to run again.

    A second run adds nothing twice: the conversation and its actions are found by their fixed
    creation tokens, and answers already present (also ones changed by hand) are left alone.
    The question selection is only set when the conversation is new. Flushes, never commits.
    """
    region = ensure_region(REGION_NAME, TWENTE_MUNICIPALITIES)
    demo = CONVERSATION
    conversation = find_demo_conversation()
    if conversation is None:
        details = ConversationDetails(
            title=demo.title,
            region=region,
            held_on=demo.held_on,
            current_phase_id=demo.current_phase_id,
        )
        conversation = start_conversation(
            details, demo.participants, creation_token=demo.creation_token
        ).conversation
        select_questions(conversation, demo.question_ids)
    # Answers already stored, also ones changed by hand since, are left as they are.
    present = set(
        db.session.scalars(
            select(Answer.question_id).where(Answer.conversation_id == conversation.id)
        )
    )
    for answer in demo.answers:
        if answer.question_id not in present:
            save_answer(
                conversation,
                answer.question_id,
                answer.text,
                answer.assessment_id,
                based_on_revision=0,
            )
    # Actions already there, also ones changed since (progress, a trekker's account), stay.
    tokens = set(
        db.session.scalars(
            select(ActionPoint.creation_token).where(ActionPoint.conversation_id == conversation.id)
        )
    )
    for action in demo.actions:
        if action.creation_token not in tokens:
            add_action(conversation, action.data, creation_token=action.creation_token)
    link_rounds(load_previous_round(region), conversation)
    load_demo_figures(region)
    link_demo_actions(conversation)
    load_demo_workshop(conversation)
    db.session.flush()
    return conversation


#: (e-mail, name, role in the demo region; None: the installation's administrator)
PROJECT_LEADER_EMAIL = "projectleider@demo.test"
DEMO_ACCOUNTS = (
    ("coordinator@demo.test", "Carla Coördinator", Role.COORDINATOR),
    ("gespreksleider@demo.test", "Gert Gespreksleider", Role.FACILITATOR),
    (PROJECT_LEADER_EMAIL, "Petra Projectleider", Role.PROJECT_LEADER),
    ("lid@demo.test", "Lars Lid", Role.MEMBER),
    ("beheerder@demo.test", "Bea Beheerder", None),
)

_PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def demo_password() -> str:
    """A new random password per run (three groups of four), never one kept in the code."""
    import secrets

    return "-".join("".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(4)) for _ in range(3))


def load_demo_accounts(region) -> list[tuple[User, str]]:
    """The demo accounts, each with a new password (so the printed ones always work)."""
    accounts = []
    for email, name, role in DEMO_ACCOUNTS:
        user, _created = ensure_user(email, name, is_admin=role is None)
        if role is not None:
            set_role(user, region, role)
        password = demo_password()
        set_password(user, password)
        accounts.append((user, password))
    return accounts


def _database_ready() -> bool:
    """Bring the embedded SQLite database up to date; on PostgreSQL only check the tables."""
    app = current_app._get_current_object()
    if app.config["IS_EMBEDDED_DB"]:
        upgrade_to_head(app)
        return True
    try:
        existing = set(inspect(db.engine).get_table_names())
    except OperationalError as error:
        click.echo(f"Kan geen verbinding maken met de database: {error.orig}", err=True)
        return False
    missing = sorted(set(db.metadata.tables) - existing)
    if missing:
        click.echo(
            "De database is nog niet klaar (tabellen ontbreken: " + ", ".join(missing) + ").\n"
            "Voer eerst uit: flask --app app db upgrade",
            err=True,
        )
        return False
    return True


@click.command("demo")
@with_appcontext
def demo_command() -> None:
    """Laad de demo: regio Twente en een half ingevuld gesprek met actiepunten.

    U kunt de opdracht vaker uitvoeren: wat er al staat, wordt niet dubbel toegevoegd.
    """
    if not _database_ready():
        click.get_current_context().exit(1)
    existed = find_demo_conversation() is not None
    conversation = load_demo()
    accounts = load_demo_accounts(conversation.region)
    project_leader = next(user for user, _ in accounts if user.email == PROJECT_LEADER_EMAIL)
    load_project_leader_work(conversation, project_leader)
    db.session.commit()

    region = conversation.region
    answered = sum(1 for a in answers_by_question(conversation).values() if a.is_answered)
    actions = db.session.scalar(
        select(func.count())
        .select_from(ActionPoint)
        .where(ActionPoint.conversation_id == conversation.id)
    )
    if existed:
        click.echo("De demo stond al in de database. Er is niets dubbel toegevoegd.")
    else:
        click.echo("De demo is geladen.")
    click.echo(f"Regio {region.name}: {len(region.municipalities)} gemeenten.")
    click.echo(
        f"Gesprek '{conversation.title}' ({conversation.held_on:%d-%m-%Y}, "
        f"fase {conversation.current_phase_name}): "
        f"{len(conversation.participants)} deelnemers, "
        f"{len(chosen_question_ids(conversation))} gekozen vragen, "
        f"{answered} beantwoord, {actions} actiepunten."
    )
    indicators = db.session.scalar(
        select(func.count()).select_from(Indicator).where(Indicator.region_id == region.id)
    )
    click.echo(f"Cijfers: {indicators} indicatoren, ingelezen uit app/demo/indicators/.")
    click.echo("Demo-accounts (de wachtwoorden zijn nieuw bij elke keer dat u dit uitvoert):")
    for user, password in accounts:
        roles = [m.role.label.lower() for m in user.memberships] or ["beheerder"]
        click.echo(f"  e-mail: {user.email} wachtwoord: {password}  ({', '.join(roles)})")
    click.echo("Start de app met: flask --app app run")
    click.echo(f"Open daarna: {LOCAL_URL.format(id=conversation.id)}")
