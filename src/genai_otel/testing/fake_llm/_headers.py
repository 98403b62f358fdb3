"""Response headers every provider sends: request ids, processing time and (on request) rate limits."""

from __future__ import annotations

import time

from genai_otel.testing.fake_llm._call import Call
from genai_otel.testing.fake_llm._errors import ANTHROPIC, BEDROCK, OPENAI

FAKE_ORGANIZATION_ID = "00000000-0000-4000-8000-000000000000"


def provider_headers(provider: str, call: Call, *, status: int = 200) -> dict[str, str]:
    exhausted = status == 429
    if provider == OPENAI:
        headers = {
            "access-control-expose-headers": "X-Request-ID",
            "openai-organization": "fake-org",
            "openai-processing-ms": str(max(1, call.directives.delay_ms)),
            "openai-project": "proj_fake",
            "openai-version": "2020-10-01",
            "x-content-type-options": "nosniff",
            "x-request-id": call.request_id,
        }
        if call.directives.ratelimit:
            headers.update(_openai_rate_limits(exhausted))
        return headers
    if provider == BEDROCK:
        return {"x-amzn-requestid": f"00000000-0000-4000-8000-{call.sequence:012d}"}
    headers = {"request-id": call.request_id}
    if provider == ANTHROPIC:
        headers["anthropic-organization-id"] = FAKE_ORGANIZATION_ID
    if call.directives.ratelimit:
        headers.update(_anthropic_rate_limits(call.created, exhausted))
    return headers


def _openai_rate_limits(exhausted: bool) -> dict[str, str]:
    return {
        "x-ratelimit-limit-requests": "10000",
        "x-ratelimit-limit-tokens": "200000",
        "x-ratelimit-remaining-requests": "0" if exhausted else "9999",
        "x-ratelimit-remaining-tokens": "0" if exhausted else "199990",
        "x-ratelimit-reset-requests": "8.64s",
        "x-ratelimit-reset-tokens": "6ms",
    }


def _anthropic_rate_limits(now: int, exhausted: bool) -> dict[str, str]:
    reset = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now + 1))
    limits = {"requests": 1000, "tokens": 540000, "input-tokens": 450000, "output-tokens": 90000}
    headers = {}
    for kind, limit in limits.items():
        remaining = 0 if exhausted else (limit - 1 if kind == "requests" else limit)
        headers[f"anthropic-ratelimit-{kind}-limit"] = str(limit)
        headers[f"anthropic-ratelimit-{kind}-remaining"] = str(remaining)
        headers[f"anthropic-ratelimit-{kind}-reset"] = reset
    return headers
