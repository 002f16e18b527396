"""Faults: transient upstream failures recover with a bounded wait; the rest become a clear error for the
model within the timeout budget; a failed write is never reported as done.

Part 1 drives the `Upstream` client directly over a scripted transport (exact counts and timings).
Part 2 is end to end: the official MCP client → the real server → the sandbox over real HTTP on 127.0.0.1,
with faults injected by the sandbox, on both backends.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import anyio
import httpx
import pytest

from stacklens.errors import UpstreamError
from stacklens.http import Upstream, _wait_hint

TOKEN = "tok-faults-5d1c0e9a"


@pytest.fixture
def anyio_backend():
    return "asyncio"


class Script:
    """A transport answering from a list of responses (or exceptions), recording every request."""

    def __init__(self, *steps):
        self.steps = list(steps)
        self.requests: list[httpx.Request] = []
        self.times: list[float] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        self.times.append(time.monotonic())
        step = self.steps.pop(0) if len(self.steps) > 1 else self.steps[0]
        if isinstance(step, Exception):
            raise step
        return step


def ok(data=None):
    return httpx.Response(200, json=data if data is not None else {"ok": True})


def status(code, headers=None, **kw):
    return httpx.Response(code, headers=headers or {}, **kw)


def upstream(script: Script, **kw) -> Upstream:
    opts = dict(attempts=4, max_total_wait=2.0, backoff=0.01, timeout=1.0)
    opts.update(kw)
    return Upstream(
        base_url="https://up.example/api/0",
        token=TOKEN,
        label="Sentry",
        token_var="SENTRY_AUTH_TOKEN",
        url_var="SENTRY_URL",
        transport=httpx.MockTransport(script),
        **opts,
    )


async def call(up: Upstream, method="GET", **kw):
    try:
        return await up.request(method, "/organizations/acme/issues/", **kw)
    finally:
        await up.aclose()


# --- part 1: the client's retry policy ----------------------------------------------------------------------


@pytest.mark.anyio
async def test_429_retry_after_then_success():
    s = Script(status(429, {"Retry-After": "0"}), ok([1]))
    reply = await call(upstream(s))
    assert reply.data == [1] and len(s.requests) == 2


@pytest.mark.anyio
async def test_429_retry_after_is_honoured():
    s = Script(status(429, {"Retry-After": "1"}), ok())
    await call(upstream(s, max_total_wait=3))
    assert s.times[1] - s.times[0] >= 0.9  # no upper bound: a loaded machine may only be slower


@pytest.mark.anyio
async def test_429_http_date_retry_after():
    when = format_datetime(datetime.now(UTC) - timedelta(seconds=5), usegmt=True)  # already past: no wait
    s = Script(status(429, {"Retry-After": when}), ok())
    await call(upstream(s))
    assert len(s.requests) == 2
    assert _wait_hint(status(429, {"Retry-After": when})) == 0.0  # already past: retried at once


@pytest.mark.anyio
async def test_429_sentry_reset_header_only():
    wall, mono = time.time(), time.monotonic()
    reset = f"{wall + 0.4:.3f}"
    s = Script(status(429, {"X-Sentry-Rate-Limit-Reset": reset}, json={"detail": "too frequently"}), ok())
    await call(upstream(s))
    assert len(s.requests) == 2
    assert s.times[1] - mono + wall >= float(reset) - 0.01  # waited until the reset, not a blind backoff


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ({"Retry-After": "inf"}, 86400.0),
        ({"Retry-After": "1e400"}, 86400.0),
        ({"Retry-After": "Infinity"}, 86400.0),
        ({"Retry-After": "nan"}, None),
        ({"Retry-After": "-5"}, None),
        ({"Retry-After": "9" * 400}, 86400.0),
        ({"X-Sentry-Rate-Limit-Reset": "nan"}, None),
        ({"X-Sentry-Rate-Limit-Reset": "1e400"}, 86400.0),
        ({"X-Sentry-Rate-Limit-Reset": "-inf"}, 0.0),
    ],
)
def test_odd_wait_hints_are_made_sane(header, expected):
    assert _wait_hint(status(429, header), now=1000.0) == expected


@pytest.mark.anyio
@pytest.mark.parametrize("value", ["inf", "1e400", "nan", "-1"])
async def test_odd_retry_after_is_a_clear_error_or_our_backoff(value):
    s = Script(status(429, {"Retry-After": value}, json={"detail": "slow down"}))
    with pytest.raises(UpstreamError) as err:
        await call(upstream(s))
    assert "rate limit" in str(err.value) and "Traceback" not in str(err.value)
    if value in ("nan", "-1"):  # no usable hint: our own bounded, jittered backoff, not a 4-retry burst
        assert len(s.requests) >= 2 and s.times[-1] - s.times[0] > 0
    else:  # a wait past any bound: said at once, not waited for
        assert len(s.requests) == 1 and "a day or more" in str(err.value)


@pytest.mark.anyio
async def test_reflected_token_in_headers_never_reaches_a_message_or_a_cursor():
    html = status(200, {"Content-Type": f"text/{TOKEN}"}, content=b"<html>x</html>")
    with pytest.raises(UpstreamError) as err:
        await call(upstream(Script(html)))
    assert TOKEN not in str(err.value)
    link = f'<https://up.example/?cursor={TOKEN}>; rel="next"; results="true"; cursor="{TOKEN}"'
    reply = await call(upstream(Script(httpx.Response(200, json=[], headers={"Link": link}))))
    assert reply.next_cursor is None
    odd = '<https://x/>; rel="next"; results="true"; cursor="a\r\nb"'
    assert (
        await call(upstream(Script(httpx.Response(200, json=[], headers={"Link": odd}))))
    ).next_cursor is None


@pytest.mark.anyio
async def test_json_nested_past_what_can_be_read_is_a_clean_error():
    deep = b"[" * 100_000 + b"]" * 100_000
    with pytest.raises(UpstreamError, match="nested too deeply"):
        await call(
            upstream(Script(httpx.Response(200, content=deep, headers={"Content-Type": "application/json"})))
        )


@pytest.mark.anyio
@pytest.mark.parametrize("code", [403, 405])
async def test_a_web_page_on_an_api_route_is_a_missing_route_not_a_scope(code):
    page = status(code, {"Content-Type": "text/html"}, content=b"<html>CSRF cookie not set</html>")
    with pytest.raises(UpstreamError) as err:
        await call(upstream(Script(page)), scope="event:write")
    assert "does not implement" in str(err.value) and "scope" not in str(err.value)
    with pytest.raises(UpstreamError, match="does not implement"):
        await call(upstream(Script(status(405, json={"detail": "Method Not Allowed"}))), "GET")


@pytest.mark.parametrize(
    ("header", "now", "least", "most"),
    [
        ("1000", 1000.3, 0.7, 1.0),  # rounded down (or floored) into the past: the window is still closed
        ("1001", 1000.3, 0.7, 1.7),
        ("1000.8", 1000.3, 0.5, 0.5),  # a precise value is taken as is
        ("999", 1000.3, 0.0, 0.0),  # long past: no wait
        ("soon", 1000.3, None, None),
    ],
)
def test_429_whole_second_reset_is_not_taken_for_now(monkeypatch, header, now, least, most):
    """Found by this suite: Sentry's reset header is whole epoch seconds, so it can read as already past while
    the window is still closed; the client then retried at once and burnt every attempt on 429s."""
    from stacklens import http as http_module

    monkeypatch.setattr(http_module.time, "time", lambda: now)
    hint = http_module._wait_hint(httpx.Response(429, headers={"X-Sentry-Rate-Limit-Reset": header}))
    if least is None:
        assert hint is None
    else:
        assert hint is not None and least - 1e-9 <= hint <= most + 1e-9, hint


@pytest.mark.anyio
async def test_429_long_wait_fails_fast_with_retry_in():
    s = Script(status(429, {"Retry-After": "3600"}))
    t0 = time.monotonic()
    with pytest.raises(UpstreamError) as err:
        await call(upstream(s, max_total_wait=5))
    assert time.monotonic() - t0 < 1  # does not sleep an hour, nor the whole budget
    assert err.value.status == 429 and "rate limit" in str(err.value) and "retry in 3601 s" in str(err.value)
    assert len(s.requests) == 1


@pytest.mark.anyio
async def test_429_persistent_gives_up_after_attempts():
    s = Script(status(429, {"Retry-After": "0"}))
    with pytest.raises(UpstreamError, match=r"rate limit reached \(429\): retry in 1 s"):
        await call(upstream(s, attempts=3))
    assert len(s.requests) == 3


@pytest.mark.anyio
@pytest.mark.parametrize("code", [502, 503, 504])
@pytest.mark.parametrize("method", ["GET", "PUT"])
async def test_gateway_errors_then_success(code, method):
    s = Script(status(code), status(code, text="<html>bad gateway</html>"), ok({"id": "1"}))
    reply = await call(upstream(s), method, json_body={"status": "resolved"} if method == "PUT" else None)
    assert reply.data == {"id": "1"} and len(s.requests) == 3


@pytest.mark.anyio
async def test_total_wait_is_bounded():
    s = Script(status(503))
    t0 = time.monotonic()
    with pytest.raises(UpstreamError, match="503"):
        await call(upstream(s, attempts=50, backoff=0.2, max_total_wait=0.6))
    assert time.monotonic() - t0 < 1.2
    assert 2 <= len(s.requests) < 50


@pytest.mark.anyio
async def test_post_is_not_retried_unless_idempotent():
    s = Script(status(503), ok())
    with pytest.raises(UpstreamError, match="503"):
        await call(upstream(s), "POST", json_body={"version": "1"})
    assert len(s.requests) == 1
    s = Script(status(503), ok({"version": "1"}))  # Jentry's release POST is idempotent: retried
    reply = await call(upstream(s), "POST", json_body={"version": "1"}, idempotent=True)
    assert reply.data == {"version": "1"} and len(s.requests) == 2


@pytest.mark.anyio
async def test_connect_errors_retried_then_clear_error():
    s = Script(httpx.ConnectError("refused"))
    with pytest.raises(UpstreamError) as err:
        await call(upstream(s, attempts=3), "POST")  # never reached the server: safe to retry even a POST
    assert len(s.requests) == 3
    assert "cannot reach Sentry" in str(err.value) and "SENTRY_URL" in str(err.value)
    s = Script(httpx.ConnectError("refused"), ok())
    assert (await call(upstream(s))).data == {"ok": True}


@pytest.mark.anyio
async def test_timeout_is_a_clear_error_not_retried():
    s = Script(httpx.ReadTimeout("slow"))
    with pytest.raises(UpstreamError, match=r"did not answer within 1 s \(STACKLENS_TIMEOUT\)"):
        await call(upstream(s))
    assert len(s.requests) == 1


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("body", "ctype"),
    [
        (b"<!doctype html><html><body>Login</body></html>", "text/html"),
        (b'{"id": "1", "title": "trunc', "application/json"),
        (b"\xff\xfe\x00garbage", "application/octet-stream"),
        (b"OK", "text/plain"),
    ],
)
async def test_non_json_200_is_a_clean_error(body, ctype):
    s = Script(httpx.Response(200, content=body, headers={"Content-Type": ctype}))
    with pytest.raises(UpstreamError) as err:
        await call(upstream(s))
    msg = str(err.value)
    assert "non-JSON" in msg and "SENTRY_URL" in msg and "<html" not in msg and "Traceback" not in msg


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("code", "expect"),
    [
        (401, "rejected the token (401)"),
        (403, "event:write"),
        (404, "Not found (404)"),
        (400, 'refused the request (400): "Invalid query'),
        (500, "failed with 500"),
        (302, "redirected"),
    ],
)
async def test_error_mapping_and_token_scrubbed(code, expect):
    body = {"detail": f"Invalid query near token {TOKEN}"}
    s = Script(httpx.Response(code, json=body, headers={"Location": "https://evil.example/"}))
    with pytest.raises(UpstreamError) as err:
        await call(upstream(s), "PUT", scope="event:write")
    assert expect in str(err.value)
    assert TOKEN not in str(err.value)
    assert len(s.requests) == 1 and s.requests[0].url.host == "up.example"  # redirect not followed


@pytest.mark.anyio
async def test_token_only_in_authorization_header():
    s = Script(ok())
    await call(upstream(s), params=[("query", "is:unresolved")])
    req = s.requests[0]
    assert req.headers["authorization"] == f"Bearer {TOKEN}"
    assert TOKEN not in str(req.url)


@pytest.mark.anyio
async def test_concurrent_retries_do_not_interfere():
    s = Script(status(503), ok())
    up = upstream(s)
    results = []

    async def one():
        results.append((await up.request("GET", "/x/")).status)

    async with anyio.create_task_group() as tg:
        for _ in range(10):
            tg.start_soon(one)
    await up.aclose()
    assert results == [200] * 10


@pytest.mark.anyio
@pytest.mark.parametrize(
    "broken", [httpx.RemoteProtocolError("peer closed"), httpx.ReadError("reset"), httpx.WriteError("pipe")]
)
async def test_a_post_that_may_have_reached_the_server_is_not_resent(broken):
    """Found by this suite: any transport error counted as 'never reached the server', so a POST (a deploy)
    whose connection broke mid-answer was sent again — a duplicate write."""
    s = Script(broken, ok())
    with pytest.raises(UpstreamError) as err:
        await call(upstream(s), "POST", json_body={"environment": "production"})
    assert len(s.requests) == 1
    assert "Traceback" not in str(err.value)
    s = Script(broken, ok({"id": "1"}))  # an idempotent read is simply retried
    assert (await call(upstream(s))).data == {"id": "1"} and len(s.requests) == 2


@pytest.mark.anyio
async def test_undecodable_body_is_a_clean_error():
    """Found by this suite: a body whose Content-Encoding lies raised httpx.DecodingError, which the server
    turned into an opaque 'Error executing tool'."""
    body = httpx.ByteStream(b"not gzip at all")
    s = Script(httpx.Response(200, stream=body, headers={"Content-Encoding": "gzip"}))
    with pytest.raises(UpstreamError, match="could not be decoded"):
        await call(upstream(s))


class Endless(httpx.AsyncByteStream):
    """A body that never ends: fast (a flood) or one byte at a time (a trickle under the read timeout)."""

    def __init__(self, chunk: bytes, pause: float = 0.0) -> None:
        self.chunk, self.pause = chunk, pause

    async def __aiter__(self):
        yield b'{"data": "'
        while True:
            if self.pause:
                await anyio.sleep(self.pause)
            yield self.chunk


@pytest.mark.anyio
async def test_endless_flood_is_cut_at_the_size_cap():
    """Found by this suite: an upstream that never stops sending was read into memory without bound."""
    s = Script(
        httpx.Response(200, stream=Endless(b"x" * (1 << 20)), headers={"Content-Type": "application/json"})
    )
    t0 = time.monotonic()
    with pytest.raises(UpstreamError, match="more than 64 MiB"):
        await call(upstream(s, timeout=30))
    assert time.monotonic() - t0 < 10


@pytest.mark.anyio
async def test_decompression_bomb_is_cut_at_the_size_cap():
    import gzip

    bomb = gzip.compress(b"[" + b"0," * (4 << 20) + b"0]", compresslevel=1)  # 8 MiB of JSON in ~40 KiB
    assert len(bomb) < (1 << 20)
    s = Script(httpx.Response(200, stream=httpx.ByteStream(bomb), headers={"Content-Encoding": "gzip"}))
    with pytest.raises(UpstreamError, match="more than 4 MiB"):  # the cap counts decoded bytes
        await call(upstream(s, timeout=30, max_response_bytes=4 << 20))


@pytest.mark.anyio
async def test_trickle_is_cut_at_the_timeout():
    """Found by this suite: httpx's timeout is per read, so a byte every 0.1 s kept a call alive forever;
    STACKLENS_TIMEOUT now bounds the whole request."""
    s = Script(
        httpx.Response(200, stream=Endless(b"x", pause=0.1), headers={"Content-Type": "application/json"})
    )
    t0 = time.monotonic()
    with pytest.raises(UpstreamError, match=r"did not answer within 0.5 s"):
        await call(upstream(s, timeout=0.5))
    assert time.monotonic() - t0 < 1.5
    assert len(s.requests) == 1


# --- part 2: end to end (official MCP client → server → sandbox over real HTTP) ---------------------------

from mcp_helpers import DEMO_BACKENDS, free_port, inproc, text_of  # noqa: E402
from stacklens.sandbox import Sandbox  # noqa: E402

BACKENDS = DEMO_BACKENDS
PROJECTS = {"sentry": r"/api/0/organizations/acme/projects/$", "jentry": r"/api/v1/projects$"}
ISSUE = {"sentry": ("6120004400", "6120004622"), "jentry": ("101", "107")}
ISSUE_PATH = {"sentry": r"/api/0/organizations/acme/issues/{}/$", "jentry": r"/api/v1/issues/{}$"}


@pytest.fixture(autouse=True)
def quick_backoff(monkeypatch):
    """Same retry policy, shorter jittered backoff (25 ms base instead of 250 ms) so the file runs in seconds."""
    import functools

    from stacklens import server

    monkeypatch.setattr(server, "Upstream", functools.partial(Upstream, backoff=0.025))


def hits(sandbox: Sandbox, pattern: str, method: str | None = None) -> list[int | None]:
    """Statuses the sandbox answered on matching requests (it records a status just after sending it)."""
    sandbox.wait_idle()
    return [r.status for r in sandbox.find_requests(pattern, method)]


async def timed(coro):
    t0 = time.monotonic()
    result = await coro
    return result, time.monotonic() - t0


@pytest.mark.anyio
@pytest.mark.parametrize("backend", BACKENDS)
async def test_e2e_429_retry_after_recovers(backend, sandbox, sandbox_url):
    sandbox.inject(PROJECTS[backend], status=429, headers={"Retry-After": "0"}, times=2)
    async with inproc(backend, sandbox_url) as client:
        result = await client.call_tool("list_projects", {})
    assert not result.is_error, text_of(result)
    assert "shop-web" in text_of(result)
    assert hits(sandbox, PROJECTS[backend]) == [429, 429, 200]


@pytest.mark.anyio
async def test_e2e_429_sentry_reset_header_only(sandbox, sandbox_url):
    # Wall and monotonic clocks read together, to place the sandbox's (monotonic) request times in wall time.
    wall, mono = time.time(), time.monotonic()
    reset = f"{wall + 0.6:.3f}"
    sandbox.inject(
        PROJECTS["sentry"],
        status=429,
        headers={"X-Sentry-Rate-Limit-Reset": reset, "X-Sentry-Rate-Limit-Remaining": "0"},
        body='{"detail": "You are attempting to use this endpoint too frequently."}',
        content_type="application/json",
        times=1,
    )
    async with inproc("sentry", sandbox_url) as client:
        result = await client.call_tool("list_projects", {})
    assert not result.is_error, text_of(result)
    assert hits(sandbox, PROJECTS["sentry"]) == [429, 200]
    retry = [r for r in sandbox.requests if re.search(PROJECTS["sentry"], r.path)][1]
    # The retry waited for the reset instant (however late the client started), not a guessed backoff.
    assert retry.started - mono + wall >= float(reset) - 0.01


@pytest.mark.anyio
async def test_e2e_sandbox_rate_limit_window(sandbox, sandbox_url):
    """The sandbox's own Sentry-style limiter (429 + X-Sentry-Rate-Limit-Reset, no Retry-After)."""
    sandbox.rate_limit = (2, 1.0)
    async with inproc("sentry", sandbox_url) as client:
        results = [await client.call_tool("get_issue", {"issue": ISSUE["sentry"][0]}) for _ in range(3)]
    assert not any(r.is_error for r in results), [text_of(r) for r in results]
    assert 429 in hits(sandbox, r"/issues/")


