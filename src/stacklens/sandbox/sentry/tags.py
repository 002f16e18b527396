"""An issue's tags: all keys, one key, one key's values (with per-value counts and first/last seen)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from stacklens.sandbox.sentry.common import (
    NOT_FOUND,
    Json,
    detail,
    endpoint,
    page_size,
    paged,
    t,
)
from stacklens.sandbox.sentry.events import issue_events
from stacklens.sandbox.sentry.issues import (
    issue_or_404,
)
from stacklens.sandbox.state import Sandbox

# --- tags ------------------------------------------------------------------------------------------------


def tag_stats(events: list[Json]) -> dict[str, dict[str, Json]]:
    """Per tag key, per value: count, first and last seen. Derived events share their tags but `user`
    (`Sandbox.event_tags`), so those are folded per shared tuple first: thousands of events stay fast."""
    stats: dict[str, dict[str, Json]] = defaultdict(dict)

    def add(key: str, value: str, count: int, first: datetime, last: datetime) -> None:
        row = stats[key].get(value)
        if row is None:
            stats[key][value] = {"count": count, "firstSeen": first, "lastSeen": last}
            return
        row["count"] += count
        row["firstSeen"], row["lastSeen"] = min(row["firstSeen"], first), max(row["lastSeen"], last)

    shared: dict[int, list[Any]] = {}  # id(tags) -> [tags, count, first, last]
    for e in events:
        when, pre = e["when"], e.get("tags")
        if pre is None:
            for key, value in Sandbox.event_tags(e):
                add(key, value, 1, when, when)
            continue
        tags, user = pre
        group = shared.get(id(tags))
        if group is None:
            shared[id(tags)] = [tags, 1, when, when]
        else:
            group[1] += 1
            group[2], group[3] = min(group[2], when), max(group[3], when)
        if user:
            add("user", user, 1, when, when)
    for tags, count, first, last in shared.values():
        for key, value in tags:
            add(key, value, count, first, last)
    return stats


def tag_value_rows(key: str, values: dict[str, Json], sort: str = "count") -> list[Json]:
    rows = [
        {
            "key": key,
            "name": v,
            "value": v,
            "count": s["count"],
            "firstSeen": t(s["firstSeen"]),
            "lastSeen": t(s["lastSeen"]),
        }
        for v, s in values.items()
    ]
    # As Sentry: `count`, `date`, `age` order most/newest first; any other value (`-count` included) is its
    # default `-id`, the most recently created value first (here: the latest first seen).
    field = {"count": "count", "date": "lastSeen", "age": "firstSeen"}.get(sort, "firstSeen")
    rows.sort(key=lambda r: r["value"])
    rows.sort(key=lambda r: r[field], reverse=True)
    return rows


@endpoint("event:read")
async def tag_values(request: Request, sb: Sandbox) -> Response:
    issue = issue_or_404(request, sb)
    key = request.path_params["key"]
    values = tag_stats(issue_events(request, sb, issue)).get(key)
    if not values:
        raise detail(404, NOT_FOUND)
    rows = tag_value_rows(key, values, request.query_params.get("sort") or "-id")
    return paged(request, rows, page_size(request, "per_page", 100), lambda r: r)


@endpoint("event:read")
async def tag_detail(request: Request, sb: Sandbox) -> Response:
    issue = issue_or_404(request, sb)
    key = request.path_params["key"]
    values = tag_stats(issue_events(request, sb, issue)).get(key)
    if not values:
        raise detail(404, NOT_FOUND)
    rows = tag_value_rows(key, values)
    return JSONResponse(
        {
            "key": key,
            "name": key,
            "uniqueValues": len(rows),
            "totalValues": sum(r["count"] for r in rows),
            "topValues": rows[:9],
        }
    )


@endpoint("event:read")
async def tags_list(request: Request, sb: Sandbox) -> Response:
    issue = issue_or_404(request, sb)
    stats = tag_stats(issue_events(request, sb, issue))
    out = []
    for key in sorted(stats):
        rows = tag_value_rows(key, stats[key])
        out.append(
            {"key": key, "name": key, "totalValues": sum(r["count"] for r in rows), "topValues": rows[:10]}
        )
    return JSONResponse(out)
