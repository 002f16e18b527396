"""Sentry's data regions: on sentry.io an organization's API lives at its `links.regionUrl` (read once)."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

import anyio

from stacklens.backends.json import Json
from stacklens.backends.sentry.mapping import _dict
from stacklens.errors import UpstreamError
from stacklens.http import Upstream, segment

log = logging.getLogger("stacklens.sentry")


def region_api_base(region_url: Json) -> str | None:
    """`links.regionUrl` → its API root, only for an https URL on sentry.io (never a host from elsewhere)."""
    if not isinstance(region_url, str) or any(c.isspace() or ord(c) < 32 for c in region_url):
        return None
    parts = urlsplit(region_url.strip())
    host = parts.hostname or ""
    if parts.scheme != "https" or not (host == "sentry.io" or host.endswith(".sentry.io")):
        return None
    if parts.username or parts.password or parts.query or parts.fragment or parts.path not in ("", "/"):
        return None
    try:
        if parts.port not in (None, 443):
            return None
    except ValueError:
        return None
    return f"https://{host}/api/0"


def is_sentry_saas(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    return host == "sentry.io" or host.endswith(".sentry.io")


class RegionBase:
    """The org's API base: its region on sentry.io (read once, lazily), else the instance URL (None)."""

    def __init__(self, upstream: Upstream, url: str, org: str) -> None:
        self._up = upstream
        self._org = org
        self._checked = not is_sentry_saas(url)
        self._base: str | None = None
        self._lock = anyio.Lock()

    async def get(self) -> str | None:
        if self._checked:
            return self._base
        async with self._lock:
            if self._checked:
                return self._base
            try:
                reply = await self._up.request(
                    "GET", f"/organizations/{segment(self._org)}/", scope="org:read"
                )
            except UpstreamError as exc:
                # Transient or auth failures are not remembered; a 403/404 shows again on the real call.
                if exc.status is None or exc.status in (401, 429) or exc.status >= 500:
                    raise
                self._checked = True
                return None
            raw = _dict(_dict(reply.data).get("links")).get("regionUrl")
            self._base = region_api_base(raw)
            if raw and self._base is None:
                log.warning("ignoring an unexpected regionUrl for organization %s", self._org)
            self._checked = True
            return self._base
