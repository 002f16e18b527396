"""Status changes through Bugsink's per-issue action routes, and deletion.

Bugsink has no bulk update and each action has a precondition (resolve refuses a resolved issue, reopen an
unresolved one…), so each issue's current state is read first and the actions that lead to the wanted state
are sent in order. An outcome is "ok" only when Bugsink's answer shows the wanted state.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from stacklens.backends.base import Progress, no_progress
from stacklens.backends.bugsink.client import Client, issue_segment
from stacklens.backends.bugsink.mapping import as_dict, status_of
from stacklens.backends.fanout import gather
from stacklens.errors import InvalidInput, NotSupported, StacklensError
from stacklens.models import DeleteResult, IssueChange, UpdateOutcome, UpdateResult
from stacklens.refs import IssueRef

TRIAGE, DELETE, READ = "issues:triage", "issues:delete", "issues:read"
STATUSES = ("resolved", "resolved_in_next_release", "unresolved", "ignored")
MAX_MUTE_MINUTES = 10_000_000
Action = tuple[str, dict[str, Any] | None]


def wanted_state(change: IssueChange) -> tuple[str, int | None]:
    """(status, minutes to mute for) — what Bugsink cannot store is refused before anything is sent."""
    refused = [
        name
        for name, value in (
            ("assignee", change.assignee),
            ("ignore_count", change.ignore_count),
            ("bookmarked", change.bookmarked),
            ("seen", change.seen),
        )
        if value is not None
    ]
    if refused:
        raise NotSupported(
            f"{', '.join(refused)}: Bugsink has no assignees, bookmarks, seen flags or count-based muting "
            "over its API; only status (and ignore_minutes with ignored). Nothing was changed."
        )
    status = (change.status or "").strip().lower() or ("ignored" if change.ignore_minutes is not None else "")
    if not status:
        raise InvalidInput(f"nothing to change: pass status ({', '.join(STATUSES)})")
    if status not in STATUSES:
        raise InvalidInput(f"status={change.status!r} is not valid; use one of: {', '.join(STATUSES)}")
    minutes = change.ignore_minutes
    if minutes is not None:
        if status != "ignored":
            raise InvalidInput("ignore_minutes goes with status=ignored")
        if not 1 <= minutes <= MAX_MUTE_MINUTES:
            raise InvalidInput(f"ignore_minutes must be 1–{MAX_MUTE_MINUTES}")
    return status, minutes


def actions_for(current: dict[str, Any], status: str, minutes: int | None) -> list[Action]:
    """The action calls that take an issue in state `current` to `status` (none when it is there)."""
    resolved, muted = current.get("is_resolved") is True, current.get("is_muted") is True
    by_next = current.get("is_resolved_by_next_release") is True
    if status == "resolved":
        if by_next:  # resolved, but only by the next release: reopen, then resolve for good
            return [("reopen", None), ("resolve", None)]
        return [] if resolved else [("resolve", None)]
    if status == "resolved_in_next_release":
        if resolved and by_next:
            return []
        return [("reopen", None), ("resolve-next", None)] if resolved else [("resolve-next", None)]
    if status == "unresolved":
        return [("reopen", None)] if resolved else [("unmute", None)] if muted else []
    # ignored: Bugsink refuses to mute a resolved issue (reopen first) or re-mute a muted one (unmute first)
    steps: list[Action] = [("reopen", None)] if resolved else []
    if muted and not resolved:
        if (
            minutes is None
            and current.get("unmute_after") is None
            and not current.get("unmute_on_volume_based_conditions")
        ):
            return []
        steps.append(("unmute", None))
    if minutes is None:
        return [*steps, ("mute", None)]
    return [*steps, ("mute-for", {"period_name": "minute", "nr_of_periods": minutes})]


def confirmed(record: dict[str, Any], status: str, minutes: int | None) -> bool:
    got, _ = status_of(record)
    if status == "resolved_in_next_release":
        return got == "resolved" and record.get("is_resolved_by_next_release") is True
    if status == "resolved":
        return got == "resolved" and record.get("is_resolved_by_next_release") is not True
    if status == "ignored" and minutes is not None:
        return got == "ignored" and record.get("unmute_after") is not None
    return got == status


def _shown(record: dict[str, Any]) -> str:
    status, sub = status_of(record)
    return sub if sub == "resolved_in_next_release" else status


class Writes:
    def __init__(self, client: Client) -> None:
        self.c = client

    async def _one(self, ref: IssueRef, status: str, minutes: int | None) -> UpdateOutcome:
        path = f"/issues/{issue_segment(ref)}/"
        current = as_dict((await self.c.on_issue(ref, self.c.call("GET", path, scope=READ))).data)
        record = current
        sent = 0
        for action, body in actions_for(current, status, minutes):
            # Not retried on a broken connection: a second `resolve` would be refused, hiding the first.
            call = self.c.call("POST", f"{path}{action}/", json_body=body, scope=TRIAGE, idempotent=False)
            try:
                record = as_dict((await self.c.on_issue(ref, call)).data)
            except StacklensError as exc:
                if not sent:
                    raise
                # an earlier step went through: say so, the issue is no longer as it was
                return UpdateOutcome(
                    issue=str(ref),
                    ok=False,
                    status=_shown(record),
                    error=f"{action} failed after the issue was already changed to {_shown(record)}: {exc}",
                )
            sent += 1
        if confirmed(record, status, minutes):
            return UpdateOutcome(issue=str(ref), ok=True, status=_shown(record))
        return UpdateOutcome(
            issue=str(ref),
            ok=False,
            status=_shown(record) if record else None,
            error=f"sent, not confirmed: Bugsink reports {_shown(record)}"
            if sent
            else f"Bugsink reports {_shown(record)}",
        )

    async def update_issues(
        self, refs: list[IssueRef], change: IssueChange, progress: Progress = no_progress
    ) -> UpdateResult:
        status, minutes = wanted_state(change)
        if not refs:
            raise InvalidInput("issue is required: one friendly id/UUID/URL or a list of them")
        for ref in refs:
            issue_segment(ref)  # every reference checked before anything is sent
        done = [0]

        async def run(ref: IssueRef) -> UpdateOutcome:
            try:
                outcome = await self._one(ref, status, minutes)
            except StacklensError as exc:  # one failure never hides the others' outcome
                outcome = UpdateOutcome(issue=str(ref), ok=False, error=str(exc))
            done[0] += 1
            await progress(done[0], len(refs), f"issue {ref}: {'updated' if outcome.ok else 'failed'}")
            return outcome

        return UpdateResult(outcomes=await gather([partial(run, r) for r in refs]))

    async def delete_issue(self, ref: IssueRef) -> DeleteResult:
        path = f"/issues/{issue_segment(ref)}/"
        await self.c.on_issue(ref, self.c.call("DELETE", path, scope=DELETE))
        return DeleteResult(issue=str(ref), ok=True, message="deleted with its events")
