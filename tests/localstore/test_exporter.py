"""The exporter's rows: real spans from real openai calls (fake server over HTTP) written through
``LocalStoreSpanExporter`` and read back with plain sqlite3.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import openai
import pytest
from opentelemetry.sdk.trace.export import SpanExportResult

from genai_otel.localstore import LocalStoreSpanExporter
from genai_otel.localstore.store import COLUMNS
from genai_otel.testing.fake_llm import FakeLLMServer
from tests.localstore._support import stored_rows
from tests.openai.conftest import directives

MESSAGES = [{"role": "user", "content": "Say hi"}]  # 3 + 2 words: 5 input tokens
COLUMN_ATTRIBUTES = {
    "gen_ai.provider.name", "gen_ai.operation.name", "gen_ai.request.model", "gen_ai.response.model",
    "server.address", "server.port", "error.type", "gen_ai.response.time_to_first_chunk", "gen_ai.request.stream",
    "gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens", "gen_ai.usage.cache_read.input_tokens",
    "gen_ai.usage.cache_creation.input_tokens", "gen_ai.usage.reasoning.output_tokens", "genai_otel.cost.usd",
    "genai_otel.cost.unknown", "gen_ai.response.finish_reasons", "genai_otel.prompt.hash", "gen_ai.response.id",
}  # fmt: skip


def _export(store: Path, spans: Any) -> SpanExportResult:
    exporter = LocalStoreSpanExporter(store)
    try:
        return exporter.export(spans)
    finally:
        exporter.shutdown()


def test_a_chat_call_becomes_one_row(client: openai.OpenAI, telemetry: Any, store: Path,
                                     fake_llm: FakeLLMServer) -> None:
    completion = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, temperature=0.5,
                                                **directives(cached=3, reasoning=2, chunks=4))
    span = telemetry.only_span()
    assert _export(store, [span]) is SpanExportResult.SUCCESS
    [row] = stored_rows(store)
    context = span.get_span_context()
    assert set(row) == {"id", *COLUMNS}
    expected_cost = span.attributes.get("genai_otel.cost.usd")
    assert row == {
        "id": 1,
        "start_time_ns": span.start_time,
        "end_time_ns": span.end_time,
        "trace_id": format(context.trace_id, "032x"),
        "span_id": format(context.span_id, "016x"),
        "parent_span_id": None,
        "service_name": span.resource.attributes["service.name"],
        "span_name": "chat gpt-4o-mini",
        "provider": "openai",
        "operation": "chat",
        "request_model": "gpt-4o-mini",
        "response_model": "gpt-4o-mini-2024-07-18",
        "server_address": "127.0.0.1",
        "server_port": int(fake_llm.url.rsplit(":", 1)[1]),
        "status": "UNSET",
        "error_type": None,
        "duration_s": (span.end_time - span.start_time) / 1e9,
        "ttfc_s": None,
        "stream": 0,
        "input_tokens": 5 + 3,  # the cached prompt tokens are part of the input
        "output_tokens": 4 + 2,  # reasoning tokens are part of the output
        "cache_read_tokens": 3,
        "cache_creation_tokens": None,
        "reasoning_tokens": 2,
        "cost_usd": expected_cost,
        "finish_reasons": '["stop"]',
        "prompt_hash": span.attributes.get("genai_otel.prompt.hash"),  # when prompt hashing is on
        "response_id": completion.id,
        # every attribute without a column of its own
        "attributes": json.dumps({key: value for key, value in span.attributes.items() if key not in COLUMN_ATTRIBUTES},
                                 sort_keys=True, separators=(",", ":")),
    }  # fmt: skip
    assert {key: value for key, value in json.loads(row["attributes"]).items() if not key.startswith("genai_otel.")
            } == {
        "gen_ai.request.temperature": 0.5,
        "openai.api.type": "chat_completions",
        "openai.response.service_tier": completion.service_tier,
        "openai.response.system_fingerprint": completion.system_fingerprint,
    }  # fmt: skip


def test_stream_error_and_child_span(client: openai.OpenAI, telemetry: Any, tracer: Any, store: Path) -> None:
    with tracer.start_as_current_span("caller") as caller:
        stream = client.chat.completions.create(model="gpt-4.1", messages=MESSAGES, stream=True,
                                                stream_options={"include_usage": True}, **directives(chunks=3))
        assert "".join(c.choices[0].delta.content or "" for c in stream if c.choices) == "word0 word1 word2"
        with pytest.raises(openai.RateLimitError):
            client.chat.completions.create(model="gpt-4.1", messages=MESSAGES, **directives(status=429))
    streamed, failed = telemetry.genai_spans()
    everything = telemetry.spans()  # the caller span too: not a GenAI span, not stored
    assert len(everything) == 3
    assert _export(store, everything) is SpanExportResult.SUCCESS
    first, second = stored_rows(store)
    parent = format(caller.get_span_context().span_id, "016x")
    assert (first["span_name"], first["stream"], first["parent_span_id"]) == ("chat gpt-4.1", 1, parent)
    assert first["ttfc_s"] == streamed.attributes["gen_ai.response.time_to_first_chunk"]
    assert (first["input_tokens"], first["output_tokens"]) == (5, 3)
    assert json.loads(first["attributes"])["genai_otel.stream.ending"] == "completed"
    assert (second["status"], second["error_type"]) == ("ERROR", "openai.RateLimitError")
    assert (second["response_model"], second["input_tokens"], second["cost_usd"]) == (None, None, None)
    assert second["parent_span_id"] == parent
    assert failed.attributes["error.type"] == "openai.RateLimitError"


def test_other_instrumentations_genai_spans_are_kept_and_content_is_not(tracer: Any, store: Path) -> None:
    with tracer.start_as_current_span("chat other-model", attributes={
        "gen_ai.operation.name": "chat", "gen_ai.system": "someone", "gen_ai.request.model": "other-model",
        "gen_ai.input.messages": '[{"role": "user"}]', "app.team": "search", "app.flags": ("a", "b"),
        "genai_otel.cost.usd": 0.25, "genai_otel.prompt.hash": "abc123",
    }):
        pass
    with tracer.start_as_current_span("GET /health"):
        pass
    from tests.conftest import _span_exporter

    spans = [s for s in _span_exporter.get_finished_spans() if s.name in ("chat other-model", "GET /health")]
    _span_exporter.clear()
    assert _export(store, spans) is SpanExportResult.SUCCESS
    [row] = stored_rows(store)
    assert (row["provider"], row["operation"], row["request_model"]) == ("someone", "chat", "other-model")
    assert (row["cost_usd"], row["prompt_hash"]) == (0.25, "abc123")
    assert json.loads(row["attributes"]) == {"app.flags": ["a", "b"], "app.team": "search"}


def test_a_retried_batch_is_not_stored_twice(client: openai.OpenAI, telemetry: Any, store: Path) -> None:
    client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    span = telemetry.only_span()
    exporter = LocalStoreSpanExporter(store)
    assert exporter.export([span]) is SpanExportResult.SUCCESS
    assert exporter.export([span]) is SpanExportResult.SUCCESS
    exporter.shutdown()
    assert len(stored_rows(store)) == 1
    assert exporter.export([span]) is SpanExportResult.FAILURE  # after shutdown, as the SDK expects


def test_nothing_is_opened_until_the_first_batch(store: Path) -> None:
    exporter = LocalStoreSpanExporter(store)
    assert exporter.path == store
    assert not store.parent.exists()
    assert exporter.export([]) is SpanExportResult.SUCCESS
    assert not store.parent.exists()
    exporter.shutdown()


def test_an_unusable_path_logs_once_and_drops_the_batch(client: openai.OpenAI, telemetry: Any, tmp_path: Path,
                                                        caplog: pytest.LogCaptureFixture) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    span = telemetry.only_span()
    exporter = LocalStoreSpanExporter(blocker / "calls.sqlite3")
    with caplog.at_level(logging.WARNING, logger="genai_otel"):
        assert exporter.export([span]) is SpanExportResult.FAILURE
        assert exporter.export([span]) is SpanExportResult.FAILURE
    messages = [r.getMessage() for r in caplog.records if "cannot use the local store" in r.getMessage()]
    assert len(messages) == 1
    assert str(blocker / "calls.sqlite3") in messages[0]
