"""backends.narrow: client-side filters over a bounded, resumable scan of a cursor-paged issue list."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import anyio
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stacklens.backends.narrow import narrowing, parse_scan_cursor, scan
from stacklens.errors import InvalidInput
from stacklens.models import Issue
from stacklens.query import IssueFilter

NOW = datetime(2026, 12, 7, 12, tzinfo=UTC)


def pages_of(issues: list[Issue], size: int):
    async def fetch(cursor: str | None) -> tuple[list[Issue], str | None]:
        start = int(cursor or 0)
        nxt = start + size
        return issues[start:nxt], (str(nxt) if nxt < len(issues) else None)

    return fetch


def walk(issues: list[Issue], f: IssueFilter, *, limit: int, size: int, max_pages: int) -> list[str]:
    n = narrowing(f, ("min_events", "level"), now=NOW)
    seen: list[str] = []
    cursor = None
    for _ in range(1000):
        found = anyio.run(
            lambda c=cursor: scan(
                pages_of(issues, size), n, limit=limit, cursor=c, max_pages=max_pages, page_size=size
            )
        )
        seen += [i.id for i in found.issues]
        assert len(found.issues) <= limit
        if found.next_cursor is None:
            return seen
        cursor = found.next_cursor
    raise AssertionError("the walk did not end")


@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    counts=st.lists(st.integers(0, 9), max_size=40),
    limit=st.integers(1, 7),
    size=st.integers(1, 6),
    max_pages=st.integers(1, 3),
)
def test_paging_through_a_narrowed_scan_repeats_and_skips_nothing(counts, limit, size, max_pages):
    issues = [Issue(id=str(k), count=c, level="error") for k, c in enumerate(counts)]
    f = IssueFilter.build(min_events=5)
    assert walk(issues, f, limit=limit, size=size, max_pages=max_pages) == [
        i.id for i in issues if (i.count or 0) >= 5
    ]


def test_a_bound_on_the_sort_key_ends_the_scan_early():
    issues = [Issue(id=str(k), last_seen=NOW - timedelta(hours=k)) for k in range(50)]
    f = IssueFilter.build(last_seen="24h", sort="last_seen")
    n = narrowing(f, ("last_seen",), now=NOW)
    requested: list[str | None] = []
    fetch = pages_of(issues, 10)

    async def counting(cursor: str | None):
        requested.append(cursor)
        return await fetch(cursor)

    found = anyio.run(lambda: scan(counting, n, limit=100, cursor=None, max_pages=10, page_size=10))
    assert [i.id for i in found.issues] == [str(k) for k in range(25)]
    assert found.next_cursor is None and len(requested) == 3  # the page holding hour 25 ends it
    assert "last_seen within 24h" in found.notes[0]


def test_a_paused_scan_says_so():
    issues = [Issue(id=str(k), count=0) for k in range(30)]
    n = narrowing(IssueFilter.build(min_events=1), ("min_events",), now=NOW)
    found = anyio.run(lambda: scan(pages_of(issues, 10), n, limit=5, cursor=None, max_pages=2, page_size=10))
    assert found.issues == [] and found.next_cursor == "20~0"
    assert any("scan paused after 20 issues" in note for note in found.notes)


@pytest.mark.parametrize("bad", ["x", "~", "a~b", "a~12345", "a\r\n~1", "x~1 ", " x~1"])
def test_foreign_cursors_are_refused(bad):
    with pytest.raises(InvalidInput):
        parse_scan_cursor(bad)


def test_assigned_other_than_none_is_refused():
    with pytest.raises(InvalidInput, match="none"):
        narrowing(IssueFilter.build(assigned="me"), ("assigned",), now=NOW)
