"""Normalized, backend-neutral models. Backends build these; render and the tools consume them.

Everything is lenient on input (upstreams differ, nulls appear in odd places) and strict on output (they are
also the structured content scripts read).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from stacklens import lenient
from stacklens.lenient import timestamp as lenient_time  # its home is stacklens.lenient now


def _lenient_int(value: Any) -> int | None:
    """Sentry sends counts as strings ("1284"); some instances send null; a damaged count (`-1`, `1e400`,
    `"Infinity"`, NaN, a 400-digit int) is unknown, never a crash or `inf`."""
    return lenient.count(value)


def _lenient_str(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return str(value)
    return None


Time = Annotated[datetime | None, BeforeValidator(lenient_time)]
Count = Annotated[int | None, BeforeValidator(_lenient_int)]
Text = Annotated[str | None, BeforeValidator(_lenient_str)]


def _percent(value: Any) -> float | None:
    """A percentage: finite and within 0–100, else unknown (`1e400` parses as inf; `inf%`, `-1%` are damage)."""
    found = lenient.number(value)
    return found if found is not None and 0 <= found <= 100 else None


Percent = Annotated[float | None, BeforeValidator(_percent)]


class Model(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    def structured(self) -> dict[str, Any]:
        """The tool result's structured content."""
        return self.model_dump(mode="json", exclude_none=True)


class Project(Model):
    id: str
    slug: Text = None
    name: Text = None
    platform: Text = None


class Issue(Model):
    id: str
    short_id: Text = None
    title: Text = None
    culprit: Text = None
    level: Text = None
    status: Text = None
    substatus: Text = None
    count: Count = None
    user_count: Count = None
    first_seen: Time = None
    last_seen: Time = None
    first_release: Text = None
    last_release: Text = None
    assignee: Text = None
    project: Text = None
    project_id: Text = None
    permalink: Text = None
    type: Text = None
    merged_from: Text = None  # the id asked for, when the upstream answered with the issue it was merged into


class IssuePage(Model):
    issues: list[Issue] = Field(default_factory=list)
    query: str = Field(
        default="", description="The upstream query/parameters that ran, for learning the syntax"
    )
    next_cursor: str | None = None
    notes: list[str] = Field(default_factory=list, description="Client-side filtering and scan limits")


class EventSummary(Model):
    id: str
    time: Time = None
    release: Text = None
    environment: Text = None
    user_id: Text = None
    message: Text = None


class EventList(Model):
    issue: str
    events: list[EventSummary] = Field(default_factory=list)
    next_cursor: str | None = None
    notes: list[str] = Field(default_factory=list)


class TagValue(Model):
    value: Text = None
    count: Count = None
    first_seen: Time = None
    last_seen: Time = None


class TagValues(Model):
    issue: str
    key: str
    values: list[TagValue] = Field(default_factory=list)
    total: Count = Field(default=None, description="Events counted across all values, when known")
    notes: list[str] = Field(default_factory=list)


class IssueChange(Model):
    """What update_issue asks for; None = leave unchanged."""

    status: Text = None
    in_release: Text = None  # resolve in this release (status resolved)
    assignee: Text = None
    ignore_minutes: int | None = None
    ignore_count: int | None = None
    bookmarked: bool | None = None
    seen: bool | None = None

    def is_empty(self) -> bool:
        return all(v is None for v in self.model_dump().values())


class UpdateOutcome(Model):
    """ok false: the change failed (error says why). ok true: the upstream accepted it; `confirmed` false when
    its answer did not show the new values (sent, not confirmed: read the issue to check)."""

    issue: str
    ok: bool
    confirmed: bool = True
    status: Text = None
    in_release: Text = None  # the release the upstream confirmed the issue resolved in
    assignee: Text = None
    bookmarked: bool | None = None
    seen: bool | None = None
    error: Text = None

    @classmethod
    def unconfirmed(cls, issue: str, why: str) -> UpdateOutcome:
        return cls(issue=issue, ok=True, confirmed=False, error=why)


class UpdateResult(Model):
    outcomes: list[UpdateOutcome] = Field(default_factory=list)


class ReleaseHealth(Model):
    crash_free_sessions: Percent = None
    crash_free_users: Percent = None
    adoption: Percent = None
    sessions: Count = None


class Release(Model):
    version: str
    created: Time = None
    released: Time = None
    first_event: Time = None
    last_event: Time = None
    new_issues: Count = None
    issues: Count = None
    events: Count = None
    projects: list[str] = Field(default_factory=list)
    commit_count: Count = None
    deploy_count: Count = None
    last_deploy: Text = None
    health: ReleaseHealth | None = None


class ReleaseList(Model):
    releases: list[Release] = Field(default_factory=list)
    next_cursor: str | None = None
    notes: list[str] = Field(default_factory=list)


class CommitSpec(Model):
    sha: str
    message: str | None = None
    author: str | None = None
    author_email: str | None = None
    url: str | None = None
    files: list[str] | None = None


class DeploySpec(Model):
    environment: str
    name: str | None = None
    url: str | None = None
    deployed_at: str | None = None


class ReleaseSpec(Model):
    version: str
    project: str | None = None
    ref: str | None = None
    url: str | None = None
    date_released: str | None = None
    commits: list[CommitSpec] = Field(default_factory=list)
    deploys: list[DeploySpec] = Field(default_factory=list)


class DeployOutcome(Model):
    environment: str
    ok: bool
    confirmed: bool = True  # false: accepted, but the answer did not show the deploy
    id: Text = None
    error: Text = None


class ReleaseCreated(Model):
    version: str
    project: Text = None
    confirmed: bool = True  # false: accepted, but the answer did not show the release
    already_existed: bool = False
    commits: Count = None
    deploys: list[DeployOutcome] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)


class AuditEntry(Model):
    id: Text = None
    action: Text = None
    actor: Text = None
    target: Text = None
    time: Time = None
    ip_address: Text = None
    note: Text = None


class AuditLog(Model):
    entries: list[AuditEntry] = Field(default_factory=list)
    next_cursor: str | None = None
    notes: list[str] = Field(default_factory=list)


class ProjectList(Model):
    projects: list[Project] = Field(default_factory=list)


class Commit(Model):
    """A commit of a release, as the tracker stores it (files: the paths it changed, where known)."""

    sha: str
    message: Text = None
    author: Text = None
    author_email: Text = None
    time: Time = None
    url: Text = None
    files: list[str] = Field(default_factory=list)


class Deploy(Model):
    environment: Text = None
    started: Time = None
    finished: Time = None
    name: Text = None
    url: Text = None


class DeleteResult(Model):
    issue: str
    ok: bool
    scheduled: bool = Field(default=False, description="Accepted for deletion later (Sentry answers 202)")
    message: Text = None
