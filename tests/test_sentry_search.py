"""Natural search_issues parameters → the exact Sentry issue-search request (DESIGN §3), table-driven.
End to end: the backend's issue search against the sandbox, asserting the exact request sent.
"""

from __future__ import annotations

from typing import Any

import pytest

from sentry_helpers import API, CHECKOUT, WORKER, calls, sentry
from stacklens.backends.sentry.search import sentry_search
from stacklens.errors import InvalidInput, UpstreamError
from stacklens.query import IssueFilter
from stacklens.sandbox import Sandbox


def query_of(**kwargs: Any) -> str:
    return sentry_search(IssueFilter.build(**kwargs)).query


# (parameters, the exact query string). status defaults to unresolved, so most rows start with is:unresolved.
QUERIES: list[tuple[dict[str, Any], str]] = [
    # status
    ({}, "is:unresolved"),
    ({"status": "resolved"}, "is:resolved"),
    ({"status": "ignored"}, "is:ignored"),
    ({"status": "all"}, ""),
    ({"status": "RESOLVED"}, "is:resolved"),
    ({"status": None}, "is:unresolved"),
    # levels: one, a list, duplicates collapsed, case folded
    ({"level": "error"}, "is:unresolved level:error"),
    ({"level": ["error"]}, "is:unresolved level:error"),
    ({"level": ["error", "fatal"]}, "is:unresolved level:[error, fatal]"),
    ({"level": ["Warning", "warning", "info"]}, "is:unresolved level:[warning, info]"),
    ({"status": "all", "level": "debug"}, "level:debug"),
    # releases are always quoted; inner quotes escaped; @ / + kept as typed
    ({"release": "1.2.3"}, 'is:unresolved release:"1.2.3"'),
    ({"release": "shop@1.4.3+build.7"}, 'is:unresolved release:"shop@1.4.3+build.7"'),
    ({"release": "web/frontend@2.0"}, 'is:unresolved release:"web/frontend@2.0"'),
    ({"release": 'say "hi"'}, 'is:unresolved release:"say \\"hi\\""'),
    ({"release": "  v1  "}, 'is:unresolved release:"v1"'),
    # assignment
    ({"assigned": "me"}, "is:unresolved assigned:me"),
    ({"assigned": "ME"}, "is:unresolved assigned:me"),
    ({"assigned": "none"}, "is:unresolved is:unassigned"),
    ({"assigned": "#backend"}, "is:unresolved assigned:#backend"),
    ({"assigned": "jane@example.com"}, "is:unresolved assigned:jane@example.com"),
    ({"assigned": "Jane Doe"}, 'is:unresolved assigned:"Jane Doe"'),
    ({"assigned": "my_teams"}, "is:unresolved assigned:my_teams"),
    # relative windows: within the last …
    ({"first_seen": "30m"}, "is:unresolved firstSeen:-30m"),
    ({"first_seen": "24h"}, "is:unresolved firstSeen:-24h"),
    ({"last_seen": "7d"}, "is:unresolved lastSeen:-7d"),
    ({"last_seen": "2w"}, "is:unresolved lastSeen:-2w"),
    ({"last_seen": "-24h"}, "is:unresolved lastSeen:-24h"),
    ({"last_seen": "3 days"}, "is:unresolved lastSeen:-3d"),
    ({"first_seen": "90 minutes"}, "is:unresolved firstSeen:-90m"),
    ({"first_seen": "12hours"}, "is:unresolved firstSeen:-12h"),
    ({"first_seen": "1 week"}, "is:unresolved firstSeen:-1w"),
    # absolute dates and datetimes: since then (datetimes in UTC)
    ({"first_seen": "2026-01-15"}, "is:unresolved firstSeen:>=2026-01-15"),
    ({"last_seen": "2026-01-15T12:30:00"}, "is:unresolved lastSeen:>=2026-01-15T12:30:00"),
    ({"last_seen": "2026-01-15T12:30:00Z"}, "is:unresolved lastSeen:>=2026-01-15T12:30:00"),
    ({"last_seen": "2026-01-15T14:30:00+02:00"}, "is:unresolved lastSeen:>=2026-01-15T12:30:00"),
    ({"first_seen": "24h", "last_seen": "1h"}, "is:unresolved firstSeen:-24h lastSeen:-1h"),
    # event counts
    ({"min_events": 10}, "is:unresolved timesSeen:>=10"),
    ({"min_events": 0}, "is:unresolved timesSeen:>=0"),
    # tags: single, list (any of), negated, quoted values, awkward keys
    ({"tags": {"browser": "Chrome"}}, "is:unresolved browser:Chrome"),
    ({"tags": {"browser": ["Chrome", "Firefox"]}}, "is:unresolved browser:[Chrome, Firefox]"),
    ({"tags": {"!browser": "Chrome"}}, "is:unresolved !browser:Chrome"),
    ({"tags": {"!browser": ["Chrome", "Safari"]}}, "is:unresolved !browser:[Chrome, Safari]"),
    ({"tags": {"os": "Mac OS X"}}, 'is:unresolved os:"Mac OS X"'),
    ({"tags": {"browser": ["Chrome 60", "Edge"]}}, 'is:unresolved browser:["Chrome 60", Edge]'),
    ({"tags": {"url": "https://shop.example/cart?x=1"}}, 'is:unresolved url:"https://shop.example/cart?x=1"'),
    ({"tags": {"note": 'a "b" c'}}, 'is:unresolved note:"a \\"b\\" c"'),
    ({"tags": {"region": "[eu]"}}, 'is:unresolved region:"[eu]"'),
    ({"tags": {"size": ">5"}}, 'is:unresolved size:">5"'),
    ({"tags": {"flag": "!on"}}, 'is:unresolved flag:"!on"'),
    ({"tags": {"word": "OR"}}, 'is:unresolved word:"OR"'),
    ({"tags": {"server_name": "web-1.internal"}}, "is:unresolved server_name:web-1.internal"),
    ({"tags": {"sentry:user": "id:42"}}, 'is:unresolved tags["sentry:user"]:"id:42"'),
    ({"tags": {"is": "x"}}, "is:unresolved tags[is]:x"),
    ({"tags": {"browser": "Chrome", "os": "Linux"}}, "is:unresolved browser:Chrome os:Linux"),
    # free text: as typed unless it would read as syntax; never a bare OR/AND
    ({"query": "connection refused"}, "is:unresolved connection refused"),
    ({"query": "KeyError: 'user_id'"}, "is:unresolved \"KeyError: 'user_id'\""),
    ({"query": "timeout OR refused"}, 'is:unresolved "timeout OR refused"'),
    ({"query": "timeout or refused"}, 'is:unresolved "timeout or refused"'),
    ({"query": "cats AND dogs"}, 'is:unresolved "cats AND dogs"'),
    ({"query": "order android"}, "is:unresolved order android"),
    ({"query": "f(x) failed"}, 'is:unresolved "f(x) failed"'),
    ({"query": 'said "no"'}, 'is:unresolved "said \\"no\\""'),
    ({"query": "list[0]"}, 'is:unresolved "list[0]"'),
    # raw Sentry syntax appended as written, after the free text
    ({"sentry_query": "error.handled:false"}, "is:unresolved error.handled:false"),
    ({"query": "boom", "sentry_query": "has:user"}, "is:unresolved boom has:user"),
    # everything at once, in the documented order
    (
        {
            "status": "unresolved",
            "level": ["error", "fatal"],
            "release": "shop@1.4.3",
            "assigned": "#checkout",
            "first_seen": "7d",
            "last_seen": "24h",
            "min_events": 5,
            "tags": {"browser": "Chrome", "!os": ["Windows", "Linux"]},
            "query": "PaymentError",
            "sentry_query": "error.unhandled:true",
        },
        'is:unresolved level:[error, fatal] release:"shop@1.4.3" assigned:#checkout firstSeen:-7d '
        "lastSeen:-24h timesSeen:>=5 browser:Chrome !os:[Windows, Linux] PaymentError error.unhandled:true",
    ),
]


