"""Replay every recorded OpenAI Responses API exchange through the real SDK and check each span against it.

``POST /v1/responses`` is replayed through ``responses.create`` (streamed or not), or through the ``responses.stream``
helper for the exchanges recorded with it; ``GET /v1/responses/{id}`` through ``responses.retrieve`` (plain,
streamed with its recorded ``starting_after``, ``with_raw_response`` or ``with_streaming_response``). What the span
must carry is read from the recorded response, independently of the instrumentation's own code.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import openai
import pytest
from opentelemetry.trace import SpanKind, StatusCode

from tests.cassette_support import Interaction, load_interactions, split_kwargs, vcr_for
from tests.conftest import SHARED_CASSETTES
from tests.openai.conftest import requires_responses_api

requires_responses_api()

FOLDERS = ("openai-contrib-openai-v2", "openai-python-genai")
_INCOMPLETE = {"max_output_tokens": "length", "content_filter": "content_filter"}
_TERMINAL = ("response.completed", "response.incomplete", "response.failed")


def _interactions() -> list[Interaction]:
    if not SHARED_CASSETTES.is_dir():
        return []
    found = []
    for folder in FOLDERS:
        for interaction in load_interactions(SHARED_CASSETTES / folder, ""):
            path = urlsplit(interaction.uri).path
            if path == "/v1/responses" or (path.startswith("/v1/responses/") and interaction.method == "GET"):
                found.append(interaction)
    return found


INTERACTIONS = _interactions()


def _is_fetch(interaction: Interaction) -> bool:
    return interaction.method == "GET"


def _query(interaction: Interaction) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(interaction.uri).query).items()}


def _events(text: str) -> list[dict[str, Any]]:
    return [json.loads(line[5:]) for line in text.splitlines() if line.startswith("data:") and line[5:].strip()]


def _recorded_response(interaction: Interaction) -> tuple[dict[str, Any], int | None]:
    """The response the exchange ended with, and how many stream events the caller received (None: not streamed)."""
    streamed = interaction.is_stream or _query(interaction).get("stream") == "true"
    if not streamed:
        return interaction.json(), None
    events = _events(interaction.response_text)
    last = next(i for i, event in enumerate(events) if event["type"] in _TERMINAL)
    return events[last]["response"], last + 1


def _finish_reasons(response: dict[str, Any]) -> tuple[str, ...]:
    status = response["status"]
    if status == "completed":
        return ("tool_call",) if any(item["type"] == "function_call" for item in response["output"]) else ("stop",)
    if status == "incomplete":
        reason = (response.get("incomplete_details") or {}).get("reason")
        return (_INCOMPLETE.get(reason, reason),)
    return {"failed": ("error",), "cancelled": ("cancelled",)}.get(status, ())


def _style(interaction: Interaction) -> str:
    stem = interaction.cassette.stem
    if _is_fetch(interaction):
        if "raw_response" in stem:
            return "raw"
        return "streaming_response" if "with_streaming_response" in stem else "plain"
    return "helper" if "_responses_stream_" in stem else "plain"


def _call_sync(client: openai.OpenAI, interaction: Interaction) -> None:
    style = _style(interaction)
    if _is_fetch(interaction):
        response_id = urlsplit(interaction.uri).path.rsplit("/", 1)[1]
        query = _query(interaction)
        if query.get("stream") == "true":
            for _ in client.responses.retrieve(response_id, stream=True, starting_after=int(query["starting_after"])):
                pass
        elif style == "raw":
            assert isinstance(client.responses.with_raw_response.retrieve(response_id).parse(),
                              openai.types.responses.Response)
        elif style == "streaming_response":
            with client.responses.with_streaming_response.retrieve(response_id) as raw:
                raw.parse()
        else:
            client.responses.retrieve(response_id)
        return
    body = dict(interaction.request)
    if style == "helper":
        body.pop("stream", None)
        with client.responses.stream(**split_kwargs(client.responses.stream, body)) as stream:
            stream.until_done()
        return
    result = client.responses.create(**split_kwargs(client.responses.create, body))
    if interaction.is_stream:
        for _ in result:
            pass


async def _call_async(client: openai.AsyncOpenAI, interaction: Interaction) -> None:
    style = _style(interaction)
    if _is_fetch(interaction):
        response_id = urlsplit(interaction.uri).path.rsplit("/", 1)[1]
        query = _query(interaction)
        if query.get("stream") == "true":
            stream = await client.responses.retrieve(response_id, stream=True,
                                                     starting_after=int(query["starting_after"]))
            async for _ in stream:
                pass
        elif style == "raw":
            raw = await client.responses.with_raw_response.retrieve(response_id)
            assert isinstance(raw.parse(), openai.types.responses.Response)
        elif style == "streaming_response":
            async with client.responses.with_streaming_response.retrieve(response_id) as streamed:
                await streamed.parse()
        else:
            await client.responses.retrieve(response_id)
        return
    body = dict(interaction.request)
    if style == "helper":
        body.pop("stream", None)
        async with client.responses.stream(**split_kwargs(client.responses.stream, body)) as stream:
            await stream.until_done()
        return
    result = await client.responses.create(**split_kwargs(client.responses.create, body))
    if interaction.is_stream:
        async for _ in result:
            pass


def _replay(interaction: Interaction) -> None:
    if "async" in interaction.cassette.stem:
        async def run() -> None:
            client = openai.AsyncOpenAI(api_key="test_openai_api_key", base_url="https://api.openai.com/v1",
                                        max_retries=0)
            try:
                await _call_async(client, interaction)
            finally:
                await client.close()

        asyncio.run(run())
        return
    with openai.OpenAI(api_key="test_openai_api_key", base_url="https://api.openai.com/v1", max_retries=0) as client:
        _call_sync(client, interaction)


@pytest.mark.skipif(not INTERACTIONS, reason=f"recorded cassettes not found at {SHARED_CASSETTES}")
@pytest.mark.parametrize("interaction", INTERACTIONS, ids=lambda i: i.id)
def test_recorded_responses_exchange(interaction: Interaction, telemetry: Any, tmp_path: Path) -> None:
    with vcr_for(interaction, tmp_path):
        if interaction.status >= 400:
            with pytest.raises(openai.APIStatusError) as raised:
                _replay(interaction)
            error: BaseException | None = raised.value
        else:
            _replay(interaction)
            error = None

    span = telemetry.only_span()
    attrs = dict(span.attributes or {})
    fetch = _is_fetch(interaction)
    request = interaction.request
    assert span.kind is SpanKind.CLIENT
    assert attrs["gen_ai.provider.name"] == "openai"
    assert attrs["server.address"] == "api.openai.com"
    assert attrs["server.port"] == 443
    assert attrs["openai.api.type"] == "responses"
    if fetch:
        response_id = urlsplit(interaction.uri).path.rsplit("/", 1)[1]
        cursor = _query(interaction).get("starting_after")
        assert span.name == "fetch_response"
        assert attrs["gen_ai.operation.name"] == "fetch_response"
        assert "gen_ai.request.model" not in attrs
        assert attrs["gen_ai.response.id"] == response_id
        assert attrs["gen_ai.request.stream"] is (_query(interaction).get("stream") == "true")
        assert attrs.get("gen_ai.request.stream_cursor") == cursor
    else:
        assert span.name == f"chat {request['model']}"
        assert attrs["gen_ai.operation.name"] == "chat"
        assert attrs["gen_ai.request.model"] == request["model"]
        assert attrs["gen_ai.request.stream"] is bool(request.get("stream"))
        for key, name in (("temperature", "gen_ai.request.temperature"), ("top_p", "gen_ai.request.top_p"),
                          ("max_output_tokens", "gen_ai.request.max_tokens")):
            assert attrs.get(name) == request.get(key), name
        tier = request.get("service_tier")
        assert attrs.get("openai.request.service_tier") == (tier if tier != "auto" else None)
        text_format = ((request.get("text") or {}).get("format") or {}).get("type")
        assert attrs.get("gen_ai.output.type") == {"text": "text", "json_schema": "json"}.get(text_format)
    if error is not None:
        assert span.status.status_code is StatusCode.ERROR
        assert attrs["error.type"] == f"openai.{type(error).__name__}"
        assert "gen_ai.response.id" not in attrs or fetch
        return

    recorded, events = _recorded_response(interaction)
    assert attrs["gen_ai.response.id"] == recorded["id"]
    assert attrs["gen_ai.response.model"] == recorded["model"]
    assert attrs["gen_ai.response.status"] == recorded["status"]
    assert attrs["gen_ai.response.finish_reasons"] == _finish_reasons(recorded)
    assert attrs.get("openai.response.service_tier") == recorded.get("service_tier")
    usage = recorded.get("usage")
    token_keys = ("gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens", "gen_ai.usage.cache_read.input_tokens",
                  "gen_ai.usage.reasoning.output_tokens")
    if fetch or usage is None:  # a fetch consumed no tokens: the recorded usage belongs to the generation
        assert not any(key in attrs for key in token_keys)
    else:
        assert attrs["gen_ai.usage.input_tokens"] == usage["input_tokens"]
        assert attrs["gen_ai.usage.output_tokens"] == usage["output_tokens"]
        assert attrs["gen_ai.usage.cache_read.input_tokens"] == usage["input_tokens_details"]["cached_tokens"]
        assert attrs["gen_ai.usage.reasoning.output_tokens"] == usage["output_tokens_details"]["reasoning_tokens"]
    if recorded["status"] == "failed" and not fetch:
        assert span.status.status_code is StatusCode.ERROR
        assert attrs["error.type"] == (recorded.get("error") or {}).get("code")
    else:  # a fetched response whose generation failed is not a failed fetch
        assert span.status.status_code is StatusCode.UNSET
        assert "error.type" not in attrs
    if events is not None:
        assert attrs["genai_otel.stream.ending"] == "completed"
        assert attrs["genai_otel.stream.chunk_count"] == events
        assert attrs["gen_ai.response.time_to_first_chunk"] >= 0.0
    else:
        assert "genai_otel.stream.ending" not in attrs


def test_cassette_folder_is_read() -> None:
    if not SHARED_CASSETTES.is_dir():
        pytest.skip(f"recorded cassettes not found at {SHARED_CASSETTES} (../shared is absent)")
    assert len(INTERACTIONS) >= 87, len(INTERACTIONS)
    kinds = {(_is_fetch(i), i.is_stream or _query(i).get("stream") == "true", i.status >= 400, _style(i))
             for i in INTERACTIONS}
    for kind in ((False, False, False, "plain"), (False, True, False, "plain"), (False, True, False, "helper"),
                 (False, False, True, "plain"), (True, False, False, "plain"), (True, True, False, "plain"),
                 (True, False, False, "raw"), (True, False, False, "streaming_response"), (True, False, True, "plain")):
        assert kind in kinds, kind
    statuses = {_recorded_response(i)[0]["status"] for i in INTERACTIONS if i.status < 400}
    assert {"completed", "incomplete", "failed"} <= statuses
