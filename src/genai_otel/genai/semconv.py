"""Attribute and metric names: the GenAI semantic conventions (v1.41.1) plus our few documented extras.

Every name the instrumentation emits comes from here. Where ``opentelemetry.semconv`` has a constant we use it;
our own extras live in the ``genai_otel.*`` namespace and are listed in README.md.
"""

from __future__ import annotations

from typing import Final

from opentelemetry.semconv._incubating.attributes import gen_ai_attributes as _g
from opentelemetry.semconv._incubating.attributes import openai_attributes as _o
from opentelemetry.semconv._incubating.metrics import gen_ai_metrics as _m
from opentelemetry.semconv.attributes import error_attributes as _e
from opentelemetry.semconv.attributes import http_attributes as _h
from opentelemetry.semconv.attributes import server_attributes as _s

# --- span and metric attributes (semconv) ---
OPERATION_NAME: Final = _g.GEN_AI_OPERATION_NAME
PROVIDER_NAME: Final = _g.GEN_AI_PROVIDER_NAME
REQUEST_MODEL: Final = _g.GEN_AI_REQUEST_MODEL
REQUEST_TEMPERATURE: Final = _g.GEN_AI_REQUEST_TEMPERATURE
REQUEST_TOP_P: Final = _g.GEN_AI_REQUEST_TOP_P
REQUEST_TOP_K: Final = _g.GEN_AI_REQUEST_TOP_K
REQUEST_MAX_TOKENS: Final = _g.GEN_AI_REQUEST_MAX_TOKENS
REQUEST_FREQUENCY_PENALTY: Final = _g.GEN_AI_REQUEST_FREQUENCY_PENALTY
REQUEST_PRESENCE_PENALTY: Final = _g.GEN_AI_REQUEST_PRESENCE_PENALTY
REQUEST_STOP_SEQUENCES: Final = _g.GEN_AI_REQUEST_STOP_SEQUENCES
REQUEST_SEED: Final = _g.GEN_AI_REQUEST_SEED
REQUEST_CHOICE_COUNT: Final = _g.GEN_AI_REQUEST_CHOICE_COUNT
REQUEST_STREAM: Final = _g.GEN_AI_REQUEST_STREAM
REQUEST_ENCODING_FORMATS: Final = _g.GEN_AI_REQUEST_ENCODING_FORMATS
OUTPUT_TYPE: Final = _g.GEN_AI_OUTPUT_TYPE
RESPONSE_ID: Final = _g.GEN_AI_RESPONSE_ID
RESPONSE_MODEL: Final = _g.GEN_AI_RESPONSE_MODEL
RESPONSE_FINISH_REASONS: Final = _g.GEN_AI_RESPONSE_FINISH_REASONS
RESPONSE_TIME_TO_FIRST_CHUNK: Final = _g.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK
USAGE_INPUT_TOKENS: Final = _g.GEN_AI_USAGE_INPUT_TOKENS
USAGE_OUTPUT_TOKENS: Final = _g.GEN_AI_USAGE_OUTPUT_TOKENS
USAGE_CACHE_READ_INPUT_TOKENS: Final = _g.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS
USAGE_CACHE_CREATION_INPUT_TOKENS: Final = _g.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS
USAGE_REASONING_OUTPUT_TOKENS: Final = _g.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS
EMBEDDINGS_DIMENSION_COUNT: Final = _g.GEN_AI_EMBEDDINGS_DIMENSION_COUNT
TOKEN_TYPE: Final = _g.GEN_AI_TOKEN_TYPE
SERVER_ADDRESS: Final = _s.SERVER_ADDRESS
SERVER_PORT: Final = _s.SERVER_PORT
ERROR_TYPE: Final = _e.ERROR_TYPE

OPENAI_API_TYPE: Final = _o.OPENAI_API_TYPE
OPENAI_REQUEST_SERVICE_TIER: Final = _o.OPENAI_REQUEST_SERVICE_TIER
OPENAI_RESPONSE_SERVICE_TIER: Final = _o.OPENAI_RESPONSE_SERVICE_TIER
OPENAI_RESPONSE_SYSTEM_FINGERPRINT: Final = _o.OPENAI_RESPONSE_SYSTEM_FINGERPRINT

# --- OpenAI beyond chat: Responses, embeddings, legacy completions, fetched responses (issue 4) ---
CONVERSATION_ID: Final = _g.GEN_AI_CONVERSATION_ID
OPENAI_API_TYPE_CHAT_COMPLETIONS: Final = _o.OpenaiApiTypeValues.CHAT_COMPLETIONS.value
OPENAI_API_TYPE_RESPONSES: Final = _o.OpenaiApiTypeValues.RESPONSES.value
OPERATION_CHAT: Final = _g.GenAiOperationNameValues.CHAT.value
OPERATION_TEXT_COMPLETION: Final = _g.GenAiOperationNameValues.TEXT_COMPLETION.value
OPERATION_EMBEDDINGS: Final = _g.GenAiOperationNameValues.EMBEDDINGS.value
# Newer than the opentelemetry-semantic-conventions package we build on: defined by the GenAI conventions'
# "Fetch response" span (semantic-conventions-genai), spelled here until the package carries constants for them.
OPERATION_FETCH_RESPONSE: Final = "fetch_response"
"""Fetching a previously generated response by id: no inference, so no token usage."""
RESPONSE_STATUS: Final = "gen_ai.response.status"
"""Lifecycle status of a generated response: queued | in_progress | completed | incomplete | failed | cancelled."""
REQUEST_STREAM_CURSOR: Final = "gen_ai.request.stream_cursor"
"""Position a streamed fetch resumes after (OpenAI ``starting_after``)."""

