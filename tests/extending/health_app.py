"""A small app for tests/extending/test_health.py, run under ``opentelemetry-instrument``: three OpenAI calls, each
tripping self-health counters (hooks come from ``GENAI_OTEL_HOOKS``, content limits from the environment)."""

from __future__ import annotations

import openai

from genai_otel.testing.faults import find_step, inject


def main() -> None:
    client = openai.OpenAI(max_retries=0)
    long_prompt = [{"role": "user", "content": "All work and no play. " * 100}]  # over a 256-byte content budget
    client.chat.completions.create(model="gpt-4o-mini", messages=long_prompt)
    client.chat.completions.create(model="house-model-without-a-price", messages=[{"role": "user", "content": "Hi"}])
    with inject(find_step("genai_otel.instrumentation.openai._usage.usage_of")):  # a bug of ours, for one call
        reply = client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "Hi"}])
    print("answer:", reply.choices[0].message.content)


if __name__ == "__main__":
    main()
