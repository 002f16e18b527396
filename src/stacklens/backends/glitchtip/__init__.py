"""GlitchTip (open source, takes Sentry SDK events; a Sentry-like API with its own routes and shapes)."""

from stacklens.backends.glitchtip.descriptor import DESCRIPTOR

__all__ = ["DESCRIPTOR"]
