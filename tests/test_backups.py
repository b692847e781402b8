"""``flask backup`` and ``flask restore``, on SQLite and PostgreSQL.

The source is the test's own database (the ``app`` fixture); every restore goes into a database
made for the test, of the same kind, compared table by table with the source.
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
import threading
import time
import uuid
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_migrate import upgrade

from app import create_app
from app.actions.models import ActionPoint, ActionUpdate
from app.backups import operations
from app.backups.operations import BackupError, make_backup, read_backup_manifest, restore_backup
from app.core.schema import code_heads
from app.extensions import db
from app.regions.operations import ensure_region

from .conftest import BASE_TEST_CONFIG, create_postgres_database, drop_postgres_database

# --- helpers ---------------------------------------------------------------------------------


@contextmanager
def using(other: Flask):
    """Work in ``other``'s database (inside the test's own app context), then let it go."""
    with other.app_context():
        try:
            yield other
        finally:
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def new_database(app, tmp_path):
    """Make an app on a new database of the same kind as the test's: empty, or migrated."""
    created = []

    def make(revision: str | None = None) -> Flask:
        name = f"handvat_test_{uuid.uuid4().hex[:12]}"
        if app.config["IS_EMBEDDED_DB"]:
            url = f"sqlite:///{tmp_path / name}.sqlite"
        else:
            url = create_postgres_database(name)
            created.append(name)
        other = create_app({**BASE_TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": url})
        if revision:
            with using(other):
                upgrade(revision=revision)
        return other

    yield make
    for name in created:
        drop_postgres_database(name)


def all_rows() -> dict[str, list[tuple]]:
    """Every row of every table of the models, plus Alembic's, in primary-key order."""
    rows = {}
    for table in db.metadata.sorted_tables:
        query = sa.select(table).order_by(*table.primary_key.columns)
        rows[table.name] = [tuple(row) for row in db.session.execute(query)]
    rows["alembic_version"] = db.session.execute(sa.text("SELECT * FROM alembic_version")).all()
    return rows


def table_names() -> list[str]:
    return sorted(sa.inspect(db.engine).get_table_names())


def add_content(make_conversation, make_action) -> None:
    conversation = make_conversation()
    make_action(conversation, "Bestuurlijk overleg plannen")
    make_action(conversation, "Zorgaanbieders uitnodigen, met ‘aanhalingstekens’ en é")
    make_conversation("Tweede gesprek", region=conversation.region)


def rewrite(source: Path, target: Path, manifest_changes: dict, dump: bytes | None = None) -> Path:
    """A copy of the backup ``source`` with other values in its manifest, or another dump
    (with the digest in the manifest to match)."""
    with tarfile.open(source) as tar_in, tarfile.open(target, "w") as tar_out:
        members = [(member, tar_in.extractfile(member).read()) for member in tar_in]
        document = json.loads(members[0][1])
        for key, value in manifest_changes.items():
            if key == "dump_name":
                document["dump"]["name"] = value
            else:
                document[key] = value
        if dump is not None:
            document["dump"].update(size=len(dump), sha256=hashlib.sha256(dump).hexdigest())
            members[1] = (members[1][0], dump)
        members[0] = (members[0][0], json.dumps(document).encode())
        for member, data in members:
            member.size = len(data)
            tar_out.addfile(member, io.BytesIO(data))
    return target


def other_kind(app: Flask) -> str:
    return "postgresql" if app.config["IS_EMBEDDED_DB"] else "sqlite"


def wait_until(condition, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


# --- round trips -----------------------------------------------------------------------------


def test_backup_and_restore_give_the_same_tables(
    app, tmp_path, make_conversation, make_action, new_database
):
    add_content(make_conversation, make_action)
    expected = all_rows()
    names = table_names()
    path = tmp_path / "handvat.tar"

    result = make_backup(path)

    assert path.stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "export-cache") == [path.name]
    manifest = read_backup_manifest(path)
    assert manifest == result.manifest
    kind = "sqlite" if app.config["IS_EMBEDDED_DB"] else "postgresql"
    assert manifest.database == kind
    assert frozenset(manifest.schema_revisions) == code_heads()
    assert datetime.fromisoformat(manifest.created_at).tzinfo == UTC
    assert manifest.tables == {name: len(rows) for name, rows in expected.items()}
    with tarfile.open(path) as tar:
        assert tar.getnames() == ["manifest.json", operations.DUMP_NAMES[kind]]

    with using(new_database()):
        restored = restore_backup(path)
        assert (restored.needs_upgrade, restored.replaced) == (False, False)
        assert restored.tables == manifest.tables
        assert table_names() == names
        assert all_rows() == expected
        # Ids continue after the restored ones (PostgreSQL's sequences, SQLite's AUTOINCREMENT).
        region = ensure_region("Nieuwe regio", [])
        db.session.commit()
        assert region.id > max(row[0] for row in expected["region"])


def test_backup_while_another_connection_writes_is_one_snapshot(
    app, tmp_path, make_conversation, make_action, new_database
):
    """A writer adds progress updates in pairs, each pair with the action's description in one
    transaction; the restored copy holds whole pairs only, up to the description it holds."""
    action = make_action(make_conversation())
    engine = db.engine
    updates, points = ActionUpdate.__table__, ActionPoint.__table__
    committed: list[int] = []
    stop = threading.Event()

    def write_pairs() -> None:
        with engine.connect() as connection:
            pair = 0
            while not stop.is_set():
                pair += 1
                with connection.begin():
                    connection.execute(
                        updates.insert(),
                        [
                            {
                                "action_id": action.id,
                                "region_id": action.region_id,
                                "written_on": date(2026, 11, 24),
                                "text": f"{pair}-{half}",
                            }
                            for half in "ab"
                        ],
                    )
                    connection.execute(
                        points.update()
                        .where(points.c.id == action.id)
                        .values(
                            description=f"paar {pair}",
                            updated_dt=WRITER_START + timedelta(seconds=pair),
                        )
                    )
                committed.append(pair)

    writer = threading.Thread(target=write_pairs)
    writer.start()
    try:
        wait_until(lambda: len(committed) >= 5)
        before = len(committed)
        path = tmp_path / "tijdens-schrijven.tar"
        manifest = make_backup(path).manifest
        during = len(committed)
        wait_until(lambda: len(committed) >= during + 5)  # and it kept on writing
    finally:
        stop.set()
        writer.join()
    source = all_rows()

    with using(new_database()):
        restore_backup(path)
        restored = all_rows()
        restored_action = db.session.get(ActionPoint, action.id)
        pairs = int(restored_action.description.removeprefix("paar "))
        texts = db.session.scalars(sa.select(ActionUpdate.text)).all()

    assert before <= pairs <= during + 1
    assert sorted(texts) == sorted(
        f"{pair}-{half}" for pair in range(1, pairs + 1) for half in "ab"
    )
    assert manifest.tables == {name: len(rows) for name, rows in restored.items()}
    assert set(restored["action_update"]) <= set(source["action_update"])
    # The action as it was after pair ``pairs``, and every other row as it is in the source.
    assert naive_utc(restored_action.updated_dt) == naive_utc(WRITER_START) + timedelta(
        seconds=pairs
    )
    changing = [points.c.keys().index(name) for name in ("description", "updated_dt")]
    for name, rows in restored.items():
        if name == "action_update":
            continue
        if name == "action_point":
            assert [masked(row, changing) for row in rows] == [
                masked(row, changing) for row in source[name]
            ]
        else:
            assert rows == source[name], name


WRITER_START = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def masked(row: tuple, positions: list[int]) -> tuple:
    return tuple("-" if index in positions else value for index, value in enumerate(row))


def naive_utc(moment: datetime) -> datetime:
    """SQLite gives back naive UTC datetimes, PostgreSQL aware ones."""
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def test_older_revision_is_restored_and_the_operator_told_to_upgrade(app, tmp_path, new_database):
    old = new_database(revision="0007")
    path = tmp_path / "oud.tar"
    with using(old):
        db.session.execute(
            sa.text(
                "INSERT INTO region (id, name, slug, created_dt, updated_dt) "
                "VALUES (7, 'Twente', 'twente', :now, :now)"
            ),
            {"now": datetime(2026, 11, 24, 9, 30, tzinfo=UTC)},
        )
        db.session.commit()
        expected_regions = db.session.execute(sa.text("SELECT * FROM region")).all()
        make_backup(path)

    with using(new_database()) as empty:
        result = empty.test_cli_runner().invoke(args=["restore", str(path)])
        assert result.exit_code == 0, result.output
        assert "schemaversie 0007" in result.output
        assert "Breng de database bij met: flask --app app db upgrade" in result.output
        assert db.session.execute(sa.text("SELECT * FROM alembic_version")).all() == [("0007",)]
        db.session.rollback()  # the upgrade runs on its own connection, as an operator's would
        upgrade()
        assert db.session.execute(sa.text("SELECT * FROM alembic_version")).all() == [
            tuple(code_heads())
        ]

    # Over a database at the code's head that holds data: everything there goes, also the
    # tables the older backup does not have (and that point at tables it does have).
    with using(new_database(revision="head")):
        ensure_region("Regio die verdwijnt", ["Almelo"])
        db.session.commit()
        with pytest.raises(BackupError, match="bevat al gegevens"):
            restore_backup(path)
        result = restore_backup(path, replace=True)
        assert (result.replaced, result.needs_upgrade) == (True, True)
        assert "workshop" not in table_names()
        assert db.session.execute(sa.text("SELECT * FROM region")).all() == expected_regions
        assert db.session.execute(sa.text("SELECT * FROM alembic_version")).all() == [("0007",)]
        db.session.rollback()  # the upgrade runs on its own connection, as an operator's would
        upgrade()
        assert "workshop" in table_names()


def test_replace_swaps_the_whole_database(
    app, tmp_path, make_conversation, make_action, new_database
):
    add_content(make_conversation, make_action)
    expected = all_rows()
    path = tmp_path / "handvat.tar"
    make_backup(path)
    with using(new_database(revision="head")) as target:
        ensure_region("Andere regio", ["Zwolle", "Deventer"])
        db.session.commit()
        refused = target.test_cli_runner().invoke(args=["restore", str(path)])
        assert refused.exit_code == 1
        assert "De database bevat al gegevens" in refused.output
        assert "--replace" in refused.output
        assert db.session.scalar(sa.text("SELECT name FROM region")) == "Andere regio"

        result = target.test_cli_runner().invoke(args=["restore", "--replace", str(path)])
        assert result.exit_code == 0, result.output
        assert "Back-up teruggezet (wat er stond is vervangen)" in result.output
        assert all_rows() == expected


# --- refusals --------------------------------------------------------------------------------


@pytest.fixture
def backup_file(app, tmp_path, make_conversation, make_action) -> Path:
    add_content(make_conversation, make_action)
    path = tmp_path / "handvat.tar"
    make_backup(path)
    return path


def assert_refused(target: Flask, path: Path, message: str, replace: bool = False) -> None:
    """Refused through the function and the command, and the (empty) database left alone."""
    with using(target):
        with pytest.raises(BackupError, match=message):
            restore_backup(path, replace=replace)
        args = ["restore", *(["--replace"] if replace else []), str(path)]
        result = target.test_cli_runner().invoke(args=args)
        assert result.exit_code == 1
        assert message in result.output
        assert table_names() == []


def test_newer_revision_is_refused(app, backup_file, tmp_path, new_database):
    newer = rewrite(backup_file, tmp_path / "nieuwer.tar", {"schema_revisions": ["0099"]})
    assert_refused(new_database(), newer, "Werk eerst Handvat bij", replace=True)
    with using(new_database()), pytest.raises(BackupError) as refused:
        restore_backup(newer)
    assert "schemaversie 0099, die deze versie van Handvat niet kent" in str(refused.value)


def test_backup_of_the_other_kind_is_refused(app, backup_file, tmp_path, new_database):
    kind = other_kind(app)
    other = rewrite(
        backup_file,
        tmp_path / "ander-soort.tar",
        {"database": kind, "dump_name": operations.DUMP_NAMES[kind]},
    )
    assert_refused(new_database(), other, "README.md", replace=True)
    with (
        using(new_database()),
        pytest.raises(BackupError, match="Een back-up gaat alleen terug in hetzelfde soort"),
    ):
        restore_backup(other)


def test_the_refusal_says_what_database_url_is(
    app, backup_file, tmp_path, new_database, monkeypatch
):
    """A SQLite file named in DATABASE_URL is not "DATABASE_URL is niet gezet"."""
    kind = other_kind(app)
    other = rewrite(
        backup_file,
        tmp_path / "ander-soort.tar",
        {"database": kind, "dump_name": operations.DUMP_NAMES[kind]},
    )
    target = new_database()
    monkeypatch.setenv("DATABASE_URL", target.config["SQLALCHEMY_DATABASE_URI"])
    with using(target), pytest.raises(BackupError) as refused:
        restore_backup(other)
    assert "niet gezet" not in str(refused.value) and "DATABASE_URL" in str(refused.value)
    monkeypatch.delenv("DATABASE_URL")
    with using(target), pytest.raises(BackupError) as refused:
        restore_backup(other)
    if app.config["IS_EMBEDDED_DB"]:
        assert "(DATABASE_URL is niet gezet)" in str(refused.value)


def test_what_is_not_a_backup_or_is_damaged_is_refused(app, backup_file, tmp_path, new_database):
    target = new_database()
    text_file = tmp_path / "notities.txt"
    text_file.write_text("Dit is geen back-up.\n")
    assert_refused(target, text_file, "geen back-up van Handvat")
    assert_refused(target, tmp_path / "bestaat-niet.tar", "bestaat niet")

    other_tar = tmp_path / "iets-anders.tar"
    with tarfile.open(other_tar, "w") as tar:
        tar.add(text_file, arcname="notities.txt")
    assert_refused(target, other_tar, "geen back-up van Handvat")

    data = backup_file.read_bytes()
    cut_off = tmp_path / "afgebroken.tar"
    cut_off.write_bytes(data[: len(data) // 2])
    assert_refused(target, cut_off, "is beschadigd")

    flipped = bytearray(data)
    flipped[len(data) // 2] ^= 0xFF  # inside the dump (the manifest is the first member)
    changed = tmp_path / "veranderd.tar"
    changed.write_bytes(bytes(flipped))
    assert_refused(target, changed, "is beschadigd", replace=True)

    # Intact as a file, but not a database: SQLite's integrity check, pg_restore's reading.
    garbage = rewrite(backup_file, tmp_path / "onzin.tar", {}, dump=b"onzin" * 2000)
    expected = "SQLite meldt" if app.config["IS_EMBEDDED_DB"] else "pg_restore kan de dump"
    assert_refused(target, garbage, expected, replace=True)


def test_restore_into_a_database_with_data_is_refused_without_replace(app, backup_file, runner):
    before = all_rows()
    result = runner.invoke(args=["restore", str(backup_file)])
    assert result.exit_code == 1
    assert "De database bevat al gegevens" in result.output
    db.session.expire_all()
    assert all_rows() == before


# --- the backup command ----------------------------------------------------------------------


def test_backup_command_prints_a_summary_and_never_overwrites_by_accident(
    app, tmp_path, runner, make_conversation, make_action
):
    add_content(make_conversation, make_action)
    path = tmp_path / "handvat.tar"
    result = runner.invoke(args=["backup", str(path)])
    assert result.exit_code == 0, result.output
    kind = "SQLite" if app.config["IS_EMBEDDED_DB"] else "PostgreSQL"
    assert f"Back-up gemaakt: {path} (" in result.output
    assert f"Database: {kind}, schemaversie {', '.join(sorted(code_heads()))}" in result.output
    rows = read_backup_manifest(path).total_rows
    assert f"tabellen, {rows} rijen" in result.output

    first = path.read_bytes()
    again = runner.invoke(args=["backup", str(path)])
    assert again.exit_code == 1
    assert "bestaat al" in again.output and "--overwrite" in again.output
    assert path.read_bytes() == first

    replaced = runner.invoke(args=["backup", "--overwrite", str(path)])
    assert replaced.exit_code == 0, replaced.output
    assert path.stat().st_mode & 0o777 == 0o600
    assert read_backup_manifest(path).created_at >= read_backup_manifest(path).created_at


def test_a_failed_backup_leaves_no_file(app, tmp_path, runner, monkeypatch):
    folder = tmp_path / "backups"
    folder.mkdir()

    def fail(*args):
        raise BackupError("schijf vol")

    monkeypatch.setattr(operations, "_write_archive", fail)
    result = runner.invoke(args=["backup", str(folder / "handvat.tar")])
    assert result.exit_code == 1
    assert "schijf vol" in result.output
    assert list(folder.iterdir()) == []


def test_sqlite_restore_goes_through_a_running_apps_open_connection(
    app, tmp_path, make_conversation, make_action, new_database
):
    """The live file is written through SQLite (the backup API), not copied over: a connection
    the running app holds open, with its last writes still in the -wal file, reads the restored
    database afterwards."""
    if not app.config["IS_EMBEDDED_DB"]:
        pytest.skip("SQLite only")
    add_content(make_conversation, make_action)
    expected = all_rows()
    path = tmp_path / "handvat.tar"
    make_backup(path)
    with using(new_database(revision="head")):
        live = Path(sa.make_url(db.engine.url).database)
        with db.engine.connect() as running:
            running.execute(sa.text("PRAGMA wal_autocheckpoint=0"))
            ensure_region("Lopende regio", ["Zwolle"])
            db.session.commit()
            assert live.with_name(live.name + "-wal").stat().st_size > 0

            restore_backup(path, replace=True)

            names = running.execute(sa.text("SELECT name FROM region ORDER BY id")).scalars()
            assert list(names) == [row[1] for row in expected["region"]]
            assert running.execute(sa.text("PRAGMA integrity_check")).scalar() == "ok"
            assert running.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
        assert all_rows() == expected


def test_postgresql_replace_that_fails_at_the_end_changes_nothing(
    app, tmp_path, make_conversation, make_action, new_database, monkeypatch
):
    """The drop and the whole restore script are one transaction: an error after the last
    statement of the script still leaves the database as it was."""
    if app.config["IS_EMBEDDED_DB"]:
        pytest.skip("PostgreSQL only")
    add_content(make_conversation, make_action)
    path = tmp_path / "handvat.tar"
    make_backup(path)
    run_tool = operations._run_tool

    def fail_after_the_script(args, env, what):
        if args[0] == "psql":
            args = [*args[:-1], "--command=SELECT 1 / 0", args[-1]]  # the --dbname stays last
        return run_tool(args, env, what)

    monkeypatch.setattr(operations, "_run_tool", fail_after_the_script)
    with using(new_database(revision="head")):
        ensure_region("Blijft staan", ["Zwolle"])
        db.session.commit()
        before = all_rows()
        names = table_names()
        with pytest.raises(BackupError, match="division by zero"):
            restore_backup(path, replace=True)
        db.session.expire_all()
        assert table_names() == names
        assert all_rows() == before


def test_postgresql_tools_get_the_password_from_the_environment_only():
    url = sa.make_url(
        "postgresql+psycopg://handvat:ge%40heim%3A1@db.example:6543/handvat?sslmode=require"
    )
    dsn, env = operations.libpq_connection(url)
    assert dsn == "postgresql://handvat@db.example:6543/handvat?sslmode=require"
    assert env["PGPASSWORD"] == "ge@heim:1"
    dsn, env = operations.libpq_connection(sa.make_url("postgresql+psycopg://handvat@/handvat"))
    assert dsn == "postgresql://handvat@/handvat"
