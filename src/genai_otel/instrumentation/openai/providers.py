"""Who answers an ``openai`` SDK call: ``gen_ai.provider.name`` and the endpoint's abilities, from one data table.

The OpenAI SDK talks to many services: OpenAI itself, Azure OpenAI, and every OpenAI-compatible API reached through
``base_url``. Every OpenAI surface (chat, Responses, embeddings, legacy completions) asks :func:`endpoint_of` once
per call; the answer comes from ``providers.json`` beside this module, checked in this order:

1. hosts named in ``GENAI_OTEL_PROVIDER_HOSTS`` (below);
2. the client's class (``AzureOpenAI`` / ``AsyncAzureOpenAI`` -> ``azure.ai.openai``, whatever its host);
3. the table's hosts (``api.groq.com`` -> ``groq``, ``*.openai.azure.com`` -> ``azure.ai.openai``, ...);
4. anything else keeps ``openai``.

``server.address`` / ``server.port`` are always the real host and port the client talks to.

Environment
-----------
``GENAI_OTEL_PROVIDER_HOSTS``
    More hosts, as comma-separated ``host=provider`` pairs; ``host`` may use ``*`` for any characters, e.g.
    ``GENAI_OTEL_PROVIDER_HOSTS="llm.internal.example.com=openai,*.together.xyz=together_ai"``. They take precedence
    over the built-in table. A malformed pair is ignored, with one warning naming the variable and the pair.
    Read once, when the first call is instrumented.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from fnmatch import translate
from importlib import resources
from typing import Any

from genai_otel.genai._safety import internal_error

__all__ = ["PROVIDER_HOSTS_ENV", "Endpoint", "ProviderTable", "endpoint_of", "load_table"]

PROVIDER_HOSTS_ENV = "GENAI_OTEL_PROVIDER_HOSTS"
_DEFAULT_PORTS = {"https": 443, "http": 80}
_HOST_PATTERN = re.compile(r"^[a-z0-9*.\-:]+$")
_PROVIDER_PATTERN = re.compile(r"^[a-z0-9_][a-z0-9_.\-]*$")
_logger = logging.getLogger("genai_otel")


@dataclass(frozen=True, slots=True)
class Endpoint:
    """What one call's target is: the provider name, where it is, and whether it accepts ``include_usage``."""

    provider: str
    host: str | None
    port: int | None
    stream_usage: bool = False
    """The endpoint is known to accept ``stream_options.include_usage`` on streamed chat / completions."""
    min_api_version: str | None = None
    """When set, ``stream_usage`` holds only for calls whose ``api-version`` (if any) is at least this date."""


@dataclass(frozen=True, slots=True)
class _Rule:
    provider: str
    stream_usage: bool
    min_api_version: str | None


class ProviderTable:
    """The resolved table: the user's host rules, client-class rules, built-in host rules, and a lookup cache."""

    __slots__ = ("_cache", "_clients", "_hosts", "_user_hosts")

    def __init__(self, user_hosts: list[tuple[re.Pattern[str], _Rule]], clients: dict[str, _Rule],
                 hosts: list[tuple[re.Pattern[str], _Rule]]) -> None:
        self._user_hosts = user_hosts
        self._clients = clients
        self._hosts = hosts
        self._cache: dict[tuple[type, str | None], _Rule] = {}

    def rule_for(self, client_class: type, host: str | None) -> _Rule:
        key = (client_class, host)
        rule = self._cache.get(key)
        if rule is None:
            rule = self._resolve(client_class, host)
            if len(self._cache) < 1024:  # hosts are few; never let a pathological app grow this without bound
                self._cache[key] = rule
        return rule

    def _resolve(self, client_class: type, host: str | None) -> _Rule:
        name = (host or "").lower()
        for pattern, rule in self._user_hosts:
            if pattern.match(name):
                return rule
        for cls in client_class.__mro__:
            by_class = self._clients.get(f"{cls.__module__}.{cls.__qualname__}")
            if by_class is not None:
                return by_class
        for pattern, rule in self._hosts:
            if pattern.match(name):
                return rule
        return _OPENAI


_OPENAI = _Rule("openai", False, None)


def _compile(host: str) -> re.Pattern[str]:
    return re.compile(translate(host.lower()))


def _rule(entry: Mapping[str, Any]) -> _Rule:
    return _Rule(str(entry["provider"]), bool(entry.get("stream_usage", False)), entry.get("min_api_version"))


def _user_hosts(value: str) -> list[tuple[re.Pattern[str], _Rule]]:
    rules: list[tuple[re.Pattern[str], _Rule]] = []
    bad: list[str] = []
    for pair in value.split(","):
        pair = pair.strip()
        if not pair:
            continue
        host, sep, provider = (part.strip() for part in pair.partition("="))
        host = host.lower()
        if not sep or not _HOST_PATTERN.match(host) or not _PROVIDER_PATTERN.match(provider):
            bad.append(pair)
            continue
        rules.append((_compile(host), _Rule(provider, False, None)))
    if bad:
        _logger.warning("genai-otel: ignoring %s entries %s (expected comma-separated host=provider pairs, "
                        "e.g. llm.example.com=openai)", PROVIDER_HOSTS_ENV, ", ".join(repr(b) for b in bad))
    return rules


def load_table(environ: Mapping[str, str] | None = None, data: Mapping[str, Any] | None = None) -> ProviderTable:
    """Build the table from ``providers.json`` (or ``data``) and ``GENAI_OTEL_PROVIDER_HOSTS`` in ``environ``."""
    if data is None:
        data = json.loads(resources.files(__package__).joinpath("providers.json").read_text("utf-8"))
    environ = os.environ if environ is None else environ
    hosts = [(_compile(entry["host"]), _rule(entry)) for entry in data.get("hosts", ())]
    clients = {entry["client"]: _rule(entry) for entry in data.get("clients", ())}
    return ProviderTable(_user_hosts(environ.get(PROVIDER_HOSTS_ENV, "")), clients, hosts)


_table: ProviderTable | None = None


def _default_table() -> ProviderTable:
    global _table
    if _table is None:
        try:
            _table = load_table()
        except Exception as exc:  # noqa: BLE001 - e.g. providers.json missing from a broken install
            _table = load_table(data={})  # every call still gets its span, as provider "openai"
            internal_error("openai.providers", exc)
    return _table


def _reset(table: ProviderTable | None = None) -> None:
    """Replace (or, with None, forget) the process-wide table; for tests that change the environment."""
    global _table
    _table = table


def endpoint_of(instance: Any) -> Endpoint:
    """The endpoint an SDK resource (``client.chat.completions``, ``client.responses``, ...) sends its calls to."""
    client = instance._client
    base_url = client.base_url
    host = base_url.host or None
    port = base_url.port
    if port is None:
        port = _DEFAULT_PORTS.get(base_url.scheme)
    rule = _default_table().rule_for(type(client), host)
    return Endpoint(rule.provider, host, port, rule.stream_usage, rule.min_api_version)
