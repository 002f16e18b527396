"""--demo wiring: the built-in sandbox served in-process (no port, no token, no org to configure)."""

from __future__ import annotations

import logging

import httpx
from pydantic import SecretStr

from stacklens.config import Settings

DEMO_URL = "http://sandbox.stacklens.invalid"  # never resolved: requests go to the in-process ASGI app


def demo_settings(settings: Settings) -> Settings:
    """Point the settings at the sandbox with its own credentials; the user's real ones are not used."""
    from stacklens.sandbox import Sandbox

    defaults = Sandbox.defaults()
    backend = settings.backend
    if not settings.descriptor.demo:  # the sandbox speaks the Sentry API unless asked for Jentry's
        logging.getLogger("stacklens").warning(
            "--demo: %s has no built-in sandbox; serving the Sentry sandbox", settings.descriptor.label
        )
        backend = "sentry"
    token = defaults.token_for(backend)
    return settings.model_copy(
        update={
            "backend": backend, "url": DEMO_URL, "token": SecretStr(token), "org": defaults.org, "project": None,
        }
    )  # fmt: skip


class _LazySandbox(httpx.AsyncBaseTransport):
    """The sandbox app, built at the first upstream request: loading its dataset (~50 ms with the imports)
    would otherwise delay the answer to `initialize`."""

    def __init__(self) -> None:
        self._inner: httpx.ASGITransport | None = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self._inner is None:
            from stacklens.sandbox import Sandbox, create_app

            self._inner = httpx.ASGITransport(app=create_app(Sandbox()))
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        if self._inner is not None:
            await self._inner.aclose()


def demo_transport() -> httpx.AsyncBaseTransport:
    return _LazySandbox()