TOKEN_TYPE_INPUT: Final = _g.GenAiTokenTypeValues.INPUT.value
TOKEN_TYPE_OUTPUT: Final = _g.GenAiTokenTypeValues.OUTPUT.value

# --- metric names (semconv) ---
METRIC_OPERATION_DURATION: Final = _m.GEN_AI_CLIENT_OPERATION_DURATION
METRIC_TOKEN_USAGE: Final = _m.GEN_AI_CLIENT_TOKEN_USAGE
METRIC_TIME_TO_FIRST_CHUNK: Final = _m.GEN_AI_CLIENT_OPERATION_TIME_TO_FIRST_CHUNK
METRIC_TIME_PER_OUTPUT_CHUNK: Final = _m.GEN_AI_CLIENT_OPERATION_TIME_PER_OUTPUT_CHUNK

# Explicit bucket boundaries the GenAI conventions recommend.
DURATION_BUCKETS: Final = (0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92)
TOKEN_BUCKETS: Final = (
    1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864,
)  # fmt: skip
HISTOGRAM_BUCKETS: Final = {
    METRIC_OPERATION_DURATION: DURATION_BUCKETS,
    METRIC_TIME_TO_FIRST_CHUNK: DURATION_BUCKETS,
    METRIC_TIME_PER_OUTPUT_CHUNK: DURATION_BUCKETS,
    METRIC_TOKEN_USAGE: TOKEN_BUCKETS,
}

# --- our extras: the genai_otel.* namespace (documented in README.md) ---
EXTRA_STREAM_ENDING: Final = "genai_otel.stream.ending"
"""How a stream ended: completed | closed | abandoned | error | cancelled."""
EXTRA_STREAM_CHUNKS: Final = "genai_otel.stream.chunk_count"
METRIC_INTERNAL_ERRORS: Final = "genai_otel.internal.errors"
EXTRA_ERROR_KIND: Final = "genai_otel.error.kind"

# Instrumentation scope of everything we emit.
SCOPE_NAME: Final = "genai_otel"

# --- cost and budget (issue 6): our extras, documented in README.md; emitted by genai/cost.py ---
EXTRA_COST_USD: Final = "genai_otel.cost.usd"
"""Span attribute (double): what the call cost in US dollars, from its exact usage, model and service tier."""
EXTRA_COST_UNKNOWN: Final = "genai_otel.cost.unknown"
"""Span attribute ``true`` on a call that reported usage but whose model has no price (no ``genai_otel.cost.usd``)."""
EXTRA_USAGE_CACHE_CREATION_1H: Final = "genai_otel.usage.cache_creation_1h.input_tokens"
"""Of ``gen_ai.usage.cache_creation.input_tokens``, those written with a 1-hour TTL (Anthropic); the rest are priced
as 5-minute writes. An adapter sets it (as a response attribute) when its provider reports the split."""
METRIC_COST: Final = "genai_otel.client.cost"
"""Counter (``USD``): cost of calls, by operation, provider, request and response model."""
METRIC_UNPRICED_CALLS: Final = "genai_otel.client.unpriced_calls"
"""Counter (``{call}``): calls that reported usage for a model with no price, same attributes as the cost counter."""
METRIC_BUDGET_EXCEEDED: Final = "genai_otel.budget.exceeded"
"""Counter (``{event}``): times the spend in the budget window went over ``GENAI_OTEL_BUDGET_USD`` (once per window)."""
EVENT_BUDGET_EXCEEDED: Final = "genai_otel.budget.exceeded"
"""OpenTelemetry log record (event name) emitted with the counter above."""
EXTRA_BUDGET_SPEND_USD: Final = "genai_otel.budget.spend_usd"
EXTRA_BUDGET_THRESHOLD_USD: Final = "genai_otel.budget.threshold_usd"
EXTRA_BUDGET_WINDOW_S: Final = "genai_otel.budget.window_s"