@pytest.mark.anyio
@pytest.mark.parametrize("backend", BACKENDS)
async def test_e2e_429_long_wait_is_a_clear_error(backend, sandbox, sandbox_url):
    sandbox.inject(PROJECTS[backend], status=429, headers={"Retry-After": "120"}, times=None)
    async with inproc(backend, sandbox_url) as client:
        result = await client.call_tool("list_projects", {})
    assert result.is_error
    assert "rate limit" in text_of(result) and "retry in 121 s" in text_of(result)
    assert len(hits(sandbox, PROJECTS[backend])) == 1  # a wait past the bound: no second try


@pytest.mark.anyio
@pytest.mark.parametrize("backend", BACKENDS)
async def test_e2e_gateway_errors_then_success(backend, sandbox, sandbox_url):
    issue = ISSUE[backend][0]
    path = ISSUE_PATH[backend].format(issue)
    async with inproc(backend, sandbox_url) as client:
        for code in (502, 503, 504):
            sandbox.requests.clear()
            body = "<html><h1>Bad gateway</h1></html>"
            sandbox.inject(path, status=code, body=body, content_type="text/html", times=2)
            result = await client.call_tool("get_issue", {"issue": issue})
            assert not result.is_error, (code, text_of(result))
            assert "shipping_address" in text_of(result)
            assert hits(sandbox, path) == [code, code, 200]


