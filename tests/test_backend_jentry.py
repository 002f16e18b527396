"""The Jentry backend: exact requests, faithful answers, a cross-project cursor that never repeats or skips.

Part 1 (pure): lenient mapping, the cursor codec (tampering refused), the PATCH body.
Part 2 (paging property): random multi-project datasets behind a scripted in-process transport (nothing
leaves the process); walking every page must yield each matching issue exactly once, in sort order, even
when the scan budget pauses a project mid-way and the server orders ties differently from us.
Part 3 (end to end): the backend against the sandbox over real HTTP on 127.0.0.1, asserting every request the
sandbox received (method, path, query, body) and the answers.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import time
import zlib
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import anyio
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stacklens.backends.jentry import JentryBackend
from stacklens.backends.jentry import backend as backend_module
from stacklens.backends.jentry import scan as scan_module
from stacklens.backends.jentry.cursor import CursorState, Position, decode_cursor, encode_cursor
from stacklens.backends.jentry.mapping import (
    audit_from_jentry,
    issue_from_jentry,
    release_from_jentry,
    unwrap,
)
from stacklens.backends.jentry.writes import update_body
from stacklens.config import Settings
from stacklens.errors import InvalidInput, NotSupported, NotTheApi, UpstreamError
from stacklens.http import Upstream
from stacklens.models import CommitSpec, DeploySpec, IssueChange, IssuePage, ReleaseSpec
from stacklens.query import IssueFilter
from stacklens.refs import IssueRef, parse_issue_ref
from stacklens.render.records import render_issue


@pytest.fixture
def anyio_backend():
    return "asyncio"


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


# --- Part 1: mapping, cursor, PATCH body ---------------------------------------------------------------


def test_unwrap_is_lenient() -> None:
    assert unwrap({"data": [1]}) == [1]
    assert unwrap([1]) == [1]
    assert unwrap({"id": 3}) == {"id": 3}
    assert unwrap(None) is None


def test_issue_mapping_lenient() -> None:
    issue = issue_from_jentry(
        {
            "id": 42,
            "projectId": 1,
            "title": "TypeError: x",
            "culprit": None,
            "level": "error",
            "status": "unresolved",
            "substatus": "ongoing",
            "firstSeen": "2026-06-20T10:00:00.000Z",
            "lastSeen": "2026-06-29T12:30:00.000Z",
            "count": 1284,
            "userCount": None,
            "assigneeUserId": 7,
            "firstRelease": "web@1.4.0",
            "lastRelease": None,
            "permalink": "https://jentry.app/projects/1/issues/42",
            "unknown": {"ignored": True},
        },
        {"1": "web-app"},
    )
    assert issue is not None
    assert (issue.id, issue.project, issue.project_id, issue.assignee) == ("42", "web-app", "1", "7")
    assert issue.short_id is None and issue.user_count is None and issue.count == 1284
    assert issue.last_seen == datetime(2026, 6, 29, 12, 30, tzinfo=UTC)
    assert issue_from_jentry({"title": "no id"}) is None
    bare = issue_from_jentry({"id": "5", "assigneeUserId": None, "projectId": 9})
    assert bare is not None and bare.assignee is None and bare.project == "9"


def test_release_and_audit_mapping() -> None:
    rel = release_from_jentry(
        {"release": "web@1.4.2", "events": 5821, "issues": 12, "newIssues": 3,
         "firstSeen": "2026-06-27T09:00:00Z", "lastSeen": "2026-06-29T12:30:00Z", "sessions": 24010,
         "crashFreeRate": 99.4, "adoption": 38.2},
        "web-app",
    )  # fmt: skip
    assert rel is not None and rel.version == "web@1.4.2" and rel.projects == ["web-app"]
    assert (rel.new_issues, rel.issues, rel.events) == (3, 12, 5821)
    assert rel.health is not None and rel.health.crash_free_sessions == 99.4 and rel.health.sessions == 24010
    assert release_from_jentry({"release": "x", "crashFreeRate": None}).health is None  # type: ignore[union-attr]
    assert release_from_jentry({"events": 1}) is None
    entry = audit_from_jentry(
        {"id": 901, "action": "issue.resolve", "target": "issue:42", "userId": 3, "meta": {"via": "api"},
         "createdAt": "2026-06-29T12:31:00.000Z"}
    )  # fmt: skip
    assert (entry.id, entry.action, entry.actor, entry.target, entry.note) == (
        "901", "issue.resolve", "user:3", "issue:42", "via=api"
    )  # fmt: skip


def test_cursor_round_trip_and_tampering() -> None:
    state = CursorState("abc", 25, {"1": Position(2, 5, "77"), "2": Position(1, 0, None)}, {"3"})
    text = encode_cursor(state)
    assert decode_cursor(text, "abc") == state
    with pytest.raises(InvalidInput, match="different search"):
        decode_cursor(text, "other")
    body = text[3:].split(".")[0]
    flipped = "A" if body[5] != "A" else "B"
    for bad in (
        text[:-1] + ("0" if text[-1] != "0" else "1"),  # digest changed
        text[:8] + flipped + text[9:],  # payload changed
        text[:-20],  # truncated
        "j1.%%%.abc",
        "garbage",
        "",
    ):
        with pytest.raises(InvalidInput, match="cursor is not valid"):
            decode_cursor(bad, "abc")


def test_cursor_forged_with_a_valid_digest_is_still_checked() -> None:
    """A hand-made cursor (digest recomputed) with out-of-range values is refused, not obeyed."""
    for positions in (
        {"1": [0, 0, None]},
        {"1": [1, 500, None]},
        {"../x": [1, 0, None]},
        {"1": [1, 0, "a/b"]},
        {"1": [1, 0, "7", "late", 0]},
        {"1": [1, 0, "7", float("nan"), 0]},
        {"1": [1, 0, "7", 1.5, 2]},
        {"1": [1, 0, "7", 1.5, True]},
        {"1": [1, 0, "7", 1.5, 0, "extra"]},
    ):
        state_text = encode_cursor(CursorState("abc", 25, {}, set()))
        raw = json.dumps({"v": 1, "f": "abc", "n": 25, "p": positions, "d": []}, separators=(",", ":"))
        forged = (
            "j1."
            + base64.urlsafe_b64encode(zlib.compress(raw.encode())).decode().rstrip("=")
            + "."
            + hashlib.sha256(raw.encode()).hexdigest()[:12]
        )
        assert state_text != forged
        with pytest.raises(InvalidInput, match="cursor is not valid"):
            decode_cursor(forged, "abc")


def test_cursor_positions_without_key_still_decode() -> None:
    """A cursor issued before positions carried the anchor's sort value (3 items) still works."""
    raw = json.dumps({"v": 1, "f": "abc", "n": 25, "p": {"1": [2, 5, "77"]}, "d": []}, separators=(",", ":"))
    text = (
        "j1."
        + base64.urlsafe_b64encode(zlib.compress(raw.encode())).decode().rstrip("=")
        + "."
        + hashlib.sha256(raw.encode()).hexdigest()[:12]
    )
    assert decode_cursor(text, "abc").positions == {"1": Position(2, 5, "77", None, False)}
    state = CursorState("abc", 25, {"1": Position(2, 5, "77", 1764612551.0, True)}, set())
    assert decode_cursor(encode_cursor(state), "abc") == state
    # A fractional key (a timestamp's milliseconds) is rounded up: a realignment then repeats, never skips.
    state.positions["1"] = Position(2, 5, "77", 1764612551.158, True)
    assert decode_cursor(encode_cursor(state), "abc").positions["1"].key == 1764612552.0


