"""Jentry release registration: one POST per version (after one look at whether it exists, since Jentry
answers 201 either way), reported as far as the answer confirms it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from stacklens.backends.jentry.mapping import _dict, _int, _no_controls, _rows, _str, unwrap
from stacklens.backends.jentry.releases import release_body, repost_notes
from stacklens.errors import InvalidInput, UpstreamError
from stacklens.http import segment
from stacklens.models import DeployOutcome, Project, ReleaseCreated, ReleaseSpec

if TYPE_CHECKING:
    from stacklens.backends.jentry.backend import JentryBackend

PROJECT_READ, PROJECT_WRITE = "project:read", "project:write"


async def create_release(b: JentryBackend, spec: ReleaseSpec) -> ReleaseCreated:
    version = _no_controls(spec.version.strip(), "version", 250)
    if not version:
        raise InvalidInput("version is required, e.g. web@1.4.3")
    chosen = spec.project or b._settings.project
    if not chosen:
        raise InvalidInput(
            "create_release needs a project: pass project=<slug or id>, or set a default project (--project)"
        )
    body = release_body(spec, version)
    target = await b._find_project(chosen)
    existed = await release_exists(b, target, version)  # its answer is 201 either way
    # The API replaces a version's commits and deploys when it is posted again: safe to retry.
    reply = await b._call(
        "POST",
        f"/projects/{segment(target.id)}/releases",
        json_body=body,
        scope=PROJECT_WRITE,
        idempotent=True,
    )
    data = _dict(unwrap(reply.data))
    notes = repost_notes(existed, spec)
    recorded = _int(data.get("deploys"))
    if recorded is not None and recorded != len(spec.deploys):
        notes.append(f"Jentry reports {recorded} deploy(s) recorded for {len(spec.deploys)} sent")
    confirmed = _str(data.get("version")) == version
    if not confirmed:
        notes.append("Jentry accepted the release but its answer does not show it: sent, not confirmed")
    commits = _int(data.get("commits"))
    if spec.commits and commits is None:
        notes.append(f"{len(spec.commits)} commit(s) sent; the answer does not say how many were stored")
    deploys_seen = recorded == len(spec.deploys)  # Jentry counts deploys; it has no per-deploy answer
    return ReleaseCreated(
        version=version,
        project=target.slug or target.name or target.id,
        confirmed=confirmed,
        already_existed=bool(existed),
        commits=commits,
        deploys=[
            DeployOutcome(
                environment=d.environment.strip(),
                ok=True,
                confirmed=deploys_seen,
                error=None if deploys_seen else "sent, not confirmed",
            )
            for d in spec.deploys
        ],
        notes=notes,
    )


async def release_exists(b: JentryBackend, project: Project, version: str) -> bool | None:
    """Whether the project lists the version (its newest 100 releases); None when the list is refused."""
    try:
        reply = await b._call(
            "GET",
            f"/projects/{segment(project.id)}/releases",
            params=[("limit", "100")],
            scope=PROJECT_READ,
        )
    except UpstreamError as exc:
        if exc.status in (401, 403, 404):
            return None
        raise
    rows = _rows(unwrap(reply.data), "releases")
    return any((_str(r.get("release")) or _str(r.get("version"))) == version for r in rows)
