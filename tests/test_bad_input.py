"""Bad input, as a prompt-injected model would send it: refused before any request with a message that
says what is valid, or safely encoded.

Part 1: the validators themselves (refs, query building, path segments, windows).
Part 2: every tool end to end on both backends against the sandbox, asserting the sandbox saw no request.
"""

from __future__ import annotations

import json

import pytest

from mcp_helpers import DEMO_BACKENDS
from stacklens.backends.jentry.plan import jentry_plan
from stacklens.backends.sentry.search import sentry_search
from stacklens.errors import InvalidInput, NotSupported
from stacklens.http import segment
from stacklens.query import IssueFilter, parse_window
from stacklens.refs import check_event_id, check_slug, check_tag_key, parse_issue_ref, parse_issue_refs
from stacklens.tools import TOOLS as REGISTRY

HUGE = "x" * 10_240
TRAVERSAL = ["../", "..", "../../etc/passwd", "%2e%2e", "%2e%2e%2f", "..%2f..", "a/../b", "./."]
INJECTION = ["a\r\nX-Evil: 1", "a\nb", "a\rb", "a\x00b", "a\tb", "a\x7fb"]
URL_CHARS = ["a?b=1", "a#frag", "a/b", "a b", "a;b", "a&b"]
OTHER_HOSTS = ["https://evil.example/", "//evil.example/x", "http://127.0.0.1:22/", "file:///etc/passwd"]

# --- part 1: validators ---------------------------------------------------------------------------


@pytest.mark.parametrize("backend", DEMO_BACKENDS)
@pytest.mark.parametrize(
    "raw",
    [
        "",
        " ",
        HUGE,
        *TRAVERSAL,
        *INJECTION,
        *URL_CHARS,
        *OTHER_HOSTS,
        "https://evil.example/issues/../admin/",
        "https://evil.example/issues/%2e%2e/",
        "https://evil.example/issues/12%0d%0aX/",
        "https://evil.example/issues/12%2f..%2f/",
        "https://evil.example/organizations/acme/",
        "-1",
        "1.5",
        "1e9",
        "0x1f",
        "١٢٣",  # non-ASCII digits
        "1" * 21,
        "SHOP-1A?x",
        "SHOP-1A#x",
        "SHOP/1A",
    ],
)
def test_issue_reference_refused(backend, raw):
    with pytest.raises(InvalidInput) as err:
        parse_issue_ref(raw, backend)
    msg = str(err.value)
    assert "numeric" in msg or "short id" in msg or "required" in msg or "too long" in msg, msg
    assert "\n" not in msg and "\r" not in msg
    assert len(msg) < 400  # a 10 KB input is not echoed back in full


def test_url_reference_takes_only_the_id():
    ref = parse_issue_ref("https://evil.example:8443/organizations/acme/issues/42/?project=1#x", "sentry")
    assert ref.value == "42"
    assert parse_issue_ref("https://evil.example/projects/9/issues/42", "jentry").value == "42"


@pytest.mark.parametrize("raw", ["SHOP-1A", "abc", "42a", "https://jentry.app/projects/1/issues/SHOP-1"])
def test_jentry_ids_are_numeric(raw):
    with pytest.raises(InvalidInput, match="numeric"):
        parse_issue_ref(raw, "jentry")


def test_issue_lists():
    for bad in ([], [None], ["1", "../x"], [str(i) for i in range(101)]):
        with pytest.raises(InvalidInput):
            parse_issue_refs(bad, "sentry")


@pytest.mark.parametrize("value", ["", " ", ".", "..", HUGE, *TRAVERSAL, *INJECTION, *URL_CHARS, "a@b", "é"])
def test_slugs_refused(value):
    with pytest.raises(InvalidInput, match="slug"):
        check_slug(value)


@pytest.mark.parametrize("value", ["", ".", "..", "x" * 201, *INJECTION, *URL_CHARS, "a@b", "k[x]"])
def test_tag_keys_refused(value):
    with pytest.raises(InvalidInput, match="letters, digits"):
        check_tag_key(value)


@pytest.mark.parametrize("value", ["", "..", "x" * 65, *TRAVERSAL, *INJECTION, *URL_CHARS, "a.b"])
def test_event_ids_refused(value):
    with pytest.raises(InvalidInput, match="latest, oldest, recommended"):
        check_event_id(value)


