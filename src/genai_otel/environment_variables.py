"""Every environment variable genai-otel reads, in one place (README.md has the same table).

Standard ``OTEL_*`` variables (exporters, endpoints, sampling, resource) are read by the OpenTelemetry SDK exactly as
usual; only the ones below are ours or have a genai-otel meaning.
"""

from __future__ import annotations

from typing import Final

GENAI_OTEL_RAISE_INTERNAL_ERRORS: Final = "GENAI_OTEL_RAISE_INTERNAL_ERRORS"
"""``true`` re-raises errors inside genai-otel instead of logging and counting them. For our test suite; never in
production. Default ``false``; another value warns once, naming the variable and the value, and means ``false``."""

GENAI_OTEL_DISABLED_INSTRUMENTORS: Final = "OTEL_PYTHON_DISABLED_INSTRUMENTATIONS"
"""Standard OpenTelemetry variable: comma-separated entry-point names to skip, e.g. ``genai_otel_anthropic``."""

GENAI_OTEL_CHUNK_TIMING: Final = "GENAI_OTEL_CHUNK_TIMING"
"""How ``gen_ai.client.operation.time_per_output_chunk`` is recorded for streams: ``per_stream`` (default: one record
per stream, the mean time between consecutive chunks) or ``per_chunk`` (one record for every chunk after the first,
as the conventions word it; costs one SDK histogram record per chunk, ~20 µs each with the Python SDK)."""

GENAI_OTEL_ANTHROPIC_NATIVE_SPANS: Final = "GENAI_OTEL_ANTHROPIC_NATIVE_SPANS"
"""``false`` (default): one GenAI span per Anthropic call, ours (the SDK's own span steps aside while our call runs).
``true``: genai-otel emits no span and the anthropic SDK's native span stays (anthropic >= 1.14); metrics are still
recorded by genai-otel."""

GENAI_OTEL_PROVIDER_HOSTS: Final = "GENAI_OTEL_PROVIDER_HOSTS"
"""More hosts for ``gen_ai.provider.name`` on OpenAI-SDK calls: comma-separated ``host=provider`` pairs, ``*`` globs
allowed, checked before the built-in table (``instrumentation/openai/providers.json``). Unset by default."""

GENAI_OTEL_OPENAI_STREAM_USAGE: Final = "GENAI_OTEL_OPENAI_STREAM_USAGE"
"""``auto`` (default), ``always`` or ``never``: add ``stream_options.include_usage`` to streamed OpenAI calls whose
caller left it unset (hiding the extra chunk), for endpoints known to accept it (``auto``), every endpoint, or none."""

__all__ = [
    "GENAI_OTEL_ANTHROPIC_NATIVE_SPANS",
    "GENAI_OTEL_CHUNK_TIMING",
    "GENAI_OTEL_DISABLED_INSTRUMENTORS",
    "GENAI_OTEL_OPENAI_STREAM_USAGE",
    "GENAI_OTEL_PROVIDER_HOSTS",
    "GENAI_OTEL_RAISE_INTERNAL_ERRORS",
]

# --- cost and budget (issue 6; read by genai_otel/genai/cost.py and genai_otel/genai/pricing) ---
GENAI_OTEL_PRICES_FILE: Final = "GENAI_OTEL_PRICES_FILE"
"""A JSON or TOML (by its ``.toml`` suffix) price file merged over the bundled price table, model by model and field by
field. A file that cannot be used is reported in one logged error naming the file and the problems, and the bundled
table is used. ``genai-otel prices --check FILE`` validates one. Read once, when the first instrumentor starts."""

GENAI_OTEL_BUDGET_USD: Final = "GENAI_OTEL_BUDGET_USD"
"""A spend threshold in US dollars (a positive number). When the cost of the calls in the last
``GENAI_OTEL_BUDGET_WINDOW`` goes over it: one ``logging`` warning, one OpenTelemetry log record
``genai_otel.budget.exceeded`` (spend, threshold, window) and counter ``genai_otel.budget.exceeded`` +1, at most
once per window. Unset (the default): no budget. Another value warns once, naming the variable and the value, and no
budget applies."""

