"""GlitchTip: who it is and what it can do (truthfully: what its API really serves)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from stacklens.backends.base import Backend, BackendDescriptor, Capabilities
from stacklens.refs import RefSyntax

if TYPE_CHECKING:
    from stacklens.config import Settings
    from stacklens.http import Upstream

# GlitchTip's UI page of an issue: {GLITCHTIP_URL}/{org}/issues/{id} (the API's `permalink`).
ISSUE_URL_PATH = re.compile(r"/[A-Za-z0-9_-]+/issues/([0-9]{1,20})(?:[/?#]|$)")


def _make(settings: Settings, upstream: Upstream) -> Backend:
    from stacklens.backends.glitchtip.backend import GlitchTipBackend

    return GlitchTipBackend(settings, upstream)


DESCRIPTOR = BackendDescriptor(
    name="glitchtip",
    label="GlitchTip",
    token_vars=("GLITCHTIP_AUTH_TOKEN",),
    url_var="GLITCHTIP_URL",
    default_url="https://app.glitchtip.com",
    api_prefix="/api/0",
    factory=_make,
    refs=RefSyntax(
        short_ids=False,  # GlitchTip shows SHOP-1 but its API cannot look a short id up
        uuids=False,
        examples="a numeric issue id (42) or its GlitchTip URL (https://app.glitchtip.com/<org>/issues/42)",
        wrong_form=(
            "a GlitchTip issue is named by its numeric id (42) or its URL (…/<org>/issues/42); short ids "
            "like SHOP-1 cannot be looked up through GlitchTip's API"
        ),
        forms="Numeric issue id or GlitchTip issue URL",
        example="42",
        example_pair=("42", "43"),
        url_path=ISSUE_URL_PATH,
    ),
    capabilities=Capabilities(
        search_refuses={"sentry_query": " (Sentry only; GlitchTip's search is not Sentry's)"},
        search_narrows=frozenset({"first_seen", "last_seen", "min_events", "assigned", "level"}),
        assigned_help="GlitchTip has no assignees: only 'none' (every issue)",
        update_statuses=("resolved", "unresolved", "ignored"),
        update_fields=(),
        assignee_help="GlitchTip has no assignment",
        audit_note="GlitchTip has no audit log. ",
        audit=False,
        event_ids=("latest",),
        event_environment=False,
        event_query=False,
        commits=False,
        deploys=False,
        delete=True,
    ),
    org_vars=("GLITCHTIP_ORG",),
    needs_org=True,
    demo=False,
)
