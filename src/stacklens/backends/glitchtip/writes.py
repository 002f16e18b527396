"""GlitchTip's writes and releases: status updates (single and bulk, confirmed per issue), releases, delete.

GlitchTip's bulk PUT answers the body it applied whatever ids matched (even none), so each issue's outcome is
confirmed by reading it back. A release POST drops commits silently and a duplicate version answers 500, so
commits and deploys are refused up front and a duplicate is recognised by reading the version.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from stacklens.backends.base import Progress
from stacklens.backends.outcomes import failed_or_unconfirmed
from stacklens.backends.sentry.mapping import _dict, _rows, release_from_sentry
from stacklens.backends.sentry.writes import outcome
from stacklens.errors import InvalidInput, NotSupported, UpstreamError
from stacklens.http import segment
from stacklens.models import (
    DeleteResult,
    EventSummary,
    IssueChange,
    ReleaseCreated,
    ReleaseList,
    ReleaseSpec,
    UpdateOutcome,
    UpdateResult,
)
from stacklens.query import parse_window
from stacklens.refs import IssueRef

if TYPE_CHECKING:
    from stacklens.backends.glitchtip.backend import GlitchTipBackend


def status_body(change: IssueChange) -> dict[str, str]:
    """GlitchTip's update body has `status` (and `merge`) only: anything else is refused, never sent."""
    unsupported = [
        name
        for name, value in (
            ("assignee", change.assignee),
            ("in_release", change.in_release),
            ("ignore_minutes", change.ignore_minutes),
            ("ignore_count", change.ignore_count),
            ("bookmarked", change.bookmarked),
            ("seen", change.seen),
        )
        if value is not None
    ]
    if unsupported:
        raise NotSupported(f"GlitchTip has no {', '.join(unsupported)} on issues: only status can change")
    if change.status not in ("resolved", "unresolved", "ignored"):
        raise InvalidInput("GlitchTip's statuses are resolved, unresolved and ignored")
    return {"status": change.status}


async def update_issues(
    b: GlitchTipBackend, refs: list[IssueRef], change: IssueChange, progress: Progress
) -> UpdateResult:
    body = status_body(change)
    if not refs:
        raise InvalidInput("issue is required: one numeric id/URL or a list of them")
    if len(refs) == 1:
        ref = refs[0]
        await progress(0, 1, f"updating issue {ref}")
        try:
            reply = await b._on_issue(
                ref, b._request("PUT", b._issue_path(ref), json_body=body, scope="event:write")
            )
        except UpstreamError as exc:
            return UpdateResult(outcomes=[failed_or_unconfirmed(str(ref), exc)])
        await progress(1, 1, f"issue {ref} updated")
        return UpdateResult(outcomes=[outcome(str(ref), change, _dict(reply.data))])
    ids = list(dict.fromkeys(r.value for r in refs))
    await progress(0, 2, f"updating {len(ids)} issues")
    try:
        await b._org_request(
            "PUT", "issues/", params=[("id", i) for i in ids], json_body=body, scope="event:write"
        )
    except UpstreamError as exc:
        return UpdateResult(outcomes=[failed_or_unconfirmed(r.value, exc) for r in refs])
    await progress(1, 2, "reading the issues back to confirm")
    outcomes: list[UpdateOutcome] = []
    for ref in refs:
        try:
            issue = await b._request("GET", b._issue_path(ref), scope="event:read")
        except UpstreamError as exc:
            why = "not found" if exc.not_found else str(exc)
            outcomes.append(UpdateOutcome(issue=ref.value, ok=False, error=f"issue {ref}: {why}"))
            continue
        outcomes.append(outcome(ref.value, change, _dict(issue.data)))
    await progress(2, 2, "done")
    return UpdateResult(outcomes=outcomes)


async def list_releases(
    b: GlitchTipBackend, project: str | None, query: str | None, limit: int, cursor: str | None
) -> ReleaseList:
    if query:
        raise NotSupported("GlitchTip's release list has no search: list them and read the versions")
    limit = max(1, min(int(limit), 100))
    params = [("cursor", cursor)] if cursor else []
    reply = await b._org_request("GET", "releases/", params=params or None, scope="project:read")
    releases = [r for r in (release_from_sentry(_dict(x)) for x in _rows(reply.data, "releases")) if r]
    slug = b._default_project(project)
    if slug:  # GlitchTip ignores `project` on this route: narrowed here
        wanted = (await b._find_project(slug)).slug
        releases = [
            r for r in releases
            if not getattr(r, "projects", None) or wanted in (getattr(r, "projects", None) or [])
        ]  # fmt: skip
    return ReleaseList(releases=releases[:limit], next_cursor=reply.next_cursor)


async def create_release(b: GlitchTipBackend, spec: ReleaseSpec) -> ReleaseCreated:
    if spec.commits:
        raise NotSupported("GlitchTip has no release commits: it would drop them silently; send none")
    if spec.deploys:
        raise NotSupported("GlitchTip has no deploys: send the release without them")
    slug = b._default_project(spec.project)
    if not slug:
        raise InvalidInput("create_release needs a project: pass project=<slug>, or set the default project")
    project = await b._find_project(slug)
    body: dict[str, object] = {"version": spec.version, "projects": [project.slug or project.id]}
    for key, value in (("ref", spec.ref), ("url", spec.url), ("dateReleased", spec.date_released)):
        if value:
            body[key] = value
    try:
        reply = await b._org_request("POST", "releases/", json_body=body, scope="project:write")
    except UpstreamError as exc:
        if (exc.status or 0) < 500:
            raise
        # A duplicate version answers 500: it already existed if reading it back finds it.
        path = f"/organizations/{b._org_seg}/releases/{segment(spec.version)}/"
        try:
            await b._request("GET", path, scope="project:read")
        except UpstreamError:
            raise exc from None
        return ReleaseCreated(version=spec.version, project=project.slug, already_existed=True, commits=None)
    data = _dict(reply.data)
    confirmed = data.get("version") == spec.version
    return ReleaseCreated(version=spec.version, project=project.slug, confirmed=confirmed, commits=None)


async def delete_issue(b: GlitchTipBackend, ref: IssueRef) -> DeleteResult:
    # Never retried: exactly one DELETE goes out.
    call = b._up.request("DELETE", b._issue_path(ref), scope="event:admin", idempotent=False)
    await b._on_issue(ref, call)
    return DeleteResult(issue=str(ref), ok=True, message="deleted")


def within_period(events: list[EventSummary], period: str) -> tuple[list[EventSummary], str]:
    """GlitchTip's events list has no time filter: keep the events of this page inside the period."""
    window = parse_window(period, "period")
    assert window is not None
    cut = window.cutoff(datetime.now(UTC))
    kept = [e for e in events if e.time is not None and e.time >= cut]
    return kept, f"period {period} applied here to the page read (GlitchTip's events list has no time filter)"
