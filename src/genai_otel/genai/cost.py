"""What each GenAI call cost: a span attribute, two counters, and an optional budget.

Which calls are priced
    Every call whose response reports token usage (chat, text completion, embeddings, Messages, Responses, on any
    provider), streamed or not, failed status or not: the provider bills the tokens it reports. Not priced: calls that
    raised (no usage), streams that ended without usage, and ``fetch_response`` (retrieving a stored response by id is
    not an inference; its generation was priced on the call that made it. A *background* Responses call is
    therefore not priced at all: it answers ``queued`` without usage).

The price
    ``PriceTable.lookup(provider, model)`` on the process-wide table (bundled prices plus ``GENAI_OTEL_PRICES_FILE``),
    with the response model, or the request model when the response names none. The request model is never a
    fallback for a response model without a price: that would guess. The table maps ``azure.ai.openai`` to the OpenAI
    prices and ``aws.bedrock`` / ``gcp.vertex_ai`` to the Anthropic ones, and caches every resolution.

The cost
    ``cost_usd`` on the exact usage: uncached input, cache reads, cache writes and output (reasoning included) each at
    its own rate, long-context rates above the model's threshold, and the service tier the *response* reports
    (``openai.response.service_tier``; the request's ``openai.request.service_tier`` when the response has none).
    Cache writes are priced as 5-minute writes unless the adapter reports, in the response attribute
    ``genai_otel.usage.cache_creation_1h.input_tokens``, how many were 1-hour writes.

On telemetry
    Span attribute ``genai_otel.cost.usd`` (double), and counter ``genai_otel.client.cost`` (``USD``) with operation,
    provider, request model and response model only; the counter is recorded whether or not the span is sampled. A
    call whose model has no price gets ``genai_otel.cost.unknown=true`` instead, counts in
    ``genai_otel.client.unpriced_calls`` (``{call}``, same attributes), and the first call of each unknown
    (provider, model) in the process logs a warning.

Budget
    ``GENAI_OTEL_BUDGET_USD`` (and ``GENAI_OTEL_BUDGET_WINDOW``, default ``24h``): when the cost of the calls in the
    last window goes over the threshold, one ``logging`` warning, one OpenTelemetry log record
    ``genai_otel.budget.exceeded`` (spend, threshold and window as attributes) and counter
    ``genai_otel.budget.exceeded`` +1; then nothing more until a window has passed since. The spend is shared by every
    instrumentor of the process (OpenAI and Anthropic calls count against one budget) and summed in 60 slots per
    window, so the window rolls in steps of 1/60 of it.
"""

from __future__ import annotations

import logging
import math
import os
import re
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from opentelemetry._logs import SeverityNumber, get_logger
from opentelemetry.trace import set_span_in_context

from genai_otel._settings import warn_once
from genai_otel.environment_variables import GENAI_OTEL_BUDGET_USD, GENAI_OTEL_BUDGET_WINDOW
from genai_otel.genai import semconv as sc
from genai_otel.genai._safety import internal_error
from genai_otel.genai.pricing import ModelPrice, PriceTable, cost_usd, default_price_table, normalize_service_tier
from genai_otel.genai.types import Attributes, GenAIRequest, GenAIResponse, Usage
from genai_otel.version import __version__

if TYPE_CHECKING:
    from opentelemetry._logs import Logger, LoggerProvider
    from opentelemetry.metrics import Meter
    from opentelemetry.trace import Span

__all__ = ["Budget", "CostRecorder", "budget_from_env", "cost_recorder", "parse_window"]

_logger = logging.getLogger("genai_otel")

_UNPRICED_OPERATIONS = frozenset({sc.OPERATION_FETCH_RESPONSE})
_RESPONSE_TIER = sc.OPENAI_RESPONSE_SERVICE_TIER
_REQUEST_TIER = sc.OPENAI_REQUEST_SERVICE_TIER
_ONE_HOUR_WRITES = sc.EXTRA_USAGE_CACHE_CREATION_1H

