"""Calls made from asyncio tasks and ``concurrent.futures`` threads nest under the span that spawned them."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import openai
import pytest
from opentelemetry import trace

from genai_otel.testing.fake_llm import FakeLLMServer
from tests.conftest import FAKE_API_KEY, TRACER_PROVIDER
from tests.extending.conftest import MODEL, USER, reinstrumented

CONCURRENT = 1000
HTTPX: Any = getattr(openai._base_client, "httpx2", None) or openai._base_client.httpx  # type: ignore[attr-defined]
tracer = TRACER_PROVIDER.get_tracer("tests.context")


async def test_a_thousand_concurrent_async_calls_each_under_its_own_span(server: FakeLLMServer,
                                                                       telemetry: Any) -> None:
    # All 1,000 calls are in flight at once; at most 100 HTTP requests at a time (the local fake server answers
    # 1,000 simultaneous connections three times slower than 100).
    client = openai.AsyncOpenAI(api_key=FAKE_API_KEY, base_url=server.openai_base_url, max_retries=0, timeout=120,
                                http_client=openai.DefaultAsyncHttpxClient(limits=HTTPX.Limits(max_connections=100)))

    async def one(n: int) -> int:
        with tracer.start_as_current_span(f"request {n}") as parent:
            await asyncio.sleep(0)  # let the others start: the calls really overlap
            await client.chat.completions.create(model=MODEL, messages=USER, seed=n)  # n, on the span only
            return parent.get_span_context().span_id  # type: ignore[no-any-return]

    try:
        parents = await asyncio.gather(*(one(n) for n in range(CONCURRENT)))
    finally:
        await client.close()
    calls = {span.attributes["gen_ai.request.seed"]: span for span in telemetry.genai_spans()}
    assert len(calls) == CONCURRENT
    wrong = [n for n in range(CONCURRENT) if calls[n].parent.span_id != parents[n]]
    assert wrong == []
    by_id = {s.context.span_id: s for s in telemetry.spans()}
    assert all(by_id[parents[n]].name == f"request {n}" for n in range(CONCURRENT))


async def test_tasks_created_inside_a_span(aclient: openai.AsyncOpenAI, telemetry: Any) -> None:
    with tracer.start_as_current_span("fan out") as parent:
        tasks = [asyncio.create_task(aclient.chat.completions.create(model=MODEL, messages=USER)) for _ in range(5)]
    await asyncio.gather(*tasks)
    assert [s.parent.span_id for s in telemetry.genai_spans()] == [parent.get_span_context().span_id] * 5


def test_calls_in_a_thread_pool_nest_under_the_submitting_span(client: openai.OpenAI, telemetry: Any) -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        with tracer.start_as_current_span("batch") as batch:
            futures = [pool.submit(client.chat.completions.create, model=MODEL, messages=USER, seed=n)
                       for n in range(16)]
            mapped = list(pool.map(lambda n: client.chat.completions.create(model=MODEL, messages=USER, seed=n),
                                   range(16, 20)))
        with tracer.start_as_current_span("other batch") as other:
            later = pool.submit(client.chat.completions.create, model=MODEL, messages=USER, seed=20)
        assert all(f.result() for f in futures) and len(mapped) == 4 and later.result()
        outside = pool.submit(client.chat.completions.create, model=MODEL, messages=USER, seed=21).result()
    assert outside
    spans = {s.attributes["gen_ai.request.seed"]: s for s in telemetry.genai_spans()}
    assert len(spans) == 22
    for n in range(20):  # submit and map
        assert spans[n].parent.span_id == batch.get_span_context().span_id
    assert spans[20].parent.span_id == other.get_span_context().span_id
    assert spans[21].parent is None  # no leftover context in the reused worker thread


async def test_run_in_executor(client: openai.OpenAI, telemetry: Any) -> None:
    loop = asyncio.get_running_loop()
    with tracer.start_as_current_span("handler") as handler:
        await loop.run_in_executor(None, lambda: client.chat.completions.create(model=MODEL, messages=USER))
    assert telemetry.only_span().parent.span_id == handler.get_span_context().span_id


def test_thread_context_can_be_turned_off(instrumented: None, server: FakeLLMServer, telemetry: Any) -> None:
    with reinstrumented({"GENAI_OTEL_THREAD_CONTEXT": "false"}):
        assert not _submit_is_wrapped()
        with openai.OpenAI(api_key=FAKE_API_KEY, base_url=server.openai_base_url, max_retries=0) as client:
            with ThreadPoolExecutor(max_workers=1) as pool, tracer.start_as_current_span("batch"):
                pool.submit(client.chat.completions.create, model=MODEL, messages=USER).result()
        assert telemetry.only_span().parent is None
    assert _submit_is_wrapped()  # the module's instrumentation is back


def test_uninstrument_restores_the_executor(instrumented: None) -> None:
    from genai_otel.instrumentation.anthropic import AnthropicInstrumentor
    from genai_otel.instrumentation.openai import OpenAIInstrumentor

    with reinstrumented():
        assert _submit_is_wrapped()
        AnthropicInstrumentor().uninstrument()
        assert _submit_is_wrapped()  # OpenAI's still needs it
        OpenAIInstrumentor().uninstrument()
        assert not _submit_is_wrapped()
        OpenAIInstrumentor().instrument()
        AnthropicInstrumentor().instrument()
        assert _submit_is_wrapped()


def _submit_is_wrapped() -> bool:
    return hasattr(vars(ThreadPoolExecutor)["submit"], "__wrapped__")


@pytest.fixture(autouse=True)
def _no_span_leaks() -> Any:
    yield
    assert not trace.get_current_span().get_span_context().is_valid
