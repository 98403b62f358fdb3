"""An OpenAI app that keeps calling for a while: no telemetry code at all. Run it under ``opentelemetry-instrument``.

It exists for end-to-end runs against a real backend (``tests/e2e/test_prometheus_end_to_end.py``): a scraper or a
collector needs traffic that lasts, not five calls. It reads ``OPENAI_BASE_URL`` / ``OPENAI_API_KEY`` like any OpenAI
app and is meant to talk to the bundled fake LLM server, which it steers with the ``x-fake-llm`` request header.

Every round of ten calls has the same mix, so the rates are predictable:

* 3 plain chat calls (``gpt-4o-mini``, priced) and 1 chat call to a model the price table does not know;
* 3 streamed chat calls with usage, a 20 ms wait before the first chunk and 5 ms between chunks;
* 3 failures: two HTTP 500 (``openai.InternalServerError``) and one 429 (``openai.RateLimitError``), i.e. 30% errors,
  far above the 5% error-rate alert threshold. ``max_retries=0``, so every failure is one failed call.

Environment (besides the OpenAI ones):

``STEADY_TRAFFIC_SECONDS``  how long to run (default 60); SIGTERM or SIGINT stop it earlier, cleanly, so the
                            SDK still flushes its telemetry at exit.
``STEADY_TRAFFIC_INTERVAL`` seconds to pause between calls (default 0.05).

At the end it prints how many calls of each kind it made, and how many failed, on one line:
``calls made: failed=30 plain=30 rate_limited=10 server_error=20 stream=30 unpriced=10``.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable
from types import FrameType

import openai
from openai.types.chat import ChatCompletionMessageParam

MODEL = "gpt-4o-mini"
UNPRICED_MODEL = "in-house-chat-v1"
MESSAGES: list[ChatCompletionMessageParam] = [{"role": "user", "content": "Write one sentence about observability."}]


def plain(client: openai.OpenAI) -> None:
    client.chat.completions.create(model=MODEL, messages=MESSAGES)


def unpriced(client: openai.OpenAI) -> None:
    client.chat.completions.create(model=UNPRICED_MODEL, messages=MESSAGES)


def stream(client: openai.OpenAI) -> None:
    chunks = client.chat.completions.create(
        model=MODEL,
        messages=MESSAGES,
        stream=True,
        stream_options={"include_usage": True},
        extra_headers={"x-fake-llm": "delay_ms=20,chunk_delay_ms=5"},
    )
    for _ in chunks:
        pass


def server_error(client: openai.OpenAI) -> None:
    client.chat.completions.create(model=MODEL, messages=MESSAGES, extra_headers={"x-fake-llm": "status=500"})


def rate_limited(client: openai.OpenAI) -> None:
    client.chat.completions.create(model=MODEL, messages=MESSAGES, extra_headers={"x-fake-llm": "status=429"})


ROUND: list[Callable[[openai.OpenAI], None]] = [
    plain,
    server_error,
    stream,
    plain,
    rate_limited,
    stream,
    unpriced,
    server_error,
    stream,
    plain,
]


def main() -> None:
    seconds = float(os.environ.get("STEADY_TRAFFIC_SECONDS", "60"))
    interval = float(os.environ.get("STEADY_TRAFFIC_INTERVAL", "0.05"))
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    client = openai.OpenAI(max_retries=0)
    made: Counter[str] = Counter()
    deadline = time.monotonic() + seconds
    calls = 0
    while not stop.is_set() and time.monotonic() < deadline:
        call = ROUND[calls % len(ROUND)]
        try:
            call(client)
        except openai.APIStatusError:
            made["failed"] += 1
        made[call.__name__] += 1
        calls += 1
        stop.wait(interval)

    print("calls made:", " ".join(f"{name}={count}" for name, count in sorted(made.items())), flush=True)


if __name__ == "__main__":
    main()
