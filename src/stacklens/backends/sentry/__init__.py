"""The Sentry backend: its descriptor (who it is, what it can do) and, imported on first use, SentryBackend."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from stacklens.backends.sentry.descriptor import DESCRIPTOR

if TYPE_CHECKING:
    from stacklens.backends.sentry.backend import SentryBackend


def __getattr__(name: str) -> Any:
    # The backend class pulls in its mapping and search modules: only servers that use it pay for them.
    if name == "SentryBackend":
        from stacklens.backends.sentry.backend import SentryBackend

        return SentryBackend
    raise AttributeError(name)


__all__ = ["DESCRIPTOR", "SentryBackend"]
