"""Sentry's issue search syntax, parsed and evaluated over the sandbox dataset.

Covers what sentry-api-notes.md lists: `key:value`, `!key:value`, `key:[a, b]`, quoted values with `\\"`,
wildcards, `is:`, `level:`, `release:`, `assigned:`, `firstSeen`/`lastSeen`/`age` (relative and absolute with
operators), `timesSeen`, `issue.priority`, tags (matched against the issue's events), free text. Like Sentry's
issue search it refuses OR/AND and parentheses (400) and anything it cannot parse.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from stacklens.sandbox.shapes import exceptions

Json = dict[str, Any]

DEFAULT_QUERY = "is:unresolved issue.priority:[high, medium]"
BOOLEAN_ERROR = 'Boolean statements containing "OR" or "AND" are not supported in this search'
IS_VALUES = (
    "resolved",
    "unresolved",
    "ignored",
    "archived",
    "muted",
    "assigned",
    "unassigned",
    "for_review",
    "linked",
    "unlinked",
    "new",
    "ongoing",
    "regressed",
    "escalating",
    "bookmarked",
)
_KEY = re.compile(r'!?(tags\[(?:"[^"\]]+"|[^\]"\s]+)\]|[A-Za-z_][A-Za-z0-9_.\-]*):')
_RELATIVE = re.compile(r"([+-]?)(\d+)([mhdw])")
_UNITS = {"m": 60, "h": 3600, "d": 86400, "w": 604800}
# Keys whose value may start with a comparison operator; for any other key `>` is part of the value.
_COMPARABLE = frozenset({"firstSeen", "lastSeen", "age", "timesSeen", "firstseen", "lastseen", "timesseen"})
_OPS: dict[str, Callable[[Any, Any], bool]] = {
    ">=": operator.ge,
    "<=": operator.le,
    ">": operator.gt,
    "<": operator.lt,
    "=": operator.eq,
}


class SearchError(ValueError):
    """The query cannot be run; the message is what Sentry would answer with a 400."""


@dataclass
class Term:
    key: str | None  # None = free text
    values: list[str]
    negated: bool = False
    op: str = ""  # comparison operator for dates/numbers
    quoted: bool = False


def _parse_error(text: str, at: int) -> SearchError:
    return SearchError(
        f"Parse error at '{text[at : at + 20]}' (column {at + 1}). This is commonly caused by unmatched "
        "parentheses. Enclose any text in double quotes."
    )


def _quoted(text: str, i: int) -> tuple[str, int]:
    """The quoted string starting at text[i] (a `"`): (unescaped value, index after the closing quote)."""
    out, j = [], i + 1
    while j < len(text):
        if text.startswith('\\"', j):
            out.append('"')
            j += 2
        elif text[j] == '"':
            return "".join(out), j + 1
        else:
            out.append(text[j])
            j += 1
    raise _parse_error(text, i)


def _list(text: str, i: int) -> tuple[list[str], int]:
    values, j = [], i + 1
    while True:
        while j < len(text) and text[j] in " ,":
            j += 1
        if j >= len(text):
            raise _parse_error(text, i)
        if text[j] == "]":
            break
        if text[j] == '"':
            value, j = _quoted(text, j)
        else:
            m = re.compile(r"[^,\]\s\[\"()]+").match(text, j)
            if not m:
                raise _parse_error(text, j)
            value, j = m.group(0), m.end()
        values.append(value)
    if not values:
        raise _parse_error(text, i)
    return values, j + 1


def parse(query: str) -> list[Term]:
    terms: list[Term] = []
    i, n = 0, len(query)
    while i < n:
        if query[i].isspace():
            i += 1
            continue
        if query[i] in "()":
            if re.search(r"\b(OR|AND)\b", query, re.IGNORECASE):
                raise SearchError(BOOLEAN_ERROR)
            raise _parse_error(query, i)
        m = _KEY.match(query, i)
        if m:
            negated, key = query[i] == "!", m.group(1)
            if key.startswith("tags["):
                key = key[5:-1].strip('"')
            j, op = m.end(), ""
            if j < n and query[j] == "[":
                values, j = _list(query, j)
                terms.append(Term(key, values, negated))
            else:
                om = re.compile(r">=|<=|>|<|=").match(query, j)
                if om and key in _COMPARABLE:
                    op, j = om.group(0), om.end()
                if j < n and query[j] == '"':
                    value, j = _quoted(query, j)
                    terms.append(Term(key, [value], negated, op, quoted=True))
                else:
                    vm = re.compile(r'[^\s"()]*').match(query, j)
                    assert vm is not None
                    if vm.end() < n and query[vm.end()] in '"()':
                        raise _parse_error(query, vm.end())
                    terms.append(Term(key, [vm.group(0)], negated, op))
                    j = vm.end()
            i = j
            continue
        if query[i] == '"':
            value, i = _quoted(query, i)
            terms.append(Term(None, [value], quoted=True))
            continue
        m = re.compile(r'[^\s"()]+').match(query, i)
        assert m is not None
        word = m.group(0)
        if word.upper() in ("OR", "AND"):
            raise SearchError(BOOLEAN_ERROR)
        if m.end() < n and query[m.end()] in '"()':
            raise _parse_error(query, m.end())
        terms.append(Term(None, [word]))
        i = m.end()
    return terms


def _glob(pattern: str) -> re.Pattern[str]:
    """Sentry wildcards: `*` matches anything, `\\*` is a literal star; case-insensitive."""
    parts = re.split(r"(\\\*|\*)", pattern)
    rx = "".join(".*" if p == "*" else re.escape("*") if p == "\\*" else re.escape(p) for p in parts)
    return re.compile(rf"^{rx}$", re.IGNORECASE | re.DOTALL)


def _value_matches(actual: str | None, wanted: str) -> bool:
    if actual is None:
        return False
    if "*" in wanted.replace("\\*", ""):
        return bool(_glob(wanted).match(actual))
    return actual == wanted.replace("\\*", "*")


def parse_date(key: str, term: Term, now: datetime) -> Callable[[datetime], bool]:
    value = term.values[0]
    if len(term.values) != 1:
        raise SearchError(f"{key}: lists are not supported for dates")
    rel = _RELATIVE.fullmatch(value)
    if rel and not term.op:
        sign, amount, unit = rel.groups()
        cutoff = now - timedelta(seconds=int(amount) * _UNITS[unit])
        return (lambda dt: dt <= cutoff) if sign == "+" else (lambda dt: dt >= cutoff)
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            day = date.fromisoformat(value)
            start = datetime(day.year, day.month, day.day, tzinfo=UTC)
            if not term.op:
                return lambda dt: start <= dt < start + timedelta(days=1)
            bound = start
        else:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
            bound = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    except ValueError:
        raise SearchError(
            f"{key}: Invalid date: {value}. Expected +/-duration (e.g. +1h) or ISO 8601-like "
            "(e.g. 2026-01-15T22:47:41.150Z)."
        ) from None
    compare = _OPS[term.op or "="]
    return lambda dt: compare(dt, bound)


@dataclass
class Context:
    """What a query is evaluated against: the sandbox and the request's environment filter."""

    sandbox: Any
    now: datetime
    environments: list[str]

    def events(self, issue: Json) -> list[Json]:
        events: list[Json] = self.sandbox.events.get(issue["id"], [])
        if self.environments:
            events = [e for e in events if e["sdk"].get("environment") in self.environments]
        return events