@pytest.mark.parametrize(
    ("change", "body"),
    [
        ({"status": "resolved"}, {"status": "resolved"}),
        ({"status": "Ignored"}, {"status": "ignored"}),
        ({"assignee": "12"}, {"assigneeUserId": 12}),
        ({"assignee": "user:12"}, {"assigneeUserId": 12}),
        ({"assignee": "none"}, {"assigneeUserId": None}),
        ({"assignee": "me"}, {"assigneeUserId": 7}),
        ({"status": "unresolved", "assignee": "none"}, {"status": "unresolved", "assigneeUserId": None}),
    ],
)
def test_patch_body(change: dict[str, Any], body: dict[str, Any]) -> None:
    assert update_body(IssueChange(**change), me=7) == body


@pytest.mark.parametrize(
    ("change", "error", "match"),
    [
        ({"status": "resolved_in_next_release"}, NotSupported, "not supported by Jentry"),
        ({"ignore_minutes": 30}, NotSupported, "ignore_minutes"),
        ({"status": "ignored", "ignore_count": 5}, NotSupported, "ignore_count"),
        ({"bookmarked": True}, NotSupported, "bookmarked"),
        ({"seen": False}, NotSupported, "seen"),
        ({"status": "open"}, InvalidInput, "resolved, unresolved, ignored"),
        ({"assignee": "jane@example.com"}, InvalidInput, "numeric user id"),
        ({"assignee": "me"}, InvalidInput, "JENTRY_USER_ID"),
        ({}, InvalidInput, "nothing to change"),
    ],
)
def test_patch_body_refusals(change: dict[str, Any], error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        update_body(IssueChange(**change), me=None)


# --- Part 2: paging property over a scripted upstream --------------------------------------------------

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


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    raw=st.lists(issue_rows, min_size=1, max_size=4),
    limit=st.integers(1, 12),
    sort=st.sampled_from(["last_seen", "events", "users"]),
    levels=st.sampled_from([None, "error", ["error", "fatal"]]),
    min_events=st.sampled_from([None, 3]),
    page_size=st.sampled_from([2, 3, 100]),
    budget=st.sampled_from([1, 2, 10]),
)
def test_walking_every_page_yields_each_match_once_in_order(
    raw: list[list[dict[str, Any]]],
    limit: int,
    sort: str,
    levels: Any,
    min_events: int | None,
    page_size: int,
    budget: int,
) -> None:
    projects = build_projects(raw)
    key = SORT_FIELD[sort]
    wanted_levels = [levels] if isinstance(levels, str) else levels
    expected = {
        r["id"]
        for rows in projects.values()
        for r in rows
        if r["status"] == "unresolved"
        and (not wanted_levels or r["level"] in wanted_levels)
        and (min_events is None or r["count"] >= min_events)
    }
    by_id = {r["id"]: r for rows in projects.values() for r in rows}

    seen: list[str] = []
    notes: list[list[str]] = []

    def record(page: IssuePage) -> None:
        assert len(page.issues) <= limit
        seen.extend(i.id for i in page.issues)
        notes.append(page.notes)

    def build(cursor: str | None) -> IssueFilter:
        return IssueFilter.build(level=levels, min_events=min_events, sort=sort, limit=limit, cursor=cursor)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(scan_module, "SCAN_PAGE_SIZE", page_size)
        mp.setattr(scan_module, "SCAN_PAGES", budget)
        page_through(projects, build, record, 500)
    assert len(seen) == len(set(seen)), "an issue was repeated"
    assert {int(i) for i in seen} == expected, "an issue was skipped or does not match"
    values = [by_id[int(i)][key] for i in seen]
    assert values == sorted(values, reverse=True), "not merged in sort order"
    if len(projects) > 1:
        assert all(any("concurrently" in n for n in page) for page in notes)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    raw=st.lists(issue_rows, min_size=1, max_size=3),
    limit=st.integers(1, 6),
    sort=st.sampled_from(["last_seen", "events", "users"]),
    min_events=st.sampled_from([None, 2]),
    page_size=st.sampled_from([2, 3, 100]),
    data=st.data(),
)
def test_paging_while_shown_issues_are_resolved_skips_nothing(
    raw: list[list[dict[str, Any]]],
    limit: int,
    sort: str,
    min_events: int | None,
    page_size: int,
    data: st.DataObject,
) -> None:
    """Triage: list a page, resolve some of it, ask for the next. Page numbers shift under the cursor (the
    rest moves up); the anchor (or, when the anchor itself was resolved, its sort value) finds the place
    again, so no issue is skipped. Issues tied with a resolved anchor may repeat, never before a note."""
    projects = build_projects(raw)
    key = SORT_FIELD[sort]
    by_id = {r["id"]: r for rows in projects.values() for r in rows}
    expected = {
        r["id"]
        for r in by_id.values()
        if r["status"] == "unresolved" and (min_events is None or r["count"] >= min_events)
    }

    seen: list[str] = []
    pages: list[tuple[list[str], list[str]]] = []

    def resolve_some(page: IssuePage) -> None:
        shown = [i.id for i in page.issues]
        seen.extend(shown)
        pages.append((shown, page.notes))
        # At most 2 per call: fewer than a scan page, so the anchor stays within reach.
        for ident in data.draw(st.lists(st.sampled_from(shown), max_size=2)) if shown else []:
            by_id[int(ident)]["status"] = "resolved"

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(scan_module, "SCAN_PAGE_SIZE", page_size)
        page_through(
            projects,
            lambda c: IssueFilter.build(min_events=min_events, sort=sort, limit=limit, cursor=c),
            resolve_some,
            200,
        )
    assert {int(i) for i in seen} == expected, "an issue was skipped or does not match"
    earlier: set[str] = set()
    noted = False
    for shown, notes in pages:
        noted = noted or any("moved between pages" in n for n in notes)
        assert noted or not earlier & set(shown), "a repeat without a note"
        earlier |= set(shown)
    firsts = [by_id[int(i)][key] for i in dict.fromkeys(seen)]
    assert firsts == sorted(firsts, reverse=True), "not merged in sort order"


