"""Sentry REST (`/api/0`): exact search requests, Link-cursor pages, short ids, grouped bulk updates, regions.

Every path is built from `segment()`-encoded values; nothing from user input ever chooses a host. Upstream
JSON is read leniently (mapping.py): self-hosted and older instances differ; nulls appear anywhere.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import TypeVar

import anyio

from stacklens.backends.base import Progress, no_progress
from stacklens.backends.json import Json
from stacklens.backends.outcomes import failed_or_unconfirmed
from stacklens.backends.per_token import PerToken
from stacklens.backends.project_default import default_source
from stacklens.backends.sentry import bulk, history
from stacklens.backends.sentry.lookalike import Lookalike
from stacklens.backends.sentry.mapping import (
    _dict,
    _rows,
    _str,
    audit_entry,
    event_summary,
    issue_from_sentry,
    project_from_sentry,
    release_from_sentry,
    tag_value_from_sentry,
)
from stacklens.backends.sentry.region import RegionBase
from stacklens.backends.sentry.search import sentry_search
from stacklens.backends.sentry.writes import (
    check_release_spec,
    deploy_body,
    outcome,
    release_body,
    update_body,
)
from stacklens.config import Settings
from stacklens.errors import InvalidInput, UpstreamError
from stacklens.events import Event, normalize_event
from stacklens.http import Reply, Upstream, segment
from stacklens.models import (
    AuditLog,
    Commit,
    DeleteResult,
    Deploy,
    DeployOutcome,
    DeploySpec,
    EventList,
    Issue,
    IssueChange,
    IssuePage,
    Project,
    ReleaseCreated,
    ReleaseList,
    ReleaseSpec,
    TagValues,
    UpdateResult,
)
from stacklens.query import IssueFilter
from stacklens.refs import SLUG, IssueRef, check_project, check_tag_key

T = TypeVar("T")

MAX_PROJECT_PAGES = 10  # 10 × 100 projects: a bound on the projects walk, generous for any real org
PROJECT_CACHE_TTL = 60.0  # a missed slug refetches the list at most this often


@dataclass
class _Learned:
    """What this backend learned under one token (see per_token.py)."""

    region: RegionBase
    projects: list[Project] | None = None
    projects_at: float = 0.0
    projects_lock: anyio.Lock = field(default_factory=anyio.Lock)


async def _raise(exc: Exception) -> Reply:
    """An awaitable that re-raises `exc`, for `_on_issue`'s mapping of an error already caught."""
    raise exc


