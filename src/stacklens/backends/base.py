"""What every backend is: the Backend protocol the tools call, and the descriptor that says who it is and what it
can do. Nothing outside `backends/` knows a URL, a JSON key or a backend's name: it reads these."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from stacklens.events import Event
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
from stacklens.refs import IssueRef, RefSyntax

if TYPE_CHECKING:
    from stacklens.config import Settings
    from stacklens.http import Upstream

# progress(done, total, message): reported as MCP progress by the server; a no-op when the client asked none.
Progress = Callable[[float, float | None, str | None], Awaitable[None]]


async def no_progress(done: float, total: float | None = None, message: str | None = None) -> None:
    return None


class Backend(Protocol):
    async def list_projects(self) -> list[Project]: ...

    async def search_issues(self, f: IssueFilter, progress: Progress = no_progress) -> IssuePage: ...

    async def get_issue(self, ref: IssueRef) -> Issue: ...

    async def get_event(self, ref: IssueRef, event_id: str, environment: str | None = None) -> Event:
        """event_id: an id, or latest|oldest|recommended (already validated by refs.check_event_id)."""
        ...

    async def list_issue_events(
        self,
        ref: IssueRef,
        limit: int = 10,
        environment: str | None = None,
        cursor: str | None = None,
        query: str | None = None,
        period: str | None = None,
    ) -> EventList:
        """query: Sentry event search (capabilities.event_query); period: a window like 24h, applied upstream
        where the API has one, else client-side (and said so in the notes)."""
        ...

    async def recent_events(
        self, ref: IssueRef, limit: int = 100, environment: str | None = None
    ) -> list[Event]:
        """Up to `limit` full events of the issue, newest first (paging as needed), for analysis tools."""
        ...

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

    async def release_commits(self, version: str, project: str | None = None) -> list[Commit]:
        """The release's commits with the files each changed; NotSupported where they cannot be read back."""
        ...

    async def release_deploys(self, version: str, project: str | None = None) -> list[Deploy]:
        """The release's deploys; NotSupported where the tracker has none."""
        ...

    async def delete_issue(self, ref: IssueRef) -> DeleteResult:
        """Delete (or schedule the deletion of) one issue; NotSupported where the API has no such route."""
        ...


UPDATE_FIELDS = ("in_release", "assignee", "ignore_minutes", "ignore_count", "bookmarked", "seen")


@dataclass(frozen=True)
class Capabilities:
    """What a backend can do, for the tools' descriptions and their checks before any request.

    Search filters are named as `search_issues` parameters. `search_refuses` maps a filter the backend cannot
    answer at all to the short note its description carries."""

    search_refuses: Mapping[str, str] = field(default_factory=dict)
    search_narrows: frozenset[str] = frozenset()  # filtered client-side over a bounded scan
    assigned_help: str = "me, none, #team, or a user/email"
    update_statuses: tuple[str, ...] = ("resolved", "resolved_in_next_release", "unresolved", "ignored")
    update_fields: tuple[str, ...] = UPDATE_FIELDS
    assignee_help: str = "username/email/user:ID/team:ID; 'none' unassigns"
    release_repost_replaces: bool = False  # re-posting a version replaces its commits and deploys
    audit_note: str = "Needs an org admin token (org:write). "
    audit: bool = True
    event_ids: tuple[str, ...] = ("latest", "oldest", "recommended")
    event_environment: bool = True  # events can be asked for one environment
    event_query: bool = True  # list_issue_events takes Sentry event search
    commits: bool = True  # release commits (with changed files) can be read back
    deploys: bool = True
    delete: bool = True


@dataclass(frozen=True)
class BackendDescriptor:
    """Who a backend is: its variables, its instance URL and API root, how it names issues, what it can do."""

    name: str  # also the resource URI scheme and the --backend value
    label: str  # how users call the product
    token_vars: tuple[str, ...]  # first one is the one error messages name
    url_var: str
    default_url: str | None  # None: self-hosted only, the URL must be given
    api_prefix: str  # appended to the instance URL
    factory: Callable[[Settings, Upstream], Backend]
    refs: RefSyntax
    capabilities: Capabilities = field(default_factory=Capabilities)
    org_vars: tuple[str, ...] = ()  # where the organization slug may come from (after --org)
    needs_org: bool = False
    user_id_var: str | None = None  # the variable naming the user `assigned="me"` means, where needed
    demo: bool = False  # the built-in sandbox speaks this API

    @property
    def scheme(self) -> str:
        return self.name

    @property
    def token_var(self) -> str:
        return self.token_vars[0]


__all__ = ["Backend", "BackendDescriptor", "Capabilities", "Progress", "no_progress"]
