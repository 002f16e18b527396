"""The shop's web app (Starlette). `call()` drives one request through the real ASGI stack."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, Field
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from shop.orders import build_order, line_total

log = logging.getLogger("shop.app")

CARTS: dict[str, dict[str, Any]] = {
    "c-1029": {"items": [{"sku": "MUG-01", "price": 12.5, "qty": 2}]},  # created before addresses existed
    "c-2210": {"items": [{"sku": "TEE-L", "price": 25.0, "qty": "1"}], "shipping_address": {"country": "DE"}},
}


class CartItem(BaseModel):
    sku: str = Field(pattern=r"^[A-Z]+-[A-Z0-9]+$")
    qty: int = Field(gt=0, le=99)
    price: float = Field(ge=0)


async def checkout(request: Request) -> JSONResponse:
    cart_id = request.path_params["cart_id"]
    order = build_order(cart_id, CARTS.get(cart_id, {"items": []}))
    return JSONResponse(order)


async def add_item(request: Request) -> JSONResponse:
    payload = await request.json()
    item = CartItem.model_validate(payload)
    return JSONResponse({"added": item.sku})


async def cart_total(request: Request) -> JSONResponse:
    cart = CARTS[request.path_params["cart_id"]]
    return JSONResponse({"total": sum(line_total(item) for item in cart["items"])})


class RequestHook:
    """ASGI middleware running instrumentation code at the start of each request (inside its scope)."""

    def __init__(self, app: Any, callback: Callable[[], None]) -> None:
        self.app, self.callback = app, callback

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            self.callback()
            log.info("%s %s", scope["method"], scope["path"])
        await self.app(scope, receive, send)


def make_app(on_request: Callable[[], None] | None = None) -> Starlette:
    app = Starlette(
        routes=[
            Route("/checkout/{cart_id}", checkout, methods=["POST"]),
            Route("/cart/items", add_item, methods=["POST"]),
            Route("/cart/{cart_id}/total", cart_total),
        ]
    )
    app.add_middleware(RequestHook, callback=on_request or (lambda: None))
    return app


def call(
    method: str,
    path: str,
    *,
    query: str = "",
    headers: dict[str, str],
    body: Any = None,
    on_request: Callable[[], None] | None = None,
) -> int:
    """One HTTP request through the app, as uvicorn would deliver it; returns the status sent."""
    app = make_app(on_request)
    raw = json.dumps(body).encode() if body is not None else b""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "https",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("203.0.113.24", 53122),
        "server": ("shop.acme.test", 443),
    }
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": raw, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    # The server error middleware re-raises after answering 500, as under uvicorn.
    with contextlib.suppress(Exception):
        asyncio.run(app(scope, receive, send))
    return next((m["status"] for m in sent if m["type"] == "http.response.start"), 0)
