"""Jentry issue updates without the requests: the PATCH body (what Jentry cannot do refused before anything
is sent) and what the answer confirmed."""

from __future__ import annotations

from stacklens.backends.jentry.mapping import _int, _str
from stacklens.backends.json import JsonObject
from stacklens.errors import InvalidInput, NotSupported
from stacklens.models import IssueChange, UpdateOutcome

UPDATE_STATUSES = ("resolved", "unresolved", "ignored")


def update_body(change: IssueChange, me: int | None) -> JsonObject:
    """IssueChange → Jentry's PATCH body; what Jentry cannot do is refused before anything is sent."""
    unsupported = [
        name
        for name, value in (
            ("in_release", change.in_release),
            ("ignore_minutes", change.ignore_minutes),
            ("ignore_count", change.ignore_count),
            ("bookmarked", change.bookmarked),
            ("seen", change.seen),
        )
        if value is not None
    ]
    if change.status == "resolved_in_next_release":
        unsupported.insert(0, "status=resolved_in_next_release")
    if unsupported:
        raise NotSupported(
            f"{', '.join(unsupported)}: not supported by Jentry (its API sets only the status "
            "resolved/unresolved/ignored and the assignee user id); nothing was changed."
        )
    body: JsonObject = {}
    if change.status is not None:
        status = change.status.strip().lower()
        if status not in UPDATE_STATUSES:
            raise InvalidInput(
                f"status={change.status!r} is not valid; use one of: {', '.join(UPDATE_STATUSES)}"
            )
        body["status"] = status
    if change.assignee is not None:
        body["assigneeUserId"] = _assignee(change.assignee, me)
    if not body:
        raise InvalidInput(
            "nothing to change: pass status (resolved, unresolved, ignored) or assignee (a user id, me, none)"
        )
    return body


def _assignee(value: str, me: int | None) -> int | None:
    who = value.strip().lower()
    if who == "none":
        return None
    if who == "me":
        if me is None:
            raise InvalidInput(
                'assignee="me" needs JENTRY_USER_ID (your Jentry user id); or pass the user id'
            )
        return me
    digits = who.removeprefix("user:")
    if digits.isascii() and digits.isdigit() and len(digits) <= 15:
        return int(digits)
    raise InvalidInput(
        f'Jentry assigns issues to a numeric user id: assignee=<user id>, "me" or "none"; got {value!r}'
    )


def outcome(issue: str, body: JsonObject, data: JsonObject) -> UpdateOutcome:
    """What Jentry confirmed for the fields sent; a contradiction is a failure, not a success."""
    out = UpdateOutcome(issue=issue, ok=True)
    problems: list[str] = []
    unseen: list[str] = []  # fields sent that the answer does not show
    if "status" in body:
        out.status = _str(data.get("status"))
        if out.status is None:
            unseen.append("status")
        if out.status is not None and out.status != body["status"]:
            problems.append(f"Jentry reports status {out.status}, not {body['status']}")
    if "assigneeUserId" in body and "assigneeUserId" not in data:
        unseen.append("assignee")
    if "assigneeUserId" in body and "assigneeUserId" in data:
        got = _int(data.get("assigneeUserId"))
        out.assignee = str(got) if got is not None else "none"
        if got != body["assigneeUserId"]:
            problems.append(f"Jentry reports assignee {out.assignee}")
    if problems:
        out.ok, out.error = False, "; ".join(problems)
    elif unseen:
        out.confirmed = False
        out.error = f"Jentry accepted the change but its answer does not show the new {', '.join(unseen)}"
    return out
