"""What every Sentry route shares: errors, auth, the JSON body, times and cursor paging."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from stacklens.sandbox.shapes import (
    sentry_time,
)
from stacklens.sandbox.state import Sandbox

Json = dict[str, Any]
NOT_FOUND = "The requested resource does not exist"
FORBIDDEN = "You do not have permission to perform this action."
SORTS = {"date", "new", "freq", "user", "trends", "recommended", "priority"}
BAD_RELEASE_CHARS = "\r\n\f\x0c\t/\\"
_CURSOR = re.compile(r"(\d+(?:\.\d+)?):(\d+):([01])")
PERIOD = re.compile(r"(\d+)([smhdw])")
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


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


def base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def t(dt: datetime | None) -> str | None:
    return sentry_time(dt) if dt else None


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


async def read_json(request: Request) -> Any:
    raw = await request.body()
    if not raw:
        return {}
    try:
        return json.loads(raw)
    except ValueError:
        raise detail(400, "JSON parse error - Expecting value") from None
