"""Jentry REST (`/api/v1`): `{data}` envelope, page pagination, cross-project fan-out, client-side filters.

What Jentry's API cannot filter is either filtered here over a bounded scan (and said so in `notes`) or
refused before any request (query.jentry_plan). Every path is built from `segment()`-encoded values; upstream
JSON is read leniently (unknown fields ignored, nulls tolerated).
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

import anyio
from pydantic import TypeAdapter

from stacklens.backends.base import Progress, no_progress
from stacklens.backends.jentry_cursor import (
    CursorState,
    Hit,
    Position,
    Stream,
    decode_cursor,
    encode_cursor,
    merge_streams,
    next_position,
    search_fingerprint,
    sort_value,
)
from stacklens.config import Settings
from stacklens.errors import InvalidInput, NotSupported, StacklensError, UpstreamError
from stacklens.events import Event, normalize_event, summarize_event
from stacklens.http import Reply, Upstream, segment
from stacklens.models import (
    AuditEntry,
    AuditLog,
    DeployOutcome,
    EventList,
    EventSummary,
    Issue,
    IssueChange,
    IssuePage,
    Project,
    Release,
    ReleaseCreated,
    ReleaseHealth,
    ReleaseList,
    ReleaseSpec,
    TagValue,
    TagValues,
    Time,
    UpdateOutcome,
    UpdateResult,
)
from stacklens.query import IssueFilter, JentryPlan, jentry_plan
from stacklens.refs import IssueRef, check_project, check_tag_key

T = TypeVar("T")

# Scopes, exactly as each endpoint's row on Jentry's API page names them.
PROJECT_READ, PROJECT_WRITE = "project:read", "project:write"
ISSUE_READ, ISSUE_WRITE = "issue:read", "issue:write"
EVENT_READ, ORG_READ = "event:read", "org:read"

EVENT_WINDOW = 100  # the most events `GET /issues/{id}/events` returns: all the API exposes
SCAN_PAGE_SIZE = 100  # page size when filtering client-side (fewest requests per issue scanned)
SCAN_PAGES = 10  # per project and call: a client-side filter scans at most 1000 issues before pausing
FANOUT = 8  # concurrent upstream requests of one fan-out
PROJECT_CACHE_TTL = 60.0  # a missed slug refetches the list at most this often
PROJECT_LIST_MAX_AGE = 300.0  # a server runs for days: projects created or deleted since show up this soon
UPDATE_STATUSES = ("resolved", "unresolved", "ignored")
_TIME: TypeAdapter[datetime | None] = TypeAdapter(Time)


# --- lenient JSON readers -------------------------------------------------------------------------------


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _str(value: Any) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str | int | float):
        return str(value) or None
    return None


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def unwrap(payload: Any) -> Any:
    """`{"data": …}` → the payload; a body without the envelope is taken as is (older or proxied servers)."""
    if isinstance(payload, dict) and "data" in payload:
        return payload["data"]
    return payload


def _rows(data: Any, what: str) -> list[dict[str, Any]]:
    """A JSON list of objects (nulls and non-objects skipped); anything else is a clean error."""
    if data is None:
        return []
    if not isinstance(data, list):
        raise UpstreamError(f"Jentry answered the {what} request with an unexpected shape (not a list).")
    return [row for row in data if isinstance(row, dict)]


def _no_controls(value: str, name: str, max_len: int = 1000) -> str:
    if any(ord(c) < 32 or c == "\x7f" for c in value):
        raise InvalidInput(f"{name} must not contain control characters (CR, LF, tab …)")
    if len(value) > max_len:
        raise InvalidInput(f"{name} is too long ({len(value)} characters; at most {max_len})")
    return value


def project_from_jentry(raw: dict[str, Any]) -> Project | None:
    ident = _str(raw.get("id"))
    if not ident:
        return None
    return Project(id=ident, slug=raw.get("slug"), name=raw.get("name"), platform=raw.get("platform"))


def issue_from_jentry(raw: dict[str, Any], slugs: dict[str, str] | None = None) -> Issue | None:
    """A Jentry issue (list item or detail) → Issue; None when it has no id. `slugs`: project id → slug."""
    ident = _str(raw.get("id"))
    if not ident:
        return None
    project_id = _str(raw.get("projectId"))
    assignee = raw.get("assigneeUserId")
    return Issue(
        id=ident,
        title=raw.get("title"),
        culprit=raw.get("culprit"),
        level=raw.get("level"),
        status=raw.get("status"),
        substatus=raw.get("substatus"),
        count=raw.get("count"),
        user_count=raw.get("userCount"),
        first_seen=raw.get("firstSeen"),
        last_seen=raw.get("lastSeen"),
        first_release=raw.get("firstRelease"),
        last_release=raw.get("lastRelease"),
        assignee=str(_int(assignee)) if _int(assignee) is not None else _str(assignee),
        project=(slugs or {}).get(project_id or "") or project_id,
        project_id=project_id,
        permalink=raw.get("permalink"),
        type=raw.get("type"),
    )


def release_from_jentry(raw: dict[str, Any], project: str | None = None) -> Release | None:
    version = _str(raw.get("release")) or _str(raw.get("version"))
    if not version:
        return None
    figures = {
        "crash_free_sessions": _num(raw.get("crashFreeRate")),
        "adoption": _num(raw.get("adoption")),
        "sessions": _int(raw.get("sessions")),
    }
    clean = {k: v for k, v in figures.items() if v is not None}

    def counted(value: Any) -> int | None:
        return len(value) if isinstance(value, list) else _int(value)

    deploys = raw.get("deploys")
    last_deploy = deploys[-1] if isinstance(deploys, list) and deploys else None
    return Release(
        version=version,
        created=raw.get("createdAt") or raw.get("dateCreated"),
        released=raw.get("dateReleased"),
        first_event=raw.get("firstSeen"),
        last_event=raw.get("lastSeen"),
        new_issues=raw.get("newIssues"),
        issues=raw.get("issues"),
        events=raw.get("events"),
        projects=[project] if project else [],
        commit_count=counted(raw.get("commits")),
        deploy_count=counted(deploys),
        last_deploy=_str(_dict(last_deploy).get("environment")),
        health=ReleaseHealth(**clean) if clean else None,
    )


def audit_from_jentry(raw: dict[str, Any]) -> AuditEntry:
    user = _str(raw.get("userId"))
    meta = raw.get("meta")
    note = None
    if isinstance(meta, dict) and meta:
        note = ", ".join(f"{k}={v}" for k, v in list(meta.items())[:8])[:200]
    return AuditEntry(
        id=_str(raw.get("id")),
        action=_str(raw.get("action")),
        actor=f"user:{user}" if user else None,
        target=_str(raw.get("target")),
        time=raw.get("createdAt"),
        note=note,
    )


# --- events: the few raw fields filtering needs (normalize_event does the rest) -----------------------


def _event_id(raw: dict[str, Any]) -> str:
    return _str(raw.get("id")) or _str(raw.get("event_id")) or _str(raw.get("eventId")) or ""


def _same_event_id(a: str, b: str) -> bool:
    return a.replace("-", "").lower() == b.replace("-", "").lower()


def _raw_tags(raw: dict[str, Any]) -> list[tuple[str, str]]:
    """SDK tags: a dict, `[[k, v]]` pairs or `[{key, value}]` → pairs (nulls skipped)."""
    tags = raw.get("tags")
    items: list[tuple[Any, Any]] = []
    if isinstance(tags, dict):
        items = list(tags.items())
    elif isinstance(tags, list):
        for tag in tags:
            if isinstance(tag, dict):
                items.append((tag.get("key"), tag.get("value")))
            elif isinstance(tag, list | tuple) and len(tag) == 2:
                items.append((tag[0], tag[1]))
    return [(k, v) for k, v in ((_str(a), _str(b)) for a, b in items) if k and v is not None]


def _event_environment(raw: dict[str, Any]) -> str | None:
    return _str(raw.get("environment")) or dict(_raw_tags(raw)).get("environment")


def _event_time(raw: dict[str, Any], event: Event | None = None) -> datetime | None:
    if event is not None and event.time is not None:
        return event.time
    return _TIME.validate_python(raw.get("timestamp") or raw.get("receivedAt"))


def _summary(raw: dict[str, Any]) -> EventSummary:
    """summarize_event over the shared normalization, gaps filled from the Jentry row's own fields."""
    event = normalize_event(raw)
    summary = summarize_event(event)
    user = _dict(raw.get("user"))
    fill = {
        "id": summary.id or _event_id(raw),
        "time": summary.time or _event_time(raw, event),
        "release": summary.release or _str(raw.get("release")),
        "environment": summary.environment or _event_environment(raw),
        "user_id": summary.user_id or _str(user.get("id")),
        "message": summary.message or _str(raw.get("message")),
    }
    return summary.model_copy(update=fill)


