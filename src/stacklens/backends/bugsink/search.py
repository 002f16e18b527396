"""IssueFilter → Bugsink's issue list parameters (`state`, `q`, `sort`, `order`, `project`) plus what must
be narrowed client-side. Whatever Bugsink cannot answer is refused here, before any request."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from stacklens.backends.narrow import Narrowing, narrowing
from stacklens.errors import InvalidInput, NotSupported
from stacklens.query import IssueFilter

# Sentry's status words → Bugsink's states. Sentry's "unresolved" is Bugsink's "open": Bugsink's own
# "unresolved" also holds muted issues.
STATES = {"unresolved": "open", "resolved": "resolved", "ignored": "muted", "all": "all"}
SORTS = {"last_seen": "last_seen", "events": "digested_event_count", "first_seen": "digest_order"}
NARROWED = ("first_seen", "last_seen", "min_events")
SCAN_PAGES = 4  # 4 × 250 issues scanned at most per call when filtering client-side
_NEEDS_QUOTES = re.compile(r"\s")


@dataclass
class Plan:
    params: list[tuple[str, str]]
    narrowing: Narrowing
    notes: list[str] = field(default_factory=list)
    needs_project: bool = False  # sort=first_seen: Bugsink orders by digest_order within one project

    def describe(self) -> str:
        return " ".join(f"{k}={v}" for k, v in self.params)


def _term(key: str, value: str) -> str:
    if '"' in value:
        raise InvalidInput(f"{key}={value!r}: Bugsink's search cannot match a value holding a double quote")
    return f'{key}:"{value}"' if _NEEDS_QUOTES.search(value) or not value else f"{key}:{value}"


def _refusals(f: IssueFilter) -> None:
    if f.levels:
        raise NotSupported(
            "level: Bugsink has no issue level (it is not a tag either); drop level. Nothing was sent."
        )
    if f.sentry_query:
        raise NotSupported(
            "sentry_query: Bugsink does not speak Sentry's search syntax; use query (text) and tags. Nothing was sent."
        )
    if f.assigned and f.assigned.lower() != "none":
        raise NotSupported(
            "assigned: Bugsink has no assignees (every issue is unassigned); drop assigned. Nothing was sent."
        )
    if f.sort in ("users", "trends"):
        why = "counts no users per issue" if f.sort == "users" else "has no trend ranking"
        raise NotSupported(
            f"sort={f.sort}: Bugsink {why}; use last_seen, first_seen or events. Nothing was sent."
        )
    if len(f.environments) > 1:
        raise NotSupported(
            "environment: Bugsink's search ANDs its filters, so it matches one environment at a time; "
            "pass one. Nothing was sent."
        )


def _q(f: IssueFilter) -> str:
    parts: list[str] = []
    if f.query:
        parts.append(f.query)
    if f.environments:
        parts.append(_term("environment", f.environments[0]))
    if f.release:
        parts.append(_term("release", f.release))
    for key, values, negated in f.tags:
        if negated:
            raise NotSupported(f"tags[!{key}]: Bugsink's search has no negation. Nothing was sent.")
        if len(values) > 1:
            raise NotSupported(
                f"tags[{key}]: Bugsink's search takes one value per tag (it ANDs its filters). Nothing was sent."
            )
        parts.append(_term(key, values[0]))
    return " ".join(parts)


def plan_search(f: IssueFilter, project_id: str | None) -> Plan:
    """The request parameters and the client-side checks; raises before anything is sent."""
    _refusals(f)
    params: list[tuple[str, str]] = []
    if project_id is not None:
        params.append(("project", project_id))
    params.append(("state", STATES[f.status]))
    q = _q(f)
    if q:
        params.append(("q", q))
    params += [("sort", SORTS[f.sort]), ("order", "desc")]
    notes: list[str] = []
    if f.assigned:
        notes.append("assigned=none: Bugsink has no assignees, so every issue matches")
    if f.sort == "first_seen":
        notes.append("sort=first_seen: Bugsink's per-project issue order (digest_order), newest issue first")
    if f.release:
        notes.append(f"release={f.release}: issues with any event in that release (Bugsink's release tag)")
    return Plan(params, narrowing(f, NARROWED), notes, needs_project=f.sort == "first_seen")
