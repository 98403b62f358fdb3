"""Token counts on streams whose caller did not ask for ``include_usage``, with nothing the caller can observe.

Each test runs the same call twice through the real SDK against the fake server: once with instrumentation
suppressed (exactly the SDK's own behaviour) and once instrumented with usage added, then compares everything the
caller can see (chunk types, count, ``to_dict()``, fields set, the helper's events and final completion). Only ids
and creation times, which the fake server numbers per request, are left out of the comparison.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest
from opentelemetry.instrumentation.utils import suppress_instrumentation

from genai_otel.instrumentation.openai import _stream_usage
from tests.conftest import FAKE_API_KEY
from tests.openai.conftest import BROKEN_STREAM_ERRORS, chat_helpers, directives

MESSAGES = [{"role": "user", "content": "Say hello to the tests"}]
MODEL = "gpt-4o-mini"
_VOLATILE = ("id", "created")


@pytest.fixture
def usage_mode() -> Iterator[Any]:
    """Set GENAI_OTEL_OPENAI_STREAM_USAGE for one test (the fake server's host is not in the provider table)."""
    yield _stream_usage._reset
    _stream_usage._reset(None)


def _seen(chunk: Any) -> tuple[Any, ...]:
    """Everything the caller can observe about one chunk, minus per-request ids and timestamps."""
    data = {k: v for k, v in chunk.to_dict().items() if k not in _VOLATILE}
    dumped = {k: v for k, v in chunk.model_dump(exclude_unset=True).items() if k not in _VOLATILE}
    return type(chunk), frozenset(chunk.model_fields_set), repr(data), repr(dumped), chunk.usage


def _chat_stream(client: openai.OpenAI, **extra: Any) -> list[Any]:
    return [_seen(c) for c in client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True, **extra)]


def _last_body(fake_llm: Any) -> dict[str, Any]:
    return fake_llm.requests[-1].body


def _usage_of(span: Any) -> tuple[Any, Any]:
    attrs = dict(span.attributes)
    return attrs.get("gen_ai.usage.input_tokens"), attrs.get("gen_ai.usage.output_tokens")


def test_chat_stream_is_unchanged_for_the_caller_while_the_span_gains_tokens(
        client: openai.OpenAI, telemetry: Any, fake_llm: Any, usage_mode: Any) -> None:
    usage_mode("always")
    with suppress_instrumentation():
        plain = _chat_stream(client, **directives(chunks=4))
    assert "stream_options" not in _last_body(fake_llm)
    assert telemetry.genai_spans() == []

    instrumented = _chat_stream(client, **directives(chunks=4))
    assert _last_body(fake_llm)["stream_options"] == {"include_usage": True}
    assert len(instrumented) == len(plain) == 6  # role, 4 words, finish; the usage chunk was swallowed
    assert instrumented == plain

    span = telemetry.only_span()
    attrs = dict(span.attributes)
    assert _usage_of(span) == (8, 4)  # 3 + the 5 words of the message; 4 words answered
    assert attrs["genai_otel.stream.chunk_count"] == 6
    assert attrs["genai_otel.stream.ending"] == "completed"
    assert attrs["gen_ai.response.finish_reasons"] == ("stop",)
    points = telemetry.metric_points("gen_ai.client.token.usage")
    tokens = {p["attributes"]["gen_ai.token.type"]: p["sum"] for p in points}
    assert tokens == {"input": 8, "output": 4}


def test_without_usage_added_the_span_has_no_token_counts(client: openai.OpenAI, telemetry: Any, fake_llm: Any,
                                                          usage_mode: Any) -> None:
    usage_mode("never")
    _chat_stream(client)
    assert "stream_options" not in _last_body(fake_llm)
    assert _usage_of(telemetry.only_span()) == (None, None)
    assert telemetry.metric_points("gen_ai.client.token.usage") == []


def test_auto_leaves_unknown_hosts_alone(client: openai.OpenAI, telemetry: Any, fake_llm: Any, usage_mode: Any) -> None:
    usage_mode(None)  # the environment's value: unset in the suite, so auto
    assert _stream_usage.stream_usage_mode() == "auto"
    _chat_stream(client)
    assert "stream_options" not in _last_body(fake_llm)
    assert _usage_of(telemetry.only_span()) == (None, None)


async def test_async_chat_stream_is_unchanged(aclient: openai.AsyncOpenAI, telemetry: Any, fake_llm: Any,
                                             usage_mode: Any) -> None:
    usage_mode("always")

    async def run() -> list[Any]:
        stream = await aclient.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True, n=2)
        return [_seen(c) async for c in stream]

    with suppress_instrumentation():
        plain = await run()
    instrumented = await run()
    assert _last_body(fake_llm)["stream_options"] == {"include_usage": True}
    assert instrumented == plain
    assert len(plain) == 2 * 7
    assert _usage_of(telemetry.only_span()) == (8, 10)  # two choices of 5 words