@pytest.mark.parametrize("value", ["", ".", "..", *INJECTION])
def test_segment_refuses(value):
    with pytest.raises(InvalidInput):
        segment(value)


@pytest.mark.parametrize(
    ("value", "encoded"),
    [
        ("shop@1.4.2+build/7", "shop%401.4.2%2Bbuild%2F7"),
        ("../etc", "..%2Fetc"),
        ("%2e%2e", "%252e%252e"),
        ("a?b#c", "a%3Fb%23c"),
        ("...", "..."),
        ("v 1", "v%201"),
    ],
)
def test_segment_encodes(value, encoded):
    assert segment(value) == encoded


@pytest.mark.parametrize(
    ("kwargs", "valid"),
    [
        ({"status": "open"}, "unresolved, resolved, ignored, all"),
        ({"status": "unresolved; DROP"}, "unresolved, resolved, ignored, all"),
        ({"level": "critical"}, "fatal, error, warning, info, debug"),
        ({"level": ["error", "bogus"]}, "fatal, error, warning, info, debug"),
        ({"sort": "random"}, "last_seen, first_seen, events, users, trends"),
        ({"limit": 0}, "1–100"),
        ({"limit": -1}, "1–100"),
        ({"limit": 10**6}, "1–100"),
        ({"limit": True}, "1–100"),
        ({"min_events": -1}, "non-negative"),
        ({"first_seen": "the day before"}, '"24h"'),
        ({"first_seen": "0h"}, "positive"),
        ({"last_seen": "2026-13-45"}, "ISO date"),
        ({"last_seen": "24x"}, "ISO date"),
        ({"last_seen": "1e9h"}, "ISO date"),
        ({"first_seen": "9999999h"}, "ISO date"),
        ({"first_seen": HUGE}, "ISO date"),
        ({"tags": {"a b": "x"}}, "letters, digits"),
        ({"tags": {"../x": "x"}}, "letters, digits"),
        ({"tags": {"k\r\nX": "x"}}, "letters, digits"),
        ({"tags": {"k": ""}}, "needs a value"),
        ({"tags": {"k": "a\r\nb"}}, "control characters"),
        ({"release": "v1\\"}, "backslash"),
        ({"release": "v1\r\n"}, "control characters"),
        ({"query": "a\nb"}, "control characters"),
        ({"query": HUGE}, "too long"),
        ({"cursor": "0:100:0\r\nX: y"}, "control characters"),
        ({"assigned": "me\n"}, "control characters"),
        ({"environment": "pro\r\nd"}, "control characters"),
        ({"environment": "x" * 201}, "too long"),
        ({"project": "../acme"}, "slug"),
        ({"project": "a/b"}, "slug"),
        ({"project": "a?b"}, "slug"),
        ({"project": HUGE}, "slug"),
        ({"sentry_query": 'message:"oops'}, "unbalanced quote"),
        ({"sentry_query": "(level:error OR level:fatal)"}, "level:[error, fatal]"),
        ({"sentry_query": "level:[error"}, "unbalanced brackets"),
    ],
)
def test_search_filters_refused_with_what_is_valid(kwargs, valid):
    with pytest.raises(InvalidInput) as err:
        IssueFilter.build(**kwargs)
    assert valid in str(err.value)


@pytest.mark.parametrize("window", ["999999w", "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-14:00"])
def test_extreme_windows_never_crash(window):
    """Found by this suite: these raised OverflowError (a hidden tool failure) instead of a message."""
    try:
        f = IssueFilter.build(first_seen=window, last_seen=window)
    except InvalidInput as exc:
        assert "first_seen" in str(exc) or "last_seen" in str(exc)
        return
    sentry_search(f)
    jentry_plan(f)


def test_trailing_backslash_refused_before_any_request():
    f = IssueFilter.build(tags={"k": "v\\"})  # Jentry refuses tags outright; Sentry cannot quote this value
    with pytest.raises(InvalidInput, match="backslash"):
        sentry_search(f)


def test_free_text_cannot_inject_search_syntax():
    q = sentry_search(IssueFilter.build(query='x is:resolved"')).query
    assert q == 'is:unresolved "x is:resolved\\""'
    q = sentry_search(IssueFilter.build(query="a) (b")).query
    assert q == 'is:unresolved "a) (b"'
    q = sentry_search(IssueFilter.build(tags={"url": 'x" is:resolved "'})).query
    assert q == 'is:unresolved url:"x\\" is:resolved \\""'