def _assignee_ids(ctx: Context, value: str) -> set[str | None]:
    """What `assigned:<value>` can mean, as "user:ID"/"team:ID" strings (None = unassigned)."""
    sb = ctx.sandbox
    if value == "me":
        return {f"user:{sb.me}"}
    if value == "none":
        return {None}
    if value == "my_teams":
        return {f"team:{t['id']}" for t in sb.teams.values() if sb.me in t["members"]}
    if value.startswith("#"):
        return {f"team:{t['id']}" for t in sb.teams.values() if t["slug"] == value[1:]}
    return {f"user:{m['id']}" for m in sb.members.values() if value in (m["id"], m["username"], m["email"])}


def _is(ctx: Context, issue: Json, value: str) -> bool:
    status, sub = issue["status"], issue.get("substatus")
    checks: dict[str, bool] = {
        "resolved": status == "resolved",
        "unresolved": status == "unresolved",
        "ignored": status == "ignored",
        "archived": status == "ignored",
        "muted": status == "ignored",
        "assigned": issue.get("assignedTo") is not None,
        "unassigned": issue.get("assignedTo") is None,
        "for_review": status == "unresolved" and not issue.get("hasSeen"),
        "linked": False,
        "unlinked": True,
        "bookmarked": bool(issue.get("isBookmarked")),
    }
    return checks.get(value, status == "unresolved" and sub == value)  # substatus: new, ongoing …


