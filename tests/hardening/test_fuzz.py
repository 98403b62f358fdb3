"""Property-based: whatever an SDK hands back, the application gets it, unchanged, and the call's span ends.

Responses and stream events are drawn as the JSON a server could send (each field well-formed, missing, null,
oversized, of another JSON type, or an unknown string; events of unknown types mixed in) and turned into the SDKs' own
types by the SDKs' own ``construct_type``, exactly as they read a body or an SSE event without strict validation (an
unknown event type becomes whatever the SDK makes of it). They go through the real, instrumented SDK methods
(``chat.completions.create``, ``responses.create``, ``messages.create``); only the client's ``_post`` is replaced by
one returning the object (or an SDK ``Stream`` of them), so the engine, the surfaces, the accumulators, the stream
proxies, content capture (spans and events), the prompt hash, cost and a hook on every phase all see them. Streams
are read to the end or left after the first event, and may break mid-way with an exception of the SDK's.

Every example checks that:

- the application gets the very object (``is``) the SDK produced, and every event of a stream, in order;
- an exception raised mid-stream reaches the application unchanged;
- exactly one span started and ended for the call (the open-span tracker is back where it was);
- nothing of ours raised (internal errors are swallowed here, as in production, and counted for the figures).

The ``well-typed`` variants keep every field to its declared JSON type, null or missing (huge, empty and unknown
strings, huge and negative numbers included): those must not even trip the guard (no internal error at all). The
``any-values`` variants allow any JSON value anywhere: the guard may catch our failures there, and the figures list
which (``pytest -s`` or the ``hardening figures`` summary).

Telemetry goes to this module's own providers (a tracer provider with only the open-span tracker, a meter provider
nobody reads): thousands of random model names must not fill the suite's metric streams, nor large content its span
exporter.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from genai_otel.genai import _safety
from tests.hardening._scenarios import Clients
from tests.hardening.conftest import (
    FIGURES,
    STEPS_ON,
    TRACKER,
    _every_hook_phase,
    reinstrumented,
)

openai = pytest.importorskip("openai", reason="openai is not installed in this environment")
anthropic = pytest.importorskip("anthropic", reason="anthropic is not installed in this environment")

from anthropic._models import construct_type as anthropic_construct  # noqa: E402
from anthropic.types import Message, RawMessageStreamEvent  # noqa: E402
from openai._models import construct_type as openai_construct  # noqa: E402
from openai.types.chat import ChatCompletion, ChatCompletionChunk  # noqa: E402
from openai.types.responses import ResponseStreamEvent  # noqa: E402

EXAMPLES = int(os.environ.get("GENAI_OTEL_FUZZ_EXAMPLES", "50"))
"""Examples per test (8 tests). 50 keep the module near 60-70 s on a loaded 2-CPU machine; raise it for a deeper run."""

_RAISE_ALL = os.environ.get("GENAI_OTEL_FUZZ_RAISE", "") == "1"
"""``GENAI_OTEL_FUZZ_RAISE=1``: re-raise the internal errors of the any-values tests too, to see their tracebacks."""
_MISSING = object()
_SPANS = InMemorySpanExporter()
"""The last call's span (cleared before every call)."""
_tally: dict[str, list[Any]] = {}
"""test name -> [examples run, Counter of internal errors by kind]"""

# --- values ---------------------------------------------------------------------------------------------------------

_HUGE = ["x" * 70_000, "é" * 35_000, "line\r\n" * 12_000]
"""Over both content budgets (16 KiB per span attribute, 64 KiB per event) and the usual attribute limits."""
_ODD_TEXT = ["", " ", "\x00", "\ud800", "🙂" * 3, "null", "-1"]
"""``"\\ud800"`` is what ``json.loads`` makes of that escape: a lone surrogate, not encodable as UTF-8."""
_ODD_INTS = [0, -1, 2**31, 2**63, 2**70]

