"""A writer process for the local-store tests.

``writer_app.py calls N``
    A plain OpenAI app (no telemetry code): N chat calls to ``OPENAI_BASE_URL``. Run it under
    ``opentelemetry-instrument``; with nothing configured its spans go to the local store.
``writer_app.py replay PATH BATCHES SIZE``
    Makes three real calls (plain, streamed, failed) through an instrumented client, then writes BATCHES batches of
    SIZE copies of those spans (each with a new span id) to the store at PATH through ``LocalStoreSpanExporter``,
    printing ``begin B`` before and ``committed ROWS RESULT`` after each export.
"""

from __future__ import annotations

import os
import sys

import openai


def calls(count: int) -> None:
    client = openai.OpenAI(max_retries=0)
    for _ in range(count):
        client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "Say hi"}])


def replay(path: str, batches: int, size: int) -> None:
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from genai_otel.instrumentation.openai import OpenAIInstrumentor
    from genai_otel.localstore import LocalStoreSpanExporter
    from tests.localstore._support import clone_span

    memory = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    OpenAIInstrumentor().instrument(tracer_provider=provider, meter_provider=MeterProvider())
    client = openai.OpenAI(max_retries=0)
    messages = [{"role": "user", "content": "Say hi"}]
    client.chat.completions.create(model="gpt-4o-mini", messages=messages)
    for _ in client.chat.completions.create(model="gpt-4o-mini", messages=messages, stream=True):
        pass
    try:
        client.chat.completions.create(model="gpt-4o-mini", messages=messages,
                                       extra_headers={"x-fake-llm": "status=500"})
    except openai.InternalServerError:
        pass
    spans = memory.get_finished_spans()
    assert len(spans) == 3, spans
    exporter = LocalStoreSpanExporter(path)
    for batch in range(batches):
        copies = [clone_span(spans[i % len(spans)]) for i in range(size)]
        print(f"begin {batch}", flush=True)
        result = exporter.export(copies)
        print(f"committed {(batch + 1) * size} {result.name}", flush=True)
    exporter.shutdown()


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "calls":
        calls(int(sys.argv[2]))
    elif mode == "replay":
        replay(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    else:
        sys.exit(f"unknown mode {mode!r} (pid {os.getpid()})")
