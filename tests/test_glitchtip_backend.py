"""The GlitchTip backend end to end through the official MCP client.

By default against the replay server (tests/glitchtip_replay.py: a real local HTTP server answering exactly as
a real GlitchTip 5.1 did, recorded by scripts/record_glitchtip.py from real sentry-sdk events). With
STACKLENS_LIVE_GLITCHTIP_URL/_TOKEN/_ORG set, the same checks also run against that live GlitchTip. The
expected answers are read from the same server's API directly, so both modes check "the same issues,
counts, events and tags GlitchTip's own API shows".
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx2 as httpx
import pytest
from mcp import Client

from glitchtip_replay import TOKEN, Replay, replay_server
from mcp_helpers import inproc_env, text_of

pytestmark = pytest.mark.anyio

READS = [
    "projects", "search_sorts", "search_queries", "search_params", "search_narrowed", "search_tag_lists",
    "issue_detail",
    "events", "event_by_id", "tags", "releases",
]  # fmt: skip
LIVE = {k: os.environ.get(f"STACKLENS_LIVE_GLITCHTIP_{k}", "") for k in ("URL", "TOKEN", "ORG")}
SECRETS = ("SECRET", "hunter2")  # the seeded request's ?token=SECRET and the local `password`


@dataclass
class Target:
    url: str
    token: str
    org: str
    replay: Replay | None

    def env(self, **extra: str) -> dict[str, str]:
        return {
            "STACKLENS_BACKEND": "glitchtip", "GLITCHTIP_URL": self.url, "GLITCHTIP_AUTH_TOKEN": self.token,
            "GLITCHTIP_ORG": self.org, **extra,
        }  # fmt: skip

    def api(self, path: str, params: list[tuple[str, str]] | None = None) -> Any:
        """What GlitchTip's own API answers (the replay's requests made here are not the backend's)."""
        mark = len(self.replay.received) if self.replay else 0
        headers = {"Authorization": f"Bearer {self.token}"}
        resp = httpx.get(self.url + "/api/0" + path, params=params, headers=headers, timeout=30)
        if self.replay:
            del self.replay.received[mark:]
        assert resp.status_code == 200, (path, resp.status_code)
        return resp.json()

    def check_routes(self) -> None:
        if self.replay:
            assert self.replay.unmatched == [], "requests GlitchTip was never recorded answering"
            assert self.replay.unserved_hits() == [], "requests to routes GlitchTip does not serve"


def _targets() -> list[Any]:
    params: list[Any] = [pytest.param("replay", id="replay")]
    skip = pytest.mark.skipif(
        not all(LIVE.values()), reason="STACKLENS_LIVE_GLITCHTIP_URL/_TOKEN/_ORG not set"
    )
    params.append(pytest.param("live", id="live", marks=skip))
    return params


@pytest.fixture(params=_targets())
def target(request: pytest.FixtureRequest) -> Iterator[Target]:
    if request.param == "live":
        yield Target(LIVE["URL"].rstrip("/"), LIVE["TOKEN"], LIVE["ORG"], None)
        return
    with replay_server(READS) as replay:
        target = Target(replay.base, TOKEN, "acme", replay)
        yield target
        target.check_routes()


@asynccontextmanager
async def mcp(target: Target, **extra: str) -> AsyncIterator[Client]:
    async with inproc_env(target.env(**extra)) as client:
        yield client


async def call(client: Client, tool: str, args: dict[str, Any], *, error: bool = False) -> str:
    result = await client.call_tool(tool, args)
    text = text_of(result)
    assert result.is_error == error, text
    for secret in SECRETS:
        assert secret not in text
    return text


def _unresolved(target: Target, sort: str = "-last_seen", limit: str = "25") -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = target.api(
        f"/organizations/{target.org}/issues/", [("query", "is:unresolved"), ("sort", sort), ("limit", limit)]
    )
    return rows


async def test_projects_and_search(target: Target) -> None:
    projects = target.api(f"/organizations/{target.org}/projects/")
    issues = _unresolved(target)
    by_count = _unresolved(target, "-count")
    async with mcp(target) as client:
        text = await call(client, "list_projects", {})
        assert all(f"`{p['slug']}`" in text for p in projects)
        text = await call(client, "search_issues", {})
        assert f"{len(issues)} issue(s)" in text
        for issue in issues:
            assert f"(id {issue['id']})" in text and f"{issue['count']} ev" in text
        text = await call(client, "search_issues", {"sort": "events"})
        order = [text.index(f"(id {i['id']})") for i in by_count]
        assert order == sorted(order)


