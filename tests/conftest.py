"""Shared fixtures: a fresh sandbox per test, served by ONE uvicorn on 127.0.0.1 for the whole session.

The server's app reads `app.state.sandbox` on every request, so swapping it per test costs nothing.
The Sentry API is at `{sandbox_url}/api/0`, Jentry's at `{sandbox_url}/api/v1`.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.applications import Starlette

from bugsink_server import bugsink  # noqa: F401  (session fixture: a real Bugsink, see bugsink_server.py)
from stacklens.sandbox import Sandbox, create_app
from stacklens.sandbox.serve import serve_in_thread


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def sandbox_server() -> Iterator[tuple[Starlette, str]]:
    app = create_app(Sandbox())
    with serve_in_thread(app) as url:
        yield app, url


@pytest.fixture
def sandbox(sandbox_server: tuple[Starlette, str]) -> Iterator[Sandbox]:
    """A fresh Sandbox (dataset reloaded, no faults, empty request log), installed in the running server."""
    app, _ = sandbox_server
    fresh = Sandbox()
    app.state.sandbox = fresh
    yield fresh
    fresh.clear_faults()


@pytest.fixture
def sandbox_url(sandbox_server: tuple[Starlette, str], sandbox: Sandbox) -> str:
    """Base URL of the running sandbox (`http://127.0.0.1:PORT`), serving this test's `sandbox`."""
    return sandbox_server[1]
