"""genai-otel: an OpenTelemetry distribution for Python applications that call LLMs."""

from genai_otel.version import __version__

__all__ = ["__version__"]
