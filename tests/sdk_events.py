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


# --- the two upstream shapes -------------------------------------------------------------------------------


def _camel_frame(f: dict[str, Any]) -> dict[str, Any]:
    lineno = f.get("lineno")
    context: list[list[Any]] = []
    if lineno is not None and f.get("context_line") is not None:
        pre = f.get("pre_context") or []
        post = f.get("post_context") or []
        context = [[lineno - len(pre) + i, line] for i, line in enumerate(pre)]
        context.append([lineno, f["context_line"]])
        context += [[lineno + 1 + i, line] for i, line in enumerate(post)]
    return {
        "filename": f.get("filename"),
        "absPath": f.get("abs_path"),
        "module": f.get("module"),
        "package": f.get("package"),
        "platform": f.get("platform"),
        "instructionAddr": f.get("instruction_addr"),
        "symbolAddr": f.get("symbol_addr"),
        "function": f.get("function"),
        "rawFunction": None,
        "symbol": None,
        "context": context,
        "lineNo": lineno,
        "colNo": f.get("colno"),
        "inApp": bool(f.get("in_app")),  # Sentry resolves unset to a boolean
        "trust": None,
        "errors": None,
        "lock": None,
        "sourceLink": None,
        "vars": f.get("vars"),
    }


def _camel_stack(st: dict[str, Any] | None) -> dict[str, Any] | None:
    if not st:
        return None
    return {
        "frames": [_camel_frame(f) for f in st.get("frames") or []],
        "framesOmitted": None,
        "registers": None,
        "hasSystemFrames": True,
    }


def _pairs(value: Any) -> list[list[str]]:
    if isinstance(value, dict):
        return [[str(k), str(v)] for k, v in value.items()]
    if isinstance(value, str):
        return [[k, v] for k, v in parse_qsl(value, keep_blank_values=True)]
    return [list(p) for p in value or []]


def _title(ev: dict[str, Any]) -> str:
    values = (ev.get("exception") or {}).get("values") or []
    if values:
        last = values[-1]
        return f"{last.get('type')}: {last.get('value')}"
    log = ev.get("logentry") or {}
    return str(log.get("formatted") or log.get("message") or ev.get("message") or "<unlabeled event>")


def to_sentry_event(ev: dict[str, Any], *, project_id: int = 1, group_id: int = 100) -> dict[str, Any]:
    """The SDK payload as Sentry's `GET …/issues/{id}/events/{event_id}/` returns it."""
    entries: list[dict[str, Any]] = []
    exc = ev.get("exception")
    if exc:
        values = [
            {
                "type": v.get("type"),
                "value": v.get("value"),
                "mechanism": v.get("mechanism"),
                "threadId": v.get("thread_id"),
                "module": v.get("module"),
                "stacktrace": _camel_stack(v.get("stacktrace")),
                "rawStacktrace": None,
            }
            for v in exc.get("values") or []
        ]
        entries.append({"type": "exception", "data": {"values": values, "hasSystemFrames": True}})
    threads = ev.get("threads")
    if threads:
        values = [
            {
                "id": t.get("id"),
                "name": t.get("name"),
                "crashed": bool(t.get("crashed")),
                "current": bool(t.get("current")),
                "main": t.get("main"),
                "stacktrace": _camel_stack(t.get("stacktrace")),
                "rawStacktrace": None,
            }
            for t in threads.get("values") or []
        ]
        entries.append({"type": "threads", "data": {"values": values}})
    log = ev.get("logentry")
    if log:
        entries.append(
            {
                "type": "message",
                "data": {
                    "formatted": log.get("formatted") or log.get("message"),
                    "message": log.get("message"),
                    "params": log.get("params"),
                },
            }
        )
    crumbs = (ev.get("breadcrumbs") or {}).get("values") or []
    if crumbs:
        entries.append({"type": "breadcrumbs", "data": {"values": [{"event_id": None, **c} for c in crumbs]}})
    req = ev.get("request")
    if req:
        entries.append(
            {
                "type": "request",
                "data": {
                    "apiTarget": None,
                    "method": req.get("method"),
                    "url": req.get("url"),
                    "query": _pairs(req.get("query_string")),
                    "fragment": None,
                    "data": req.get("data"),
                    "headers": _pairs(req.get("headers")),
                    "cookies": _pairs(req.get("cookies")),
                    "env": req.get("env"),
                    "inferredContentType": None,
                },
            }
        )
    tags = [{"key": k, "value": v} for k, v in (ev.get("tags") or {}).items()]
    for key in ("environment", "level", "release", "server_name", "transaction"):
        if ev.get(key):
            tags.append({"key": key, "value": str(ev[key])})
    user = ev.get("user") or {}
    if user.get("id"):
        tags.append({"key": "user", "value": f"id:{user['id']}"})
    values = (exc or {}).get("values") or []
    if values:
        mech = values[-1].get("mechanism") or {}
        tags.append({"key": "handled", "value": "no" if mech.get("handled") is False else "yes"})
        if mech.get("type"):
            tags.append({"key": "mechanism", "value": mech["type"]})
    tags.sort(key=lambda t: t["key"])
    title = _title(ev)
    return {
        "id": ev.get("event_id"),
        "groupID": str(group_id),
        "eventID": ev.get("event_id"),
        "projectID": str(project_id),
        "size": len(json.dumps(ev)),
        "entries": entries,
        "dist": None,
        "message": (log or {}).get("formatted") or "",
        "title": title,
        "location": None,
        "user": {
            "id": user.get("id"),
            "email": user.get("email"),
            "username": None,
            "ip_address": user.get("ip_address"),
            "name": None,
            "geo": None,
            "data": None,
        },
        "contexts": ev.get("contexts") or {},
        "sdk": ev.get("sdk"),
        "context": ev.get("extra") or {},
        "packages": ev.get("modules") or {},
        "type": "error" if exc else "default",
        "metadata": {"title": title},
        "tags": tags,
        "platform": ev.get("platform"),
        "dateReceived": ev.get("timestamp"),
        "errors": [],
        "occurrence": None,
        "_meta": {},
        "crashFile": None,
        "culprit": ev.get("transaction") or "",
        "dateCreated": ev.get("timestamp"),
        "fingerprints": ["0" * 32],
        "groupingConfig": {"id": "newstyle:2023-01-11", "enhancements": ""},
        "release": {"version": ev["release"], "shortVersion": ev["release"]} if ev.get("release") else None,
        "userReport": None,
        "sdkUpdates": [],
        "resolvedWith": [],
        "nextEventID": None,
        "previousEventID": None,
    }


def to_jentry_event(ev: dict[str, Any], *, project_id: int = 1, issue_id: int = 42) -> dict[str, Any]:
    """The SDK payload as Jentry's `GET /issues/{id}/events` returns one element of `data`."""
    trace = ((ev.get("contexts") or {}).get("trace") or {}).get("trace_id")
    out = dict(ev)
    out.update(
        {
            "id": ev.get("event_id"),
            "issueId": issue_id,
            "projectId": project_id,
            "message": _title(ev),
            "traceId": trace,
            "receivedAt": ev.get("timestamp"),
        }
    )
    return out


def all_shapes() -> list[tuple[str, str, dict[str, Any]]]:
    """(scenario, shape, payload) for every scenario in the SDK, Sentry REST and Jentry shapes."""
    out = []
    for name, ev in sdk_events().items():
        out.append((name, "sdk", ev))
        out.append((name, "sentry", to_sentry_event(ev)))
        out.append((name, "jentry", to_jentry_event(ev)))
    return out
