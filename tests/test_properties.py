"""Property tests: whatever a (possibly prompt-injected) model passes, reference parsing and query building
never yield a request outside the API's routes, a CR/LF in a path or header, or a broken Sentry query.

The Sentry query checker below is written from Sentry's search grammar, independently of `query.py`:
a quoted value is `"` then any of `\\"` or a non-`"` character, then `"` (ordered choice, so `\\"` wins);
outside quotes, whitespace separates tokens, `[a, b]` lists must balance, and Sentry's issue search rejects
parentheses and the boolean words OR/AND.
"""

from __future__ import annotations

import re
import string
from urllib.parse import unquote

import httpx
import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from stacklens.backends.jentry.plan import jentry_plan
from stacklens.backends.sentry.search import quote_value, sentry_search
from stacklens.errors import InvalidInput, NotSupported
from stacklens.http import segment
from stacklens.query import IssueFilter
from stacklens.refs import NUMERIC_ID, SHORT_ID, check_event_id, check_slug, check_tag_key, parse_issue_ref

PROPS = settings(
    max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)

# Characters that break things: quoting, escaping, path, URL, header and query syntax, unicode whitespace.
NASTY = [*"aZ9-_.:/\\?#%@&=+ \"'[](),!*~\r\n\t\x00\x7f\x85\u2028\u00a0\u202e", "OR", "AND", "..", "%2e"]
nasty_text = st.lists(st.sampled_from(NASTY), max_size=12).map("".join) | st.text(max_size=30)
url_like = st.builds(
    lambda scheme, host, mid, ident, tail: f"{scheme}://{host}/{mid}issues/{ident}{tail}",
    st.sampled_from(["https", "http", "ftp", "javascript"]),
    st.sampled_from(["acme.sentry.io", "evil.example", "127.0.0.1:9", "jentry.app"]),
    st.sampled_from(["", "organizations/acme/", "projects/1/", "../"]),
    nasty_text,
    st.sampled_from(["", "/", "/?project=1", "#x", "/events/latest/"]),
)


class Unbalanced(AssertionError):
    pass


def sentry_tokens(query: str) -> list[str]:
    """Split a Sentry search query into top-level tokens; AssertionError when it breaks the grammar."""
    tokens: list[str] = []
    current = ""
    depth = 0
    i = 0
    while i < len(query):
        c = query[i]
        if c == '"':
            j = i + 1
            while True:
                if j >= len(query):
                    raise Unbalanced(f"unterminated quote in {query!r}")
                if query.startswith('\\"', j):
                    j += 2
                elif query[j] == '"':
                    break
                else:
                    j += 1
            current += query[i : j + 1]
            i = j + 1
            continue
        if c in "()":
            raise AssertionError(f"bare parenthesis in {query!r}")
        if c == "[":
            depth += 1
        elif c == "]":
            depth -= 1
            assert depth >= 0, f"unbalanced ] in {query!r}"
        if c.isspace() and depth == 0:
            if current:
                tokens.append(current)
            current = ""
        else:
            current += c
        i += 1
    assert depth == 0, f"unbalanced [ in {query!r}"
    if current:
        tokens.append(current)
    for token in tokens:
        assert token.upper() not in ("OR", "AND"), f"boolean operator in {query!r}"  # Sentry: ~r"OR"i
    return tokens


def unquote_sentry(token: str) -> str:
    """The value a quoted token stands for (`\\"` → `"`); unquoted tokens are themselves."""
    if not token.startswith('"'):
        return token
    assert token.endswith('"') and len(token) >= 2
    body, out, i = token[1:-1], "", 0
    while i < len(body):
        if body.startswith('\\"', i):
            out += '"'
            i += 2
        else:
            out += body[i]
            i += 1
    return out


def test_checker_itself():
    assert sentry_tokens('is:unresolved browser:"a b" x') == ["is:unresolved", 'browser:"a b"', "x"]
    assert sentry_tokens('level:[error, fatal] "q \\" x"') == ["level:[error, fatal]", '"q \\" x"']
    for broken in ('k:"a', 'k:"a\\"', 'k:"a\\\\"', "a (b", "[a", "a]", "x OR y"):
        with pytest.raises(AssertionError):
            sentry_tokens(broken)
    assert unquote_sentry('"a\\"b"') == 'a"b'


def no_controls(text: str) -> bool:
    return not any(ord(c) < 32 or c == "\x7f" for c in text)


