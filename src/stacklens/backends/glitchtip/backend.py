"""The Backend protocol over GlitchTip's API (`/api/0`), on its real routes.

GlitchTip's issue and event shapes are Sentry's, so the Sentry backend's mapping and plumbing are reused
(subclass); what differs is overridden here: the issue routes (`/issues/{id}/`, the org-scoped one is PUT-only),
sort names, the search tokens it really applies, `limit` paging, the tags route, bulk updates, releases, and
what it does not have (audit log, commits, deploys, assignment, oldest/recommended events).
"""

from __future__ import annotations

from stacklens.backends.base import Progress, no_progress
from stacklens.backends.glitchtip import writes
from stacklens.backends.glitchtip.search import TagSet, search_request
from stacklens.backends.json import Json
from stacklens.backends.narrow import FetchPage, Narrowing, scan
from stacklens.backends.sentry.backend import SentryBackend
from stacklens.backends.sentry.mapping import (
    _dict,
    _rows,
    event_summary,
    issue_from_sentry,
    project_from_sentry,
)
from stacklens.config import Settings
from stacklens.errors import InvalidInput, NotSupported, UpstreamError
from stacklens.events import Event, normalize_event
from stacklens.http import Reply, Upstream, segment
from stacklens.models import (
    AuditLog,
    Commit,
    DeleteResult,
    Deploy,
    EventList,
    Issue,
    IssueChange,
    IssuePage,
    Project,
    ReleaseCreated,
    ReleaseList,
    ReleaseSpec,
    TagValue,
    TagValues,
    UpdateResult,
)
from stacklens.query import IssueFilter
from stacklens.refs import IssueRef, check_tag_key

PAGE_SIZE = 100


def _summary_row(raw: object) -> dict[str, object]:
    """GlitchTip's event list rows use snake_case dates (`date_created`); the mapping reads `dateCreated`."""
    row = dict(_dict(raw))
    if "dateCreated" not in row and "date_created" in row:
        row["dateCreated"] = row["date_created"]
    return row


SCAN_PAGES = 5  # a bounded scan: at most 500 issues read to narrow client-side
TAG_PAGES = 5  # per value of a listed or negated tag: at most 500 issues read


