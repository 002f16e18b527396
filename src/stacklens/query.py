"""IssueFilter (the natural parameters of search_issues) → exact Sentry search syntax or a Jentry plan.

Deterministic, no LLM. Everything is validated before any request is sent (DESIGN §3).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from stacklens.errors import InvalidInput, NotSupported
from stacklens.models import Issue
from stacklens.refs import TAG_KEY, check_project

STATUSES = ("unresolved", "resolved", "ignored", "all")
LEVELS = ("fatal", "error", "warning", "info", "debug")
SORTS = ("last_seen", "first_seen", "events", "users", "trends")
SENTRY_SORT = {
    "last_seen": "date",
    "first_seen": "new",
    "events": "freq",
    "users": "user",
    "trends": "trends",
}
JENTRY_PERIODS: tuple[tuple[str, timedelta], ...] = (
    ("24h", timedelta(hours=24)),
    ("7d", timedelta(days=7)),
    ("14d", timedelta(days=14)),
)
_UNITS = {"m": "m", "min": "m", "h": "h", "hr": "h", "hour": "h", "d": "d", "day": "d", "w": "w", "week": "w"}
_WINDOW = re.compile(r"-?(\d{1,6})\s*(m|mins?|minutes?|h|hrs?|hours?|d|days?|w|weeks?)", re.IGNORECASE)
_UNIT_SECONDS = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_MAX_WINDOW_SECONDS = 100 * 366 * 86400
_NEEDS_QUOTES = re.compile(r'[\s"\[\]():,]')
# Sentry's grammar reads OR/AND as operators in any case (`~r"OR"i`), and issue search then answers 400.
_BOOLEAN_WORD = re.compile(r"(^|\s)(OR|AND)(\s|$)", re.IGNORECASE)
# A value starting with a comparison operator is read as `key:>=value`; quoted, it stays a literal.
_OPERATOR_START = ("<", ">", "=", "!")
# Search keys of issue search that are not tags: a tag of that name must be written `tags[key]`.
_RESERVED_KEYS = frozenset(
    {"is", "has", "assigned", "assigned_or_suggested", "bookmarks", "subscribed", "age", "firstSeen",
     "lastSeen", "timesSeen", "firstRelease", "first-release", "issue", "issue.id", "issue.category",
     "issue.type", "issue.priority", "regressed_in_release"}
)  # fmt: skip
MAX_CURSOR = 16_000
WINDOW_HELP = (
    'a window like "30m", "24h", "7d", "2w" (within the last …) or an ISO date/datetime like "2026-01-15"'
)


class Window(BaseModel):
    """A time window: relative (`24h`) or since an absolute time."""

    model_config = ConfigDict(frozen=True)

    text: str
    relative: str | None = None  # normalized "24h"
    since: datetime | None = None  # absolute lower bound
    date_only: bool = False

    def cutoff(self, now: datetime) -> datetime:
        if self.relative:
            amount, unit = int(self.relative[:-1]), self.relative[-1]
            return now - timedelta(seconds=amount * _UNIT_SECONDS[unit])
        assert self.since is not None
        return self.since

    def sentry(self, key: str) -> str:
        if self.relative:
            return f"{key}:-{self.relative}"
        assert self.since is not None
        if self.date_only:
            return f"{key}:>={self.since.date().isoformat()}"
        return f"{key}:>={self.since.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%S')}"


def _show(value: object, limit: int = 60) -> str:
    """A refused value as quoted in a message: cut, so a 10 KB input is not echoed back in full."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 4] + "…" + text[0]


def parse_window(value: str | None, name: str) -> Window | None:
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    match = _WINDOW.fullmatch(text)
    if match:
        amount = int(match.group(1))
        unit = _UNITS.get(match.group(2).lower().rstrip("s"), match.group(2).lower()[0])
        if amount <= 0:
            raise InvalidInput(f"{name}: the window must be positive; use {WINDOW_HELP}")
        if amount * _UNIT_SECONDS[unit] > _MAX_WINDOW_SECONDS:  # past it, date arithmetic overflows
            raise InvalidInput(f"{name}={_show(text)} is too long (at most 100 years); use {WINDOW_HELP}")
        return Window(text=text, relative=f"{amount}{unit}")
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return Window(text=text, since=datetime(day.year, day.month, day.day, tzinfo=UTC), date_only=True)
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        since = (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)
    except (ValueError, OverflowError):  # OverflowError: an offset pushes it past year 1 or 9999
        raise InvalidInput(f"{name}={_show(text)} is not understood; use {WINDOW_HELP}") from None
    return Window(text=text, since=since)


def _one_of(value: str, allowed: tuple[str, ...], name: str) -> str:
    text = str(value).strip().lower()
    if text not in allowed:
        raise InvalidInput(f"{name}={_show(value)} is not valid; use one of: {', '.join(allowed)}")
    return text


def _as_list(value: str | list[str] | None) -> list[str]:
    if value is None:
        return []
    items = [value] if isinstance(value, str) else list(value)
    return [str(v).strip() for v in items if str(v).strip()]


