"""Jentry's cross-project issue search (backends/jentry/scan.py, cursor.py): a cursor that never repeats
or skips.

Paging property: random multi-project datasets behind a scripted in-process transport (nothing leaves the
process); walking every page must yield each matching issue exactly once, in sort order, even when the scan
budget pauses a project mid-way and the server orders ties differently from us. End to end: against the
sandbox over real HTTP, asserting every request it received.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import anyio
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jentry_helpers import (
    ISSUES,
    SORT_FIELD,
    build_projects,
    calls,
    issue_rows,
    jentry,
    make_backend,
    page_through,
    q,
    sandbox_issues,
    walk,
)
from stacklens.backends.jentry import scan as scan_module
from stacklens.errors import InvalidInput, NotSupported
from stacklens.models import IssueChange, IssuePage
from stacklens.query import IssueFilter
from stacklens.refs import parse_issue_ref


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
        page = await backend.search_issues(IssueFilter.build(status="all"))
    assert len(page.issues) == 19
    assert sandbox.peak_in_flight == 3  # the three projects' requests were in flight together


@pytest.mark.anyio
async def test_progress_reported_per_project_page(sandbox, sandbox_url) -> None:
    seen: list[tuple[float, float | None, str | None]] = []

    async def progress(done: float, total: float | None = None, message: str | None = None) -> None:
        seen.append((done, total, message))

    async with jentry(sandbox_url) as backend:
        await backend.search_issues(IssueFilter.build(), progress)
    assert [d for d, _, _ in seen] == [1, 2, 3]
    assert sorted(m.split(":")[0] for _, _, m in seen if m) == ["checkout-api", "shop-web", "worker"]


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
    assert [len(p.issues) for p in pages] == [4, 4, 4, 4, 3]
    assert len(ids) == len(set(ids)) == 19
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
    async with jentry(sandbox_url, user_id=3) as backend:
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
    assert {i.id for i in nobody.issues} == {"113", "114", "118", "119"}  # 113's team is no Jentry user id
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
        sandbox.requests.clear()
        sandbox.peak_in_flight = 0
        second = await backend.search_issues(
            IssueFilter.build(status="all", limit=4, cursor=first.next_cursor)
        )
    assert len(second.issues) == 4 and not {i.id for i in first.issues} & {i.id for i in second.issues}
    sent = sandbox.find_requests(ISSUES)
    assert len(sent) >= 2 and sandbox.peak_in_flight == len(sent)  # all in one round trip


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
