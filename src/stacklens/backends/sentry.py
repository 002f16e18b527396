"""Sentry REST (`/api/0`): exact search requests, Link-cursor pages, short ids, grouped bulk updates, regions.

Every path is built from `segment()`-encoded values; nothing from user input ever chooses a host. Upstream
JSON is read leniently (self-hosted and older instances differ; nulls appear anywhere).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import urlsplit

import anyio

from stacklens.backends.base import Progress, no_progress
from stacklens.config import Settings
from stacklens.errors import InvalidInput, NotTheApi, UpstreamError
from stacklens.events import Event, normalize_event
from stacklens.http import Reply, Upstream, segment
from stacklens.models import (
    AuditEntry,
    AuditLog,
    DeployOutcome,
    DeploySpec,
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
    UpdateOutcome,
    UpdateResult,
)
from stacklens.query import IssueFilter, sentry_search
from stacklens.refs import SLUG, IssueRef, check_project, check_tag_key

log = logging.getLogger("stacklens.sentry")

T = TypeVar("T")

MAX_PROJECT_PAGES = 10  # 10 × 100 projects: a bound on the projects walk, generous for any real org
PROJECT_CACHE_TTL = 60.0  # a missed slug refetches the list at most this often
LOOKUP_CONCURRENCY = 8
STATUS_BODY = {"resolved_in_next_release": "resolvedInNextRelease"}
UPDATE_STATUSES = ("resolved", "resolved_in_next_release", "unresolved", "ignored")


# --- lenient JSON readers -------------------------------------------------------------------------------


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _str(value: Any) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str | int | float):
        text = str(value)
        return text or None
    return None


def _rows(data: Any, what: str) -> list[dict[str, Any]]:
    """A JSON list of objects (nulls and non-objects skipped); anything else is a clean error."""
    if data is None:
        return []
    if not isinstance(data, list):
        raise UpstreamError(f"Sentry answered the {what} request with an unexpected shape (not a list).")
    return [row for row in data if isinstance(row, dict)]


def _version(value: Any) -> str | None:
    """firstRelease/lastRelease/release: an object with `version`, or a bare version string."""
    if isinstance(value, dict):
        return _str(value.get("version")) or _str(value.get("shortVersion"))
    return _str(value)


def assignee_text(value: Any) -> str | None:
    """assignedTo {type, id, name, email} → "name <email>" for a user, "#team" for a team."""
    if isinstance(value, str):
        return value or None
    if not isinstance(value, dict):
        return None
    name, email, ident = _str(value.get("name")), _str(value.get("email")), _str(value.get("id"))
    if value.get("type") == "team":
        slug = _str(value.get("slug")) or name
        return f"#{slug}" if slug else (f"team:{ident}" if ident else None)
    if name and email and name != email:
        return f"{name} <{email}>"
    return name or email or (f"user:{ident}" if ident else None)


def _metadata_title(metadata: dict[str, Any]) -> str | None:
    """A title from `metadata` when `title` is absent (older/self-hosted serializers): its `title`, else the
    error's `type: value` as Sentry itself composes it, else whichever of the two exists."""
    title = _str(metadata.get("title"))
    if title:
        return title
    kind, value = _str(metadata.get("type")), _str(metadata.get("value"))
    if kind and value:
        return f"{kind}: {value}"
    return kind or value


def issue_from_sentry(raw: dict[str, Any]) -> Issue | None:
    """A Sentry issue object (list item or detail) → Issue; None when it has no id."""
    ident = _str(raw.get("id"))
    if not ident:
        return None
    project = _dict(raw.get("project"))
    return Issue(
        id=ident,
        short_id=raw.get("shortId"),
        title=_str(raw.get("title")) or _metadata_title(_dict(raw.get("metadata"))),
        culprit=raw.get("culprit"),
        level=raw.get("level"),
        status=raw.get("status"),
        substatus=raw.get("substatus"),
        count=raw.get("count"),
        user_count=raw.get("userCount"),
        first_seen=raw.get("firstSeen"),
        last_seen=raw.get("lastSeen"),
        first_release=_version(raw.get("firstRelease")),
        last_release=_version(raw.get("lastRelease")),
        assignee=assignee_text(raw.get("assignedTo")),
        project=_str(project.get("slug")) or _str(project.get("name")),
        project_id=_str(project.get("id")),
        permalink=raw.get("permalink"),
        type=raw.get("issueType") or raw.get("type"),
    )