@pytest.mark.anyio
@pytest.mark.parametrize("backend", BACKENDS)
async def test_e2e_transient_error_on_an_idempotent_write_recovers_once(backend, sandbox, sandbox_url):
    issue = ISSUE[backend][0]
    method = "PUT" if backend == "sentry" else "PATCH"
    path = ISSUE_PATH[backend].format(issue)
    sandbox.inject(path, status=503, method=method, times=1)
    async with inproc(backend, sandbox_url) as client:
        result = await client.call_tool("update_issue", {"issue": issue, "status": "resolved"})
    assert not result.is_error, text_of(result)
    assert hits(sandbox, path, method) == [503, 200]
    assert result.structured_content["outcomes"][0]["ok"] is True
    assert result.structured_content["outcomes"][0]["status"] == "resolved"


@pytest.mark.anyio
@pytest.mark.parametrize("backend", BACKENDS)
async def test_e2e_connection_refused(backend):
    dead = f"http://127.0.0.1:{free_port()}"
    async with inproc(backend, dead) as client:
        result = await client.call_tool("get_issue", {"issue": ISSUE[backend][0]})
    assert result.is_error
    var = "SENTRY_URL" if backend == "sentry" else "JENTRY_URL"
    assert "cannot reach" in text_of(result) and var in text_of(result)
    assert "Traceback" not in text_of(result)


