"""CPU the issue-7 extensions add per OpenAI chat call, timed in process without the network (stable on a busy machine).

    python benchmarks/bench_extensions.py [--repeat 9] [--number 3000]

The engine's real wrapper for ``Completions.create`` runs around a stand-in for the SDK call that makes one HTTP
attempt through genai-otel's ``send`` wrapper (answered at once with a real ``httpx2.Response`` carrying OpenAI's
request-id header, and its rate-limit headers in that row) and returns a ``ChatCompletion`` parsed beforehand.
Rows: the recorder without extensions (the baseline), with them and no hook, with the rate-limit headers, with a
JSON-output check, and with one sync ``end`` hook (its thread hop included). Process CPU time (all threads, so a
busy machine does not count), best of ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import sys
import time
import timeit
from contextvars import ContextVar
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx2  # noqa: E402
import openai  # noqa: E402
from _harness import providers  # noqa: E402

import genai_otel  # noqa: E402
from genai_otel.genai.metrics import GenAIInstruments  # noqa: E402
from genai_otel.genai.recorder import Recorder  # noqa: E402
from genai_otel.instrumentation import _base, _http_attempts  # noqa: E402
from genai_otel.instrumentation._base import PatchTarget, _make_wrapper  # noqa: E402
from genai_otel.instrumentation._extensions import Extensions, attempts_of  # noqa: E402
from genai_otel.instrumentation.openai.adapter import ChatSurface, OpenAIAdapter  # noqa: E402

MESSAGES = [{"role": "user", "content": "benchmark"}]
COMPLETION = openai.types.chat.ChatCompletion.model_validate({
    "id": "chatcmpl-bench", "object": "chat.completion", "created": 0, "model": "gpt-4o-mini-2024-07-18",
    "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": '{"a": 1}'}}],
    "usage": {"prompt_tokens": 4, "completion_tokens": 5, "total_tokens": 9}})
HEADERS = {"x-request-id": "req_bench", "openai-processing-ms": "5", "content-type": "application/json"}
RATE_LIMITS = {"x-ratelimit-limit-requests": "10000", "x-ratelimit-limit-tokens": "200000",
               "x-ratelimit-remaining-requests": "9999", "x-ratelimit-remaining-tokens": "199990",
               "x-ratelimit-reset-requests": "8.64s", "x-ratelimit-reset-tokens": "6ms"}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--number", type=int, default=3000)
    options = parser.parse_args()
    client = openai.OpenAI(api_key="sk-bench", base_url="http://127.0.0.1:9/v1", max_retries=0)
    resource = client.chat.completions
    inside: ContextVar[Any] = _base._inside_call
    _http_attempts.install(inside, attempts_of)
    http = httpx2.Client()
    request = http.build_request("POST", "http://127.0.0.1:9/v1/chat/completions")
    print(f"openai {openai.__version__}; best of {options.repeat} runs, µs of genai-otel CPU per call")
    for kind in ("sdk", "noop"):
        tracer_provider, meter_provider = providers(kind)
        meter = meter_provider.get_meter("bench")
        adapter = OpenAIAdapter()
        surface = next(t.surface for t in adapter.targets() if isinstance(t.surface, ChatSurface))
        target = PatchTarget("openai.resources.chat.completions.completions", "Completions.create", surface)
        tracer, instruments = tracer_provider.get_tracer("bench"), GenAIInstruments(meter)
        extensions = Extensions(meter, 0.1, 60.0, inside)
        plain = _make_wrapper(target, adapter, Recorder(tracer, instruments))
        extended = _make_wrapper(target, adapter, Recorder(tracer, instruments, extensions=extensions))

        def call(wrapper: Any, headers: dict[str, str], **extra: Any) -> Any:
            response = httpx2.Response(200, headers=headers)

            def answer(*_: Any, **__: Any) -> Any:
                return response

            def sdk(**_: Any) -> Any:
                _http_attempts._sync_send(answer, http, (request,), {})  # what the patched send does per attempt
                return COMPLETION

            kwargs = {"model": "gpt-4o-mini", "messages": MESSAGES, **extra}
            return lambda: wrapper(sdk, resource, (), dict(kwargs))

        rows = [
            ("no extensions (baseline)", call(plain, HEADERS)),
            ("extensions, no hook", call(extended, HEADERS)),
            ("+ rate-limit headers", call(extended, {**HEADERS, **RATE_LIMITS})),
            ("+ JSON-output check", call(extended, HEADERS, response_format={"type": "json_object"})),
        ]
        results = {}
        for name, fn in rows:
            results[name] = min(timeit.repeat(fn, number=options.number, repeat=options.repeat,
                                               timer=time.process_time)) / options.number
        handle = genai_otel.add_hook(lambda view: None)
        try:
            fn = call(extended, HEADERS)
            results["+ one sync end hook"] = min(timeit.repeat(fn, number=options.number // 5, repeat=options.repeat,
                                                               timer=time.process_time)) / (options.number // 5)
        finally:
            handle.remove()
        base = results["no extensions (baseline)"]
        for name, seconds in results.items():
            added = "" if seconds is base else f"  (+{(seconds - base) * 1e6:5.1f} µs)"
            print(f"{kind:>4} providers  {name:<26} {seconds * 1e6:7.1f} µs{added}", flush=True)
        if hasattr(tracer_provider, "shutdown"):
            tracer_provider.shutdown()


if __name__ == "__main__":
    main()
