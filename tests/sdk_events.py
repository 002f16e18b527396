"""Real events from the real `sentry-sdk`, captured by a custom transport (nothing leaves the process).

Each scenario raises a real exception (or logs a real message) in code that lives in this file, so its frames
are the "application" frames and the library frames are real starlette/httpx/stdlib frames. The captured SDK
payload can then be shown in the two upstream shapes: Sentry's REST event (`entries[]`, camelCase frames,
`context` pairs, tags as `{key, value}`) and Jentry's event (the SDK shape plus a few camelCase fields).

Also imported by `bench/event_size.py`.
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import sys
from collections.abc import Callable
from functools import cache
from typing import Any
from urllib.parse import parse_qsl

import sentry_sdk
from sentry_sdk.integrations.wsgi import SentryWsgiMiddleware
from sentry_sdk.scrubber import EventScrubber

from stacklens.sandbox import shapes
from stacklens.sandbox.capture import capture_events

# Secrets the scenarios plant; tests assert none of them reaches a rendering.
SECRETS = {
    "password": "hunter2-pw-SECRET",
    "api_key": "sk_live_APIKEY_51Hx",
    "token": "tok_SECRET_abc123",
    "authorization": "Bearer eyJhbGciOiJIUzI1NiJ9.SECRETJWT",
    "cookie": "sessionid=COOKIESECRET42",
    "session": "sess_SECRET_9f8e",
    "dsn": "https://pubkey@o1.ingest.sentry.io/77",
    "credit_card": "4111 1111 1111 1111",
    "query_token": "QUERYTOKEN777",
}


def capture(fn: Callable[[], Any], **options: Any) -> list[dict[str, Any]]:
    """Run `fn` under the real sentry-sdk (the sandbox's in-memory transport) and return its events in their
    wire form. PII is on and the SDK's own scrubber is off, so secrets stay in the payload and the tests prove
    that stacklens, not the SDK, keeps them out of its output."""
    opts: dict[str, Any] = {
        "release": "shop@1.4.2",
        "environment": "production",
        "server_name": "web-1",
        "send_default_pii": True,
        "event_scrubber": EventScrubber(denylist=[], send_default_pii=True),
        "include_local_variables": True,
        "max_request_body_size": "always",
        # No framework auto-patching (starlette, httpx…): library stacks stay plain, other tests unaffected.
        "auto_enabling_integrations": False,
    }
    opts.update(options)

    def run() -> None:
        scope = sentry_sdk.get_isolation_scope()
        scope.set_tag("feature", "checkout")
        scope.set_user({"id": "u-1042", "email": "ada@example.com", "ip_address": "203.0.113.9"})
        sentry_sdk.add_breadcrumb(category="auth", message="user signed in", level="info")
        sentry_sdk.add_breadcrumb(
            category="httplib",
            type="http",
            data={"url": f"https://api.example.com/v1/cart?token={SECRETS['query_token']}", "method": "GET"},
        )
        fn()

    # Round-trip through JSON: an upstream stores the wire form, not the SDK's in-memory dict.
    return [json.loads(json.dumps(e, default=str)) for e in capture_events(run, **opts)]


# --- scenarios: application code (in-app frames) ---------------------------------------------------------


class ConfigError(Exception):
    pass


def _load_setting(settings: dict[str, str], name: str) -> str:
    return settings[name]


def _connect_database(settings: dict[str, str]) -> None:
    try:
        _load_setting(settings, "database_url")
    except KeyError as exc:
        raise ConfigError("database_url is not configured") from exc


def scenario_chained() -> None:
    """KeyError → ConfigError (explicit cause) → RuntimeError (implicit context while handling)."""
    try:
        _connect_database({"cache_url": "redis://localhost"})
    except ConfigError:
        _abort_startup()


def _abort_startup() -> None:
    raise RuntimeError("startup failed: cannot reach the database")


def _walk(node: dict[str, Any], depth: int) -> int:
    label = f"node-{depth}"
    return _walk(node, depth + 1) + len(label)


def scenario_recursion() -> None:
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(1000)
    try:
        _walk({"children": [1, 2, 3], "name": "root"}, 0)
    finally:
        sys.setrecursionlimit(old)


def _charge(amount_cents: int, card: dict[str, str]) -> None:
    password = SECRETS["password"]
    api_key = SECRETS["api_key"]
    auth_token = SECRETS["token"]
    headers = {"Authorization": SECRETS["authorization"], "Accept": "application/json"}
    cookie = SECRETS["cookie"]
    session = SECRETS["session"]
    sentry_dsn = SECRETS["dsn"]
    credit_card = SECRETS["credit_card"]  # the SDK keeps 10 locals: these and the two parameters
    secrets = (password, api_key, auth_token, headers, cookie, session, sentry_dsn, credit_card)
    if not all(secrets):
        return
    raise PermissionError(f"card declined for {amount_cents} cents")


def scenario_secrets() -> None:
    order_note = "paid with card " + SECRETS["credit_card"]
    _charge(1999, {"number": SECRETS["credit_card"], "cvv": "123", "note": order_note})


def _parse_order(body: bytes) -> dict[str, Any]:
    data = json.loads(body)
    return {"id": data["id"]}


def scenario_starlette() -> None:
    """A request through Starlette's middleware stack into a route that fails to parse its body."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route
    from starlette.testclient import TestClient

    async def create_order(request: Request) -> JSONResponse:
        return JSONResponse(_parse_order(await request.body()))

    app = Starlette(routes=[Route("/orders", create_order, methods=["POST"])])
    with TestClient(app) as client:
        client.post("/orders", content=b"{'id': 7}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _fetch_inventory(port: int) -> None:
    import httpx

    httpx.get(f"http://127.0.0.1:{port}/inventory?token={SECRETS['query_token']}", timeout=2)


def scenario_httpx() -> None:
    """A real HTTP call to a closed port: ConnectError raised deep inside httpx/httpcore."""
    _fetch_inventory(_free_port())


_payments_log = logging.getLogger("shop.payments")
_payments_log.addHandler(logging.NullHandler())  # the SDK hooks in before handlers; keep test output quiet
_payments_log.propagate = False


def scenario_logged() -> None:
    _payments_log.error("payment declined for order %s (attempt %d)", "A-1001", 3)


def scenario_request() -> None:
    """A WSGI request (through the SDK's WSGI middleware) with a token in the query and secret headers."""

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        params = dict(parse_qsl(environ.get("QUERY_STRING", "")))
        return [_render_cart(params)]

    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/cart",
        "QUERY_STRING": f"token={SECRETS['query_token']}&page=2",
        "SERVER_NAME": "shop.example.com",
        "SERVER_PORT": "443",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "https",
        "HTTP_HOST": "shop.example.com",
        "HTTP_AUTHORIZATION": SECRETS["authorization"],
        "HTTP_COOKIE": SECRETS["cookie"],
        "HTTP_USER_AGENT": "pytest",
        "REMOTE_ADDR": "203.0.113.9",
    }
    with contextlib.suppress(ZeroDivisionError):  # the middleware reported it (and re-raised, as it must)
        SentryWsgiMiddleware(app)(environ, lambda *a: None)


def _render_cart(params: dict[str, str]) -> bytes:
    page = int(params["page"])
    return str(10 / (page - 2)).encode()


SCENARIOS: dict[str, tuple[Callable[[], Any], dict[str, Any]]] = {
    "chained": (scenario_chained, {}),
    "recursion": (scenario_recursion, {}),
    "secrets": (scenario_secrets, {}),
    "starlette": (scenario_starlette, {}),
    "httpx": (scenario_httpx, {}),
    "logged": (scenario_logged, {}),
    "logged_stack": (scenario_logged, {"attach_stacktrace": True}),
    "request": (scenario_request, {}),
}


@cache
def sdk_events() -> dict[str, dict[str, Any]]:
    """name → the SDK payload of that scenario (generated once per process)."""
    out: dict[str, dict[str, Any]] = {}
    for name, (fn, options) in SCENARIOS.items():
        events = capture(fn, **options)
        assert len(events) == 1, (name, len(events))
        out[name] = events[0]
    return out


# --- the two upstream shapes (the sandbox's converters: the same the demo upstream serves) ---


def to_sentry_event(ev: dict[str, Any]) -> dict[str, Any]:
    """The SDK payload as Sentry's `GET …/issues/{id}/events/{event_id}/` returns it."""
    return shapes.to_sentry_event(ev, project_id="1", group_id="100")


def to_jentry_event(ev: dict[str, Any]) -> dict[str, Any]:
    """The SDK payload as one element of Jentry's `GET /issues/{id}/events` `data`."""
    return shapes.to_jentry_event(ev, issue_id=42, project_id=1)


def all_shapes() -> list[tuple[str, str, dict[str, Any]]]:
    """(scenario, shape, payload) for every scenario in the SDK, Sentry REST and Jentry shapes."""
    out = []
    for name, ev in sdk_events().items():
        out.append((name, "sdk", ev))
        out.append((name, "sentry", to_sentry_event(ev)))
        out.append((name, "jentry", to_jentry_event(ev)))
    return out
