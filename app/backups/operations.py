"""Making and restoring a backup of the app's database, SQLite or PostgreSQL.

A backup is one uncompressed tar file with two members, in this order:

``manifest.json``
    What the file is: ``format`` ("handvat-backup"), ``format_version``, ``database``
    ("sqlite" or "postgresql"), ``schema_revisions`` (the rows of ``alembic_version``),
    ``created_at`` (UTC, ISO 8601), ``tables`` (rows per table), ``dump`` (member name, size and
    SHA-256, so a damaged file is recognised before anything is touched) and ``tool`` (the
    SQLite or pg_dump version that made it).
``database.sqlite`` or ``database.dump``
    The database itself: a SQLite file made with SQLite's online backup API, or a
    ``pg_dump --format=custom`` archive.

Both are one consistent snapshot while the app keeps running and writing: SQLite's backup API
copies in a single step inside one read transaction (WAL lets writers go on meanwhile), and on
PostgreSQL the manifest's revision and row counts are read in the very snapshot pg_dump dumps
(an exported snapshot, ``pg_dump --snapshot``).

A restore changes the database in one step or not at all. On SQLite the backup API writes the
copy into the live file in one write transaction, so a running app and its ``-wal`` file see
either the old or the new database. On PostgreSQL ``pg_restore`` runs in a single
transaction; when the database already has tables (``--replace``, or only the empty schema
``flask db upgrade`` makes), everything in its ``public`` schema is dropped in that same
transaction first (psql runs the drop and pg_restore's script as one transaction).

A backup at an older schema revision than the code is restored as it is, and the operator is
told to run ``flask --app app db upgrade``: a restore puts back exactly what was backed up, and
the upgrade stays a separate step whose output the operator sees (on PostgreSQL it is a release
step anyway). The embedded SQLite database would also upgrade itself at the app's next start.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import sqlite3
import subprocess
import tarfile
import tempfile
import time
import zlib
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import NullPool

from ..core.schema import code_heads, database_revisions, known_revisions
from ..extensions import db

FORMAT = "handvat-backup"
FORMAT_VERSION = 1
MANIFEST_NAME = "manifest.json"
DUMP_NAMES = {"sqlite": "database.sqlite", "postgresql": "database.dump"}
KIND_LABELS = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
#: Where the README explains backups and moving between the two kinds of database.
README_POINTER = "zie README.md, 'Production', stap 8"
#: Not data: Alembic's bookkeeping. A database with rows only here counts as empty.
VERSION_TABLE = "alembic_version"


class BackupError(Exception):
    """A backup or restore that was refused or failed; the message is for the operator (Dutch)."""


class ToolMissing(BackupError):
    """pg_dump, pg_restore or psql is not installed."""


class ToolFailed(BackupError):
    """pg_dump, pg_restore or psql exited with an error; ``detail`` is what it said."""

    def __init__(self, message: str, detail: str):
        super().__init__(message)
        self.detail = detail


@dataclass(frozen=True)
class Manifest:
    database: str
    schema_revisions: tuple[str, ...]
    created_at: str
    tables: dict[str, int]
    dump_name: str
    dump_size: int
    dump_sha256: str
    tool: str = ""
    format_version: int = FORMAT_VERSION

    @property
    def total_rows(self) -> int:
        return sum(self.tables.values())

    @property
    def revision_label(self) -> str:
        return ", ".join(self.schema_revisions) or "geen"

    def to_json(self) -> bytes:
        document = {
            "format": FORMAT,
            "format_version": self.format_version,
            "database": self.database,
            "schema_revisions": list(self.schema_revisions),
            "created_at": self.created_at,
            "tables": self.tables,
            "dump": {"name": self.dump_name, "size": self.dump_size, "sha256": self.dump_sha256},
            "tool": self.tool,
        }
        return json.dumps(document, indent=2, sort_keys=True).encode() + b"\n"

    @classmethod
    def from_json(cls, data: bytes, source: Path) -> Manifest:
        try:
            document = json.loads(data)
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise BackupError(_not_a_backup(source)) from None
        if not isinstance(document, dict) or document.get("format") != FORMAT:
            raise BackupError(_not_a_backup(source))
        version = document.get("format_version")
        if not isinstance(version, int):
            raise BackupError(_damaged(source, "het back-upformaat ontbreekt"))
        if version > FORMAT_VERSION:
            raise BackupError(
                f"{source} is gemaakt door een nieuwere Handvat (back-upformaat {version}; deze "
                f"versie kent tot en met {FORMAT_VERSION}). Werk eerst Handvat bij en zet de "
                "back-up daarna terug."
            )
        try:
            dump = document["dump"]
            manifest = cls(
                database=document["database"],
                schema_revisions=tuple(document["schema_revisions"]),
                created_at=document["created_at"],
                tables={str(name): int(rows) for name, rows in document["tables"].items()},
                dump_name=dump["name"],
                dump_size=int(dump["size"]),
                dump_sha256=dump["sha256"],
                tool=str(document.get("tool", "")),
                format_version=version,
            )
        except (KeyError, TypeError, ValueError, AttributeError):
            raise BackupError(
                _damaged(source, "de beschrijving (manifest.json) is onvolledig")
            ) from None
        if (
            manifest.database not in DUMP_NAMES
            or manifest.dump_name != DUMP_NAMES[manifest.database]
            or not all(isinstance(r, str) for r in manifest.schema_revisions)
        ):
            raise BackupError(_damaged(source, "de beschrijving (manifest.json) klopt niet"))
        return manifest


@dataclass(frozen=True)
class BackupResult:
    path: Path
    size: int
    manifest: Manifest


@dataclass(frozen=True)
class RestoreResult:
    path: Path
    size: int
    manifest: Manifest
    #: Rows per table in the database after the restore (the same as the manifest's).
    tables: dict[str, int] = field(default_factory=dict)
    #: The backup's revision is older than the code's: ``flask db upgrade`` comes next.
    needs_upgrade: bool = False
    #: The database held data that the restore replaced (``--replace``).
    replaced: bool = False


def database_kind() -> str:
    """The kind of database the app runs on: "sqlite" (embedded) or "postgresql"."""
    return "sqlite" if current_app.config["IS_EMBEDDED_DB"] else "postgresql"


# --- making a backup -------------------------------------------------------------------------


def make_backup(path: str | os.PathLike, *, overwrite: bool = False) -> BackupResult:
    """Write a backup of the app's database to ``path``.

    The file appears under ``path`` only when it is complete (it is written beside it under a
    temporary name, then renamed), with mode 0600: it holds personal data. An existing file is
    never replaced unless ``overwrite``.
    """
    path = Path(path)
    if path.is_dir():
        raise BackupError(
            f"{path} is een map. Geef de naam van een bestand, bijvoorbeeld {path}/handvat.tar."
        )
    if not path.parent.is_dir():
        raise BackupError(f"De map {path.parent} bestaat niet.")
    if path.exists() and not overwrite:
        raise BackupError(_exists(path))
    kind = database_kind()
    # The dump is made beside the final file, in a folder only this user can read: the same
    # file system for the rename, and no personal data in a shared temporary folder.
    with _work_folder(path.parent, f".{path.name}.") as work:
        dump = work / DUMP_NAMES[kind]
        if kind == "sqlite":
            revisions, tables, tool = _dump_sqlite(dump)
        else:
            revisions, tables, tool = _dump_postgresql(dump)
        size, digest = _size_and_digest(dump)
        manifest = Manifest(
            database=kind,
            schema_revisions=tuple(sorted(revisions)),
            created_at=datetime.now(UTC).isoformat(timespec="seconds"),
            tables=tables,
            dump_name=dump.name,
            dump_size=size,
            dump_sha256=digest,
            tool=tool,
        )
        archive = work / "backup.tar"
        _write_archive(archive, manifest, dump)
        _put_in_place(archive, path, overwrite)
    return BackupResult(path=path, size=path.stat().st_size, manifest=manifest)


def _dump_sqlite(dump: Path) -> tuple[frozenset[str], dict[str, int], str]:
    live = sqlite_path()
    if not live.is_file():
        raise BackupError(f"De database {live} bestaat niet; er is niets om te bewaren.")
    with (
        _sqlite_errors(live),
        closing(sqlite3.connect(live, timeout=30)) as source,
        closing(sqlite3.connect(dump)) as copy,
    ):
        # One step (pages=-1), inside one read transaction of the source: a consistent
        # snapshot, while the app's writers carry on in the WAL.
        source.backup(copy)
        # The copy becomes a single self-contained file, without -wal and -shm beside it.
        copy.execute("PRAGMA journal_mode=DELETE")
    revisions, tables = _describe_sqlite_file(dump)
    return revisions, tables, f"SQLite {sqlite3.sqlite_version}"


def _dump_postgresql(dump: Path) -> tuple[frozenset[str], dict[str, int], str]:
    dsn, env = libpq_connection(make_url(current_app.config["SQLALCHEMY_DATABASE_URI"]))
    with db.engine.connect() as connection:
        connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            connection.exec_driver_sql("SET TRANSACTION READ ONLY")
            # The first statement fixes this transaction's snapshot; pg_dump dumps that same
            # snapshot, so the manifest's revision and counts describe exactly the dump.
            snapshot = connection.exec_driver_sql("SELECT pg_export_snapshot()").scalar_one()
            revisions, tables = _describe(connection)
            server = connection.exec_driver_sql("SHOW server_version").scalar_one()
            _run_tool(
                [
                    "pg_dump",
                    "--format=custom",
                    "--no-password",
                    f"--snapshot={snapshot}",
                    f"--file={dump}",
                    f"--dbname={dsn}",
                ],
                env,
                "pg_dump",
            )
    tool = _run_tool(["pg_dump", "--version"], env, "pg_dump").strip()
    return revisions, tables, f"{tool}; server {server}"


def _write_archive(archive: Path, manifest: Manifest, dump: Path) -> None:
    descriptor = os.open(archive, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as raw:
        with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
            data = manifest.to_json()
            tar.addfile(_member(MANIFEST_NAME, len(data)), io.BytesIO(data))
            with dump.open("rb") as content:
                tar.addfile(_member(dump.name, manifest.dump_size), content)
        raw.flush()
        os.fsync(raw.fileno())


def _member(name: str, size: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mode = 0o600
    info.mtime = int(time.time())
    return info


def _put_in_place(archive: Path, path: Path, overwrite: bool) -> None:
    if overwrite:
        os.replace(archive, path)
    else:
        try:
            os.link(archive, path)  # never replaces a file that appeared in the meantime
        except FileExistsError:
            raise BackupError(_exists(path)) from None
        except OSError:  # a file system without hard links
            if path.exists():
                raise BackupError(_exists(path)) from None
            os.replace(archive, path)
    _sync_folder(path.parent)


# --- reading a backup ------------------------------------------------------------------------


def read_backup_manifest(path: str | os.PathLike) -> Manifest:
    """The backup's description, read from the start of the file (the dump is not read)."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"{path} bestaat niet of is geen bestand.")
    try:
        with tarfile.open(path, mode="r:*") as tar:
            member = tar.next()
            if member is None or member.name != MANIFEST_NAME or not member.isfile():
                raise BackupError(_not_a_backup(path))
            data = tar.extractfile(member).read(member.size)
    except (tarfile.TarError, EOFError, OSError, zlib.error):
        raise BackupError(_not_a_backup(path)) from None
    return Manifest.from_json(data, path)


