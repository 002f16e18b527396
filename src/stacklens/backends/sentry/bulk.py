"""Sentry bulk updates: locate each issue's project (one search for all numeric ids), then one PUT per project,
each issue with its own outcome."""

from __future__ import annotations

from typing import TYPE_CHECKING

import anyio

from stacklens.backends.base import Progress
from stacklens.backends.json import JsonObject
from stacklens.backends.outcomes import failed_or_unconfirmed
from stacklens.backends.sentry.mapping import _rows, issue_from_sentry
from stacklens.backends.sentry.writes import Located, bulk_outcome, group_by_project
from stacklens.errors import InvalidInput, NotTheApi, UpstreamError
from stacklens.http import segment
from stacklens.models import IssueChange, UpdateResult
from stacklens.refs import IssueRef

if TYPE_CHECKING:
    from stacklens.backends.sentry.backend import SentryBackend

LOOKUP_CONCURRENCY = 8


async def locate(b: SentryBackend, refs: list[IssueRef]) -> Located:
    """Each ref → (numeric id, project slug-or-id), or an error text.

    The cheapest correct way to learn the projects: ONE org issue search `issue.id:[…]` (what Sentry's
    own UI sends to load a set of issues) for all numeric ids, no status filter, all projects
    (`project=-1`). Short ids need their numeric id anyway (the bulk route takes numeric ids only), so
    each costs one detail GET, which also gives its project. Ids the search did not return (outside a
    default time range, an instance without `issue.id`) fall back to a detail GET each, so the result
    stays correct either way.
    """
    found: Located = {}
    numeric = [r.value for r in refs if r.kind == "id"]
    for start in range(0, len(numeric), 100):
        chunk = numeric[start : start + 100]
        params = [
            ("query", f"issue.id:[{', '.join(chunk)}]"),
            ("project", "-1"),
            ("limit", str(len(chunk))),
        ]
        try:
            reply = await b._request(
                "GET", f"/organizations/{b._org_seg}/issues/", params=params, scope="event:read"
            )
            rows = _rows(reply.data, "issue search")
        except UpstreamError as exc:
            if exc.status in (None, 401, 429) or (exc.status or 0) >= 500 or isinstance(exc, NotTheApi):
                raise
            rows = []  # e.g. a 400 from an instance that lacks `issue.id`: detail GETs below
        for row in rows:
            issue = issue_from_sentry(row)
            where = issue and (issue.project or issue.project_id)
            if issue and where and issue.id in chunk:
                found[issue.id] = (issue.id, where)
    missing = [r for r in refs if r.value not in found]
    limiter = anyio.CapacityLimiter(LOOKUP_CONCURRENCY)

    async def detail(ref: IssueRef) -> None:
        async with limiter:
            try:
                issue = await b.get_issue(ref)
            except UpstreamError as exc:
                found[ref.value] = str(exc)
                return
        where = issue.project or issue.project_id
        found[ref.value] = (
            (issue.id, where) if where else f"Sentry did not say which project issue {ref} is in"
        )

    async with anyio.create_task_group() as tg:
        for ref in missing:
            tg.start_soon(detail, ref)
    return found


async def bulk_update(
    b: SentryBackend, refs: list[IssueRef], change: IssueChange, body: JsonObject, progress: Progress
) -> UpdateResult:
    located = await locate(b, refs)
    outcomes, groups = group_by_project([r.value for r in refs], located)
    total = len(groups)
    for done, (project, members) in enumerate(groups.items()):
        await progress(done, total, f"project {project}: updating {len(members)} issue(s)")
        ids = list(dict.fromkeys(ident for _, ident in members))
        try:
            # The project slug came from the upstream: checked like any path value, per group, so an odd
            # one fails only its own issues.
            path = f"/projects/{b._org_seg}/{segment(project)}/issues/"
            reply = await b._request(
                "PUT", path, params=[("id", i) for i in ids], json_body=body, scope="event:write"
            )
        except (UpstreamError, InvalidInput) as exc:
            # One failed project must not hide the others' success: record and go on.
            for value, _ in members:
                outcomes[value] = failed_or_unconfirmed(value, exc)
            continue
        for value, _ in members:
            outcomes[value] = bulk_outcome(value, change, reply)
    await progress(total, total, "done")
    return UpdateResult(outcomes=[outcomes[r.value] for r in refs])
