"""The organization, its projects and its audit log."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from stacklens.sandbox.sentry.common import (
    NOT_FOUND,
    Json,
    base_url,
    cursor_offset,
    detail,
    endpoint,
    link_header,
    page_size,
    paged,
    t,
)
from stacklens.sandbox.sentry.serialize import (
    project_json,
    user_json,
)
from stacklens.sandbox.state import Sandbox

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
