"""Raw JSON-RPC over a stacklens stdio subprocess: no client library in the timing, bytes as on the wire."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from typing import Any

PROTOCOL = "2025-11-25"  # what most desktop clients speak today
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": PROTOCOL,
        "capabilities": {},
        "clientInfo": {"name": "bench", "version": "0"},
    },
}


def clean_env() -> dict[str, str]:
    """The caller's environment minus real tokens: benchmarks only ever talk to the sandbox."""
    drop = ("SENTRY_AUTH_TOKEN", "SENTRY_ACCESS_TOKEN", "JENTRY_AUTH_TOKEN", "STACKLENS_HTTP_TOKEN")
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env["NETRC"] = os.devnull
    return env


class StdioServer:
    """`python -m stacklens ARGS` with pipes; send() writes one message, recv() reads one line."""

    def __init__(self, *args: str, env: dict[str, str] | None = None) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "stacklens", *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env={**clean_env(), **(env or {})},
        )

    def send(self, message: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(message).encode() + b"\n")
        self.proc.stdin.flush()

    def recv_line(self) -> bytes:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("stacklens exited before answering")
        return line

    def request(self, message: dict[str, Any]) -> bytes:
        """Send a request and return its response line (skipping notifications in between)."""
        self.send(message)
        for _ in range(1000):  # bounded: notifications (logs, progress) may come first
            line = self.recv_line()
            if json.loads(line).get("id") == message["id"]:
                return line
        raise RuntimeError("no response")

    def initialize(self) -> bytes:
        line = self.request(INITIALIZE)
        self.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        return line

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()  # end of input = the stdio transport's shutdown signal
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def pct(values: list[float], q: float) -> float:
    """The q-th percentile (0–100), nearest-rank: no interpolation between two samples."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def median(values: list[float]) -> float:
    return statistics.median(values)


def table(headers: list[str], rows: list[list[str]]) -> str:
    """A Markdown table (paste-ready for docs/speed.md), columns padded for the terminal."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    line = lambda cells: "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"  # noqa: E731
    sep = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(headers), sep, *(line(r) for r in rows)])
