"""``AnthropicBedrock`` and ``AnthropicVertex``: provider ``aws.bedrock`` / ``gcp.vertex_ai``, the host the client talks
to as ``server.address``.

Each client runs twice: against the fake server's own base URL, and with its default cloud base URL, carried to the
fake server by a routing transport (real HTTP, like a proxy), so the span must name the real cloud host. Credentials
are fake: a Bedrock API key (bearer token, no SigV4) and a Vertex access token. Streaming from Bedrock needs
``botocore`` to decode AWS event-stream frames; those tests skip without it.
"""

from __future__ import annotations

import importlib.util
import inspect
from collections.abc import Iterator
from typing import Any

import anthropic
import pytest

from genai_otel.testing.fake_llm import FakeLLMServer
from tests.anthropic.conftest import HTTPX, TIMEOUT_S, USER, attributes_of, cost_of, directives

BEDROCK_MODEL = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
VERTEX_MODEL = "claude-sonnet-4-5@20250929"
RESPONSE_MODEL = "claude-sonnet-4-5-20250929"
BEDROCK_HOST = "bedrock-runtime.us-east-1.amazonaws.com"
VERTEX_HOST = "us-east5-aiplatform.googleapis.com"
_NO_BOTOCORE = importlib.util.find_spec("botocore") is None
_BEDROCK_API_KEY = "api_key" in inspect.signature(anthropic.AnthropicBedrock.__init__).parameters
bedrock_api_key = pytest.mark.skipif(not _BEDROCK_API_KEY, reason=f"anthropic {anthropic.__version__}'s "
                                     "AnthropicBedrock takes no API key (it signs requests with SigV4)")


class _ToFakeServer(HTTPX.HTTPTransport):
    """Sends every request to the fake server, whatever host the client aimed at."""

    def __init__(self, port: int) -> None:
        super().__init__()
        self._port = port

    def handle_request(self, request: HTTPX.Request) -> HTTPX.Response:
        request.url = request.url.copy_with(scheme="http", host="127.0.0.1", port=self._port)
        return super().handle_request(request)


class _AsyncToFakeServer(HTTPX.AsyncHTTPTransport):
    def __init__(self, port: int) -> None:
        super().__init__()
        self._port = port

    async def handle_async_request(self, request: HTTPX.Request) -> HTTPX.Response:
        request.url = request.url.copy_with(scheme="http", host="127.0.0.1", port=self._port)
        return await super().handle_async_request(request)


def _bedrock(server: FakeLLMServer, real_host: bool) -> anthropic.AnthropicBedrock:
    if real_host:
        return anthropic.AnthropicBedrock(api_key="fake-bedrock-key", aws_region="us-east-1", max_retries=0,
                                          timeout=TIMEOUT_S, http_client=HTTPX.Client(
                                              transport=_ToFakeServer(server.port)))
    return anthropic.AnthropicBedrock(api_key="fake-bedrock-key", aws_region="us-east-1", max_retries=0,
                                      timeout=TIMEOUT_S, base_url=server.bedrock_base_url)


def _vertex(server: FakeLLMServer, real_host: bool) -> anthropic.AnthropicVertex:
    if real_host:
        return anthropic.AnthropicVertex(region="us-east5", project_id="proj", access_token="fake", max_retries=0,
                                         timeout=TIMEOUT_S, http_client=HTTPX.Client(
                                             transport=_ToFakeServer(server.port)))
    return anthropic.AnthropicVertex(region="us-east5", project_id="proj", access_token="fake", max_retries=0,
                                     timeout=TIMEOUT_S, base_url=server.vertex_base_url)


@pytest.fixture(params=[False, True], ids=["fake-url", "cloud-host"])
def bedrock(request: pytest.FixtureRequest, server: FakeLLMServer) -> Iterator[tuple[anthropic.AnthropicBedrock,
                                                                                      str, int]]:
    real = bool(request.param)
    with _bedrock(server, real) as client:
        yield client, (BEDROCK_HOST if real else "127.0.0.1"), (443 if real else server.port)


@pytest.fixture(params=[False, True], ids=["fake-url", "cloud-host"])
def vertex(request: pytest.FixtureRequest, server: FakeLLMServer) -> Iterator[tuple[anthropic.AnthropicVertex,
                                                                                    str, int]]:
    real = bool(request.param)
    with _vertex(server, real) as client:
        yield client, (VERTEX_HOST if real else "127.0.0.1"), (443 if real else server.port)


def expected(provider: str, model: str, host: str, port: int, message: Any, stream: bool = False) -> dict[str, Any]:
    usage = message.usage
    attrs = {
        "gen_ai.operation.name": "chat", "gen_ai.provider.name": provider, "gen_ai.request.model": model,
        "server.address": host, "server.port": port, "gen_ai.request.stream": stream,
        "gen_ai.request.max_tokens": 100, "gen_ai.response.id": message.id,
        "gen_ai.response.model": message.model, "gen_ai.response.finish_reasons": ("stop",),
        "gen_ai.usage.input_tokens": usage.input_tokens + usage.cache_read_input_tokens
        + usage.cache_creation_input_tokens,
        "gen_ai.usage.output_tokens": usage.output_tokens,
        "gen_ai.usage.cache_read.input_tokens": usage.cache_read_input_tokens,
        "gen_ai.usage.cache_creation.input_tokens": usage.cache_creation_input_tokens,
    }
    attrs["genai_otel.cost.usd"] = cost_of(provider, message.model, attrs)  # Anthropic prices on either cloud
    return attrs


