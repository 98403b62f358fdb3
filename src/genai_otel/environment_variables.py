"""Every environment variable genai-otel reads, in one place (README.md has the same table).

Standard ``OTEL_*`` variables (exporters, endpoints, sampling, resource) are read by the OpenTelemetry SDK exactly as
usual; only the ones below are ours or have a genai-otel meaning.
"""

from __future__ import annotations

from typing import Final

GENAI_OTEL_RAISE_INTERNAL_ERRORS: Final = "GENAI_OTEL_RAISE_INTERNAL_ERRORS"
"""``true`` re-raises errors inside genai-otel instead of logging and counting them. For our test suite; never in
production. Default ``false``."""

GENAI_OTEL_DISABLED_INSTRUMENTORS: Final = "OTEL_PYTHON_DISABLED_INSTRUMENTATIONS"
"""Standard OpenTelemetry variable: comma-separated entry-point names to skip, e.g. ``genai_otel_anthropic``."""

GENAI_OTEL_CHUNK_TIMING: Final = "GENAI_OTEL_CHUNK_TIMING"
"""How ``gen_ai.client.operation.time_per_output_chunk`` is recorded for streams: ``per_stream`` (default: one record
per stream, the mean time between consecutive chunks) or ``per_chunk`` (one record for every chunk after the first,
as the conventions word it; costs one SDK histogram record per chunk, ~20 µs each with the Python SDK)."""

__all__ = ["GENAI_OTEL_CHUNK_TIMING", "GENAI_OTEL_DISABLED_INSTRUMENTORS", "GENAI_OTEL_RAISE_INTERNAL_ERRORS"]