def _tags(raw: dict[str, Any]) -> dict[str, str]:
    """Event tags `[{key, value}]` (or `[[k, v]]`, or a dict) → dict; null keys skipped."""
    tags = raw.get("tags")
    out: dict[str, str] = {}
    if isinstance(tags, dict):
        items = list(tags.items())
    elif isinstance(tags, list):
        items = []
        for tag in tags:
            if isinstance(tag, dict):
                items.append((tag.get("key"), tag.get("value")))
            elif isinstance(tag, list | tuple) and len(tag) == 2:
                items.append((tag[0], tag[1]))
    else:
        items = []
    for key, value in items:
        k, v = _str(key), _str(value)
        if k and v is not None:
            out.setdefault(k, v)
    return out


def event_summary(raw: dict[str, Any]) -> EventSummary | None:
    """One row of `GET …/issues/{id}/events/` → EventSummary (user as its id only, never email or IP)."""
    ident = _str(raw.get("eventID")) or _str(raw.get("id"))
    if not ident:
        return None
    tags = _tags(raw)
    user_id = _str(_dict(raw.get("user")).get("id"))
    if not user_id and tags.get("user", "").startswith("id:"):
        user_id = tags["user"][3:]
    return EventSummary(
        id=ident,
        time=raw.get("dateCreated") or raw.get("timestamp"),
        release=_version(raw.get("release")) or tags.get("release"),
        environment=_str(raw.get("environment")) or tags.get("environment"),
        user_id=user_id,
        message=_str(raw.get("message")) or _str(raw.get("title")),
    )


def release_from_sentry(raw: dict[str, Any], project_id: str | None = None) -> Release | None:
    version = _str(raw.get("version"))
    if not version:
        return None
    projects = [p for p in raw.get("projects") or [] if isinstance(p, dict)]
    health = None
    # Health is per project: the filtered project's figures, else the first project that has any.
    candidates = [p for p in projects if project_id and _str(p.get("id")) == project_id] or projects
    for p in candidates:
        data = _dict(p.get("healthData"))
        figures = {
            "crash_free_sessions": data.get("crashFreeSessions"),
            "crash_free_users": data.get("crashFreeUsers"),
            "adoption": data.get("adoption")
            if data.get("adoption") is not None
            else data.get("sessionsAdoption"),
            "sessions": data.get("totalSessions"),
        }
        clean = {k: v for k, v in figures.items() if isinstance(v, int | float) and not isinstance(v, bool)}
        if clean:
            health = ReleaseHealth(**clean)
            break
    last_deploy = _dict(raw.get("lastDeploy"))
    return Release(
        version=version,
        created=raw.get("dateCreated"),
        released=raw.get("dateReleased"),
        first_event=raw.get("firstEvent"),
        last_event=raw.get("lastEvent"),
        new_issues=raw.get("newGroups"),
        projects=[s for s in (_str(p.get("slug")) for p in projects) if s],
        commit_count=raw.get("commitCount"),
        deploy_count=raw.get("deployCount"),
        last_deploy=_str(last_deploy.get("environment")),
        health=health,
    )


def audit_entry(raw: dict[str, Any]) -> AuditEntry:
    actor = _dict(raw.get("actor"))
    name, email = _str(actor.get("name")), _str(actor.get("email"))
    who = f"{name} <{email}>" if name and email and name != email else (name or email)
    target = _str(raw.get("targetObject"))
    target_user = _dict(raw.get("targetUser"))
    target_name = _str(target_user.get("name")) or _str(target_user.get("email"))
    if target_name:
        target = f"{target} ({target_name})" if target else target_name
    return AuditEntry(
        id=_str(raw.get("id")),
        action=_str(raw.get("event")),
        actor=who,
        target=target,
        time=raw.get("dateCreated"),
        ip_address=_str(raw.get("ipAddress")),
        note=_str(raw.get("note")),
    )


