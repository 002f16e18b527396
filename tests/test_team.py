"""Team deployment: `--transport http --stateless` replicas behind a round-robin balancer, and
`--token-from-request` so each user's own upstream token (and permissions) is what reaches the upstream.

Real server processes on 127.0.0.1 talk to the sandbox over loopback HTTP; the balancer is an httpx2 transport
that sends each HTTP request of ONE MCP client to the next replica in turn.
"""

from __future__ import annotations

import itertools
import os
from collections import Counter
from typing import Any

import anyio
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from mcp_helpers import ORG, SENTRY_TOKEN, backend_env, http_server, text_of
from stacklens.sandbox import Sandbox

READONLY_TOKEN = "sandbox-sentry-readonly"  # the sandbox grants it read scopes only
GATE = "team-gate-4c1d9e"
WRONG = "sntryu_wrong_0123456789abcdef"
INIT = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-11-25",
        "capabilities": {},
        "clientInfo": {"name": "t", "version": "0"},
    },
}


class RoundRobin(httpx2.AsyncBaseTransport):
    """A load balancer in miniature: request i goes to replica i mod n. Records (method, port) per request."""

    def __init__(self, ports: list[int]) -> None:
        self._inner = httpx2.AsyncHTTPTransport()
        self._next = itertools.cycle(ports)
        self.sent: list[tuple[str, int]] = []

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        port = next(self._next)
        request.url = request.url.copy_with(port=port)
        self.sent.append((request.method, port))
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


def team_env(sandbox_url: str, **extra: str) -> dict[str, str]:
    """A shared server's environment: org and URL, but no upstream token of its own."""
    return {"SENTRY_ORG": ORG, "SENTRY_URL": sandbox_url, "NETRC": os.devnull, **extra}


def http_client(
    headers: dict[str, str] | None = None, transport: httpx2.AsyncBaseTransport | None = None
) -> httpx2.AsyncClient:
    return httpx2.AsyncClient(headers=headers or {}, transport=transport, timeout=20)


async def session_walk(client: Client) -> list[Any]:
    """What an assistant does in one conversation: list, search, drill into an issue."""
    tools = await client.list_tools()
    page = await client.call_tool("search_issues", {"status": "all", "limit": 5})
    assert not page.is_error, text_of(page)
    issue = page.structured_content["issues"][0]["id"]
    results = [
        await client.call_tool("get_issue", {"issue": issue}),
        await client.call_tool("get_latest_event", {"issue": issue}),
        await client.call_tool("list_tag_values", {"issue": issue, "key": "environment"}),
        await client.call_tool("list_releases", {"limit": 3}),
    ]
    for result in results:
        assert not result.is_error, text_of(result)
    return [tools, page, *results]


def leaf_messages(exc: BaseException) -> list[str]:
    if isinstance(exc, BaseExceptionGroup):
        return [m for inner in exc.exceptions for m in leaf_messages(inner)]
    return [str(exc)]


# --- replicas ----------------------------------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize("mode", ["legacy", "auto"])  # 2025-11-25 (most desktop clients today) and 2026-07-28
async def test_two_stateless_replicas_serve_alternate_requests(sandbox: Sandbox, sandbox_url: str, mode: str):
    env = backend_env("sentry", sandbox_url)
    with http_server(env, "--stateless") as a, http_server(env, "--stateless") as b:
        ports = [httpx2.URL(a).port, httpx2.URL(b).port]
        balancer = RoundRobin(ports)
        async with (
            http_client(transport=balancer) as http,
            Client(streamable_http_client(a, http_client=http), mode=mode) as client,
        ):
            walk = await session_walk(client)
    assert len(walk) == 6
    posts = [port for method, port in balancer.sent if method == "POST"]
    assert len(posts) >= 7  # the handshake/discovery plus six calls
    # strictly alternating, and both replicas answered about half of the conversation each
    assert all(x != y for x, y in itertools.pairwise(posts))
    counts = Counter(posts)
    assert set(counts) == set(ports) and abs(counts[ports[0]] - counts[ports[1]]) <= 1
    assert sum(1 for r in sandbox.requests if r.path.startswith(f"/api/0/organizations/{ORG}/")) >= 5


@pytest.mark.anyio
async def test_stateful_replicas_lose_legacy_sessions(sandbox_url: str):
    """The control: without --stateless, a 2025-11-25 session lives in one process and the other refuses it."""
    env = backend_env("sentry", sandbox_url)
    with http_server(env) as a, http_server(env) as b:
        balancer = RoundRobin([httpx2.URL(a).port, httpx2.URL(b).port])
        with pytest.raises(BaseException) as raised:  # the SDK wraps it in task groups
            async with (
                http_client(transport=balancer) as http,
                Client(streamable_http_client(a, http_client=http), mode="legacy") as client,
            ):
                await client.list_tools()
                await client.call_tool("list_projects", {})
        assert any("Session not found" in m for m in leaf_messages(raised.value)), leaf_messages(raised.value)


# --- per-request upstream tokens ---------------------------------------------------------------------


async def get_issue_as(url: str, headers: dict[str, str], issue: str) -> Any:
    async with http_client(headers) as http, Client(streamable_http_client(url, http_client=http)) as client:
        return await client.call_tool("get_issue", {"issue": issue})


async def first_issue_id(url: str, headers: dict[str, str] | None = None) -> str:
    headers = headers or {"Authorization": f"Bearer {SENTRY_TOKEN}"}
    async with http_client(headers) as http, Client(streamable_http_client(url, http_client=http)) as client:
        page = await client.call_tool("search_issues", {"status": "all", "limit": 1})
        assert not page.is_error, text_of(page)
        return page.structured_content["issues"][0]["id"]


