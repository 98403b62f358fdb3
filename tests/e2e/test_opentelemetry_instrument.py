"""End to end, zero code changes: examples/chat_app.py runs under ``opentelemetry-instrument`` in a subprocess,
exports over OTLP (gRPC and http/protobuf) to a real OTLP receiver, and the spans and metrics are checked on arrival.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from genai_otel.genai import semconv
from genai_otel.testing.fake_llm import FakeLLMServer
from genai_otel.testing.otlp_receiver import OTLPReceiver

ROOT = Path(__file__).resolve().parents[2]
INSTRUMENT = Path(sys.executable).parent / "opentelemetry-instrument"


@pytest.fixture(scope="module")
def fake_llm() -> Iterator[FakeLLMServer]:
    with FakeLLMServer() as server:
        yield server


@pytest.mark.parametrize("protocol", ["grpc", "http/protobuf"])
def test_example_app_under_opentelemetry_instrument(protocol: str, fake_llm: FakeLLMServer) -> None:
    with OTLPReceiver() as receiver:
        env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
        env.update(receiver.exporter_env(protocol))
        env.update(
            OPENAI_BASE_URL=fake_llm.openai_base_url, OPENAI_API_KEY="sk-e2e-FAKEKEY-0123456789",
            OTEL_SERVICE_NAME="e2e-app", OTEL_METRIC_EXPORT_INTERVAL="500", OTEL_BSP_SCHEDULE_DELAY="100",
        )
        result = subprocess.run([str(INSTRUMENT), sys.executable, str(ROOT / "examples" / "chat_app.py")],
                                env=env, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        assert "plain:" in result.stdout and "rate limited, as asked: 429" in result.stdout

        spans = receiver.wait_for_spans(lambda s: s.scope_name == "genai_otel", count=5, timeout=20)
        transport = "grpc" if protocol == "grpc" else "http"
        assert {s.transport for s in spans} == {transport}
        assert sorted(s.name for s in spans) == ["chat gpt-4.1"] + ["chat gpt-4o-mini"] * 4
        for span in spans:
            assert span.kind == "CLIENT"
            assert span.resource["service.name"] == "e2e-app"
            assert span.attributes["gen_ai.provider.name"] == "openai"
            assert span.attributes["server.address"] == "127.0.0.1"
            assert isinstance(span.attributes["server.port"], int)
        errors = [s for s in spans if s.status_code == "ERROR"]
        assert len(errors) == 1 and errors[0].attributes["error.type"] == "openai.RateLimitError"
        streamed = [s for s in spans if s.attributes["gen_ai.request.stream"]]
        assert len(streamed) == 1
        assert streamed[0].attributes["genai_otel.stream.ending"] == "completed"
        assert streamed[0].attributes["gen_ai.usage.output_tokens"] > 0
        tool = [s for s in spans if s.attributes.get("gen_ai.response.finish_reasons") == ("tool_call",)]
        assert len(tool) == 1

        receiver.wait_for_metrics("gen_ai.client.operation.duration", timeout=20)
        metrics = {m.name: m for m in receiver.metrics() if m.scope_name == "genai_otel"}
        duration = metrics["gen_ai.client.operation.duration"]
        assert duration.unit == "s" and duration.kind == "histogram"
        assert all(p.explicit_bounds == semconv.DURATION_BUCKETS for p in duration.points)
        assert sum(p.count for p in duration.points) >= 5
        failed = [p for p in duration.points if p.attributes.get("error.type") == "openai.RateLimitError"]
        assert len(failed) == 1 and failed[0].count == 1
        tokens = metrics["gen_ai.client.token.usage"]
        assert tokens.unit == "{token}"
        assert {p.attributes["gen_ai.token.type"] for p in tokens.points} == {"input", "output"}
        assert all(p.explicit_bounds == semconv.TOKEN_BUCKETS for p in tokens.points)
        ttfc = metrics["gen_ai.client.operation.time_to_first_chunk"]
        assert sum(p.count for p in ttfc.points) == 1
        for metric in (duration, tokens, ttfc):
            for point in metric.points:
                assert "gen_ai.response.id" not in point.attributes
                assert "openai.response.system_fingerprint" not in point.attributes
