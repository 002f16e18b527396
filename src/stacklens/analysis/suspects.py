"""Which commit broke it: commits of the first release (and the one before) whose changed files match the
in-app frames of an event, by path suffix. The crash frame's file outranks every other frame's; a commit of
the first release outranks one of the release before it at equal evidence."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from stacklens.analysis.models import StackFrame, SuspectCommit, Suspects
from stacklens.events import Event, Frame, in_app_flags
from stacklens.models import Commit

CRASH_SCORE = 100  # the file of the frame that raised
FRAME_SCORE = 10  # any other in-app frame's file (plus a little for being close to the crash)
FIRST_RELEASE_BONUS = 5
_EPOCH = datetime.min.replace(tzinfo=UTC)


def _clean(path: str) -> str:
    p = path.replace("\\", "/").strip()
    while p.startswith("./"):
        p = p[2:]
    return p.strip("/")


def path_matches(frame_path: str, changed: str) -> bool:
    """Same file when one path ends with the other on a `/` boundary (`/srv/app/shop/orders.py` and
    `shop/orders.py`); a bare basename matches only a bare basename or a path ending in it."""
    a, b = _clean(frame_path), _clean(changed)
    if not a or not b:
        return False
    return a == b or a.endswith("/" + b) or b.endswith("/" + a)


def _crash_frames(event: Event) -> list[Frame]:
    """The frames of what finally raised (last exception), else a crashed thread's, else the stacktrace."""
    for exc in reversed(event.exceptions):
        if exc.frames:
            return exc.frames
    for thread in event.threads:
        if thread.crashed and thread.frames:
            return thread.frames
    return event.stacktrace


def _app_frames(event: Event) -> list[tuple[StackFrame, str | None]]:
    """The in-app frames with a file (and their absolute path), crash frame first (payloads list them oldest
    first)."""
    frames = _crash_frames(event)
    chosen = [
        f for f, app in zip(frames, in_app_flags(frames), strict=True) if app and (f.filename or f.abs_path)
    ]
    return [
        (
            StackFrame(file=f.filename or f.abs_path or "", function=f.function, line=f.lineno, crash=n == 0),
            f.abs_path,
        )
        for n, f in enumerate(reversed(chosen))
    ]


def stack_frames(event: Event) -> list[StackFrame]:
    return [f for f, _ in _app_frames(event)]


def _frame_label(f: StackFrame) -> str:
    where = f"{f.file}:{f.line}" if f.line is not None else f.file
    return f"{where} {f.function}" if f.function else where


def _score(commit: Commit, frames: list[tuple[StackFrame, str | None]]) -> tuple[int, list[str], list[int]]:
    score = 0
    files: list[str] = []
    hit: list[int] = []
    for changed in commit.files:
        for n, (frame, abs_path) in enumerate(frames):
            paths = [frame.file] + ([abs_path] if abs_path else [])
            if not any(path_matches(p, changed) for p in paths):
                continue
            if changed not in files:
                files.append(changed)
            if n not in hit:
                hit.append(n)
                score += CRASH_SCORE if frame.crash else FRAME_SCORE + max(0, 5 - n)
    return score, files, sorted(hit)


def _reason(frames: list[StackFrame], hit: list[int], release: str, first: bool) -> str:
    crash = [frames[n] for n in hit if frames[n].crash]
    other = [frames[n] for n in hit if not frames[n].crash]
    bits = []
    if crash:
        f = crash[0]
        at = f" at line {f.line}" if f.line is not None else ""
        bits.append(f"changes the crash frame's file ({f.function or '?'}{at})")
    if other:
        names = ", ".join(o.function or o.file for o in other[:3])
        bits.append(f"changes the file of {len(other)} other in-app frame(s) ({names})")
    where = "the first release" if first else "the release before the first"
    return "; ".join(bits) + f"; in {where}"


def rank_suspects(
    issue: str,
    event: Event,
    first_release: str | None,
    previous_release: str | None,
    commits: Mapping[str, list[Commit]],
    *,
    limit: int = 5,
    notes: list[str] | None = None,
) -> Suspects:
    """`commits`: release version → its commits (the first release and, when known, the one before)."""
    pairs = _app_frames(event)
    frames = [f for f, _ in pairs]
    found: list[tuple[int, datetime, SuspectCommit]] = []
    examined = 0
    for version in [v for v in (first_release, previous_release) if v]:
        for c in commits.get(version, []):
            examined += 1
            score, files, hit = _score(c, pairs)
            if not score:
                continue
            first = version == first_release
            score += FIRST_RELEASE_BONUS if first else 0
            found.append(
                (
                    score,
                    c.time or _EPOCH,
                    SuspectCommit(
                        rank=0,
                        sha=c.sha,
                        release=version,
                        score=score,
                        message=(c.message or "").split("\n", 1)[0] or None,
                        author=c.author or c.author_email,
                        time=c.time,
                        url=c.url,
                        matched_files=files,
                        matched_frames=[_frame_label(frames[n]) for n in hit],
                        reason=_reason(frames, hit, version, first),
                    ),
                )
            )
    found.sort(key=lambda t: (-t[0], -t[1].timestamp()))
    ranked = [s.model_copy(update={"rank": n + 1}) for n, (_, _, s) in enumerate(found[:limit])]
    out_notes = list(notes or [])
    if not frames:
        out_notes.append("the event has no in-app frames with a file name: nothing to match commits against")
    elif examined and not found:
        out_notes.append(f"none of the {examined} commit(s) changed a file of the event's in-app frames")
    if len(found) > limit:
        out_notes.append(f"{len(found) - limit} more matching commit(s) not shown; raise limit")
    return Suspects(
        issue=issue,
        event_id=event.id or None,
        first_release=first_release,
        previous_release=previous_release,
        frames=frames,
        commits=ranked,
        examined=examined,
        notes=out_notes,
    )
