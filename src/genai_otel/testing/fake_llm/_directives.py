"""Parse the ``x-fake-llm`` request header into a frozen set of directives."""

from __future__ import annotations

from dataclasses import dataclass, fields

DIRECTIVE_HEADER = "x-fake-llm"

_INT_DIRECTIVES = (
    "chunks",
    "status",
    "fail_first",
    "fail_status",
    "break_after",
    "delay_ms",
    "chunk_delay_ms",
    "tool_calls",
    "cached",
    "reasoning",
    "cache_write",
    "retry_after_ms",
)
_TEXT_DIRECTIVES = ("finish", "response_status")
_FLAG_DIRECTIVES = ("ratelimit",)
RESPONSE_STATUSES = ("completed", "incomplete", "failed", "cancelled", "queued", "in_progress")


class DirectiveError(ValueError):
    """The header holds a directive the fake server does not understand."""


@dataclass(frozen=True)
class Directives:
    """Behaviour requested for one call. ``None`` means "not given, use the natural default"."""

    chunks: int | None = None
    status: int | None = None
    fail_first: int = 0
    fail_status: int = 500
    break_after: int | None = None
    delay_ms: int = 0
    chunk_delay_ms: int = 0
    tool_calls: int = 0
    cached: int = 0
    reasoning: int = 0
    cache_write: int = 0
    retry_after_ms: int | None = None
    finish: str | None = None
    response_status: str | None = None
    ratelimit: bool = False


def parse_directives(header_value: str | None) -> Directives:
    """Turn ``"chunks=3, status=429, ratelimit"`` into :class:`Directives`; raise :class:`DirectiveError` on typos."""
    if not header_value:
        return Directives()
    values: dict[str, object] = {}
    for item in header_value.split(","):
        item = item.strip()
        if not item:
            continue
        name, has_value, raw = (part.strip() for part in item.partition("="))
        values[name] = _convert(name, raw, bool(has_value))
    return Directives(**values)  # type: ignore[arg-type]


def _convert(name: str, raw: str, has_value: bool) -> object:
    if name in _FLAG_DIRECTIVES:
        return not has_value or raw.lower() in ("1", "true", "yes", "on")
    if not has_value or not raw:
        raise DirectiveError(f"fake-llm directive {name!r} needs a value ({name}=...)")
    if name in _INT_DIRECTIVES:
        try:
            number = int(raw)
        except ValueError:
            raise DirectiveError(f"fake-llm directive {name!r} needs an integer, got {raw!r}") from None
        if number < 0:
            raise DirectiveError(f"fake-llm directive {name!r} must not be negative, got {number}")
        return number
    if name == "response_status" and raw not in RESPONSE_STATUSES:
        raise DirectiveError(f"fake-llm response_status must be one of {', '.join(RESPONSE_STATUSES)}, got {raw!r}")
    if name in _TEXT_DIRECTIVES:
        return raw
    known = ", ".join(field.name for field in fields(Directives))
    raise DirectiveError(f"unknown fake-llm directive {name!r}; known directives: {known}")
