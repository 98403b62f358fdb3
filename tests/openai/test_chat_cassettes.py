"""Replay every recorded OpenAI chat-completions exchange through the real SDK and check each span against it.

Evidence that we read real payloads right: ids, models, finish reasons, token counts (cached and reasoning
included), service tier and fingerprint must match what the recorded response says.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import openai
import pytest
from opentelemetry.trace import SpanKind, StatusCode

from tests.cassette_support import Interaction, load_interactions, split_kwargs, vcr_for
from tests.conftest import SHARED_CASSETTES

FOLDERS = ("openai-contrib-openai-v2", "openai-python-genai")
_FINISH = {"stop": "stop", "length": "length", "tool_calls": "tool_call", "content_filter": "content_filter",
           "function_call": "tool_call"}


def _interactions() -> list[Interaction]:
    if not SHARED_CASSETTES.is_dir():
        return []
    found = []
    for folder in FOLDERS:
        found += load_interactions(SHARED_CASSETTES / folder, "/chat/completions")
    return found


INTERACTIONS = _interactions()


def _expected(interaction: Interaction) -> dict[str, Any]:
    """What the recorded response says the span must carry."""
    if interaction.is_stream:
        events = interaction.events
        usage = next((e["usage"] for e in events if e.get("usage")), None)
        finish: dict[int, str] = {}
        for event in events:
            for choice in event.get("choices") or []:
                if choice.get("finish_reason"):
                    finish[choice["index"]] = choice["finish_reason"]
        first = events[0] if events else {}
        tier = next((e.get("service_tier") for e in reversed(events) if e.get("service_tier")), None)
        fingerprint = next((e.get("system_fingerprint") for e in reversed(events) if e.get("system_fingerprint")), None)
        reasons = tuple(_FINISH.get(finish[i], finish[i]) for i in sorted(finish))
        return dict(id=first.get("id"), model=first.get("model"), reasons=reasons, usage=usage, tier=tier,
                    fingerprint=fingerprint)
    body = interaction.json()
    reasons = tuple(_FINISH.get(c["finish_reason"], c["finish_reason"]) for c in body["choices"] if c["finish_reason"])
    return dict(id=body["id"], model=body["model"], reasons=reasons, usage=body.get("usage"),
                tier=body.get("service_tier"), fingerprint=body.get("system_fingerprint"))


def _call(interaction: Interaction, use_async: bool) -> None:
    kwargs_source = dict(interaction.request)
    if use_async:
        client: Any = openai.AsyncOpenAI(api_key="test_openai_api_key", base_url="https://api.openai.com/v1",
                                         max_retries=0)

        async def run() -> None:
            result = await client.chat.completions.create(**split_kwargs(client.chat.completions.create,
                                                                         kwargs_source))
            if interaction.is_stream:
                async for _ in result:
                    pass
            await client.close()

        asyncio.run(run())
        return
    client = openai.OpenAI(api_key="test_openai_api_key", base_url="https://api.openai.com/v1", max_retries=0)
    result = client.chat.completions.create(**split_kwargs(client.chat.completions.create, kwargs_source))
    if interaction.is_stream:
        for _ in result:
            pass
    client.close()


@pytest.mark.skipif(not INTERACTIONS, reason=f"recorded cassettes not found at {SHARED_CASSETTES}")
@pytest.mark.parametrize("interaction", INTERACTIONS, ids=lambda i: i.id)
def test_recorded_chat_exchange(interaction: Interaction, telemetry: Any, tmp_path: Path) -> None:
    use_async = "async" in interaction.cassette.stem
    with vcr_for(interaction, tmp_path):
        if interaction.status >= 400:
            with pytest.raises(openai.APIStatusError) as raised:
                _call(interaction, use_async)
            error = raised.value
        else:
            _call(interaction, use_async)
            error = None

    span = telemetry.only_span()
    attrs = dict(span.attributes or {})
    request = interaction.request
    assert span.kind is SpanKind.CLIENT
    assert span.name == f"chat {request['model']}"
    assert attrs["gen_ai.operation.name"] == "chat"
    assert attrs["gen_ai.provider.name"] == "openai"
    assert attrs["gen_ai.request.model"] == request["model"]
    assert attrs["server.address"] == "api.openai.com"
    assert attrs["server.port"] == 443
    assert attrs["openai.api.type"] == "chat_completions"
    assert attrs["gen_ai.request.stream"] is bool(request.get("stream"))
    if error is not None:
        assert span.status.status_code is StatusCode.ERROR
        assert attrs["error.type"] == f"openai.{type(error).__name__}"
        return

    expected = _expected(interaction)
    assert span.status.status_code is StatusCode.UNSET
    assert attrs["gen_ai.response.id"] == expected["id"]
    assert attrs["gen_ai.response.model"] == expected["model"]
    assert attrs["gen_ai.response.finish_reasons"] == expected["reasons"]
    usage = expected["usage"]
    if usage is None:
        assert "gen_ai.usage.input_tokens" not in attrs
        assert "gen_ai.usage.output_tokens" not in attrs
    else:
        assert attrs["gen_ai.usage.input_tokens"] == usage["prompt_tokens"]
        assert attrs["gen_ai.usage.output_tokens"] == usage["completion_tokens"]
        cached = (usage.get("prompt_tokens_details") or {}).get("cached_tokens")
        reasoning = (usage.get("completion_tokens_details") or {}).get("reasoning_tokens")
        assert attrs.get("gen_ai.usage.cache_read.input_tokens") == cached
        assert attrs.get("gen_ai.usage.reasoning.output_tokens") == reasoning
    assert attrs.get("openai.response.service_tier") == expected["tier"]
    assert attrs.get("openai.response.system_fingerprint") == expected["fingerprint"]
    for key, name in (("temperature", "gen_ai.request.temperature"), ("top_p", "gen_ai.request.top_p"),
                      ("seed", "gen_ai.request.seed")):
        if request.get(key) is not None:
            assert attrs[name] == request[key]
    if request.get("n", 1) != 1:
        assert attrs["gen_ai.request.choice.count"] == request["n"]
    else:
        assert "gen_ai.request.choice.count" not in attrs
    if interaction.is_stream and interaction.events:
        assert attrs["gen_ai.response.time_to_first_chunk"] >= 0.0
        assert attrs["genai_otel.stream.ending"] == "completed"


def test_cassette_folder_is_read() -> None:
    if not SHARED_CASSETTES.is_dir():
        pytest.skip(f"recorded cassettes not found at {SHARED_CASSETTES} (../shared is absent)")
    assert len(INTERACTIONS) >= 40, "expected the recorded chat exchanges to be found"
    assert any(i.is_stream for i in INTERACTIONS) and any(i.status >= 400 for i in INTERACTIONS)
    assert Path(INTERACTIONS[0].cassette).exists()
