"""The sandbox itself, over real HTTP on 127.0.0.1: both APIs as documented, the request log and faults.

Also the capture helper (real sentry-sdk, nothing sent) and the SDK → REST shape conversion.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import anyio
import httpx
import pytest

from stacklens.sandbox import Sandbox, create_app
from stacklens.sandbox.capture import capture_events, capture_exception_event
from stacklens.sandbox.shapes import parse_time, to_jentry_event, to_sentry_event

SENTRY = {"Authorization": "Bearer sandbox-sentry-token"}
SENTRY_RO = {"Authorization": "Bearer sandbox-sentry-readonly"}
JENTRY = {"Authorization": "Bearer jto_sandbox_all"}
JENTRY_RO = {"Authorization": "Bearer jto_sandbox_readonly"}
ORG = "/api/0/organizations/acme"


@pytest.fixture(scope="module")
def _client(sandbox_server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sandbox_server[1], timeout=10) as client:  # one TLS-context setup, not 50
        yield client


@pytest.fixture
def http(_client: httpx.Client, sandbox: Sandbox) -> httpx.Client:
    """A client for the running sandbox, which serves this test's fresh `sandbox`."""
    return _client


def sentry_search(http: httpx.Client, query: str | None, **params: str | int | list[str]) -> httpx.Response:
    if query is not None:
        params["query"] = query
    params.setdefault("limit", 100)
    return http.get(f"{ORG}/issues/", params=params, headers=SENTRY)


def short_ids(response: httpx.Response) -> set[str]:
    assert response.status_code == 200, response.text
    return {i["shortId"] for i in response.json()}


def next_cursor(link: str) -> str | None:
    for part in link.split(", <"):
        if 'rel="next"' in part and 'results="true"' in part:
            return re.search(r'cursor="([^"]+)"', part).group(1)
    return None


# --- capture and shapes -----------------------------------------------------------------------------------


def _fails() -> None:
    api_token = "tok_live_123"
    try:
        {}["missing"]
    except KeyError as exc:
        raise RuntimeError(f"lookup failed ({len(api_token)})") from exc


def test_capture_events_uses_the_real_sdk_and_keeps_calls_apart():
    import sentry_sdk

    def first() -> None:
        sentry_sdk.set_tag("browser", "Chrome 131")
        _fails()

    events = capture_events(first, release="shop@1.0", environment="staging")
    again = capture_events(_fails)
    assert len(events) == len(again) == 1
    event = events[0]
    assert [v["type"] for v in event["exception"]["values"]] == ["KeyError", "RuntimeError"]
    assert event["exception"]["values"][-1]["mechanism"] == {"type": "excepthook", "handled": False}
    assert event["release"] == "shop@1.0" and event["environment"] == "staging"
    assert event["sdk"]["name"].startswith("sentry.python")
    assert "browser" not in (again[0].get("tags") or {})  # scope data does not leak into the next capture
    assert not sentry_sdk.get_client().is_active()


def test_capture_exception_event_applies_scope_data():
    event = capture_exception_event(
        _fails, tags={"region": "eu"}, user={"id": "42"}, request={"method": "GET", "url": "https://x.test/a"}
    )
    assert event["tags"] == {"region": "eu"} and event["user"] == {"id": "42"}
    assert event["request"]["url"] == "https://x.test/a"
    assert event["exception"]["values"][-1]["mechanism"]["handled"] is True


def test_sentry_shape_of_an_sdk_event():
    sdk = capture_exception_event(
        _fails,
        tags={"browser": "Firefox 133"},
        user={"id": "7", "email": "a@example.com"},
        request={
            "method": "POST",
            "url": "https://shop.test/pay",
            "query_string": "token=abc&x=1",
            "headers": {"Content-Type": "application/json; charset=utf-8"},
            "cookies": "a=1; b=2",
        },
        release="shop@2.0",
        environment="production",
    )
    event = to_sentry_event(sdk, project_id="11", group_id="22")
    assert event["id"] == event["eventID"] == sdk["event_id"]
    assert (event["groupID"], event["projectID"], event["type"]) == ("22", "11", "error")
    assert event["title"] == "RuntimeError: lookup failed (12)"
    assert event["culprit"].endswith("in _fails") and event["metadata"]["type"] == "RuntimeError"
    entries = {e["type"]: e["data"] for e in event["entries"]}
    assert set(entries) == {"exception", "request"}
    frame = entries["exception"]["values"][-1]["stacktrace"]["frames"][-1]
    assert {"absPath", "lineNo", "colNo", "inApp", "function", "module", "filename", "vars"} <= frame.keys()
    numbers = [n for n, _ in frame["context"]]
    assert frame["lineNo"] in numbers and numbers == list(range(numbers[0], numbers[0] + len(numbers)))
    assert dict(map(tuple, frame["context"]))[frame["lineNo"]].strip().startswith("raise RuntimeError")
    assert entries["request"]["query"] == [["token", "abc"], ["x", "1"]]
    assert entries["request"]["cookies"] == [["a", "1"], ["b", "2"]]
    assert entries["request"]["inferredContentType"] == "application/json"
    tags = {t["key"]: t["value"] for t in event["tags"]}
    assert tags["browser"] == "Firefox 133" and tags["environment"] == "production"
    assert tags["handled"] == "yes" and tags["level"] == "error" and tags["user"] == "id:7"
    assert event["release"]["version"] == "shop@2.0"