def _latest_release(ctx: Context, issue: Json) -> str | None:
    mine = [r for r in ctx.sandbox.releases if issue["project"] in r["projects"]]
    return max(mine, key=lambda r: r["dateCreated"])["version"] if mine else None


_ISSUE_KEYS = frozenset(
    {"is", "level", "issue.priority", "issue.category", "issue.type", "project", "assigned",
     "assigned_or_suggested", "bookmarks", "issue", "issue.id", "firstRelease", "first-release",
     "firstrelease", "error.handled", "error.unhandled"}
)  # fmt: skip


def _match_issue(ctx: Context, issue: Json, term: Term) -> bool:
    """Terms about the issue itself (status, level, assignee …) and free text on title/culprit."""
    key, values = term.key, term.values
    if key is None:
        haystacks = (issue.get("title") or "", issue.get("culprit") or "")
        word = values[0]
        if "*" in word:
            rx = _glob(f"*{word}*")
            return any(rx.match(h) for h in haystacks)
        return any(word.lower() in h.lower() for h in haystacks)
    if key == "is":
        return any(_is(ctx, issue, v) for v in values)
    if key in ("assigned", "assigned_or_suggested"):
        return issue.get("assignedTo") in set().union(*(_assignee_ids(ctx, v) for v in values))
    if key == "bookmarks":
        return bool(issue.get("isBookmarked")) and "me" in values
    if key in ("issue", "issue.id"):
        return any(v.upper() == issue["shortId"] or v == issue["id"] for v in values)
    if key in ("error.handled", "error.unhandled"):
        truthy = values[0].lower() in ("1", "true", "yes")
        unhandled = bool(issue.get("isUnhandled"))
        return unhandled == truthy if key == "error.unhandled" else (not unhandled) == truthy
    if key in ("firstRelease", "first-release", "firstrelease"):
        actual, values = issue.get("firstRelease"), _releases(ctx, issue, values)
    else:
        actual = {
            "level": issue["level"],
            "issue.priority": issue.get("priority"),
            "issue.category": "error",
            "issue.type": "error",
            "project": ctx.sandbox.projects[issue["project"]]["slug"],
        }[str(key)]
    return any(_value_matches(actual, v) for v in values)


def _releases(ctx: Context, issue: Json, values: list[str]) -> list[str]:
    return [r for r in (_latest_release(ctx, issue) if v == "latest" else v for v in values) if r]


def _match_event(ctx: Context, issue: Json, event: Json, term: Term) -> bool:
    """Terms about one event: its tags (Sentry's derived ones included), release, exception types."""
    key, values, sdk = str(term.key), term.values, event["sdk"]
    if key == "release":
        return any(_value_matches(sdk.get("release"), v) for v in _releases(ctx, issue, values))
    if key in ("error.type", "error.value"):
        found = [str(x.get(key.split(".")[1])) for x in exceptions(sdk)]
        return any(_value_matches(f, v) for f in found for v in values)
    tags = ctx.sandbox.event_tags(event)
    if key == "has":
        return any(k == v for k, _ in tags for v in values)
    return any(k == key and _value_matches(found, v) for k, found in tags for v in values)


