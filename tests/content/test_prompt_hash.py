"""``genai_otel.prompt.hash``: on every inference span whatever the capture mode, stable, salted on request."""

from __future__ import annotations

import hmac
import subprocess
import sys
from hashlib import sha256
from typing import Any

import openai
import pytest

from genai_otel.genai.content import prompt_hash
from genai_otel.genai.content._hash import canonical as genai_canonical
from tests.content.conftest import capturing, directives

MODEL = "gpt-4o-mini"
HASH = "genai_otel.prompt.hash"
HI = [{"role": "user", "content": "Hi"}]


def canonical(value: Any) -> str:
    """The documented canonical form, written here independently of genai-otel's code."""
    if isinstance(value, str):
        return f"s{len(value)}:{value}"
    if isinstance(value, dict):
        return f"d{len(value)}:" + "".join(canonical(k) + canonical(v) for k, v in value.items())
    if isinstance(value, list):
        return f"l{len(value)}:" + "".join(canonical(v) for v in value)
    if value is None:
        return "n"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, int):
        return f"i{value};"
    return f"r{value!r};"


def expected_hash(system: list[Any], messages: list[Any], tools: list[Any], key: bytes = b"") -> str:
    data = canonical([system, messages, tools]).encode()
    digest = hmac.new(key, data, sha256).hexdigest() if key else sha256(data).hexdigest()
    return digest[:32]


HI_HASH = expected_hash([], [{"role": "user", "parts": [{"type": "text", "content": "Hi"}]}], [])


def hashes(telemetry: Any) -> list[str | None]:
    return [span.attributes.get(HASH) for span in telemetry.genai_spans()]


def test_on_every_inference_span_with_capture_off(client: openai.OpenAI, telemetry: Any) -> None:
    client.chat.completions.create(model=MODEL, messages=HI)
    for _ in client.chat.completions.create(model=MODEL, messages=HI, stream=True):
        pass
    client.responses.create(model=MODEL, input=HI)
    with client.responses.stream(model=MODEL, input="Hi") as stream:
        stream.until_done()
    client.completions.create(model="gpt-3.5-turbo-instruct", prompt="Hi")
    for _ in client.completions.create(model="gpt-3.5-turbo-instruct", prompt="Hi", stream=True):
        pass
    client.embeddings.create(model="text-embedding-3-small", input="Hi")
    assert hashes(telemetry) == [HI_HASH] * 6 + [None]  # not on embeddings
    for span in telemetry.genai_spans():
        assert not {"gen_ai.input.messages", "gen_ai.output.messages"} & set(span.attributes)


async def test_async_calls(aclient: openai.AsyncOpenAI, aclaude: Any, telemetry: Any) -> None:
    with capturing(None):
        await aclient.chat.completions.create(model=MODEL, messages=HI)
        async for _ in await aclient.chat.completions.create(model=MODEL, messages=HI, stream=True):
            pass
        await aclient.responses.create(model=MODEL, input="Hi")
        await aclaude.messages.create(model="claude-haiku-4-5", max_tokens=100, messages=HI)
        async with aclaude.messages.stream(model="claude-haiku-4-5", max_tokens=100, messages=HI) as stream:
            await stream.until_done()
    assert hashes(telemetry) == [HI_HASH] * 5


def test_anthropic(claude: Any, telemetry: Any) -> None:
    with capturing(None):
        claude.messages.create(model="claude-haiku-4-5", max_tokens=100, messages=HI)
        claude.messages.create(model="claude-haiku-4-5", max_tokens=100, messages=HI, system="Sys")
        for _ in claude.messages.create(model="claude-haiku-4-5", max_tokens=100, messages=HI, stream=True):
            pass
        with claude.messages.stream(model="claude-haiku-4-5", max_tokens=100, messages=HI, system="Sys") as stream:
            stream.until_done()
    hi = [{"role": "user", "parts": [{"type": "text", "content": "Hi"}]}]
    with_system = expected_hash([{"type": "text", "content": "Sys"}], hi, [])
    assert hashes(telemetry) == [HI_HASH, with_system, HI_HASH, with_system]


