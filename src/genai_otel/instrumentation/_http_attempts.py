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
from collections.abc import Callable, Mapping
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

__all__ = ["REQUEST_ID_HEADERS", "SEND_TARGETS", "Attempts", "HeaderFamily", "RateLimitGauges", "SendTarget",
           "header_family", "install", "parse_duration", "parse_timestamp", "rate_limits", "uninstall"]


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


@dataclass(frozen=True)
class HeaderFamily:
    """Where a provider puts its rate limits. ``limits``: (header, resource, field) triples."""

    sentinel: str
    """A rate-limit header that is present whenever the others are (checked first: one lookup per call)."""
    limits: tuple[tuple[str, str, str], ...]
    reset_format: str
    """``duration`` (OpenAI: ``6ms``, ``1m30s``) or ``timestamp`` (Anthropic: RFC 3339)."""


def _family(pattern: str, resources: dict[str, str], reset_format: str) -> HeaderFamily:
    limits = tuple((pattern.format(resource=wire, field=field), resource, field)
                   for wire, resource in resources.items() for field in ("limit", "remaining", "reset"))
    return HeaderFamily(pattern.format(resource=next(iter(resources)), field="remaining"), limits,
                        reset_format)


_FAMILIES: dict[str, HeaderFamily] = {
    "openai": _family("x-ratelimit-{field}-{resource}",
                      {"requests": "requests", "tokens": "tokens"}, "duration"),
    "anthropic": _family("anthropic-ratelimit-{resource}-{field}",
                         {"requests": "requests", "tokens": "tokens", "input-tokens": "input_tokens",
                          "output-tokens": "output_tokens"}, "timestamp"),
}


def header_family(package: str) -> HeaderFamily | None:
    """The header family of an SDK package (``openai``, ``anthropic``), or None."""
    return _FAMILIES.get(package)


class Attempts:
    """The HTTP attempts of one call (created at its first attempt; lives on ``invocation.extras``)."""

    __slots__ = ("count", "last_end_ns", "headers", "request_id", "first")

    def __init__(self) -> None:
        self.count = 0
        self.last_end_ns = 0
        self.headers: Any = None
        """The last response's headers (an ``httpx``/``httpx2`` ``Headers``), read when the call finishes."""
        self.request_id: str | None = None
        self.first: tuple[int, Attributes] | None = None
        """The first attempt's event, put on the span only if a second attempt follows."""


# --- the send wrapper ---

REQUEST_ID_HEADERS: tuple[str, ...] = ("x-request-id", "request-id", "x-amzn-requestid")
"""Response headers carrying the provider's request id: OpenAI (and Azure), Anthropic (and Vertex), Bedrock."""

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
        headers = attempts.headers = response.headers
        for name in REQUEST_ID_HEADERS:
            request_id = headers.get(name)
            if request_id:
                break
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


def rate_limits(headers: Mapping[str, str], family: HeaderFamily, now: float) -> dict[tuple[str, str], float]:
    """``{(resource, field): value}`` from the family's headers present in ``headers``; resets in seconds."""
    if headers.get(family.sentinel) is None:
        return {}
    found: dict[tuple[str, str], float] = {}
    for header, resource, field in family.limits:
        raw = headers.get(header)
        if raw is None:
            continue
        value: float | None
        if field == "reset":
            value = parse_duration(raw) if family.reset_format == "duration" else parse_timestamp(raw, now)
        else:
            try:
                value = int(raw)
            except ValueError:
                value = None
        if value is not None:
            found[(resource, field)] = value
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
_TOKEN_TYPES = {"input_tokens": sc.TOKEN_TYPE_INPUT, "output_tokens": sc.TOKEN_TYPE_OUTPUT}
_GAUGE_KEYS = (sc.PROVIDER_NAME, sc.REQUEST_MODEL, sc.SERVER_ADDRESS)


class RateLimitGauges:
    """The six rate-limit gauges of one meter, and what a finished call adds to its span."""

    __slots__ = ("_gauges", "family")

    def __init__(self, meter: Meter, family: HeaderFamily | None) -> None:
        self.family = family
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
        headers = attempts.headers
        family = self.family
        if headers is None or family is None:
            return attributes
        limits = rate_limits(headers, family, time.time())
        if not limits:
            return attributes
        base = invocation.metric_attributes
        metric_attributes = {key: base[key] for key in _GAUGE_KEYS if key in base}
        for (resource, field), value in limits.items():
            if recording:
                suffix = "reset_s" if field == "reset" else field
                attributes[f"{sc.RATELIMIT_PREFIX}{resource}.{suffix}"] = value
            token_type = _TOKEN_TYPES.get(resource)
            gauge = self._gauges.get(("tokens" if token_type else resource, field))
            if gauge is not None:
                gauge.set(value, {**metric_attributes, sc.TOKEN_TYPE: token_type} if token_type else metric_attributes)
        return attributes
