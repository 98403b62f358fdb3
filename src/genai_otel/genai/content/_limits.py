"""Size limits: fit captured content into a byte budget by shortening text, so the JSON always stays valid.

The budget counts UTF-8 bytes of the compact JSON serialization. Content over budget is shortened in two steps:

1. **Strings are cut**, longest first: every string value (text, reasoning, tool arguments and responses, blob
   data, ...) is cut to at most ``L`` characters, ``L`` found by water-filling the excess over the string lengths
   and lowered until the JSON fits. Each part that lost characters gets ``"truncated": true``.
2. **Items are dropped** only if the structure alone is still over budget (thousands of messages, or a tiny
   budget): whole messages / tool definitions / parts go, the oldest input messages first, otherwise the last ones;
   the item after a gap, or the last one kept, gets ``"truncated": true``.

Nothing is ever cut inside the JSON text itself, so what comes out parses, and validates against the same schema.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["dumps", "fit", "size"]

# Keys whose string values are structure, never cut: cutting them would make a part invalid or meaningless.
_STRUCTURAL = frozenset({"type", "role", "finish_reason", "id", "name", "mime_type", "modality", "file_id"})
_MARK = "truncated"


def dumps(value: Any) -> str:
    """The compact JSON text of captured content (the span attributes' value).

    A lone surrogate (what JSON's ``"\\ud800"`` escape parses to) stays escaped: raw, it cannot be encoded as UTF-8,
    and an exporter failing to encode one attribute drops its whole batch. It only occurs inside JSON strings, where
    the escape is valid JSON and decodes to the same text.
    """
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=_fallback)
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def _fallback(value: Any) -> Any:
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return dump(mode="json")
    if isinstance(value, (bytes, bytearray, memoryview)):
        return f"<{len(value)} bytes>"
    if isinstance(value, (tuple, set, frozenset)):
        return list(value)
    return f"<{type(value).__name__}>"


def size(value: Any) -> int:
    # surrogatepass: a lone surrogate (JSON's "\ud800" escape, as parsed by the SDK) counts 3 bytes, never raises
    return len(dumps(value).encode("utf-8", "surrogatepass"))


def fit(value: Any, budget: int, drop_front: frozenset[int] = frozenset()) -> tuple[Any, bool]:
    """``value`` (a list, or a dict of lists) made to fit ``budget`` bytes; returns ``(fitted, truncated)``.

    ``value`` is not changed: cutting works on a copy. ``drop_front``: for a dict of lists, the keys' positions whose
    items are dropped oldest-first (input messages); for a list, ``{0}`` drops from the front.
    """
    total = size(value)
    if total <= budget:
        return value, False
    lengths = sorted(_string_lengths(value, []), reverse=True)
    cap = _water_level(lengths, total - budget)
    while True:  # the estimate counts characters, not escapes, UTF-8 bytes or marks: shrink until it fits
        candidate = _cut(value, cap)
        over = size(candidate) - budget
        if over <= 0:
            return candidate, True
        if cap == 0:
            return _drop(candidate, budget, drop_front), True
        longer = sum(1 for length in lengths if length > cap) or 1
        cap = max(0, cap - max(1, -(-over // longer)))


def _string_lengths(value: Any, out: list[int]) -> list[int]:
    if isinstance(value, str):
        out.append(len(value))
    elif isinstance(value, dict):
        for item in value.values():
            _string_lengths(item, out)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _string_lengths(item, out)
    return out


def _water_level(lengths: list[int], excess: int) -> int:
    """The largest cap that removes at least ``excess`` characters from strings of ``lengths`` (longest first)."""
    removed_above = 0
    for count, length in enumerate(lengths, start=1):
        following = lengths[count] if count < len(lengths) else 0
        removed_above += length
        # cutting the ``count`` longest strings to ``following`` removes removed_above - count * following
        if removed_above - count * following >= excess:
            return max(following, (removed_above - excess) // count)
    return 0


def _cut(value: Any, cap: int) -> Any:
    """A copy of ``value`` (a list of items, or a dict of such lists) with every string cut to ``cap`` characters."""
    if isinstance(value, dict):
        return {key: [_cut_item(item, cap) for item in items] if isinstance(items, list) else items
                for key, items in value.items()}
    return [_cut_item(item, cap) for item in value]


def _cut_item(item: Any, cap: int) -> Any:
    """A message (its parts are cut) or a part / tool definition (cut and marked)."""
    if not isinstance(item, dict):
        return _cut_value(item, cap)[0]
    parts = item.get("parts")
    if isinstance(parts, list):
        out = dict(item)
        out["parts"] = [_cut_part(part, cap) for part in parts]
        return out
    return _cut_part(item, cap)


def _cut_part(part: Any, cap: int) -> Any:
    if not isinstance(part, dict):
        return _cut_value(part, cap)[0]
    out: dict[str, Any] = {}
    changed = False
    for key, item in part.items():
        if key in _STRUCTURAL or key == _MARK:
            out[key] = item
        else:
            out[key], cut = _cut_value(item, cap)
            changed = changed or cut
    if changed:
        out[_MARK] = True
    return out


def _cut_value(value: Any, cap: int) -> tuple[Any, bool]:
    """Any JSON value inside a part (tool arguments, a tool response, ...): strings cut, keys kept."""
    if isinstance(value, str):
        return (value[:cap], True) if len(value) > cap else (value, False)
    if isinstance(value, dict):
        out: dict[Any, Any] = {}
        changed = False
        for key, item in value.items():
            out[key], cut = _cut_value(item, cap)
            changed = changed or cut
        return out, changed
    if isinstance(value, (list, tuple)):
        items = [_cut_value(item, cap) for item in value]
        return [item for item, _ in items], any(cut for _, cut in items)
    return value, False


def _drop(value: Any, budget: int, drop_front: frozenset[int]) -> Any:
    """Drop whole items (from the longest list first) until ``value`` fits; the item next to each gap is marked."""
    if isinstance(value, list):
        lists: list[list[Any]] = [value]
        front = [0 in drop_front]
    else:
        lists = list(value.values())
        front = [index in drop_front for index in range(len(lists))]
    while size(value) > budget:
        index = max(range(len(lists)), key=lambda i: len(lists[i]))
        items = lists[index]
        if not items:
            break
        items.pop(0 if front[index] else -1)
        if items:
            edge = items[0] if front[index] else items[-1]
            if isinstance(edge, dict):
                edge[_MARK] = True
    return value
