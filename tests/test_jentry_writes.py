"""Jentry issue updates (backends/jentry/writes.py and the backend's update_issues): the PATCH body,
refusals before anything is sent, per-issue outcomes against the sandbox.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from jentry_helpers import (
    jentry,
)
from stacklens.backends.jentry.writes import update_body
from stacklens.errors import InvalidInput, NotSupported
from stacklens.models import IssueChange
from stacklens.refs import parse_issue_ref


@pytest.mark.parametrize(
    ("change", "body"),
    [
        ({"status": "resolved"}, {"status": "resolved"}),
        ({"status": "Ignored"}, {"status": "ignored"}),
        ({"assignee": "12"}, {"assigneeUserId": 12}),
        ({"assignee": "user:12"}, {"assigneeUserId": 12}),
        ({"assignee": "none"}, {"assigneeUserId": None}),
        ({"assignee": "me"}, {"assigneeUserId": 7}),
        ({"status": "unresolved", "assignee": "none"}, {"status": "unresolved", "assigneeUserId": None}),
    ],
)
def test_patch_body(change: dict[str, Any], body: dict[str, Any]) -> None:
    assert update_body(IssueChange(**change), me=7) == body


@pytest.mark.parametrize(
    ("change", "error", "match"),
    [
        ({"status": "resolved_in_next_release"}, NotSupported, "not supported by Jentry"),
        ({"ignore_minutes": 30}, NotSupported, "ignore_minutes"),
        ({"status": "ignored", "ignore_count": 5}, NotSupported, "ignore_count"),
        ({"bookmarked": True}, NotSupported, "bookmarked"),
        ({"seen": False}, NotSupported, "seen"),
        ({"status": "open"}, InvalidInput, "resolved, unresolved, ignored"),
        ({"assignee": "jane@example.com"}, InvalidInput, "numeric user id"),
        ({"assignee": "me"}, InvalidInput, "JENTRY_USER_ID"),
        ({}, InvalidInput, "nothing to change"),
    ],
)
def test_patch_body_refusals(change: dict[str, Any], error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        update_body(IssueChange(**change), me=None)


@pytest.mark.anyio
async def test_update_one_issue(sandbox, sandbox_url) -> None:
    async with jentry(sandbox_url, user_id=5) as backend:
        result = await backend.update_issues(
            [parse_issue_ref("110", "jentry")], IssueChange(status="resolved", assignee="me")
        )
        after = await backend.get_issue(parse_issue_ref("110", "jentry"))
    assert [(o.issue, o.ok, o.status, o.assignee, o.error) for o in result.outcomes] == [
        ("110", True, "resolved", "5", None)
    ]
    assert (after.status, after.assignee) == ("resolved", "5")
    patch = sandbox.requests[0]
    assert (patch.method, patch.path, patch.json) == (
        "PATCH",
        "/api/v1/issues/110",
        {"status": "resolved", "assigneeUserId": 5},
    )


@pytest.mark.anyio
async def test_update_many_concurrently_with_per_issue_outcomes(sandbox, sandbox_url) -> None:
    refs = [parse_issue_ref(v, "jentry") for v in ("101", "99999", "117")]
    sandbox.inject(r"^/api/v1/issues/\d+$", delay=0.3, times=None, method="PATCH")
    async with jentry(sandbox_url) as backend:
        result = await backend.update_issues(refs, IssueChange(assignee="none"))
    assert sandbox.peak_in_flight == 3, "the three PATCHes were not in flight together"
    outcomes = {o.issue: o for o in result.outcomes}
    assert [o.issue for o in result.outcomes] == ["101", "99999", "117"]
    assert outcomes["101"].ok and outcomes["101"].assignee == "none" and outcomes["117"].ok
    assert not outcomes["99999"].ok and "issue 99999 not found" in (outcomes["99999"].error or "")
    assert sorted((r.method, r.path, json.dumps(r.json)) for r in sandbox.requests) == [
        ("PATCH", f"/api/v1/issues/{n}", '{"assigneeUserId": null}') for n in ("101", "117", "99999")
    ]
    assert sandbox.issue_by_jentry_id(101)["assignedTo"] is None


@pytest.mark.anyio
@pytest.mark.parametrize(
    "change",
    [
        IssueChange(status="resolved_in_next_release"),
        IssueChange(status="ignored", ignore_minutes=60),
        IssueChange(status="resolved", bookmarked=True),
        IssueChange(seen=True),
        IssueChange(assignee="me"),
        IssueChange(assignee="jane@example.com"),
    ],
)
async def test_update_refusals_send_nothing(sandbox, sandbox_url, change) -> None:
    async with jentry(sandbox_url) as backend:
        with pytest.raises((NotSupported, InvalidInput)):
            await backend.update_issues([parse_issue_ref("101", "jentry")], change)
    assert sandbox.requests == []
