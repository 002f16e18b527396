"""The Backend protocol every upstream implements. Tools call these; nothing above knows a URL or JSON key."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

from stacklens.events import Event
from stacklens.models import (
    AuditLog,
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

# progress(done, total, message): reported as MCP progress by the server; a no-op when the client asked none.
Progress = Callable[[float, float | None, str | None], Awaitable[None]]


async def no_progress(done: float, total: float | None = None, message: str | None = None) -> None:
    return None


class Backend(Protocol):
    name: str  # "sentry" | "jentry": also the resource URI scheme

    async def list_projects(self) -> list[Project]: ...

    async def search_issues(self, f: IssueFilter, progress: Progress = no_progress) -> IssuePage: ...

    async def get_issue(self, ref: IssueRef) -> Issue: ...

    async def get_event(self, ref: IssueRef, event_id: str, environment: str | None = None) -> Event:
        """event_id: an id, or latest|oldest|recommended (already validated by refs.check_event_id)."""
        ...

    async def list_issue_events(
        self, ref: IssueRef, limit: int = 10, environment: str | None = None, cursor: str | None = None
    ) -> EventList: ...

    async def list_tag_values(self, ref: IssueRef, key: str, limit: int = 20) -> TagValues: ...

    async def update_issues(
        self, refs: list[IssueRef], change: IssueChange, progress: Progress = no_progress
    ) -> UpdateResult: ...

    async def list_releases(
        self, project: str | None = None, query: str | None = None, limit: int = 25, cursor: str | None = None
    ) -> ReleaseList: ...

    async def create_release(self, spec: ReleaseSpec) -> ReleaseCreated: ...

    async def read_audit(
        self, limit: int = 50, action: str | None = None, cursor: str | None = None
    ) -> AuditLog: ...

    async def aclose(self) -> None: ...
