"""The local store file: schema, batched writes, retention, and what happens to a corrupt file.

One SQLite database (standard library ``sqlite3``) in WAL mode, one row per GenAI call in the table ``calls``.

* **Writes** happen in the exporter's thread (behind the SDK's ``BatchSpanProcessor``), one ``BEGIN IMMEDIATE``
  transaction per batch. Several processes may write to the same file: SQLite serialises the writers, each waits
  up to :data:`BUSY_TIMEOUT_S` for the lock (``busy_timeout``), and a batch still locked out is retried.
  ``INSERT OR IGNORE`` on the unique (trace id, span id) makes a retried batch harmless.
* **Forks**: a forked child (gunicorn, multiprocessing) opens its own connection instead of using the parent's.
* **Durability**: WAL with ``synchronous=NORMAL``. A committed batch survives the process being killed (``kill -9``);
  a batch being written when the process dies is rolled back as a whole, never half-stored.
* **Retention** (:class:`Retention`, ``GENAI_OTEL_LOCAL_STORE_RETENTION``): every write transaction also deletes
  rows older than the age limit and the oldest rows beyond the row limit, so the table stays bounded; freed pages
  are reused, and handed back to the file system (incremental vacuum) once a quarter of the file is free.
* **A corrupt or foreign file** (not a database, malformed pages): logged once as an error, moved aside to
  ``<path>.corrupt-<UTC timestamp>`` (with its ``-wal``/``-shm`` files), and a fresh store is started. Nothing of
  this ever reaches the application: a store that cannot be written logs once and drops the batch.
"""

from __future__ import annotations

import logging
import os
import re
import sqlite3
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from genai_otel import environment_variables as env
from genai_otel._settings import warn_once

__all__ = [
    "BUSY_TIMEOUT_S",
    "COLUMNS",
    "DEFAULT_RETENTION",
    "SCHEMA_VERSION",
    "Retention",
    "Store",
    "default_path",
    "is_corruption",
    "parse_retention",
    "read_retention",
    "store_path",
]

_logger = logging.getLogger("genai_otel")

SCHEMA_VERSION: Final = 1
BUSY_TIMEOUT_S: Final = 10.0
_WRITE_ATTEMPTS: Final = 3
_WAL_LIMIT_BYTES: Final = 4 * 1024 * 1024

COLUMNS: Final = (
    "start_time_ns", "end_time_ns", "trace_id", "span_id", "parent_span_id", "service_name", "span_name",
    "provider", "operation", "request_model", "response_model", "server_address", "server_port",
    "status", "error_type", "duration_s", "ttfc_s", "stream",
    "input_tokens", "output_tokens", "cache_read_tokens", "cache_creation_tokens", "reasoning_tokens",
    "cost_usd", "finish_reasons", "prompt_hash", "response_id", "attributes",
)  # fmt: skip
"""The columns a row carries, in insert order (``id`` is assigned by the store)."""

_SCHEMA: Final = ("""
CREATE TABLE IF NOT EXISTS calls (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    start_time_ns INTEGER NOT NULL,          -- span start, Unix epoch nanoseconds
    end_time_ns INTEGER NOT NULL,
    trace_id TEXT NOT NULL,                  -- 32 lower-case hex digits
    span_id TEXT NOT NULL,                   -- 16 lower-case hex digits
    parent_span_id TEXT,
    service_name TEXT,                       -- resource service.name
    span_name TEXT NOT NULL,
    provider TEXT,                           -- gen_ai.provider.name
    operation TEXT,                          -- gen_ai.operation.name
    request_model TEXT,
    response_model TEXT,
    server_address TEXT,
    server_port INTEGER,
    status TEXT NOT NULL,                    -- UNSET | OK | ERROR
    error_type TEXT,
    duration_s REAL NOT NULL,
    ttfc_s REAL,                             -- gen_ai.response.time_to_first_chunk (streams)
    stream INTEGER,                          -- gen_ai.request.stream: 1, 0 or NULL
    input_tokens INTEGER,                    -- cached and cache-creation tokens included
    output_tokens INTEGER,                   -- reasoning tokens included
    cache_read_tokens INTEGER,
    cache_creation_tokens INTEGER,
    reasoning_tokens INTEGER,
    cost_usd REAL,                           -- genai_otel.cost.usd, NULL when the price is unknown
    finish_reasons TEXT,                     -- JSON array
    prompt_hash TEXT,                        -- genai_otel.prompt.hash
    response_id TEXT,
    attributes TEXT NOT NULL DEFAULT '{}'    -- every other span attribute, JSON object
)""",
    "CREATE UNIQUE INDEX IF NOT EXISTS calls_span ON calls (trace_id, span_id)",
    "CREATE INDEX IF NOT EXISTS calls_start ON calls (start_time_ns)",
)

