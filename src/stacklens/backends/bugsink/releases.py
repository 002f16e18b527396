"""Releases: Bugsink keeps a version and a date per project (no commits, deploys, URLs or health)."""

from __future__ import annotations

from datetime import datetime
from functools import partial

from stacklens.backends.bugsink.client import Client
from stacklens.backends.bugsink.mapping import as_dict, release_from_bugsink
from stacklens.backends.fanout import gather
from stacklens.backends.json import text
from stacklens.backends.narrow import parse_scan_cursor, scan_cursor
from stacklens.errors import InvalidInput, NotSupported, UpstreamError
from stacklens.models import Project, Release, ReleaseCreated, ReleaseList, ReleaseSpec

READ, CREATE = "releases:read", "releases:create"
_EXISTS = "already exists"


def _clean(value: str, name: str, limit: int = 250) -> str:
    if any(ord(c) < 32 or c == "\x7f" for c in value) or len(value) > limit:
        raise InvalidInput(f"{name} must be ≤{limit} characters without control characters")
    return value


def _when(r: Release) -> float:
    return r.released.timestamp() if r.released else 0.0


class Releases:
    def __init__(self, client: Client, default_project: str | None) -> None:
        self.c = client
        self.default = default_project

    async def _page(self, p: Project, cursor: str | None) -> tuple[list[Release], str | None]:
        rows, nxt = await self.c.page("/releases/", [("project", p.id)], cursor, scope=READ)
        label = p.slug or p.name or p.id
        return [r for r in (release_from_bugsink(x, label) for x in rows) if r], nxt

    async def list_releases(
        self, project: str | None = None, query: str | None = None, limit: int = 25, cursor: str | None = None
    ) -> ReleaseList:
        limit = max(1, min(int(limit), 100))
        needle = _clean(query.strip(), "query", 200).lower() if query and query.strip() else None
        chosen = project or self.default
        notes: list[str] = []
        if needle:
            notes.append(
                f"filtered to versions containing {needle!r} client-side (Bugsink has no release search)"
            )
        if not chosen:
            if cursor:
                raise InvalidInput("cursor pages one project's releases: pass project as well")
            projects = await self.c.projects()
            lists = await gather([partial(self._page, p, None) for p in projects])
            merged = sorted((r for rels, _ in lists for r in rels), key=_when, reverse=True)
            if needle:
                merged = [r for r in merged if needle in r.version.lower()]
            notes.append(f"merged from {len(projects)} project(s), newest first (first page of each)")
            return ReleaseList(releases=merged[:limit], notes=notes)
        target = await self.c.find_project(chosen)
        up, skip = parse_scan_cursor(cursor)
        page, following = await self._page(target, up)
        kept = [r for r in page[skip:] if not needle or needle in r.version.lower()]
        # A filtered page is shown whole (at most `limit`); the cursor then moves to the next upstream page.
        nxt = None
        if not needle and skip + limit < len(page):
            nxt = scan_cursor(up, skip + limit)
        elif following is not None:
            nxt = scan_cursor(following, 0)
        return ReleaseList(releases=kept[:limit], next_cursor=nxt, notes=notes)

    async def create_release(self, spec: ReleaseSpec) -> ReleaseCreated:
        version = _clean(spec.version.strip(), "version")
        if not version:
            raise InvalidInput("version is required, e.g. shop@1.4.3")
        dropped = [
            name
            for name, given in (
                ("commits", spec.commits),
                ("deploys", spec.deploys),
                ("ref", spec.ref),
                ("url", spec.url),
            )
            if given
        ]
        if dropped:
            raise NotSupported(
                f"{', '.join(dropped)}: a Bugsink release is a version and a date only (no commits, deploys, "
                "ref or URL); drop them to create the release. Nothing was sent."
            )
        chosen = spec.project or self.default
        if not chosen:
            raise InvalidInput("create_release needs a project: pass project=<slug or id>, or set --project")
        target = await self.c.find_project(chosen)
        body: dict[str, object] = {
            "project": int(target.id) if target.id.isdigit() else target.id,
            "version": version,
        }
        if spec.date_released:
            stamp = spec.date_released.strip()
            try:
                datetime.fromisoformat(stamp.replace("Z", "+00:00"))
            except ValueError:
                raise InvalidInput(
                    f"date_released={stamp!r} is not an ISO-8601 time, e.g. 2026-06-29T12:30:00Z"
                ) from None
            body["timestamp"] = stamp
        label = target.slug or target.name or target.id
        try:
            reply = await self.c.call("POST", "/releases/", json_body=body, scope=CREATE, idempotent=False)
        except UpstreamError as exc:
            if exc.status == 400 and _EXISTS in str(exc):
                return ReleaseCreated(
                    version=version,
                    project=label,
                    already_existed=True,
                    notes=[f"Bugsink already had release {version} in {label}: nothing changed"],
                )
            raise
        data = as_dict(reply.data)
        return ReleaseCreated(version=text(data.get("version")) or version, project=label)
