"""An LLM-as-judge hook: another LLM grades a sample of your app's answers; each grade becomes a
``gen_ai.evaluation.result`` event linked to the graded call's span, and a point of ``genai_otel.evaluation.score``.

No change to the app::

    PYTHONPATH=examples GENAI_OTEL_HOOKS=llm_judge_hook JUDGE_SAMPLE_RATE=0.1 \\
        opentelemetry-instrument python app.py

(export logs too, e.g. ``OTEL_LOGS_EXPORTER=otlp``, to see the events). Settings, read at import:
``JUDGE_SAMPLE_RATE`` (0 to 1, default 0.1), ``JUDGE_MODEL`` (default ``gpt-4o-mini``), ``JUDGE_BASE_URL`` (default:
the OpenAI SDK's own, ``OPENAI_BASE_URL`` or api.openai.com) and ``OPENAI_API_KEY``.

How it behaves
    - It is an ``async`` hook on ``success``: the graded call never waits for it (it runs on genai-otel's hook loop).
    - Sampling is by trace id, so a trace is graded whole or not at all, and the same in every process.
    - The judge's own call is traced (nested under the graded call's span) but runs no hooks, so it is not graded.
    - It asks the judge for JSON (``{"score": 1-5, "reason": ...}``); an answer that is not that is recorded as an
      evaluation that failed (``error.type=invalid_judge_output``).
"""

from __future__ import annotations

import asyncio
import json
import os
import weakref
from collections.abc import Mapping
from typing import Any

import openai

import genai_otel
from genai_otel.hooks import CallView

SAMPLE_RATE = min(1.0, max(0.0, float(os.environ.get("JUDGE_SAMPLE_RATE", "0.1"))))
MODEL = os.environ.get("JUDGE_MODEL", "gpt-4o-mini")
EVALUATION = "relevance"
PASS_FROM = 3
GRADE = {
    "type": "json_schema",
    "json_schema": {"name": "grade", "strict": True, "schema": {
        "type": "object",
        "properties": {"score": {"type": "integer"}, "reason": {"type": "string"}},
        "required": ["score", "reason"], "additionalProperties": False}},
}
RUBRIC = ("You grade how well an answer addresses a question, from 1 (not at all) to 5 (fully). Reply with JSON: "
          '{"score": <1-5>, "reason": "<one sentence>"}.')

_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, openai.AsyncOpenAI] = weakref.WeakKeyDictionary()


def sampled(trace_id: int, rate: float = SAMPLE_RATE) -> bool:
    """The same decision for every call of a trace: the low bits of its id, against ``rate``."""
    return (trace_id & 0xFFFF) < rate * 0x10000


def question_of(parameters: Mapping[str, Any]) -> str | None:
    """The last user message of a chat call (OpenAI or Anthropic), or a Responses API ``input`` string."""
    for message in reversed(parameters.get("messages") or ()):
        if isinstance(message, Mapping) and message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, str):
                return content
            if isinstance(content, list):
                return " ".join(p.get("text", "") for p in content if isinstance(p, Mapping)) or None
    prompt = parameters.get("input")
    return prompt if isinstance(prompt, str) else None


def _client() -> openai.AsyncOpenAI:
    """One client per event loop (an async client belongs to the loop it first ran on)."""
    loop = asyncio.get_running_loop()
    client = _clients.get(loop)
    if client is None:
        client = _clients[loop] = openai.AsyncOpenAI(base_url=os.environ.get("JUDGE_BASE_URL") or None,
                                                     max_retries=1)
    return client


async def success(call: CallView) -> None:
    answer = call.output_text
    question = question_of(call.parameters)
    if call.operation != "chat" or not answer or not question or not sampled(call.span_context.trace_id):
        return
    judged = await _client().chat.completions.create(
        model=MODEL, response_format=GRADE,  # type: ignore[arg-type]
        messages=[{"role": "system", "content": RUBRIC},
                  {"role": "user", "content": f"Question: {question}\n\nAnswer: {answer}"}])
    try:
        grade = json.loads(judged.choices[0].message.content or "")
        score = int(grade["score"])
        reason = str(grade.get("reason", ""))
    except (ValueError, KeyError, TypeError):
        genai_otel.record_evaluation(EVALUATION, error_type="invalid_judge_output",
                                     explanation=judged.choices[0].message.content)
        return
    genai_otel.record_evaluation(EVALUATION, score=score, label="pass" if score >= PASS_FROM else "fail",
                                 explanation=reason)
