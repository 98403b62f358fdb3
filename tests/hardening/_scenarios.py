"""Application calls, each run against the fake LLM server, and what the application saw of them.

A scenario is one thing an application does with an SDK (a call, a stream read to its end, a stream left early, a
failing call...). ``observe(scenario, clients)`` runs it and returns a plain, comparable record of everything the
application saw: the types and the full content (``model_dump`` with and without unset fields) of every value and
chunk it got, and the type, message and status of any exception. The only things masked are those the fake server
makes different on every request (ids numbered per request, creation timestamps), so two runs of a scenario give
equal records exactly when the application saw the same thing.
"""

from __future__ import annotations

import asyncio
import gc
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

MODEL = "gpt-4o-mini"
CLAUDE = "claude-haiku-4-5"
MESSAGES = [{"role": "user", "content": "Say this is a test"}]
_MASKS = (
    (re.compile(r"fake\d{6}"), "fake######"),
    (re.compile(r'"(created|created_at|completed_at)": [0-9.]+'), r'"\1": 0'),
    (re.compile(r"'(created|created_at|completed_at)': [0-9.]+"), r"'\1': 0"),
)


def directives(**values: Any) -> dict[str, Any]:
    return {"extra_headers": {"x-fake-llm": ",".join(f"{k}={v}" for k, v in values.items())}}


@dataclass
class Clients:
    """SDK clients for the fake server. Sync clients are made once and reused (making one costs ~0.1 s of TLS set-up
    even for http://), async ones per event loop; none verifies TLS, since the server is plain HTTP."""

    openai_url: str
    anthropic_url: str

    def __post_init__(self) -> None:
        self._made: dict[str, Any] = {}

    def openai(self) -> Any:
        import openai

        if "openai" not in self._made:
            self._made["openai"] = openai.OpenAI(api_key="sk-test-FAKEKEY-0123", base_url=self.openai_url,
                                                 max_retries=0, http_client=_http_client(openai, False))
        return self._made["openai"]

    def async_openai(self) -> Any:
        import openai

        return openai.AsyncOpenAI(api_key="sk-test-FAKEKEY-0123", base_url=self.openai_url, max_retries=0,
                                  http_client=_http_client(openai, True))

    def anthropic(self) -> Any:
        import anthropic

        if "anthropic" not in self._made:
            self._made["anthropic"] = anthropic.Anthropic(api_key="sk-ant-test-FAKEKEY", base_url=self.anthropic_url,
                                                          max_retries=0, http_client=_http_client(anthropic, False))
        return self._made["anthropic"]

    def async_anthropic(self) -> Any:
        import anthropic

        return anthropic.AsyncAnthropic(api_key="sk-ant-test-FAKEKEY", base_url=self.anthropic_url, max_retries=0,
                                        http_client=_http_client(anthropic, True))

    def close(self) -> None:
        for client in self._made.values():
            client.close()
        self._made.clear()


def _http_client(sdk: Any, is_async: bool) -> Any:
    """The SDK's default HTTP client class (httpx or httpx2, per SDK version), without TLS verification."""
    return (sdk.DefaultAsyncHttpxClient if is_async else sdk.DefaultHttpxClient)(verify=False)


