"""The trimmed event as structured content (`TrimmedEvent`): what the text shows, as a model for scripts."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Annotated, Any, Literal

from pydantic import Field, SerializerFunctionWrapHandler, model_serializer

from stacklens.models import Model


class _Lean(Model):
    """A leaf of the event (a frame-list item, a source line, a breadcrumb), of which an event has many: its
    fields at their defaults (no source, no locals, not in-app, `crash: false`…) are left out of structured
    content, which would otherwise be 2–3 times the text; the output schema states each default. A frame-list
    item's `kind` is always sent: it says which shape the rest has."""

    @model_serializer(mode="wrap")
    def _lean(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        out: dict[str, Any] = handler(self)
        for name, default in _defaults(type(self)).items():
            if name in out and out[name] == default:
                del out[name]
        return out


@cache
def _defaults(cls: type[Model]) -> dict[str, Any]:
    """Each field's default but `kind`'s, once per class (serializing an event meets hundreds of leaves)."""
    found: dict[str, Any] = {}
    for name, info in cls.model_fields.items():
        if name == "kind" or info.is_required():
            continue
        found[name] = info.default_factory() if info.default_factory is not None else info.default  # type: ignore[call-arg]
    return found


class SourceLine(_Lean):
    line: int | None = None
    code: str
    crash: bool = False


class FrameOut(_Lean):
    kind: Literal["frame"] = "frame"
    function: str | None = None
    file: str | None = None
    line: int | None = None
    column: int | None = None
    address: str | None = Field(default=None, description="Instruction address of a native frame")
    package: str | None = Field(default=None, description="Library/image, for frames without a file")
    in_app: bool = False
    crash: bool = Field(default=False, description="The newest frame: where it was raised")
    code: str | None = Field(default=None, description="The frame's source line")
    source: list[SourceLine] = Field(default_factory=list, description="Crash in-app frame: lines around it")
    vars: dict[str, str] = Field(
        default_factory=dict, description="Crash in-app frame's locals, secrets redacted"
    )


class HiddenFrames(_Lean):
    kind: Literal["hidden"] = "hidden"
    count: int
    packages: list[str] = Field(default_factory=list)


class RepeatedFrames(_Lean):
    kind: Literal["repeated"] = "repeated"
    frames: int = Field(description="Length of the repeated block (the frames just above)")
    times: int = Field(description="How many more times the block repeats")


class OmittedFrames(_Lean):
    kind: Literal["omitted"] = "omitted"
    count: int = Field(description="Older frames dropped by the frame cap")
    in_app: int = 0


class UnreadFrames(_Lean):
    kind: Literal["unread"] = "unread"
    count: int = Field(description="Frames of a huge stack not read at all (between its oldest and newest)")


FrameItem = Annotated[
    FrameOut | HiddenFrames | RepeatedFrames | OmittedFrames | UnreadFrames, Field(discriminator="kind")
]


class ExceptionOut(Model):
    type: str | None = None
    value: str | None = None
    module: str | None = None
    mechanism: str | None = None
    handled: bool | None = None
    signal: str | None = Field(default=None, description="Native crash: signal / Mach exception names")
    role: Literal["only", "outermost", "caused by", "root cause", "in group"] = "only"
    relation: str | None = Field(
        default=None, description="Exception groups: how it hangs off its parent (`exceptions[0] of [1]`)"
    )
    frame_count: int = 0
    frames: list[FrameItem] = Field(default_factory=list, description="Oldest first: the crash frame is last")
    same_frames_as: int | None = Field(
        default=None, description="Its frames are those of exception [n] (1-based, as listed): not repeated"
    )


class StackOut(Model):
    label: str
    frame_count: int = 0
    frames: list[FrameItem] = Field(default_factory=list)


class RequestOut(Model):
    method: str | None = None
    url: str | None = None


class TagOut(Model):
    key: str
    value: str


class CrumbOut(_Lean):
    time: datetime | None = None
    category: str | None = None
    level: str | None = None
    message: str | None = None
    similar: int = Field(
        default=0, description="Near-identical breadcrumbs right before this one, folded into it"
    )
    since: datetime | None = Field(default=None, description="Time of the first of those folded")


class TrimmedEvent(Model):
    """The event as stacklens shows it: normalized, trimmed and redacted exactly like the text."""

    id: str = ""
    title: str | None = None
    time: datetime | None = None
    level: str | None = None
    platform: str | None = None
    environment: str | None = None
    release: str | None = None
    transaction: str | None = None
    logger: str | None = None
    handled: bool | None = None
    mechanism: str | None = None
    signal: str | None = None
    message: str | None = None
    template: FrameOut | None = Field(default=None, description="Template errors: where in the template")
    exceptions: list[ExceptionOut] = Field(default_factory=list, description="Outermost first")
    more_exceptions: list[str] = Field(default_factory=list, description="Chain members beyond the cap")
    exception_count: int = Field(default=0, description="Exceptions in the event, shown or not")
    stack: StackOut | None = Field(default=None, description="Thread or top-level stack when no exception")
    request: RequestOut | None = None
    user_id: str | None = None
    tags: list[TagOut] = Field(default_factory=list)
    contexts: dict[str, str] = Field(default_factory=dict)
    trace_id: str | None = None
    evidence: list[TagOut] = Field(default_factory=list)
    breadcrumbs: list[CrumbOut] = Field(
        default_factory=list,
        description="Oldest first, the last N rows (a run of near-identical ones is one row)",
    )
    breadcrumbs_total: int = 0
    notes: list[str] = Field(default_factory=list, description="What was left out and how to see it")
