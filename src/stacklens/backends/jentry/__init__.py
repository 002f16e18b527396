"""The Jentry backend: its descriptor (who it is, what it can do) and, imported on first use, JentryBackend."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from stacklens.backends.jentry.descriptor import DESCRIPTOR

if TYPE_CHECKING:
    from stacklens.backends.jentry.backend import JentryBackend


def __getattr__(name: str) -> Any:
    # The backend class pulls in its mapping and search modules: only servers that use it pay for them.
    if name == "JentryBackend":
        from stacklens.backends.jentry.backend import JentryBackend

        return JentryBackend
    raise AttributeError(name)


__all__ = ["DESCRIPTOR", "JentryBackend"]
