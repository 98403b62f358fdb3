"""The app whose calls fill the store the CLI tests read: run under ``opentelemetry-instrument`` with nothing
configured (the local store default). Twelve calls, known token counts (the fake server's arithmetic):

=====  =========  ============================  ==================================  ======  ===============
calls  team       model (provider)              what                                tokens  note
=====  =========  ============================  ==================================  ======  ===============
3      search     gpt-4o-mini (openai)          plain chat                          5 / 5
2      search     gpt-4o-mini (openai)          streamed, 3 chunks, usage included  5 / 3   ttfc
1      ads        gpt-4o-mini (openai)          cached=4, reasoning=2               9 / 7   4 cached, 2 reasoning
1      ads        gpt-4o-mini (openai)          HTTP 500                            - / -   error
2      ads        my-finetune-x (openai)        plain chat, a model with no price   5 / 5   unpriced
1      ads        gpt-4.1 (openai)              delay_ms=300                        5 / 5   the slowest
1      (none)     text-embedding-3-small        embeddings of "hello world"         2 / -
1      search     claude-haiku-4-5 (anthropic)  messages                            5 / 5
=====  =========  ============================  ==================================  ======  ===============

The ``app.team`` span attribute is added by a span processor the app registers (as a hook would add one).
"""

from __future__ import annotations

import contextvars
from typing import Any

import anthropic
import openai
from opentelemetry import trace
from opentelemetry.sdk.trace import SpanProcessor

TEAM: contextvars.ContextVar[str | None] = contextvars.ContextVar("team", default=None)
MESSAGES = [{"role": "user", "content": "Say hi"}]


class TeamTagger(SpanProcessor):
    def on_start(self, span: Any, parent_context: Any = None) -> None:
        team = TEAM.get()
        if team is not None:
            span.set_attribute("app.team", team)


def fake(**directives: object) -> dict[str, Any]:
    return {"extra_headers": {"x-fake-llm": ",".join(f"{k}={v}" for k, v in directives.items())}}


def main() -> None:
    trace.get_tracer_provider().add_span_processor(TeamTagger())  # type: ignore[attr-defined]
    client = openai.OpenAI(max_retries=0)
    TEAM.set("search")
    for _ in range(3):
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    for _ in range(2):
        stream = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True,
                                                stream_options={"include_usage": True}, **fake(chunks=3))
        for _ in stream:
            pass
    claude = anthropic.Anthropic(max_retries=0)
    claude.messages.create(model="claude-haiku-4-5", max_tokens=50, messages=MESSAGES)
    TEAM.set("ads")
    client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, **fake(cached=4, reasoning=2))
    try:
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, **fake(status=500))
    except openai.InternalServerError:
        pass
    for _ in range(2):
        client.chat.completions.create(model="my-finetune-x", messages=MESSAGES)
    client.chat.completions.create(model="gpt-4.1", messages=MESSAGES, **fake(delay_ms=300))
    TEAM.set(None)
    client.embeddings.create(model="text-embedding-3-small", input="hello world")
    print("done")


if __name__ == "__main__":
    main()