@pytest.mark.parametrize(
    ("kwargs", "hint"),
    [
        ({"environment": "production"}, "list_issue_events"),
        ({"tags": {"browser": "Chrome"}}, "list_tag_values"),
        ({"sentry_query": "is:linked"}, "query"),
        ({"sort": "trends"}, "last_seen"),
        ({"assigned": "alice@example.com"}, "user id"),
    ],
)
def test_jentry_unsupported_filters_name_the_alternative(kwargs, hint):
    with pytest.raises(NotSupported, match=hint):
        jentry_plan(IssueFilter.build(**kwargs), me=1)


def test_window_parser_accepts_the_documented_forms():
    assert parse_window("24h", "w").relative == "24h"
    assert parse_window("2w", "w").relative == "2w"
    assert parse_window("30m", "w").relative == "30m"
    assert parse_window("2026-01-15", "w").date_only
    assert parse_window("", "w") is None


# --- part 2: every tool, end to end, both backends ----------------------------------------------------------
#
# A case is refused ("R": an isError answer and NOTHING sent upstream) or safely encoded ("E": whatever the
# answer, every request the sandbox saw is on one of the API's routes, each value one encoded segment).

import re  # noqa: E402

from mcp.shared.exceptions import MCPError  # noqa: E402

from mcp_helpers import inproc, text_of  # noqa: E402

SEG = r"(?:[A-Za-z0-9_.~@+-]|%[0-9A-F]{2})+"
ROUTES = {
    "sentry": [
        rf"/api/0/organizations/acme/{tail}"
        for tail in (
            "",
            "projects/",
            "issues/",
            r"issues/[A-Za-z0-9_-]+/",
            r"issues/[A-Za-z0-9_-]+/events/",
            r"issues/[A-Za-z0-9_-]+/tags/",
            rf"issues/[A-Za-z0-9_-]+/events/{SEG}/",
            rf"issues/[A-Za-z0-9_-]+/tags/{SEG}/values/",
            "releases/",
            rf"releases/{SEG}/deploys/",
            rf"releases/{SEG}/commits/",
            rf"releases/{SEG}/commitfiles/",
            "audit-logs/",
        )
    ]
    + [rf"/api/0/projects/acme/{SEG}/issues/"],
    "jentry": [
        r"/api/v1/projects",
        r"/api/v1/projects/[0-9]+/issues",
        r"/api/v1/issues/[0-9]+",
        r"/api/v1/issues/[0-9]+/events",
        r"/api/v1/projects/[0-9]+/releases",
        r"/api/v1/audit",
    ],
}
ID = {"sentry": "6120004400", "jentry": "101"}
BAD_ISSUES = [
    "",
    " ",
    "..",
    "../",
    "../../etc/passwd",
    "%2e%2e",
    "%2e%2e%2f",
    "1/../../x",
    "1?x=1",
    "1#frag",
    "1/2",
    "1\r\nX-Evil: 1",
    "\x00",
    HUGE,
    "https://evil.example/",
    "https://evil.example/issues/../admin/",
    "https://evil.example/issues/%2e%2e/",
    "https://evil.example/issues/1%0d%0aX/",
    "//evil.example/issues/1/",
    "file:///etc/passwd",
    "-1",
    "1.5",
    "١٢٣",
]


def R(args, hint: str = ""):
    return ("R", args, hint)


def E(args):
    return ("E", args, "")


def issue_cases(backend: str, extra: dict) -> list:
    cases = [R({**extra, "issue": bad}) for bad in BAD_ISSUES]
    if backend == "jentry":
        cases += [
            R({**extra, "issue": v}, "numeric") for v in ("SHOP-1A", "https://jentry.app/issues/SHOP-1A")
        ]
    # a URL on another host is only a reference: its id is used, its host never contacted
    cases.append(E({**extra, "issue": f"https://evil.example/organizations/acme/issues/{ID[backend]}/"}))
    return cases


