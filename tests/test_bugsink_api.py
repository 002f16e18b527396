"""The contract: what a REAL Bugsink (the pinned PyPI version) answers on its canonical API, fed by real
sentry-sdk events. The Bugsink backend is coded against these facts (docs/bugsink-api.md spells them out);
a Bugsink upgrade that changes one fails here first.

Read-only tests share one fed project (`feed`); every test that changes state makes its own issue.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from bugsink_feed import FIREFOX_UA, SECRET_PASSWORD, SECRET_QUERY_TOKEN, Feed, feed_project, fresh_issue
from bugsink_server import BugsinkProject, BugsinkServer

UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
TIME_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")

ISSUE_FIELDS = {
    "id", "friendly_id", "project", "digest_order", "last_seen", "first_seen", "digested_event_count",
    "stored_event_count", "calculated_type", "calculated_value", "transaction", "is_resolved",
    "is_resolved_unconditionally", "is_resolved_by_next_release", "fixed_at", "events_at", "is_muted",
    "unmute_after", "unmute_on_volume_based_conditions",
}  # fmt: skip
EVENT_LIST_FIELDS = {
    "id", "ingested_at", "digested_at", "issue", "grouping", "event_id", "project", "timestamp", "digest_order"
}  # fmt: skip


@pytest.fixture(scope="module")
def feed(bugsink: BugsinkServer) -> Feed:
    return feed_project(bugsink, "Checkout API")


@pytest.fixture
def api(bugsink: BugsinkServer) -> Iterator[httpx.Client]:
    yield bugsink.api()


@pytest.fixture(scope="module")
def scratch(bugsink: BugsinkServer) -> BugsinkProject:
    """A project for tests that change issue state."""
    return bugsink.create_project("Scratch")


def _ids(page: dict[str, Any]) -> list[str]:
    return [row["id"] for row in page["results"]]


# --- server, projects, teams --------------------------------------------------------------------------------


def test_server_interface(bugsink: BugsinkServer) -> None:
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", bugsink.url)
    assert re.fullmatch(r"[0-9a-f]{40}", bugsink.token)
    port = bugsink.url.rsplit(":", 1)[1]
    # DSN: http://<32-hex public key>@<BASE_URL host:port>/<integer project id>
    assert re.fullmatch(rf"http://[0-9a-f]{{32}}@127\.0\.0\.1:{port}/{bugsink.project_id}", bugsink.dsn)
    assert httpx.get(bugsink.url + "/health/ready", trust_env=False).text == "OK"


def test_projects_list_is_cursor_paged_by_name(api: httpx.Client, feed: Feed) -> None:
    answer = api.get("/projects/")
    assert answer.status_code == 200
    assert "link" not in answer.headers  # paging is in the body, not a Link header
    page = answer.json()
    assert set(page) == {"next", "previous", "results"}
    names = [p["name"] for p in page["results"]]
    assert names == sorted(names)
    row = next(p for p in page["results"] if p["id"] == feed.project.id)
    assert row == {
        "id": feed.project.id,
        "team": row["team"],
        "name": "Checkout API",
        "slug": "checkout-api",
        "dsn": feed.project.dsn,
        "digested_event_count": 5,
        "stored_event_count": 5,
        "alert_on_new_issue": True,
        "alert_on_regression": True,
        "alert_on_unmute": True,
        "visibility": "team_members",
        "retention_max_event_count": 10000,
        "grouping_mechanism": "bugsink-v2",
    }
    assert UUID_RE.match(row["team"])


def test_project_detail_and_team_expansion(api: httpx.Client, feed: Feed, bugsink: BugsinkServer) -> None:
    plain = api.get(f"/projects/{feed.project.id}/").json()
    assert plain["team"] == bugsink.team_id and plain["slug"] == "checkout-api"
    expanded = api.get(f"/projects/{feed.project.id}/", params={"expand": "team"}).json()
    assert expanded["team"] == {"id": bugsink.team_id, "name": "Stacklens", "visibility": "discoverable"}
    teams = api.get("/teams/").json()
    assert {"id": bugsink.team_id, "name": "Stacklens", "visibility": "discoverable"} in teams["results"]


# --- issues -------------------------------------------------------------------------------------------------


def test_issue_record_shape(feed: Feed) -> None:
    issue = feed.chained
    assert set(issue) == ISSUE_FIELDS
    assert UUID_RE.match(issue["id"])
    assert (
        issue["friendly_id"] == f"CHECKOUT-API-{issue['digest_order']}"
    )  # slug upper-cased, dash, per-project seq
    assert issue["project"] == feed.project.id
    assert TIME_RE.match(issue["first_seen"]) and TIME_RE.match(issue["last_seen"])
    assert issue["first_seen"] < issue["last_seen"]
    assert issue["digested_event_count"] == 3 and issue["stored_event_count"] == 3
    # The main exception of a chain is the LAST one (the ConfigError raised from the KeyError).
    assert (issue["calculated_type"], issue["calculated_value"]) == (
        "ConfigError",
        "database_url is not configured",
    )
    assert issue["transaction"] == ""
    assert issue["events_at"] == ["shop@1.0.0", "shop@2.0.0"]
    assert issue["fixed_at"] == []
    assert (issue["is_resolved"], issue["is_muted"], issue["unmute_after"]) == (False, False, None)
    assert issue["unmute_on_volume_based_conditions"] == []
    # A captured message is an issue of type "Log Message" whose value is the message text.
    assert (feed.message["calculated_type"], feed.message["calculated_value"]) == (
        "Log Message",
        "payment provider timeout",
    )


def test_issue_by_uuid_friendly_id_any_case(api: httpx.Client, feed: Feed) -> None:
    by_uuid = api.get(f"/issues/{feed.chained['id']}/").json()
    assert by_uuid == feed.chained
    assert api.get(f"/issues/{feed.chained['friendly_id']}/").json() == by_uuid
    assert api.get(f"/issues/{feed.chained['friendly_id'].lower()}/").json() == by_uuid


def test_issue_not_found_shapes(api: httpx.Client, feed: Feed) -> None:
    missing = api.get("/issues/00000000-0000-0000-0000-000000000000/")
    assert (missing.status_code, missing.json()) == (404, {"detail": "No Issue matches the given query."})
    assert api.get("/issues/CHECKOUT-API-999/").status_code == 404
    assert api.get("/issues/NOSUCHPROJECT-1/").status_code == 404
    # Not a UUID and not SLUG-N: a 400 whose body is a bare JSON list, not an object.
    bad = api.get("/issues/not-an-id/")
    assert (bad.status_code, bad.json()) == (400, ["Invalid issue identifier."])


def test_issues_default_order_single_project_is_digest_order_asc(api: httpx.Client, feed: Feed) -> None:
    page = api.get("/issues/", params={"project": feed.project.id}).json()
    assert [i["digest_order"] for i in page["results"]] == [1, 2, 3]
    assert page["next"] is None and page["previous"] is None


def test_issues_sort_and_order(api: httpx.Client, feed: Feed) -> None:
    def order(**params: str) -> list[str]:
        return _ids(api.get("/issues/", params={"project": feed.project.id, **params}).json())

    chained, message, zero = feed.chained["id"], feed.message["id"], feed.zero["id"]
    assert order(order="desc") == [zero, message, chained]
    assert order(sort="last_seen", order="desc") == [zero, message, chained]
    assert order(sort="last_seen", order="asc") == [chained, message, zero]
    # digested_event_count ties break on last_seen, then id, all in the same direction
    assert order(sort="digested_event_count", order="desc") == [chained, zero, message]
    assert order(sort="digested_event_count", order="asc") == [message, zero, chained]


def test_issues_across_projects_default_last_seen_desc(api: httpx.Client, feed: Feed) -> None:
    rows = api.get("/issues/").json()["results"]
    seen = [r["last_seen"] for r in rows]
    assert seen == sorted(seen, reverse=True)
    assert {feed.chained["id"], feed.message["id"], feed.zero["id"]} <= {r["id"] for r in rows}


def test_issues_bad_parameters_are_400_with_field_errors(api: httpx.Client, feed: Feed) -> None:
    p = feed.project.id
    cases = {
        ("sort", "first_seen"): {"sort": ["Must be 'digest_order', 'last_seen', or 'digested_event_count'."]},
        ("order", "up"): {"order": ["Must be 'asc' or 'desc'."]},
        ("state", "ignored"): {"state": ["Must be 'all', 'open', 'unresolved', 'resolved', or 'muted'."]},
    }
    for (name, value), body in cases.items():
        answer = api.get("/issues/", params={"project": p, name: value})
        assert (answer.status_code, answer.json()) == (400, body)
    across = api.get("/issues/", params={"sort": "digest_order"})
    assert (across.status_code, across.json()) == (400, {"sort": ["digest_order requires a single project."]})
    gone = api.get("/issues/", params={"project": 99999})
    assert (gone.status_code, gone.json()) == (404, {"detail": "No Project matches the given query."})


def test_issues_q_text_and_tags(api: httpx.Client, feed: Feed) -> None:
    def q(query: str) -> set[str]:
        return set(_ids(api.get("/issues/", params={"project": feed.project.id, "q": query}).json()))

    chained, message, zero = feed.chained["id"], feed.message["id"], feed.zero["id"]
    assert q("not configured") == {chained}  # plain text: case-insensitive substring of type or value
    assert q("configerror") == {chained}
    assert q("payment provider") == {message}
    assert q("release:shop@2.0.0") == {chained, message}  # an issue matches if ANY of its events had the tag
    assert q("environment:production") == {chained, zero}
    assert q('browser:"Firefox 128.0"') == {chained}  # quoted value with a space
    assert q("url:https://shop.example.com/cart") == {chained}  # url tag drops the query string
    assert q("release:shop@2.0.0 payment") == {message}  # text AND tags
    assert q("feature:checkout") == {chained}  # an SDK tag
    # Unknown keys or values match nothing (no error): level is not a tag in Bugsink.
    assert q("level:error") == set()
    assert q("release:nope") == set()


# --- tags ---------------------------------------------------------------------------------------------------


def test_issue_tags_route(api: httpx.Client, feed: Feed) -> None:
    page = api.get(f"/issues/{feed.chained['id']}/tags/").json()
    assert set(page) == {"next", "previous", "results"}
    rows = page["results"]
    assert all(set(r) == {"id", "key", "value", "count"} for r in rows)
    assert [r["id"] for r in rows] == sorted(r["id"] for r in rows)  # ordered by id, not by key or count
    pairs = {(r["key"], r["value"]): r["count"] for r in rows}
    assert pairs[("release", "shop@1.0.0")] == 2 and pairs[("release", "shop@2.0.0")] == 1
    assert pairs[("environment", "production")] == 2 and pairs[("environment", "staging")] == 1
    assert pairs[("browser", "Firefox 128.0")] == 3  # deduced from the request's User-Agent
    assert pairs[("browser.name", "Firefox")] == 3 and pairs[("browser.version", "128.0")] == 3
    assert pairs[("os.name", "Linux")] == 3
    assert pairs[("url", "https://shop.example.com/cart")] == 3
    assert pairs[("server_name", "web-1")] == 3 and pairs[("feature", "checkout")] == 3
    assert pairs[("handled", "true")] == 3
    keys = {r["key"] for r in rows}
    assert {"trace", "trace.span", "trace.ctx"} <= keys
    assert "level" not in keys
    assert not any(SECRET_QUERY_TOKEN in r["value"] for r in rows)

    only = api.get(f"/issues/{feed.chained['id']}/tags/", params={"key": "release"}).json()["results"]
    assert sorted((r["value"], r["count"]) for r in only) == [("shop@1.0.0", 2), ("shop@2.0.0", 1)]
    assert api.get(f"/issues/{feed.chained['id']}/tags/", params={"key": "nope"}).json()["results"] == []


# --- events -------------------------------------------------------------------------------------------------


def _dashed(hex_id: str) -> str:
    return f"{hex_id[:8]}-{hex_id[8:12]}-{hex_id[12:16]}-{hex_id[16:20]}-{hex_id[20:]}"


def test_events_list_newest_first_and_asc(api: httpx.Client, feed: Feed) -> None:
    desc = api.get("/events/", params={"issue": feed.chained["id"]}).json()
    assert set(desc) == {"next", "previous", "results"}
    rows = desc["results"]
    assert all(set(r) == EVENT_LIST_FIELDS for r in rows)  # no `data` in the list
    assert [r["digest_order"] for r in rows] == [3, 2, 1]
    # event_id is the SDK's id, returned dashed; id is Bugsink's own UUID
    assert [r["event_id"] for r in rows] == [_dashed(e) for e in reversed(feed.chained_events)]
    assert all(r["issue"] == feed.chained["id"] and r["project"] == feed.project.id for r in rows)
    asc = api.get("/events/", params={"issue": feed.chained["friendly_id"], "order": "asc"}).json()
    assert [r["digest_order"] for r in asc["results"]] == [1, 2, 3]


def test_events_list_q_and_errors(api: httpx.Client, feed: Feed) -> None:
    staged = api.get("/events/", params={"issue": feed.chained["id"], "q": "environment:staging"}).json()
    assert [r["event_id"] for r in staged["results"]] == [_dashed(feed.chained_events[2])]
    missing = api.get("/events/")
    assert (missing.status_code, missing.json()) == (400, {"issue": ["This field is required."]})
    bad_order = api.get("/events/", params={"issue": feed.chained["id"], "order": "newest"})
    assert (bad_order.status_code, bad_order.json()) == (400, {"order": ["Must be 'asc' or 'desc'."]})


def test_event_detail_full_payload(api: httpx.Client, feed: Feed) -> None:
    newest = api.get("/events/", params={"issue": feed.chained["id"]}).json()["results"][0]
    event = api.get(f"/events/{newest['id']}/").json()
    assert set(event) == EVENT_LIST_FIELDS | {"data", "stacktrace_md"}
    data = event["data"]
    assert data["event_id"] == feed.chained_events[2]  # hex in the payload, dashed in the record
    assert (data["release"], data["environment"], data["server_name"]) == ("shop@2.0.0", "staging", "web-1")
    assert (data["level"], data["platform"]) == ("error", "python")
    # The payload's tags are only those the SDK sent; deduced ones (release, browser, url…) are not in it.
    assert data["tags"] == {"feature": "checkout"}
    # Chained exceptions: oldest first (the cause), the raised one last.
    values = data["exception"]["values"]
    assert [v["type"] for v in values] == ["KeyError", "ConfigError"]
    frames = values[0]["stacktrace"]["frames"]
    connect = next(f for f in frames if f["function"] == "_connect")
    # Nothing is scrubbed server-side: the local and the query token come back verbatim.
    assert connect["vars"]["password"] == repr(SECRET_PASSWORD)
    assert data["request"]["url"] == f"https://shop.example.com/cart?token={SECRET_QUERY_TOKEN}"
    assert data["request"]["headers"]["User-Agent"] == FIREFOX_UA
    # stacktrace_md renders every frame WITH locals: it carries the secret too.
    assert SECRET_PASSWORD in event["stacktrace_md"]
    assert event["stacktrace_md"].startswith("# KeyError")


def test_message_event_payload(api: httpx.Client, feed: Feed) -> None:
    event = api.get(
        "/events/lookup/", params={"project": feed.project.id, "event_id": feed.message_event}
    ).json()
    data = event["data"]
    assert data["message"] == "payment provider timeout"
    assert data["level"] == "warning"
    assert "exception" not in data


def test_events_lookup(api: httpx.Client, feed: Feed) -> None:
    hex_id = feed.chained_events[0]
    by_hex = api.get("/events/lookup/", params={"project": feed.project.id, "event_id": hex_id})
    assert by_hex.status_code == 200 and by_hex.json()["digest_order"] == 1 and "data" in by_hex.json()
    by_dashed = api.get("/events/lookup/", params={"project": feed.project.id, "event_id": _dashed(hex_id)})
    assert by_dashed.json()["id"] == by_hex.json()["id"]
    assert api.get(f"/events/{by_hex.json()['id']}/").json()["event_id"] == _dashed(hex_id)
    missing = api.get("/events/lookup/", params={"project": feed.project.id, "event_id": "0" * 32})
    assert (missing.status_code, missing.json()) == (404, {"detail": "No Event matches the given query."})
    no_id = api.get("/events/lookup/", params={"project": feed.project.id})
    assert (no_id.status_code, no_id.json()) == (400, {"event_id": ["This field is required."]})
    no_project = api.get("/events/lookup/", params={"event_id": hex_id})
    assert (no_project.status_code, no_project.json()) == (400, {"project": ["This field is required."]})
    unknown = api.get("/events/00000000-0000-0000-0000-000000000000/")
    assert (unknown.status_code, unknown.json()) == (404, {"detail": "No Event matches the given query."})


# --- issue actions ------------------------------------------------------------------------------------------


def _post(api: httpx.Client, issue: dict[str, Any], action: str, body: Any = None) -> httpx.Response:
    return api.post(f"/issues/{issue['id']}/{action}/", json=body)


def _states(api: httpx.Client, project: BugsinkProject, issue_id: str) -> set[str]:
    found = set()
    for state in ("all", "open", "unresolved", "resolved", "muted"):
        rows = api.get("/issues/", params={"project": project.id, "state": state}).json()["results"]
        if issue_id in {r["id"] for r in rows}:
            found.add(state)
    return found


def test_resolve_and_reopen(api: httpx.Client, bugsink: BugsinkServer, scratch: BugsinkProject) -> None:
    issue = fresh_issue(bugsink, scratch)
    assert _states(api, scratch, issue["id"]) == {"all", "open", "unresolved"}
    done = _post(api, issue, "resolve")
    assert done.status_code == 200 and set(done.json()) == ISSUE_FIELDS
    body = done.json()
    assert (
        body["is_resolved"],
        body["is_resolved_unconditionally"],
        body["is_resolved_by_next_release"],
    ) == (
        True,
        True,
        False,
    )
    assert _states(api, scratch, issue["id"]) == {"all", "resolved"}
    again = _post(api, issue, "resolve")
    assert (again.status_code, again.json()) == (400, {"detail": "Issue is already resolved."})
    for action in ("resolve-next", "resolve-latest", "mute", "unmute"):
        refused = _post(api, issue, action)
        assert (refused.status_code, refused.json()) == (400, {"detail": "Issue is already resolved."}), (
            action
        )
    reopened = _post(api, issue, "reopen")
    assert reopened.status_code == 200
    assert (reopened.json()["is_resolved"], reopened.json()["is_resolved_unconditionally"]) == (False, False)
    not_resolved = _post(api, issue, "reopen")
    assert (not_resolved.status_code, not_resolved.json()) == (400, {"detail": "Issue is not resolved."})


def test_resolve_next_and_latest(api: httpx.Client, bugsink: BugsinkServer, scratch: BugsinkProject) -> None:
    issue = fresh_issue(bugsink, scratch)
    nxt = _post(api, issue, "resolve-next").json()
    assert (nxt["is_resolved"], nxt["is_resolved_unconditionally"], nxt["is_resolved_by_next_release"]) == (
        True,
        False,
        True,
    )
    assert nxt["fixed_at"] == []
    assert _states(api, scratch, issue["id"]) == {"all", "resolved"}

    other = fresh_issue(bugsink, scratch, release="shop@9.9.9")
    latest = _post(api, other, "resolve-latest").json()
    assert (
        latest["is_resolved"],
        latest["is_resolved_unconditionally"],
        latest["is_resolved_by_next_release"],
    ) == (
        True,
        False,
        False,
    )
    newest_release = api.get("/releases/", params={"project": scratch.id}).json()["results"][0]["version"]
    assert latest["fixed_at"] == [newest_release]


def test_mute_unmute(api: httpx.Client, bugsink: BugsinkServer, scratch: BugsinkProject) -> None:
    issue = fresh_issue(bugsink, scratch)
    muted = _post(api, issue, "mute")
    assert muted.status_code == 200
    assert (muted.json()["is_muted"], muted.json()["unmute_after"], muted.json()["is_resolved"]) == (
        True,
        None,
        False,
    )
    # Bugsink's "unresolved" includes muted issues; "open" is neither resolved nor muted.
    assert _states(api, scratch, issue["id"]) == {"all", "unresolved", "muted"}
    again = _post(api, issue, "mute")
    assert (again.status_code, again.json()) == (400, {"detail": "Issue is already muted."})
    for action in ("mute-for", "mute-until"):
        body = {"period_name": "hour", "nr_of_periods": 1, "gte_threshold": 5}
        refused = _post(api, issue, action, body)
        assert (refused.status_code, refused.json()) == (400, {"detail": "Issue is already muted."}), action
    unmuted = _post(api, issue, "unmute")
    assert unmuted.status_code == 200 and unmuted.json()["is_muted"] is False
    not_muted = _post(api, issue, "unmute")
    assert (not_muted.status_code, not_muted.json()) == (400, {"detail": "Issue is not muted."})


def test_mute_for_and_mute_until(api: httpx.Client, bugsink: BugsinkServer, scratch: BugsinkProject) -> None:
    issue = fresh_issue(bugsink, scratch)
    before = datetime.now(UTC)
    muted = _post(api, issue, "mute-for", {"period_name": "hour", "nr_of_periods": 2}).json()
    after = datetime.now(UTC)
    assert muted["is_muted"] is True
    until = datetime.fromisoformat(muted["unmute_after"].replace("Z", "+00:00"))
    assert before + timedelta(hours=2) <= until <= after + timedelta(hours=2)
    assert _post(api, issue, "unmute").json()["unmute_after"] is None

    body = {"period_name": "day", "nr_of_periods": 1, "gte_threshold": 10}
    conditional = _post(api, issue, "mute-until", body).json()
    assert conditional["is_muted"] is True and conditional["unmute_after"] is None
    assert conditional["unmute_on_volume_based_conditions"] == [
        {"period": "day", "nr_of_periods": 1, "volume": 10}
    ]
    # Resolving a muted issue is allowed, and unmutes it.
    resolved = _post(api, issue, "resolve").json()
    assert (resolved["is_resolved"], resolved["is_muted"], resolved["unmute_on_volume_based_conditions"]) == (
        True,
        False,
        [],
    )


def test_mute_for_validation(api: httpx.Client, bugsink: BugsinkServer, scratch: BugsinkProject) -> None:
    issue = fresh_issue(bugsink, scratch)
    bad = _post(api, issue, "mute-for", {"period_name": "fortnight", "nr_of_periods": 0})
    assert (bad.status_code, bad.json()) == (
        400,
        {
            "period_name": ['"fortnight" is not a valid choice.'],
            "nr_of_periods": ["Ensure this value is greater than or equal to 1."],
        },
    )
    empty = _post(api, issue, "mute-for")
    assert empty.status_code == 400
    assert set(empty.json()) == {"period_name", "nr_of_periods"}
    for unit in ("year", "month", "week", "day", "hour", "minute"):
        ok = _post(api, issue, "mute-for", {"period_name": unit, "nr_of_periods": 1})
        assert ok.status_code == 200, unit
        _post(api, issue, "unmute")
    unknown = api.post("/issues/00000000-0000-0000-0000-000000000000/resolve/")
    assert (unknown.status_code, unknown.json()) == (404, {"detail": "No Issue matches the given query."})
    wrong_method = api.get(f"/issues/{issue['id']}/resolve/")
    assert (wrong_method.status_code, wrong_method.json()) == (405, {"detail": 'Method "GET" not allowed.'})


def test_no_release_event_and_resolve_latest(api: httpx.Client, bugsink: BugsinkServer) -> None:
    bare = bugsink.create_project("No Releases")
    issue = fresh_issue(bugsink, bare, release="")
    assert [r["version"] for r in api.get("/releases/", params={"project": bare.id}).json()["results"]] == [
        ""
    ]
    assert issue["events_at"] == [""]
    refused = _post(api, issue, "resolve-latest")
    assert (refused.status_code, refused.json()) == (400, {"detail": "Project has no releases."})


def test_create_project_answer(api: httpx.Client, bugsink: BugsinkServer) -> None:
    created = api.post("/projects/", json={"team": bugsink.team_id, "name": "Created Here"})
    assert created.status_code == 201
    body = created.json()
    assert isinstance(body["id"], str) and body["id"].isdigit()  # a string, although projects have int ids
    assert "dsn" not in body and "slug" not in body
    assert api.get(f"/projects/{body['id']}/").json()["slug"] == "created-here"


def test_action_by_friendly_id_and_history(
    api: httpx.Client, bugsink: BugsinkServer, scratch: BugsinkProject
) -> None:
    issue = fresh_issue(bugsink, scratch)
    done = api.post(f"/issues/{issue['friendly_id']}/resolve/")
    assert done.status_code == 200 and done.json()["id"] == issue["id"]
    history = api.get("/issue-history/", params={"issue": issue["id"]}).json()
    kinds = [(h["kind"], h["metadata"]) for h in history["results"]]
    assert kinds == [("resolved", {"resolved_unconditionally": True}), ("first_seen", {})]  # newest first
    assert history["results"][0]["user"] is None


def test_delete_issue(api: httpx.Client, bugsink: BugsinkServer, scratch: BugsinkProject) -> None:
    issue = fresh_issue(bugsink, scratch)
    event_id = api.get("/events/", params={"issue": issue["id"]}).json()["results"][0]["event_id"]
    gone = api.delete(f"/issues/{issue['id']}/")
    assert (gone.status_code, gone.content) == (204, b"")
    assert api.get(f"/issues/{issue['id']}/").status_code == 404
    assert issue["id"] not in _ids(api.get("/issues/", params={"project": scratch.id}).json())
    assert api.get("/events/lookup/", params={"project": scratch.id, "event_id": event_id}).status_code == 404
    again = api.delete(f"/issues/{issue['id']}/")
    assert (again.status_code, again.json()) == (404, {"detail": "No Issue matches the given query."})


# --- releases -----------------------------------------------------------------------------------------------


def test_releases_list_create_duplicate(api: httpx.Client, feed: Feed) -> None:
    listed = api.get("/releases/", params={"project": feed.project.id}).json()
    rows = listed["results"]
    assert all(set(r) == {"id", "project", "version", "date_released"} for r in rows)
    assert [r["version"] for r in rows][:2] == ["shop@2.0.0", "shop@1.0.0"]  # newest date_released first
    created = api.post("/releases/", json={"project": feed.project.id, "version": "shop@3.0.0"})
    assert created.status_code == 201
    body = created.json()
    assert set(body) == {"id", "project", "version", "date_released", "semver", "is_semver", "sort_epoch"}
    assert (body["version"], body["semver"], body["is_semver"]) == ("shop@3.0.0", "3.0.0", True)
    assert UUID_RE.match(body["id"])
    dup = api.post("/releases/", json={"project": feed.project.id, "version": "shop@3.0.0"})
    assert (dup.status_code, dup.json()) == (
        400,
        {"version": ["Release with this version already exists for the project."]},
    )
    one = api.get(f"/releases/{body['id']}/").json()
    assert one == body
    asc = api.get("/releases/", params={"project": feed.project.id, "order": "asc"}).json()["results"]
    assert asc[-1]["version"] == "shop@3.0.0"
    no_project = api.get("/releases/")
    assert (no_project.status_code, no_project.json()) == (400, {"project": ["This field is required."]})


def test_cursor_paging_at_250(api: httpx.Client, bugsink: BugsinkServer) -> None:
    project = bugsink.create_project("Paging")
    # 251 API calls take ~20 s on a busy CI machine: create them the way ingestion does, in one go.
    code = (
        "from datetime import datetime, timedelta, timezone\n"
        "from projects.models import Project\n"
        "from releases.models import create_release_if_needed\n"
        "p = Project.objects.get(pk=ARG)\n"
        "t0 = datetime(2026, 1, 1, tzinfo=timezone.utc)\n"
        "for n in range(251):\n"
        "    create_release_if_needed(project=p, version=f'v{n}', timestamp=t0 + timedelta(minutes=n))\n"
    )
    bugsink.django(code, project.id)
    first = api.get("/releases/", params={"project": project.id, "order": "asc"}).json()
    assert len(first["results"]) == 250 and first["previous"] is None
    # `next` is an absolute URL on the server's BASE_URL carrying an opaque `cursor` and the other params.
    nxt = httpx.URL(first["next"])
    assert str(nxt).startswith(bugsink.api_url + "/releases/")
    assert nxt.params["project"] == str(project.id) and nxt.params["order"] == "asc" and nxt.params["cursor"]
    second = api.get(first["next"]).json()
    assert [r["version"] for r in second["results"]] == ["v250"]
    assert second["next"] is None and second["previous"] is not None
    ignored = api.get("/releases/", params={"project": project.id, "page_size": 10, "limit": 10}).json()
    assert len(ignored["results"]) == 250  # no client page size


# --- auth ---------------------------------------------------------------------------------------------------


def test_auth_failures(bugsink: BugsinkServer) -> None:
    none = bugsink.api(anonymous=True).get("/projects/")
    assert (none.status_code, none.json()) == (
        401,
        {"detail": "Authentication credentials were not provided."},
    )
    assert none.headers["www-authenticate"] == "Bearer"
    wrong = bugsink.api(token="f" * 40).get("/projects/")
    assert (wrong.status_code, wrong.json()) == (401, {"detail": "Invalid Bearer token."})
    malformed = bugsink.api(token="not-a-token").get("/projects/")
    assert (malformed.status_code, malformed.json()) == (
        401,
        {"detail": "Malformed Bearer token, must be 40 lowercase hex chars."},
    )
    assert "not-a-token" not in malformed.text


def test_capabilities_and_project_binding_are_403(bugsink: BugsinkServer, feed: Feed) -> None:
    reader = bugsink.api(token=bugsink.create_token("issues:read", "events:read", "projects:read"))
    assert reader.get(f"/issues/{feed.chained['id']}/").status_code == 200
    refused = reader.post(f"/issues/{feed.chained['id']}/resolve/")
    assert (refused.status_code, refused.json()) == (
        403,
        {"detail": "This token does not have the required capability: issues:triage."},
    )
    assert reader.get("/releases/", params={"project": feed.project.id}).status_code == 403

    bound = bugsink.api(token=bugsink.create_token("issues:read", "projects:read", project=bugsink.project))
    assert [p["id"] for p in bound.get("/projects/").json()["results"]] == [bugsink.project_id]
    other = bound.get(f"/issues/{feed.chained['id']}/")
    assert (other.status_code, other.json()) == (
        403,
        {"detail": "This token is not allowed to access this project."},
    )
    # Without ?project= a bound token lists only its own project's issues.
    assert feed.chained["id"] not in _ids(bound.get("/issues/").json())