@pytest.mark.parametrize("server_order", ["newest first", "oldest first"])
def test_scan_ends_at_the_window_in_last_seen_order(monkeypatch, server_order: str) -> None:
    """last_seen='150m' asks period=24h and narrows here; in last_seen order the first issue older than the
    window ends the scan: one page, no 'stopped early', no cursor — instead of the whole day up to the scan
    budget. A server sorting the other way is not trusted with the shortcut: it is scanned as before."""
    now = datetime.now(UTC)
    rows = [
        {"id": n + 1, "projectId": 1, "title": f"issue {n + 1}", "level": "error", "status": "unresolved",
         "lastSeen": (now - timedelta(hours=n)).isoformat(), "firstSeen": (now - timedelta(hours=n)).isoformat(),
         "count": 1}
        for n in range(20)
    ]  # fmt: skip
    log: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        log.append(str(request.url))
        page, limit = int(request.url.params["page"]), int(request.url.params["limit"])
        ordered = rows if server_order == "newest first" else rows[::-1]
        chunk = ordered[(page - 1) * limit : page * limit]
        return httpx.Response(200, json={"data": chunk, "page": page, "pageSize": limit, "total": len(rows)})

    async def run() -> Any:
        backend, upstream = make_backend("http://jentry.test", transport=httpx.MockTransport(handler))
        try:
            return await backend.search_issues(IssueFilter.build(project="1", last_seen="150m"))
        finally:
            await upstream.aclose()

    monkeypatch.setattr(scan_module, "SCAN_PAGE_SIZE", 4)
    monkeypatch.setattr(scan_module, "SCAN_PAGES", 3)
    page = anyio.run(run)
    if server_order == "newest first":
        assert [i.id for i in page.issues] == ["1", "2", "3"]
        assert len(log) == 1 and page.next_cursor is None
        assert not any("stopped early" in n for n in page.notes)
    else:  # the budget's 3 pages hold the 12 oldest: nothing yet, and it says so
        assert page.issues == [] and len(log) == 3 and page.next_cursor
        assert any("stopped early" in n for n in page.notes)


def test_project_list_is_refreshed_after_a_while(monkeypatch) -> None:
    """A server runs for days: a project created since the list was cached is searched too."""
    projects = build_projects([[{"hours": 1, "count": 1, "level": "error", "status": "unresolved"}]])
    log: list[str] = []

    async def run() -> tuple[list[str], list[str]]:
        backend, upstream = make_backend("http://jentry.test", transport=scripted_jentry(projects, log))
        try:
            before = await backend.search_issues(IssueFilter.build())
            projects[2] = build_projects(
                [[], [{"hours": 0, "count": 1, "level": "error", "status": "unresolved"}]]
            )[2]
            projects[2][0]["id"] = 99
            cached = await backend.search_issues(IssueFilter.build())
            monkeypatch.setattr(backend_module, "PROJECT_LIST_MAX_AGE", 0.0)
            after = await backend.search_issues(IssueFilter.build())
        finally:
            await upstream.aclose()
        assert [i.id for i in cached.issues] == [i.id for i in before.issues] == ["1"]
        return [i.id for i in after.issues], after.notes

    ids, notes = anyio.run(run)
    assert ids == ["99", "1"] and "searched all 2 project(s)" in notes[0]
    assert sum(url.endswith("/api/v1/projects") for url in log) == 2


# --- Part 3: end to end against the sandbox over real HTTP ---------------------------------------------

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


@pytest.mark.anyio
async def test_list_projects(sandbox, sandbox_url) -> None:
    async with jentry(sandbox_url) as backend:
        projects = await backend.list_projects()
    assert [(p.id, p.slug, p.name, p.platform) for p in projects] == [
        ("1", "shop-web", "Shop Web", "python"),
        ("2", "checkout-api", "Checkout API", "python"),
        ("3", "worker", "Worker", "python"),
    ]
    assert calls(sandbox) == [("GET", "/api/v1/projects", [])]


@pytest.mark.anyio
async def test_search_all_projects_merged_by_last_seen(sandbox, sandbox_url) -> None:
    async with jentry(sandbox_url) as backend:
        page = await backend.search_issues(IssueFilter.build())
    expected = sorted(sandbox_issues(sandbox, status="unresolved"), key=lambda i: i["lastSeen"], reverse=True)
    assert [int(i.id) for i in page.issues] == [i["jentryId"] for i in expected]
    assert page.next_cursor is None
    assert page.query == "status=unresolved sort=last_seen period=all"
    assert page.notes == [
        "searched all 3 project(s) concurrently (shop-web, checkout-api, worker), merged by last_seen"
    ]
    assert calls(sandbox)[0] == ("GET", "/api/v1/projects", [])
    assert sorted(calls(sandbox)[1:]) == [("GET", f"/api/v1/projects/{n}/issues", q()) for n in (1, 2, 3)]
    first = page.issues[0]
    assert first.project in ("shop-web", "checkout-api", "worker") and first.project_id in ("1", "2", "3")
    assert first.permalink == f"{sandbox_url}/projects/{first.project_id}/issues/{first.id}"


@pytest.mark.anyio
async def test_fan_out_is_concurrent(sandbox, sandbox_url) -> None:
    delay = 0.3
    async with jentry(sandbox_url) as backend:
        await backend.list_projects()  # the projects list is cached: only the fan-out is timed
        sandbox.inject(ISSUES, delay=delay, times=None)
        started = time.monotonic()
        page = await backend.search_issues(IssueFilter.build(status="all"))
        elapsed = time.monotonic() - started
    assert len(page.issues) == 18
    assert delay <= elapsed < 1.6 * delay, f"3 projects with {delay} s each took {elapsed:.2f} s"
    assert sandbox.peak_in_flight == 3