def cases_for(backend: str, tool: str) -> list:
    i = ID[backend]
    bad_limits = [0, -1, 10**6, "ten", 2.5, None]
    if tool == "search_issues":
        c = [
            R({"status": "open"}, "unresolved"),
            R({"status": ""}),
            R({"level": "critical"}, "fatal"),
            R({"level": ["error", "bogus"]}),
            R({"sort": "random"}, "last_seen"),
            R({"min_events": -1}),
            R({"first_seen": "the day before"}, "24h"),
            R({"first_seen": "0h"}),
            R({"first_seen": "999999w"}),
            R({"first_seen": "0001-01-01T00:00:00+01:00"}),
            R({"last_seen": "2026-13-45"}, "ISO"),
            R({"last_seen": "24x"}),
            R({"last_seen": HUGE}),
            R({"project": "../acme"}, "slug"),
            R({"project": "a/b"}),
            R({"project": "a?b"}),
            R({"project": "a#b"}),
            R({"project": ".."}),
            R({"project": "."}),
            R({"project": HUGE}),
            E({"project": "no-such-project"}),  # needs the projects list to know; then refused by name
            R({"query": HUGE}),
            R({"query": "a\r\nb"}, "control"),
            R({"release": "v1\r\nX: y"}),
            R({"release": "v1\\"}, "backslash"),
            R({"assigned": "me\r\n"}),
            R({"cursor": "0:0:0\r\nX: y"}),
            R({"tags": {"../x": "a"}}),
            R({"tags": {"k": "a\r\nb"}}),
        ]
        c += [R({"limit": v}) for v in bad_limits]
        if backend == "sentry":
            c += [
                R({"sentry_query": 'message:"unterminated'}, "unbalanced quote"),
                R({"sentry_query": "(a OR b)"}, "level:[error, fatal]"),
                R({"environment": "pro\r\nd"}, "control"),
                R({"tags": {"k": "v\\"}}, "backslash"),
                E({"query": 'x" is:resolved "', "tags": {"url": "/a?b=1#c"}, "environment": "a/b?c#d"}),
                E({"release": "shop@1.0/../../admin?x=1#y", "assigned": "#team"}),
            ]
        else:
            c += [
                R({"environment": "production"}, "list_issue_events"),
                R({"tags": {"browser": "Chrome"}}, "list_tag_values"),
                R({"sentry_query": "is:linked"}),
                R({"sort": "trends"}),
                R({"assigned": "alice@example.com"}, "user id"),
                R({"assigned": "me"}, "JENTRY_USER_ID"),
                R({"cursor": "not-a-cursor"}),
                E({"query": "../../x?y#z", "release": "a/b?c"}),
            ]
        return c
    if tool == "get_issue":
        return issue_cases(backend, {})
    if tool in ("get_latest_event", "get_event"):
        extra = {"event_id": "latest"} if tool == "get_event" else {}
        c = issue_cases(backend, extra)
        c += [R({**extra, "issue": i, "frames": "everything"}), R({**extra, "issue": i, "breadcrumbs": -1})]
        c += [R({**extra, "issue": i, "breadcrumbs": 101}), R({**extra, "issue": i, "environment": HUGE})]
        if backend == "jentry":
            c.append(R({**extra, "issue": i, "environment": "prod\r\nX: y"}, "control"))
        else:
            c.append(E({**extra, "issue": i, "environment": "prod/../x?y#z"}))
        if tool == "get_event":
            for bad in ("", "..", "../x", "x/y", "x?y", "x#y", "a" * 65, "latest\r\n", "%2e%2e", HUGE):
                c.append(R({"issue": i, "event_id": bad}, "" if bad == HUGE or len(bad) > 64 else "latest"))
        return c
    if tool == "list_issue_events":
        c = issue_cases(backend, {})
        c += [R({"issue": i, "limit": v}) for v in bad_limits]
        c.append(E({"issue": i, "cursor": HUGE}))  # an opaque upstream cursor: sent as one parameter
        if backend == "jentry":
            c.append(R({"issue": i, "cursor": "0:10:0"}, "no further pages"))
        return c
    if tool == "list_tag_values":
        c = issue_cases(backend, {"key": "browser"})
        for bad in ("", "..", "../x", "a/b", "a?b", "a#b", "a b", "k\r\nX", HUGE, "%2e%2e"):
            c.append(R({"issue": i, "key": bad}, "" if bad == HUGE else "letters, digits"))
        c += [R({"issue": i, "key": "browser", "limit": v}) for v in bad_limits]
        return c
    if tool == "update_issue":
        c = issue_cases(backend, {"status": "resolved"})
        c += [
            R({"issue": [i, "../x"], "status": "resolved"}),  # one bad reference: nothing at all is sent
            R({"issue": [i, "1\r\nX: y"], "status": "resolved"}),
            R({"issue": [], "status": "resolved"}),
            R({"issue": [str(n) for n in range(101)], "status": "resolved"}, "at most 100"),
            R({"issue": i}, "nothing to change"),
            R({"issue": i, "status": "deleted"}),
            R({"issue": i, "status": ""}),
            R({"issue": i, "assignee": "x\r\ny"}),
            R({"issue": i, "ignore_minutes": 0}),
            R({"issue": i, "ignore_minutes": -1}),
            R({"issue": i, "ignore_count": 0}),
            R({"issue": i, "assignee": HUGE}),
        ]
        if backend == "jentry":
            c += [
                R({"issue": i, "assignee": "alice@example.com"}),
                R({"issue": i, "status": "resolved_in_next_release"}),
            ]
        return c
    if tool == "list_releases":
        c = [R({"project": p}, "slug") for p in ("../x", "a/b", "a?b", "a#b", "..")]
        c.append(R({"project": HUGE}))
        c += [R({"limit": v}) for v in bad_limits]
        c += [R({"query": HUGE}), E({"query": "a/b?c#d ../"})]
        return c
    if tool == "create_release":
        base = {"project": "shop-web"}
        c = [
            R({**base, "version": ""}),
            (R if backend == "sentry" else E)({**base, "version": "."}),  # Jentry: only a JSON value
            (R if backend == "sentry" else E)({**base, "version": ".."}),
            R({**base, "version": "v1\r\nX: y"}, "control"),
            R({**base, "version": "v1\n"}),
            R({**base, "version": HUGE}),
            R({"version": "v1", "project": "../x"}, "slug"),
            R({"version": "v1", "project": "a/b"}),
            R({**base, "version": "v1", "date_released": "tomorrow"}, "ISO"),
            R({**base, "version": "v1", "date_released": "2026-13-45"}),
            R({**base, "version": "v1", "deploys": [{"environment": "production", "deployed_at": "soon"}]}),
            R({**base, "version": "v1", "deploys": [{"environment": ""}]}),
            R({**base, "version": "v1", "commits": [{"sha": ""}]}),
            E({**base, "version": "shop@1.0/../../admin?x=1#y", "deploys": [{"environment": "production"}]}),
            E({**base, "version": "%2e%2e", "deploys": [{"environment": "production"}]}),
        ]
        return c
    if tool == "read_audit":
        c = [R({"limit": v}) for v in bad_limits]
        c += [R({"action": HUGE}), E({"cursor": HUGE})]
        if backend == "jentry":
            c += [R({"action": "a\r\nb"}, "control"), R({"cursor": "x"})]
        else:
            c.append(E({"action": "member.invite&event=x#y"}))
        return c
    return []  # a tool with no hand-written cases still gets the generic ones below


