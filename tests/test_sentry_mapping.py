"""Sentry JSON → models (backends/sentry/mapping.py): lenient, as self-hosted and older instances differ."""

from __future__ import annotations

from typing import Any

import pytest

from stacklens.backends.sentry.mapping import (
    assignee_text,
    event_summary,
    issue_from_sentry,
    release_from_sentry,
)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (
            {"type": "user", "id": "1", "name": "Jane Doe", "email": "jane@example.com"},
            "Jane Doe <jane@example.com>",
        ),
        (
            {"type": "user", "id": "1", "name": "jane@example.com", "email": "jane@example.com"},
            "jane@example.com",
        ),
        ({"type": "user", "id": "7", "name": None, "email": None}, "user:7"),
        ({"type": "team", "id": "3", "name": "backend"}, "#backend"),
        ({"type": "team", "id": "3", "name": None}, "team:3"),
        ("jane", "jane"),
        (None, None),
        ({}, None),
        (42, None),
    ],
)
def test_assignee_text(value: Any, text: str | None) -> None:
    assert assignee_text(value) == text


def test_issue_mapping_lenient() -> None:
    issue = issue_from_sentry(
        {
            "id": 123,
            "shortId": "SHOP-1A",
            "title": None,
            "metadata": {"title": "KeyError: 'x'"},
            "culprit": None,
            "level": "error",
            "status": "unresolved",
            "substatus": None,
            "count": "1284",
            "userCount": None,
            "firstSeen": "2026-01-15T10:00:00.123Z",
            "lastSeen": None,
            "firstRelease": {"version": "shop@1.4.2"},
            "lastRelease": "shop@1.4.3",
            "assignedTo": {"type": "team", "id": "9", "name": "checkout"},
            "project": {"id": 12, "slug": "shop-web"},
            "issueType": "error",
            "statusDetails": None,
            "unknown": {"nested": [None]},
        }
    )
    assert issue is not None
    assert (issue.id, issue.short_id, issue.title, issue.count, issue.user_count) == (
        "123",
        "SHOP-1A",
        "KeyError: 'x'",
        1284,
        None,
    )
    assert (issue.first_release, issue.last_release, issue.assignee) == (
        "shop@1.4.2",
        "shop@1.4.3",
        "#checkout",
    )
    assert (issue.project, issue.project_id, issue.type) == ("shop-web", "12", "error")
    assert issue.first_seen is not None and issue.last_seen is None
    assert issue_from_sentry({"id": None}) is None
    bare = issue_from_sentry({"id": "5", "project": None, "assignedTo": None, "firstRelease": None})
    assert bare is not None and bare.project is None and bare.assignee is None


def test_event_summary_mapping() -> None:
    row = {
        "id": "dfb1",
        "eventID": "9fac",
        "dateCreated": "2026-01-15T10:00:00Z",
        "tags": [
            {"key": "environment", "value": "production"},
            {"key": "release", "value": "shop@1.4.3"},
            {"key": None, "value": "x"},
        ],
        "user": {"id": "u-42", "email": "secret@example.com", "ip_address": "10.0.0.1"},
        "message": "",
        "title": "KeyError: 'x'",
    }
    summary = event_summary(row)
    assert summary is not None
    assert (summary.id, summary.environment, summary.release, summary.user_id, summary.message) == (
        "9fac",
        "production",
        "shop@1.4.3",
        "u-42",
        "KeyError: 'x'",
    )
    no_user = event_summary({"eventID": "a1", "user": None, "tags": [{"key": "user", "value": "id:7"}]})
    assert no_user is not None and no_user.user_id == "7"
    emailed = event_summary({"eventID": "a2", "tags": [{"key": "user", "value": "email:a@b.c"}]})
    assert emailed is not None and emailed.user_id is None  # never an email


def test_release_mapping_health_and_deploys() -> None:
    release = release_from_sentry(
        {
            "version": "shop@1.4.3",
            "dateCreated": "2026-01-15T10:00:00Z",
            "newGroups": 3,
            "commitCount": 7,
            "deployCount": 2,
            "lastDeploy": {"environment": "production", "dateFinished": None},
            "projects": [
                {"id": 1, "slug": "shop-api", "healthData": None},
                {
                    "id": 12,
                    "slug": "shop-web",
                    "healthData": {
                        "crashFreeSessions": 99.5,
                        "crashFreeUsers": 98.25,
                        "adoption": 40.0,
                        "totalSessions": 1200,
                    },
                },
            ],
        },
        "12",
    )
    assert release is not None
    assert (release.new_issues, release.commit_count, release.deploy_count, release.last_deploy) == (
        3,
        7,
        2,
        "production",
    )
    assert release.projects == ["shop-api", "shop-web"]
    assert release.health is not None
    assert (release.health.crash_free_sessions, release.health.crash_free_users) == (99.5, 98.25)
    assert (release.health.adoption, release.health.sessions) == (40.0, 1200)
    plain = release_from_sentry({"version": "v1", "projects": None, "lastDeploy": None})
    assert plain is not None and plain.health is None and plain.last_deploy is None
    assert release_from_sentry({"version": None}) is None


@pytest.mark.parametrize(
    ("raw", "title"),
    [
        (
            {"metadata": {"type": "ZeroDivisionError", "value": "division by zero"}},
            "ZeroDivisionError: division by zero",
        ),
        ({"title": "", "metadata": {"type": "ZeroDivisionError"}}, "ZeroDivisionError"),
        ({"title": None, "metadata": {"value": "only a value"}}, "only a value"),
        ({"metadata": {"title": "Endpoint Regression", "type": "x"}}, "Endpoint Regression"),
        ({"title": "T", "metadata": {"title": "M"}}, "T"),
        ({"metadata": None}, None),
        ({"metadata": {"type": None, "value": 5}}, "5"),
    ],
)
def test_issue_title_falls_back_to_metadata(raw: dict[str, Any], title: str | None) -> None:
    # Older/self-hosted serializers may omit `title`; metadata then has `title`, or an error's type and value.
    issue = issue_from_sentry({"id": "9", **raw})
    assert issue is not None and issue.title == title
