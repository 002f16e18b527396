"""Issue references: ids, short ids, permalinks; everything else refused before any request."""

import pytest

from stacklens.errors import InvalidInput
from stacklens.http import segment
from stacklens.refs import check_event_id, check_slug, check_tag_key, parse_issue_ref, parse_issue_refs


@pytest.mark.parametrize(
    ("raw", "kind", "value"),
    [
        ("4504", "id", "4504"),
        (4504, "id", "4504"),
        (" 12 ", "id", "12"),
        ("SHOP-1A2B", "short_id", "SHOP-1A2B"),
        ("shop-1a2b", "short_id", "SHOP-1A2B"),
        ("MY-BIG-PROJECT-3", "short_id", "MY-BIG-PROJECT-3"),
        ("https://acme.sentry.io/issues/123/", "id", "123"),
        ("https://acme.sentry.io/issues/123/events/abc/?project=1", "id", "123"),
        ("https://sentry.io/organizations/acme/issues/123/?project=1", "id", "123"),
        ("http://sentry.internal:9000/organizations/acme/issues/77/", "id", "77"),
        ("https://acme.sentry.io/issues/SHOP-1A/", "short_id", "SHOP-1A"),
    ],
)
def test_sentry_refs(raw, kind, value):
    ref = parse_issue_ref(raw, "sentry")
    assert (ref.kind, ref.value) == (kind, value)


def test_jentry_refs():
    assert parse_issue_ref("https://jentry.app/projects/1/issues/42", "jentry").value == "42"
    assert parse_issue_ref(42, "jentry").value == "42"
    with pytest.raises(InvalidInput, match="numeric"):
        parse_issue_ref("SHOP-1A", "jentry")


@pytest.mark.parametrize(
    "raw",
    ["", "   ", None, True, "../etc/passwd", "1/../../x", "12?x=1", "12#f", "a b", "12\r\nX-Evil: 1",
     "%2e%2e", "https://evil.example/", "javascript:alert(1)", "x" * 5000, "https://h/issues/../x/",
     "https://h/issues/%2e%2e/", "ftp://h/issues/1/", "SHOP-"],
)  # fmt: skip
def test_refused(raw):
    with pytest.raises(InvalidInput):
        parse_issue_ref(raw, "sentry")


def test_ref_list_dedupes_and_caps():
    refs = parse_issue_refs(["1", "1", "SHOP-2"], "sentry")
    assert [r.value for r in refs] == ["1", "SHOP-2"]
    with pytest.raises(InvalidInput):
        parse_issue_refs([str(i) for i in range(101)], "sentry")


def test_checks():
    assert check_slug("shop-web") == "shop-web"
    assert check_tag_key("sentry:release") == "sentry:release"
    assert check_event_id("LATEST") == "latest"
    for bad in ("..", ".", "a/b", "a?b", "a\nb", ""):
        with pytest.raises(InvalidInput):
            check_slug(bad)
    for bad in ("a b", "a/b", "..", "k\r"):
        with pytest.raises(InvalidInput):
            check_tag_key(bad)
    with pytest.raises(InvalidInput):
        check_event_id("../x")


def test_segment_encodes_and_refuses():
    assert segment("shop@1.4.2+build/7") == "shop%401.4.2%2Bbuild%2F7"
    assert segment("a?b#c") == "a%3Fb%23c"
    for bad in ("", ".", "..", "a\r\nb"):
        with pytest.raises(InvalidInput):
            segment(bad)
