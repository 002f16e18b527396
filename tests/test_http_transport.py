"""The streamable HTTP transport against a local network peer: loopback bind, DNS-rebinding protection,
the STACKLENS_HTTP_TOKEN gate (constant-time), and the request body cap. Real subprocesses on 127.0.0.1.

None of these need a working upstream: the server is pointed at a closed local port.
"""

from __future__ import annotations

import json
import logging
import socket
from pathlib import Path

import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from mcp_helpers import backend_env, free_port, http_server
from stacklens import cli, httpapp
from stacklens.config import resolve

HTTP_TOKEN = "http-gate-7f3a9c1e5b"
INIT = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-11-25",
        "capabilities": {},
        "clientInfo": {"name": "probe", "version": "0"},
    },
}
MCP_HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.fixture(scope="module")
def dead_upstream() -> str:
    return f"http://127.0.0.1:{free_port()}"  # nothing listens there


@pytest.fixture(scope="module")
def open_server(dead_upstream):
    """`stacklens --transport http` with the defaults (no --host, no token), shared by this module."""
    with http_server(backend_env("sentry", dead_upstream)) as url:
        yield url


@pytest.fixture(scope="module")
def gated_server(dead_upstream):
    """The same with STACKLENS_HTTP_TOKEN set."""
    with http_server(backend_env("jentry", dead_upstream, STACKLENS_HTTP_TOKEN=HTTP_TOKEN)) as url:
        yield url


def _listening_addresses(port: int) -> set[str]:
    """Local addresses listening on `port`, read from /proc/net/tcp{,6} (Linux)."""
    found: set[str] = set()
    for name in ("tcp", "tcp6"):
        path = Path(f"/proc/net/{name}")
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            fields = line.split()
            local, state = fields[1], fields[3]
            addr, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A = LISTEN
                found.add(addr)
    return found


def test_binds_loopback_by_default(dead_upstream, open_server, monkeypatch, caplog):
    # what the CLI asks uvicorn for, without the flag …
    calls: list[dict] = []
    import uvicorn

    monkeypatch.setattr(
        uvicorn.Server, "run", lambda self, sockets=None: calls.append({"host": self.config.host})
    )
    for key, value in backend_env("sentry", dead_upstream).items():
        monkeypatch.setenv(key, value)
    cli.main(["--transport", "http"])
    assert calls and calls[0]["host"] == "127.0.0.1"
    assert resolve(backend_env("sentry", dead_upstream)).host == "127.0.0.1"
    # --host says otherwise: honoured, with a warning when no STACKLENS_HTTP_TOKEN guards it
    with caplog.at_level(logging.WARNING, logger="stacklens"):
        cli.main(["--transport", "http", "--host", "0.0.0.0"])
    assert calls[-1]["host"] == "0.0.0.0"
    assert "without STACKLENS_HTTP_TOKEN" in caplog.text
    assert "--allowed-host" in caplog.text  # else every client using the machine's name gets 421
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="stacklens"):
        cli.main(["--transport", "http", "--host", "0.0.0.0", "--allowed-host", "mcp.internal"])
    assert "--allowed-host" not in caplog.text

    # … and what the real process actually listens on
    if not Path("/proc/net/tcp").exists():
        pytest.skip("no /proc/net/tcp to inspect listening sockets")
    addresses = _listening_addresses(httpx.URL(open_server).port)
    assert addresses == {"0100007F"}, addresses  # 127.0.0.1 only, not 0.0.0.0 or ::


def test_foreign_host_and_origin_refused(open_server):
    url = open_server
    port = httpx.URL(url).port
    ok = httpx.post(url, json=INIT, headers=MCP_HEADERS, timeout=5)
    assert ok.status_code == 200, ok.text  # control: the same request from a local name works
    for host in ("evil.example", f"evil.example:{port}", "attacker.localhost.evil:80"):
        r = httpx.post(url, json=INIT, headers={**MCP_HEADERS, "Host": host}, timeout=5)
        assert r.status_code == 421, (host, r.status_code)
        assert "serverInfo" not in r.text
    r = httpx.post(url, json=INIT, headers={**MCP_HEADERS, "Origin": "http://evil.example"}, timeout=5)
    assert r.status_code == 403 and "serverInfo" not in r.text


