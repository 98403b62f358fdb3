"""An application for the version tests: one call with each installed SDK, then what genai-otel patched.

Run under ``opentelemetry-instrument`` (or with ``INSTRUMENT_BY_HAND=1``). Prints one JSON line: per SDK its version,
whether the call worked, and whether its create method is wrapped.
"""

from __future__ import annotations

import json
import os
from typing import Any

import wrapt

if os.environ.get("INSTRUMENT_BY_HAND"):
    from genai_otel.instrumentation.anthropic import AnthropicInstrumentor
    from genai_otel.instrumentation.openai import OpenAIInstrumentor

    OpenAIInstrumentor().instrument()
    AnthropicInstrumentor().instrument()

URL = os.environ["FAKE_LLM_URL"]
MESSAGES = [{"role": "user", "content": "hi"}]


def _wrapped(owner: Any, name: str) -> bool:
    return isinstance(vars(owner).get(name), wrapt.FunctionWrapper)


def _openai() -> dict[str, Any]:
    import openai

    seen: dict[str, Any] = {"version": openai.__version__}
    if not hasattr(openai, "OpenAI"):  # openai 0.x: another API altogether
        return seen
    from openai.resources.chat import completions

    with openai.OpenAI(api_key="sk-test", base_url=URL + "/v1", max_retries=0) as client:
        reply = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    seen["answer"] = reply.choices[0].message.content
    seen["wrapped"] = _wrapped(completions.Completions, "create")
    return seen


def _anthropic() -> dict[str, Any]:
    import anthropic
    from anthropic.resources import messages

    seen: dict[str, Any] = {"version": anthropic.__version__}
    with anthropic.Anthropic(api_key="sk-ant-test", base_url=URL, max_retries=0) as client:
        reply = client.messages.create(model="claude-haiku-4-5", max_tokens=32, messages=MESSAGES)
    seen["answer"] = reply.content[0].text
    seen["wrapped"] = _wrapped(messages.Messages, "create")
    return seen


report: dict[str, Any] = {}
for name, probe in (("openai", _openai), ("anthropic", _anthropic)):
    try:
        report[name] = probe()
    except ImportError:
        pass
print(json.dumps(report))
