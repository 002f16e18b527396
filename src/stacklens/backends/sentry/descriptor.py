"""Sentry (sentry.io and self-hosted): who it is and what it can do."""

from __future__ import annotations

from typing import TYPE_CHECKING

from stacklens.backends.base import Backend, BackendDescriptor, Capabilities
from stacklens.refs import STANDARD

if TYPE_CHECKING:
    from stacklens.config import Settings
    from stacklens.http import Upstream


def _make(settings: Settings, upstream: Upstream) -> Backend:
    from stacklens.backends.sentry.backend import SentryBackend

    return SentryBackend(settings, upstream)


DESCRIPTOR = BackendDescriptor(
    name="sentry",
    label="Sentry",
    token_vars=("SENTRY_AUTH_TOKEN", "SENTRY_ACCESS_TOKEN"),
    url_var="SENTRY_URL",
    default_url="https://sentry.io",
    api_prefix="/api/0",
    factory=_make,
    refs=STANDARD,
    capabilities=Capabilities(),
    org_vars=("SENTRY_ORG",),
    needs_org=True,
    demo=True,
)
