"""The upload ledger: every upload that reached a service, in a local SQLite database.

WAL mode and a busy timeout let parallel pixup processes and -j workers write without
losing a record; ``PRAGMA user_version`` and the MIGRATIONS list let a newer pixup open an
older database. A database another process holds locked costs one short wait
(BUSY_SECONDS) per run: the run's records are then held and written at its end, or kept in
``history-pending.jsonl`` beside it and added by the next run. The ledger never holds a
credential. A database that cannot be used never
stops an upload: callers get :class:`HistoryUnavailable` and carry on without history.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from pixup.paths import data_dir

if TYPE_CHECKING:
    import sqlite3

# sqlite3, json and hashlib are imported where they are used: `upload --dry-run` and
# `--no-history` import this module for its names and never open the database.

DB_NAME = "history.sqlite3"

# Each entry brings the schema from version i to i + 1; never edit one, add another.
MIGRATIONS: list[str] = [
    """
    CREATE TABLE uploads (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        time REAL NOT NULL,
        service TEXT NOT NULL,
        api INTEGER,
        file TEXT NOT NULL,
        size INTEGER,
        sha256 TEXT,
        message TEXT,
        media_id TEXT,
        url TEXT,
        thumb_url TEXT,
        status_id TEXT,
        ok INTEGER NOT NULL,
        error_kind TEXT,
        error_code INTEGER
    );
    """,
    """
    ALTER TABLE uploads ADD COLUMN error_message TEXT;
    ALTER TABLE uploads ADD COLUMN http_status INTEGER;
    CREATE INDEX uploads_done ON uploads (service, sha256, ok);
    """,
    """
    ALTER TABLE uploads ADD COLUMN deletion_url TEXT;
    """,
    """
    ALTER TABLE uploads ADD COLUMN deleted REAL;
    """,
]
SCHEMA_VERSION = len(MIGRATIONS)
COLUMNS = (
    "id", "time", "service", "api", "file", "size", "sha256", "message", "media_id", "url",
    "thumb_url", "status_id", "ok", "error_kind", "error_code", "error_message", "http_status",
    "deletion_url", "deleted",
)  # fmt: skip


class HistoryUnavailable(Exception):
    """The ledger cannot be used (corrupt, unreadable, newer than this pixup)."""


def sha256_of(source: Path | IO[bytes]) -> str:
    """The digest of a file, by path or of an open file (read from its start)."""
    if not isinstance(source, Path):
        source.seek(0)
        return _sha256(source)
    with open(source, "rb") as fh:
        return _sha256(fh)


def _sha256(fh: IO[bytes]) -> str:
    import hashlib

    digest = hashlib.sha256()
    while chunk := fh.read(1024 * 1024):
        digest.update(chunk)
    return digest.hexdigest()


def migrate(conn: sqlite3.Connection, upto: int = SCHEMA_VERSION) -> None:
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise HistoryUnavailable(
            f"the history database is from a newer pixup (schema {version}, this one knows "
            f"{SCHEMA_VERSION})"
        )
    for number in range(version, upto):
        with conn:  # each step and its version bump in one transaction
            conn.execute("BEGIN IMMEDIATE")
            current = conn.execute("PRAGMA user_version").fetchone()[0]
            if current > number:  # another process got there first
                continue
            for statement in MIGRATIONS[number].split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {number + 1}")


@dataclass(frozen=True)
class Record:
    service: str
    api: int | None
    file: str
    size: int | None
    sha256: str | None
    message: str | None
    ok: bool
    media_id: str | None = None
    url: str | None = None
    thumb_url: str | None = None
    status_id: str | None = None
    error_kind: str | None = None
    error_code: int | None = None
    error_message: str | None = None
    http_status: int | None = None
    # Where the upload can be deleted (a custom provider's DeletionURL, a delete hash).
    deletion_url: str | None = None


_WRITTEN = set(COLUMNS) - {"id"}


def _locked(exc: sqlite3.OperationalError) -> bool:
    return "locked" in str(exc) or "busy" in str(exc)


def _fits(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool) and not -(2**63) <= value < 2**63:
        return str(value)
    return value


# How long one write waits for another process's lock. A run that meets a lock waits
# this long once, then keeps its records and writes them when the database is free.
BUSY_SECONDS = 2.0
PENDING_NAME = "history-pending.jsonl"


# How long opening the database may meet another process's lock before giving up.
OPEN_SECONDS = 10.0


class HistoryDeferred(HistoryUnavailable):
    """The ledger is locked by another process: records are kept, not lost."""


class Ledger:
    def __init__(self, path: Path) -> None:
        import sqlite3

        self.path = path
        self._lock = threading.Lock()
        self._held: list[dict[str, Any]] = []  # records waiting for the lock to be free
        self._pending = path.with_name(PENDING_NAME)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = self._connect(path)
        except (sqlite3.Error, OSError) as exc:
            raise HistoryUnavailable(f"{path}: {exc}") from None
        self._take_pending()

    @staticmethod
    def _connect(path: Path) -> sqlite3.Connection:
        """Open, in WAL mode, at the current schema. Several processes opening a new
        database at once can meet "locked" outside the busy handler's reach (switching
        to WAL, creating the schema): that is tried again for up to OPEN_SECONDS."""
        import random
        import sqlite3

        deadline = time.monotonic() + OPEN_SECONDS
        while True:
            conn = sqlite3.connect(
                path, timeout=BUSY_SECONDS, isolation_level=None, check_same_thread=False
            )
            try:
                conn.execute("PRAGMA journal_mode = WAL")
                # In WAL mode a commit then survives pixup being killed without an fsync
                # of its own (only a power cut may undo the last ones): 1-2 ms a file.
                conn.execute("PRAGMA synchronous = NORMAL")
                migrate(conn)
                return conn
            except sqlite3.OperationalError as exc:
                conn.close()
                if not _locked(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(random.uniform(0.02, 0.1))

    @classmethod
    def open(cls, env: Mapping[str, str]) -> Ledger:
        return cls(data_dir(env) / DB_NAME)

    def close(self) -> str | None:
        """Write what was held, or keep it in the pending file for the next run; a warning
        to show when records could not be written now."""
        with self._lock:
            held, self._held = self._held, []
            note = None
            if held:
                self._conn.execute("PRAGMA busy_timeout = 0")  # this run waited once already
            if held and not self._insert(held):
                note = self._keep_pending(held)
            self._conn.close()
        return note

    def _run(self, sql: str, args: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        import sqlite3

        try:
            with self._lock:
                self._conn.row_factory = sqlite3.Row
                return list(self._conn.execute(sql, args))
        except sqlite3.Error as exc:
            raise HistoryUnavailable(f"{self.path}: {exc}") from None

    def _stream(self, sql: str, args: tuple[Any, ...]) -> Iterator[dict[str, Any]]:
        import sqlite3

        # WAL mode: a long read never blocks another process's writes.
        with self._lock:
            try:
                cursor = self._conn.execute(sql, args)
                cursor.row_factory = sqlite3.Row
                while batch := cursor.fetchmany(256):
                    yield from (dict(r) for r in batch)
            except sqlite3.Error as exc:
                raise HistoryUnavailable(f"{self.path}: {exc}") from None

    def record(self, rec: Record) -> None:
        """Write one record; when another process holds the database, hold it (and the
        rest of this run's, without waiting again) until close, and say so once."""
        # SQLite integers are 64-bit: a larger number from a server is kept as text.
        fields = {"time": time.time(), **{k: _fits(v) for k, v in rec.__dict__.items()}}
        fields["ok"] = int(rec.ok)
        with self._lock:
            if not self._held and self._insert([fields]):
                return
            self._held.append(fields)
            if len(self._held) > 1:
                return
        raise HistoryDeferred(
            f"{self.path} is locked by another process; this run's records are kept and "
            "written when it is free"
        )

    def _insert(self, rows: list[dict[str, Any]]) -> bool:
        """Insert ``rows`` in one transaction (the caller holds the lock); False when the
        database stays locked."""
        import sqlite3

        try:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                for fields in rows:
                    names, marks = ", ".join(fields), ", ".join("?" * len(fields))
                    self._conn.execute(
                        f"INSERT INTO uploads ({names}) VALUES ({marks})",  # noqa: S608 - our column names
                        tuple(fields.values()),
                    )
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")
        except sqlite3.OperationalError as exc:
            if _locked(exc):
                return False
            raise HistoryUnavailable(f"{self.path}: {exc}") from None
        except sqlite3.Error as exc:
            raise HistoryUnavailable(f"{self.path}: {exc}") from None
        return True

    def _keep_pending(self, rows: list[dict[str, Any]]) -> str:
        import json

        lines = "".join(json.dumps(fields) + "\n" for fields in rows)
        try:
            fd = os.open(self._pending, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, lines.encode())
            finally:
                os.close(fd)
        except OSError as exc:
            return (
                f"{len(rows)} upload record(s) could not be written: the history stayed "
                f"locked and {self._pending} cannot be written ({exc.strerror})"
            )
        return (
            f"the history stayed locked: {len(rows)} upload record(s) kept in "
            f"{self._pending}, added to it by the next pixup run"
        )

    def _take_pending(self) -> None:
        """Add the records an earlier run could not write. The file is claimed by renaming
        it, so two runs never add the same records twice."""
        import json

        claimed = self._pending.with_name(f"{PENDING_NAME}.{os.getpid()}.{time.time_ns()}")
        try:
            os.replace(self._pending, claimed)
        except OSError:
            return  # none (the usual case), or another run took it
        try:
            text = claimed.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return
        rows = []
        for line in text.splitlines():
            try:
                fields = json.loads(line)
            except ValueError:
                continue  # a line cut short by a kill: the rest are whole
            if isinstance(fields, dict) and "service" in fields and set(fields) <= _WRITTEN:
                rows.append(fields)
        if rows and not self._insert(rows):
            self._keep_pending(rows)
        claimed.unlink(missing_ok=True)

    def previous_success(self, service: str, sha256: str) -> dict[str, Any] | None:
        rows = self._run(
            "SELECT * FROM uploads WHERE service = ? AND sha256 = ? AND ok = 1 "
            "ORDER BY id DESC LIMIT 1",
            (service, sha256),
        )
        return dict(rows[0]) if rows else None

    def query(
        self,
        service: str | None = None,
        since: float | None = None,
        grep: str | None = None,
        failed: bool = False,
        limit: int | None = None,
    ) -> Iterator[dict[str, Any]]:
        """The matching records, newest first, read as they are consumed: memory does not
        grow with the number of records."""
        where: list[str] = []
        args: list[Any] = []
        if service:
            where.append("service = ?")
            args.append(service)
        if since is not None:
            where.append("time >= ?")
            args.append(since)
        if grep:
            where.append("(file LIKE ? OR message LIKE ? OR url LIKE ? OR media_id LIKE ?)")
            args += [f"%{grep}%"] * 4
        if failed:
            where.append("ok = 0")
        # Only fixed clauses are joined here; every value is a bound parameter.
        sql = "SELECT * FROM uploads" + (" WHERE " + " AND ".join(where) if where else "")  # noqa: S608
        sql += " ORDER BY id DESC" + (f" LIMIT {int(limit)}" if limit else "")
        return self._stream(sql, tuple(args))

    def find(self, id_or_url: str) -> list[dict[str, Any]]:
        if id_or_url.isdigit():
            rows = self._run("SELECT * FROM uploads WHERE id = ?", (int(id_or_url),))
            if rows:
                return [dict(r) for r in rows]
        rows = self._run(
            "SELECT * FROM uploads WHERE url = ? OR media_id = ? ORDER BY id DESC",
            (id_or_url, id_or_url),
        )
        return [dict(r) for r in rows]

    def mark_deleted(self, record_id: int) -> None:
        """The upload was deleted at the host: when, kept with its record."""
        self._run("UPDATE uploads SET deleted = ? WHERE id = ?", (time.time(), record_id))

    def forget(self, ids: list[int] | None) -> int:
        if ids is None:
            rows = self._run("SELECT COUNT(*) AS n FROM uploads")
            self._run("DELETE FROM uploads")
            return int(rows[0]["n"])
        count = 0
        for record_id in ids:
            if self._run("SELECT id FROM uploads WHERE id = ?", (record_id,)):
                self._run("DELETE FROM uploads WHERE id = ?", (record_id,))
                count += 1
        return count


def rows_to_json(rows: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for row in rows:
        yield {**row, "ok": bool(row["ok"])}
