"""Events and tag values of one issue. Bugsink's event list rows carry no payload: the full SDK payload is
read per event (`/events/{uuid}/` → `data`) and normalized with the shared code. `stacktrace_md` (Markdown
with every local, unscrubbed) is never read."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial
from typing import Any

from stacklens.backends.bugsink.client import PAGE_SIZE, Client, issue_segment
from stacklens.backends.bugsink.mapping import as_dict
from stacklens.backends.fanout import gather
from stacklens.backends.json import text
from stacklens.backends.narrow import parse_scan_cursor, scan_cursor
from stacklens.errors import InvalidInput, NotSupported, UpstreamError
from stacklens.events import Event, normalize_event, summarize_event
from stacklens.http import segment
from stacklens.lenient import timestamp
from stacklens.models import EventList, EventSummary, TagValue, TagValues
from stacklens.query import parse_window
from stacklens.refs import UUID, IssueRef, check_tag_key

EVENTS_READ, ISSUES_READ = "events:read", "issues:read"
RECENT_PAGES = 4
TAG_PAGES = 8


def _environment(value: str | None) -> str | None:
    text_ = (value or "").strip()
    if not text_:
        return None
    if any(ord(c) < 32 for c in text_) or len(text_) > 200 or '"' in text_:
        raise InvalidInput(
            "environment must be a plain name (≤200 characters, no quotes or control characters)"
        )
    return text_


def _params(ref: IssueRef, environment: str | None, order: str = "desc") -> list[tuple[str, str]]:
    params = [("issue", ref.value), ("order", order)]
    if environment:
        # Bugsink's event search takes tags; environment is one (quoted when it holds a space).
        params.append(
            ("q", f'environment:"{environment}"' if " " in environment else f"environment:{environment}")
        )
    return params


def to_event(detail: dict[str, Any]) -> Event:
    """A detail record → Event from its SDK payload; the SDK's event id (as the SDK and users know it)."""
    data = as_dict(detail.get("data"))
    event = normalize_event(data)
    if not event.id:
        event = event.model_copy(update={"id": (text(detail.get("event_id")) or "").replace("-", "")})
    return event


