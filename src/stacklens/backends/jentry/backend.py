"""Jentry REST (`/api/v1`): `{data}` envelope, page pagination, cross-project fan-out, client-side filters.

What Jentry's API cannot filter is either filtered here over a bounded scan (scan.py, and said so in `notes`)
or refused before any request (plan.py). Every path is built from `segment()`-encoded values; upstream JSON is
read leniently (mapping.py).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any, TypeVar

import anyio

from stacklens.backends.base import Progress, no_progress
from stacklens.backends.fanout import gather
from stacklens.backends.jentry import history, release_post
from stacklens.backends.jentry.cursor import (
    CursorState,
    Position,
    Stream,
    decode_cursor,
    encode_cursor,
    merge_streams,
    next_position,
    search_fingerprint,
)
from stacklens.backends.jentry.events import (
    EVENT_WINDOW,
    choose_event,
    in_environment,
    summary_of,
    tag_values,
)
from stacklens.backends.jentry.mapping import (
    _dict,
    _int,
    _no_controls,
    _rows,
    audit_from_jentry,
    issue_from_jentry,
    project_from_jentry,
    release_from_jentry,
    unwrap,
)
from stacklens.backends.jentry.plan import JentryPlan, jentry_plan
from stacklens.backends.jentry.releases import merge_releases
from stacklens.backends.jentry.scan import scan, scan_page_size, search_notes
from stacklens.backends.jentry.writes import outcome, update_body
from stacklens.backends.json import Json
from stacklens.backends.outcomes import failed_or_unconfirmed
from stacklens.backends.per_token import PerToken
from stacklens.backends.project_default import default_source
from stacklens.config import Settings
from stacklens.errors import InvalidInput, NotSupported, StacklensError, UpstreamError
from stacklens.events import Event, normalize_event
from stacklens.http import Reply, Upstream, segment
from stacklens.models import (
    AuditLog,
    Commit,
    DeleteResult,
    Deploy,
    EventList,
    Issue,
    IssueChange,
    IssuePage,
    Project,
    Release,
    ReleaseCreated,
    ReleaseList,
    ReleaseSpec,
    TagValues,
    UpdateOutcome,
    UpdateResult,
)
from stacklens.query import IssueFilter
from stacklens.refs import IssueRef, check_project, check_tag_key

T = TypeVar("T")

# Scopes, exactly as each endpoint's row on Jentry's API page names them.
PROJECT_READ, PROJECT_WRITE = "project:read", "project:write"
ISSUE_READ, ISSUE_WRITE = "issue:read", "issue:write"
EVENT_READ, ORG_READ = "event:read", "org:read"

PROJECT_CACHE_TTL = 60.0  # a missed slug refetches the list at most this often
PROJECT_LIST_MAX_AGE = 300.0  # a server runs for days: projects created or deleted since show up this soon


@dataclass
class _Learned:
    """What this backend learned under one token (see per_token.py)."""

    projects: list[Project] | None = None
    projects_at: float = 0.0
    projects_lock: anyio.Lock = field(default_factory=anyio.Lock)
    labels_refused: bool = False  # the projects list was refused once: get_issue shows ids only


class JentryBackend:
    """The Backend protocol over Jentry's REST API."""

    name = "jentry"

    def __init__(self, settings: Settings, upstream: Upstream) -> None:
        self._settings = settings
        self._up = upstream
        self._learned = PerToken(upstream, _Learned)

    # Every cache belongs to the token of the current request: another user's token never sees it.
    @property
    def _projects(self) -> list[Project] | None:
        return self._learned.get().projects

    @property
    def _projects_at(self) -> float:
        return self._learned.get().projects_at

    @property
    def _projects_lock(self) -> anyio.Lock:
        return self._learned.get().projects_lock

    @property
    def _labels_refused(self) -> bool:
        return self._learned.get().labels_refused

    @_labels_refused.setter
    def _labels_refused(self, value: bool) -> None:
        self._learned.get().labels_refused = value

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
        json_body: Json = None,
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

    # --- projects ---------------------------------------------------------------------------------

    async def _fetch_projects(self) -> list[Project]:
        reply = await self._call("GET", "/projects", scope=PROJECT_READ)
        projects = [p for p in (project_from_jentry(r) for r in _rows(unwrap(reply.data), "projects")) if p]
        learned = self._learned.get()
        learned.projects, learned.projects_at = projects, time.monotonic()
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
        source = default_source(text, self._settings.project)
        raise InvalidInput(
            f"project {text!r}{source} not found; known projects: {known_names or 'none visible to this token'}"
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
        page_size = state.page_size if state else scan_page_size(plan, f.limit)

        projects = [await self._find_project(chosen)] if chosen else await self._project_list()
        streams: list[Stream] = []
        for p in projects:
            if state is not None and p.id in state.done:
                continue
            start = state.positions.get(p.id, Position()) if state else Position()
            streams.append(Stream(project=p, start=start))

        fetched = [0]

        async def tick(s: Stream, page: int) -> None:
            fetched[0] += 1
            await progress(fetched[0], None, f"{s.label}: page {page} scanned, {len(s.hits)} match(es)")

        await gather([partial(scan, s, plan, page_size, f.limit, self._issue_page, tick) for s in streams])
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

        notes = search_notes(plan, streams, projects, stopper, chosen, next_cursor)
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
        reply = (await gather(jobs))[0]
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

        return normalize_event(choose_event(ref, await self._events(ref, EVENT_WINDOW), wanted, environment))

    async def list_issue_events(
        self,
        ref: IssueRef,
        limit: int = 10,
        environment: str | None = None,
        cursor: str | None = None,
        query: str | None = None,
        period: str | None = None,
    ) -> EventList:
        history.check_query(query)  # refused before anything is sent
        if period and period.strip():
            return await history.events_in_period(self, ref, limit, environment, period)
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
            matching = in_environment(rows, environment)
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
        return EventList(issue=str(ref), events=[summary_of(r) for r in rows[:limit]], notes=notes)

    async def list_tag_values(self, ref: IssueRef, key: str, limit: int = 20) -> TagValues:
        key = check_tag_key(key)
        limit = max(1, min(int(limit), 1000))
        return tag_values(ref, key, await self._events(ref, EVENT_WINDOW), limit)

    # --- updates ----------------------------------------------------------------------------------

    async def update_issues(
        self, refs: list[IssueRef], change: IssueChange, progress: Progress = no_progress
    ) -> UpdateResult:
        body = update_body(change, self._settings.user_id)
        if not refs:
            raise InvalidInput("issue is required: one id/URL or a list of them")
        paths = [self._issue_path(ref) for ref in refs]  # every id checked before anything is sent
        done = [0]

        async def one(ref: IssueRef, path: str) -> UpdateOutcome:
            try:
                call = self._call("PATCH", path, json_body=body, scope=ISSUE_WRITE)
                reply = await self._on_issue(ref, call)
            except StacklensError as exc:  # one failure never hides the others' outcome
                result = failed_or_unconfirmed(str(ref), exc)
            else:
                try:
                    result = outcome(str(ref), body, _dict(unwrap(reply.data)))
                except Exception:  # an answer we cannot read: the PATCH was accepted all the same
                    result = UpdateOutcome.unconfirmed(
                        str(ref), "Jentry accepted the change; its answer was unreadable"
                    )
            done[0] += 1
            await progress(done[0], len(refs), f"issue {ref}: {'updated' if result.ok else 'failed'}")
            return result

        outcomes = await gather([partial(one, r, p) for r, p in zip(refs, paths, strict=True)])
        return UpdateResult(outcomes=outcomes)

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

        per_project = await gather([partial(fetch, p) for p in projects])
        if needle:
            per_project = [[r for r in rels if needle in r.version.lower()] for rels in per_project]
        releases = merge_releases(per_project)
        notes: list[str] = []
        if not chosen and len(projects) > 1:
            notes.append(f"merged from {len(projects)} projects, newest first (by first event)")
        if needle and query:
            notes.append(
                f"filtered to versions containing {query.strip()!r} client-side "
                "(Jentry's API has no release search)"
            )
        if len(releases) > limit:
            notes.append(
                f"showing the newest {limit} of {len(releases)} releases (limit applied client-side)"
            )
        return ReleaseList(releases=releases[:limit], notes=notes)

    async def create_release(self, spec: ReleaseSpec) -> ReleaseCreated:
        return await release_post.create_release(self, spec)

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
        if wanted and action:
            kept = [
                e for e in entries if (a := (e.action or "").lower()) == wanted or a.startswith(wanted + ".")
            ]
            notes.append(
                f"filtered to action {action.strip()!r} client-side over the {len(entries)} most recent "
                "entries (Jentry's audit API has no action filter)"
            )
            if not kept:
                seen = sorted({e.action for e in entries if e.action})
                notes.append(
                    f"no entry has action {action.strip()!r}; actions seen: {', '.join(seen) or 'none'}"
                )
            entries = kept
        return AuditLog(entries=entries[:limit], notes=notes)

    # --- history (analysis tools; see history.py) -------------------------------------------------

    async def recent_events(
        self, ref: IssueRef, limit: int = 100, environment: str | None = None
    ) -> list[Event]:
        return await history.recent_events(self, ref, limit, environment)

    async def release_commits(self, version: str, project: str | None = None) -> list[Commit]:
        raise NotSupported(history.NO_COMMITS)

    async def release_deploys(self, version: str, project: str | None = None) -> list[Deploy]:
        raise NotSupported(history.NO_DEPLOYS)

    async def delete_issue(self, ref: IssueRef) -> DeleteResult:
        raise NotSupported(history.NO_DELETE)
