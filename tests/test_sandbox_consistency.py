"""The sandbox's data agrees with itself (issue 14): what one answer says, another never contradicts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from stacklens.sandbox import Sandbox
from stacklens.sandbox.shapes import parse_time


def test_first_release_holds_the_oldest_event_and_first_seen() -> None:
    sb = Sandbox()
    for issue in sb.issues.values():
        events = sb.events[issue["id"]]  # newest first
        assert events[0]["when"] == issue["lastSeen"], issue["shortId"]
        assert all(e["when"] >= issue["firstSeen"] for e in events), issue["shortId"]
        assert events[0]["sdk"]["release"] == issue["lastRelease"], issue["shortId"]
        if len(events) >= 2:
            assert events[-1]["when"] == issue["firstSeen"], issue["shortId"]
            assert events[-1]["sdk"]["release"] == issue["firstRelease"], issue["shortId"]


def test_events_happen_where_and_after_their_release_was_deployed() -> None:
    sb = Sandbox()
    deployed = {
        (r["version"], d["environment"]): d["dateFinished"] for r in sb.releases for d in r["deploys"]
    }
    for issue in sb.issues.values():
        first = next(r for r in sb.releases if r["version"] == issue["firstRelease"])
        assert min(d["dateFinished"] for d in first["deploys"]) <= issue["firstSeen"], issue["shortId"]
        for e in sb.events[issue["id"]]:
            at = deployed.get((e["sdk"]["release"], e["sdk"]["environment"]))
            assert at is not None and at <= e["when"], (issue["shortId"], e["id"])


# --- through the HTTP APIs: what a client reads agrees with the issue's own numbers ----------------------

SENTRY = {"Authorization": "Bearer sandbox-sentry-token"}
JENTRY = {"Authorization": "Bearer jto_sandbox_all"}
ORG = "/api/0/organizations/acme"


@pytest.fixture(scope="module")
def _client(sandbox_server: tuple[object, str]) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sandbox_server[1], headers=SENTRY, timeout=30) as client:
        yield client


@pytest.fixture
def http(_client: httpx.Client, sandbox: Sandbox) -> httpx.Client:
    return _client


def _pages(http: httpx.Client, path: str, **params: str | int) -> list[dict[str, Any]]:
    """Every row of a cursor-paged Sentry list, following `Link: rel="next"` while it has results."""
    rows: list[dict[str, Any]] = []
    url: str | None = path
    query: dict[str, str | int] | None = {"per_page": 100, **params}
    while url:
        r = http.get(url, params=query)
        assert r.status_code == 200, r.text
        rows.extend(r.json())
        nxt = r.links.get("next") or {}
        url, query = (nxt["url"], None) if nxt.get("results") == "true" else (None, None)
    return rows


def _tags(event: dict[str, Any]) -> dict[str, str]:
    return {t["key"]: t["value"] for t in event["tags"]}


def _all_issues(http: httpx.Client) -> list[dict[str, Any]]:
    r = http.get(f"{ORG}/issues/", params={"query": "", "limit": 100})
    assert r.status_code == 200, r.text
    return list(r.json())


def _deploys(http: httpx.Client) -> dict[tuple[str, str], datetime]:
    """(release, environment) -> when it was first deployed there."""
    deployed: dict[tuple[str, str], datetime] = {}
    for release in _pages(http, f"{ORG}/releases/"):
        version = release["version"]
        for d in _pages(http, f"{ORG}/releases/{quote(version, safe='')}/deploys/"):
            at = parse_time(d["dateFinished"])
            deployed[(version, d["environment"])] = min(at, deployed.get((version, d["environment"]), at))
    return deployed


def test_every_issue_lists_as_many_events_as_it_counts(http: httpx.Client) -> None:
    """All events, cursor after cursor: as many as `count`, newest at lastSeen, oldest at firstSeen in the
    first release, `userCount` users, each event in an environment its release was deployed to by then."""
    issues = _all_issues(http)
    deployed = _deploys(http)
    assert len(issues) >= 19 and deployed
    for issue in issues:
        events = _pages(http, f"{ORG}/issues/{issue['id']}/events/")
        assert len(events) == int(issue["count"]), issue["shortId"]
        assert len({e["eventID"] for e in events}) == len(events), issue["shortId"]
        times = [parse_time(e["dateCreated"]) for e in events]
        assert times == sorted(times, reverse=True), issue["shortId"]  # newest first
        assert times[0] == parse_time(issue["lastSeen"]), issue["shortId"]
        assert times[-1] == parse_time(issue["firstSeen"]), issue["shortId"]
        assert _tags(events[-1])["release"] == issue["firstRelease"]["version"], issue["shortId"]
        assert _tags(events[0])["release"] == issue["lastRelease"]["version"], issue["shortId"]
        users = {_tags(e).get("user") for e in events} - {None}
        assert len(users) == issue["userCount"], issue["shortId"]
        for e in events:
            tags = _tags(e)
            at = deployed.get((tags["release"], tags["environment"]))
            assert at is not None and at <= parse_time(e["dateCreated"]), (issue["shortId"], tags)


def test_oldest_and_latest_are_the_ends_of_the_list(http: httpx.Client) -> None:
    for issue in _all_issues(http):
        base = f"{ORG}/issues/{issue['id']}/events"
        oldest, latest = http.get(f"{base}/oldest/").json(), http.get(f"{base}/latest/").json()
        assert parse_time(oldest["dateCreated"]) == parse_time(issue["firstSeen"]), issue["shortId"]
        assert oldest["release"]["version"] == issue["firstRelease"]["version"], issue["shortId"]
        assert parse_time(latest["dateCreated"]) == parse_time(issue["lastSeen"]), issue["shortId"]
        again = http.get(f"{base}/{oldest['eventID']}/").json()
        assert again["eventID"] == oldest["eventID"] and again["dateCreated"] == oldest["dateCreated"]
        for crumb in (e for e in oldest["entries"] if e["type"] == "breadcrumbs"):
            for c in crumb["data"]["values"]:  # breadcrumbs precede their event, within minutes
                gap = parse_time(oldest["dateCreated"]) - parse_time(c["timestamp"])
                assert timedelta(0) <= gap < timedelta(minutes=10), issue["shortId"]


def test_tag_value_counts_sum_to_the_issue_count(http: httpx.Client) -> None:
    for issue in _all_issues(http):
        base = f"{ORG}/issues/{issue['id']}/tags"
        for key in ("release", "environment", "level"):
            values = _pages(http, f"{base}/{key}/values/")
            assert sum(v["count"] for v in values) == int(issue["count"]), (issue["shortId"], key)
            seen = [parse_time(v["firstSeen"]) for v in values]
            assert min(seen) == parse_time(issue["firstSeen"]), (issue["shortId"], key)
        first = next(
            v
            for v in _pages(http, f"{base}/release/values/")
            if v["value"] == issue["firstRelease"]["version"]
        )
        assert parse_time(first["firstSeen"]) == parse_time(issue["firstSeen"]), issue["shortId"]
        if issue["userCount"]:
            users = _pages(http, f"{base}/user/values/")
            assert len(users) == issue["userCount"], issue["shortId"]
        else:
            assert http.get(f"{base}/user/values/").status_code == 404, issue["shortId"]


def test_jentry_agrees_with_sentry(http: httpx.Client, sandbox: Sandbox) -> None:
    for issue in _all_issues(http):
        jid = sandbox.issues[issue["id"]]["jentryId"]
        r = http.get(f"/api/v1/issues/{jid}", headers=JENTRY)
        assert r.status_code == 200, r.text
        mine = r.json()["data"]
        assert (mine["count"], mine["userCount"]) == (int(issue["count"]), issue["userCount"])
        recent = http.get(f"/api/v1/issues/{jid}/events", params={"limit": 100}, headers=JENTRY).json()[
            "data"
        ]
        listed = http.get(f"{ORG}/issues/{issue['id']}/events/", params={"per_page": 100}).json()
        assert len(recent) == min(100, int(issue["count"])), issue["shortId"]
        assert [e["id"] for e in recent] == [e["eventID"] for e in listed], issue["shortId"]
        assert [parse_time(e["timestamp"]) for e in recent] == [
            parse_time(e["dateCreated"]).replace(
                microsecond=parse_time(e["dateCreated"]).microsecond // 1000 * 1000
            )
            for e in listed
        ], issue["shortId"]


def test_a_deleted_issues_events_leave_its_releases(http: httpx.Client, sandbox: Sandbox) -> None:
    """Release answers read an index of events by release: deleting an issue must not leave them counted."""
    issue = sandbox.issue_by("CHECKOUT-3")
    version = "checkout-api@1.9.0-rc.1"
    mine = [e for e in sandbox.events[issue["id"]] if e["sdk"].get("release") == version]
    project = sandbox.projects[issue["project"]]["jentryId"]

    def jentry_events() -> int:
        r = http.get(f"/api/v1/projects/{project}/releases", headers=JENTRY)
        assert r.status_code == 200, r.text
        return int(next(row["events"] for row in r.json()["data"] if row["release"] == version))

    before = jentry_events()
    assert mine and before == len(sandbox.release_events(version)) >= len(mine)
    assert http.delete(f"{ORG}/issues/{issue['id']}/").status_code == 202
    assert jentry_events() == before - len(mine)
    release = http.get(f"{ORG}/releases/{quote(version, safe='')}/").json()
    if before == len(mine):  # that issue held all of the release's events
        assert release["firstEvent"] is None and release["lastEvent"] is None
