"""genai-otel: an OpenTelemetry distribution for Python applications that call LLMs."""

from genai_otel.genai.evaluation import record_evaluation
from genai_otel.hooks import CallView, add_hook, allow_metric_attributes
from genai_otel.version import __version__

__all__ = ["CallView", "__version__", "add_hook", "allow_metric_attributes", "record_evaluation"]