def _without_stream_fields(attrs: dict[str, Any]) -> dict[str, Any]:
    assert attrs.pop("genai_otel.stream.ending") == "completed"
    assert attrs.pop("gen_ai.response.time_to_first_chunk") >= 0
    attrs.pop("genai_otel.stream.chunk_count")
    return attrs


@bedrock_api_key
def test_bedrock(server: FakeLLMServer, bedrock: Any, telemetry: Any) -> None:
    client, host, port = bedrock
    message = client.messages.create(model=BEDROCK_MODEL, max_tokens=100, messages=USER, **directives(cached=3))
    assert server.requests[-1].path == f"/model/{BEDROCK_MODEL}/invoke"
    assert message.model == RESPONSE_MODEL
    span = telemetry.only_span()
    assert span.name == f"chat {BEDROCK_MODEL}"
    assert attributes_of(span) == expected("aws.bedrock", BEDROCK_MODEL, host, port, message)
    assert attributes_of(span)["gen_ai.usage.input_tokens"] == 8 + 3
    [duration] = telemetry.metric_points("gen_ai.client.operation.duration")
    assert (duration["attributes"]["gen_ai.provider.name"], duration["attributes"]["server.address"]) == (
        "aws.bedrock", host)


@bedrock_api_key
def test_bedrock_error(bedrock: Any, telemetry: Any) -> None:
    client, host, _ = bedrock
    with pytest.raises(anthropic.RateLimitError):
        client.messages.create(model=BEDROCK_MODEL, max_tokens=100, messages=USER, **directives(status=429))
    attrs = attributes_of(telemetry.only_span())
    assert (attrs["gen_ai.provider.name"], attrs["server.address"], attrs["error.type"]) == (
        "aws.bedrock", host, "anthropic.RateLimitError")


@pytest.mark.skipif(_NO_BOTOCORE, reason="decoding Bedrock's AWS event-stream needs botocore")
@bedrock_api_key
def test_bedrock_stream(server: FakeLLMServer, bedrock: Any, telemetry: Any) -> None:
    client, host, port = bedrock
    with client.messages.stream(model=BEDROCK_MODEL, max_tokens=100, messages=USER) as stream:
        message = stream.get_final_message()
    assert server.requests[-1].path.endswith("/invoke-with-response-stream")
    attrs = _without_stream_fields(attributes_of(telemetry.only_span()))
    assert attrs == expected("aws.bedrock", BEDROCK_MODEL, host, port, message, stream=True)


@bedrock_api_key
async def test_bedrock_async(server: FakeLLMServer, telemetry: Any) -> None:
    client = anthropic.AsyncAnthropicBedrock(api_key="fake-bedrock-key", aws_region="us-east-1", max_retries=0,
                                             http_client=HTTPX.AsyncClient(transport=_AsyncToFakeServer(server.port)))
    message = await client.messages.create(model=BEDROCK_MODEL, max_tokens=100, messages=USER)
    assert attributes_of(telemetry.only_span()) == expected("aws.bedrock", BEDROCK_MODEL, BEDROCK_HOST, 443, message)
    await client.close()


def test_vertex(server: FakeLLMServer, vertex: Any, telemetry: Any) -> None:
    client, host, port = vertex
    message = client.messages.create(model=VERTEX_MODEL, max_tokens=100, messages=USER, **directives(cache_write=4))
    assert server.requests[-1].path.endswith(f"/models/{VERTEX_MODEL}:rawPredict")
    span = telemetry.only_span()
    assert span.name == f"chat {VERTEX_MODEL}"
    assert attributes_of(span) == expected("gcp.vertex_ai", VERTEX_MODEL, host, port, message)
    assert attributes_of(span)["gen_ai.usage.cache_creation.input_tokens"] == 4


def test_vertex_stream(server: FakeLLMServer, vertex: Any, telemetry: Any) -> None:
    client, host, port = vertex
    with client.messages.stream(model=VERTEX_MODEL, max_tokens=100, messages=USER) as stream:
        message = stream.get_final_message()
    assert server.requests[-1].path.endswith(":streamRawPredict")
    attrs = _without_stream_fields(attributes_of(telemetry.only_span()))
    assert attrs == expected("gcp.vertex_ai", VERTEX_MODEL, host, port, message, stream=True)


async def test_vertex_async_stream_true(server: FakeLLMServer, telemetry: Any) -> None:
    client = anthropic.AsyncAnthropicVertex(region="us-east5", project_id="proj", access_token="fake",
                                            max_retries=0,
                                            http_client=HTTPX.AsyncClient(transport=_AsyncToFakeServer(server.port)))
    stream = await client.messages.create(model=VERTEX_MODEL, max_tokens=100, messages=USER, stream=True)
    events = [event async for event in stream]
    attrs = _without_stream_fields(attributes_of(telemetry.only_span()))
    assert attrs["gen_ai.provider.name"] == "gcp.vertex_ai"
    assert attrs["server.address"] == VERTEX_HOST
    assert attrs["gen_ai.usage.output_tokens"] == events[-2].usage.output_tokens == 5
    await client.close()
