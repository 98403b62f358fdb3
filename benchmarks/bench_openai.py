"""Added CPU µs per OpenAI chat call: non-stream, 100-chunk stream, 32 concurrent async calls.

    python benchmarks/bench_openai.py [--rounds 15] [--calls 200]

Targets (issue 2): at most 85 µs added per non-stream call and 185 µs per 100-chunk stream.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import openai  # noqa: E402
from _harness import compare, fake_server, providers  # noqa: E402

from genai_otel.instrumentation.openai import OpenAIInstrumentor  # noqa: E402

MESSAGES = [{"role": "user", "content": "benchmark"}]


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
    instrumentor = OpenAIInstrumentor()

    def instrument() -> None:
        instrumentor.instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)

    with fake_server() as url:
        client = openai.OpenAI(api_key="sk-bench", base_url=f"{url}/v1", max_retries=0)
        aclient = openai.AsyncOpenAI(api_key="sk-bench", base_url=f"{url}/v1", max_retries=0)
        calls = options.calls

        def non_stream() -> None:
            for _ in range(calls):
                client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)

        def stream_100() -> None:
            for _ in range(calls // 4):
                for _chunk in client.chat.completions.create(
                        model="gpt-4o-mini", messages=MESSAGES, stream=True, stream_options={"include_usage": True},
                        extra_headers={"x-fake-llm": "chunks=100"}):
                    pass

        loop = asyncio.new_event_loop()

        def concurrent_32() -> None:
            async def batch() -> None:
                await asyncio.gather(*(aclient.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
                                       for _ in range(32)))
            for _ in range(max(1, calls // 32)):
                loop.run_until_complete(batch())

        print(f"openai {openai.__version__}, {kind} providers, {options.rounds} rounds, CPU time per call")
        compare("chat, non-stream", non_stream, calls, instrument, instrumentor.uninstrument, options.rounds)
        compare("chat, 100-chunk stream", stream_100, calls // 4, instrument, instrumentor.uninstrument,
                options.rounds)
        compare("chat, 32 concurrent async", concurrent_32, max(1, calls // 32) * 32, instrument,
                instrumentor.uninstrument, options.rounds)
        loop.run_until_complete(aclient.close())
        loop.close()
        client.close()


if __name__ == "__main__":
    main()
