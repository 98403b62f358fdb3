"""Retries and rate limits through the SDKs' own retry loops: attempts on the one span (events, count, waits),
request ids, rate-limit headroom as span attributes and gauges; one span and one duration record per call."""

from __future__ import annotations

import time
from typing import Any

import anthropic
import openai
import pytest

from genai_otel.instrumentation._http_attempts import parse_duration, parse_timestamp
from genai_otel.testing.fake_llm import FakeLLMServer
from tests.conftest import FAKE_ANTHROPIC_KEY, FAKE_API_KEY
from tests.extending.conftest import CLAUDE, MODEL, USER, directives

RETRY_S = 0.05
HTTPX: Any = getattr(openai._base_client, "httpx2", None) or openai._base_client.httpx  # type: ignore[attr-defined]
"""The HTTP library this openai SDK is built on: ``httpx2`` (openai 3) or ``httpx`` (openai 2); both are watched."""


def _attempts(span: Any) -> list[dict[str, Any]]:
    return [dict(e.attributes) for e in span.events if e.name == "genai_otel.http.attempt"]


def _ids(first: str, count: int) -> list[str]:
    """``count`` consecutive fake request ids from ``first`` (the fake server numbers every request it gets)."""
    start = int(first.removeprefix("req_fake"))
    return [f"req_fake{n:06d}" for n in range(start, start + count)]


def _waits(attempts: list[dict[str, Any]]) -> list[float]:
    return [a.pop("genai_otel.http.wait_s") for a in attempts if "genai_otel.http.wait_s" in a]


def _one_duration(telemetry: Any) -> dict[str, Any]:
    [point] = telemetry.metric_points("gen_ai.client.operation.duration")
    assert point["count"] == 1  # retries are not separate calls
    return point


def _all_gauges(telemetry: Any, model: str) -> dict[str, dict[frozenset[tuple[str, Any]], Any]]:
    """Last values of every rate-limit gauge for ``model`` at the fake server, from ONE collection (gauges keep their
    last value: read whole, not as deltas; OpenTelemetry SDKs before 1.4x report a gauge only in the first collection
    after it was set; other tests' calls to real hosts, e.g. cassette replays of api.anthropic.com, keep theirs)."""
    gauges: dict[str, dict[frozenset[tuple[str, Any]], Any]] = {}
    for (metric, attrs), entry in telemetry._collect().items():
        if metric.startswith("genai_otel.ratelimit.") and ("gen_ai.request.model", model) in attrs \
                and ("server.address", "127.0.0.1") in attrs:
            gauges.setdefault(metric, {})[attrs] = entry["value"]
    return gauges


def _gauges(telemetry: Any, name: str, model: str) -> dict[frozenset[tuple[str, Any]], Any]:
    """Last values of gauge ``name`` for ``model`` (one collection: read all the gauges a test needs at once)."""
    return _all_gauges(telemetry, model).get(name, {})


def test_retried_call_is_one_span_with_an_event_per_attempt(server: FakeLLMServer, telemetry: Any) -> None:
    with openai.OpenAI(api_key=FAKE_API_KEY, base_url=server.openai_base_url, max_retries=2) as client:
        started = time.time_ns()
        completion = client.chat.completions.create(
            model=MODEL, messages=USER, **directives(fail_first=2, fail_status=429, retry_after_ms=50))
    assert completion.choices[0].message.content
    assert len(server.requests) == 3
    span = telemetry.only_span()
    assert span.status.is_ok
    assert span.attributes["genai_otel.http.attempts"] == 3
    attempts = _attempts(span)
    waits = _waits(attempts)
    one, two, three = _ids(attempts[0]["genai_otel.request_id"], 3)
    assert attempts == [
        {"http.response.status_code": 429, "genai_otel.request_id": one},
        {"http.response.status_code": 429, "genai_otel.request_id": two, "http.request.resend_count": 1},
        {"http.response.status_code": 200, "genai_otel.request_id": three, "http.request.resend_count": 2},
    ]
    assert span.attributes["genai_otel.request_id"] == three
    assert all(RETRY_S <= wait < RETRY_S + 0.5 for wait in waits)  # the SDK honoured retry-after-ms
    times = [e.timestamp for e in span.events]
    assert started <= span.start_time <= times[0] < times[1] < times[2] <= span.end_time
    assert "error.type" not in _one_duration(telemetry)["attributes"]


