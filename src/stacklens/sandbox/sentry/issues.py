"""Issue search, detail, short-id lookup and the issue updates (single and bulk)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from stacklens.sandbox.search import DEFAULT_QUERY, Context, SearchError, compile_query
from stacklens.sandbox.sentry.common import (
    FORBIDDEN,
    NOT_FOUND,
    PERIOD,
    SORTS,
    UNITS,
    Json,
    base_url,
    detail,
    endpoint,
    page_size,
    paged,
    read_json,
)
from stacklens.sandbox.sentry.serialize import (
    issue_json,
)
from stacklens.sandbox.sentry.updates import apply_update, plan_update
from stacklens.sandbox.shapes import (
    parse_time,
)
from stacklens.sandbox.state import Sandbox

# --- issues ------------------------------------------------------------------------------------------------


def project_filter(request: Request, sb: Sandbox) -> set[str] | None:
    raw = request.query_params.getlist("project")
    if not raw:
        return None
    try:
        ids = {str(int(v)) for v in raw}
    except ValueError:
        raise detail(400, "Invalid project parameter. Values must be numbers.") from None
    if "-1" in ids:
        return None
    if any(i not in sb.projects for i in ids):
        raise detail(403, FORBIDDEN)
    return ids


def environments_param(request: Request, sb: Sandbox) -> list[str]:
    envs = [e for e in request.query_params.getlist("environment") if e]
    if envs and not set(envs) & sb.environments():
        raise detail(404, NOT_FOUND)
    return envs


def period_start(request: Request, now: datetime) -> datetime | None:
    period, start = request.query_params.get("statsPeriod"), request.query_params.get("start")
    if period:
        m = PERIOD.fullmatch(period)
        if not m:
            raise detail(400, f"Invalid statsPeriod: {period!r}")
        return now - timedelta(seconds=int(m[1]) * UNITS[m[2]])
    if start:
        try:
            return parse_time(start)
        except ValueError:
            raise detail(400, "start: invalid date") from None
    return None


def _sort_key(sort: str, now: datetime) -> Callable[[Json], Any]:
    def trend(i: Json) -> float:  # events per hour of life, a stand-in for Sentry's trend score
        count: int = i["count"]
        hours: float = (now - i["firstSeen"]).total_seconds() / 3600
        return count / max(hours, 1)

    keys: dict[str, Callable[[Json], Any]] = {
        "date": lambda i: i["lastSeen"],
        "new": lambda i: i["firstSeen"],
        "freq": lambda i: i["count"],
        "user": lambda i: i["userCount"],
        "trends": trend,
    }
    return keys.get(sort, keys["date"])


def search_issues(request: Request, sb: Sandbox, query: str, *, projects: set[str] | None) -> list[Json]:
    now = datetime.now(UTC)
    envs = environments_param(request, sb)
    ctx = Context(sb, now, envs)
    try:
        predicate = compile_query(query, ctx)
    except SearchError as err:
        raise detail(400, str(err)) from None
    since = period_start(request, now)
    found = []
    for issue in sb.issues.values():
        if projects is not None and issue["project"] not in projects:
            continue
        if envs and not ctx.events(issue):
            continue
        if since and issue["lastSeen"] < since:
            continue
        if predicate(issue):
            found.append(issue)
    return found


@endpoint("event:read")
async def issues_list(request: Request, sb: Sandbox) -> Response:
    params = request.query_params
    projects = project_filter(request, sb)
    query = params.get("query")
    query = DEFAULT_QUERY if query is None else query.strip()
    sort = params.get("sort") or "date"
    if sort not in SORTS:
        raise detail(400, f"Invalid sort: {sort!r}")
    limit = page_size(request, "limit", 25)
    if params.get("shortIdLookup") in ("1", "true") and (hit := sb.issue_by(query)) is not None:
        found = [hit] if projects is None or hit["project"] in projects else []
    else:
        found = search_issues(request, sb, query, projects=projects)
    found.sort(key=lambda i: i["id"], reverse=True)
    found.sort(key=_sort_key(sort, datetime.now(UTC)), reverse=True)
    base = base_url(request)
    return paged(request, found, limit, lambda i: issue_json(sb, i, base, stats=True))


def issue_or_404(request: Request, sb: Sandbox) -> Json:
    issue = sb.issue_by(request.path_params["issue"])
    if issue is None:
        raise detail(404, NOT_FOUND)
    return issue


@endpoint("event:read")
async def issue_detail(request: Request, sb: Sandbox) -> Response:
    return JSONResponse(issue_json(sb, issue_or_404(request, sb), base_url(request)))


@endpoint("event:write")
async def issue_update(request: Request, sb: Sandbox) -> Response:
    issue = issue_or_404(request, sb)
    changes = plan_update(sb, await read_json(request))
    apply_update(sb, issue, changes, actor=sb.me)
    return JSONResponse(issue_json(sb, issue, base_url(request)))


@endpoint("event:write")
async def issues_bulk_update(request: Request, sb: Sandbox) -> Response:
    project = sb.project_by(request.path_params["project"])
    if not project:
        raise detail(404, NOT_FOUND)
    ids = request.query_params.getlist("id")
    if ids:
        targets = [i for i in (sb.issues.get(x) for x in ids) if i and i["project"] == project["id"]]
    else:  # Sentry applies the update to what the query matches (default: unresolved), up to 1000 issues
        query = request.query_params.get("query") or "is:unresolved"
        targets = search_issues(request, sb, query, projects={project["id"]})[:1000]
    changes = plan_update(sb, await read_json(request))
    if not targets:
        return Response(status_code=204)
    result: Json = {}
    for issue in targets:
        result = apply_update(sb, issue, changes, actor=sb.me)
    return JSONResponse(result)


@endpoint("event:read")
async def shortid_lookup(request: Request, sb: Sandbox) -> Response:
    issue = sb.issue_by(request.path_params["short_id"])
    if issue is None or sb.issue_by(issue["shortId"]) is None:
        raise detail(404, "Short ID not found")
    project = sb.projects[issue["project"]]
    return JSONResponse(
        {
            "organizationSlug": sb.config.org,
            "projectSlug": project["slug"],
            "groupId": issue["id"],
            "shortId": issue["shortId"],
            "group": issue_json(sb, issue, base_url(request)),
        }
    )