def test_the_same_prompt_gives_the_same_hash(client: openai.OpenAI, telemetry: Any) -> None:
    first = client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "Ping"}])
    history = [{"role": "user", "content": "Ping"}, first.choices[0].message, {"role": "user", "content": "Again"}]
    same = [{"role": "user", "content": "Ping"}, {"role": "assistant", "content": first.choices[0].message.content},
            {"role": "user", "content": "Again"}]
    client.chat.completions.create(model=MODEL, messages=history)  # an SDK object in the history
    client.chat.completions.create(model="gpt-4o", messages=same, temperature=0.1, seed=3, stream=False,
                                   extra_headers={"x-trace": "abc"})
    for _ in client.chat.completions.create(model=MODEL, messages=same, stream=True, **directives(chunks=2)):
        pass
    _, *rest = hashes(telemetry)
    assert len(set(rest)) == 1


def test_any_change_gives_another_hash(client: openai.OpenAI, telemetry: Any) -> None:
    tool = {"type": "function", "function": {"name": "f", "parameters": {"type": "object", "properties": {}}}}
    other_tool = {"type": "function", "function": {"name": "g", "parameters": {"type": "object", "properties": {}}}}
    calls: list[dict[str, Any]] = [
        {"messages": HI},
        {"messages": [{"role": "user", "content": "Hi!"}]},
        {"messages": [{"role": "system", "content": "Be terse."}, *HI]},
        {"messages": [*HI, {"role": "user", "content": "more"}]},
        {"messages": HI, "tools": [tool]},
        {"messages": HI, "tools": [other_tool]},
        {"messages": [{"role": "assistant", "content": "Hi"}]},
    ]
    for call in calls:
        client.chat.completions.create(model=MODEL, **call)
    found = hashes(telemetry)
    assert len(set(found)) == len(calls)
    assert found[0] == HI_HASH


def test_capture_mode_does_not_change_it(client: openai.OpenAI, telemetry: Any, logs: Any) -> None:
    for mode in ("NO_CONTENT", "SPAN_ONLY", "SPAN_AND_EVENT"):
        with capturing(mode, env={"GENAI_OTEL_REDACT": "all"}):
            client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "bob@example.com"}])
    assert len(set(hashes(telemetry))) == 1  # taken before redaction, so it is the same in every mode


def test_salt(client: openai.OpenAI, telemetry: Any) -> None:
    with capturing(None, env={"GENAI_OTEL_PROMPT_HASH_SALT": "pepper-7f1c"}):
        client.chat.completions.create(model=MODEL, messages=HI)
    salted = hashes(telemetry)[0]
    assert salted == expected_hash([], [{"role": "user", "parts": [{"type": "text", "content": "Hi"}]}], [],
                                   key=b"pepper-7f1c")
    assert salted != HI_HASH
    assert "pepper-7f1c" not in str(dict(telemetry.only_span().attributes))


def test_canonical_form_of_every_type() -> None:
    value = {"s": "é\n\"", "i": -3, "f": 0.5, "b": [True, False, None], "t": ("x",), "k": {"nested": []}}
    assert genai_canonical(value) == 'd6:s1:ss3:é\n"s1:ii-3;s1:fr0.5;s1:bl3:tfns1:tl1:s1:xs1:kd1:s6:nestedl0:'
    assert prompt_hash([], [{"role": "user", "parts": [{"type": "text", "content": "Hi"}]}], []) == HI_HASH
    assert prompt_hash([], [], [], b"k" * 200) == expected_hash([], [], [], key=b"k" * 200)  # any salt length


def test_stable_across_processes() -> None:
    code = ("from genai_otel.genai.content import prompt_hash; "
            "print(prompt_hash([], [{'role': 'user', 'parts': [{'type': 'text', 'content': 'Hi'}]}], []))")
    for seed in ("1", "2"):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                             env={"PYTHONHASHSEED": seed, "PATH": ""}).stdout.strip()
        assert out == HI_HASH


def test_messages_that_cannot_be_read_twice_are_left_alone(client: openai.OpenAI, server: Any,
                                                           telemetry: Any) -> None:
    """A generator of messages is the SDK's to consume: reading it would send an empty conversation."""
    client.chat.completions.create(model=MODEL, messages=(m for m in HI))
    assert server.requests[-1].body["messages"] == HI
    assert hashes(telemetry) == [None]


@pytest.mark.parametrize("mode", ["NO_CONTENT", "SPAN_AND_EVENT"])
def test_fetch_response_has_none(mode: str, client: openai.OpenAI, telemetry: Any, logs: Any) -> None:
    with capturing(mode):
        created = client.responses.create(model=MODEL, input="Hi")
        client.responses.retrieve(created.id)
    created_span, fetched_span = telemetry.genai_spans()
    assert created_span.attributes[HASH] == HI_HASH
    assert HASH not in fetched_span.attributes
    assert "gen_ai.output.messages" not in fetched_span.attributes
