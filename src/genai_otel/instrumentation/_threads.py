"""Calls made in ``concurrent.futures`` threads nest under the span that submitted them.

asyncio tasks copy the context they are created in, so a GenAI call in a task already has the right parent. Threads
do not: ``ThreadPoolExecutor.submit(fn)`` runs ``fn`` with an empty OpenTelemetry context, so its calls would start
new traces. While a genai-otel instrumentor is active, ``ThreadPoolExecutor.submit`` (and through it ``map`` and
``loop.run_in_executor``) carries the submitter's OpenTelemetry context into the task, attached for the task's
duration and detached after. Nothing else in the context changes (other context variables are the worker's own, as
without us), and submitting with no OpenTelemetry context at all is passed through untouched.

Why here and not ``opentelemetry-instrumentation-threading``: that package does the same for ``Thread`` and
``Timer`` too, but each release pins one exact ``opentelemetry-instrumentation`` version, which would tie
genai-otel's installs to it. Both can run together (the same context attached twice is harmless). Turn ours off
with ``GENAI_OTEL_THREAD_CONTEXT=false``.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import wrapt
from opentelemetry import context as otel_context
from opentelemetry.instrumentation.utils import unwrap

__all__ = ["install", "uninstall"]

_lock = threading.Lock()
_users = 0


def _submit(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
    captured = otel_context.get_current()
    if not captured or not args:
        return wrapped(*args, **kwargs)
    fn = args[0]

    def in_context(*fn_args: Any, **fn_kwargs: Any) -> Any:
        token = otel_context.attach(captured)
        try:
            return fn(*fn_args, **fn_kwargs)
        finally:
            otel_context.detach(token)

    return wrapped(in_context, *args[1:], **kwargs)


def install() -> None:
    """Carry the OpenTelemetry context into executor tasks; counted, each ``install`` undone by one ``uninstall``."""
    global _users
    with _lock:
        _users += 1
        if _users == 1 and getattr(vars(ThreadPoolExecutor).get("submit"), "_self_wrapper", None) is not _submit:
            wrapt.wrap_function_wrapper(ThreadPoolExecutor, "submit", _submit)


def uninstall() -> None:
    global _users
    with _lock:
        if _users == 0:
            return
        _users -= 1
        if _users == 0 and getattr(vars(ThreadPoolExecutor).get("submit"), "_self_wrapper", None) is _submit:
            unwrap(ThreadPoolExecutor, "submit")
