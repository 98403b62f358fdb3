"""The genai-otel configurator: builds the SDK's providers and exporters from ``OTEL_*`` exactly as the SDK's own
configurator does, and adds views so the GenAI histograms use the semantic conventions' bucket boundaries.

Our instruments also pass those boundaries as the SDK's bucket *advisory*; the views make them hold on SDK versions
that ignore the advisory, and win over a user's catch-all view.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from opentelemetry.sdk import _configuration as sdk_configuration
from opentelemetry.sdk._configuration import _OTelSDKConfigurator
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.view import ExplicitBucketHistogramAggregation, View

from genai_otel.genai import semconv

__all__ = ["GenAIOtelConfigurator", "genai_views"]


def genai_views() -> list[View]:
    """One view per GenAI histogram, with the semconv explicit bucket boundaries."""
    return [
        View(instrument_name=name, aggregation=ExplicitBucketHistogramAggregation(boundaries=list(bounds)))
        for name, bounds in semconv.HISTOGRAM_BUCKETS.items()
    ]


class _GenAIMeterProvider(MeterProvider):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["views"] = [*kwargs.get("views", ()), *genai_views()]
        super().__init__(*args, **kwargs)


@contextmanager
def _meter_provider_with_views() -> Iterator[None]:
    original = sdk_configuration.MeterProvider  # type: ignore[attr-defined]
    sdk_configuration.MeterProvider = _GenAIMeterProvider  # type: ignore[attr-defined]
    try:
        yield
    finally:
        sdk_configuration.MeterProvider = original  # type: ignore[attr-defined]


class GenAIOtelConfigurator(_OTelSDKConfigurator):
    """Standard OpenTelemetry SDK set-up plus the GenAI histogram views."""

    def _configure(self, **kwargs: Any) -> None:
        with _meter_provider_with_views():
            super()._configure(**kwargs)  # type: ignore[no-untyped-call]
