"""Sentry writes without the requests: the issue PUT body, what the answer confirmed, bulk grouping per
project, and release/deploy bodies checked before anything is sent."""

from __future__ import annotations

from datetime import datetime

from stacklens.backends.json import JsonObject
from stacklens.backends.sentry.mapping import _bool, _dict, _str, assignee_text
from stacklens.errors import InvalidInput
from stacklens.http import Reply
from stacklens.models import DeploySpec, IssueChange, ReleaseSpec, UpdateOutcome

STATUS_BODY = {"resolved_in_next_release": "resolvedInNextRelease"}
UPDATE_STATUSES = ("resolved", "resolved_in_next_release", "unresolved", "ignored")


def _confirmed_status(data: JsonObject) -> str | None:
    status = _str(data.get("status"))
    details = _dict(data.get("statusDetails"))
    if status == "resolvedInNextRelease" or (status == "resolved" and details.get("inNextRelease")):
        return "resolved_in_next_release"
    return status


def outcome(issue: str, change: IssueChange, data: JsonObject) -> UpdateOutcome:
    """What the upstream confirmed for the fields asked; a contradiction is a failure, not a success."""
    out = UpdateOutcome(issue=issue, ok=True)
    problems: list[str] = []
    unseen: list[str] = []  # fields asked for that the answer does not show
    wanted_status = change.status or (
        "ignored"
        if change.ignore_minutes or change.ignore_count
        else "resolved"
        if change.in_release
        else None
    )
    if wanted_status:
        out.status = _confirmed_status(data)
        if out.status is None:
            unseen.append("status")
        accepted = {wanted_status} | ({"resolved"} if wanted_status == "resolved_in_next_release" else set())
        if out.status is not None and out.status not in accepted:
            problems.append(f"Sentry reports status {out.status}, not {wanted_status}")
    if change.assignee is not None and "assignedTo" not in data:
        unseen.append("assignee")
    if change.in_release is not None:
        # Confirmed from the answer: a resolve that dropped the release would otherwise read as success.
        confirmed = _str(_dict(data.get("statusDetails")).get("inRelease"))
        out.in_release = confirmed
        asked = change.in_release.strip()
        if confirmed is not None and asked != "latest" and confirmed != asked:
            problems.append(f"Sentry reports it resolved in release {confirmed}, not {change.in_release}")
        elif confirmed is None and "statusDetails" in data:
            problems.append(f"Sentry did not confirm the release {change.in_release} it was resolved in")
    if change.assignee is not None and "assignedTo" in data:
        out.assignee = assignee_text(data.get("assignedTo")) or "none"
        if change.assignee.lower() == "none" and out.assignee != "none":
            problems.append(f"still assigned to {out.assignee}")
        elif change.assignee.lower() != "none" and out.assignee == "none":
            problems.append("Sentry left the issue unassigned")
    if change.bookmarked is not None:
        out.bookmarked = _bool(data.get("isBookmarked"))
        if out.bookmarked is None:
            unseen.append("bookmark")
        if out.bookmarked is not None and out.bookmarked != change.bookmarked:
            problems.append(f"bookmark is {out.bookmarked}")
    if change.seen is not None:
        out.seen = _bool(data.get("hasSeen"))
        if out.seen is None:
            unseen.append("seen")
        if out.seen is not None and out.seen != change.seen:
            problems.append(f"seen is {out.seen}")
    if problems:
        out.ok = False
        out.error = "; ".join(problems)
    elif unseen:
        out.confirmed = False
        out.error = f"Sentry accepted the change but its answer does not show the new {', '.join(unseen)}"
    return out


