"""Long operations report MCP progress to a client that asks for it (the official client's progress_callback):
Jentry's cross-project search (one report per project scanned), bulk updates on both backends — in-process,
over stdio as desktop clients run it, and over streamable HTTP including a --stateless team deployment."""

from __future__ import annotations

import itertools
import sys
from typing import Any

import httpx2
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client

from mcp_helpers import DEMO_BACKENDS, backend_env, http_server, inproc, stdio, subprocess_env, text_of
from stacklens.sandbox import Sandbox

Report = tuple[float, float | None, str | None]


def recorder() -> tuple[list[Report], Any]:
    seen: list[Report] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        seen.append((progress, total, message))

    return seen, on_progress


def jentry_projects(sandbox: Sandbox) -> set[str]:
    return {p["slug"] for p in sandbox.projects.values()}


def assert_scan_reports(seen: list[Report], projects: set[str]) -> None:
    assert len(seen) >= len(projects)
    values = [p for p, _, _ in seen]
    assert all(a < b for a, b in itertools.pairwise(values)), values  # MCP: progress only ever increases
    messages = " ".join(m or "" for _, _, m in seen)
    for slug in projects:  # every project's scan is reported by name
        assert f"{slug}:" in messages, messages


async def search_with_progress(client: Client) -> tuple[list[Report], dict[str, Any]]:
    seen, on_progress = recorder()
    result = await client.call_tool(
        "search_issues", {"status": "all", "limit": 50}, progress_callback=on_progress
    )
    assert not result.is_error, text_of(result)
    return seen, result.structured_content


@pytest.mark.anyio
async def test_jentry_cross_project_search_reports_each_project(sandbox: Sandbox, sandbox_url: str) -> None:
    projects = jentry_projects(sandbox)
    assert len(projects) >= 2, "a multi-project search needs several projects"
    async with inproc("jentry", sandbox_url) as client:
        seen, page = await search_with_progress(client)
        assert_scan_reports(seen, projects)
        # asking for progress changes nothing in the answer
        plain = await client.call_tool("search_issues", {"status": "all", "limit": 50})
        assert plain.structured_content == page


@pytest.mark.anyio
async def test_progress_only_when_asked(sandbox_url: str) -> None:
    """Over stdio: no progress notification reaches a client that did not ask, three for one that did."""
    traffic: list[str] = []

    async def on_message(message: Any) -> None:
        traffic.append(type(message).__name__)

    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "stacklens"],
        env=subprocess_env(backend_env("jentry", sandbox_url)),
    )
    async with Client(params, message_handler=on_message) as client:
        plain = await client.call_tool("search_issues", {"status": "all", "limit": 50})
        assert not plain.is_error and "ProgressNotification" not in traffic
        seen, page = await search_with_progress(client)
    assert traffic.count("ProgressNotification") == len(seen) >= 3
    assert page == plain.structured_content


@pytest.mark.anyio
@pytest.mark.parametrize("backend", DEMO_BACKENDS)
async def test_bulk_update_reports_progress_to_the_total(
    sandbox: Sandbox, sandbox_url: str, backend: str
) -> None:
    async with inproc(backend, sandbox_url) as client:
        page = await client.call_tool("search_issues", {"status": "all", "limit": 4, "sort": "events"})
        ids = [i["id"] for i in page.structured_content["issues"]]
        assert len(ids) >= 3
        seen, on_progress = recorder()
        result = await client.call_tool(
            "update_issue", {"issue": ids, "status": "ignored"}, progress_callback=on_progress
        )
        assert not result.is_error, text_of(result)
        assert all(o["ok"] for o in result.structured_content["outcomes"])
    assert seen, "a bulk update reports progress"
    values = [p for p, _, _ in seen]
    assert all(a < b for a, b in itertools.pairwise(values)), values
    final, total, _ = seen[-1]
    assert total is not None and final == total  # it ends at 100 %


@pytest.mark.anyio
async def test_progress_over_stdio(sandbox: Sandbox, sandbox_url: str) -> None:
    async with stdio(backend_env("jentry", sandbox_url)) as client:
        seen, _ = await search_with_progress(client)
    assert_scan_reports(seen, jentry_projects(sandbox))


@pytest.mark.anyio
@pytest.mark.parametrize("args", [(), ("--stateless",)], ids=["stateful", "stateless"])
@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_progress_over_http(
    sandbox: Sandbox, sandbox_url: str, args: tuple[str, ...], mode: str
) -> None:
    with http_server(backend_env("jentry", sandbox_url), *args) as url:
        async with (
            httpx2.AsyncClient(timeout=20) as http,
            Client(streamable_http_client(url, http_client=http), mode=mode) as client,
        ):
            seen, _ = await search_with_progress(client)
    assert_scan_reports(seen, jentry_projects(sandbox))