# --- quote_value -------------------------------------------------------------------------------------------


@PROPS
@given(nasty_text)
def test_quote_value_is_one_token_that_means_the_value(value):
    try:
        quoted = quote_value(value)
    except InvalidInput as exc:
        assert value.endswith("\\") and "backslash" in str(exc)
        return
    assume(no_controls(value) and value.strip() == value and value)
    tokens = sentry_tokens(f"key:{quoted}")
    assert tokens == [f"key:{quoted}"], (value, quoted)
    assert unquote_sentry(quoted) == value


# --- search_issues → Sentry query and Jentry params ---------------------------------------------------------

filters = st.fixed_dictionaries(
    {},
    optional={
        "query": nasty_text,
        "status": st.sampled_from(["unresolved", "resolved", "ignored", "all", "RESOLVED", "open", ""]),
        "level": st.sampled_from(["error", "fatal", "warning", "info", "debug", "critical"])
        | st.lists(st.sampled_from(["error", "fatal", "info", "bogus"]), max_size=3),
        "environment": nasty_text | st.lists(nasty_text, max_size=3),
        "release": nasty_text,
        "assigned": st.sampled_from(["me", "none", "#team", "a@b.c", "42"]) | nasty_text,
        "first_seen": st.sampled_from(["24h", "7d", "2w", "30m", "2026-01-15", "-1h", "0d"]) | nasty_text,
        "last_seen": st.sampled_from(["1h", "14d", "2026-01-15T10:00:00Z", "10y"]) | nasty_text,
        "min_events": st.integers(min_value=-5, max_value=10**6),
        "tags": st.dictionaries(nasty_text, nasty_text | st.lists(nasty_text, max_size=3), max_size=3),
        "project": st.sampled_from(["shop-web", "12"]) | nasty_text,
        "sort": st.sampled_from(["last_seen", "first_seen", "events", "users", "trends", "random"]),
        "limit": st.integers(min_value=-1, max_value=10**6),
        "cursor": nasty_text,
        "sentry_query": nasty_text,
    },
)


def _build(kwargs):
    try:
        return IssueFilter.build(**kwargs)
    except (InvalidInput, NotSupported) as exc:
        assert str(exc), "a refusal must say what is valid"
        return None


@PROPS
@given(filters)
@example({"query": "a)"})  # found by this test: free text with ")" went out unquoted
@example({"query": "x]"})
@example({"query": "\x7f"})  # found by this test: DEL passed the control-character check
@example({"sentry_query": 'message:"oops'})  # found by this test: raw text with an unbalanced quote
@example({"sentry_query": "(a OR b)"})
@example({"tags": {"k": 'a"b\\c'}, "release": 'v"1', "assigned": "x y", "query": "OR"})
@example({"tags": {"sentry:user": "a", "is": ">=1", "!x": ["a", "b c"]}, "query": "this or that"})
@example({"first_seen": "999999w"})  # found by test_bad_input: OverflowError in date arithmetic
def test_sentry_query_is_well_formed(kwargs):
    f = _build(kwargs)
    if f is None:
        return
    search = sentry_search(f, project_ids=["12"])
    tokens = sentry_tokens(search.query)  # balanced quotes and lists, no parentheses, no OR/AND
    for name, value in search.params:
        assert no_controls(value), (name, value)
    # the request line httpx would send stays one line, on the configured host
    url = httpx.URL("https://sentry.example/api/0/organizations/acme/issues/", params=search.params)
    assert url.host == "sentry.example" and url.path == "/api/0/organizations/acme/issues/"
    assert "\r" not in str(url) and "\n" not in str(url)
    # each tag filter is one token whose value decodes back to exactly what was asked
    for key, values, negated in f.tags:
        forms = (key, f"tags[{key}]", f'tags["{key}"]')  # a key clashing with search syntax is tags[key]
        prefixes = [("!" if negated else "") + form + ":" for form in forms]
        mine = [(p, t) for t in tokens for p in prefixes if t.startswith(p)]
        assert mine, (key, tokens)
        if len(values) == 1:
            assert any(unquote_sentry(t[len(p) :]) == values[0] for p, t in mine)
    if f.release:
        assert f'release:"{f.release.replace(chr(34), chr(92) + chr(34))}"' in tokens


