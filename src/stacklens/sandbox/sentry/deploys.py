"""A release's deploys: list and create."""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from stacklens.sandbox.sentry.common import (
    detail,
    endpoint,
    field_error,
    read_json,
)
from stacklens.sandbox.sentry.releases import (
    deploy_json,
    parse_date,
    project_slugs,
    release_or_404,
)
from stacklens.sandbox.state import Sandbox


@endpoint("project:read")
async def deploys_list(request: Request, sb: Sandbox) -> Response:
    r = release_or_404(request, sb)
    deploys = sorted(r["deploys"], key=lambda d: d.get("dateFinished") or r["dateCreated"], reverse=True)
    return JSONResponse([deploy_json(d) for d in deploys])


@endpoint(("project:releases", "project:write"))
async def deploy_create(request: Request, sb: Sandbox) -> Response:
    r = release_or_404(request, sb)
    body = await read_json(request)
    if not isinstance(body, dict):
        raise detail(400, "Invalid request body: expected a JSON object.")
    env = body.get("environment")
    if not isinstance(env, str) or not env.strip():
        raise field_error("environment", "This field is required.")
    if len(env) > 64 or any(c in env for c in "\r\n\t/"):
        raise field_error("environment", "Enter a valid value.")
    for p in project_slugs(sb, body.get("projects"), required=False):
        if p not in r["projects"]:
            r["projects"].append(p)
    finished = parse_date(body, "dateFinished") or datetime.now(UTC)
    deploy = {
        "id": str(sb.new_id()),
        "environment": env,
        "name": body.get("name"),
        "url": body.get("url"),
        "dateStarted": parse_date(body, "dateStarted"),
        "dateFinished": finished,
    }
    r["deploys"].append(deploy)
    return JSONResponse(deploy_json(deploy), status_code=201)
