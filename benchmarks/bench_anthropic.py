"""Added CPU µs per Anthropic Messages call: non-stream, 100-chunk stream (``stream=True`` and the ``stream()``
helper), 32 concurrent async calls.

    python benchmarks/bench_anthropic.py [--rounds 15] [--calls 200]

Targets (issue 3): at most 85 µs added per non-stream call and 185 µs per 100-chunk stream.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import anthropic  # noqa: E402
from _harness import compare, fake_server, providers  # noqa: E402

from genai_otel.instrumentation.anthropic import AnthropicInstrumentor  # noqa: E402

MESSAGES = [{"role": "user", "content": "benchmark"}]
MODEL = "claude-haiku-4-5"
CHUNKS_100 = {"x-fake-llm": "chunks=100"}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--providers", choices=("sdk", "noop", "both"), default="both",
                        help="sdk: real SDK providers (total cost); noop: genai-otel's own code only")
    options = parser.parse_args()
    for kind in ("sdk", "noop") if options.providers == "both" else (options.providers,):
        run_suite(options, kind)


def run_suite(options: argparse.Namespace, kind: str) -> None:
    tracer_provider, meter_provider = providers(kind)
    instrumentor = AnthropicInstrumentor()

    def instrument() -> None:
        instrumentor.instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)

    with fake_server() as url:
        client = anthropic.Anthropic(api_key="sk-ant-bench", base_url=url, max_retries=0)
        aclient = anthropic.AsyncAnthropic(api_key="sk-ant-bench", base_url=url, max_retries=0)
        calls = options.calls

        def non_stream() -> None:
            for _ in range(calls):
                client.messages.create(model=MODEL, max_tokens=1024, messages=MESSAGES)

        def stream_100() -> None:
            for _ in range(calls // 4):
                for _event in client.messages.create(model=MODEL, max_tokens=1024, messages=MESSAGES, stream=True,
                                                     extra_headers=CHUNKS_100):
                    pass

        def stream_helper_100() -> None:
            for _ in range(calls // 4):
                with client.messages.stream(model=MODEL, max_tokens=1024, messages=MESSAGES,
                                            extra_headers=CHUNKS_100) as stream:
                    stream.until_done()

        loop = asyncio.new_event_loop()

        def concurrent_32() -> None:
            async def batch() -> None:
                await asyncio.gather(*(aclient.messages.create(model=MODEL, max_tokens=1024, messages=MESSAGES)
                                       for _ in range(32)))
            for _ in range(max(1, calls // 32)):
                loop.run_until_complete(batch())

        print(f"anthropic {anthropic.__version__}, {kind} providers, {options.rounds} rounds, CPU time per call")
        compare("messages, non-stream", non_stream, calls, instrument, instrumentor.uninstrument, options.rounds)
        compare("messages, 100-chunk stream=True", stream_100, calls // 4, instrument, instrumentor.uninstrument,
                options.rounds)
        compare("messages, 100-chunk stream()", stream_helper_100, calls // 4, instrument,
                instrumentor.uninstrument, options.rounds)
        compare("messages, 32 concurrent async", concurrent_32, max(1, calls // 32) * 32, instrument,
                instrumentor.uninstrument, options.rounds)
        loop.run_until_complete(aclient.close())
        loop.close()
        client.close()


if __name__ == "__main__":
    main()
