"""Replay every recorded OpenAI embeddings exchange through the real SDK and check each span against it."""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path
from typing import Any

import openai
import pytest
from opentelemetry.trace import SpanKind, StatusCode

from tests.cassette_support import Interaction, load_interactions, split_kwargs, vcr_for
from tests.conftest import SHARED_CASSETTES

FOLDERS = ("openai-contrib-openai-v2", "openai-python-genai")


def _interactions() -> list[Interaction]:
    if not SHARED_CASSETTES.is_dir():
        return []
    found = []
    for folder in FOLDERS:
        found += load_interactions(SHARED_CASSETTES / folder, "/embeddings")
    return found


INTERACTIONS = _interactions()


def _dimensions(vector: Any) -> int:
    return len(vector) if isinstance(vector, list) else len(base64.b64decode(vector)) // 4


def _replay(interaction: Interaction) -> Any:
    if "async" in interaction.cassette.stem:
        async def run() -> Any:
            client = openai.AsyncOpenAI(api_key="test_openai_api_key", base_url="https://api.openai.com/v1",
                                        max_retries=0)
            try:
                return await client.embeddings.create(**split_kwargs(client.embeddings.create, interaction.request))
            finally:
                await client.close()

        return asyncio.run(run())
    with openai.OpenAI(api_key="test_openai_api_key", base_url="https://api.openai.com/v1", max_retries=0) as client:
        return client.embeddings.create(**split_kwargs(client.embeddings.create, interaction.request))


@pytest.mark.skipif(not INTERACTIONS, reason=f"recorded cassettes not found at {SHARED_CASSETTES}")
@pytest.mark.parametrize("interaction", INTERACTIONS, ids=lambda i: i.id)
def test_recorded_embeddings_exchange(interaction: Interaction, telemetry: Any, tmp_path: Path) -> None:
    with vcr_for(interaction, tmp_path):
        if interaction.status >= 400:
            with pytest.raises(openai.APIStatusError) as raised:
                _replay(interaction)
            error: BaseException | None = raised.value
            result = None
        else:
            result = _replay(interaction)
            error = None

    span = telemetry.only_span()
    attrs = dict(span.attributes or {})
    request = interaction.request
    assert span.kind is SpanKind.CLIENT
    assert span.name == f"embeddings {request['model']}"
    assert attrs["gen_ai.operation.name"] == "embeddings"
    assert attrs["gen_ai.provider.name"] == "openai"
    assert attrs["gen_ai.request.model"] == request["model"]
    assert attrs["server.address"] == "api.openai.com"
    assert attrs["server.port"] == 443
    assert "openai.api.type" not in attrs
    encoding = request.get("encoding_format")
    assert attrs.get("gen_ai.request.encoding_formats") == ((encoding,) if encoding else None)
    if error is not None:
        assert span.status.status_code is StatusCode.ERROR
        assert attrs["error.type"] == f"openai.{type(error).__name__}"
        assert attrs.get("gen_ai.embeddings.dimension.count") == request.get("dimensions")
        assert "gen_ai.usage.input_tokens" not in attrs
        return

    recorded = interaction.json()
    assert type(result) is openai.types.CreateEmbeddingResponse
    assert span.status.status_code is StatusCode.UNSET
    assert attrs["gen_ai.response.model"] == recorded["model"]
    assert attrs["gen_ai.usage.input_tokens"] == recorded["usage"]["prompt_tokens"]
    assert "gen_ai.usage.output_tokens" not in attrs
    assert "gen_ai.response.finish_reasons" not in attrs
    assert attrs["gen_ai.embeddings.dimension.count"] == (
        request.get("dimensions") or _dimensions(recorded["data"][0]["embedding"]))
    assert [p["sum"] for p in telemetry.metric_points("gen_ai.client.token.usage")] == [
        recorded["usage"]["prompt_tokens"]]


def test_cassette_folder_is_read() -> None:
    if not SHARED_CASSETTES.is_dir():
        pytest.skip(f"recorded cassettes not found at {SHARED_CASSETTES} (../shared is absent)")
    assert len(INTERACTIONS) >= 31, len(INTERACTIONS)
    assert any(i.status >= 400 for i in INTERACTIONS) and any(i.request.get("dimensions") for i in INTERACTIONS)
    assert any(i.request.get("encoding_format") == "base64" for i in INTERACTIONS)
