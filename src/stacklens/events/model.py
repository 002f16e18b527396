"""The normalized event: what both upstream shapes are read into, already redacted."""

from __future__ import annotations

from pydantic import Field

from stacklens.models import Model, Text, Time

DROPPED = "Frames not read (a huge stack): they sat between the oldest `limits.STACK_OLDEST` and the rest"


class Frame(Model):
    function: Text = None
    module: Text = None
    filename: Text = None
    abs_path: Text = None
    package: Text = None
    platform: Text = None
    lineno: int | None = None
    colno: int | None = None
    in_app: bool | None = Field(default=None, description="As the payload flagged it; None = not flagged")
    context_line: Text = None
    pre_context: list[str] = Field(default_factory=list)
    post_context: list[str] = Field(default_factory=list)
    vars: dict[str, str] | None = Field(default=None, description="Local variables; secret names redacted")
    instruction_addr: Text = None


class ExceptionInfo(Model):
    type: Text = None
    value: Text = None
    module: Text = None
    mechanism: Text = None
    handled: bool | None = None
    signal: Text = Field(default=None, description="Native crash: signal / Mach exception / errno names")
    thread_id: Text = None
    exception_id: int | None = Field(default=None, description="Exception groups: this exception's id")
    parent_id: int | None = Field(default=None, description="Exception groups: the id of its parent")
    source: Text = Field(default=None, description="How the parent holds it: `__cause__`, `exceptions[0]`…")
    is_group: bool = False
    frames: list[Frame] = Field(default_factory=list, description="Oldest first: the crash frame is last")
    frames_dropped: int = Field(default=0, description=DROPPED)


class Thread(Model):
    id: Text = None
    name: Text = None
    crashed: bool | None = None
    current: bool | None = None
    frames: list[Frame] = Field(default_factory=list)
    frames_dropped: int = Field(default=0, description=DROPPED)


class Breadcrumb(Model):
    time: Time = None
    type: Text = None
    category: Text = None
    level: Text = None
    message: Text = None
    data: Text = Field(default=None, description="One line; URLs and secret-named keys redacted")


class Request(Model):
    method: Text = None
    url: Text = Field(default=None, description="With its query string; secret-looking values redacted")


class Event(Model):
    id: str = ""
    time: Time = None
    title: Text = None
    message: Text = None
    level: Text = None
    platform: Text = None
    environment: Text = None
    release: Text = None
    transaction: Text = None
    culprit: Text = None
    logger: Text = None
    user_id: Text = None
    trace_id: Text = None
    tags: list[tuple[str, str]] = Field(default_factory=list)
    contexts: dict[str, str] = Field(default_factory=dict, description="runtime/os/browser/device: one line")
    exceptions: list[ExceptionInfo] = Field(default_factory=list, description="Oldest (root cause) first")
    threads: list[Thread] = Field(default_factory=list)
    stacktrace: list[Frame] = Field(default_factory=list, description="A top-level stacktrace (no exception)")
    stacktrace_dropped: int = Field(default=0, description=DROPPED)
    exceptions_dropped: int = Field(
        default=0, description="Exceptions not read (between the root cause and the newest)"
    )
    breadcrumbs: list[Breadcrumb] = Field(default_factory=list)
    request: Request | None = None
    template: Frame | None = Field(default=None, description="Template errors: the template's location")
    evidence: list[tuple[str, str]] = Field(default_factory=list, description="Issue-platform evidence")

    def tag(self, key: str) -> str | None:
        for k, v in self.tags:
            if k == key:
                return v
        return None