GENAI_OTEL_BUDGET_WINDOW: Final = "GENAI_OTEL_BUDGET_WINDOW"
"""The rolling window of ``GENAI_OTEL_BUDGET_USD``: a positive number and a unit, ``s``, ``m``, ``h`` or ``d`` (``30m``,
``1h``, ``7d``). Default ``24h``. Spend is summed in 60 slots of 1/60 of the window each. Another value warns once,
naming the variable and the value, and ``24h`` applies."""

__all__ += ["GENAI_OTEL_BUDGET_USD", "GENAI_OTEL_BUDGET_WINDOW", "GENAI_OTEL_PRICES_FILE"]

# --- the local store (issue 9) ---

GENAI_OTEL_LOCAL_STORE_PATH: Final = "GENAI_OTEL_LOCAL_STORE_PATH"
"""The local store's SQLite file (``genai_otel_local`` traces exporter, and what ``genai-otel report``, ``tail`` and
``doctor`` read). Default ``$XDG_DATA_HOME/genai-otel/calls.sqlite3``, i.e. ``~/.local/share/genai-otel/calls.sqlite3``
when ``XDG_DATA_HOME`` is unset; ``~`` is expanded."""

GENAI_OTEL_LOCAL_STORE_RETENTION: Final = "GENAI_OTEL_LOCAL_STORE_RETENTION"
"""How much the local store keeps: comma-separated limits, an age (``N`` followed by s, m, h, d or w) and/or a row
count, e.g. ``7d``, ``50000`` or ``7d,50000``; ``none`` keeps everything. Default ``30d,100000``. Older rows and the
oldest rows beyond the count are deleted as new ones are written."""

__all__ += ["GENAI_OTEL_LOCAL_STORE_PATH", "GENAI_OTEL_LOCAL_STORE_RETENTION"]

# --- message content, redaction, size limits, prompt hash (issue 5; read by genai_otel/genai/content/) ---

OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: Final = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"
"""Where message content goes: ``NO_CONTENT`` (default), ``SPAN_ONLY``, ``EVENT_ONLY`` or ``SPAN_AND_EVENT``,
case-insensitive, as in the OpenTelemetry GenAI packages; ``true`` / ``false`` mean ``SPAN_AND_EVENT`` /
``NO_CONTENT``. Another value warns once, naming the variable and the value, and means ``NO_CONTENT``."""

GENAI_OTEL_REDACT: Final = "GENAI_OTEL_REDACT"
"""Which redactors run on captured content: ``all`` (default: every built-in detector and every installed
``genai_otel_redactors`` plugin), ``none``, or a comma-separated list of detector names (``email``, ``phone``,
``credit_card``, ``us_ssn``, ``ipv4``, ``ipv6``, ``jwt``, ``bearer_token``, ``openai_key``, ``anthropic_key``,
``aws_key``), groups (``secrets``, ``ip``) and plugin names. Unknown names warn once and are ignored; a value with no
known name at all warns once and means ``all``."""

GENAI_OTEL_REDACT_PATTERNS: Final = "GENAI_OTEL_REDACT_PATTERNS"
"""More redaction: a JSON object of placeholder type to Python regular expression, e.g.
``{"EMPLOYEE_ID": "EMP-\\\\d{6}"}`` replaces matches with ``<EMPLOYEE_ID>``. Runs after the built-in detectors. A value
that is not such an object, or an entry that does not compile, warns once and is ignored. Unset by default."""

GENAI_OTEL_CONTENT_MAX_ATTRIBUTE_BYTES: Final = "GENAI_OTEL_CONTENT_MAX_ATTRIBUTE_BYTES"
"""Size budget of each content span attribute, in UTF-8 bytes of its JSON (at least 256). Default ``16384``; also kept
under ``OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT`` / ``OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT`` when those are set."""

GENAI_OTEL_CONTENT_MAX_EVENT_BYTES: Final = "GENAI_OTEL_CONTENT_MAX_EVENT_BYTES"
"""Size budget of the content of each ``gen_ai.client.inference.operation.details`` event, in UTF-8 bytes of its
JSON (at least 256). Default ``65536``."""

GENAI_OTEL_CONTENT_KEEP_BINARY: Final = "GENAI_OTEL_CONTENT_KEEP_BINARY"
"""``true`` keeps the base64 data of binary parts (images, audio, files) in captured content; default ``false``:
only their modality, mime type and byte size."""

