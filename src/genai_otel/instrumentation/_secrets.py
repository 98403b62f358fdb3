"""The credentials and header values of one call to a Stainless-built SDK (openai, anthropic).

Gathered only while content capture is on, so that they can be scrubbed from the captured copy of the content even
when redaction is off (a user pasting their key into a prompt, a model echoing it back). They are never recorded.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["MIN_SECRET_LENGTH", "call_secrets"]

MIN_SECRET_LENGTH = 8
"""Shorter values are not scrubbed: a header value such as ``1`` or ``true`` would erase ordinary text."""

_CLIENT_CREDENTIALS = ("api_key", "auth_token", "azure_ad_token", "webhook_secret")
_COOKIE_HEADERS = frozenset({"cookie", "set-cookie"})
_SENSITIVE_QUERY = frozenset({"api-key", "api_key", "key", "token", "access_token", "sig", "signature"})


def call_secrets(instance: Any, kwargs: Mapping[str, Any]) -> tuple[str, ...]:
    """Values never to be exported for this call: the client's keys (what its ``Authorization`` / ``x-api-key`` /
    ``api-key`` headers carry) and every header value the caller set (the client's ``default_headers``, the call's
    ``extra_headers``); ``Bearer x`` contributes ``x`` and a cookie header each cookie's value too."""
    found: list[str] = []
    client = getattr(instance, "_client", None)
    for name in _CLIENT_CREDENTIALS:
        value = getattr(client, name, None)
        if isinstance(value, str):
            found.append(value)
    # The caller's own headers (the client's ``default_headers``, the call's ``extra_headers``): every value. The
    # SDK's auth headers are made of the credentials above.
    for headers in (getattr(client, "_custom_headers", None), kwargs.get("extra_headers")):
        if not isinstance(headers, Mapping):
            continue
        for name, value in headers.items():
            lowered = name.lower() if isinstance(name, str) else ""
            found.append(value)
            if lowered in _COOKIE_HEADERS and isinstance(value, str):  # each cookie's value on its own too
                found += (pair.partition("=")[2].strip() for pair in value.split(";"))
    query = kwargs.get("extra_query")
    if isinstance(query, Mapping):
        found += (v for k, v in query.items() if isinstance(k, str) and k.lower() in _SENSITIVE_QUERY)
    secrets: list[str] = []
    for value in found:
        if not isinstance(value, str):
            continue
        secrets.append(value)
        scheme, _, credential = value.partition(" ")
        if credential and scheme.lower() in ("bearer", "basic", "token"):
            secrets.append(credential.strip())
    # Longest first, so a key inside a longer header value is replaced as part of the whole value.
    unique = {value for value in secrets if len(value) >= MIN_SECRET_LENGTH}
    return tuple(sorted(unique, key=len, reverse=True))