async def test_async_retries_and_exhaustion(server: FakeLLMServer, telemetry: Any) -> None:
    async with openai.AsyncOpenAI(api_key=FAKE_API_KEY, base_url=server.openai_base_url, max_retries=1) as client:
        await client.chat.completions.create(model=MODEL, messages=USER,
                                             **directives(fail_first=1, fail_status=500, retry_after_ms=10))
        span = telemetry.only_span()
        assert span.attributes["genai_otel.http.attempts"] == 2
        assert [a["http.response.status_code"] for a in _attempts(span)] == [500, 200]
        _one_duration(telemetry)
        telemetry.clear()
        with pytest.raises(openai.InternalServerError):
            await client.chat.completions.create(model=MODEL, messages=USER,
                                                 **directives(status=503, retry_after_ms=10))
    span = telemetry.only_span()
    assert span.attributes["genai_otel.http.attempts"] == 2
    assert span.attributes["error.type"] == "openai.InternalServerError"
    assert [a["http.response.status_code"] for a in _attempts(span)] == [503, 503]
    assert _one_duration(telemetry)["attributes"]["error.type"] == "openai.InternalServerError"


def test_connection_failures_are_attempts_without_a_status(server: FakeLLMServer, telemetry: Any) -> None:
    with openai.OpenAI(api_key=FAKE_API_KEY, base_url=server.openai_base_url, max_retries=1) as client:
        with pytest.raises(openai.APIConnectionError):
            client.chat.completions.create(model=MODEL, messages=USER, **directives(break_after=0))
    span = telemetry.only_span()
    attempts = _attempts(span)
    _waits(attempts)
    error = f"{HTTPX.__name__}.RemoteProtocolError"
    assert attempts == [{"error.type": error}, {"error.type": error, "http.request.resend_count": 1}]
    assert "genai_otel.request_id" not in span.attributes


def test_a_first_attempt_success_has_no_events_but_its_request_id(client: openai.OpenAI, telemetry: Any) -> None:
    raw = client.chat.completions.with_raw_response.create(model=MODEL, messages=USER)
    span = telemetry.only_span()
    assert span.events == ()
    assert "genai_otel.http.attempts" not in span.attributes
    assert span.attributes["genai_otel.request_id"] == raw.headers["x-request-id"]


def test_streamed_call_retried_before_its_first_byte(server: FakeLLMServer, telemetry: Any) -> None:
    with openai.OpenAI(api_key=FAKE_API_KEY, base_url=server.openai_base_url, max_retries=1) as client:
        stream = client.chat.completions.create(model=MODEL, messages=USER, stream=True,
                                                **directives(fail_first=1, retry_after_ms=10))
        assert list(stream)
    span = telemetry.only_span()
    assert span.attributes["genai_otel.http.attempts"] == 2
    assert span.attributes["genai_otel.request_id"] == stream.response.headers["x-request-id"]
    assert span.attributes["genai_otel.stream.ending"] == "completed"


def test_anthropic_retries_and_request_id(server: FakeLLMServer, telemetry: Any) -> None:
    with anthropic.Anthropic(api_key=FAKE_ANTHROPIC_KEY, base_url=server.anthropic_base_url, max_retries=2) as claude:
        claude.messages.create(model=CLAUDE, max_tokens=50, messages=USER,
                               **directives(fail_first=1, fail_status=529, retry_after_ms=10))
    span = telemetry.only_span()
    attempts = _attempts(span)
    _waits(attempts)
    one, two = _ids(attempts[0]["genai_otel.request_id"], 2)
    assert attempts == [
        {"http.response.status_code": 529, "genai_otel.request_id": one},
        {"http.response.status_code": 200, "genai_otel.request_id": two, "http.request.resend_count": 1},
    ]
    assert span.attributes["genai_otel.request_id"] == two
    _one_duration(telemetry)


