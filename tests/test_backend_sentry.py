"""The Sentry backend: exact requests and faithful results.

Part 1 (pure): lenient mapping of Sentry JSON, the PUT body, region URL validation.
Part 2 (regions): sentry.io organizations use their `links.regionUrl`, read once; a scripted transport,
since the hosts are sentry.io names (nothing leaves the process).
Part 3 (end to end): the backend against the sandbox over real HTTP on 127.0.0.1, asserting every request the
sandbox received (method, path, query, body) and the results.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from stacklens.backends.sentry import (
    SentryBackend,
    assignee_text,
    event_summary,
    issue_from_sentry,
    region_api_base,
    release_from_sentry,
    update_body,
)
from stacklens.config import Settings
from stacklens.errors import InvalidInput
from stacklens.http import Upstream
from stacklens.models import IssueChange
from stacklens.refs import parse_issue_ref

TOKEN = "tok-sentry-backend-9f3e"


@pytest.fixture
def anyio_backend():
    return "asyncio"


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
