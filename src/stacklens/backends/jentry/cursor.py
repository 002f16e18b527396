"""Jentry's cross-project search state: the opaque cursor and the merge of per-project issue streams.

Each project is read in the server's own order and keeps its own position (page, index, and the id and sort
value of the issue just before, to re-align when issues move between calls). The merge only ever takes a
stream's next issue, so what a page shows of each project is a prefix: paging repeats and skips nothing.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from stacklens.errors import InvalidInput
from stacklens.models import Issue, Project
from stacklens.query import IssueFilter

CURSOR_PREFIX = "j1."
# Sort key per `sort`: the Issue field Jentry orders by (newest / largest first).
SORT_FIELDS = {"last_seen": "last_seen", "first_seen": "first_seen", "events": "count", "users": "user_count"}
_CURSOR_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


# --- the cross-project cursor -----------------------------------------------------------------------


@dataclass(frozen=True)
class Position:
    """Where a project's issue stream resumes: `index` within server `page`; `anchor` = the id just before,
    `key` = its sort value then (to find the place again when the anchor itself left the list); `last` =
    `page` was the stream's last page then (the next one is not fetched ahead)."""

    page: int = 1
    index: int = 0
    anchor: str | None = None
    key: float | None = None
    last: bool = False


@dataclass
class CursorState:
    fingerprint: str
    page_size: int
    positions: dict[str, Position]
    done: set[str]


def encode_cursor(state: CursorState) -> str:
    body = {
        "v": 1,
        "f": state.fingerprint,
        "n": state.page_size,
        # Keys rounded up to whole numbers (seconds): shorter, and a realignment by key then leans to
        # repeating a tie rather than skipping one.
        "p": {
            pid: [p.page, p.index, p.anchor, None if p.key is None else math.ceil(p.key), int(p.last)]
            for pid, p in sorted(state.positions.items())
        },
        "d": sorted(state.done),
    }
    raw = json.dumps(body, separators=(",", ":"), sort_keys=True).encode()
    digest = hashlib.sha256(raw).hexdigest()[:12]
    # Compressed: one position per project must fit the cursor parameter (query.MAX_CURSOR characters).
    packed = base64.urlsafe_b64encode(zlib.compress(raw, 9)).decode().rstrip("=")
    return CURSOR_PREFIX + packed + "." + digest


_BAD_CURSOR = (
    "cursor is not valid (changed or truncated): pass the previous answer's next_cursor as is, "
    "or start again without cursor"
)


def decode_cursor(text: str, fingerprint: str) -> CursorState:
    """Parse and validate a cursor we issued; anything else is InvalidInput (before any request)."""
    if not text.startswith(CURSOR_PREFIX) or text.count(".") != 2 or len(text) > 20000:
        raise InvalidInput(_BAD_CURSOR)
    encoded, digest = text[len(CURSOR_PREFIX) :].split(".")
    try:
        raw = zlib.decompressobj().decompress(
            base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)), 200_000
        )
        body = json.loads(raw)
    except (ValueError, zlib.error, RecursionError):  # RecursionError: a forged cursor nested 100k deep
        raise InvalidInput(_BAD_CURSOR) from None
    if hashlib.sha256(raw).hexdigest()[:12] != digest or not isinstance(body, dict) or body.get("v") != 1:
        raise InvalidInput(_BAD_CURSOR)
    if body.get("f") != fingerprint:
        raise InvalidInput(
            "this cursor belongs to a different search: repeat the same parameters (only limit may change), "
            "or drop cursor to start again"
        )
    size, positions, done = body.get("n"), body.get("p"), body.get("d")
    if not (isinstance(size, int) and not isinstance(size, bool) and 1 <= size <= 100):
        raise InvalidInput(_BAD_CURSOR)
    if not isinstance(positions, dict) or not isinstance(done, list):
        raise InvalidInput(_BAD_CURSOR)
    state = CursorState(fingerprint, size, {}, set())
    for pid, value in positions.items():
        ok = (
            isinstance(pid, str)
            and _CURSOR_ID.fullmatch(pid)
            and isinstance(value, list)
            and 3 <= len(value) <= 5  # shorter: cursors issued before key and last were carried
        )
        if ok:
            page, index, anchor = value[:3]
            key = value[3] if len(value) > 3 else None
            last = value[4] if len(value) > 4 else 0
            ok = (
                all(isinstance(v, int) and not isinstance(v, bool) for v in (page, index))
                and 1 <= page <= 1_000_000
                and 0 <= index <= 100
                and (anchor is None or (isinstance(anchor, str) and _CURSOR_ID.fullmatch(anchor) is not None))
                and (
                    key is None
                    or (isinstance(key, int | float) and not isinstance(key, bool) and math.isfinite(key))
                )
                and last in (0, 1)
                and not isinstance(last, bool)
            )
        if not ok:
            raise InvalidInput(_BAD_CURSOR)
        state.positions[pid] = Position(
            page, index, anchor, float(key) if key is not None else None, last == 1
        )
    for pid in done:
        if not (isinstance(pid, str) and _CURSOR_ID.fullmatch(pid)) or pid in state.positions:
            raise InvalidInput(_BAD_CURSOR)
        state.done.add(pid)
    return state


