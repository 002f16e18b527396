"""An issue's events: the list (optionally full; event search with `query` and a time window) and one event
by id or `latest`/`oldest`/`recommended`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from stacklens.sandbox.search import Context, SearchError, compile_event_query
from stacklens.sandbox.sentry.common import (
    NOT_FOUND,
    PERIOD,
    UNITS,
    Json,
    detail,
    endpoint,
    page_size,
    paged,
)
from stacklens.sandbox.sentry.issues import (
    environments_param,
    issue_or_404,
)
from stacklens.sandbox.sentry.serialize import (
    release_stub,
)
from stacklens.sandbox.shapes import (
    event_summary,
    exceptions,
    parse_time,
    to_sentry_event,
)
from stacklens.sandbox.state import Sandbox

# --- events ------------------------------------------------------------------------------------------------


def full_event(sb: Sandbox, issue: Json, events: list[Json], index: int) -> Json:
    record = events[index]
    newer = events[index - 1]["id"] if index > 0 else None
    older = events[index + 1]["id"] if index + 1 < len(events) else None
    release = release_stub(sb, record["sdk"].get("release"))
    return to_sentry_event(
        sb.payload(record),
        project_id=issue["project"],
        group_id=issue["id"],
        release=release,
        next_event_id=newer,
        previous_event_id=older,
    )


def issue_events(request: Request, sb: Sandbox, issue: Json) -> list[Json]:
    envs = environments_param(request, sb)
    events = sb.events.get(issue["id"], [])
    return [e for e in events if e["sdk"].get("environment") in envs] if envs else list(events)


def _time(request: Request, name: str) -> datetime:
    try:
        return parse_time(request.query_params[name])
    except ValueError:
        raise detail(400, f"{name}: invalid date") from None


def event_window(request: Request, now: datetime) -> tuple[datetime | None, datetime | None]:
    """(since, until) from `statsPeriod`, or from `start` and `end` (Sentry wants both); none = all time."""
    params = request.query_params
    if period := params.get("statsPeriod"):
        m = PERIOD.fullmatch(period)
        if not m:
            raise detail(400, f"Invalid statsPeriod: {period!r}")
        return now - timedelta(seconds=int(m[1]) * UNITS[m[2]]), None
    if params.get("start") or params.get("end"):
        if not (params.get("start") and params.get("end")):
            raise detail(400, "start and end are both required")
        start, end = _time(request, "start"), _time(request, "end")
        if start > end:
            raise detail(400, "start must be before end")
        return start, end
    return None, None


def searched_events(request: Request, sb: Sandbox, issue: Json) -> list[Json]:
    """The issue's events narrowed by `environment`, the time window and the event-search `query`."""
    now = datetime.now(UTC)
    events = issue_events(request, sb, issue)
    since, until = event_window(request, now)
    if since is not None:
        events = [e for e in events if e["when"] >= since and (until is None or e["when"] <= until)]
    query = (request.query_params.get("query") or "").strip()
    if query:
        ctx = Context(sb, now, environments_param(request, sb))
        try:
            match = compile_event_query(query, ctx, issue)
        except SearchError as err:
            raise detail(400, str(err)) from None
        events = [e for e in events if match(e)]
    return events


@endpoint("event:read")
async def events_list(request: Request, sb: Sandbox) -> Response:
    issue = issue_or_404(request, sb)
    events = searched_events(request, sb, issue)
    full = request.query_params.get("full", "").lower() in ("1", "true", "yes")
    limit = page_size(request, "per_page", page_size(request, "limit", 100))

    def render(index: int) -> Json:
        event = full_event(sb, issue, events, index)
        return event if full else event_summary(event)

    return paged(request, list(range(len(events))), limit, render)


@endpoint("event:read")
async def event_detail(request: Request, sb: Sandbox) -> Response:
    issue = issue_or_404(request, sb)
    events = issue_events(request, sb, issue)
    wanted = request.path_params["event_id"]
    if not events:
        raise detail(404, NOT_FOUND)
    if wanted == "latest":
        index = 0
    elif wanted == "oldest":
        index = len(events) - 1
    elif wanted == "recommended":  # the newest event with the richest data: exception, then request
        index = min(
            range(len(events)),
            key=lambda n: (not exceptions(events[n]["sdk"]), not events[n]["sdk"].get("request"), n),
        )
    else:
        index = next((n for n, e in enumerate(events) if e["id"] == wanted.lower().replace("-", "")), -1)
        if index < 0:
            raise detail(404, "Event not found")
    return JSONResponse(full_event(sb, issue, events, index))
