"""Redaction of captured text: built-in detectors, the caller's own patterns, and plugged-in redactors.

A redactor is any ``Callable[[str], str]``. The chain applies, in order: the built-in detectors that are enabled,
the patterns from ``GENAI_OTEL_REDACT_PATTERNS``, then redactors from the ``genai_otel_redactors`` entry point group.
Each match is replaced by a typed placeholder such as ``<EMAIL>``.

Only the captured copy of the content is redacted; what is sent to the provider is never touched.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from genai_otel._settings import warn_once
from genai_otel.environment_variables import GENAI_OTEL_REDACT, GENAI_OTEL_REDACT_PATTERNS

__all__ = [
    "DETECTORS",
    "ENTRY_POINT_GROUP",
    "GROUPS",
    "Detector",
    "Redactor",
    "RedactionChain",
    "build_chain",
    "luhn_valid",
]

Redactor = Callable[[str], str]
ENTRY_POINT_GROUP = "genai_otel_redactors"
_logger = logging.getLogger("genai_otel")


def luhn_valid(digits: str) -> bool:
    """The Luhn checksum of a string of digits (payment card numbers carry one)."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if position % 2:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def _card(match: re.Match[str]) -> bool:
    digits = re.sub(r"[ -]", "", match.group(0))
    return 13 <= len(digits) <= 19 and luhn_valid(digits)


def _ipv6(match: re.Match[str]) -> bool:
    candidate = match.group(0)
    if candidate.count(":") < 2:
        return False
    try:
        ipaddress.IPv6Address(candidate)
    except ValueError:
        return False
    return any(c not in ":" for c in candidate)  # "::" alone is no address anyone wrote down


@dataclass(frozen=True)
class Detector:
    """One built-in detector: a regex, the placeholder for its matches, and an optional check of each match."""

    name: str
    placeholder: str
    pattern: re.Pattern[str]
    check: Callable[[re.Match[str]], bool] | None = None
    group: int = 0
    """The regex group that is replaced (0: the whole match), e.g. the value after ``aws_secret_access_key=``."""
    hints: tuple[str, ...] = ()
    """Substrings every match contains one of: text without any is skipped without running the regex."""
    prefilter: re.Pattern[str] | None = None
    """A cheap pattern every match contains (e.g. a run of digits): text without it is skipped."""

    def __call__(self, text: str) -> str:
        hints = self.hints
        if hints:
            for hint in hints:
                if hint in text:
                    break
            else:
                return text
        if self.prefilter is not None and self.prefilter.search(text) is None:
            return text
        pattern, check, group, placeholder = self.pattern, self.check, self.group, self.placeholder
        if group == 0 and check is None:
            return pattern.sub(placeholder, text)

        def replace(match: re.Match[str]) -> str:
            if check is not None and not check(match):
                return match.group(0)
            if group == 0:
                return placeholder
            whole, start = match.group(0), match.start()
            return whole[:match.start(group) - start] + placeholder + whole[match.end(group) - start:]

        return pattern.sub(replace, text)


_IPV4_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
# Prefilters start with a character set, which lets ``re`` skip quickly to candidate positions.
_FOUR_DIGITS = re.compile(r"[0-9][0-9][0-9][0-9]")  # cards are written in groups of 4 digits (Amex 4-6-5) or unbroken
_PHONE_DIGITS = re.compile(r"[+0-9][0-9][0-9]")  # a 3-digit group, or a country code: +1 555, +33 1, +44 20
_SSN_DIGITS = re.compile(r"[0-9]-[0-9]")