def test_http_token_enforced(gated_server):
    url = gated_server
    for headers in (
        {},
        {"Authorization": "Bearer wrong"},
        {"Authorization": f"Bearer {HTTP_TOKEN}x"},
        {"Authorization": f"Bearer {HTTP_TOKEN[:-1]}"},
        {"Authorization": HTTP_TOKEN},
        {"Authorization": f"Basic {HTTP_TOKEN}"},
        {"X-Upstream-Token": HTTP_TOKEN},
    ):
        for method in ("POST", "GET", "DELETE"):
            r = httpx.request(method, url, json=INIT, headers={**MCP_HEADERS, **headers}, timeout=5)
            assert r.status_code == 401, (method, headers, r.status_code)
            # no Bearer challenge: MCP clients would take it as "start OAuth" (this gate is a static token)
            assert "www-authenticate" not in r.headers
            assert HTTP_TOKEN not in r.text and "serverInfo" not in r.text
    # another path is gated too: nothing is reachable without the token
    assert httpx.get(url.replace("/mcp", "/"), timeout=5).status_code == 401
    ok = httpx.post(
        url, json=INIT, headers={**MCP_HEADERS, "Authorization": f"Bearer {HTTP_TOKEN}"}, timeout=5
    )
    assert ok.status_code == 200 and "serverInfo" in ok.text
    # the token does not switch off DNS-rebinding protection
    forged = {**MCP_HEADERS, "Authorization": f"Bearer {HTTP_TOKEN}", "Host": "evil.example"}
    assert httpx.post(url, json=INIT, headers=forged, timeout=5).status_code == 421


@pytest.mark.anyio
async def test_official_client_with_token(gated_server):
    url = gated_server
    good = httpx2.AsyncClient(headers={"Authorization": f"Bearer {HTTP_TOKEN}"}, timeout=10)
    async with good, Client(streamable_http_client(url, http_client=good)) as client:
        names = {t.name for t in (await client.list_tools()).tools}
        assert {"search_issues", "update_issue"} <= names
    bad = httpx2.AsyncClient(timeout=10)
    with pytest.raises(Exception):  # noqa: B017 - the SDK's own error type for a 401 varies by version
        async with bad, Client(streamable_http_client(url, http_client=bad)) as client:
            await client.list_tools()


def test_gate_compares_in_constant_time(monkeypatch):
    """The gate uses hmac.compare_digest on the whole header, never ==, and never calls the app on failure."""
    seen: list[tuple[bytes, bytes]] = []
    real = httpapp.hmac.compare_digest

    def spy(a, b):
        seen.append((a, b))
        return real(a, b)

    monkeypatch.setattr(httpapp.hmac, "compare_digest", spy)
    reached: list[str] = []

    async def inner(scope, receive, send):
        reached.append(scope["path"])
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    app = httpapp.BearerGate(inner, HTTP_TOKEN)

    async def go():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
            r1 = await c.get("/mcp", headers={"Authorization": "Bearer nope"})
            r2 = await c.get("/mcp")
            r3 = await c.get("/mcp", headers={"Authorization": f"Bearer {HTTP_TOKEN}"})
        return r1.status_code, r2.status_code, r3.status_code

    import anyio

    assert anyio.run(go) == (401, 401, 204)
    assert reached == ["/mcp"]
    expected = f"Bearer {HTTP_TOKEN}".encode()
    assert [given for given, _ in seen] == [b"Bearer nope", b"", expected]
    assert all(want == expected for _, want in seen)


def test_request_body_capped(gated_server):
    url = gated_server
    auth = {**MCP_HEADERS, "Authorization": f"Bearer {HTTP_TOKEN}"}
    big = dict(INIT, params={**INIT["params"], "pad": "x" * (httpapp.MAX_BODY + 10)})
    r = httpx.post(url, content=json.dumps(big), headers=auth, timeout=10)
    assert r.status_code == 413, r.status_code

    # the cap also holds when the client lies about (or omits) the length: stream it chunked
    def chunks():
        yield json.dumps(INIT)[:-1].encode() + b', "pad": "'
        for _ in range(20):
            yield b"y" * 65536
        yield b'"}'

    r = httpx.post(url, content=chunks(), headers=auth, timeout=10)
    assert r.status_code == 413, r.status_code
    # a normal request still works afterwards
    ok = httpx.post(url, json=INIT, headers=auth, timeout=5)
    assert ok.status_code == 200


def test_no_listener_on_other_interfaces(open_server):
    """Best effort: when this host has a non-loopback address, the server is not reachable on it."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("192.0.2.1", 9))  # TEST-NET: no packet is sent for a UDP connect
            outside = s.getsockname()[0]
    except OSError:
        pytest.skip("no non-loopback IPv4 address")
    if outside.startswith("127."):
        pytest.skip("no non-loopback IPv4 address")
    port = httpx.URL(open_server).port
    with pytest.raises(httpx.ConnectError):
        httpx.post(f"http://{outside}:{port}/mcp", json=INIT, headers=MCP_HEADERS, timeout=2)
