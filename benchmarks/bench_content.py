"""What message content costs per OpenAI chat call, in process (no network): the prompt hash with capture off, and
full capture (redaction, limits, span attributes, event) when it is on.

    python benchmarks/bench_content.py [--repeat 9] [--number 2000]

The engine's real wrapper for ``Completions.create`` runs around a stand-in for the SDK call returning a
``ChatCompletion`` parsed beforehand, with no-op providers, so what is timed is genai-otel's own work. Rows:

- ``no content step``: the recorder without a content step (genai-otel before issue 5, for comparison);
- ``NO_CONTENT``: the default, i.e. the prompt hash only;
- ``SPAN_AND_EVENT``: everything on.

for three prompts: one short user message; a 10-message conversation with a system prompt and two tools; a
100 KB conversation. And the hash alone (normalize + hash) for each prompt.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import timeit
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import openai  # noqa: E402
from _harness import providers  # noqa: E402

from genai_otel.genai.content import ContentCapture, ContentSettings, PromptHasher, build_chain  # noqa: E402
from genai_otel.genai.content._config import CaptureMode  # noqa: E402
from genai_otel.genai.metrics import GenAIInstruments  # noqa: E402
from genai_otel.genai.recorder import Recorder  # noqa: E402
from genai_otel.instrumentation._base import PatchTarget, _make_wrapper  # noqa: E402
from genai_otel.instrumentation.openai._content import chat_prompt  # noqa: E402
from genai_otel.instrumentation.openai.adapter import ChatSurface, OpenAIAdapter  # noqa: E402

TOOL = {"type": "function", "function": {"name": "get_weather", "description": "Weather in a city", "parameters": {
    "type": "object", "properties": {"location": {"type": "string"}, "unit": {"enum": ["c", "f"]}}}}}
SHORT = [{"role": "user", "content": "benchmark"}]
CONVERSATION = [{"role": "system", "content": "You are a helpful assistant. " * 10}] + [
    {"role": "user" if i % 2 else "assistant", "content": f"Message {i}: " + "some words here " * 20}
    for i in range(9)]
LARGE = [{"role": "user" if i % 2 else "assistant", "content": "x" * 10_000} for i in range(10)]
PROMPTS: dict[str, dict[str, Any]] = {
    "1 short message": {"messages": SHORT},
    "10 messages + 2 tools": {"messages": CONVERSATION, "tools": [TOOL, TOOL]},
    "100 KB conversation": {"messages": LARGE},
}
COMPLETION = {"id": "chatcmpl-bench", "object": "chat.completion", "created": 0, "model": "gpt-4o-mini-2024-07-18",
              "choices": [{"index": 0, "finish_reason": "stop", "message": {
                  "role": "assistant", "content": " ".join(f"word{i}" for i in range(100))}}],
              "usage": {"prompt_tokens": 4, "completion_tokens": 100, "total_tokens": 104}}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--number", type=int, default=2000)
    options = parser.parse_args()
    client = openai.OpenAI(api_key="sk-bench", base_url="http://127.0.0.1:9/v1", max_retries=0)
    resource = client.chat.completions
    completion = openai.types.chat.ChatCompletion.model_validate(COMPLETION)
    tracer_provider, meter_provider = providers("noop")
    adapter = OpenAIAdapter()
    surface = next(t.surface for t in adapter.targets() if isinstance(t.surface, ChatSurface))
    given = surface._sdk.given
    hasher = PromptHasher()
    print(f"openai {openai.__version__}; best of {options.repeat} runs, µs of genai-otel process CPU per call, "
          "no-op providers")

    def timed(function: Any, number: int) -> float:
        best = min(timeit.repeat(function, number=number, repeat=options.repeat, timer=time.process_time))
        return best / number * 1e6

    for name, kwargs in PROMPTS.items():
        number = options.number if "KB" not in name else max(1, options.number // 20)
        call_kwargs = {"model": "gpt-4o-mini", **kwargs}

        def hash_only(call_kwargs: dict[str, Any] = call_kwargs) -> str:
            prompt = chat_prompt(given, resource, call_kwargs, False)
            assert prompt is not None
            return hasher(prompt.system_instructions, prompt.input_messages, prompt.tool_definitions)

        print(f"{name}: normalize + hash alone {timed(hash_only, number):8.1f} µs")
        rows = {"no content step": None, "NO_CONTENT": CaptureMode.NO_CONTENT,
                "SPAN_AND_EVENT": CaptureMode.SPAN_AND_EVENT}
        baseline = None
        for label, mode in rows.items():
            content = None
            if mode is not None:
                chain = build_chain(dict(os.environ)) if mode.captures else build_chain({"GENAI_OTEL_REDACT": "none"})
                from opentelemetry._logs import NoOpLoggerProvider

                content = ContentCapture(ContentSettings(mode=mode), chain,
                                         NoOpLoggerProvider().get_logger("bench"), meter_provider.get_meter("bench"))
            instruments = GenAIInstruments(meter_provider.get_meter("bench"))
            recorder = Recorder(tracer_provider.get_tracer("bench"), instruments,
                                content=content)
            wrapper = _make_wrapper(PatchTarget("openai.resources.chat.completions.completions", "Completions.create",
                                                surface), adapter, recorder)

            def call(wrapper: Any = wrapper, call_kwargs: dict[str, Any] = call_kwargs) -> Any:
                return wrapper(lambda **_: completion, resource, (), dict(call_kwargs))

            us = timed(call, number)
            baseline = us if baseline is None else baseline
            print(f"    {label:<16} {us:8.1f} µs per call  ({us - baseline:+7.1f} µs)", flush=True)


if __name__ == "__main__":
    main()
