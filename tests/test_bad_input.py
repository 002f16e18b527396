"""Bad input, as a prompt-injected model would send it: refused before any request with a message that
says what is valid, or safely encoded.

Part 1: the validators themselves (refs, query building, path segments, windows).
Part 2: every tool end to end on both backends against the sandbox, asserting the sandbox saw no request.
"""

from __future__ import annotations

import pytest

from stacklens.errors import InvalidInput, NotSupported
from stacklens.http import segment
from stacklens.query import IssueFilter, jentry_plan, parse_window, sentry_search
from stacklens.refs import check_event_id, check_slug, check_tag_key, parse_issue_ref, parse_issue_refs

HUGE = "x" * 10_240
TRAVERSAL = ["../", "..", "../../etc/passwd", "%2e%2e", "%2e%2e%2f", "..%2f..", "a/../b", "./."]
INJECTION = ["a\r\nX-Evil: 1", "a\nb", "a\rb", "a\x00b", "a\tb", "a\x7fb"]
URL_CHARS = ["a?b=1", "a#frag", "a/b", "a b", "a;b", "a&b"]
OTHER_HOSTS = ["https://evil.example/", "//evil.example/x", "http://127.0.0.1:22/", "file:///etc/passwd"]

# --- part 1: validators ---------------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["sentry", "jentry"])
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
        ({"first_seen": "yesterday"}, '"24h"'),
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