def snapshot(value: Any) -> Any:
    """A plain record of what the application holds: types and full content, nested."""
    if hasattr(value, "model_dump"):
        return {"type": f"{type(value).__module__}.{type(value).__qualname__}",
                "all": value.model_dump(mode="json", warnings=False),
                "sent": value.model_dump(mode="json", exclude_unset=True, warnings=False)}
    if isinstance(value, dict):
        return {str(k): snapshot(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [snapshot(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return {"type": f"{type(value).__module__}.{type(value).__qualname__}", "repr": repr(value)}


def _mask(text: str) -> str:
    for pattern, replacement in _MASKS:
        text = pattern.sub(replacement, text)
    return text


def _error(exc: BaseException) -> dict[str, Any]:
    return {"raised": f"{type(exc).__module__}.{type(exc).__qualname__}", "message": str(exc),
            "status": getattr(exc, "status_code", None)}


def observe(scenario: Scenario, clients: Clients) -> str:
    """Run the scenario; the masked JSON record of what the application saw (its value or its exception)."""
    try:
        seen: Any = {"returned": snapshot(scenario.run(clients))}
    except Exception as exc:  # noqa: BLE001 - the application's exception is part of what it saw
        seen = _error(exc)
    return _mask(json.dumps(seen, sort_keys=True, default=repr))


@dataclass(frozen=True)
class Scenario:
    name: str
    provider: str
    run: Callable[[Clients], Any]

    def __str__(self) -> str:
        return self.name


def _read_all(stream: Any, sdk_stream: type) -> dict[str, Any]:
    chunks = []
    error = None
    try:
        for chunk in stream:
            chunks.append(snapshot(chunk))
    except Exception as exc:  # noqa: BLE001
        error = _error(exc)
    return {"is_sdk_stream": isinstance(stream, sdk_stream), "chunks": chunks, "error": error}


# --- openai ---------------------------------------------------------------------------------------------------------

def _chat(c: Clients) -> Any:
    client = c.openai()
    return client.chat.completions.create(model=MODEL, messages=MESSAGES, temperature=0.5, max_tokens=50)


def _chat_tools(c: Clients) -> Any:
    client = c.openai()
    return client.chat.completions.create(model=MODEL, messages=MESSAGES, **directives(tool_calls=2))


def _chat_json(c: Clients) -> Any:
    schema = {"type": "object", "properties": {"answer": {"type": "string"}, "n": {"type": "integer"}},
              "required": ["answer", "n"], "additionalProperties": False}
    client = c.openai()
    return client.chat.completions.create(model=MODEL, messages=MESSAGES, response_format={
        "type": "json_schema", "json_schema": {"name": "reply", "schema": schema, "strict": True}})


def _chat_stream(c: Clients) -> Any:
    import openai

    client = c.openai()
    stream = client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True,
                                            stream_options={"include_usage": True}, **directives(chunks=4))
    return _read_all(stream, openai.Stream)


def _chat_stream_usage_added(c: Clients) -> Any:
    """The caller did not ask for usage; in ``always`` mode we add ``include_usage`` and must hide its effects."""
    import openai

    from genai_otel.instrumentation.openai import _stream_usage

    _stream_usage._mode = "always"  # set, not through a function of ours (the fault test makes those raise)
    try:
        client = c.openai()
        stream = client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True,
                                                **directives(chunks=3))
        return _read_all(stream, openai.Stream)
    finally:
        _stream_usage._mode = None


def _chat_stream_closed(c: Clients) -> Any:
    client = c.openai()
    stream = client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True, **directives(chunks=20))
    first = [snapshot(next(stream)) for _ in range(2)]
    stream.close()
    return first


def _chat_stream_context_left(c: Clients) -> Any:
    client = c.openai()
    with client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True,
                                        **directives(chunks=20)) as stream:
        return snapshot(next(iter(stream)))


def _chat_stream_abandoned(c: Clients) -> Any:
    client = c.openai()
    stream = client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True, **directives(chunks=20))
    first = snapshot(next(stream))
    del stream
    gc.collect()
    return first


def _chat_stream_broken(c: Clients) -> Any:
    import openai

    client = c.openai()
    stream = client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True,
                                            **directives(chunks=20, break_after=2))
    return _read_all(stream, openai.Stream)


def _chat_error(c: Clients) -> Any:
    client = c.openai()
    return client.chat.completions.create(model=MODEL, messages=MESSAGES, **directives(status=429))


def _chat_raw(c: Clients) -> Any:
    client = c.openai()
    raw = client.chat.completions.with_raw_response.create(model=MODEL, messages=MESSAGES)
    return {"status": raw.status_code, "parsed": raw.parse()}


def _chat_streaming_response(c: Clients) -> Any:
    import openai

    client = c.openai()
    with client.chat.completions.with_streaming_response.create(
            model=MODEL, messages=MESSAGES, stream=True, **directives(chunks=3)) as response:
        return _read_all(response.parse(), openai.Stream)


def _chat_stream_helper(c: Clients) -> Any:
    client = c.openai()
    with client.chat.completions.stream(model=MODEL, messages=MESSAGES, **directives(chunks=3)) as stream:
        events = [event.type for event in stream]
        return {"events": events, "final": stream.get_final_completion()}


def _chat_async(c: Clients) -> Any:
    async def run() -> Any:
        async with c.async_openai() as client:
            return await client.chat.completions.create(model=MODEL, messages=MESSAGES)

    return asyncio.run(run())


def _chat_async_stream(c: Clients) -> Any:
    import openai

    async def run() -> Any:
        async with c.async_openai() as client:
            stream = await client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True,
                                                          stream_options={"include_usage": True})
            chunks = [snapshot(chunk) async for chunk in stream]
            return {"is_sdk_stream": isinstance(stream, openai.AsyncStream), "chunks": chunks}

    return asyncio.run(run())


def _responses(c: Clients) -> Any:
    client = c.openai()
    return client.responses.create(model=MODEL, input="Say this is a test", max_output_tokens=50)


