"""Odd payloads built by hand for the event tests (test_events_odd, test_render_budget, test_render_layout)."""

from __future__ import annotations

import json
import re
from typing import Any

from stacklens.events import normalize_event
from stacklens.render.event import BUDGET, BUDGET_EXPANDED, TrimmedEvent, render_event

ODD_VALUES: list[Any] = [None, 0, -1, 1.5, True, "", " ", [], {}, ["a", 1, None], {"k": {"v": [1, None]}}]
FRAME_KEYS = (
    "function", "filename", "abs_path", "module", "package", "platform", "lineno", "colno", "in_app",
    "context_line", "pre_context", "post_context", "vars", "instruction_addr", "context", "raw_function",
)  # fmt: skip
EVENT_KEYS = (
    "event_id", "timestamp", "platform", "level", "environment", "release", "message", "logentry",
    "transaction", "culprit", "tags", "contexts", "user", "request", "breadcrumbs", "threads", "stacktrace",
    "server_name", "title", "logger", "template", "dateCreated", "metadata", "occurrence",
)  # fmt: skip


def render_all(raw: Any) -> list[tuple[str, TrimmedEvent]]:
    """Every option combination; each text within its budget and its structured content serializable."""
    ev = normalize_event(raw)
    out = []
    for frames in ("relevant", "all"):
        for crumbs in (0, 10, 100):
            text, trimmed = render_event(ev, frames=frames, breadcrumbs=crumbs)  # type: ignore[arg-type]
            expanded = frames == "all" or crumbs > 10
            assert len(text.encode()) <= (BUDGET_EXPANDED if expanded else BUDGET)
            json.loads(trimmed.model_dump_json())
            out.append((text, trimmed))
    return out


def text_of(raw: Any, **options: Any) -> str:
    return render_event(normalize_event(raw), **options)[0]


def data_block(text: str) -> str:
    """The inside of the one fenced data block (asserting it is well formed)."""
    lines = text.split("\n")
    start = next(i for i, line in enumerate(lines) if re.fullmatch(r"`{3,}text", line))
    fence = lines[start][: -len("text")]
    closing = [i for i in range(start + 1, len(lines)) if lines[i].startswith("```")]
    assert closing and lines[closing[0]] == fence and len(closing) == 1
    return "\n".join(lines[start + 1 : closing[0]])


def odd_frame(i: int, **change: Any) -> dict[str, Any]:
    frame = {
        "function": f"step_{i}",
        "filename": f"shop/step_{i}.py",
        "lineno": 10 + i,
        "in_app": True,
        "context_line": f"    run_step_{i}()",
    }
    frame.update(change)
    return frame


def odd_exc(
    type_: str, value: str, frames: list[dict[str, Any]] | None = None, **extra: Any
) -> dict[str, Any]:
    return {"type": type_, "value": value, "stacktrace": {"frames": frames or []}, **extra}
