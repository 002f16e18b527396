"""--demo wiring: the built-in sandbox served in-process (no port, no token, no org to configure)."""

from __future__ import annotations

import httpx
from pydantic import SecretStr

from stacklens.config import Settings

DEMO_URL = "http://sandbox.stacklens.invalid"  # never resolved: requests go to the in-process ASGI app


def demo_settings(settings: Settings) -> Settings:
    """Point the settings at the sandbox with its own credentials; the user's real ones are not used."""
    from stacklens.sandbox import Sandbox

    defaults = Sandbox.defaults()
    token = defaults.sentry_token if settings.backend == "sentry" else defaults.jentry_token
    return settings.model_copy(
        update={"url": DEMO_URL, "token": SecretStr(token), "org": defaults.org, "project": None}
    )


def demo_transport() -> httpx.AsyncBaseTransport:
    from stacklens.sandbox import Sandbox, create_app

    return httpx.ASGITransport(app=create_app(Sandbox()))
