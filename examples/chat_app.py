"""An ordinary OpenAI app: no telemetry code at all. Run it under ``opentelemetry-instrument``.

It reads ``OPENAI_BASE_URL`` / ``OPENAI_API_KEY`` like any OpenAI app; ``scripts/demo.sh`` points them at the bundled
fake LLM server. It makes a plain call, a streamed call, a tool call, an async call and one call that fails.
"""

from __future__ import annotations

import asyncio

import openai

MODEL = "gpt-4o-mini"
MESSAGES = [{"role": "user", "content": "Write one sentence about observability."}]
WEATHER_TOOL = {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}


def main() -> None:
    client = openai.OpenAI(max_retries=0)
    reply = client.chat.completions.create(model=MODEL, messages=MESSAGES)
    print("plain:", reply.choices[0].message.content)

    stream = client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True,
                                            stream_options={"include_usage": True})
    print("streamed:", "".join(c.choices[0].delta.content or "" for c in stream if c.choices))

    tool = client.chat.completions.create(model=MODEL, messages=MESSAGES, tools=[WEATHER_TOOL],
                                          extra_headers={"x-fake-llm": "tool_calls=1"})
    print("tool call:", tool.choices[0].message.tool_calls[0].function.name)

    try:
        client.chat.completions.create(model=MODEL, messages=MESSAGES, extra_headers={"x-fake-llm": "status=429"})
    except openai.RateLimitError as error:
        print("rate limited, as asked:", error.status_code)

    async def ask_async() -> str | None:
        async with openai.AsyncOpenAI(max_retries=0) as aclient:
            answer = await aclient.chat.completions.create(model="gpt-4.1", messages=MESSAGES)
            return answer.choices[0].message.content

    print("async:", asyncio.run(ask_async()))


if __name__ == "__main__":
    main()
