"""The Bugsink backend end to end: a real Bugsink (the session fixture) fed by real sentry-sdk events, every
tool driven through the official MCP client, each answer compared with what Bugsink's own API returns.

Read-only tests share one fed project (`shop`); tests that change state make their own issues.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from mcp import Client, StdioServerParameters
from tests.mcp_helpers import inproc_env, subprocess_env, text_of

from bugsink_feed import SECRET_PASSWORD, SECRET_QUERY_TOKEN, Feed, feed_project, fresh_issue
from bugsink_server import BugsinkProject, BugsinkServer

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def shop(bugsink: BugsinkServer) -> Feed:
    return feed_project(bugsink, "Storefront")


@pytest.fixture(scope="module")
def scratch(bugsink: BugsinkServer) -> BugsinkProject:
    return bugsink.create_project("Bugsink Writes")


def _env(server: BugsinkServer, **extra: str) -> dict[str, str]:
    return {
        "BUGSINK_URL": server.url,
        "BUGSINK_AUTH_TOKEN": server.token,
        "STACKLENS_BACKEND": "bugsink",
        **extra,
    }


class Recorder:
    """Every tool answer of a test, so each test can assert no secret reached any of them."""

    def __init__(self, client: Client, server: BugsinkServer) -> None:
        self.client, self.server, self.outputs = client, server, []  # type: list[str]

    async def __call__(self, tool: str, args: dict[str, Any], *, ok: bool = True) -> Any:
        result = await self.client.call_tool(tool, args)
        shown = text_of(result) + json.dumps(result.structured_content or {})
        self.outputs.append(shown)
        assert result.is_error is (not ok), f"{tool}({args}): {shown[:2000]}"
        return result

    def assert_clean(self) -> None:
        for out in self.outputs:
            for secret in (self.server.token, SECRET_PASSWORD, SECRET_QUERY_TOKEN):
                assert secret not in out


def _api(server: BugsinkServer) -> httpx.Client:
    return server.api()


def _bugsink_ids(server: BugsinkServer, **params: Any) -> list[str]:
    page = server.api().get("/issues/", params=params).json()
    return [row["id"] for row in page["results"]]


async def test_search_issues_matches_bugsink(bugsink: BugsinkServer, shop: Feed) -> None:
    pid = shop.project.id
    async with inproc_env(_env(bugsink)) as client:
        run = Recorder(client, bugsink)

        async def ids(**args: Any) -> list[str]:
            page = (await run("search_issues", {"project": "storefront", **args})).structured_content
            return [i["id"] for i in page["issues"]]

        everything = _bugsink_ids(bugsink, project=pid, state="open", sort="last_seen", order="desc")
        assert len(everything) == 3
        assert await ids() == everything  # Sentry's "unresolved" = Bugsink's "open"
        assert await ids(status="all") == _bugsink_ids(
            bugsink, project=pid, state="all", sort="last_seen", order="desc"
        )
        assert await ids(query="ConfigError") == [shop.chained["id"]]
        assert await ids(environment="staging") == _bugsink_ids(
            bugsink, project=pid, q="environment:staging", sort="last_seen", order="desc"
        )
        assert set(await ids(environment="staging")) == {shop.chained["id"], shop.message["id"]}
        assert await ids(tags={"browser": "Firefox 128.0"}) == [shop.chained["id"]]
        assert await ids(release="shop@2.0.0") == await ids(environment="staging")
        by_count = _bugsink_ids(bugsink, project=pid, state="open", sort="digested_event_count", order="desc")
        assert await ids(sort="events") == by_count and by_count[0] == shop.chained["id"]
        assert await ids(sort="first_seen") == [shop.zero["id"], shop.message["id"], shop.chained["id"]]

        anywhere = (await run("search_issues", {"status": "all", "limit": 100})).structured_content
        assert [i["id"] for i in anywhere["issues"]] == _bugsink_ids(bugsink, state="all")[:100]
        assert "project" not in anywhere["query"]
        narrowed = (await run("search_issues", {"project": "storefront", "min_events": 2})).structured_content
        assert [i["id"] for i in narrowed["issues"]] == [shop.chained["id"]]
        assert any("client-side" in n and "events >= 2" in n for n in narrowed["notes"])
        recent = (await run("search_issues", {"project": "storefront", "last_seen": "1h"})).structured_content
        assert len(recent["issues"]) == 3 and any("client-side" in n for n in recent["notes"])
        assert (
            await run("search_issues", {"project": "storefront", "first_seen": "2026-01-01"})
        ).structured_content

        paged = (await run("search_issues", {"project": "storefront", "limit": 2})).structured_content
        rest = (
            await run("search_issues", {"project": "storefront", "limit": 2, "cursor": paged["next_cursor"]})
        ).structured_content
        assert [i["id"] for i in paged["issues"] + rest["issues"]] == everything and not rest.get(
            "next_cursor"
        )

        for refused, word in (
            ({"level": "error"}, "level"),
            ({"sort": "users"}, "users"),
            ({"assigned": "me"}, "assignees"),
            ({"sentry_query": "is:unassigned"}, "Sentry"),
            ({"environment": ["production", "staging"]}, "one environment"),
        ):
            result = await run("search_issues", {"project": "storefront", **refused}, ok=False)
            assert word in text_of(result) and "Nothing was sent" in text_of(result)
    run.assert_clean()


async def test_status_words_keep_sentrys_meaning(bugsink: BugsinkServer, scratch: BugsinkProject) -> None:
    muted = fresh_issue(bugsink, scratch)
    bugsink.api().post(f"/issues/{muted['id']}/mute/").raise_for_status()
    async with inproc_env(_env(bugsink)) as client:
        run = Recorder(client, bugsink)
        ignored = (
            await run("search_issues", {"project": scratch.slug, "status": "ignored"})
        ).structured_content
        unresolved = (await run("search_issues", {"project": scratch.slug})).structured_content
    assert muted["id"] in [i["id"] for i in ignored["issues"]]
    assert muted["id"] not in [i["id"] for i in unresolved["issues"]]  # Bugsink's "unresolved" would list it
    assert {i["status"] for i in ignored["issues"]} == {"ignored"}


async def test_get_issue_by_every_form(bugsink: BugsinkServer, shop: Feed) -> None:
    raw = shop.chained
    async with inproc_env(_env(bugsink)) as client:
        run = Recorder(client, bugsink)
        for ref in (
            raw["friendly_id"],
            raw["friendly_id"].lower(),
            raw["id"],
            f"{bugsink.url}/issues/issue/{raw['id']}/",
        ):
            got = (await run("get_issue", {"issue": ref})).structured_content
            assert got["id"] == raw["id"] and got["short_id"] == raw["friendly_id"]
            assert got["count"] == raw["digested_event_count"] == 3
            assert got["status"] == "unresolved"
            assert got["title"] == "ConfigError: database_url is not configured"
            assert (got["first_release"], got["last_release"]) == ("shop@1.0.0", "shop@2.0.0")
            assert got["project"] == "storefront"
        assert (await run("get_issue", {"issue": shop.message["friendly_id"]})).structured_content[
            "title"
        ] == "payment provider timeout"
        missing = await run("get_issue", {"issue": "STOREFRONT-999"}, ok=False)
        assert "not found" in text_of(missing)
        numeric = await run("get_issue", {"issue": "42"}, ok=False)
        assert "friendly id" in text_of(numeric)
    run.assert_clean()


async def test_events_match_bugsink(bugsink: BugsinkServer, shop: Feed) -> None:
    issue = shop.chained["friendly_id"]
    rows = bugsink.api().get("/events/", params={"issue": shop.chained["id"]}).json()["results"]
    newest_first = [r["event_id"].replace("-", "") for r in rows]
    assert newest_first == list(reversed(shop.chained_events))
    async with inproc_env(_env(bugsink)) as client:
        run = Recorder(client, bugsink)
        latest = await run("get_latest_event", {"issue": issue})
        assert latest.structured_content["id"] == newest_first[0]
        assert latest.structured_content["environment"] == "staging"
        types = [e["type"] for e in latest.structured_content["exceptions"]]
        assert set(types) == {"KeyError", "ConfigError"}
        assert "_connect" in text_of(latest)
        oldest = await run("get_event", {"issue": issue, "event_id": "oldest"})
        assert oldest.structured_content["id"] == newest_first[-1]
        one = await run("get_event", {"issue": issue, "event_id": newest_first[1], "frames": "all"})
        assert one.structured_content["id"] == newest_first[1]
        by_bugsink_id = await run("get_event", {"issue": issue, "event_id": rows[2]["id"]})  # its own UUID
        assert by_bugsink_id.structured_content["id"] == newest_first[2]
        prod = await run("get_latest_event", {"issue": issue, "environment": "production"})
        assert prod.structured_content["id"] == newest_first[1]

        first = (await run("list_issue_events", {"issue": issue, "limit": 2})).structured_content
        rest = (
            await run("list_issue_events", {"issue": issue, "limit": 2, "cursor": first["next_cursor"]})
        ).structured_content
        assert [e["id"] for e in first["events"] + rest["events"]] == newest_first
        assert not rest.get("next_cursor")
        assert first["events"][0]["release"] == "shop@2.0.0"
        staging = (
            await run("list_issue_events", {"issue": issue, "environment": "staging"})
        ).structured_content
        assert [e["id"] for e in staging["events"]] == newest_first[:1]
        other = await run(
            "get_event", {"issue": shop.zero["friendly_id"], "event_id": newest_first[0]}, ok=False
        )
        assert "no event" in text_of(other)
    run.assert_clean()


async def test_tag_values_match_bugsink(bugsink: BugsinkServer, shop: Feed) -> None:
    issue = shop.chained["id"]
    async with inproc_env(_env(bugsink)) as client:
        run = Recorder(client, bugsink)
        for key in ("browser", "environment", "release", "url"):
            got = (
                await run("list_tag_values", {"issue": shop.chained["friendly_id"], "key": key})
            ).structured_content
            rows = bugsink.api().get(f"/issues/{issue}/tags/", params={"key": key}).json()["results"]
            assert {v["value"]: v["count"] for v in got["values"]} == {r["value"]: r["count"] for r in rows}
            assert got["total"] == sum(r["count"] for r in rows)
        env = (await run("list_tag_values", {"issue": issue, "key": "environment"})).structured_content
        assert [(v["value"], v["count"]) for v in env["values"]] == [("production", 2), ("staging", 1)]
    run.assert_clean()


def _state(server: BugsinkServer, issue: str) -> dict[str, Any]:
    return dict(server.api().get(f"/issues/{issue}/").json())


async def test_updates_through_action_routes(bugsink: BugsinkServer, scratch: BugsinkProject) -> None:
    a, b = fresh_issue(bugsink, scratch), fresh_issue(bugsink, scratch)
    async with inproc_env(_env(bugsink)) as client:
        run = Recorder(client, bugsink)
        both = [a["friendly_id"], b["id"]]
        done = (await run("update_issue", {"issue": both, "status": "resolved"})).structured_content
        assert [(o["ok"], o["status"]) for o in done["outcomes"]] == [(True, "resolved")] * 2
        assert _state(bugsink, a["id"])["is_resolved"] and _state(bugsink, b["id"])["is_resolved"]

        # resolved → ignored for 60 minutes: Bugsink refuses to mute a resolved issue, so reopen then mute-for
        muted = (
            await run("update_issue", {"issue": a["id"], "status": "ignored", "ignore_minutes": 60})
        ).structured_content
        assert muted["outcomes"][0]["ok"] is True
        now = _state(bugsink, a["id"])
        assert now["is_muted"] and not now["is_resolved"] and now["unmute_after"]

        back = (await run("update_issue", {"issue": a["id"], "status": "unresolved"})).structured_content
        assert back["outcomes"][0] == {
            "issue": a["id"],
            "ok": True,
            "confirmed": True,
            "status": "unresolved",
        }
        now = _state(bugsink, a["id"])
        assert not now["is_muted"] and not now["is_resolved"]

        nxt = (
            await run("update_issue", {"issue": b["id"], "status": "resolved_in_next_release"})
        ).structured_content
        assert nxt["outcomes"][0]["status"] == "resolved_in_next_release"
        assert _state(bugsink, b["id"])["is_resolved_by_next_release"] is True
        again = (await run("update_issue", {"issue": b["id"], "status": "unresolved"})).structured_content
        assert again["outcomes"][0]["ok"] and not _state(bugsink, b["id"])["is_resolved"]

        mixed = (
            await run("update_issue", {"issue": [a["id"], "SCRATCH-9999"], "status": "ignored"})
        ).structured_content
        assert [o["ok"] for o in mixed["outcomes"]] == [True, False]
        assert "not found" in mixed["outcomes"][1]["error"]
        assert _state(bugsink, a["id"])["is_muted"]

        before = _state(bugsink, b["id"])
        for refused in ({"assignee": "me"}, {"bookmarked": True}, {"seen": True}, {"ignore_count": 5}):
            result = await run("update_issue", {"issue": b["id"], "status": "resolved", **refused}, ok=False)
            assert "nothing was changed" in text_of(result).lower()
        assert _state(bugsink, b["id"]) == before
    run.assert_clean()


async def test_releases_list_and_create(bugsink: BugsinkServer, shop: Feed) -> None:
    async with inproc_env(_env(bugsink)) as client:
        run = Recorder(client, bugsink)
        listed = (await run("list_releases", {"project": "storefront"})).structured_content
        rows = bugsink.api().get("/releases/", params={"project": shop.project.id}).json()["results"]
        assert [r["version"] for r in listed["releases"]] == [r["version"] for r in rows if r["version"]]
        assert [r["version"] for r in listed["releases"]] == ["shop@2.0.0", "shop@1.0.0"]

        made = (
            await run("create_release", {"version": "shop@3.0.0", "project": "storefront"})
        ).structured_content
        assert made["version"] == "shop@3.0.0" and not made.get("already_existed")
        twice = (
            await run("create_release", {"version": "shop@3.0.0", "project": "storefront"})
        ).structured_content
        assert twice["already_existed"] is True
        refused = await run(
            "create_release",
            {"version": "shop@4.0.0", "project": "storefront", "commits": [{"sha": "abc1234"}]},
            ok=False,
        )
        assert "commits" in text_of(refused) and "Nothing was sent" in text_of(refused)
        versions = [
            r["version"]
            for r in bugsink.api().get("/releases/", params={"project": shop.project.id}).json()["results"]
        ]
        assert "shop@3.0.0" in versions and "shop@4.0.0" not in versions
        merged = (await run("list_releases", {"limit": 100})).structured_content
        assert {"shop@1.0.0", "shop@2.0.0", "shop@3.0.0"} <= {r["version"] for r in merged["releases"]}
        assert any("merged from" in n for n in merged["notes"])
        found = (await run("list_releases", {"project": "storefront", "query": "3.0"})).structured_content
        assert [r["version"] for r in found["releases"]] == ["shop@3.0.0"]
    run.assert_clean()


async def test_projects_audit_and_resources(bugsink: BugsinkServer, shop: Feed) -> None:
    issue = shop.chained["friendly_id"]
    async with inproc_env(_env(bugsink)) as client:
        run = Recorder(client, bugsink)
        projects = (await run("list_projects", {})).structured_content["projects"]
        rows = bugsink.api().get("/projects/").json()["results"]
        assert {(p["id"], p["slug"]) for p in projects} == {(str(r["id"]), r["slug"]) for r in rows}
        audit = await run("read_audit", {}, ok=False)
        assert "audit log" in text_of(audit)

        templates = {t.uri_template for t in (await client.list_resource_templates()).resource_templates}
        assert templates == {
            "bugsink://issues/{issue}",
            "bugsink://issues/{issue}/events/latest",
            "bugsink://issues/{issue}/events/{event_id}",
        }
        summary = (await client.read_resource(f"bugsink://issues/{issue}")).contents[0].text
        latest = (await client.read_resource(f"bugsink://issues/{issue}/events/latest")).contents[0].text
        one = (
            (await client.read_resource(f"bugsink://issues/{issue}/events/{shop.chained_events[0]}"))
            .contents[0]
            .text
        )
        run.outputs += [summary, latest, one]
        assert "ConfigError" in summary and "ConfigError" in latest and "ConfigError" in one
    run.assert_clean()


async def test_backend_methods_without_a_tool(
    bugsink: BugsinkServer, shop: Feed, scratch: BugsinkProject
) -> None:
    """recent_events, delete_issue and the NotSupported ones, on the backend object the tools are given."""
    from stacklens.backends import make_backend
    from stacklens.config import resolve
    from stacklens.errors import NotSupported
    from stacklens.refs import parse_issue_ref
    from stacklens.server import _upstream as make_upstream

    settings = resolve(_env(bugsink, NETRC="/dev/null"))
    upstream = make_upstream(settings)
    backend = make_backend(settings, upstream)
    try:
        ref = parse_issue_ref(shop.chained["friendly_id"], "bugsink")
        recent = await backend.recent_events(ref, limit=5)
        assert [e.id for e in recent] == list(reversed(shop.chained_events))
        windowed = await backend.list_issue_events(ref, limit=2, period="1h")
        assert [e.id for e in windowed.events] == list(reversed(shop.chained_events))[:2]
        assert windowed.next_cursor and any("client-side" in n for n in windowed.notes)
        rest = await backend.list_issue_events(ref, limit=2, period="1h", cursor=windowed.next_cursor)
        assert [e.id for e in rest.events] == shop.chained_events[:1] and rest.next_cursor is None
        with pytest.raises(NotSupported):
            await backend.list_issue_events(ref, query="release:shop@1.0.0")
        staging = await backend.recent_events(ref, environment="staging")
        assert [e.id for e in staging] == shop.chained_events[-1:]
        for call in (backend.release_commits("shop@1.0.0"), backend.release_deploys("shop@1.0.0")):
            with pytest.raises(NotSupported, match="Bugsink"):
                await call
        doomed = fresh_issue(bugsink, scratch)
        gone = await backend.delete_issue(parse_issue_ref(doomed["friendly_id"], "bugsink"))
        assert gone.ok
        assert bugsink.api().get(f"/issues/{doomed['id']}/").status_code == 404
    finally:
        await upstream.aclose()


async def test_stdio_picks_bugsink_from_its_token(bugsink: BugsinkServer, shop: Feed) -> None:
    """As a user configures it: BUGSINK_URL + BUGSINK_AUTH_TOKEN only (auto), the real process over stdio."""
    env = {"BUGSINK_URL": bugsink.url, "BUGSINK_AUTH_TOKEN": bugsink.token, "NETRC": "/dev/null"}
    script = Path(sys.executable).parent / "stacklens"  # the console script users start
    params = StdioServerParameters(command=str(script), args=[], env=subprocess_env(env))
    async with Client(params) as client:
        result = await client.call_tool("get_latest_event", {"issue": shop.chained["friendly_id"]})
    shown = text_of(result)
    assert not result.is_error, shown
    assert "ConfigError" in shown
    for secret in (bugsink.token, SECRET_PASSWORD, SECRET_QUERY_TOKEN):
        assert secret not in shown


async def test_token_errors_name_the_variable_and_the_capability(
    bugsink: BugsinkServer, scratch: BugsinkProject
) -> None:
    issue = fresh_issue(bugsink, scratch)
    reader = bugsink.create_token("issues:read", "events:read", "projects:read")
    async with inproc_env(_env(bugsink, BUGSINK_AUTH_TOKEN=reader)) as client:
        run = Recorder(client, bugsink)
        done = await run("update_issue", {"issue": issue["id"], "status": "resolved"}, ok=False)
        assert "Updated 0 of 1" in text_of(done) and "issues:triage" in text_of(done)
    assert not _state(bugsink, issue["id"])["is_resolved"]
    wrong = "0" * 40
    async with inproc_env(_env(bugsink, BUGSINK_AUTH_TOKEN=wrong)) as client:
        result = await client.call_tool("list_projects", {})
    assert result.is_error and "BUGSINK_AUTH_TOKEN" in text_of(result) and "401" in text_of(result)
    assert wrong not in text_of(result) and reader not in "".join(run.outputs)
    run.assert_clean()


async def test_paging_across_bugsinks_fixed_pages(bugsink: BugsinkServer) -> None:
    """Bugsink pages at a fixed 250: the cursor taken from its `next` URL walks past the page boundary."""
    project = bugsink.create_project("Many Releases")
    api = bugsink.api()
    # 260 releases in one Django run (~1 s; 260 API posts take ~10 s on a loaded machine)
    bugsink.django(
        "from releases.models import Release\n"
        "for n in range(260):\n"
        "    Release(project_id=ARG, version=f'v{n:03d}').save()\n",
        project.id,
    )
    expected: list[str] = []
    url: str | None = "/releases/"
    params: dict[str, Any] | None = {"project": project.id}
    while url:
        page = api.get(url, params=params).json()
        expected += [r["version"] for r in page["results"]]
        url, params = page["next"], None
    assert len(expected) == 260
    seen: list[str] = []
    async with inproc_env(_env(bugsink)) as client:
        run = Recorder(client, bugsink)
        args: dict[str, Any] = {"project": project.slug, "limit": 100}
        for _ in range(5):
            page = (await run("list_releases", args)).structured_content
            seen += [r["version"] for r in page["releases"]]
            if not page.get("next_cursor"):
                break
            args["cursor"] = page["next_cursor"]
    assert seen == expected
    run.assert_clean()