def test_jentry_shape_of_an_sdk_event():
    sdk = capture_exception_event(_fails, tags={"queue": "mail"}, release="w@1", environment="production")
    event = to_jentry_event(sdk, issue_id=42, project_id=1)
    assert event["id"] == sdk["event_id"] and (event["issueId"], event["projectId"]) == (42, 1)
    assert event["message"] == "RuntimeError: lookup failed (12)" and event["tags"] == {"queue": "mail"}
    assert event["exception"] == sdk["exception"] and event["release"] == "w@1"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", event["timestamp"])
    assert event["traceId"] == sdk["contexts"]["trace"]["trace_id"]


def test_dataset_times_are_relative_to_load():
    sandbox = Sandbox()
    now = datetime.now(UTC)
    last_seen = [i["lastSeen"] for i in sandbox.issues.values()]
    assert sum(now - t < timedelta(hours=24) for t in last_seen) >= 5
    assert all(t <= now for t in last_seen)
    for issue_id, events in sandbox.events.items():
        assert events, issue_id
        assert events[0]["when"] == sandbox.issues[issue_id]["lastSeen"]
        assert all(parse_time(sandbox.payload(e)["timestamp"]) == e["when"] for e in events)
    levels = {i["level"] for i in sandbox.issues.values()}
    assert {"fatal", "error", "warning", "info"} <= levels
    assert {i["status"] for i in sandbox.issues.values()} == {"unresolved", "resolved", "ignored"}


# --- Sentry: auth and organization ------------------------------------------------------------------------


def test_sentry_auth_and_org(http: httpx.Client, sandbox: Sandbox):
    assert http.get(f"{ORG}/issues/").json() == {"detail": "Authentication credentials were not provided."}
    bad = http.get(f"{ORG}/issues/", headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401 and bad.json() == {"detail": "Invalid token"}
    put = http.put(f"{ORG}/issues/SHOP-1A/", json={"status": "resolved"}, headers=SENTRY_RO)
    assert put.status_code == 403 and "permission" in put.json()["detail"]
    assert sandbox.issue_by("SHOP-1A")["status"] == "unresolved"
    other = http.get("/api/0/organizations/globex/issues/", headers=SENTRY)
    assert other.status_code == 404 and other.json() == {"detail": "The requested resource does not exist"}
    org = http.get(f"{ORG}/", headers=SENTRY).json()
    assert org["slug"] == "acme" and org["links"]["regionUrl"] == str(http.base_url).rstrip("/")
    projects = http.get(f"{ORG}/projects/", headers=SENTRY).json()
    assert {p["slug"] for p in projects} == {"shop-web", "checkout-api", "worker"}
    assert all(p["id"].isdigit() for p in projects)


# --- Sentry: issue search -----------------------------------------------------------------------------------


def test_absent_query_is_sentrys_default(http: httpx.Client, sandbox: Sandbox):
    default = short_ids(sentry_search(http, None))
    expected = {
        i["shortId"]
        for i in sandbox.issues.values()
        if i["status"] == "unresolved" and i["priority"] in ("high", "medium")
    }
    assert default == expected
    assert "SHOP-1E" not in default  # a low-priority issue: hidden unless a query is sent
    assert "SHOP-1E" in short_ids(sentry_search(http, "is:unresolved"))
    assert len(short_ids(sentry_search(http, ""))) == len(sandbox.issues)


@pytest.mark.parametrize(
    ("query", "expect"),
    [
        ("is:unresolved level:fatal", {"WORKER-1"}),
        ("level:[warning, info]", {"SHOP-1E", "SHOP-1F", "CHECKOUT-7", "WORKER-6"}),
        ("is:ignored", {"SHOP-1F", "CHECKOUT-7", "WORKER-3"}),
        ("is:resolved", {"SHOP-1D", "CHECKOUT-5", "WORKER-4"}),
        ("assigned:me", {"SHOP-1A", "WORKER-5"}),
        ("assigned:#payments", {"CHECKOUT-3"}),
        ("assigned:bob.smith@acme.test", {"CHECKOUT-4"}),
        ("is:unresolved is:unassigned issue.priority:high", {"SHOP-1C", "CHECKOUT-6"}),
        ("firstSeen:-24h", {"SHOP-1C", "CHECKOUT-8"}),
        ("lastSeen:+5d", {"SHOP-1D", "WORKER-4"}),
        ("timesSeen:>=2000", {"CHECKOUT-3", "SHOP-1E", "SHOP-1F"}),
        ('release:"checkout-api@1.9.0-rc.1"', {"CHECKOUT-3"}),
        ("firstRelease:worker@0.9.0+build.5", {"WORKER-3", "WORKER-4", "WORKER-5", "WORKER-6"}),
        ("recursion", {"WORKER-1"}),
        ('"could not reserve"', {"CHECKOUT-4"}),
        ("is:regressed", {"CHECKOUT-6", "WORKER-5"}),
        ("shipping*", {"SHOP-1A"}),
        ("error.type:ConnectError", {"CHECKOUT-3"}),
        ("issue:shop-1c", {"SHOP-1C"}),
    ],
)
def test_search_syntax(http: httpx.Client, query: str, expect: set[str]):
    assert short_ids(sentry_search(http, query)) == expect


def test_tag_search_matches_events(http: httpx.Client, sandbox: Sandbox):
    def with_tag(key: str, value: str) -> set[str]:
        return {
            i["shortId"]
            for i in sandbox.issues.values()
            if any(e["sdk"].get("tags", {}).get(key) == value for e in sandbox.events[i["id"]])
        }

    assert short_ids(sentry_search(http, "customer_tier:enterprise")) == with_tag(
        "customer_tier", "enterprise"
    )
    either = with_tag("queue", "mail") | with_tag("queue", "exports")
    assert short_ids(sentry_search(http, "queue:[mail, exports]")) == either
    assert short_ids(sentry_search(http, "tags[queue]:mail")) == with_tag("queue", "mail")
    staging = {
        i["shortId"]
        for i in sandbox.issues.values()
        if any(e["sdk"]["environment"] == "staging" for e in sandbox.events[i["id"]])
    }
    assert short_ids(sentry_search(http, "!environment:production")) == staging  # some event elsewhere
    assert short_ids(sentry_search(http, "", environment="staging")) == staging
    browsers = short_ids(sentry_search(http, "browser.name:Chrome*"))
    assert browsers and browsers <= {"SHOP-1A", "SHOP-1B", "SHOP-1C", "SHOP-1D", "SHOP-1E", "SHOP-1F"}


def test_quoted_values_and_escapes(http: httpx.Client, sandbox: Sandbox):
    issue = sandbox.issue_by("CHECKOUT-7")
    title = issue["title"]  # contains a quote-worthy 'XYZ' and a semicolon
    assert short_ids(sentry_search(http, "\"unsupported currency 'XYZ'\"")) == {"CHECKOUT-7"}
    issue["title"] = 'He said "no"'
    assert short_ids(sentry_search(http, r'"said \"no\""')) == {"CHECKOUT-7"}
    issue["title"] = title


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("level:error OR level:fatal", 'Boolean statements containing "OR" or "AND"'),
        ("is:unresolved and level:error", 'Boolean statements containing "OR" or "AND"'),
        ("(level:error OR level:fatal)", 'Boolean statements containing "OR" or "AND"'),
        ('message:"unterminated', "Parse error"),
        ("level:[error, fatal", "Parse error"),
        ("is:sleeping", 'Invalid value for "is" search'),
        ("firstSeen:yesterday", "Invalid date"),
        ("timesSeen:>lots", "Invalid number"),
    ],
)
def test_search_errors_are_400(http: httpx.Client, query: str, message: str):
    response = sentry_search(http, query)
    assert response.status_code == 400 and message in response.json()["detail"]