def test_openai_rate_limits_on_the_span_and_as_gauges(client: openai.OpenAI, server: FakeLLMServer,
                                                      telemetry: Any) -> None:
    client.chat.completions.create(model=MODEL, messages=USER, **directives(ratelimit=""))
    attributes = telemetry.only_span().attributes
    assert {k: v for k, v in attributes.items() if k.startswith("genai_otel.ratelimit.")} == {
        "genai_otel.ratelimit.requests.limit": 10000, "genai_otel.ratelimit.requests.remaining": 9999,
        "genai_otel.ratelimit.requests.reset_s": 8.64, "genai_otel.ratelimit.tokens.limit": 200000,
        "genai_otel.ratelimit.tokens.remaining": 199990, "genai_otel.ratelimit.tokens.reset_s": 0.006,
    }
    where = frozenset({"gen_ai.provider.name": "openai", "gen_ai.request.model": MODEL,
                       "server.address": "127.0.0.1"}.items())
    assert _all_gauges(telemetry, MODEL) == {
        "genai_otel.ratelimit.requests.remaining": {where: 9999},
        "genai_otel.ratelimit.requests.limit": {where: 10000},
        "genai_otel.ratelimit.requests.reset": {where: 8.64},
        "genai_otel.ratelimit.tokens.remaining": {where: 199990},
        "genai_otel.ratelimit.tokens.limit": {where: 200000},
        "genai_otel.ratelimit.tokens.reset": {where: 0.006},
    }
    with pytest.raises(openai.RateLimitError):  # exhausted: the gauges drop to 0
        client.chat.completions.create(model=MODEL, messages=USER, **directives(ratelimit="", status=429))
    gauges = _all_gauges(telemetry, MODEL)
    assert gauges["genai_otel.ratelimit.requests.remaining"] == {where: 0}
    assert gauges["genai_otel.ratelimit.tokens.remaining"] == {where: 0}


def test_anthropic_rate_limits_split_by_token_type(claude: anthropic.Anthropic, telemetry: Any) -> None:
    claude.messages.create(model=CLAUDE, max_tokens=50, messages=USER, **directives(ratelimit=""))
    attributes = dict(telemetry.only_span().attributes)
    resets = {k: attributes.pop(k) for k in list(attributes) if k.endswith(".reset_s")}
    assert sorted(resets) == [f"genai_otel.ratelimit.{r}.reset_s"
                              for r in ("input_tokens", "output_tokens", "requests", "tokens")]
    assert all(0 <= value <= 2 for value in resets.values())  # the fake resets one second after the request
    assert {k: v for k, v in attributes.items() if k.startswith("genai_otel.ratelimit.")} == {
        "genai_otel.ratelimit.requests.limit": 1000, "genai_otel.ratelimit.requests.remaining": 999,
        "genai_otel.ratelimit.tokens.limit": 540000, "genai_otel.ratelimit.tokens.remaining": 540000,
        "genai_otel.ratelimit.input_tokens.limit": 450000, "genai_otel.ratelimit.input_tokens.remaining": 450000,
        "genai_otel.ratelimit.output_tokens.limit": 90000, "genai_otel.ratelimit.output_tokens.remaining": 90000,
    }
    base = {"gen_ai.provider.name": "anthropic", "gen_ai.request.model": CLAUDE, "server.address": "127.0.0.1"}
    assert _gauges(telemetry, "genai_otel.ratelimit.tokens.remaining", CLAUDE) == {
        frozenset(base.items()): 540000,
        frozenset({**base, "gen_ai.token.type": "input"}.items()): 450000,
        frozenset({**base, "gen_ai.token.type": "output"}.items()): 90000,
    }


def test_no_rate_limit_headers_no_rate_limit_telemetry(claude: anthropic.Anthropic, telemetry: Any) -> None:
    claude.messages.create(model="claude-without-limits", max_tokens=50, messages=USER)
    assert not [k for k in telemetry.only_span().attributes if k.startswith("genai_otel.ratelimit.")]
    assert _gauges(telemetry, "genai_otel.ratelimit.requests.remaining", "claude-without-limits") == {}


def test_http_requests_outside_genai_calls_are_left_alone(server: FakeLLMServer, telemetry: Any) -> None:
    with HTTPX.Client() as http:
        response = http.post(f"{server.openai_base_url}/chat/completions", json={"model": MODEL, "messages": USER},
                             headers={"authorization": "Bearer x"})
    assert response.status_code == 200
    assert telemetry.genai_spans() == []


@pytest.mark.parametrize(("text", "seconds"), [
    ("6ms", 0.006), ("8.64s", 8.64), ("1m30s", 90.0), ("2h0m0s", 7200.0), ("1d", 86400.0), ("0s", 0.0),
    ("", None), ("5", None), ("1x", None), ("s", None), ("1m 30s", None),
])
def test_openai_reset_durations(text: str, seconds: float | None) -> None:
    assert parse_duration(text) == pytest.approx(seconds) if seconds is not None else parse_duration(text) is None


def test_anthropic_reset_timestamps() -> None:
    assert parse_timestamp("2025-01-01T00:01:00Z", now=1735689600.0) == 60.0
    assert parse_timestamp("2025-01-01T00:00:00Z", now=1735689700.0) == 0.0  # passed already
    assert parse_timestamp("tomorrow", now=0.0) is None
