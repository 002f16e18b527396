"""Shared by the Jentry backend tests: a backend over a given transport, a scripted multi-project
Jentry (nothing leaves the process), the backend against the sandbox, and the requests it received.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import anyio
import httpx
from hypothesis import strategies as st

from stacklens.backends.jentry import JentryBackend
from stacklens.config import Settings
from stacklens.http import Upstream
from stacklens.models import IssuePage
from stacklens.query import IssueFilter


def make_backend(
    base: str, token: str = "jto_test", transport: httpx.AsyncBaseTransport | None = None, **kw: Any
):
    settings = Settings(backend="jentry", url=base, token=token, **kw)
    upstream = Upstream(
        base_url=settings.api_base,
        token=token,
        label="Jentry",
        token_var="JENTRY_AUTH_TOKEN",
        url_var="JENTRY_URL",
        timeout=5,
        attempts=1,
        transport=transport,
    )
    return JentryBackend(settings, upstream), upstream


T0 = datetime(2026, 6, 1, tzinfo=UTC)


SORT_FIELD = {"last_seen": "lastSeen", "first_seen": "firstSeen", "events": "count", "users": "userCount"}


def page_through(
    projects: dict[int, list[dict[str, Any]]],
    build: Callable[[str | None], IssueFilter],
    on_page: Callable[[IssuePage], None],
    max_pages: int,
) -> None:
    """Against a scripted Jentry, follow next_cursor from the first page to the last, handing each page to
    `on_page` (bounded). Runs its own event loop: hypothesis tests are synchronous."""

    async def walk() -> None:
        backend, upstream = make_backend("http://jentry.test", transport=scripted_jentry(projects, []))
        try:
            cursor = None
            for _ in range(max_pages):
                page = await backend.search_issues(build(cursor))
                on_page(page)
                cursor = page.next_cursor
                if cursor is None:
                    return
            raise AssertionError("paging did not end")
        finally:
            await upstream.aclose()

    anyio.run(walk)


def scripted_jentry(projects: dict[int, list[dict[str, Any]]], log: list[str]) -> httpx.MockTransport:
    """A tiny Jentry: status/level/sort/limit/page/total as documented; ties in the SERVER's own order (id
    ascending), deliberately unlike the backend's tie-break."""

    def handler(request: httpx.Request) -> httpx.Response:
        log.append(str(request.url))
        path = request.url.path
        if path == "/api/v1/projects":
            data = [{"id": pid, "slug": f"p{pid}", "name": f"Project {pid}"} for pid in projects]
            return httpx.Response(200, json={"data": data})
        match = re.fullmatch(r"/api/v1/projects/(\d+)/issues", path)
        assert match, path
        q = request.url.params
        rows = [r for r in projects[int(match.group(1))] if q["status"] in ("all", r["status"])]
        if "level" in q:
            rows = [r for r in rows if r["level"] == q["level"]]
        field = SORT_FIELD[q["sort"]]
        rows = sorted(sorted(rows, key=lambda r: r["id"]), key=lambda r: r[field], reverse=True)
        limit, page = int(q["limit"]), int(q["page"])
        chunk = rows[(page - 1) * limit : page * limit]
        return httpx.Response(200, json={"data": chunk, "page": page, "pageSize": limit, "total": len(rows)})

    return httpx.MockTransport(handler)


issue_rows = st.lists(
    st.fixed_dictionaries(
        {
            "hours": st.integers(0, 6),  # few distinct values: many ties
            "count": st.integers(0, 5),
            "level": st.sampled_from(["error", "fatal", "warning"]),
            "status": st.sampled_from(["unresolved", "unresolved", "resolved"]),
        }
    ),
    max_size=25,
)


def build_projects(raw: list[list[dict[str, Any]]]) -> dict[int, list[dict[str, Any]]]:
    projects: dict[int, list[dict[str, Any]]] = {}
    next_id = 1
    for n, rows in enumerate(raw, start=1):
        items = []
        for r in rows:
            seen = (T0 - timedelta(hours=r["hours"])).isoformat().replace("+00:00", "Z")
            items.append(
                {"id": next_id, "projectId": n, "title": f"issue {next_id}", "level": r["level"],
                 "status": r["status"], "lastSeen": seen, "firstSeen": seen, "count": r["count"],
                 "userCount": r["count"] % 3}
            )  # fmt: skip
            next_id += 1
        projects[n] = items
    return projects


ALL = "jto_sandbox_all"


READ_ONLY = "jto_sandbox_readonly"


ISSUES = r"^/api/v1/projects/\d+/issues$"


@asynccontextmanager
async def jentry(url: str, token: str = ALL, **kw: Any) -> AsyncIterator[JentryBackend]:
    backend, upstream = make_backend(url, token=token, **kw)
    try:
        yield backend
    finally:
        await upstream.aclose()


def calls(sandbox: Any) -> list[tuple[str, str, list[tuple[str, str]]]]:
    return [(r.method, r.path, r.query) for r in sandbox.requests]


def q(**extra: str) -> list[tuple[str, str]]:
    """The issue-list query as sent: plan params (status, sort, …, period) then limit and page."""
    head = [("status", extra.pop("status", "unresolved")), ("sort", extra.pop("sort", "last_seen"))]
    tail = [("limit", extra.pop("limit", "25")), ("page", extra.pop("page", "1"))]
    period = [("period", extra.pop("period", "all"))]
    return head + list(extra.items()) + period + tail


def sandbox_issues(sandbox: Any, **match: Any) -> list[dict[str, Any]]:
    return [i for i in sandbox.issues.values() if all(i[k] == v for k, v in match.items())]


def jid(sandbox: Any, issue: dict[str, Any]) -> int:
    return sandbox.projects[issue["project"]]["jentryId"]


async def walk(backend: JentryBackend, max_pages: int = 50, **kwargs: Any) -> tuple[list[str], list[Any]]:
    ids: list[str] = []
    pages: list[Any] = []
    cursor = None
    for _ in range(max_pages):
        page = await backend.search_issues(IssueFilter.build(cursor=cursor, **kwargs))
        ids += [i.id for i in page.issues]
        pages.append(page)
        cursor = page.next_cursor
        if cursor is None:
            return ids, pages
    raise AssertionError("paging did not end")


def events_of(sandbox: Any, jentry_id: int) -> list[dict[str, Any]]:
    issue = sandbox.issue_by_jentry_id(jentry_id)
    return [e["sdk"] for e in sandbox.events[issue["id"]]]
