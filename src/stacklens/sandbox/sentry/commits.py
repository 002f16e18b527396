"""A release's commits and the files they changed, in the shapes of Sentry's commit and file-change
serializers (`/releases/{version}/commits/`, `/releases/{version}/commitfiles/`).

A commit's files are its `patch_set` (`[{path, type}]`, type A/M/D), as the release-create API takes them.
Like Sentry, a file change names its commit only by `commitMessage` (there is no sha in that shape).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from stacklens.sandbox.sentry.common import Json, endpoint, page_size, paged, t
from stacklens.sandbox.sentry.releases import release_or_404
from stacklens.sandbox.sentry.serialize import user_json
from stacklens.sandbox.state import Sandbox


def author_json(sb: Sandbox, commit: Json) -> Json:
    """The org member with the commit's email when there is one (Sentry links authors to users), else the
    raw author; `{}` when the commit names nobody."""
    email, name = commit.get("author_email"), commit.get("author_name")
    member = next((m for m in sb.members.values() if email and m["email"] == email), None)
    if member is not None:
        return user_json(member)
    return {"name": name, "email": email} if (name or email) else {}


def _repo_ids(sb: Sandbox) -> dict[str, int]:
    names = sorted({c["repository"] for r in sb.releases for c in r["commits"] if c.get("repository")})
    return {name: 7100 + n for n, name in enumerate(names)}


def repository_json(sb: Sandbox, name: str | None) -> Json:
    if not name:
        return {}
    return {
        "id": str(_repo_ids(sb)[name]),
        "name": name,
        "url": f"https://github.com/{name}",
        "provider": {"id": "integrations:github", "name": "GitHub"},
        "status": "active",
        "dateCreated": t(sb.at(400 * 86400)),
        "integrationId": "4521",
        "externalSlug": name,
    }


def commit_json(sb: Sandbox, c: Json) -> Json:
    return {
        "id": c["id"],
        "message": c.get("message"),
        "dateCreated": t(c["timestamp"]),
        "repository": repository_json(sb, c.get("repository")),
        "author": author_json(sb, c),
    }


@endpoint(("project:read", "project:releases"))
async def commits_list(request: Request, sb: Sandbox) -> Response:
    r = release_or_404(request, sb)
    # In the order the commits were set on the release (sentry-cli sends the newest first).
    return paged(request, r["commits"], page_size(request, "per_page"), lambda c: commit_json(sb, c))


def file_changes(sb: Sandbox, release: Json) -> list[Json]:
    """One row per (commit, file), ordered by filename as Sentry pages them; ids are stable per release."""
    rows = []
    for n, c in enumerate(release["commits"]):
        for m, change in enumerate(c.get("patch_set") or []):
            rows.append(
                {
                    "id": str(release["id"] * 1000 + n * 50 + m),
                    "orgId": int(sb.org["id"]),
                    "author": author_json(sb, c),
                    "commitMessage": c.get("message") or "",
                    "filename": change.get("path"),
                    "type": change.get("type"),
                    "repoName": c.get("repository") or "",
                }
            )
    rows.sort(key=lambda row: (str(row["filename"]), int(row["id"])))
    return rows


@endpoint(("project:read", "project:releases"))
async def commit_files(request: Request, sb: Sandbox) -> Response:
    rows = file_changes(sb, release_or_404(request, sb))
    if repo := request.query_params.get("repo_name"):
        rows = [row for row in rows if row["repoName"] == repo]
    return paged(request, rows, page_size(request, "per_page"), lambda row: row)
