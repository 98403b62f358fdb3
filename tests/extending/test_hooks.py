"""Lifecycle hooks through real SDK calls: what they see, what they may add, and that they never reach the app."""

from __future__ import annotations

import asyncio
import contextvars
import gc
import logging
import threading
import weakref
from typing import Any

import anthropic
import openai
import pytest
from opentelemetry import trace

import genai_otel
from genai_otel.genai import _hook_runner
from genai_otel.genai._hook_runner import wait_idle
from genai_otel.hooks import CallView
from genai_otel.testing.faults import find_step, inject, internal_errors_swallowed
from tests.extending.conftest import (
    ANSWER,
    CLAUDE,
    MODEL,
    RESPONSE_MODEL,
    USER,
    directives,
    hook_failures,
    wait_for,
)

request_tag: contextvars.ContextVar[str] = contextvars.ContextVar("request_tag", default="none")


def test_end_hook_sees_the_whole_call(client: openai.OpenAI, telemetry: Any, hooks: Any) -> None:
    seen: list[dict[str, Any]] = []

    def end(call: CallView) -> None:
        seen.append({
            "phase": call.phase, "operation": call.operation, "provider": call.provider,
            "request_model": call.request_model, "response_model": call.response_model,
            "server": call.server_address, "stream": call.stream, "messages": call.parameters["messages"],
            "temperature": call.request_attributes["gen_ai.request.temperature"], "result": call.result,
            "text": call.output_text, "texts": call.output_texts, "response_id": call.response_id,
            "finish_reasons": call.finish_reasons, "input": call.usage.input_tokens if call.usage else None,
            "output": call.usage.output_tokens if call.usage else None, "cost": call.cost_usd,
            "error": call.error, "error_type": call.error_type, "elapsed": call.elapsed_s,
            "attempts": call.http_attempts, "span_id": call.span_context.span_id,
            "current": trace.get_current_span().get_span_context().span_id, "thread": threading.current_thread().name,
        })

    hooks(end)
    completion = client.chat.completions.create(model=MODEL, messages=USER, temperature=0.5)
    span = telemetry.only_span()
    [call] = seen
    assert call.pop("result") is completion  # the SDK's own object
    elapsed = call.pop("elapsed")
    duration = telemetry.metric_points("gen_ai.client.operation.duration")[0]
    assert 0 < elapsed <= duration["sum"]
    assert call.pop("thread").startswith("genai-otel-hooks-")
    assert call == {
        "phase": "end", "operation": "chat", "provider": "openai", "request_model": MODEL,
        "response_model": RESPONSE_MODEL, "server": "127.0.0.1", "stream": False, "messages": USER,
        "temperature": 0.5, "text": ANSWER, "texts": (ANSWER,), "response_id": completion.id,
        "finish_reasons": ("stop",), "input": 8, "output": 5, "cost": span.attributes["genai_otel.cost.usd"],
        "error": None, "error_type": None, "attempts": 1, "span_id": span.context.span_id,
        "current": span.context.span_id,  # the call's span is current inside the hook
    }


def test_phases_in_order_for_success_and_failure(client: openai.OpenAI, telemetry: Any, hooks: Any) -> None:
    phases: list[tuple[str, str | None]] = []
    record = lambda call: phases.append((call.phase, call.error_type))  # noqa: E731
    for phase in genai_otel.hooks.PHASES:
        hooks(record, phase=phase)
    client.chat.completions.create(model=MODEL, messages=USER)
    assert phases == [("before", None), ("success", None), ("end", None)]
    phases.clear()
    with pytest.raises(openai.RateLimitError) as raised:
        client.chat.completions.create(model=MODEL, messages=USER, **directives(status=429))
    assert phases == [("before", None), ("failure", "openai.RateLimitError"), ("end", "openai.RateLimitError")]
    errors: list[BaseException | None] = []
    hooks(lambda call: errors.append(call.error), phase="failure")
    with pytest.raises(openai.RateLimitError) as again:
        client.chat.completions.create(model=MODEL, messages=USER, **directives(status=429))
    assert errors == [again.value]  # the very exception the caller got
    assert type(raised.value) is type(again.value)


