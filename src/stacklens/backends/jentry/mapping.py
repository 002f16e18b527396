"""Jentry JSON → models: projects, issues, releases, audit entries. Read leniently: unknown fields are
ignored, nulls tolerated, a body without the `{data}` envelope taken as is."""

from __future__ import annotations

from stacklens import lenient
from stacklens.backends.json import Json, JsonObject, obj, object_list, text
from stacklens.errors import InvalidInput
from stacklens.models import AuditEntry, Issue, Project, Release, ReleaseHealth

# --- lenient JSON readers -------------------------------------------------------------------------------


_dict, _str = obj, text  # the shared lenient readers, under the names this module's callers use


def _int(value: Json) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def _num(value: Json) -> float | None:
    """A JSON number (not a numeric string: Jentry sends numbers), finite and representable, else None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return lenient.number(value)


def unwrap(payload: Json) -> Json:
    """`{"data": …}` → the payload; a body without the envelope is taken as is (older or proxied servers)."""
    if isinstance(payload, dict) and "data" in payload:
        return payload["data"]
    return payload


def _rows(data: Json, what: str) -> list[JsonObject]:
    return object_list(data, what, "Jentry")


def _no_controls(value: str, name: str, max_len: int = 1000) -> str:
    if any(ord(c) < 32 or c == "\x7f" for c in value):
        raise InvalidInput(f"{name} must not contain control characters (CR, LF, tab …)")
    if len(value) > max_len:
        raise InvalidInput(f"{name} is too long ({len(value)} characters; at most {max_len})")
    return value


def project_from_jentry(raw: JsonObject) -> Project | None:
    ident = _str(raw.get("id"))
    if not ident:
        return None
    return Project(id=ident, slug=raw.get("slug"), name=raw.get("name"), platform=raw.get("platform"))


def issue_from_jentry(raw: JsonObject, slugs: dict[str, str] | None = None) -> Issue | None:
    """A Jentry issue (list item or detail) → Issue; None when it has no id. `slugs`: project id → slug."""
    ident = _str(raw.get("id"))
    if not ident:
        return None
    project_id = _str(raw.get("projectId"))
    assignee = raw.get("assigneeUserId")
    return Issue(
        id=ident,
        title=raw.get("title"),
        culprit=raw.get("culprit"),
        level=raw.get("level"),
        status=raw.get("status"),
        substatus=raw.get("substatus"),
        count=raw.get("count"),
        user_count=raw.get("userCount"),
        first_seen=raw.get("firstSeen"),
        last_seen=raw.get("lastSeen"),
        first_release=raw.get("firstRelease"),
        last_release=raw.get("lastRelease"),
        assignee=str(_int(assignee)) if _int(assignee) is not None else _str(assignee),
        project=(slugs or {}).get(project_id or "") or project_id,
        project_id=project_id,
        permalink=raw.get("permalink"),
        type=raw.get("type"),
    )


def release_from_jentry(raw: JsonObject, project: str | None = None) -> Release | None:
    version = _str(raw.get("release")) or _str(raw.get("version"))
    if not version:
        return None
    figures = {
        "crash_free_sessions": _num(raw.get("crashFreeRate")),
        "adoption": _num(raw.get("adoption")),
        "sessions": _int(raw.get("sessions")),
    }
    clean = {k: v for k, v in figures.items() if v is not None}

    def counted(value: Json) -> int | None:
        return len(value) if isinstance(value, list) else _int(value)

    deploys = raw.get("deploys")
    last_deploy = deploys[-1] if isinstance(deploys, list) and deploys else None
    return Release(
        version=version,
        created=raw.get("createdAt") or raw.get("dateCreated"),
        released=raw.get("dateReleased"),
        first_event=raw.get("firstSeen"),
        last_event=raw.get("lastSeen"),
        new_issues=raw.get("newIssues"),
        issues=raw.get("issues"),
        events=raw.get("events"),
        projects=[project] if project else [],
        commit_count=counted(raw.get("commits")),
        deploy_count=counted(deploys),
        last_deploy=_str(_dict(last_deploy).get("environment")),
        health=ReleaseHealth.model_validate(clean) if clean else None,
    )


def audit_from_jentry(raw: JsonObject) -> AuditEntry:
    user = _str(raw.get("userId"))
    meta = raw.get("meta")
    note = None
    if isinstance(meta, dict) and meta:
        note = ", ".join(f"{k}={v}" for k, v in list(meta.items())[:8])[:200]
    return AuditEntry(
        id=_str(raw.get("id")),
        action=_str(raw.get("action")),
        actor=f"user:{user}" if user else None,
        target=_str(raw.get("target")),
        time=raw.get("createdAt"),
        note=note,
    )
