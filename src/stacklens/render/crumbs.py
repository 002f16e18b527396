"""Breadcrumbs as shown: the last N, with runs of near-identical consecutive ones folded into their last.

A polling loop or a per-frame log (`Frame number: 1300`, `… 1400`, …) fills a trail with one line said
many times; folded, the trail shows what happened before it too. Near-identical: same category, type and
level, and the same text once digit runs are set aside. The run's last crumb is kept whole (the one nearest
the crash), with how many similar ones came right before it and since when.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from stacklens.events import Breadcrumb
from stacklens.render.event_model import CrumbOut
from stacklens.render.labels import alnum, cut

_DIGITS = re.compile(r"\d+")


def _text(c: Breadcrumb) -> str:
    message, data = c.message, c.data
    if message and data and (data in message or alnum(data) in alnum(message)):
        return message  # an HTTP crumb's message often is its `GET url [status]` already
    return " ".join(x for x in (message, data) if x)


def _shape(c: Breadcrumb, text: str) -> tuple[str | None, str | None, str | None, str]:
    return (c.category, c.type, c.level, _DIGITS.sub("#", text))


def fold(crumbs: list[Breadcrumb], last: int) -> list[CrumbOut]:
    """The newest `last` rows of the folded trail, oldest first."""
    rows: list[CrumbOut] = []
    shape: tuple[str | None, str | None, str | None, str] | None = None
    for c in crumbs:
        text = _text(c)
        this = _shape(c, text)
        row = CrumbOut(
            time=c.time,
            category=cut(c.category or c.type, 60) or None,
            level=cut(c.level, 20) or None,
            message=cut(text, 120) or None,
        )
        if rows and this == shape:
            before = rows.pop()
            row.similar = before.similar + 1
            row.since = before.since or before.time
        rows.append(row)
        shape = this
    return rows[-last:] if last > 0 else []


def covered(rows: list[CrumbOut]) -> int:
    """How many of the event's breadcrumbs the rows stand for."""
    return sum(1 + r.similar for r in rows)


def _ago(t: datetime | None, event_time: datetime | None, day: date | None) -> str:
    """Before the event, as a developer reads a trail up to a crash (`-3s`, `-5m12s`, `-2h05m`, `-3d04h`);
    the clock time when the event has none."""
    if t is None:
        return "--:--:--"
    if event_time is None:
        return t.strftime("%H:%M:%S" if t.date() == day else "%m-%d %H:%M:%S")
    delta = (t - event_time).total_seconds()
    s = round(abs(delta))
    sign = "+" if delta > 0 and s else "-"  # within half a second of the event (clocks differ): `-0s`
    if s < 60:
        return f"{sign}{s}s"
    if s < 3600:
        return f"{sign}{s // 60}m{s % 60:02d}s"
    if s < 86400:
        return f"{sign}{s // 3600}h{s % 3600 // 60:02d}m"
    return f"{sign}{s // 86400}d{s % 86400 // 3600:02d}h"


def crumb_lines(rows: list[CrumbOut], total: int, event_time: datetime | None) -> list[str]:
    # Times are shown relative to the event (its own time is on the facts line); without an event time,
    # as clock times, the date said once in the heading when the trail keeps to one day.
    day, said = None, ""
    if event_time is None:
        days = {r.time.date() for r in rows if r.time}
        if len(days) == 1:
            day = days.pop()
            said = f", on {day.isoformat()}"
    shown = covered(rows)
    lines = [f"Breadcrumbs{said}:" if shown == total else f"Breadcrumbs (last {shown} of {total}{said}):"]
    for r in rows:
        when = _ago(r.time, event_time, day)
        what = " ".join(x for x in (r.category, r.level if r.level not in (None, "info") else None) if x)
        line = f"{when} {what}: {r.message or ''}".rstrip() if what else f"{when} {r.message or ''}"
        if r.similar:
            since = f" since {_ago(r.since, event_time, day)}" if r.since and r.since != r.time else ""
            line += f" (after {r.similar} similar{since})"
        lines.append(line)
    return lines
