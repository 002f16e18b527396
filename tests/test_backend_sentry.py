"""The Sentry backend: exact requests and faithful results.

Part 1 (pure): lenient mapping of Sentry JSON, the PUT body, region URL validation.
Part 2 (regions): sentry.io organizations use their `links.regionUrl`, read once; a scripted transport,
since the hosts are sentry.io names (nothing leaves the process).
Part 3 (end to end): the backend against the sandbox over real HTTP on 127.0.0.1, asserting every request the
sandbox received (method, path, query, body) and the results.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from stacklens.backends.sentry import SentryBackend
from stacklens.backends.sentry.mapping import (
    assignee_text,
    event_summary,
    issue_from_sentry,
    release_from_sentry,
)
from stacklens.backends.sentry.region import region_api_base
from stacklens.backends.sentry.writes import update_body
from stacklens.config import Settings
from stacklens.errors import InvalidInput, NotTheApi, UpstreamError
from stacklens.http import Upstream
from stacklens.models import CommitSpec, DeploySpec, IssueChange, ReleaseSpec
from stacklens.query import IssueFilter
from stacklens.refs import IssueRef, parse_issue_ref
from stacklens.render.records import render_issue
from stacklens.sandbox import Sandbox

TOKEN = "tok-sentry-backend-9f3e"


# --- Part 1: mapping ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (
            {"type": "user", "id": "1", "name": "Jane Doe", "email": "jane@example.com"},
            "Jane Doe <jane@example.com>",
        ),
        (
            {"type": "user", "id": "1", "name": "jane@example.com", "email": "jane@example.com"},
            "jane@example.com",
        ),
        ({"type": "user", "id": "7", "name": None, "email": None}, "user:7"),
        ({"type": "team", "id": "3", "name": "backend"}, "#backend"),
        ({"type": "team", "id": "3", "name": None}, "team:3"),
        ("jane", "jane"),
        (None, None),
        ({}, None),
        (42, None),
    ],
)
def test_assignee_text(value: Any, text: str | None) -> None:
    assert assignee_text(value) == text


def test_issue_mapping_lenient() -> None:
    issue = issue_from_sentry(
        {
            "id": 123,
            "shortId": "SHOP-1A",
            "title": None,
            "metadata": {"title": "KeyError: 'x'"},
            "culprit": None,
            "level": "error",
            "status": "unresolved",
            "substatus": None,
            "count": "1284",
            "userCount": None,
            "firstSeen": "2026-01-15T10:00:00.123Z",
            "lastSeen": None,
            "firstRelease": {"version": "shop@1.4.2"},
            "lastRelease": "shop@1.4.3",
            "assignedTo": {"type": "team", "id": "9", "name": "checkout"},
            "project": {"id": 12, "slug": "shop-web"},
            "issueType": "error",
            "statusDetails": None,
            "unknown": {"nested": [None]},
        }
    )
    assert issue is not None
    assert (issue.id, issue.short_id, issue.title, issue.count, issue.user_count) == (
        "123",
        "SHOP-1A",
        "KeyError: 'x'",
        1284,
        None,
    )
    assert (issue.first_release, issue.last_release, issue.assignee) == (
        "shop@1.4.2",
        "shop@1.4.3",
        "#checkout",
    )
    assert (issue.project, issue.project_id, issue.type) == ("shop-web", "12", "error")
    assert issue.first_seen is not None and issue.last_seen is None
    assert issue_from_sentry({"id": None}) is None
    bare = issue_from_sentry({"id": "5", "project": None, "assignedTo": None, "firstRelease": None})
    assert bare is not None and bare.project is None and bare.assignee is None


def test_event_summary_mapping() -> None:
    row = {
        "id": "dfb1",
        "eventID": "9fac",
        "dateCreated": "2026-01-15T10:00:00Z",
        "tags": [
            {"key": "environment", "value": "production"},
            {"key": "release", "value": "shop@1.4.3"},
            {"key": None, "value": "x"},
        ],
        "user": {"id": "u-42", "email": "secret@example.com", "ip_address": "10.0.0.1"},
        "message": "",
        "title": "KeyError: 'x'",
    }
    summary = event_summary(row)
    assert summary is not None
    assert (summary.id, summary.environment, summary.release, summary.user_id, summary.message) == (
        "9fac",
        "production",
        "shop@1.4.3",
        "u-42",
        "KeyError: 'x'",
    )
    no_user = event_summary({"eventID": "a1", "user": None, "tags": [{"key": "user", "value": "id:7"}]})
    assert no_user is not None and no_user.user_id == "7"
    emailed = event_summary({"eventID": "a2", "tags": [{"key": "user", "value": "email:a@b.c"}]})
    assert emailed is not None and emailed.user_id is None  # never an email


def test_release_mapping_health_and_deploys() -> None:
    release = release_from_sentry(
        {
            "version": "shop@1.4.3",
            "dateCreated": "2026-01-15T10:00:00Z",
            "newGroups": 3,
            "commitCount": 7,
            "deployCount": 2,
            "lastDeploy": {"environment": "production", "dateFinished": None},
            "projects": [
                {"id": 1, "slug": "shop-api", "healthData": None},
                {
                    "id": 12,
                    "slug": "shop-web",
                    "healthData": {
                        "crashFreeSessions": 99.5,
                        "crashFreeUsers": 98.25,
                        "adoption": 40.0,
                        "totalSessions": 1200,
                    },
                },
            ],
        },
        "12",
    )
    assert release is not None
    assert (release.new_issues, release.commit_count, release.deploy_count, release.last_deploy) == (
        3,
        7,
        2,
        "production",
    )
    assert release.projects == ["shop-api", "shop-web"]
    assert release.health is not None
    assert (release.health.crash_free_sessions, release.health.crash_free_users) == (99.5, 98.25)
    assert (release.health.adoption, release.health.sessions) == (40.0, 1200)
    plain = release_from_sentry({"version": "v1", "projects": None, "lastDeploy": None})
    assert plain is not None and plain.health is None and plain.last_deploy is None
    assert release_from_sentry({"version": None}) is None


@pytest.mark.parametrize(
    ("change", "body"),
    [
        ({"status": "resolved"}, {"status": "resolved"}),
        ({"status": "resolved_in_next_release"}, {"status": "resolvedInNextRelease"}),
        ({"status": "unresolved"}, {"status": "unresolved"}),
        ({"status": "ignored"}, {"status": "ignored"}),
        ({"ignore_minutes": 60}, {"status": "ignored", "statusDetails": {"ignoreDuration": 60}}),
        ({"ignore_count": 100}, {"status": "ignored", "statusDetails": {"ignoreCount": 100}}),
        (
            {"status": "ignored", "ignore_minutes": 30, "ignore_count": 5},
            {"status": "ignored", "statusDetails": {"ignoreDuration": 30, "ignoreCount": 5}},
        ),
        ({"assignee": "none"}, {"assignedTo": ""}),
        ({"assignee": "None"}, {"assignedTo": ""}),
        ({"assignee": "jane@example.com"}, {"assignedTo": "jane@example.com"}),
        ({"assignee": "user:42"}, {"assignedTo": "user:42"}),
        ({"assignee": "team:7"}, {"assignedTo": "team:7"}),
        ({"bookmarked": True}, {"isBookmarked": True}),
        ({"seen": False}, {"hasSeen": False}),
        (
            {"status": "resolved", "assignee": "jane", "bookmarked": False, "seen": True},
            {"status": "resolved", "assignedTo": "jane", "isBookmarked": False, "hasSeen": True},
        ),
    ],
)
def test_update_body(change: dict[str, Any], body: dict[str, Any]) -> None:
    assert update_body(IssueChange(**change)) == body


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({}, "nothing to change"),
        ({"status": "closed"}, "resolved_in_next_release"),
        ({"status": "resolved", "ignore_minutes": 5}, "status='ignored'"),
        ({"ignore_minutes": 0}, "positive"),
        ({"assignee": "a\nb"}, "assignee"),
    ],
)
def test_update_body_refused(change: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        update_body(IssueChange(**change))


@pytest.mark.parametrize(
    ("region", "base"),
    [
        ("https://us.sentry.io", "https://us.sentry.io/api/0"),
        ("https://de.sentry.io/", "https://de.sentry.io/api/0"),
        ("https://sentry.io", "https://sentry.io/api/0"),
        ("http://de.sentry.io", None),
        ("https://de.sentry.io.evil.example", None),
        ("https://evilsentry.io", None),
        ("https://user:pw@de.sentry.io", None),
        ("https://de.sentry.io:8443", None),
        ("https://de.sentry.io/api/0", None),
        ("https://de.sentry.io?x=1", None),
        ("https://de.sentry.io\r\nX: 1", None),
        ("", None),
        (None, None),
        (["https://de.sentry.io"], None),
    ],
)
def test_region_api_base(region: Any, base: str | None) -> None:
    assert region_api_base(region) == base


# --- Part 2: regions ------------------------------------------------------------------------------------


class Recorder:
    """A scripted transport: answers by (host, path), records every request."""

    def __init__(self, routes: dict[tuple[str, str], Any]) -> None:
        self.routes = routes
        self.seen: list[tuple[str, str, str]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append((request.method, request.url.host, request.url.path))
        assert request.headers["authorization"] == f"Bearer {TOKEN}"
        body = self.routes.get((request.url.host, request.url.path))
        if body is None:
            return httpx.Response(404, json={"detail": "The requested resource does not exist"})
        return httpx.Response(200, json=body)


def saas_backend(url: str, recorder: Recorder) -> tuple[SentryBackend, Upstream]:
    settings = Settings(backend="sentry", url=url, org="acme")
    upstream = Upstream(
        base_url=settings.api_base,
        token=TOKEN,
        label="Sentry",
        token_var="SENTRY_AUTH_TOKEN",
        url_var="SENTRY_URL",
        transport=httpx.MockTransport(recorder),
        attempts=1,
    )
    return SentryBackend(settings, upstream), upstream


ISSUE = {"id": "77", "shortId": "SHOP-2", "title": "boom", "project": {"id": "1", "slug": "shop"}}


@pytest.mark.anyio
async def test_region_read_once_and_used() -> None:
    recorder = Recorder(
        {
            ("sentry.io", "/api/0/organizations/acme/"): {
                "slug": "acme",
                "links": {"regionUrl": "https://de.sentry.io"},
            },
            ("de.sentry.io", "/api/0/organizations/acme/issues/77/"): ISSUE,
        }
    )
    backend, upstream = saas_backend("https://sentry.io", recorder)
    try:
        ref = parse_issue_ref("77")
        assert (await backend.get_issue(ref)).short_id == "SHOP-2"
        assert (await backend.get_issue(ref)).id == "77"
    finally:
        await upstream.aclose()
    assert recorder.seen == [
        ("GET", "sentry.io", "/api/0/organizations/acme/"),
        ("GET", "de.sentry.io", "/api/0/organizations/acme/issues/77/"),
        ("GET", "de.sentry.io", "/api/0/organizations/acme/issues/77/"),
    ]


@pytest.mark.anyio
@pytest.mark.parametrize("region", ["https://attacker.example", "http://de.sentry.io", None, 5])
async def test_untrusted_region_ignored(region: Any) -> None:
    recorder = Recorder(
        {
            ("acme.sentry.io", "/api/0/organizations/acme/"): {"links": {"regionUrl": region}},
            ("acme.sentry.io", "/api/0/organizations/acme/issues/77/"): ISSUE,
        }
    )
    backend, upstream = saas_backend("https://acme.sentry.io", recorder)
    try:
        assert (await backend.get_issue(parse_issue_ref("77"))).id == "77"
    finally:
        await upstream.aclose()
    assert {host for _, host, _ in recorder.seen} == {"acme.sentry.io"}
    assert len(recorder.seen) == 2


@pytest.mark.anyio
async def test_self_hosted_never_reads_region() -> None:
    recorder = Recorder({("sentry.internal", "/sentry/api/0/organizations/acme/issues/77/"): ISSUE})
    backend, upstream = saas_backend("https://sentry.internal/sentry", recorder)
    try:
        assert (await backend.get_issue(parse_issue_ref("77"))).id == "77"
    finally:
        await upstream.aclose()
    assert recorder.seen == [("GET", "sentry.internal", "/sentry/api/0/organizations/acme/issues/77/")]


@pytest.mark.anyio
async def test_org_details_forbidden_falls_back_to_instance() -> None:
    # A token without org:read still works on sentry.io's own host (US organizations live there).
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/0/organizations/acme/":
            return httpx.Response(403, json={"detail": "You do not have permission to perform this action."})
        return httpx.Response(200, json=ISSUE)

    settings = Settings(backend="sentry", url="https://sentry.io", org="acme")
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(f"{request.url.host}{request.url.path}")
        return answer(request)

    upstream = Upstream(
        base_url=settings.api_base,
        token=TOKEN,
        label="Sentry",
        token_var="SENTRY_AUTH_TOKEN",
        url_var="SENTRY_URL",
        transport=httpx.MockTransport(handler),
        attempts=1,
    )
    backend = SentryBackend(settings, upstream)
    try:
        await backend.get_issue(parse_issue_ref("77"))
        await backend.get_issue(parse_issue_ref("77"))
    finally:
        await upstream.aclose()
    assert seen == [
        "sentry.io/api/0/organizations/acme/",
        "sentry.io/api/0/organizations/acme/issues/77/",
        "sentry.io/api/0/organizations/acme/issues/77/",
    ]


# --- Part 3: end to end against the sandbox ---------------------------------------------------------------

SANDBOX_TOKEN = "sandbox-sentry-token"
SHOP, CHECKOUT, WORKER = "4508341723004928", "4508341723069441", "4508341723135002"
API = "/api/0/organizations/acme"


@asynccontextmanager
async def sentry(url: str, **settings: Any) -> AsyncIterator[SentryBackend]:
    config = Settings(backend="sentry", url=url, org="acme", **settings)
    upstream = Upstream(
        base_url=config.api_base,
        token=SANDBOX_TOKEN,
        label="Sentry",
        token_var="SENTRY_AUTH_TOKEN",
        url_var="SENTRY_URL",
        attempts=2,
        backoff=0.01,
        max_total_wait=2.0,
    )
    try:
        yield SentryBackend(config, upstream)
    finally:
        await upstream.aclose()


def calls(sandbox: Sandbox) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """(method, decoded path, query pairs) of every request the sandbox received, in order."""
    return [(r.method, r.path, r.query) for r in sandbox.requests]


def ref(value: str) -> IssueRef:
    return parse_issue_ref(value)


@pytest.mark.anyio
async def test_get_issue_numeric_is_one_request(sandbox: Sandbox, sandbox_url: str) -> None:
    async with sentry(sandbox_url) as backend:
        issue = await backend.get_issue(ref("6120004400"))
    assert calls(sandbox) == [("GET", f"{API}/issues/6120004400/", [])]
    assert sandbox.requests[0].auth == "valid"
    assert (issue.id, issue.short_id, issue.level, issue.status) == (
        "6120004400",
        "SHOP-1A",
        "error",
        "unresolved",
    )
    assert (issue.count, issue.project, issue.project_id) == (1284, "shop-web", SHOP)
    assert issue.assignee == "Jane Doe <jane.doe@acme.test>"
    assert issue.first_release == "shop-web@2.3.0"
    assert issue.permalink and issue.permalink.endswith("/issues/6120004400/")


@pytest.mark.anyio
async def test_get_issue_short_id_and_url_are_one_request(sandbox: Sandbox, sandbox_url: str) -> None:
    async with sentry(sandbox_url) as backend:
        by_short = await backend.get_issue(ref("checkout-3"))
        by_url = await backend.get_issue(ref("https://acme.sentry.io/issues/6120004844/?project=1"))
    assert calls(sandbox) == [
        ("GET", f"{API}/issues/CHECKOUT-3/", []),
        ("GET", f"{API}/issues/6120004844/", []),
    ]
    assert (by_short.id, by_short.assignee) == ("6120004622", "#payments")
    assert (by_url.short_id, by_url.level, by_url.last_release) == (
        "WORKER-1",
        "fatal",
        "worker@0.9.1+build.7",
    )


@pytest.mark.anyio
async def test_merged_issue_says_it_answered_with_the_survivor(sandbox: Sandbox, sandbox_url: str) -> None:
    """Sentry answers a merged-away id (or short id) 200 with the issue it was merged into."""
    sandbox.merged.update({"6120004999": "6120004400", "SHOP-9Z": "6120004400"})
    async with sentry(sandbox_url) as backend:
        by_id = await backend.get_issue(ref("6120004999"))
        by_short = await backend.get_issue(ref("shop-9z"))
        direct = await backend.get_issue(ref("shop-1a"))
    assert (by_id.id, by_id.merged_from) == ("6120004400", "6120004999")
    assert (by_short.short_id, by_short.merged_from) == ("SHOP-1A", "SHOP-9Z")
    assert direct.merged_from is None
    text = render_issue(by_id)
    assert "you asked for 6120004999; it was merged into (or moved to) this issue" in text
    assert "merged" not in render_issue(direct)


@pytest.mark.anyio
async def test_issue_not_found_names_issue_and_org(sandbox: Sandbox, sandbox_url: str) -> None:
    async with sentry(sandbox_url) as backend:
        with pytest.raises(UpstreamError) as info:
            await backend.get_issue(ref("999"))
        with pytest.raises(UpstreamError, match="issue NOPE-1 not found in organization acme"):
            await backend.list_issue_events(ref("NOPE-1"))
    assert info.value.status == 404
    assert "issue 999 not found in organization acme" in str(info.value)
    assert len(sandbox.requests) == 2  # a 404 is not retried


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
async def test_get_event_latest_with_environment(sandbox: Sandbox, sandbox_url: str) -> None:
    async with sentry(sandbox_url) as backend:
        event = await backend.get_event(ref("SHOP-1A"), "latest", environment="production")
        oldest = await backend.get_event(ref("6120004400"), "oldest")
    assert calls(sandbox) == [
        ("GET", f"{API}/issues/SHOP-1A/events/latest/", [("environment", "production")]),
        ("GET", f"{API}/issues/6120004400/events/oldest/", []),
    ]
    assert event.id and oldest.id and event.id != oldest.id


@pytest.mark.anyio
async def test_get_event_missing_names_it(sandbox: Sandbox, sandbox_url: str) -> None:
    async with sentry(sandbox_url) as backend:
        with pytest.raises(
            UpstreamError, match="issue SHOP-1A not found in organization acme, or its event ab12"
        ):
            await backend.get_event(ref("SHOP-1A"), "ab12")


@pytest.mark.anyio
async def test_list_issue_events(sandbox: Sandbox, sandbox_url: str) -> None:
    async with sentry(sandbox_url) as backend:
        events = await backend.list_issue_events(ref("SHOP-1A"), limit=4)
        more = await backend.list_issue_events(ref("SHOP-1A"), limit=4, cursor=events.next_cursor)
        prod = await backend.list_issue_events(ref("SHOP-1A"), limit=10, environment="production")
    assert calls(sandbox) == [
        ("GET", f"{API}/issues/SHOP-1A/events/", [("per_page", "4")]),
        ("GET", f"{API}/issues/SHOP-1A/events/", [("per_page", "4"), ("cursor", "0:4:0")]),
        ("GET", f"{API}/issues/SHOP-1A/events/", [("per_page", "10"), ("environment", "production")]),
    ]
    assert (len(events.events), len(more.events), more.next_cursor) == (4, 2, None)
    assert events.issue == "SHOP-1A"
    times = [e.time for e in events.events + more.events]
    assert None not in times and times == sorted(times, reverse=True)  # newest first
    assert all(e.release and e.release.startswith("shop-web@") for e in events.events)
    assert prod.events and all(e.environment == "production" for e in prod.events)
    assert all(e.message for e in events.events)
    assert not any(e.user_id and "@" in e.user_id for e in events.events)


@pytest.mark.anyio
async def test_list_tag_values(sandbox: Sandbox, sandbox_url: str) -> None:
    async with sentry(sandbox_url) as backend:
        tags = await backend.list_tag_values(ref("SHOP-1A"), "customer_tier", limit=20)
        one = await backend.list_tag_values(ref("SHOP-1A"), "customer_tier", limit=1)
        with pytest.raises(UpstreamError, match=r"or the issue has no tag 'no\.such:key'"):
            await backend.list_tag_values(ref("SHOP-1A"), "no.such:key")
        with pytest.raises(InvalidInput):
            await backend.list_tag_values(ref("SHOP-1A"), "../x")
    assert calls(sandbox) == [
        ("GET", f"{API}/issues/SHOP-1A/tags/customer_tier/values/", [("sort", "count")]),
        ("GET", f"{API}/issues/SHOP-1A/tags/customer_tier/values/", [("sort", "count")]),
        ("GET", f"{API}/issues/SHOP-1A/tags/no.such:key/values/", [("sort", "count")]),
    ]
    assert sandbox.requests[2].raw_path.endswith("/tags/no.such%3Akey/values/")
    counts = [v.count or 0 for v in tags.values]
    assert counts == sorted(counts, reverse=True) and tags.total == sum(counts) == 6
    assert [(v.value, v.count) for v in tags.values] == [("enterprise", 3), ("pro", 2), ("free", 1)]
    assert all(v.first_seen and v.last_seen for v in tags.values)
    assert [v.value for v in one.values] == ["enterprise"] and one.total == 6
    assert one.notes  # says that less frequent values were left out


@pytest.mark.anyio
async def test_update_one_issue(sandbox: Sandbox, sandbox_url: str) -> None:
    change = IssueChange(status="resolved_in_next_release", assignee="bob.smith", bookmarked=True)
    async with sentry(sandbox_url) as backend:
        result = await backend.update_issues([ref("SHOP-1C")], change)
    assert [(r.method, r.path, r.query, r.json) for r in sandbox.requests] == [
        (
            "PUT",
            f"{API}/issues/SHOP-1C/",
            [],
            {"status": "resolvedInNextRelease", "assignedTo": "bob.smith", "isBookmarked": True},
        )
    ]
    [outcome] = result.outcomes
    assert outcome.ok and outcome.error is None
    assert (outcome.issue, outcome.status, outcome.assignee, outcome.bookmarked) == (
        "SHOP-1C",
        "resolved_in_next_release",
        "Bob Smith <bob.smith@acme.test>",
        True,
    )
    assert sandbox.issues["6120004474"]["status"] == "resolved"


@pytest.mark.anyio
async def test_update_one_unassign_and_ignore(sandbox: Sandbox, sandbox_url: str) -> None:
    async with sentry(sandbox_url) as backend:
        result = await backend.update_issues(
            [ref("6120004400")], IssueChange(assignee="none", ignore_minutes=60)
        )
    assert sandbox.requests[0].json == {
        "status": "ignored",
        "statusDetails": {"ignoreDuration": 60},
        "assignedTo": "",
    }
    [outcome] = result.outcomes
    assert (outcome.ok, outcome.status, outcome.assignee) == (True, "ignored", "none")
    assert sandbox.issues["6120004400"]["assignedTo"] is None


@pytest.mark.anyio
async def test_update_one_failure_is_reported_not_raised(sandbox: Sandbox, sandbox_url: str) -> None:
    async with sentry(sandbox_url) as backend:
        result = await backend.update_issues([ref("SHOP-1A")], IssueChange(assignee="nobody@else.test"))
    [outcome] = result.outcomes
    assert not outcome.ok and outcome.error and "400" in outcome.error and "Unknown actor" in outcome.error


@pytest.mark.anyio
async def test_update_many_grouped_per_project(sandbox: Sandbox, sandbox_url: str) -> None:
    reports: list[tuple[float, float | None, str | None]] = []

    async def progress(done: float, total: float | None = None, message: str | None = None) -> None:
        reports.append((done, total, message))

    refs = [ref("6120004400"), ref("CHECKOUT-3"), ref("6120004437"), ref("6120004659")]
    async with sentry(sandbox_url) as backend:
        result = await backend.update_issues(refs, IssueChange(status="resolved", seen=True), progress)
    body = {"status": "resolved", "hasSeen": True}
    # Locating: ONE search for every numeric id, one detail GET for the short id (its numeric id is needed).
    assert [(r.method, r.path, r.query) for r in sandbox.requests[:2]] == [
        (
            "GET",
            f"{API}/issues/",
            [("query", "issue.id:[6120004400, 6120004437, 6120004659]"), ("project", "-1"), ("limit", "3")],
        ),
        ("GET", f"{API}/issues/CHECKOUT-3/", []),
    ]
    puts = [(r.method, r.path, r.query, r.json) for r in sandbox.requests[2:]]
    assert puts == [
        ("PUT", "/api/0/projects/acme/shop-web/issues/", [("id", "6120004400"), ("id", "6120004437")], body),
        (
            "PUT",
            "/api/0/projects/acme/checkout-api/issues/",
            [("id", "6120004622"), ("id", "6120004659")],
            body,
        ),
    ]
    assert [(o.issue, o.ok, o.status, o.seen) for o in result.outcomes] == [
        ("6120004400", True, "resolved", True),
        ("CHECKOUT-3", True, "resolved", True),
        ("6120004437", True, "resolved", True),
        ("6120004659", True, "resolved", True),
    ]
    assert all(
        sandbox.issues[i]["status"] == "resolved"
        for i in ("6120004400", "6120004437", "6120004622", "6120004659")
    )
    assert [r[:2] for r in reports] == [(0, 2), (1, 2), (2, 2)]


@pytest.mark.anyio
async def test_update_many_failed_group_keeps_others(sandbox: Sandbox, sandbox_url: str) -> None:
    sandbox.inject(r"/projects/acme/checkout-api/issues/$", status=403, method="PUT", times=None)
    refs = [ref("6120004400"), ref("6120004622"), ref("99999"), ref("WORKER-2")]
    async with sentry(sandbox_url) as backend:
        result = await backend.update_issues(refs, IssueChange(status="ignored", ignore_count=100))
    outcomes = {o.issue: o for o in result.outcomes}
    assert [o.issue for o in result.outcomes] == ["6120004400", "6120004622", "99999", "WORKER-2"]
    assert outcomes["6120004400"].ok and outcomes["6120004400"].status == "ignored"
    assert outcomes["WORKER-2"].ok and outcomes["WORKER-2"].status == "ignored"
    failed = outcomes["6120004622"]
    assert not failed.ok and failed.error and "403" in failed.error and "event:write" in failed.error
    missing = outcomes["99999"]
    assert not missing.ok and missing.error and "issue 99999 not found in organization acme" in missing.error
    assert sandbox.issues["6120004622"]["status"] == "unresolved"
    assert sandbox.issues["6120004881"]["status"] == "ignored"
    puts = [r for r in sandbox.requests if r.method == "PUT"]
    assert {r.path for r in puts} == {
        "/api/0/projects/acme/shop-web/issues/",
        "/api/0/projects/acme/checkout-api/issues/",
        "/api/0/projects/acme/worker/issues/",
    }
    assert all(r.json == {"status": "ignored", "statusDetails": {"ignoreCount": 100}} for r in puts)
    assert len([r for r in puts if "checkout-api" in r.path]) == 1  # a 403 is not retried


@pytest.mark.anyio
async def test_update_refused_before_any_request(sandbox: Sandbox, sandbox_url: str) -> None:
    async with sentry(sandbox_url) as backend:
        with pytest.raises(InvalidInput):
            await backend.update_issues([ref("1"), ref("2")], IssueChange())
        with pytest.raises(InvalidInput):
            await backend.update_issues([ref("1")], IssueChange(status="resolved", ignore_count=3))
    assert sandbox.requests == []


@pytest.mark.anyio
async def test_list_releases_with_health(sandbox: Sandbox, sandbox_url: str) -> None:
    async with sentry(sandbox_url) as backend:
        listed = await backend.list_releases(project="shop-web", query="2.", limit=2)
        rest = await backend.list_releases(project="shop-web", query="2.", limit=2, cursor=listed.next_cursor)
    assert calls(sandbox) == [
        ("GET", f"{API}/projects/", [("per_page", "100")]),
        ("GET", f"{API}/releases/", [("project", SHOP), ("query", "2."), ("per_page", "2"), ("health", "1")]),
        (
            "GET",
            f"{API}/releases/",
            [("project", SHOP), ("query", "2."), ("per_page", "2"), ("health", "1"), ("cursor", "0:2:0")],
        ),
    ]
    versions = [r.version for r in listed.releases + rest.releases]
    assert sorted(versions) == ["shop-web@2.3.0", "shop-web@2.3.1", "shop-web@2.4.0"]
    assert rest.next_cursor is None
    first = listed.releases[0]
    assert first.projects == ["shop-web"] and first.health is not None
    assert first.health.crash_free_sessions is not None and first.new_issues is not None
    assert first.deploy_count == 2 and first.last_deploy


@pytest.mark.anyio
async def test_create_release_and_deploys(sandbox: Sandbox, sandbox_url: str) -> None:
    spec = ReleaseSpec(
        version="worker@1.0.0+build.9",
        project=WORKER,
        ref="a1b2c3d",
        date_released="2026-01-15T12:00:00Z",
        commits=[
            CommitSpec(
                sha="a1b2c3d", message="Fix crash", author="Jane Doe", author_email="jane.doe@acme.test"
            ),
            CommitSpec(sha="e4f5a6b"),
        ],
        deploys=[
            DeploySpec(environment="staging", deployed_at="2026-01-15T12:05:00Z"),
            DeploySpec(environment="production", name="prod #12", url="https://ci.example/12"),
        ],
    )
    async with sentry(sandbox_url) as backend:
        created = await backend.create_release(spec)
    assert [(r.method, r.path, r.json) for r in sandbox.requests] == [
        ("GET", f"{API}/projects/", None),
        (
            "POST",
            f"{API}/releases/",
            {
                "version": "worker@1.0.0+build.9",
                "projects": ["worker"],
                "ref": "a1b2c3d",
                "dateReleased": "2026-01-15T12:00:00Z",
                "commits": [
                    {
                        "id": "a1b2c3d",
                        "message": "Fix crash",
                        "author_name": "Jane Doe",
                        "author_email": "jane.doe@acme.test",
                    },
                    {"id": "e4f5a6b"},
                ],
            },
        ),
        (
            "POST",
            f"{API}/releases/worker@1.0.0+build.9/deploys/",
            {"environment": "staging", "dateFinished": "2026-01-15T12:05:00Z"},
        ),
        (
            "POST",
            f"{API}/releases/worker@1.0.0+build.9/deploys/",
            {"environment": "production", "name": "prod #12", "url": "https://ci.example/12"},
        ),
    ]
    assert sandbox.requests[2].raw_path == f"{API}/releases/worker%401.0.0%2Bbuild.9/deploys/"
    assert (created.version, created.project, created.already_existed, created.commits) == (
        "worker@1.0.0+build.9",
        "worker",
        False,
        2,
    )
    assert [(d.environment, d.ok) for d in created.deploys] == [("staging", True), ("production", True)]
    assert all(d.id for d in created.deploys)
    assert len(sandbox.release_by("worker@1.0.0+build.9")["deploys"]) == 2


@pytest.mark.anyio
async def test_create_release_existing_and_failed_deploy(sandbox: Sandbox, sandbox_url: str) -> None:
    sandbox.inject(r"/deploys/$", status=503, method="POST", times=1)
    spec = ReleaseSpec(
        version="shop-web@2.4.0",
        deploys=[DeploySpec(environment="canary"), DeploySpec(environment="production")],
    )
    async with sentry(sandbox_url, project="shop-web") as backend:
        created = await backend.create_release(spec)
    posts = [r for r in sandbox.requests if r.method == "POST"]
    assert [r.path for r in posts] == [
        f"{API}/releases/",
        f"{API}/releases/shop-web@2.4.0/deploys/",
        f"{API}/releases/shop-web@2.4.0/deploys/",
    ]  # the failed deploy POST was not retried
    assert posts[0].json == {"version": "shop-web@2.4.0", "projects": ["shop-web"]}
    assert created.already_existed
    # Only what this call did: deploys were sent, commits were not (so none were replaced).
    assert created.notes == ["the release already existed (208): the deploys below were added to it"]
    canary, production = created.deploys
    assert not canary.ok and canary.error and "503" in canary.error and canary.id is None
    assert production.ok and production.id
    assert [d["environment"] for d in sandbox.release_by("shop-web@2.4.0")["deploys"]][-1] == "production"
    assert "canary" not in [d["environment"] for d in sandbox.release_by("shop-web@2.4.0")["deploys"]]


@pytest.mark.anyio
async def test_create_release_needs_a_project(sandbox: Sandbox, sandbox_url: str) -> None:
    async with sentry(sandbox_url) as backend:
        with pytest.raises(InvalidInput, match="SENTRY_PROJECT"):
            await backend.create_release(ReleaseSpec(version="x@1"))
        with pytest.raises(InvalidInput):
            await backend.create_release(ReleaseSpec(version="..", project="shop-web"))
    assert sandbox.requests == []


@pytest.mark.anyio
async def test_read_audit(sandbox: Sandbox, sandbox_url: str) -> None:
    async with sentry(sandbox_url) as backend:
        await backend.update_issues([ref("SHOP-1A")], IssueChange(status="resolved"))
        log = await backend.read_audit(limit=5)
        resolves = await backend.read_audit(limit=50, action="issue.resolve")
    assert calls(sandbox)[1:] == [
        ("GET", f"{API}/audit-logs/", [("per_page", "5")]),
        ("GET", f"{API}/audit-logs/", [("event", "issue.resolve"), ("per_page", "50")]),
    ]
    assert len(log.entries) == 5 and log.next_cursor
    newest = log.entries[0]
    assert newest.action == "issue.resolve" and newest.actor == "Jane Doe <jane.doe@acme.test>"
    assert newest.target == "6120004400" and newest.time is not None and newest.ip_address
    assert resolves.entries and all(e.action == "issue.resolve" for e in resolves.entries)
    times = [e.time for e in log.entries]
    assert times == sorted(times, reverse=True)


def next_link(cursor: str) -> dict[str, str]:
    return {"Link": f'<http://x/?cursor={cursor}>; rel="next"; results="true"; cursor="{cursor}"'}


@pytest.mark.anyio
async def test_list_projects_follows_pages(sandbox: Sandbox, sandbox_url: str) -> None:
    # A short first page (one project, a Link to offset 1); the walk follows the cursor to the end.
    first_page = json.dumps(
        [{"id": CHECKOUT, "slug": "checkout-api", "name": "Checkout API", "platform": "python"}]
    )
    sandbox.inject(r"/organizations/acme/projects/$", status=200, body=first_page, headers=next_link("0:1:0"))
    async with sentry(sandbox_url) as backend:
        projects = await backend.list_projects()
        # Cached for slug resolution: no further projects request.
        await backend.search_issues(IssueFilter.build(project="worker"))
    assert [(p.id, p.slug, p.platform) for p in projects] == [
        (CHECKOUT, "checkout-api", "python"),
        (SHOP, "shop-web", "python"),
        (WORKER, "worker", "python"),
    ]
    assert calls(sandbox)[:2] == [
        ("GET", f"{API}/projects/", [("per_page", "100")]),
        ("GET", f"{API}/projects/", [("per_page", "100"), ("cursor", "0:1:0")]),
    ]
    assert [r.path for r in sandbox.requests[2:]] == [f"{API}/issues/"]


@pytest.mark.anyio
async def test_list_projects_walk_is_bounded(sandbox: Sandbox, sandbox_url: str) -> None:
    page = json.dumps([{"id": "1", "slug": "loop"}])
    sandbox.inject(r"/projects/$", status=200, body=page, headers=next_link("0:1:0"), times=None)
    async with sentry(sandbox_url) as backend:
        projects = await backend.list_projects()
    assert len(sandbox.requests) == 10 and len(projects) == 10


@pytest.mark.anyio
async def test_token_never_in_errors(sandbox: Sandbox, sandbox_url: str) -> None:
    sandbox.inject(
        r"/issues/", status=400, body='{"detail": "bad token sandbox-sentry-token here"}', times=None
    )
    async with sentry(sandbox_url) as backend:
        with pytest.raises(UpstreamError) as info:
            await backend.get_issue(ref("SHOP-1A"))
    assert SANDBOX_TOKEN not in str(info.value)
    assert all(r.auth == "valid" for r in sandbox.requests)


@pytest.mark.anyio
async def test_update_many_locates_by_detail_when_search_refused(sandbox: Sandbox, sandbox_url: str) -> None:
    # An instance whose issue search rejects `issue.id` (400): each issue is located by its detail route.
    sandbox.inject(
        r"/organizations/acme/issues/$", status=400, method="GET", body='{"detail": "Invalid query"}'
    )
    async with sentry(sandbox_url) as backend:
        result = await backend.update_issues(
            [ref("6120004400"), ref("6120004881")], IssueChange(bookmarked=True)
        )
    assert [(r.method, r.path) for r in sandbox.requests[:1]] == [("GET", f"{API}/issues/")]
    assert sorted(r.path for r in sandbox.requests[1:3]) == [
        f"{API}/issues/6120004400/",
        f"{API}/issues/6120004881/",
    ]
    assert [(r.method, r.path, r.query, r.json) for r in sandbox.requests[3:]] == [
        ("PUT", "/api/0/projects/acme/shop-web/issues/", [("id", "6120004400")], {"isBookmarked": True}),
        ("PUT", "/api/0/projects/acme/worker/issues/", [("id", "6120004881")], {"isBookmarked": True}),
    ]
    assert [(o.ok, o.bookmarked) for o in result.outcomes] == [(True, True), (True, True)]


# --- found against a Sentry-compatible server with sentry.io payloads ----------------------------------------


@pytest.mark.parametrize(
    ("raw", "title"),
    [
        (
            {"metadata": {"type": "ZeroDivisionError", "value": "division by zero"}},
            "ZeroDivisionError: division by zero",
        ),
        ({"title": "", "metadata": {"type": "ZeroDivisionError"}}, "ZeroDivisionError"),
        ({"title": None, "metadata": {"value": "only a value"}}, "only a value"),
        ({"metadata": {"title": "Endpoint Regression", "type": "x"}}, "Endpoint Regression"),
        ({"title": "T", "metadata": {"title": "M"}}, "T"),
        ({"metadata": None}, None),
        ({"metadata": {"type": None, "value": 5}}, "5"),
    ],
)
def test_issue_title_falls_back_to_metadata(raw: dict[str, Any], title: str | None) -> None:
    # Older/self-hosted serializers may omit `title`; metadata then has `title`, or an error's type and value.
    issue = issue_from_sentry({"id": "9", **raw})
    assert issue is not None and issue.title == title


@pytest.mark.anyio
async def test_tag_values_sort_is_one_sentry_knows(sandbox: Sandbox, sandbox_url: str) -> None:
    # Sentry reads sort=count (most frequent first); "-count" silently meant its default "-id" (newest value
    # first), so a tag with more than one page of values lost its most common ones.
    async with sentry(sandbox_url) as backend:
        tags = await backend.list_tag_values(ref("SHOP-1A"), "customer_tier")
    assert [q for _, _, q in calls(sandbox)] == [[("sort", "count")]]
    assert [v.value for v in tags.values] == ["enterprise", "pro", "free"]


@pytest.mark.anyio
@pytest.mark.parametrize(
    "call",
    [
        lambda b: b.get_issue(ref("6120004400")),
        lambda b: b.get_event(ref("SHOP-1A"), "latest"),
        lambda b: b.list_tag_values(ref("SHOP-1A"), "browser"),
        lambda b: b.search_issues(IssueFilter.build()),
        lambda b: b.list_projects(),
    ],
)
async def test_html_404_blames_the_url_not_the_id(sandbox: Sandbox, sandbox_url: str, call: Any) -> None:
    # A self-hosted instance under /sentry reached without its prefix: the web server answers an HTML 404.
    # That is a wrong SENTRY_URL, not a missing issue/organization.
    sandbox.inject(
        r"/api/0/", status=404, body="<!DOCTYPE html><html><body>Page not found</body></html>",
        content_type="text/html", times=None,
    )  # fmt: skip
    async with sentry(sandbox_url) as backend:
        with pytest.raises(NotTheApi) as info:
            await call(backend)
    message = str(info.value)
    assert "SENTRY_URL" in message and "path prefix" in message and "text/html" in message
    assert "not found in organization" not in message and "<html" not in message.lower()
    assert info.value.status == 404


@pytest.mark.anyio
@pytest.mark.parametrize(
    "call",
    [
        lambda b: b.list_projects(),
        lambda b: b.search_issues(IssueFilter.build()),
        lambda b: b.search_issues(IssueFilter.build(project="shop-web")),
        lambda b: b.list_releases(),
        lambda b: b.read_audit(),
        lambda b: b.create_release(ReleaseSpec(version="x@1", project="shop-web")),
    ],
)
async def test_unknown_organization_names_sentry_org(sandbox: Sandbox, sandbox_url: str, call: Any) -> None:
    # Sentry answers 404 {"detail": "The requested resource does not exist"} for an org the token cannot see;
    # on an organization route that is SENTRY_ORG to fix, not "an id or slug".
    config = Settings(backend="sentry", url=sandbox_url, org="not-acme")
    upstream = Upstream(
        base_url=config.api_base, token=SANDBOX_TOKEN, label="Sentry", token_var="SENTRY_AUTH_TOKEN",
        url_var="SENTRY_URL", attempts=1,
    )  # fmt: skip
    try:
        with pytest.raises(UpstreamError) as info:
            await call(SentryBackend(config, upstream))
    finally:
        await upstream.aclose()
    assert "organization 'not-acme' not found (404)" in str(info.value) and "SENTRY_ORG" in str(info.value)
    assert sandbox.requests and all("/not-acme/" in r.path for r in sandbox.requests)


@pytest.mark.anyio
async def test_search_empty_query_is_shown_quoted(sandbox: Sandbox, sandbox_url: str) -> None:
    # status="all" and no filter: the query sent is empty, shown as "" (an empty code span renders as ``).
    async with sentry(sandbox_url) as backend:
        page = await backend.search_issues(IssueFilter.build(status="all", limit=1))
    assert calls(sandbox)[0][2][0] == ("query", "")
    assert page.query == '""'


@pytest.mark.anyio
async def test_bulk_update_empty_answer_says_what_came_back(sandbox: Sandbox, sandbox_url: str) -> None:
    # A bulk PUT answering 200 with no changed fields is not reported as a 204.
    sandbox.inject(r"/projects/acme/.+/issues/$", status=200, body="[]", method="PUT")
    async with sentry(sandbox_url) as backend:
        result = await backend.update_issues([ref("6120004400"), ref("6120004881")], IssueChange(seen=True))
    failed = [o for o in result.outcomes if not o.ok]
    assert (
        len(failed) == 1 and failed[0].error == "Sentry matched no issue to update (200, no changed fields)"
    )


@pytest.mark.anyio
async def test_moved_resource_redirect_keeps_sentrys_words(sandbox: Sandbox, sandbox_url: str) -> None:
    """Sentry answers 302 `resource-moved` for an issue whose project moved: its message says where."""
    body = json.dumps({"detail": {"code": "resource-moved", "message": "Project moved to acme/shop-v2"}})
    sandbox.inject(r"/issues/6120004400/$", status=302, body=body, headers={"Location": "https://elsewhere/"})
    async with sentry(sandbox_url) as backend:
        with pytest.raises(UpstreamError) as info:
            await backend.get_issue(ref("6120004400"))
    message = str(info.value)
    assert "redirected the request (302)" in message and "Project moved to acme/shop-v2" in message
    assert [r.path for r in sandbox.requests] == [f"{API}/issues/6120004400/"]  # not followed elsewhere
