"""``genai_otel.record_evaluation``: the ``gen_ai.evaluation.result`` event, linked to the evaluated call's span inside
a hook or by response id, the score histogram; and the example LLM-as-judge hook end to end."""

from __future__ import annotations

import importlib
import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import anthropic
import openai
import pytest
from opentelemetry import trace
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags

import genai_otel
from genai_otel._settings import _warned
from genai_otel.genai import evaluation
from genai_otel.genai._hook_runner import wait_idle
from genai_otel.hooks import CallView
from genai_otel.testing.fake_llm import FakeLLMServer
from genai_otel.testing.otlp_receiver import OTLPReceiver
from tests.extending.conftest import CLAUDE, LOGS, MODEL, USER

ROOT = Path(__file__).resolve().parents[2]
INSTRUMENT = Path(sys.executable).parent / "opentelemetry-instrument"
EVENT = "gen_ai.evaluation.result"


def _events() -> list[Any]:
    return [r.log_record for r in LOGS.get_finished_logs() if r.log_record.event_name == EVENT]


def test_inside_a_hook_the_event_is_the_calls(client: openai.OpenAI, telemetry: Any, hooks: Any) -> None:
    linked: list[bool] = []

    def end(call: CallView) -> None:
        linked.append(genai_otel.record_evaluation("helpfulness", score=0.75, label="pass",
                                                   explanation="Answers the question."))

    hooks(end)
    completion = client.chat.completions.create(model=MODEL, messages=USER)
    span = telemetry.only_span()
    [event] = _events()
    assert linked == [True]
    assert (event.trace_id, event.span_id) == (span.context.trace_id, span.context.span_id)
    assert dict(event.attributes) == {
        "gen_ai.evaluation.name": "helpfulness", "gen_ai.evaluation.score.value": 0.75,
        "gen_ai.evaluation.score.label": "pass", "gen_ai.evaluation.explanation": "Answers the question.",
        "gen_ai.response.id": completion.id}
    assert event.severity_text == "INFO"
    [score] = telemetry.metric_points("genai_otel.evaluation.score")
    assert score["attributes"] == {"gen_ai.evaluation.name": "helpfulness", "gen_ai.evaluation.score.label": "pass",
                                   "gen_ai.provider.name": "openai", "gen_ai.request.model": MODEL}
    assert (score["count"], score["sum"], score["unit"]) == (1, 0.75, "1")
    assert score["bounds"] == evaluation.SCORE_BUCKETS


def test_later_by_response_id(client: openai.OpenAI, claude: anthropic.Anthropic, telemetry: Any) -> None:
    completion = client.chat.completions.create(model=MODEL, messages=USER)
    message = claude.messages.create(model=CLAUDE, max_tokens=50, messages=USER)
    spans = {s.attributes["gen_ai.response.id"]: s for s in telemetry.genai_spans()}
    assert genai_otel.record_evaluation("user_feedback", label="thumbs_up", response_id=completion.id) is True
    assert genai_otel.record_evaluation("user_feedback", score=1, response_id=message.id) is True
    first, second = _events()
    for event, response_id in ((first, completion.id), (second, message.id)):
        assert (event.trace_id, event.span_id) == (spans[response_id].context.trace_id,
                                                    spans[response_id].context.span_id)
    assert dict(first.attributes) == {"gen_ai.evaluation.name": "user_feedback",
                                      "gen_ai.evaluation.score.label": "thumbs_up", "gen_ai.response.id": completion.id}
    assert dict(second.attributes) == {"gen_ai.evaluation.name": "user_feedback",
                                       "gen_ai.evaluation.score.value": 1.0, "gen_ai.response.id": message.id}
    [score] = telemetry.metric_points("genai_otel.evaluation.score")  # a label alone records no score
    assert score["attributes"] == {"gen_ai.evaluation.name": "user_feedback", "gen_ai.provider.name": "anthropic",
                                   "gen_ai.request.model": CLAUDE}


def test_an_unknown_response_id_is_kept_on_the_event(telemetry: Any) -> None:
    assert genai_otel.record_evaluation("offline", score=3, response_id="chatcmpl-unknown",
                                        error_type="timeout") is False
    [event] = _events()
    assert (event.trace_id, event.span_id) == (0, 0)
    assert dict(event.attributes) == {"gen_ai.evaluation.name": "offline", "gen_ai.evaluation.score.value": 3.0,
                                      "gen_ai.response.id": "chatcmpl-unknown", "error.type": "timeout"}
    [score] = telemetry.metric_points("genai_otel.evaluation.score")
    assert score["attributes"] == {"gen_ai.evaluation.name": "offline"}