@pytest.mark.parametrize("stream", [False, True], ids=["call", "stream"])
@pytest.mark.parametrize("outcome", ["success", "failure"])
def test_end_hooks_run_when_our_own_code_fails(client: openai.OpenAI, telemetry: Any, hooks: Any, stream: bool,
                                               outcome: str) -> None:
    """A bug of ours while finishing the call: the span still ends, and every call whose before hooks ran gets its
    end hooks too (without response data, with the caller's exception when the call failed)."""
    phases: list[tuple[str, str | None, Any]] = []
    record = lambda call: phases.append((call.phase, call.error_type, call.response_id))  # noqa: E731
    for phase in genai_otel.hooks.PHASES:
        hooks(record, phase=phase)
    faulty = ("genai_otel.genai.recorder._response_attributes" if outcome == "success"
              else "genai_otel.genai.recorder.error_type_of")
    status = {} if outcome == "success" else {"status": 500}
    with internal_errors_swallowed(), inject(find_step(faulty)) as fault:
        if outcome == "failure":
            with pytest.raises(openai.InternalServerError):
                _call(client, stream, status)
        else:
            assert _call(client, stream, status) == ANSWER
    assert fault.raised
    # the failing step here is the one naming the error: the hooks get the bare class name instead
    error = "InternalServerError" if outcome == "failure" else None
    assert phases == [("before", None, None), (outcome, error, None), ("end", error, None)]
    [span] = telemetry.genai_spans()
    assert span.end_time is not None


def _call(client: openai.OpenAI, stream: bool, status: dict[str, Any]) -> str:
    if not stream:
        completion = client.chat.completions.create(model=MODEL, messages=USER, **directives(**status))
        return completion.choices[0].message.content or ""
    chunks = client.chat.completions.create(model=MODEL, messages=USER, stream=True, **directives(**status))
    return "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)


def test_hook_threads_keep_nothing_of_a_finished_call(client: openai.OpenAI, telemetry: Any, hooks: Any) -> None:
    """Once its hooks ran, a call's view, and the SDK result it holds, are not kept alive by an idle hook thread."""
    hooks(lambda call: None)
    completion = client.chat.completions.create(model=MODEL, messages=USER)
    result = weakref.ref(completion)
    wait_idle(5.0)
    del completion
    gc.collect()
    assert result() is None


def test_an_object_or_module_with_phase_methods(client: openai.OpenAI, telemetry: Any, hooks: Any) -> None:
    class Tagger:
        def __init__(self) -> None:
            self.calls: list[str] = []

        def before(self, call: CallView) -> None:
            self.calls.append("before")
            call.set_attribute("app.prompt_version", "v7")

        def end(self, call: CallView) -> None:
            self.calls.append("end")

    tagger = Tagger()
    handle = hooks(tagger)
    assert handle.names == ("before:" + __name__ + ":test_an_object_or_module_with_phase_methods.<locals>."
                            "Tagger.before", "end:" + __name__ + ":test_an_object_or_module_with_phase_methods."
                            "<locals>.Tagger.end")
    client.chat.completions.create(model=MODEL, messages=USER)
    assert tagger.calls == ["before", "end"]
    assert telemetry.only_span().attributes["app.prompt_version"] == "v7"
    handle.remove()
    client.chat.completions.create(model=MODEL, messages=USER)
    assert tagger.calls == ["before", "end"]


def test_span_and_allowed_metric_attributes(client: openai.OpenAI, telemetry: Any, hooks: Any,
                                            caplog: pytest.LogCaptureFixture) -> None:
    genai_otel.allow_metric_attributes("app.tenant")

    def before(call: CallView) -> None:
        call.set_attribute("app.tenant", request_tag.get())
        call.set_metric_attribute("app.tenant", request_tag.get())
        call.set_metric_attribute("app.user_id", "u-123")  # not allowed: ignored, warned once

    hooks(before, phase="before")
    hooks(lambda call: call.set_metric_attribute("app.tenant", call.span.attributes["app.tenant"] + "!"))
    token = request_tag.set("acme")  # a context variable of the caller is visible to the hook
    try:
        with caplog.at_level(logging.WARNING, logger="genai_otel"):
            client.chat.completions.create(model=MODEL, messages=USER)
    finally:
        request_tag.reset(token)
    assert telemetry.only_span().attributes["app.tenant"] == "acme"
    [duration] = telemetry.metric_points("gen_ai.client.operation.duration")
    assert duration["attributes"]["app.tenant"] == "acme!"  # the end hook's value wins over before's
    assert "app.user_id" not in duration["attributes"]
    tokens = telemetry.metric_points("gen_ai.client.token.usage")
    assert {p["attributes"].get("app.tenant") for p in tokens} == {"acme!"}, tokens
    assert [r.getMessage() for r in caplog.records if "app.user_id" in r.getMessage()] == [
        "genai-otel: a hook set metric attribute 'app.user_id', which is not in GENAI_OTEL_HOOK_METRIC_ATTRIBUTES; "
        "ignored"]