@pytest.mark.anyio
async def test_progress_reported_per_project_page(sandbox, sandbox_url) -> None:
    seen: list[tuple[float, float | None, str | None]] = []

    async def progress(done: float, total: float | None = None, message: str | None = None) -> None:
        seen.append((done, total, message))

    async with jentry(sandbox_url) as backend:
        await backend.search_issues(IssueFilter.build(), progress)
    assert [d for d, _, _ in seen] == [1, 2, 3]
    assert sorted(m.split(":")[0] for _, _, m in seen if m) == ["checkout-api", "shop-web", "worker"]


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


@pytest.mark.anyio
@pytest.mark.parametrize("sort", ["last_seen", "first_seen", "events", "users"])
async def test_pages_across_projects_repeat_and_skip_nothing(sandbox, sandbox_url, sort: str) -> None:
    field_name = {
        "last_seen": "lastSeen",
        "first_seen": "firstSeen",
        "events": "count",
        "users": "userCount",
    }[sort]
    async with jentry(sandbox_url) as backend:
        ids, pages = await walk(backend, status="all", sort=sort, limit=4)
        walked = sandbox.find_requests(ISSUES)
        whole = await backend.search_issues(IssueFilter.build(status="all", sort=sort, limit=100))
    assert [len(p.issues) for p in pages] == [4, 4, 4, 4, 2]
    assert len(ids) == len(set(ids)) == 18
    by_id = {str(i["jentryId"]): i for i in sandbox.issues.values()}
    values = [by_id[i][field_name] for i in ids]
    assert values == sorted(values, reverse=True)
    assert [i.id for i in whole.issues] == ids  # the same order as one big page
    # Without a client-side filter pages of `limit` suffice: at most two requests per project and call (the
    # rest of a partly shown page, then the next); every page of every project read, none past its end.
    assert len(walked) <= 2 * 3 * len(pages) and {r.param("limit") for r in walked} == {"4"}
    for n, size in ((1, 6), (2, 6), (3, 6)):
        asked = {int(r.param("page") or 0) for r in walked if r.path == f"/api/v1/projects/{n}/issues"}
        assert asked == set(range(1, -(-size // 4) + 1))


@pytest.mark.anyio
async def test_pages_with_client_side_filter(sandbox, sandbox_url) -> None:
    async with jentry(sandbox_url) as backend:
        ids, pages = await walk(backend, status="all", level=["error", "fatal"], min_events=20, limit=3)
    expected = {
        str(i["jentryId"])
        for i in sandbox.issues.values()
        if i["level"] in ("error", "fatal") and i["count"] >= 20
    }
    assert len(ids) == len(set(ids)) and set(ids) == expected
    assert all(len(p.issues) == 3 for p in pages[:-1])
    assert all(
        r.param("limit") == "100" and "level" not in dict(r.query) for r in sandbox.find_requests(ISSUES)
    )
    assert any(
        "filtered client-side (Jentry's API cannot): level in [error, fatal], events >= 20" in n
        for n in pages[0].notes
    )
    assert (
        pages[0].query
        == "status=all sort=last_seen period=all + client-side: level in [error, fatal], events >= 20"
    )


@pytest.mark.anyio
async def test_last_seen_window_narrowed_client_side(sandbox, sandbox_url) -> None:
    async with jentry(sandbox_url) as backend:
        page = await backend.search_issues(IssueFilter.build(last_seen="3h", status="all", limit=100))
    cutoff = datetime.now(UTC) - timedelta(hours=3)
    expected = {str(i["jentryId"]) for i in sandbox.issues.values() if i["lastSeen"] >= cutoff}
    wider = {
        str(i["jentryId"]) for i in sandbox.issues.values() if i["lastSeen"] >= cutoff - timedelta(hours=21)
    }
    assert {i.id for i in page.issues} == expected
    assert wider - expected, (
        "the dataset must have issues inside 24h but outside 3h for this test to mean anything"
    )
    assert all(i.last_seen is not None and i.last_seen >= cutoff for i in page.issues)
    assert {r.param("period") for r in sandbox.find_requests(ISSUES)} == {"24h"}
    assert any("last_seen within 3h" in n for n in page.notes)


@pytest.mark.anyio
async def test_first_seen_and_assignment_filtered_client_side(sandbox, sandbox_url) -> None:
    async with jentry(sandbox_url, jentry_user_id=3) as backend:
        fresh = await backend.search_issues(IssueFilter.build(first_seen="24h", status="all"))
        mine = await backend.search_issues(IssueFilter.build(assigned="me", status="all"))
        nobody = await backend.search_issues(IssueFilter.build(assigned="none", project="worker"))
        released = await backend.search_issues(IssueFilter.build(release="shop-web@2.3.1", status="all"))
    cutoff = datetime.now(UTC) - timedelta(hours=24)
    assert {i.id for i in fresh.issues} == {
        str(i["jentryId"]) for i in sandbox.issues.values() if i["firstSeen"] >= cutoff
    }
    assert {i.id for i in mine.issues} == {"101", "117"}  # user 2051 is Jentry user 3
    assert all(i.assignee == "3" for i in mine.issues)
    assert {i.id for i in nobody.issues} == {"113", "114", "118"}  # 113's team is no Jentry user id
    assert {i.id for i in released.issues} == {"102", "104"}
    assert {r.param("period") for r in sandbox.find_requests(ISSUES) if r.param("sort")} >= {"24h", "all"}


@pytest.mark.anyio
async def test_scan_budget_pauses_and_says_so(sandbox, sandbox_url, monkeypatch) -> None:
    monkeypatch.setattr(scan_module, "SCAN_PAGE_SIZE", 2)
    monkeypatch.setattr(scan_module, "SCAN_PAGES", 1)
    async with jentry(sandbox_url) as backend:
        first = await backend.search_issues(
            IssueFilter.build(project="checkout-api", status="all", min_events=10**6)
        )
        assert first.issues == [] and first.next_cursor
        assert any(
            n.startswith(
                "stopped early: scanned 2 issues of checkout-api (1 pages), more may match; pass cursor"
            )
            for n in first.notes
        )
        ids, _ = await walk(backend, project="checkout-api", status="all", min_events=300)
    assert ids == ["107", "111"]  # 2290 and 380 events, by last seen
    asked = [int(r.param("page") or 0) for r in sandbox.find_requests("^/api/v1/projects/2/issues$")]
    # One new page per call (the budget), each read once; a call resuming at a page boundary also reads the
    # page before, where its anchor is (issues resolved meanwhile move the rest up into it).
    assert sorted(asked) == [1, 1, 1, 2, 2, 3]


@pytest.mark.anyio
async def test_project_by_slug_id_and_default(sandbox, sandbox_url) -> None:
    async with jentry(sandbox_url) as backend:
        by_slug = await backend.search_issues(IssueFilter.build(project="checkout-api"))
    assert calls(sandbox) == [("GET", "/api/v1/projects", []), ("GET", "/api/v1/projects/2/issues", q())]
    assert {i.project for i in by_slug.issues} == {"checkout-api"} and not by_slug.notes
    sandbox.requests.clear()
    async with jentry(sandbox_url) as backend:
        by_id = await backend.search_issues(IssueFilter.build(project="2", sort="events", limit=2))
    assert calls(sandbox) == [("GET", "/api/v1/projects/2/issues", q(sort="events", limit="2"))]
    assert [i.id for i in by_id.issues] == ["107", "112"] and by_id.next_cursor
    sandbox.requests.clear()
    async with jentry(sandbox_url, project="worker") as backend:
        default = await backend.search_issues(IssueFilter.build(level="fatal"))
    assert [i.id for i in default.issues] == ["113"]
    assert calls(sandbox)[1] == ("GET", "/api/v1/projects/3/issues", q(level="fatal"))
    sandbox.requests.clear()
    async with jentry(sandbox_url) as backend:
        with pytest.raises(InvalidInput, match="known projects: shop-web, checkout-api, worker"):
            await backend.search_issues(IssueFilter.build(project="nope"))
    assert [r.path for r in sandbox.requests] == ["/api/v1/projects"]


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"environment": "production"}, NotSupported),
        ({"tags": {"browser": "Chrome"}}, NotSupported),
        ({"sentry_query": "is:linked"}, NotSupported),
        ({"sort": "trends"}, NotSupported),
        ({"assigned": "#backend"}, NotSupported),
        ({"assigned": "me"}, InvalidInput),  # no JENTRY_USER_ID
        ({"cursor": "j1.not-a-cursor.abc"}, InvalidInput),
    ],
)
async def test_unsupported_search_refused_with_nothing_sent(sandbox, sandbox_url, kwargs, error) -> None:
    async with jentry(sandbox_url) as backend:
        with pytest.raises(error):
            await backend.search_issues(IssueFilter.build(**kwargs))
    assert sandbox.requests == []


