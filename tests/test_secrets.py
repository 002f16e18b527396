"""Secrets: the configured token never appears in any tool output, resource, prompt, error or log line, at
any log level, on either transport; event rendering redacts secret-looking values and never shows request
headers or cookies.

Everything captured is grepped: text and structured content, resources, prompts, listings, and the server's
stderr at DEBUG (stdio and HTTP subprocesses) or every log record (in-process).
"""

from __future__ import annotations

import copy
import json
import logging
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager

import httpx
import httpx2
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError

from mcp_helpers import DEMO_BACKENDS, backend_env, free_port, inproc, subprocess_env, text_of
from sdk_events import SECRETS, sdk_events
from stacklens.sandbox import Sandbox
from stacklens.sandbox.state import JENTRY_SCOPES, SENTRY_SCOPES
from stacklens.tools import TOOLS

TOKENS = {"sentry": "sntrys_SECRET_c0ffee5e7a1b9d", "jentry": "jto_SECRET_c0ffee5e7a1b9d"}
HTTP_TOKEN = "gate_SECRET_5eb1d0c2f9"
ISSUE = {"sentry": "6120004400", "jentry": "101"}
ISSUE_PATH = {"sentry": r"/api/0/organizations/acme/issues/{}/$", "jentry": r"/api/v1/issues/{}$"}
BACKENDS = DEMO_BACKENDS


def secret_env(backend: str, url: str, **extra: str) -> dict[str, str]:
    var = "SENTRY_AUTH_TOKEN" if backend == "sentry" else "JENTRY_AUTH_TOKEN"
    return backend_env(backend, url, **{var: TOKENS[backend], **extra})


def trust(sandbox: Sandbox, backend: str) -> None:
    """Make the sandbox accept this file's distinctive token (all scopes)."""
    if backend == "sentry":
        sandbox.config.sentry_tokens[TOKENS["sentry"]] = SENTRY_SCOPES
    else:
        sandbox.config.jentry_tokens[TOKENS["jentry"]] = JENTRY_SCOPES


def hostile_echoes(sandbox: Sandbox, backend: str, token: str) -> None:
    """Faults whose bodies echo the token back, as a hostile or careless upstream would."""
    path = ISSUE_PATH[backend].format(ISSUE[backend])
    for status, body, ctype in (
        (401, json.dumps({"detail": f"Invalid token {token}"}), "application/json"),
        (403, json.dumps({"error": f"token {token} lacks event:read"}), "application/json"),
        (400, json.dumps({"detail": {"code": "x", "message": f"bad: Bearer {token}"}}), "application/json"),
        (404, json.dumps({"token": [token]}), "application/json"),
        (500, f"<html>Authorization: Bearer {token}</html>", "text/html"),
        (429, json.dumps({"detail": f"slow down {token}"}), "application/json"),
        (200, f"not json {token}", "text/plain"),
    ):
        headers = {"Retry-After": "600", "X-Echo": token} if status == 429 else {"X-Echo": token}
        sandbox.inject(path, status=status, body=body, content_type=ctype, headers=headers, times=1)


CALLS = [
    *((t.name, dict(t.example)) for t in TOOLS),  # every registered tool, from its own example call
    ("get_issue", {"issue": "999999999"}),  # a 404 through the real path
    ("search_issues", {"status": "bogus"}),  # a validation error
]


def _args(args: dict, backend: str) -> dict:
    return json.loads(json.dumps(args).replace("{issue}", ISSUE[backend]))


async def exercise(client, backend: str, sandbox: Sandbox | None = None) -> list[str]:
    """Every tool (successes and failures), every resource template, every prompt and listing; returns all
    the text the client received."""
    seen: list[str] = []

    def keep(obj) -> None:
        seen.append(obj if isinstance(obj, str) else json.dumps(obj, default=str))

    keep([t.model_dump(mode="json") for t in (await client.list_tools()).tools])
    keep([t.model_dump(mode="json") for t in (await client.list_resource_templates()).resource_templates])
    keep([p.model_dump(mode="json") for p in (await client.list_prompts()).prompts])
    for name, args in CALLS:
        result = await client.call_tool(name, _args(args, backend))
        keep(text_of(result))
        keep(result.structured_content or {})
    if sandbox is not None:  # the same reads again, now answered by an upstream echoing the token
        hostile_echoes(sandbox, backend, TOKENS[backend])
        for _ in range(7):
            result = await client.call_tool("get_issue", {"issue": ISSUE[backend]})
            keep(text_of(result))
            assert result.is_error, text_of(result)
    i = ISSUE[backend]
    for uri in (
        f"{backend}://issues/{i}",
        f"{backend}://issues/{i}/events/latest",
        f"{backend}://issues/{i}/events/x",
    ):
        try:
            keep((await client.read_resource(uri)).model_dump(mode="json"))
        except MCPError as exc:
            keep(str(exc))
    for name, args in (("debug_issue", {"issue": i}), ("triage_new_errors", {"window": "7d"})):
        keep((await client.get_prompt(name, args)).model_dump(mode="json"))
    return seen