@PROPS
@given(filters)
@example({"last_seen": "999999w"})  # found by test_bad_input: OverflowError computing the cutoff
@example({"first_seen": "0001-01-01T00:00:00+01:00"})
def test_jentry_params_are_clean(kwargs):
    f = _build(kwargs)
    if f is None:
        return
    try:
        plan = jentry_plan(f, me=7)
    except (InvalidInput, NotSupported) as exc:
        assert str(exc)
        return
    for value in plan.params.values():
        assert no_controls(value)
    url = httpx.URL("https://jentry.example/api/v1/projects/1/issues", params=plan.params)
    assert url.host == "jentry.example" and url.path == "/api/v1/projects/1/issues"


# --- issue references → paths ------------------------------------------------------------------------------

SENTRY_ISSUE_ROUTE = re.compile(r"/api/0/organizations/acme/issues/(?:[0-9]{1,20}|[A-Z0-9][A-Z0-9_-]*)/")
JENTRY_ISSUE_ROUTE = re.compile(r"/api/v1/issues/[0-9]{1,20}")


@PROPS
@given(nasty_text | url_like | st.integers(min_value=-(10**25), max_value=10**25))
def test_issue_refs_stay_on_the_api_routes(raw):
    for backend, base, route in (
        ("sentry", "https://sentry.example/api/0/organizations/acme/issues/{}/", SENTRY_ISSUE_ROUTE),
        ("jentry", "https://jentry.example/api/v1/issues/{}", JENTRY_ISSUE_ROUTE),
    ):
        try:
            ref = parse_issue_ref(raw, backend)
        except InvalidInput as exc:
            assert "issue" in str(exc).lower() or "id" in str(exc).lower()
            continue
        assert NUMERIC_ID.fullmatch(ref.value) or (backend == "sentry" and SHORT_ID.fullmatch(ref.value))
        assert segment(ref.value) == ref.value  # already path-safe
        url = httpx.URL(base.format(segment(ref.value)))
        assert url.host.endswith(".example")
        assert route.fullmatch(url.path), (raw, url)


@PROPS
@given(url_like)
def test_a_url_never_lends_its_host(raw):
    try:
        ref = parse_issue_ref(raw, "sentry")
    except InvalidInput:
        return
    assert "." not in ref.value and "/" not in ref.value and ":" not in ref.value


# --- path segments and validators --------------------------------------------------------------------------

SAFE_SEGMENT = re.compile(r"(?:[A-Za-z0-9_.~-]|%[0-9A-F]{2})+")


@PROPS
@given(nasty_text)
def test_segment_is_one_segment_or_refused(value):
    try:
        seg = segment(value)
    except InvalidInput:
        assert value in ("", ".", "..") or not no_controls(value)
        return
    assert SAFE_SEGMENT.fullmatch(seg) and seg not in (".", "..")
    base = "https://h.example/api/0/organizations/acme/releases/"
    url = httpx.URL(base + seg + "/")
    assert url.host == "h.example" and url.path.startswith("/api/0/organizations/acme/releases/")
    assert url.raw_path.decode() == f"/api/0/organizations/acme/releases/{seg}/"  # one segment, as is

    assert unquote(seg) == value


@PROPS
@given(nasty_text)
def test_slug_tag_key_event_id_validators(value):
    allowed = set(string.ascii_letters + string.digits + "_.-")
    for check, extra in ((check_slug, ""), (check_tag_key, ":"), (check_event_id, "")):
        try:
            out = check(value)
        except InvalidInput as exc:
            assert "invalid" in str(exc)
            continue
        assert set(out) <= allowed | set(extra), (check.__name__, out)
        assert out not in (".", "..") and out
        assert segment(out) == out or ":" in out  # usable in a path as is (':' is encoded by segment)


# --- the real backends: every request they send for arbitrary input stays on the API's routes ----------------

import contextlib  # noqa: E402

import anyio  # noqa: E402

from stacklens.backends.jentry import JentryBackend  # noqa: E402
from stacklens.backends.sentry import SentryBackend  # noqa: E402
from stacklens.config import Settings  # noqa: E402
from stacklens.errors import StacklensError  # noqa: E402
from stacklens.http import Upstream  # noqa: E402
from stacklens.models import DeploySpec, ReleaseSpec  # noqa: E402

