"""Serve a sandbox over real HTTP on 127.0.0.1 (uvicorn in a daemon thread) for end-to-end tests.

uvicorn is a dev dependency: imported here only.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from starlette.applications import Starlette

from stacklens.sandbox.app import create_app
from stacklens.sandbox.state import Sandbox


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def serve_in_thread(sandbox: Sandbox | Starlette, *, startup_timeout: float = 10.0) -> Iterator[str]:
    """Run the sandbox app (or a ready app) on a free loopback port; yields `http://127.0.0.1:PORT`."""
    import uvicorn

    app = create_app(sandbox) if isinstance(sandbox, Sandbox) else sandbox
    port = _free_port()
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=1,
        limit_concurrency=None,
        backlog=512,
    )
    server = uvicorn.Server(config)
    # No signal handlers to disable: uvicorn installs them only on the main thread.
    thread = threading.Thread(target=server.run, name=f"sandbox-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + startup_timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"sandbox server did not start on 127.0.0.1:{port}")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=5)