class GlitchTipBackend(SentryBackend):
    name = "glitchtip"

    def __init__(self, settings: Settings, upstream: Upstream) -> None:
        if not settings.org:
            raise InvalidInput("no GlitchTip organization: set GLITCHTIP_ORG or pass --org")
        super().__init__(settings, upstream)

    async def _request(
        self, method: str, path: str, *, scope: str, params: Json = None, json_body: Json = None
    ) -> Reply:
        # GlitchTip has no regions: always the configured instance.
        return await self._up.request(method, path, params=params, json_body=json_body, scope=scope)

    def _issue_path(self, ref: IssueRef | str) -> str:
        # GET works only on /issues/{id}/ (the org-scoped issue route answers 405 to GET).
        return f"/issues/{segment(str(ref))}/"

    async def _fetch_projects(self) -> list[Project]:
        reply = await self._org_request("GET", "projects/", scope="org:read")
        projects = [p for p in (project_from_sentry(r) for r in _rows(reply.data, "projects")) if p]
        learned = self._learned.get()
        learned.projects = projects
        return projects

    # --- issues -----------------------------------------------------------------------------------

    async def search_issues(self, f: IssueFilter, progress: Progress = no_progress) -> IssuePage:
        project = self._default_project(f.project)
        project_id = await self._project_id(project) if project else None
        plan = search_request(f, project_id)
        params, query, narrow = plan.params, plan.query, plan.narrow
        shown = " · ".join([query or '""', *[f"environment={e}" for e in f.environments]])
        if project:
            shown += f" · project={project}"
        said = [await self._narrow_by_tag(t, narrow, project_id) for t in plan.tag_sets]
        notes = [n for n in said if n]
        if not narrow.active:
            page = params + [("limit", str(f.limit))] + ([("cursor", f.cursor)] if f.cursor else [])
            reply = await self._org_request("GET", "issues/", params=page, scope="event:read")
            issues = [i for i in (issue_from_sentry(r) for r in _rows(reply.data, "issue search")) if i]
            return IssuePage(issues=issues, query=shown, next_cursor=reply.next_cursor)

        found = await scan(
            self._pages(params),
            narrow,
            limit=f.limit,
            cursor=f.cursor,
            max_pages=SCAN_PAGES,
            page_size=PAGE_SIZE,
        )
        return IssuePage(
            issues=found.issues, query=shown, next_cursor=found.next_cursor, notes=[*found.notes, *notes]
        )

    def _pages(self, params: list[tuple[str, str]]) -> FetchPage:
        """The issue list for `params`, a page of PAGE_SIZE at a time (what `scan` walks)."""

        async def fetch(cursor: str | None) -> tuple[list[Issue], str | None]:
            page = params + [("limit", str(PAGE_SIZE))] + ([("cursor", cursor)] if cursor else [])
            reply = await self._org_request("GET", "issues/", params=page, scope="event:read")
            rows = [i for i in (issue_from_sentry(r) for r in _rows(reply.data, "issue search")) if i]
            return rows, reply.next_cursor

        return fetch

    async def _narrow_by_tag(self, tags: TagSet, narrow: Narrowing, project_id: str | None) -> str | None:
        """Adds the check for one listed or negated tag; a note when a value had more issues than read."""
        ids: set[str] = set()
        partial = []
        read = TAG_PAGES * PAGE_SIZE
        for query in tags.queries():
            params = [("query", query)] + ([("project", project_id)] if project_id else [])
            # Every issue GlitchTip finds for the value, over the same bounded paging as the search itself.
            found = await scan(
                self._pages(params),
                Narrowing(),
                limit=read,
                cursor=None,
                max_pages=TAG_PAGES,
                page_size=PAGE_SIZE,
            )
            ids |= {i.id for i in found.issues}
            if found.next_cursor is not None:
                partial.append(query)
        if tags.negated:
            narrow.checks.append(lambda i: i.id not in ids)
        else:
            narrow.checks.append(lambda i: i.id in ids)
        narrow.described.append(tags.described())
        if not partial:
            return None
        return (
            f"{', '.join(partial)}: more than {read} issues have it and only the first {read} were read,"
            " so the tag filter is approximate"
        )

    async def get_issue(self, ref: IssueRef) -> Issue:
        reply = await self._on_issue(ref, self._request("GET", self._issue_path(ref), scope="event:read"))
        issue = issue_from_sentry(_dict(reply.data))
        if issue is None:
            raise UpstreamError(f"GlitchTip answered issue {ref} without an id; is GLITCHTIP_URL GlitchTip?")
        return issue

    async def get_event(self, ref: IssueRef, event_id: str, environment: str | None = None) -> Event:
        if event_id in ("oldest", "recommended"):
            raise NotSupported(
                f"GlitchTip has no {event_id!r} event: use 'latest' or an event id (list_issue_events lists them)"
            )
        if environment:
            raise NotSupported("GlitchTip cannot pick an issue's event by environment")
        path = self._issue_path(ref) + f"events/{segment(event_id)}/"
        reply = await self._on_issue(
            ref, self._request("GET", path, scope="event:read"), f"its event {event_id}"
        )
        if not isinstance(reply.data, dict):
            raise UpstreamError(
                f"GlitchTip answered event {event_id} of issue {ref} with an unexpected shape."
            )
        return normalize_event(reply.data)

    async def list_issue_events(
        self,
        ref: IssueRef,
        limit: int = 10,
        environment: str | None = None,
        cursor: str | None = None,
        query: str | None = None,
        period: str | None = None,
    ) -> EventList:
        if query:
            raise NotSupported("GlitchTip has no event search within an issue")
        if environment:
            raise NotSupported("GlitchTip cannot list an issue's events by environment")
        limit = max(1, min(int(limit), 100))
        params: list[tuple[str, str]] = [("limit", str(limit))] + ([("cursor", cursor)] if cursor else [])
        call = self._request("GET", self._issue_path(ref) + "events/", params=params, scope="event:read")
        reply = await self._on_issue(ref, call)
        rows = [_summary_row(r) for r in _rows(reply.data, "events")]
        events = [e for e in (event_summary(r) for r in rows) if e][:limit]
        notes: list[str] = []
        if period:
            events, note = writes.within_period(events, period)
            notes.append(note)
        return EventList(issue=str(ref), events=events, next_cursor=reply.next_cursor, notes=notes)

    async def recent_events(
        self, ref: IssueRef, limit: int = 100, environment: str | None = None
    ) -> list[Event]:
        if environment:
            raise NotSupported("GlitchTip cannot list an issue's events by environment")
        limit = max(1, min(int(limit), 100))
        call = self._request(
            "GET", self._issue_path(ref) + "events/", params=[("limit", str(limit))], scope="event:read"
        )
        reply = await self._on_issue(ref, call)
        return [normalize_event(_summary_row(r)) for r in _rows(reply.data, "events")][:limit]

    async def list_tag_values(self, ref: IssueRef, key: str, limit: int = 20) -> TagValues:
        key = check_tag_key(key)
        limit = max(1, min(int(limit), 1000))
        call = self._request(
            "GET", self._issue_path(ref) + "tags/", params=[("key", key)], scope="event:read"
        )
        reply = await self._on_issue(ref, call)
        rows = [_dict(r) for r in _rows(reply.data, "tags")]
        row = next((r for r in rows if r.get("key") == key), None)
        if row is None:
            raise InvalidInput(f"issue {ref} has no tag {key!r}")
        values = [
            TagValue(value=str(v.get("value")), count=v.get("count"))
            for v in (_dict(x) for x in _rows(row.get("topValues"), "tag values"))
        ]
        values.sort(key=lambda v: v.count or 0, reverse=True)
        total = row.get("totalValues")
        notes = [f"{len(values) - limit} less frequent value(s) not shown"] if len(values) > limit else []
        return TagValues(
            issue=str(ref), key=key, values=values[:limit], total=total if isinstance(total, int) else None,
            notes=notes,
        )  # fmt: skip

    # --- writes -----------------------------------------------------------------------------------

    async def update_issues(
        self, refs: list[IssueRef], change: IssueChange, progress: Progress = no_progress
    ) -> UpdateResult:
        return await writes.update_issues(self, refs, change, progress)

    async def list_releases(
        self, project: str | None = None, query: str | None = None, limit: int = 25, cursor: str | None = None
    ) -> ReleaseList:
        return await writes.list_releases(self, project, query, limit, cursor)

    async def create_release(self, spec: ReleaseSpec) -> ReleaseCreated:
        return await writes.create_release(self, spec)

    # --- what GlitchTip has not -------------------------------------------------------------------

    async def read_audit(
        self, limit: int = 50, action: str | None = None, cursor: str | None = None
    ) -> AuditLog:
        raise NotSupported("GlitchTip has no audit log")

    async def release_commits(self, version: str, project: str | None = None) -> list[Commit]:
        raise NotSupported("GlitchTip has no release commits (it drops the commits sent with a release)")

    async def release_deploys(self, version: str, project: str | None = None) -> list[Deploy]:
        raise NotSupported("GlitchTip has no deploys (its deploys route is not implemented)")

    async def delete_issue(self, ref: IssueRef) -> DeleteResult:
        return await writes.delete_issue(self, ref)
