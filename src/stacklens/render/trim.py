"""Event → `TrimmedEvent` under one trimming plan: fields cut, exceptions ordered and labelled, frames
selected, tags and breadcrumbs chosen."""

from __future__ import annotations

from typing import Literal

from stacklens.events import Event, ExceptionInfo, Frame, in_app_flags
from stacklens.render.budget import EXCEPTION_CAP, MAX_CRUMBS, Plan
from stacklens.render.crumbs import fold
from stacklens.render.event_model import (
    ExceptionOut,
    FrameItem,
    FrameOut,
    RequestOut,
    StackOut,
    TagOut,
    TrimmedEvent,
)
from stacklens.render.frame_out import frame_out
from stacklens.render.frames import Selection, frame_items, select
from stacklens.render.labels import alnum, cut, exc_label


class Trimmer:
    def __init__(self, event: Event, frames: Literal["relevant", "all"], breadcrumbs: int) -> None:
        self.event = event
        self.all_frames = frames == "all"
        self.crumbs = min(max(0, breadcrumbs), MAX_CRUMBS)
        self._flags: dict[int, list[bool]] = {}
        self._sel: dict[int, Selection] = {}
        self._frames_out: dict[tuple[int, int, bool, int | None, bool], FrameOut] = {}
        self.stack_frames, self.stack_label, self.stack_unread = self._fallback_stack()

    def _fallback_stack(self) -> tuple[list[Frame], str, int]:
        ev = self.event
        if ev.exceptions:
            return [], "", 0
        with_frames = [t for t in ev.threads if t.frames]
        thread = next((t for t in with_frames if t.crashed), None) or (
            with_frames[0] if with_frames else None
        )
        if thread is not None:
            name = cut(thread.name, 60) or (f"id {thread.id}" if thread.id is not None else "")
            state = "crashed" if thread.crashed else "current" if thread.current else ""
            label = " ".join(x for x in (state.capitalize() if not name else "", "thread", name) if x)
            label += f" ({state})" if name and state else ""
            return thread.frames, label, thread.frames_dropped
        if ev.stacktrace:
            return ev.stacktrace, "Stack trace", ev.stacktrace_dropped
        return [], "", 0

    def _prepared(self, frames: list[Frame], unread: int) -> tuple[list[bool], Selection]:
        key = id(frames)
        if key not in self._sel:
            self._flags[key] = in_app_flags(frames)
            self._sel[key] = select(frames, self._flags[key], self.all_frames, unread)
        return self._flags[key], self._sel[key]

    def build(self, plan: Plan) -> TrimmedEvent:
        ev = self.event
        out = TrimmedEvent(
            id=cut(ev.id, 64),
            title=cut(ev.title, plan.value_cut) or None,
            time=ev.time,
            level=cut(ev.level, 20) or None,
            platform=cut(ev.platform, 30) or None,
            environment=cut(ev.environment, 60) or None,
            release=cut(ev.release, 80) or None,
            transaction=cut(ev.transaction, 160) or None,
            logger=cut(ev.logger, 80) or None,
            user_id=cut(ev.user_id, 80) or None,
            trace_id=cut(ev.trace_id, 64) or None,
        )
        if ev.message and not self._message_repeats_title():
            out.message = cut(ev.message, max(plan.value_cut, 500))
        tpl = ev.template
        if tpl is not None and (tpl.filename or tpl.abs_path or tpl.context_line):
            out.template = frame_out(tpl, True, False, code=True, source=None, vars_=False)
        self._exceptions(out, plan)
        if self.stack_frames:
            flags, sel = self._prepared(self.stack_frames, self.stack_unread)
            out.stack = StackOut(
                label=self.stack_label,
                frame_count=len(self.stack_frames) + self.stack_unread,
                frames=frame_items(
                    self.stack_frames,
                    flags,
                    sel,
                    cap=plan.cap,
                    detail="full",
                    primary=True,
                    plan=plan,
                    cache=self._frames_out,
                ),
            )
        if ev.request and (ev.request.method or ev.request.url):
            method = cut(ev.request.method, 16) or None
            out.request = RequestOut(method=method, url=cut(ev.request.url, 300) or None)
        shown = {"environment", "release", "sentry:release", "level", "handled", "mechanism", "transaction",
                 "user", "sentry:user", "url", "trace", "logger"}  # fmt: skip
        shown |= {f"{k}.name" for k in ev.contexts} | set(ev.contexts)
        if plan.tags:
            tags = [(k, v) for k, v in ev.tags if k not in shown and not k.startswith("_")]
            out.tags = [TagOut(key=cut(k, 40), value=cut(v, 80)) for k, v in tags[:20]]
            out.contexts = {cut(k, 40): cut(v, 120) for k, v in list(ev.contexts.items())[:5]}
        evidence = [(cut(k, 40), cut(v, 200)) for k, v in ev.evidence]
        said = [out.title or "", *(v for _, v in evidence)]
        out.evidence = [  # `Transaction: POST /x` after `Regression: POST /x got slower` says nothing new
            TagOut(key=k, value=v)
            for k, v in evidence
            if not (len(v) >= 8 and any(v in other and v != other for other in said))
        ]
        out.breadcrumbs_total = len(ev.breadcrumbs)
        out.breadcrumbs = fold(ev.breadcrumbs, plan.crumbs)
        return out

    def _message_repeats_title(self) -> bool:
        """Upstreams echo the title (or `Type value culprit`) as the message: don't say it twice."""
        ev = self.event
        msg, title = alnum(ev.message), alnum(ev.title)
        if not msg:  # all punctuation (`!!!`, a backtick run): only an exact echo repeats
            return (ev.message or "").strip() == (ev.title or "").strip()
        if msg in title or (title and title in msg):
            return True
        kind = alnum(ev.exceptions[-1].type) if ev.exceptions else ""
        return bool(kind) and msg.startswith(kind)

    def _exceptions(self, out: TrimmedEvent, plan: Plan) -> None:
        chain = self.event.exceptions
        if not chain:
            return
        outer = chain[-1]
        out.handled, out.mechanism = outer.handled, cut(outer.mechanism, 40) or None
        out.signal = cut(outer.signal, 120) or None
        n = len(chain)
        out.exception_count = n + self.event.exceptions_dropped
        order = list(range(n - 1, -1, -1))  # outermost first
        full = order[: EXCEPTION_CAP - 1] + ([0] if n > EXCEPTION_CAP else [])
        full = full if n > EXCEPTION_CAP else order
        tree = _is_tree(chain)
        shown_at = {chain[idx].exception_id: i for i, idx in enumerate(full, 1)}
        for idx in full:
            exc = chain[idx]
            role: Literal["only", "outermost", "caused by", "root cause", "in group"] = (
                "only"
                if n == 1
                else "outermost"
                if idx == n - 1
                else ("in group" if (exc.source or "").startswith("exceptions") else "caused by")
                if tree
                else "root cause"
                if idx == 0
                else "caused by"
            )
            primary = idx == n - 1
            item = self._exception(exc, role, primary, plan)
            if tree and idx != n - 1 and exc.parent_id is not None:
                parent = shown_at.get(exc.parent_id)
                where = f"[{parent}]" if parent else f"exception {exc.parent_id}"
                how = _RELATION.get(exc.source or "", cut(exc.source, 30) or "child")
                item.relation = f"{how} of {where}"
            out.exceptions.append(item)
        _same_frames(out.exceptions)
        skipped = [chain[i] for i in order if i not in full]
        out.more_exceptions = [cut(exc_label(e, 120), 160) for e in skipped[:20]]
        more = max(0, len(skipped) - 20) + self.event.exceptions_dropped  # not read: a huge chain
        if more:
            out.more_exceptions.append(f"… and {more} more")

    def _exception(self, exc: ExceptionInfo, role: str, primary: bool, plan: Plan) -> ExceptionOut:
        flags, sel = self._prepared(exc.frames, exc.frames_dropped)
        detail = "full" if primary else plan.others
        return ExceptionOut(
            type=cut(exc.type, 120) or None,
            value=cut(exc.value, plan.value_cut) or None,
            module=cut(exc.module, 80) or None,
            mechanism=cut(exc.mechanism, 40) or None,
            handled=exc.handled,
            signal=cut(exc.signal, 120) or None,
            role=role,  # type: ignore[arg-type]
            frame_count=len(exc.frames) + exc.frames_dropped,
            frames=frame_items(
                exc.frames,
                flags,
                sel,
                cap=plan.cap,
                detail=detail,
                primary=primary,
                plan=plan,
                cache=self._frames_out,
            ),
        )


# Python's words for how a chained exception hangs off its parent.
_RELATION = {"__cause__": "cause", "__context__": "context"}


def _same_frames(shown: list[ExceptionOut]) -> None:
    """JVM SDKs send each cause with the full stack: often the very same frames again. Those are said once;
    a later exception with the same frames points at the first."""
    said: list[tuple[int, list[FrameItem]]] = []  # at most EXCEPTION_CAP: compared pairwise
    for i, exc in enumerate(shown, 1):
        if len(exc.frames) < 2:
            continue  # one frame costs no more than the pointer
        same = next((n for n, frames in said if frames == exc.frames), None)
        if same is None:
            said.append((i, exc.frames))
        else:
            exc.frames, exc.same_frames_as = [], same


def _is_tree(chain: list[ExceptionInfo]) -> bool:
    """Exception groups (`exception_id`/`parent_id`, a parent with several children): not a linear chain,
    so "caused by … root cause" would be false; each exception then names its parent instead."""
    if any(e.is_group for e in chain):
        return True
    parents = [e.parent_id for e in chain if e.parent_id is not None and e.exception_id is not None]
    return len(parents) != len(set(parents))
