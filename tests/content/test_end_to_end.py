"""End to end, zero code changes: an app under ``opentelemetry-instrument`` with content capture on sends its spans and
``gen_ai.client.inference.operation.details`` events over OTLP (or to the console), correlated, redacted, and with
none of the keys or header values it used. (The suite-wide scan checks everything the receiver gets as well.)"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from genai_otel.testing.fake_llm import FakeLLMServer
from genai_otel.testing.otlp_receiver import OTLPReceiver
from tests._secret_scan import SECRETS
from tests.conftest import FAKE_ANTHROPIC_KEY, FAKE_API_KEY
from tests.content.schemas import validate

ROOT = Path(__file__).resolve().parents[2]
INSTRUMENT = Path(sys.executable).parent / "opentelemetry-instrument"
APP = Path(__file__).with_name("content_app.py")
EVENT = "gen_ai.client.inference.operation.details"
HAS_ANTHROPIC = importlib.util.find_spec("anthropic") is not None


@pytest.fixture(scope="module")
def fake_llm() -> Iterator[FakeLLMServer]:
    with FakeLLMServer() as server:
        yield server


def app_env(fake_llm: FakeLLMServer, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "GENAI_OTEL_"))}
    env.update(
        PYTHONPATH=str(ROOT), OPENAI_BASE_URL=fake_llm.openai_base_url, OPENAI_API_KEY=FAKE_API_KEY,
        ANTHROPIC_BASE_URL=fake_llm.anthropic_base_url, ANTHROPIC_API_KEY=FAKE_ANTHROPIC_KEY,
        OTEL_SERVICE_NAME="content-app", OTEL_BSP_SCHEDULE_DELAY="100", OTEL_BLRP_SCHEDULE_DELAY="100",
        OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT="SPAN_AND_EVENT", OTEL_METRICS_EXPORTER="none",
        **({"WITH_ANTHROPIC": "1"} if HAS_ANTHROPIC else {}),
    )
    env.update(extra)
    return env


def run(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([str(INSTRUMENT), sys.executable, str(APP)], env=env, cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "plain: word0" in result.stdout
    return result


def test_spans_and_events_over_otlp(fake_llm: FakeLLMServer) -> None:
    calls = 3 if HAS_ANTHROPIC else 2
    with OTLPReceiver() as receiver:
        run(app_env(fake_llm, **receiver.exporter_env("grpc")))
        spans = receiver.wait_for_spans(lambda s: s.scope_name == "genai_otel", count=calls, timeout=20)
        logs = receiver.wait_for_logs(EVENT, count=calls, timeout=20)
        everything = receiver.dump_json()
    by_span = {(s.trace_id, s.span_id): s for s in spans}
    assert len(by_span) == calls
    for log in logs:
        span = by_span[(log.trace_id, log.span_id)]  # each event is correlated to its span
        for name in ("gen_ai.input.messages", "gen_ai.output.messages"):
            assert validate(name, log.attributes[name]) == validate(name, span.attributes[name])
        assert log.attributes["gen_ai.operation.name"] == "chat"
        assert log.attributes["genai_otel.prompt.hash"] == span.attributes["genai_otel.prompt.hash"]
    plain = next(s for s in spans if not s.attributes["gen_ai.request.stream"] and
                 s.attributes["gen_ai.provider.name"] == "openai")
    assert json.loads(plain.attributes["gen_ai.input.messages"]) == [
        {"role": "system", "parts": [{"type": "text", "content": "Be terse."}]},
        {"role": "user", "parts": [{"type": "text", "content": "Mail <EMAIL>"}]},
    ]
    for secret in SECRETS:
        assert secret not in everything


def test_events_to_the_console(fake_llm: FakeLLMServer) -> None:
    result = run(app_env(fake_llm, OTEL_TRACES_EXPORTER="console", OTEL_LOGS_EXPORTER="console"))
    assert result.stdout.count(f'"event_name": "{EVENT}"') == (3 if HAS_ANTHROPIC else 2)
    assert '"gen_ai.input.messages"' in result.stdout
    for secret in SECRETS:
        assert secret not in result.stdout + result.stderr


def test_nothing_by_default(fake_llm: FakeLLMServer) -> None:
    with OTLPReceiver() as receiver:
        run(app_env(fake_llm, OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT="", **receiver.exporter_env("grpc")))
        spans: Any = receiver.wait_for_spans(lambda s: s.scope_name == "genai_otel", count=2, timeout=20)
        assert all("gen_ai.input.messages" not in s.attributes for s in spans)
        assert all(len(s.attributes["genai_otel.prompt.hash"]) == 32 for s in spans)
        assert [log for log in receiver.logs() if log.event_name == EVENT] == []
