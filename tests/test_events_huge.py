"""Bounded work on huge and deep events (issue 11, item 5 and 6): the payload is cut while it is read, the
output still says what a developer needs, rendering runs off the event loop, and 100,000-deep JSON in any
free-form part of an event is no RecursionError."""

from __future__ import annotations

import copy
import threading
from typing import Any

import anyio
import anyio.to_thread
import pytest

from mcp_helpers import DEMO_BACKENDS, inproc, text_of
from odd_events import data_block, render_all
from stacklens.events import normalize_event
from stacklens.events.limits import EXCEPTIONS, FRAME_BUDGET, STACK_NEWEST, STACK_OLDEST, THREADS
from stacklens.render import trim
from stacklens.render.event import render_event


def _frame(i: int, n: int) -> dict[str, Any]:
    app = i % 50 == 0 or i == n - 1
    return {
        "function": f"handler_{i}",
        "module": "shop.views" if app else "framework.core",
        "filename": f"shop/views_{i}.py" if app else f"framework/core_{i}.py",
        "lineno": 10 + i,
        "in_app": app,
        "context_line": f"    result = process(step={i})",
        "vars": {"step": str(i)},
    }


def huge(frames: int = 200_000) -> dict[str, Any]:
    return {
        "event_id": "a" * 32,
        "platform": "python",
        "exception": {
            "values": [
                {
                    "type": "RecursionError",
                    "value": "maximum recursion depth exceeded",
                    "stacktrace": {"frames": [_frame(i, frames) for i in range(frames)]},
                }
            ]
        },
    }


def test_a_200k_frame_stack_is_read_in_part_and_says_so() -> None:
    ev = normalize_event(huge())
    (exc,) = ev.exceptions
    assert len(exc.frames) == STACK_NEWEST + STACK_OLDEST
    assert exc.frames_dropped == 200_000 - len(exc.frames)
    assert exc.frames[0].function == "handler_0" and exc.frames[-1].function == "handler_199999"
    for options in ({}, {"frames": "all"}, {"breadcrumbs": 100}):
        text, trimmed = render_event(ev, **options)  # type: ignore[arg-type]
        block = data_block(text)
        assert "RecursionError: maximum recursion depth exceeded" in block
        assert "shop/views_199999.py:200009 in handler_199999" in block  # the crash frame
        assert "result = process(step=199999)" in block  # its crash line
        assert "shop/views_199950.py:199960 in handler_199950" in block  # the newest in-app frames
        assert trimmed.exceptions[0].frame_count == 200_000
    all_text = render_event(ev, frames="all")[0]
    assert f"… {exc.frames_dropped} frames not read (the stack is too long)" in all_text


def test_frames_read_across_all_stacks_are_bounded() -> None:
    n = 5_000
    raw = {
        "exception": {"values": [huge(n)["exception"]["values"][0] for _ in range(EXCEPTIONS * 4)]},
        "threads": {
            "values": [
                {"id": i, "stacktrace": {"frames": [_frame(j, 10) for j in range(n)]}} for i in range(200)
            ]
            + [{"id": "main", "crashed": True, "stacktrace": {"frames": [_frame(j, 10) for j in range(n)]}}]
        },
    }
    ev = normalize_event(raw)
    assert len(ev.exceptions) == EXCEPTIONS and ev.exceptions_dropped == EXCEPTIONS * 3
    assert len(ev.threads) == THREADS and any(t.crashed for t in ev.threads)
    read = sum(len(e.frames) for e in ev.exceptions) + sum(len(t.frames) for t in ev.threads)
    assert read <= FRAME_BUDGET + (EXCEPTIONS + THREADS) * 30
    assert len(ev.exceptions[-1].frames) == STACK_NEWEST + STACK_OLDEST  # the outermost read first
    text, trimmed = render_event(ev)
    assert trimmed.exception_count == EXCEPTIONS * 4
    assert f"… and {EXCEPTIONS * 4 - 5 - 20} more" in text