@pytest.mark.parametrize(("kwargs", "expected"), QUERIES, ids=[str(i) for i in range(len(QUERIES))])
def test_query_string(kwargs: dict[str, Any], expected: str) -> None:
    assert query_of(**kwargs) == expected


@pytest.mark.parametrize("kwargs", [k for k, _ in QUERIES])
def test_never_a_boolean_operator_outside_quotes(kwargs: dict[str, Any]) -> None:
    # Issue search answers 400 to OR/AND (in any case): outside quoted values they must never appear.
    bare = query_of(**kwargs)
    while '"' in bare:
        start = bare.index('"')
        end = start + 1
        while bare[end] != '"':
            end += 2 if bare[end] == "\\" else 1
        bare = bare[:start] + bare[end + 1 :]
    assert not {"or", "and"} & {w.lower() for w in bare.split()}


@pytest.mark.parametrize(
    ("sort", "sentry_sort"),
    [
        ("last_seen", "date"),
        ("first_seen", "new"),
        ("events", "freq"),
        ("users", "user"),
        ("trends", "trends"),
        (None, "date"),
        ("EVENTS", "freq"),
    ],
)
def test_sort_mapping(sort: str | None, sentry_sort: str) -> None:
    params = sentry_search(IssueFilter.build(sort=sort)).params
    assert ("sort", sentry_sort) in params