def extract_dump(path: Path, manifest: Manifest, folder: Path) -> Path:
    """The backup's dump, written to ``folder`` and checked against the manifest's digest."""
    target = folder / manifest.dump_name
    digest = hashlib.sha256()
    size = 0
    found = False
    try:
        with tarfile.open(path, mode="r:*") as tar:
            for member in tar:
                if member.name != manifest.dump_name:
                    continue
                if not member.isfile():
                    break
                found = True
                source = tar.extractfile(member)
                with target.open("wb") as out:
                    while chunk := source.read(1024 * 1024):
                        digest.update(chunk)
                        size += len(chunk)
                        out.write(chunk)
                break
    except (tarfile.TarError, EOFError, OSError, zlib.error):
        raise BackupError(_damaged(path, "het bestand is afgebroken of beschadigd")) from None
    if not found:
        raise BackupError(_damaged(path, f"{manifest.dump_name} ontbreekt"))
    if size != manifest.dump_size or digest.hexdigest() != manifest.dump_sha256:
        raise BackupError(_damaged(path, f"{manifest.dump_name} is niet meer wat er bewaard is"))
    return target


# --- restoring -------------------------------------------------------------------------------


def restore_backup(path: str | os.PathLike, *, replace: bool = False) -> RestoreResult:
    """Put the backup at ``path`` back into the app's database.

    Refused, with nothing touched: a file that is not a Handvat backup or is damaged, a backup
    of the other kind of database, a backup at a schema revision the code does not know (made
    by a newer Handvat), and a database that already holds data, unless ``replace``. A database
    with only the empty schema (as ``flask db upgrade`` or the embedded app's start makes it)
    counts as empty. An older revision is restored; ``needs_upgrade`` says so.
    """
    path = Path(path)
    manifest = read_backup_manifest(path)
    check_restorable(manifest, path)
    kind = manifest.database
    with tempfile.TemporaryDirectory(prefix="handvat-restore-") as work:
        dump = extract_dump(path, manifest, Path(work))
        if kind == "sqlite":
            replaced = _restore_sqlite(path, manifest, dump, replace)
        else:
            replaced = _restore_postgresql(path, manifest, dump, replace)
    db.session.remove()
    db.engine.dispose()
    with db.engine.connect() as connection:
        _, tables = _describe(connection)
    return RestoreResult(
        path=path,
        size=path.stat().st_size,
        manifest=manifest,
        tables=tables,
        needs_upgrade=frozenset(manifest.schema_revisions) != code_heads(),
        replaced=replaced,
    )


