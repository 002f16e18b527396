"""What Jentry's API gives the analysis tools: its recent events (full payloads, `EVENT_WINDOW` at most: a
sample when the issue has more), filtered here by environment and period; and clear refusals, before any
request, for what it lacks: reading release commits or deploys back, deleting an issue, event search."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from stacklens.backends.jentry.events import EVENT_WINDOW, _event_time, in_environment, summary_of
from stacklens.backends.jentry.mapping import _no_controls
from stacklens.backends.json import JsonObject
from stacklens.errors import NotSupported
from stacklens.events import Event, normalize_event
from stacklens.models import EventList
from stacklens.query import parse_window
from stacklens.refs import IssueRef

if TYPE_CHECKING:
    from stacklens.backends.jentry.backend import JentryBackend

NO_COMMITS = (
    "Jentry's API cannot read release commits back (it only accepts them when a release is registered), so "
    "there are no changed files to match the stack against. Nothing was sent."
)
NO_DEPLOYS = "Jentry's API cannot read a release's deploys back (it only counts them). Nothing was sent."
NO_DELETE = "Jentry's API has no endpoint that deletes an issue. Nothing was sent."
NO_QUERY = (
    "Jentry's events API has no event search: query is Sentry only. Use environment and period, which are "
    "applied client-side. Nothing was sent."
)


def check_query(query: str | None) -> None:
    if query and query.strip():
        raise NotSupported(NO_QUERY)


def within_period(rows: list[JsonObject], period: str | None) -> tuple[list[JsonObject], str | None]:
    """The rows inside `period` (24h, 7d, or since a date), with the note saying it was done here."""
    window = parse_window(period, "period")
    if window is None:
        return rows, None
    cutoff = window.cutoff(datetime.now(UTC))
    kept = [r for r in rows if (t := _event_time(r)) is not None and t >= cutoff]
    note = (
        f"period {window.text!r} applied client-side over the {len(rows)} most recent events "
        f"({len(kept)} inside it; Jentry's events API has no time filter)"
    )
    return kept, note


async def recent_events(b: JentryBackend, ref: IssueRef, limit: int, environment: str | None) -> list[Event]:
    """Up to `limit` of the issue's most recent events (Jentry exposes EVENT_WINDOW at most); the
    environment is filtered here over that window."""
    limit = max(1, min(int(limit), EVENT_WINDOW))
    if environment:
        environment = _no_controls(environment.strip(), "environment", 200)
    rows = await b._events(ref, EVENT_WINDOW if environment else limit)
    rows = in_environment(rows, environment)
    return [normalize_event(r) for r in rows[:limit]]


async def events_in_period(
    b: JentryBackend, ref: IssueRef, limit: int, environment: str | None, period: str
) -> EventList:
    """list_issue_events with a period: the whole window fetched, then environment and period applied here."""
    limit = max(1, min(int(limit), EVENT_WINDOW))
    window_check = parse_window(period, "period")  # a bad period is refused before anything is sent
    if environment:
        environment = _no_controls(environment.strip(), "environment", 200)
    rows = await b._events(ref, EVENT_WINDOW)
    notes: list[str] = []
    if environment:
        rows = in_environment(rows, environment)
        notes.append(f"filtered to environment {environment!r} client-side")
    rows, note = within_period(rows, window_check.text if window_check else None)
    if note:
        notes.append(note)
    return EventList(issue=str(ref), events=[summary_of(r) for r in rows[:limit]], notes=notes)
