"""The backends stacklens speaks, by name. A new backend is one package plus one line in BACKENDS."""

from __future__ import annotations

from typing import TYPE_CHECKING

from stacklens.backends.base import BackendDescriptor
from stacklens.backends.bugsink.descriptor import DESCRIPTOR as BUGSINK
from stacklens.backends.glitchtip import DESCRIPTOR as GLITCHTIP
from stacklens.backends.jentry import DESCRIPTOR as JENTRY
from stacklens.backends.sentry import DESCRIPTOR as SENTRY
from stacklens.errors import ConfigError

if TYPE_CHECKING:
    from stacklens.backends.base import Backend
    from stacklens.config import Settings
    from stacklens.http import Upstream

# Order matters for `auto`: the first backend whose token is configured wins (Sentry when several are).
BACKENDS: dict[str, BackendDescriptor] = {d.name: d for d in (SENTRY, JENTRY, BUGSINK, GLITCHTIP)}


def descriptor(name: str) -> BackendDescriptor:
    """The backend called `name`; an unknown name is an error, never a fall-through to another backend."""
    found = BACKENDS.get(name)
    if found is None:
        raise ConfigError(f"unknown backend {name!r}: use {', '.join(repr(n) for n in BACKENDS)} or 'auto'")
    return found


def make_backend(settings: Settings, upstream: Upstream) -> Backend:
    return descriptor(settings.backend).factory(settings, upstream)


__all__ = ["BACKENDS", "BackendDescriptor", "descriptor", "make_backend"]