def _no_controls(value: str, name: str, max_len: int = 1000) -> str:
    if any(ord(c) < 32 or c == "\x7f" for c in value):
        raise InvalidInput(f"{name} must not contain control characters (CR, LF, tab …)")
    if len(value) > max_len:
        raise InvalidInput(f"{name} is too long ({len(value)} characters; at most {max_len})")
    return value


class IssueFilter(BaseModel):
    """The natural parameters of search_issues, validated and normalized."""

    model_config = ConfigDict(frozen=True)

    query: str | None = None
    status: Literal["unresolved", "resolved", "ignored", "all"] = "unresolved"
    levels: tuple[str, ...] = ()
    environments: tuple[str, ...] = ()
    release: str | None = None
    assigned: str | None = None
    first_seen: Window | None = None
    last_seen: Window | None = None
    min_events: int | None = None
    tags: tuple[tuple[str, tuple[str, ...], bool], ...] = ()  # (key, values, negated)
    project: str | None = None
    sort: Literal["last_seen", "first_seen", "events", "users", "trends"] = "last_seen"
    limit: int = Field(default=25, ge=1, le=100)
    cursor: str | None = None
    sentry_query: str | None = None

    @classmethod
    def build(
        cls,
        *,
        query: str | None = None,
        status: str | None = "unresolved",
        level: str | list[str] | None = None,
        environment: str | list[str] | None = None,
        release: str | None = None,
        assigned: str | None = None,
        first_seen: str | None = None,
        last_seen: str | None = None,
        min_events: int | None = None,
        tags: dict[str, Any] | None = None,
        project: str | int | None = None,
        sort: str | None = "last_seen",
        limit: int | None = 25,
        cursor: str | None = None,
        sentry_query: str | None = None,
    ) -> IssueFilter:
        """Validate everything; raise InvalidInput listing what is valid. Nothing is sent before this passes."""
        levels = tuple(dict.fromkeys(_one_of(v, LEVELS, "level") for v in _as_list(level)))
        tag_items: list[tuple[str, tuple[str, ...], bool]] = []
        for raw_key, raw_value in (tags or {}).items():
            key = str(raw_key).strip()
            negated = key.startswith("!")
            key = key.lstrip("!").strip()
            if not TAG_KEY.fullmatch(key):
                raise InvalidInput(
                    f"invalid tag key {_show(raw_key)}: letters, digits and _ . : - only; prefix ! to negate"
                )
            values = tuple(_no_controls(v, f"tags[{key}]", 200) for v in _as_list(raw_value))
            if not values:
                raise InvalidInput(f"tags[{key}] needs a value (a string, or a list meaning any of)")
            tag_items.append((key, values, negated))
        if limit is None:
            limit = 25
        if isinstance(limit, bool) or not 1 <= int(limit) <= 100:
            raise InvalidInput(f"limit={limit!r} is out of range; use 1–100")
        if min_events is not None and (isinstance(min_events, bool) or int(min_events) < 0):
            raise InvalidInput("min_events must be a non-negative integer")
        for name, text in (
            ("query", query),
            ("release", release),
            ("assigned", assigned),
            ("sentry_query", sentry_query),
        ):
            if text is not None:
                _no_controls(str(text), name, 2000)
        if cursor is not None:
            # Jentry's cross-project cursor carries a position per project (~14 bytes each).
            _no_controls(str(cursor), "cursor", MAX_CURSOR)
        if sentry_query is not None:
            check_raw_sentry_query(str(sentry_query))
        if release is not None and str(release).strip().endswith("\\"):
            raise InvalidInput("release must not end with a backslash")
        project_text = None
        if project is not None and str(project).strip():
            project_text = check_project(project)
        return cls(
            query=(query or "").strip() or None,
            status=_one_of(status or "unresolved", STATUSES, "status"),  # type: ignore[arg-type]
            levels=levels,
            environments=tuple(_no_controls(e, "environment", 200) for e in _as_list(environment)),
            release=(release or "").strip() or None,
            assigned=(assigned or "").strip() or None,
            first_seen=parse_window(first_seen, "first_seen"),
            last_seen=parse_window(last_seen, "last_seen"),
            min_events=int(min_events) if min_events is not None else None,
            tags=tuple(tag_items),
            project=project_text,
            sort=_one_of(sort or "last_seen", SORTS, "sort"),  # type: ignore[arg-type]
            limit=int(limit),
            cursor=(cursor or "").strip() or None,
            sentry_query=(sentry_query or "").strip() or None,
        )


# --- Sentry -------------------------------------------------------------------------------------------


def quote_value(value: str) -> str:
    """Quote a search value when Sentry's grammar needs it (`a b` → `"a b"`, inner `"` → `\\"`)."""
    if value.endswith("\\"):
        raise InvalidInput(f"a search value must not end with a backslash: {_show(value)}")
    special = value.upper() in ("OR", "AND") or value.startswith(_OPERATOR_START)
    if value == "" or special or _NEEDS_QUOTES.search(value):
        return '"' + value.replace('"', '\\"') + '"'
    return value


