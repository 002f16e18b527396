"""Jentry (jentry.app): who it is and what it can do."""

from __future__ import annotations

from typing import TYPE_CHECKING

from stacklens.backends.base import Backend, BackendDescriptor, Capabilities
from stacklens.refs import RefSyntax

if TYPE_CHECKING:
    from stacklens.config import Settings
    from stacklens.http import Upstream

_ELSEWHERE = " (Sentry only)"  # what Jentry's issue fields cannot answer at all


def _make(settings: Settings, upstream: Upstream) -> Backend:
    from stacklens.backends.jentry.backend import JentryBackend

    return JentryBackend(settings, upstream)


DESCRIPTOR = BackendDescriptor(
    name="jentry",
    label="Jentry",
    token_vars=("JENTRY_AUTH_TOKEN",),
    url_var="JENTRY_URL",
    default_url="https://jentry.app",
    api_prefix="/api/v1",
    factory=_make,
    refs=RefSyntax(
        short_ids=False,
        examples="a numeric id (42) or an issue URL (https://jentry.app/projects/1/issues/42)",
        wrong_form="a Jentry issue id is numeric (42) or a URL like https://jentry.app/projects/1/issues/42",
        forms="Issue id or URL",
        example="42",
        example_pair=("42", "43"),
    ),
    capabilities=Capabilities(
        search_refuses={"environment": _ELSEWHERE, "tags": _ELSEWHERE, "sentry_query": _ELSEWHERE},
        search_narrows=frozenset({"first_seen", "last_seen", "assigned", "min_events", "release", "level"}),
        assigned_help="me, none, or a user id",
        update_statuses=("resolved", "unresolved", "ignored"),
        update_fields=("assignee",),
        assignee_help="user id or me; 'none' unassigns",
        release_repost_replaces=True,
        audit_note="Needs org:read. ",
        event_query=False,
        commits=False,  # its API accepts release commits but never returns them
        deploys=False,  # likewise deploys: only counted
        delete=False,  # no endpoint deletes an issue
    ),
    user_id_var="JENTRY_USER_ID",
    demo=True,
)