_INSERT: Final = (
    f"INSERT OR IGNORE INTO calls ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
)

# --- where the file lives ---------------------------------------------------------------------------------------


def default_path() -> Path:
    """``$XDG_DATA_HOME/genai-otel/calls.sqlite3``, or ``~/.local/share/genai-otel/calls.sqlite3``."""
    data_home = os.environ.get("XDG_DATA_HOME", "").strip()
    base = Path(data_home) if data_home and os.path.isabs(data_home) else Path.home() / ".local" / "share"
    return base / "genai-otel" / "calls.sqlite3"


def store_path() -> Path:
    """The store in effect: ``GENAI_OTEL_LOCAL_STORE_PATH`` if set (``~`` expanded), else :func:`default_path`."""
    raw = os.environ.get(env.GENAI_OTEL_LOCAL_STORE_PATH, "").strip()
    return Path(raw).expanduser() if raw else default_path()


# --- retention ----------------------------------------------------------------------------------------------------

DEFAULT_RETENTION: Final = "30d,100000"
_AGE_UNITS: Final = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_AGE: Final = re.compile(r"(\d+(?:\.\d+)?)([smhdw])")
_ROWS: Final = re.compile(r"(\d+)(?:rows?)?")
_UNLIMITED: Final = frozenset({"none", "unlimited", "off"})


@dataclass(frozen=True)
class Retention:
    """How much the store keeps: rows younger than ``max_age_s`` and at most ``max_rows`` rows (None: no limit)."""

    max_age_s: float | None
    max_rows: int | None

    def describe(self) -> str:
        parts = []
        if self.max_age_s is not None:
            parts.append(f"{_format_age(self.max_age_s)} max age")
        if self.max_rows is not None:
            parts.append(f"{self.max_rows} rows max")
        return ", ".join(parts) or "unlimited"


