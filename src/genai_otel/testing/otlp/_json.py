"""OTLP/JSON request parsing, and JSON-ready dumps of received records."""

from __future__ import annotations

import base64
import dataclasses
import json
from typing import Any, TypeVar

from google.protobuf import json_format
from google.protobuf.message import Message

MessageT = TypeVar("MessageT", bound=Message)

# OTLP/JSON deviates from the protobuf JSON mapping: these ids are hex strings, not base64.
_HEX_ID_KEYS = frozenset({"traceId", "spanId", "parentSpanId", "trace_id", "span_id", "parent_span_id"})


def _hex_ids_to_base64(node: Any) -> Any:
    if isinstance(node, dict):
        return {
            key: _hex_to_base64(value) if key in _HEX_ID_KEYS and isinstance(value, str) else _hex_ids_to_base64(value)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_hex_ids_to_base64(item) for item in node]
    return node


def _hex_to_base64(hex_id: str) -> str:
    return base64.b64encode(bytes.fromhex(hex_id)).decode("ascii")


def parse_otlp_json(body: bytes, message_class: type[MessageT]) -> MessageT:
    """Parse an OTLP/JSON body; raises ValueError or TypeError when malformed."""
    document = json.loads(body)
    if not isinstance(document, dict):
        raise TypeError("OTLP/JSON body must be a JSON object")
    message: MessageT = message_class()
    json_format.ParseDict(_hex_ids_to_base64(document), message, ignore_unknown_fields=True)
    return message


def to_otlp_json(message: Message) -> bytes:
    text: str = json_format.MessageToJson(message, indent=None)
    return text.encode("utf-8")


def _json_default(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.hex()
    raise TypeError(f"cannot serialise {type(value).__name__} to JSON")


def _plain(item: Any) -> Any:
    return dataclasses.asdict(item) if dataclasses.is_dataclass(item) and not isinstance(item, type) else item


def records_to_json(document: dict[str, Any]) -> str:
    """Serialise a dict of lists of record dataclasses; tuples become lists and bytes become hex strings."""
    plain = {key: [_plain(item) for item in items] for key, items in document.items()}
    return json.dumps(plain, default=_json_default, indent=1)
