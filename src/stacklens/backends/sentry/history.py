"""What Sentry keeps about an issue's history, for the analysis tools: full recent events, a release's commits
with the files they changed, its deploys, deleting an issue, and the event search/period of the events list.

Routes (Sentry's documented API): `GET …/issues/{id}/events/?full=true`, `GET /organizations/{org}/releases/
{version}/commits/`, `…/commitfiles/` (a file change names its commit only by message, so files are linked to
commits by message, then author), `…/deploys/`, and `DELETE /organizations/{org}/issues/{id}/` (202 =
scheduled for deletion)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from stacklens.backends.json import JsonObject
from stacklens.backends.sentry.mapping import _dict, _rows, _str
from stacklens.errors import InvalidInput, UpstreamError
from stacklens.events import Event, normalize_event
from stacklens.http import Reply, segment
from stacklens.models import Commit, DeleteResult, Deploy
from stacklens.query import _no_controls, parse_window
from stacklens.refs import IssueRef

if TYPE_CHECKING:
    from stacklens.backends.sentry.backend import SentryBackend

MAX_EVENT_PAGES = 10  # recent_events: 10 × 100 events at most
MAX_COMMIT_PAGES = 5
MAX_FILE_PAGES = 10
_COMMIT_HOSTS = {"github.com": "/commit/", "gitlab.com": "/-/commit/", "bitbucket.org": "/commits/"}


def event_search_params(query: str | None, period: str | None) -> list[tuple[str, str]]:
    """`query` as Sentry event search; `period` as `statsPeriod` (24h, 7d…) or, for a date, `start`/`end`."""
    params: list[tuple[str, str]] = []
    if query and query.strip():
        params.append(("query", _no_controls(query.strip(), "query", 1000)))
    window = parse_window(period, "period")
    if window is not None:
        if window.relative:
            params.append(("statsPeriod", window.relative))
        else:
            assert window.since is not None
            now = datetime.now(UTC)
            if window.since > now:
                raise InvalidInput(f"period={period!r} is in the future")
            params += [("start", window.since.isoformat()), ("end", now.isoformat())]
    return params


async def recent_events(b: SentryBackend, ref: IssueRef, limit: int, environment: str | None) -> list[Event]:
    limit = max(1, min(int(limit), MAX_EVENT_PAGES * 100))
    events: list[Event] = []
    cursor: str | None = None
    for _ in range(MAX_EVENT_PAGES):
        # The same page size on every page: a cursor is only meaningful with the per_page it came from.
        params: list[tuple[str, str]] = [("full", "true"), ("per_page", str(min(100, limit)))]
        if environment:
            params.append(("environment", environment))
        if cursor:
            params.append(("cursor", cursor))
        call = b._request("GET", b._issue_path(ref) + "events/", params=params, scope="event:read")
        reply = await b._on_issue(ref, call)
        events += [normalize_event(r) for r in _rows(reply.data, "events")]
        cursor = reply.next_cursor
        if len(events) >= limit or not cursor:
            break
    return events[:limit]


async def _release_get(b: SentryBackend, version: str, tail: str, params: list[tuple[str, str]]) -> Reply:
    """A release sub-route; a 404 here means the version is not a release of this organization."""
    path = f"/organizations/{b._org_seg}/releases/{segment(version)}/{tail}/"
    try:
        return await b._request("GET", path, params=params, scope="project:read")
    except UpstreamError as exc:
        if not exc.not_found:
            raise
        raise UpstreamError(
            f"release {version!r} not found in organization {b._org} (404): its events name it, but it was "
            "never registered as a release (sentry-cli releases new, or create_release)",
            404,
        ) from None


async def _paged(b: SentryBackend, version: str, tail: str, pages: int, what: str) -> list[JsonObject]:
    rows: list[JsonObject] = []
    cursor: str | None = None
    for _ in range(pages):
        params: list[tuple[str, str]] = [("per_page", "100")]
        if cursor:
            params.append(("cursor", cursor))
        reply = await _release_get(b, version, tail, params)
        rows += _rows(reply.data, what)
        cursor = reply.next_cursor
        if not cursor:
            break
    return rows


def _commit_url(repository: JsonObject, sha: str) -> str | None:
    url = _str(repository.get("url")) or ""
    parts = urlsplit(url)
    path = _COMMIT_HOSTS.get((parts.hostname or "").lower())
    if parts.scheme != "https" or path is None or not parts.path.strip("/"):
        return None
    return url.rstrip("/") + path + sha


def _author(raw: JsonObject) -> tuple[str | None, str | None]:
    author = _dict(raw.get("author"))
    return _str(author.get("name")) or _str(author.get("username")), _str(author.get("email"))


async def release_commits(b: SentryBackend, version: str) -> list[Commit]:
    commits_raw = await _paged(b, version, "commits", MAX_COMMIT_PAGES, "release commits")
    files_raw = await _paged(b, version, "commitfiles", MAX_FILE_PAGES, "commit files")
    commits: list[Commit] = []
    for raw in commits_raw:
        sha = _str(raw.get("id"))
        if not sha:
            continue
        name, email = _author(raw)
        commits.append(
            Commit(
                sha=sha,
                message=_str(raw.get("message")),
                author=name,
                author_email=email,
                time=raw.get("dateCreated"),
                url=_commit_url(_dict(raw.get("repository")), sha),
            )
        )
    link_files(commits, files_raw)
    return commits


def link_files(commits: list[Commit], rows: list[JsonObject]) -> None:
    """Attach each file change to its commit: by message, narrowed by author email when several commits share
    the message (a change matching several commits still goes to each: the API gives nothing finer)."""
    for row in rows:
        filename = _str(row.get("filename"))
        if not filename:
            continue
        message = (_str(row.get("commitMessage")) or "").strip()
        owners = [c for c in commits if (c.message or "").strip() == message]
        if len(owners) > 1:
            _, email = _author(row)
            by_author = [c for c in owners if email and c.author_email == email]
            owners = by_author or owners
        for c in owners:
            if filename not in c.files:
                c.files.append(filename)


async def release_deploys(b: SentryBackend, version: str) -> list[Deploy]:
    reply = await _release_get(b, version, "deploys", [])
    return [
        Deploy(
            environment=_str(r.get("environment")),
            started=r.get("dateStarted"),
            finished=r.get("dateFinished"),
            name=_str(r.get("name")),
            url=_str(r.get("url")),
        )
        for r in _rows(reply.data, "deploys")
    ]


async def delete_issue(b: SentryBackend, ref: IssueRef) -> DeleteResult:
    # Never retried: exactly one DELETE goes out, whatever happens to its answer.
    base = await b._learned.get().region.get()
    call = b._up.request("DELETE", b._issue_path(ref), scope="event:admin", idempotent=False, base_url=base)
    reply = await b._on_issue(ref, call)
    if reply.status == 202:
        return DeleteResult(issue=str(ref), ok=True, scheduled=True, message="scheduled for deletion")
    return DeleteResult(issue=str(ref), ok=True, message="deleted")