@pytest.mark.anyio
@pytest.mark.parametrize("resolve", ["the first shown", "both shown"])
async def test_next_page_after_resolving_shown_issues(sandbox, sandbox_url, resolve: str) -> None:
    """The triage loop (list, resolve what was shown, next page) used to skip as many issues as were
    resolved: page 2 of the shrunken list starts further down."""
    async with jentry(sandbox_url) as backend:
        everything = await backend.search_issues(IssueFilter.build(project="shop-web", limit=100))
        order = [i.id for i in everything.issues]
        first = await backend.search_issues(IssueFilter.build(project="shop-web", limit=2))
        shown = [i.id for i in first.issues]
        assert shown == order[:2] and len(order) >= 4
        fixed = shown if resolve == "both shown" else shown[:1]
        result = await backend.update_issues(
            [parse_issue_ref(i, "jentry") for i in fixed], IssueChange(status="resolved")
        )
        assert all(o.ok for o in result.outcomes)
        sandbox.requests.clear()
        second = await backend.search_issues(
            IssueFilter.build(project="shop-web", limit=2, cursor=first.next_cursor)
        )
    assert [i.id for i in second.issues] == order[2:4]
    # Resuming at a page boundary reads the page before too (concurrently), where the anchor is.
    assert sorted(r.param("page") for r in sandbox.find_requests(ISSUES)) == ["1", "2"]
    moved = any("moved between pages" in n for n in second.notes)
    assert moved == (resolve == "both shown")  # the anchor itself left: re-aligned by its sort value


@pytest.mark.anyio
async def test_next_page_is_one_round_trip(sandbox, sandbox_url) -> None:
    """A project partly shown on page 1 needs the rest of its page and the next one: both are fetched at
    once, so a continuation costs one upstream round trip, like the first page."""
    delay = 0.3
    async with jentry(sandbox_url) as backend:
        first = await backend.search_issues(IssueFilter.build(status="all", limit=4))
        sandbox.inject(ISSUES, delay=delay, times=None)
        started = time.monotonic()
        second = await backend.search_issues(
            IssueFilter.build(status="all", limit=4, cursor=first.next_cursor)
        )
        elapsed = time.monotonic() - started
    assert len(second.issues) == 4 and not {i.id for i in first.issues} & {i.id for i in second.issues}
    assert delay <= elapsed < 1.6 * delay, f"the next page took {elapsed:.2f} s with {delay} s per request"


@pytest.mark.anyio
async def test_cursor_from_another_search_refused(sandbox, sandbox_url) -> None:
    async with jentry(sandbox_url) as backend:
        page = await backend.search_issues(IssueFilter.build(status="all", limit=2))
        sent = len(sandbox.requests)
        with pytest.raises(InvalidInput, match="different search"):
            await backend.search_issues(
                IssueFilter.build(status="resolved", limit=2, cursor=page.next_cursor)
            )
        # limit may change between pages
        more = await backend.search_issues(IssueFilter.build(status="all", limit=5, cursor=page.next_cursor))
    assert len(sandbox.requests) > sent and len(more.issues) == 5
    assert not {i.id for i in more.issues} & {i.id for i in page.issues}


