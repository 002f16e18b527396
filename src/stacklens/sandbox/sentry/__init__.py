"""Sentry REST `/api/0/` over the sandbox, as documented (sentry-rest-api.md + sentry-api-notes.md).

Shapes follow Sentry's serializers (ids are strings, `count` is a string, times with microseconds and `Z`);
errors are `{"detail": …}` or DRF-style field dicts; list endpoints page with a real `Link` header.
One module per resource; `ROUTES` is what the app mounts.
"""

from __future__ import annotations

from starlette.routing import Route

from stacklens.sandbox.sentry.commits import commit_files, commits_list
from stacklens.sandbox.sentry.common import NOT_FOUND
from stacklens.sandbox.sentry.deletes import issue_delete
from stacklens.sandbox.sentry.deploys import deploy_create, deploys_list
from stacklens.sandbox.sentry.events import event_detail, events_list
from stacklens.sandbox.sentry.issues import (
    issue_detail,
    issue_update,
    issues_bulk_update,
    issues_list,
    shortid_lookup,
)
from stacklens.sandbox.sentry.orgs import audit_logs, org_detail, project_detail, projects_list
from stacklens.sandbox.sentry.releases import release_create, release_detail, releases_list
from stacklens.sandbox.sentry.tags import tag_detail, tag_values, tags_list

__all__ = ["NOT_FOUND", "ROUTES"]

P = "/api/0"
ROUTES = [
    Route(f"{P}/organizations/{{org}}/", org_detail),
    Route(f"{P}/organizations/{{org}}/projects/", projects_list),
    Route(f"{P}/projects/{{org}}/{{project}}/", project_detail),
    Route(f"{P}/organizations/{{org}}/issues/", issues_list),
    Route(f"{P}/organizations/{{org}}/issues/{{issue}}/", issue_detail),
    Route(f"{P}/organizations/{{org}}/issues/{{issue}}/", issue_update, methods=["PUT"]),
    Route(f"{P}/organizations/{{org}}/issues/{{issue}}/", issue_delete, methods=["DELETE"]),
    Route(f"{P}/projects/{{org}}/{{project}}/issues/", issues_bulk_update, methods=["PUT"]),
    Route(f"{P}/organizations/{{org}}/issues/{{issue}}/events/", events_list),
    Route(f"{P}/organizations/{{org}}/issues/{{issue}}/events/{{event_id}}/", event_detail),
    Route(f"{P}/organizations/{{org}}/issues/{{issue}}/tags/", tags_list),
    Route(f"{P}/organizations/{{org}}/issues/{{issue}}/tags/{{key}}/", tag_detail),
    Route(f"{P}/organizations/{{org}}/issues/{{issue}}/tags/{{key}}/values/", tag_values),
    Route(f"{P}/organizations/{{org}}/shortids/{{short_id}}/", shortid_lookup),
    Route(f"{P}/organizations/{{org}}/releases/", releases_list),
    Route(f"{P}/organizations/{{org}}/releases/", release_create, methods=["POST"]),
    Route(f"{P}/organizations/{{org}}/releases/{{version:path}}/commits/", commits_list),
    Route(f"{P}/organizations/{{org}}/releases/{{version:path}}/commitfiles/", commit_files),
    Route(f"{P}/organizations/{{org}}/releases/{{version:path}}/deploys/", deploys_list),
    Route(f"{P}/organizations/{{org}}/releases/{{version:path}}/deploys/", deploy_create, methods=["POST"]),
    Route(f"{P}/organizations/{{org}}/releases/{{version:path}}/", release_detail),
    Route(f"{P}/organizations/{{org}}/audit-logs/", audit_logs),
]
