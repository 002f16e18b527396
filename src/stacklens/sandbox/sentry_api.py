"""Sentry REST `/api/0/` over the sandbox, as documented (sentry-rest-api.md + sentry-api-notes.md).

Shapes follow Sentry's serializers (ids are strings, `count` is a string, times with microseconds and `Z`);
errors are `{"detail": …}` or DRF-style field dicts; list endpoints page with a real `Link` header.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from stacklens.sandbox.search import DEFAULT_QUERY, Context, SearchError, compile_query
from stacklens.sandbox.shapes import (
    event_summary,
    exceptions,
    parse_time,
    sentry_tags,
    sentry_time,
    to_sentry_event,
)
from stacklens.sandbox.state import Sandbox

Json = dict[str, Any]
NOT_FOUND = "The requested resource does not exist"
FORBIDDEN = "You do not have permission to perform this action."
SORTS = {"date", "new", "freq", "user", "trends", "recommended", "priority"}
BAD_RELEASE_CHARS = "\r\n\f\x0c\t/\\"
_CURSOR = re.compile(r"(\d+(?:\.\d+)?):(\d+):([01])")
_PERIOD = re.compile(r"(\d+)([smhdw])")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


class ApiError(Exception):
    def __init__(self, status: int, body: Any) -> None:
        super().__init__(str(body))
        self.status, self.body = status, body


def detail(status: int, message: str) -> ApiError:
    return ApiError(status, {"detail": message})


def field_error(name: str, message: str) -> ApiError:
    return ApiError(400, {name: [message]})


Handler = Callable[[Request, Sandbox], Awaitable[Response]]


def endpoint(scope: str | tuple[str, ...]) -> Callable[[Handler], Callable[[Request], Awaitable[Response]]]:
    """Auth (401/403), organization check (404) and error shaping around a handler."""
    needed = (scope,) if isinstance(scope, str) else scope

    def wrap(fn: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def run(request: Request) -> Response:
            sb: Sandbox = request.scope["sandbox"]
            try:
                header = request.headers.get("authorization")
                if not header:
                    raise detail(401, "Authentication credentials were not provided.")
                kind, _, token = header.partition(" ")
                scopes = sb.config.sentry_tokens.get(token.strip()) if kind.lower() == "bearer" else None
                if scopes is None:
                    raise detail(401, "Invalid token")
                if not any(s in scopes for s in needed):
                    raise detail(403, FORBIDDEN)
                org = request.path_params.get("org")
                if org is not None and org not in (sb.config.org, sb.org["id"]):
                    raise detail(404, NOT_FOUND)
                return await fn(request, sb)
            except ApiError as err:
                return JSONResponse(err.body, err.status)

        return run

    return wrap


# --- shapes ----------------------------------------------------------------------------------------------


def base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def t(dt: datetime | None) -> str | None:
    return sentry_time(dt) if dt else None


def user_json(m: Json) -> Json:
    return {
        "id": m["id"],
        "name": m["name"],
        "username": m["username"],
        "email": m["email"],
        "avatarUrl": None,
        "isActive": True,
    }


def actor_json(sb: Sandbox, ref: str | None) -> Json | None:
    if not ref:
        return None
    kind, _, ident = ref.partition(":")
    if kind == "team" and ident in sb.teams:
        return {"type": "team", "id": ident, "name": sb.teams[ident]["slug"], "email": None}
    m = sb.members.get(ident)
    return {"type": "user", "id": ident, "name": m["name"], "email": m["email"]} if m else None


def project_ref(p: Json) -> Json:
    return {"id": p["id"], "name": p["name"], "slug": p["slug"], "platform": p["platform"]}


def version_info(version: str) -> Json:
    package, _, rest = version.rpartition("@") if "@" in version else ("", "", version)
    raw, _, build = rest.partition("+")
    m = re.match(r"(\d+)\.(\d+)\.(\d+)(?:-(.+))?$", raw)
    parsed = None
    if m:
        parsed = {
            "raw": rest,
            "major": int(m[1]),
            "minor": int(m[2]),
            "patch": int(m[3]),
            "pre": m[4],
            "buildCode": build or None,
            "components": 3,
        }
    return {
        "package": package or None,
        "version": parsed or {"raw": rest},
        "description": rest,
        "buildHash": None,
    }


def release_stub(sb: Sandbox, version: str | None) -> Json | None:
    r = sb.release_by(version) if version else None
    if not version:
        return None
    return {
        "version": version,
        "shortVersion": version,
        "dateCreated": t(r["dateCreated"]) if r else None,
        "dateReleased": t(r["dateReleased"]) if r else None,
        "url": r["url"] if r else None,
        "versionInfo": version_info(version),
    }


def issue_json(sb: Sandbox, issue: Json, base: str, *, stats: bool = False) -> Json:
    project = sb.projects[issue["project"]]
    logger = next((e["sdk"].get("logger") for e in sb.events.get(issue["id"], [])[:1]), None)
    out = {
        "id": issue["id"],
        "shareId": None,
        "shortId": issue["shortId"],
        "title": issue["title"],
        "culprit": issue["culprit"],
        "permalink": f"{base}/organizations/{sb.config.org}/issues/{issue['id']}/",
        "logger": logger,
        "level": issue["level"],
        "status": issue["status"],
        "statusDetails": issue.get("statusDetails") or {},
        "substatus": issue.get("substatus"),
        "isPublic": False,
        "platform": project["platform"],
        "project": project_ref(project),
        "type": issue.get("type", "error"),
        "metadata": issue.get("metadata") or {},
        "numComments": 0,
        "assignedTo": actor_json(sb, issue.get("assignedTo")),
        "isBookmarked": bool(issue.get("isBookmarked")),
        "isSubscribed": bool(issue.get("isSubscribed")),
        "subscriptionDetails": None,
        "hasSeen": bool(issue.get("hasSeen")),
        "annotations": [],
        "issueType": "error",
        "issueCategory": "error",
        "priority": issue.get("priority"),
        "priorityLockedAt": None,
        "isUnhandled": bool(issue.get("isUnhandled")),
        "count": str(issue["count"]),
        "userCount": issue["userCount"],
        "firstSeen": t(issue["firstSeen"]),
        "lastSeen": t(issue["lastSeen"]),
        "firstRelease": release_stub(sb, issue.get("firstRelease")),
        "lastRelease": release_stub(sb, issue.get("lastRelease")),
    }
    if stats:
        out["stats"] = {"24h": _hourly(sb, issue)}
        out["lifetime"] = {k: out[k] for k in ("count", "userCount", "firstSeen", "lastSeen")}
    return out


def _hourly(sb: Sandbox, issue: Json) -> list[list[int]]:
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    buckets = [now - timedelta(hours=h) for h in range(23, -1, -1)]
    counts = defaultdict(int)
    for e in sb.events.get(issue["id"], []):
        counts[e["when"].replace(minute=0, second=0, microsecond=0)] += 1
    return [[int(b.timestamp()), counts[b]] for b in buckets]


# --- paging -----------------------------------------------------------------------------------------------


def cursor_offset(request: Request) -> int:
    raw = request.query_params.get("cursor")
    if not raw:
        return 0
    m = _CURSOR.fullmatch(raw)
    if not m:
        raise detail(400, "Invalid cursor parameter.")
    return int(m[2])


def page_size(request: Request, name: str = "limit", default: int = 100) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise detail(400, f"Invalid {name} parameter.") from None
    if value < 1:
        raise detail(400, f"Invalid {name} parameter.")
    return min(value, 100)


def link_header(request: Request, offset: int, limit: int, has_more: bool) -> str:
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "cursor"]
    here = str(request.url.replace(query=""))

    def part(rel: str, cursor: str, results: bool) -> str:
        url = here + "?" + urlencode([*params, ("cursor", cursor)], safe=":")
        return f'<{url}>; rel="{rel}"; results="{str(results).lower()}"; cursor="{cursor}"'

    prev = f"0:{max(offset - limit, 0)}:1"
    return part("previous", prev, offset > 0) + ", " + part("next", f"0:{offset + limit}:0", has_more)


def paged(request: Request, items: list[Any], limit: int, render: Callable[[Any], Any]) -> JSONResponse:
    offset = cursor_offset(request)
    page = items[offset : offset + limit]
    headers = {
        "Link": link_header(request, offset, limit, offset + limit < len(items)),
        "X-Hits": str(len(items)),
        "X-Max-Hits": "1000",
    }
    return JSONResponse([render(x) for x in page], headers=headers)


# --- organization and projects ---------------------------------------------------------------------------


@endpoint("org:read")
async def org_detail(request: Request, sb: Sandbox) -> Response:
    base = base_url(request)
    o = sb.org
    return JSONResponse(
        {
            "id": o["id"],
            "slug": o["slug"],
            "name": o["name"],
            "dateCreated": t(sb.at(420 * 86400)),
            "status": {"id": "active", "name": "active"},
            "isEarlyAdopter": False,
            "require2FA": False,
            "avatar": {"avatarType": "letter_avatar", "avatarUuid": None},
            "features": ["issue-search"],
            "links": {"organizationUrl": base, "regionUrl": base},
            "hasAuthProvider": False,
        }
    )


def project_json(sb: Sandbox, p: Json) -> Json:
    team = sb.teams.get(p.get("team") or "")
    team_ref = {"id": team["id"], "name": team["name"], "slug": team["slug"]} if team else None
    envs = sorted(
        {
            e["sdk"].get("environment")
            for i in sb.issues.values()
            if i["project"] == p["id"]
            for e in sb.events[i["id"]]
        }
        - {None}
    )
    return {
        **project_ref(p),
        "dateCreated": t(p["dateCreated"]),
        "isBookmarked": False,
        "isMember": True,
        "hasAccess": True,
        "status": "active",
        "features": ["releases"],
        "firstEvent": t(p["dateCreated"]),
        "team": team_ref,
        "teams": [team_ref] if team_ref else [],
        "environments": envs,
        "platforms": [p["platform"]],
        "latestRelease": None,
    }


@endpoint(("org:read", "project:read"))
async def projects_list(request: Request, sb: Sandbox) -> Response:
    projects = sorted(sb.projects.values(), key=lambda p: p["slug"])
    return paged(request, projects, page_size(request, "per_page"), lambda p: project_json(sb, p))


@endpoint("project:read")
async def project_detail(request: Request, sb: Sandbox) -> Response:
    p = sb.project_by(request.path_params["project"])
    if not p:
        raise detail(404, NOT_FOUND)
    return JSONResponse(project_json(sb, p))


# --- issues ------------------------------------------------------------------------------------------------


def _project_filter(request: Request, sb: Sandbox) -> set[str] | None:
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


def _environments(request: Request, sb: Sandbox) -> list[str]:
    envs = [e for e in request.query_params.getlist("environment") if e]
    if envs and not set(envs) & sb.environments():
        raise detail(404, NOT_FOUND)
    return envs


def _period_start(request: Request, now: datetime) -> datetime | None:
    period, start = request.query_params.get("statsPeriod"), request.query_params.get("start")
    if period:
        m = _PERIOD.fullmatch(period)
        if not m:
            raise detail(400, f"Invalid statsPeriod: {period!r}")
        return now - timedelta(seconds=int(m[1]) * _UNITS[m[2]])
    if start:
        try:
            return parse_time(start)
        except ValueError:
            raise detail(400, "start: invalid date") from None
    return None


def _sort_key(sort: str, now: datetime) -> Callable[[Json], Any]:
    def trend(i: Json) -> float:  # events per hour of life, a stand-in for Sentry's trend score
        return i["count"] / max((now - i["firstSeen"]).total_seconds() / 3600, 1)

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
    envs = _environments(request, sb)
    ctx = Context(sb, now, envs)
    try:
        predicate = compile_query(query, ctx)
    except SearchError as err:
        raise detail(400, str(err)) from None
    since = _period_start(request, now)
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
    projects = _project_filter(request, sb)
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


def _issue(request: Request, sb: Sandbox) -> Json:
    issue = sb.issue_by(request.path_params["issue"])
    if issue is None:
        raise detail(404, NOT_FOUND)
    return issue


@endpoint("event:read")
async def issue_detail(request: Request, sb: Sandbox) -> Response:
    return JSONResponse(issue_json(sb, _issue(request, sb), base_url(request)))


def _assignee(sb: Sandbox, value: Any) -> str | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise field_error("assignedTo", "Unknown actor input")
    text = str(value).strip()
    kind, sep, ident = text.partition(":")
    if sep and kind == "team":
        if ident in sb.teams:
            return f"team:{ident}"
    elif sep and kind == "user":
        if ident in sb.members:
            return f"user:{ident}"
    elif text.startswith("#"):
        team = next((tm for tm in sb.teams.values() if tm["slug"] == text[1:]), None)
        if team:
            return f"team:{team['id']}"
    else:
        m = next((m for m in sb.members.values() if text in (m["id"], m["username"], m["email"])), None)
        if m:
            return f"user:{m['id']}"
    raise field_error("assignedTo", "Unknown actor input")


def _bool(body: Json, name: str) -> bool | None:
    if name not in body:
        return None
    if not isinstance(body[name], bool):
        raise field_error(name, "Must be a valid boolean.")
    return body[name]


def _window(details: Json, name: str) -> int | None:
    value = details.get(name)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ApiError(400, {"statusDetails": {name: ["A valid integer is required."]}})
    if name.endswith("Window") and value > 10080:
        raise ApiError(400, {"statusDetails": {name: ["Ensure this value is less than or equal to 10080."]}})
    return value


def plan_update(sb: Sandbox, body: Any) -> Json:
    """Validate a PUT body into the issue fields to set (Sentry's names). Raises ApiError(400)."""
    if not isinstance(body, dict):
        raise detail(400, "Invalid request body: expected a JSON object.")
    changes: Json = {}
    status = body.get("status")
    details = body.get("statusDetails") or {}
    if not isinstance(details, dict):
        raise field_error("statusDetails", "Invalid data. Expected a dictionary.")
    if status is not None:
        if status not in ("resolved", "resolvedInNextRelease", "unresolved", "ignored", "muted"):
            raise field_error("status", f'"{status}" is not a valid choice.')
        if status == "resolvedInNextRelease" or (status == "resolved" and details.get("inNextRelease")):
            changes.update(status="resolved", substatus=None, statusDetails={"inNextRelease": True})
        elif status == "resolved":
            resolved: Json = {}
            if details.get("inRelease"):
                version = str(details["inRelease"])
                if version != "latest" and not sb.release_by(version):
                    raise ApiError(
                        400, {"statusDetails": {"inRelease": ["Unable to find the given release."]}}
                    )
                resolved["inRelease"] = version
            if details.get("inCommit"):
                resolved["inCommit"] = details["inCommit"]
            changes.update(status="resolved", substatus=None, statusDetails=resolved)
        elif status == "unresolved":
            changes.update(status="unresolved", substatus="ongoing", statusDetails={})
        else:
            ignored: Json = {}
            minutes = _window(details, "ignoreDuration")
            if minutes:
                until = datetime.now(UTC) + timedelta(minutes=minutes)
                ignored.update(ignoreDuration=minutes, ignoreUntil=sentry_time(until))
            for count, window in (("ignoreCount", "ignoreWindow"), ("ignoreUserCount", "ignoreUserWindow")):
                n = _window(details, count)
                if n:
                    ignored.update({count: n, window: _window(details, window)})
            if details.get("ignoreUntilEscalating"):
                sub = "archived_until_escalating"
            else:
                sub = "archived_until_condition_met" if ignored else "archived_forever"
            changes.update(status="ignored", substatus=sub, statusDetails=ignored)
    if "substatus" in body and body["substatus"] is not None:
        changes["substatus"] = body["substatus"]
    if "assignedTo" in body:
        changes["assignedTo"] = _assignee(sb, body["assignedTo"])
    for name in ("hasSeen", "isBookmarked", "isSubscribed", "isPublic"):
        value = _bool(body, name)
        if value is not None:
            changes[name] = value
    if "priority" in body:
        if body["priority"] not in ("high", "medium", "low"):
            raise field_error("priority", f'"{body["priority"]}" is not a valid choice.')
        changes["priority"] = body["priority"]
    return changes


def apply_update(sb: Sandbox, issue: Json, changes: Json, *, actor: str) -> Json:
    """Apply validated changes, write audit entries; returns the changed fields in Sentry's response shape."""
    before = dict(issue)
    issue.update(changes)
    if "status" in changes and changes["status"] != before["status"]:
        event = {"resolved": "issue.resolve", "ignored": "issue.ignore", "unresolved": "issue.unresolve"}
        sb.add_audit(
            event[changes["status"]],
            actor=actor,
            target_type="issue",
            target=issue["id"],
            note=f"{event[changes['status']].split('.')[1]}d {issue['shortId']}",
            data={
                "shortId": issue["shortId"],
                "status": changes["status"],
                "statusDetails": changes.get("statusDetails") or {},
            },
        )
    if "assignedTo" in changes and changes["assignedTo"] != before.get("assignedTo"):
        who = changes["assignedTo"]
        sb.add_audit(
            "issue.assign" if who else "issue.unassign",
            actor=actor,
            target_type="issue",
            target=issue["id"],
            note=f"{'assigned' if who else 'unassigned'} {issue['shortId']}",
            data={"shortId": issue["shortId"], "assignedTo": who},
        )
    out = {k: v for k, v in changes.items() if k != "assignedTo"}
    if "assignedTo" in changes:
        out["assignedTo"] = actor_json(sb, changes["assignedTo"])
    if "status" in changes:
        out.setdefault("statusDetails", {})
        out.setdefault("substatus", issue.get("substatus"))
    return out


@endpoint("event:write")
async def issue_update(request: Request, sb: Sandbox) -> Response:
    issue = _issue(request, sb)
    changes = plan_update(sb, await _json(request))
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
    changes = plan_update(sb, await _json(request))
    if not targets:
        return Response(status_code=204)
    result: Json = {}
    for issue in targets:
        result = apply_update(sb, issue, changes, actor=sb.me)
    return JSONResponse(result)


async def _json(request: Request) -> Any:
    raw = await request.body()
    if not raw:
        return {}
    try:
        return json.loads(raw)
    except ValueError:
        raise detail(400, "JSON parse error - Expecting value") from None


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


# --- events ------------------------------------------------------------------------------------------------


def full_event(sb: Sandbox, issue: Json, events: list[Json], index: int) -> Json:
    record = events[index]
    newer = events[index - 1]["id"] if index > 0 else None
    older = events[index + 1]["id"] if index + 1 < len(events) else None
    release = release_stub(sb, record["sdk"].get("release"))
    return to_sentry_event(
        record["sdk"],
        project_id=issue["project"],
        group_id=issue["id"],
        release=release,
        next_event_id=newer,
        previous_event_id=older,
    )


def _issue_events(request: Request, sb: Sandbox, issue: Json) -> list[Json]:
    envs = _environments(request, sb)
    events = sb.events.get(issue["id"], [])
    return [e for e in events if e["sdk"].get("environment") in envs] if envs else list(events)


@endpoint("event:read")
async def events_list(request: Request, sb: Sandbox) -> Response:
    issue = _issue(request, sb)
    events = _issue_events(request, sb, issue)
    full = request.query_params.get("full", "").lower() in ("1", "true", "yes")
    limit = page_size(request, "per_page", page_size(request, "limit", 100))

    def render(record: Json) -> Json:
        event = full_event(sb, issue, events, events.index(record))
        return event if full else event_summary(event)

    return paged(request, events, limit, render)


@endpoint("event:read")
async def event_detail(request: Request, sb: Sandbox) -> Response:
    issue = _issue(request, sb)
    events = _issue_events(request, sb, issue)
    wanted = request.path_params["event_id"]
    if not events:
        raise detail(404, NOT_FOUND)
    if wanted == "latest":
        index = 0
    elif wanted == "oldest":
        index = len(events) - 1
    elif wanted == "recommended":  # the newest event with the richest data: exception, then request
        ranked = sorted(
            range(len(events)),
            key=lambda n: (not exceptions(events[n]["sdk"]), not events[n]["sdk"].get("request"), n),
        )
        index = ranked[0]
    else:
        index = next((n for n, e in enumerate(events) if e["id"] == wanted.lower().replace("-", "")), -1)
        if index < 0:
            raise detail(404, "Event not found")
    return JSONResponse(full_event(sb, issue, events, index))


# --- tags ------------------------------------------------------------------------------------------------


def tag_stats(events: list[Json]) -> dict[str, dict[str, Json]]:
    stats: dict[str, dict[str, Json]] = defaultdict(dict)
    for e in events:
        for key, value in sentry_tags(e["sdk"]):
            row = stats[key].setdefault(value, {"count": 0, "firstSeen": e["when"], "lastSeen": e["when"]})
            row["count"] += 1
            row["firstSeen"], row["lastSeen"] = (
                min(row["firstSeen"], e["when"]),
                max(row["lastSeen"], e["when"]),
            )
    return stats


def tag_value_rows(key: str, values: dict[str, Json], sort: str = "count") -> list[Json]:
    rows = [
        {
            "key": key,
            "name": v,
            "value": v,
            "count": s["count"],
            "firstSeen": t(s["firstSeen"]),
            "lastSeen": t(s["lastSeen"]),
        }
        for v, s in values.items()
    ]
    # As Sentry: `count`, `date`, `age` order most/newest first; any other value (`-count` included) is its
    # default `-id`, the most recently created value first (here: the latest first seen).
    field = {"count": "count", "date": "lastSeen", "age": "firstSeen"}.get(sort, "firstSeen")
    rows.sort(key=lambda r: r["value"])
    rows.sort(key=lambda r: r[field], reverse=True)
    return rows


@endpoint("event:read")
async def tag_values(request: Request, sb: Sandbox) -> Response:
    issue = _issue(request, sb)
    key = request.path_params["key"]
    values = tag_stats(_issue_events(request, sb, issue)).get(key)
    if not values:
        raise detail(404, NOT_FOUND)
    rows = tag_value_rows(key, values, request.query_params.get("sort") or "-id")
    return paged(request, rows, page_size(request, "per_page", 100), lambda r: r)


@endpoint("event:read")
async def tag_detail(request: Request, sb: Sandbox) -> Response:
    issue = _issue(request, sb)
    key = request.path_params["key"]
    values = tag_stats(_issue_events(request, sb, issue)).get(key)
    if not values:
        raise detail(404, NOT_FOUND)
    rows = tag_value_rows(key, values)
    return JSONResponse(
        {
            "key": key,
            "name": key,
            "uniqueValues": len(rows),
            "totalValues": sum(r["count"] for r in rows),
            "topValues": rows[:9],
        }
    )


@endpoint("event:read")
async def tags_list(request: Request, sb: Sandbox) -> Response:
    issue = _issue(request, sb)
    stats = tag_stats(_issue_events(request, sb, issue))
    out = []
    for key in sorted(stats):
        rows = tag_value_rows(key, stats[key])
        out.append(
            {"key": key, "name": key, "totalValues": sum(r["count"] for r in rows), "topValues": rows[:10]}
        )
    return JSONResponse(out)


# --- releases and deploys ---------------------------------------------------------------------------------


def deploy_json(d: Json) -> Json:
    return {
        "id": d["id"],
        "environment": d["environment"],
        "name": d.get("name"),
        "url": d.get("url"),
        "dateStarted": t(d.get("dateStarted")),
        "dateFinished": t(d.get("dateFinished")),
    }


def release_json(sb: Sandbox, r: Json, *, health: bool = False) -> Json:
    events = [e for evs in sb.events.values() for e in evs if e["sdk"].get("release") == r["version"]]
    new_groups = {pid: 0 for pid in r["projects"]}
    for issue in sb.issues.values():
        if issue.get("firstRelease") == r["version"] and issue["project"] in new_groups:
            new_groups[issue["project"]] += 1
    projects = []
    for pid in r["projects"]:
        p = sb.projects[pid]
        item = {
            "id": int(pid),
            "slug": p["slug"],
            "name": p["name"],
            "newGroups": new_groups[pid],
            "platform": p["platform"],
            "platforms": [p["platform"]],
            "hasHealthData": bool(r["health"]),
        }
        if health:
            h = r["health"]
            item["healthData"] = {
                "crashFreeUsers": h.get("crashFreeUsers"),
                "crashFreeSessions": h.get("crashFreeSessions"),
                "adoption": h.get("adoption"),
                "sessionsAdoption": h.get("adoption"),
                "totalUsers": h.get("users"),
                "totalSessions": h.get("sessions"),
                "totalUsers24h": (h.get("users") or 0) // 7,
                "totalSessions24h": (h.get("sessions") or 0) // 7,
                "sessionsCrashed": round(
                    (h.get("sessions") or 0) * (100 - (h.get("crashFreeSessions") or 100)) / 100
                ),
                "sessionsErrored": 0,
                "hasHealthData": bool(h),
                "durationP50": None,
                "durationP90": None,
                "stats": {},
            }
        projects.append(item)
    commits = sorted(r["commits"], key=lambda c: c["timestamp"], reverse=True)
    deploys = sorted(
        r["deploys"], key=lambda d: d.get("dateFinished") or d.get("dateStarted") or r["dateCreated"]
    )
    authors = {c.get("author_email"): c.get("author_name") for c in commits if c.get("author_email")}
    last_commit = None
    if commits:
        c = commits[0]
        last_commit = {
            "id": c["id"],
            "message": c.get("message"),
            "dateCreated": t(c["timestamp"]),
            "author": {"name": c.get("author_name"), "email": c.get("author_email")},
        }
    return {
        "id": r["id"],
        "version": r["version"],
        "shortVersion": r["version"],
        "status": "open",
        "versionInfo": version_info(r["version"]),
        "ref": r.get("ref"),
        "url": r.get("url"),
        "dateReleased": t(r.get("dateReleased")),
        "dateCreated": t(r["dateCreated"]),
        "data": {},
        "newGroups": sum(new_groups.values()),
        "owner": None,
        "commitCount": len(commits),
        "lastCommit": last_commit,
        "deployCount": len(deploys),
        "lastDeploy": deploy_json(deploys[-1]) if deploys else None,
        "authors": [{"name": n, "email": e} for e, n in authors.items()],
        "projects": projects,
        "firstEvent": t(min(e["when"] for e in events)) if events else None,
        "lastEvent": t(max(e["when"] for e in events)) if events else None,
        "currentProjectMeta": {},
        "userAgent": None,
    }


@endpoint("project:read")
async def releases_list(request: Request, sb: Sandbox) -> Response:
    projects = _project_filter(request, sb)
    query = (request.query_params.get("query") or "").lower()
    releases = [
        r
        for r in sb.releases
        if (projects is None or set(r["projects"]) & projects) and query in r["version"].lower()
    ]
    envs = [e for e in request.query_params.getlist("environment") if e]
    if envs:
        releases = [r for r in releases if any(d["environment"] in envs for d in r["deploys"])]
    releases.sort(key=lambda r: (r.get("dateReleased") or r["dateCreated"], r["id"]), reverse=True)
    health = request.query_params.get("health") in ("1", "true")
    return paged(
        request, releases, page_size(request, "per_page"), lambda r: release_json(sb, r, health=health)
    )


def _release(request: Request, sb: Sandbox) -> Json:
    r = sb.release_by(request.path_params["version"])
    if r is None:
        raise detail(404, NOT_FOUND)
    return r


@endpoint("project:read")
async def release_detail(request: Request, sb: Sandbox) -> Response:
    return JSONResponse(
        release_json(sb, _release(request, sb), health=request.query_params.get("health") == "1")
    )


def _date(body: Json, name: str) -> datetime | None:
    if body.get(name) in (None, ""):
        return None
    try:
        return parse_time(str(body[name]))
    except ValueError:
        raise field_error(
            name,
            "Datetime has wrong format. Use one of these formats instead: "
            "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].",
        ) from None


def _project_slugs(sb: Sandbox, value: Any, *, required: bool) -> list[str]:
    if value is None:
        if required:
            raise field_error("projects", "This field is required.")
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise field_error("projects", 'Expected a list of items but got type "str".')
    found = [sb.project_by(v) for v in value]
    if (required and not value) or any(p is None for p in found):
        raise field_error("projects", "Invalid project ids or slugs")
    return [p["id"] for p in found if p]


def _commits(value: Any) -> list[Json]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(c, dict) for c in value):
        raise field_error("commits", "Expected a list of items.")
    out = []
    for c in value:
        if not c.get("id") or not isinstance(c["id"], str) or len(c["id"]) > 64:
            raise ApiError(400, {"commits": [{"id": ["This field is required."]}]})
        when = parse_time(c["timestamp"]) if c.get("timestamp") else datetime.now(UTC)
        out.append(
            {
                "id": c["id"],
                "message": c.get("message"),
                "author_name": c.get("author_name"),
                "author_email": c.get("author_email"),
                "repository": c.get("repository"),
                "timestamp": when,
                "patch_set": c.get("patch_set") or [],
            }
        )
    return out