def check_restorable(manifest: Manifest, path: Path) -> None:
    """Refuse a backup of the other kind of database, or at a revision the code does not know."""
    kind = database_kind()
    if manifest.database != kind:
        if kind == "postgresql":
            here = "deze Handvat draait op PostgreSQL (DATABASE_URL)"
        elif os.environ.get("DATABASE_URL"):
            here = "deze Handvat draait op een SQLite-database (DATABASE_URL wijst naar SQLite)"
        else:
            here = (
                "deze Handvat draait op de ingebouwde SQLite-database (DATABASE_URL is niet gezet)"
            )
        raise BackupError(
            f"{path} is een back-up van een {KIND_LABELS[manifest.database]}-database, maar "
            f"{here}. Een back-up gaat alleen terug in hetzelfde soort database "
            f"({README_POINTER})."
        )
    if not manifest.schema_revisions:
        raise BackupError(_damaged(path, "er staat geen schemaversie in"))
    unknown = sorted(set(manifest.schema_revisions) - known_revisions())
    if unknown:
        raise BackupError(
            f"{path} heeft schemaversie {', '.join(unknown)}, die deze versie van Handvat niet "
            f"kent (deze versie gaat tot {', '.join(sorted(code_heads()))}): de back-up is "
            "gemaakt met een nieuwere Handvat. Werk eerst Handvat bij en zet de back-up daarna "
            "terug."
        )


