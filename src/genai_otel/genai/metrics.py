"""The GenAI client instruments: duration, token usage, time to first chunk, time per output chunk."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from genai_otel.genai import semconv

if TYPE_CHECKING:
    from opentelemetry.metrics import Histogram, Meter

__all__ = ["GenAIInstruments"]


def _histogram(meter: Meter, name: str, unit: str, description: str) -> Histogram:
    buckets = list(semconv.HISTOGRAM_BUCKETS[name])
    try:
        return meter.create_histogram(name, unit=unit, description=description,
                                      explicit_bucket_boundaries_advisory=buckets)
    except TypeError:  # opentelemetry-api older than the advisory parameter
        return meter.create_histogram(name, unit=unit, description=description)


class GenAIInstruments:
    """The four semconv histograms, created once per meter."""

    __slots__ = ("duration", "token_usage", "time_to_first_chunk", "time_per_output_chunk")

    def __init__(self, meter: Meter) -> None:
        self.duration: Any = _histogram(meter, semconv.METRIC_OPERATION_DURATION, "s", "GenAI operation duration.")
        self.token_usage: Any = _histogram(meter, semconv.METRIC_TOKEN_USAGE, "{token}",
                                           "Number of input and output tokens used.")
        self.time_to_first_chunk: Any = _histogram(
            meter, semconv.METRIC_TIME_TO_FIRST_CHUNK, "s",
            "Time to receive the first chunk, from when the client issues the request.")
        self.time_per_output_chunk: Any = _histogram(
            meter, semconv.METRIC_TIME_PER_OUTPUT_CHUNK, "s",
            "Time per output chunk, recorded for each chunk received after the first one.")
