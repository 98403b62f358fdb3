"""End to end, zero code changes: an app under ``opentelemetry-instrument`` with content capture on sends its spans and
``gen_ai.client.inference.operation.details`` events over OTLP (or to the console), correlated, redacted, and with
none of the keys or header values it used. (The suite-wide scan checks everything the receiver gets as well.)"""

from __future__ import annotations

import importlib.util
import json
import os
import re
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
from tests.content.test_prompt_hash import expected_hash

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


SALT = "e2e-salt-a91f"
PLAIN_PROMPT = [{"role": "system", "parts": [{"type": "text", "content": "Be terse."}]},
                {"role": "user", "parts": [{"type": "text", "content": "Mail bob@example.com"}]}]


def expected_hashes(salt: str = "") -> dict[str, str]:
    """The prompt hash of each of the app's calls, computed in this process from the documented canonical form."""
    key = salt.encode()
    found = {"plain": expected_hash([], PLAIN_PROMPT, [], key=key),
             "stream": expected_hash([], [{"role": "user", "parts": [{"type": "text", "content": "Count"}]}], [],
                                     key=key)}
    if HAS_ANTHROPIC:
        hi = [{"role": "user", "parts": [{"type": "text", "content": "Hi"}]}]
        found["anthropic"] = expected_hash([{"type": "text", "content": "Sys"}], hi, [], key=key)
    return found


def call_of(attributes: Any) -> str:
    if attributes["gen_ai.provider.name"] != "openai":
        return "anthropic"
    return "stream" if attributes["gen_ai.request.stream"] else "plain"


def structured(value: Any) -> Any:
    """An event's content as the receiver decoded it from OTLP: arrays and kvlists, never a JSON string."""
    assert isinstance(value, (list, tuple)), type(value)
    assert all(isinstance(item, dict) for item in value)
    return value


def test_spans_and_events_over_otlp(fake_llm: FakeLLMServer) -> None:
    """Over OTLP/HTTP (``test_nothing_by_default`` uses gRPC)."""
    calls = 3 if HAS_ANTHROPIC else 2
    with OTLPReceiver() as receiver:
        run(app_env(fake_llm, OTEL_TRACES_EXPORTER="otlp", OTEL_LOGS_EXPORTER="otlp",
                    GENAI_OTEL_PROMPT_HASH_SALT=SALT, **receiver.exporter_env("http/protobuf")))
        spans = receiver.wait_for_spans(lambda s: s.scope_name == "genai_otel", count=calls, timeout=20)
        logs = receiver.wait_for_logs(EVENT, count=calls, timeout=20)
        everything = receiver.dump_json()
    by_span = {(s.trace_id, s.span_id): s for s in spans}
    assert len(by_span) == calls and len(logs) == calls
    assert {call_of(s.attributes): s.attributes["genai_otel.prompt.hash"] for s in spans} == expected_hashes(SALT)
    for log in logs:
        span = by_span[(log.trace_id, log.span_id)]  # each event is correlated to its span
        assert log.transport == span.transport == "http"
        for name in ("gen_ai.input.messages", "gen_ai.output.messages"):
            assert validate(name, structured(log.attributes[name])) == validate(name, span.attributes[name])
        assert log.attributes["gen_ai.operation.name"] == "chat"
        assert log.attributes["genai_otel.prompt.hash"] == span.attributes["genai_otel.prompt.hash"]
    plain = next(s for s in spans if call_of(s.attributes) == "plain")
    assert json.loads(plain.attributes["gen_ai.input.messages"]) == [
        {"role": "system", "parts": [{"type": "text", "content": "Be terse."}]},
        {"role": "user", "parts": [{"type": "text", "content": "Mail <EMAIL>"}]},
    ]
    assert SALT not in everything
    for secret in SECRETS:
        assert secret not in everything


def console_objects(stdout: str) -> list[dict[str, Any]]:
    """The JSON objects the console exporters printed (spans and log records), between the app's own lines."""
    decoder = json.JSONDecoder()
    found: list[dict[str, Any]] = []
    end = 0
    for match in re.finditer(r"^\{", stdout, re.MULTILINE):  # an object starts at the beginning of a line
        if match.start() < end:
            continue  # inside the object decoded last
        value, end = decoder.raw_decode(stdout, match.start())
        found.append(value)
    return found


def test_events_to_the_console(fake_llm: FakeLLMServer) -> None:
    # Both console exporters write to stdout from their own threads: exporting only at shutdown (each provider's
    # shutdown flushes and joins its thread, one after the other) keeps their objects from interleaving.
    result = run(app_env(fake_llm, OTEL_TRACES_EXPORTER="console", OTEL_LOGS_EXPORTER="console",
                         OTEL_BSP_SCHEDULE_DELAY="60000", OTEL_BLRP_SCHEDULE_DELAY="60000"))
    printed = console_objects(result.stdout)
    records = [o for o in printed if o.get("event_name") == EVENT]
    spans = {(o["context"]["trace_id"], o["context"]["span_id"]): o for o in printed
             if "context" in o and o.get("attributes", {}).get("gen_ai.operation.name") == "chat"}
    assert len(records) == len(spans) == (3 if HAS_ANTHROPIC else 2)
    for record in records:
        span = spans[(record["trace_id"], record["span_id"])]  # correlated to its span
        for name in ("gen_ai.input.messages", "gen_ai.output.messages"):
            assert validate(name, structured(record["attributes"][name])) == validate(name, span["attributes"][name])
    assert {call_of(o["attributes"]): o["attributes"]["genai_otel.prompt.hash"] for o in spans.values()} == (
        expected_hashes())
    for secret in SECRETS:
        assert secret not in result.stdout + result.stderr


def test_nothing_by_default(fake_llm: FakeLLMServer) -> None:
    with OTLPReceiver() as receiver:
        run(app_env(fake_llm, OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT="", **receiver.exporter_env("grpc")))
        spans: Any = receiver.wait_for_spans(lambda s: s.scope_name == "genai_otel", count=2, timeout=20)
        assert all("gen_ai.input.messages" not in s.attributes for s in spans)
        # the same hashes as computed in this process: stable across processes, with capture off
        assert {call_of(s.attributes): s.attributes["genai_otel.prompt.hash"] for s in spans} == expected_hashes()
        assert [log for log in receiver.logs() if log.event_name == EVENT] == []
