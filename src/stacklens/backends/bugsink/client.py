"""Requests to Bugsink's canonical API: cursor paging from the `next` URL, the projects list, issue paths.

Every path is built from `segment()` values; a 404 on an issue is reworded to name what to check.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

import anyio

from stacklens.backends.bugsink.mapping import project_from_bugsink, rows
from stacklens.errors import InvalidInput, UpstreamError
from stacklens.http import Reply, Upstream, segment
from stacklens.models import Project
from stacklens.refs import IssueRef, check_project

T = TypeVar("T")

PAGE_SIZE = 250  # fixed by Bugsink: every list answers 250 rows a page
PROJECT_PAGES = 20
PROJECT_LIST_MAX_AGE = 300.0
Params = list[tuple[str, str]]


def next_cursor(data: Any) -> str | None:
    """The opaque `cursor` of the body's `next` URL (re-sent on our own base URL: `next` is built from
    Bugsink's BASE_URL setting, which need not be the address we call)."""
    link = data.get("next") if isinstance(data, dict) else None
    if not isinstance(link, str) or not link:
        return None
    found = parse_qs(urlsplit(link).query).get("cursor")
    return found[0] if found else None


def issue_segment(ref: IssueRef) -> str:
    """A UUID or a friendly id, as Bugsink's issue routes take it; a numeric id is another tracker's."""
    if ref.kind == "id":
        raise InvalidInput(
            f"Bugsink has no numeric issue ids: use the friendly id (CHECKOUT-API-1) or the UUID; got {ref.value!r}"
        )
    return segment(ref.value)


class Client:
    """One Bugsink instance: requests, paging and a cached projects list."""

    def __init__(self, upstream: Upstream) -> None:
        self.up = upstream
        self._projects: list[Project] | None = None
        self._projects_at = 0.0
        self._lock = anyio.Lock()

    async def call(
        self,
        method: str,
        path: str,
        *,
        scope: str,
        params: Params | None = None,
        json_body: Any = None,
        idempotent: bool | None = None,
    ) -> Reply:
        return await self.up.request(
            method, path, params=params, json_body=json_body, scope=scope, idempotent=idempotent
        )

    async def page(
        self, path: str, params: Params, cursor: str | None, *, scope: str
    ) -> tuple[list[dict[str, Any]], str | None]:
        """One page of a list: its rows and the next page's cursor (None at the end)."""
        sent = [*params, ("cursor", cursor)] if cursor else params
        reply = await self.call("GET", path, params=sent, scope=scope)
        return rows(reply.data), next_cursor(reply.data)

    async def on_issue(self, ref: IssueRef, call: Awaitable[T]) -> T:
        try:
            return await call
        except UpstreamError as exc:
            if not exc.not_found:
                raise
            raise UpstreamError(
                f"issue {ref} not found in this Bugsink (404). Check the friendly id or UUID "
                "(search_issues lists them); deleted issues are gone for good.",
                404,
            ) from None

    # --- projects ---------------------------------------------------------------------------------

    async def _fetch_projects(self) -> list[Project]:
        found: list[Project] = []
        cursor: str | None = None
        for _ in range(PROJECT_PAGES):
            page, cursor = await self.page("/projects/", [], cursor, scope="projects:read")
            found += [p for p in (project_from_bugsink(r) for r in page) if p]
            if cursor is None:
                break
        self._projects, self._projects_at = found, time.monotonic()
        return found

    async def projects(self, refresh: bool = False) -> list[Project]:
        async with self._lock:
            age = time.monotonic() - self._projects_at
            if self._projects is None or refresh or age > PROJECT_LIST_MAX_AGE:
                return list(await self._fetch_projects())
            return list(self._projects)

    def slugs(self) -> dict[str, str]:
        return {p.id: p.slug or p.name or p.id for p in self._projects or []}

    def label(self, project_id: str) -> str:
        return self.slugs().get(project_id, project_id)

    async def find_project(self, value: str) -> Project:
        """A numeric id (no request) or a slug/name (through the projects list, refreshed once on a miss)."""
        wanted = check_project(value)
        if wanted.isascii() and wanted.isdigit():
            known = {p.id: p for p in self._projects or []}
            return known.get(str(int(wanted)), Project(id=str(int(wanted))))
        for refresh in (False, True):
            for p in await self.projects(refresh=refresh):
                if wanted.lower() in ((p.slug or "").lower(), (p.name or "").lower()):
                    return p
        names = ", ".join(p.slug or p.name or p.id for p in (self._projects or [])[:20])
        raise InvalidInput(
            f"project {wanted!r} not found; known projects: {names or 'none visible to this token'}"
        )
