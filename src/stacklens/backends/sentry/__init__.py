"""Sentry (sentry.io and self-hosted) over its REST API `/api/0`."""

from stacklens.backends.sentry.backend import SentryBackend

__all__ = ["SentryBackend"]