@pytest.mark.anyio
async def test_get_issue(sandbox, sandbox_url) -> None:
    async with jentry(sandbox_url) as backend:
        issue = await backend.get_issue(parse_issue_ref(f"{sandbox_url}/projects/1/issues/101", "jentry"))
        with pytest.raises(UpstreamError, match="issue 999 not found"):
            await backend.get_issue(parse_issue_ref("999", "jentry"))
        with pytest.raises(InvalidInput):
            await backend.get_issue(IssueRef(kind="short_id", value="SHOP-1"))
    assert (issue.id, issue.status, issue.level, issue.count, issue.user_count) == (
        "101",
        "unresolved",
        "error",
        1284,
        57,
    )
    assert (issue.first_release, issue.last_release, issue.assignee, issue.project_id) == (
        "shop-web@2.3.0", "shop-web@2.4.0", "3", "1"
    )  # fmt: skip
    assert issue.short_id is None and issue.title and issue.title.startswith("KeyError")
    # The projects list (for the slug) is read once, alongside the first issue.
    assert issue.project == "shop-web"
    assert sorted(calls(sandbox)) == [
        ("GET", "/api/v1/issues/101", []),
        ("GET", "/api/v1/issues/999", []),
        ("GET", "/api/v1/projects", []),
    ]


def events_of(sandbox: Any, jentry_id: int) -> list[dict[str, Any]]:
    issue = sandbox.issue_by_jentry_id(jentry_id)
    return [e["sdk"] for e in sandbox.events[issue["id"]]]


@pytest.mark.anyio
async def test_get_event_latest_oldest_by_id_and_environment(sandbox, sandbox_url) -> None:
    ref = parse_issue_ref("107", "jentry")
    sdk = events_of(sandbox, 107)
    staging = [e for e in sdk if e["environment"] == "staging"]
    async with jentry(sandbox_url) as backend:
        latest = await backend.get_event(ref, "latest")
        recommended = await backend.get_event(ref, "recommended")
        oldest = await backend.get_event(ref, "oldest")
        by_id = await backend.get_event(ref, sdk[2]["event_id"])
        in_staging = await backend.get_event(ref, "latest", environment="staging")
        oldest_staging = await backend.get_event(ref, "oldest", environment="staging")
        with pytest.raises(UpstreamError, match="issue 107 has no event 0123abcd"):
            await backend.get_event(ref, "0123abcd")
        with pytest.raises(UpstreamError, match="environment production, not staging"):
            await backend.get_event(ref, sdk[0]["event_id"], environment="staging")
        with pytest.raises(UpstreamError, match="environments seen: production, staging"):
            await backend.get_event(ref, "latest", environment="qa")
    assert latest.id == recommended.id == sdk[0]["event_id"] and latest.environment == "production"
    assert oldest.id == sdk[-1]["event_id"]
    assert by_id.id == sdk[2]["event_id"]
    assert (in_staging.id, oldest_staging.id) == (staging[0]["event_id"], staging[-1]["event_id"])
    assert in_staging.environment == "staging"
    assert [r.query for r in sandbox.requests[:2]] == [[("limit", "1")], [("limit", "1")]]
    assert all(r.query == [("limit", "100")] for r in sandbox.requests[2:])
    assert {r.path for r in sandbox.requests} == {"/api/v1/issues/107/events"}


@pytest.mark.anyio
async def test_list_issue_events(sandbox, sandbox_url) -> None:
    ref = parse_issue_ref("107", "jentry")
    sdk = events_of(sandbox, 107)
    async with jentry(sandbox_url) as backend:
        two = await backend.list_issue_events(ref, limit=2)
        staging = await backend.list_issue_events(ref, limit=10, environment="staging")
        with pytest.raises(InvalidInput, match="no further pages"):
            await backend.list_issue_events(ref, cursor="x")
    assert [e.id for e in two.events] == [e["event_id"] for e in sdk[:2]]
    first = two.events[0]
    assert (first.environment, first.release, first.user_id) == (
        sdk[0]["environment"], sdk[0]["release"], sdk[0]["user"]["id"]
    )  # fmt: skip
    assert first.time is not None and two.notes == ["more events may exist; raise limit (up to 100)"]
    assert [e.id for e in staging.events] == [e["event_id"] for e in sdk if e["environment"] == "staging"]
    assert staging.notes == [
        "filtered to environment 'staging' client-side over the 6 most recent events (2 match)"
    ]
    assert [r.query for r in sandbox.requests] == [[("limit", "2")], [("limit", "100")]]


@pytest.mark.anyio
async def test_events_beyond_what_the_api_exposes() -> None:
    """100 events returned = older ones may exist: `oldest` and an unknown id say so (scripted upstream)."""
    rows = [
        {"id": f"{n:032x}", "timestamp": (T0 - timedelta(minutes=n)).isoformat(), "environment": "production"}
        for n in range(100)
    ]
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json={"data": rows}))
    backend, upstream = make_backend("http://jentry.test", transport=transport)
    ref = parse_issue_ref("42", "jentry")
    try:
        oldest = rf"oldest of those is {99:032x} \(2026-05-31 22:21:00Z\): pass event_id"
        with pytest.raises(NotSupported, match=oldest):
            await backend.get_event(ref, "oldest")
        with pytest.raises(UpstreamError, match="not among the 100 most recent events of issue 42"):
            await backend.get_event(ref, "ffff")
        tags = await backend.list_tag_values(ref, "environment")
    finally:
        await upstream.aclose()
    assert tags.notes[0] == "from the 100 most recent events (the Jentry API exposes no more: a sample)"


@pytest.mark.anyio
async def test_list_tag_values(sandbox, sandbox_url) -> None:
    ref = parse_issue_ref("107", "jentry")
    sdk = events_of(sandbox, 107)
    async with jentry(sandbox_url) as backend:
        region = await backend.list_tag_values(ref, "region")
        env = await backend.list_tag_values(ref, "environment", limit=1)
        missing = await backend.list_tag_values(ref, "browser")
    counts: dict[str, int] = {}
    for e in sdk:
        counts[e["tags"]["region"]] = counts.get(e["tags"]["region"], 0) + 1
    assert {v.value: v.count for v in region.values} == counts
    assert [v.count for v in region.values] == sorted(counts.values(), reverse=True)
    assert region.total == 6 and region.notes == ["from the 6 most recent events (all of the issue's events)"]
    top = region.values[0]
    assert top.first_seen is not None and top.last_seen is not None and top.first_seen <= top.last_seen
    assert [(v.value, v.count) for v in env.values] == [("production", 4)]
    assert env.notes[1:] == ["1 less frequent value(s) not shown"]
    assert missing.values == [] and missing.notes[1] == "6 of those events have no browser tag"
    assert [r.query for r in sandbox.requests] == [[("limit", "100")]] * 3