async def test_search_tokens_glitchtip_applies(target: Target) -> None:
    errors = target.api(
        f"/organizations/{target.org}/issues/",
        [("query", "is:unresolved level:error"), ("sort", "-last_seen"), ("limit", "25")],
    )
    async with mcp(target) as client:
        text = await call(client, "search_issues", {"level": "error"})
        assert f"{len(errors)} issue(s)" in text and "level:error" in text


async def test_search_narrowed_client_side(target: Target) -> None:
    everything = _unresolved(target, limit="100")
    async with mcp(target) as client:
        text = await call(client, "search_issues", {"level": ["error", "warning"]})
        assert "filtered client-side (level in [error, warning])" in text
        wanted = [i for i in everything if i["level"] in ("error", "warning")]
        assert f"{len(wanted)} issue(s)" in text
        text = await call(client, "search_issues", {"last_seen": "3650d", "min_events": 2})
        assert "filtered client-side" in text
        assert f"{len([i for i in everything if int(i['count']) >= 2])} issue(s)" in text


async def test_search_tag_lists_and_negation_narrowed_by_one_search_per_value(target: Target) -> None:
    everything = _unresolved(target, limit="100")
    path = f"/organizations/{target.org}/issues/"
    having = {
        b: {str(i["id"]) for i in target.api(path, [("query", f"browser:{b}"), ("limit", "100")])}
        for b in ("Firefox", "Safari")
    }
    assert having["Firefox"] and not having["Safari"]  # the seeded events' tag, and one none has
    async with mcp(target) as client:
        text = await call(client, "search_issues", {"tags": {"browser": ["Firefox", "Safari"]}})
        assert "filtered client-side (browser in [Firefox, Safari])" in text
        wanted = [i for i in everything if str(i["id"]) in having["Firefox"]]
        assert f"{len(wanted)} issue(s)" in text and all(f"(id {i['id']})" in text for i in wanted)
        text = await call(client, "search_issues", {"tags": {"!browser": "Firefox"}})
        assert "filtered client-side (browser != Firefox)" in text
        rest = [i for i in everything if str(i["id"]) not in having["Firefox"]]
        assert rest and f"{len(rest)} issue(s)" in text and all(f"(id {i['id']})" in text for i in rest)
        assert all(f"(id {i})" not in text for i in having["Firefox"])
        many = {"browser": [f"b{n}" for n in range(11)]}
        text = await call(client, "search_issues", {"tags": many}, error=True)
        assert "at most 10 values" in text


async def test_timeline_first_release_from_the_events_glitchtip_lists(target: Target) -> None:
    # GlitchTip's tag values carry counts only and its issues no first release: when each release was first
    # seen comes from the issue's events (all of them here), and decides which release it started in.
    chained = next(i for i in _unresolved(target) if "payment" in i["title"])
    events = target.api(f"/issues/{chained['id']}/events/", [("limit", "100")])
    firsts: dict[str, str] = {}
    for e in events:
        release = next(t["value"] for t in e["tags"] if t["key"] == "release")
        firsts[release] = min(firsts.get(release, e["date_created"]), e["date_created"])
    earliest = min(firsts, key=lambda r: firsts[r])
    async with mcp(target) as client:
        result = await client.call_tool("get_issue_timeline", {"issue": chained["id"]})
    text = text_of(result)
    assert not result.is_error, text
    assert f"first seen in `{earliest}`" in text and "yet" not in text  # no "yet … earlier releases"
    rows = {r["version"]: r for r in (result.structured_content or {})["releases"]}
    assert set(rows) == set(firsts) and all(rows[v]["first_seen"] for v in rows)