def test_project_and_environment_params(http: httpx.Client, sandbox: Sandbox):
    worker = sandbox.project_by("worker")
    found = short_ids(sentry_search(http, "", project=worker["id"]))
    assert found and all(s.startswith("WORKER-") for s in found)
    both = short_ids(sentry_search(http, "", project=[worker["id"], sandbox.project_by("shop-web")["id"]]))
    assert {s.split("-")[0] for s in both} == {"WORKER", "SHOP"}
    slug = sentry_search(http, "", project="worker")
    assert slug.status_code == 400 and "must be numbers" in slug.json()["detail"]
    assert sentry_search(http, "", project="999").status_code == 403
    assert sentry_search(http, "", environment="nowhere").status_code == 404


def test_sorts(http: httpx.Client):
    by_freq = sentry_search(http, "", sort="freq").json()
    counts = [int(i["count"]) for i in by_freq]
    assert counts == sorted(counts, reverse=True) and isinstance(by_freq[0]["count"], str)
    by_new = [i["firstSeen"] for i in sentry_search(http, "", sort="new").json()]
    assert by_new == sorted(by_new, reverse=True)
    by_date = [i["lastSeen"] for i in sentry_search(http, "").json()]
    assert by_date == sorted(by_date, reverse=True)
    assert sentry_search(http, "", sort="loudest").status_code == 400


def test_link_cursor_paging_has_no_repeats(http: httpx.Client, sandbox: Sandbox):
    seen: list[str] = []
    cursor = None
    for _ in range(20):  # bounded: 18 issues / 4 per page
        params = {"query": "", "limit": 4, **({"cursor": cursor} if cursor else {})}
        response = http.get(f"{ORG}/issues/", params=params, headers=SENTRY)
        assert response.status_code == 200
        link = response.headers["link"]
        assert 'rel="previous"' in link and 'rel="next"' in link and "cursor=0:" in link
        seen += [i["id"] for i in response.json()]
        cursor = next_cursor(link)
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == len(sandbox.issues)
    assert http.get(f"{ORG}/issues/", params={"cursor": "garbage"}, headers=SENTRY).status_code == 400


# --- Sentry: one issue, updates -----------------------------------------------------------------------------