# One warning per unknown (provider, model) per process; the set is bounded because model ids come from responses.
_UNPRICED_WARN_LIMIT = 1024
_unpriced_seen: set[tuple[str, str | None]] = set()
_unpriced_lock = threading.Lock()

DEFAULT_WINDOW = "24h"
_WINDOW = re.compile(r"^(\d+(?:\.\d*)?|\.\d+)\s*([smhd])$", re.IGNORECASE)
_UNIT_SECONDS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


class CostRecorder:
    """Prices one finished call: returns the span attributes to add, records the cost metrics and the budget.

    Built once per instrumentor (``cost_recorder``); ``record`` is on every call's path, so it does a cached table
    lookup, a few multiplications and one counter add.
    """

    __slots__ = ("_alarm", "_cost", "_table", "_unpriced")

    def __init__(self, meter: Meter, table: PriceTable | None = None, alarm: BudgetAlarm | None = None) -> None:
        self._table = table if table is not None else default_price_table()
        self._cost: Any = meter.create_counter(sc.METRIC_COST, unit="USD",
                                               description="Cost of GenAI calls in US dollars, from the price table.")
        self._unpriced: Any = meter.create_counter(
            sc.METRIC_UNPRICED_CALLS, unit="{call}",
            description="GenAI calls that reported token usage for a model with no price.")
        self._unpriced.add(0)  # exists at 0 from instrument time (self-health, like genai_otel.internal.errors)
        self._alarm = alarm

    def record(self, request: GenAIRequest, response: GenAIResponse, span: Span | None = None) -> Attributes | None:
        """The cost attributes for the call's span (``None``: the call is not priced); records the metrics.

        ``span``: the call's span, which a budget event is emitted in the context of.
        """
        usage = response.usage
        if usage is None or (usage.input_tokens is None and usage.output_tokens is None):
            return None
        operation = request.operation
        if operation in _UNPRICED_OPERATIONS:
            return None
        provider = request.provider
        response_model = response.model
        attributes: Attributes = {sc.OPERATION_NAME: operation, sc.PROVIDER_NAME: provider}
        if request.model:
            attributes[sc.REQUEST_MODEL] = request.model
        if response_model:
            attributes[sc.RESPONSE_MODEL] = response_model
        model = response_model or request.model
        price = self._table.lookup(provider, model)
        if price is None:
            self._unpriced.add(1, attributes)
            _warn_unpriced(provider, model)
            return {sc.EXTRA_COST_UNKNOWN: True}
        extras = response.attributes
        reported = extras.get(_RESPONSE_TIER) or request.attributes.get(_REQUEST_TIER)
        tier = None
        if isinstance(reported, str):
            tier = _tiers[reported] if reported in _tiers else _tier(reported)
        usd = cost_usd(price, usage, service_tier=tier)
        one_hour = extras.get(_ONE_HOUR_WRITES)
        if one_hour and isinstance(one_hour, int) and usage.cache_creation_input_tokens:
            usd = _with_one_hour_writes(price, usage, tier, usd, one_hour)
        self._cost.add(usd, attributes)
        alarm = self._alarm
        if alarm is not None:
            alarm.add(usd, span)
        return {sc.EXTRA_COST_USD: usd}


_tiers: dict[str, str | None] = {}


def _tier(reported: str) -> str | None:
    """The price-table tier for a reported service tier (``None``: standard prices), remembered per value."""
    tier = normalize_service_tier(reported)
    if len(_tiers) < 64:
        _tiers[reported] = tier
    return tier


def _with_one_hour_writes(price: ModelPrice, usage: Usage, tier: str | None, usd_5m: float, one_hour: int) -> float:
    """``usd_5m`` with ``one_hour`` of the cache writes at the 1-hour rate (cost is linear in the write count)."""
    writes = usage.cache_creation_input_tokens or 0
    usd_1h = cost_usd(price, usage, service_tier=tier, cache_write_ttl="1h")
    return usd_5m + (usd_1h - usd_5m) * (min(one_hour, writes) / writes)