def update_body(change: IssueChange) -> JsonObject:
    """IssueChange → Sentry's PUT body (status, statusDetails, assignedTo, isBookmarked, hasSeen)."""
    body: JsonObject = {}
    status = change.status
    if status is not None and status not in UPDATE_STATUSES:
        raise InvalidInput(f"status={status!r} is not valid; use one of: {', '.join(UPDATE_STATUSES)}")
    ignoring = change.ignore_minutes is not None or change.ignore_count is not None
    if ignoring:
        if status not in (None, "ignored"):
            raise InvalidInput("ignore_minutes/ignore_count go with status='ignored' (or no status)")
        status = "ignored"
        details: dict[str, int] = {}
        for name, key, value in (
            ("ignore_minutes", "ignoreDuration", change.ignore_minutes),
            ("ignore_count", "ignoreCount", change.ignore_count),
        ):
            if value is not None:
                if isinstance(value, bool) or value < 1:
                    raise InvalidInput(f"{name} must be a positive integer")
                details[key] = value
        body["statusDetails"] = details
    if change.in_release is not None:
        version = change.in_release.strip()
        if not version or any(ord(c) < 32 or c == "\x7f" for c in version):
            raise InvalidInput("in_release: a release version, e.g. shop@1.4.3")
        if status not in (None, "resolved"):
            raise InvalidInput(
                f"in_release goes with status='resolved' (or no status), not status={status!r}"
            )
        status = "resolved"
        body["statusDetails"] = {"inRelease": version}
    if status is not None:
        body["status"] = STATUS_BODY.get(status, status)
    if change.assignee is not None:
        who = change.assignee.strip()
        if not who or any(ord(c) < 32 or c == "\x7f" for c in who):
            raise InvalidInput("assignee: a username, email, user:ID or team:ID; 'none' unassigns")
        body["assignedTo"] = "" if who.lower() == "none" else who
    if change.bookmarked is not None:
        body["isBookmarked"] = change.bookmarked
    if change.seen is not None:
        body["hasSeen"] = change.seen
    if not body:
        raise InvalidInput(
            "nothing to change: pass status, assignee, ignore_minutes/ignore_count, bookmarked or seen"
        )
    return body


def _iso_time(value: str, name: str) -> None:
    try:
        datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(
            f"{name}={value[:60]!r} is not an ISO-8601 time, e.g. 2026-06-29T12:30:00Z"
        ) from None


def check_release_spec(spec: ReleaseSpec) -> None:
    """What Sentry would refuse with a 400 half-way (after the release exists), refused up front."""
    if spec.date_released:
        _iso_time(spec.date_released, "date_released")
    for c in spec.commits:
        if not c.sha.strip():
            raise InvalidInput("every commit needs a sha")
    for d in spec.deploys:
        env = d.environment.strip()
        if not env or any(ord(ch) < 32 or ch == "\x7f" for ch in env):
            raise InvalidInput("every deploy needs an environment name, e.g. production")
        if d.deployed_at:
            _iso_time(d.deployed_at, "deployed_at")


# --- the backend ----------------------------------------------------------------------------------------


# A located issue: (numeric id, project slug-or-id), or the error text saying why it could not be located.
Located = dict[str, tuple[str, str] | str]


def group_by_project(
    values: list[str], located: Located
) -> tuple[dict[str, UpdateOutcome], dict[str, list[tuple[str, str]]]]:
    """Refs (their values, in order) → the failures so far, and project → [(ref value, numeric id)]."""
    outcomes: dict[str, UpdateOutcome] = {}
    groups: dict[str, list[tuple[str, str]]] = {}
    for value in values:
        where = located.get(value, f"issue {value} could not be located")
        if isinstance(where, str):
            outcomes[value] = UpdateOutcome(issue=value, ok=False, error=where)
        else:
            groups.setdefault(where[1], []).append((value, where[0]))
    return outcomes, groups


def bulk_outcome(value: str, change: IssueChange, reply: Reply) -> UpdateOutcome:
    """One issue's outcome from the answer of its project's bulk PUT."""
    data = reply.data
    if reply.status == 204:  # Sentry's answer when the ids matched no issue of the project
        return UpdateOutcome(
            issue=value, ok=False, error="Sentry matched no issue to update (204, no content)"
        )
    if not isinstance(data, dict) or not data:
        return UpdateOutcome.unconfirmed(
            value, f"Sentry answered {reply.status} without the changed fields: read the issue to check"
        )
    return outcome(value, change, data)


def release_body(spec: ReleaseSpec, version: str, slug: str) -> tuple[JsonObject, list[str]]:
    """The release POST body, and notes on what of the spec Sentry's API does not take."""
    body: JsonObject = {"version": version, "projects": [slug]}
    for key, value in (("ref", spec.ref), ("url", spec.url), ("dateReleased", spec.date_released)):
        if value:
            body[key] = value
    notes: list[str] = []
    if spec.commits:
        commits = []
        for c in spec.commits:
            item = {
                "id": c.sha,
                "message": c.message,
                "author_name": c.author,
                "author_email": c.author_email,
            }
            commits.append({k: v for k, v in item.items() if v is not None})
        body["commits"] = commits
        if any(c.url or c.files for c in spec.commits):
            notes.append("commit url/files are not part of Sentry's release API and were not sent")
    return body, notes


def deploy_body(environment: str, deploy: DeploySpec) -> JsonObject:
    body: JsonObject = {"environment": environment}
    for key, value in (("name", deploy.name), ("url", deploy.url), ("dateFinished", deploy.deployed_at)):
        if value:
            body[key] = value
    return body