@endpoint(("project:releases", "project:write"))
async def release_create(request: Request, sb: Sandbox) -> Response:
    body = await _json(request)
    if not isinstance(body, dict):
        raise detail(400, "Invalid request body: expected a JSON object.")
    version = body.get("version")
    if not isinstance(version, str) or not version.strip():
        raise field_error("version", "This field is required.")
    if len(version) > 200:
        raise field_error("version", "Ensure this field has no more than 200 characters.")
    stripped = version.strip()
    if (
        any(c in version for c in BAD_RELEASE_CHARS)
        or stripped in (".", "..")
        or stripped.lower() == "latest"
    ):
        raise field_error("version", f"Release with name {version} is not allowed")
    projects = _project_slugs(sb, body.get("projects"), required=True)
    released = _date(body, "dateReleased")
    commits = _commits(body.get("commits"))
    existing = sb.release_by(version)
    if existing:
        existing["projects"] += [p for p in projects if p not in existing["projects"]]
        for name in ("ref", "url"):
            if body.get(name):
                existing[name] = body[name]
        if released:
            existing["dateReleased"] = released
        if commits:
            existing["commits"] = commits
        return JSONResponse(release_json(sb, existing), status_code=208)
    release = {
        "id": sb.new_id(),
        "jentryId": len(sb.releases) + 1,
        "version": version,
        "projects": projects,
        "ref": body.get("ref"),
        "url": body.get("url"),
        "dateCreated": datetime.now(UTC),
        "dateReleased": released,
        "commits": commits,
        "deploys": [],
        "health": {},
    }
    sb.releases.append(release)
    return JSONResponse(release_json(sb, release), status_code=201)