_json = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=8), st.sampled_from(_ODD_TEXT)),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner, max_size=3)),
    max_leaves=6,
)
"""Any JSON value (``json.loads`` also reads NaN and Infinity)."""


def field(good: st.SearchStrategy[Any], typed: bool) -> st.SearchStrategy[Any]:
    """A field's value: well-formed (most often), missing, null; with ``typed=False`` also any other JSON value."""
    if typed:
        return st.one_of(good, good, st.just(_MISSING), st.none())
    return st.one_of(good, good, st.just(_MISSING), st.none(), _json)


def obj(**fields: Any) -> dict[str, Any]:
    """A JSON object without the fields drawn as missing."""
    return {name: value for name, value in fields.items() if value is not _MISSING}


def text(typed: bool, big: bool = True) -> st.SearchStrategy[Any]:
    small = st.one_of(st.text(max_size=12), st.sampled_from(_ODD_TEXT))
    return field(st.one_of(small, small, st.sampled_from(_HUGE)) if big else small, typed)


def count(typed: bool) -> st.SearchStrategy[Any]:
    return field(st.one_of(st.integers(min_value=0, max_value=10**6), st.sampled_from(_ODD_INTS)), typed)


def choice_of(known: list[str], typed: bool) -> st.SearchStrategy[Any]:
    """A string enum: a known value, an unknown one, or a huge one."""
    return field(st.one_of(st.sampled_from(known), st.sampled_from(known), st.text(max_size=8),
                           st.sampled_from(_HUGE[:1])), typed)


def items(make: Callable[[bool], st.SearchStrategy[Any]], typed: bool, big: bool = True) -> st.SearchStrategy[Any]:
    """A list of ``make(big)`` elements: a few, or (when ``big``) 100 copies of one with no huge strings in it."""
    few = st.lists(make(big), max_size=3)
    return field(st.one_of(few, few, make(False).map(lambda one: [one] * 100)) if big else few, typed)


def sub(strategy: st.SearchStrategy[Any], typed: bool) -> st.SearchStrategy[Any]:
    """A nested object that may itself be missing or null (or anything else)."""
    return field(strategy, typed)


# --- OpenAI chat completions ----------------------------------------------------------------------------------------

_FINISH = ["stop", "length", "tool_calls", "content_filter", "function_call"]


def openai_usage(t: bool) -> st.SearchStrategy[Any]:
    return st.builds(obj, prompt_tokens=count(t), completion_tokens=count(t), total_tokens=count(t),
                     prompt_tokens_details=sub(st.builds(obj, cached_tokens=count(t), audio_tokens=count(t)), t),
                     completion_tokens_details=sub(st.builds(obj, reasoning_tokens=count(t)), t))


def tool_call(t: bool, streamed: bool, big: bool) -> st.SearchStrategy[Any]:
    function = st.builds(obj, name=text(t, big=False), arguments=text(t, big))
    if streamed:
        return st.builds(obj, index=count(t), id=text(t, big=False), type=choice_of(["function"], t),
                         function=sub(function, t))
    return st.builds(obj, id=text(t, big=False), type=choice_of(["function", "custom"], t), function=sub(function, t))


def chat_completion(t: bool) -> st.SearchStrategy[Any]:
    def choice(big: bool) -> st.SearchStrategy[Any]:
        message = st.builds(obj, role=choice_of(["assistant"], t), content=text(t, big), refusal=text(t, big=False),
                            tool_calls=items(lambda b: tool_call(t, False, b), t, big))
        return st.builds(obj, index=count(t), finish_reason=choice_of(_FINISH, t), message=sub(message, t))

    return st.builds(obj, id=text(t), object=st.just("chat.completion"), created=count(t), model=text(t),
                     choices=items(choice, t), usage=sub(openai_usage(t), t), service_tier=text(t, big=False),
                     system_fingerprint=text(t, big=False))


