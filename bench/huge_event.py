"""Huge events: how long normalizing and rendering take as the payload grows (issue 11, item 5).

    python bench/huge_event.py [--frames 1000,20000,200000]

Each event is Python-shaped: one exception whose stack has N frames (every 50th in-app, with source
context and a few locals), 100 breadcrumbs and a deeply nested context. Times are wall-clock ms on this
machine, best of 3: `parse` is `json.loads` (the HTTP layer's share), `normalize` is `normalize_event`,
`render` is `render_event` with the default options and with frames="all".
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src")]

from _rpc import table  # noqa: E402

from stacklens.events import normalize_event  # noqa: E402
from stacklens.render.event import render_event  # noqa: E402


def huge_event(frames: int) -> dict[str, Any]:
    def frame(i: int) -> dict[str, Any]:
        app = i % 50 == 0 or i == frames - 1
        out = {
            "function": f"handler_{i}",
            "module": "shop.views" if app else "framework.core",
            "filename": f"shop/views_{i}.py" if app else f"framework/core_{i}.py",
            "abs_path": f"/srv/app/{'shop' if app else 'venv/framework'}/file_{i}.py",
            "lineno": 10 + i,
            "in_app": app,
            "context_line": f"    result = process(request, step={i})",
        }
        if app:
            out["pre_context"] = ["    def inner():", "        request = load()"]
            out["post_context"] = ["    return result", ""]
            out["vars"] = {"request": "<Request GET /checkout>", "step": str(i), "payload": "x" * 20}
        return out

    nested: dict[str, Any] = {}
    node = nested
    for _ in range(500):
        node["child"] = {}
        node = node["child"]
    return {
        "event_id": "a" * 32,
        "timestamp": "2026-11-21T14:03:00Z",
        "platform": "python",
        "level": "error",
        "exception": {
            "values": [
                {
                    "type": "RecursionError",
                    "value": "maximum recursion depth exceeded",
                    "stacktrace": {"frames": [frame(i) for i in range(frames)]},
                    "mechanism": {"type": "generic", "handled": False},
                }
            ]
        },
        "breadcrumbs": {"values": [{"message": f"step {i}", "category": "app"} for i in range(100)]},
        "contexts": {"runtime": {"name": "CPython", "version": "3.12.1"}, "deep": nested},
        "extra": {"deep": nested},
    }


def best_ms(fn: Any, runs: int = 3) -> tuple[float, Any]:
    best, out = float("inf"), None
    for _ in range(runs):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, (time.perf_counter() - t0) * 1000)
    return best, out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--frames", default="1000,20000,200000")
    args = parser.parse_args()
    rows = []
    for n in (int(x) for x in args.frames.split(",")):
        body = json.dumps(huge_event(n))
        parse_ms, raw = best_ms(lambda b=body: json.loads(b))
        norm_ms, event = best_ms(lambda r=raw: normalize_event(r))
        render_ms, (text, _) = best_ms(lambda e=event: render_event(e))
        all_ms, (all_text, _) = best_ms(lambda e=event: render_event(e, frames="all", breadcrumbs=100))
        rows.append(
            [
                f"{len(body) / 1e6:.1f}",
                f"{n:,}",
                f"{parse_ms:,.0f}",
                f"{norm_ms:,.0f}",
                f"{render_ms:,.0f}",
                f"{all_ms:,.0f}",
                f"{len(text.encode()):,}",
                f"{len(all_text.encode()):,}",
            ]
        )
    headers = ["payload MB", "frames", "parse ms", "normalize ms", "render ms", "render all ms"]
    print(table([*headers, "text bytes", "text bytes (all)"], rows))


if __name__ == "__main__":
    main()