def test_issue_detail_and_short_ids(http: httpx.Client, sandbox: Sandbox):
    issue = sandbox.issue_by("SHOP-1A")
    by_id = http.get(f"{ORG}/issues/{issue['id']}/", headers=SENTRY).json()
    by_short = http.get(f"{ORG}/issues/shop-1a/", headers=SENTRY).json()
    assert by_id == by_short
    assert by_id["shortId"] == "SHOP-1A" and by_id["count"] == str(issue["count"])
    assert by_id["assignedTo"] == {
        "type": "user",
        "id": "2051",
        "name": "Jane Doe",
        "email": "jane.doe@acme.test",
    }
    assert by_id["project"]["slug"] == "shop-web" and by_id["firstRelease"]["version"] == "shop-web@2.3.0"
    assert by_id["permalink"].endswith(f"/organizations/acme/issues/{issue['id']}/")
    lookup = http.get(f"{ORG}/shortids/Shop-1A/", headers=SENTRY).json()
    assert lookup["groupId"] == issue["id"] and lookup["projectSlug"] == "shop-web"
    assert http.get(f"{ORG}/issues/NOPE-1/", headers=SENTRY).status_code == 404
    assert http.get(f"{ORG}/shortids/NOPE-1/", headers=SENTRY).status_code == 404


def test_put_issue(http: httpx.Client, sandbox: Sandbox):
    url = f"{ORG}/issues/CHECKOUT-6/"
    done = http.put(url, json={"status": "resolvedInNextRelease"}, headers=SENTRY).json()
    assert done["status"] == "resolved" and done["statusDetails"] == {"inNextRelease": True}
    snooze = http.put(
        url, json={"status": "ignored", "statusDetails": {"ignoreDuration": 60}}, headers=SENTRY
    )
    body = snooze.json()
    assert body["status"] == "ignored" and body["substatus"] == "archived_until_condition_met"
    assert body["statusDetails"]["ignoreDuration"] == 60
    count = http.put(
        url, json={"status": "ignored", "statusDetails": {"ignoreCount": 5}}, headers=SENTRY
    ).json()
    assert count["statusDetails"] == {"ignoreCount": 5, "ignoreWindow": None}
    team = http.put(url, json={"assignedTo": "team:302", "isBookmarked": True}, headers=SENTRY).json()
    assert team["assignedTo"] == {"type": "team", "id": "302", "name": "payments", "email": None}
    assert team["isBookmarked"] is True
    assert http.put(url, json={"assignedTo": "li.wei"}, headers=SENTRY).json()["assignedTo"]["id"] == "2140"
    assert http.put(url, json={"assignedTo": ""}, headers=SENTRY).json()["assignedTo"] is None
    reopened = http.put(url, json={"status": "unresolved", "hasSeen": True}, headers=SENTRY).json()
    assert (reopened["status"], reopened["substatus"], reopened["hasSeen"]) == ("unresolved", "ongoing", True)
    for bad, field in [
        ({"assignedTo": "nobody@x.test"}, "assignedTo"),
        ({"status": "fixed"}, "status"),
        ({"hasSeen": "yes"}, "hasSeen"),
        ({"status": "ignored", "statusDetails": {"ignoreCount": 5, "ignoreWindow": 99999}}, "statusDetails"),
    ]:
        response = http.put(url, json=bad, headers=SENTRY)
        assert response.status_code == 400 and field in response.json(), bad
    audit = http.get(f"{ORG}/audit-logs/", headers=SENTRY).json()["rows"]
    events = [r["event"] for r in audit[:6]]
    assert {"issue.resolve", "issue.ignore", "issue.assign", "issue.unassign", "issue.unresolve"} <= set(
        events
    )
    assert audit[0]["actor"]["id"] == sandbox.me


def test_bulk_put_returns_changed_fields(http: httpx.Client, sandbox: Sandbox):
    a, b, other = sandbox.issue_by("WORKER-2"), sandbox.issue_by("WORKER-6"), sandbox.issue_by("SHOP-1A")
    response = http.put(
        "/api/0/projects/acme/worker/issues/",
        params=[("id", a["id"]), ("id", b["id"]), ("id", other["id"])],
        json={"status": "resolved"},
        headers=SENTRY,
    )
    assert response.status_code == 200
    assert response.json() == {"status": "resolved", "statusDetails": {}, "substatus": None}
    assert a["status"] == b["status"] == "resolved"
    assert other["status"] == "unresolved"  # not in that project: untouched


# --- Sentry: events and tags --------------------------------------------------------------------------------


def test_events_list_detail_and_paging(http: httpx.Client, sandbox: Sandbox):
    issue = sandbox.issue_by("SHOP-1A")
    events = sandbox.events[issue["id"]]
    url = f"{ORG}/issues/SHOP-1A/events/"
    summaries = http.get(url, headers=SENTRY).json()
    assert [e["eventID"] for e in summaries] == [e["id"] for e in events[:100]]  # one page (Sentry: 100)
    assert "entries" not in summaries[0] and summaries[0]["groupID"] == issue["id"]
    full = http.get(url, params={"full": "true", "per_page": 2}, headers=SENTRY)
    assert len(full.json()) == 2 and full.json()[0]["entries"]
    assert next_cursor(full.headers["link"]) == "0:2:0"
    latest = http.get(f"{url}latest/", headers=SENTRY).json()
    oldest = http.get(f"{url}oldest/", headers=SENTRY).json()
    assert latest["id"] == events[0]["id"] and oldest["id"] == events[-1]["id"]
    assert latest["nextEventID"] is None and latest["previousEventID"] == events[1]["id"]
    assert http.get(f"{url}recommended/", headers=SENTRY).json()["entries"]
    one = http.get(f"{url}{events[2]['id']}/", headers=SENTRY).json()
    assert one["id"] == events[2]["id"] and one["dateCreated"].endswith("Z")
    assert http.get(f"{url}{'0' * 32}/", headers=SENTRY).status_code == 404
    staging = [e["id"] for e in events if e["sdk"]["environment"] == "staging"]
    scoped = http.get(url, params={"environment": "production"}, headers=SENTRY).json()
    assert {e["eventID"] for e in scoped}.isdisjoint(staging) and scoped
    entries = {e["type"] for e in latest["entries"]}
    assert {"exception", "breadcrumbs", "request"} <= entries


