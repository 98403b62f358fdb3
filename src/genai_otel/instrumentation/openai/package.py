"""The openai SDK versions this instrumentation supports."""

_instruments = ("openai >= 1.26, < 4",)
