"""Telemetry never changes the application: types, context, uninstrument, double instrumentation, internal errors."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import openai
import pytest
import wrapt
from opentelemetry import trace

from genai_otel.genai import _safety
from genai_otel.instrumentation.openai import OpenAIInstrumentor
from tests.conftest import METER_PROVIDER, TRACER_PROVIDER

MESSAGES = [{"role": "user", "content": "hi"}]
MODEL = "gpt-4o-mini"
_METHODS = ("create", "parse")


def _originals() -> dict[str, Any]:
    from openai.resources.chat import completions as module  # a package from openai 1.66 on, a module before

    return {f"{cls}.{m}": vars(getattr(module, cls))[m] for cls in ("Completions", "AsyncCompletions")
            for m in _METHODS if m in vars(getattr(module, cls))}  # parse(): openai >= 1.92


def test_uninstrument_restores_the_sdk_exactly(client: openai.OpenAI, telemetry: Any) -> None:
    wrapped = _originals()
    OpenAIInstrumentor().uninstrument()
    try:
        restored = _originals()
        for name, function in restored.items():
            assert isinstance(wrapped[name], wrapt.FunctionWrapper), name
            assert not isinstance(function, wrapt.FunctionWrapper), name
            assert wrapped[name].__wrapped__ is function, name
        client.chat.completions.create(model=MODEL, messages=MESSAGES)
        assert telemetry.genai_spans() == []
    finally:
        OpenAIInstrumentor().instrument(tracer_provider=TRACER_PROVIDER, meter_provider=METER_PROVIDER)
    client.chat.completions.create(model=MODEL, messages=MESSAGES)
    assert len(telemetry.genai_spans()) == 1


def test_instrumenting_twice_is_a_no_op(client: openai.OpenAI, telemetry: Any) -> None:
    before = _originals()
    OpenAIInstrumentor().instrument(tracer_provider=TRACER_PROVIDER, meter_provider=METER_PROVIDER)
    assert _originals() == before
    client.chat.completions.create(model=MODEL, messages=MESSAGES)
    assert len(telemetry.genai_spans()) == 1


async def test_32_concurrent_tasks_nest_under_their_own_parents(aclient: openai.AsyncOpenAI, telemetry: Any,
                                                                tracer: Any) -> None:
    async def one(i: int) -> tuple[int, int]:
        with tracer.start_as_current_span(f"task-{i}") as parent:
            await aclient.chat.completions.create(model=MODEL, messages=MESSAGES,
                                                  extra_headers={"x-fake-llm": "delay_ms=20"})
            return parent.get_span_context().span_id, parent.get_span_context().trace_id

    parents = await asyncio.gather(*(one(i) for i in range(32)))
    spans = telemetry.genai_spans()
    assert len(spans) == 32
    by_parent = {span.parent.span_id: span for span in spans}
    assert len(by_parent) == 32
    for span_id, trace_id in parents:
        assert by_parent[span_id].context.trace_id == trace_id
    assert trace.get_current_span() is trace.INVALID_SPAN


def test_internal_error_is_swallowed_logged_once_and_counted(client: openai.OpenAI, telemetry: Any,
                                                            monkeypatch: pytest.MonkeyPatch,
                                                            caplog: pytest.LogCaptureFixture) -> None:
    from genai_otel.instrumentation.openai import adapter

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise ValueError("bug in genai-otel")

    monkeypatch.setattr(adapter.ChatSurface, "response", broken)
    _safety.raise_internal_errors(False)
    before = _safety.error_counts().get("response", 0)
    try:
        with caplog.at_level(logging.ERROR, logger="genai_otel"):
            first = client.chat.completions.create(model=MODEL, messages=MESSAGES)
            second = client.chat.completions.create(model=MODEL, messages=MESSAGES)
    finally:
        _safety.raise_internal_errors(True)
    assert type(first) is type(second) is openai.types.chat.ChatCompletion
    assert _safety.error_counts()["response"] == before + 2
    logged = [r for r in caplog.records if "internal error in response" in r.getMessage()]
    assert len(logged) <= 1  # once per kind per process (an earlier test may already have logged it)
    assert len(telemetry.genai_spans()) == 2  # spans still end
    [point] = telemetry.metric_points("genai_otel.internal.errors")
    assert point["attributes"] == {"genai_otel.error.kind": "response"}
    assert point["value"] == 2


def test_internal_errors_reraise_under_tests(client: openai.OpenAI, monkeypatch: pytest.MonkeyPatch) -> None:
    from genai_otel.instrumentation.openai import adapter

    monkeypatch.setattr(adapter.ChatSurface, "request", lambda *a, **k: 1 / 0)
    with pytest.raises(_safety.InternalError):
        client.chat.completions.create(model=MODEL, messages=MESSAGES)


def test_sdk_is_not_imported_by_our_package() -> None:
    import subprocess
    import sys

    code = ("import sys, genai_otel, genai_otel.distro, genai_otel.configurator, "
            "genai_otel.instrumentation.openai; print('openai' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_reinstrument_before_the_sdk_is_imported_uses_the_latest_providers() -> None:
    """instrument -> uninstrument -> instrument again, then ``import openai``: the patch must use the second
    instrument()'s providers, and there must be exactly one wrapper (no stale hook from the first)."""
    import subprocess
    import sys

    code = """
import sys
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from genai_otel.instrumentation.openai import OpenAIInstrumentor
from genai_otel.testing.fake_llm import FakeLLMServer
first, second = InMemorySpanExporter(), InMemorySpanExporter()
providers = []
for exporter in (first, second):
    provider = TracerProvider(); provider.add_span_processor(SimpleSpanProcessor(exporter)); providers.append(provider)
OpenAIInstrumentor().instrument(tracer_provider=providers[0])
OpenAIInstrumentor().uninstrument()
OpenAIInstrumentor().instrument(tracer_provider=providers[1])
assert "openai" not in sys.modules
import openai
from openai.resources.chat import completions
assert not hasattr(vars(completions.Completions)["create"].__wrapped__, "_self_wrapper")  # wrapped once
with FakeLLMServer() as server, openai.OpenAI(api_key="sk-x", base_url=server.openai_base_url) as client:
    client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
print(len(first.get_finished_spans()), len(second.get_finished_spans()))
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["0", "1"]