@endpoint("project:read")
async def deploys_list(request: Request, sb: Sandbox) -> Response:
    r = _release(request, sb)
    deploys = sorted(r["deploys"], key=lambda d: d.get("dateFinished") or r["dateCreated"], reverse=True)
    return JSONResponse([deploy_json(d) for d in deploys])


@endpoint(("project:releases", "project:write"))
async def deploy_create(request: Request, sb: Sandbox) -> Response:
    r = _release(request, sb)
    body = await _json(request)
    if not isinstance(body, dict):
        raise detail(400, "Invalid request body: expected a JSON object.")
    env = body.get("environment")
    if not isinstance(env, str) or not env.strip():
        raise field_error("environment", "This field is required.")
    if len(env) > 64 or any(c in env for c in "\r\n\t/"):
        raise field_error("environment", "Enter a valid value.")
    for p in _project_slugs(sb, body.get("projects"), required=False):
        if p not in r["projects"]:
            r["projects"].append(p)
    finished = _date(body, "dateFinished") or datetime.now(UTC)
    deploy = {
        "id": str(sb.new_id()),
        "environment": env,
        "name": body.get("name"),
        "url": body.get("url"),
        "dateStarted": _date(body, "dateStarted"),
        "dateFinished": finished,
    }
    r["deploys"].append(deploy)
    return JSONResponse(deploy_json(deploy), status_code=201)


