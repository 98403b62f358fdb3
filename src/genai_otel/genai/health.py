"""Self-health: the counters an operator alerts on to watch genai-otel itself, exported like any other metric.

Every one is created when an instrumentor starts and recorded once at 0 (no attributes), so the series exists from
the first export and a rate or ``increase()`` over it means something before the first failure.

=====================================  ===========  ==================================================================
counter                                unit         counts (attributes)
=====================================  ===========  ==================================================================
``genai_otel.internal.errors``         ``{error}``  errors inside genai-otel, swallowed and logged once per kind
                                                    (``genai_otel.error.kind``)
``genai_otel.hook.failures``           ``{error}``  hook runs that raised, overran the time budget or were skipped
                                                    (``genai_otel.hook.name``, ``genai_otel.hook.phase``,
                                                    ``error.type``: the exception, ``timeout``, ``skipped``,
                                                    ``overloaded``, ``cancelled``)
``genai_otel.content.truncated``       ``{event}``  captured message content cut or dropped to fit a size limit
                                                    (``genai_otel.content.location``)
``genai_otel.client.unpriced_calls``   ``{call}``   calls that reported usage for a model with no price (operation,
                                                    provider, request and response model)
=====================================  ===========  ==================================================================

A Prometheus alert on all four: ``sum by (__name__) (increase({__name__=~"genai_otel_(internal_errors|
hook_failures|content_truncated|client_unpriced_calls)_total"}[15m])) > 0``.
"""

from __future__ import annotations

from typing import Final

from genai_otel.genai import semconv as sc

__all__ = ["SELF_HEALTH_COUNTERS"]

SELF_HEALTH_COUNTERS: Final = (
    (sc.METRIC_INTERNAL_ERRORS, "{error}"),
    (sc.METRIC_HOOK_FAILURES, "{error}"),
    (sc.METRIC_CONTENT_TRUNCATED, "{event}"),
    (sc.METRIC_UNPRICED_CALLS, "{call}"),
)
"""(name, unit) of each self-health counter; all exist at 0 once an instrumentor has started."""
