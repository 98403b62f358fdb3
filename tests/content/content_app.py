"""An ordinary app for the content end-to-end tests: no telemetry code. Run it under ``opentelemetry-instrument``.

It sends secrets the way apps do (the API key, an ``Authorization`` / ``x-api-key`` / ``api-key`` / cookie header, a
custom auth header) and a prompt with an email address in it; none of the secrets may reach any exporter.
"""

from __future__ import annotations

import os

import openai

from tests.secret_values import HEADER_SECRETS

SECRET_HEADERS = {
    "Authorization": HEADER_SECRETS[1], "x-api-key": HEADER_SECRETS[3], "api-key": HEADER_SECRETS[4],
    "Cookie": HEADER_SECRETS[5], "x-internal-auth": HEADER_SECRETS[0],
}


def main() -> None:
    client = openai.OpenAI(max_retries=0, default_headers={"x-custom-token": HEADER_SECRETS[7]})
    reply = client.chat.completions.create(
        model="gpt-4o-mini", extra_headers=SECRET_HEADERS,
        messages=[{"role": "system", "content": "Be terse."}, {"role": "user", "content": "Mail bob@example.com"}])
    print("plain:", reply.choices[0].message.content)
    stream = client.chat.completions.create(model="gpt-4o-mini", stream=True, extra_headers=SECRET_HEADERS,
                                            messages=[{"role": "user", "content": "Count"}])
    print("streamed:", "".join(c.choices[0].delta.content or "" for c in stream if c.choices))
    if os.environ.get("WITH_ANTHROPIC"):
        import anthropic

        with anthropic.Anthropic(max_retries=0) as claude:
            message = claude.messages.create(model="claude-haiku-4-5", max_tokens=50, system="Sys",
                                             messages=[{"role": "user", "content": "Hi"}],
                                             extra_headers=SECRET_HEADERS)
            print("anthropic:", message.content[0].text)


if __name__ == "__main__":
    main()