def search_fingerprint(f: IssueFilter, scope: str) -> str:
    """What a cursor is bound to: every filter but cursor and limit, and the projects searched."""
    shown = f.model_dump(mode="json", exclude={"cursor", "limit"})
    shown["_scope"] = scope
    return hashlib.sha256(json.dumps(shown, sort_keys=True).encode()).hexdigest()[:16]


# --- merging per-project streams --------------------------------------------------------------------


def sort_value(issue: Issue, sort: str) -> float | None:
    """The issue's value under `sort` as a number (larger first); None when it has none."""
    number = sort_key(issue, sort)[0]
    return number if math.isfinite(number) else None


def sort_key(issue: Issue, sort: str) -> tuple[float, float]:
    """(sort value, id): larger first. Missing values sort last."""
    value = getattr(issue, SORT_FIELDS.get(sort, "last_seen"))
    if isinstance(value, datetime):
        number = value.timestamp()
    elif isinstance(value, int | float):
        number = float(value)
    else:
        number = -math.inf
    return number, float(issue.id) if issue.id.isdigit() else -1.0


@dataclass
class Hit:
    issue: Issue
    after: Position | None  # where the stream resumes after this issue; None = nothing follows


@dataclass
class Stream:
    """One project's issues in the server's order, from `start`: what one call scanned of them."""

    project: Project
    start: Position
    hits: list[Hit] = field(default_factory=list)
    resume: Position | None = None  # after everything scanned; None = the stream is exhausted
    exhausted: bool = False
    paused: bool = False  # the scan budget ran out before enough matches
    frontier: Issue | None = None  # the last issue scanned: nothing later in the stream sorts above it
    scanned: int = 0
    pages: int = 0
    shifted: bool = False

    @property
    def label(self) -> str:
        return self.project.slug or self.project.name or self.project.id


def merge_streams(
    streams: Sequence[Stream], limit: int, sort: str
) -> tuple[list[Issue], list[int], Stream | None]:
    """Merge the streams' heads by sort key, each stream consumed in its own order (so a position is a
    prefix). A paused stream stands for its unscanned rest, which sorts at or below its frontier: the merge
    stops there rather than emit anything that might have to come after it. Returns the issues, how many
    of each stream's hits were consumed, and the stream that stopped the page early (if any)."""
    used = [0] * len(streams)
    out: list[Issue] = []
    while len(out) < limit:
        best, best_key = -1, None
        for n, s in enumerate(streams):
            if used[n] < len(s.hits):
                key = sort_key(s.hits[used[n]].issue, sort)
            elif s.paused:
                value = sort_key(s.frontier, sort)[0] if s.frontier else math.inf
                key = (value, math.inf)  # ties go to the unscanned rest: stop rather than guess
            else:
                continue
            if best_key is None or key > best_key:
                best, best_key = n, key
        if best < 0:
            break
        stream = streams[best]
        if used[best] >= len(stream.hits):
            return out, used, stream
        out.append(stream.hits[used[best]].issue)
        used[best] += 1
    return out, used, None


def next_position(s: Stream, used: int) -> Position | None:
    """Where the stream resumes after `used` of its hits were shown; None = nothing left."""
    if used == len(s.hits) and (s.paused or s.exhausted):
        return s.resume  # the scanned rest did not match: skip it
    if used:
        return s.hits[used - 1].after
    return s.start
