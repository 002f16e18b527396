"""Upstream backends. `make_backend` picks one from the settings."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from stacklens.backends.base import Backend
    from stacklens.config import Settings
    from stacklens.http import Upstream


def make_backend(settings: Settings, upstream: Upstream) -> Backend:
    if settings.backend == "jentry":
        from stacklens.backends.jentry import JentryBackend

        return JentryBackend(settings, upstream)
    from stacklens.backends.sentry import SentryBackend

    return SentryBackend(settings, upstream)