def _takes_text(prop: dict) -> bool:
    kinds = [prop.get("type"), *(p.get("type") for p in prop.get("anyOf", []))]
    return "string" in kinds or any(isinstance(k, list) and "string" in k for k in kinds)


def generic_cases(backend: str, spec, schema: dict) -> list:
    """For every text parameter of any registered tool: path, header and size attacks on top of the tool's own
    example call. Each must be refused or sent as inert data (no route left, no raw CR/LF or `..`)."""
    base = json.loads(json.dumps(dict(spec.example)).replace("{issue}", ID[backend]))
    cases = []
    for name, prop in schema.get("properties", {}).items():
        if _takes_text(prop):
            cases += [
                E({**base, name: bad}) for bad in ("../../x", "a/../b?c#d", "a\r\nX-Evil: 1", "\x00", HUGE)
            ]
    return cases


TOOLS = [t.name for t in REGISTRY]


def on_routes(backend: str, sandbox) -> list[str]:
    """Requests that left the API's routes (raw path as sent on the wire); empty when all is well."""
    routes = [re.compile(r) for r in ROUTES[backend]]
    wrong = []
    for rec in sandbox.requests:
        segments = rec.raw_path.split("/")
        if not any(r.fullmatch(rec.raw_path) for r in routes) or "." in segments or ".." in segments:
            wrong.append(f"{rec.method} {rec.raw_path}")
    return wrong


