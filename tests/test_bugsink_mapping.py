"""The Bugsink backend's pure parts: JSON → models, IssueFilter → Bugsink parameters, status → actions,
issue references and configuration. No server: the live behaviour is in test_bugsink_backend.py."""

from __future__ import annotations

from typing import Any

import pytest

from stacklens.backends import BACKENDS
from stacklens.backends.bugsink.client import issue_segment, next_cursor
from stacklens.backends.bugsink.mapping import issue_from_bugsink, release_from_bugsink, status_of
from stacklens.backends.bugsink.search import plan_search
from stacklens.backends.bugsink.writes import actions_for, confirmed, wanted_state
from stacklens.config import resolve
from stacklens.errors import ConfigError, InvalidInput, NotSupported
from stacklens.models import IssueChange
from stacklens.query import IssueFilter
from stacklens.refs import parse_issue_ref

UUID = "5d525208-3e61-4a74-8145-0e365f3e1477"
OPEN: dict[str, Any] = {"is_resolved": False, "is_muted": False, "is_resolved_by_next_release": False}
RESOLVED = {**OPEN, "is_resolved": True}
NEXT = {**RESOLVED, "is_resolved_by_next_release": True}
MUTED = {**OPEN, "is_muted": True, "unmute_after": None, "unmute_on_volume_based_conditions": []}
MUTED_FOR = {**MUTED, "unmute_after": "2026-12-07T15:27:58.748160Z"}


def _issue(**extra: Any) -> dict[str, Any]:
    return {
        "id": UUID, "friendly_id": "CHECKOUT-API-1", "project": 2, "digest_order": 1,
        "first_seen": "2026-12-07T14:27:58.411912Z", "last_seen": "2026-12-07T14:27:58.748160Z",
        "digested_event_count": 3, "calculated_type": "ConfigError",
        "calculated_value": "database_url is not configured", "transaction": "checkout",
        "events_at": ["", "shop@1.0.0", "shop@2.0.0"], **OPEN, **extra,
    }  # fmt: skip


def test_issue_record_maps_to_sentry_words() -> None:
    issue = issue_from_bugsink(_issue(), "https://bugsink.example", {"2": "checkout-api"})
    assert issue is not None
    assert (issue.id, issue.short_id, issue.count, issue.status) == (UUID, "CHECKOUT-API-1", 3, "unresolved")
    assert issue.title == "ConfigError: database_url is not configured"
    assert (issue.first_release, issue.last_release) == ("shop@1.0.0", "shop@2.0.0")  # "" = no release
    assert issue.project == "checkout-api" and issue.project_id == "2"
    assert issue.permalink == f"https://bugsink.example/issues/issue/{UUID}/"
    assert issue.level is None and issue.assignee is None  # Bugsink has neither
    message = issue_from_bugsink(_issue(calculated_type="Log Message", calculated_value="hi"), "", {})
    assert message is not None and message.title == "hi"
    assert issue_from_bugsink({"friendly_id": "X-1"}, "", {}) is None


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        (OPEN, ("unresolved", None)),
        (RESOLVED, ("resolved", None)),
        (NEXT, ("resolved", "resolved_in_next_release")),
        (MUTED, ("ignored", "muted")),
        (MUTED_FOR, ("ignored", "muted until 2026-12-07T15:27:58.748160Z")),
    ],
)
def test_status_of(record: dict[str, Any], expected: tuple[str, str | None]) -> None:
    assert status_of(record) == expected


def test_release_without_version_is_no_release() -> None:
    assert release_from_bugsink({"version": "", "date_released": "2026-12-07T14:27:58Z"}, "shop") is None
    release = release_from_bugsink({"version": "shop@1.0.0", "date_released": "2026-12-07T14:27:58Z"}, "shop")
    assert release is not None and release.projects == ["shop"] and release.released is not None


def test_next_cursor_is_taken_from_the_next_url() -> None:
    body = {
        "next": "http://elsewhere:8000/api/canonical/0/issues/?cursor=cD0yMDI2%3D&project=3",
        "results": [],
    }
    assert next_cursor(body) == "cD0yMDI2="
    assert next_cursor({"next": None}) is None and next_cursor([]) is None


def _params(**args: Any) -> dict[str, str]:
    return dict(plan_search(IssueFilter.build(**args), "3").params)


def test_search_parameters() -> None:
    assert _params() == {"project": "3", "state": "open", "sort": "last_seen", "order": "desc"}
    assert _params(status="ignored")["state"] == "muted"
    assert _params(status="resolved")["state"] == "resolved"
    assert _params(status="all")["state"] == "all"
    assert _params(sort="events")["sort"] == "digested_event_count"
    assert _params(sort="first_seen")["sort"] == "digest_order"
    q = _params(
        query="KeyError", environment="staging", release="shop@2.0.0", tags={"browser": "Firefox 128.0"}
    )
    assert q["q"] == 'KeyError environment:staging release:shop@2.0.0 browser:"Firefox 128.0"'


def test_search_narrows_what_bugsink_cannot_filter() -> None:
    plan = plan_search(IssueFilter.build(min_events=5, first_seen="24h", last_seen="1h"), None)
    assert plan.narrowing.active and len(plan.narrowing.checks) == 3
    assert "project" not in dict(plan.params)
    assert not plan_search(IssueFilter.build(), None).narrowing.active


