"""Bugsink JSON → the normalized models. Read leniently: unknown fields ignored, nulls and odd types skipped.

Upstream strings are data: they are copied into model fields, never interpreted.
"""

from __future__ import annotations

from typing import Any

from stacklens.backends.json import obj, text
from stacklens.models import Issue, Project, Release

LOG_MESSAGE = "Log Message"  # Bugsink's calculated_type of a captured message


as_dict = obj  # the shared lenient readers (text is imported as is)


def rows(data: Any) -> list[dict[str, Any]]:
    """`results` of a paged answer (objects only)."""
    found = as_dict(data).get("results")
    return [r for r in found if isinstance(r, dict)] if isinstance(found, list) else []


def status_of(raw: dict[str, Any]) -> tuple[str, str | None]:
    """(status, substatus) with Sentry's words: resolved, ignored (Bugsink's muted) or unresolved (open)."""
    if raw.get("is_resolved") is True:
        return "resolved", "resolved_in_next_release" if raw.get("is_resolved_by_next_release") else None
    if raw.get("is_muted") is True:
        until = text(raw.get("unmute_after"))
        if until:
            return "ignored", f"muted until {until}"
        return "ignored", "muted until a volume condition" if raw.get(
            "unmute_on_volume_based_conditions"
        ) else "muted"
    return "unresolved", None


def title_of(raw: dict[str, Any]) -> str | None:
    kind, value = text(raw.get("calculated_type")), text(raw.get("calculated_value"))
    if kind == LOG_MESSAGE or not kind:
        return value or kind
    return f"{kind}: {value}" if value else kind


def _releases(raw: dict[str, Any]) -> list[str]:
    seen = raw.get("events_at")
    return [v for v in (text(x) for x in seen) if v] if isinstance(seen, list) else []


def issue_from_bugsink(raw: dict[str, Any], base_url: str, slugs: dict[str, str]) -> Issue | None:
    """An issue record → Issue; None without an id. `slugs`: project id → slug (for display)."""
    ident = text(raw.get("id"))
    if not ident:
        return None
    status, substatus = status_of(raw)
    project_id = text(raw.get("project"))
    releases = _releases(raw)
    return Issue(
        id=ident,
        short_id=text(raw.get("friendly_id")),
        title=title_of(raw),
        culprit=text(raw.get("transaction")),
        status=status,
        substatus=substatus,
        count=raw.get("digested_event_count"),
        first_seen=raw.get("first_seen"),
        last_seen=raw.get("last_seen"),
        first_release=releases[0] if releases else None,
        last_release=releases[-1] if releases else None,
        project=slugs.get(project_id or "") or project_id,
        project_id=project_id,
        permalink=f"{base_url}/issues/issue/{ident}/",
        type=text(raw.get("calculated_type")),
    )


def project_from_bugsink(raw: dict[str, Any]) -> Project | None:
    ident = text(raw.get("id"))
    if not ident:
        return None
    return Project(id=ident, slug=text(raw.get("slug")), name=text(raw.get("name")))


def release_from_bugsink(raw: dict[str, Any], project: str | None) -> Release | None:
    """A release (version and date only); Bugsink's "" release ("no release") is skipped."""
    version = text(raw.get("version"))
    if not version:
        return None
    return Release(
        version=version,
        created=raw.get("date_released"),
        released=raw.get("date_released"),
        projects=[project] if project else [],
    )
