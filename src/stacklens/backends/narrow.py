"""Client-side narrowing over a bounded scan, for upstreams whose issue list cannot apply every filter.

A backend names the filters it must narrow itself (`narrowing`), then walks the upstream's cursor-paged list
with `scan`, which stops at `limit` matches, at the end of the list, at the first issue past a bound on the
sort key, or after `max_pages` pages — and says which in its notes, so the answer never looks complete when it
is not. The cursor it hands back is `<upstream cursor>~<issues already consumed from that page>`, so the next
call repeats and skips nothing.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime

from stacklens.errors import InvalidInput
from stacklens.models import Issue
from stacklens.query import IssueFilter

Check = Callable[[Issue], bool]
# fetch(upstream_cursor) → (issues of that page in the upstream's order, the next page's cursor or None)
FetchPage = Callable[[str | None], Awaitable[tuple[list[Issue], str | None]]]

NARROWABLE = ("level", "first_seen", "last_seen", "min_events", "release", "assigned")
_CURSOR = re.compile(r"(?P<up>[A-Za-z0-9_.:=%+/-]{0,2000})~(?P<skip>[0-9]{1,4})")


@dataclass
class Narrowing:
    checks: list[Check] = field(default_factory=list)
    described: list[str] = field(default_factory=list)
    # True for the first issue past a bound on the sort key, in the upstream's descending order: nothing
    # after it can match, so the scan ends there.
    stop: Check | None = None

    def matches(self, issue: Issue) -> bool:
        return all(check(issue) for check in self.checks)

    @property
    def active(self) -> bool:
        return bool(self.checks)


def narrowing(f: IssueFilter, fields: Collection[str], *, now: datetime | None = None) -> Narrowing:
    """Checks for the filters of `f` named in `fields` (a subset of NARROWABLE) that `f` actually sets."""
    now = now or datetime.now(UTC)
    n = Narrowing()
    if "level" in fields and f.levels:
        wanted = set(f.levels)
        n.checks.append(lambda i: (i.level or "").lower() in wanted)
        n.described.append("level in [" + ", ".join(f.levels) + "]")
    if "last_seen" in fields and f.last_seen:
        cut = f.last_seen.cutoff(now)
        n.checks.append(lambda i: i.last_seen is not None and i.last_seen >= cut)
        n.described.append(f"last_seen within {f.last_seen.text}")
    if "first_seen" in fields and f.first_seen:
        first_cut = f.first_seen.cutoff(now)
        n.checks.append(lambda i: i.first_seen is not None and i.first_seen >= first_cut)
        n.described.append(f"first_seen within {f.first_seen.text}")
    if "min_events" in fields and f.min_events is not None:
        least = f.min_events
        n.checks.append(lambda i: (i.count or 0) >= least)
        n.described.append(f"events >= {least}")
    if "release" in fields and f.release:
        rel = f.release
        n.checks.append(lambda i: rel in (i.first_release, i.last_release))
        n.described.append(f"release = {rel} (first or last release)")
    if "assigned" in fields and f.assigned:
        if f.assigned.lower() != "none":
            raise InvalidInput('this tracker does not assign issues to people: assigned only takes "none"')
        n.checks.append(lambda i: not i.assignee)
        n.described.append("unassigned")
    n.stop = _sort_bound(f, fields, now) if n.checks else None
    return n


def _sort_bound(f: IssueFilter, fields: Collection[str], now: datetime) -> Check | None:
    if f.sort == "last_seen":
        # An issue first seen in a window was last seen in it too: either window bounds last_seen.
        windows = [
            w
            for w, name in ((f.last_seen, "last_seen"), (f.first_seen, "first_seen"))
            if w and name in fields
        ]
        if windows:
            low = max(w.cutoff(now) for w in windows)
            return lambda i: i.last_seen is not None and i.last_seen < low
    if f.sort == "first_seen" and f.first_seen and "first_seen" in fields:
        first_low = f.first_seen.cutoff(now)
        return lambda i: i.first_seen is not None and i.first_seen < first_low
    if f.sort == "events" and f.min_events is not None and "min_events" in fields:
        least = f.min_events
        return lambda i: i.count is not None and i.count < least
    return None


def parse_scan_cursor(cursor: str | None) -> tuple[str | None, int]:
    """(upstream cursor, issues of that page already handed out); a malformed cursor is refused."""
    if not cursor:
        return None, 0
    match = _CURSOR.fullmatch(cursor)
    if not match:
        raise InvalidInput(
            "cursor is not one this server handed out: pass next_cursor from the previous answer"
        )
    return match["up"] or None, int(match["skip"])


def scan_cursor(upstream: str | None, skip: int) -> str:
    return f"{upstream or ''}~{skip}"


@dataclass
class ScanResult:
    issues: list[Issue]
    next_cursor: str | None
    notes: list[str]


async def scan(
    fetch: FetchPage, n: Narrowing, *, limit: int, cursor: str | None, max_pages: int, page_size: int
) -> ScanResult:
    """Up to `limit` matching issues from the upstream's pages, at most `max_pages` requests."""
    upstream, skip = parse_scan_cursor(cursor)
    found: list[Issue] = []
    scanned = 0
    for _ in range(max_pages):
        page, following = await fetch(upstream)
        for index, issue in enumerate(page[skip:], start=skip):
            if n.stop is not None and n.stop(issue):
                return ScanResult(found, None, _notes(n, scanned))
            scanned += 1
            if n.matches(issue):
                found.append(issue)
                if len(found) == limit:
                    rest = index + 1
                    nxt = None
                    if rest < len(page):
                        nxt = scan_cursor(upstream, rest)
                    elif following is not None:
                        nxt = scan_cursor(following, 0)
                    return ScanResult(found, nxt, _notes(n, scanned))
        if following is None or not page:
            return ScanResult(found, None, _notes(n, scanned))
        upstream, skip = following, 0
    note = f"scan paused after {scanned} issues ({max_pages} pages of {page_size}): pass next_cursor to go on"
    return ScanResult(found, scan_cursor(upstream, 0), [*_notes(n, scanned), note])


def _notes(n: Narrowing, scanned: int) -> list[str]:
    if not n.active:
        return []
    return [f"filtered client-side ({', '.join(n.described)}) over {scanned} issues scanned"]
