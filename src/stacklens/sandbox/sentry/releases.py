"""Releases: list, detail and create (Sentry's release serializer with health, commits and deploys)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from stacklens.sandbox.sentry.common import (
    BAD_RELEASE_CHARS,
    NOT_FOUND,
    ApiError,
    Json,
    detail,
    endpoint,
    field_error,
    page_size,
    paged,
    read_json,
    t,
)
from stacklens.sandbox.sentry.issues import (
    project_filter,
)
from stacklens.sandbox.sentry.serialize import (
    version_info,
)
from stacklens.sandbox.shapes import (
    parse_time,
)
from stacklens.sandbox.state import Sandbox

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
    events = sb.release_events(r["version"])
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
    projects = project_filter(request, sb)
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


def release_or_404(request: Request, sb: Sandbox) -> Json:
    r = sb.release_by(request.path_params["version"])
    if r is None:
        raise detail(404, NOT_FOUND)
    return r


@endpoint("project:read")
async def release_detail(request: Request, sb: Sandbox) -> Response:
    return JSONResponse(
        release_json(sb, release_or_404(request, sb), health=request.query_params.get("health") == "1")
    )


def parse_date(body: Json, name: str) -> datetime | None:
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


def project_slugs(sb: Sandbox, value: Any, *, required: bool) -> list[str]:
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
    body = await read_json(request)
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
    projects = project_slugs(sb, body.get("projects"), required=True)
    released = parse_date(body, "dateReleased")
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
    release: Json = {
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
