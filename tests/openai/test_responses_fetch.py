"""``responses.retrieve`` as the GenAI conventions' ``fetch_response`` operation, background polling, and a stream
that fails with an ``error`` event. Real SDK, real HTTP, fake LLM server (one hand-written vcrpy cassette).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openai
import pytest
from opentelemetry.trace import SpanKind, StatusCode

from tests.cassette_support import load_interactions, vcr_for
from tests.openai.conftest import directives, requires_responses_api

requires_responses_api()

MODEL = "gpt-4o-mini"
DATED = "gpt-4o-mini-2024-07-18"
INPUT = "hi there"
TOKEN_ATTRIBUTES = ("gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens", "gen_ai.usage.cache_read.input_tokens",
                    "gen_ai.usage.reasoning.output_tokens")


def _fetch_attrs(span: Any, fake_llm: Any, response_id: str, *, stream: bool = False) -> dict[str, Any]:
    attrs = dict(span.attributes)
    assert span.kind is SpanKind.CLIENT
    assert span.name == "fetch_response"
    assert attrs["gen_ai.operation.name"] == "fetch_response"
    assert attrs["gen_ai.provider.name"] == "openai"
    assert attrs["gen_ai.response.id"] == response_id
    assert attrs["server.address"] == "127.0.0.1"
    assert attrs["server.port"] == int(fake_llm.url.rsplit(":", 1)[1])
    assert attrs["gen_ai.request.stream"] is stream
    assert attrs["openai.api.type"] == "responses"
    assert "gen_ai.request.model" not in attrs
    assert not any(key in attrs for key in TOKEN_ATTRIBUTES)  # the tokens belong to the generation, not the fetch
    return attrs


def _stored(client: openai.OpenAI, telemetry: Any, **extra: Any) -> Any:
    response = client.responses.create(model=MODEL, input=INPUT, **extra)
    telemetry.clear()
    return response


def test_retrieve_is_a_fetch_without_token_usage(client: openai.OpenAI, telemetry: Any, fake_llm: Any) -> None:
    created = _stored(client, telemetry, **directives(cached=1, reasoning=2))
    fetched = client.responses.retrieve(created.id)
    assert type(fetched) is openai.types.responses.Response and fetched.usage.input_tokens == 6
    span = telemetry.only_span()
    attrs = _fetch_attrs(span, fake_llm, created.id)
    assert attrs["gen_ai.response.model"] == DATED
    assert attrs["gen_ai.response.status"] == "completed"
    assert attrs["gen_ai.response.finish_reasons"] == ("stop",)
    assert attrs["openai.response.service_tier"] == "default"
    assert span.status.status_code is StatusCode.UNSET
    assert telemetry.metric_points("gen_ai.client.token.usage") == []
    [duration] = telemetry.metric_points("gen_ai.client.operation.duration")
    assert duration["attributes"] == {
        "gen_ai.operation.name": "fetch_response", "gen_ai.provider.name": "openai", "gen_ai.response.model": DATED,
        "server.address": "127.0.0.1", "server.port": attrs["server.port"],
    }


async def test_async_retrieve(aclient: openai.AsyncOpenAI, telemetry: Any, fake_llm: Any, tracer: Any) -> None:
    created = await aclient.responses.create(model=MODEL, input=INPUT, tools=[], **directives(tool_calls=1))
    telemetry.clear()
    with tracer.start_as_current_span("poll") as parent:
        await aclient.responses.retrieve(response_id=created.id)
    span = telemetry.only_span()
    assert span.parent.span_id == parent.get_span_context().span_id
    attrs = _fetch_attrs(span, fake_llm, created.id)
    assert attrs["gen_ai.response.finish_reasons"] == ("tool_call",)


def test_background_polling_reports_each_status(client: openai.OpenAI, telemetry: Any, fake_llm: Any) -> None:
    created = client.responses.create(model=MODEL, input=INPUT, background=True)
    statuses = [created.status] + [client.responses.retrieve(created.id).status for _ in range(2)]
    assert statuses == ["queued", "in_progress", "completed"]
    create_span, *fetch_spans = telemetry.genai_spans()
    assert dict(create_span.attributes)["gen_ai.response.status"] == "queued"
    assert dict(create_span.attributes)["gen_ai.operation.name"] == "chat"
    seen = [(_fetch_attrs(span, fake_llm, created.id)["gen_ai.response.status"],
             dict(span.attributes).get("gen_ai.response.finish_reasons")) for span in fetch_spans]
    assert seen == [("in_progress", None), ("completed", ("stop",))]
    assert all(span.status.status_code is StatusCode.UNSET for span in telemetry.genai_spans())


@pytest.mark.parametrize(("status", "reasons"), [("failed", ("error",)), ("incomplete", ("length",)),
                                                 ("cancelled", ("cancelled",))])
def test_a_fetched_unsuccessful_generation_is_not_a_failed_fetch(client: openai.OpenAI, telemetry: Any,
                                                                 fake_llm: Any, status: str,
                                                                 reasons: tuple[str, ...]) -> None:
    created = _stored(client, telemetry, **directives(response_status=status))
    assert client.responses.retrieve(created.id).status == status
    span = telemetry.only_span()
    attrs = _fetch_attrs(span, fake_llm, created.id)
    assert attrs["gen_ai.response.status"] == status
    assert attrs["gen_ai.response.finish_reasons"] == reasons
    assert span.status.status_code is StatusCode.UNSET
    assert "error.type" not in attrs


def test_cancelled_background_response(client: openai.OpenAI, telemetry: Any, fake_llm: Any) -> None:
    created = _stored(client, telemetry, background=True)
    assert client.responses.cancel(created.id).status == "cancelled"
    assert telemetry.genai_spans() == []  # cancel is not a GenAI operation
    client.responses.retrieve(created.id)
    attrs = _fetch_attrs(telemetry.only_span(), fake_llm, created.id)
    assert (attrs["gen_ai.response.status"], attrs["gen_ai.response.finish_reasons"]) == ("cancelled", ("cancelled",))


def test_streamed_retrieve_resumes_after_its_cursor(client: openai.OpenAI, telemetry: Any, fake_llm: Any) -> None:
    created = _stored(client, telemetry)
    events = list(client.responses.retrieve(created.id, stream=True, starting_after=5))
    assert [e.sequence_number for e in events] == list(range(6, 13))
    span = telemetry.only_span()
    attrs = _fetch_attrs(span, fake_llm, created.id, stream=True)
    assert attrs["gen_ai.request.stream_cursor"] == "5"
    assert attrs["genai_otel.stream.ending"] == "completed"
    assert attrs["genai_otel.stream.chunk_count"] == 7
    assert attrs["gen_ai.response.status"] == "completed"
    assert attrs["gen_ai.response.time_to_first_chunk"] > 0
    assert telemetry.metric_points("gen_ai.client.token.usage") == []


async def test_async_streamed_retrieve_through_the_stream_helper(aclient: openai.AsyncOpenAI, telemetry: Any,
                                                                 fake_llm: Any) -> None:
    created = await aclient.responses.create(model=MODEL, input=INPUT)
    telemetry.clear()
    async with aclient.responses.stream(response_id=created.id) as stream:
        final = await stream.get_final_response()
    assert final.id == created.id
    attrs = _fetch_attrs(telemetry.only_span(), fake_llm, created.id, stream=True)
    assert "gen_ai.request.stream_cursor" not in attrs
    assert attrs["genai_otel.stream.chunk_count"] == 13


def test_retrieve_of_an_unknown_id_fails(client: openai.OpenAI, telemetry: Any, fake_llm: Any) -> None:
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve("resp_missing")
    span = telemetry.only_span()
    attrs = _fetch_attrs(span, fake_llm, "resp_missing")
    assert span.status.status_code is StatusCode.ERROR
    assert attrs["error.type"] == "openai.NotFoundError"
    [duration] = telemetry.metric_points("gen_ai.client.operation.duration")
    assert duration["attributes"]["error.type"] == "openai.NotFoundError"


def test_raw_retrieve(client: openai.OpenAI, telemetry: Any, fake_llm: Any) -> None:
    created = _stored(client, telemetry)
    raw = client.responses.with_raw_response.retrieve(created.id)
    assert raw.parse().id == created.id
    attrs = _fetch_attrs(telemetry.only_span(), fake_llm, created.id)
    assert attrs["gen_ai.response.status"] == "completed"


def test_stream_failing_with_an_error_event(telemetry: Any, tmp_path: Path) -> None:
    [interaction] = load_interactions(Path(__file__).parent / "cassettes", "/responses")
    with vcr_for(interaction, tmp_path), openai.OpenAI(api_key="k", base_url="https://api.openai.com/v1",
                                                       max_retries=0) as client:
        events = list(client.responses.create(model=MODEL, input="Say this is a test", stream=True))
    assert [e.type for e in events] == ["response.created", "response.in_progress", "error"]
    span = telemetry.only_span()
    attrs = dict(span.attributes)
    assert span.status.status_code is StatusCode.ERROR
    assert span.status.description == "The server had an error while processing your request."
    assert attrs["error.type"] == "server_error"
    assert attrs["gen_ai.response.id"] == "resp_handwritten0001"
    assert attrs["gen_ai.response.status"] == "in_progress"
    assert attrs["genai_otel.stream.chunk_count"] == 3
    assert "gen_ai.usage.input_tokens" not in attrs