def test_a_hook_that_raises_never_reaches_the_app(client: openai.OpenAI, telemetry: Any, hooks: Any,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    def broken(call: CallView) -> None:
        raise ValueError("hook bug")

    hooks(broken, phase="before", name="broken-before")
    hooks(broken, name="broken-end")
    with caplog.at_level(logging.WARNING, logger="genai_otel"):
        for _ in range(3):
            completion = client.chat.completions.create(model=MODEL, messages=USER)
            assert completion.choices[0].message.content == ANSWER
    assert hook_failures(telemetry) == {("broken-before", "before", "ValueError"): 3,
                                        ("broken-end", "end", "ValueError"): 3}
    logged = [r for r in caplog.records if "hook" in r.getMessage()]
    assert [r.getMessage() for r in logged] == [
        "genai-otel: before hook broken-before: raised ValueError (the application is not affected; further ones are "
        "counted in genai_otel.hook.failures, not logged)",
        "genai-otel: end hook broken-end: raised ValueError (the application is not affected; further ones are "
        "counted in genai_otel.hook.failures, not logged)"]
    assert logged[0].exc_info is not None and str(logged[0].exc_info[1]) == "hook bug"
    assert len(telemetry.genai_spans()) == 3 and all(s.status.is_ok for s in telemetry.genai_spans())


def test_hook_errors_never_reach_failed_streamed_or_async_calls(client: openai.OpenAI, telemetry: Any,
                                                                hooks: Any) -> None:
    def broken(call: CallView) -> None:
        raise RuntimeError(f"{call.phase} hook bug")

    for phase in genai_otel.hooks.PHASES:
        hooks(broken, phase=phase, name=f"broken-{phase}")
    with pytest.raises(openai.RateLimitError) as raised:  # the call's own error, not the hooks'
        client.chat.completions.create(model=MODEL, messages=USER, **directives(status=429))
    chain, error = [], raised.value
    while error is not None:
        chain.append(type(error).__name__)
        error = error.__cause__ or error.__context__
    assert chain == ["RateLimitError", "HTTPStatusError"]  # as the SDK raises it, no hook error chained in
    stream = client.chat.completions.create(model=MODEL, messages=USER, stream=True)
    assert "".join(c.choices[0].delta.content or "" for c in stream if c.choices) == ANSWER

    async def call_async() -> str | None:
        async with openai.AsyncOpenAI(api_key="sk-test", base_url=str(client.base_url), max_retries=0) as sdk:
            return (await sdk.chat.completions.create(model=MODEL, messages=USER)).choices[0].message.content

    assert asyncio.run(call_async()) == ANSWER
    assert hook_failures(telemetry) == {
        ("broken-before", "before", "RuntimeError"): 3, ("broken-success", "success", "RuntimeError"): 2,
        ("broken-failure", "failure", "RuntimeError"): 1, ("broken-end", "end", "RuntimeError"): 3}
    assert [s.status.is_ok for s in telemetry.genai_spans()] == [False, True, True]


def test_a_hook_calling_sys_exit_stops_neither_the_app_nor_the_hooks(client: openai.OpenAI, telemetry: Any,
                                                                     hooks: Any) -> None:
    runs: list[str] = []

    def bye(call: CallView) -> None:
        runs.append(call.phase)
        raise SystemExit(3)

    async def async_bye(call: CallView) -> None:
        runs.append("async")
        raise SystemExit(4)

    hooks(bye, name="bye")
    hooks(async_bye, name="async-bye", phase="success")
    calls = _hook_runner._pool._size + 2  # more than the hook threads: none of them may be lost to the hook
    for _ in range(calls):
        assert client.chat.completions.create(model=MODEL, messages=USER).choices[0].message.content == ANSWER
    assert wait_idle(10)
    assert sorted(runs) == ["async"] * calls + ["end"] * calls
    assert hook_failures(telemetry) == {("bye", "end", "SystemExit"): calls,
                                        ("async-bye", "success", "SystemExit"): calls}


def test_streamed_calls_reach_hooks_when_they_end(client: openai.OpenAI, telemetry: Any, hooks: Any) -> None:
    seen: list[tuple[str, Any, str | None, str | None]] = []
    hooks(lambda call: seen.append((call.phase, call.result, call.output_text, call.response_id)), phase="end")
    stream = client.chat.completions.create(model=MODEL, messages=USER, stream=True)
    assert seen == []  # create() returned, the call has not ended
    chunks = list(stream)
    [(phase, result, text, response_id)] = seen
    assert (phase, result, text) == ("end", None, ANSWER)
    assert response_id == chunks[0].id == telemetry.only_span().attributes["gen_ai.response.id"]


async def test_async_and_anthropic_streams_reach_hooks_when_they_end(aclient: openai.AsyncOpenAI,
                                                                    claude: anthropic.Anthropic, telemetry: Any,
                                                                    hooks: Any) -> None:
    seen: list[tuple[str, str, str | None, int | None]] = []
    hooks(lambda call: seen.append((call.provider, call.phase, call.output_text,
                                    call.usage.output_tokens if call.usage else None)), phase="success")
    stream = await aclient.chat.completions.create(model=MODEL, messages=USER, stream=True,
                                                   stream_options={"include_usage": True})
    assert seen == []
    async for _ in stream:
        pass
    assert seen == [("openai", "success", ANSWER, 5)]
    with claude.messages.stream(model=CLAUDE, max_tokens=100, messages=USER) as events:
        assert len(seen) == 1
        assert events.get_final_text() == ANSWER
    assert seen[1:] == [("anthropic", "success", ANSWER, 5)]


def test_a_stream_left_early_ends_with_the_text_so_far(client: openai.OpenAI, telemetry: Any, hooks: Any) -> None:
    seen: list[tuple[str, str | None]] = []
    hooks(lambda call: seen.append((call.phase, call.output_text)), phase="success")
    with client.chat.completions.create(model=MODEL, messages=USER, stream=True) as stream:
        next(stream)
        next(stream)  # the first content chunk ("word0")
    assert seen == [("success", "word0")]
    assert telemetry.only_span().attributes["genai_otel.stream.ending"] == "closed"


def test_calls_made_inside_a_hook_are_traced_but_run_no_hooks(client: openai.OpenAI, telemetry: Any,
                                                               hooks: Any) -> None:
    ran: list[str | None] = []

    def end(call: CallView) -> None:
        ran.append(call.request_model)
        client.chat.completions.create(model="gpt-4.1", messages=USER)  # e.g. an LLM judge

    hooks(end)
    client.chat.completions.create(model=MODEL, messages=USER)
    assert ran == [MODEL]
    spans = {s.name: s for s in telemetry.genai_spans()}
    assert sorted(spans) == ["chat gpt-4.1", "chat gpt-4o-mini"]
    assert spans["chat gpt-4.1"].parent.span_id == spans["chat gpt-4o-mini"].context.span_id


def test_a_view_is_read_only(client: openai.OpenAI, telemetry: Any, hooks: Any) -> None:
    problems: list[str] = []

    def end(call: CallView) -> None:
        for name, value in (("request_model", "x"), ("_inv", None)):
            try:
                setattr(call, name, value)
            except AttributeError as exc:
                problems.append(str(exc))
        try:
            call.parameters["model"] = "x"  # type: ignore[index]
        except TypeError as exc:
            problems.append(type(exc).__name__)

    hooks(end)
    client.chat.completions.create(model=MODEL, messages=USER)
    assert problems == [
        "CallView is read-only (use set_attribute / set_metric_attribute), not 'request_model'",
        "CallView is read-only (use set_attribute / set_metric_attribute), not '_inv'", "TypeError"]
    assert telemetry.only_span().attributes["gen_ai.request.model"] == MODEL


def test_anthropic_calls_run_the_same_hooks(claude: anthropic.Anthropic, telemetry: Any, hooks: Any) -> None:
    seen: list[tuple[str, str, str | None, str | None, int | None]] = []
    hooks(lambda call: seen.append((call.provider, call.phase, call.request_model, call.output_text,
                                    call.usage.output_tokens if call.usage else None)))
    message = claude.messages.create(model=CLAUDE, max_tokens=100, messages=USER)
    assert seen == [("anthropic", "end", CLAUDE, ANSWER, 5)]
    assert message.content[0].text == ANSWER


def test_add_hook_refuses_what_is_not_a_hook(hooks: Any) -> None:
    with pytest.raises(TypeError, match="is not callable"):
        genai_otel.add_hook(42)
    with pytest.raises(ValueError, match="phase must be one of before, success, failure, end, not 'after'"):
        genai_otel.add_hook(print, phase="after")
    import tests.extending  # a module with none of the phase functions

    with pytest.raises(ValueError, match="the module has no before, success, failure or end function"):
        genai_otel.add_hook(tests.extending)


# --- async hooks ---

async def test_async_hooks_of_async_calls_are_never_awaited(aclient: openai.AsyncOpenAI, telemetry: Any,
                                                         hooks: Any) -> None:
    release = threading.Event()
    seen: list[tuple[str, str | None, bool, str]] = []

    async def judge(call: CallView) -> None:
        while not release.is_set():  # would hold the call for ever if the call awaited it
            await asyncio.sleep(0.01)
        seen.append((call.phase, call.output_text, asyncio.get_running_loop() is loop,
                     threading.current_thread().name))
        genai_otel.record_evaluation("length", score=len(call.output_text or ""))

    loop = asyncio.get_running_loop()
    hooks(judge)
    completion = await asyncio.wait_for(aclient.chat.completions.create(model=MODEL, messages=USER), 5)
    assert completion.choices[0].message.content == ANSWER and seen == []
    release.set()
    await asyncio.wait_for(_until(lambda: seen), 5)
    assert seen == [("end", ANSWER, False, "genai-otel-async-hooks")]  # genai-otel's loop, not the app's
    [score] = telemetry.metric_points("genai_otel.evaluation.score")
    assert score["attributes"] == {"gen_ai.evaluation.name": "length", "gen_ai.provider.name": "openai",
                                   "gen_ai.request.model": MODEL}
    assert score["sum"] == len(ANSWER)


async def test_async_hooks_outlive_the_loop_of_the_call(server: Any, telemetry: Any, hooks: Any) -> None:
    """A script's ``asyncio.run()`` ends right after its last call: that call's async hooks still complete."""
    done: list[str | None] = []

    async def end(call: CallView) -> None:
        await asyncio.sleep(0.2)
        done.append(call.output_text)

    hooks(end)

    async def script() -> None:
        async with openai.AsyncOpenAI(api_key="sk-test", base_url=server.openai_base_url, max_retries=0) as sdk:
            await sdk.chat.completions.create(model=MODEL, messages=USER)

    await asyncio.to_thread(asyncio.run, script())  # its own loop, closed when it returns
    assert done == []
    assert await asyncio.to_thread(wait_idle, 5)
    assert done == [ANSWER]


def test_async_hooks_of_sync_calls_run_on_genai_otels_loop(client: openai.OpenAI, telemetry: Any,
                                                              hooks: Any, caplog: pytest.LogCaptureFixture) -> None:
    seen: list[str] = []

    async def end(call: CallView) -> None:
        await asyncio.sleep(0)
        call.set_attribute("app.too_late", True)  # an async hook cannot write: ignored, warned once
        seen.append(threading.current_thread().name)

    hooks(end)
    with caplog.at_level(logging.WARNING, logger="genai_otel"):
        client.chat.completions.create(model=MODEL, messages=USER)
        assert wait_for(lambda: seen) == ["genai-otel-async-hooks"]
    assert "app.too_late" not in telemetry.only_span().attributes
    assert any("'app.too_late'" in r.getMessage() and "async hook" in r.getMessage() for r in caplog.records)


async def test_async_hook_errors_are_counted(aclient: openai.AsyncOpenAI, telemetry: Any, hooks: Any) -> None:
    async def broken(call: CallView) -> None:
        raise KeyError("nope")

    hooks(broken, name="async-broken")
    for _ in range(2):
        await aclient.chat.completions.create(model=MODEL, messages=USER)
    key = ("async-broken", "end", "KeyError")
    await asyncio.wait_for(_until(lambda: hook_failures(telemetry).get(key) == 2), 5)
    assert hook_failures(telemetry) == {key: 2}


async def _until(predicate: Any) -> None:
    while not predicate():
        await asyncio.sleep(0.01)
