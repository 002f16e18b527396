"""BugsinkBackend: the Backend protocol over Bugsink's canonical API, composed from this package's parts."""

from __future__ import annotations

from typing import Any

from stacklens.backends.base import Progress, no_progress
from stacklens.backends.bugsink.client import PAGE_SIZE, Client, issue_segment
from stacklens.backends.bugsink.events import Events
from stacklens.backends.bugsink.mapping import as_dict, issue_from_bugsink
from stacklens.backends.bugsink.releases import Releases
from stacklens.backends.bugsink.search import SCAN_PAGES, plan_search
from stacklens.backends.bugsink.writes import Writes
from stacklens.backends.narrow import scan
from stacklens.config import Settings
from stacklens.errors import InvalidInput, NotSupported, StacklensError, UpstreamError
from stacklens.events import Event
from stacklens.http import Upstream
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
    TagValues,
    UpdateResult,
)
from stacklens.query import IssueFilter
from stacklens.refs import IssueRef

ISSUES_READ = "issues:read"


class BugsinkBackend:
    name = "bugsink"

    def __init__(self, settings: Settings, upstream: Upstream) -> None:
        self._settings = settings
        self._base = settings.url.rstrip("/")
        self._c = Client(upstream)
        self._events = Events(self._c)
        self._writes = Writes(self._c)
        self._releases = Releases(self._c, settings.project)

    async def aclose(self) -> None:
        return None  # the Upstream belongs to the server

    def _issue(self, raw: Any) -> Issue | None:
        return issue_from_bugsink(as_dict(raw), self._base, self._c.slugs())

    async def _labels(self) -> None:
        """Project slugs for display, best effort: a token without projects:read still gets issues."""
        try:
            await self._c.projects()
        except StacklensError:
            return

    async def list_projects(self) -> list[Project]:
        return await self._c.projects(refresh=True)

    async def search_issues(self, f: IssueFilter, progress: Progress = no_progress) -> IssuePage:
        chosen = f.project or self._settings.project
        plan = plan_search(f, None)  # refusals first: nothing is sent for what Bugsink cannot answer
        await self._labels()
        project_id: str | None = None
        if chosen:
            project_id = (await self._c.find_project(chosen)).id
        elif plan.needs_project:
            visible = await self._c.projects()
            if len(visible) != 1:
                raise InvalidInput(
                    "sort=first_seen on Bugsink needs one project (it orders issues by their number within a "
                    "project): pass project=<slug or id>"
                )
            project_id = visible[0].id
        plan = plan_search(f, project_id)
        pages = [0]

        async def fetch(cursor: str | None) -> tuple[list[Issue], str | None]:
            rows, nxt = await self._c.page("/issues/", plan.params, cursor, scope=ISSUES_READ)
            pages[0] += 1
            await progress(pages[0], None, f"page {pages[0]} of issues read")
            return [i for i in (self._issue(r) for r in rows) if i], nxt

        found = await scan(
            fetch, plan.narrowing, limit=f.limit, cursor=f.cursor, max_pages=SCAN_PAGES, page_size=PAGE_SIZE
        )
        notes = [*plan.notes, *found.notes]
        return IssuePage(
            issues=found.issues, query=plan.describe(), next_cursor=found.next_cursor, notes=notes
        )

    async def get_issue(self, ref: IssueRef) -> Issue:
        path = f"/issues/{issue_segment(ref)}/"
        reply = await self._c.on_issue(ref, self._c.call("GET", path, scope=ISSUES_READ))
        await self._labels()
        issue = self._issue(reply.data)
        if issue is None:
            raise UpstreamError(
                f"Bugsink answered issue {ref} without an id; is BUGSINK_URL a Bugsink instance?"
            )
        return issue

    async def get_event(self, ref: IssueRef, event_id: str, environment: str | None = None) -> Event:
        return await self._events.get_event(ref, event_id, environment)

    async def list_issue_events(
        self,
        ref: IssueRef,
        limit: int = 10,
        environment: str | None = None,
        cursor: str | None = None,
        query: str | None = None,
        period: str | None = None,
    ) -> EventList:
        return await self._events.list_issue_events(ref, limit, environment, cursor, query, period)

    async def recent_events(
        self, ref: IssueRef, limit: int = 100, environment: str | None = None
    ) -> list[Event]:
        return await self._events.recent_events(ref, limit, environment)

    async def list_tag_values(self, ref: IssueRef, key: str, limit: int = 20) -> TagValues:
        return await self._events.list_tag_values(ref, key, limit)

    async def update_issues(
        self, refs: list[IssueRef], change: IssueChange, progress: Progress = no_progress
    ) -> UpdateResult:
        return await self._writes.update_issues(refs, change, progress)

    async def delete_issue(self, ref: IssueRef) -> DeleteResult:
        return await self._writes.delete_issue(ref)

    async def list_releases(
        self, project: str | None = None, query: str | None = None, limit: int = 25, cursor: str | None = None
    ) -> ReleaseList:
        return await self._releases.list_releases(project, query, limit, cursor)

    async def create_release(self, spec: ReleaseSpec) -> ReleaseCreated:
        return await self._releases.create_release(spec)

    async def read_audit(
        self, limit: int = 50, action: str | None = None, cursor: str | None = None
    ) -> AuditLog:
        raise NotSupported(
            "Bugsink has no audit log: its API keeps a history per issue only (who resolved, muted, reopened "
            "it), not an organization-wide record."
        )

    async def release_commits(self, version: str, project: str | None = None) -> list[Commit]:
        raise NotSupported(
            "Bugsink stores no commits for a release: a Bugsink release is a version and a date."
        )

    async def release_deploys(self, version: str, project: str | None = None) -> list[Deploy]:
        raise NotSupported("Bugsink records no deploys: a Bugsink release is a version and a date.")
