"""HTTP attempts inside one GenAI call: retries, their status codes and waits, request ids, rate-limit headroom.

Both SDKs retry on their own (``max_retries``, 408/409/429/5xx and connection errors, honouring ``retry-after``).
Every attempt, in every version of both SDKs, goes through the HTTP client's ``send`` (``self._client.send(...)`` in
the Stainless base client), so that is where attempts are watched: the patch targets below, declared as data, wrap
``send`` of ``httpx2`` and ``httpx`` clients (both SDKs accept either). Outside one of our GenAI calls the wrapper
only reads a context variable and passes the call through.

Per call this gives:

- when the call took more than one attempt (the SDK retried): span attribute ``genai_otel.http.attempts`` (how
  many) and one span event ``genai_otel.http.attempt`` per attempt, at its start: ``http.response.status_code`` (or
  ``error.type`` when no response came back), ``genai_otel.request_id``, and from the second attempt on
  ``http.request.resend_count`` and ``genai_otel.http.wait_s`` (the SDK's back-off before it). A call answered at
  the first attempt gets neither (like ``http.request.resend_count``, absence means no retry), which keeps the
  common path to two header lookups;
- span attributes ``genai_otel.request_id`` (the last attempt's) and the provider's rate-limit headers of the last
  response as ``genai_otel.ratelimit.{resource}.{limit,remaining,reset_s}``;
- the rate-limit gauges (``genai_otel.ratelimit.{requests,tokens}.{remaining,limit,reset}``) per provider, request
  model and server.

Retries stay inside the one span and the one ``gen_ai.client.operation.duration`` record of their call.
"""

from __future__ import annotations

import calendar
import importlib
import re
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import wrapt
from opentelemetry.instrumentation.utils import unwrap

from genai_otel.genai import semconv as sc
from genai_otel.genai._safety import internal_error
from genai_otel.genai.recorder import Invocation, error_type_of

if TYPE_CHECKING:
    from contextvars import ContextVar

    from opentelemetry.metrics import Meter

    from genai_otel.genai.types import Attributes

__all__ = ["RATE_LIMIT_HEADERS", "REQUEST_ID_HEADERS", "SEND_TARGETS", "Attempts", "RateLimitGauges",
           "RateLimitHeader", "SendTarget", "install", "parse_duration", "parse_timestamp", "rate_limits", "scan",
           "uninstall"]


@dataclass(frozen=True)
class SendTarget:
    """One HTTP client ``send`` to watch: ``module`` + ``Class.method``."""

    module: str
    method: str
    is_async: bool


SEND_TARGETS: tuple[SendTarget, ...] = (
    SendTarget("httpx2", "Client.send", False),
    SendTarget("httpx2", "AsyncClient.send", True),
    SendTarget("httpx", "Client.send", False),
    SendTarget("httpx", "AsyncClient.send", True),
)


_TOKEN_TYPES = {"input_tokens": sc.TOKEN_TYPE_INPUT, "output_tokens": sc.TOKEN_TYPE_OUTPUT}


@dataclass(frozen=True)
class RateLimitHeader:
    """What one rate-limit response header holds: a ``resource``'s ``limit``, ``remaining`` or ``reset``."""

    resource: str
    """``requests``, ``tokens``, ``input_tokens`` or ``output_tokens``."""
    field: str
    reset_format: str
    """How a reset is written: ``duration`` (OpenAI: ``6ms``, ``1m30s``) or ``timestamp`` (Anthropic: RFC 3339)."""

    @property
    def attribute(self) -> str:
        """Its span attribute, e.g. ``genai_otel.ratelimit.tokens.remaining``, ``...requests.reset_s``."""
        return f"{sc.RATELIMIT_PREFIX}{self.resource}.{'reset_s' if self.field == 'reset' else self.field}"

    @property
    def gauge(self) -> tuple[str, str]:
        """Its gauge: (``requests`` or ``tokens``, field); split token limits go to ``tokens`` by token type."""
        return ("tokens" if self.resource in _TOKEN_TYPES else self.resource), self.field


def _family(pattern: str, resources: dict[str, str], reset_format: str) -> dict[bytes, RateLimitHeader]:
    return {pattern.format(resource=wire, field=field).encode(): RateLimitHeader(resource, field, reset_format)
            for wire, resource in resources.items() for field in ("limit", "remaining", "reset")}


