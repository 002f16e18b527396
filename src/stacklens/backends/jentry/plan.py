"""IssueFilter → a Jentry plan: what `GET /projects/{id}/issues` filters server-side, what is narrowed
client-side over a bounded scan, and what is refused before any request (NotSupported)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field

from stacklens.errors import InvalidInput, NotSupported
from stacklens.models import Issue
from stacklens.query import _UNIT_SECONDS, IssueFilter, Window
from stacklens.query_syntax import syntax_hint

JENTRY_PERIODS: tuple[tuple[str, timedelta], ...] = (
    ("24h", timedelta(hours=24)),
    ("7d", timedelta(days=7)),
    ("14d", timedelta(days=14)),
)


class JentryPlan(BaseModel):
    """What Jentry's issue list can do server-side (`params`), and what must be filtered client-side."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    params: dict[str, str]
    client_side: list[str] = Field(default_factory=list)  # human descriptions of client-side filters
    predicate: Callable[[Issue], bool] | None = None
    # True for an issue below a client-side bound on the sort key itself (last_seen < the window, in
    # last_seen order): no issue after it in the server's order can match, so the scan ends there.
    stop: Callable[[Issue], bool] | None = None

    def matches(self, issue: Issue) -> bool:
        return self.predicate(issue) if self.predicate else True

    def past_end(self, issue: Issue) -> bool:
        return self.stop(issue) if self.stop else False

    def describe(self) -> str:
        shown = " ".join(f"{k}={v}" for k, v in self.params.items())
        if self.client_side:
            shown += " + client-side: " + ", ".join(self.client_side)
        return shown


def _covering_period(cutoff: datetime, now: datetime) -> str:
    """The smallest Jentry period covering `cutoff`…now (`all` past 14 days)."""
    span = now - cutoff
    for name, length in JENTRY_PERIODS:
        if span <= length:
            return name
    return "all"


def _exact_period(window: Window) -> str | None:
    """The Jentry period a relative window equals exactly (`1d` → `24h`, `2w` → `14d`), else None.

    Only relative windows qualify: an absolute time is narrowed client-side even when it lies about 24 h
    back, since the upstream's clock moves on between our `now` and its own.
    """
    if not window.relative:
        return None
    seconds = int(window.relative[:-1]) * _UNIT_SECONDS[window.relative[-1]]
    for name, length in JENTRY_PERIODS:
        if seconds == length.total_seconds():
            return name
    return None


def jentry_plan(f: IssueFilter, *, now: datetime | None = None, me: int | None = None) -> JentryPlan:
    """Map an IssueFilter onto `GET /projects/{id}/issues`. Raises NotSupported for what Jentry lacks."""
    if f.environments:
        raise NotSupported(
            "Jentry issues have no environment filter. Omit environment, then check an issue's events "
            "(list_issue_events / get_latest_event show each event's environment)."
        )
    if f.tags:
        raise NotSupported(
            "Jentry cannot filter issues by tag. Omit tags; use list_tag_values on an issue to see a tag's spread."
        )
    if f.query_syntax:
        raise InvalidInput(
            f"query holds Sentry search syntax ({' '.join(f.query_syntax)}), which Jentry's text search "
            f"would look for literally; pass {syntax_hint(f.query_syntax)} instead "
            "(tags and environment are Sentry only) and keep query for words of the title."
        )
    if f.sentry_query:
        raise NotSupported(
            "sentry_query is Sentry search syntax; with Jentry use query (text) and the other filters."
        )
    if f.sort == "trends":
        raise NotSupported("Jentry has no trends sort; use last_seen, first_seen, events or users.")

    now = now or datetime.now(UTC)
    params: dict[str, str] = {"status": f.status, "sort": f.sort}
    described: list[str] = []
    checks: list[Callable[[Issue], bool]] = []

    if len(f.levels) == 1:
        params["level"] = f.levels[0]
    elif f.levels:
        wanted = set(f.levels)
        checks.append(lambda i: (i.level or "").lower() in wanted)
        described.append("level in [" + ", ".join(f.levels) + "]")
    if f.query:
        params["query"] = f.query

    # A first_seen window bounds last_seen too (an issue first seen in the window was last seen in it).
    # Always an explicit period (`all` without a window): the API's default is not documented, and a
    # dashboard-style default window would hide issues silently.
    cutoffs = [w.cutoff(now) for w in (f.last_seen, f.first_seen) if w]
    params["period"] = _covering_period(max(cutoffs), now) if cutoffs else "all"
    if f.last_seen:
        last_cut = f.last_seen.cutoff(now)
        if _exact_period(f.last_seen) != params["period"]:
            checks.append(lambda i: i.last_seen is not None and i.last_seen >= last_cut)
            described.append(f"last_seen within {f.last_seen.text}")
    if f.first_seen:
        first_cut = f.first_seen.cutoff(now)
        checks.append(lambda i: i.first_seen is not None and i.first_seen >= first_cut)
        described.append(f"first_seen within {f.first_seen.text}")
    if f.assigned:
        a = f.assigned.lower()
        if a == "none":
            checks.append(lambda i: not i.assignee)
            described.append("unassigned")
        else:
            if a == "me":
                if me is None:
                    raise InvalidInput(
                        'assigned="me" needs JENTRY_USER_ID (your Jentry user id) to be set; or pass the user id'
                    )
                uid = str(me)
            elif (digits := a.removeprefix("user:")).isascii() and digits.isdigit():
                uid = str(int(digits))  # "007", 7 and user:7 (as read_audit shows users) name one user
            else:
                raise NotSupported(
                    "Jentry assigns issues to numeric user ids: use assigned=<user id> (or user:<id>, as "
                    'read_audit shows them), "me" or "none".'
                )
            checks.append(lambda i: i.assignee == uid)
            described.append(f"assigned to user {uid}")
    if f.min_events is not None:
        least = f.min_events
        checks.append(lambda i: (i.count or 0) >= least)
        described.append(f"events >= {f.min_events}")
    if f.release:
        rel = f.release
        checks.append(lambda i: rel in (i.first_release, i.last_release))
        described.append(f"release = {rel} (first or last release)")

    predicate = (lambda i: all(c(i) for c in checks)) if checks else None
    # Bounds on the sort key: the list is ordered by it (largest first), so the first issue below the bound
    # ends the scan. A first_seen window bounds last_seen too (see above). Unknown values never stop it.
    stop = _sort_bound(f, cutoffs, now) if predicate is not None else None
    return JentryPlan(params=params, client_side=described, predicate=predicate, stop=stop)


def _sort_bound(f: IssueFilter, cutoffs: list[datetime], now: datetime) -> Callable[[Issue], bool] | None:
    """A client-side bound on the sort key itself (at most one: the key is one field): true for the first
    issue past it in the server's order, after which nothing can match."""
    if f.sort == "last_seen" and cutoffs:
        low = max(cutoffs)
        return lambda i: i.last_seen is not None and i.last_seen < low
    if f.sort == "first_seen" and f.first_seen:
        first_low = f.first_seen.cutoff(now)
        return lambda i: i.first_seen is not None and i.first_seen < first_low
    if f.sort == "events" and f.min_events is not None:
        n = f.min_events
        return lambda i: i.count is not None and i.count < n
    return None