@pytest.mark.anyio
@pytest.mark.parametrize("backend", BACKENDS)
async def test_e2e_stall_past_timeout(backend, sandbox, sandbox_url):
    issue = ISSUE[backend][0]
    sandbox.inject(ISSUE_PATH[backend].format(issue), delay=3, times=None)
    async with inproc(backend, sandbox_url, STACKLENS_TIMEOUT="0.5") as client:
        result = await client.call_tool("get_issue", {"issue": issue})
    assert result.is_error
    assert "did not answer within 0.5 s" in text_of(result) and "STACKLENS_TIMEOUT" in text_of(result)
    assert len(hits(sandbox, ISSUE_PATH[backend].format(issue))) == 1  # one timeout, not a retry storm


@pytest.mark.anyio
@pytest.mark.parametrize("backend", BACKENDS)
async def test_e2e_non_json_200(backend, sandbox, sandbox_url):
    issue = ISSUE[backend][0]
    async with inproc(backend, sandbox_url) as client:
        for body, ctype in (
            ("<!doctype html><html><body><form>Sign in</form></body></html>", "text/html"),
            ('{"id": "6120004400", "title": "KeyErr', "application/json"),  # truncated
            ("Service temporarily unavailable", "text/plain"),
            ("", "application/json"),
        ):
            sandbox.inject(ISSUE_PATH[backend].format(issue), status=200, body=body, content_type=ctype)
            result = await client.call_tool("get_issue", {"issue": issue})
            text = text_of(result)
            assert result.is_error, (body, text)
            assert (
                "Traceback" not in text and "<html" not in text and "Error executing tool get_issue" in text
            )
            assert len(text) < 400