@pytest.mark.anyio
@pytest.mark.parametrize("backend", DEMO_BACKENDS)
@pytest.mark.parametrize("tool", TOOLS)
async def test_every_tool_refuses_or_encodes(backend, tool, sandbox, sandbox_url):
    failures: list[str] = []
    spec = next(t for t in REGISTRY if t.name == tool)
    # delete_issue is registered only when allowed: allow it, so it is driven like every other tool.
    async with inproc(backend, sandbox_url, STACKLENS_ALLOW_DELETE="1") as client:
        schema = {t.name: t.input_schema for t in (await client.list_tools()).tools}[tool]
        cases = cases_for(backend, tool) + generic_cases(backend, spec, schema)
        assert len(cases) >= 5 or not schema.get("properties")
        for kind, args, hint in cases:
            sandbox.requests.clear()
            shown = repr(args)[:120]
            result = await client.call_tool(tool, args)
            text = text_of(result)
            if kind == "R":
                if not result.is_error:
                    failures.append(f"accepted {shown}: {text[:150]!r}")
                elif sandbox.requests:
                    failures.append(f"refused {shown} but only after {[r.path for r in sandbox.requests]}")
                elif hint and hint.lower() not in text.lower():
                    failures.append(f"{shown}: message lacks {hint!r}: {text[:200]!r}")
                elif len(text) > 1200 or "Traceback" in text or text.strip() == "Error executing tool":
                    failures.append(f"{shown}: unhelpful message {text[:200]!r}")
            elif result.is_error and (
                "Traceback" in text or re.fullmatch(r"Error executing tool \w+", text.strip())
            ):
                failures.append(f"{shown}: crashed: {text[:200]!r}")
            wrong = on_routes(backend, sandbox)
            if wrong:
                failures.append(f"{shown}: left the API routes: {wrong}")
            for rec in sandbox.requests:
                if any(c in rec.raw_path for c in "\r\n ?#") or "%2e%2e" in rec.raw_path.lower():
                    failures.append(f"{shown}: unsafe raw path {rec.raw_path!r}")
    assert not failures, "\n".join(failures)


@pytest.mark.anyio
@pytest.mark.parametrize("backend", DEMO_BACKENDS)
async def test_resources_refuse_bad_references(backend, sandbox, sandbox_url):
    failures = []
    async with inproc(backend, sandbox_url) as client:
        for bad in ("..", "%2e%2e", "1%2f..%2fx", "1%0d%0aX", "x" * 3000, "1?x=1", "SHOP-1A%2F.."):
            for uri in (
                f"{backend}://issues/{bad}",
                f"{backend}://issues/{bad}/events/latest",
                f"{backend}://issues/{ID[backend]}/events/{bad}",
            ):
                sandbox.requests.clear()
                try:
                    result = await client.read_resource(uri)
                except MCPError:
                    pass
                else:
                    failures.append(f"{uri[:80]}: answered {str(result)[:120]}")
                if sandbox.requests:
                    failures.append(f"{uri[:80]}: sent {[r.raw_path for r in sandbox.requests]}")
    assert not failures, "\n".join(failures)


@pytest.mark.anyio
@pytest.mark.parametrize("backend", DEMO_BACKENDS)
async def test_encoded_values_arrive_intact(backend, sandbox, sandbox_url):
    """Values with path and URL syntax are sent as data: one segment or one parameter, byte for byte."""
    # Sentry itself refuses "/" and "\\" in release names; Jentry keeps versions in the body only
    version = "shop@1.0+b..x?y=1#z %2e" if backend == "sentry" else "shop@1.0+b/../x?y=1#z"
    async with inproc(backend, sandbox_url) as client:
        result = await client.call_tool(
            "create_release",
            {"version": version, "project": "shop-web", "deploys": [{"environment": "prod"}]},
        )
        assert not result.is_error, text_of(result)
        if backend == "sentry":
            deploy = sandbox.find_requests(r"/deploys/$", "POST")
            assert len(deploy) == 1
            assert (
                deploy[0].raw_path
                == "/api/0/organizations/acme/releases/shop%401.0%2Bb..x%3Fy%3D1%23z%20%252e/deploys/"
            )
            assert deploy[0].path.endswith(f"/releases/{version}/deploys/")
            sandbox.requests.clear()
            env = "prod/../x?y=1#z\u2028"
            await client.call_tool("get_latest_event", {"issue": ID[backend], "environment": env})
            # The first request carries it intact (an event missing there is then explained from the tags).
            assert [r.param("environment") for r in sandbox.requests][:1] == [env]
        else:
            post = sandbox.find_requests(r"/releases$", "POST")
            assert len(post) == 1 and post[0].json["version"] == version
