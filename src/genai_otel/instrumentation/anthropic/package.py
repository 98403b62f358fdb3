"""The anthropic SDK versions this instrumentation supports."""

_instruments = ("anthropic >= 0.40, < 3",)