def _format_age(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


def parse_retention(text: str) -> Retention:
    """Parse ``"30d,100000"``: comma-separated limits, an age (``N`` + s/m/h/d/w) and/or a row count (``N`` or
    ``Nrows``); ``none`` for no limit. Raises ValueError for anything else (a zero limit included)."""
    cleaned = text.strip().lower()
    if cleaned in _UNLIMITED:
        return Retention(None, None)
    age: float | None = None
    rows: int | None = None
    for part in (piece.strip() for piece in cleaned.split(",")):
        if (match := _AGE.fullmatch(part)) and age is None:
            age = float(match.group(1)) * _AGE_UNITS[match.group(2)]
            if age <= 0:
                raise ValueError(f"a zero age limit: {part!r}")
        elif (match := _ROWS.fullmatch(part)) and rows is None:
            rows = int(match.group(1))
            if rows <= 0:
                raise ValueError(f"a zero row limit: {part!r}")
        else:
            raise ValueError(f"not an age like 30d or a row count like 100000: {part!r}")
    return Retention(age, rows)


def read_retention() -> Retention:
    """``GENAI_OTEL_LOCAL_STORE_RETENTION``, or the default (with one warning naming a bad value)."""
    name = env.GENAI_OTEL_LOCAL_STORE_RETENTION
    raw = os.environ.get(name, "").strip()
    if raw:
        try:
            return parse_retention(raw)
        except ValueError:
            warn_once(f"env:{name}={raw}", "genai-otel: ignoring %s=%r (expected %s); using the default %r", name,
                      raw, "limits like 30d, 100000 or 30d,100000, or none", DEFAULT_RETENTION)
    return parse_retention(DEFAULT_RETENTION)


# --- errors -------------------------------------------------------------------------------------------------------

_CORRUPT_CODES: Final = frozenset({11, 26})  # SQLITE_CORRUPT, SQLITE_NOTADB
_BUSY_CODES: Final = frozenset({5, 6})  # SQLITE_BUSY, SQLITE_LOCKED


def _code(exc: sqlite3.Error) -> int | None:
    code = getattr(exc, "sqlite_errorcode", None)  # Python >= 3.11
    return code & 0xFF if isinstance(code, int) else None


def is_corruption(exc: sqlite3.Error) -> bool:
    """True when SQLite says the file is not a database or is malformed."""
    code = _code(exc)
    if code is not None:
        return code in _CORRUPT_CODES
    message = str(exc).lower()
    return "not a database" in message or "malformed" in message


def _is_busy(exc: sqlite3.Error) -> bool:
    code = _code(exc)
    if code is not None:
        return code in _BUSY_CODES
    return "locked" in str(exc).lower() or "busy" in str(exc).lower()


class _Corrupt(Exception):
    """The file at the path is not a usable store (raised while opening it)."""


class _TooNew(Exception):
    """The file was created by a newer genai-otel (a schema we do not know)."""


class _Foreign(Exception):
    """The file is a healthy SQLite database of something else: never ours to move or write."""


# --- the store ----------------------------------------------------------------------------------------------------


class Store:
    """The writer side of one store file. Opened lazily by the first :meth:`write`; thread-safe."""

    def __init__(self, path: Path, retention: Retention) -> None:
        self.path = path
        self.retention = retention
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._inode: int | None = None
        self._pid = os.getpid()
        self._closed = False

    def write(self, rows: Sequence[Sequence[Any]]) -> bool:
        """Insert ``rows`` (values in :data:`COLUMNS` order) in one transaction and apply retention.

        Returns False when the batch could not be stored (logged once per reason); never raises.
        """
        if not rows:
            return True
        with self._lock:
            if self._closed:
                return False
            for attempt in range(_WRITE_ATTEMPTS):
                try:
                    self._write_once(rows)
                    return True
                except _Corrupt as exc:
                    self._quarantine(str(exc.__cause__ or exc))
                except _TooNew:
                    self._warn_once("too-new", "genai-otel: the local store %s was created by a newer genai-otel "
                                    "(schema version above %d); not writing to it. Set %s to use another file.",
                                    self.path, SCHEMA_VERSION, env.GENAI_OTEL_LOCAL_STORE_PATH)
                    return False
                except _Foreign:
                    self._warn_once("foreign", "genai-otel: %s is a database of something else, not a genai-otel "
                                    "store; not writing to it. Set %s to another file.", self.path,
                                    env.GENAI_OTEL_LOCAL_STORE_PATH)
                    return False
                except sqlite3.Error as exc:
                    if is_corruption(exc):
                        self._quarantine(str(exc))
                    elif _is_busy(exc) and attempt + 1 < _WRITE_ATTEMPTS:
                        continue
                    else:
                        self._drop_connection()
                        self._warn_once(f"sqlite:{type(exc).__name__}", "genai-otel: could not write %d call(s) "
                                        "to the local store %s: %s", len(rows), self.path, exc)
                        return False
                except OSError as exc:
                    self._warn_once(f"os:{exc.errno}", "genai-otel: cannot use the local store %s: %s", self.path,
                                    exc)
                    return False
            return False

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._drop_connection()

    # -- internals (called with the lock held) --

    def _write_once(self, rows: Sequence[Sequence[Any]]) -> None:
        conn = self._connection()
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.executemany(_INSERT, rows)
            self._apply_retention(conn)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        self._maybe_vacuum(conn)

    def _connection(self) -> sqlite3.Connection:
        if self._conn is not None and self._pid != os.getpid():
            # A forked child (gunicorn, multiprocessing): SQLite connections must not cross fork(); leave the
            # parent's alone (closing it here could release the parent's locks) and open our own.
            self._conn = None
        if self._conn is not None:
            return self._conn
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(self.path), timeout=BUSY_TIMEOUT_S, isolation_level=None,
                               check_same_thread=False)
        try:
            _prepare(conn)
        except sqlite3.Error as exc:
            conn.close()
            if is_corruption(exc):
                raise _Corrupt(str(exc)) from exc
            raise
        except BaseException:
            conn.close()
            raise
        self._conn = conn
        self._inode = _inode(self.path)
        self._pid = os.getpid()
        return conn

    def _apply_retention(self, conn: sqlite3.Connection) -> None:
        if self.retention.max_age_s is not None:
            cutoff = time.time_ns() - int(self.retention.max_age_s * 1e9)
            conn.execute("DELETE FROM calls WHERE start_time_ns < ?", (cutoff,))
        max_rows = self.retention.max_rows
        if max_rows is not None:
            low, high = conn.execute("SELECT min(id), max(id) FROM calls").fetchone()
            if low is not None and high - low + 1 > max_rows:  # ids may have gaps: only then count exactly
                row = conn.execute("SELECT id FROM calls ORDER BY id DESC LIMIT 1 OFFSET ?", (max_rows,)).fetchone()
                if row is not None:
                    conn.execute("DELETE FROM calls WHERE id <= ?", (row[0],))

    def _maybe_vacuum(self, conn: sqlite3.Connection) -> None:
        free = conn.execute("PRAGMA freelist_count").fetchone()[0]
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        if free > 64 and free * 4 > pages:
            conn.execute("PRAGMA incremental_vacuum")

    def _drop_connection(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except sqlite3.Error:
                pass
            self._conn = None

    def _quarantine(self, reason: str) -> None:
        """Move the corrupt file (and its -wal/-shm) aside, unless another process already did."""
        opened_inode = self._inode
        self._drop_connection()
        self._inode = None
        current = _inode(self.path)
        if current is None or (opened_inode is not None and current != opened_inode):
            return  # already moved aside (and maybe replaced) by another process
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        target = self.path.with_name(f"{self.path.name}.corrupt-{stamp}")
        if target.exists():
            target = target.with_name(f"{target.name}-{os.getpid()}")
        try:
            os.replace(self.path, target)
            for suffix in ("-wal", "-shm"):
                side = self.path.with_name(self.path.name + suffix)
                if side.exists():
                    os.replace(side, target.with_name(target.name + suffix))
        except OSError as exc:
            self._warn_once("quarantine", "genai-otel: the local store %s is unreadable or corrupt (%s) and could "
                            "not be moved aside: %s", self.path, reason, exc)
            return
        _logger.error("genai-otel: the local store %s was unreadable or corrupt (%s); moved it to %s and started "
                      "a new one", self.path, reason, target)

    def _warn_once(self, reason: str, message: str, *args: object) -> None:
        warn_once(f"localstore:{self.path}:{reason}", message, *args)


def _prepare(conn: sqlite3.Connection) -> None:
    """Pragmas, a cheap integrity check, and the schema (created once, in a write transaction)."""
    conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
    conn.execute("PRAGMA auto_vacuum = INCREMENTAL")  # takes effect only on a new, empty file
    conn.execute("PRAGMA journal_mode = WAL").fetchone()
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute(f"PRAGMA journal_size_limit = {_WAL_LIMIT_BYTES}")  # a checkpointed WAL is truncated to this
    check = conn.execute("PRAGMA quick_check(1)").fetchone()
    if check is None or check[0] != "ok":
        raise _Corrupt(f"integrity check: {check[0] if check else 'no answer'}")
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise _TooNew()
    if version == SCHEMA_VERSION:
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        has_table = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'calls'").fetchone()
        if version == 0 and has_table is None and _foreign_tables(conn):
            raise _Foreign()
        for statement in _SCHEMA:
            conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def _foreign_tables(conn: sqlite3.Connection) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").fetchone() \
        is not None


def _inode(path: Path) -> int | None:
    try:
        return os.stat(path).st_ino
    except OSError:
        return None