def assert_clean(texts: list[str], *secrets: str) -> None:
    blob = "\n".join(texts)
    assert len(blob) > 2000, "nothing much was captured: the test would prove nothing"
    for secret in secrets:
        assert secret not in blob, (
            f"{secret!r} leaked: …{blob[max(0, blob.find(secret) - 200) : blob.find(secret) + 60]}…"
        )


# --- in-process, every log record at DEBUG ----------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize("backend", BACKENDS)
async def test_token_never_in_outputs_errors_or_logs_inprocess(backend, sandbox, sandbox_url, caplog):
    trust(sandbox, backend)
    caplog.set_level(logging.DEBUG)  # root: every library's DEBUG records (httpx, httpcore, mcp, stacklens)
    async with inproc(backend, sandbox_url, **secret_env(backend, sandbox_url)) as client:
        seen = await exercise(client, backend, sandbox)
    assert sum(r.auth == "valid" for r in sandbox.requests) >= 10  # the token was really used
    records = [f"{r.name} {r.levelname} {r.getMessage()} {r.exc_text or ''}" for r in caplog.records]
    assert any("DEBUG" in r for r in records)
    assert_clean(seen + records + [caplog.text], TOKENS[backend])


# --- stdio subprocess, stderr at DEBUG ---------------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize("backend", ["sentry"])  # the backend-specific paths are covered in-process above
async def test_token_never_in_stdio_stderr_at_debug(backend, sandbox, sandbox_url):
    trust(sandbox, backend)
    env = secret_env(backend, sandbox_url)
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "stacklens", "--log-level", "DEBUG"], env=subprocess_env(env)
    )
    with tempfile.TemporaryFile("w+", encoding="utf-8") as err:
        async with Client(stdio_client(params, errlog=err)) as client:
            seen = await exercise(client, backend, sandbox)
        err.seek(0)
        stderr = err.read()
    assert " DEBUG " in stderr and "httpcore" in stderr  # DEBUG really was on, libraries included
    assert sum(r.auth == "valid" for r in sandbox.requests) >= 10
    assert_clean([*seen, stderr], TOKENS[backend])


# --- HTTP subprocess, stderr at DEBUG, with the gate token and a per-request upstream token ----------------


@contextmanager
def http_server_logged(env: dict[str, str], *args: str):
    """`stacklens --transport http --log-level DEBUG`; yields (url, read_stderr)."""
    port = free_port()
    cmd = [
        sys.executable,
        "-m",
        "stacklens",
        "--transport",
        "http",
        "--port",
        str(port),
        "--log-level",
        "DEBUG",
    ]
    with tempfile.TemporaryFile("w+", encoding="utf-8") as err:
        proc = subprocess.Popen([*cmd, *args], env=subprocess_env(env), stdout=subprocess.DEVNULL, stderr=err)
        url = f"http://127.0.0.1:{port}/mcp"
        try:
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                assert proc.poll() is None, "server exited"
                try:
                    httpx.get(url, timeout=0.5)
                    break
                except httpx.HTTPError:
                    time.sleep(0.05)

            def read() -> str:
                err.seek(0)
                return err.read()

            yield url, read
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("backend", "per_request"), [("jentry", False), ("sentry", True)], ids=["env-token", "token-from-request"]
)
async def test_token_never_in_http_stderr_at_debug(backend, per_request, sandbox, sandbox_url):
    trust(sandbox, backend)
    env = secret_env(backend, sandbox_url, STACKLENS_HTTP_TOKEN=HTTP_TOKEN)
    headers = {"Authorization": f"Bearer {HTTP_TOKEN}"}
    args: tuple[str, ...] = ()
    if per_request:  # team deployment: the upstream token travels with each request, not in the env
        env.pop("SENTRY_AUTH_TOKEN" if backend == "sentry" else "JENTRY_AUTH_TOKEN")
        headers["X-Upstream-Token"] = TOKENS[backend]
        args = ("--token-from-request",)
    with http_server_logged(env, *args) as (url, stderr):
        http = httpx2.AsyncClient(headers=headers, timeout=30)
        async with http, Client(streamable_http_client(url, http_client=http)) as client:
            seen = await exercise(client, backend, sandbox)
        # refused requests are not logged with what they carried either
        httpx.post(
            url, headers={"Authorization": f"Bearer {HTTP_TOKEN}x", "X-Upstream-Token": "t"}, timeout=5
        )
        time.sleep(0.2)
        log = stderr()
    assert " DEBUG " in log
    assert sum(r.auth == "valid" for r in sandbox.requests) >= 10
    assert_clean([*seen, log], TOKENS[backend], HTTP_TOKEN)


# --- events: secrets in application data -------------------------------------------------------------------


