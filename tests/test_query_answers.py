"""Query parsing for issue 14: calendar and spoken windows, Sentry syntax recognised in free text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from stacklens.backends.jentry.plan import jentry_plan
from stacklens.backends.sentry.search import sentry_search
from stacklens.errors import InvalidInput
from stacklens.query import IssueFilter, parse_window
from stacklens.query_syntax import split_syntax, syntax_hint


def test_today_and_yesterday_start_at_midnight_utc() -> None:
    midnight = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    today, yesterday = parse_window("Today", "first_seen"), parse_window(" yesterday ", "first_seen")
    assert today is not None and yesterday is not None
    assert today.since == midnight and yesterday.since == midnight - timedelta(days=1)
    assert today.text == f"today (since {midnight:%Y-%m-%d} 00:00 UTC)"
    assert sentry_search(IssueFilter.build(first_seen="yesterday")).query.endswith(
        f"firstSeen:>={(midnight - timedelta(days=1)).date().isoformat()}"
    )


@pytest.mark.parametrize(
    ("text", "relative"), [("last 24h", "24h"), ("Past 7 days", "7d"), ("within 2w", "2w")]
)
def test_spoken_windows(text: str, relative: str) -> None:
    window = parse_window(text, "last_seen")
    assert window is not None and window.relative == relative


@pytest.mark.parametrize("text", ["the day before", "last", "last week", "tomorrow"])
def test_other_words_are_still_refused(text: str) -> None:
    with pytest.raises(InvalidInput, match='"today" or "yesterday"'):
        parse_window(text, "first_seen")


@pytest.mark.parametrize(
    ("text", "rest", "tokens"),
    [
        ("is:unresolved level:error browser:Chrome", "", ("is:unresolved", "level:error", "browser:Chrome")),
        ("KeyError level:[error, fatal]", "KeyError", ("level:[error, fatal]",)),
        ("KeyError level:[error,fatal] checkout", "KeyError checkout", ("level:[error,fatal]",)),
        ('browser:"Mobile Safari" crash', "crash", ('browser:"Mobile Safari"',)),
        ("!environment:staging tags[region]:eu", "", ("!environment:staging", "tags[region]:eu")),
        ("TypeError: x is not a function", "TypeError: x is not a function", ()),
        ("GET https://shop.acme.test/cart failed", "GET https://shop.acme.test/cart failed", ()),
        ("KeyError: 'shipping_address'", "KeyError: 'shipping_address'", ()),
        ("retry:3 worker", "retry:3 worker", ()),  # not a search key: text
    ],
)
def test_sentry_syntax_is_split_from_free_text(text: str, rest: str, tokens: tuple[str, ...]) -> None:
    assert split_syntax(text) == (rest, tokens)


def test_tokens_go_to_sentry_as_tokens_and_to_jentry_as_a_hint() -> None:
    f = IssueFilter.build(query="checkout is:resolved level:fatal firstSeen:-24h browser:Firefox")
    assert f.query == "checkout" and len(f.query_syntax) == 4
    assert sentry_search(f).query == (
        "is:unresolved checkout is:resolved level:fatal firstSeen:-24h browser:Firefox"
    )
    assert syntax_hint(f.query_syntax) == (
        "status='resolved', level='fatal', first_seen='24h', tags={'browser': 'Firefox'}"
    )
    with pytest.raises(InvalidInput, match="query holds Sentry search syntax"):
        jentry_plan(f)
