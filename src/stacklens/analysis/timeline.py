"""When an issue started and whether it still happens, from what every tracker has: the issue (first/last seen
and release), per-release event counts (tag values), the project's releases (their order) and their deploys.

Verdicts name upstream values (versions, environments) only inside inert code spans."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from stacklens.analysis.models import ReleaseRow, Timeline
from stacklens.models import Deploy, Issue, Release, TagValue
from stacklens.render.inline import code
from stacklens.render.records import when

_EPOCH = datetime.min.replace(tzinfo=UTC)


def _release_time(r: Release) -> datetime | None:
    return r.released or r.created or r.first_event


def release_order(releases: list[Release], seen: Mapping[str, datetime] | None = None) -> list[str]:
    """Versions oldest first. Trackers list releases newest first; their times (release, creation, first
    event) sort them where present; on a tie (GlitchTip creates the releases of one batch of events at one
    instant) the issue's first sighting of each, when known, then the listed order."""
    listed = list(reversed(releases))
    first = seen or {}

    def key(p: tuple[int, Release]) -> tuple[datetime, datetime, int]:
        return (_release_time(p[1]) or _EPOCH, first.get(p[1].version, _EPOCH), p[0])

    keyed = sorted(enumerate(listed), key=key)
    return list(dict.fromkeys(r.version for _, r in keyed))


def _deploy_time(d: Deploy) -> datetime | None:
    return d.finished or d.started


def deploy_phrase(deploys: list[Deploy], environment: str | None = None, most: int = 3) -> str:
    """`deployed to `production` at 2026-… , `staging` at …` (the chosen environment first), or ""."""
    if environment:
        deploys = [d for d in deploys if d.environment == environment]
    ordered = sorted(deploys, key=lambda d: (d.environment != "production", _deploy_time(d) or _EPOCH))
    bits = [f"{code(d.environment or '?', 60)} at {when(_deploy_time(d))}" for d in ordered[:most]]
    if len(ordered) > most:
        bits.append(f"+{len(ordered) - most} more")
    return "deployed to " + ", ".join(bits) if bits else ""


def _rows(
    counts: list[TagValue], releases: list[Release], order: list[str], deploys: Mapping[str, list[Deploy]]
) -> list[ReleaseRow]:
    by_version = {r.version: r for r in releases}
    position = {v: n for n, v in enumerate(order)}
    rows = [
        ReleaseRow(
            version=v.value,
            events=v.count,
            first_seen=v.first_seen,
            last_seen=v.last_seen,
            released=_release_time(by_version[v.value]) if v.value in by_version else None,
            deploys=list(deploys.get(v.value, [])),
        )
        for v in counts
        if v.value
    ]
    # Known releases in their order; versions the project list lacks after them, by when they were seen.
    rows.sort(key=lambda r: (position.get(r.version, len(order)), r.first_seen or _EPOCH, r.version))
    return rows


def _earliest(rows: list[ReleaseRow]) -> str | None:
    """Without the tracker's word for the first release: the one seen first, else the oldest listed."""
    seen = [r for r in rows if r.first_seen is not None]
    if seen:
        return min(seen, key=lambda r: r.first_seen or _EPOCH).version
    return rows[0].version if rows else None


def build_timeline(
    issue: Issue,
    counts: list[TagValue],
    releases: list[Release],
    deploys: Mapping[str, list[Deploy]],
    *,
    environment: str | None = None,
    notes: list[str] | None = None,
) -> Timeline:
    order = release_order(releases, {v.value: v.first_seen for v in counts if v.value and v.first_seen})
    rows = _rows(counts, releases, order, deploys)
    notes = list(notes or [])
    counted = sum(r.events or 0 for r in rows)
    if issue.count and counted and counted < issue.count:
        notes.append(f"per-release counts cover {counted:,} of the issue's {issue.count:,} events: a sample")
    first = issue.first_release or _earliest(rows)
    if first and all(r.version != first for r in rows):
        # The tracker names the first release but its counts lack it (they cover recent events only).
        by_version = {r.version: r for r in releases}
        rows.append(
            ReleaseRow(
                version=first,
                first_seen=issue.first_seen,
                released=_release_time(by_version[first]) if first in by_version else None,
                deploys=list(deploys.get(first, [])),
            )
        )
        position = {v: n for n, v in enumerate(order)}
        rows.sort(key=lambda r: (position.get(r.version, len(order)), r.first_seen or _EPOCH, r.version))
    last = issue.last_release or (rows[-1].version if rows else None)
    newest = order[-1] if order else None
    previous = None
    if first in order:
        i = order.index(first)
        previous = order[i - 1] if i > 0 else None
    verdicts: list[str] = []
    if first:
        line = f"first seen in {code(first, 100)}"
        if issue.first_seen:
            line += f" at {when(issue.first_seen)}"
        deployed = deploy_phrase(deploys.get(first, []), environment)
        line += f", {deployed}" if deployed else (", no deploy recorded" if first in deploys else "")
        if first in order:
            earlier = [r for r in rows if r.version in order and order.index(r.version) < order.index(first)]
            if earlier:
                n = sum(r.events or 0 for r in earlier)
                shown = ", ".join(code(r.version, 60) for r in earlier[:3])
                line += f"; yet {n} event(s) carry earlier releases ({shown})"
            else:
                line += ", no events in earlier releases"
        verdicts.append(line)
    elif issue.first_seen:
        verdicts.append(f"first seen at {when(issue.first_seen)}; its events carry no release")
    if last and newest and last == newest:
        seen = f" (last seen {when(issue.last_seen)})" if issue.last_seen else ""
        verdicts.append(f"still occurring in the newest release {code(newest, 100)}{seen}")
    elif last and newest:
        deployed = deploy_phrase(deploys.get(newest, []), environment)
        verdicts.append(
            f"no events since {code(last, 100)} (last seen {when(issue.last_seen)}); the newest release "
            f"{code(newest, 100)}{f' ({deployed})' if deployed else ''} has none"
        )
    elif last:
        verdicts.append(f"last seen {when(issue.last_seen)} in {code(last, 100)}")
    regressed = (issue.substatus or "").lower() == "regressed"
    if regressed:
        verdicts.append("regressed: the tracker marks it as come back after it was resolved")
    elif (issue.status or "").lower() == "resolved":
        verdicts.append("marked resolved in the tracker")
    return Timeline(
        issue=issue.short_id or issue.id,
        title=issue.title,
        environment=environment,
        first_seen=issue.first_seen,
        last_seen=issue.last_seen,
        first_release=first,
        last_release=last,
        newest_release=newest,
        previous_release=previous,
        releases=rows,
        verdicts=verdicts,
        regressed=regressed,
        notes=notes,
    )