@pytest.mark.parametrize(
    ("args", "word"),
    [
        ({"level": "error"}, "level"),
        ({"assigned": "me"}, "assignees"),
        ({"sort": "users"}, "users"),
        ({"sort": "trends"}, "trend"),
        ({"sentry_query": "is:unassigned"}, "Sentry"),
        ({"environment": ["a", "b"]}, "one environment"),
        ({"tags": {"!browser": "x"}}, "negation"),
        ({"tags": {"browser": ["a", "b"]}}, "one value"),
    ],
)
def test_search_refusals(args: dict[str, Any], word: str) -> None:
    with pytest.raises(NotSupported, match=word):
        plan_search(IssueFilter.build(**args), "3")


def test_assigned_none_matches_everything_and_says_so() -> None:
    plan = plan_search(IssueFilter.build(assigned="none"), "3")
    assert any("no assignees" in n for n in plan.notes)
    with pytest.raises(InvalidInput, match="double quote"):
        plan_search(IssueFilter.build(tags={"url": 'a"b'}), "3")


@pytest.mark.parametrize(
    ("current", "status", "minutes", "actions"),
    [
        (OPEN, "resolved", None, ["resolve"]),
        (RESOLVED, "resolved", None, []),
        (NEXT, "resolved", None, ["reopen", "resolve"]),
        (MUTED, "resolved", None, ["resolve"]),
        (OPEN, "resolved_in_next_release", None, ["resolve-next"]),
        (RESOLVED, "resolved_in_next_release", None, ["reopen", "resolve-next"]),
        (NEXT, "resolved_in_next_release", None, []),
        (OPEN, "unresolved", None, []),
        (RESOLVED, "unresolved", None, ["reopen"]),
        (MUTED, "unresolved", None, ["unmute"]),
        (OPEN, "ignored", None, ["mute"]),
        (MUTED, "ignored", None, []),
        (MUTED_FOR, "ignored", None, ["unmute", "mute"]),
        (RESOLVED, "ignored", None, ["reopen", "mute"]),
        (OPEN, "ignored", 30, ["mute-for"]),
        (MUTED, "ignored", 30, ["unmute", "mute-for"]),
    ],
)
def test_actions_follow_the_current_state(
    current: dict[str, Any], status: str, minutes: int | None, actions: list[str]
) -> None:
    steps = actions_for(current, status, minutes)
    assert [name for name, _ in steps] == actions
    if minutes:
        assert steps[-1][1] == {"period_name": "minute", "nr_of_periods": minutes}


def test_confirmation_reads_the_answer() -> None:
    assert confirmed(RESOLVED, "resolved", None) and not confirmed(NEXT, "resolved", None)
    assert confirmed(NEXT, "resolved_in_next_release", None)
    assert confirmed(MUTED_FOR, "ignored", 30) and not confirmed(MUTED, "ignored", 30)
    assert confirmed(OPEN, "unresolved", None) and not confirmed(MUTED, "unresolved", None)


def test_what_bugsink_cannot_store_is_refused() -> None:
    for change in (
        IssueChange(status="resolved", assignee="me"),
        IssueChange(bookmarked=True),
        IssueChange(seen=True),
        IssueChange(status="ignored", ignore_count=10),
    ):
        with pytest.raises(NotSupported, match="Nothing was changed"):
            wanted_state(change)
    assert wanted_state(IssueChange(ignore_minutes=5)) == ("ignored", 5)
    with pytest.raises(InvalidInput):
        wanted_state(IssueChange(status="resolved", ignore_minutes=5))
    with pytest.raises(InvalidInput):
        wanted_state(IssueChange())


def test_issue_references() -> None:
    assert parse_issue_ref("checkout-api-1", "bugsink").value == "CHECKOUT-API-1"
    assert parse_issue_ref(UUID.upper(), "bugsink").kind == "uuid"
    url = parse_issue_ref(f"https://bugsink.example/issues/issue/{UUID}/event/last/", "bugsink")
    assert (url.kind, url.value) == ("uuid", UUID)
    with pytest.raises(InvalidInput, match="friendly id"):
        parse_issue_ref("https://bugsink.example/projects/3/", "bugsink")
    with pytest.raises(InvalidInput, match="friendly id"):
        issue_segment(parse_issue_ref("42", "bugsink"))


def test_configuration_through_the_registry() -> None:
    assert "bugsink" in BACKENDS
    env = {"BUGSINK_AUTH_TOKEN": "a" * 40, "BUGSINK_URL": "https://bugsink.example/", "NETRC": "/dev/null"}
    auto = resolve(env)
    assert auto.backend == "bugsink" and auto.api_base == "https://bugsink.example/api/canonical/0"
    assert resolve({**env, "STACKLENS_BACKEND": "bugsink"}).backend == "bugsink"
    assert (
        resolve({"BUGSINK_AUTH_TOKEN": "a" * 40, "BUGSINK_URL": "http://b"}, backend="bugsink").backend
        == "bugsink"
    )
    with pytest.raises(ConfigError, match="BUGSINK_URL"):
        resolve({"BUGSINK_AUTH_TOKEN": "a" * 40, "NETRC": "/dev/null"})
    with pytest.raises(ConfigError, match="BUGSINK_AUTH_TOKEN"):
        resolve({"BUGSINK_URL": "https://bugsink.example", "NETRC": "/dev/null"}, backend="bugsink")