def test_the_callers_stream_options_are_copied_and_kept(client: openai.OpenAI, telemetry: Any, fake_llm: Any,
                                                        usage_mode: Any) -> None:
    usage_mode("always")
    options = {"include_obfuscation": False}
    with suppress_instrumentation():
        plain = _chat_stream(client, stream_options=options)
    instrumented = _chat_stream(client, stream_options=options)
    assert options == {"include_obfuscation": False}  # not mutated
    assert _last_body(fake_llm)["stream_options"] == {"include_obfuscation": False, "include_usage": True}
    assert instrumented == plain
    assert _usage_of(telemetry.only_span()) == (8, 5)


@pytest.mark.parametrize("include_usage", [True, False])
def test_a_callers_own_choice_is_respected(client: openai.OpenAI, telemetry: Any, fake_llm: Any, usage_mode: Any,
                                           include_usage: bool) -> None:
    usage_mode("always")
    chunks = list(client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True,
                                                 stream_options={"include_usage": include_usage}))
    assert _last_body(fake_llm)["stream_options"] == {"include_usage": include_usage}
    span = telemetry.only_span()
    if include_usage:  # the caller asked: the usage chunk is theirs, delivered and counted
        assert chunks[-1].choices == [] and chunks[-1].usage.prompt_tokens == 8
        assert len(chunks) == 8
        assert dict(span.attributes)["genai_otel.stream.chunk_count"] == 8
        assert _usage_of(span) == (8, 5)
    else:
        assert len(chunks) == 7
        assert _usage_of(span) == (None, None)


def test_the_stream_helper_sees_the_same_events_and_final_completion(
        client: openai.OpenAI, telemetry: Any, fake_llm: Any, usage_mode: Any) -> None:
    usage_mode("always")
    helpers = chat_helpers(client)

    def run() -> tuple[list[Any], Any]:
        with helpers.stream(model=MODEL, messages=MESSAGES) as stream:
            events = [(event.type, repr({k: v for k, v in event.to_dict().items() if k not in ("chunk", "snapshot")}))
                      for event in stream]
            final = stream.get_final_completion()
        return events, {k: v for k, v in final.to_dict().items() if k not in _VOLATILE}

    with suppress_instrumentation():
        plain = run()
    instrumented = run()
    assert _last_body(fake_llm)["stream_options"] == {"include_usage": True}
    assert instrumented == plain
    assert plain[1].get("usage") is None
    assert _usage_of(telemetry.only_span()) == (8, 5)


@pytest.mark.parametrize("wrapper", ["with_raw_response", "with_streaming_response"])
def test_raw_response_wrappers_are_left_alone(client: openai.OpenAI, telemetry: Any, fake_llm: Any, usage_mode: Any,
                                              wrapper: str) -> None:
    """Their callers may read the body's bytes, where an added chunk could not be hidden: no usage is added."""
    usage_mode("always")

    def run() -> list[Any]:
        create = getattr(client.chat.completions, wrapper).create
        if wrapper == "with_raw_response":
            return [_seen(c) for c in create(model=MODEL, messages=MESSAGES, stream=True).parse()]
        with create(model=MODEL, messages=MESSAGES, stream=True) as response:
            return [_seen(c) for c in response.parse()]

    with suppress_instrumentation():
        plain = run()
    instrumented = run()
    assert "stream_options" not in _last_body(fake_llm)
    assert instrumented == plain
    assert _usage_of(telemetry.only_span()) == (None, None)


def test_legacy_completions_stream_is_unchanged_while_the_span_gains_tokens(
        client: openai.OpenAI, telemetry: Any, fake_llm: Any, usage_mode: Any) -> None:
    usage_mode("always")

    def run() -> list[Any]:
        return [_seen(c) for c in client.completions.create(model="gpt-3.5-turbo-instruct", prompt="Say hi now",
                                                            stream=True)]

    with suppress_instrumentation():
        plain = run()
    instrumented = run()
    assert _last_body(fake_llm)["stream_options"] == {"include_usage": True}
    assert instrumented == plain
    assert len(plain) == 6  # 5 words, then the finish chunk
    span = telemetry.only_span()
    assert span.name == "text_completion gpt-3.5-turbo-instruct"
    assert _usage_of(span) == (3, 5)


def test_a_stream_cut_before_the_usage_chunk_records_no_tokens(client: openai.OpenAI, telemetry: Any,
                                                               fake_llm: Any, usage_mode: Any) -> None:
    usage_mode("always")
    stream = client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True,
                                            **directives(break_after=2))
    with pytest.raises(BROKEN_STREAM_ERRORS):
        for _ in stream:
            pass
    span = telemetry.only_span()
    assert _usage_of(span) == (None, None)
    assert dict(span.attributes)["genai_otel.stream.ending"] == "error"