@pytest.mark.anyio
@pytest.mark.parametrize("stateless", [(), ("--stateless",)], ids=["stateful", "stateless"])
async def test_each_request_brings_its_own_token(
    sandbox: Sandbox, sandbox_url: str, stateless: tuple[str, ...]
):
    """No STACKLENS_HTTP_TOKEN: the client's own `Authorization: Bearer` is the upstream token (the HTTP request
    reaches the tool in both session modes)."""
    with http_server(team_env(sandbox_url), *stateless, "--token-from-request") as url:
        issue = await first_issue_id(url)

        sandbox.requests.clear()
        ok = await get_issue_as(url, {"Authorization": f"Bearer {SENTRY_TOKEN}"}, issue)
        assert not ok.is_error and ok.structured_content["id"] == issue
        assert [r.auth for r in sandbox.requests] == ["valid"]

        sandbox.requests.clear()
        bad = await get_issue_as(url, {"Authorization": f"Bearer {WRONG}"}, issue)
        assert bad.is_error
        assert "rejected the token (401)" in text_of(bad)
        assert WRONG not in text_of(bad) and WRONG[6:20] not in text_of(bad)
        assert [r.auth for r in sandbox.requests] == ["invalid"]

        sandbox.requests.clear()
        none = await get_issue_as(url, {}, issue)  # no token anywhere: refused here, saying which header
        assert none.is_error and "X-Upstream-Token or Authorization: Bearer header" in text_of(none)
        assert sandbox.requests == []


@pytest.mark.anyio
async def test_users_keep_their_own_permissions(sandbox: Sandbox, sandbox_url: str):
    """A read-only user's write is refused upstream (403) while a full user's goes through, on one server."""
    with http_server(team_env(sandbox_url), "--stateless", "--token-from-request") as url:
        issue = await first_issue_id(url)

        async def update(token: str) -> Any:
            headers = {"Authorization": f"Bearer {token}"}
            async with (
                http_client(headers) as http,
                Client(streamable_http_client(url, http_client=http)) as c,
            ):
                return await c.call_tool("update_issue", {"issue": issue, "bookmarked": True})

        denied = await update(READONLY_TOKEN)
        assert denied.is_error and "403" in text_of(denied)
        assert READONLY_TOKEN not in text_of(denied)
        allowed = await update(SENTRY_TOKEN)
        assert not allowed.is_error, text_of(allowed)
        assert allowed.structured_content["outcomes"][0]["ok"] is True


@pytest.mark.anyio
async def test_concurrent_users_never_share_a_token(sandbox_url: str):
    """Interleaved requests of a valid and an invalid user: each gets the answer its own token deserves."""
    with http_server(team_env(sandbox_url), "--stateless", "--token-from-request") as url:
        issue = await first_issue_id(url)
        outcomes: dict[str, list[bool]] = {"good": [], "bad": []}

        async def user(name: str, token: str) -> None:
            headers = {"Authorization": f"Bearer {token}"}
            async with (
                http_client(headers) as http,
                Client(streamable_http_client(url, http_client=http)) as c,
            ):
                for _ in range(6):
                    result = await c.call_tool("get_issue", {"issue": issue})
                    outcomes[name].append(result.is_error)

        with anyio.fail_after(60):
            async with anyio.create_task_group() as tg:
                tg.start_soon(user, "good", SENTRY_TOKEN)
                tg.start_soon(user, "bad", WRONG)
        assert outcomes == {"good": [False] * 6, "bad": [True] * 6}


@pytest.mark.anyio
async def test_gate_token_and_upstream_header(sandbox: Sandbox, sandbox_url: str):
    """With STACKLENS_HTTP_TOKEN, Authorization opens the gate and X-Upstream-Token goes upstream; the gate
    token itself never reaches the upstream."""
    env = team_env(sandbox_url, STACKLENS_HTTP_TOKEN=GATE)
    gate = {"Authorization": f"Bearer {GATE}"}
    with http_server(env, "--stateless", "--token-from-request") as url:
        issue = await first_issue_id(url, {**gate, "X-Upstream-Token": SENTRY_TOKEN})
        sandbox.requests.clear()
        ok = await get_issue_as(url, {**gate, "X-Upstream-Token": SENTRY_TOKEN}, issue)
        assert not ok.is_error, text_of(ok)
        assert [r.auth for r in sandbox.requests] == ["valid"]

        sandbox.requests.clear()
        wrong = await get_issue_as(url, {**gate, "X-Upstream-Token": WRONG}, issue)
        assert wrong.is_error and "rejected the token (401)" in text_of(wrong)
        assert WRONG not in text_of(wrong) and GATE not in text_of(wrong)

        sandbox.requests.clear()
        gate_only = await get_issue_as(url, gate, issue)  # the gate token is not an upstream token
        assert gate_only.is_error and "send it in the X-Upstream-Token header" in text_of(gate_only)
        assert sandbox.requests == []  # refused here: nothing goes upstream without a token

        # an upstream token alone does not open the gate: refused before any MCP handling
        async with http_client({"X-Upstream-Token": SENTRY_TOKEN}) as http:
            refused = await http.post(
                url, json=INIT, headers={"Accept": "application/json, text/event-stream"}
            )
        assert refused.status_code == 401 and SENTRY_TOKEN not in refused.text
