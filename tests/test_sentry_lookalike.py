"""The Sentry backend pointed at a GlitchTip server says so, instead of blaming scopes, ids or the URL."""

from __future__ import annotations

import os

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from mcp_helpers import inproc_env, text_of
from stacklens.sandbox.serve import serve_in_thread

pytestmark = pytest.mark.anyio
SPA = "<!doctype html><html><body><app-root></app-root></body></html>"


def lookalike(settings_body: dict | None, seen: list[str]) -> Starlette:
    """GlitchTip's answers to Sentry's requests, as a real GlitchTip gives them (see docs/glitchtip notes)."""

    async def issues(request: Request) -> Response:
        seen.append(f"{request.method} {request.url.path}?{request.url.query}")
        if request.query_params.get("sort") not in (None, "-last_seen", "-first_seen", "-count", "-priority"):
            return JSONResponse({"detail": [{"loc": ["query", "sort"], "msg": "Input should be ..."}]}, 422)
        return JSONResponse([])

    async def issue(request: Request) -> Response:
        seen.append(f"{request.method} {request.url.path}")
        return JSONResponse({"detail": "Method Not Allowed"}, 405)

    async def settings(request: Request) -> Response:
        seen.append(f"{request.method} {request.url.path}")
        return JSONResponse(settings_body) if settings_body is not None else HTMLResponse(SPA)

    async def spa(request: Request) -> Response:
        seen.append(f"{request.method} {request.url.path}")
        return HTMLResponse(SPA)

    return Starlette(
        routes=[
            Route("/api/0/organizations/acme/issues/", issues),
            Route("/api/0/organizations/acme/issues/{id}/", issue, methods=["GET", "PUT"]),
            Route("/api/settings/", settings),
            Route("/{rest:path}", spa),
        ]
    )


def env(url: str) -> dict[str, str]:
    return {
        "SENTRY_AUTH_TOKEN": "glt_0123456789",
        "SENTRY_ORG": "acme",
        "SENTRY_URL": url,
        "NETRC": os.devnull,
    }


GLITCHTIP = {
    "version": "5.1.0",
    "iPaidForGlitchTip": False,
    "glitchtipInstanceName": None,
    "billingEnabled": False,
}


@pytest.mark.parametrize(
    ("tool", "args"),
    [
        ("search_issues", {}),  # Sentry's sort name: GlitchTip's 422
        ("get_issue", {"issue": "1"}),  # the org-scoped issue route is PUT-only there: 405
        ("list_tag_values", {"issue": "1", "key": "browser"}),  # no such route: the web app's HTML
    ],
)
async def test_a_glitchtip_server_is_named_with_the_backend_to_use(tool: str, args: dict) -> None:
    seen: list[str] = []
    with serve_in_thread(lookalike(GLITCHTIP, seen)) as url:
        async with inproc_env(env(url)) as client:
            first = await client.call_tool(tool, args)
            again = await client.call_tool(tool, args)
    for result in (first, again):
        assert result.is_error
        text = text_of(result)
        assert "GlitchTip (5.1.0)" in text and "--backend glitchtip" in text, text
        assert "scope" not in text and "not found" not in text and "glt_0123456789" not in text
    assert seen.count("GET /api/settings/") == 1  # asked once, then remembered


async def test_another_server_keeps_the_plain_explanation() -> None:
    seen: list[str] = []
    with serve_in_thread(lookalike(None, seen)) as url:
        async with inproc_env(env(url)) as client:
            result = await client.call_tool("list_tag_values", {"issue": "1", "key": "browser"})
    text = text_of(result)
    assert result.is_error and "GlitchTip" not in text
    assert "does not implement" in text or "non-JSON" in text, text