async def test_issue_events_and_tags(target: Target) -> None:
    issues = _unresolved(target)
    grouped = next(i for i in issues if "sku" in i["title"])
    iid = grouped["id"]
    detail = target.api(f"/issues/{iid}/")
    events = target.api(f"/issues/{iid}/events/", [("limit", "10")])
    latest = target.api(f"/issues/{iid}/events/latest/")
    tags = target.api(f"/issues/{iid}/tags/", [("key", "browser")])
    async with mcp(target) as client:
        text = await call(client, "get_issue", {"issue": iid})
        assert detail["title"] in text and f"{detail['count']} events" in text
        text = await call(client, "get_latest_event", {"issue": iid})
        assert latest["eventID"] in text
        text = await call(client, "get_event", {"issue": iid, "event_id": events[-1]["id"]})
        assert events[-1]["id"] in text
        text = await call(client, "list_issue_events", {"issue": iid})
        assert all(e["id"] in text for e in events)
        text = await call(client, "list_tag_values", {"issue": iid, "key": "browser"})
        for value in tags[0]["topValues"]:
            assert f"`{value['value']}`: {value['count']}" in text


async def test_chained_exception_is_redacted(target: Target) -> None:
    chained = next(i for i in _unresolved(target) if "payment" in i["title"])
    async with mcp(target) as client:
        text = await call(client, "get_latest_event", {"issue": chained["id"]})
        assert "payment failed" in text and "has no items" in text  # both links of the chain


async def test_what_glitchtip_lacks_is_said(target: Target) -> None:
    iid = _unresolved(target)[0]["id"]
    async with mcp(target) as client:
        text = await call(client, "get_event", {"issue": iid, "event_id": "oldest"}, error=True)
        assert "GlitchTip has no 'oldest' event" in text
        text = await call(client, "read_audit", {}, error=True)
        assert "GlitchTip has no audit log" in text
        text = await call(client, "search_issues", {"sentry_query": "is:unresolved"}, error=True)
        assert "sentry_query" in text
        text = await call(client, "get_issue", {"issue": "SHOP-1"}, error=True)
        assert "numeric" in text


async def test_releases(target: Target) -> None:
    releases = target.api(f"/organizations/{target.org}/releases/")
    async with mcp(target) as client:
        text = await call(client, "list_releases", {})
        assert all(f"`{r['version']}`" in text for r in releases)
        text = await call(
            client, "create_release",
            {"version": "shop@9.9.9", "project": "shop", "commits": [{"sha": "a" * 40, "message": "fix"}]},
            error=True,
        )  # fmt: skip
        assert "GlitchTip has no release commits" in text


WRITES = ["projects", "update_single", "update_bulk", "release_create", "delete"]


def _recorded(name: str, index: int) -> dict[str, Any]:
    from glitchtip_replay import load

    exchange: dict[str, Any] = load(name)[index]
    return exchange


@pytest.fixture
def writes_replay() -> Iterator[Target]:
    with replay_server(WRITES) as replay:
        target = Target(replay.base, TOKEN, "acme", replay)
        yield target
        target.check_routes()


async def test_updates_single_and_bulk_confirmed(writes_replay: Target) -> None:
    single = _recorded("update_single", 0)["request"]["path"].split("/")[-2]
    async with mcp(writes_replay) as client:
        text = await call(client, "update_issue", {"issue": single, "status": "resolved"})
        assert "resolved" in text and "unconfirmed" not in text.lower()
        text = await call(client, "update_issue", {"issue": ["1", "2"], "status": "resolved"})
        assert text.count("resolved") >= 2
        text = await call(client, "update_issue", {"issue": single, "assignee": "someone"}, error=True)
        assert "assignee: not supported by GlitchTip" in text and "nothing was changed" in text
    sent = [k for k in writes_replay.replay.received if k[0] == "PUT"] if writes_replay.replay else []
    assert ("PUT", "/api/0/organizations/acme/issues/", (("id", "1"), ("id", "2"))) in sent


async def test_release_create_and_duplicate(writes_replay: Target) -> None:
    version = _recorded("release_create", 0)["request"]["body"]["version"]
    async with mcp(writes_replay) as client:
        text = await call(client, "create_release", {"version": version, "project": "shop"})
        assert version in text
        text = await call(client, "create_release", {"version": version, "project": "shop"})
        assert "already" in text.lower()
        assert "commit" not in text.lower() or "no" in text.lower()


async def test_delete(writes_replay: Target) -> None:
    issue = _recorded("delete", 0)["request"]["path"].split("/")[-2]
    async with mcp(writes_replay, STACKLENS_ALLOW_DELETE="1") as client:
        text = await call(client, "delete_issue", {"issue": issue})
        assert "deleted" in text


