"""Jentry REST `/api/v1/` over the sandbox, as its API page documents it (jentry-rest-api.md).

`{data: …}` envelopes, `{error: …}` errors, one scope per endpoint (401 bad token, 403 missing scope),
integer ids, millisecond `Z` timestamps, page/limit paging on the issues list.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from stacklens.sandbox.sentry.updates import apply_update
from stacklens.sandbox.shapes import jentry_time, parse_time, to_jentry_event
from stacklens.sandbox.state import Sandbox

Json = dict[str, Any]
STATUSES = ("unresolved", "resolved", "ignored")
LEVELS = ("fatal", "error", "warning", "info", "debug")
PERIODS = {"24h": timedelta(hours=24), "7d": timedelta(days=7), "14d": timedelta(days=14), "all": None}
SORTS = {"last_seen": "lastSeen", "first_seen": "firstSeen", "events": "count", "users": "userCount"}


class JentryError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


Handler = Callable[[Request, Sandbox], Awaitable[Response]]


def endpoint(scope: str) -> Callable[[Handler], Callable[[Request], Awaitable[Response]]]:
    def wrap(fn: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def run(request: Request) -> Response:
            sb: Sandbox = request.scope["sandbox"]
            try:
                kind, _, token = (request.headers.get("authorization") or "").partition(" ")
                scopes = sb.config.jentry_tokens.get(token.strip()) if kind.lower() == "bearer" else None
                if scopes is None:
                    raise JentryError(401, "Missing or invalid API token")
                if scope not in scopes:
                    raise JentryError(403, f"This token lacks the required scope: {scope}")
                return await fn(request, sb)
            except JentryError as err:
                return JSONResponse({"error": err.message}, err.status)

        return run

    return wrap


def _int(value: str | None, name: str, *, default: int, low: int = 1, high: int | None = None) -> int:
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise JentryError(400, f"{name} must be an integer") from None
    if number < low or (high is not None and number > high):
        raise JentryError(
            400, f"{name} must be between {low} and {high}" if high else f"{name} must be >= {low}"
        )
    return number


def _path_id(request: Request, name: str) -> int:
    raw = request.path_params[name]
    if not raw.isdigit():
        raise JentryError(400, f"invalid {name}: {raw!r}")
    return int(raw)


async def _body(request: Request) -> Json:
    try:
        body = json.loads(await request.body() or b"null")
    except ValueError:
        raise JentryError(400, "Invalid JSON body") from None
    if not isinstance(body, dict):
        raise JentryError(400, "Invalid JSON body: expected an object")
    return body


# --- shapes ----------------------------------------------------------------------------------------------


def issue_json(sb: Sandbox, issue: Json, base: str) -> Json:
    project = sb.projects[issue["project"]]
    who = issue.get("assignedTo") or ""
    member = sb.members.get(who.partition(":")[2]) if who.startswith("user:") else None
    return {
        "id": issue["jentryId"],
        "projectId": project["jentryId"],
        "title": issue["title"],
        "culprit": issue["culprit"],
        "type": issue.get("type", "error"),
        "level": issue["level"],
        "status": issue["status"],
        "substatus": issue.get("substatus"),
        "firstSeen": jentry_time(issue["firstSeen"]),
        "lastSeen": jentry_time(issue["lastSeen"]),
        "count": int(issue["count"]),
        "userCount": issue["userCount"],
        "assigneeUserId": member["jentryId"] if member else None,
        "firstRelease": issue.get("firstRelease"),
        "lastRelease": issue.get("lastRelease"),
        "permalink": f"{base}/projects/{project['jentryId']}/issues/{issue['jentryId']}",
    }


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _project(sb: Sandbox, request: Request) -> Json:
    project = sb.project_by_jentry_id(_path_id(request, "project_id"))
    if project is None:
        raise JentryError(404, "Project not found")
    return project


def _issue(sb: Sandbox, request: Request) -> Json:
    issue = sb.issue_by_jentry_id(_path_id(request, "issue_id"))
    if issue is None:
        raise JentryError(404, "Issue not found")
    return issue


# --- endpoints -------------------------------------------------------------------------------------------


@endpoint("project:read")
async def projects(request: Request, sb: Sandbox) -> Response:
    rows = [
        {
            "id": p["jentryId"],
            "name": p["name"],
            "slug": p["slug"],
            "platform": p["platform"],
            "publicKey": p.get("publicKey"),
            "createdAt": jentry_time(p["dateCreated"]),
        }
        for p in sorted(sb.projects.values(), key=lambda p: p["jentryId"])
    ]
    return JSONResponse({"data": rows})


@endpoint("issue:read")
async def issues(request: Request, sb: Sandbox) -> Response:
    project = _project(sb, request)
    q = request.query_params
    status = q.get("status") or "unresolved"
    if status not in (*STATUSES, "all"):
        raise JentryError(400, f"invalid status {status!r}; use one of unresolved, resolved, ignored, all")
    level = q.get("level") or "all"
    if level not in (*LEVELS, "all"):
        raise JentryError(400, f"invalid level {level!r}; use one of {', '.join(LEVELS)}, all")
    period = q.get("period") or "all"
    if period not in PERIODS:
        raise JentryError(400, f"invalid period {period!r}; use one of 24h, 7d, 14d, all")
    sort = q.get("sort") or "last_seen"
    if sort not in SORTS:
        raise JentryError(400, f"invalid sort {sort!r}; use one of last_seen, first_seen, events, users")
    limit = _int(q.get("limit"), "limit", default=25, high=100)
    page = _int(q.get("page"), "page", default=1)
    text = (q.get("query") or "").strip().lower()
    window = PERIODS[period]
    since = datetime.now(UTC) - window if window else None
    found = [
        i
        for i in sb.issues.values()
        if i["project"] == project["id"]
        and (status == "all" or i["status"] == status)
        and (level == "all" or i["level"] == level)
        and (since is None or i["lastSeen"] >= since)
        and (not text or text in i["title"].lower() or text in (i["culprit"] or "").lower())
    ]
    found.sort(key=lambda i: i["jentryId"], reverse=True)
    found.sort(key=lambda i: i[SORTS[sort]], reverse=True)
    rows = found[(page - 1) * limit : page * limit]
    base = _base(request)
    return JSONResponse(
        {
            "data": [issue_json(sb, i, base) for i in rows],
            "page": page,
            "pageSize": limit,
            "total": len(found),
        }
    )


@endpoint("issue:read")
async def issue_detail(request: Request, sb: Sandbox) -> Response:
    return JSONResponse({"data": issue_json(sb, _issue(sb, request), _base(request))})


@endpoint("issue:write")
async def issue_patch(request: Request, sb: Sandbox) -> Response:
    issue = _issue(sb, request)
    body = await _body(request)
    unknown = sorted(set(body) - {"status", "assigneeUserId"})
    if unknown:
        raise JentryError(400, f"unknown field(s): {', '.join(unknown)}; send status and/or assigneeUserId")
    if not body:
        raise JentryError(400, "nothing to update: send status and/or assigneeUserId")
    changes: Json = {}
    if "status" in body:
        status = body["status"]
        if status not in STATUSES:
            raise JentryError(400, f"invalid status {status!r}; use one of unresolved, resolved, ignored")
        sub = {"unresolved": "ongoing", "resolved": None, "ignored": "archived_forever"}[status]
        changes.update(status=status, substatus=sub, statusDetails={})
    if "assigneeUserId" in body:
        uid = body["assigneeUserId"]
        if uid is None:
            changes["assignedTo"] = None
        else:
            if not isinstance(uid, int) or isinstance(uid, bool):
                raise JentryError(400, "assigneeUserId must be an integer or null")
            member = sb.member_by_jentry_id(uid)
            if member is None:
                raise JentryError(400, f"user {uid} is not a member of this organization")
            changes["assignedTo"] = f"user:{member['id']}"
    apply_update(sb, issue, changes, actor=sb.me)
    return JSONResponse({"data": issue_json(sb, issue, _base(request))})


@endpoint("event:read")
async def issue_events(request: Request, sb: Sandbox) -> Response:
    issue = _issue(sb, request)
    limit = _int(request.query_params.get("limit"), "limit", default=25, high=100)
    project = sb.projects[issue["project"]]
    rows = [
        to_jentry_event(sb.payload(e), issue_id=issue["jentryId"], project_id=project["jentryId"])
        for e in sb.events.get(issue["id"], [])[:limit]
    ]
    return JSONResponse({"data": rows})


def release_row(sb: Sandbox, project: Json, r: Json) -> Json:
    events = [e for e in sb.release_events(r["version"]) if sb.issues[e["issue"]]["project"] == project["id"]]
    issue_ids = {e["issue"] for e in events}
    new = sum(
        1
        for i in sb.issues.values()
        if i["project"] == project["id"] and i.get("firstRelease") == r["version"]
    )
    h = r.get("health") or {}
    return {
        "release": r["version"],
        "events": len(events),
        "issues": len(issue_ids),
        "newIssues": new,
        "firstSeen": jentry_time(min((e["when"] for e in events), default=r["dateCreated"])),
        "lastSeen": jentry_time(max((e["when"] for e in events), default=r["dateCreated"])),
        "sessions": h.get("sessions", 0),
        "crashFreeRate": h.get("crashFreeSessions"),
        "adoption": h.get("adoption"),
    }


@endpoint("project:read")
async def releases(request: Request, sb: Sandbox) -> Response:
    project = _project(sb, request)
    limit = _int(request.query_params.get("limit"), "limit", default=25, high=100)
    mine = [r for r in sb.releases if project["id"] in r["projects"]]
    mine.sort(key=lambda r: (r.get("dateReleased") or r["dateCreated"], r["id"]), reverse=True)
    return JSONResponse({"data": [release_row(sb, project, r) for r in mine[:limit]]})


def _list_of_objects(body: Json, name: str, required: str) -> list[Json]:
    value = body.get(name)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise JentryError(400, f"{name} must be an array of objects")
    for n, item in enumerate(value):
        if not isinstance(item.get(required), str) or not item[required].strip():
            raise JentryError(400, f"{name}[{n}].{required} is required")
    return value


def _when(value: Any, name: str) -> datetime | None:
    if value in (None, ""):
        return None
    try:
        return parse_time(str(value))
    except ValueError:
        raise JentryError(400, f"{name} must be an ISO-8601 timestamp") from None


@endpoint("project:write")
async def release_create(request: Request, sb: Sandbox) -> Response:
    project = _project(sb, request)
    body = await _body(request)
    version = body.get("version")
    if not isinstance(version, str) or not version.strip() or len(version) > 200:
        raise JentryError(400, "version is required (a non-empty string of at most 200 characters)")
    for name in ("ref", "url", "dateReleased"):
        if body.get(name) is not None and not isinstance(body[name], str):
            raise JentryError(400, f"{name} must be a string")
    released = _when(body.get("dateReleased"), "dateReleased")
    commits = [
        {
            "id": c["sha"],
            "message": c.get("message"),
            "author_name": c.get("author"),
            "author_email": c.get("authorEmail"),
            "url": c.get("url"),
            "files": c.get("files") or [],
            "repository": None,
            "timestamp": datetime.now(UTC),
        }
        for c in _list_of_objects(body, "commits", "sha")
    ]
    deploys = [
        {
            "id": str(sb.new_id()),
            "environment": d["environment"],
            "name": d.get("name"),
            "url": d.get("url"),
            "dateStarted": None,
            "dateFinished": _when(d.get("deployedAt"), "deployedAt") or datetime.now(UTC),
        }
        for d in _list_of_objects(body, "deploys", "environment")
    ]
    release = sb.release_by(version)
    if release is None:
        release = {
            "id": sb.new_id(),
            "jentryId": len(sb.releases) + 1,
            "version": version,
            "projects": [],
            "dateCreated": datetime.now(UTC),
            "health": {},
        }
        sb.releases.append(release)
    if project["id"] not in release["projects"]:
        release["projects"].append(project["id"])
    release.update(
        ref=body.get("ref"), url=body.get("url"), dateReleased=released, commits=commits, deploys=deploys
    )
    data = {"id": release["jentryId"], "version": version, "commits": len(commits), "deploys": len(deploys)}
    return JSONResponse({"data": data}, status_code=201)


def audit_row(sb: Sandbox, a: Json) -> Json:
    actor = sb.members.get(a.get("actor") or "")
    kind, target = a.get("targetType"), a.get("targetObject")
    if kind == "issue" and target in sb.issues:
        target = sb.issues[target]["jentryId"]
    elif kind == "project" and target in sb.projects:
        target = sb.projects[target]["jentryId"]
    elif kind == "member" and target in sb.members:
        kind, target = "user", sb.members[target]["jentryId"]
    digits = "".join(c for c in str(a["id"]) if c.isdigit())
    return {
        "id": int(digits or 0),
        "action": a["event"],
        "target": f"{kind}:{target}" if target else kind,
        "userId": actor["jentryId"] if actor else None,
        "meta": {"via": "api", **(a.get("data") or {})},
        "createdAt": jentry_time(a["when"]),
    }


@endpoint("org:read")
async def audit(request: Request, sb: Sandbox) -> Response:
    limit = _int(request.query_params.get("limit"), "limit", default=50, high=100)
    rows = sorted(sb.audit, key=lambda a: (a["when"], a["id"]), reverse=True)[:limit]
    return JSONResponse({"data": [audit_row(sb, a) for a in rows]})


P = "/api/v1"
ROUTES = [
    Route(f"{P}/projects", projects),
    Route(f"{P}/projects/{{project_id}}/issues", issues),
    Route(f"{P}/issues/{{issue_id}}", issue_detail),
    Route(f"{P}/issues/{{issue_id}}", issue_patch, methods=["PATCH"]),
    Route(f"{P}/issues/{{issue_id}}/events", issue_events),
    Route(f"{P}/projects/{{project_id}}/releases", releases),
    Route(f"{P}/projects/{{project_id}}/releases", release_create, methods=["POST"]),
    Route(f"{P}/audit", audit),
]