# --- audit log ---------------------------------------------------------------------------------------------


def audit_row(sb: Sandbox, a: Json) -> Json:
    actor = sb.members.get(a.get("actor") or "")
    target_user = sb.members.get(a.get("targetObject") or "") if a.get("targetType") == "member" else None
    target = a.get("targetObject")
    return {
        "id": a["id"],
        "actor": user_json(actor) if actor else None,
        "event": a["event"],
        "ipAddress": a.get("ipAddress"),
        "note": a.get("note"),
        "targetObject": int(target) if target and str(target).isdigit() else None,
        "targetUser": user_json(target_user) if target_user else None,
        "data": a.get("data") or {},
        "dateCreated": t(a["when"]),
    }


@endpoint(("org:read", "org:write", "org:admin"))
async def audit_logs(request: Request, sb: Sandbox) -> Response:
    rows = sorted(sb.audit, key=lambda a: (a["when"], a["id"]), reverse=True)
    if event := request.query_params.get("event"):
        rows = [a for a in rows if a["event"] == event]
    if actor := request.query_params.get("actor"):
        rows = [a for a in rows if a.get("actor") == actor]
    limit = page_size(request, "per_page")
    offset = cursor_offset(request)
    page = rows[offset : offset + limit]
    options = sorted(
        {a["event"] for a in sb.audit}
        | {"issue.resolve", "issue.ignore", "issue.unresolve", "issue.assign", "issue.unassign"}
    )
    headers = {"Link": link_header(request, offset, limit, offset + limit < len(rows))}
    return JSONResponse({"rows": [audit_row(sb, a) for a in page], "options": options}, headers=headers)


