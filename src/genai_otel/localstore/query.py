"""Reading the local store: what ``genai-otel report``, ``tail`` and ``doctor`` see.

Readers open the file read-only (``mode=ro``) and never change it: a missing file raises :class:`StoreMissing`, a
corrupt or foreign one :class:`StoreCorrupt` (the exporter, not a reader, moves a corrupt file aside).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final
from urllib.parse import quote

from genai_otel.genai import semconv
from genai_otel.localstore.exporter import COST_USD, PROMPT_HASH
from genai_otel.localstore.store import BUSY_TIMEOUT_S, COLUMNS, SCHEMA_VERSION, is_corruption

__all__ = ["ATTRIBUTE_COLUMNS", "Call", "Reader", "StoreCorrupt", "StoreError", "StoreInfo", "StoreMissing",
           "open_store"]


class StoreError(Exception):
    """The store cannot be read; the message says why and what to do."""


class StoreMissing(StoreError):
    pass


class StoreCorrupt(StoreError):
    pass


ATTRIBUTE_COLUMNS: Final[Mapping[str, str]] = {
    semconv.PROVIDER_NAME: "provider",
    semconv.OPERATION_NAME: "operation",
    semconv.REQUEST_MODEL: "request_model",
    semconv.RESPONSE_MODEL: "response_model",
    semconv.SERVER_ADDRESS: "server_address",
    semconv.SERVER_PORT: "server_port",
    semconv.ERROR_TYPE: "error_type",
    semconv.RESPONSE_TIME_TO_FIRST_CHUNK: "ttfc_s",
    semconv.REQUEST_STREAM: "stream",
    semconv.USAGE_INPUT_TOKENS: "input_tokens",
    semconv.USAGE_OUTPUT_TOKENS: "output_tokens",
    semconv.USAGE_CACHE_READ_INPUT_TOKENS: "cache_read_tokens",
    semconv.USAGE_CACHE_CREATION_INPUT_TOKENS: "cache_creation_tokens",
    semconv.USAGE_REASONING_OUTPUT_TOKENS: "reasoning_tokens",
    semconv.RESPONSE_FINISH_REASONS: "finish_reasons",
    semconv.RESPONSE_ID: "response_id",
    COST_USD: "cost_usd",
    PROMPT_HASH: "prompt_hash",
    "service.name": "service_name",
}
"""Span attribute names that live in a column of their own (any other attribute is in ``Call.attributes``)."""


@dataclass(frozen=True)
class Call:
    """One stored GenAI call."""

    id: int
    start_time_ns: int
    end_time_ns: int
    trace_id: str
    span_id: str
    parent_span_id: str | None
    service_name: str | None
    span_name: str
    provider: str | None
    operation: str | None
    request_model: str | None
    response_model: str | None
    server_address: str | None
    server_port: int | None
    status: str
    error_type: str | None
    duration_s: float
    ttfc_s: float | None
    stream: bool | None
    input_tokens: int | None
    output_tokens: int | None
    cache_read_tokens: int | None
    cache_creation_tokens: int | None
    reasoning_tokens: int | None
    cost_usd: float | None
    finish_reasons: tuple[str, ...] | None
    prompt_hash: str | None
    response_id: str | None
    attributes: Mapping[str, Any] = field(default_factory=dict)

    @property
    def model(self) -> str | None:
        """The model the caller asked for (the response's when the request named none)."""
        return self.request_model or self.response_model

    @property
    def failed(self) -> bool:
        return self.status == "ERROR"

    @property
    def unpriced(self) -> bool:
        """Tokens were used but no price was known (no cost)."""
        return self.cost_usd is None and (self.input_tokens is not None or self.output_tokens is not None)

    def attribute(self, name: str) -> Any:
        """A span attribute by its name, whether it has a column or sits in ``attributes``."""
        column = ATTRIBUTE_COLUMNS.get(name)
        if column is not None:
            value = getattr(self, column)
            return list(value) if isinstance(value, tuple) else value
        return self.attributes.get(name)

    def to_dict(self) -> dict[str, Any]:
        data = {name: getattr(self, name) for name in ("id", *COLUMNS)}
        data["finish_reasons"] = list(self.finish_reasons) if self.finish_reasons is not None else None
        data["attributes"] = dict(self.attributes)
        return data


@dataclass(frozen=True)
class StoreInfo:
    path: Path
    size_bytes: int
    """The database file plus its -wal file."""
    rows: int
    oldest_ns: int | None
    newest_ns: int | None


_INT64_MIN: Final = -(2**63)
_INT64_MAX: Final = 2**63 - 1
_SELECT: Final = f"SELECT id, {', '.join(COLUMNS)} FROM calls"


def _call(row: sqlite3.Row) -> Call:
    data = dict(row)
    data["stream"] = None if data["stream"] is None else bool(data["stream"])
    reasons = data["finish_reasons"]
    data["finish_reasons"] = tuple(json.loads(reasons)) if reasons else None
    data["attributes"] = json.loads(data["attributes"] or "{}")
    return Call(**data)


class Reader:
    """A read-only view of one store file (use :func:`open_store`)."""

    def __init__(self, path: Path, conn: sqlite3.Connection) -> None:
        self.path = path
        self._conn = conn

    def calls(self, since_ns: int | None = None) -> list[Call]:
        """Calls started at or after ``since_ns`` (all when None), oldest first."""
        if since_ns is None:
            return self._fetch(f"{_SELECT} ORDER BY start_time_ns, id", ())
        cutoff = min(max(since_ns, _INT64_MIN), _INT64_MAX)  # dates beyond SQLite's integers
        return self._fetch(f"{_SELECT} WHERE start_time_ns >= ? ORDER BY start_time_ns, id", (cutoff,))

    def calls_after(self, last_id: int, limit: int = 1000) -> list[Call]:
        """Calls stored after the one with id ``last_id``, in the order they were stored."""
        return self._fetch(f"{_SELECT} WHERE id > ? ORDER BY id LIMIT ?", (last_id, limit))

    def last(self, count: int) -> list[Call]:
        """The ``count`` calls stored last, oldest first."""
        rows = self._fetch(f"{_SELECT} ORDER BY id DESC LIMIT ?", (count,))
        return rows[::-1]

    def max_id(self) -> int:
        return int(self._query("SELECT coalesce(max(id), 0) FROM calls", ())[0][0])

    def info(self) -> StoreInfo:
        rows, oldest, newest = self._query("SELECT count(*), min(start_time_ns), max(start_time_ns) FROM calls",
                                           ())[0]
        size = sum(_size(self.path.with_name(self.path.name + suffix)) for suffix in ("", "-wal"))
        return StoreInfo(self.path, size, rows, oldest, newest)

    def unpriced_models(self) -> list[tuple[str | None, str | None, int]]:
        """(provider, response model, calls) of the calls that used tokens but got no cost, most calls first."""
        rows = self._query(
            "SELECT provider, coalesce(response_model, request_model) AS model, count(*) AS n FROM calls "
            "WHERE cost_usd IS NULL AND (input_tokens IS NOT NULL OR output_tokens IS NOT NULL) "
            "GROUP BY provider, model ORDER BY n DESC, provider, model", ())
        return [(row[0], row[1], int(row[2])) for row in rows]

    def integrity(self) -> str:
        """``ok``, or SQLite's first complaint about the file."""
        return str(self._query("PRAGMA quick_check(1)", ())[0][0])

    def close(self) -> None:
        self._conn.close()

    def _fetch(self, sql: str, params: tuple[Any, ...]) -> list[Call]:
        return [_call(row) for row in self._query(sql, params)]

    def _query(self, sql: str, params: tuple[Any, ...]) -> list[sqlite3.Row]:
        try:
            return self._conn.execute(sql, params).fetchall()
        except sqlite3.DatabaseError as exc:
            raise _translate(self.path, exc) from exc


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _translate(path: Path, exc: sqlite3.Error) -> StoreError:
    if is_corruption(exc):
        return StoreCorrupt(f"{path} is not a readable genai-otel store ({exc}). An instrumented app moves a "
                            "corrupt store aside by itself the next time it writes; to start over now, delete it.")
    return StoreError(f"cannot read the store {path}: {exc}")


@contextmanager
def open_store(path: Path) -> Iterator[Reader]:
    """Open the store at ``path`` read-only; raises :class:`StoreMissing` / :class:`StoreCorrupt` /
    :class:`StoreError`."""
    if not path.exists():
        raise StoreMissing(f"no local store at {path}: nothing has been recorded there yet. Run your app under "
                           "`opentelemetry-instrument` with no exporter configured (or with "
                           "OTEL_TRACES_EXPORTER listing genai_otel_local), or point GENAI_OTEL_LOCAL_STORE_PATH or "
                           "--store at the right file.")
    if path.is_dir():
        raise StoreError(f"{path} is a directory, not a store file")
    try:
        conn = sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_S)
    except sqlite3.Error as exc:
        raise _translate(path, exc) from exc
    conn.row_factory = sqlite3.Row
    reader = Reader(path, conn)
    try:
        _check_schema(reader, conn)
        yield reader
    finally:
        conn.close()


def _check_schema(reader: Reader, conn: sqlite3.Connection) -> None:
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        has_table = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'calls'").fetchone()
    except sqlite3.DatabaseError as exc:
        raise _translate(reader.path, exc) from exc
    if version > SCHEMA_VERSION:
        raise StoreError(f"{reader.path} was written by a newer genai-otel (schema {version}); upgrade genai-otel "
                         "to read it")
    if has_table is None or version < 1:
        raise StoreCorrupt(f"{reader.path} is not a genai-otel store (no calls table)")
