"""Build a small value that satisfies a JSON schema, for structured outputs and tool arguments."""

from __future__ import annotations

from typing import Any

_STRING_FORMATS = {
    "date": "2024-01-15",
    "date-time": "2024-01-15T12:00:00Z",
    "time": "12:00:00",
    "email": "user@example.com",
    "uri": "https://example.com",
    "uuid": "00000000-0000-4000-8000-000000000000",
}
_MAX_DEPTH = 8


def sample_for_schema(schema: Any, *, root: Any = None, depth: int = 0) -> Any:
    """A deterministic value of the schema's type: every property (required or not) filled in.

    Handles ``$ref`` into ``$defs``/``definitions``, ``anyOf``/``oneOf``/``allOf`` (first non-null branch),
    ``enum``, ``const``, string ``format``s, arrays (one item) and the scalar types.
    """
    root = schema if root is None else root
    if not isinstance(schema, dict) or depth > _MAX_DEPTH:
        return None
    if "$ref" in schema:
        return sample_for_schema(_resolve(root, schema["$ref"]), root=root, depth=depth + 1)
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    for combinator in ("anyOf", "oneOf", "allOf"):
        branches = schema.get(combinator)
        if isinstance(branches, list) and branches:
            return sample_for_schema(_first_non_null(branches), root=root, depth=depth + 1)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((item for item in kind if item != "null"), "null")
    if kind is None and "properties" in schema:
        kind = "object"
    return _sample_of_type(kind, schema, root, depth)


def _sample_of_type(kind: Any, schema: dict[str, Any], root: Any, depth: int) -> Any:
    if kind == "object":
        properties = schema.get("properties") or {}
        return {name: sample_for_schema(sub, root=root, depth=depth + 1) for name, sub in properties.items()}
    if kind == "array":
        item = sample_for_schema(schema.get("items") or {"type": "string"}, root=root, depth=depth + 1)
        return [item] * max(1, int(schema.get("minItems", 1)))
    if kind == "string":
        return _STRING_FORMATS.get(str(schema.get("format")), "word0")
    if kind == "integer":
        return int(schema.get("minimum", 1))
    if kind == "number":
        return float(schema.get("minimum", 1.5))
    if kind == "boolean":
        return True
    return None


def _first_non_null(branches: list[Any]) -> Any:
    for branch in branches:
        if not (isinstance(branch, dict) and branch.get("type") == "null"):
            return branch
    return branches[0]


def _resolve(root: Any, reference: str) -> Any:
    if not reference.startswith("#/"):
        return {}
    node = root
    for part in reference[2:].split("/"):
        if not isinstance(node, dict):
            return {}
        node = node.get(part.replace("~1", "/").replace("~0", "~"))
    return node
