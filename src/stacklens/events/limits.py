"""How much of one event payload is read at all: bounds applied while reading, before anything is built.

A 48 MB event with 200,000 frames must cost no more than a normal one. The renderer never shows more than
a few hundred frames, 5 exceptions (20 more by name), 100 breadcrumbs and 20 tags, so reading more only
costs time; what is dropped here is counted on the model and said in the rendering.
"""

from __future__ import annotations

from dataclasses import dataclass

STACK_NEWEST = 1000  # frames kept per stack, newest first (a Python RecursionError stack stays whole)
STACK_OLDEST = 20  # and the oldest few (the entry point), with the count dropped between them
STACK_MIN = 30  # a stack read after the event's frame budget ran out still keeps this many
FRAME_BUDGET = 5000  # frames read across all the stacks of one event
EXCEPTIONS = 50  # exceptions kept: the root cause and the newest 49
THREADS = 50  # threads kept: crashed/current/named by an exception first
BREADCRUMBS = 100  # the most any caller asks for
LIST_SCAN = 1000  # entries of a list looked at to find the last/first few valid objects
PAIRS = 500  # tags, query parameters, context keys looked at
CONTEXT_PAIRS = 200  # REST `context: [[lineNo, line], …]` rows looked at
TEXT = 4000  # characters kept of one string field (the renderer shows far less)


@dataclass
class FrameBudget:
    """Frames still to be read for this event; each stack takes what it needs, at least STACK_MIN."""

    left: int = FRAME_BUDGET

    def take(self, available: int) -> int:
        keep = min(available, STACK_NEWEST + STACK_OLDEST, max(STACK_MIN, self.left))
        self.left -= keep
        return keep


def gap_at(kept: int) -> int:
    """Where, in a stack read with frames dropped, the gap is: after the oldest few kept."""
    return min(STACK_OLDEST, kept // 4)
