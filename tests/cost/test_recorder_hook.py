"""The recorder's cost hook with neutral records, for what the SDK adapters do not produce today.

* 1-hour cache writes: an adapter reports them in ``genai_otel.usage.cache_creation_1h.input_tokens``; the fake
  server's Anthropic answers only ever carry 5-minute writes.
* The request's service tier when the response reports none.
* The guard: a failing cost step is an internal error (re-raised under tests, else logged and counted), the span
  still ends and the call's other telemetry is intact.
"""

from __future__ import annotations

from typing import Any

import pytest

from genai_otel.genai import _safety
from genai_otel.genai.cost import CostRecorder
from genai_otel.genai.metrics import GenAIInstruments
from genai_otel.genai.recorder import Recorder
from genai_otel.genai.types import Attributes, GenAIRequest, GenAIResponse, Usage
from tests.conftest import METER_PROVIDER, TRACER_PROVIDER
from tests.cost.conftest import COST, UNKNOWN, usd


def _recorder(cost: CostRecorder | None = None) -> Recorder:
    meter = METER_PROVIDER.get_meter("genai_otel")
    return Recorder(TRACER_PROVIDER.get_tracer("genai_otel"), GenAIInstruments(meter),
                    cost=cost if cost is not None else CostRecorder(meter))


def _call(recorder: Recorder, provider: str, model: str, usage: Usage, *, response_attributes: Attributes | None = None,
          request_attributes: Attributes | None = None, operation: str = "chat") -> None:
    request = GenAIRequest(operation=operation, provider=provider, model=model, server_address="127.0.0.1",
                           server_port=None, attributes=dict(request_attributes or {}))
    invocation = recorder.start(request)
    recorder.finish(invocation, GenAIResponse(model=model, usage=usage, attributes=dict(response_attributes or {})))


def test_one_hour_cache_writes(telemetry: Any) -> None:
    # claude-haiku-4-5: input 1.00, 5-minute write 1.25, 1-hour write 2.00, output 5.00
    usage = Usage(input_tokens=1008, output_tokens=5, cache_creation_input_tokens=1000)
    recorder = _recorder()
    _call(recorder, "anthropic", "claude-haiku-4-5", usage,
          response_attributes={"genai_otel.usage.cache_creation_1h.input_tokens": 400})
    _call(recorder, "anthropic", "claude-haiku-4-5", usage,
          response_attributes={"genai_otel.usage.cache_creation_1h.input_tokens": 1000})
    _call(recorder, "anthropic", "claude-haiku-4-5", usage)
    mixed, hour, minutes = (dict(s.attributes)[COST] for s in telemetry.genai_spans())
    # 8 x 1.00 + 600 x 1.25 + 400 x 2.00 + 5 x 5.00 = 8 + 750 + 800 + 25 = 1583 µ$
    assert mixed == usd(1583e-6)
    # 8 x 1.00 + 1000 x 2.00 + 5 x 5.00 = 2033 µ$
    assert hour == usd(2033e-6)
    # 8 x 1.00 + 1000 x 1.25 + 5 x 5.00 = 1283 µ$
    assert minutes == usd(1283e-6)


def test_request_tier_when_the_response_reports_none(telemetry: Any) -> None:
    recorder = _recorder()
    usage = Usage(input_tokens=8, output_tokens=5)
    _call(recorder, "openai", "gpt-5-mini", usage, request_attributes={"openai.request.service_tier": "flex"})
    _call(recorder, "openai", "gpt-5-mini", usage, request_attributes={"openai.request.service_tier": "flex"},
          response_attributes={"openai.response.service_tier": "default"})
    from_request, from_response = (dict(s.attributes)[COST] for s in telemetry.genai_spans())
    assert from_request == usd(6.0e-6)  # flex: 8 x 0.125 + 5 x 1.00
    assert from_response == usd(12.0e-6)  # default: 8 x 0.25 + 5 x 2.00


def test_a_reported_batch_tier_gets_the_batch_discount(telemetry: Any) -> None:
    # No live call is a batch call today (batch results come back as files), but a response that says it was
    # processed as a batch is priced so: gpt-4o-mini, batch_discount 0.5.
    _call(_recorder(), "openai", "gpt-4o-mini", Usage(input_tokens=1008, output_tokens=5, cache_read_input_tokens=1000),
          response_attributes={"openai.response.service_tier": "batch"})
    # (8 x 0.15 + 1000 x 0.075 + 5 x 0.60) x 0.5 = (1.2 + 75 + 3.0) x 0.5 = 39.6 µ$
    assert dict(telemetry.only_span().attributes)[COST] == usd(39.6e-6)


def test_usage_without_token_counts_is_not_priced(telemetry: Any) -> None:
    _call(_recorder(), "openai", "gpt-4o-mini", Usage())
    attrs = dict(telemetry.only_span().attributes)
    assert COST not in attrs and UNKNOWN not in attrs


class _Broken(CostRecorder):
    def record(self, *args: Any, **kwargs: Any) -> Any:
        raise ZeroDivisionError("bug in the cost step")


def test_a_failing_cost_step_is_an_internal_error(telemetry: Any) -> None:
    recorder = _recorder(_Broken(METER_PROVIDER.get_meter("genai_otel")))
    with pytest.raises(_safety.InternalError, match="internal error in cost"):  # under tests: re-raised
        _call(recorder, "openai", "gpt-4o-mini", Usage(input_tokens=8, output_tokens=5))
    assert len(telemetry.genai_spans()) == 1  # and the span still ended
    telemetry.clear()
    before = _safety.error_counts().get("cost", 0)
    _safety.raise_internal_errors(False)
    try:
        _call(recorder, "openai", "gpt-4o-mini", Usage(input_tokens=8, output_tokens=5))
    finally:
        _safety.raise_internal_errors(True)
    assert _safety.error_counts()["cost"] == before + 1
    attrs = dict(telemetry.only_span().attributes)
    assert attrs["gen_ai.usage.input_tokens"] == 8 and COST not in attrs
    [tokens] = [p for p in telemetry.metric_points("gen_ai.client.token.usage")
                if p["attributes"]["gen_ai.token.type"] == "input"]
    assert tokens["sum"] == 8