def test_the_response_index_keeps_the_latest_calls(telemetry: Any) -> None:
    def context(n: int) -> SpanContext:
        return SpanContext(trace_id=n + 1, span_id=n + 1, is_remote=False, trace_flags=TraceFlags(1))

    for n in range(evaluation.RESPONSE_INDEX_SIZE + 1):
        evaluation.remember_response(f"resp-{n}", context(n), "openai", MODEL)
    assert genai_otel.record_evaluation("x", score=1, response_id="resp-0") is False  # evicted
    assert genai_otel.record_evaluation("x", score=1, response_id="resp-1") is True
    assert genai_otel.record_evaluation("x", score=1, response_id=f"resp-{evaluation.RESPONSE_INDEX_SIZE}") is True
    assert [e.span_id for e in _events()] == [0, 2, evaluation.RESPONSE_INDEX_SIZE + 1]


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"name": ""}, "genai-otel: record_evaluation needs a name (a non-empty string); not recorded"),
    ({"name": "x", "score": float("nan")}, "genai-otel: record_evaluation score must be a finite number, got nan; "
                                           "not recorded"),
    ({"name": "x", "score": True}, "genai-otel: record_evaluation score must be a finite number, got True; "
                                   "not recorded"),
    ({"name": "x"}, "genai-otel: record_evaluation needs a score or a label; not recorded"),
])
def test_bad_arguments_are_logged_not_raised(telemetry: Any, caplog: pytest.LogCaptureFixture,
                                             kwargs: dict[str, Any], message: str) -> None:
    _warned.difference_update({key for key in _warned if key.startswith("record_evaluation:")})
    name = kwargs.pop("name")
    with caplog.at_level(logging.WARNING, logger="genai_otel"):
        for _ in range(2):
            assert genai_otel.record_evaluation(name, **kwargs) is False
    assert _events() == []
    assert [r.getMessage() for r in caplog.records] == [message]  # once


def test_the_llm_judge_example_under_opentelemetry_instrument() -> None:
    """examples/llm_judge_hook.py grades examples/chat_app.py's answers with the fake server as the judge."""
    with FakeLLMServer() as server, OTLPReceiver() as receiver:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "GENAI_OTEL_"))}
        env.update(receiver.exporter_env("grpc"))
        env.update(OPENAI_BASE_URL=server.openai_base_url, OPENAI_API_KEY="sk-e2e-FAKEKEY-0123456789",
                   OTEL_BSP_SCHEDULE_DELAY="100", OTEL_BLRP_SCHEDULE_DELAY="100", OTEL_METRIC_EXPORT_INTERVAL="300",
                   GENAI_OTEL_HOOKS="llm_judge_hook", JUDGE_SAMPLE_RATE="1", PYTHONPATH=str(ROOT / "examples"))
        result = subprocess.run([str(INSTRUMENT), sys.executable, str(ROOT / "examples" / "chat_app.py")],
                                env=env, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        events = receiver.wait_for_logs(lambda log: log.event_name == EVENT, count=3, timeout=20)
        spans = receiver.wait_for_spans(lambda s: s.scope_name == "genai_otel", count=8, timeout=20)
    # chat_app: plain, streamed, tool call (no text: not graded), 429 (failed: not graded), async. 3 graded calls,
    # each with one judge call nested under it.
    by_id = {s.span_id: s for s in spans}
    graded = [by_id[e.span_id] for e in events]
    assert sorted(s.name for s in graded) == ["chat gpt-4.1", "chat gpt-4o-mini", "chat gpt-4o-mini"]
    judges = [s for s in spans if s.parent_span_id in {g.span_id for g in graded}]
    assert len(judges) == 3
    assert all(j.attributes["gen_ai.output.type"] == "json" and j.attributes["genai_otel.output.json.valid"]
               for j in judges)
    for event, span in zip(events, graded, strict=True):
        assert event.trace_id == span.trace_id
        # The fake judge fills the schema: score 1, reason "word0".
        assert event.attributes == {"gen_ai.evaluation.name": "relevance", "gen_ai.evaluation.score.value": 1.0,
                                    "gen_ai.evaluation.score.label": "fail", "gen_ai.evaluation.explanation": "word0",
                                    "gen_ai.response.id": span.attributes["gen_ai.response.id"]}
    assert len(spans) == 8


def test_the_llm_judge_example_grades_the_sampled_fraction(server: FakeLLMServer, client: openai.OpenAI,
                                                           telemetry: Any, hooks: Any,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """``JUDGE_SAMPLE_RATE=0.5``: calls in traces whose id's low 16 bits are under 0x8000 are graded, the others not."""
    monkeypatch.setenv("JUDGE_SAMPLE_RATE", "0.5")
    monkeypatch.setenv("JUDGE_BASE_URL", server.openai_base_url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-judge-FAKEKEY-0123456789")
    monkeypatch.syspath_prepend(str(ROOT / "examples"))
    monkeypatch.delitem(sys.modules, "llm_judge_hook", raising=False)
    judge = importlib.import_module("llm_judge_hook")
    monkeypatch.delitem(sys.modules, "llm_judge_hook")
    assert judge.SAMPLE_RATE == 0.5
    hooks(judge)
    low_bits = [0x0000, 0x7FFF, 0x8000, 0xFFFF, 0x1234, 0x9ABC]
    traces = [(0xABCDEF << 16) | bits for bits in low_bits]
    for trace_id in traces:  # each call in a trace of its own, with a chosen trace id
        parent = NonRecordingSpan(SpanContext(trace_id=trace_id, span_id=trace_id & 0xFFFFFF, is_remote=True,
                                              trace_flags=TraceFlags(1)))
        with trace.use_span(parent):
            client.chat.completions.create(model=MODEL, messages=USER)
    assert wait_idle(20)
    graded = sorted(e.trace_id for e in _events())
    assert graded == sorted(t for t, bits in zip(traces, low_bits, strict=True) if bits < 0x8000)
    calls = {s.context.span_id: s for s in telemetry.genai_spans() if s.parent.span_id == s.context.trace_id & 0xFFFFFF}
    assert len(calls) == len(traces)
    judges = [s for s in telemetry.genai_spans() if s.parent.span_id in calls]
    assert sorted(s.context.trace_id for s in judges) == graded  # one judge call nested under each graded call
    assert {e.span_id for e in _events()} == {s.parent.span_id for s in judges}