def chat_chunk(t: bool) -> st.SearchStrategy[Any]:
    def choice(big: bool) -> st.SearchStrategy[Any]:
        delta = st.builds(obj, role=choice_of(["assistant"], t), content=text(t, big), refusal=text(t, big=False),
                          reasoning_content=text(t, big=False), tool_calls=items(lambda b: tool_call(t, True, b), t,
                                                                                 big))
        return st.builds(obj, index=count(t), finish_reason=choice_of(_FINISH, t), delta=sub(delta, t))

    return st.builds(obj, id=text(t), object=st.just("chat.completion.chunk"), created=count(t), model=text(t),
                     choices=items(choice, t), usage=sub(openai_usage(t), t), service_tier=text(t, big=False),
                     system_fingerprint=text(t, big=False))


# --- OpenAI Responses events ----------------------------------------------------------------------------------------

_STATUS = ["completed", "incomplete", "failed", "cancelled", "queued", "in_progress"]
_LIFECYCLE = ["response.created", "response.queued", "response.in_progress", "response.completed",
              "response.incomplete", "response.failed"]
_DELTAS = ["response.output_text.delta", "response.refusal.delta", "response.function_call_arguments.delta",
           "response.custom_tool_call_input.delta", "response.reasoning_summary_text.delta",
           "response.reasoning_text.delta"]


def output_item(t: bool, big: bool = True) -> st.SearchStrategy[Any]:
    def content(b: bool) -> st.SearchStrategy[Any]:
        return st.one_of(
            st.builds(obj, type=st.just("output_text"), text=text(t, b), annotations=st.just([])),
            st.builds(obj, type=st.just("refusal"), refusal=text(t, b)),
            st.builds(obj, type=text(t, big=False), text=text(t, big=False)),
        )

    def summary(b: bool) -> st.SearchStrategy[Any]:
        return st.builds(obj, type=st.just("summary_text"), text=text(t, b))

    return st.one_of(
        st.builds(obj, type=st.just("message"), id=text(t, big=False), role=choice_of(["assistant"], t),
                  status=choice_of(["completed", "in_progress"], t), content=items(content, t, big)),
        st.builds(obj, type=st.just("function_call"), id=text(t, big=False), call_id=text(t, big=False),
                  name=text(t, big=False), arguments=text(t, big)),
        st.builds(obj, type=st.just("custom_tool_call"), call_id=text(t, big=False), name=text(t, big=False),
                  input=text(t, big)),
        st.builds(obj, type=st.just("reasoning"), id=text(t, big=False), summary=items(summary, t, big)),
        st.builds(obj, type=text(t, big=False), id=text(t, big=False)),  # an item type the SDK does not know
    )


def response(t: bool) -> st.SearchStrategy[Any]:
    usage = st.builds(obj, input_tokens=count(t), output_tokens=count(t), total_tokens=count(t),
                      input_tokens_details=sub(st.builds(obj, cached_tokens=count(t)), t),
                      output_tokens_details=sub(st.builds(obj, reasoning_tokens=count(t)), t))
    return st.builds(obj, id=text(t), object=st.just("response"), created_at=count(t), model=text(t),
                     status=choice_of(_STATUS, t), output=items(lambda big: output_item(t, big), t),
                     usage=sub(usage, t),
                     incomplete_details=sub(st.builds(obj, reason=choice_of(["max_output_tokens", "content_filter"],
                                                                            t)), t),
                     error=sub(st.builds(obj, code=text(t, big=False), message=text(t)), t),
                     service_tier=text(t, big=False))


def responses_event(t: bool) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.builds(obj, type=st.sampled_from(_LIFECYCLE), sequence_number=count(t), response=sub(response(t), t)),
        st.builds(obj, type=st.sampled_from(["response.output_item.added", "response.output_item.done"]),
                  sequence_number=count(t), output_index=count(t), item=sub(output_item(t), t)),
        st.builds(obj, type=st.sampled_from(_DELTAS), sequence_number=count(t), output_index=count(t),
                  item_id=text(t, big=False), content_index=count(t), delta=text(t)),
        st.builds(obj, type=st.just("error"), sequence_number=count(t), code=text(t, big=False), message=text(t),
                  param=text(t, big=False)),
        unknown_event(t, "response."),
    )