def test_params_exact_and_ordered() -> None:
    f = IssueFilter.build(
        level="error", environment=["production", "staging"], limit=50, cursor="0:100:0", sort="events"
    )
    search = sentry_search(f, ["12", "34"])
    assert search.params == [
        ("query", "is:unresolved level:error"),
        ("sort", "freq"),
        ("limit", "50"),
        ("environment", "production"),
        ("environment", "staging"),
        ("project", "12"),
        ("project", "34"),
        ("cursor", "0:100:0"),
    ]


def test_query_param_always_sent_even_empty() -> None:
    # Without `query`, Sentry applies `is:unresolved issue.priority:[high, medium]` and hides issues.
    params = sentry_search(IssueFilter.build(status="all")).params
    assert params[0] == ("query", "")


def test_environment_is_a_param_not_a_token() -> None:
    search = sentry_search(IssueFilter.build(environment="production"))
    assert "environment" not in search.query
    assert ("environment", "production") in search.params


@pytest.mark.parametrize(("limit", "sent"), [(None, "25"), (1, "1"), (100, "100"), (25, "25")])
def test_limit(limit: int | None, sent: str) -> None:
    assert ("limit", sent) in sentry_search(IssueFilter.build(limit=limit)).params


def test_no_cursor_no_project_by_default() -> None:
    keys = [k for k, _ in sentry_search(IssueFilter.build()).params]
    assert keys == ["query", "sort", "limit"]


def test_project_kept_for_resolution() -> None:
    assert IssueFilter.build(project="shop-web").project == "shop-web"
    assert IssueFilter.build(project=12).project == "12"
    assert IssueFilter.build(project="  ").project is None


@pytest.mark.parametrize(
    ("kwargs", "message_parts"),
    [
        ({"status": "open"}, ["status", "unresolved", "resolved", "ignored", "all"]),
        ({"level": "critical"}, ["level", "fatal", "error", "warning", "info", "debug"]),
        ({"level": ["error", "bad"]}, ["level", "fatal"]),
        ({"sort": "priority"}, ["sort", "last_seen", "first_seen", "events", "users", "trends"]),
        ({"limit": 0}, ["1–100"]),
        ({"limit": 101}, ["1–100"]),
        ({"first_seen": "the day before"}, ["first_seen", "24h", "7d"]),
        ({"last_seen": "0h"}, ["positive"]),
        ({"last_seen": "5 fortnights"}, ["last_seen", "30m"]),
        ({"last_seen": "2026-13-45"}, ["last_seen"]),
        ({"min_events": -1}, ["min_events"]),
        ({"tags": {"bad key": "x"}}, ["tag key"]),
        ({"tags": {"browser": []}}, ["needs a value"]),
        ({"tags": {"browser": "a\nb"}}, ["control"]),
        ({"release": "v1\\"}, ["backslash"]),
        ({"query": "x\r\nInjected: 1"}, ["control"]),
        ({"project": "../etc"}, ["project"]),
        ({"sentry_query": "a OR b"}, ["OR/AND"]),
        ({"sentry_query": 'browser:"Chrome'}, ["unbalanced quote"]),
    ],
)
def test_refused_before_any_request(kwargs: dict[str, Any], message_parts: list[str]) -> None:
    with pytest.raises(InvalidInput) as info:
        IssueFilter.build(**kwargs)
    for part in message_parts:
        assert part in str(info.value)


def test_tag_value_ending_in_backslash_refused() -> None:
    # An ending backslash would escape the closing quote and swallow the rest of the query.
    with pytest.raises(InvalidInput, match="backslash"):
        query_of(tags={"path": "C:\\temp\\"})


@pytest.mark.anyio
async def test_search_exact_request_and_results(sandbox: Sandbox, sandbox_url: str) -> None:
    f = IssueFilter.build(level=["error", "fatal"], tags={"!environment": "staging"}, sort="events", limit=3)
    async with sentry(sandbox_url) as backend:
        page = await backend.search_issues(f)
    query = "is:unresolved level:[error, fatal] !environment:staging"
    assert calls(sandbox) == [
        ("GET", f"{API}/issues/", [("query", query), ("sort", "freq"), ("limit", "3")]),
    ]
    assert page.query == query
    counts = [i.count or 0 for i in page.issues]
    assert len(page.issues) == 3 and counts == sorted(counts, reverse=True)
    assert all(i.status == "unresolved" and i.level in ("error", "fatal") for i in page.issues)
    assert page.next_cursor == "0:3:0"


