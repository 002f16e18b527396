"""Jentry's client-side search: scanning one project's issue stream from its position (bounded), finding
the position again when issues moved between calls, and the notes that say what was done."""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from functools import partial

from stacklens.backends.fanout import gather
from stacklens.backends.jentry.cursor import Hit, Position, Stream, sort_value
from stacklens.backends.jentry.plan import JentryPlan
from stacklens.models import Issue, Project

SCAN_PAGE_SIZE = 100  # page size when filtering client-side (fewest requests per issue scanned)
SCAN_PAGES = 10  # per project and call: a client-side filter scans at most 1000 issues before pausing

# fetch(project, plan, page size, page number) → (issues, whether more pages follow)
FetchPage = Callable[[Project, JentryPlan, int, int], Awaitable[tuple[list[Issue], bool]]]
Tick = Callable[[Stream, int], Awaitable[None]]


def scan_page_size(plan: JentryPlan, limit: int) -> int:
    """Filtered client-side, pages as large as the API gives (fewest requests); else the page asked."""
    return SCAN_PAGE_SIZE if plan.predicate else limit


async def scan(s: Stream, plan: JentryPlan, page_size: int, need: int, fetch: FetchPage, tick: Tick) -> None:
    """Fetch pages of one project from its position until `need` matches, the end, or the budget.

    The first round trip fetches concurrently what this call surely needs: the position's page, the next
    one when (unfiltered) the rest of this page cannot fill `need`, and, when resuming at a page
    boundary, the page before (to find the anchor: issues resolved since the last call move the rest up
    into it)."""
    sort = plan.params["sort"]
    page, index = s.start.page, s.start.index
    s.resume = s.start
    boundary = s.start.anchor is not None and index == 0 and page > 1
    first = ([page - 1] if boundary else []) + [page]
    if plan.predicate is None and page_size - index < need and SCAN_PAGES > 1 and not s.start.last:
        first.append(page + 1)  # unfiltered, the rest of this page surely falls short
    fetched = await gather([partial(fetch, s.project, plan, page_size, n) for n in first])
    ready = dict(zip(first, fetched, strict=True))
    carried: list[Issue] = []
    if s.start.anchor is not None:
        carried, index = await _realign(s, plan, page_size, ready, fetch)
    for issue in carried:  # moved up out of `page` since the last call, not shown yet: they come first
        s.scanned += 1
        s.frontier = issue
        if plan.matches(issue):
            s.hits.append(Hit(issue, Position(page, 0, issue.id, sort_value(issue, sort))))
    while len(s.hits) < need and s.pages < SCAN_PAGES:
        if page in ready:
            issues, more = ready.pop(page)
        else:
            issues, more = await fetch(s.project, plan, page_size, page)
        s.pages += 1
        n = len(issues)
        # A bound on the sort key ends the scan early, trusted only when this page is in the order it
        # assumes (largest first): a server sorting the other way is scanned in full, not cut short.
        can_stop = plan.stop is not None and _descending(issues, sort)
        for i in range(index, n):
            issue = issues[i]
            s.scanned += 1
            if can_stop and plan.past_end(issue):
                await tick(s, page)
                s.exhausted, s.resume = True, None
                return
            s.frontier = issue
            key = sort_value(issue, sort)
            if i + 1 < n:
                after: Position | None = Position(page, i + 1, issue.id, key, not more)
            else:
                after = Position(page + 1, 0, issue.id, key) if more else None
            if plan.matches(issue):
                s.hits.append(Hit(issue, after))
        await tick(s, page)
        if not more:
            s.exhausted, s.resume = True, None
            return
        page, index = page + 1, 0
        last = issues[-1] if issues else None
        s.resume = (
            Position(page, 0, last.id, sort_value(last, sort))
            if last
            else Position(page, 0, s.resume.anchor, s.resume.key)
        )
    s.paused = len(s.hits) < need


async def _realign(
    s: Stream, plan: JentryPlan, page_size: int, ready: dict[int, tuple[list[Issue], bool]], fetch: FetchPage
) -> tuple[list[Issue], int]:
    """Page numbers drift when issues are added, resolved or move between calls; the anchor (the issue
    just before the position) finds the place again. Returns the issues of the page before that still
    follow the anchor, and the index in the position's page to resume at."""
    start, sort = s.start, plan.params["sort"]
    issues = ready[start.page][0]
    ids = [i.id for i in issues]
    if start.anchor in ids:
        return [], ids.index(start.anchor) + 1
    before: list[Issue] = []
    if start.page > 1:
        if start.page - 1 not in ready:  # a mid-page position whose anchor moved up a page
            ready[start.page - 1] = await fetch(s.project, plan, page_size, start.page - 1)
        before = ready.pop(start.page - 1)[0]
        ids = [i.id for i in before]
        if start.anchor in ids:
            return before[ids.index(start.anchor) + 1 :], 0
    # The anchor left the list (resolved, say): what sorts at or below its value then comes next. A tie
    # with it may repeat an issue; nothing is skipped.
    s.shifted = True
    key = start.key
    if key is None:
        return [], start.index

    def follows(issue: Issue) -> bool:
        value = sort_value(issue, sort)
        return value is None or value <= key

    for n, issue in enumerate(before):
        if follows(issue):
            return before[n:], 0
    return [], next((n for n, issue in enumerate(issues) if follows(issue)), len(issues))


def search_notes(
    plan: JentryPlan,
    streams: list[Stream],
    projects: list[Project],
    stopper: Stream | None,
    chosen: str | None,
    next_cursor: str | None,
) -> list[str]:
    notes: list[str] = []
    if not chosen:
        names = ", ".join(p.slug or p.name or p.id for p in projects[:20])
        more = f" and {len(projects) - 20} more" if len(projects) > 20 else ""
        notes.append(
            f"searched all {len(projects)} project(s) concurrently ({names}{more}), "
            f"merged by {plan.params['sort']}"
            if projects
            else "this token sees no project"
        )
    if plan.client_side:
        scanned = sum(s.scanned for s in streams)
        notes.append(
            "filtered client-side (Jentry's API cannot): "
            + ", ".join(plan.client_side)
            + f"; {scanned} issue(s) scanned"
        )
    if stopper is not None:
        notes.append(
            f"stopped early: scanned {stopper.scanned} issues of {stopper.label} "
            f"({stopper.pages} pages), more may match; pass cursor to continue"
        )
    if any(s.shifted for s in streams):
        notes.append("issues moved between pages since the previous call; an issue may repeat or be missed")
    return notes


def _descending(issues: list[Issue], sort: str) -> bool:
    """The known sort values of `issues` never increase (the order Jentry's issue list is read in)."""
    values = [v for v in (sort_value(i, sort) for i in issues) if v is not None]
    return all(a >= b for a, b in itertools.pairwise(values))