def test_tag_values_aggregate_the_issues_events(http: httpx.Client, sandbox: Sandbox):
    issue = sandbox.issue_by("CHECKOUT-3")
    # As on Sentry, most frequent first only with sort=count (its default is -id).
    url = f"{ORG}/issues/{issue['id']}/tags/environment/values/"
    rows = http.get(url, params={"sort": "count"}, headers=SENTRY).json()
    assert sum(r["count"] for r in rows) == len(sandbox.events[issue["id"]])
    assert all(r["key"] == "environment" and r["firstSeen"] <= r["lastSeen"] for r in rows)
    assert [r["count"] for r in rows] == sorted((r["count"] for r in rows), reverse=True)
    summary = http.get(f"{ORG}/issues/{issue['id']}/tags/", headers=SENTRY).json()
    keys = {t["key"] for t in summary}
    assert {"environment", "release", "payment_provider", "level", "handled"} <= keys
    missing = http.get(f"{ORG}/issues/{issue['id']}/tags/browser/values/", headers=SENTRY)
    assert missing.status_code == 404


# --- Sentry: releases, deploys, audit -----------------------------------------------------------------------


def test_releases_list_and_health(http: httpx.Client, sandbox: Sandbox):
    releases = http.get(f"{ORG}/releases/", headers=SENTRY).json()
    dates = [r["dateReleased"] or r["dateCreated"] for r in releases]
    assert dates == sorted(dates, reverse=True) and len(releases) == len(sandbox.releases)
    assert "healthData" not in releases[0]["projects"][0]
    worker = sandbox.project_by("worker")["id"]
    mine = http.get(f"{ORG}/releases/", params={"project": worker, "health": 1}, headers=SENTRY).json()
    assert {r["version"] for r in mine} == {"worker@0.9.0+build.5", "worker@0.9.1+build.7"}
    assert 0 < mine[0]["projects"][0]["healthData"]["crashFreeSessions"] <= 100
    assert mine[-1]["newGroups"] == 4  # WORKER-3..6 first appeared in 0.9.0
    found = http.get(f"{ORG}/releases/", params={"query": "rc"}, headers=SENTRY).json()
    assert [r["version"] for r in found] == ["checkout-api@1.9.0-rc.1"]
    page = http.get(f"{ORG}/releases/", params={"per_page": 3}, headers=SENTRY)
    assert len(page.json()) == 3 and next_cursor(page.headers["link"]) == "0:3:0"


def test_create_release_and_deploy(http: httpx.Client, sandbox: Sandbox):
    body = {
        "version": "worker@1.0.0+build.9",
        "projects": ["worker"],
        "ref": "abc123",
        "commits": [{"id": "abc123", "message": "Fix recursion", "author_email": "li.wei@acme.test"}],
    }
    created = http.post(f"{ORG}/releases/", json=body, headers=SENTRY)
    assert created.status_code == 201 and created.json()["commitCount"] == 1
    again = http.post(f"{ORG}/releases/", json={**body, "projects": ["shop-web"]}, headers=SENTRY)
    assert again.status_code == 208
    assert {p["slug"] for p in again.json()["projects"]} == {"worker", "shop-web"}
    for bad, field in [
        ({"projects": ["worker"]}, "version"),
        ({"version": "a/b", "projects": ["worker"]}, "version"),
        ({"version": "latest", "projects": ["worker"]}, "version"),
        ({"version": "x@1"}, "projects"),
        ({"version": "x@1", "projects": ["nope"]}, "projects"),
    ]:
        response = http.post(f"{ORG}/releases/", json=bad, headers=SENTRY)
        assert response.status_code == 400 and field in response.json(), bad
    deploy_url = f"{ORG}/releases/{quote('worker@1.0.0+build.9', safe='')}/deploys/"
    deploy = http.post(deploy_url, json={"environment": "production", "name": "deploy #9"}, headers=SENTRY)
    assert deploy.status_code == 201
    assert deploy.json()["environment"] == "production" and deploy.json()["dateFinished"]
    assert sandbox.find_requests("/deploys/$")[-1].path.endswith("/worker@1.0.0+build.9/deploys/")
    assert sandbox.release_by("worker@1.0.0+build.9")["deploys"][0]["name"] == "deploy #9"
    missing_env = http.post(deploy_url, json={"name": "x"}, headers=SENTRY)
    assert missing_env.status_code == 400 and "environment" in missing_env.json()
    unknown = http.post(f"{ORG}/releases/nope%401/deploys/", json={"environment": "prod"}, headers=SENTRY)
    assert unknown.status_code == 404
    listed = http.get(deploy_url, headers=SENTRY).json()
    assert [d["name"] for d in listed] == ["deploy #9"]


