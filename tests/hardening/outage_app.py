"""An ordinary OpenAI + Anthropic app (no telemetry code) for the exporter-outage tests; run it under
``opentelemetry-instrument``.

It reads commands from stdin, one per line, and answers each with one JSON line on stdout:

``run TAG ROUNDS``
    ROUNDS rounds of five calls to the fake LLM server (models ``gpt-TAG`` and ``claude-TAG``): an OpenAI chat
    completion, an OpenAI stream (with usage), an async OpenAI chat completion, an Anthropic message and an Anthropic
    stream. Answers ``{"tag": TAG, "seen": {record: count}}``: what the app saw of each call (the exact type of the
    value, of every chunk, the text and the token counts, or the exception), counted.
``exit``
    Closes the clients and returns from ``main`` (the SDK's exporters then shut down, as at any app's exit).

It reads ``OPENAI_BASE_URL`` and ``ANTHROPIC_BASE_URL`` like any app.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections import Counter
from collections.abc import Callable
from functools import partial
from typing import Any

import anthropic
import openai

MESSAGES: Any = [{"role": "user", "content": "Say this is a test"}]


def _type(value: object) -> str:
    kind = type(value)
    return f"{kind.__module__}.{kind.__qualname__}"


def _openai_chat(client: openai.OpenAI, model: str) -> dict[str, Any]:
    reply = client.chat.completions.create(model=model, messages=MESSAGES)
    assert reply.usage is not None
    return {"call": "openai.chat", "type": _type(reply), "text": reply.choices[0].message.content,
            "usage": [reply.usage.prompt_tokens, reply.usage.completion_tokens]}


def _openai_stream(client: openai.OpenAI, model: str) -> dict[str, Any]:
    stream = client.chat.completions.create(model=model, messages=MESSAGES, stream=True,
                                            stream_options={"include_usage": True})
    chunk_types, text, usage = set(), "", None
    for chunk in stream:
        chunk_types.add(_type(chunk))
        if chunk.choices:
            text += chunk.choices[0].delta.content or ""
        if chunk.usage is not None:
            usage = [chunk.usage.prompt_tokens, chunk.usage.completion_tokens]
    return {"call": "openai.stream", "is_stream": isinstance(stream, openai.Stream), "chunk_types": sorted(chunk_types),
            "text": text, "usage": usage}


def _openai_async(client: openai.AsyncOpenAI, loop: asyncio.AbstractEventLoop, model: str) -> dict[str, Any]:
    reply = loop.run_until_complete(client.chat.completions.create(model=model, messages=MESSAGES))
    return {"call": "openai.async", "type": _type(reply), "text": reply.choices[0].message.content}


def _anthropic_message(client: anthropic.Anthropic, model: str) -> dict[str, Any]:
    message = client.messages.create(model=model, max_tokens=64, messages=MESSAGES)
    block = message.content[0]
    return {"call": "anthropic.message", "type": _type(message),
            "text": block.text if isinstance(block, anthropic.types.TextBlock) else None,
            "usage": [message.usage.input_tokens, message.usage.output_tokens]}


def _anthropic_stream(client: anthropic.Anthropic, model: str) -> dict[str, Any]:
    stream = client.messages.create(model=model, max_tokens=64, messages=MESSAGES, stream=True)
    event_types, text = set(), ""
    for event in stream:
        event_types.add(event.type)
        if event.type == "content_block_delta" and event.delta.type == "text_delta":
            text += event.delta.text
    return {"call": "anthropic.stream", "is_stream": isinstance(stream, anthropic.Stream),
            "event_types": sorted(event_types), "text": text}


def _observe(call: Callable[[], dict[str, Any]]) -> str:
    try:
        record = call()
    except BaseException as error:  # noqa: BLE001 - whatever reached the app is what the test wants to see
        record = {"raised": _type(error), "message": str(error)}
    return json.dumps(record, sort_keys=True)


def main() -> None:
    sync_openai = openai.OpenAI(api_key="sk-outage-FAKEKEY-0123", max_retries=0)
    async_openai = openai.AsyncOpenAI(api_key="sk-outage-FAKEKEY-0123", max_retries=0)
    sync_anthropic = anthropic.Anthropic(api_key="sk-ant-outage-FAKEKEY", max_retries=0)
    loop = asyncio.new_event_loop()
    for line in sys.stdin:
        command, *args = line.split()
        if command == "exit":
            break
        tag, rounds = args[0], int(args[1])
        gpt, claude = f"gpt-{tag}", f"claude-{tag}"
        seen: Counter[str] = Counter()
        calls = (partial(_openai_chat, sync_openai, gpt), partial(_openai_stream, sync_openai, gpt),
                 partial(_openai_async, async_openai, loop, gpt), partial(_anthropic_message, sync_anthropic, claude),
                 partial(_anthropic_stream, sync_anthropic, claude))
        for _ in range(rounds):
            for call in calls:
                seen[_observe(call)] += 1
        print(json.dumps({"tag": tag, "seen": dict(seen)}), flush=True)
    loop.run_until_complete(async_openai.close())
    loop.close()
    sync_openai.close()
    sync_anthropic.close()
    print("bye", flush=True)


if __name__ == "__main__":
    main()
