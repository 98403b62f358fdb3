"""Replay every recorded Anthropic Messages exchange through the real SDK and check each span against the recording.

Evidence that we read real payloads right: ids, models, stop reasons, and token arithmetic (input tokens include the
cache reads and writes; stream output tokens come from the final ``message_delta``, not ``message_start``).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import anthropic
import pytest
from anthropic.resources.messages import Messages
from opentelemetry.trace import SpanKind, StatusCode

from tests.anthropic.conftest import attributes_of, cost_of, sdk_has
from tests.cassette_support import Interaction, load_interactions, split_kwargs, vcr_for
from tests.conftest import SHARED_CASSETTES

pytestmark = pytest.mark.filterwarnings("ignore:The model .* is deprecated:DeprecationWarning")

FOLDER = SHARED_CASSETTES / "anthropic-python-genai"
OWN = Path(__file__).with_name("cassettes")
_FINISH = {"end_turn": "stop", "stop_sequence": "stop", "max_tokens": "length", "tool_use": "tool_call",
           "refusal": "content_filter"}
_HAS_PARSE = sdk_has(Messages, "parse")


def _interactions() -> list[Interaction]:
    return load_interactions(FOLDER, "/v1/messages") if FOLDER.is_dir() else []


INTERACTIONS = _interactions()


def _surface(interaction: Interaction) -> str:
    stem = interaction.cassette.stem
    if "_messages_stream" in stem:
        return "stream_helper"
    if "_messages_parse" in stem and _HAS_PARSE:
        return "parse"
    return "create"


def _expected(interaction: Interaction) -> dict[str, Any]:
    """What the recorded response says the span must carry."""
    if interaction.is_stream:
        events = interaction.events
        start = next(e["message"] for e in events if e["type"] == "message_start")
        delta = next((e for e in reversed(events) if e["type"] == "message_delta"), None)
        usage = dict(start["usage"])
        if delta is not None:
            usage.update({k: v for k, v in delta["usage"].items() if v is not None})
        else:
            usage.pop("output_tokens")
        reason = delta["delta"]["stop_reason"] if delta else None
        chunks = sum(1 for e in events if e["type"] != "ping")
        return dict(id=start["id"], model=start["model"], reason=reason, usage=usage, chunks=chunks)
    body = interaction.json()
    return dict(id=body["id"], model=body["model"], reason=body["stop_reason"], usage=body["usage"], chunks=None)


def _call(interaction: Interaction, use_async: bool) -> None:
    body = dict(interaction.request)
    surface = _surface(interaction)
    if surface == "stream_helper":
        body.pop("stream")
    if use_async:
        async def run() -> None:
            client = anthropic.AsyncAnthropic(api_key="test_anthropic_api_key", base_url="https://api.anthropic.com",
                                              max_retries=0)
            if surface == "stream_helper":
                async with client.messages.stream(**split_kwargs(client.messages.stream, body)) as stream:
                    await stream.until_done()
            elif surface == "parse":
                await client.messages.parse(**split_kwargs(client.messages.parse, body))
            else:
                result = await client.messages.create(**split_kwargs(client.messages.create, body))
                if interaction.is_stream:
                    async for _ in result:
                        pass
            await client.close()

        asyncio.run(run())
        return
    client = anthropic.Anthropic(api_key="test_anthropic_api_key", base_url="https://api.anthropic.com",
                                 max_retries=0)
    if surface == "stream_helper":
        with client.messages.stream(**split_kwargs(client.messages.stream, body)) as stream:
            stream.until_done()
    elif surface == "parse":
        client.messages.parse(**split_kwargs(client.messages.parse, body))
    else:
        result = client.messages.create(**split_kwargs(client.messages.create, body))
        if interaction.is_stream:
            for _ in result:
                pass
    client.close()


@pytest.mark.skipif(not INTERACTIONS, reason=f"recorded cassettes not found at {FOLDER} (../shared is absent)")
@pytest.mark.parametrize("interaction", INTERACTIONS, ids=lambda i: i.id)
def test_recorded_exchange(interaction: Interaction, telemetry: Any, tmp_path: Path) -> None:
    use_async = "async" in interaction.cassette.stem
    with vcr_for(interaction, tmp_path):
        if interaction.status >= 400:
            with pytest.raises(anthropic.APIStatusError) as raised:
                _call(interaction, use_async)
            error: BaseException | None = raised.value
        else:
            _call(interaction, use_async)
            error = None

    span = telemetry.only_span()
    attrs = attributes_of(span)
    request = interaction.request
    assert span.kind is SpanKind.CLIENT
    assert span.name == f"chat {request['model']}"
    assert attrs["gen_ai.operation.name"] == "chat"
    assert attrs["gen_ai.provider.name"] == "anthropic"
    assert attrs["gen_ai.request.model"] == request["model"]
    assert (attrs["server.address"], attrs["server.port"]) == ("api.anthropic.com", 443)
    assert attrs["gen_ai.request.stream"] is bool(request.get("stream"))
    assert attrs["gen_ai.request.max_tokens"] == request["max_tokens"]
    for key, name in (("temperature", "gen_ai.request.temperature"), ("top_p", "gen_ai.request.top_p"),
                      ("top_k", "gen_ai.request.top_k")):
        assert attrs.get(name) == request.get(key)
    assert attrs.get("gen_ai.request.stop_sequences") == (tuple(request["stop_sequences"])
                                                          if request.get("stop_sequences") else None)
    if error is not None:
        assert span.status.status_code is StatusCode.ERROR
        assert attrs["error.type"] == f"anthropic.{type(error).__name__}"
        assert "gen_ai.response.id" not in attrs and "gen_ai.usage.input_tokens" not in attrs
        return

    expected = _expected(interaction)
    usage = expected["usage"]
    assert span.status.status_code is StatusCode.UNSET
    assert attrs["gen_ai.response.id"] == expected["id"]
    assert attrs["gen_ai.response.model"] == expected["model"]
    reason = expected["reason"]
    assert attrs.get("gen_ai.response.finish_reasons") == ((_FINISH.get(reason, reason),) if reason else None)
    cache_read = usage.get("cache_read_input_tokens")
    cache_creation = usage.get("cache_creation_input_tokens")
    assert attrs["gen_ai.usage.input_tokens"] == usage["input_tokens"] + (cache_read or 0) + (cache_creation or 0)
    assert attrs.get("gen_ai.usage.output_tokens") == usage.get("output_tokens")
    assert attrs.get("gen_ai.usage.cache_read.input_tokens") == cache_read
    assert attrs.get("gen_ai.usage.cache_creation.input_tokens") == cache_creation
    tokens = {p["attributes"]["gen_ai.token.type"]: p["sum"] for p in telemetry.metric_points(
        "gen_ai.client.token.usage")}
    assert tokens["input"] == attrs["gen_ai.usage.input_tokens"]
    assert attrs["genai_otel.cost.usd"] == pytest.approx(cost_of("anthropic", expected["model"], attrs))
    if interaction.is_stream:
        assert attrs["genai_otel.stream.ending"] == "completed"
        assert attrs["genai_otel.stream.chunk_count"] == expected["chunks"]
        assert attrs["gen_ai.response.time_to_first_chunk"] >= 0.0
    else:
        assert "genai_otel.stream.ending" not in attrs


def test_cassette_folder_is_read() -> None:
    if not FOLDER.is_dir():
        pytest.skip(f"recorded cassettes not found at {FOLDER} (../shared is absent)")
    assert len(INTERACTIONS) >= 60, "expected the recorded Messages exchanges to be found"
    assert any(i.is_stream for i in INTERACTIONS) and any(i.status >= 400 for i in INTERACTIONS)
    assert {_surface(i) for i in INTERACTIONS} >= {"create", "stream_helper"}


@pytest.mark.parametrize("name", ["cache_write_1h", "cache_write_1h_stream"])
def test_one_hour_cache_writes_are_priced_apart(name: str, telemetry: Any) -> None:
    """Hand-written replies (the fake server has no 1-hour writes): 150 cache writes, 100 of them with a 1-hour TTL."""
    import vcr

    [interaction] = [i for i in load_interactions(OWN, "/v1/messages") if i.cassette.stem == name]
    body = dict(interaction.request)
    recorder = vcr.VCR(record_mode="none", match_on=["method", "uri"])
    with recorder.use_cassette(str(OWN / f"{name}.yaml")):
        client = anthropic.Anthropic(api_key="test_anthropic_api_key", base_url="https://api.anthropic.com",
                                     max_retries=0)
        if interaction.is_stream:
            body.pop("stream")
            with client.messages.stream(**body) as stream:
                stream.until_done()
        else:
            client.messages.create(**body)
        client.close()
    attrs = attributes_of(telemetry.only_span())
    assert (attrs["gen_ai.usage.input_tokens"], attrs["gen_ai.usage.cache_creation.input_tokens"],
            attrs["gen_ai.usage.output_tokens"]) == (10 + 150, 150, 5)
    assert attrs["genai_otel.usage.cache_creation_1h.input_tokens"] == 100
    # claude-haiku-4-5, USD per million: input 1, 5-minute write 1.25, 1-hour write 2, output 5
    assert attrs["genai_otel.cost.usd"] == pytest.approx((10 * 1.0 + 50 * 1.25 + 100 * 2.0 + 5 * 5.0) / 1e6)
