"""genai-otel's own CPU per OpenAI chat call, timed in process without the network.

    python benchmarks/bench_openai_own.py [--repeat 7] [--number 2000]

``bench_openai.py`` times whole calls against the fake server; on a busy 2-core machine the difference between
instrumented and uninstrumented rounds swings by hundreds of µs. Here the engine's real wrapper for
``Completions.create`` runs around a stand-in for the SDK call that returns a ``ChatCompletion`` (or a stream of 100
chunks) parsed beforehand, so what is timed is exactly what the instrumentation adds per call: request reading,
span, metrics, cost, response reading, and per chunk the stream proxy and the accumulator. Best of ``--repeat``.
Two provider set-ups: real SDK providers (what an app pays) and no-op providers (genai-otel's own Python only).
"""

from __future__ import annotations

import argparse
import sys
import timeit
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import openai  # noqa: E402
from _harness import providers  # noqa: E402
from openai.types.chat import ChatCompletion, ChatCompletionChunk  # noqa: E402

from genai_otel.instrumentation._base import GenAIInstrumentor, _make_wrapper  # noqa: E402
from genai_otel.instrumentation.openai import OpenAIInstrumentor  # noqa: E402

MESSAGES = [{"role": "user", "content": "benchmark"}]
_BASE = {"id": "chatcmpl-b", "created": 1, "model": "gpt-4o-mini-2024-07-18", "system_fingerprint": "fp_b",
         "service_tier": "default"}
COMPLETION = ChatCompletion.model_validate({
    **_BASE, "object": "chat.completion",
    "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "hi there"}}],
    "usage": {"prompt_tokens": 12, "completion_tokens": 5, "total_tokens": 17,
              "prompt_tokens_details": {"cached_tokens": 0}, "completion_tokens_details": {"reasoning_tokens": 0}},
})
CHUNKS = [ChatCompletionChunk.model_validate({**_BASE, "object": "chat.completion.chunk",
                                              "choices": [{"index": 0, "delta": {"content": "w "}}]})
          for _ in range(98)]
CHUNKS.append(ChatCompletionChunk.model_validate({**_BASE, "object": "chat.completion.chunk",
                                                  "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}))
CHUNKS.append(ChatCompletionChunk.model_validate({**_BASE, "object": "chat.completion.chunk", "choices": [],
                                                  "usage": {"prompt_tokens": 12, "completion_tokens": 98,
                                                            "total_tokens": 110}}))


class _FakeStream(openai.Stream):  # type: ignore[type-arg]
    """An ``openai.Stream`` over pre-parsed chunks, so the engine classifies and proxies it like the real one."""

    def __init__(self) -> None:  # noqa: D107 - deliberately skips the SDK's HTTP set-up
        self._iterator = iter(CHUNKS)

    def close(self) -> None:
        pass


def _measure(kind: str, number: int, repeat: int) -> dict[str, float]:
    tracer_provider, meter_provider = providers(kind)
    instrumentor = OpenAIInstrumentor()
    instrumentor.instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)
    try:
        adapter, recorder = instrumentor._current
        target = next(t for t in adapter.targets() if t.method == "Completions.create")
        wrapper = _make_wrapper(target, adapter, recorder)
    finally:
        instrumentor.uninstrument()
    client = openai.OpenAI(api_key="sk-bench", base_url="https://api.openai.com/v1")
    resource = client.chat.completions

    def plain(**_: Any) -> ChatCompletion:
        return COMPLETION

    def streamed(**_: Any) -> _FakeStream:
        return _FakeStream()

    def one_call() -> None:
        wrapper(plain, resource, (), {"model": "gpt-4o-mini", "messages": MESSAGES})

    def one_stream() -> None:
        for _ in wrapper(streamed, resource, (), {"model": "gpt-4o-mini", "messages": MESSAGES, "stream": True,
                                                  "stream_options": {"include_usage": True}}):
            pass

    def bare_stream() -> None:
        for _ in streamed():
            pass

    results = {}
    for name, function, baseline in (("non-stream", one_call, lambda: plain()),
                                      ("100-chunk stream", one_stream, bare_stream)):
        count = number if name == "non-stream" else max(1, number // 10)
        spent = min(timeit.repeat(function, number=count, repeat=repeat)) / count
        base = min(timeit.repeat(baseline, number=count, repeat=repeat)) / count
        results[name] = (spent - base) * 1e6
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--number", type=int, default=2000)
    options = parser.parse_args()
    assert issubclass(OpenAIInstrumentor, GenAIInstrumentor)
    for kind in ("sdk", "noop"):
        figures = _measure(kind, options.number, options.repeat)
        print(f"openai {openai.__version__}, {kind} providers: " +
              ", ".join(f"{name} +{value:.1f} µs" for name, value in figures.items()), flush=True)


if __name__ == "__main__":
    main()