@pytest.mark.anyio
async def test_update_one_issue(sandbox, sandbox_url) -> None:
    async with jentry(sandbox_url, jentry_user_id=5) as backend:
        result = await backend.update_issues(
            [parse_issue_ref("110", "jentry")], IssueChange(status="resolved", assignee="me")
        )
        after = await backend.get_issue(parse_issue_ref("110", "jentry"))
    assert [(o.issue, o.ok, o.status, o.assignee, o.error) for o in result.outcomes] == [
        ("110", True, "resolved", "5", None)
    ]
    assert (after.status, after.assignee) == ("resolved", "5")
    patch = sandbox.requests[0]
    assert (patch.method, patch.path, patch.json) == (
        "PATCH",
        "/api/v1/issues/110",
        {"status": "resolved", "assigneeUserId": 5},
    )


@pytest.mark.anyio
async def test_update_many_concurrently_with_per_issue_outcomes(sandbox, sandbox_url) -> None:
    refs = [parse_issue_ref(v, "jentry") for v in ("101", "99999", "117")]
    sandbox.inject(r"^/api/v1/issues/\d+$", delay=0.3, times=None, method="PATCH")
    async with jentry(sandbox_url) as backend:
        started = time.monotonic()
        result = await backend.update_issues(refs, IssueChange(assignee="none"))
        elapsed = time.monotonic() - started
    assert elapsed < 0.5, f"three PATCHes took {elapsed:.2f} s: not concurrent"
    outcomes = {o.issue: o for o in result.outcomes}
    assert [o.issue for o in result.outcomes] == ["101", "99999", "117"]
    assert outcomes["101"].ok and outcomes["101"].assignee == "none" and outcomes["117"].ok
    assert not outcomes["99999"].ok and "issue 99999 not found" in (outcomes["99999"].error or "")
    assert sorted((r.method, r.path, json.dumps(r.json)) for r in sandbox.requests) == [
        ("PATCH", f"/api/v1/issues/{n}", '{"assigneeUserId": null}') for n in ("101", "117", "99999")
    ]
    assert sandbox.issue_by_jentry_id(101)["assignedTo"] is None


@pytest.mark.anyio
@pytest.mark.parametrize(
    "change",
    [
        IssueChange(status="resolved_in_next_release"),
        IssueChange(status="ignored", ignore_minutes=60),
        IssueChange(status="resolved", bookmarked=True),
        IssueChange(seen=True),
        IssueChange(assignee="me"),
        IssueChange(assignee="jane@example.com"),
    ],
)
async def test_update_refusals_send_nothing(sandbox, sandbox_url, change) -> None:
    async with jentry(sandbox_url) as backend:
        with pytest.raises((NotSupported, InvalidInput)):
            await backend.update_issues([parse_issue_ref("101", "jentry")], change)
    assert sandbox.requests == []


@pytest.mark.anyio
async def test_scopes_named_on_403(sandbox, sandbox_url) -> None:
    sandbox.config.jentry_tokens["jto_issues_only"] = frozenset({"issue:read"})
    ref = parse_issue_ref("101", "jentry")
    async with jentry(sandbox_url, token=READ_ONLY) as backend:
        result = await backend.update_issues([ref], IssueChange(status="resolved"))
        assert "`issue:write` scope" in (result.outcomes[0].error or "") and not result.outcomes[0].ok
        with pytest.raises(UpstreamError, match="`project:write` scope"):
            await backend.create_release(ReleaseSpec(version="shop-web@9", project="1"))
    async with jentry(sandbox_url, token="jto_issues_only") as backend:
        # The slug lookup alongside is best effort: refused once (403), then not asked again.
        for _ in range(2):
            issue = await backend.get_issue(ref)
            assert (issue.id, issue.project) == ("101", "1")
        assert len(sandbox.find_requests("^/api/v1/projects$")) == 1
        for call, scope in (
            (backend.search_issues(IssueFilter.build()), "project:read"),
            (backend.get_event(ref, "latest"), "event:read"),
            (backend.list_releases(project="1"), "project:read"),
            (backend.read_audit(), "org:read"),
        ):
            with pytest.raises(UpstreamError, match=f"`{scope}` scope") as err:
                await call
            assert "jto_issues_only" not in str(err.value)
    assert sandbox.issue_by_jentry_id(101)["status"] == "unresolved"


@pytest.mark.anyio
async def test_bad_token_never_echoed(sandbox, sandbox_url) -> None:
    async with jentry(sandbox_url, token="jto_wrong_secret_123") as backend:
        with pytest.raises(UpstreamError, match="401") as err:
            await backend.list_projects()
    assert "jto_wrong_secret_123" not in str(err.value) and "JENTRY_AUTH_TOKEN" in str(err.value)


@pytest.mark.anyio
async def test_list_releases(sandbox, sandbox_url) -> None:
    async with jentry(sandbox_url) as backend:
        shop = await backend.list_releases(project="shop-web")
        everything = await backend.list_releases(limit=4)
        rc = await backend.list_releases(query="RC")
    assert [r.version for r in shop.releases] == ["shop-web@2.4.0", "shop-web@2.3.1", "shop-web@2.3.0"]
    assert shop.notes == [] and all(r.projects == ["shop-web"] for r in shop.releases)
    top = shop.releases[0]
    assert top.events and top.new_issues is not None and top.first_event and top.last_event
    raw = sandbox.release_by("shop-web@2.4.0")["health"]
    if raw.get("crashFreeSessions") is not None:
        assert top.health is not None and top.health.crash_free_sessions == raw["crashFreeSessions"]
    assert len(everything.releases) == 4
    assert everything.notes == [
        "merged from 3 projects, newest first (by first event)",
        "showing the newest 4 of 8 releases (limit applied client-side)",
    ]
    firsts = [r.first_event for r in everything.releases]
    assert firsts == sorted(firsts, reverse=True)  # type: ignore[type-var]
    assert [r.version for r in rc.releases] == ["checkout-api@1.9.0-rc.1"]
    assert "client-side" in rc.notes[1]
    release_calls = [(r.path, r.query) for r in sandbox.find_requests("releases")]
    assert release_calls[0] == ("/api/v1/projects/1/releases", [("limit", "100")])
    assert sorted(release_calls[1:4]) == [
        (f"/api/v1/projects/{n}/releases", [("limit", "100")]) for n in (1, 2, 3)
    ]