class SentryBackend:
    """The Backend protocol over Sentry's REST API."""

    name = "sentry"

    def __init__(self, settings: Settings, upstream: Upstream) -> None:
        if not settings.org:
            raise InvalidInput("no Sentry organization: set SENTRY_ORG or pass --org")
        self._settings = settings
        self._up = upstream
        self._org = settings.org
        self._org_seg = segment(settings.org)
        org, url = settings.org, settings.url
        self._lookalike = Lookalike(upstream, settings.url)
        self._learned = PerToken(upstream, lambda: _Learned(region=RegionBase(upstream, url, org)))

    async def aclose(self) -> None:
        return None  # the Upstream belongs to the server, which closes it

    # --- plumbing ---------------------------------------------------------------------------------

    async def _request(
        self, method: str, path: str, *, scope: str, params: Json = None, json_body: Json = None
    ) -> Reply:
        base = await self._learned.get().region.get()
        try:
            return await self._up.request(
                method, path, params=params, json_body=json_body, scope=scope, base_url=base
            )
        except UpstreamError as exc:
            await self._lookalike.explain(exc)  # a GlitchTip server says so, instead of a misleading error
            raise

    def _issue_path(self, ref: IssueRef | str) -> str:
        return f"/organizations/{self._org_seg}/issues/{segment(str(ref))}/"

    async def _org_request(
        self, method: str, route: str, *, scope: str, params: Json = None, json_body: Json = None
    ) -> Reply:
        """A request to `/organizations/{org}/{route}` (projects, issue search, releases, audit log): a 404
        there means the organization itself is unknown to this token, so say which setting to check."""
        path = f"/organizations/{self._org_seg}/{route}"
        try:
            return await self._request(method, path, scope=scope, params=params, json_body=json_body)
        except UpstreamError as exc:
            if not exc.not_found:
                raise
            d = self._settings.descriptor  # GlitchTip reuses this backend: name its variables, not Sentry's
            where = (
                "https://<slug>.sentry.io or …/organizations/<slug>/" if d.name == "sentry" else "…/<slug>/"
            )
            raise UpstreamError(
                f"organization {self._org!r} not found (404), or this token cannot see it. Check "
                f"{' / '.join(d.org_vars) or '--org'}: it is the organization slug from your {d.label} URL "
                f"({where}), and the token must belong to that organization.",
                404,
            ) from None

    async def _on_issue(self, ref: IssueRef | str, call: Awaitable[T], what: str | None = None) -> T:
        """Run an issue-route call; a 404 names the issue (and what else may be missing) and the org."""
        try:
            return await call
        except UpstreamError as exc:
            if not exc.not_found:
                raise
            extra = f", or {what}" if what else ""
            raise UpstreamError(
                f"issue {ref} not found in organization {self._org}{extra} (404). Check the id or short id: "
                "it must belong to this organization (search_issues lists them).",
                404,
            ) from None

    # --- projects ---------------------------------------------------------------------------------

    async def _fetch_projects(self) -> list[Project]:
        projects: dict[str, Project] = {}
        cursor: str | None = None
        seen: set[str] = set()
        for _ in range(MAX_PROJECT_PAGES):
            params: list[tuple[str, str]] = [("per_page", "100")]
            if cursor:
                params.append(("cursor", cursor))
            reply = await self._org_request("GET", "projects/", params=params, scope="org:read")
            for p in (project_from_sentry(r) for r in _rows(reply.data, "projects")):
                if p:
                    projects.setdefault(p.id, p)  # a page served twice adds nothing
            cursor = reply.next_cursor
            if not cursor or cursor in seen:  # a Link that never ends (or loops) stops here
                break
            seen.add(cursor)
        found = list(projects.values())
        learned = self._learned.get()
        learned.projects, learned.projects_at = found, time.monotonic()
        return found

    async def _project_list(self, refresh: bool = False) -> list[Project]:
        learned = self._learned.get()
        async with learned.projects_lock:
            stale = time.monotonic() - learned.projects_at > PROJECT_CACHE_TTL
            if learned.projects is None or (refresh and stale):
                return await self._fetch_projects()
            return learned.projects

    async def _find_project(self, value: str) -> Project:
        """A slug, numeric id or name → the project (from the cached list; one refetch when it may be new)."""
        text = check_project(value)
        for attempt in range(2):
            projects = await self._project_list(refresh=attempt == 1)
            for p in projects:
                if p.id == text or (p.slug or "").lower() == text.lower():
                    return p
            by_name = [p for p in projects if (p.name or "").lower() == text.lower()]
            if len(by_name) == 1:
                return by_name[0]
        seen = self._learned.get().projects or []
        known = ", ".join(p.slug or p.id for p in seen[:20]) or "none visible to this token"
        source = default_source(text, self._settings.project)
        raise InvalidInput(
            f"project {text!r}{source} not found in organization {self._org}; known projects: {known}"
        )

    async def _project_id(self, value: str) -> str:
        """Numeric ids are used as is (no request); slugs and names resolve through the cached projects list
        (`_find_project` validates them)."""
        text = value.strip()
        if text.isascii() and text.isdigit():
            return text
        return (await self._find_project(text)).id

    def _default_project(self, given: str | None) -> str | None:
        return given or self._settings.project or None

    async def list_projects(self) -> list[Project]:
        async with self._learned.get().projects_lock:
            return list(await self._fetch_projects())

    # --- issues -----------------------------------------------------------------------------------

    async def search_issues(self, f: IssueFilter, progress: Progress = no_progress) -> IssuePage:
        project = self._default_project(f.project)
        ids = [await self._project_id(project)] if project else []
        search = sentry_search(f, ids)
        reply = await self._org_request("GET", "issues/", params=search.params, scope="event:read")
        issues = [i for i in (issue_from_sentry(r) for r in _rows(reply.data, "issue search")) if i]
        # The query as sent, then the request parameters that also narrowed it (not part of the syntax).
        extras = [f"environment={e}" for e in f.environments]
        if project:
            extras.append(f"project={project}" + (f" (id {ids[0]})" if project != ids[0] else ""))
        # An empty query (status="all", no filters) is shown as "" rather than as an empty code span.
        shown = " · ".join([search.query or '""', *extras])
        notes = (
            [f"read {' '.join(f.query_syntax)} in query as Sentry search tokens, not as text"]
            if f.query_syntax
            else []
        )
        return IssuePage(issues=issues, query=shown, next_cursor=reply.next_cursor, notes=notes)

    async def get_issue(self, ref: IssueRef) -> Issue:
        # One request: the detail route takes numeric and short ids alike.
        reply = await self._on_issue(ref, self._request("GET", self._issue_path(ref), scope="event:read"))
        issue = issue_from_sentry(_dict(reply.data))
        if issue is None:
            raise UpstreamError(
                f"Sentry answered issue {ref} without an id; is SENTRY_URL a Sentry instance?"
            )
        # A merged-away issue answers 200 with the issue it was merged into: say so, or the model is puzzled.
        asked = issue.id if ref.kind == "id" else (issue.short_id or "").upper()
        if asked and asked != ref.value:
            issue = issue.model_copy(update={"merged_from": ref.value})
        return issue

    async def get_event(self, ref: IssueRef, event_id: str, environment: str | None = None) -> Event:
        params = [("environment", environment)] if environment else None
        path = self._issue_path(ref) + f"events/{segment(event_id)}/"
        what = "it has no event matching that environment" if environment else f"its event {event_id}"
        try:
            reply = await self._request("GET", path, params=params, scope="event:read")
        except UpstreamError as exc:
            if not (exc.not_found and environment):
                reply = await self._on_issue(ref, _raise(exc), what)
            else:
                await self._tag_keys(ref)  # the issue missing is "issue not found", not an environment miss
                seen = await self._environments(ref)
                raise UpstreamError(
                    f"issue {ref} has no event {'' if event_id == 'latest' else event_id + ' '}in environment "
                    f"{environment!r}; environments seen: {', '.join(seen) or 'none'}",
                    404,
                ) from None
        if not isinstance(reply.data, dict):
            raise UpstreamError(f"Sentry answered event {event_id} of issue {ref} with an unexpected shape.")
        return normalize_event(reply.data)

    async def list_issue_events(
        self,
        ref: IssueRef,
        limit: int = 10,
        environment: str | None = None,
        cursor: str | None = None,
        query: str | None = None,
        period: str | None = None,
    ) -> EventList:
        limit = max(1, min(int(limit), 100))
        params: list[tuple[str, str]] = [("per_page", str(limit))]
        if environment:
            params.append(("environment", environment))
        params += history.event_search_params(query, period)
        if cursor:
            params.append(("cursor", cursor))
        call = self._request("GET", self._issue_path(ref) + "events/", params=params, scope="event:read")
        reply = await self._on_issue(ref, call)
        events = [e for e in (event_summary(r) for r in _rows(reply.data, "events")) if e][:limit]
        return EventList(issue=str(ref), events=events, next_cursor=reply.next_cursor)

    async def list_tag_values(self, ref: IssueRef, key: str, limit: int = 20) -> TagValues:
        key = check_tag_key(key)
        limit = max(1, min(int(limit), 1000))
        path = self._issue_path(ref) + f"tags/{segment(key)}/values/"
        # Sentry knows sort=count|date|age (each newest/most first); any other value, "-count" included,
        # silently falls back to "-id", which would make the first page the newest values, not the most common.
        try:
            reply = await self._request("GET", path, params=[("sort", "count")], scope="event:read")
        except UpstreamError as exc:
            if not exc.not_found:
                raise
            # Which of the two is missing, the issue or its tag: the issue's tag keys say (one request).
            keys = await self._tag_keys(ref)
            raise InvalidInput(
                f"issue {ref} has no tag {key!r}; its tag keys: {', '.join(keys) or 'none'}"
            ) from None
        values = [tag_value_from_sentry(r) for r in _rows(reply.data, "tag values")]
        values.sort(key=lambda v: v.count or 0, reverse=True)
        notes: list[str] = []
        total = None
        if reply.next_cursor:
            notes.append("the tag has more values than one page; counts shown are the top ones")
        else:
            total = sum(v.count or 0 for v in values)  # every value is on this page: the sum is the total
        if len(values) > limit:
            notes.append(f"{len(values) - limit} less frequent value(s) not shown")
        return TagValues(issue=str(ref), key=key, values=values[:limit], total=total, notes=notes)

    async def _tag_keys(self, ref: IssueRef) -> list[str]:
        """The issue's tag keys (`GET …/issues/{id}/tags/`); a 404 there means the issue itself is missing."""
        call = self._request("GET", self._issue_path(ref) + "tags/", scope="event:read")
        reply = await self._on_issue(ref, call)
        return sorted({k for k in (_str(_dict(r).get("key")) for r in _rows(reply.data, "tags")) if k})

    async def _environments(self, ref: IssueRef) -> list[str]:
        """The environments the issue's events were seen in (its `environment` tag), best effort."""
        path = self._issue_path(ref) + "tags/environment/values/"
        try:
            reply = await self._request("GET", path, params=[("sort", "count")], scope="event:read")
        except UpstreamError:
            return []
        return [v for v in (tag_value_from_sentry(r).value for r in _rows(reply.data, "tag values")) if v]

    # --- updates ----------------------------------------------------------------------------------

    async def update_issues(
        self, refs: list[IssueRef], change: IssueChange, progress: Progress = no_progress
    ) -> UpdateResult:
        body = update_body(change)
        if not refs:
            raise InvalidInput("issue is required: one id/short id/URL or a list of them")
        if len(refs) == 1:
            ref = refs[0]
            await progress(0, 1, f"updating issue {ref}")
            try:
                call = self._request("PUT", self._issue_path(ref), json_body=body, scope="event:write")
                reply = await self._on_issue(ref, call)
            except UpstreamError as exc:
                return UpdateResult(outcomes=[failed_or_unconfirmed(str(ref), exc)])
            await progress(1, 1, f"issue {ref} updated")
            return UpdateResult(outcomes=[outcome(str(ref), change, _dict(reply.data))])
        return await bulk.bulk_update(self, refs, change, body, progress)

    # --- releases ---------------------------------------------------------------------------------

    async def list_releases(
        self, project: str | None = None, query: str | None = None, limit: int = 25, cursor: str | None = None
    ) -> ReleaseList:
        limit = max(1, min(int(limit), 100))
        project = self._default_project(project)
        project_id = await self._project_id(project) if project else None
        params: list[tuple[str, str]] = []
        if project_id:
            params.append(("project", project_id))
        if query:
            params.append(("query", query))
        params += [("per_page", str(limit)), ("health", "1")]
        if cursor:
            params.append(("cursor", cursor))
        reply = await self._org_request("GET", "releases/", params=params, scope="project:read")
        releases = [
            r for r in (release_from_sentry(x, project_id) for x in _rows(reply.data, "releases")) if r
        ]
        return ReleaseList(releases=releases[:limit], next_cursor=reply.next_cursor)

    async def create_release(self, spec: ReleaseSpec) -> ReleaseCreated:
        project = self._default_project(spec.project)
        if not project:
            raise InvalidInput(
                "create_release needs a project: pass project=<slug or id>, or set SENTRY_PROJECT"
            )
        version = spec.version.strip()
        version_seg = segment(version)  # refuses ".", "..", control characters before anything is sent
        check_release_spec(spec)  # dates, deploy environments, commit shas: before anything is sent
        slug = check_project(project)
        if not SLUG.fullmatch(slug) or slug.isdigit():  # Sentry takes slugs here: resolve an id or a name
            slug = (await self._find_project(slug)).slug or slug
        body, notes = release_body(spec, version, slug)
        reply = await self._org_request("POST", "releases/", json_body=body, scope="project:write")
        data = _dict(reply.data)
        existed = reply.status == 208
        if existed:
            # Say only what this call did to the existing release: commits are replaced only when sent.
            did = [
                *(["its commits were replaced by the ones sent"] if spec.commits else []),
                *(["the deploys below were added to it"] if spec.deploys else []),
            ]
            did = did or ["nothing was changed (no commits or deploys sent)"]
            notes.append("the release already existed (208): " + " and ".join(did))
        confirmed = _str(data.get("version")) == version
        if not confirmed:
            notes.append("Sentry accepted the release but its answer does not show it: sent, not confirmed")
        commit_count = data.get("commitCount")
        if spec.commits and commit_count is None:
            notes.append(f"{len(spec.commits)} commit(s) sent; the answer does not say how many were stored")
        result = ReleaseCreated(
            version=version,
            project=slug,
            confirmed=confirmed,
            already_existed=existed,
            commits=commit_count,
            notes=notes,
        )
        for deploy in spec.deploys:
            result.deploys.append(await self._deploy(version_seg, deploy.environment, deploy))
        return result

    async def _deploy(self, version_seg: str, environment: str, deploy: DeploySpec) -> DeployOutcome:
        body = deploy_body(environment, deploy)
        path = f"/organizations/{self._org_seg}/releases/{version_seg}/deploys/"
        try:
            reply = await self._request("POST", path, json_body=body, scope="project:write")
        except UpstreamError as exc:
            return DeployOutcome(environment=environment, ok=False, error=str(exc))
        ident = _str(_dict(reply.data).get("id"))
        if ident is None:  # accepted, yet nothing in the answer shows a deploy was stored
            return DeployOutcome(
                environment=environment, ok=True, confirmed=False, error="sent, not confirmed"
            )
        return DeployOutcome(environment=environment, ok=True, id=ident)

    # --- audit ------------------------------------------------------------------------------------

    async def read_audit(
        self, limit: int = 50, action: str | None = None, cursor: str | None = None
    ) -> AuditLog:
        limit = max(1, min(int(limit), 100))
        params: list[tuple[str, str]] = []
        if action:
            params.append(("event", action))
        params.append(("per_page", str(limit)))
        if cursor:
            params.append(("cursor", cursor))
        # Sentry guards the audit log with org:write (an admin/manager token), not org:read.
        reply = await self._org_request("GET", "audit-logs/", params=params, scope="org:write")
        data = reply.data
        rows = _rows(data.get("rows") if isinstance(data, dict) else data, "audit log")
        notes: list[str] = []
        options = data.get("options") if isinstance(data, dict) else None
        if action and not rows:
            # Sentry lists the actions it knows beside the rows: name them, an unknown one matches nothing.
            known = sorted({o for o in options if isinstance(o, str)}) if isinstance(options, list) else []
            if known and action not in known:
                raise InvalidInput(f"unknown audit action {action!r}; Sentry's actions: {', '.join(known)}")
            notes.append(f"no entry has action {action!r}")
        entries = [audit_entry(r) for r in rows][:limit]
        return AuditLog(entries=entries, next_cursor=reply.next_cursor, notes=notes)

    # --- history (analysis tools; the requests live in history.py) --------------------------------

    async def recent_events(
        self, ref: IssueRef, limit: int = 100, environment: str | None = None
    ) -> list[Event]:
        return await history.recent_events(self, ref, limit, environment)

    async def release_commits(self, version: str, project: str | None = None) -> list[Commit]:
        return await history.release_commits(self, version)

    async def release_deploys(self, version: str, project: str | None = None) -> list[Deploy]:
        return await history.release_deploys(self, version)

    async def delete_issue(self, ref: IssueRef) -> DeleteResult:
        return await history.delete_issue(self, ref)