def plant(sandbox: Sandbox, issue: str, sdk: dict) -> dict:
    """Make `sdk` (an SDK payload) the issue's latest event, in the sandbox's dataset (served in both shapes)."""
    latest = sandbox.events[issue][0]["sdk"]
    payload = copy.deepcopy(sdk)
    for key in ("event_id", "timestamp"):
        payload[key] = latest[key]
    sandbox.events[issue][0]["sdk"] = payload
    return payload


def hostile_request_event(token: str) -> dict:
    """The 'request' scenario, plus every place a secret can hide in an event."""
    ev = copy.deepcopy(sdk_events()["request"])
    req = ev.setdefault("request", {})
    req["headers"] = {
        "Authorization": f"Bearer {token}",
        "Cookie": "sessionid=COOKIESECRET42",
        "X-Api-Key": token,
    }
    req["cookies"] = {"sessionid": "COOKIESECRET42", "csrftoken": "CSRFSECRET99"}
    req["query_string"] = f"page=2&access_token={token}&api_key=sk_live_APIKEY_51Hx"
    req["data"] = {"password": "hunter2-pw-SECRET", "card": "4111 1111 1111 1111"}
    crumbs = ev.setdefault("breadcrumbs", {}).setdefault("values", [])
    crumbs.append(
        {
            "type": "http",
            "category": "httplib",
            "level": "info",
            "timestamp": ev["timestamp"],
            "data": {
                "url": f"https://api.example/v1/x?token={token}&q=1",
                "method": "GET",
                "status_code": 200,
            },
        }
    )
    crumbs.append(
        {"category": "auth", "message": f"Authorization: Bearer {token}", "timestamp": ev["timestamp"]}
    )
    return ev


@pytest.mark.anyio
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("scenario", ["secrets", "request"])
async def test_event_rendering_redacts_secrets(backend, scenario, sandbox, sandbox_url):
    issue_id = next(k for k, v in sandbox.issues.items() if str(v.get("jentryId")) == "101")
    event = sdk_events()[scenario] if scenario == "secrets" else hostile_request_event(TOKENS[backend])
    plant(sandbox, issue_id, event)
    trust(sandbox, backend)
    async with inproc(backend, sandbox_url, **secret_env(backend, sandbox_url)) as client:
        result = await client.call_tool("get_latest_event", {"issue": ISSUE[backend], "breadcrumbs": 100})
        full = await client.call_tool("get_latest_event", {"issue": ISSUE[backend], "frames": "all"})
        resource = await client.read_resource(f"{backend}://issues/{ISSUE[backend]}/events/latest")
    assert not result.is_error, text_of(result)
    outputs = [
        text_of(result),
        json.dumps(result.structured_content),
        text_of(full),
        json.dumps(full.structured_content),
        resource.model_dump_json(),
    ]
    blob = "\n".join(outputs)
    assert "[redacted]" in blob  # redaction happened (and said so), nothing was silently dropped
    leaked = {name: value for name, value in SECRETS.items() if value in blob}
    assert not leaked, leaked
    for secret in (TOKENS[backend], "COOKIESECRET42", "CSRFSECRET99", "hunter2-pw-SECRET"):
        assert secret not in blob
    lowered = blob.lower()
    assert "cookie:" not in lowered and "x-api-key" not in lowered and "user-agent" not in lowered
    if scenario == "request":
        assert "page=2" in blob  # the harmless part of the query survives: redaction is targeted


@pytest.mark.anyio
@pytest.mark.parametrize("backend", BACKENDS)
async def test_token_reflected_in_upstream_data_is_not_shown(backend, sandbox, sandbox_url):
    """Found by this suite: a token inside upstream *data* (an issue title, an event message — an app that
    crashed while calling the API with the same token) went straight into the answer."""
    token = TOKENS[backend]
    issue_id = next(k for k, v in sandbox.issues.items() if str(v.get("jentryId")) == "101")
    sandbox.issues[issue_id]["title"] = f"AuthError: token {token} rejected"
    sandbox.issues[issue_id]["culprit"] = f"client.call(token={token!r})"
    event = copy.deepcopy(sdk_events()["request"])
    event["exception"]["values"][-1]["value"] = f"401 for {token}"
    event["message"] = f"calling with {token}"
    event.setdefault("tags", {})["api_token_hint"] = token
    plant(sandbox, issue_id, event)
    trust(sandbox, backend)
    texts = []
    async with inproc(backend, sandbox_url, **secret_env(backend, sandbox_url)) as client:
        for name, args in (
            ("get_issue", {"issue": ISSUE[backend]}),
            ("search_issues", {"query": "AuthError", "status": "all"}),
            ("get_latest_event", {"issue": ISSUE[backend]}),
            ("list_issue_events", {"issue": ISSUE[backend]}),
        ):
            result = await client.call_tool(name, args)
            assert not result.is_error, text_of(result)
            texts += [text_of(result), json.dumps(result.structured_content)]
    blob = "\n".join(texts)
    assert "AuthError" in blob and "[token]" in blob
    assert token not in blob
