"""Anthropic on AWS Bedrock (invoke, event-stream) and Google Vertex (rawPredict) through the real SDK clients.

Bedrock SigV4 signing needs ``boto3`` and decoding its stream needs ``botocore``; those tests skip without them.
The event-stream framing itself is checked without botocore, by decoding the raw bytes.
"""

from __future__ import annotations

import base64
import http.client
import json

import anthropic
import pytest
from fake_llm_support import USER_MESSAGE, steer

from genai_otel.testing.fake_llm import FakeLLMServer
from genai_otel.testing.fake_llm._eventstream import decode_messages

BEDROCK_MODEL = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
VERTEX_MODEL = "claude-sonnet-4-5@20250929"


@pytest.fixture
def bedrock(server: FakeLLMServer) -> anthropic.AnthropicBedrock:
    """Bearer-token auth: no boto3 needed for non-streaming calls."""
    return anthropic.AnthropicBedrock(
        api_key="fake-bedrock-key", base_url=server.bedrock_base_url, aws_region="us-east-1", max_retries=0
    )


@pytest.fixture
def vertex(server: FakeLLMServer) -> anthropic.AnthropicVertex:
    return anthropic.AnthropicVertex(
        base_url=server.vertex_base_url, region="us-east5", project_id="proj", access_token="fake", max_retries=0
    )


def test_bedrock_invoke(server: FakeLLMServer, bedrock: anthropic.AnthropicBedrock) -> None:
    raw = bedrock.messages.with_raw_response.create(model=BEDROCK_MODEL, max_tokens=100, messages=USER_MESSAGE)
    message = raw.parse()
    assert message.model == "claude-sonnet-4-5-20250929"
    assert message.content[0].text == "word0 word1 word2 word3 word4"  # type: ignore[union-attr]
    assert (message.usage.input_tokens, message.usage.output_tokens) == (8, 5)
    assert raw.headers["x-amzn-bedrock-input-token-count"] == "8"
    assert raw.headers["x-amzn-bedrock-output-token-count"] == "5"
    assert raw.headers["x-amzn-requestid"]
    request = server.requests[-1]
    assert request.path == f"/model/{BEDROCK_MODEL}/invoke"
    assert "model" not in request.body and "anthropic_version" in request.body


def test_bedrock_error_shape(bedrock: anthropic.AnthropicBedrock) -> None:
    with pytest.raises(anthropic.RateLimitError) as caught:
        bedrock.messages.create(model=BEDROCK_MODEL, max_tokens=10, messages=USER_MESSAGE, **steer("status=429"))
    assert caught.value.body == {
        "message": f"fake-llm: rate limit reached for {BEDROCK_MODEL}; please try again later."
    }
    assert caught.value.response.headers["x-amzn-errortype"].startswith("ThrottlingException:")


def test_bedrock_event_stream_frames(server: FakeLLMServer) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    body = json.dumps({"max_tokens": 100, "messages": USER_MESSAGE, "anthropic_version": "bedrock-2023-05-31"})
    connection.request("POST", f"/model/{BEDROCK_MODEL}/invoke-with-response-stream", body=body)
    response = connection.getresponse()
    assert response.getheader("content-type") == "application/vnd.amazon.eventstream"
    frames = decode_messages(response.read())
    connection.close()
    assert all(
        headers == {":event-type": "chunk", ":content-type": "application/json", ":message-type": "event"}
        for headers, _ in frames
    )
    events = [json.loads(base64.b64decode(json.loads(payload)["bytes"])) for _, payload in frames]
    assert [event["type"] for event in events] == [
        "message_start", "content_block_start", *["content_block_delta"] * 5, "content_block_stop",
        "message_delta", "message_stop",
    ]  # fmt: skip
    assert events[-1]["amazon-bedrock-invocationMetrics"]["outputTokenCount"] == 5
    assert events[-2]["usage"]["output_tokens"] == 5


def test_bedrock_stream_through_the_sdk(bedrock: anthropic.AnthropicBedrock) -> None:
    pytest.importorskip("botocore", reason="the anthropic SDK decodes Bedrock streams with botocore")
    with bedrock.messages.stream(
        model=BEDROCK_MODEL, max_tokens=100, messages=USER_MESSAGE, **steer("tool_calls=1,chunks=2")
    ) as stream:
        final = stream.get_final_message()
    assert [block.type for block in final.content] == ["text", "tool_use"]
    assert final.usage.output_tokens == 2 + 4


def test_bedrock_broken_stream_through_the_sdk(bedrock: anthropic.AnthropicBedrock) -> None:
    pytest.importorskip("botocore", reason="the anthropic SDK decodes Bedrock streams with botocore")
    stream = bedrock.messages.create(
        model=BEDROCK_MODEL, max_tokens=100, messages=USER_MESSAGE, stream=True, **steer("break_after=1")
    )
    with pytest.raises(Exception, match="incomplete chunked read"):
        list(stream)


async def test_bedrock_with_aws_keys(server: FakeLLMServer) -> None:
    pytest.importorskip("boto3", reason="SigV4 signing in the anthropic SDK needs boto3")
    client = anthropic.AsyncAnthropicBedrock(
        base_url=server.bedrock_base_url, aws_access_key="x", aws_secret_key="y", aws_region="us-east-1", max_retries=0
    )
    message = await client.messages.create(model=BEDROCK_MODEL, max_tokens=100, messages=USER_MESSAGE)
    assert message.stop_reason == "end_turn"
    assert server.requests[-1].headers["authorization"].startswith("AWS4-HMAC-SHA256 Credential=x/")


def test_vertex_raw_predict(server: FakeLLMServer, vertex: anthropic.AnthropicVertex) -> None:
    message = vertex.messages.create(model=VERTEX_MODEL, max_tokens=100, messages=USER_MESSAGE, **steer("cached=2"))
    assert message.model == VERTEX_MODEL
    assert message.usage.cache_read_input_tokens == 2
    request = server.requests[-1]
    assert request.path == f"/v1/projects/proj/locations/us-east5/publishers/anthropic/models/{VERTEX_MODEL}:rawPredict"
    assert request.headers["authorization"] == "Bearer fake"


def test_vertex_stream_raw_predict(server: FakeLLMServer, vertex: anthropic.AnthropicVertex) -> None:
    with vertex.messages.stream(
        model=VERTEX_MODEL, max_tokens=100, messages=USER_MESSAGE, **steer("chunks=2")
    ) as stream:
        text = "".join(stream.text_stream)
    assert text == "word0 word1"
    assert server.requests[-1].path.endswith(":streamRawPredict")


async def test_vertex_async_and_error_shape(server: FakeLLMServer) -> None:
    client = anthropic.AsyncAnthropicVertex(
        base_url=server.vertex_base_url, region="europe-west1", project_id="p", access_token="t", max_retries=0
    )
    message = await client.messages.create(model=VERTEX_MODEL, max_tokens=100, messages=USER_MESSAGE)
    assert message.content
    with pytest.raises(anthropic.RateLimitError) as caught:
        await client.messages.create(model=VERTEX_MODEL, max_tokens=100, messages=USER_MESSAGE, **steer("status=429"))
    assert caught.value.body["error"]["status"] == "RESOURCE_EXHAUSTED"  # type: ignore[index]
