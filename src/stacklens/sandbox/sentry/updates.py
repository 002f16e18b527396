"""Validating an issue update body (`plan_update`) and applying it with audit entries (`apply_update`).

Shared by Sentry's PUT routes and Jentry's PATCH.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from stacklens.sandbox.sentry.common import (
    ApiError,
    Json,
    detail,
    field_error,
)
from stacklens.sandbox.sentry.serialize import (
    actor_json,
)
from stacklens.sandbox.shapes import (
    sentry_time,
)
from stacklens.sandbox.state import Sandbox


def _assignee(sb: Sandbox, value: Any) -> str | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise field_error("assignedTo", "Unknown actor input")
    text = str(value).strip()
    kind, sep, ident = text.partition(":")
    if sep and kind == "team":
        if ident in sb.teams:
            return f"team:{ident}"
    elif sep and kind == "user":
        if ident in sb.members:
            return f"user:{ident}"
    elif text.startswith("#"):
        team = next((tm for tm in sb.teams.values() if tm["slug"] == text[1:]), None)
        if team:
            return f"team:{team['id']}"
    else:
        m = next((m for m in sb.members.values() if text in (m["id"], m["username"], m["email"])), None)
        if m:
            return f"user:{m['id']}"
    raise field_error("assignedTo", "Unknown actor input")


def _bool(body: Json, name: str) -> bool | None:
    if name not in body:
        return None
    value = body[name]
    if not isinstance(value, bool):
        raise field_error(name, "Must be a valid boolean.")
    return value


def _window(details: Json, name: str) -> int | None:
    value = details.get(name)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ApiError(400, {"statusDetails": {name: ["A valid integer is required."]}})
    if name.endswith("Window") and value > 10080:
        raise ApiError(400, {"statusDetails": {name: ["Ensure this value is less than or equal to 10080."]}})
    return value


def plan_update(sb: Sandbox, body: Any) -> Json:
    """Validate a PUT body into the issue fields to set (Sentry's names). Raises ApiError(400)."""
    if not isinstance(body, dict):
        raise detail(400, "Invalid request body: expected a JSON object.")
    changes: Json = {}
    status = body.get("status")
    details = body.get("statusDetails") or {}
    if not isinstance(details, dict):
        raise field_error("statusDetails", "Invalid data. Expected a dictionary.")
    if status is not None:
        if status not in ("resolved", "resolvedInNextRelease", "unresolved", "ignored", "muted"):
            raise field_error("status", f'"{status}" is not a valid choice.')
        if status == "resolvedInNextRelease" or (status == "resolved" and details.get("inNextRelease")):
            changes.update(status="resolved", substatus=None, statusDetails={"inNextRelease": True})
        elif status == "resolved":
            resolved: Json = {}
            if details.get("inRelease"):
                version = str(details["inRelease"])
                if version != "latest" and not sb.release_by(version):
                    raise ApiError(
                        400, {"statusDetails": {"inRelease": ["Unable to find the given release."]}}
                    )
                resolved["inRelease"] = version
            if details.get("inCommit"):
                resolved["inCommit"] = details["inCommit"]
            changes.update(status="resolved", substatus=None, statusDetails=resolved)
        elif status == "unresolved":
            changes.update(status="unresolved", substatus="ongoing", statusDetails={})
        else:
            ignored: Json = {}
            minutes = _window(details, "ignoreDuration")
            if minutes:
                until = datetime.now(UTC) + timedelta(minutes=minutes)
                ignored.update(ignoreDuration=minutes, ignoreUntil=sentry_time(until))
            for count, window in (("ignoreCount", "ignoreWindow"), ("ignoreUserCount", "ignoreUserWindow")):
                n = _window(details, count)
                if n:
                    ignored.update({count: n, window: _window(details, window)})
            if details.get("ignoreUntilEscalating"):
                sub = "archived_until_escalating"
            else:
                sub = "archived_until_condition_met" if ignored else "archived_forever"
            changes.update(status="ignored", substatus=sub, statusDetails=ignored)
    if "substatus" in body and body["substatus"] is not None:
        changes["substatus"] = body["substatus"]
    if "assignedTo" in body:
        changes["assignedTo"] = _assignee(sb, body["assignedTo"])
    for name in ("hasSeen", "isBookmarked", "isSubscribed", "isPublic"):
        value = _bool(body, name)
        if value is not None:
            changes[name] = value
    if "priority" in body:
        if body["priority"] not in ("high", "medium", "low"):
            raise field_error("priority", f'"{body["priority"]}" is not a valid choice.')
        changes["priority"] = body["priority"]
    return changes


def apply_update(sb: Sandbox, issue: Json, changes: Json, *, actor: str) -> Json:
    """Apply validated changes, write audit entries; returns the changed fields in Sentry's response shape."""
    before = dict(issue)
    issue.update(changes)
    if "status" in changes and changes["status"] != before["status"]:
        event = {"resolved": "issue.resolve", "ignored": "issue.ignore", "unresolved": "issue.unresolve"}
        sb.add_audit(
            event[changes["status"]],
            actor=actor,
            target_type="issue",
            target=issue["id"],
            note=f"{event[changes['status']].split('.')[1]}d {issue['shortId']}",
            data={
                "shortId": issue["shortId"],
                "status": changes["status"],
                "statusDetails": changes.get("statusDetails") or {},
            },
        )
    if "assignedTo" in changes and changes["assignedTo"] != before.get("assignedTo"):
        who = changes["assignedTo"]
        sb.add_audit(
            "issue.assign" if who else "issue.unassign",
            actor=actor,
            target_type="issue",
            target=issue["id"],
            note=f"{'assigned' if who else 'unassigned'} {issue['shortId']}",
            data={"shortId": issue["shortId"], "assignedTo": who},
        )
    out = {k: v for k, v in changes.items() if k != "assignedTo"}
    if "assignedTo" in changes:
        out["assignedTo"] = actor_json(sb, changes["assignedTo"])
    if "status" in changes:
        out.setdefault("statusDetails", {})
        out.setdefault("substatus", issue.get("substatus"))
    return out
