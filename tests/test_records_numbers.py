"""Odd numbers from an upstream (issue 11, item 6): `1e400`, `Infinity`, `NaN`, `-1`, 400-digit ints, as JSON
numbers and as strings, in every count and figure of the record models. Never a crash or a traceback, never
`inf`/`nan` printed as a count: an odd count is unknown (`?`) and an odd figure is left out."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest

from mcp_helpers import DEMO_BACKENDS, JENTRY_TOKEN, SENTRY_TOKEN, inproc, text_of
from stacklens import models
from stacklens.render import records

ODD: list[Any] = [float("inf"), float("-inf"), float("nan"), -1, 10**400, "1e400", "Infinity", "-Infinity", "NaN",
                  "-1", "9" * 400, " -3 ", True]  # fmt: skip
_BAD = re.compile(r"\binf\b|\bnan\b|(?<![\w.@-])-\d|\d{25,}", re.IGNORECASE)


@pytest.mark.parametrize("odd", ODD, ids=repr)
def test_odd_counts_are_unknown_in_every_record(odd: Any) -> None:
    issue = models.Issue(id="1", title="t", count=odd, user_count=odd)
    assert issue.count is None and issue.user_count is None
    health = models.ReleaseHealth(crash_free_sessions=odd, crash_free_users=odd, adoption=odd, sessions=odd)
    release = models.Release(
        version="v1",
        new_issues=odd,
        issues=odd,
        events=odd,
        commit_count=odd,
        deploy_count=odd,
        health=health,
    )
    values = models.TagValues(issue="1", key="k", total=odd, values=[models.TagValue(value="a", count=odd)])
    created = models.ReleaseCreated(version="v1", commits=odd)
    texts = [
        records.render_issue(issue),
        records.render_issue_page(models.IssuePage(issues=[issue])),
        records.render_releases(models.ReleaseList(releases=[release])),
        records.render_tag_values(values),
        records.render_release_created(created),
    ]
    for text in texts:
        assert not _BAD.search(text), text
    assert "? ev, ? users" in texts[1]


def test_plain_counts_unchanged() -> None:
    issue = models.Issue(id="1", count="1284", user_count=3.7)
    assert (issue.count, issue.user_count) == (1284, 3)
    assert models.ReleaseHealth(crash_free_sessions="99.5").crash_free_sessions == 99.5
    assert (
        models.Issue(id="1", count="9007199254740993").count == 9007199254740993
    )  # exact, no float rounding


_LITERALS = ["1e400", "-1e400", "Infinity", "NaN", "-1", "1" + "0" * 400, '"1e400"', '"Infinity"', '"NaN"']
_COUNT_KEYS = {"count", "userCount", "newGroups", "newIssues", "events", "issues", "sessions", "commitCount",
               "deployCount", "totalSessions", "crashFreeSessions", "crashFreeUsers", "crashFreeRate", "adoption"}  # fmt: skip
E2E = [
    ("search_issues", {"status": "all", "limit": 5}, r"/api/0/organizations/acme/issues/$", r"/api/v1/projects/\d+/issues$"),
    ("list_releases", {"limit": 3}, r"/api/0/organizations/acme/releases/$", r"/api/v1/projects/\d+/releases$"),
]  # fmt: skip


def _with_literal(value: Any, literal: str, key: str = "") -> Any:
    """Every count of a real answer replaced by a placeholder the raw literal is put in afterwards."""
    if isinstance(value, dict):
        return {k: _with_literal(v, literal, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_with_literal(v, literal, key) for v in value]
    return "@@ODD@@" if key in _COUNT_KEYS and isinstance(value, int | float) else value


@pytest.mark.anyio
@pytest.mark.parametrize("backend", DEMO_BACKENDS)
@pytest.mark.parametrize("tool,args,sentry_path,jentry_path", E2E, ids=[t for t, *_ in E2E])
@pytest.mark.parametrize("literal", _LITERALS)
async def test_e2e_odd_counts(
    backend: str, tool: str, args: dict[str, Any], sentry_path: str, jentry_path: str, literal: str,
    sandbox: Any, sandbox_url: str,
) -> None:  # fmt: skip
    path = jentry_path if backend == "jentry" else sentry_path
    token = JENTRY_TOKEN if backend == "jentry" else SENTRY_TOKEN
    reply = httpx.get(
        sandbox_url + path.replace(r"\d+", "1").rstrip("$"), headers={"Authorization": f"Bearer {token}"}
    )
    body = json.dumps(_with_literal(reply.json(), literal)).replace('"@@ODD@@"', literal)
    assert literal in body
    sandbox.inject(path, status=200, body=body, content_type="application/json", times=None, method="GET")
    async with inproc(backend, sandbox_url) as client:
        result = await client.call_tool(tool, args)
    text = text_of(result)
    assert not result.is_error, text
    assert not _BAD.search(text), text