def _restore_sqlite(path: Path, manifest: Manifest, dump: Path, replace: bool) -> bool:
    try:
        with closing(sqlite3.connect(dump)) as copy:
            problems = [row[0] for row in copy.execute("PRAGMA integrity_check")]
    except sqlite3.DatabaseError as error:
        problems = [str(error)]
    if problems != ["ok"]:
        raise BackupError(_damaged(path, f"SQLite meldt: {'; '.join(problems[:3])}"))
    revisions, tables = _describe_sqlite_file(dump)
    if revisions != frozenset(manifest.schema_revisions) or tables != manifest.tables:
        raise BackupError(_damaged(path, "de database klopt niet met de beschrijving"))
    live = sqlite_path()
    live.parent.mkdir(parents=True, exist_ok=True)
    db.session.remove()
    db.engine.dispose()
    with _sqlite_errors(live), closing(sqlite3.connect(live, timeout=30)) as target:
        held = _sqlite_tables_with_rows(target)
        if held and not replace:
            raise BackupError(_holds_data(held))
        with closing(sqlite3.connect(dump)) as copy:
            _match_page_size(copy, target)
            # One write transaction on the live database: a running app (and its -wal file)
            # sees the old database or the restored one, never a mix.
            copy.backup(target)
    return bool(held)