def unknown_event(t: bool, prefix: str) -> st.SearchStrategy[Any]:
    """An event of a type no SDK version defines (what a newer API might send), with fields of any JSON."""
    kind = st.one_of(st.text(max_size=10).map(lambda name: prefix + name), st.text(max_size=10))
    fields = st.dictionaries(st.text(max_size=6), _json if not t else st.text(max_size=6), max_size=3)
    return st.builds(lambda k, f: {**f, "type": k}, kind, fields)


# --- Anthropic messages ---------------------------------------------------------------------------------------------

_STOP = ["end_turn", "max_tokens", "stop_sequence", "tool_use", "pause_turn", "refusal"]


def anthropic_usage(t: bool) -> st.SearchStrategy[Any]:
    return st.builds(obj, input_tokens=count(t), output_tokens=count(t), cache_read_input_tokens=count(t),
                     cache_creation_input_tokens=count(t),
                     cache_creation=sub(st.builds(obj, ephemeral_5m_input_tokens=count(t),
                                                  ephemeral_1h_input_tokens=count(t)), t),
                     server_tool_use=sub(st.builds(obj, web_search_requests=count(t)), t),
                     service_tier=text(t, big=False))


def content_block(t: bool, big: bool = True) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.builds(obj, type=st.just("text"), text=text(t, big), citations=st.just(None)),
        st.builds(obj, type=st.just("tool_use"), id=text(t, big=False), name=text(t, big=False),
                  input=field(st.dictionaries(st.text(max_size=5), st.text(max_size=8), max_size=2), t)),
        st.builds(obj, type=st.just("thinking"), thinking=text(t, big), signature=text(t, big=False)),
        st.builds(obj, type=text(t, big=False), text=text(t, big=False)),  # a block type the SDK does not know
    )


def anthropic_message(t: bool) -> st.SearchStrategy[Any]:
    return st.builds(obj, id=text(t), type=st.just("message"), role=st.just("assistant"), model=text(t),
                     content=items(lambda big: content_block(t, big), t), stop_reason=choice_of(_STOP, t),
                     stop_sequence=text(t, big=False), usage=sub(anthropic_usage(t), t))


def anthropic_event(t: bool) -> st.SearchStrategy[Any]:
    delta = st.one_of(
        st.builds(obj, type=st.just("text_delta"), text=text(t)),
        st.builds(obj, type=st.just("input_json_delta"), partial_json=text(t)),
        st.builds(obj, type=st.just("thinking_delta"), thinking=text(t)),
        st.builds(obj, type=st.just("signature_delta"), signature=text(t, big=False)),
        st.builds(obj, type=text(t, big=False), text=text(t, big=False)),  # a delta type the SDK does not know
    )
    return st.one_of(
        st.builds(obj, type=st.just("message_start"), message=sub(anthropic_message(t), t)),
        st.builds(obj, type=st.just("content_block_start"), index=count(t), content_block=sub(content_block(t), t)),
        st.builds(obj, type=st.just("content_block_delta"), index=count(t), delta=sub(delta, t)),
        st.builds(obj, type=st.just("content_block_stop"), index=count(t)),
        st.builds(obj, type=st.just("message_delta"),
                  delta=sub(st.builds(obj, stop_reason=choice_of(_STOP, t), stop_sequence=text(t, big=False)), t),
                  usage=sub(anthropic_usage(t), t)),
        st.builds(obj, type=st.just("message_stop")),
        unknown_event(t, ""),
    )


# --- the SDK calls, with the client's _post returning the SDK's objects ----------------------------------------------

class _Response:
    """The HTTP response of a stream, as far as ``Stream.close()`` needs one."""

    def __init__(self) -> None:
        self.closed = 0

    def close(self) -> None:
        self.closed += 1