P = "/api/0"
ROUTES = [
    Route(f"{P}/organizations/{{org}}/", org_detail),
    Route(f"{P}/organizations/{{org}}/projects/", projects_list),
    Route(f"{P}/projects/{{org}}/{{project}}/", project_detail),
    Route(f"{P}/organizations/{{org}}/issues/", issues_list),
    Route(f"{P}/organizations/{{org}}/issues/{{issue}}/", issue_detail),
    Route(f"{P}/organizations/{{org}}/issues/{{issue}}/", issue_update, methods=["PUT"]),
    Route(f"{P}/projects/{{org}}/{{project}}/issues/", issues_bulk_update, methods=["PUT"]),
    Route(f"{P}/organizations/{{org}}/issues/{{issue}}/events/", events_list),
    Route(f"{P}/organizations/{{org}}/issues/{{issue}}/events/{{event_id}}/", event_detail),
    Route(f"{P}/organizations/{{org}}/issues/{{issue}}/tags/", tags_list),
    Route(f"{P}/organizations/{{org}}/issues/{{issue}}/tags/{{key}}/", tag_detail),
    Route(f"{P}/organizations/{{org}}/issues/{{issue}}/tags/{{key}}/values/", tag_values),
    Route(f"{P}/organizations/{{org}}/shortids/{{short_id}}/", shortid_lookup),
    Route(f"{P}/organizations/{{org}}/releases/", releases_list),
    Route(f"{P}/organizations/{{org}}/releases/", release_create, methods=["POST"]),
    Route(f"{P}/organizations/{{org}}/releases/{{version:path}}/deploys/", deploys_list),
    Route(f"{P}/organizations/{{org}}/releases/{{version:path}}/deploys/", deploy_create, methods=["POST"]),
    Route(f"{P}/organizations/{{org}}/releases/{{version:path}}/", release_detail),
    Route(f"{P}/organizations/{{org}}/audit-logs/", audit_logs),
]