def test_azure_api_versions_decide_in_auto_mode(fake_llm: Any, telemetry: Any, usage_mode: Any) -> None:
    usage_mode("auto")
    for version, added in (("2024-10-21", True), ("2024-08-01-preview", True), ("2024-06-01", False),
                           ("2024-02-15-preview", False)):
        client = openai.AzureOpenAI(api_key=FAKE_API_KEY, api_version=version, base_url=f"{fake_llm.url}/openai",
                                    max_retries=0)
        with client:
            list(client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True))
        assert ("stream_options" in _last_body(fake_llm)) is added, version
        span = telemetry.genai_spans()[-1]
        assert dict(span.attributes)["gen_ai.provider.name"] == "azure.ai.openai"
        assert (_usage_of(span) == (8, 5)) is added, version


def test_unknown_mode_warns_once_naming_the_variable_and_value(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("WARNING", logger="genai_otel"):
        assert _stream_usage.stream_usage_mode({"GENAI_OTEL_OPENAI_STREAM_USAGE": "sometimes"}) == "auto"
    [record] = caplog.records
    assert "GENAI_OTEL_OPENAI_STREAM_USAGE" in record.getMessage() and "'sometimes'" in record.getMessage()
    assert _stream_usage.stream_usage_mode({"GENAI_OTEL_OPENAI_STREAM_USAGE": " Never "}) == "never"
    assert _stream_usage.stream_usage_mode({}) == "auto"


def test_usage_is_not_added_when_the_span_cannot_start(client: openai.OpenAI, telemetry: Any, fake_llm: Any,
                                                       usage_mode: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """If anything fails after the surface added include_usage, the call goes out as the caller wrote it."""
    from genai_otel.genai import _safety
    from genai_otel.genai.recorder import Recorder

    def failing_start(self: Any, request: Any) -> Any:
        raise RuntimeError("span processor exploded")

    usage_mode("always")
    with suppress_instrumentation():
        plain = _chat_stream(client)
    monkeypatch.setattr(Recorder, "start", failing_start)
    previous = _safety._raise
    _safety.raise_internal_errors(False)
    try:
        unobserved = _chat_stream(client)
    finally:
        _safety.raise_internal_errors(previous)
    assert "stream_options" not in _last_body(fake_llm)
    assert unobserved == plain
    assert telemetry.genai_spans() == []


def test_stream_options_in_extra_body_are_the_callers(client: openai.OpenAI, telemetry: Any, fake_llm: Any,
                                                      usage_mode: Any) -> None:
    usage_mode("always")
    _chat_stream(client, extra_body={"stream_options": {"include_obfuscation": False}})
    assert _last_body(fake_llm)["stream_options"] == {"include_obfuscation": False}
    assert _usage_of(telemetry.only_span()) == (None, None)


def test_auto_adds_usage_for_api_openai_com_on_recorded_traffic(telemetry: Any, tmp_path: Path,
                                                               usage_mode: Any) -> None:
    """A real recorded stream (its request asked for usage): the caller who did not ask never sees the usage chunk."""
    import json

    import vcr
    import yaml

    from tests.conftest import SHARED_CASSETTES

    usage_mode("auto")
    source = SHARED_CASSETTES / "openai-python-genai" / "test_chat_completion_streaming.yaml"
    if not source.exists():
        pytest.skip(f"recorded cassettes not found at {SHARED_CASSETTES}")
    recorded = [json.loads(line[5:]) for line in
                yaml.safe_load(source.read_text())["interactions"][0]["response"]["body"]["string"].splitlines()
                if line.startswith("data:") and line[5:].strip() != "[DONE]"]
    assert recorded[-1]["choices"] == [] and recorded[-1]["usage"]
    sent: list[Any] = []

    def spy(live: Any, stored: Any) -> bool:
        sent.append(json.loads(live.body))
        return True

    player = vcr.VCR(record_mode="none", match_on=["method", "uri", "spy"], decode_compressed_response=True)
    player.register_matcher("spy", spy)
    with player.use_cassette(str(source), allow_playback_repeats=True), openai.OpenAI(
            api_key="k", base_url="https://api.openai.com/v1", max_retries=0) as client:
        chunks = list(client.chat.completions.create(model="gpt-4", stream=True,
                                                     messages=[{"role": "user", "content": "Say this is a test"}]))
    assert sent[-1]["stream_options"] == {"include_usage": True} and "extra_body" not in sent[-1]
    assert len(chunks) == len(recorded) - 1
    assert all(chunk.choices and "usage" not in chunk.model_fields_set for chunk in chunks)
    attrs = dict(telemetry.only_span().attributes)
    usage = recorded[-1]["usage"]
    assert (attrs["gen_ai.usage.input_tokens"], attrs["gen_ai.usage.output_tokens"]) == (
        usage["prompt_tokens"], usage["completion_tokens"])
    assert attrs["genai_otel.stream.chunk_count"] == len(chunks)
