"""The anthropic SDK's own spans versus ours: exactly one GenAI span per call, ours by default, the SDK's on request.

The SDK emits its spans only through a *global* TracerProvider, which a test process must not set for everyone
else, so each case runs ``sdk_spans_app.py`` in a fresh interpreter.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import anthropic
import anthropic._base_client
import pytest

_SDK_TRACES = hasattr(anthropic._base_client, "start_api_call_span")
sdk_traces = pytest.mark.skipif(not _SDK_TRACES, reason=f"anthropic {anthropic.__version__} emits no spans of "
                                                        "its own (added in 1.14)")

_APP = Path(__file__).with_name("sdk_spans_app.py")
_ROOT = Path(__file__).resolve().parents[2]
_SDK_SCOPE = "com.anthropic.sdk.python"
_CALLS = 3  # create, create(stream=True), the stream helper


def run_app(mode: str, **env: str) -> dict[str, Any]:
    environment = {key: value for key, value in os.environ.items()
                   if not key.startswith(("OTEL_", "ANTHROPIC_", "GENAI_OTEL_ANTHROPIC"))}
    environment.update(env, PYTHONPATH=os.pathsep.join([str(_ROOT), environment.get("PYTHONPATH", "")]))
    done = subprocess.run([sys.executable, str(_APP), mode], capture_output=True, text=True, env=environment,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    result["stderr"] = done.stderr
    return result


def by_scope(spans: list[dict[str, Any]], scope: str) -> list[dict[str, Any]]:
    return [span for span in spans if span["scope"] == scope]


@sdk_traces
def test_without_genai_otel_the_sdk_emits_its_own_spans() -> None:
    """The control: this setup really does make the SDK trace."""
    result = run_app("plain")
    sdk = by_scope(result["spans"], _SDK_SCOPE)
    assert [span["name"] for span in sdk].count("anthropic.messages.create") == _CALLS


@sdk_traces
def test_default_one_span_per_call_ours() -> None:
    result = run_app("instrumented")
    spans = result["spans"]
    [caller] = [span for span in spans if span["name"] == "caller"]
    ours = by_scope(spans, "genai_otel")
    sdk = by_scope(spans, _SDK_SCOPE)
    assert [span["name"] for span in ours] == ["chat claude-haiku-4-5"] * _CALLS
    assert all(span["parent_id"] == caller["span_id"] for span in ours)
    assert [span["name"] for span in sdk] == ["anthropic.messages.count_tokens"]  # not ours: the SDK keeps it
    # the SDK still propagates the trace context, now naming our span as the parent of the provider's work
    messages_traceparents = result["traceparents"][:_CALLS]
    assert [header.split("-")[2] for header in messages_traceparents] == [span["span_id"] for span in ours]
    assert result["durations"] == [_CALLS]


@sdk_traces
def test_native_spans_on_request() -> None:
    result = run_app("instrumented", GENAI_OTEL_ANTHROPIC_NATIVE_SPANS="true")
    spans = result["spans"]
    [caller] = [span for span in spans if span["name"] == "caller"]
    assert by_scope(spans, "genai_otel") == []
    sdk = [span for span in by_scope(spans, _SDK_SCOPE) if span["name"] == "anthropic.messages.create"]
    assert len(sdk) == _CALLS
    assert all(span["parent_id"] == caller["span_id"] for span in sdk)
    assert all(span["attributes"]["gen_ai.provider.name"] == "anthropic" for span in sdk)
    assert result["durations"] == [_CALLS]  # genai-otel still records the GenAI metrics


@sdk_traces
def test_sdk_switch_off_leaves_ours() -> None:
    result = run_app("instrumented", ANTHROPIC_OPEN_TELEMETRY="false")
    assert [span["name"] for span in by_scope(result["spans"], "genai_otel")] == ["chat claude-haiku-4-5"] * _CALLS
    assert by_scope(result["spans"], _SDK_SCOPE) == []


@sdk_traces
def test_without_a_global_provider() -> None:
    """The SDK's tracer then records nothing and only carries the current span context, if there is one: ours
    under a caller's span (as it would carry the caller's without us), none for a call made outside any span."""
    result = run_app("instrumented-no-global")
    spans = result["spans"]
    [caller] = [span for span in spans if span["name"] == "caller"]
    ours = by_scope(spans, "genai_otel")
    assert len(ours) == _CALLS + 1
    assert by_scope(spans, _SDK_SCOPE) == []
    parents = [header.split("-")[2] if header else None for header in result["traceparents"]]
    assert parents == [span["span_id"] for span in ours[:_CALLS]] + [caller["span_id"], None]
    assert ours[-1]["parent_id"] is None


@pytest.mark.skipif(_SDK_TRACES, reason="this SDK has spans of its own")
def test_native_spans_requested_from_an_sdk_without_them_keeps_ours() -> None:
    result = run_app("instrumented", GENAI_OTEL_ANTHROPIC_NATIVE_SPANS="true")
    ours = by_scope(result["spans"], "genai_otel")
    assert [span["name"] for span in ours] == ["chat claude-haiku-4-5"] * _CALLS
    assert "GENAI_OTEL_ANTHROPIC_NATIVE_SPANS=true, but this anthropic SDK has no spans of its own" in result["stderr"]
