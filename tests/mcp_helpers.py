"""Drive the real server with the official MCP client: in-process, over stdio, over streamable HTTP.

Clients are opened inside test bodies (an anyio fixture yielding an open client breaks at teardown).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import httpx
from mcp import Client, StdioServerParameters

from stacklens.backends import BACKENDS
from stacklens.config import resolve
from stacklens.server import build_server

# The backends the sandbox speaks: the end-to-end suites run on each of them.
DEMO_BACKENDS = [name for name, d in BACKENDS.items() if d.demo]

SENTRY_TOKEN = "sandbox-sentry-token"
JENTRY_TOKEN = "jto_sandbox_all"
ORG = "acme"


def backend_env(backend: str, sandbox_url: str, **extra: str) -> dict[str, str]:
    """The environment a user would set to point stacklens at the sandbox."""
    if backend == "jentry":
        env = {"JENTRY_AUTH_TOKEN": JENTRY_TOKEN, "JENTRY_URL": sandbox_url, "STACKLENS_BACKEND": "jentry"}
    else:
        env = {"SENTRY_AUTH_TOKEN": SENTRY_TOKEN, "SENTRY_ORG": ORG, "SENTRY_URL": sandbox_url}
    env["NETRC"] = os.devnull
    env.update(extra)
    return env


@asynccontextmanager
async def inproc(
    backend: str, sandbox_url: str, *, read_only: bool = False, **extra: str
) -> AsyncIterator[Client]:
    """The real MCPServer, connected in-process (fast), configured exactly as from the environment."""
    settings = resolve(backend_env(backend, sandbox_url, **extra), read_only=read_only)
    async with Client(build_server(settings)) as client:
        yield client


@asynccontextmanager
async def inproc_env(env: dict[str, str], *, read_only: bool = False) -> AsyncIterator[Client]:
    """Like `inproc`, for a backend configured by a full environment (e.g. BUGSINK_URL + BUGSINK_AUTH_TOKEN)."""
    settings = resolve({"NETRC": os.devnull, **env}, read_only=read_only)
    async with Client(build_server(settings)) as client:
        yield client


def subprocess_env(extra: dict[str, str]) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "SYSTEMROOT", "VIRTUAL_ENV")}
    keep.update(extra)
    return keep


@asynccontextmanager
async def stdio(env: dict[str, str], *args: str) -> AsyncIterator[Client]:
    """`python -m stacklens ARGS` as a subprocess over stdio, as Claude Desktop would start it."""
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "stacklens", *args], env=subprocess_env(env)
    )
    async with Client(params) as client:
        yield client


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def http_server(env: dict[str, str], *args: str) -> Iterator[str]:
    """`stacklens --transport http` in a subprocess; yields its /mcp URL once it answers."""
    port = free_port()
    cmd = [sys.executable, "-m", "stacklens", "--transport", "http", "--port", str(port), *args]
    proc = subprocess.Popen(cmd, env=subprocess_env(env), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}/mcp"
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited: {proc.stderr.read().decode() if proc.stderr else ''}")
            try:
                # Headers are enough: a --stateless server answers GET with an event stream that stays open.
                with httpx.stream("GET", url, timeout=0.5):
                    break
            except httpx.HTTPError:
                time.sleep(0.05)
        else:
            raise RuntimeError("HTTP server did not start")
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()


def text_of(result: Any) -> str:
    return "\n".join(getattr(c, "text", "") for c in result.content)