# --- the backend ----------------------------------------------------------------------------------------


class JentryBackend:
    """The Backend protocol over Jentry's REST API."""

    name = "jentry"

    def __init__(self, settings: Settings, upstream: Upstream) -> None:
        self._settings = settings
        self._up = upstream
        self._projects: list[Project] | None = None
        self._projects_at = 0.0
        self._projects_lock = anyio.Lock()
        self._labels_refused = False  # the projects list was refused once: get_issue shows ids only

    async def aclose(self) -> None:
        return None  # the Upstream belongs to the server, which closes it

    # --- plumbing ---------------------------------------------------------------------------------

    async def _call(
        self,
        method: str,
        path: str,
        *,
        scope: str,
        params: list[tuple[str, str]] | None = None,
        json_body: Any = None,
        idempotent: bool | None = None,
    ) -> Reply:
        return await self._up.request(
            method, path, params=params, json_body=json_body, scope=scope, idempotent=idempotent
        )

    @staticmethod
    def _issue_path(ref: IssueRef | str) -> str:
        value = str(ref)
        if (isinstance(ref, IssueRef) and ref.kind != "id") or not (value.isascii() and value.isdigit()):
            raise InvalidInput(f"a Jentry issue id is numeric (42); got {value!r}")
        return f"/issues/{segment(value)}"

    @staticmethod
    async def _on_issue(ref: IssueRef | str, call: Awaitable[T]) -> T:
        try:
            return await call
        except UpstreamError as exc:
            if not exc.not_found:  # a web page (NotTheApi): the URL is wrong, not the id
                raise
            raise UpstreamError(
                f"issue {ref} not found in this Jentry organization (404). Check the id: it must belong to "
                "the token's organization (search_issues lists them).",
                404,
            ) from None

    @staticmethod
    async def _gather(jobs: Sequence[Callable[[], Awaitable[T]]]) -> list[T]:
        """Run jobs concurrently (bounded); the first StacklensError cancels the rest and is raised as is."""
        results: list[Any] = [None] * len(jobs)
        errors: list[StacklensError] = []
        limiter = anyio.CapacityLimiter(FANOUT)

        async with anyio.create_task_group() as tg:

            async def run(n: int, job: Callable[[], Awaitable[T]]) -> None:
                async with limiter:
                    try:
                        results[n] = await job()
                    except StacklensError as exc:
                        errors.append(exc)
                        tg.cancel_scope.cancel()

            for n, job in enumerate(jobs):
                tg.start_soon(run, n, job)
        if errors:
            raise errors[0]
        return results

    # --- projects ---------------------------------------------------------------------------------

    async def _fetch_projects(self) -> list[Project]:
        reply = await self._call("GET", "/projects", scope=PROJECT_READ)
        projects = [p for p in (project_from_jentry(r) for r in _rows(unwrap(reply.data), "projects")) if p]
        self._projects, self._projects_at = projects, time.monotonic()
        return projects

    async def _project_list(self, refresh: bool = False) -> list[Project]:
        async with self._projects_lock:
            age = time.monotonic() - self._projects_at
            if self._projects is None or (refresh and age > PROJECT_CACHE_TTL) or age > PROJECT_LIST_MAX_AGE:
                return await self._fetch_projects()
            return self._projects

    def _slugs(self) -> dict[str, str]:
        return {p.id: p.slug or p.name or p.id for p in self._projects or []}

    async def _find_project(self, value: str) -> Project:
        """A numeric id (used as is, no request) or a slug/name (through the cached projects list)."""
        text = check_project(value)
        if text.isascii() and text.isdigit():
            known = {p.id: p for p in self._projects or []}
            return known.get(str(int(text)), Project(id=str(int(text))))
        for attempt in range(2):
            projects = await self._project_list(refresh=attempt == 1)
            for p in projects:
                if (p.slug or "").lower() == text.lower() or (p.name or "").lower() == text.lower():
                    return p
        known_names = ", ".join(p.slug or p.name or p.id for p in (self._projects or [])[:20])
        raise InvalidInput(
            f"project {text!r} not found; known projects: {known_names or 'none visible to this token'}"
        )

    async def list_projects(self) -> list[Project]:
        async with self._projects_lock:
            return list(await self._fetch_projects())

    # --- issue search -----------------------------------------------------------------------------

    async def search_issues(self, f: IssueFilter, progress: Progress = no_progress) -> IssuePage:
        plan = jentry_plan(f, now=datetime.now(UTC), me=self._settings.user_id)  # refusals: nothing sent
        chosen = f.project or self._settings.project
        scope = f"project:{chosen}" if chosen else "all"
        fingerprint = search_fingerprint(f, scope)
        state = decode_cursor(f.cursor, fingerprint) if f.cursor else None
        page_size = state.page_size if state else (SCAN_PAGE_SIZE if plan.predicate else f.limit)

        projects = [await self._find_project(chosen)] if chosen else await self._project_list()
        streams = []
        for p in projects:
            if state is not None and p.id in state.done:
                continue
            start = state.positions.get(p.id, Position()) if state else Position()
            streams.append(Stream(project=p, start=start))

        fetched = [0]

        async def tick(s: Stream, page: int) -> None:
            fetched[0] += 1
            await progress(fetched[0], None, f"{s.label}: page {page} scanned, {len(s.hits)} match(es)")

        await self._gather([lambda s=s: self._scan(s, plan, page_size, f.limit, tick) for s in streams])
        issues, used, stopper = merge_streams(streams, f.limit, f.sort)

        positions: dict[str, Position] = {}
        done = set(state.done) if state else set()
        for s, n in zip(streams, used, strict=True):
            where = next_position(s, n)
            if where is None:
                done.add(s.project.id)
            else:
                positions[s.project.id] = where
        next_cursor = (
            encode_cursor(CursorState(fingerprint, page_size, positions, done)) if positions else None
        )

        notes = self._search_notes(plan, streams, projects, stopper, chosen, next_cursor)
        return IssuePage(issues=issues, query=plan.describe(), next_cursor=next_cursor, notes=notes)

    async def _issue_page(
        self, project: Project, plan: JentryPlan, page_size: int, page: int
    ) -> tuple[list[Issue], bool]:
        params = [*plan.params.items(), ("limit", str(page_size)), ("page", str(page))]
        try:
            reply = await self._call(
                "GET", f"/projects/{segment(project.id)}/issues", params=params, scope=ISSUE_READ
            )
        except UpstreamError as exc:
            if exc.not_found:
                raise UpstreamError(
                    f"project {project.id} not found in this Jentry organization (404).", 404
                ) from None
            raise
        body = reply.data
        slugs = self._slugs() or {project.id: project.slug or project.id}
        issues = [i for i in (issue_from_jentry(r, slugs) for r in _rows(unwrap(body), "issue list")) if i]
        total = _int(_dict(body).get("total"))
        server_size = _int(_dict(body).get("pageSize")) or page_size
        more = len(issues) >= min(page_size, server_size) and bool(issues)
        if total is not None:
            more = page * server_size < total
        return issues, more

    async def _scan(
        self,
        s: Stream,
        plan: JentryPlan,
        page_size: int,
        need: int,
        tick: Callable[[Stream, int], Awaitable[None]],
    ) -> None:
        """Fetch pages of one project from its position until `need` matches, the end, or the budget.

        The first round trip fetches concurrently what this call surely needs: the position's page, the next
        one when (unfiltered) the rest of this page cannot fill `need`, and, when resuming at a page
        boundary, the page before (to find the anchor: issues resolved since the last call move the rest up
        into it)."""
        sort = plan.params["sort"]
        page, index = s.start.page, s.start.index
        s.resume = s.start
        boundary = s.start.anchor is not None and index == 0 and page > 1
        first = ([page - 1] if boundary else []) + [page]
        if plan.predicate is None and page_size - index < need and SCAN_PAGES > 1 and not s.start.last:
            first.append(page + 1)  # unfiltered, the rest of this page surely falls short
        fetched = await self._gather(
            [lambda n=n: self._issue_page(s.project, plan, page_size, n) for n in first]
        )
        ready = dict(zip(first, fetched, strict=True))
        carried: list[Issue] = []
        if s.start.anchor is not None:
            carried, index = await self._realign(s, plan, page_size, ready)
        for issue in carried:  # moved up out of `page` since the last call, not shown yet: they come first
            s.scanned += 1
            s.frontier = issue
            if plan.matches(issue):
                s.hits.append(Hit(issue, Position(page, 0, issue.id, sort_value(issue, sort))))
        while len(s.hits) < need and s.pages < SCAN_PAGES:
            if page in ready:
                issues, more = ready.pop(page)
            else:
                issues, more = await self._issue_page(s.project, plan, page_size, page)
            s.pages += 1
            n = len(issues)
            # A bound on the sort key ends the scan early, trusted only when this page is in the order it
            # assumes (largest first): a server sorting the other way is scanned in full, not cut short.
            can_stop = plan.stop is not None and _descending(issues, sort)
            for i in range(index, n):
                issue = issues[i]
                s.scanned += 1
                if can_stop and plan.past_end(issue):
                    await tick(s, page)
                    s.exhausted, s.resume = True, None
                    return
                s.frontier = issue
                key = sort_value(issue, sort)
                if i + 1 < n:
                    after: Position | None = Position(page, i + 1, issue.id, key, not more)
                else:
                    after = Position(page + 1, 0, issue.id, key) if more else None
                if plan.matches(issue):
                    s.hits.append(Hit(issue, after))
            await tick(s, page)
            if not more:
                s.exhausted, s.resume = True, None
                return
            page, index = page + 1, 0
            last = issues[-1] if issues else None
            s.resume = (
                Position(page, 0, last.id, sort_value(last, sort))
                if last
                else Position(page, 0, s.resume.anchor, s.resume.key)
            )
        s.paused = len(s.hits) < need

    async def _realign(
        self,
        s: Stream,
        plan: JentryPlan,
        page_size: int,
        ready: dict[int, tuple[list[Issue], bool]],
    ) -> tuple[list[Issue], int]:
        """Page numbers drift when issues are added, resolved or move between calls; the anchor (the issue
        just before the position) finds the place again. Returns the issues of the page before that still
        follow the anchor, and the index in the position's page to resume at."""
        start, sort = s.start, plan.params["sort"]
        issues = ready[start.page][0]
        ids = [i.id for i in issues]
        if start.anchor in ids:
            return [], ids.index(start.anchor) + 1
        before: list[Issue] = []
        if start.page > 1:
            if start.page - 1 not in ready:  # a mid-page position whose anchor moved up a page
                ready[start.page - 1] = await self._issue_page(s.project, plan, page_size, start.page - 1)
            before = ready.pop(start.page - 1)[0]
            ids = [i.id for i in before]
            if start.anchor in ids:
                return before[ids.index(start.anchor) + 1 :], 0
        # The anchor left the list (resolved, say): what sorts at or below its value then comes next. A tie
        # with it may repeat an issue; nothing is skipped.
        s.shifted = True
        key = start.key
        if key is None:
            return [], start.index

        def follows(issue: Issue) -> bool:
            value = sort_value(issue, sort)
            return value is None or value <= key

        for n, issue in enumerate(before):
            if follows(issue):
                return before[n:], 0
        return [], next((n for n, issue in enumerate(issues) if follows(issue)), len(issues))

    @staticmethod
    def _search_notes(
        plan: JentryPlan,
        streams: list[Stream],
        projects: list[Project],
        stopper: Stream | None,
        chosen: str | None,
        next_cursor: str | None,
    ) -> list[str]:
        notes: list[str] = []
        if not chosen:
            names = ", ".join(p.slug or p.name or p.id for p in projects[:20])
            more = f" and {len(projects) - 20} more" if len(projects) > 20 else ""
            notes.append(
                f"searched all {len(projects)} project(s) concurrently ({names}{more}), "
                f"merged by {plan.params['sort']}"
                if projects
                else "this token sees no project"
            )
        if plan.client_side:
            scanned = sum(s.scanned for s in streams)
            notes.append(
                "filtered client-side (Jentry's API cannot): "
                + ", ".join(plan.client_side)
                + f"; {scanned} issue(s) scanned"
            )
        if stopper is not None:
            notes.append(
                f"stopped early: scanned {stopper.scanned} issues of {stopper.label} "
                f"({stopper.pages} pages), more may match; pass cursor to continue"
            )
        if any(s.shifted for s in streams):
            notes.append(
                "issues moved between pages since the previous call; an issue may repeat or be missed"
            )
        return notes

    # --- single issues and events --------------------------------------------------------------

    async def get_issue(self, ref: IssueRef) -> Issue:
        path = self._issue_path(ref)

        async def fetch() -> Reply:
            return await self._on_issue(ref, self._call("GET", path, scope=ISSUE_READ))

        async def label() -> None:
            # The issue names its project by id only; the slug (fetched once, alongside) reads better. Best
            # effort: a token without project:read still gets the issue (and is not asked again).
            try:
                await self._project_list()
            except StacklensError:
                self._labels_refused = True

        wanted = self._projects is None and not self._labels_refused
        jobs: list[Callable[[], Awaitable[Any]]] = [fetch] + ([label] if wanted else [])
        reply = (await self._gather(jobs))[0]
        issue = issue_from_jentry(_dict(unwrap(reply.data)), self._slugs())
        if issue is None:
            raise UpstreamError(
                f"Jentry answered issue {ref} without an id; is JENTRY_URL a Jentry instance?"
            )
        return issue

    async def _events(self, ref: IssueRef, limit: int) -> list[dict[str, Any]]:
        path = self._issue_path(ref) + "/events"
        call = self._call("GET", path, params=[("limit", str(limit))], scope=EVENT_READ)
        reply = await self._on_issue(ref, call)
        return _rows(unwrap(reply.data), "events")

    @staticmethod
    def _in_environment(rows: list[dict[str, Any]], environment: str | None) -> list[dict[str, Any]]:
        if not environment:
            return rows
        return [r for r in rows if _event_environment(r) == environment]

    async def get_event(self, ref: IssueRef, event_id: str, environment: str | None = None) -> Event:
        """`latest`/`recommended` = the newest event (Jentry has no recommendation); `oldest` only when the
        issue has fewer events than the API exposes; an id is looked up among the 100 most recent."""
        wanted = event_id.strip()
        kind = wanted.lower()
        if environment:
            environment = _no_controls(environment.strip(), "environment", 200)
        if kind in ("latest", "recommended") and not environment:
            rows = await self._events(ref, 1)
            if not rows:
                raise UpstreamError(f"issue {ref} has no events yet.", 404)
            return normalize_event(rows[0])

        rows = await self._events(ref, EVENT_WINDOW)
        if not rows:
            raise UpstreamError(f"issue {ref} has no events yet.", 404)
        everything = len(rows) < EVENT_WINDOW  # fewer than asked: these are all the issue's events
        sample = "all" if everything else f"the {len(rows)} most recent"
        matching = self._in_environment(rows, environment)
        if kind not in ("latest", "recommended", "oldest"):
            found = next((r for r in rows if _same_event_id(_event_id(r), wanted)), None)
            if found is None:
                if everything:
                    raise UpstreamError(
                        f"issue {ref} has no event {wanted} (it has {len(rows)} event(s); "
                        "list_issue_events shows them).",
                        404,
                    )
                raise UpstreamError(
                    f"event {wanted} is not among the {EVENT_WINDOW} most recent events of issue {ref}, "
                    "which is all the Jentry API exposes: it is older, or belongs to another issue.",
                    404,
                )
            if environment and _event_environment(found) != environment:
                raise UpstreamError(
                    f"event {wanted} of issue {ref} is in environment "
                    f"{_event_environment(found) or '(none)'}, not {environment}.",
                    404,
                )
            return normalize_event(found)
        if not matching:
            seen = sorted({e for e in (_event_environment(r) for r in rows) if e})
            raise UpstreamError(
                f"none of {sample} events of issue {ref} is in environment {environment!r} "
                f"(filtered client-side); environments seen: {', '.join(seen) or 'none'}.",
                404,
            )
        if kind == "oldest":
            oldest = matching[-1]
            when = _event_time(oldest)
            if not everything:
                raise NotSupported(
                    f"Jentry's API exposes only the {EVENT_WINDOW} most recent events of an issue, so its "
                    f"oldest event cannot be fetched. The oldest of those is {_event_id(oldest)} "
                    f"({when.strftime('%Y-%m-%d %H:%M:%SZ') if when else 'time unknown'}): "
                    f"pass event_id={_event_id(oldest)} to see it."
                )
            return normalize_event(oldest)
        return normalize_event(matching[0])

    async def list_issue_events(
        self, ref: IssueRef, limit: int = 10, environment: str | None = None, cursor: str | None = None
    ) -> EventList:
        if cursor:
            raise InvalidInput(
                f"Jentry's events list has no further pages: it returns the {EVENT_WINDOW} most recent "
                "events at most. Drop cursor and raise limit (up to 100)."
            )
        limit = max(1, min(int(limit), EVENT_WINDOW))
        notes: list[str] = []
        if environment:
            environment = _no_controls(environment.strip(), "environment", 200)
            rows = await self._events(ref, EVENT_WINDOW)
            matching = self._in_environment(rows, environment)
            notes.append(
                f"filtered to environment {environment!r} client-side over the {len(rows)} most recent "
                f"events ({len(matching)} match)"
            )
            rows = matching[:limit]
        else:
            rows = await self._events(ref, limit)
            if len(rows) >= limit:
                notes.append(
                    f"more events may exist; raise limit (up to {EVENT_WINDOW})"
                    if limit < EVENT_WINDOW
                    else f"the Jentry API exposes only the {EVENT_WINDOW} most recent events"
                )
        return EventList(issue=str(ref), events=[_summary(r) for r in rows[:limit]], notes=notes)

    async def list_tag_values(self, ref: IssueRef, key: str, limit: int = 20) -> TagValues:
        key = check_tag_key(key)
        limit = max(1, min(int(limit), 1000))
        rows = await self._events(ref, EVENT_WINDOW)
        counts: dict[str, TagValue] = {}
        tagged = 0
        for raw in rows:
            event = normalize_event(raw)
            value = self._tag_value(raw, event, key)
            if value is None:
                continue
            tagged += 1
            when = _event_time(raw, event)
            slot = counts.setdefault(value, TagValue(value=value, count=0))
            slot.count = (slot.count or 0) + 1
            if when is not None:
                slot.first_seen = min(slot.first_seen or when, when)
                slot.last_seen = max(slot.last_seen or when, when)
        oldest = datetime.min.replace(tzinfo=UTC)
        values = sorted(
            counts.values(),
            key=lambda v: (-(v.count or 0), -(v.last_seen or oldest).timestamp(), v.value or ""),
        )
        sample = (
            f"from the {len(rows)} most recent events (all of the issue's events)"
            if len(rows) < EVENT_WINDOW
            else f"from the {len(rows)} most recent events (the Jentry API exposes no more: a sample)"
        )
        notes = [sample]
        if tagged < len(rows):
            notes.append(f"{len(rows) - tagged} of those events have no {key} tag")
        if len(values) > limit:
            notes.append(f"{len(values) - limit} less frequent value(s) not shown")
        return TagValues(issue=str(ref), key=key, values=values[:limit], total=tagged, notes=notes)

    @staticmethod
    def _tag_value(raw: dict[str, Any], event: Event, key: str) -> str | None:
        """The tag from the event's tags; environment/release/level/user from the event's own fields, since
        SDK payloads carry them outside `tags` (Sentry's REST shape lists them as tags)."""
        for k, v in list(event.tags) or _raw_tags(raw):
            if k == key:
                return v
        if key == "environment":
            return _event_environment(raw)
        if key == "release":
            return event.release or _str(raw.get("release"))
        if key == "level":
            return _str(raw.get("level"))
        if key == "user":
            ident = event.user_id or _str(_dict(raw.get("user")).get("id"))
            return f"id:{ident}" if ident else None
        return None

    # --- updates ----------------------------------------------------------------------------------

    def update_body(self, change: IssueChange) -> dict[str, Any]:
        """IssueChange → Jentry's PATCH body; what Jentry cannot do is refused before anything is sent."""
        unsupported = [
            name
            for name, value in (
                ("ignore_minutes", change.ignore_minutes),
                ("ignore_count", change.ignore_count),
                ("bookmarked", change.bookmarked),
                ("seen", change.seen),
            )
            if value is not None
        ]
        if change.status == "resolved_in_next_release":
            unsupported.insert(0, "status=resolved_in_next_release")
        if unsupported:
            raise NotSupported(
                f"{', '.join(unsupported)}: not supported by Jentry (its API sets only the status "
                "resolved/unresolved/ignored and the assignee user id); nothing was changed."
            )
        body: dict[str, Any] = {}
        if change.status is not None:
            status = change.status.strip().lower()
            if status not in UPDATE_STATUSES:
                raise InvalidInput(
                    f"status={change.status!r} is not valid; use one of: {', '.join(UPDATE_STATUSES)}"
                )
            body["status"] = status
        if change.assignee is not None:
            body["assigneeUserId"] = self._assignee(change.assignee)
        if not body:
            raise InvalidInput(
                "nothing to change: pass status (resolved, unresolved, ignored) "
                "or assignee (a user id, me, none)"
            )
        return body

    def _assignee(self, value: str) -> int | None:
        who = value.strip().lower()
        if who == "none":
            return None
        if who == "me":
            if self._settings.user_id is None:
                raise InvalidInput(
                    'assignee="me" needs JENTRY_USER_ID (your Jentry user id); or pass the user id'
                )
            return self._settings.user_id
        digits = who.removeprefix("user:")
        if digits.isascii() and digits.isdigit() and len(digits) <= 15:
            return int(digits)
        raise InvalidInput(
            f'Jentry assigns issues to a numeric user id: assignee=<user id>, "me" or "none"; got {value!r}'
        )

    async def update_issues(
        self, refs: list[IssueRef], change: IssueChange, progress: Progress = no_progress
    ) -> UpdateResult:
        body = self.update_body(change)
        if not refs:
            raise InvalidInput("issue is required: one id/URL or a list of them")
        paths = [self._issue_path(ref) for ref in refs]  # every id checked before anything is sent
        done = [0]

        async def one(ref: IssueRef, path: str) -> UpdateOutcome:
            try:
                call = self._call("PATCH", path, json_body=body, scope=ISSUE_WRITE)
                reply = await self._on_issue(ref, call)
                outcome = self._outcome(str(ref), body, _dict(unwrap(reply.data)))
            except StacklensError as exc:  # one failure never hides the others' outcome
                outcome = UpdateOutcome(issue=str(ref), ok=False, error=str(exc))
            done[0] += 1
            await progress(done[0], len(refs), f"issue {ref}: {'updated' if outcome.ok else 'failed'}")
            return outcome

        outcomes = await self._gather([lambda r=r, p=p: one(r, p) for r, p in zip(refs, paths, strict=True)])
        return UpdateResult(outcomes=outcomes)

    @staticmethod
    def _outcome(issue: str, body: dict[str, Any], data: dict[str, Any]) -> UpdateOutcome:
        """What Jentry confirmed for the fields sent; a contradiction is a failure, not a success."""
        out = UpdateOutcome(issue=issue, ok=True)
        problems: list[str] = []
        if "status" in body:
            out.status = _str(data.get("status"))
            if out.status is not None and out.status != body["status"]:
                problems.append(f"Jentry reports status {out.status}, not {body['status']}")
        if "assigneeUserId" in body and "assigneeUserId" in data:
            got = _int(data.get("assigneeUserId"))
            out.assignee = str(got) if got is not None else "none"
            if got != body["assigneeUserId"]:
                problems.append(f"Jentry reports assignee {out.assignee}")
        if problems:
            out.ok, out.error = False, "; ".join(problems)
        return out

    # --- releases ---------------------------------------------------------------------------------

    async def list_releases(
        self, project: str | None = None, query: str | None = None, limit: int = 25, cursor: str | None = None
    ) -> ReleaseList:
        if cursor:
            raise InvalidInput(
                "Jentry's releases list has no further pages; drop cursor (use query to narrow)."
            )
        limit = max(1, min(int(limit), 100))
        needle = _no_controls(query.strip(), "query", 200).lower() if query and query.strip() else None
        chosen = project or self._settings.project
        projects = [await self._find_project(chosen)] if chosen else await self._project_list()

        async def fetch(p: Project) -> list[Release]:
            # `limit` is the API's list convention (1–100): ask for the most, then filter and cut here.
            reply = await self._call(
                "GET", f"/projects/{segment(p.id)}/releases", params=[("limit", "100")], scope=PROJECT_READ
            )
            label = p.slug or p.name or p.id
            return [
                r for r in (release_from_jentry(x, label) for x in _rows(unwrap(reply.data), "releases")) if r
            ]

        per_project = await self._gather([lambda p=p: fetch(p) for p in projects])
        if needle:
            per_project = [[r for r in rels if needle in r.version.lower()] for rels in per_project]
        releases = self._merge_releases(per_project)
        notes: list[str] = []
        if not chosen and len(projects) > 1:
            notes.append(f"merged from {len(projects)} projects, newest first (by first event)")
        if needle:
            notes.append(
                f"filtered to versions containing {query.strip()!r} client-side "
                "(Jentry's API has no release search)"
            )
        if len(releases) > limit:
            notes.append(
                f"showing the newest {limit} of {len(releases)} releases (limit applied client-side)"
            )
        return ReleaseList(releases=releases[:limit], notes=notes)

    @staticmethod
    def _merge_releases(lists: list[list[Release]]) -> list[Release]:
        """Each project's list keeps the API's newest-first order; lists interleave by first event."""
        if len(lists) == 1:
            return lists[0]
        heads = [0] * len(lists)
        out: list[Release] = []

        def key(r: Release) -> float:
            when = r.first_event or r.created or r.last_event
            return when.timestamp() if when else -math.inf

        while True:
            best = max(
                (n for n in range(len(lists)) if heads[n] < len(lists[n])),
                key=lambda n: key(lists[n][heads[n]]),
                default=None,
            )
            if best is None:
                return out
            out.append(lists[best][heads[best]])
            heads[best] += 1

    async def create_release(self, spec: ReleaseSpec) -> ReleaseCreated:
        version = _no_controls(spec.version.strip(), "version", 250)
        if not version:
            raise InvalidInput("version is required, e.g. web@1.4.3")
        chosen = spec.project or self._settings.project
        if not chosen:
            raise InvalidInput(
                "create_release needs a project: pass project=<slug or id>, "
                "or set a default project (--project)"
            )
        body: dict[str, Any] = {"version": version}
        for key, value, is_time in (
            ("ref", spec.ref, False),
            ("url", spec.url, False),
            ("dateReleased", spec.date_released, True),
        ):
            if value:
                body[key] = _time_text(value, "date_released") if is_time else value
        if spec.commits:
            commits = []
            for c in spec.commits:
                if not c.sha.strip():
                    raise InvalidInput("every commit needs a sha")
                item = {
                    "sha": c.sha.strip(),
                    "author": c.author,
                    "authorEmail": c.author_email,
                    "message": c.message,
                    "url": c.url,
                    "files": c.files,
                }
                commits.append({k: v for k, v in item.items() if v is not None})
            body["commits"] = commits
        if spec.deploys:
            deploys = []
            for d in spec.deploys:
                if not d.environment.strip():
                    raise InvalidInput("every deploy needs an environment, e.g. production")
                item = {
                    "environment": d.environment.strip(),
                    "name": d.name,
                    "url": d.url,
                    "deployedAt": _time_text(d.deployed_at, "deployed_at") if d.deployed_at else None,
                }
                deploys.append({k: v for k, v in item.items() if v is not None})
            body["deploys"] = deploys
        target = await self._find_project(chosen)
        # The API replaces a version's commits and deploys when it is posted again: safe to retry.
        reply = await self._call(
            "POST",
            f"/projects/{segment(target.id)}/releases",
            json_body=body,
            scope=PROJECT_WRITE,
            idempotent=True,
        )
        data = _dict(unwrap(reply.data))
        notes: list[str] = []  # re-posting replaces commits and deploys: the tool description says so
        recorded = _int(data.get("deploys"))
        if recorded is not None and recorded != len(spec.deploys):
            notes.append(f"Jentry reports {recorded} deploy(s) recorded for {len(spec.deploys)} sent")
        return ReleaseCreated(
            version=_str(data.get("version")) or version,
            project=target.slug or target.name or target.id,
            commits=_int(data.get("commits")) if _int(data.get("commits")) is not None else len(spec.commits),
            deploys=[DeployOutcome(environment=d.environment.strip(), ok=True) for d in spec.deploys],
            notes=notes,
        )

    # --- audit ------------------------------------------------------------------------------------

    async def read_audit(
        self, limit: int = 50, action: str | None = None, cursor: str | None = None
    ) -> AuditLog:
        if cursor:
            raise InvalidInput(
                "Jentry's audit log has no further pages: it returns the 100 most recent entries at most."
            )
        limit = max(1, min(int(limit), 100))
        wanted = _no_controls(action.strip(), "action", 200).lower() if action and action.strip() else None
        size = 100 if wanted else limit  # filtering happens here: fetch the most the API gives
        reply = await self._call("GET", "/audit", params=[("limit", str(size))], scope=ORG_READ)
        entries = [audit_from_jentry(r) for r in _rows(unwrap(reply.data), "audit log")]
        notes: list[str] = []
        if wanted:
            kept = [
                e for e in entries if (a := (e.action or "").lower()) == wanted or a.startswith(wanted + ".")
            ]
            notes.append(
                f"filtered to action {action.strip()!r} client-side over the {len(entries)} most recent "
                "entries (Jentry's audit API has no action filter)"
            )
            entries = kept
        return AuditLog(entries=entries[:limit], notes=notes)


def _descending(issues: list[Issue], sort: str) -> bool:
    """The known sort values of `issues` never increase (the order Jentry's issue list is read in)."""
    values = [v for v in (sort_value(i, sort) for i in issues) if v is not None]
    return all(a >= b for a, b in itertools.pairwise(values))


def _time_text(value: str, name: str) -> str:
    """An ISO-8601 time as given, refused when it does not parse (before anything is sent)."""
    text = value.strip()
    try:
        datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(f"{name}={value!r} is not an ISO-8601 time, e.g. 2026-06-29T12:30:00Z") from None
    return text