@pytest.mark.anyio
async def test_search_cursor_continues_exactly_and_ends(sandbox: Sandbox, sandbox_url: str) -> None:
    seen: list[str] = []
    cursor: str | None = None
    async with sentry(sandbox_url) as backend:
        for _ in range(10):  # bounded: 18 issues in pages of 5 end within 4 pages
            page = await backend.search_issues(IssueFilter.build(status="all", limit=5, cursor=cursor))
            seen += [i.id for i in page.issues]
            cursor = page.next_cursor
            if not cursor:
                break
    assert cursor is None
    assert len(seen) == len(set(seen)) == len(sandbox.issues)
    assert [r.param("cursor") for r in sandbox.requests] == [None, "0:5:0", "0:10:0", "0:15:0"]
    assert all(r.param("query") == "" for r in sandbox.requests)  # explicit, even when empty


@pytest.mark.anyio
async def test_search_project_slug_resolved_once_and_environment_param(
    sandbox: Sandbox, sandbox_url: str
) -> None:
    async with sentry(sandbox_url) as backend:
        first = await backend.search_issues(
            IssueFilter.build(project="checkout-api", environment="production")
        )
        second = await backend.search_issues(IssueFilter.build(project="CHECKOUT-API", status="resolved"))
        third = await backend.search_issues(IssueFilter.build(project=WORKER))
    assert calls(sandbox) == [
        ("GET", f"{API}/projects/", [("per_page", "100")]),
        (
            "GET",
            f"{API}/issues/",
            [
                ("query", "is:unresolved"),
                ("sort", "date"),
                ("limit", "25"),
                ("environment", "production"),
                ("project", CHECKOUT),
            ],
        ),
        (
            "GET",
            f"{API}/issues/",
            [("query", "is:resolved"), ("sort", "date"), ("limit", "25"), ("project", CHECKOUT)],
        ),
        (
            "GET",
            f"{API}/issues/",
            [("query", "is:unresolved"), ("sort", "date"), ("limit", "25"), ("project", WORKER)],
        ),
    ]
    assert first.issues and all(i.project == "checkout-api" for i in first.issues)
    assert first.query == f"is:unresolved · environment=production · project=checkout-api (id {CHECKOUT})"
    assert [i.short_id for i in second.issues] == ["CHECKOUT-5"]
    assert third.issues and all(i.project_id == WORKER for i in third.issues)


@pytest.mark.anyio
async def test_search_default_project_from_settings(sandbox: Sandbox, sandbox_url: str) -> None:
    async with sentry(sandbox_url, project="worker") as backend:
        page = await backend.search_issues(IssueFilter.build(min_events=100))
    assert [r.param("project") for r in sandbox.requests] == [None, WORKER]
    assert sandbox.requests[1].param("query") == "is:unresolved timesSeen:>=100"
    assert sorted(i.short_id or "" for i in page.issues) == ["WORKER-2", "WORKER-5"]


@pytest.mark.anyio
async def test_search_unknown_project_refused(sandbox: Sandbox, sandbox_url: str) -> None:
    async with sentry(sandbox_url) as backend:
        with pytest.raises(InvalidInput, match="known projects: checkout-api, shop-web, worker"):
            await backend.search_issues(IssueFilter.build(project="nope"))
    assert [r.path for r in sandbox.requests] == [f"{API}/projects/"]  # no search was sent


@pytest.mark.anyio
async def test_search_400_passes_sentry_message(sandbox: Sandbox, sandbox_url: str) -> None:
    async with sentry(sandbox_url) as backend:
        with pytest.raises(UpstreamError, match=r"refused the request \(400\)") as info:
            await backend.search_issues(IssueFilter.build(sort="events", cursor="garbage"))
    assert info.value.status == 400


@pytest.mark.anyio
async def test_search_empty_query_is_shown_quoted(sandbox: Sandbox, sandbox_url: str) -> None:
    # status="all" and no filter: the query sent is empty, shown as "" (an empty code span renders as ``).
    async with sentry(sandbox_url) as backend:
        page = await backend.search_issues(IssueFilter.build(status="all", limit=1))
    assert calls(sandbox)[0][2][0] == ("query", "")
    assert page.query == '""'
