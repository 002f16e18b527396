"""Jentry releases (backends/jentry/releases.py and the backend's release calls) against the sandbox."""

from __future__ import annotations

import pytest

from jentry_helpers import (
    calls,
    jentry,
)
from stacklens.errors import InvalidInput
from stacklens.models import CommitSpec, DeploySpec, ReleaseSpec


@pytest.mark.anyio
async def test_list_releases(sandbox, sandbox_url) -> None:
    async with jentry(sandbox_url) as backend:
        shop = await backend.list_releases(project="shop-web")
        everything = await backend.list_releases(limit=4)
        rc = await backend.list_releases(query="RC")
    assert [r.version for r in shop.releases] == ["shop-web@2.4.0", "shop-web@2.3.1", "shop-web@2.3.0"]
    assert shop.notes == [] and all(r.projects == ["shop-web"] for r in shop.releases)
    top = shop.releases[0]
    assert top.events and top.new_issues is not None and top.first_event and top.last_event
    raw = sandbox.release_by("shop-web@2.4.0")["health"]
    if raw.get("crashFreeSessions") is not None:
        assert top.health is not None and top.health.crash_free_sessions == raw["crashFreeSessions"]
    assert len(everything.releases) == 4
    assert everything.notes == [
        "merged from 3 projects, newest first (by first event)",
        "showing the newest 4 of 8 releases (limit applied client-side)",
    ]
    firsts = [r.first_event for r in everything.releases]
    assert firsts == sorted(firsts, reverse=True)  # type: ignore[type-var]
    assert [r.version for r in rc.releases] == ["checkout-api@1.9.0-rc.1"]
    assert "client-side" in rc.notes[1]
    release_calls = [(r.path, r.query) for r in sandbox.find_requests("releases")]
    assert release_calls[0] == ("/api/v1/projects/1/releases", [("limit", "100")])
    assert sorted(release_calls[1:4]) == [
        (f"/api/v1/projects/{n}/releases", [("limit", "100")]) for n in (1, 2, 3)
    ]


@pytest.mark.anyio
async def test_create_release(sandbox, sandbox_url) -> None:
    spec = ReleaseSpec(
        version="shop-web@2.5.0",
        project="shop-web",
        ref="a1b2c3d",
        url="https://example.com/r/2.5.0",
        date_released="2026-06-29T12:00:00Z",
        commits=[
            CommitSpec(
                sha="a1b2c3d",
                message="Fix crash",
                author="Jane",
                author_email="jane@example.com",
                files=["app/cart.py"],
            ),
            CommitSpec(sha="d4e5f6a"),
        ],
        deploys=[DeploySpec(environment="production", name="deploy 42", deployed_at="2026-06-29T12:05:00Z")],
    )
    async with jentry(sandbox_url) as backend:
        created = await backend.create_release(spec)
        again = await backend.create_release(spec)  # the API replaces: safe to repeat
    post = sandbox.find_requests("releases", method="POST")
    assert [r.path for r in post] == ["/api/v1/projects/1/releases"] * 2
    assert post[0].json == {
        "version": "shop-web@2.5.0",
        "ref": "a1b2c3d",
        "url": "https://example.com/r/2.5.0",
        "dateReleased": "2026-06-29T12:00:00Z",
        "commits": [
            {"sha": "a1b2c3d", "author": "Jane", "authorEmail": "jane@example.com", "message": "Fix crash",
             "files": ["app/cart.py"]},
            {"sha": "d4e5f6a"},
        ],
        "deploys": [{"environment": "production", "name": "deploy 42", "deployedAt": "2026-06-29T12:05:00Z"}],
    }  # fmt: skip
    assert (created.version, created.project, created.commits) == ("shop-web@2.5.0", "shop-web", 2)
    assert [(d.environment, d.ok) for d in created.deploys] == [("production", True)]
    assert created.notes == [] and again.commits == 2
    assert len(sandbox.release_by("shop-web@2.5.0")["commits"]) == 2


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("spec", "match"),
    [
        (ReleaseSpec(version="v1"), "needs a project"),
        (ReleaseSpec(version="  ", project="1"), "version is required"),
        (ReleaseSpec(version="v1", project="1", date_released="yesterday"), "ISO-8601"),
        (ReleaseSpec(version="v1", project="1", deploys=[DeploySpec(environment=" ")]), "environment"),
        (ReleaseSpec(version="v1\n", project="1", commits=[CommitSpec(sha="")]), "sha"),
        (
            ReleaseSpec(version="v1", project="1", deploys=[DeploySpec(environment="p", deployed_at="x")]),
            "ISO",
        ),
    ],
)
async def test_create_release_refusals_send_nothing(sandbox, sandbox_url, spec, match) -> None:
    async with jentry(sandbox_url) as backend:
        with pytest.raises(InvalidInput, match=match):
            await backend.create_release(spec)
    assert sandbox.requests == []


@pytest.mark.anyio
async def test_create_release_uses_the_default_project(sandbox, sandbox_url) -> None:
    async with jentry(sandbox_url, project="3") as backend:
        created = await backend.create_release(ReleaseSpec(version="worker@1.0.0"))
    # One GET first: Jentry answers 201 whether the version existed or not, so the list says which.
    assert calls(sandbox) == [
        ("GET", "/api/v1/projects/3/releases", [("limit", "100")]),
        ("POST", "/api/v1/projects/3/releases", []),
    ]
    assert sandbox.requests[1].json == {"version": "worker@1.0.0"} and created.commits == 0
    assert created.already_existed is False
