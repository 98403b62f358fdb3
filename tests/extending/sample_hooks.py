"""Hooks loaded by name in tests/extending/test_hooks_config.py (``GENAI_OTEL_HOOKS`` and the entry-point group)."""

from __future__ import annotations

from genai_otel.hooks import CallView


def before(call: CallView) -> None:
    """As a module target (``tests.extending.sample_hooks``), this module's ``before`` and ``end`` are hooks."""
    call.set_attribute("app.module_before", True)


def end(call: CallView) -> None:
    call.set_attribute("app.module_end", call.output_text or "")


def tag_tenant(call: CallView) -> None:
    call.set_attribute("app.tenant", "acme")
    call.set_metric_attribute("app.tenant", "acme")


class EntryPointHooks:
    """Registered through an entry point: the class's ``success`` method is the hook (called on the class itself)."""

    @staticmethod
    def success(call: CallView) -> None:
        call.set_attribute("app.from_entry_point", call.request_model or "")


def broken(call: CallView) -> None:
    """An ``end`` hook with a bug (tests/extending/test_health.py)."""
    raise RuntimeError("hook bug")
