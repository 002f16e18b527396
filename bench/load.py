"""Load benchmark: one stacklens server, the official MCP client, the sandbox upstream over loopback HTTP.

The sandbox runs in its own process (so its CPU and memory are not counted as stacklens's); the stacklens
server runs in this one, in-process behind the official `mcp.Client`, where RSS and tracemalloc measure it.

1. Concurrency: 200 tool calls at once against a sandbox answering every request after 50 ms. All must
   succeed; the upstream connection pool must stay bounded (the sandbox counts requests in flight).
2. Memory: 5,000 sequential calls; RSS, tracemalloc's traced memory and live objects at checkpoints.

Usage: python bench/load.py [--backend sentry|jentry] [--concurrent 200] [--latency 0.05] [--calls 5000]
(`make bench` runs it with --calls 500 to stay within minutes; `make bench-full` runs the 5,000-call soak.)
Prints a table per backend. Needs no network and no token (the sandbox's own credentials are used).
"""

from __future__ import annotations

import argparse
import gc
import inspect
import os
import statistics
import sys
import time
import tracemalloc
from typing import Any

import anyio
import httpx
from mcp import Client

from stacklens.config import resolve
from stacklens.http import Upstream
from stacklens.sandbox import Sandbox, create_app
from stacklens.server import build_server

POOL = inspect.signature(Upstream).parameters["max_connections"].default
ISSUES = {"sentry": ["6120004400", "6120004622", "6120004844"], "jentry": ["101", "107", "113"]}


def settings_for(backend: str, url: str):  # type: ignore[no-untyped-def]
    cfg = Sandbox.defaults()
    env = {"NETRC": os.devnull}
    if backend == "sentry":
        env |= {"SENTRY_AUTH_TOKEN": cfg.sentry_token, "SENTRY_ORG": cfg.org, "SENTRY_URL": url}
    else:
        env |= {"JENTRY_AUTH_TOKEN": cfg.jentry_token, "JENTRY_URL": url, "STACKLENS_BACKEND": "jentry"}
    return resolve(env)


def mix(backend: str, n: int) -> list[tuple[str, dict[str, Any]]]:
    """n read calls cycling over what an assistant does while debugging."""
    kinds = [
        ("search_issues", lambda i: {"status": "all", "limit": 10}),
        ("get_issue", lambda i: {"issue": i}),
        ("get_latest_event", lambda i: {"issue": i}),
        ("list_issue_events", lambda i: {"issue": i, "limit": 5}),
        ("list_tag_values", lambda i: {"issue": i, "key": "release"}),
        ("list_projects", lambda i: {}),
    ]
    issues = ISSUES[backend]
    return [(kinds[k % len(kinds)][0], kinds[k % len(kinds)][1](issues[k % len(issues)])) for k in range(n)]


# --- the sandbox, in its own process, with a small control endpoint -------------------------------------


def serve_sandbox(port: int) -> None:
    """Child process: the sandbox on 127.0.0.1:port plus /__bench/{stats,reset,latency} for the parent."""
    import json

    import uvicorn

    sandbox = Sandbox()
    upstream = create_app(sandbox)

    async def app(scope, receive, send):  # type: ignore[no-untyped-def]
        if scope["type"] == "http" and scope["path"].startswith("/__bench/"):
            action = scope["path"].rsplit("/", 1)[-1]
            if action == "reset":
                sandbox.requests.clear()
                sandbox.peak_in_flight = 0
            elif action == "latency":
                sandbox.latency = float(scope["query_string"].decode() or 0)
            body = json.dumps({"requests": len(sandbox.requests), "peak": sandbox.peak_in_flight}).encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [(b"content-type", b"application/json")],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        await upstream(scope, receive, send)

    uvicorn.run(
        app, host="127.0.0.1", port=port, log_level="warning", access_log=False, lifespan="off", backlog=1024
    )


class SandboxProcess:
    def __init__(self) -> None:
        import socket
        import subprocess

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        self.proc = subprocess.Popen([sys.executable, __file__, "--serve-sandbox", str(port)])
        deadline = time.monotonic() + 30
        while True:
            try:
                self.control("stats")
                return
            except httpx.HTTPError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the sandbox process did not start") from None
                time.sleep(0.05)

    def control(self, action: str, value: str = "") -> dict[str, int]:
        url = f"{self.url}/__bench/{action}" + (f"?{value}" if value else "")
        return httpx.get(url, timeout=5).json()

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


# --- measurements -------------------------------------------------------------------------------------


