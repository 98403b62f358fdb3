"""The openai SDK versions this instrumentation supports."""

_instruments = ("openai >= 2.0, < 4",)
