"""Message content: opt-in capture on spans and events, redaction, size limits, binary parts, and the prompt hash.

Capture is **off by default**. ``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`` (case-insensitive) turns it on,
with the meaning the OpenTelemetry GenAI packages give it:

==================  =================================================================================================
``NO_CONTENT``      the default: no content anywhere (the prompt hash is still recorded)
``SPAN_ONLY``       ``gen_ai.input.messages``, ``gen_ai.output.messages``, ``gen_ai.system_instructions`` and
                    ``gen_ai.tool.definitions`` on the span, as JSON strings
``EVENT_ONLY``      one ``gen_ai.client.inference.operation.details`` log record per call, with the same content as
                    structured values and the span's attributes, correlated to the span (also when the span is not
                    sampled), through the OpenTelemetry logs API (``OTEL_LOGS_EXPORTER`` decides where it goes)
``SPAN_AND_EVENT``  both
``true`` / ``false``  ``SPAN_AND_EVENT`` / ``NO_CONTENT``
==================  =================================================================================================

Any other value is logged once, naming the variable and the value, and means ``NO_CONTENT``.

What is captured follows the conventions' JSON schemas (``parts`` of type text, reasoning, tool_call,
tool_call_response, blob, uri, file; ``finish_reason`` on every output message). Chat history keeps its system
messages in ``gen_ai.input.messages``; Anthropic ``system=`` and Responses ``instructions=`` are
``gen_ai.system_instructions``. Streams are assembled from their chunks (text, tool-call argument deltas, reasoning)
only while capture is on.

The captured copy, never the request sent to the provider, is then:

* **redacted**: every string except structural ones (type, role, finish reason, modality, mime type) goes through
  the redaction chain: the built-in detectors chosen by ``GENAI_OTEL_REDACT`` (default ``all``: ``email``,
  ``phone``, ``credit_card`` (Luhn-checked), ``us_ssn``, ``ipv4``, ``ipv6``, and the ``secrets`` group ``jwt``,
  ``bearer_token``, ``openai_key``, ``anthropic_key``, ``aws_key``), the regular expressions of
  ``GENAI_OTEL_REDACT_PATTERNS`` (a JSON object ``{"EMPLOYEE_ID": "EMP-\\d{6}"}`` -> ``<EMPLOYEE_ID>``), and every
  redactor installed under the ``genai_otel_redactors`` entry point group (a ``Callable[[str], str]``, or a class
  whose instances are). Matches become typed placeholders (``<EMAIL>``, ``<CREDIT_CARD>``, ``<OPENAI_API_KEY>``,
  ...). Streamed output is redacted once assembled, so a secret split across chunks is still found.
* **scrubbed of the call's credentials**, whatever the redaction settings: the client's API key / auth token and
  the values of its ``Authorization``, ``x-api-key``, ``api-key`` and cookie headers, and every ``extra_headers``
  value of the call (values of 8 characters or more) become ``<SECRET>``. Headers and keys are never recorded
  anywhere, in any mode.
* **without binary data**: blob parts (base64 images, audio, files) keep their modality and mime type, with
  ``"content": ""``, ``"byte_size"`` and ``"content_omitted": true``; ``GENAI_OTEL_CONTENT_KEEP_BINARY=true`` keeps the
  data.
* **within size limits**: each span attribute within ``GENAI_OTEL_CONTENT_MAX_ATTRIBUTE_BYTES`` (default 16384, and
  never over the SDK's ``OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT`` / ``OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT``), the
  content of each event within ``GENAI_OTEL_CONTENT_MAX_EVENT_BYTES`` (default 65536), counted in UTF-8 bytes of the
  JSON. Longer content is cut string by string (longest first) and cut parts get ``"truncated": true``; the JSON
  stays valid. Each cut or drop counts in ``genai_otel.content.truncated`` (``{event}``, attribute
  ``genai_otel.content.location``: the attribute, or the event name).

**Prompt hash**: every inference span (chat, text completion; not embeddings or fetches) carries
``genai_otel.prompt.hash``, whatever the capture mode: see ``genai_otel.genai.content._hash`` for what it covers.
``GENAI_OTEL_PROMPT_HASH_SALT`` keys it with a secret.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from opentelemetry._logs import get_logger

from genai_otel.genai import semconv as sc
from genai_otel.genai._safety import internal_error
from genai_otel.genai.content._capture import ContentCapture, read_output
from genai_otel.genai.content._config import (
    DEFAULT_MAX_ATTRIBUTE_BYTES,
    DEFAULT_MAX_EVENT_BYTES,
    CaptureMode,
    ContentSettings,
    read_mode,
)
from genai_otel.genai.content._hash import PromptHasher, prompt_hash
from genai_otel.genai.content._limits import dumps, fit
from genai_otel.genai.content._redact import (
    DETECTORS,
    ENTRY_POINT_GROUP,
    GROUPS,
    RedactionChain,
    Redactor,
    build_chain,
    luhn_valid,
)
from genai_otel.genai.content.parts import Prompt
from genai_otel.version import __version__

if TYPE_CHECKING:
    from opentelemetry._logs import LoggerProvider
    from opentelemetry.metrics import Meter

__all__ = [
    "DEFAULT_MAX_ATTRIBUTE_BYTES",
    "DEFAULT_MAX_EVENT_BYTES",
    "DETECTORS",
    "ENTRY_POINT_GROUP",
    "GROUPS",
    "CaptureMode",
    "ContentCapture",
    "ContentSettings",
    "Prompt",
    "PromptHasher",
    "RedactionChain",
    "Redactor",
    "build_chain",
    "content_capture",
    "dumps",
    "fit",
    "luhn_valid",
    "prompt_hash",
    "read_mode",
    "read_output",
]


def content_capture(meter: Meter | None, logger_provider: LoggerProvider | None = None,
                    schema_url: str | None = None) -> ContentCapture | None:
    """The content step an instrumentor uses, configured from the environment (read now, once).

    ``None`` (and an internal error logged and counted) if it cannot be built: calls are then traced without content
    and without a prompt hash, never with unredacted content.
    """
    try:
        settings = ContentSettings.from_env()
        chain = build_chain() if settings.mode.captures else RedactionChain(())
        otel_logger = None
        if settings.mode.on_event:
            otel_logger = get_logger(sc.SCOPE_NAME, __version__, logger_provider, schema_url=schema_url)
        return ContentCapture(settings, chain, otel_logger, meter)
    except Exception as exc:  # noqa: BLE001
        internal_error("content.setup", exc)
        return None