@pytest.mark.anyio
@pytest.mark.parametrize("backend", BACKENDS)
async def test_e2e_failed_write_never_reported_done(backend, sandbox, sandbox_url):
    issue = ISSUE[backend][0]
    method = "PUT" if backend == "sentry" else "PATCH"
    path = ISSUE_PATH[backend].format(issue)
    sandbox.inject(path, status=500, method=method, body='{"detail": "boom"}', times=None)
    async with inproc(backend, sandbox_url) as client:
        result = await client.call_tool("update_issue", {"issue": issue, "status": "resolved"})
        after = await client.call_tool("get_issue", {"issue": issue})
    assert result.is_error, text_of(result)
    assert "500" in text_of(result)
    assert "unresolved" in text_of(after) and after.structured_content["status"] != "resolved"


@pytest.mark.anyio
@pytest.mark.parametrize("backend", BACKENDS)
async def test_e2e_failed_release_post_not_resent_nor_reported_done(backend, sandbox, sandbox_url):
    pattern = r"/releases/?$"
    sandbox.inject(pattern, status=500, method="POST", times=None)
    args = {"version": "shop-web@9.9.9", "project": "shop-web", "deploys": [{"environment": "production"}]}
    async with inproc(backend, sandbox_url) as client:
        result = await client.call_tool("create_release", args)
    assert result.is_error, text_of(result)
    assert "500" in text_of(result)
    assert hits(sandbox, pattern, "POST") == [500]  # a failed POST is not blindly resent
    assert not sandbox.find_requests(r"/deploys", "POST")  # nothing built on a release that failed