def test_huge_lists_and_strings_are_cut_at_the_reader() -> None:
    raw = huge(10)
    raw["breadcrumbs"] = {"values": [{"message": f"crumb {i}"} for i in range(300_000)]}
    raw["tags"] = [[f"k{i}", "v"] for i in range(300_000)]
    raw["release"] = "r" * 10_000_000
    raw["contexts"] = {f"c{i}": {"type": "os", "name": "Linux"} for i in range(100_000)}
    raw["tags"].append(["K" * 10_000_000, "v"])
    raw["exception"]["values"][0]["stacktrace"]["frames"][-1]["vars"] = {"V" * 10_000_000: 1}
    ev = normalize_event(raw)
    assert len(ev.breadcrumbs) == 100 and ev.breadcrumbs[-1].message == "crumb 299999"
    assert len(ev.tags) <= 500 and len(ev.release or "") <= 4000
    assert all(len(k) <= 4000 for k in ev.exceptions[0].frames[-1].vars or {})
    render_all(raw)


def _deep(depth: int) -> Any:
    node: Any = "bottom"
    for i in range(depth):
        node = {"k": node} if i % 2 else [node]
    return node


@pytest.mark.parametrize(
    "where",
    ["contexts", "extra", "vars", "tag", "crumb", "query", "params", "value", "user", "message", "frames"],
)
def test_json_nested_100k_deep_anywhere_is_no_recursion_error(where: str) -> None:
    raw = huge(5)
    deep = _deep(100_000)
    exc = raw["exception"]["values"][0]
    if where == "contexts":
        raw["contexts"] = {
            "runtime": {"name": deep, "version": deep},
            "deep": deep,
            "trace": {"trace_id": deep},
        }
    elif where == "extra":
        raw["extra"] = {"deep": deep}
    elif where == "vars":
        exc["stacktrace"]["frames"][-1]["vars"] = {"deep": deep, "list": [deep]}
    elif where == "tag":
        raw["tags"] = {"deep": deep}
    elif where == "crumb":
        raw["breadcrumbs"] = [{"message": deep, "data": {"deep": deep}}, {"data": deep}]
    elif where == "query":
        raw["request"] = {"url": "https://x.test/", "query_string": [["q", deep]]}
    elif where == "params":
        raw["logentry"] = {"message": "a %s b", "params": [deep]}
    elif where == "value":
        exc["value"] = deep
    elif where == "user":
        raw["user"] = {"id": deep}
    elif where == "message":
        raw["message"] = deep
    else:
        exc["stacktrace"]["frames"][-1]["function"] = deep
        exc["stacktrace"]["frames"][-1]["pre_context"] = [deep]
    for text, _ in render_all(raw):
        assert "RecursionError" in text  # the event's own exception type, rendered


# --- off the event loop ---


@pytest.mark.anyio
@pytest.mark.parametrize("backend", DEMO_BACKENDS)
async def test_rendering_runs_in_a_worker_thread_and_others_are_served_meanwhile(
    backend: str, sandbox: Any, sandbox_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    loop_thread = threading.get_ident()
    started, release = threading.Event(), threading.Event()
    threads: list[int] = []
    build = trim.Trimmer.build

    def blocking_build(self: trim.Trimmer, plan: Any) -> Any:
        threads.append(threading.get_ident())
        started.set()
        assert release.wait(30), "the test never released the render"
        return build(self, plan)

    monkeypatch.setattr(trim.Trimmer, "build", blocking_build)
    issue = "6120004400" if backend == "sentry" else "101"
    results: dict[str, Any] = {}
    async with inproc(backend, sandbox_url) as client:

        async def slow() -> None:
            results["event"] = await client.call_tool("get_latest_event", {"issue": issue})

        async with anyio.create_task_group() as tg:
            tg.start_soon(slow)
            await anyio.to_thread.run_sync(started.wait)  # the render is under way, and blocked
            other = await client.call_tool("list_projects", {})  # served while it is
            assert not other.is_error and "shop-web" in text_of(other)
            assert "event" not in results
            release.set()
    assert not results["event"].is_error, text_of(results["event"])
    assert threads and loop_thread not in threads


def test_the_huge_event_is_not_mutated_by_rendering() -> None:
    ev = normalize_event(huge(3_000))
    before = copy.deepcopy(ev)
    render_event(ev, frames="all")
    assert ev == before
