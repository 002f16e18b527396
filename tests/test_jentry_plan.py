"""Natural search_issues parameters → Jentry's `GET /projects/{id}/issues` params + client-side narrowing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from stacklens.backends.jentry.plan import JentryPlan, jentry_plan
from stacklens.errors import InvalidInput, NotSupported
from stacklens.models import Issue
from stacklens.query import IssueFilter

NOW = datetime(2026, 6, 29, 12, 0, tzinfo=UTC)


def plan_of(me: int | None = 7, **kwargs: Any) -> JentryPlan:
    return jentry_plan(IssueFilter.build(**kwargs), now=NOW, me=me)


def issue(**fields: Any) -> Issue:
    base: dict[str, Any] = {"id": "1", "level": "error", "last_seen": NOW, "first_seen": NOW, "count": 1}
    base.update(fields)
    return Issue(**base)


BASE = {"status": "unresolved", "sort": "last_seen", "period": "all"}

# (parameters, the exact params sent, whether anything is filtered client-side)
PARAMS: list[tuple[dict[str, Any], dict[str, str], bool]] = [
    ({}, BASE, False),
    ({"status": "resolved"}, {**BASE, "status": "resolved"}, False),
    ({"status": "ignored"}, {**BASE, "status": "ignored"}, False),
    ({"status": "all"}, {**BASE, "status": "all"}, False),
    ({"level": "fatal"}, {**BASE, "level": "fatal"}, False),
    ({"level": ["warning"]}, {**BASE, "level": "warning"}, False),
    ({"level": ["error", "fatal"]}, BASE, True),  # several levels: client-side
    ({"query": "TypeError: x"}, {**BASE, "query": "TypeError: x"}, False),
    ({"sort": "first_seen"}, {**BASE, "sort": "first_seen"}, False),
    ({"sort": "events"}, {**BASE, "sort": "events"}, False),
    ({"sort": "users"}, {**BASE, "sort": "users"}, False),
    # windows Jentry expresses exactly
    ({"last_seen": "24h"}, {**BASE, "period": "24h"}, False),
    ({"last_seen": "1d"}, {**BASE, "period": "24h"}, False),
    ({"last_seen": "1440m"}, {**BASE, "period": "24h"}, False),
    ({"last_seen": "7d"}, {**BASE, "period": "7d"}, False),
    ({"last_seen": "1w"}, {**BASE, "period": "7d"}, False),
    ({"last_seen": "14d"}, {**BASE, "period": "14d"}, False),
    ({"last_seen": "2w"}, {**BASE, "period": "14d"}, False),
    # the smallest covering period, narrowed client-side
    ({"last_seen": "30m"}, {**BASE, "period": "24h"}, True),
    ({"last_seen": "3h"}, {**BASE, "period": "24h"}, True),
    ({"last_seen": "25h"}, {**BASE, "period": "7d"}, True),
    ({"last_seen": "2d"}, {**BASE, "period": "7d"}, True),
    ({"last_seen": "8d"}, {**BASE, "period": "14d"}, True),
    ({"last_seen": "15d"}, BASE, True),
    ({"last_seen": "3w"}, BASE, True),
    ({"last_seen": "2026-06-29"}, {**BASE, "period": "24h"}, True),  # 12 h back: an absolute time
    ({"last_seen": "2026-06-28T12:00:00Z"}, {**BASE, "period": "24h"}, True),  # exactly 24 h, still narrowed
    ({"last_seen": "2026-06-20"}, {**BASE, "period": "14d"}, True),
    ({"last_seen": "2025-01-01"}, BASE, True),
    # first_seen bounds last_seen too: its window picks the period, the filter stays client-side
    ({"first_seen": "24h"}, {**BASE, "period": "24h"}, True),
    ({"first_seen": "3d"}, {**BASE, "period": "7d"}, True),
    ({"first_seen": "2h", "last_seen": "7d"}, {**BASE, "period": "24h"}, True),
    ({"first_seen": "30d", "last_seen": "24h"}, {**BASE, "period": "24h"}, True),
    # what the API lacks
    ({"assigned": "none"}, BASE, True),
    ({"assigned": "me"}, BASE, True),
    ({"assigned": "12"}, BASE, True),
    ({"min_events": 10}, BASE, True),
    ({"release": "web@1.4.2"}, BASE, True),
    # limit and cursor are the backend's (limit/page), never plan params
    ({"limit": 5, "cursor": "j1.x.y"}, BASE, False),
]


@pytest.mark.parametrize(("kwargs", "params", "client_side"), PARAMS)
def test_params(kwargs: dict[str, Any], params: dict[str, str], client_side: bool) -> None:
    plan = plan_of(**kwargs)
    assert plan.params == params
    assert bool(plan.client_side) is client_side
    assert (plan.predicate is not None) is client_side
    assert "+ client-side" in plan.describe() if client_side else "client-side" not in plan.describe()


def test_describe_names_the_params_and_the_client_side_filters() -> None:
    plan = plan_of(level=["error", "fatal"], last_seen="3h", min_events=5, query="boom")
    assert plan.describe() == (
        "status=unresolved sort=last_seen query=boom period=24h + client-side: level in [error, fatal], "
        "last_seen within 3h, events >= 5"
    )


@pytest.mark.parametrize(
    "window", ["30m", "3h", "23h", "2d", "6d", "8d", "15d", "2026-06-29T09:00:00Z", "2026-06-01"]
)
def test_narrowing_never_lets_an_issue_outside_the_window_through(window: str) -> None:
    plan = plan_of(last_seen=window)
    cutoff = IssueFilter.build(last_seen=window).last_seen.cutoff(NOW)  # type: ignore[union-attr]
    offsets = [timedelta(seconds=s) for s in (-1, 0, 1)]
    for delta in offsets:
        seen = cutoff + delta
        assert plan.matches(issue(last_seen=seen)) is (seen >= cutoff), (window, delta)
    assert not plan.matches(issue(last_seen=None))  # unknown last_seen is never claimed to be inside


def test_first_seen_narrowed_exactly() -> None:
    plan = plan_of(first_seen="3d")
    cutoff = NOW - timedelta(days=3)
    assert plan.matches(issue(first_seen=cutoff))
    assert plan.matches(issue(first_seen=cutoff + timedelta(seconds=1)))
    assert not plan.matches(issue(first_seen=cutoff - timedelta(seconds=1)))
    assert not plan.matches(issue(first_seen=None))


def test_several_levels_filtered_client_side() -> None:
    plan = plan_of(level=["error", "fatal"])
    assert plan.matches(issue(level="error"))
    assert plan.matches(issue(level="FATAL"))
    assert not plan.matches(issue(level="warning"))
    assert not plan.matches(issue(level=None))


@pytest.mark.parametrize(
    ("assigned", "me", "yes", "no"),
    [
        ("none", None, [None, ""], ["3"]),
        ("me", 7, ["7"], [None, "8"]),
        ("12", None, ["12"], [None, "1", "120"]),
        ("012", None, ["12"], ["012"]),  # one user, however it is written
    ],
)
def test_assigned(assigned: str, me: int | None, yes: list[str | None], no: list[str | None]) -> None:
    plan = plan_of(me=me, assigned=assigned)
    for value in yes:
        assert plan.matches(issue(assignee=value)), value
    for value in no:
        assert not plan.matches(issue(assignee=value)), value


def test_assigned_me_needs_the_user_id() -> None:
    with pytest.raises(InvalidInput, match="JENTRY_USER_ID"):
        plan_of(me=None, assigned="me")


def test_min_events_and_release() -> None:
    plan = plan_of(min_events=10)
    assert plan.matches(issue(count=10)) and not plan.matches(issue(count=9))
    assert not plan.matches(issue(count=None))
    plan = plan_of(release="web@1.4.2")
    assert plan.matches(issue(first_release="web@1.4.2"))
    assert plan.matches(issue(last_release="web@1.4.2"))
    assert not plan.matches(issue(first_release="web@1.4.0", last_release="web@1.4.1"))


def test_all_filters_combine() -> None:
    plan = plan_of(level=["error", "fatal"], last_seen="3h", min_events=2, assigned="none")
    good = issue(level="fatal", last_seen=NOW - timedelta(hours=1), count=2, assignee=None)
    assert plan.matches(good)
    for bad in (
        good.model_copy(update={"level": "info"}),
        good.model_copy(update={"last_seen": NOW - timedelta(hours=4)}),
        good.model_copy(update={"count": 1}),
        good.model_copy(update={"assignee": "3"}),
    ):
        assert not plan.matches(bad)


@pytest.mark.parametrize(
    ("kwargs", "hint"),
    [
        ({"environment": "production"}, "list_issue_events"),
        ({"environment": ["production", "staging"]}, "environment"),
        ({"tags": {"browser": "Chrome"}}, "list_tag_values"),
        ({"tags": {"!browser": "Chrome"}}, "tag"),
        ({"sentry_query": "is:linked"}, "query"),
        ({"sort": "trends"}, "last_seen, first_seen, events or users"),
        ({"assigned": "#backend"}, "user id"),
        ({"assigned": "jane@example.com"}, "user id"),
    ],
)
def test_unsupported_parameters_refused(kwargs: dict[str, Any], hint: str) -> None:
    with pytest.raises(NotSupported, match=hint):
        plan_of(**kwargs)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"status": "open"},
        {"level": "critical"},
        {"sort": "date"},
        {"limit": 0},
        {"limit": 101},
        {"last_seen": "soon"},
    ],
)
def test_invalid_values_refused_before_planning(kwargs: dict[str, Any]) -> None:
    with pytest.raises(InvalidInput):
        IssueFilter.build(**kwargs)


# (parameters, an issue that ends the scan, one that does not) — a bound on the sort key itself
STOPS: list[tuple[dict[str, Any], dict[str, Any], dict[str, Any]]] = [
    ({"last_seen": "3h"}, {"last_seen": NOW - timedelta(hours=3, seconds=1)}, {"last_seen": NOW}),
    (
        {"first_seen": "2d"},  # first seen in the window: last seen in it too
        {"last_seen": NOW - timedelta(days=3), "first_seen": NOW - timedelta(days=4)},
        {"last_seen": NOW, "first_seen": None},
    ),
    (
        {"first_seen": "2d", "sort": "first_seen"},
        {"first_seen": NOW - timedelta(days=3)},
        {"first_seen": NOW - timedelta(days=1)},
    ),
    ({"min_events": 10, "sort": "events"}, {"count": 9}, {"count": 10}),
    (
        {"last_seen": "3h", "level": ["error", "fatal"]},
        {"last_seen": NOW - timedelta(days=1)},
        {"level": "info"},
    ),
]


@pytest.mark.parametrize(("kwargs", "past", "inside"), STOPS)
def test_a_bound_on_the_sort_key_ends_the_scan(
    kwargs: dict[str, Any], past: dict[str, Any], inside: dict[str, Any]
) -> None:
    """Issues come largest-first by the sort key: the first one below a client-side bound on that key ends
    the scan (nothing later can match), instead of reading the whole period up to the scan budget."""
    plan = plan_of(**kwargs)
    assert plan.past_end(issue(**past)) and not plan.matches(issue(**past))
    assert not plan.past_end(issue(**inside))
    assert not plan.past_end(issue(last_seen=None, first_seen=None, count=None))  # unknown never stops


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"last_seen": "24h"},  # the server filters exactly: nothing client-side
        {"min_events": 10},  # in last_seen order, the event count bounds nothing
        {"last_seen": "3h", "sort": "events"},
        {"first_seen": "2d", "sort": "users"},
        {"assigned": "none"},
    ],
)
def test_no_bound_when_the_order_does_not_follow_the_filter(kwargs: dict[str, Any]) -> None:
    plan = plan_of(**kwargs)
    assert plan.stop is None and not plan.past_end(issue(last_seen=NOW - timedelta(days=300), count=0))