def test_audit_logs(http: httpx.Client, sandbox: Sandbox):
    log = http.get(f"{ORG}/audit-logs/", headers=SENTRY).json()
    assert set(log) == {"rows", "options"} and "member.invite" in log["options"]
    times = [r["dateCreated"] for r in log["rows"]]
    assert times == sorted(times, reverse=True) and len(times) == len(sandbox.audit)
    invites = http.get(f"{ORG}/audit-logs/", params={"event": "member.invite"}, headers=SENTRY).json()["rows"]
    assert len(invites) == 2 and all(r["event"] == "member.invite" and r["targetUser"] for r in invites)
    page = http.get(f"{ORG}/audit-logs/", params={"per_page": 5}, headers=SENTRY)
    second = http.get(
        f"{ORG}/audit-logs/",
        params={"per_page": 5, "cursor": next_cursor(page.headers["link"])},
        headers=SENTRY,
    )
    ids = [r["id"] for r in page.json()["rows"] + second.json()["rows"]]
    assert len(ids) == len(set(ids)) == 10


# --- Jentry -------------------------------------------------------------------------------------------------


def test_jentry_auth_and_scopes(http: httpx.Client, sandbox: Sandbox):
    assert http.get("/api/v1/projects").status_code == 401
    wrong = http.get("/api/v1/projects", headers={"Authorization": "Bearer jto_wrong"})
    assert wrong.status_code == 401 and "error" in wrong.json()
    assert (
        http.get("/api/v1/projects", headers=SENTRY).status_code == 401
    )  # a Sentry token is not a Jentry one
    assert http.get("/api/v1/projects", headers=JENTRY_RO).status_code == 200
    denied = http.patch("/api/v1/issues/101", json={"status": "resolved"}, headers=JENTRY_RO)
    assert denied.status_code == 403 and "issue:write" in denied.json()["error"]
    post = http.post("/api/v1/projects/1/releases", json={"version": "x@1"}, headers=JENTRY_RO)
    assert post.status_code == 403 and "project:write" in post.json()["error"]
    sandbox.config.jentry_tokens["jto_no_events"] = frozenset({"issue:read"})
    events = http.get("/api/v1/issues/101/events", headers={"Authorization": "Bearer jto_no_events"})
    assert events.status_code == 403 and "event:read" in events.json()["error"]
    assert http.get("/api/v1/issues/9999", headers=JENTRY).status_code == 404
    assert http.get("/api/v1/projects/9/issues", headers=JENTRY).status_code == 404


def test_jentry_issue_list_envelope_and_paging(http: httpx.Client, sandbox: Sandbox):
    url = "/api/v1/projects/1/issues"
    first = http.get(url, params={"status": "all", "limit": 4}, headers=JENTRY).json()
    second = http.get(url, params={"status": "all", "limit": 4, "page": 2}, headers=JENTRY).json()
    shop = [i for i in sandbox.issues.values() if i["project"] == sandbox.project_by_jentry_id(1)["id"]]
    assert (first["page"], first["pageSize"], first["total"]) == (1, 4, len(shop))
    ids = [i["id"] for i in first["data"] + second["data"]]
    assert len(ids) == len(set(ids)) == len(shop) and all(isinstance(i, int) for i in ids)
    seen = [i["lastSeen"] for i in first["data"] + second["data"]]
    assert seen == sorted(seen, reverse=True)
    issue = first["data"][0]
    assert {
        "id",
        "projectId",
        "title",
        "culprit",
        "level",
        "status",
        "count",
        "userCount",
        "assigneeUserId",
        "firstRelease",
        "lastRelease",
        "permalink",
        "substatus",
        "type",
    } <= issue.keys()
    default = http.get(url, headers=JENTRY).json()
    assert default["pageSize"] == 25 and {i["status"] for i in default["data"]} == {"unresolved"}
    recent = http.get(url, params={"period": "24h", "status": "all"}, headers=JENTRY).json()["data"]
    assert recent and all(datetime.now(UTC) - parse_time(i["lastSeen"]) < timedelta(hours=24) for i in recent)
    events = http.get(url, params={"sort": "events", "status": "all"}, headers=JENTRY).json()["data"]
    assert [i["count"] for i in events] == sorted((i["count"] for i in events), reverse=True)
    warn = http.get(url, params={"level": "warning", "query": "template"}, headers=JENTRY).json()["data"]
    assert [i["level"] for i in warn] == ["warning"]
    for bad in (
        {"limit": 0},
        {"limit": 101},
        {"page": 0},
        {"status": "open"},
        {"level": "critical"},
        {"period": "30d"},
        {"sort": "trends"},
        {"limit": "many"},
    ):
        response = http.get(url, params=bad, headers=JENTRY)
        assert response.status_code == 400 and response.json()["error"], bad