def _responses_stream(c: Clients) -> Any:
    import openai

    client = c.openai()
    return _read_all(client.responses.create(model=MODEL, input="Say this is a test", stream=True), openai.Stream)


def _embeddings(c: Clients) -> Any:
    client = c.openai()
    return client.embeddings.create(model="text-embedding-3-small", input=["a b c"], dimensions=8)


def _completions_stream(c: Clients) -> Any:
    import openai

    client = c.openai()
    stream = client.completions.create(model="gpt-3.5-turbo-instruct", prompt="Say this", stream=True)
    return _read_all(stream, openai.Stream)


# --- anthropic ------------------------------------------------------------------------------------------------------

def _messages(c: Clients) -> Any:
    client = c.anthropic()
    return client.messages.create(model=CLAUDE, max_tokens=64, messages=MESSAGES, **directives(cached=3))


def _messages_stream(c: Clients) -> Any:
    import anthropic

    client = c.anthropic()
    stream = client.messages.create(model=CLAUDE, max_tokens=64, messages=MESSAGES, stream=True,
                                    **directives(tool_calls=1))
    return _read_all(stream, anthropic.Stream)


def _messages_stream_helper(c: Clients) -> Any:
    client = c.anthropic()
    with client.messages.stream(model=CLAUDE, max_tokens=64, messages=MESSAGES) as stream:
        text = list(stream.text_stream)
        return {"text": text, "final": stream.get_final_message()}


def _messages_error(c: Clients) -> Any:
    client = c.anthropic()
    return client.messages.create(model=CLAUDE, max_tokens=64, messages=MESSAGES, **directives(status=529))


def _messages_async_stream(c: Clients) -> Any:
    import anthropic

    async def run() -> Any:
        async with c.async_anthropic() as client:
            stream = await client.messages.create(model=CLAUDE, max_tokens=64, messages=MESSAGES, stream=True)
            events = [snapshot(event) async for event in stream]
            return {"is_sdk_stream": isinstance(stream, anthropic.AsyncStream), "events": events}

    return asyncio.run(run())


SCENARIOS: tuple[Scenario, ...] = (
    Scenario("openai.chat", "openai", _chat),
    Scenario("openai.chat.tool_calls", "openai", _chat_tools),
    Scenario("openai.chat.json", "openai", _chat_json),
    Scenario("openai.chat.stream", "openai", _chat_stream),
    Scenario("openai.chat.stream.usage_added", "openai", _chat_stream_usage_added),
    Scenario("openai.chat.stream.closed", "openai", _chat_stream_closed),
    Scenario("openai.chat.stream.context_left", "openai", _chat_stream_context_left),
    Scenario("openai.chat.stream.abandoned", "openai", _chat_stream_abandoned),
    Scenario("openai.chat.stream.broken", "openai", _chat_stream_broken),
    Scenario("openai.chat.error", "openai", _chat_error),
    Scenario("openai.chat.raw", "openai", _chat_raw),
    Scenario("openai.chat.streaming_response", "openai", _chat_streaming_response),
    Scenario("openai.chat.stream_helper", "openai", _chat_stream_helper),
    Scenario("openai.chat.async", "openai", _chat_async),
    Scenario("openai.chat.async_stream", "openai", _chat_async_stream),
    Scenario("openai.responses", "openai", _responses),
    Scenario("openai.responses.stream", "openai", _responses_stream),
    Scenario("openai.embeddings", "openai", _embeddings),
    Scenario("openai.completions.stream", "openai", _completions_stream),
    Scenario("anthropic.messages", "anthropic", _messages),
    Scenario("anthropic.messages.stream", "anthropic", _messages_stream),
    Scenario("anthropic.messages.stream_helper", "anthropic", _messages_stream_helper),
    Scenario("anthropic.messages.error", "anthropic", _messages_error),
    Scenario("anthropic.messages.async_stream", "anthropic", _messages_async_stream),
)


class EveryPhaseHooks:
    """A user hook for every phase, reading what hooks read and adding a span attribute (register an instance)."""

    @staticmethod
    def before(view: Any) -> None:
        view.set_attribute("app.hooked", view.provider)

    @staticmethod
    def success(view: Any) -> None:
        view.set_attribute("app.tokens", repr(view.usage))

    @staticmethod
    def failure(view: Any) -> None:
        view.set_attribute("app.error", repr(view.error_type))

    @staticmethod
    def end(view: Any) -> None:
        view.set_attribute("app.output", repr((view.output_text, view.cost_usd, view.elapsed_s, view.http_attempts)))
