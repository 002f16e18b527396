"""Jentry JSON → models (backends/jentry/mapping.py): lenient, the `{data}` envelope optional."""

from __future__ import annotations

from datetime import UTC, datetime

from stacklens.backends.jentry.mapping import (
    audit_from_jentry,
    issue_from_jentry,
    release_from_jentry,
    unwrap,
)
from stacklens.render.records import render_issue


def test_unwrap_is_lenient() -> None:
    assert unwrap({"data": [1]}) == [1]
    assert unwrap([1]) == [1]
    assert unwrap({"id": 3}) == {"id": 3}
    assert unwrap(None) is None


def test_issue_mapping_lenient() -> None:
    issue = issue_from_jentry(
        {
            "id": 42,
            "projectId": 1,
            "title": "TypeError: x",
            "culprit": None,
            "level": "error",
            "status": "unresolved",
            "substatus": "ongoing",
            "firstSeen": "2026-06-20T10:00:00.000Z",
            "lastSeen": "2026-06-29T12:30:00.000Z",
            "count": 1284,
            "userCount": None,
            "assigneeUserId": 7,
            "firstRelease": "web@1.4.0",
            "lastRelease": None,
            "permalink": "https://jentry.app/projects/1/issues/42",
            "unknown": {"ignored": True},
        },
        {"1": "web-app"},
    )
    assert issue is not None
    assert (issue.id, issue.project, issue.project_id, issue.assignee) == ("42", "web-app", "1", "7")
    assert issue.short_id is None and issue.user_count is None and issue.count == 1284
    assert issue.last_seen == datetime(2026, 6, 29, 12, 30, tzinfo=UTC)
    assert issue_from_jentry({"title": "no id"}) is None
    bare = issue_from_jentry({"id": "5", "assigneeUserId": None, "projectId": 9})
    assert bare is not None and bare.assignee is None and bare.project == "9"


def test_release_and_audit_mapping() -> None:
    rel = release_from_jentry(
        {"release": "web@1.4.2", "events": 5821, "issues": 12, "newIssues": 3,
         "firstSeen": "2026-06-27T09:00:00Z", "lastSeen": "2026-06-29T12:30:00Z", "sessions": 24010,
         "crashFreeRate": 99.4, "adoption": 38.2},
        "web-app",
    )  # fmt: skip
    assert rel is not None and rel.version == "web@1.4.2" and rel.projects == ["web-app"]
    assert (rel.new_issues, rel.issues, rel.events) == (3, 12, 5821)
    assert rel.health is not None and rel.health.crash_free_sessions == 99.4 and rel.health.sessions == 24010
    assert release_from_jentry({"release": "x", "crashFreeRate": None}).health is None  # type: ignore[union-attr]
    assert release_from_jentry({"events": 1}) is None
    entry = audit_from_jentry(
        {"id": 901, "action": "issue.resolve", "target": "issue:42", "userId": 3, "meta": {"via": "api"},
         "createdAt": "2026-06-29T12:31:00.000Z"}
    )  # fmt: skip
    assert (entry.id, entry.action, entry.actor, entry.target, entry.note) == (
        "901", "issue.resolve", "user:3", "issue:42", "via=api"
    )  # fmt: skip


def test_issue_times_with_offsets_are_converted_to_utc() -> None:
    """Rendered times say Z: an upstream's +02:00 must be converted, not relabelled."""
    issue = issue_from_jentry(
        {
            "id": 7,
            "projectId": 1,
            "lastSeen": "2026-06-29T14:30:00+02:00",
            "firstSeen": "2026-06-29T12:00:00Z",
        },
        {"1": "web"},
    )
    assert issue is not None and issue.last_seen is not None
    assert issue.last_seen.isoformat() == "2026-06-29T12:30:00+00:00"
    assert "12:30Z" in render_issue(issue)