def test_jentry_patch_events_and_audit(http: httpx.Client, sandbox: Sandbox):
    issue = sandbox.issue_by_jentry_id(107)
    done = http.patch("/api/v1/issues/107", json={"status": "resolved", "assigneeUserId": 5}, headers=JENTRY)
    assert done.status_code == 200 and done.json()["data"]["status"] == "resolved"
    assert done.json()["data"]["assigneeUserId"] == 5 and issue["assignedTo"] == "user:2088"
    assert (
        http.patch("/api/v1/issues/107", json={"assigneeUserId": None}, headers=JENTRY).json()["data"][
            "assigneeUserId"
        ]
        is None
    )
    for bad in (
        {"status": "fixed"},
        {"assigneeUserId": 999},
        {"assigneeUserId": "5"},
        {"priority": "high"},
        {},
    ):
        response = http.patch("/api/v1/issues/107", json=bad, headers=JENTRY)
        assert response.status_code == 400 and "error" in response.json(), bad
    assert http.patch("/api/v1/issues/107", content=b"{nope", headers=JENTRY).status_code == 400
    audit = http.get("/api/v1/audit", params={"limit": 3}, headers=JENTRY).json()["data"]
    assert [a["action"] for a in audit] == ["issue.unassign", "issue.assign", "issue.resolve"]
    assert audit[0]["target"] == "issue:107" and audit[0]["userId"] == 3
    assert len(http.get("/api/v1/audit", headers=JENTRY).json()["data"]) == len(sandbox.audit)
    events = http.get("/api/v1/issues/101/events", params={"limit": 2}, headers=JENTRY).json()["data"]
    assert len(events) == 2 and events[0]["timestamp"] > events[1]["timestamp"]
    assert events[0]["issueId"] == 101 and events[0]["exception"]["values"]
    assert isinstance(events[0]["tags"], dict) and events[0]["request"]["url"].startswith(
        "https://shop.acme.test"
    )
    assert http.get("/api/v1/issues/101/events", params={"limit": 500}, headers=JENTRY).status_code == 400


def test_jentry_releases(http: httpx.Client, sandbox: Sandbox):
    rows = http.get("/api/v1/projects/2/releases", headers=JENTRY).json()["data"]
    assert [r["release"] for r in rows] == [
        "checkout-api@1.9.0-rc.1",
        "checkout-api@1.8.1",
        "checkout-api@1.8.0",
    ]
    assert {
        "events",
        "issues",
        "newIssues",
        "firstSeen",
        "lastSeen",
        "sessions",
        "crashFreeRate",
        "adoption",
    } <= rows[0].keys()
    body = {
        "version": "checkout-api@1.9.0",
        "ref": "a1b2c3d",
        "commits": [{"sha": "a1b2c3d", "author": "Jane", "message": "Fix crash"}, {"sha": "b2c3d4e"}],
        "deploys": [{"environment": "staging"}, {"environment": "production", "name": "prod"}],
    }
    first = http.post("/api/v1/projects/2/releases", json=body, headers=JENTRY)
    assert first.status_code == 201
    assert first.json()["data"] | {"id": 0} == {
        "id": 0,
        "version": "checkout-api@1.9.0",
        "commits": 2,
        "deploys": 2,
    }
    again = http.post(
        "/api/v1/projects/2/releases",
        json={**body, "commits": [], "deploys": [{"environment": "production"}]},
        headers=JENTRY,
    )
    assert again.status_code == 201 and again.json()["data"]["id"] == first.json()["data"]["id"]
    assert (again.json()["data"]["commits"], again.json()["data"]["deploys"]) == (0, 1)  # replaced, not added
    assert (
        http.get("/api/v1/projects/2/releases", headers=JENTRY).json()["data"][0]["release"]
        == "checkout-api@1.9.0"
    )
    for bad in (
        {},
        {"version": ""},
        {"version": "v", "commits": [{"message": "no sha"}]},
        {"version": "v", "deploys": [{"name": "no env"}]},
        {"version": "v", "commits": "abc"},
    ):
        response = http.post("/api/v1/projects/2/releases", json=bad, headers=JENTRY)
        assert response.status_code == 400, bad


# --- request log, faults, concurrency -----------------------------------------------------------------------


def test_request_log_records_what_was_sent(http: httpx.Client, sandbox: Sandbox):
    http.get(
        f"{ORG}/issues/",
        params=[
            ("query", "is:unresolved level:error"),
            ("environment", "production"),
            ("environment", "staging"),
        ],
        headers=SENTRY,
    )
    http.put(
        f"{ORG}/issues/shop-1b/", json={"hasSeen": True}, headers={**SENTRY, "User-Agent": "stacklens/test"}
    )
    http.get(f"{ORG}/releases/{quote('worker@0.9.1+build.7', safe='')}/", headers=SENTRY)
    search, put, release = sandbox.requests[-3:]
    assert (search.method, search.path, search.status) == ("GET", "/api/0/organizations/acme/issues/", 200)
    assert search.query == [
        ("query", "is:unresolved level:error"),
        ("environment", "production"),
        ("environment", "staging"),
    ]
    assert search.params("environment") == ["production", "staging"] and search.auth == "valid"
    assert put.json == {"hasSeen": True} and put.user_agent == "stacklens/test" and put.method == "PUT"
    assert "authorization" in put.header_names and "content-type" in put.header_names
    assert release.path.endswith("/releases/worker@0.9.1+build.7/")
    assert release.raw_path.endswith("/releases/worker%400.9.1%2Bbuild.7/")
    assert "sandbox-sentry-token" not in repr(sandbox.requests)  # never the credential itself
    assert sandbox.find_requests(r"/issues/shop-1b/$", method="PUT") == [put]


