"""What the analysis tools read through the Backend protocol (any backend), before the pure analysis runs:
the project's releases in order, per-release counts, deploys, release commits. Gaps become notes."""

from __future__ import annotations

import anyio

from stacklens.analysis import release_order
from stacklens.backends.base import Backend
from stacklens.errors import StacklensError
from stacklens.events import Event
from stacklens.models import Commit, Deploy, Issue, Release, TagValue
from stacklens.render.inline import code

MAX_RELEASES = 100  # the project's releases read to order them
MAX_DEPLOY_LOOKUPS = 12  # releases whose deploys are fetched (the issue's, oldest and newest first)


def issue_project(issue: Issue) -> str | None:
    return issue.project_id or issue.project


async def project_releases(b: Backend, issue: Issue, notes: list[str]) -> list[Release]:
    try:
        listed = await b.list_releases(project=issue_project(issue), limit=MAX_RELEASES)
    except StacklensError as exc:
        notes.append(f"the project's releases could not be read ({exc}): release order is by first event")
        return []
    if listed.next_cursor:
        notes.append(f"ordered by the project's {MAX_RELEASES} newest releases")
    return listed.releases


def counts_from_events(events: list[Event]) -> list[TagValue]:
    """Per-release counts over a sample of events (for an environment, or a tracker without tag counts)."""
    slots: dict[str, TagValue] = {}
    for e in events:
        if not e.release:
            continue
        slot = slots.setdefault(e.release, TagValue(value=e.release, count=0))
        slot.count = (slot.count or 0) + 1
        if e.time is not None:
            slot.first_seen = min(slot.first_seen or e.time, e.time)
            slot.last_seen = max(slot.last_seen or e.time, e.time)
    return list(slots.values())


async def deploys_of(
    b: Backend, versions: list[str], project: str | None, notes: list[str]
) -> dict[str, list[Deploy]]:
    found: dict[str, list[Deploy]] = {}
    failed: list[str] = []
    wanted = list(dict.fromkeys(versions))
    if len(wanted) > MAX_DEPLOY_LOOKUPS:
        notes.append(f"deploys read for {MAX_DEPLOY_LOOKUPS} of {len(wanted)} releases")
        wanted = wanted[:MAX_DEPLOY_LOOKUPS]

    async def one(version: str) -> None:
        try:
            found[version] = await b.release_deploys(version, project)
        except StacklensError:
            failed.append(version)

    async with anyio.create_task_group() as tg:
        for v in wanted:
            tg.start_soon(one, v)
    if failed:
        notes.append(f"deploys of {len(failed)} release(s) could not be read (not registered as releases?)")
    return found


def _why(exc: StacklensError) -> str:
    """A short cause without upstream text (the note names the release itself, inert)."""
    status = getattr(exc, "status", None)
    if status == 404:
        return "not registered as a release (404)"
    return f"upstream error {status}" if status else type(exc).__name__


def neighbours(releases: list[Release], first: str | None) -> tuple[list[str], str | None]:
    """(versions oldest first, the release before `first` or None)."""
    order = release_order(releases)
    if first in order:
        i = order.index(first)
        return order, order[i - 1] if i > 0 else None
    return order, None


async def commits_of(
    b: Backend, versions: list[str], project: str | None, notes: list[str]
) -> dict[str, list[Commit]]:
    found: dict[str, list[Commit]] = {}
    for v in versions:
        try:
            found[v] = await b.release_commits(v, project)
        except StacklensError as exc:
            notes.append(f"commits of release {code(v, 80)} could not be read ({_why(exc)})")
            continue
        if not found[v]:
            notes.append(
                f"release {code(v, 80)} has no commits recorded (set them with create_release or your CI)"
            )
    return found