class Events:
    def __init__(self, client: Client) -> None:
        self.c = client

    async def _rows(
        self, ref: IssueRef, environment: str | None, cursor: str | None, order: str = "desc"
    ) -> tuple[list[dict[str, Any]], str | None]:
        issue_segment(ref)  # a numeric id is refused before anything is sent
        call = self.c.page("/events/", _params(ref, environment, order), cursor, scope=EVENTS_READ)
        return await self.c.on_issue(ref, call)

    async def _detail(self, row: dict[str, Any]) -> dict[str, Any]:
        ident = text(row.get("id")) or ""
        reply = await self.c.call("GET", f"/events/{segment(ident)}/", scope=EVENTS_READ)
        return as_dict(reply.data)

    async def _details(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return await gather([partial(self._detail, r) for r in rows])

    async def _issue(self, ref: IssueRef) -> dict[str, Any]:
        call = self.c.call("GET", f"/issues/{issue_segment(ref)}/", scope=ISSUES_READ)
        return as_dict((await self.c.on_issue(ref, call)).data)

    async def get_event(self, ref: IssueRef, event_id: str, environment: str | None = None) -> Event:
        """latest/recommended (Bugsink recommends none: the newest), oldest, or an id (the SDK's, or
        Bugsink's own event UUID)."""
        env = _environment(environment)
        kind = event_id.strip().lower()
        if kind in ("latest", "recommended", "oldest"):
            rows, _ = await self._rows(ref, env, None, "asc" if kind == "oldest" else "desc")
            if not rows:
                where = f" in environment {env!r}" if env else ""
                raise UpstreamError(f"issue {ref} has no events{where}.", 404)
            return to_event(await self._detail(rows[0]))
        detail = await self._by_id(ref, event_id.strip())
        event = to_event(detail)
        if env and event.environment != env:
            raise UpstreamError(
                f"event {event_id} of issue {ref} is in environment {event.environment or '(none)'}, not {env}.",
                404,
            )
        return event

    async def _by_id(self, ref: IssueRef, wanted: str) -> dict[str, Any]:
        if not UUID.fullmatch(wanted):
            raise InvalidInput(
                f"event_id {wanted!r} is not a Bugsink event id: a 32-hex id from list_issue_events, or latest/oldest"
            )
        issue = await self._issue(ref)
        missing = UpstreamError(
            f"issue {ref} has no event {wanted} (list_issue_events shows its events).", 404
        )
        params = [("project", text(issue.get("project")) or ""), ("event_id", wanted)]
        try:
            detail = as_dict(
                (await self.c.call("GET", "/events/lookup/", params=params, scope=EVENTS_READ)).data
            )
        except UpstreamError as exc:
            if not exc.not_found:
                raise
            try:  # Bugsink's own event UUID (its UI shows that one)
                reply = await self.c.call("GET", f"/events/{segment(wanted.lower())}/", scope=EVENTS_READ)
            except UpstreamError as again:
                raise (missing if again.not_found else again) from None
            detail = as_dict(reply.data)
        if text(detail.get("issue")) != text(issue.get("id")):
            raise missing
        return detail

    async def _collect(
        self, ref: IssueRef, env: str | None, cursor: str | None, limit: int, cut: datetime | None
    ) -> tuple[list[dict[str, Any]], str | None, bool]:
        """Up to `limit` rows from `cursor` on, newest first, those before `cut` skipped: (rows, next
        cursor, paused). The scan ends at the first row *ingested* before `cut` (ingestion order is the
        list's order; the SDK's own timestamps need not be)."""
        up, skip = parse_scan_cursor(cursor)
        taken: list[dict[str, Any]] = []
        for _ in range(RECENT_PAGES):
            rows, following = await self._rows(ref, env, up)
            for index in range(skip, len(rows)):
                row = rows[index]
                if cut is not None:
                    ingested = timestamp(row.get("ingested_at"))
                    if ingested is not None and ingested < cut:
                        return taken, None, False
                    when = timestamp(row.get("timestamp"))
                    if when is None or when < cut:
                        continue
                taken.append(row)
                if len(taken) == limit:
                    if index + 1 < len(rows):
                        return taken, scan_cursor(up, index + 1), False
                    return taken, scan_cursor(following, 0) if following else None, False
            if following is None:
                return taken, None, False
            up, skip = following, 0
        return taken, scan_cursor(up, 0), True

    async def list_issue_events(
        self,
        ref: IssueRef,
        limit: int = 10,
        environment: str | None = None,
        cursor: str | None = None,
        query: str | None = None,
        period: str | None = None,
    ) -> EventList:
        if query and query.strip():
            raise NotSupported(
                "query: Bugsink's event list takes no Sentry event search; use environment or period."
            )
        limit = max(1, min(int(limit), 100))
        env = _environment(environment)
        window = parse_window(period, "period")
        cut = window.cutoff(datetime.now(UTC)) if window else None
        taken, nxt, paused = await self._collect(ref, env, cursor, limit, cut)
        notes: list[str] = []
        if window is not None:
            notes.append(
                f"period {window.text} applied client-side (Bugsink's event list has no time filter)"
            )
        if paused:
            notes.append(f"scan paused after {RECENT_PAGES} pages of {PAGE_SIZE}: pass next_cursor to go on")
        if env:
            notes.append(f"environment {env!r} filtered by Bugsink (its environment tag)")
        details = await self._details(taken)
        events = [summarize_event(to_event(d)) for d in details]
        return EventList(issue=str(ref), events=events, next_cursor=nxt, notes=notes)

    async def recent_events(
        self, ref: IssueRef, limit: int = 100, environment: str | None = None
    ) -> list[Event]:
        limit = max(1, int(limit))
        env = _environment(environment)
        rows: list[dict[str, Any]] = []
        cursor: str | None = None
        for _ in range(max(1, min(RECENT_PAGES, -(-limit // PAGE_SIZE)))):
            page, cursor = await self._rows(ref, env, cursor)
            rows += page
            if cursor is None or len(rows) >= limit:
                break
        return [to_event(d) for d in await self._details(rows[:limit])]

    async def summaries(self, rows: list[dict[str, Any]]) -> list[EventSummary]:
        return [summarize_event(to_event(d)) for d in await self._details(rows)]

    async def list_tag_values(self, ref: IssueRef, key: str, limit: int = 20) -> TagValues:
        key = check_tag_key(key)
        limit = max(1, min(int(limit), 1000))
        path = f"/issues/{issue_segment(ref)}/tags/"
        found: list[dict[str, Any]] = []
        cursor: str | None = None
        notes: list[str] = []
        for _ in range(TAG_PAGES):
            page, cursor = await self.c.on_issue(
                ref, self.c.page(path, [("key", key)], cursor, scope=EVENTS_READ)
            )
            found += [r for r in page if text(r.get("key")) == key]
            if cursor is None:
                break
        else:
            notes.append(f"only the first {TAG_PAGES * PAGE_SIZE} values were read")
        values = [TagValue(value=text(r.get("value")), count=r.get("count")) for r in found]
        values.sort(key=lambda v: (-(v.count or 0), v.value or ""))
        total = sum(v.count or 0 for v in values)
        notes.append("counts from Bugsink's tag index (it keeps no first/last seen per value)")
        if len(values) > limit:
            notes.append(f"{len(values) - limit} less frequent value(s) not shown")
        return TagValues(issue=str(ref), key=key, values=values[:limit], total=total, notes=notes)