def test_faults_are_consumed_in_order(http: httpx.Client, sandbox: Sandbox):
    url = f"{ORG}/issues/"
    sandbox.inject(r"/issues/$", status=503, body="<html>bad gateway</html>", content_type="text/html")
    sandbox.inject(r"/issues/$", status=429, headers={"X-Sentry-Rate-Limit-Reset": "1700000000"})
    sandbox.inject(r"/releases/", status=500, times=None, method="POST")
    first = http.get(url, headers=SENTRY)
    assert first.status_code == 503 and first.text.startswith("<html>")
    assert first.headers["content-type"].startswith("text/html")
    second = http.get(url, headers=SENTRY)
    assert second.status_code == 429 and second.headers["x-sentry-rate-limit-reset"] == "1700000000"
    assert second.json() == {"detail": "Injected fault"}
    assert http.get(url, headers=SENTRY).status_code == 200  # both consumed
    assert http.get(f"{ORG}/releases/", headers=SENTRY).status_code == 200  # POST-only fault
    for _ in range(3):
        assert http.post(f"{ORG}/releases/", json={}, headers=SENTRY).status_code == 500  # times=None
    assert http.get("/api/v1/projects", headers=JENTRY).status_code == 200
    sandbox.inject("^/api/v1/", status=502)
    assert http.get("/api/v1/projects", headers=JENTRY).json() == {"error": "Injected fault"}
    assert sandbox.pending_faults() == 1
    sandbox.clear_faults()
    assert http.post(f"{ORG}/releases/", json={}, headers=SENTRY).status_code == 400
    sandbox.wait_idle()
    assert [r.status for r in sandbox.requests[:3]] == [503, 429, 200]  # faulted requests are logged too


def test_delay_faults_and_latency(http: httpx.Client, sandbox: Sandbox):
    sandbox.inject(r"/projects/$", delay=0.3)
    start = time.monotonic()
    assert http.get(f"{ORG}/projects/", headers=SENTRY).status_code == 200  # served after the delay
    assert time.monotonic() - start >= 0.3
    sandbox.inject(r"/projects/$", delay=2.0)
    with pytest.raises(httpx.ReadTimeout):
        http.get(f"{ORG}/projects/", headers=SENTRY, timeout=0.2)
    sandbox.wait_idle()  # bounded: the server notices the client left
    assert sandbox.requests[-1].status == 499 and sandbox.in_flight == 0
    sandbox.latency = 0.1
    start = time.monotonic()
    http.get(f"{ORG}/", headers=SENTRY)
    assert time.monotonic() - start >= 0.1


def test_rate_limit(http: httpx.Client, sandbox: Sandbox):
    sandbox.rate_limit = (2, 60)
    ok = http.get(f"{ORG}/", headers=SENTRY)
    assert (
        ok.headers["x-sentry-rate-limit-limit"] == "2" and ok.headers["x-sentry-rate-limit-remaining"] == "1"
    )
    http.get(f"{ORG}/", headers=SENTRY)
    limited = http.get(f"{ORG}/", headers=SENTRY)
    assert limited.status_code == 429 and "retry-after" not in limited.headers
    assert float(limited.headers["x-sentry-rate-limit-reset"]) > time.time()
    assert "too frequently" in limited.json()["detail"]


def test_peak_in_flight_counts_concurrent_requests(sandbox_url: str, sandbox: Sandbox):
    sandbox.latency = 0.2
    barrier = threading.Barrier(6)

    def one() -> None:
        barrier.wait(timeout=5)
        httpx.get(f"{sandbox_url}{ORG}/", headers=SENTRY, timeout=5)

    threads = [threading.Thread(target=one) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    sandbox.wait_idle()  # each client has its answer a moment before the sandbox records it
    assert sandbox.peak_in_flight >= 4 and sandbox.in_flight == 0
    assert all(r.status == 200 for r in sandbox.requests)


@pytest.mark.anyio
async def test_in_process_asgi_transport():
    sandbox = Sandbox()
    transport = httpx.ASGITransport(app=create_app(sandbox))
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox.stacklens.invalid") as client:
        org = (await client.get(f"{ORG}/", headers=SENTRY)).json()
        assert org["links"]["regionUrl"] == "http://sandbox.stacklens.invalid"
        statuses: list[int] = []

        async def projects() -> None:
            statuses.append((await client.get("/api/v1/projects", headers=JENTRY)).status_code)

        async with anyio.create_task_group() as tg:
            for _ in range(5):
                tg.start_soon(projects)
        issues = (await client.get("/api/v1/projects/3/issues", headers=JENTRY)).json()
    assert statuses == [200] * 5 and len(sandbox.requests) == 7
    assert issues["total"] >= 1 and all(
        i["permalink"].startswith("http://sandbox.stacklens.invalid/") for i in issues["data"]
    )