# --- message content and the prompt hash (issue 5): emitted by genai/content/ ---
INPUT_MESSAGES: Final = _g.GEN_AI_INPUT_MESSAGES
OUTPUT_MESSAGES: Final = _g.GEN_AI_OUTPUT_MESSAGES
SYSTEM_INSTRUCTIONS: Final = _g.GEN_AI_SYSTEM_INSTRUCTIONS
TOOL_DEFINITIONS: Final = _g.GEN_AI_TOOL_DEFINITIONS
EVENT_INFERENCE_DETAILS: Final = "gen_ai.client.inference.operation.details"
"""The conventions' event (a log record) with one call's content and its span's attributes."""
EXTRA_PROMPT_HASH: Final = "genai_otel.prompt.hash"
"""Span attribute on every inference span, whatever the capture mode: SHA-256 (first 128 bits, hex) of the normalized
prompt (system instructions, input messages, tool definitions) in a canonical form; HMAC-SHA256 keyed with
``GENAI_OTEL_PROMPT_HASH_SALT`` when set (``genai_otel.genai.content._hash``)."""
METRIC_CONTENT_TRUNCATED: Final = "genai_otel.content.truncated"
"""Counter (``{event}``): captured content cut or dropped to fit a size limit."""
EXTRA_CONTENT_LOCATION: Final = "genai_otel.content.location"
"""Attribute of ``genai_otel.content.truncated``: the span attribute, or the event name, whose content was cut."""

# --- hooks, evaluations, HTTP attempts and rate limits, self-health (issue 7): our extras, in README.md ---
# (the semconv package keeps the evaluation names only as deprecated aliases; the event still defines them)
EVALUATION_NAME: Final = _g.GEN_AI_EVALUATION_NAME
EVALUATION_SCORE_VALUE: Final = _g.GEN_AI_EVALUATION_SCORE_VALUE
EVALUATION_SCORE_LABEL: Final = _g.GEN_AI_EVALUATION_SCORE_LABEL
EVALUATION_EXPLANATION: Final = _g.GEN_AI_EVALUATION_EXPLANATION
EVENT_EVALUATION_RESULT: Final = "gen_ai.evaluation.result"
"""The conventions' event (a log record) with one evaluation of a call's output, parented to the call's span."""
METRIC_EVALUATION_SCORE: Final = "genai_otel.evaluation.score"
"""Histogram (``1``): evaluation scores, by ``gen_ai.evaluation.name`` (and label, provider and request model)."""
HTTP_STATUS_CODE: Final = _h.HTTP_RESPONSE_STATUS_CODE
HTTP_RESEND_COUNT: Final = _h.HTTP_REQUEST_RESEND_COUNT
EXTRA_HTTP_ATTEMPTS: Final = "genai_otel.http.attempts"
"""Span attribute (int), on calls the SDK retried: the HTTP requests the call took (absent: one)."""
EVENT_HTTP_ATTEMPT: Final = "genai_otel.http.attempt"
"""Span event per HTTP attempt of a retried call, at its start: ``http.response.status_code`` or ``error.type``,
``genai_otel.request_id``, and from the second attempt on ``http.request.resend_count``, ``genai_otel.http.wait_s``."""
EXTRA_HTTP_WAIT: Final = "genai_otel.http.wait_s"
"""Seconds between the end of the previous attempt and the start of this one (the SDK's back-off)."""
EXTRA_REQUEST_ID: Final = "genai_otel.request_id"
"""The provider's request id header of the last attempt (OpenAI ``x-request-id``, Anthropic ``request-id``)."""
RATELIMIT_PREFIX: Final = "genai_otel.ratelimit."
"""Span attributes ``genai_otel.ratelimit.{requests,tokens,input_tokens,output_tokens}.{limit,remaining,reset_s}``
from the provider's rate-limit headers of the last attempt."""
METRIC_RATELIMIT_REQUESTS_REMAINING: Final = "genai_otel.ratelimit.requests.remaining"
METRIC_RATELIMIT_REQUESTS_LIMIT: Final = "genai_otel.ratelimit.requests.limit"
METRIC_RATELIMIT_REQUESTS_RESET: Final = "genai_otel.ratelimit.requests.reset"
METRIC_RATELIMIT_TOKENS_REMAINING: Final = "genai_otel.ratelimit.tokens.remaining"
METRIC_RATELIMIT_TOKENS_LIMIT: Final = "genai_otel.ratelimit.tokens.limit"
METRIC_RATELIMIT_TOKENS_RESET: Final = "genai_otel.ratelimit.tokens.reset"
"""Gauges: the last rate-limit headroom each provider reported, by provider, request model and server address;
the token gauges carry ``gen_ai.token.type`` (input | output) for limits a provider splits (Anthropic)."""
EXTRA_JSON_VALID: Final = "genai_otel.output.json.valid"
"""Span attribute (bool) on calls that asked for JSON output: whether every output parsed (and matched the schema)."""
EXTRA_JSON_CHECK: Final = "genai_otel.output.json.check"
"""What was checked: ``schema`` (parsed and validated against the requested schema or type) or ``parse``."""
METRIC_JSON_CHECKS: Final = "genai_otel.output.json.checks"
"""Counter (``{call}``): JSON-output checks, by provider, request model, ``genai_otel.output.json.valid`` and check."""
METRIC_HOOK_FAILURES: Final = "genai_otel.hook.failures"
"""Counter (``{error}``): hook runs that raised, overran their time budget or were skipped (still late, overloaded)."""
EXTRA_HOOK_NAME: Final = "genai_otel.hook.name"
EXTRA_HOOK_PHASE: Final = "genai_otel.hook.phase"