GENAI_OTEL_PROMPT_HASH_SALT: Final = "GENAI_OTEL_PROMPT_HASH_SALT"
"""A secret that keys ``genai_otel.prompt.hash`` (HMAC-SHA256), so a guessed prompt cannot be checked against
the hash without it. Unset by default (a plain hash). Never logged."""

__all__ += [
    "GENAI_OTEL_CONTENT_KEEP_BINARY",
    "GENAI_OTEL_CONTENT_MAX_ATTRIBUTE_BYTES",
    "GENAI_OTEL_CONTENT_MAX_EVENT_BYTES",
    "GENAI_OTEL_PROMPT_HASH_SALT",
    "GENAI_OTEL_REDACT",
    "GENAI_OTEL_REDACT_PATTERNS",
    "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT",
]

# --- hooks, other instrumentations, thread context (issue 7; read by genai_otel/hooks.py, genai_otel/_others.py,
# instrumentation/_base.py) ---

GENAI_OTEL_HOOKS: Final = "GENAI_OTEL_HOOKS"
"""Hooks to load: comma-separated ``package.module:attribute`` (or ``package.module``) targets, each a function (an
``end`` hook) or an object or module with ``before`` / ``success`` / ``failure`` / ``end``. Loaded once, when the
first instrumentor starts; a target that cannot be loaded warns once, naming the variable and the value, and is
skipped. Unset by default (entry points in the group ``genai_otel_hooks`` are loaded too)."""

GENAI_OTEL_HOOK_TIMEOUT_MS: Final = "GENAI_OTEL_HOOK_TIMEOUT_MS"
"""The most a call waits for its synchronous hooks at one point (before it is sent; after it ends), in
milliseconds (> 0). Default ``100``. A hook still running then is counted as a ``timeout`` and skipped until it
returns; its later writes are ignored."""

GENAI_OTEL_HOOK_ASYNC_TIMEOUT_S: Final = "GENAI_OTEL_HOOK_ASYNC_TIMEOUT_S"
"""Seconds (> 0) after which an async hook (never awaited by the call) is cancelled and counted as a ``timeout``.
Default ``60``."""

GENAI_OTEL_HOOK_METRIC_ATTRIBUTES: Final = "GENAI_OTEL_HOOK_METRIC_ATTRIBUTES"
"""Comma-separated attribute names hooks may put on the GenAI metrics (e.g. ``app.tenant,app.feature``); others are
ignored with one warning. Keep them low-cardinality. Names in ``gen_ai.*`` / ``genai_otel.*`` are refused. Unset by
default: hooks add span attributes only."""

GENAI_OTEL_OTHER_INSTRUMENTATIONS: Final = "GENAI_OTEL_OTHER_INSTRUMENTATIONS"
"""What ``opentelemetry-instrument`` does with other installed instrumentations of the SDKs genai-otel instruments
(OpenTelemetry's ``opentelemetry-instrumentation-openai-v2`` and ``-genai-*``, OpenLLMetry, OpenInference):
``suppress`` (default: not loaded while ours is enabled for that SDK, so each call has one GenAI span, ours) or
``allow`` (loaded as usual: each call then has one span from each). Another value warns once and means
``suppress``. To keep only theirs, ``allow`` and disable ours (``OTEL_PYTHON_DISABLED_INSTRUMENTATIONS=
genai_otel_openai``)."""

GENAI_OTEL_THREAD_CONTEXT: Final = "GENAI_OTEL_THREAD_CONTEXT"
"""``true`` (default): tasks submitted to a ``concurrent.futures.ThreadPoolExecutor`` run in the submitter's
OpenTelemetry context, so their GenAI calls nest under the submitting span; ``false`` leaves executors alone."""

__all__ += [
    "GENAI_OTEL_HOOKS",
    "GENAI_OTEL_HOOK_ASYNC_TIMEOUT_S",
    "GENAI_OTEL_HOOK_METRIC_ATTRIBUTES",
    "GENAI_OTEL_HOOK_TIMEOUT_MS",
    "GENAI_OTEL_OTHER_INSTRUMENTATIONS",
    "GENAI_OTEL_THREAD_CONTEXT",
]