def _match_page_size(copy: sqlite3.Connection, target: sqlite3.Connection) -> None:
    """The backup API cannot change the page size of a database in WAL mode: give the copy
    (a file of its own, not in WAL mode) the live database's page size first."""
    wanted = target.execute("PRAGMA page_size").fetchone()[0]
    if copy.execute("PRAGMA page_size").fetchone()[0] != wanted:
        copy.execute(f"PRAGMA page_size={int(wanted)}")
        copy.execute("VACUUM")


def _sqlite_tables_with_rows(connection: sqlite3.Connection) -> list[str]:
    names = [
        row[0]
        for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite~_%' "
            "ESCAPE '~' ORDER BY name"
        )
    ]
    return [
        name
        for name in names
        if name != VERSION_TABLE
        and connection.execute(f"SELECT EXISTS (SELECT 1 FROM {_quote_sqlite(name)})").fetchone()[0]
    ]


def _restore_postgresql(path: Path, manifest: Manifest, dump: Path, replace: bool) -> bool:
    dsn, env = libpq_connection(make_url(current_app.config["SQLALCHEMY_DATABASE_URI"]))
    try:
        _run_tool(["pg_restore", "--list", str(dump)], env, "pg_restore --list")
    except ToolFailed as failure:
        # The file is what pg_dump wrote (its digest matched): most likely a pg_restore older
        # than that pg_dump.
        raise BackupError(
            f"pg_restore kan de dump in {path} niet lezen ({failure.detail.rstrip('.')}). Er is "
            "niets veranderd. Is pg_restore ouder dan de pg_dump die de back-up maakte "
            f"({manifest.tool})? Dan eerst de PostgreSQL-clientprogramma's bijwerken."
        ) from None
    db.session.remove()
    with db.engine.connect() as connection:
        has_objects = _postgresql_has_objects(connection)
        held = _postgresql_tables_with_rows(connection) if has_objects else []
    db.engine.dispose()
    if held and not replace:
        raise BackupError(_holds_data(held))
    if not has_objects:
        _run_tool(
            [
                "pg_restore",
                "--single-transaction",
                "--exit-on-error",
                "--no-owner",
                "--no-privileges",
                "--no-password",
                f"--dbname={dsn}",
                str(dump),
            ],
            env,
            "pg_restore",
        )
        return False
    # The database has tables: drop them and restore in one transaction, so a failure leaves it
    # as it was. pg_restore cannot run a statement of ours in its transaction, so it writes its
    # script (and must finish without error: a cut-off script must never run), and psql runs
    # our drop and that script as one transaction.
    script = dump.with_name("restore.sql")
    _run_tool(
        ["pg_restore", "--no-owner", "--no-privileges", f"--file={script}", str(dump)],
        env,
        "pg_restore",
    )
    _run_tool(
        [
            "psql",
            "--no-psqlrc",
            "--quiet",
            "--no-password",
            "--single-transaction",
            "--set=ON_ERROR_STOP=1",
            f"--command={DROP_PUBLIC_SCHEMA_CONTENT}",
            f"--file={script}",
            f"--dbname={dsn}",
        ],
        env,
        "psql",
    )
    return bool(held)


#: Everything a Handvat database has in ``public``: tables (with their indexes, constraints
#: and owned sequences), views, other sequences, enum and domain types.
DROP_PUBLIC_SCHEMA_CONTENT = """
DO $handvat$
DECLARE
    item record;
BEGIN
    FOR item IN
        SELECT c.relname, c.relkind FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind IN ('v', 'm', 'r', 'p', 'f', 'S')
        ORDER BY c.relkind DESC
    LOOP
        EXECUTE format(
            'DROP %s IF EXISTS public.%I CASCADE',
            CASE item.relkind
                WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
                WHEN 'f' THEN 'FOREIGN TABLE' WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE'
            END,
            item.relname
        );
    END LOOP;
    FOR item IN
        SELECT t.typname FROM pg_type t
        JOIN pg_namespace n ON n.oid = t.typnamespace
        WHERE n.nspname = 'public' AND t.typtype IN ('e', 'd')
    LOOP
        EXECUTE format('DROP TYPE IF EXISTS public.%I CASCADE', item.typname);
    END LOOP;
END
$handvat$;
"""


def _postgresql_has_objects(connection: sa.Connection) -> bool:
    return connection.exec_driver_sql(
        "SELECT EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f'))"
    ).scalar_one()


