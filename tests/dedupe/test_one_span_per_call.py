"""Exactly one GenAI span per call under ``opentelemetry-instrument``, with the other GenAI instrumentations of
openai and anthropic really installed next to genai-otel: OpenTelemetry's ``openai-v2`` and ``genai-openai`` /
``genai-anthropic``, OpenLLMetry's and OpenInference's, and the anthropic SDK's own spans.

They live in a separate virtual environment, ``.venv-others`` (``bash scripts/dedupe-env.sh`` makes it from
``scripts/others-requirements.txt``; ``GENAI_OTEL_OTHERS_VENV`` points elsewhere). Without it these tests skip.
examples/chat_app.py and examples/anthropic_app.py run there in one process (8 calls: 5 OpenAI, one of them failing,
and 3 Anthropic) and every span goes over OTLP to a real receiver, where the GenAI spans are counted by scope.
"""

from __future__ import annotations

import os
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from genai_otel.testing.fake_llm import FakeLLMServer
from genai_otel.testing.otlp_receiver import OTLPReceiver

ROOT = Path(__file__).resolve().parents[2]
VENV = Path(os.environ.get("GENAI_OTEL_OTHERS_VENV") or ROOT / ".venv-others")
APP = Path(__file__).with_name("both_apps.py")
CALLS = {"chat gpt-4o-mini": 4, "chat gpt-4.1": 1, "chat claude-haiku-4-5": 3}
OTHERS = {  # what each of them adds for these 8 calls when allowed (pinned versions)
    "opentelemetry.util.genai.handler": 13,  # openai-v2 (5) + genai-openai (5) + genai-anthropic (3)
    "opentelemetry.instrumentation.openai.v1": 5,  # OpenLLMetry
    "opentelemetry.instrumentation.anthropic": 3,  # OpenLLMetry
    "openinference.instrumentation.openai": 5,
    "openinference.instrumentation.anthropic": 3,
}

pytestmark = pytest.mark.skipif(
    not (VENV / "bin" / "opentelemetry-instrument").exists(),
    reason=f"{VENV} does not exist: run `bash scripts/dedupe-env.sh` (1-2 minutes; scripts/test.sh does it) to "
           "install the other GenAI instrumentations there")


def _is_genai(span: Any) -> bool:
    """A GenAI span in any of the conventions in use: OpenTelemetry GenAI, OpenLLMetry, OpenInference."""
    return any(key.startswith(("gen_ai.", "llm.")) or key == "openinference.span.kind" for key in span.attributes)


def _run(**settings: str) -> list[Any]:
    with FakeLLMServer() as server, OTLPReceiver() as receiver:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("OTEL_", "GENAI_OTEL_", "VIRTUAL_ENV", "PYTHON"))}
        env.update(receiver.exporter_env("http/protobuf"))
        env.update(OPENAI_BASE_URL=server.openai_base_url, OPENAI_API_KEY="sk-dedupe-FAKEKEY-0123456789",
                   ANTHROPIC_BASE_URL=server.anthropic_base_url, ANTHROPIC_API_KEY="sk-ant-dedupe-FAKEKEY-0123",
                   OTEL_BSP_SCHEDULE_DELAY="100", OTEL_METRICS_EXPORTER="none", OTEL_LOGS_EXPORTER="none",
                   PATH=f"{VENV / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}", **settings)
        result = subprocess.run([str(VENV / "bin" / "opentelemetry-instrument"), str(VENV / "bin" / "python"),
                                 str(APP)], env=env, capture_output=True, text=True, timeout=180)
        assert result.returncode == 0, result.stderr
        assert "rate limited, as asked: 429" in result.stdout and "tool call: get_weather" in result.stdout
        receiver.wait_for_spans(_is_genai, count=8, timeout=20)  # all exported before the app exited
        return [span for span in receiver.spans() if _is_genai(span)]


def _by_scope(spans: list[Any]) -> Counter[str]:
    return Counter(span.scope_name for span in spans)


def test_by_default_each_call_has_one_genai_span_ours() -> None:
    spans = _run()
    assert _by_scope(spans) == {"genai_otel": 8}
    assert Counter(span.name for span in spans) == CALLS
    failed = [s for s in spans if s.status_code == "ERROR"]
    assert [s.attributes["error.type"] for s in failed] == ["openai.RateLimitError"]


def test_allow_keeps_every_instrumentation() -> None:
    spans = _run(GENAI_OTEL_OTHER_INSTRUMENTATIONS="allow")
    assert _by_scope(spans) == {"genai_otel": 8, **OTHERS}


def test_only_theirs_when_ours_is_disabled() -> None:
    spans = _run(GENAI_OTEL_OTHER_INSTRUMENTATIONS="allow",
                 OTEL_PYTHON_DISABLED_INSTRUMENTATIONS="genai_otel_openai,genai_otel_anthropic")
    by_scope = _by_scope(spans)
    assert "genai_otel" not in by_scope
    # Without our Anthropic instrumentor the anthropic SDK's own spans come back too (one per call).
    assert by_scope == {**OTHERS, "com.anthropic.sdk.python": 3}


def test_disabling_ours_for_one_sdk_lets_the_others_instrument_it() -> None:
    spans = _run(OTEL_PYTHON_DISABLED_INSTRUMENTATIONS="genai_otel_openai")
    by_scope = _by_scope(spans)
    assert by_scope["genai_otel"] == 3  # Anthropic: ours only
    assert not [s for s in spans if s.scope_name != "genai_otel" and "claude" in s.name.lower()]
    assert by_scope["opentelemetry.instrumentation.openai.v1"] == 5
    assert by_scope["openinference.instrumentation.openai"] == 5
