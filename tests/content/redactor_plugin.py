"""Redactors that tests install through the ``genai_otel_redactors`` entry point group."""

from __future__ import annotations


class Codenames:
    """A class entry point: instantiated once, then called with each captured string."""

    def __call__(self, text: str) -> str:
        return text.replace("Project Falcon", "<CODENAME>")


def upper_ids(text: str) -> str:
    """A function entry point."""
    return text.replace("ACME-42", "<ACME_ID>")


def broken(text: str) -> str:
    raise RuntimeError("this redactor always fails")
