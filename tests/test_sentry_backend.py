"""The Sentry backend's reads (backends/sentry/backend.py) against the sandbox over real HTTP on 127.0.0.1,
asserting every request the sandbox received (method, path, query) and the results.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest

from sentry_helpers import (
    API,
    CHECKOUT,
    SANDBOX_TOKEN,
    SHOP,
    WORKER,
    calls,
    next_link,
    ref,
    sentry,
)
from stacklens.backends.sentry import SentryBackend
from stacklens.config import Settings
from stacklens.errors import InvalidInput, NotTheApi, UpstreamError
from stacklens.http import Upstream
from stacklens.models import IssueChange, ReleaseSpec
from stacklens.query import IssueFilter
from stacklens.render.records import render_issue
from stacklens.sandbox import Sandbox


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
        events = await backend.list_issue_events(ref("WORKER-1"), limit=4)
        more = await backend.list_issue_events(ref("WORKER-1"), limit=4, cursor=events.next_cursor)
        prod = await backend.list_issue_events(ref("WORKER-1"), limit=10, environment="production")
    assert calls(sandbox) == [
        ("GET", f"{API}/issues/WORKER-1/events/", [("per_page", "4")]),
        ("GET", f"{API}/issues/WORKER-1/events/", [("per_page", "4"), ("cursor", "0:4:0")]),
        ("GET", f"{API}/issues/WORKER-1/events/", [("per_page", "10"), ("environment", "production")]),
    ]
    assert len(sandbox.events[sandbox.issue_by("WORKER-1")["id"]]) == 7  # two pages of 4, the last short
    assert (len(events.events), len(more.events), more.next_cursor) == (4, 3, None)
    assert events.issue == "WORKER-1"
    times = [e.time for e in events.events + more.events]
    assert None not in times and times == sorted(times, reverse=True)  # newest first
    assert all(e.release and e.release.startswith("worker@") for e in events.events)
    assert prod.events and all(e.environment == "production" for e in prod.events)
    assert all(e.message for e in events.events)
    assert not any(e.user_id and "@" in e.user_id for e in events.events)


def tier_counts(sandbox: Sandbox, short_id: str) -> Counter[str]:
    """The issue's `customer_tier` values as its events carry them, most frequent first."""
    events = sandbox.events[sandbox.issue_by(short_id)["id"]]
    return Counter(v for e in events for k, v in sandbox.event_tags(e) if k == "customer_tier")


@pytest.mark.anyio
async def test_list_tag_values(sandbox: Sandbox, sandbox_url: str) -> None:
    async with sentry(sandbox_url) as backend:
        tags = await backend.list_tag_values(ref("SHOP-1A"), "customer_tier", limit=20)
        one = await backend.list_tag_values(ref("SHOP-1A"), "customer_tier", limit=1)
        with pytest.raises(InvalidInput, match=r"has no tag 'no\.such:key'; its tag keys: browser, "):
            await backend.list_tag_values(ref("SHOP-1A"), "no.such:key")
        with pytest.raises(InvalidInput):
            await backend.list_tag_values(ref("SHOP-1A"), "../x")
    assert calls(sandbox) == [
        ("GET", f"{API}/issues/SHOP-1A/tags/customer_tier/values/", [("sort", "count")]),
        ("GET", f"{API}/issues/SHOP-1A/tags/customer_tier/values/", [("sort", "count")]),
        ("GET", f"{API}/issues/SHOP-1A/tags/no.such:key/values/", [("sort", "count")]),
        ("GET", f"{API}/issues/SHOP-1A/tags/", []),  # the 404 explained: the issue's tag keys
    ]
    assert sandbox.requests[2].raw_path.endswith("/tags/no.such%3Akey/values/")
    counts = [v.count or 0 for v in tags.values]
    expected = tier_counts(sandbox, "SHOP-1A")
    assert counts == sorted(counts, reverse=True) and tags.total == sum(counts) == 1284
    assert {v.value: v.count for v in tags.values} == expected and len(expected) == 3
    assert all(v.first_seen and v.last_seen for v in tags.values)
    assert [v.count for v in one.values] == [max(expected.values())] and one.total == 1284
    assert one.notes  # says that less frequent values were left out


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
    # A Link that loops on one cursor: one more request shows it, and the project is listed once.
    page = json.dumps([{"id": "1", "slug": "loop"}])
    sandbox.inject(r"/projects/$", status=200, body=page, headers=next_link("0:1:0"), times=None)
    async with sentry(sandbox_url) as backend:
        projects = await backend.list_projects()
    assert len(sandbox.requests) == 2 and [p.slug for p in projects] == ["loop"]
    # A Link that never ends with ever-new cursors: the walk stops at its bound, nothing repeated.
    sandbox.clear_faults()
    sandbox.requests.clear()
    for n in range(12):
        body = json.dumps([{"id": str(n), "slug": f"p{n}"}])
        sandbox.inject(r"/projects/$", status=200, body=body, headers=next_link(f"0:{n + 1}:0"), times=1)
    async with sentry(sandbox_url) as backend:
        projects = await backend.list_projects()
    assert len(sandbox.requests) == 10 and len({p.id for p in projects}) == len(projects) == 10


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
async def test_tag_values_sort_is_one_sentry_knows(sandbox: Sandbox, sandbox_url: str) -> None:
    # Sentry reads sort=count (most frequent first); "-count" silently meant its default "-id" (newest value
    # first), so a tag with more than one page of values lost its most common ones.
    async with sentry(sandbox_url) as backend:
        tags = await backend.list_tag_values(ref("SHOP-1A"), "customer_tier")
    assert [q for _, _, q in calls(sandbox)] == [[("sort", "count")]]
    expected = tier_counts(sandbox, "SHOP-1A")
    assert [v.count for v in tags.values] == sorted(expected.values(), reverse=True) and len(expected) == 3


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