@pytest.mark.anyio
async def test_create_release(sandbox, sandbox_url) -> None:
    spec = ReleaseSpec(
        version="shop-web@2.5.0",
        project="shop-web",
        ref="a1b2c3d",
        url="https://example.com/r/2.5.0",
        date_released="2026-06-29T12:00:00Z",
        commits=[
            CommitSpec(
                sha="a1b2c3d",
                message="Fix crash",
                author="Jane",
                author_email="jane@example.com",
                files=["app/cart.py"],
            ),
            CommitSpec(sha="d4e5f6a"),
        ],
        deploys=[DeploySpec(environment="production", name="deploy 42", deployed_at="2026-06-29T12:05:00Z")],
    )
    async with jentry(sandbox_url) as backend:
        created = await backend.create_release(spec)
        again = await backend.create_release(spec)  # the API replaces: safe to repeat
    post = sandbox.find_requests("releases", method="POST")
    assert [r.path for r in post] == ["/api/v1/projects/1/releases"] * 2
    assert post[0].json == {
        "version": "shop-web@2.5.0",
        "ref": "a1b2c3d",
        "url": "https://example.com/r/2.5.0",
        "dateReleased": "2026-06-29T12:00:00Z",
        "commits": [
            {"sha": "a1b2c3d", "author": "Jane", "authorEmail": "jane@example.com", "message": "Fix crash",
             "files": ["app/cart.py"]},
            {"sha": "d4e5f6a"},
        ],
        "deploys": [{"environment": "production", "name": "deploy 42", "deployedAt": "2026-06-29T12:05:00Z"}],
    }  # fmt: skip
    assert (created.version, created.project, created.commits) == ("shop-web@2.5.0", "shop-web", 2)
    assert [(d.environment, d.ok) for d in created.deploys] == [("production", True)]
    assert created.notes == [] and again.commits == 2
    assert len(sandbox.release_by("shop-web@2.5.0")["commits"]) == 2


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("spec", "match"),
    [
        (ReleaseSpec(version="v1"), "needs a project"),
        (ReleaseSpec(version="  ", project="1"), "version is required"),
        (ReleaseSpec(version="v1", project="1", date_released="yesterday"), "ISO-8601"),
        (ReleaseSpec(version="v1", project="1", deploys=[DeploySpec(environment=" ")]), "environment"),
        (ReleaseSpec(version="v1\n", project="1", commits=[CommitSpec(sha="")]), "sha"),
        (
            ReleaseSpec(version="v1", project="1", deploys=[DeploySpec(environment="p", deployed_at="x")]),
            "ISO",
        ),
    ],
)
async def test_create_release_refusals_send_nothing(sandbox, sandbox_url, spec, match) -> None:
    async with jentry(sandbox_url) as backend:
        with pytest.raises(InvalidInput, match=match):
            await backend.create_release(spec)
    assert sandbox.requests == []


@pytest.mark.anyio
async def test_create_release_uses_the_default_project(sandbox, sandbox_url) -> None:
    async with jentry(sandbox_url, project="3") as backend:
        created = await backend.create_release(ReleaseSpec(version="worker@1.0.0"))
    assert calls(sandbox) == [("POST", "/api/v1/projects/3/releases", [])]
    assert sandbox.requests[0].json == {"version": "worker@1.0.0"} and created.commits == 0


@pytest.mark.anyio
async def test_read_audit(sandbox, sandbox_url) -> None:
    async with jentry(sandbox_url) as backend:
        five = await backend.read_audit(limit=5)
        issues = await backend.read_audit(limit=50, action="issue")
        resolves = await backend.read_audit(action="issue.resolve")
        with pytest.raises(InvalidInput, match="no further pages"):
            await backend.read_audit(cursor="x")
    assert [r.query for r in sandbox.requests] == [[("limit", "5")], [("limit", "100")], [("limit", "100")]]
    assert len(five.entries) == 5 and five.notes == []
    times = [e.time for e in five.entries]
    assert times == sorted(times, reverse=True)  # type: ignore[type-var]
    expected = sorted(a["when"] for a in sandbox.audit if a["event"].startswith("issue."))
    assert len(issues.entries) == len(expected) > 0 and all(
        e.action.startswith("issue.") for e in issues.entries
    )
    assert {e.action for e in resolves.entries} == {"issue.resolve"}
    assert issues.notes == [
        f"filtered to action 'issue' client-side over the {len(sandbox.audit)} most recent entries "
        "(Jentry's audit API has no action filter)"
    ]
    assert all(e.actor is None or e.actor.startswith("user:") for e in five.entries)


@pytest.mark.anyio
@pytest.mark.parametrize(
    "call",
    [
        lambda b: b.get_issue(IssueRef(kind="id", value="101")),
        lambda b: b.search_issues(IssueFilter.build(project="1")),
    ],
)
async def test_html_404_blames_jentry_url_not_the_id(sandbox: Any, sandbox_url: str, call: Any) -> None:
    """A web page answering 404 means JENTRY_URL is wrong; the id or project may be fine."""
    sandbox.inject(r"/api/v1/", status=404, body="<html>nope</html>", content_type="text/html", times=None)
    async with jentry(sandbox_url) as backend:
        with pytest.raises(NotTheApi) as info:
            await call(backend)
    assert "JENTRY_URL" in str(info.value) and "not found in this Jentry" not in str(info.value)


@pytest.mark.anyio
async def test_project_by_display_name_with_spaces(sandbox: Any, sandbox_url: str) -> None:
    async with jentry(sandbox_url) as backend:
        page = await backend.search_issues(IssueFilter.build(project="Checkout API", limit=5))
        releases = await backend.list_releases(project="checkout api")
    assert page.issues and {i.project for i in page.issues} == {"checkout-api"}
    assert releases.releases and {p for r in releases.releases for p in r.projects} == {"checkout-api"}
    paths = {r.path for r in sandbox.requests}
    assert "/api/v1/projects/2/issues" in paths and "/api/v1/projects/2/releases" in paths


def test_issue_times_with_offsets_are_converted_to_utc() -> None:
    """Rendered times say Z: an upstream's +02:00 must be converted, not relabelled."""
    issue = issue_from_jentry(
        {
            "id": 7,
            "projectId": 1,
            "lastSeen": "2026-06-29T14:30:00+02:00",
            "firstSeen": "2026-06-29T12:00:00Z",
        },
        {"1": "web"},
    )
    assert issue is not None and issue.last_seen is not None
    assert issue.last_seen.isoformat() == "2026-06-29T12:30:00+00:00"
    assert "12:30Z" in render_issue(issue)
