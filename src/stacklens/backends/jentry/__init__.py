"""Jentry over its REST API `/api/v1`."""

from stacklens.backends.jentry.backend import JentryBackend

__all__ = ["JentryBackend"]