def _sentry_list(values: tuple[str, ...]) -> str:
    if len(values) == 1:
        return quote_value(values[0])
    return "[" + ", ".join(quote_value(v) for v in values) + "]"


def _free_text(text: str) -> str:
    """Free text stays as typed unless it would be read as syntax (a colon, quotes, OR/AND)."""
    if any(c in text for c in ':"[]()') or _BOOLEAN_WORD.search(text):
        return quote_value(text)
    return text


def _tag_key(key: str) -> str:
    """A tag key as Sentry reads it: `key`, or `tags[key]` when it clashes with a search key or holds a colon."""
    if ":" in key:
        return (
            f'tags["{key}"]'  # the bare-key grammar stops at ':' (`sentry:user` would read as key `sentry`)
        )
    if key in _RESERVED_KEYS:
        return f"tags[{key}]"
    return key


def check_raw_sentry_query(text: str) -> str:
    """Raw `sentry_query` is appended as is: refuse what Sentry's issue search cannot parse (an unbalanced
    quote, which would swallow what follows; brackets, parentheses, OR/AND) saying what to write instead."""
    outside: list[str] = []
    i, n = 0, len(text)
    while i < n:
        if text[i] != '"':
            outside.append(text[i])
            i += 1
            continue
        i += 1
        while i < n and text[i] != '"':
            i += 2 if text.startswith('\\"', i) else 1
        if i >= n:
            raise InvalidInput('sentry_query has an unbalanced quote: write key:"a b" (inner quote as \\")')
        outside.append(" ")
        i += 1
    bare = "".join(outside)
    depth = 0
    for c in bare:
        depth += {"[": 1, "]": -1}.get(c, 0)
        if depth < 0 or depth > 1:
            break
    if depth != 0:
        raise InvalidInput("sentry_query has unbalanced brackets: a list is key:[a, b]")
    if "(" in bare or ")" in bare or _BOOLEAN_WORD.search(bare):
        raise InvalidInput(
            "Sentry issue search has no OR/AND or parentheses; use a list for any-of (level:[error, fatal]) "
            "and separate tokens by spaces for all-of"
        )
    return text


class SentrySearch(BaseModel):
    query: str
    params: list[tuple[str, str]]


def sentry_search(f: IssueFilter, project_ids: list[str] | None = None) -> SentrySearch:
    """The exact request for `GET /organizations/{org}/issues/`. `project_ids` are already resolved."""
    tokens: list[str] = []
    if f.status != "all":
        tokens.append(f"is:{f.status}")
    if f.levels:
        tokens.append("level:" + (f.levels[0] if len(f.levels) == 1 else "[" + ", ".join(f.levels) + "]"))
    if f.release:
        tokens.append('release:"' + f.release.replace('"', '\\"') + '"')
    if f.assigned:
        a = f.assigned
        if a.lower() == "none":
            tokens.append("is:unassigned")
        elif a.lower() == "me":
            tokens.append("assigned:me")
        else:
            tokens.append("assigned:" + quote_value(a))
    if f.first_seen:
        tokens.append(f.first_seen.sentry("firstSeen"))
    if f.last_seen:
        tokens.append(f.last_seen.sentry("lastSeen"))
    if f.min_events is not None:
        tokens.append(f"timesSeen:>={f.min_events}")
    for key, values, negated in f.tags:
        tokens.append(("!" if negated else "") + f"{_tag_key(key)}:{_sentry_list(values)}")
    if f.query:
        tokens.append(_free_text(f.query))
    if f.sentry_query:
        tokens.append(f.sentry_query)
    query = " ".join(tokens)
    params: list[tuple[str, str]] = [("query", query), ("sort", SENTRY_SORT[f.sort]), ("limit", str(f.limit))]
    params += [("environment", e) for e in f.environments]
    params += [("project", p) for p in project_ids or []]
    if f.cursor:
        params.append(("cursor", f.cursor))
    return SentrySearch(query=query, params=params)


# --- Jentry -------------------------------------------------------------------------------------------


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
            checks.append(lambda i, c=last_cut: i.last_seen is not None and i.last_seen >= c)
            described.append(f"last_seen within {f.last_seen.text}")
    if f.first_seen:
        first_cut = f.first_seen.cutoff(now)
        checks.append(lambda i, c=first_cut: i.first_seen is not None and i.first_seen >= c)
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
            elif f.assigned.isascii() and f.assigned.isdigit():
                uid = str(int(f.assigned))  # "007" and 7 name one user; assignees compare as text
            else:
                raise NotSupported(
                    'Jentry assigns issues to numeric user ids: use assigned=<user id>, "me" or "none".'
                )
            checks.append(lambda i, u=uid: i.assignee == u)
            described.append(f"assigned to user {uid}")
    if f.min_events is not None:
        checks.append(lambda i, n=f.min_events: (i.count or 0) >= n)
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
