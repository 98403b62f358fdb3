"""An ordinary Anthropic app: no telemetry code at all. Run it under ``opentelemetry-instrument``.

It reads ``ANTHROPIC_BASE_URL`` / ``ANTHROPIC_API_KEY`` like any Anthropic app; ``scripts/demo.sh`` points them at the
bundled fake LLM server. It makes a plain call, a streamed call (the SDK's stream helper) and a tool call.
"""

from __future__ import annotations

import anthropic

MODEL = "claude-haiku-4-5"
MESSAGES = [{"role": "user", "content": "Write one sentence about observability."}]
WEATHER_TOOL = {"name": "get_weather", "description": "Current weather", "input_schema": {"type": "object"}}


def main() -> None:
    client = anthropic.Anthropic(max_retries=0)
    reply = client.messages.create(model=MODEL, max_tokens=200, messages=MESSAGES)
    print("plain:", reply.content[0].text)

    with client.messages.stream(model=MODEL, max_tokens=200, messages=MESSAGES) as stream:
        print("streamed:", "".join(stream.text_stream))

    tool = client.messages.create(model=MODEL, max_tokens=200, messages=MESSAGES, tools=[WEATHER_TOOL],
                                  extra_headers={"x-fake-llm": "tool_calls=1"})
    print("tool call:", next(block.name for block in tool.content if block.type == "tool_use"))


if __name__ == "__main__":
    main()
