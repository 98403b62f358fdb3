"""CPU µs the cost step adds to one finished call, in process (no HTTP, so far less noisy than bench_openai.py).

    python benchmarks/bench_cost.py [--calls 20000] [--rounds 7]

Times ``Recorder.finish`` with and without a ``CostRecorder`` on the OpenTelemetry SDK's providers (spans and metrics
recorded, nothing exported), for a priced chat call, and ``CostRecorder.record`` alone for a priced call, an unpriced
one and a priced one with a budget. Reports the median of the rounds.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import time
from collections.abc import Callable

from opentelemetry._logs import get_logger
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider

from genai_otel.genai.cost import Budget, BudgetAlarm, CostRecorder
from genai_otel.genai.metrics import GenAIInstruments
from genai_otel.genai.recorder import Recorder
from genai_otel.genai.types import GenAIRequest, GenAIResponse, Usage


def _median_us(run: Callable[[], None], calls: int, rounds: int) -> float:
    samples = []
    for _ in range(rounds):
        start = time.process_time()
        run()
        samples.append((time.process_time() - start) / calls * 1e6)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=7)
    options = parser.parse_args()
    calls, rounds = options.calls, options.rounds
    tracer = TracerProvider().get_tracer("genai_otel")
    meter = MeterProvider(metric_readers=[InMemoryMetricReader()]).get_meter("genai_otel")
    instruments = GenAIInstruments(meter)
    cost = CostRecorder(meter)
    with_budget = CostRecorder(meter, alarm=BudgetAlarm(Budget(1e12, 3600.0), "1h", meter, get_logger("genai_otel")))
    request = GenAIRequest(operation="chat", provider="openai", model="gpt-4o-mini", server_address="api.openai.com",
                           server_port=443, attributes={"openai.request.service_tier": "default"})
    response = GenAIResponse(response_id="chatcmpl-1", model="gpt-4o-mini-2024-07-18", finish_reasons=("stop",),
                             usage=Usage(input_tokens=1008, output_tokens=105, cache_read_input_tokens=1000,
                                         reasoning_output_tokens=100),
                             attributes={"openai.response.service_tier": "default"})
    unknown = GenAIResponse(model="house-llama", usage=Usage(input_tokens=8, output_tokens=5))

    def finishing(recorder: Recorder) -> Callable[[], None]:
        def run() -> None:
            for _ in range(calls):
                recorder.finish(recorder.start(request), response)
        return run

    def recording(cost_recorder: CostRecorder, answer: GenAIResponse) -> Callable[[], None]:
        def run() -> None:
            record = cost_recorder.record
            for _ in range(calls):
                record(request, answer)
        return run

    logging.getLogger("genai_otel").setLevel(logging.ERROR)  # the one "no price" warning
    without = _median_us(finishing(Recorder(tracer, instruments)), calls, rounds)
    with_cost = _median_us(finishing(Recorder(tracer, instruments, cost=cost)), calls, rounds)
    print(f"Recorder.start+finish, priced chat call   without cost {without:7.2f} µs   with cost {with_cost:7.2f} µs"
          f"   added {with_cost - without:6.2f} µs")
    for label, recorder, answer in (("priced", cost, response), ("unpriced", cost, unknown),
                                    ("priced, with a budget", with_budget, response)):
        print(f"CostRecorder.record, {label:24} {_median_us(recording(recorder, answer), calls, rounds):6.2f} µs")


if __name__ == "__main__":
    main()
