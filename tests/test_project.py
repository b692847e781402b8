"""Checks on the project itself: CI runs the README's command, migrations match the models."""

from __future__ import annotations

import re
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app.extensions import db

ROOT = Path(__file__).resolve().parent.parent


def _fenced_commands(text: str) -> list[str]:
    return [
        line.strip()
        for block in re.findall(r"```sh\n(.*?)```", text, re.S)
        for line in block.splitlines()
        if line.strip()
    ]


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    test_commands = [c for c in _fenced_commands(readme) if "pytest" in c]
    assert len(test_commands) == 1
    ci_lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert test_commands[0] in ci_lines


def test_migrations_match_the_models(app):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"render_as_batch": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_demo_command_is_idempotent(runner):
    from app.actions.models import ActionPoint
    from app.conversations.models import Answer, Conversation

    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    assert "Twente" in first.output
    counts = [
        db.session.scalar(db.select(db.func.count()).select_from(m))
        for m in (Conversation, Answer, ActionPoint)
    ]
    # This year's round and last year's, which it follows.
    assert counts[0] == 2 and counts[1] >= 3 and 6 <= counts[2] <= 12
    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0, second.output
    assert counts == [
        db.session.scalar(db.select(db.func.count()).select_from(m))
        for m in (Conversation, Answer, ActionPoint)
    ]


def test_region_command(runner):
    from app.regions.models import Region

    result = runner.invoke(args=["region", "add", "Fryslân", "-m", "Leeuwarden", "-m", "Sneek"])
    assert result.exit_code == 0, result.output
    region = db.session.scalars(db.select(Region).where(Region.name == "Fryslân")).one()
    assert region.slug == "fryslan"
    assert [m.name for m in region.municipalities] == ["Leeuwarden", "Sneek"]


def test_embedded_database_is_brought_up_to_date_at_start(tmp_path):
    from sqlalchemy import inspect

    from app import create_app

    url = f"sqlite:///{tmp_path / 'fresh.sqlite'}"
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x", "AUTO_UPGRADE_EMBEDDED_DB": True}
    )
    with app.app_context():
        tables = set(inspect(db.engine).get_table_names())
        db.engine.dispose()
    assert {"conversation", "answer", "action_point", "alembic_version"} <= tables


def test_region_command_cleans_and_checks_names(runner):
    from app.regions.models import Region

    result = runner.invoke(args=["region", "add", "Regio\x00 West\nBrabant", "-m", "Breda\t"])
    assert result.exit_code == 0, result.output
    region = db.session.scalars(db.select(Region).where(Region.name == "Regio West Brabant")).one()
    assert [m.name for m in region.municipalities] == ["Breda"]
    result = runner.invoke(args=["region", "add", "x" * 121])
    assert result.exit_code != 0 and "De naam van de regio is te lang: 121 tekens" in result.output
    result = runner.invoke(args=["region", "add", "\x07 "])
    assert result.exit_code != 0 and "De naam van de regio is leeg." in result.output
