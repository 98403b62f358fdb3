"""AWS event-stream binary framing (``application/vnd.amazon.eventstream``), as Bedrock streams use it.

A message is: total length (uint32 BE), headers length (uint32 BE), CRC32 of those 8 bytes, the headers,
the payload, and a CRC32 of everything before it. A header is: name length (uint8), name, value type
(7 = string), value length (uint16 BE), value.
"""

from __future__ import annotations

import base64
import json
import struct
import zlib
from typing import Any

_STRING_VALUE = 7
_PRELUDE_LENGTH = 12
_CRC_LENGTH = 4


def encode_message(headers: dict[str, str], payload: bytes) -> bytes:
    encoded_headers = b"".join(_encode_header(name, value) for name, value in headers.items())
    total = _PRELUDE_LENGTH + len(encoded_headers) + len(payload) + _CRC_LENGTH
    prelude = struct.pack(">II", total, len(encoded_headers))
    message = prelude + struct.pack(">I", zlib.crc32(prelude)) + encoded_headers + payload
    return message + struct.pack(">I", zlib.crc32(message))


def _encode_header(name: str, value: str) -> bytes:
    raw_name, raw_value = name.encode(), value.encode()
    return struct.pack(">B", len(raw_name)) + raw_name + struct.pack(">BH", _STRING_VALUE, len(raw_value)) + raw_value


def bedrock_chunk(event: dict[str, Any]) -> bytes:
    """One Bedrock ``chunk`` event wrapping an Anthropic stream event as base64 ``bytes``."""
    encoded = base64.b64encode(json.dumps(event, separators=(",", ":")).encode()).decode()
    payload = json.dumps({"bytes": encoded, "p": "abcdefghijklmnopqrstuvwxyz"}, separators=(",", ":")).encode()
    headers = {":event-type": "chunk", ":content-type": "application/json", ":message-type": "event"}
    return encode_message(headers, payload)


def decode_messages(data: bytes) -> list[tuple[dict[str, str], bytes]]:
    """Split a buffer back into ``(headers, payload)`` pairs, checking both CRCs. Used by the tests."""
    messages = []
    offset = 0
    while offset < len(data):
        total, headers_length, prelude_crc = struct.unpack_from(">III", data, offset)
        if zlib.crc32(data[offset : offset + 8]) != prelude_crc:
            raise ValueError("event-stream prelude CRC mismatch")
        end = offset + total
        (message_crc,) = struct.unpack_from(">I", data, end - _CRC_LENGTH)
        if zlib.crc32(data[offset : end - _CRC_LENGTH]) != message_crc:
            raise ValueError("event-stream message CRC mismatch")
        headers_start = offset + _PRELUDE_LENGTH
        headers = _decode_headers(data[headers_start : headers_start + headers_length])
        messages.append((headers, data[headers_start + headers_length : end - _CRC_LENGTH]))
        offset = end
    return messages


def _decode_headers(raw: bytes) -> dict[str, str]:
    headers = {}
    position = 0
    while position < len(raw):
        name_length = raw[position]
        name = raw[position + 1 : position + 1 + name_length].decode()
        position += 1 + name_length
        value_type, value_length = struct.unpack_from(">BH", raw, position)
        if value_type != _STRING_VALUE:
            raise ValueError(f"unsupported event-stream header type {value_type}")
        position += 3
        headers[name] = raw[position : position + value_length].decode()
        position += value_length
    return headers