RATE_LIMIT_HEADERS: dict[bytes, RateLimitHeader] = {
    **_family("x-ratelimit-{field}-{resource}", {"requests": "requests", "tokens": "tokens"}, "duration"),
    **_family("anthropic-ratelimit-{resource}-{field}", {"requests": "requests", "tokens": "tokens",
                                                         "input-tokens": "input_tokens",
                                                         "output-tokens": "output_tokens"}, "timestamp"),
}
"""Every rate-limit header read, lower-case: OpenAI (and Azure OpenAI) and Anthropic (and Vertex)."""

REQUEST_ID_HEADERS: tuple[str, ...] = ("x-request-id", "request-id", "x-amzn-requestid")
"""Response headers carrying the provider's request id, first found wins: OpenAI (and Azure), Anthropic (and
Vertex), Bedrock."""

_WANTED: dict[bytes, int | RateLimitHeader] = {
    **{name.encode(): rank for rank, name in enumerate(REQUEST_ID_HEADERS)}, **RATE_LIMIT_HEADERS}


def scan(headers: Any) -> tuple[str | None, dict[RateLimitHeader, bytes] | None]:
    """The request id and the raw rate-limit values of a response's headers, in one pass over them.

    One pass over ``Headers.raw`` costs about what a single ``Headers.get`` does (which walks the list itself).
    """
    raw = getattr(headers, "raw", None)
    pairs = raw if raw is not None else [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
    request_id: bytes | None = None
    rank = len(REQUEST_ID_HEADERS)
    limits: dict[RateLimitHeader, bytes] | None = None
    for key, value in pairs:
        wanted = _WANTED.get(key.lower())
        if wanted is None:
            continue
        if isinstance(wanted, int):
            if wanted < rank and value:
                rank, request_id = wanted, value
        else:
            if limits is None:
                limits = {}
            limits[wanted] = value
    return (request_id.decode("latin-1") if request_id is not None else None), limits


class Attempts:
    """The HTTP attempts of one call (created at its first attempt; lives on ``invocation.extras``)."""

    __slots__ = ("count", "last_end_ns", "limits", "request_id", "first")

    def __init__(self) -> None:
        self.count = 0
        self.last_end_ns = 0
        self.limits: dict[RateLimitHeader, bytes] | None = None
        """The last response's rate-limit headers, raw; parsed when the call finishes."""
        self.request_id: str | None = None
        self.first: tuple[int, Attributes] | None = None
        """The first attempt's event, put on the span only if a second attempt follows."""


# --- the send wrapper ---

_inside_call: ContextVar[Any] | None = None
_attempts_of: Callable[[Invocation], Attempts] | None = None


def _note(invocation: Invocation, started_ns: int, response: Any, error: BaseException | None) -> None:
    """Count one attempt; from the second on, put a span event per attempt on the call's span."""
    ended_ns = time.time_ns()
    assert _attempts_of is not None
    attempts = _attempts_of(invocation)
    attempts.count += 1
    previous_end = attempts.last_end_ns
    attempts.last_end_ns = ended_ns
    request_id = None
    if response is not None:
        request_id, limits = scan(response.headers)
        if limits is not None:
            attempts.limits = limits
    attempts.request_id = request_id
    span = invocation.span
    if not span.is_recording():
        return
    attributes: Attributes = {}
    if response is not None:
        attributes[sc.HTTP_STATUS_CODE] = response.status_code
    if error is not None:
        attributes[sc.ERROR_TYPE] = error_type_of(error)
    if request_id:
        attributes[sc.EXTRA_REQUEST_ID] = request_id
    if attempts.count == 1:  # the common case: no event unless a retry follows
        attempts.first = (started_ns, attributes)
        return
    if attempts.first is not None:
        span.add_event(sc.EVENT_HTTP_ATTEMPT, attempts.first[1], timestamp=attempts.first[0])
        attempts.first = None
    attributes[sc.HTTP_RESEND_COUNT] = attempts.count - 1
    attributes[sc.EXTRA_HTTP_WAIT] = max(0, started_ns - previous_end) / 1e9
    span.add_event(sc.EVENT_HTTP_ATTEMPT, attributes, timestamp=started_ns)


def _current(inside_call: ContextVar[Any]) -> Invocation | None:
    invocation = inside_call.get()
    if isinstance(invocation, Invocation) and not invocation.ended:
        return invocation
    return None


def _sync_send(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
    inside = _inside_call
    invocation = _current(inside) if inside is not None else None
    if invocation is None:
        return wrapped(*args, **kwargs)
    started = time.time_ns()
    try:
        response = wrapped(*args, **kwargs)
    except BaseException as exc:
        _guarded_note(invocation, started, None, exc)
        raise
    _guarded_note(invocation, started, response, None)
    return response


async def _async_send(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
    inside = _inside_call
    invocation = _current(inside) if inside is not None else None
    if invocation is None:
        return await wrapped(*args, **kwargs)
    started = time.time_ns()
    try:
        response = await wrapped(*args, **kwargs)
    except BaseException as exc:
        _guarded_note(invocation, started, None, exc)
        raise
    _guarded_note(invocation, started, response, None)
    return response


def _guarded_note(invocation: Invocation, started_ns: int, response: Any, error: BaseException | None) -> None:
    try:
        _note(invocation, started_ns, response, error)
    except Exception as exc:  # noqa: BLE001
        internal_error("http_attempt", exc)


# --- patching: shared by every instrumentor, undone when the last one uninstruments ---

_lock = threading.Lock()
_users = 0
_patched: list[tuple[Any, str]] = []
_hooked: set[str] = set()


def install(inside_call: ContextVar[Any], attempts_of: Callable[[Invocation], Attempts]) -> None:
    """Watch HTTP attempts (idempotent; counted, so each ``install`` is undone by one ``uninstall``).

    ``inside_call`` holds the current invocation while a patched SDK method runs; ``attempts_of(invocation)`` gives
    (creating it if needed) the call's :class:`Attempts`.
    """
    global _users, _inside_call, _attempts_of
    with _lock:
        _users += 1
        _inside_call = inside_call
        _attempts_of = attempts_of
        modules = [m for m in dict.fromkeys(t.module for t in SEND_TARGETS) if m not in _hooked]
        _hooked.update(modules)
        again = [sys.modules[m] for m in _hooked.difference(modules) if m in sys.modules] if _users == 1 else []
    for module in modules:  # runs the hook at once for a module already imported: outside the lock
        wrapt.register_post_import_hook(_patch_module, module)
    for imported in again:  # instrumented again after an uninstrument: the hooks fired long ago
        _patch_module(imported)


def uninstall() -> None:
    global _users
    with _lock:
        _users = max(0, _users - 1)
        if _users:
            return
        for owner, attribute in _patched:
            unwrap(owner, attribute)
        _patched.clear()


def _patch_module(module: Any) -> None:
    with _lock:
        if not _users:
            return
        for target in SEND_TARGETS:
            if target.module != module.__name__:
                continue
            try:
                owner = importlib.import_module(target.module)
                class_name, _, attribute = target.method.partition(".")
                owner = getattr(owner, class_name)
            except (ImportError, AttributeError):
                continue
            current = vars(owner).get(attribute)
            if current is None or getattr(current, "_self_wrapper", None) in (_sync_send, _async_send):
                continue
            wrapt.wrap_function_wrapper(owner, attribute, _async_send if target.is_async else _sync_send)
            _patched.append((owner, attribute))


# --- at the end of a call: attributes and gauges from the last response ---

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")
_DURATION_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def parse_duration(text: str) -> float | None:
    """Seconds in an OpenAI reset value: ``6ms``, ``8.64s``, ``1m30s``, ``2h0m0s``; None if it is not one."""
    text = text.strip()
    position, total = 0, 0.0
    for match in _DURATION_PART.finditer(text):
        if match.start() != position:
            return None
        total += float(match.group(1)) * _DURATION_UNITS[match.group(2)]
        position = match.end()
    return total if position == len(text) and position else None


def parse_timestamp(text: str, now: float) -> float | None:
    """Seconds from ``now`` to an RFC 3339 UTC time (``2025-01-01T00:00:00Z``), at least 0; None if not one."""
    try:
        parsed = time.strptime(text.strip()[:19], "%Y-%m-%dT%H:%M:%S")
    except ValueError:
        return None
    return max(0.0, calendar.timegm(parsed) - now)


_parsed: dict[tuple[str, bytes], float | None] = {}
"""Parsed header values (counts, durations, timestamps as epoch seconds): they repeat from call to call."""
_PARSED_LIMIT = 1024


def _parse(header: RateLimitHeader, value: bytes) -> float | None:
    key = (header.reset_format if header.field == "reset" else "count", value)
    if key in _parsed:
        return _parsed[key]
    text = value.decode("latin-1")
    parsed: float | None
    if header.field != "reset":
        try:
            parsed = int(text)
        except ValueError:
            parsed = None
    elif header.reset_format == "duration":
        parsed = parse_duration(text)
    else:  # kept as the epoch time it names; seconds from now are taken per call
        parsed = parse_timestamp(text, 0.0)
    if len(_parsed) >= _PARSED_LIMIT:
        _parsed.clear()
    _parsed[key] = parsed
    return parsed


def rate_limits(raw: dict[RateLimitHeader, bytes], now: float) -> dict[RateLimitHeader, float]:
    """Each rate-limit header's value: counts, and resets in seconds from ``now`` (at least 0)."""
    found: dict[RateLimitHeader, float] = {}
    for header, value in raw.items():
        parsed = _parse(header, value)
        if parsed is None:
            continue
        if header.reset_format == "timestamp" and header.field == "reset":
            parsed = max(0.0, parsed - now)
        found[header] = parsed
    return found


_GAUGES = {
    ("requests", "remaining"): (sc.METRIC_RATELIMIT_REQUESTS_REMAINING, "{request}",
                                "Requests left in the provider's current rate-limit window."),
    ("requests", "limit"): (sc.METRIC_RATELIMIT_REQUESTS_LIMIT, "{request}",
                            "Requests allowed per rate-limit window, as the provider reported it."),
    ("requests", "reset"): (sc.METRIC_RATELIMIT_REQUESTS_RESET, "s",
                            "Seconds until the provider's request rate limit resets."),
    ("tokens", "remaining"): (sc.METRIC_RATELIMIT_TOKENS_REMAINING, "{token}",
                              "Tokens left in the provider's current rate-limit window."),
    ("tokens", "limit"): (sc.METRIC_RATELIMIT_TOKENS_LIMIT, "{token}",
                          "Tokens allowed per rate-limit window, as the provider reported it."),
    ("tokens", "reset"): (sc.METRIC_RATELIMIT_TOKENS_RESET, "s",
                          "Seconds until the provider's token rate limit resets."),
}
_GAUGE_KEYS = (sc.PROVIDER_NAME, sc.REQUEST_MODEL, sc.SERVER_ADDRESS)
_ATTRIBUTES = {header: header.attribute for header in RATE_LIMIT_HEADERS.values()}
_GAUGE_OF = {header: header.gauge for header in RATE_LIMIT_HEADERS.values()}


class RateLimitGauges:
    """The six rate-limit gauges of one meter, and what a finished call adds to its span."""

    __slots__ = ("_gauges",)

    def __init__(self, meter: Meter) -> None:
        self._gauges: dict[tuple[str, str], Any] = {}
        create = getattr(meter, "create_gauge", None)  # opentelemetry-api >= 1.23
        if create is not None:
            for key, (name, unit, description) in _GAUGES.items():
                self._gauges[key] = create(name, unit=unit, description=description)

    def finish(self, invocation: Invocation, attempts: Attempts, recording: bool) -> Attributes:
        """Span attributes for the call's attempts; records the gauges (whether or not the span is sampled)."""
        attributes: Attributes = {}
        if recording:
            if attempts.count > 1:
                attributes[sc.EXTRA_HTTP_ATTEMPTS] = attempts.count
            if attempts.request_id:
                attributes[sc.EXTRA_REQUEST_ID] = attempts.request_id
        if attempts.limits is None:
            return attributes
        limits = rate_limits(attempts.limits, time.time())
        if not limits:
            return attributes
        base = invocation.metric_attributes
        metric_attributes = {key: base[key] for key in _GAUGE_KEYS if key in base}
        gauges = self._gauges
        for header, value in limits.items():
            if recording:
                attributes[_ATTRIBUTES[header]] = value
            gauge = gauges.get(_GAUGE_OF[header])
            if gauge is not None:
                token_type = _TOKEN_TYPES.get(header.resource)
                gauge.set(value, {**metric_attributes, sc.TOKEN_TYPE: token_type} if token_type else metric_attributes)
        return attributes
