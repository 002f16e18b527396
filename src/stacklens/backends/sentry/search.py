"""IssueFilter → the exact request of Sentry's issue search (`GET /organizations/{org}/issues/`).

Deterministic: values are quoted where Sentry's grammar needs it, so a value never reads as syntax.
"""

from __future__ import annotations

import re
from datetime import UTC

from pydantic import BaseModel

from stacklens.errors import InvalidInput
from stacklens.query import IssueFilter, Window, _show

SENTRY_SORT = {
    "last_seen": "date",
    "first_seen": "new",
    "events": "freq",
    "users": "user",
    "trends": "trends",
}
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


def window_token(window: Window, key: str) -> str:
    """A window as a search token: `lastSeen:-24h`, or `firstSeen:>=2026-01-15[T…]` since a time."""
    if window.relative:
        return f"{key}:-{window.relative}"
    assert window.since is not None
    if window.date_only:
        return f"{key}:>={window.since.date().isoformat()}"
    return f"{key}:>={window.since.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%S')}"


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
        tokens.append(window_token(f.first_seen, "firstSeen"))
    if f.last_seen:
        tokens.append(window_token(f.last_seen, "lastSeen"))
    if f.min_events is not None:
        tokens.append(f"timesSeen:>={f.min_events}")
    for key, values, negated in f.tags:
        tokens.append(("!" if negated else "") + f"{_tag_key(key)}:{_sentry_list(values)}")
    if f.query:
        tokens.append(_free_text(f.query))
    tokens += f.query_syntax  # Sentry syntax typed into `query`: sent as the tokens it is
    if f.sentry_query:
        tokens.append(f.sentry_query)
    query = " ".join(tokens)
    params: list[tuple[str, str]] = [("query", query), ("sort", SENTRY_SORT[f.sort]), ("limit", str(f.limit))]
    params += [("environment", e) for e in f.environments]
    params += [("project", p) for p in project_ids or []]
    if f.cursor:
        params.append(("cursor", f.cursor))
    return SentrySearch(query=query, params=params)
