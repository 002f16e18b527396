"""Per-call overhead: `get_issue` through the official MCP client against a raw `httpx` GET of the same URL.

    python bench/overhead.py [--calls 200]

The sandbox runs in its own process on 127.0.0.1 (real HTTP, keep-alive), so the upstream costs the same in
every row. Rows: the raw GET (httpx.AsyncClient, connection reused), then `get_issue` via the MCP client
(a) in-process — the server object in this process, no transport: what stacklens + the SDK's dispatch add —
and (b) over stdio to a `stacklens` subprocess, as desktop clients run it (adds pipe I/O and JSON framing).
Target (issue 7): p50 overhead (MCP in-process p50 − raw p50) ≤ 5 ms.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable

import anyio
import httpx
from _rpc import clean_env, pct, table
from mcp import Client, StdioServerParameters

from stacklens.config import resolve
from stacklens.server import build_server

TARGET_MS = 5.0
SENTRY_TOKEN, JENTRY_TOKEN, ORG = "sandbox-sentry-token", "jto_sandbox_all", "acme"
SERVE = (
    "import sys, uvicorn; from stacklens.sandbox import Sandbox, create_app;"
    "uvicorn.run(create_app(Sandbox()), host='127.0.0.1', port=int(sys.argv[1]), log_level='error',"
    " access_log=False, lifespan='off')"
)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_sandbox() -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-c", SERVE, str(port)], env=clean_env(), stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            httpx.get(url + "/api/0/", timeout=0.5)
            return proc, url
        except httpx.HTTPError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("sandbox did not start")


def server_env(backend: str, url: str) -> dict[str, str]:
    if backend == "jentry":
        return {"JENTRY_AUTH_TOKEN": JENTRY_TOKEN, "JENTRY_URL": url, "STACKLENS_BACKEND": "jentry"}
    return {"SENTRY_AUTH_TOKEN": SENTRY_TOKEN, "SENTRY_ORG": ORG, "SENTRY_URL": url}


async def timed(call: Callable[[], Awaitable[object]], calls: int, warmup: int = 20) -> list[float]:
    for _ in range(warmup):  # connection pool, caches, first-call imports
        await call()
    samples = []
    for _ in range(calls):
        t0 = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - t0) * 1000)
    return samples


async def measure(backend: str, url: str, calls: int) -> dict[str, list[float]]:
    token = JENTRY_TOKEN if backend == "jentry" else SENTRY_TOKEN
    async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {token}"}) as http:
        if backend == "jentry":
            projects = (await http.get("/api/v1/projects")).json()["data"]
            issues = (await http.get(f"/api/v1/projects/{projects[0]['id']}/issues")).json()["data"]
            issue_id = str(issues[0]["id"])
            path = f"/api/v1/issues/{issue_id}"
        else:
            issues = (await http.get(f"/api/0/organizations/{ORG}/issues/", params={"query": ""})).json()
            issue_id = str(issues[0]["id"])
            path = f"/api/0/organizations/{ORG}/issues/{issue_id}/"

        async def raw() -> None:
            (await http.get(path)).raise_for_status()

        results = {"raw": await timed(raw, calls)}

    env = {**server_env(backend, url), "NETRC": os.devnull}

    async def via(client: Client) -> list[float]:
        async def call() -> None:
            result = await client.call_tool("get_issue", {"issue": issue_id})
            assert not result.is_error, result.content

        return await timed(call, calls)

    async with Client(build_server(resolve(env))) as client:
        results["inproc"] = await via(client)
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "stacklens"], env={**clean_env(), **env}
    )
    async with Client(params) as client:
        results["stdio"] = await via(client)
    return results


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calls", type=int, default=200)
    opts = ap.parse_args()
    proc, url = start_sandbox()
    try:
        rows, worst = [], 0.0
        for backend in ("sentry", "jentry"):
            r = anyio.run(measure, backend, url, opts.calls)
            base50, base95 = pct(r["raw"], 50), pct(r["raw"], 95)
            labels = {
                "raw": "raw httpx GET",
                "inproc": "MCP get_issue, in-process",
                "stdio": "MCP get_issue, stdio",
            }
            for key, label in labels.items():
                p50, p95 = pct(r[key], 50), pct(r[key], 95)
                extra = "—" if key == "raw" else f"{p50 - base50:+.2f} / {p95 - base95:+.2f}"
                rows.append([backend, label, f"{p50:.2f}", f"{p95:.2f}", extra])
            worst = max(worst, pct(r["inproc"], 50) - base50)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    print(f"get_issue vs raw GET, {opts.calls} calls each after 20 warm-up (ms; sandbox on 127.0.0.1)\n")
    print(table(["backend", "path", "p50", "p95", "overhead p50 / p95"], rows))
    verdict = "OK" if worst <= TARGET_MS else "OVER"
    print(
        f"\nin-process p50 overhead, worst backend: {worst:.2f} ms (target ≤ {TARGET_MS:.0f} ms): {verdict}"
    )


if __name__ == "__main__":
    main()