@pytest.mark.anyio
@pytest.mark.parametrize("backend", BACKENDS)
async def test_e2e_partly_failed_bulk_update_reports_each_issue(backend, sandbox, sandbox_url):
    good, bad = ISSUE[backend]
    if backend == "sentry":  # Sentry updates per project: fail the checkout-api group
        sandbox.inject(r"/projects/acme/checkout-api/issues/$", status=500, method="PUT", times=None)
    else:
        sandbox.inject(ISSUE_PATH[backend].format(bad), status=500, method="PATCH", times=None)
    async with inproc(backend, sandbox_url) as client:
        result = await client.call_tool("update_issue", {"issue": [good, bad], "status": "resolved"})
        good_after = await client.call_tool("get_issue", {"issue": good})
        bad_after = await client.call_tool("get_issue", {"issue": bad})
    text = text_of(result)
    outcomes = {o["issue"]: o for o in result.structured_content["outcomes"]}
    assert outcomes[good]["ok"] is True and outcomes[bad]["ok"] is False
    assert "500" in (outcomes[bad]["error"] or "")
    assert good in text and bad in text and "500" in text
    assert good_after.structured_content["status"] == "resolved"
    assert bad_after.structured_content["status"] != "resolved"


@pytest.mark.anyio
async def test_a_whole_call_is_bounded_not_only_each_request(sandbox, sandbox_url):
    """Eight deploys, each answered just inside STACKLENS_TIMEOUT: every request succeeds, yet the call as a
    whole stops at twice the timeout instead of running for eight of them."""
    sandbox.inject(r"/deploys/$", delay=1.0, method="POST", times=None)
    deploys = [{"environment": f"env{n}"} for n in range(8)]
    async with inproc("sentry", sandbox_url, STACKLENS_TIMEOUT="1.5") as client:
        result = await client.call_tool(
            "create_release", {"version": "shop-web@9.9.9", "project": "shop-web", "deploys": deploys}
        )
    assert result.is_error
    assert "did not finish within 3 s" in text_of(result) and "part of it may have been applied" in text_of(
        result
    )
    assert len(sandbox.find_requests(r"/deploys/$", "POST")) < 8


@pytest.mark.anyio
@pytest.mark.parametrize("backend", BACKENDS)
async def test_e2e_empty_200_on_search_is_an_error_not_no_issues(backend, sandbox, sandbox_url):
    path = r"/organizations/acme/issues/$" if backend == "sentry" else r"/projects/\d+/issues$"
    sandbox.inject(path, status=200, body=b"", content_type="application/json", times=None)
    async with inproc(backend, sandbox_url) as client:
        result = await client.call_tool("search_issues", {"project": "shop-web"})
    assert result.is_error and "empty body" in text_of(result), text_of(result)
    assert "No issues" not in text_of(result)
