"""One bug or several: events grouped by signature — the in-app crash frame (file + function), the exception
type, and the message with its variable parts (quoted values, ids, hex, numbers) normalized away."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from stacklens.analysis.models import Clusters, EventGroup
from stacklens.analysis.suspects import stack_frames
from stacklens.events import Event

_QUOTED = re.compile(r"'[^'\n]{0,200}'|\"[^\"\n]{0,200}\"")
_UUID = re.compile(r"\b[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}\b")
_HEX = re.compile(r"\b0x[0-9a-fA-F]+\b|\b(?=[0-9a-fA-F]*\d)(?=[0-9a-fA-F]*[a-fA-F])[0-9a-fA-F]{8,}\b")
_NUMBER = re.compile(r"(?<![A-Za-z_])[-+]?\d+(?:[.,]\d+)*")
_EPOCH = datetime.min.replace(tzinfo=UTC)


def normalize_message(text: str | None, limit: int = 200) -> str:
    """`could not convert string to float: '12,50'` → `could not convert string to float: '<v>'`."""
    if not text:
        return ""
    out = " ".join(text.split())[: limit * 2]
    out = _QUOTED.sub(lambda m: m.group(0)[0] + "<v>" + m.group(0)[0], out)
    out = _UUID.sub("<uuid>", out)
    out = _HEX.sub("<hex>", out)
    out = _NUMBER.sub("<n>", out)
    return out[:limit]


def _parts(event: Event) -> tuple[str, str, str]:
    frames = stack_frames(event)
    site = ""
    if frames:
        crash = frames[0]
        site = f"{crash.file} {crash.function}" if crash.function else crash.file
    exc = event.exceptions[-1] if event.exceptions else None
    kind = (exc.type if exc else None) or ""
    message = (exc.value if exc else None) or event.message or event.title or ""
    return site, kind, normalize_message(message)


def _signature(site: str, kind: str, message: str) -> str:
    return " | ".join(p or "-" for p in (site, kind, message))


def _distinct(groups: list[EventGroup]) -> None:
    """Fill each group's `distinguished_by` with what no other group shares."""
    if len(groups) == 1:
        groups[0].distinguished_by = ["the only group: every event examined has this signature"]
        return
    for g in groups:
        others = [o for o in groups if o is not g]
        bits: list[str] = []
        if g.crash_frame and all(o.crash_frame != g.crash_frame for o in others):
            bits.append("crash site")
        if g.exception_type and all(o.exception_type != g.exception_type for o in others):
            bits.append("exception type")
        if all(o.message != g.message for o in others):
            bits.append("message")
        seen_elsewhere = {r for o in others for r in o.releases}
        if g.releases and not set(g.releases) & seen_elsewhere:
            bits.append("releases (no other group has them)")
        envs_elsewhere = {e for o in others for e in o.environments}
        if g.environments and not set(g.environments) & envs_elsewhere:
            bits.append("environments (no other group has them)")
        g.distinguished_by = bits or ["nothing single: a combination of the fields above"]


def cluster_events(
    issue: str, events: list[Event], *, environment: str | None = None, notes: list[str] | None = None
) -> Clusters:
    buckets: dict[str, list[Event]] = {}
    parts: dict[str, tuple[str, str, str]] = {}
    for e in events:
        p = _parts(e)
        sig = _signature(*p)
        buckets.setdefault(sig, []).append(e)
        parts[sig] = p
    total = len(events)
    groups: list[EventGroup] = []
    for sig, members in buckets.items():
        site, kind, message = parts[sig]
        times = [e.time for e in members if e.time]
        newest = max(members, key=lambda e: e.time or _EPOCH)
        groups.append(
            EventGroup(
                signature=sig,
                count=len(members),
                share=round(len(members) / total, 4) if total else 0.0,
                crash_frame=site or None,
                exception_type=kind or None,
                message=message or None,
                first_seen=min(times) if times else None,
                last_seen=max(times) if times else None,
                releases=sorted({e.release for e in members if e.release}),
                environments=sorted({e.environment for e in members if e.environment}),
                representative_event_id=newest.id,
            )
        )
    groups.sort(key=lambda g: (-g.count, -(g.last_seen or _EPOCH).timestamp(), g.signature))
    if groups:
        _distinct(groups)
    return Clusters(
        issue=issue, events=total, environment=environment, groups=groups, notes=list(notes or [])
    )
