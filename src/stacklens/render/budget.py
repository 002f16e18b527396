"""The size ladder: trimming plans from richest to barest, each with the note saying what it dropped."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

BUDGET = 8 * 1024  # bytes of text for the default options
BUDGET_EXPANDED = 48 * 1024  # frames="all" or more breadcrumbs: bigger, still bounded
FRAME_CAP = 30  # shown frames per exception (the newest kept)
EXCEPTION_CAP = 5  # exceptions rendered with their frames
MAX_CRUMBS = 100  # breadcrumbs=N is clamped to this


@dataclass(frozen=True)
class Plan:
    all_frames: bool
    crumbs: int
    vars: bool = True
    tags: bool = True  # tags and contexts
    others: Literal["full", "app", "none"] = "full"  # frames of the non-primary exceptions
    radius: int = 3  # source lines around the crash line
    code: bool = True  # source line on the other shown frames
    cap: int = FRAME_CAP
    value_cut: int = 300


def ladder(first: Plan) -> list[tuple[Plan, str]]:
    """Plans from richest to barest, each with the note saying what it dropped (DESIGN §4.8 order)."""
    steps: list[tuple[Plan, str]] = [(first, "")]

    def add(note: str, **change: object) -> None:
        steps.append((replace(steps[-1][0], **change), note))  # type: ignore[arg-type]

    add("local variables", vars=False)
    for n in (10, 3):
        if first.crumbs > n:
            add("older breadcrumbs", crumbs=n)
    if first.crumbs:
        add("breadcrumbs", crumbs=0)
    add("tags and contexts", tags=False)
    add("source lines of other frames", others="app")
    add("frames of the other exceptions", others="none")
    # frames="all" on a huge stack: as many of the newest frames as fit, not straight down to the default cap
    for cap in (400, 200, 100, 50):
        if first.cap > cap > FRAME_CAP:
            add("older frames", cap=cap)
    add("source around the crash line", radius=1)
    add("source lines of non-crash frames", code=False, radius=0)
    add("older in-app frames", cap=min(first.cap, 15))
    add("older in-app frames", cap=min(first.cap, 8), value_cut=150)
    return steps
