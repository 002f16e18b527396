"""Bugsink (self-hosted, takes Sentry SDK events): who it is and what it can do."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from stacklens.backends.base import Backend, BackendDescriptor, Capabilities
from stacklens.refs import RefSyntax

if TYPE_CHECKING:
    from stacklens.config import Settings
    from stacklens.http import Upstream

# Bugsink's UI page of an issue: {BUGSINK_URL}/issues/issue/{uuid}/ (also …/event/…, …/tags/ and the like).
ISSUE_URL_PATH = re.compile(r"/issues/issue/([0-9A-Fa-f-]{32,36})(?:/|$)")


def _make(settings: Settings, upstream: Upstream) -> Backend:
    from stacklens.backends.bugsink.backend import BugsinkBackend

    return BugsinkBackend(settings, upstream)


DESCRIPTOR = BackendDescriptor(
    name="bugsink",
    label="Bugsink",
    token_vars=("BUGSINK_AUTH_TOKEN",),
    url_var="BUGSINK_URL",
    default_url=None,  # self-hosted only
    api_prefix="/api/canonical/0",
    factory=_make,
    refs=RefSyntax(
        short_ids=True,  # the friendly id, CHECKOUT-API-1
        uuids=True,
        examples=(
            "a friendly id (CHECKOUT-API-1), the issue's UUID, or its Bugsink URL "
            "(https://bugsink.example/issues/issue/<uuid>/)"
        ),
        wrong_form=(
            "a Bugsink issue is named by its friendly id (CHECKOUT-API-1), its UUID or its URL "
            "(…/issues/issue/<uuid>/)"
        ),
        forms="Friendly id (CHECKOUT-API-1), UUID or Bugsink issue URL",
        example="CHECKOUT-API-1",
        example_pair=("CHECKOUT-API-1", "CHECKOUT-API-2"),
        url_path=ISSUE_URL_PATH,
    ),
    capabilities=Capabilities(
        search_refuses={
            "level": " (Bugsink has no issue level)",
            "sentry_query": " (Sentry only; Bugsink takes text and tags)",
        },
        search_narrows=frozenset({"first_seen", "last_seen", "min_events"}),
        assigned_help="Bugsink has no assignees: only 'none' (every issue)",
        update_statuses=("resolved", "resolved_in_next_release", "unresolved", "ignored"),
        update_fields=("ignore_minutes",),
        assignee_help="Bugsink has no assignees",
        audit_note="Bugsink has no audit log (only per-issue history). ",
        audit=False,
        event_ids=("latest", "oldest", "recommended"),
        event_environment=True,
        event_query=False,
        commits=False,  # a Bugsink release is a version and a date
        deploys=False,
        delete=True,
    ),
    demo=False,
)