def _warn_unpriced(provider: str, model: str | None) -> None:
    key = (provider, model)
    if key in _unpriced_seen:
        return
    with _unpriced_lock:
        if key in _unpriced_seen or len(_unpriced_seen) >= _UNPRICED_WARN_LIMIT:
            return
        _unpriced_seen.add(key)
        last = len(_unpriced_seen) == _UNPRICED_WARN_LIMIT
    _logger.warning(
        "genai-otel: no price for model %r of provider %r: its calls get %s=true and count in %s, with no cost "
        "(give it a price in a GENAI_OTEL_PRICES_FILE)%s",
        model, provider, sc.EXTRA_COST_UNKNOWN, sc.METRIC_UNPRICED_CALLS,
        "; further unknown models are not logged" if last else "",
    )


# --- budget ---


class Budget:
    """Spend over a rolling window, and the moments it goes over a threshold: at most once per window.

    Thread-safe. The window is 60 slots of ``window_s / 60`` seconds; the spend is the sum of the current slot and the
    59 before it. ``add`` returns the spend when this call takes it over the threshold and the last time that happened
    is at least a window ago (or never), else ``None``.
    """

    __slots__ = ("_clock", "_fired_at", "_last", "_lock", "_slots", "_total", "_width", "threshold_usd", "window_s")

    SLOTS = 60

    def __init__(self, threshold_usd: float, window_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        if not (threshold_usd > 0 and math.isfinite(threshold_usd)) or not (window_s > 0 and math.isfinite(window_s)):
            raise ValueError(f"a budget needs a positive threshold and window, got {threshold_usd!r}, {window_s!r}")
        self.threshold_usd = threshold_usd
        self.window_s = window_s
        self._clock = clock
        self._width = window_s / self.SLOTS
        self._slots = [0.0] * self.SLOTS
        self._last = int(clock() / self._width)
        self._total = 0.0
        self._fired_at: float | None = None
        self._lock = threading.Lock()

    def spend(self) -> float:
        """The spend in the current window."""
        with self._lock:
            self._advance(int(self._clock() / self._width))
            return self._total

    def add(self, usd: float) -> float | None:
        now = self._clock()
        slot = int(now / self._width)
        with self._lock:
            self._advance(slot)
            self._slots[self._last % self.SLOTS] += usd
            self._total += usd
            total = self._total
            if total <= self.threshold_usd:
                return None
            fired = self._fired_at
            if fired is not None and now - fired < self.window_s:
                return None
            self._fired_at = now
            return total

    def _advance(self, slot: int) -> None:
        """Empty the slots that left the window on the way to ``slot`` (under the lock)."""
        last = self._last
        if slot <= last:
            return
        slots = self._slots
        if slot - last >= self.SLOTS:
            slots[:] = [0.0] * self.SLOTS
        else:
            for passed in range(last + 1, slot + 1):
                slots[passed % self.SLOTS] = 0.0
        self._last = slot
        self._total = math.fsum(slots)  # re-summed once per slot, so rounding never accumulates


class BudgetAlarm:
    """What one instrumentor does when the shared :class:`Budget` goes over: a warning, a log record, a count."""

    __slots__ = ("_counter", "_otel_logger", "budget", "window_text")

    def __init__(self, budget: Budget, window_text: str, meter: Meter, otel_logger: Logger) -> None:
        self.budget = budget
        self.window_text = window_text
        self._counter: Any = meter.create_counter(
            sc.METRIC_BUDGET_EXCEEDED, unit="{event}",
            description="Times the GenAI spend in the budget window went over GENAI_OTEL_BUDGET_USD.")
        self._otel_logger = otel_logger

    def add(self, usd: float, span: Span | None = None) -> None:
        spend = self.budget.add(usd)
        if spend is not None:
            self.exceeded(spend, span)

    def exceeded(self, spend: float, span: Span | None = None) -> None:
        budget = self.budget
        message = (f"genai-otel: GenAI spend of ${spend:.6f} in the last {self.window_text} is over the budget of "
                   f"${budget.threshold_usd:g} ({GENAI_OTEL_BUDGET_USD}); not reported again for {self.window_text}")
        _logger.warning(message)
        self._counter.add(1)
        self._otel_logger.emit(
            context=set_span_in_context(span) if span is not None else None,
            event_name=sc.EVENT_BUDGET_EXCEEDED,
            severity_number=SeverityNumber.WARN,
            severity_text="WARN",
            body=message,
            attributes={
                sc.EXTRA_BUDGET_SPEND_USD: spend,
                sc.EXTRA_BUDGET_THRESHOLD_USD: budget.threshold_usd,
                sc.EXTRA_BUDGET_WINDOW_S: budget.window_s,
            },
        )


def parse_window(text: str) -> float | None:
    """Seconds in a window like ``90s``, ``30m``, ``1h``, ``1.5h``, ``7d``; ``None`` if it is not one (or not > 0)."""
    match = _WINDOW.match(text.strip())
    if match is None:
        return None
    seconds = float(match.group(1)) * _UNIT_SECONDS[match.group(2).lower()]
    return seconds if seconds > 0 and math.isfinite(seconds) else None


def budget_from_env() -> tuple[float, float, str] | None:
    """``(threshold_usd, window_s, window_text)`` from the environment, or ``None`` for no budget.

    A bad value warns once, naming the variable and the value: a bad threshold means no budget, a bad window ``24h``.
    """
    raw = (os.environ.get(GENAI_OTEL_BUDGET_USD) or "").strip()
    if not raw:
        return None
    try:
        threshold = float(raw)
    except ValueError:
        threshold = math.nan
    if not (threshold > 0 and math.isfinite(threshold)):
        warn_once(f"env:{GENAI_OTEL_BUDGET_USD}={raw}",
                  "genai-otel: ignoring %s=%r (expected a positive number of US dollars); no budget is set",
                  GENAI_OTEL_BUDGET_USD, raw)
        return None
    window_text = (os.environ.get(GENAI_OTEL_BUDGET_WINDOW) or "").strip() or DEFAULT_WINDOW
    window = parse_window(window_text)
    if window is None:
        warn_once(f"env:{GENAI_OTEL_BUDGET_WINDOW}={window_text}",
                  "genai-otel: ignoring %s=%r (expected a positive number and a unit s, m, h or d, e.g. 1h); "
                  "using the default %r", GENAI_OTEL_BUDGET_WINDOW, window_text, DEFAULT_WINDOW)
        window_text = DEFAULT_WINDOW
        window = _UNIT_SECONDS["h"] * 24
    return threshold, window, window_text


_shared_budget: Budget | None = None
_shared_lock = threading.Lock()


def _budget(threshold_usd: float, window_s: float) -> Budget:
    """The process's budget: instrumentors started with the same settings share one spend."""
    global _shared_budget
    with _shared_lock:
        budget = _shared_budget
        if budget is None or (budget.threshold_usd, budget.window_s) != (threshold_usd, window_s):
            budget = _shared_budget = Budget(threshold_usd, window_s)
        return budget


def cost_recorder(meter: Meter, logger_provider: LoggerProvider | None = None,
                  schema_url: str | None = None) -> CostRecorder | None:
    """The cost recorder an instrumentor uses, configured from the environment (read now, once).

    ``None`` (and an internal error logged and counted) if it cannot be built: calls are then traced without cost.
    """
    try:
        alarm = None
        settings = budget_from_env()
        if settings is not None:
            threshold, window, window_text = settings
            otel_logger = get_logger(sc.SCOPE_NAME, __version__, logger_provider, schema_url=schema_url)
            alarm = BudgetAlarm(_budget(threshold, window), window_text, meter, otel_logger)
        return CostRecorder(meter, alarm=alarm)
    except Exception as exc:  # noqa: BLE001 - no cost is better than no telemetry
        internal_error("cost.setup", exc)
        return None
