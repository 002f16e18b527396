"""Sentry JSON → models: issues, event rows, releases, audit entries, projects, tag values.

Read leniently: self-hosted and older instances differ, and nulls appear anywhere.
"""

from __future__ import annotations

from stacklens.backends.json import Json, JsonObject, obj, object_list, text
from stacklens.models import AuditEntry, EventSummary, Issue, Project, Release, ReleaseHealth, TagValue

# --- lenient JSON readers -------------------------------------------------------------------------------


_dict, _str = obj, text  # the shared lenient readers, under the names this module's callers use


def _rows(data: Json, what: str) -> list[JsonObject]:
    return object_list(data, what, "Sentry")


def _version(value: Json) -> str | None:
    """firstRelease/lastRelease/release: an object with `version`, or a bare version string."""
    if isinstance(value, dict):
        return _str(value.get("version")) or _str(value.get("shortVersion"))
    return _str(value)


def assignee_text(value: Json) -> str | None:
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


def _metadata_title(metadata: JsonObject) -> str | None:
    """A title from `metadata` when `title` is absent (older/self-hosted serializers): its `title`, else the
    error's `type: value` as Sentry itself composes it, else whichever of the two exists."""
    title = _str(metadata.get("title"))
    if title:
        return title
    kind, value = _str(metadata.get("type")), _str(metadata.get("value"))
    if kind and value:
        return f"{kind}: {value}"
    return kind or value


def issue_from_sentry(raw: JsonObject) -> Issue | None:
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


def _tags(raw: JsonObject) -> dict[str, str]:
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


def event_summary(raw: JsonObject) -> EventSummary | None:
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


def release_from_sentry(raw: JsonObject, project_id: str | None = None) -> Release | None:
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
            health = ReleaseHealth.model_validate(clean)
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


def audit_entry(raw: JsonObject) -> AuditEntry:
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


def _bool(value: Json) -> bool | None:
    return value if isinstance(value, bool) else None


def project_from_sentry(row: JsonObject) -> Project | None:
    ident = _str(row.get("id"))
    if not ident:
        return None
    return Project(id=ident, slug=row.get("slug"), name=row.get("name"), platform=row.get("platform"))


def tag_value_from_sentry(row: JsonObject) -> TagValue:
    return TagValue(
        value=_str(row.get("value")) if row.get("value") is not None else _str(row.get("name")),
        count=row.get("count"),
        first_seen=row.get("firstSeen"),
        last_seen=row.get("lastSeen"),
    )
