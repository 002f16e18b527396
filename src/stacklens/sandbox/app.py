"""The sandbox ASGI app: Sentry `/api/0/` and Jentry `/api/v1/` over one `Sandbox`.

Works under uvicorn and under `httpx.ASGITransport`. Every request is logged (no credential values), counted
in flight, delayed by `sandbox.latency`, and may be answered by an injected fault before reaching the API.
`app.state.sandbox` may be swapped between requests (the test server keeps one app for the whole session).
"""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import parse_qsl

import anyio
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from stacklens.sandbox import jentry_api, sentry
from stacklens.sandbox.state import RequestRecord, Sandbox

_MAX_BODY = 5 * 1024 * 1024


def _api(path: str) -> str | None:
    return "sentry" if path.startswith("/api/0/") else "jentry" if path.startswith("/api/v1/") else None


def _auth_state(sandbox: Sandbox, header: str | None) -> str:
    if not header:
        return "none"
    kind, _, token = header.partition(" ")
    known = sandbox.config.sentry_tokens.keys() | sandbox.config.jentry_tokens.keys()
    return "valid" if kind.lower() == "bearer" and token.strip() in known else "invalid"


class Observe:
    """Request log, in-flight counters, latency, rate limit and faults: everything around the APIs."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        sandbox: Sandbox = scope["app"].state.sandbox
        body = await _read_body(receive)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        raw_path = (scope.get("raw_path") or scope["path"].encode()).decode("latin-1")
        query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        record = RequestRecord(
            method=scope["method"],
            path=scope["path"],
            raw_path=raw_path,
            query=query,
            json=_maybe_json(body),
            header_names=sorted(headers),
            user_agent=headers.get("user-agent"),
            auth=_auth_state(sandbox, headers.get("authorization")),
            started=time.monotonic(),
        )
        sandbox.record(record)
        status = 500
        try:
            response = await self._before(sandbox, scope, receive)
            if response is _GONE:
                status = 499  # the client gave up while we were delaying (nginx's code for it)
                return
            if response is not None:
                status = response.status_code
                await response(scope, receive, send)
                return
            scope["sandbox"] = sandbox
            extra = _rate_headers(sandbox, scope)

            async def replay() -> Message:
                return {"type": "http.request", "body": body, "more_body": False}

            async def send_wrapped(message: Message) -> None:
                nonlocal status
                if message["type"] == "http.response.start":
                    status = message["status"]
                    message = {**message, "headers": [*message.get("headers", []), *extra]}
                await send(message)

            await self.app(scope, replay, send_wrapped)
        finally:
            sandbox.finish(record, status)

    async def _before(self, sandbox: Sandbox, scope: Scope, receive: Receive) -> Response | None:
        if sandbox.latency > 0 and await _sleep_or_gone(sandbox.latency, receive):
            return _GONE
        fault = sandbox.take_fault(scope["method"], scope["path"])
        if fault is not None:
            if fault.delay > 0 and await _sleep_or_gone(fault.delay, receive):
                return _GONE
            if fault.status is not None:
                return _fault_response(
                    fault.status, fault.body, fault.content_type, fault.headers, scope["path"]
                )
        if sandbox.rate_limit is not None and _api(scope["path"]) is not None:
            allowed, limit, _, reset = sandbox.rate_check()
            if not allowed:
                window = sandbox.rate_limit[1]
                if _api(scope["path"]) == "jentry":
                    wait = str(max(1, round(reset - time.time())))
                    return JSONResponse({"error": "Rate limit exceeded"}, 429, headers={"Retry-After": wait})
                message = (
                    "You are attempting to use this endpoint too frequently. "
                    f"Limit is {limit} requests in {window:g} seconds"
                )
                headers = {
                    "X-Sentry-Rate-Limit-Limit": str(limit),
                    "X-Sentry-Rate-Limit-Remaining": "0",
                    "X-Sentry-Rate-Limit-Reset": f"{reset:.0f}",
                }
                return JSONResponse({"detail": message}, 429, headers=headers)
        return None


_GONE = Response(status_code=499)


async def _sleep_or_gone(delay: float, receive: Receive) -> bool:
    """Sleep unless the client disconnects first (a timed-out client must not pin it). True = gone."""
    gone = False
    async with anyio.create_task_group() as tg:

        async def watch() -> None:
            nonlocal gone
            while (await receive())["type"] != "http.disconnect":
                pass
            gone = True
            tg.cancel_scope.cancel()

        tg.start_soon(watch)
        await anyio.sleep(delay)
        tg.cancel_scope.cancel()
    return gone


def _rate_headers(sandbox: Sandbox, scope: Scope) -> list[tuple[bytes, bytes]]:
    """Sentry's rate-limit headers on every Sentry answer while a limit is configured."""
    if sandbox.rate_limit is None or _api(scope["path"]) != "sentry":
        return []
    limit, window = sandbox.rate_limit
    start, used = sandbox._window
    values = {
        "X-Sentry-Rate-Limit-Limit": limit,
        "X-Sentry-Rate-Limit-Remaining": max(limit - used, 0),
        "X-Sentry-Rate-Limit-Reset": int(start + window),
        "X-Sentry-Rate-Limit-ConcurrentLimit": 25,
        "X-Sentry-Rate-Limit-ConcurrentRemaining": max(25 - sandbox.in_flight, 0),
    }
    return [(k.lower().encode(), str(v).encode()) for k, v in values.items()]


def _fault_response(
    status: int, body: str | bytes | None, content_type: str | None, headers: dict[str, str], path: str
) -> Response:
    if body is None:
        payload = {"error": "Injected fault"} if _api(path) == "jentry" else {"detail": "Injected fault"}
        return JSONResponse(payload, status, headers=headers)
    raw = body.encode() if isinstance(body, str) else body
    if content_type is None:
        content_type = "application/json" if _maybe_json(raw) is not None else "text/plain; charset=utf-8"
    return Response(raw, status, headers=headers, media_type=content_type)


async def _read_body(receive: Receive) -> bytes:
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size <= _MAX_BODY:
            chunks.append(chunk)
        if not message.get("more_body"):
            break
    return b"".join(chunks)


def _maybe_json(body: bytes) -> Any:
    if not body:
        return None
    try:
        return json.loads(body)
    except ValueError:
        return None


async def _not_found(request: Request, exc: Exception) -> Response:
    path = request.url.path
    if _api(path) == "jentry":
        return JSONResponse({"error": "Not found"}, 404)
    return JSONResponse({"detail": sentry.NOT_FOUND}, 404)


async def _method_not_allowed(request: Request, exc: Exception) -> Response:
    if _api(request.url.path) == "jentry":
        return JSONResponse({"error": "Method not allowed"}, 405)
    return JSONResponse({"detail": f'Method "{request.method}" not allowed.'}, 405)


def create_app(sandbox: Sandbox) -> Starlette:
    """The ASGI app for `sandbox`. Replace `app.state.sandbox` to serve another one from the same app."""
    app = Starlette(
        routes=[*sentry.ROUTES, *jentry_api.ROUTES],
        middleware=[Middleware(Observe)],
        exception_handlers={404: _not_found, 405: _method_not_allowed},
    )
    app.state.sandbox = sandbox
    return app
