"""The local store: GenAI calls kept in an SQLite file on this machine, for when no Collector is configured.

* :mod:`~genai_otel.localstore.exporter`: the ``genai_otel_local`` span exporter (one row per GenAI span).
* :mod:`~genai_otel.localstore.store`: the file (schema, batched writes, retention, corrupt-file recovery).
* :mod:`~genai_otel.localstore.query`: what ``genai-otel report``, ``tail`` and ``doctor`` read.

The path is ``GENAI_OTEL_LOCAL_STORE_PATH``, by default ``~/.local/share/genai-otel/calls.sqlite3``
(``$XDG_DATA_HOME/genai-otel/calls.sqlite3``); the retention is ``GENAI_OTEL_LOCAL_STORE_RETENTION``
(default ``30d,100000``: 30 days, at most 100,000 calls).
"""

from genai_otel.localstore.exporter import LocalStoreSpanExporter
from genai_otel.localstore.store import default_path, store_path

EXPORTER_NAME = "genai_otel_local"
"""The name under the ``opentelemetry_traces_exporter`` entry-point group (``OTEL_TRACES_EXPORTER``)."""

__all__ = ["EXPORTER_NAME", "LocalStoreSpanExporter", "default_path", "store_path"]