class _MidStreamError(Exception):
    """Raised by the SDK's stream after its events (a connection dropped mid-way)."""


def _stream(sdk_stream: type, events: list[Any], breaks: bool) -> Any:
    """An instance of the SDK's own ``Stream`` class that yields ``events`` (then raises, when ``breaks``)."""
    def produce() -> Iterator[Any]:
        yield from events
        if breaks:
            raise _MidStreamError("the connection dropped")

    stream = object.__new__(sdk_stream)
    stream.response = _Response()
    stream._iterator = produce()  # the SDK's __next__ / __iter__ / close() use only these two
    return stream


@contextmanager
def _sdk_returns(resource: Any, returned: Any, typed: bool) -> Iterator[None]:
    """The resource's ``_post`` answers ``returned``. Well-typed values: an internal error is re-raised (the test
    fails with its traceback); any values: swallowed and counted, as in production."""
    def post(*_args: Any, **_kwargs: Any) -> Any:
        return returned

    resource._post = post
    was = _safety._raise
    _safety.raise_internal_errors(typed or _RAISE_ALL)
    try:
        yield
    finally:
        _safety.raise_internal_errors(was)
        del resource._post


def _check(name: str, call: Callable[[], Any], produced: Any, events: list[Any] | None = None,
           read: str = "all", breaks: bool = False) -> int:
    """Run one call; check what the app got and that its span ended. Returns the internal errors it counted."""
    _SPANS.clear()
    open_before = len(TRACKER.open_spans())
    started, ended = TRACKER.started, TRACKER.ended
    before = _safety.error_counts()
    result = call()
    if events is None:
        assert result is produced
    else:
        assert isinstance(result, type(produced)) and result.__wrapped__ is produced
        got: list[Any] = []
        raised = False
        try:
            for event in result:
                got.append(event)
                if read == "first":
                    break
        except _MidStreamError:
            raised = True
        assert raised == (breaks and (read == "all" or not events))
        expected = events[:1] if read == "first" else events
        assert len(got) == len(expected) and all(a is b for a, b in zip(got, expected, strict=True))
        if read == "first":
            result.close()
            assert produced.response.closed == 1
        del result
    assert len(TRACKER.open_spans()) == open_before, "a span was left open"
    assert (TRACKER.started - started, TRACKER.ended - ended) == (1, 1)
    after = _safety.error_counts()
    errors = Counter({kind: n - before.get(kind, 0) for kind, n in after.items() if n != before.get(kind, 0)})
    runs = _tally.setdefault(name, [0, Counter()])
    runs[0] += 1
    runs[1].update(errors)
    return sum(errors.values())


_SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                     suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                            HealthCheck.large_base_example, HealthCheck.function_scoped_fixture])
_TYPED = pytest.mark.parametrize("typed", [False, True], ids=["any-values", "well-typed"])
_reads = st.sampled_from(["all", "first"])


@pytest.fixture(scope="module")
def instrumented(clients: Clients) -> Iterator[Clients]:
    traces = TracerProvider()
    traces.add_span_processor(TRACKER)
    traces.add_span_processor(SimpleSpanProcessor(_SPANS))
    hook = _every_hook_phase()
    try:
        with reinstrumented(STEPS_ON, tracer_provider=traces, meter_provider=MeterProvider()):
            yield clients
    finally:
        if hook is not None:
            hook.remove()
        for name, (runs, errors) in sorted(_tally.items()):
            kinds = ", ".join(f"{kind} x{n}" for kind, n in sorted(errors.items())) or "none"
            FIGURES[f"fuzz {name}"] = f"{runs} examples; internal errors swallowed: {kinds}"
            print(f"\nfuzz {name}: {FIGURES[f'fuzz {name}']}")


def _label(typed: bool) -> str:
    return "well-typed" if typed else "any values"


