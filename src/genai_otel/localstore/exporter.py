"""The ``genai_otel_local`` span exporter: GenAI spans become rows of the local store.

Selected like any exporter, ``OTEL_TRACES_EXPORTER=genai_otel_local`` (or ``otlp,genai_otel_local``), and chosen by
the distro when nothing else is configured. The SDK's configurator puts it behind a ``BatchSpanProcessor``, so the
application's threads only queue finished spans; the file is opened, written and pruned in the processor's
worker thread, one transaction per batch.

Only GenAI spans are stored: spans of the ``genai_otel`` instrumentation scope, and any span carrying
``gen_ai.operation.name`` (other GenAI instrumentations). Other spans are dropped silently.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from genai_otel.genai import semconv
from genai_otel.genai._safety import internal_error
from genai_otel.localstore.store import Retention, Store, read_retention, store_path

__all__ = ["COST_USD", "LocalStoreSpanExporter", "PROMPT_HASH", "is_genai_span", "span_to_row"]

COST_USD: Final = semconv.EXTRA_COST_USD
"""Cost of the call in US dollars (set by the cost engine; absent when the price is unknown)."""
COST_UNKNOWN: Final = semconv.EXTRA_COST_UNKNOWN
PROMPT_HASH: Final = "genai_otel.prompt.hash"
"""The prompt's hash (a later issue emits it; until then the column stays NULL)."""
_SERVICE_NAME: Final = "service.name"
_LEGACY_PROVIDER: Final = "gen_ai.system"

# Attributes that have a column of their own (everything else goes to the JSON ``attributes`` column).
_COLUMN_ATTRIBUTES: Final = frozenset({
    semconv.PROVIDER_NAME, _LEGACY_PROVIDER, semconv.OPERATION_NAME, semconv.REQUEST_MODEL, semconv.RESPONSE_MODEL,
    semconv.SERVER_ADDRESS, semconv.SERVER_PORT, semconv.ERROR_TYPE, semconv.RESPONSE_TIME_TO_FIRST_CHUNK,
    semconv.REQUEST_STREAM, semconv.USAGE_INPUT_TOKENS, semconv.USAGE_OUTPUT_TOKENS,
    semconv.USAGE_CACHE_READ_INPUT_TOKENS, semconv.USAGE_CACHE_CREATION_INPUT_TOKENS,
    semconv.USAGE_REASONING_OUTPUT_TOKENS, COST_USD, COST_UNKNOWN, semconv.RESPONSE_FINISH_REASONS, PROMPT_HASH,
    semconv.RESPONSE_ID,
})  # fmt: skip
# Message content (captured only when the user turns content capture on) is not kept in the local store.
_CONTENT_ATTRIBUTES: Final = frozenset({
    "gen_ai.input.messages", "gen_ai.output.messages", "gen_ai.system_instructions", "gen_ai.tool.definitions",
    "gen_ai.prompt", "gen_ai.completion",
})  # fmt: skip


def is_genai_span(span: ReadableSpan) -> bool:
    scope = span.instrumentation_scope
    if scope is not None and scope.name == semconv.SCOPE_NAME:
        return True
    return bool(span.attributes) and semconv.OPERATION_NAME in span.attributes  # type: ignore[operator]


def span_to_row(span: ReadableSpan) -> tuple[Any, ...]:
    """The store row for one GenAI span, values in :data:`genai_otel.localstore.store.COLUMNS` order."""
    attrs: Mapping[str, Any] = span.attributes or {}
    context = span.get_span_context()
    start = span.start_time or 0
    end = span.end_time or start
    parent = span.parent.span_id if span.parent is not None else None
    resource_attrs = span.resource.attributes if span.resource is not None else {}
    extras = {key: _jsonable(value) for key, value in attrs.items()
              if key not in _COLUMN_ATTRIBUTES and key not in _CONTENT_ATTRIBUTES}
    finish = attrs.get(semconv.RESPONSE_FINISH_REASONS)
    stream = attrs.get(semconv.REQUEST_STREAM)
    return (
        start,
        end,
        format(context.trace_id, "032x") if context is not None else "0" * 32,
        format(context.span_id, "016x") if context is not None else "0" * 16,
        format(parent, "016x") if parent else None,
        _text(resource_attrs.get(_SERVICE_NAME)),
        span.name,
        _text(attrs.get(semconv.PROVIDER_NAME, attrs.get(_LEGACY_PROVIDER))),
        _text(attrs.get(semconv.OPERATION_NAME)),
        _text(attrs.get(semconv.REQUEST_MODEL)),
        _text(attrs.get(semconv.RESPONSE_MODEL)),
        _text(attrs.get(semconv.SERVER_ADDRESS)),
        _integer(attrs.get(semconv.SERVER_PORT)),
        span.status.status_code.name,
        _text(attrs.get(semconv.ERROR_TYPE)),
        max(0, end - start) / 1e9,
        _number(attrs.get(semconv.RESPONSE_TIME_TO_FIRST_CHUNK)),
        int(stream) if isinstance(stream, bool) else None,
        _integer(attrs.get(semconv.USAGE_INPUT_TOKENS)),
        _integer(attrs.get(semconv.USAGE_OUTPUT_TOKENS)),
        _integer(attrs.get(semconv.USAGE_CACHE_READ_INPUT_TOKENS)),
        _integer(attrs.get(semconv.USAGE_CACHE_CREATION_INPUT_TOKENS)),
        _integer(attrs.get(semconv.USAGE_REASONING_OUTPUT_TOKENS)),
        _number(attrs.get(COST_USD)),
        json.dumps([str(reason) for reason in finish]) if isinstance(finish, Sequence) and not isinstance(
            finish, str) else None,
        _text(attrs.get(PROMPT_HASH)),
        _text(attrs.get(semconv.RESPONSE_ID)),
        json.dumps(extras, sort_keys=True, separators=(",", ":")),
    )


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _integer(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _number(value: object) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return None


def _jsonable(value: object) -> object:
    if isinstance(value, (str, bool, int)) or value is None:
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, Sequence):
        return [_jsonable(item) for item in value]
    return str(value)


class LocalStoreSpanExporter(SpanExporter):
    """Writes GenAI spans to the local store (path and retention from the environment unless given)."""

    def __init__(self, path: str | Path | None = None, retention: Retention | None = None) -> None:
        self._store = Store(Path(path) if path is not None else store_path(),
                            retention if retention is not None else read_retention())

    @property
    def path(self) -> Path:
        return self._store.path

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        rows = []
        for span in spans:
            try:
                if is_genai_span(span):
                    rows.append(span_to_row(span))
            except Exception as exc:  # noqa: BLE001 - one odd span must not cost the batch
                internal_error("localstore.row", exc)
        try:
            stored = self._store.write(rows)
        except Exception as exc:  # noqa: BLE001 - Store.write does not raise; this guards our own bugs
            internal_error("localstore.write", exc)
            return SpanExportResult.FAILURE
        return SpanExportResult.SUCCESS if stored else SpanExportResult.FAILURE

    def shutdown(self) -> None:
        self._store.close()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True  # every export is committed before it returns