def rss_mib() -> float:
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource  # peak, not current, where /proc is missing

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def concurrency(backend: str, sandbox: SandboxProcess, n: int, latency: float) -> dict[str, Any]:
    calls = mix(backend, n)
    async with Client(build_server(settings_for(backend, sandbox.url))) as client:
        await client.call_tool("list_projects", {})  # a warm session: project caches filled
        sandbox.control("reset")
        sandbox.control("latency", str(latency))
        took: list[float] = []
        errors: list[str] = []

        async def one(name: str, args: dict[str, Any]) -> None:
            t0 = time.perf_counter()
            result = await client.call_tool(name, args)
            took.append(time.perf_counter() - t0)
            if result.is_error:
                errors.append(f"{name}: {result.content[0].text[:100] if result.content else ''}")  # type: ignore[union-attr]

        t0 = time.perf_counter()
        with anyio.fail_after(120):
            async with anyio.create_task_group() as tg:
                for name, args in calls:
                    tg.start_soon(one, name, args)
        wall = time.perf_counter() - t0
        stats = sandbox.control("latency", "0")
    return {
        "calls": n,
        "ok": n - len(errors),
        "errors": errors[:3],
        "upstream": stats["requests"],
        "wall": wall,
        "p50": statistics.median(took),
        "p95": pct(took, 0.95),
        "peak": stats["peak"],
        "latency": latency,
    }


async def memory(backend: str, sandbox: SandboxProcess, n: int, trace: bool) -> list[dict[str, Any]]:
    calls = mix(backend, n)
    rows: list[dict[str, Any]] = []
    every = max(1, n // 5)
    async with Client(build_server(settings_for(backend, sandbox.url))) as client:
        for name, args in mix(backend, 200):  # warm-up: caches, lazy imports, pools
            await client.call_tool(name, args)
        gc.collect()
        if trace:
            tracemalloc.start()
        t0 = time.perf_counter()

        def checkpoint(done: int) -> None:
            sandbox.control("reset")  # the sandbox's request log is bounded too
            gc.collect()
            rows.append(
                {
                    "after": done,
                    "rss": rss_mib(),
                    "traced": tracemalloc.get_traced_memory()[0] / 1024 if trace else float("nan"),
                    "objects": len(gc.get_objects()),
                    "seconds": time.perf_counter() - t0,
                }
            )

        checkpoint(0)
        failures = 0
        for done, (name, args) in enumerate(calls, start=1):
            result = await client.call_tool(name, args)
            failures += bool(result.is_error)
            if done % every == 0 or done == n:
                checkpoint(done)
        if trace:
            tracemalloc.stop()
    rows[-1]["failures"] = failures
    return rows


def print_tables(backend: str, c: dict[str, Any], m: list[dict[str, Any]]) -> None:
    print(f"\n## {backend}: {c['calls']} concurrent calls, upstream latency {c['latency'] * 1000:.0f} ms")
    print("| calls | succeeded | upstream requests | wall | p50 call | p95 call | peak in flight | pool |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    print(
        f"| {c['calls']} | {c['ok']} | {c['upstream']} | {c['wall']:.2f} s | {c['p50'] * 1000:.0f} ms "
        f"| {c['p95'] * 1000:.0f} ms | {c['peak']} | {POOL} |"
    )
    if c["errors"]:
        print("errors:", *c["errors"], sep="\n  ")
    verdict = "bounded" if c["peak"] <= POOL else "NOT BOUNDED"
    print(f"pool {verdict}; one request at a time would take {c['upstream'] * c['latency']:.1f} s")
    print(f"\n## {backend}: {m[-1]['after']} sequential calls (after a 200-call warm-up)")
    print("| after calls | RSS | traced (tracemalloc) | live objects | elapsed |")
    print("|---:|---:|---:|---:|---:|")
    for r in m:
        print(
            f"| {r['after']} | {r['rss']:.1f} MiB | {r['traced']:.0f} KiB | {r['objects']} | {r['seconds']:.1f} s |"
        )
    first, last = m[0], m[-1]
    print(
        f"growth: RSS {last['rss'] - first['rss']:+.1f} MiB, traced {last['traced'] - first['traced']:+.0f} KiB, "
        f"objects {last['objects'] - first['objects']:+d}; failed calls: {last.get('failures', 0)}"
    )


def progress(phase: str) -> None:
    """One line per phase on stderr, so a long run shows where it is (the tables go to stdout)."""
    print(f"[{time.strftime('%H:%M:%S')}] {phase} …", file=sys.stderr, flush=True)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--backend", choices=("sentry", "jentry"), action="append")
    p.add_argument("--concurrent", type=int, default=200)
    p.add_argument("--latency", type=float, default=0.05)
    p.add_argument("--calls", type=int, default=5000)
    p.add_argument("--no-tracemalloc", action="store_true", help="RSS and objects only (tracing slows calls)")
    p.add_argument("--serve-sandbox", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.serve_sandbox:
        serve_sandbox(args.serve_sandbox)
        return
    sandbox = SandboxProcess()
    try:
        for backend in args.backend or ["sentry", "jentry"]:
            progress(f"load {backend}: {args.concurrent} concurrent calls")
            c = anyio.run(concurrency, backend, sandbox, args.concurrent, args.latency)
            progress(f"load {backend}: {args.calls} sequential calls (memory)")
            m = anyio.run(memory, backend, sandbox, args.calls, not args.no_tracemalloc)
            print_tables(backend, c, m)
    finally:
        sandbox.close()


if __name__ == "__main__":
    main()