@_TYPED
@_SETTINGS
@given(data=st.data())
def test_openai_chat_completion(instrumented: Clients, typed: bool, data: Any) -> None:
    produced = openai_construct(value=data.draw(chat_completion(typed)), type_=ChatCompletion)
    resource = instrumented.openai().chat.completions
    with _sdk_returns(resource, produced, typed):
        counted = _check(f"openai chat.completions.create ({_label(typed)})",
                         lambda: resource.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}]),
                         produced)
    assert not typed or counted == 0


@_TYPED
@_SETTINGS
@given(data=st.data())
def test_openai_chat_stream(instrumented: Clients, typed: bool, data: Any) -> None:
    wire = data.draw(st.lists(st.one_of(chat_chunk(typed), unknown_event(typed, "")), max_size=8))
    events = [openai_construct(value=chunk, type_=ChatCompletionChunk) for chunk in wire]
    read, breaks = data.draw(_reads), data.draw(st.booleans())
    produced = _stream(openai.Stream, events, breaks)
    resource = instrumented.openai().chat.completions
    with _sdk_returns(resource, produced, typed):
        counted = _check(f"openai chat.completions.create stream ({_label(typed)}, unknown chunks)",
                         lambda: resource.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}],
                                                 stream=True, stream_options={"include_usage": True}),
                         produced, events, read, breaks)
    assert not typed or counted == 0


@_TYPED
@_SETTINGS
@given(data=st.data())
def test_openai_responses_stream(instrumented: Clients, typed: bool, data: Any) -> None:
    wire = data.draw(st.lists(responses_event(typed), max_size=8))
    events = [openai_construct(value=event, type_=ResponseStreamEvent) for event in wire]
    read, breaks = data.draw(_reads), data.draw(st.booleans())
    produced = _stream(openai.Stream, events, breaks)
    resource = instrumented.openai().responses
    with _sdk_returns(resource, produced, typed):
        counted = _check(f"openai responses.create stream ({_label(typed)}, unknown events)",
                         lambda: resource.create(model="gpt-4o-mini", input="hi", stream=True),
                         produced, events, read, breaks)
    assert not typed or counted == 0


@_TYPED
@_SETTINGS
@given(data=st.data())
def test_anthropic_message(instrumented: Clients, typed: bool, data: Any) -> None:
    produced = anthropic_construct(value=data.draw(anthropic_message(typed)), type_=Message)
    resource = instrumented.anthropic().messages
    with _sdk_returns(resource, produced, typed):
        counted = _check(f"anthropic messages.create ({_label(typed)})",
                         lambda: resource.create(model="claude-haiku-4-5", max_tokens=64,
                                                 messages=[{"role": "user", "content": "hi"}]),
                         produced)
    assert not typed or counted == 0


@_TYPED
@_SETTINGS
@given(data=st.data())
def test_anthropic_stream(instrumented: Clients, typed: bool, data: Any) -> None:
    wire = data.draw(st.lists(anthropic_event(typed), max_size=10))
    events = [anthropic_construct(value=event, type_=RawMessageStreamEvent) for event in wire]
    read, breaks = data.draw(_reads), data.draw(st.booleans())
    produced = _stream(anthropic.Stream, events, breaks)
    resource = instrumented.anthropic().messages
    with _sdk_returns(resource, produced, typed):
        counted = _check(f"anthropic messages.create stream ({_label(typed)}, unknown events)",
                         lambda: resource.create(model="claude-haiku-4-5", max_tokens=64, stream=True,
                                                 messages=[{"role": "user", "content": "hi"}]),
                         produced, events, read, breaks)
    assert not typed or counted == 0


# --- what fuzzing found: each lost the call's whole response record (or its content) to an internal error ----------