_SEG = r"(?:[A-Za-z0-9_.~-]|%[0-9A-F]{2})+"
BACKEND_ROUTES = {
    "sentry": re.compile(
        r"/api/0/(?:organizations/acme/(?:|projects/|issues/|issues/[A-Za-z0-9_-]+/"
        rf"(?:|events/|events/{_SEG}/|tags/{_SEG}/values/)|releases/|releases/{_SEG}/deploys/|audit-logs/)"
        rf"|projects/acme/{_SEG}/issues/)"
    ),
    "jentry": re.compile(
        r"/api/v1/(?:projects|projects/[0-9]+/(?:issues|releases)|issues/[0-9]+(?:/events)?|audit)"
    ),
}


def _answer(request: httpx.Request) -> httpx.Response:
    """Minimal, well-formed answers so the backends go as far as they would for real."""
    path = request.url.path
    if path.endswith(("/projects", "/projects/")):
        body: object = [{"id": "1", "slug": "shop", "name": "Shop"}]
        return httpx.Response(200, json={"data": body} if "/v1/" in path else body)
    if "/v1/" in path:
        return httpx.Response(200, json={"data": []})
    return httpx.Response(200, json=[] if path.endswith(("/issues/", "/events/", "/values/")) else {})


async def _drive(backend_name: str, value: str, seen: list[httpx.Request]) -> None:
    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return _answer(request)

    base = "https://up.example"
    settings = Settings(backend=backend_name, url=base, org="acme", token="t0k3n")  # type: ignore[arg-type]
    upstream = Upstream(
        base_url=settings.api_base, token="t0k3n", label="X", token_var="T", url_var="U", attempts=1,
        transport=httpx.MockTransport(record),
    )  # fmt: skip
    backend = (
        SentryBackend(settings, upstream) if backend_name == "sentry" else JentryBackend(settings, upstream)
    )
    jobs = []
    try:
        ref = parse_issue_ref(value, backend_name)
        jobs += [lambda: backend.get_issue(ref), lambda: backend.list_issue_events(ref, 5)]
        jobs += [lambda: backend.get_event(ref, check_event_id(value if len(value) <= 64 else "latest"))]
    except InvalidInput:
        pass
    jobs += [
        lambda: backend.list_tag_values(parse_issue_ref("12", backend_name), value, 5),
        lambda: backend.list_releases(value or None, value or None, 5),
        lambda: backend.read_audit(5, value or None),
        lambda: backend.create_release(
            ReleaseSpec(version=value, project="shop", deploys=[DeploySpec(environment=value or "prod")])
        ),
        lambda: backend.search_issues(IssueFilter.build(project=value or None, query=value, status="all")),
    ]
    try:
        for job in jobs:
            # refused (or the minimal answer did not satisfy it): only the requests matter here
            with contextlib.suppress(StacklensError):
                await job()
    finally:
        await upstream.aclose()


@settings(max_examples=120, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(nasty_text | url_like)
@example("../../admin")
@example("a/../../b?c#d")
@example("%2e%2e%2f")
@example("shop@1.0+b/../x")
def test_backends_never_leave_the_api_routes(value):
    for name in ("sentry", "jentry"):
        seen: list[httpx.Request] = []
        anyio.run(_drive, name, value, seen)
        for request in seen:
            raw = request.url.raw_path.decode().split("?")[0]
            assert request.url.host == "up.example", request.url
            assert BACKEND_ROUTES[name].fullmatch(raw), (name, value, raw)
            assert "." not in raw.split("/") and ".." not in raw.split("/"), raw
            for header, content in request.headers.items():
                assert "\r" not in content and "\n" not in content, (header, content)


def test_the_driver_reaches_every_route_kind():
    """The property above is only as good as the requests it provokes: check it provokes them."""
    for name, expect in (
        ("sentry", ["/issues/12/", "/events/", "/tags/", "/releases/", "/deploys/", "/audit-logs/"]),
        ("jentry", ["/issues/12", "/events", "/releases", "/audit", "/projects"]),
    ):
        seen: list[httpx.Request] = []
        anyio.run(_drive, name, "12", seen)
        paths = " ".join(r.url.path for r in seen)
        assert all(e in paths for e in expect), (name, paths)
    seen = []
    anyio.run(_drive, "sentry", "shop@1.0+b..x?y#z", seen)
    assert any(
        r.url.raw_path.startswith(b"/api/0/organizations/acme/releases/shop%401.0%2Bb..x%3Fy%23z/")
        for r in seen
    )