# In the order they run: secrets first (a JWT or key must not be half-eaten by the phone detector), then the
# patterns with separators (email, SSN, card), then IP addresses (v6 first: it may end in a v4 address), then phone
# numbers.
DETECTORS: tuple[Detector, ...] = (
    Detector("jwt", "<JWT>", re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"),
             hints=("eyJ",)),
    Detector("bearer_token", "Bearer <BEARER_TOKEN>",
             re.compile(r"\b[Bb]earer\s+[A-Za-z0-9._~+/-]{8,}=*"), hints=("earer",)),
    Detector("anthropic_key", "<ANTHROPIC_API_KEY>", re.compile(r"\bsk-ant-[A-Za-z0-9_-]{16,}"),
             hints=("sk-ant-",)),
    Detector("openai_key", "<OPENAI_API_KEY>", re.compile(r"\bsk-(?!ant-)[A-Za-z0-9_-]{20,}"), hints=("sk-",)),
    Detector("aws_key", "<AWS_ACCESS_KEY_ID>", re.compile(r"\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b"),
             hints=("AKIA", "ASIA", "ABIA", "ACCA")),
    Detector("aws_key", "<AWS_SECRET_ACCESS_KEY>",
             re.compile(r"(?i)\baws_?secret_?access_?key[\"']?\s*[:=]\s*[\"']?([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+])"),
             group=1, hints=("ecret", "ECRET")),
    Detector("email", "<EMAIL>",
             re.compile(r"(?<![\w.+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
                        r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}\b"), hints=("@",)),
    Detector("us_ssn", "<US_SSN>",
             re.compile(r"(?<![\w-])(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![\w-])"), prefilter=_SSN_DIGITS),
    Detector("credit_card", "<CREDIT_CARD>",
             re.compile(r"(?<![\w-])\d(?:[ -]?\d){12,18}(?![\w-])"), check=_card,
             prefilter=_FOUR_DIGITS),
    Detector("ipv6", "<IPV6>",
             re.compile(r"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:" + _IPV4_OCTET + r"(?:\." + _IPV4_OCTET +
                        r"){3}|[0-9A-Fa-f]{1,4})?(?![\w:]|\.\d)"),
             check=_ipv6, hints=(":",)),
    Detector("ipv4", "<IPV4>", re.compile(rf"(?<![\w.]){_IPV4_OCTET}(?:\.{_IPV4_OCTET}){{3}}(?![\w]|\.\d)"),
             hints=(".",)),
    Detector("phone", "<PHONE>",
             re.compile(r"(?<![\w+])(?:"
                        r"\+[1-9]\d{0,2}[ .-]?(?:\(\d{1,4}\)[ .-]?)?\d{1,4}(?:[ .-]?\d{2,4}){2,4}"  # international
                        r"|(?:\(\d{3}\)\s?|\d{3}[.-])\d{3}[.-]\d{4}"  # North American with separators
                        r")(?![\w-])"), prefilter=_PHONE_DIGITS),
)

GROUPS: dict[str, tuple[str, ...]] = {
    "secrets": ("jwt", "bearer_token", "anthropic_key", "openai_key", "aws_key"),
    "ip": ("ipv4", "ipv6"),
}
_BUILTIN_NAMES = tuple(dict.fromkeys(d.name for d in DETECTORS))


class RedactionChain:
    """The redactors in effect, applied in order to every captured string."""

    __slots__ = ("names", "_redactors")

    def __init__(self, redactors: Sequence[tuple[str, Redactor]]) -> None:
        self.names = tuple(dict.fromkeys(name for name, _ in redactors))
        self._redactors = tuple(redactor for _, redactor in redactors)

    def __bool__(self) -> bool:
        return bool(self._redactors)

    def __call__(self, text: str) -> str:
        for redactor in self._redactors:
            text = redactor(text)
            if not isinstance(text, str):
                raise TypeError(f"a redactor returned {type(text).__name__}, not str")
        return text


def _pattern_redactors(raw: str | None) -> list[tuple[str, Redactor]]:
    """``GENAI_OTEL_REDACT_PATTERNS``: a JSON object ``{"PLACEHOLDER_TYPE": "regex", ...}``."""
    if not raw or not raw.strip():
        return []
    name = GENAI_OTEL_REDACT_PATTERNS
    try:
        table = json.loads(raw)
    except ValueError:
        table = None
    if not isinstance(table, dict):
        warn_once(f"env:{name}={raw}", "genai-otel: ignoring %s=%r (expected a JSON object of placeholder type to "
                  "regular expression, e.g. {\"EMPLOYEE_ID\": \"EMP-\\\\d{6}\"})", name, raw)
        return []
    redactors: list[tuple[str, Redactor]] = []
    for kind, regex in table.items():
        try:
            if not isinstance(regex, str) or not re.fullmatch(r"[A-Za-z0-9_]+", str(kind)):
                raise re.error("expected a regular expression for a placeholder type made of A-Z, 0-9 and _")
            pattern = re.compile(regex)
        except re.error as exc:
            warn_once(f"env:{name}:{kind}", "genai-otel: ignoring %r in %s (%s)", kind, name, exc)
            continue
        placeholder = f"<{str(kind).upper()}>"
        redactors.append((f"pattern:{kind}", _substitute(pattern, placeholder)))
    return redactors


def _substitute(pattern: re.Pattern[str], placeholder: str) -> Redactor:
    def redact(text: str) -> str:
        return pattern.sub(placeholder, text)

    return redact


def _plugins(names: set[str] | None) -> list[tuple[str, Redactor]]:
    """Redactors installed under the ``genai_otel_redactors`` entry point group (all, or those ``names`` lists)."""
    from importlib.metadata import entry_points  # noqa: PLC0415 - read once, at instrument time

    redactors: list[tuple[str, Redactor]] = []
    for entry in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        if names is not None and entry.name not in names:
            continue
        try:
            loaded = entry.load()
            redactor = loaded() if isinstance(loaded, type) else loaded
            if not callable(redactor):
                raise TypeError(f"{entry.value} is not callable")
        except Exception as exc:  # noqa: BLE001 - a broken plugin must not stop the app
            _logger.error("genai-otel: cannot load redactor %r from %s: %s; captured content is not sent while a "
                          "requested redactor is missing", entry.name, entry.value, exc)
            redactors.append((entry.name, _withhold))
            continue
        redactors.append((entry.name, redactor))
    return redactors


def _withhold(text: str) -> str:
    """Stands in for a redactor that could not be loaded: nothing it should have seen gets out."""
    return "<REDACTED>" if text else text


def build_chain(environ: dict[str, str] | None = None, plugin_names: Iterable[str] | None = None) -> RedactionChain:
    """The chain ``GENAI_OTEL_REDACT`` and ``GENAI_OTEL_REDACT_PATTERNS`` ask for (read from ``environ``)."""
    env = os.environ if environ is None else environ
    raw = env.get(GENAI_OTEL_REDACT, "").strip()
    wanted = [item.strip().lower() for item in raw.split(",") if item.strip()] if raw else ["all"]
    builtin: set[str] = set()
    plugins: set[str] | None = set()
    known_plugins = set(plugin_names) if plugin_names is not None else _plugin_names()
    unknown: list[str] = []
    for item in wanted:
        if item == "all":
            builtin.update(_BUILTIN_NAMES)
            plugins = None
        elif item == "none":
            continue
        elif item in GROUPS:
            builtin.update(GROUPS[item])
        elif item in _BUILTIN_NAMES:
            builtin.add(item)
        elif item in known_plugins:
            if plugins is not None:
                plugins.add(item)
        else:
            unknown.append(item)
    if unknown:
        nothing_known = len(unknown) == len(wanted)
        if nothing_known:  # a value with no usable entry is a bad value: the default (all) applies, not none
            builtin.update(_BUILTIN_NAMES)
            plugins = None
        warn_once(f"env:{GENAI_OTEL_REDACT}={raw}", "genai-otel: ignoring %s entries %s in %s=%r (known: all, none, "
                  "%s, and installed %s plugins %s)%s", GENAI_OTEL_REDACT, ", ".join(repr(u) for u in unknown),
                  GENAI_OTEL_REDACT, raw, ", ".join((*_BUILTIN_NAMES, *GROUPS)), ENTRY_POINT_GROUP,
                  sorted(known_plugins) or "(none)", "; using the default 'all'" if nothing_known else "")
    redactors: list[tuple[str, Redactor]] = [(d.name, d) for d in DETECTORS if d.name in builtin]
    redactors += _pattern_redactors(env.get(GENAI_OTEL_REDACT_PATTERNS))
    if plugins is None or plugins:
        redactors += _plugins(plugins)
    return RedactionChain(redactors)


def _plugin_names() -> set[str]:
    from importlib.metadata import entry_points  # noqa: PLC0415

    return {entry.name for entry in entry_points(group=ENTRY_POINT_GROUP)}
