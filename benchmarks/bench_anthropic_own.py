"""genai-otel's own CPU per Anthropic call, timed in process without the network: the part the targets are about.

    python benchmarks/bench_anthropic_own.py [--repeat 9] [--number 2000]

``bench_anthropic.py`` measures whole calls against the fake server (instrumented minus uninstrumented); on a busy
machine that difference swings by hundreds of µs between rounds. Here the engine's real wrapper for
``Messages.create`` runs around a stand-in for the SDK call that returns a ``Message`` (or a stream of 100 text
deltas) the SDK parsed beforehand, so what is timed is exactly what instrumentation adds: request reading, span,
metrics, cost, response reading, and per chunk the stream proxy and the accumulator. Best of ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import json
import sys
import timeit
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import anthropic  # noqa: E402
from _harness import providers  # noqa: E402

from genai_otel.genai.metrics import GenAIInstruments  # noqa: E402
from genai_otel.genai.recorder import Recorder  # noqa: E402
from genai_otel.instrumentation._base import PatchTarget, _make_wrapper  # noqa: E402
from genai_otel.instrumentation.anthropic.adapter import AnthropicAdapter, MessagesSurface  # noqa: E402
from genai_otel.testing.fake_llm._anthropic import message_events  # noqa: E402

MESSAGES = [{"role": "user", "content": "benchmark"}]
KWARGS: dict[str, Any] = {"model": "claude-haiku-4-5", "max_tokens": 1024, "messages": MESSAGES}
TEXT = " ".join(f"word{i}" for i in range(100))
MESSAGE = {"model": "claude-haiku-4-5-20251001", "id": "msg_bench", "type": "message", "role": "assistant",
           "content": [{"type": "text", "text": TEXT}], "stop_reason": "end_turn", "stop_sequence": None,
           "stop_details": None, "usage": {"input_tokens": 4, "cache_creation_input_tokens": 0,
                                           "cache_read_input_tokens": 0, "output_tokens": 100}}


class _Stream(anthropic.Stream):  # type: ignore[type-arg]
    """An ``anthropic.Stream`` over events the SDK parsed beforehand (no HTTP): the engine treats it as the SDK's."""

    def __init__(self, events: list[Any]) -> None:  # noqa: D107 - deliberately skips the SDK's constructor
        self._events = iter(events)

    def __next__(self) -> Any:
        return next(self._events)

    def __iter__(self) -> Any:
        return self

    def close(self) -> None:
        pass


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--number", type=int, default=2000)
    options = parser.parse_args()
    client = anthropic.Anthropic(api_key="sk-ant-bench", base_url="http://127.0.0.1:9", max_retries=0)
    resource = client.messages
    message = anthropic.types.Message.model_validate(MESSAGE)
    event_type: Any = anthropic.types.RawMessageStreamEvent
    from pydantic import TypeAdapter

    events = [TypeAdapter(event_type).validate_python(json.loads(json.dumps(payload)))
              for _name, payload, _content in message_events(MESSAGE, ping=False)]
    print(f"anthropic {anthropic.__version__}; {len(events)} events per stream; best of {options.repeat} runs, "
          f"µs of genai-otel CPU per call")

    for kind in ("sdk", "noop"):
        tracer_provider, meter_provider = providers(kind)
        adapter = AnthropicAdapter()
        targets = adapter.targets()
        surface = next(t.surface for t in targets if isinstance(t.surface, MessagesSurface))
        recorder = Recorder(tracer_provider.get_tracer("bench"), GenAIInstruments(meter_provider.get_meter("bench")))
        wrapper = _make_wrapper(PatchTarget("anthropic.resources.messages", "Messages.create", surface), adapter,
                                recorder)

        def plain_call() -> Any:
            return message

        def plain_stream() -> None:
            for _ in _Stream(events):
                pass

        def instrumented_call(wrapper: Any = wrapper) -> Any:
            return wrapper(lambda **_: message, resource, (), KWARGS)

        def instrumented_stream(wrapper: Any = wrapper) -> None:
            for _ in wrapper(lambda **_: _Stream(events), resource, (), {**KWARGS, "stream": True}):
                pass

        for name, plain, instrumented, number in (
            ("non-stream", plain_call, instrumented_call, options.number),
            ("100-chunk stream", plain_stream, instrumented_stream, max(1, options.number // 10)),
        ):
            base = min(timeit.repeat(plain, number=number, repeat=options.repeat)) / number * 1e6
            with_us = min(timeit.repeat(instrumented, number=number, repeat=options.repeat)) / number * 1e6
            print(f"{kind:>4} providers  {name:<18} added {with_us - base:7.1f} µs  "
                  f"(plain {base:7.1f} µs, instrumented {with_us:7.1f} µs)", flush=True)
        if hasattr(tracer_provider, "shutdown"):
            tracer_provider.shutdown()


if __name__ == "__main__":
    main()
