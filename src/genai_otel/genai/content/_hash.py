"""The prompt hash: a stable fingerprint of an inference call's input, recorded even when content is not captured.

It is taken over the normalized prompt, the same parts a capture would record before redaction and size limits:
``[system_instructions, input_messages, tool_definitions]`` as compact JSON (UTF-8, keys in the order the model
receives them), hashed with BLAKE2b (128-bit digest, 32 hex characters). So:

- the same system prompt, messages and tools give the same hash, in any process, on any machine, whatever the
  model, sampling parameters or headers of the call;
- any change to them (a word of the system prompt, a tool's schema, one more message) gives another hash.

With ``GENAI_OTEL_PROMPT_HASH_SALT`` set, the hash is keyed with the salt (BLAKE2b's keyed mode; a salt longer than
64 bytes is hashed down to 64 first): without the salt nobody can test a guessed prompt against the hash. Hashes
from processes with different salts do not match.
"""

from __future__ import annotations

import json
from hashlib import blake2b
from typing import Any

__all__ = ["PromptHasher", "prompt_hash"]

_KEY_BYTES = 64
_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False,
                           default=lambda value: _stand_in(value)).encode


def _stand_in(value: Any) -> Any:
    """JSON for what JSON cannot hold, stable across runs (never an ``id()``-bearing ``repr``)."""
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return dump(mode="json")
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    if isinstance(value, (tuple, set, frozenset)):
        return sorted(value, key=repr) if not isinstance(value, tuple) else list(value)
    return type(value).__qualname__


class PromptHasher:
    """``hasher(prompt_parts...) -> hex digest``, keyed once with the salt."""

    __slots__ = ("_key",)

    def __init__(self, salt: bytes | None = None) -> None:
        if salt and len(salt) > _KEY_BYTES:
            salt = blake2b(salt, digest_size=_KEY_BYTES).digest()
        self._key = salt or b""

    def __call__(self, system_instructions: Any, input_messages: Any, tool_definitions: Any) -> str:
        text = _encode([system_instructions, input_messages, tool_definitions])
        return blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16, key=self._key).hexdigest()


def prompt_hash(system_instructions: Any, input_messages: Any, tool_definitions: Any,
                salt: bytes | None = None) -> str:
    """The hex digest for one normalized prompt (see the module docstring)."""
    return PromptHasher(salt)(system_instructions, input_messages, tool_definitions)
