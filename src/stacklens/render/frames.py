"""Frame selection: which frames of a stack show (in-app, the crash frame), library runs folded into
`… N frames in pkg`, recursion folded, the frame cap; then the shown items built."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from stacklens.events import Frame, package_of
from stacklens.events.limits import gap_at
from stacklens.render.budget import Plan
from stacklens.render.event_model import (
    FrameItem,
    FrameOut,
    HiddenFrames,
    OmittedFrames,
    RepeatedFrames,
    UnreadFrames,
)
from stacklens.render.frame_out import frame_out

_NOT_APP_SHOWN = 5  # newest frames shown when no frame of a stack is in-app
_REPEAT_MIN = 3  # a block of frames repeated this many times is folded (recursion)
_REPEAT_PERIOD = 4  # longest repeated block looked for


def _key(f: Frame) -> tuple[object, ...]:
    return (f.function, f.filename or f.abs_path, f.lineno, f.instruction_addr, f.module)


@dataclass
class _Run:
    """A frame (period 0) or a repeated block starting at `start`: `period` frames, `times` more repeats."""

    start: int
    period: int = 0
    times: int = 0


def _runs(frames: list[Frame]) -> list[_Run]:
    """Fold recursion: a block of 1–4 frames repeated ≥3 times in a row becomes the block + a marker.
    Linear: each position tries ≤4 periods, and a repeated stretch is skipped once found."""
    keys = [_key(f) for f in frames]
    n = len(keys)
    out: list[_Run] = []
    i = 0
    while i < n:
        found = None
        for p in range(1, _REPEAT_PERIOD + 1):
            if i + p * _REPEAT_MIN > n:
                break
            j, reps = i + p, 1
            while j + p <= n and keys[j : j + p] == keys[i : i + p]:
                j += p
                reps += 1
            if reps >= _REPEAT_MIN:
                found = (p, reps)
                break
        if found:
            p, reps = found
            out.extend(_Run(k) for k in range(i, i + p))
            out.append(_Run(i, p, reps - 1))
            i += p * reps
        else:
            out.append(_Run(i))
            i += 1
    return out


@dataclass
class Selection:
    items: list[
        tuple[str, int, int, int]
    ]  # ("frame", idx, 0, 0) | ("hidden", start, end, n) | ("unread", at, 0, n) …
    crash: int | None  # index of the newest frame (or its representative in a folded block)
    crash_app: int | None  # index of the crashing in-app frame (source + locals)


def _rep(runs: list[_Run], idx: int) -> int:
    """The shown frame standing for `idx` when `idx` sits inside a folded block."""
    for r in runs:
        if r.period and r.start <= idx < r.start + r.period * (r.times + 1):
            return r.start + (idx - r.start) % r.period
    return idx


def _split_runs(frames: list[Frame], at: int | None) -> list[_Run]:
    """Runs of the stack; with frames not read at `at`, of each side on its own (no fold across the gap)."""
    if at is None:
        return _runs(frames)
    after = [_Run(r.start + at, r.period, r.times) for r in _runs(frames[at:])]
    return _runs(frames[:at]) + after


def select(frames: list[Frame], flags: list[bool], all_frames: bool, unread: int = 0) -> Selection:
    """`unread`: frames of the stack not read, between its oldest few (`limits.gap_at`) and the rest."""
    n = len(frames)
    if not n:
        return Selection([], None, None)
    at = gap_at(n) if unread else None
    app_idx = [i for i, a in enumerate(flags) if a]
    if all_frames:
        visible = [True] * n
    elif app_idx:
        visible = list(flags)
        visible[-1] = True  # the crash frame, always
    else:
        visible = [i >= n - _NOT_APP_SHOWN for i in range(n)]
    runs = _split_runs(frames, at)
    folded = any(r.period for r in runs)
    crash = _rep(runs, n - 1) if folded else n - 1
    crash_app_raw = app_idx[-1] if app_idx else n - 1
    crash_app = _rep(runs, crash_app_raw) if folded else crash_app_raw
    items: list[tuple[str, int, int, int]] = []
    hidden_from: int | None = None
    hidden_count = 0
    pos = 0  # original index of the next frame not yet accounted for

    def flush_hidden() -> None:
        nonlocal hidden_from, hidden_count
        if hidden_from is not None:
            items.append(("hidden", hidden_from, pos, hidden_count))
            hidden_from, hidden_count = None, 0

    for r in runs:
        if at is not None and r.start >= at:
            flush_hidden()
            items.append(("unread", at, 0, unread))
            at = None
        if r.period:
            span = r.period * r.times
            block_visible = any(visible[k] for k in range(r.start, r.start + r.period))
            start = r.start + r.period
            if block_visible:
                flush_hidden()
                items.append(("repeated", r.period, r.times, 0))
            else:
                if hidden_from is None:
                    hidden_from = start
                hidden_count += span
            pos = start + span
            continue
        if visible[r.start] or r.start in (crash, crash_app):
            flush_hidden()
            items.append(("frame", r.start, 0, 0))
        else:
            if hidden_from is None:
                hidden_from = r.start
            hidden_count += 1
        pos = r.start + 1
    flush_hidden()
    return Selection(items, crash, crash_app)


def _packages(frames: list[Frame], start: int, end: int) -> list[str]:
    seen: dict[str, None] = {}
    for f in frames[start:end]:
        seen.setdefault(package_of(f), None)
        if len(seen) > 4:
            break
    return list(seen)


def frame_items(
    frames: list[Frame],
    flags: list[bool],
    sel: Selection,
    *,
    cap: int,
    detail: Literal["full", "app", "none"],
    primary: bool,
    plan: Plan,
    cache: dict[tuple[int, int, bool, int | None, bool], FrameOut],
) -> list[FrameItem]:
    if detail == "none":
        return []
    # Which selection items show, and the frame cap, first: on a 10,000-frame stack with frames="all" only
    # the kept newest frames are built, on every rung of the budget ladder.
    slots = [
        it
        for it in sel.items
        if (it[0] == "frame" and (detail != "app" or flags[it[1]] or it[1] == sel.crash))
        or (it[0] == "hidden" and detail == "full")
        or it[0] in ("repeated", "unread")
    ]
    shown = [i for i, it in enumerate(slots) if it[0] == "frame"]
    items: list[FrameItem] = []
    if len(shown) > cap:
        cut_at = shown[len(shown) - cap]  # keep the newest `cap` frames
        dropped = slots[:cut_at]
        count = sum(1 if k == "frame" else c if k == "hidden" else 0 for k, _, _, c in dropped)
        in_app = sum(1 for k, a, _, _ in dropped if k == "frame" and flags[a])
        items += [UnreadFrames(count=c) for k, _, _, c in dropped if k == "unread"]
        items.append(OmittedFrames(count=count, in_app=in_app))
        slots = slots[cut_at:]
    for kind, a, b, c in slots:
        if kind == "frame":
            is_crash_app = primary and a == sel.crash_app
            code = (plan.code or a in (sel.crash, sel.crash_app)) and detail == "full"
            source = plan.radius if is_crash_app else None
            vars_ = plan.vars and is_crash_app
            # The ladder rebuilds the event up to ~15 times: build each distinct frame rendering once.
            key = (id(frames), a, code, source, vars_)
            out = cache.get(key)
            if out is None:
                out = cache[key] = frame_out(
                    frames[a], flags[a], a == sel.crash, code=code, source=source, vars_=vars_
                )
            items.append(out)
        elif kind == "hidden":
            items.append(HiddenFrames(count=c, packages=_packages(frames, a, b)))
        elif kind == "unread":
            items.append(UnreadFrames(count=c))
        else:
            items.append(RepeatedFrames(frames=a, times=b))
    return items
