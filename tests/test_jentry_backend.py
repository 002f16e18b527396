"""The Jentry backend's plumbing and single reads (backends/jentry/backend.py): projects, issues, audit,
scopes and errors, against the sandbox over real HTTP on 127.0.0.1.
"""

from __future__ import annotations

from typing import Any

import anyio
import pytest

from jentry_helpers import (
    READ_ONLY,
    build_projects,
    calls,
    jentry,
    make_backend,
    scripted_jentry,
)
from stacklens.backends.jentry import backend as backend_module
from stacklens.errors import InvalidInput, NotTheApi, UpstreamError
from stacklens.models import IssueChange, ReleaseSpec
from stacklens.query import IssueFilter
from stacklens.refs import IssueRef, parse_issue_ref


@pytest.mark.anyio
async def test_list_projects(sandbox, sandbox_url) -> None:
    async with jentry(sandbox_url) as backend:
        projects = await backend.list_projects()
    assert [(p.id, p.slug, p.name, p.platform) for p in projects] == [
        ("1", "shop-web", "Shop Web", "python"),
        ("2", "checkout-api", "Checkout API", "python"),
        ("3", "worker", "Worker", "python"),
    ]
    assert calls(sandbox) == [("GET", "/api/v1/projects", [])]


def test_project_list_is_refreshed_after_a_while(monkeypatch) -> None:
    """A server runs for days: a project created since the list was cached is searched too."""
    projects = build_projects([[{"hours": 1, "count": 1, "level": "error", "status": "unresolved"}]])
    log: list[str] = []

    async def run() -> tuple[list[str], list[str]]:
        backend, upstream = make_backend("http://jentry.test", transport=scripted_jentry(projects, log))
        try:
            before = await backend.search_issues(IssueFilter.build())
            projects[2] = build_projects(
                [[], [{"hours": 0, "count": 1, "level": "error", "status": "unresolved"}]]
            )[2]
            projects[2][0]["id"] = 99
            cached = await backend.search_issues(IssueFilter.build())
            monkeypatch.setattr(backend_module, "PROJECT_LIST_MAX_AGE", 0.0)
            after = await backend.search_issues(IssueFilter.build())
        finally:
            await upstream.aclose()
        assert [i.id for i in cached.issues] == [i.id for i in before.issues] == ["1"]
        return [i.id for i in after.issues], after.notes

    ids, notes = anyio.run(run)
    assert ids == ["99", "1"] and "searched all 2 project(s)" in notes[0]
    assert sum(url.endswith("/api/v1/projects") for url in log) == 2


@pytest.mark.anyio
async def test_get_issue(sandbox, sandbox_url) -> None:
    async with jentry(sandbox_url) as backend:
        issue = await backend.get_issue(parse_issue_ref(f"{sandbox_url}/projects/1/issues/101", "jentry"))
        with pytest.raises(UpstreamError, match="issue 999 not found"):
            await backend.get_issue(parse_issue_ref("999", "jentry"))
        with pytest.raises(InvalidInput):
            await backend.get_issue(IssueRef(kind="short_id", value="SHOP-1"))
    assert (issue.id, issue.status, issue.level, issue.count, issue.user_count) == (
        "101",
        "unresolved",
        "error",
        1284,
        57,
    )
    assert (issue.first_release, issue.last_release, issue.assignee, issue.project_id) == (
        "shop-web@2.3.0", "shop-web@2.4.0", "3", "1"
    )  # fmt: skip
    assert issue.short_id is None and issue.title and issue.title.startswith("KeyError")
    # The projects list (for the slug) is read once, alongside the first issue.
    assert issue.project == "shop-web"
    assert sorted(calls(sandbox)) == [
        ("GET", "/api/v1/issues/101", []),
        ("GET", "/api/v1/issues/999", []),
        ("GET", "/api/v1/projects", []),
    ]