Check = Callable[[Json], bool]


def _date_check(field: str, test: Callable[[datetime], bool]) -> Check:
    return lambda issue: test(issue[field])


def _count_check(cmp: Callable[[int, int], bool], bound: int) -> Check:
    return lambda issue: cmp(int(issue["count"]), bound)


def _issue_check(ctx: Context, term: Term) -> Check:
    return lambda issue: _match_issue(ctx, issue, term)


def _event_check(ctx: Context, term: Term) -> Check:
    # Derived events share their tag tuple with every copy of the same sample, release and environment
    # (`Sandbox.event_tags`), so one answer per (tuple, user) serves them all: thousands of events per issue.
    known: dict[tuple[str, int, str | None], bool] = {}
    by_user = str(term.key) in ("user", "has")  # only those read the `user` tag

    def one(issue: Json, event: Json) -> bool:
        pre = event.get("tags")
        if pre is None:
            return _match_event(ctx, issue, event, term)
        key = (issue["id"], id(pre[0]), pre[1] if by_user else None)
        if key not in known:
            known[key] = _match_event(ctx, issue, event, term)
        return known[key]

    return lambda issue: any(one(issue, e) != term.negated for e in ctx.events(issue))


def _negated(check: Check) -> Check:
    return lambda issue: not check(issue)


def compile_query(query: str, ctx: Context) -> Callable[[Json], bool]:
    """Parse once, validate everything (400s are raised here), return a predicate over issues."""
    checks: list[Callable[[Json], bool]] = []
    for term in parse(query):
        key = term.key
        if key == "is":
            bad = [v for v in term.values if v not in IS_VALUES]
            if bad or len(term.values) > 1:
                raise SearchError(f'Invalid value for "is" search, valid values are {sorted(IS_VALUES)}')
        if key in ("firstSeen", "lastSeen", "age", "firstseen", "lastseen"):
            field = "lastSeen" if key.lower() == "lastseen" else "firstSeen"
            test = parse_date(key, term, ctx.now)
            check = _date_check(field, test)
        elif key in ("timesSeen", "timesseen"):
            try:
                bound = int(term.values[0])
            except ValueError:
                raise SearchError(f"{key}: Invalid number: {term.values[0]}") from None
            cmp = _OPS[term.op or "="]
            check = _count_check(cmp, bound)
        elif key is None or key in _ISSUE_KEYS:
            check = _issue_check(ctx, term)
        else:
            # Like Sentry's event-backed search: the issue matches when one of its events does; a negated
            # term matches events that lack the value (`!browser:Chrome` = some event not on Chrome).
            checks.append(_event_check(ctx, term))
            continue
        checks.append(_negated(check) if term.negated else check)
    return lambda issue: all(c(issue) for c in checks)


def _event_text(sdk: Json) -> str:
    """What free text matches on an event: its title, message and exception values."""
    parts = [str(x.get(k) or "") for x in exceptions(sdk) for k in ("type", "value")]
    message = sdk.get("message") or (sdk.get("logentry") or {}).get("formatted") or ""
    return " ".join([*parts, str(message)]).lower()


def compile_event_query(query: str, ctx: Context, issue: Json) -> Callable[[Json], bool]:
    """A predicate over one issue's event records for an issue-events `query` (event search: free text,
    `release:`, `error.type:`, `error.value:`, `has:` and tags, each negatable). Raises SearchError."""
    terms = parse(query)
    for term in terms:
        if term.key is not None and term.key in _ISSUE_KEYS - {"level"}:
            raise SearchError(f"Invalid query. Field {term.key} is not supported on events.")

    def matches(event: Json, term: Term) -> bool:
        if term.key is None:
            word = term.values[0].lower()
            text = _event_text(event["sdk"])
            return _glob(f"*{word}*").match(text) is not None if "*" in word else word in text
        return _match_event(ctx, issue, event, term)

    return lambda event: all(matches(event, t) != t.negated for t in terms)