_TOOL_DELTA = {"index": None, "id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
_FINDINGS = {
    # a chunk whose choice has no index (the SDK reads a missing one as None) next to one that has: sorting the
    # choices' finish reasons failed
    "chat chunk without choice index": (
        [{"id": "c1", "model": "m", "choices": [{"index": 0, "delta": {"content": "a"}}]},
         {"id": "c1", "model": "m", "choices": [{"delta": {"content": "b"}, "finish_reason": "stop"}]}],
        ("stop",), [{"role": "assistant", "parts": [{"type": "text", "content": "ab"}], "finish_reason": "stop"}]),
    # tool-call deltas without an index, next to one with: sorting the calls failed
    "chat tool-call delta without index": (
        [{"id": "c1", "model": "m", "choices": [{"index": 0, "delta": {"tool_calls": [
            {**_TOOL_DELTA, "index": 1, "id": "call_2", "function": {"name": "g", "arguments": "[]"}}]}}]},
         {"id": "c1", "model": "m", "choices": [{"index": 0, "delta": {"tool_calls": [_TOOL_DELTA]},
                                                  "finish_reason": "tool_calls"}]}],
        ("tool_call",), [{"role": "assistant", "finish_reason": "tool_call", "parts": [
            {"type": "tool_call", "id": "call_1", "name": "f", "arguments": {}},
            {"type": "tool_call", "id": "call_2", "name": "g", "arguments": []}]}]),
    # a lone surrogate (JSON's "\ud800" escape): measuring the content's UTF-8 size raised
    "lone surrogate in content": (
        [{"id": "c1", "model": "m", "choices": [{"index": 0, "delta": {"content": "a\ud800"},
                                                  "finish_reason": "stop"}]}],
        ("stop",), [{"role": "assistant", "parts": [{"type": "text", "content": "a\ud800"}], "finish_reason": "stop"}]),
}


@pytest.mark.parametrize("name", list(_FINDINGS))
def test_fuzz_findings(instrumented: Clients, name: str) -> None:
    wire, finish_reasons, output = _FINDINGS[name]
    events = [openai_construct(value=chunk, type_=ChatCompletionChunk) for chunk in wire]
    produced = _stream(openai.Stream, events, breaks=False)
    resource = instrumented.openai().chat.completions
    with _sdk_returns(resource, produced, typed=True):
        assert _check(f"findings: {name}", lambda: resource.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}], stream=True,
            stream_options={"include_usage": True}), produced, events) == 0
    [span] = _SPANS.get_finished_spans()
    assert span.attributes is not None
    assert span.attributes["gen_ai.response.finish_reasons"] == finish_reasons
    assert span.attributes["gen_ai.response.id"] == "c1"
    assert json.loads(span.attributes["gen_ai.output.messages"]) == output


def test_responses_delta_without_text(instrumented: Clients) -> None:
    """A Responses delta event with a null ``delta`` (found by fuzzing: joining the texts raised, and the whole
    response record was lost)."""
    wire = [{"type": "response.output_text.delta", "output_index": 0, "delta": None, "sequence_number": 1},
            {"type": "response.output_text.delta", "output_index": 0, "delta": "hi", "sequence_number": 2},
            {"type": "response.completed", "sequence_number": 3, "response": {
                "id": "resp_1", "model": "m", "status": "completed", "output": []}}]
    events = [openai_construct(value=event, type_=ResponseStreamEvent) for event in wire]
    produced = _stream(openai.Stream, events, breaks=False)
    resource = instrumented.openai().responses
    with _sdk_returns(resource, produced, typed=True):
        assert _check("findings: responses delta without text", lambda: resource.create(
            model="gpt-4o-mini", input="hi", stream=True), produced, events) == 0
    [span] = _SPANS.get_finished_spans()
    assert span.attributes is not None
    assert (span.attributes["gen_ai.response.id"], span.attributes["gen_ai.response.finish_reasons"]) == \
        ("resp_1", ("stop",))
    assert json.loads(span.attributes["gen_ai.output.messages"]) == [
        {"role": "assistant", "parts": [{"type": "text", "content": "hi"}], "finish_reason": "stop"}]
