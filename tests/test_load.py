"""Load, bounded: many concurrent tool calls through ONE server against a sandbox answering with 50 ms latency
all succeed, with the upstream connection pool bounded (the sandbox counts requests in flight at once), and
memory stays flat over sequential calls. Small numbers here; `bench/load.py` runs the full figures.
"""

from __future__ import annotations

import functools
import gc
import inspect
import sys
import time

import anyio
import pytest

from mcp_helpers import DEMO_BACKENDS, inproc, text_of
from stacklens import server
from stacklens.http import Upstream

BACKENDS = DEMO_BACKENDS
ISSUES = {"sentry": ["6120004400", "6120004622", "6120004844"], "jentry": ["101", "107", "113"]}
DEFAULT_POOL = inspect.signature(Upstream).parameters["max_connections"].default


def mix(backend: str, n: int) -> list[tuple[str, dict]]:
    """n calls cycling over the read tools a busy assistant uses."""
    issues = ISSUES[backend]
    kinds = [
        ("get_issue", lambda i: {"issue": i}),
        ("get_latest_event", lambda i: {"issue": i}),
        ("search_issues", lambda i: {"status": "all", "limit": 5}),
        ("list_projects", lambda i: {}),
    ]
    return [(kinds[k % len(kinds)][0], kinds[k % len(kinds)][1](issues[k % len(issues)])) for k in range(n)]


async def run_concurrently(client, calls) -> tuple[list, float]:
    results: list = [None] * len(calls)

    async def one(n: int, name: str, args: dict) -> None:
        results[n] = await client.call_tool(name, args)

    t0 = time.monotonic()
    with anyio.fail_after(30):
        async with anyio.create_task_group() as tg:
            for n, (name, args) in enumerate(calls):
                tg.start_soon(one, n, name, args)
    return results, time.monotonic() - t0


@pytest.mark.anyio
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("pool", [DEFAULT_POOL, 4], ids=["default-pool", "pool-4"])
async def test_concurrent_calls_succeed_with_a_bounded_pool(backend, pool, sandbox, sandbox_url, monkeypatch):
    if pool != DEFAULT_POOL:
        monkeypatch.setattr(server, "Upstream", functools.partial(Upstream, max_connections=pool))
    sandbox.latency = 0.05
    calls = mix(backend, 24)
    async with inproc(backend, sandbox_url) as client:
        await client.call_tool("list_projects", {})  # warm the project caches, as a session would
        results, took = await run_concurrently(client, calls)
    failed = [(c, text_of(r)[:120]) for c, r in zip(calls, results, strict=True) if r is None or r.is_error]
    assert not failed, failed
    upstream_requests = len(sandbox.requests)
    assert upstream_requests >= len(calls)
    assert 1 < sandbox.peak_in_flight <= pool, (sandbox.peak_in_flight, pool)  # concurrent, and bounded
    serial = upstream_requests * 0.05  # what one request at a time would take
    if pool != DEFAULT_POOL:
        assert sandbox.peak_in_flight == pool  # the pool is what limits it …
        assert took >= serial / pool * 0.9  # … calls queue on it (and still all succeed)


@pytest.mark.anyio
@pytest.mark.parametrize("backend", BACKENDS)
async def test_memory_flat_over_sequential_calls(backend, sandbox, sandbox_url):
    """Live Python objects and interpreter memory blocks after 48 and after 96 sequential calls: flat."""
    calls = mix(backend, 24)

    def checkpoint() -> tuple[int, int]:
        sandbox.requests.clear()  # the sandbox shares this process: its request log must not count
        gc.collect()
        return len(gc.get_objects()), sys.getallocatedblocks()

    async with inproc(backend, sandbox_url) as client:
        for name, args in calls + calls:  # warm-up: caches, lazy imports, pools
            await client.call_tool(name, args)
        objects0, blocks0 = checkpoint()
        for _ in range(2):
            for name, args in calls:
                result = await client.call_tool(name, args)
                assert not result.is_error, text_of(result)
                sandbox.requests.clear()
        objects1, blocks1 = checkpoint()
    # A leak of one object per call would be +48 objects. Memory blocks settle slowly (interpreter and
    # library caches: a few hundred over the first thousand calls, then flat), so their bound is looser:
    # a leak of 10 small buffers per call would still show as +480.
    assert objects1 - objects0 < 24, f"{objects1 - objects0} more live objects after {2 * len(calls)} calls"
    assert blocks1 - blocks0 < 450, f"{blocks1 - blocks0} more memory blocks after {2 * len(calls)} calls"