@pytest.mark.anyio
async def test_scopes_named_on_403(sandbox, sandbox_url) -> None:
    sandbox.config.jentry_tokens["jto_issues_only"] = frozenset({"issue:read"})
    ref = parse_issue_ref("101", "jentry")
    async with jentry(sandbox_url, token=READ_ONLY) as backend:
        result = await backend.update_issues([ref], IssueChange(status="resolved"))
        assert "`issue:write` scope" in (result.outcomes[0].error or "") and not result.outcomes[0].ok
        with pytest.raises(UpstreamError, match="`project:write` scope"):
            await backend.create_release(ReleaseSpec(version="shop-web@9", project="1"))
    async with jentry(sandbox_url, token="jto_issues_only") as backend:
        # The slug lookup alongside is best effort: refused once (403), then not asked again.
        for _ in range(2):
            issue = await backend.get_issue(ref)
            assert (issue.id, issue.project) == ("101", "1")
        assert len(sandbox.find_requests("^/api/v1/projects$")) == 1
        for call, scope in (
            (backend.search_issues(IssueFilter.build()), "project:read"),
            (backend.get_event(ref, "latest"), "event:read"),
            (backend.list_releases(project="1"), "project:read"),
            (backend.read_audit(), "org:read"),
        ):
            with pytest.raises(UpstreamError, match=f"`{scope}` scope") as err:
                await call
            assert "jto_issues_only" not in str(err.value)
    assert sandbox.issue_by_jentry_id(101)["status"] == "unresolved"


@pytest.mark.anyio
async def test_bad_token_never_echoed(sandbox, sandbox_url) -> None:
    async with jentry(sandbox_url, token="jto_wrong_secret_123") as backend:
        with pytest.raises(UpstreamError, match="401") as err:
            await backend.list_projects()
    assert "jto_wrong_secret_123" not in str(err.value) and "JENTRY_AUTH_TOKEN" in str(err.value)


@pytest.mark.anyio
async def test_read_audit(sandbox, sandbox_url) -> None:
    async with jentry(sandbox_url) as backend:
        five = await backend.read_audit(limit=5)
        issues = await backend.read_audit(limit=50, action="issue")
        resolves = await backend.read_audit(action="issue.resolve")
        with pytest.raises(InvalidInput, match="no further pages"):
            await backend.read_audit(cursor="x")
    assert [r.query for r in sandbox.requests] == [[("limit", "5")], [("limit", "100")], [("limit", "100")]]
    assert len(five.entries) == 5 and five.notes == []
    times = [e.time for e in five.entries]
    assert times == sorted(times, reverse=True)  # type: ignore[type-var]
    expected = sorted(a["when"] for a in sandbox.audit if a["event"].startswith("issue."))
    assert len(issues.entries) == len(expected) > 0 and all(
        e.action.startswith("issue.") for e in issues.entries
    )
    assert {e.action for e in resolves.entries} == {"issue.resolve"}
    assert issues.notes == [
        f"filtered to action 'issue' client-side over the {len(sandbox.audit)} most recent entries "
        "(Jentry's audit API has no action filter)"
    ]
    assert all(e.actor is None or e.actor.startswith("user:") for e in five.entries)


@pytest.mark.anyio
@pytest.mark.parametrize(
    "call",
    [
        lambda b: b.get_issue(IssueRef(kind="id", value="101")),
        lambda b: b.search_issues(IssueFilter.build(project="1")),
    ],
)
async def test_html_404_blames_jentry_url_not_the_id(sandbox: Any, sandbox_url: str, call: Any) -> None:
    """A web page answering 404 means JENTRY_URL is wrong; the id or project may be fine."""
    sandbox.inject(r"/api/v1/", status=404, body="<html>nope</html>", content_type="text/html", times=None)
    async with jentry(sandbox_url) as backend:
        with pytest.raises(NotTheApi) as info:
            await call(backend)
    assert "JENTRY_URL" in str(info.value) and "not found in this Jentry" not in str(info.value)


@pytest.mark.anyio
async def test_project_by_display_name_with_spaces(sandbox: Any, sandbox_url: str) -> None:
    async with jentry(sandbox_url) as backend:
        page = await backend.search_issues(IssueFilter.build(project="Checkout API", limit=5))
        releases = await backend.list_releases(project="checkout api")
    assert page.issues and {i.project for i in page.issues} == {"checkout-api"}
    assert releases.releases and {p for r in releases.releases for p in r.projects} == {"checkout-api"}
    paths = {r.path for r in sandbox.requests}
    assert "/api/v1/projects/2/issues" in paths and "/api/v1/projects/2/releases" in paths
