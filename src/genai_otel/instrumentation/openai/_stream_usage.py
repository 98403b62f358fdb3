"""Token counts for streamed chat and legacy completions whose caller did not ask for them.

A streamed ``chat.completions`` / ``completions`` call reports usage only when the request carries
``stream_options={"include_usage": True}``. When the caller left ``include_usage`` unset and the endpoint is known
to accept it, we add it to the request (a copy of the caller's ``stream_options``, never the caller's dict) and
hide what it changes in the answer, so the caller iterates exactly what it would have received without us:

- the extra final chunk (no choices, only ``usage``) is swallowed by the stream proxy, not delivered, not counted;
- the ``usage: null`` every other chunk then carries is put back to "not sent" (``to_dict()``, ``model_fields_set``
  and ``model_dump(exclude_unset=True)`` are as without us).

Not done when the caller used ``with_raw_response`` / ``with_streaming_response``: those hand out the body's raw
bytes, where the extra chunk could not be hidden. Where usage is still missing, none is recorded (never estimated).

Environment
-----------
``GENAI_OTEL_OPENAI_STREAM_USAGE`` = ``auto`` (default) | ``always`` | ``never``
    ``auto`` adds ``include_usage`` for endpoints the provider table marks as supporting it (api.openai.com; Azure
    OpenAI from api-version 2024-08-01 on); ``always`` for every endpoint (only for servers known to accept
    ``stream_options``, or their calls fail); ``never`` leaves every request as the caller wrote it.
    Another value warns once, naming the variable and the value, and ``auto`` applies. Read once.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from typing import Any

from genai_otel.genai._safety import internal_error
from genai_otel.genai.stream import HIDE_CHUNK, Accumulator
from genai_otel.genai.types import GenAIRequest, GenAIResponse
from genai_otel.instrumentation.openai.providers import Endpoint

__all__ = ["STREAM_USAGE_ENV", "UsageAddedRequest", "add_stream_usage", "hiding_added_usage", "stream_usage_mode"]

STREAM_USAGE_ENV = "GENAI_OTEL_OPENAI_STREAM_USAGE"
_MODES = ("auto", "always", "never")
_RAW_RESPONSE_HEADER = "x-stainless-raw-response"
_logger = logging.getLogger("genai_otel")
_mode: str | None = None


def stream_usage_mode(environ: Mapping[str, str] | None = None) -> str:
    """The configured mode; read from the environment on first use (or from ``environ`` when given)."""
    global _mode
    if environ is None and _mode is not None:
        return _mode
    raw = (os.environ if environ is None else environ).get(STREAM_USAGE_ENV, "")
    mode = raw.strip().lower() or "auto"
    if mode not in _MODES:
        _logger.warning("genai-otel: ignoring %s=%r (expected auto, always or never); using auto",
                        STREAM_USAGE_ENV, raw)
        mode = "auto"
    if environ is None:
        _mode = mode
    return mode


def _reset(mode: str | None = None) -> None:
    """Force a mode (or, with None, re-read the environment on next use); for tests."""
    global _mode
    _mode = mode


@dataclass(slots=True)
class UsageAddedRequest(GenAIRequest):
    """A request to which we added ``include_usage``: its stream hides what that changed."""


def add_stream_usage(request: GenAIRequest, endpoint: Endpoint, client: Any, kwargs: dict[str, Any],
                     given: Callable[[dict[str, Any], str], Any]) -> GenAIRequest:
    """Ask for usage on this streamed call when allowed; returns the request, marked when we did.

    ``kwargs`` is the wrapper's own keyword dict for this one call (Python builds it afresh), so setting a key in it
    changes nothing the caller holds; the caller's ``stream_options`` mapping is copied, never changed.
    """
    if not request.stream:
        return request
    mode = stream_usage_mode()
    if mode == "never":
        return request
    options = given(kwargs, "stream_options")
    if options is not None and (not isinstance(options, Mapping) or "include_usage" in options):
        return request  # the caller decided (either way), or passed something we do not understand
    extra_body = kwargs.get("extra_body")
    if isinstance(extra_body, Mapping) and "stream_options" in extra_body:
        return request
    if _raw_response(kwargs.get("extra_headers")):
        return request
    if mode == "auto" and not _accepts_usage(endpoint, client, kwargs):
        return request
    kwargs["stream_options"] = {**options, "include_usage": True} if options else {"include_usage": True}
    return UsageAddedRequest(**{f.name: getattr(request, f.name) for f in fields(request)})


def _raw_response(headers: Any) -> bool:
    if not isinstance(headers, Mapping):
        return False
    return any(isinstance(name, str) and name.lower() == _RAW_RESPONSE_HEADER for name in headers)


def _accepts_usage(endpoint: Endpoint, client: Any, kwargs: dict[str, Any]) -> bool:
    if not endpoint.stream_usage:
        return False
    if endpoint.min_api_version is None:
        return True
    version = _api_version(client, kwargs)
    return version is None or version[:10] >= endpoint.min_api_version


def _api_version(client: Any, kwargs: dict[str, Any]) -> str | None:
    # default_query: openai >= 1.3x; before, the client kept its query (Azure's api-version) in _custom_query only
    for query in (kwargs.get("extra_query"), getattr(client, "default_query", None),
                  getattr(client, "_custom_query", None)):
        if isinstance(query, Mapping):
            version = query.get("api-version")
            if isinstance(version, str):
                return version
    return None


def hiding_added_usage(request: GenAIRequest, accumulator: Accumulator) -> Accumulator:
    """The stream accumulator for ``request``: wrapped to hide the added usage when we added it."""
    if isinstance(request, UsageAddedRequest):
        return _HidingAccumulator(accumulator)
    return accumulator


class _HidingAccumulator:
    """Feeds every chunk to the adapter's accumulator, then undoes what ``include_usage`` changed for the caller."""

    __slots__ = ("_inner",)

    def __init__(self, inner: Accumulator) -> None:
        self._inner = inner

    def add(self, chunk: Any) -> str | None:
        added = not getattr(chunk, "choices", None) and getattr(chunk, "usage", None) is not None
        try:  # whatever the adapter's accumulator does, the caller must not see what we added
            verdict = self._inner.add(chunk)
        except Exception as exc:  # noqa: BLE001
            internal_error("stream.chunk", exc)
            verdict = None
        if added:
            return HIDE_CHUNK
        _unsend(chunk, "usage")
        return verdict

    def result(self) -> GenAIResponse:
        return self._inner.result()


def _unsend(model: Any, name: str) -> None:
    """Make a field of an SDK model look as if the server had not sent it (pydantic v2, and v1's spelling)."""
    fields_set = getattr(model, "__pydantic_fields_set__", None)
    if fields_set is None:
        fields_set = getattr(model, "__fields_set__", None)
    if fields_set is None or name not in fields_set:
        return
    fields_set.discard(name)
    values = getattr(model, "__dict__", None)
    if values is not None and values.get(name) is not None:
        values[name] = None
