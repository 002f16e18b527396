"""Team mode (`--token-from-request`): nothing learned with one user's token is served to another.

An upstream of its own (a real local server) shows an admin a project an ordinary user must not see. The admin
lists projects first, then the user asks: the user's answers come from the user's own requests only.
"""

from __future__ import annotations

import os

import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from mcp_helpers import http_server, text_of
from stacklens.sandbox.serve import serve_in_thread

pytestmark = pytest.mark.anyio

ADMIN, USER = "sntrys_admin_0123456789", "sntrys_user_9876543210"
SHOP = {"id": "1", "slug": "shop-web", "name": "Shop Web", "platform": "python"}
PAYROLL = {"id": "2", "slug": "secret-payroll", "name": "Secret Payroll (admins only)", "platform": "python"}
VISIBLE = {ADMIN: [SHOP, PAYROLL], USER: [SHOP]}


def payroll_upstream(seen: list[tuple[str, str, str]]) -> Starlette:
    """Sentry and Jentry subsets whose project lists depend on the token; records (token, path, query)."""

    def who(request: Request) -> str:
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        seen.append((token, request.url.path, request.url.query))
        return token

    async def sentry_projects(request: Request) -> JSONResponse:
        token = who(request)
        return JSONResponse(VISIBLE[token]) if token in VISIBLE else JSONResponse({"detail": "no"}, 401)

    async def sentry_issues(request: Request) -> JSONResponse:
        return JSONResponse([]) if who(request) in VISIBLE else JSONResponse({"detail": "no"}, 401)

    async def jentry_projects(request: Request) -> JSONResponse:
        token = who(request)
        return (
            JSONResponse({"data": VISIBLE[token]}) if token in VISIBLE else JSONResponse({"error": "no"}, 401)
        )

    async def jentry_issues(request: Request) -> JSONResponse:
        token = who(request)
        if token not in VISIBLE:
            return JSONResponse({"error": "no"}, 401)
        if request.path_params["pid"] not in {p["id"] for p in VISIBLE[token]}:
            return JSONResponse({"error": "project not found"}, 404)
        return JSONResponse({"data": [], "total": 0})

    return Starlette(
        routes=[
            Route("/api/0/organizations/acme/projects/", sentry_projects),
            Route("/api/0/organizations/acme/issues/", sentry_issues),
            Route("/api/v1/projects", jentry_projects),
            Route("/api/v1/projects/{pid}/issues", jentry_issues),
        ]
    )


async def call_as(url: str, token: str, tool: str, args: dict) -> object:
    headers = {"Authorization": f"Bearer {token}"}
    async with (
        httpx2.AsyncClient(headers=headers, timeout=20) as http,
        Client(streamable_http_client(url, http_client=http)) as client,
    ):
        return await client.call_tool(tool, args)


def env_for(backend: str, upstream: str) -> dict[str, str]:
    base = {"NETRC": os.devnull, "STACKLENS_BACKEND": backend}
    if backend == "sentry":
        return {**base, "SENTRY_ORG": "acme", "SENTRY_URL": upstream}
    return {**base, "JENTRY_URL": upstream}


@pytest.mark.parametrize("backend", ["sentry", "jentry"])
@pytest.mark.parametrize("stateless", [(), ("--stateless",)], ids=["stateful", "stateless"])
async def test_a_users_answers_never_come_from_an_admins_cache(
    backend: str, stateless: tuple[str, ...]
) -> None:
    seen: list[tuple[str, str, str]] = []
    with (
        serve_in_thread(payroll_upstream(seen)) as upstream,
        http_server(env_for(backend, upstream), *stateless, "--token-from-request") as url,
    ):
        admin = await call_as(url, ADMIN, "list_projects", {})
        assert "secret-payroll" in text_of(admin)

        seen.clear()
        by_name = await call_as(url, USER, "search_issues", {"project": "Secret Payroll (admins only)"})
        assert by_name.is_error, text_of(by_name)
        assert "secret-payroll" not in text_of(by_name) and "Secret Payroll" in text_of(by_name)
        assert all(token == USER for token, _, _ in seen)
        assert not any("project=2" in q or "/projects/2/" in p for _, p, q in seen)  # never searched

        seen.clear()
        everything = await call_as(url, USER, "search_issues", {"status": "all"})
        assert not everything.is_error, text_of(everything)
        assert "secret-payroll" not in text_of(everything)
        assert not any("/projects/2/" in p for _, p, _ in seen)  # a fan-out covers the user's projects only
