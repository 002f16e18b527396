"""Sentry writes (backends/sentry/writes.py and the backend's update/release calls): the PUT body, bulk
updates grouped per project, releases and deploys, asserting every request the sandbox received.
"""

from __future__ import annotations

from typing import Any

import pytest

from sentry_helpers import (
    API,
    WORKER,
    ref,
    sentry,
)
from stacklens.backends.sentry.writes import update_body
from stacklens.errors import InvalidInput
from stacklens.models import CommitSpec, DeploySpec, IssueChange, ReleaseSpec
from stacklens.sandbox import Sandbox


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


@pytest.mark.anyio
async def test_bulk_update_empty_answer_says_what_came_back(sandbox: Sandbox, sandbox_url: str) -> None:
    # A bulk PUT answering 200 with no changed fields is not reported as a 204.
    sandbox.inject(r"/projects/acme/.+/issues/$", status=200, body="[]", method="PUT")
    async with sentry(sandbox_url) as backend:
        result = await backend.update_issues([ref("6120004400"), ref("6120004881")], IssueChange(seen=True))
    # An empty answer proves nothing either way: sent, not confirmed (never "ok").
    unconfirmed = [o for o in result.outcomes if o.ok and not o.confirmed]
    assert len(unconfirmed) == 1 and "without the changed fields" in (unconfirmed[0].error or "")
    assert [o.confirmed for o in result.outcomes].count(True) == 1