async def test_analysis_tools(target: Target) -> None:
    grouped = next(i for i in _unresolved(target) if "sku" in i["title"])
    async with mcp(target) as client:
        text = await call(client, "cluster_issue_events", {"issue": grouped["id"]})
        assert "2 distinct signatures" in text and "crash site" in text  # two crash sites, one fingerprint
        text = await call(client, "find_suspect_commits", {"issue": grouped["id"]}, error=True)
        assert "GlitchTip" in text and "Nothing was sent" in text


# --- writes against a live GlitchTip (opt-in): each one checked in GlitchTip's own API afterwards ---

LIVE_DSN = os.environ.get("STACKLENS_LIVE_GLITCHTIP_DSN", "")
LIVE_PROJECT = os.environ.get("STACKLENS_LIVE_GLITCHTIP_PROJECT", "shop")


def _seed_live_issue(target: Target, mark: str) -> dict[str, Any]:
    """A fresh issue of its own (a real sentry-sdk event with a unique message), once GlitchTip shows it."""
    import time

    import sentry_sdk

    client = sentry_sdk.Client(LIVE_DSN, default_integrations=False, release="shop@live-writes")
    try:
        raise RuntimeError(f"live write check {mark}")
    except RuntimeError as exc:
        event, hint = sentry_sdk.utils.event_from_exception(exc)
        client.capture_event(event, hint)
    client.flush(timeout=10)
    for _ in range(120):  # GlitchTip's worker stores events asynchronously: wait for the real server
        found = target.api(f"/organizations/{target.org}/issues/", [("query", mark), ("limit", "5")])
        if found:
            return dict(found[0])
        time.sleep(0.5)
    raise AssertionError("GlitchTip did not show the seeded issue (is its worker running?)")


@pytest.mark.skipif(not (all(LIVE.values()) and LIVE_DSN), reason="live GlitchTip with a DSN not set")
async def test_writes_live() -> None:
    import uuid

    target = Target(LIVE["URL"].rstrip("/"), LIVE["TOKEN"], LIVE["ORG"], None)
    marks = [uuid.uuid4().hex[:12] for _ in range(3)]
    one, two, three = (_seed_live_issue(target, m) for m in marks)

    def status(issue: dict[str, Any]) -> str:
        return str(target.api(f"/issues/{issue['id']}/")["status"])

    async with mcp(target, STACKLENS_ALLOW_DELETE="1") as client:
        text = await call(client, "update_issue", {"issue": one["id"], "status": "resolved"})
        assert "Updated 1 of 1" in text and status(one) == "resolved"
        text = await call(client, "update_issue", {"issue": one["id"], "status": "unresolved"})
        assert "Updated 1 of 1" in text and status(one) == "unresolved"
        text = await call(client, "update_issue", {"issue": [one["id"], two["id"]], "status": "ignored"})
        assert "Updated 2 of 2" in text and status(one) == status(two) == "ignored"

        version = f"shop@live-{marks[0]}"
        text = await call(client, "create_release", {"version": version, "project": LIVE_PROJECT})
        assert version in text and "already" not in text.lower()
        listed = target.api(f"/organizations/{target.org}/releases/")  # GlitchTip ignores `query` here
        assert version in [r["version"] for r in listed]
        text = await call(client, "create_release", {"version": version, "project": LIVE_PROJECT})
        assert "already" in text.lower()

        text = await call(client, "delete_issue", {"issue": three["id"]})
        assert "deleted" in text.lower()
    headers = {"Authorization": f"Bearer {target.token}"}
    gone = httpx.get(f"{target.url}/api/0/issues/{three['id']}/", headers=headers, timeout=30)
    assert gone.status_code == 404


async def test_timeline_says_when_first_sightings_come_from_a_sample(monkeypatch: pytest.MonkeyPatch) -> None:
    import stacklens.tools.get_issue_timeline as timeline_tool

    # Only issue 1's 8 events are recorded: reading 3 of them stands for an issue with more events than read.
    monkeypatch.setattr(timeline_tool, "SAMPLE", 3)
    with replay_server(["issue_detail", "tags", "releases", "projects", "events_sample"]) as replay:
        target = Target(replay.base, TOKEN, "acme", replay)
        async with mcp(target) as client:
            text = await call(client, "get_issue_timeline", {"issue": "1"})
        target.check_routes()
    assert "first/last seen per release from the 3 most recent of 8 events" in text