def _postgresql_tables_with_rows(connection: sa.Connection) -> list[str]:
    quote = connection.dialect.identifier_preparer.quote
    return [
        name
        for name in sorted(sa.inspect(connection).get_table_names())
        if name != VERSION_TABLE
        and connection.exec_driver_sql(f"SELECT EXISTS (SELECT 1 FROM {quote(name)})").scalar_one()
    ]


# --- shared pieces ---------------------------------------------------------------------------


def sqlite_path() -> Path:
    """The embedded database's file."""
    database = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"]).database
    if not database or database == ":memory:" or database.startswith("file:"):
        raise BackupError(
            "Alleen een SQLite-database in een bestand kan bewaard en teruggezet worden."
        )
    return Path(database)


def libpq_connection(url: URL) -> tuple[str, dict[str, str]]:
    """SQLAlchemy's ``postgresql+psycopg://`` URL as a libpq connection URI for pg_dump,
    pg_restore and psql, and their environment. The password goes in ``PGPASSWORD``, never on
    the command line, where any user of the machine could read it (``ps``)."""
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    # ``URL.set(password=None)`` would keep the password (None means "unchanged" there).
    dsn = url._replace(drivername="postgresql", password=None)
    return dsn.render_as_string(hide_password=False), env


def _describe(connection: sa.Connection) -> tuple[frozenset[str], dict[str, int]]:
    """The schema revision(s) and the rows per table of the database behind ``connection``."""
    names = sorted(sa.inspect(connection).get_table_names())
    if VERSION_TABLE not in names:
        raise BackupError(
            "De database heeft geen schemaversie (de tabel alembic_version ontbreekt). Is dit de "
            "database van Handvat? Breng hem eerst op orde met: flask --app app db upgrade"
        )
    quote = connection.dialect.identifier_preparer.quote
    tables = {
        name: connection.exec_driver_sql(f"SELECT count(*) FROM {quote(name)}").scalar_one()
        for name in names
    }
    return database_revisions(connection), tables


def _describe_sqlite_file(path: Path) -> tuple[frozenset[str], dict[str, int]]:
    engine = sa.create_engine(f"sqlite:///{path}", poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return _describe(connection)
    finally:
        engine.dispose()


def _run_tool(args: list[str], env: dict[str, str], what: str) -> str:
    try:
        completed = subprocess.run(
            args, env=env, capture_output=True, text=True, errors="replace", check=False
        )
    except FileNotFoundError:
        raise ToolMissing(
            f"{args[0]} is niet gevonden. Installeer de PostgreSQL-clientprogramma's (pg_dump, "
            "pg_restore, psql) van de versie van de server of nieuwer."
        ) from None
    if completed.returncode != 0:
        detail = completed.stderr.strip() or f"afgesloten met code {completed.returncode}."
        raise ToolFailed(
            f"{what} is mislukt; er is niets veranderd. {what} meldt: {detail}", detail
        )
    return completed.stdout


@contextmanager
def _sqlite_errors(path: Path) -> Iterator[None]:
    try:
        yield
    except sqlite3.Error as error:
        raise BackupError(f"SQLite kan {path} niet lezen of schrijven: {error}.") from None


def _size_and_digest(path: Path) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as content:
        while chunk := content.read(1024 * 1024):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


@contextmanager
def _work_folder(parent: Path, prefix: str) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(dir=parent, prefix=prefix) as folder:
        yield Path(folder)


def _sync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` survive a power cut."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def _quote_sqlite(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _exists(path: Path) -> str:
    return f"{path} bestaat al. Kies een andere naam, of geef --overwrite om het te vervangen."


def _not_a_backup(path: Path) -> str:
    return f"{path} is geen back-up van Handvat (of is ernstig beschadigd)."


def _damaged(path: Path, reason: str) -> str:
    return f"{path} is beschadigd: {reason}. Er is niets veranderd; gebruik een andere back-up."


def _holds_data(tables: list[str]) -> str:
    shown = ", ".join(tables[:5]) + (", ..." if len(tables) > 5 else "")
    return (
        f"De database bevat al gegevens ({len(tables)} tabellen met rijen: {shown}). Terugzetten "
        "vervangt alles wat erin staat. Geef --replace als dat de bedoeling is (maak dan eerst "
        "een back-up van wat er nu staat), of zet de back-up terug in een lege database."
    )
