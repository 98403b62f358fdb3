"""OpenAI ``POST /v1/embeddings`` and the legacy ``POST /v1/completions`` (JSON and SSE)."""

from __future__ import annotations

import base64
import math
import struct
import zlib
from typing import Any

from genai_otel.testing.fake_llm._call import Call
from genai_otel.testing.fake_llm._replies import Frame, Reply, json_reply, sse_data, sse_done, sse_stream
from genai_otel.testing.fake_llm._text import DEFAULT_CHUNKS, content_text, count_words, dated_model, split_words

_EMBEDDING_SIZES = {"text-embedding-3-large": 3072}
DEFAULT_EMBEDDING_SIZE = 1536
LEGACY_DEFAULT_MAX_TOKENS = 16


def embeddings(call: Call) -> Reply:
    body = call.body
    model = str(body.get("model", ""))
    inputs = _as_list(body.get("input"))
    size = body.get("dimensions") or _EMBEDDING_SIZES.get(model, DEFAULT_EMBEDDING_SIZE)
    as_base64 = body.get("encoding_format") == "base64"
    data = []
    for index, item in enumerate(inputs):
        vector = embedding_vector(item, size)
        encoded: Any = base64.b64encode(struct.pack(f"<{size}f", *vector)).decode() if as_base64 else vector
        data.append({"object": "embedding", "index": index, "embedding": encoded})
    tokens = sum(_token_count(item) for item in inputs)
    payload = {
        "object": "list",
        "data": data,
        "model": model,
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }
    return json_reply(payload, newline=True, headers={"openai-model": model})


def embedding_vector(item: Any, size: int) -> list[float]:
    """A unit-length vector seeded by the CRC32 of the input: the same input always embeds the same way."""
    state = zlib.crc32(repr(item).encode()) or 1
    raw = []
    for _ in range(size):
        state = (state * 1103515245 + 12345) % 2**31
        raw.append(state / 2**30 - 1.0)
    norm = math.sqrt(sum(value * value for value in raw)) or 1.0
    return [round(value / norm, 8) for value in raw]


def text_completion(call: Call) -> Reply:
    body, directives = call.body, call.directives
    text = content_text(DEFAULT_CHUNKS if directives.chunks is None else directives.chunks)
    finish = "stop"
    limit = body.get("max_tokens", LEGACY_DEFAULT_MAX_TOKENS)
    if isinstance(limit, int) and count_words(text) > limit:
        text, finish = "".join(split_words(text)[:limit]).strip(), "length"
    finish = directives.finish or finish
    prompts = _as_list(body.get("prompt")) or [""]
    choice_count = len(prompts) * (body.get("n") or 1)
    prompt_tokens = sum(_token_count(prompt) for prompt in prompts)
    completion_tokens = choice_count * count_words(text)
    header = {"id": call.make_id("cmpl-"), "object": "text_completion", "created": call.created}
    model = dated_model(str(body.get("model", "")))
    usage = {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }
    if not call.stream:
        choices = [
            {"text": text, "index": index, "logprobs": None, "finish_reason": finish} for index in range(choice_count)
        ]
        return json_reply({**header, "model": model, "choices": choices, "usage": usage}, newline=True)
    include_usage = bool((body.get("stream_options") or {}).get("include_usage"))

    def chunk(choices: list[dict[str, Any]], chunk_usage: dict[str, Any] | None, is_content: bool) -> Frame:
        payload = {**header, "choices": choices, "model": model}
        if include_usage:
            payload["usage"] = chunk_usage
        return sse_data(payload, is_content=is_content)

    frames = [
        chunk([{"text": piece, "index": index, "logprobs": None, "finish_reason": None}], None, True)
        for piece in split_words(text)
        for index in range(choice_count)
    ]
    frames += [
        chunk([{"text": "", "index": index, "logprobs": None, "finish_reason": finish}], None, False)
        for index in range(choice_count)
    ]
    if include_usage:
        frames.append(chunk([], usage, False))
    return sse_stream([*frames, sse_done()])


def _as_list(value: Any) -> list[Any]:
    """Inputs and prompts: one string, a list of strings, one token array or a list of token arrays."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and value and all(isinstance(item, int) for item in value):
        return [value]
    return list(value) if isinstance(value, list) else [value]


def _token_count(item: Any) -> int:
    """Words of a string; the length of a token array."""
    return len(item) if isinstance(item, list) else count_words(str(item))
