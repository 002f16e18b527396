"""Answers an assistant can act on (issue 14), end to end through the MCP client on both backends: unknown
arguments refused, resolve in a release, forgiving enums/lists/windows/Sentry syntax, precise errors,
truthful release reports, and what the question needs in the first answer."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest

from mcp_helpers import DEMO_BACKENDS, inproc, text_of

ID = {"sentry": "6120004400", "jentry": "101"}  # SHOP-1A: web events with Chrome/Firefox… in contexts
SHORT_PAIR = {"sentry": "SHOP-1C, SHOP-1B", "jentry": "103, 102"}

pytestmark = pytest.mark.anyio


async def call(client, tool: str, args: dict):
    result = await client.call_tool(tool, args)
    return result, text_of(result)


# --- 1. unknown arguments --------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", DEMO_BACKENDS)
async def test_unknown_arguments_are_refused_naming_the_real_one(backend, sandbox, sandbox_url):
    async with inproc(backend, sandbox_url) as client:
        cases = [
            ("search_issues", {"env": "staging"}, "environment"),
            ("update_issue", {"issue": ID[backend], "status": "resolved", "in_releas": "x"}, "in_release"),
            ("read_audit", {"sinse": "today"}, "since"),
        ]
        for tool, args, real in cases:
            sandbox.requests.clear()
            result, text = await call(client, tool, args)
            assert result.is_error, text
            assert f"did you mean {real!r}" in text, text
            assert sandbox.requests == []  # nothing sent upstream
        result, text = await call(client, "read_audit", {"since": "today"})
        assert not result.is_error, text
        assert "since" in text and "client-side" in text


# --- 2. resolve in a release -----------------------------------------------------------------------------


async def test_sentry_resolves_in_a_release(sandbox, sandbox_url):
    async with inproc("sentry", sandbox_url) as client:
        args = {"issue": "SHOP-1C", "status": "Resolved", "in_release": "shop-web@2.4.0"}
        result, text = await call(client, "update_issue", args)
    assert not result.is_error, text
    assert "status resolved in `shop-web@2.4.0`" in text
    put = sandbox.find_requests(r"/issues/SHOP-1C/$", "PUT")
    assert put[0].json == {"status": "resolved", "statusDetails": {"inRelease": "shop-web@2.4.0"}}
    assert sandbox.issue_by("SHOP-1C")["statusDetails"] == {"inRelease": "shop-web@2.4.0"}
    outcome = result.structured_content["outcomes"][0]
    assert outcome["ok"] and outcome["in_release"] == "shop-web@2.4.0"


async def test_sentry_in_release_needs_the_resolved_status(sandbox, sandbox_url):
    async with inproc("sentry", sandbox_url) as client:
        args = {"issue": "SHOP-1C", "status": "ignored", "in_release": "shop-web@2.4.0"}
        result, text = await call(client, "update_issue", args)
    assert result.is_error and "in_release goes with status='resolved'" in text
    assert sandbox.requests == []


async def test_jentry_cannot_resolve_in_a_release(sandbox, sandbox_url):
    async with inproc("jentry", sandbox_url) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        assert "Jentry: not supported" in json.dumps(tools["update_issue"].input_schema)
        args = {"issue": "103", "status": "resolved", "in_release": "shop-web@2.4.0"}
        result, text = await call(client, "update_issue", args)
    assert result.is_error and "in_release: not supported by Jentry" in text and "nothing was changed" in text
    assert sandbox.requests == []


# --- 3. forgiving where models slip ----------------------------------------------------------------------


@pytest.mark.parametrize("backend", DEMO_BACKENDS)
async def test_enums_in_any_case_and_comma_lists(backend, sandbox, sandbox_url):
    async with inproc(backend, sandbox_url) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        schema = json.dumps(tools["search_issues"].input_schema)
        assert '"unresolved"' in schema and '"fatal"' in schema  # the enums stay in the schema
        result, text = await call(
            client, "search_issues", {"status": "Unresolved", "level": "Error,FATAL", "sort": "Events"}
        )
        assert not result.is_error, text
        if backend == "sentry":
            assert "is:unresolved level:[error, fatal]" in text
            assert sandbox.requests[-1].param("sort") == "freq"
        else:
            assert "level in [error, fatal]" in text and "sort=events" in text
        result, text = await call(client, "search_issues", {"level": "Warning"})
        assert not result.is_error, text
        result, text = await call(
            client, "update_issue", {"issue": SHORT_PAIR[backend], "status": "Resolved"}
        )
        assert not result.is_error, text
        assert text.startswith("Updated 2 of 2 issue(s)")


@pytest.mark.parametrize("backend", DEMO_BACKENDS)
@pytest.mark.parametrize("window", ["today", "yesterday", "last 24h", "Past 7d"])
async def test_calendar_and_spoken_windows(backend, window, sandbox, sandbox_url):
    async with inproc(backend, sandbox_url) as client:
        result, text = await call(client, "search_issues", {"first_seen": window, "status": "all"})
    assert not result.is_error, text
    if window in ("today", "yesterday"):
        day = datetime.now(UTC).date() - timedelta(days=window == "yesterday")
        shown = (
            f"firstSeen:>={day.isoformat()}" if backend == "sentry" else f"since {day.isoformat()} 00:00 UTC"
        )
        assert shown in text, text
    else:
        assert ("firstSeen:-" if backend == "sentry" else "period=") in text, text


@pytest.mark.parametrize("backend", DEMO_BACKENDS)
async def test_triage_prompt_emits_only_windows_the_tools_accept(backend, sandbox, sandbox_url):
    async with inproc(backend, sandbox_url) as client:
        prompt = await client.get_prompt("triage_new_errors", {"window": "yesterday"})
        body = prompt.messages[0].content.text
        assert "first_seen='yesterday'" in body
        result, text = await call(client, "search_issues", {"first_seen": "yesterday"})
        assert not result.is_error, text
        with pytest.raises(Exception, match="not understood"):
            await client.get_prompt("triage_new_errors", {"window": "since the outage"})


async def test_sentry_syntax_in_query_is_sent_as_tokens(sandbox, sandbox_url):
    async with inproc("sentry", sandbox_url) as client:
        args = {"query": "KeyError is:unresolved level:error browser.name:Chrome", "status": "all"}
        result, text = await call(client, "search_issues", args)
    assert not result.is_error, text
    sent = sandbox.find_requests(r"/organizations/acme/issues/$")[-1].param("query")
    assert sent == "KeyError is:unresolved level:error browser.name:Chrome"  # tokens, not one quoted phrase
    assert "read is:unresolved level:error browser.name:Chrome in query as Sentry search tokens" in text
    assert "SHOP-1A" in text


async def test_sentry_syntax_in_query_is_answered_with_the_parameters_on_jentry(sandbox, sandbox_url):
    async with inproc("jentry", sandbox_url) as client:
        args = {"query": "is:unresolved level:error browser:Chrome"}
        result, text = await call(client, "search_issues", args)
    assert result.is_error, text
    assert "status='unresolved', level='error', tags={'browser': 'Chrome'}" in text
    assert sandbox.requests == []


# --- 4. precise errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", DEMO_BACKENDS)
async def test_a_missing_tag_lists_the_issue_tag_keys(backend, sandbox, sandbox_url):
    async with inproc(backend, sandbox_url) as client:
        result, text = await call(client, "list_tag_values", {"issue": ID[backend], "key": "Browser"})
    assert result.is_error, text
    assert "has no tag 'Browser'" in text and "not found" not in text
    keys = text.split("its tag keys: ")[1]
    assert "browser" in keys.split(", ") and "environment" in keys


@pytest.mark.parametrize("backend", DEMO_BACKENDS)
async def test_no_event_in_the_environment_names_the_environments_seen(backend, sandbox, sandbox_url):
    async with inproc(backend, sandbox_url) as client:
        args = {"issue": ID[backend], "environment": "qa"}
        result, text = await call(client, "get_latest_event", args)
    assert result.is_error, text
    assert "'qa'" in text and re.search(r"environments seen: .*production", text), text


@pytest.mark.parametrize("backend", DEMO_BACKENDS)
async def test_a_bad_event_id_names_the_keywords(backend, sandbox, sandbox_url):
    async with inproc(backend, sandbox_url) as client:
        result, text = await call(client, "get_event", {"issue": ID[backend], "event_id": "newest!"})
    assert result.is_error and "latest, oldest, recommended" in text
    assert sandbox.requests == []


@pytest.mark.parametrize("backend", DEMO_BACKENDS)
async def test_a_bad_default_project_names_the_variable(backend, sandbox, sandbox_url):
    async with inproc(backend, sandbox_url, SENTRY_PROJECT="shop-wbe") as client:
        result, text = await call(client, "search_issues", {})
    assert result.is_error and "'shop-wbe' (the default project: check SENTRY_PROJECT" in text, text


@pytest.mark.parametrize("backend", DEMO_BACKENDS)
async def test_an_unknown_audit_action_lists_the_actions(backend, sandbox, sandbox_url):
    async with inproc(backend, sandbox_url) as client:
        result, text = await call(client, "read_audit", {"action": "issue.resolved"})
    assert "issue.resolve" in text and "member.invite" in text, text
    if backend == "sentry":
        assert result.is_error and "unknown audit action 'issue.resolved'" in text
    else:
        assert "no entry has action 'issue.resolved'; actions seen:" in text


# --- 5. truthful release reports -------------------------------------------------------------------------


@pytest.mark.parametrize("backend", DEMO_BACKENDS)
async def test_reposting_a_release_says_it_existed_and_what_changed(backend, sandbox, sandbox_url):
    args = {"version": "shop-web@2.4.0", "project": "shop-web", "commits": ["a1b2c3d", {"sha": "b2c3d4e"}]}
    async with inproc(backend, sandbox_url) as client:
        result, text = await call(client, "create_release", args)
    assert not result.is_error, text
    assert result.structured_content["already_existed"] is True
    assert "already existed" in text
    if backend == "jentry":
        assert "replaced by the 2 commit(s) and 0 deploy(s) sent" in text
    else:
        assert "its commits were replaced by the ones sent" in text
    post = sandbox.find_requests(r"releases/?$", "POST")[0].json
    shas = [c.get("sha") or c.get("id") for c in post["commits"]]
    assert shas == ["a1b2c3d", "b2c3d4e"]  # plain sha strings accepted


@pytest.mark.parametrize("backend", DEMO_BACKENDS)
async def test_a_new_release_is_not_reported_as_existing(backend, sandbox, sandbox_url):
    async with inproc(backend, sandbox_url) as client:
        result, text = await call(
            client, "create_release", {"version": "shop-web@9.9.9", "project": "shop-web"}
        )
    assert not result.is_error and result.structured_content["already_existed"] is False, text
    assert "created" in text and "already" not in text


@pytest.mark.parametrize("backend", DEMO_BACKENDS)
async def test_release_errors_never_name_internal_classes(backend, sandbox, sandbox_url):
    async with inproc(backend, sandbox_url) as client:
        result, text = await call(client, "create_release", {"version": "x@1", "commits": [5]})
    assert result.is_error and "commits" in text
    assert "CommitSpec" not in text and "instance of" not in text
    assert sandbox.requests == []


# --- 6. what the question needs, in the first answer ------------------------------------------------------


@pytest.mark.parametrize("backend", DEMO_BACKENDS)
async def test_search_lines_show_the_first_release(backend, sandbox, sandbox_url):
    async with inproc(backend, sandbox_url) as client:
        result, text = await call(client, "search_issues", {"query": "shipping_address"})
    assert not result.is_error, text
    assert "in `shop-web@2.3.0`" in text, text
    # From the list answer itself: no per-issue request.
    assert not [r for r in sandbox.requests if re.search(r"/issues/[^/]+/?$", r.path)]


@pytest.mark.parametrize("backend", DEMO_BACKENDS)
async def test_read_audit_since(backend, sandbox, sandbox_url):
    async with inproc(backend, sandbox_url) as client:
        everything = (await client.call_tool("read_audit", {"limit": 100})).structured_content["entries"]
        result, text = await call(client, "read_audit", {"since": "10d"})
        bad, bad_text = await call(client, "read_audit", {"since": "forever"})
    assert not result.is_error, text
    entries = result.structured_content["entries"]
    cutoff = datetime.now(UTC) - timedelta(days=10)
    expected = [e for e in everything if datetime.fromisoformat(e["time"]) >= cutoff]
    assert entries == expected and 0 < len(entries) < len(everything)
    assert "client-side" in text
    assert bad.is_error and "since='forever' is not understood" in bad_text


async def test_jentry_assignee_accepts_what_read_audit_shows(sandbox, sandbox_url):
    async with inproc("jentry", sandbox_url) as client:
        audit = (await client.call_tool("read_audit", {"action": "issue.assign"})).structured_content
        actor = audit["entries"][0]["actor"]
        assert actor.startswith("user:")
        result, text = await call(client, "update_issue", {"issue": "103", "assignee": actor})
        assert not result.is_error, text
        result, text = await call(client, "search_issues", {"assigned": actor})
    assert not result.is_error, text
    assert "#103" in text and f"assigned to user {actor[5:]}" in text


async def test_jentry_counts_browsers_from_event_contexts(sandbox, sandbox_url):
    # Jentry's API returns an issue's 100 newest events (SHOP-1A has 1,284): the counts are theirs.
    events = [e["sdk"] for e in sandbox.events[sandbox.issue_by("SHOP-1A")["id"]]][:100]
    expected: dict[str, int] = {}
    for e in events:
        name = e["contexts"]["browser"]["name"]
        expected[name] = expected.get(name, 0) + 1
    async with inproc("jentry", sandbox_url) as client:
        result, text = await call(client, "list_tag_values", {"issue": "101", "key": "browser.name"})
        full, full_text = await call(client, "list_tag_values", {"issue": "101", "key": "browser"})
    assert not result.is_error, text
    got = {v["value"]: v["count"] for v in result.structured_content["values"]}
    assert got == expected and "Chrome" in got
    assert "100 most recent events" in text and "a sample" in text, text
    assert not full.is_error and any(
        re.fullmatch(r"Chrome [\d.]+", v["value"]) for v in full.structured_content["values"]
    ), full_text
