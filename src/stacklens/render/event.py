"""One event → compact Markdown for a model with a small context, plus the same trimmed content as a model.

DESIGN §4. What a developer needs first (exception types and values, their own frames with file, function
and line, the crash line with its source) always survives; the rest is cut to fit a byte budget in a fixed
order (local variables, breadcrumbs, tags/contexts, other exceptions' frames, …). Everything that came from
the application is inside one fenced block whose fence is longer than any backtick run in it (runs past 10
are shortened, so the fence stays short), so event text can neither close it nor pose as instructions; control
characters, terminal escapes, line separators and bidi overrides in it are shown as `\\uXXXX`. No I/O.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from stacklens.events import Event
from stacklens.render.budget import BUDGET, BUDGET_EXPANDED, FRAME_CAP, Plan, ladder
from stacklens.render.event_model import HiddenFrames, OmittedFrames, RepeatedFrames, TrimmedEvent
from stacklens.render.layout import PREFACE, FrameMemo, assemble, body_lines, clean, fenced, notes_for
from stacklens.render.trim import Trimmer

__all__ = [
    "BUDGET",
    "BUDGET_EXPANDED",
    "HiddenFrames",
    "OmittedFrames",
    "RepeatedFrames",
    "TrimmedEvent",
    "render_event",
]


def render_event(
    event: Event,
    *,
    frames: Literal["relevant", "all"] = "relevant",
    breadcrumbs: int = 10,
    scrub: Callable[[str], str] | None = None,
) -> tuple[str, TrimmedEvent]:
    """The event as compact Markdown (≤ 8 KB with the default options, whatever the payload's size) and the
    same content as a `TrimmedEvent` for scripts. Pure: no I/O. `scrub` (the upstream's token remover) is
    applied to the final text: escaping and cutting can join a token that the event split with a terminal
    escape or a break, so the text is scrubbed after them, not only the parsed JSON before."""
    text, result = _render(event, frames, breadcrumbs)
    return (scrub(text) if scrub is not None else text), result


def _render(event: Event, frames: Literal["relevant", "all"], breadcrumbs: int) -> tuple[str, TrimmedEvent]:
    trimmer = Trimmer(event, frames, breadcrumbs)
    expanded = frames == "all" or breadcrumbs > 10
    budget = BUDGET_EXPANDED if expanded else BUDGET
    first = Plan(
        all_frames=frames == "all", crumbs=trimmer.crumbs, cap=10**9 if frames == "all" else FRAME_CAP
    )
    trimmed: list[str] = []
    text, result = "", TrimmedEvent()
    memo: FrameMemo = {}  # each frame's lines built once, whichever plans show it
    for plan, note in ladder(first):
        if note:
            trimmed.append(note)
        result = trimmer.build(plan)
        result.notes = notes_for(result, trimmed, budget, frames == "all")
        text = assemble(result, result.notes, memo)
        if len(text.encode()) <= budget:
            return text, result
    # Still too big (pathological sizes): cut the data block itself, keeping its head (title, exceptions).
    result.notes.append("The event text was cut at the size limit.")
    notes = "\n".join(result.notes)
    room = budget - len(PREFACE.encode()) - len(notes.encode()) - 200
    body = (
        clean("\n".join(body_lines(result, memo))).encode()[:room].decode(errors="ignore")
        + "\n… [cut at the size limit]"
    )
    return "\n".join([PREFACE, fenced(body), notes]), result
