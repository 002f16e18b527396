"""IssueFilter: the natural parameters of search_issues, validated and normalized, for any backend.

Each backend maps it onto its own API (backends/sentry/search.py, backends/jentry/plan.py). Deterministic, no
LLM. Everything is validated before any request is sent (DESIGN §3).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from stacklens.errors import InvalidInput
from stacklens.query_syntax import split_syntax
from stacklens.refs import TAG_KEY, check_project

STATUSES = ("unresolved", "resolved", "ignored", "all")
LEVELS = ("fatal", "error", "warning", "info", "debug")
SORTS = ("last_seen", "first_seen", "events", "users", "trends")
_UNITS = {"m": "m", "min": "m", "h": "h", "hr": "h", "hour": "h", "d": "d", "day": "d", "w": "w", "week": "w"}
_WINDOW = re.compile(r"-?(\d{1,6})\s*(m|mins?|minutes?|h|hrs?|hours?|d|days?|w|weeks?)", re.IGNORECASE)
_UNIT_SECONDS = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_MAX_WINDOW_SECONDS = 100 * 366 * 86400
MAX_CURSOR = 16_000
WINDOW_HELP = (
    'a window like "30m", "24h", "7d", "2w" (within the last …; "last 24h" too), "today" or "yesterday" '
    '(since 00:00 UTC that day) or an ISO date/datetime like "2026-01-15"'
)
_LAST = re.compile(r"(?:last|past|within)\s+", re.IGNORECASE)
_DAYS_BACK = {"today": 0, "yesterday": 1}


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
    if text.lower() in _DAYS_BACK:
        # A calendar day in UTC, not "the last 24 hours": the shown query and notes carry the date it means.
        start = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        start -= timedelta(days=_DAYS_BACK[text.lower()])
        return Window(text=f"{text.lower()} (since {start:%Y-%m-%d} 00:00 UTC)", since=start, date_only=True)
    match = _WINDOW.fullmatch(_LAST.sub("", text, count=1) if _LAST.match(text) else text)
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
    # Sentry search tokens found in `query` (query_syntax.py): Sentry sends them as tokens, others refuse
    # them with the matching parameters; never searched as a literal phrase.
    query_syntax: tuple[str, ...] = ()

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
            # Sentry's syntax, refused here for every backend so a bad one is InvalidInput before anything
            # else. Imported on use: the Sentry backend package itself imports this module.
            from stacklens.backends.sentry.search import check_raw_sentry_query

            check_raw_sentry_query(str(sentry_query))
        if release is not None and str(release).strip().endswith("\\"):
            raise InvalidInput("release must not end with a backslash")
        free_text, syntax = split_syntax(str(query)) if query else ("", ())
        project_text = None
        if project is not None and str(project).strip():
            project_text = check_project(project)
        return cls(
            query=free_text.strip() or None,
            query_syntax=syntax,
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