def region_api_base(region_url: Any) -> str | None:
    """`links.regionUrl` → its API root, only for an https URL on sentry.io (never a host from elsewhere)."""
    if not isinstance(region_url, str) or any(c.isspace() or ord(c) < 32 for c in region_url):
        return None
    parts = urlsplit(region_url.strip())
    host = parts.hostname or ""
    if parts.scheme != "https" or not (host == "sentry.io" or host.endswith(".sentry.io")):
        return None
    if parts.username or parts.password or parts.query or parts.fragment or parts.path not in ("", "/"):
        return None
    try:
        if parts.port not in (None, 443):
            return None
    except ValueError:
        return None
    return f"https://{host}/api/0"


def is_sentry_saas(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    return host == "sentry.io" or host.endswith(".sentry.io")


def _confirmed_status(data: dict[str, Any]) -> str | None:
    status = _str(data.get("status"))
    details = _dict(data.get("statusDetails"))
    if status == "resolvedInNextRelease" or (status == "resolved" and details.get("inNextRelease")):
        return "resolved_in_next_release"
    return status


def _bool(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _outcome(issue: str, change: IssueChange, data: dict[str, Any]) -> UpdateOutcome:
    """What the upstream confirmed for the fields asked; a contradiction is a failure, not a success."""
    out = UpdateOutcome(issue=issue, ok=True)
    problems: list[str] = []
    wanted_status = change.status or ("ignored" if change.ignore_minutes or change.ignore_count else None)
    if wanted_status:
        out.status = _confirmed_status(data)
        accepted = {wanted_status} | ({"resolved"} if wanted_status == "resolved_in_next_release" else set())
        if out.status is not None and out.status not in accepted:
            problems.append(f"Sentry reports status {out.status}, not {wanted_status}")
    if change.assignee is not None and "assignedTo" in data:
        out.assignee = assignee_text(data.get("assignedTo")) or "none"
        if change.assignee.lower() == "none" and out.assignee != "none":
            problems.append(f"still assigned to {out.assignee}")
        elif change.assignee.lower() != "none" and out.assignee == "none":
            problems.append("Sentry left the issue unassigned")
    if change.bookmarked is not None:
        out.bookmarked = _bool(data.get("isBookmarked"))
        if out.bookmarked is not None and out.bookmarked != change.bookmarked:
            problems.append(f"bookmark is {out.bookmarked}")
    if change.seen is not None:
        out.seen = _bool(data.get("hasSeen"))
        if out.seen is not None and out.seen != change.seen:
            problems.append(f"seen is {out.seen}")
    if problems:
        out.ok = False
        out.error = "; ".join(problems)
    return out


def update_body(change: IssueChange) -> dict[str, Any]:
    """IssueChange → Sentry's PUT body (status, statusDetails, assignedTo, isBookmarked, hasSeen)."""
    body: dict[str, Any] = {}
    status = change.status
    if status is not None and status not in UPDATE_STATUSES:
        raise InvalidInput(f"status={status!r} is not valid; use one of: {', '.join(UPDATE_STATUSES)}")
    ignoring = change.ignore_minutes is not None or change.ignore_count is not None
    if ignoring:
        if status not in (None, "ignored"):
            raise InvalidInput("ignore_minutes/ignore_count go with status='ignored' (or no status)")
        status = "ignored"
        details: dict[str, int] = {}
        for name, key, value in (
            ("ignore_minutes", "ignoreDuration", change.ignore_minutes),
            ("ignore_count", "ignoreCount", change.ignore_count),
        ):
            if value is not None:
                if isinstance(value, bool) or value < 1:
                    raise InvalidInput(f"{name} must be a positive integer")
                details[key] = value
        body["statusDetails"] = details
    if status is not None:
        body["status"] = STATUS_BODY.get(status, status)
    if change.assignee is not None:
        who = change.assignee.strip()
        if not who or any(ord(c) < 32 or c == "\x7f" for c in who):
            raise InvalidInput("assignee: a username, email, user:ID or team:ID; 'none' unassigns")
        body["assignedTo"] = "" if who.lower() == "none" else who
    if change.bookmarked is not None:
        body["isBookmarked"] = change.bookmarked
    if change.seen is not None:
        body["hasSeen"] = change.seen
    if not body:
        raise InvalidInput(
            "nothing to change: pass status, assignee, ignore_minutes/ignore_count, bookmarked or seen"
        )
    return body


def _iso_time(value: str, name: str) -> None:
    try:
        datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(
            f"{name}={value[:60]!r} is not an ISO-8601 time, e.g. 2026-06-29T12:30:00Z"
        ) from None


def _check_release_spec(spec: ReleaseSpec) -> None:
    """What Sentry would refuse with a 400 half-way (after the release exists), refused up front."""
    if spec.date_released:
        _iso_time(spec.date_released, "date_released")
    for c in spec.commits:
        if not c.sha.strip():
            raise InvalidInput("every commit needs a sha")
    for d in spec.deploys:
        env = d.environment.strip()
        if not env or any(ord(ch) < 32 or ch == "\x7f" for ch in env):
            raise InvalidInput("every deploy needs an environment name, e.g. production")
        if d.deployed_at:
            _iso_time(d.deployed_at, "deployed_at")


# --- the backend ----------------------------------------------------------------------------------------


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
        self._region_checked = not is_sentry_saas(settings.url)
        self._region_base: str | None = None
        self._region_lock = anyio.Lock()
        self._projects: list[Project] | None = None
        self._projects_at = 0.0
        self._projects_lock = anyio.Lock()

    async def aclose(self) -> None:
        return None  # the Upstream belongs to the server, which closes it

    # --- plumbing ---------------------------------------------------------------------------------

    async def _base(self) -> str | None:
        """The org's API base: its region on sentry.io (read once, lazily), else the instance URL (None)."""
        if self._region_checked:
            return self._region_base
        async with self._region_lock:
            if self._region_checked:
                return self._region_base
            try:
                reply = await self._up.request("GET", f"/organizations/{self._org_seg}/", scope="org:read")
            except UpstreamError as exc:
                # Transient or auth failures are not remembered; a 403/404 shows again on the real call.
                if exc.status is None or exc.status in (401, 429) or exc.status >= 500:
                    raise
                self._region_checked = True
                return None
            raw = _dict(_dict(reply.data).get("links")).get("regionUrl")
            self._region_base = region_api_base(raw)
            if raw and self._region_base is None:
                log.warning("ignoring an unexpected regionUrl for organization %s", self._org)
            self._region_checked = True
            return self._region_base

    async def _request(
        self, method: str, path: str, *, scope: str, params: Any = None, json_body: Any = None
    ) -> Reply:
        base = await self._base()
        return await self._up.request(
            method, path, params=params, json_body=json_body, scope=scope, base_url=base
        )

    def _issue_path(self, ref: IssueRef | str) -> str:
        return f"/organizations/{self._org_seg}/issues/{segment(str(ref))}/"

    async def _org_request(
        self, method: str, route: str, *, scope: str, params: Any = None, json_body: Any = None
    ) -> Reply:
        """A request to `/organizations/{org}/{route}` (projects, issue search, releases, audit log): a 404
        there means the organization itself is unknown to this token, so say which setting to check."""
        path = f"/organizations/{self._org_seg}/{route}"
        try:
            return await self._request(method, path, scope=scope, params=params, json_body=json_body)
        except UpstreamError as exc:
            if not exc.not_found:
                raise
            raise UpstreamError(
                f"organization {self._org!r} not found (404), or this token cannot see it. Check SENTRY_ORG: "
                "it is the organization slug from your Sentry URL (https://<slug>.sentry.io or "
                "…/organizations/<slug>/), and the token must belong to that organization.",
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
        projects: list[Project] = []
        cursor: str | None = None
        for _ in range(MAX_PROJECT_PAGES):
            params: list[tuple[str, str]] = [("per_page", "100")]
            if cursor:
                params.append(("cursor", cursor))
            reply = await self._org_request("GET", "projects/", params=params, scope="org:read")
            for row in _rows(reply.data, "projects"):
                ident = _str(row.get("id"))
                if ident:
                    projects.append(
                        Project(
                            id=ident, slug=row.get("slug"), name=row.get("name"), platform=row.get("platform")
                        )
                    )
            cursor = reply.next_cursor
            if not cursor:
                break
        self._projects, self._projects_at = projects, time.monotonic()
        return projects

    async def _project_list(self, refresh: bool = False) -> list[Project]:
        async with self._projects_lock:
            stale = time.monotonic() - self._projects_at > PROJECT_CACHE_TTL
            if self._projects is None or (refresh and stale):
                return await self._fetch_projects()
            return self._projects

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
        known = ", ".join(p.slug or p.id for p in (self._projects or [])[:20]) or "none visible to this token"
        raise InvalidInput(f"project {text!r} not found in organization {self._org}; known projects: {known}")

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
        async with self._projects_lock:
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
        return IssuePage(issues=issues, query=shown, next_cursor=reply.next_cursor)

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
        reply = await self._on_issue(ref, self._request("GET", path, params=params, scope="event:read"), what)
        if not isinstance(reply.data, dict):
            raise UpstreamError(f"Sentry answered event {event_id} of issue {ref} with an unexpected shape.")
        return normalize_event(reply.data)

    async def list_issue_events(
        self, ref: IssueRef, limit: int = 10, environment: str | None = None, cursor: str | None = None
    ) -> EventList:
        limit = max(1, min(int(limit), 100))
        params: list[tuple[str, str]] = [("per_page", str(limit))]
        if environment:
            params.append(("environment", environment))
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
        call = self._request("GET", path, params=[("sort", "count")], scope="event:read")
        reply = await self._on_issue(ref, call, f"the issue has no tag {key!r}")
        rows = _rows(reply.data, "tag values")
        values = [
            TagValue(
                value=_str(r.get("value")) if r.get("value") is not None else _str(r.get("name")),
                count=r.get("count"),
                first_seen=r.get("firstSeen"),
                last_seen=r.get("lastSeen"),
            )
            for r in rows
        ]
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
                return UpdateResult(outcomes=[UpdateOutcome(issue=str(ref), ok=False, error=str(exc))])
            await progress(1, 1, f"issue {ref} updated")
            return UpdateResult(outcomes=[_outcome(str(ref), change, _dict(reply.data))])
        return await self._bulk_update(refs, change, body, progress)

    async def _locate(self, refs: list[IssueRef]) -> dict[str, tuple[str, str] | str]:
        """Each ref → (numeric id, project slug-or-id), or an error text.

        The cheapest correct way to learn the projects: ONE org issue search `issue.id:[…]` (what Sentry's
        own UI sends to load a set of issues) for all numeric ids, no status filter, all projects
        (`project=-1`). Short ids need their numeric id anyway (the bulk route takes numeric ids only), so
        each costs one detail GET, which also gives its project. Ids the search did not return (outside a
        default time range, an instance without `issue.id`) fall back to a detail GET each, so the result
        stays correct either way.
        """
        found: dict[str, tuple[str, str] | str] = {}
        numeric = [r.value for r in refs if r.kind == "id"]
        for start in range(0, len(numeric), 100):
            chunk = numeric[start : start + 100]
            params = [
                ("query", f"issue.id:[{', '.join(chunk)}]"),
                ("project", "-1"),
                ("limit", str(len(chunk))),
            ]
            try:
                reply = await self._request(
                    "GET", f"/organizations/{self._org_seg}/issues/", params=params, scope="event:read"
                )
                rows = _rows(reply.data, "issue search")
            except UpstreamError as exc:
                if exc.status in (None, 401, 429) or (exc.status or 0) >= 500 or isinstance(exc, NotTheApi):
                    raise
                rows = []  # e.g. a 400 from an instance that lacks `issue.id`: detail GETs below
            for row in rows:
                issue = issue_from_sentry(row)
                where = issue and (issue.project or issue.project_id)
                if issue and where and issue.id in chunk:
                    found[issue.id] = (issue.id, where)
        missing = [r for r in refs if r.value not in found]
        limiter = anyio.CapacityLimiter(LOOKUP_CONCURRENCY)

        async def detail(ref: IssueRef) -> None:
            async with limiter:
                try:
                    issue = await self.get_issue(ref)
                except UpstreamError as exc:
                    found[ref.value] = str(exc)
                    return
            where = issue.project or issue.project_id
            found[ref.value] = (
                (issue.id, where) if where else f"Sentry did not say which project issue {ref} is in"
            )

        async with anyio.create_task_group() as tg:
            for ref in missing:
                tg.start_soon(detail, ref)
        return found

    async def _bulk_update(
        self, refs: list[IssueRef], change: IssueChange, body: dict[str, Any], progress: Progress
    ) -> UpdateResult:
        located = await self._locate(refs)
        outcomes: dict[str, UpdateOutcome] = {}
        groups: dict[str, list[tuple[str, str]]] = {}  # project → [(ref value, numeric id)]
        for ref in refs:
            where = located.get(ref.value, f"issue {ref} could not be located")
            if isinstance(where, str):
                outcomes[ref.value] = UpdateOutcome(issue=ref.value, ok=False, error=where)
            else:
                groups.setdefault(where[1], []).append((ref.value, where[0]))
        total = len(groups)
        for done, (project, members) in enumerate(groups.items()):
            await progress(done, total, f"project {project}: updating {len(members)} issue(s)")
            ids = list(dict.fromkeys(ident for _, ident in members))
            path = f"/projects/{self._org_seg}/{segment(project)}/issues/"
            try:
                reply = await self._request(
                    "PUT", path, params=[("id", i) for i in ids], json_body=body, scope="event:write"
                )
            except UpstreamError as exc:
                # One failed project must not hide the others' success: record and go on.
                for value, _ in members:
                    outcomes[value] = UpdateOutcome(issue=value, ok=False, error=str(exc))
                continue
            data = reply.data
            for value, _ in members:
                if not isinstance(data, dict) or reply.status == 204:
                    said = "no content" if reply.status == 204 else "no changed fields"
                    outcomes[value] = UpdateOutcome(
                        issue=value,
                        ok=False,
                        error=f"Sentry matched no issue to update ({reply.status}, {said})",
                    )
                else:
                    outcomes[value] = _outcome(value, change, data)
        await progress(total, total, "done")
        return UpdateResult(outcomes=[outcomes[r.value] for r in refs])

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
        _check_release_spec(spec)  # dates, deploy environments, commit shas: before anything is sent
        slug = check_project(project)
        if not SLUG.fullmatch(slug) or slug.isdigit():  # Sentry takes slugs here: resolve an id or a name
            slug = (await self._find_project(slug)).slug or slug
        body: dict[str, Any] = {"version": version, "projects": [slug]}
        for key, value in (("ref", spec.ref), ("url", spec.url), ("dateReleased", spec.date_released)):
            if value:
                body[key] = value
        notes: list[str] = []
        if spec.commits:
            commits = []
            for c in spec.commits:
                item = {
                    "id": c.sha,
                    "message": c.message,
                    "author_name": c.author,
                    "author_email": c.author_email,
                }
                commits.append({k: v for k, v in item.items() if v is not None})
            body["commits"] = commits
            if any(c.url or c.files for c in spec.commits):
                notes.append("commit url/files are not part of Sentry's release API and were not sent")
        reply = await self._org_request("POST", "releases/", json_body=body, scope="project:write")
        data = _dict(reply.data)
        existed = reply.status == 208
        if existed:
            # Say only what this call did to the existing release: commits are replaced only when sent.
            did = [
                *(["its commits were replaced by the ones sent"] if spec.commits else []),
                *(["the deploys below were added to it"] if spec.deploys else []),
            ]
            notes.append("the release already existed (208)" + (": " + " and ".join(did) if did else ""))
        commit_count = data.get("commitCount")
        result = ReleaseCreated(
            version=_str(data.get("version")) or version,
            project=slug,
            already_existed=existed,
            commits=commit_count if commit_count is not None else (len(spec.commits) or None),
            notes=notes,
        )
        for deploy in spec.deploys:
            result.deploys.append(await self._deploy(version_seg, deploy.environment, deploy))
        return result

    async def _deploy(self, version_seg: str, environment: str, deploy: DeploySpec) -> DeployOutcome:
        body: dict[str, Any] = {"environment": environment}
        for key, value in (("name", deploy.name), ("url", deploy.url), ("dateFinished", deploy.deployed_at)):
            if value:
                body[key] = value
        path = f"/organizations/{self._org_seg}/releases/{version_seg}/deploys/"
        try:
            reply = await self._request("POST", path, json_body=body, scope="project:write")
        except UpstreamError as exc:
            return DeployOutcome(environment=environment, ok=False, error=str(exc))
        return DeployOutcome(environment=environment, ok=True, id=_str(_dict(reply.data).get("id")))

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
        return AuditLog(entries=[audit_entry(r) for r in rows][:limit], next_cursor=reply.next_cursor)
