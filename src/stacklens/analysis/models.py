"""What the analysis tools answer: also their structured content, validated by these output schemas."""

from __future__ import annotations

from pydantic import Field

from stacklens.models import Deploy, Model, Text, Time


class ReleaseRow(Model):
    version: str
    events: int | None = Field(default=None, description="Events of the issue in this release")
    first_seen: Time = None
    last_seen: Time = None
    released: Time = None
    deploys: list[Deploy] = Field(default_factory=list)


class Timeline(Model):
    issue: str
    title: Text = None
    environment: Text = None
    first_seen: Time = None
    last_seen: Time = None
    first_release: Text = None
    last_release: Text = None
    newest_release: Text = Field(default=None, description="The project's newest release")
    previous_release: Text = Field(default=None, description="The release before the first one")
    releases: list[ReleaseRow] = Field(default_factory=list, description="Oldest first")
    verdicts: list[str] = Field(default_factory=list)
    regressed: bool = False
    notes: list[str] = Field(default_factory=list)


class StackFrame(Model):
    file: str
    function: Text = None
    line: int | None = None
    crash: bool = False


class SuspectCommit(Model):
    rank: int
    sha: str
    release: str
    score: int = Field(description="Higher = more suspect (crash frame file > other in-app file)")
    message: Text = None
    author: Text = None
    time: Time = None
    url: Text = None
    matched_files: list[str] = Field(default_factory=list)
    matched_frames: list[str] = Field(default_factory=list, description="file:line function of the frames")
    reason: str = ""


class Suspects(Model):
    issue: str
    event_id: Text = None
    first_release: Text = None
    previous_release: Text = None
    frames: list[StackFrame] = Field(default_factory=list, description="In-app frames, crash frame first")
    commits: list[SuspectCommit] = Field(default_factory=list)
    examined: int = Field(default=0, description="Commits looked at across the releases")
    notes: list[str] = Field(default_factory=list)


class EventGroup(Model):
    signature: str
    count: int
    share: float = Field(description="Fraction of the events examined, 0–1")
    crash_frame: Text = None
    exception_type: Text = None
    message: Text = Field(default=None, description="Normalized: numbers, hex, ids, quoted values replaced")
    first_seen: Time = None
    last_seen: Time = None
    releases: list[str] = Field(default_factory=list)
    environments: list[str] = Field(default_factory=list)
    representative_event_id: str = ""
    distinguished_by: list[str] = Field(default_factory=list, description="What sets this group apart")


class Clusters(Model):
    issue: str
    events: int = Field(description="Events examined")
    environment: Text = None
    groups: list[EventGroup] = Field(default_factory=list, description="Largest first")
    notes: list[str] = Field(default_factory=list)
