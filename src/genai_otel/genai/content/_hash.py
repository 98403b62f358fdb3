"""The prompt hash: a stable fingerprint of an inference call's input, recorded even when content is not captured.

It is taken over the normalized prompt, the same parts a capture would record before redaction and size limits:
``[system_instructions, input_messages, tool_definitions]``. The value is serialized in a compact canonical form
(below) and hashed with SHA-256; the attribute is the first 128 bits in hex (32 characters). So:

- the same system prompt, messages and tools give the same hash, in any process, on any machine, whatever the
  model, sampling parameters or headers of the call;
- any change to them (a word of the system prompt, a tool's schema, one more message) gives another hash.

The canonical form writes every value with a type tag and, for strings and containers, its length, so no text needs
escaping (a 100 KB prompt costs a UTF-8 encoding and SHA-256, not a JSON scan): a string is ``s<len>:<text>``
(length in code points), a list or tuple ``l<len>:`` then its items, a dict ``d<len>:`` then key and value of each
entry in order, ``n`` for None, ``t`` / ``f`` for booleans, ``i<int>;`` and ``r<repr(float)>;``. Dict keys keep the
order the caller gave them (the order the model receives them in). The text is UTF-8 encoded (lone surrogates
passed through).

With ``GENAI_OTEL_PROMPT_HASH_SALT`` set, the digest is HMAC-SHA256 keyed with the salt instead: without the salt
nobody can test a guessed prompt against the hash. Hashes from processes with different salts do not match.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from hashlib import sha256
from typing import Any

__all__ = ["PromptHasher", "canonical", "prompt_hash"]

_HEX_CHARS = 32


def canonical(value: Any) -> str:
    """The canonical text of a JSON-like value (see the module docstring)."""
    out: list[str] = []
    _write(value, out)
    return "".join(out)


_TAGS = 256
_STR = tuple(f"s{n}:" for n in range(_TAGS))  # prefixes of short strings, made once
_DICT = tuple(f"d{n}:" for n in range(_TAGS))
_LIST = tuple(f"l{n}:" for n in range(_TAGS))


def _write(value: Any, out: list[str]) -> None:
    kind = type(value)
    append = out.append
    if kind is str:
        size = len(value)
        append(_STR[size] if size < _TAGS else f"s{size}:")
        append(value)
    elif kind is dict:
        size = len(value)
        append(_DICT[size] if size < _TAGS else f"d{size}:")
        for key, item in value.items():
            if type(key) is str:  # strings inline: most leaves are, and a call per leaf would double the cost
                size = len(key)
                append(_STR[size] if size < _TAGS else f"s{size}:")
                append(key)
            else:
                _write(key, out)
            if type(item) is str:
                size = len(item)
                append(_STR[size] if size < _TAGS else f"s{size}:")
                append(item)
            else:
                _write(item, out)
    elif kind is list or kind is tuple:
        size = len(value)
        append(_LIST[size] if size < _TAGS else f"l{size}:")
        for item in value:
            if type(item) is str:
                size = len(item)
                append(_STR[size] if size < _TAGS else f"s{size}:")
                append(item)
            else:
                _write(item, out)
    elif value is None:
        append("n")
    elif value is True or value is False:
        append("t" if value else "f")
    elif kind is int:
        append(f"i{value};")
    elif kind is float:
        append(f"r{value!r};")
    else:
        _write(_plain(value), out)


def _plain(value: Any) -> Any:
    """What is not a JSON type, as one, stable across runs (never an ``id()``-bearing ``repr``)."""
    if isinstance(value, str):
        return str(value)
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, (list, tuple)):
        return list(value)
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return dump(mode="json")
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    return type(value).__qualname__


class PromptHasher:
    """``hasher(system_instructions, input_messages, tool_definitions) -> 32 hex characters``, keyed once."""

    __slots__ = ("_key",)

    def __init__(self, salt: bytes | None = None) -> None:
        self._key = salt or None

    def __call__(self, system_instructions: Any, input_messages: Any, tool_definitions: Any) -> str:
        data = canonical([system_instructions, input_messages, tool_definitions]).encode("utf-8", "surrogatepass")
        if self._key is None:
            return sha256(data).hexdigest()[:_HEX_CHARS]
        return hmac.digest(self._key, data, "sha256").hex()[:_HEX_CHARS]


def prompt_hash(system_instructions: Any, input_messages: Any, tool_definitions: Any,
                salt: bytes | None = None) -> str:
    """The hash of one normalized prompt (see the module docstring)."""
    return PromptHasher(salt)(system_instructions, input_messages, tool_definitions)
