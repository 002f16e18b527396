"""Servers that answer on Sentry's routes without being Sentry.

GlitchTip serves an `/api/0/` close to Sentry's: pointed at one, the Sentry backend meets 422s for Sentry's
sort names, 405s on routes GlitchTip serves for PUT only, and its web app's HTML for routes it lacks. None of
that is a scope or URL problem, so the first such answer makes one check of `GET /api/settings/` (GlitchTip's
own, unauthenticated) and, when it is GlitchTip, says which backend to use instead.
"""

from __future__ import annotations

import anyio

from stacklens.backends.json import JsonObject
from stacklens.errors import NotSupported, NotTheApi, StacklensError, UpstreamError
from stacklens.http import Upstream

# Answers that mean "this route or parameter is not Sentry's": worth asking the server what it is.
TELLTALE_STATUSES = frozenset({405, 422})
_GLITCHTIP_KEYS = ("iPaidForGlitchTip", "glitchtipInstanceName")


def is_telltale(exc: UpstreamError) -> bool:
    return isinstance(exc, NotTheApi) or exc.status in TELLTALE_STATUSES


class Lookalike:
    """Whether the instance is GlitchTip, found out once (at the first telltale answer)."""

    def __init__(self, upstream: Upstream, instance_url: str) -> None:
        self._up = upstream
        self._api = instance_url.rstrip("/") + "/api"
        self._version: str | None = None
        self._checked = False
        self._lock = anyio.Lock()

    async def glitchtip_version(self) -> str | None:
        async with self._lock:
            if not self._checked:
                self._checked = True
                try:
                    reply = await self._up.request("GET", "/settings/", base_url=self._api)
                except StacklensError:
                    return None
                data: JsonObject = reply.data if isinstance(reply.data, dict) else {}
                if any(key in data for key in _GLITCHTIP_KEYS):
                    version = data.get("version")
                    self._version = str(version)[:40] if isinstance(version, str | int | float) else "?"
        return self._version

    async def explain(self, exc: UpstreamError) -> None:
        """Raise the "this is GlitchTip" error when it is; return (letting `exc` stand) otherwise."""
        if not is_telltale(exc):
            return
        version = await self.glitchtip_version()
        if version is not None:
            raise NotSupported(
                f"this server is GlitchTip ({version}), not Sentry: its API differs from Sentry's. Use "
                "--backend glitchtip (STACKLENS_BACKEND=glitchtip) with GLITCHTIP_URL, GLITCHTIP_AUTH_TOKEN "
                "and GLITCHTIP_ORG."
            ) from exc
