"""IssueFilter → GlitchTip's issue search request, and what must be narrowed client-side.

GlitchTip applies `is:`, one `level:`, `release:`, plain `key:value` tags and free text; it reads Sentry's
time windows, `timesSeen`, `assigned` and lists as tag filters and silently returns nothing, so those are
never sent: the backend narrows them over a bounded scan (narrow.py). Its issue rows carry no tags, so a tag
with several values (`browser: [Chrome, Firefox]`) or a negated one (`!browser:Chrome`) is narrowed by the
issues GlitchTip finds for each single value: one bounded search per value (`TagSet`).
"""

from __future__ import annotations

from dataclasses import dataclass

from stacklens.backends.narrow import Narrowing, narrowing
from stacklens.backends.sentry.search import quote_value
from stacklens.errors import InvalidInput
from stacklens.query import IssueFilter

# GlitchTip's sort names (Sentry's date/new/freq/user/trends answer 422).
GLITCHTIP_SORT = {"last_seen": "-last_seen", "first_seen": "-first_seen", "events": "-count"}
NARROWED = ("first_seen", "last_seen", "min_events", "assigned")
MAX_TAG_VALUES = 10  # each value of a listed or negated tag is one search of its own


@dataclass(frozen=True)
class TagSet:
    """A tag filter GlitchTip cannot apply as sent: the issues with `key` at any of `values` (or, negated,
    at none of them), found by one single-value search each."""

    key: str
    values: tuple[str, ...]
    negated: bool

    def queries(self) -> list[str]:
        return [f"{self.key}:{quote_value(v)}" for v in self.values]

    def described(self) -> str:
        shown = ", ".join(self.values)
        if self.negated:
            return f"{self.key} not in [{shown}]" if len(self.values) > 1 else f"{self.key} != {shown}"
        return f"{self.key} in [{shown}]"


@dataclass
class SearchPlan:
    params: list[tuple[str, str]]  # of one page, without cursor/limit
    query: str  # as sent
    narrow: Narrowing
    tag_sets: list[TagSet]


def search_request(f: IssueFilter, project_id: str | None) -> SearchPlan:
    """The request for one page and what is narrowed client-side."""
    sort = GLITCHTIP_SORT.get(f.sort)
    if sort is None:
        raise InvalidInput(f"GlitchTip cannot sort by {f.sort}: use last_seen, first_seen or events")
    if f.sentry_query:
        raise InvalidInput("sentry_query is Sentry only; GlitchTip's search takes text, level, release, tags")
    tokens: list[str] = []
    if f.status != "all":
        tokens.append(f"is:{f.status}")
    fields = list(NARROWED)
    if len(f.levels) == 1:
        tokens.append(f"level:{quote_value(f.levels[0])}")
    elif f.levels:
        fields.append("level")  # a list of levels reads as a tag filter on GlitchTip
    if f.release:
        tokens.append(f"release:{quote_value(f.release)}")
    tag_sets: list[TagSet] = []
    for key, values, negated in f.tags:
        if negated or len(values) != 1:
            tag_sets.append(TagSet(key, tuple(dict.fromkeys(values)), negated))
        else:
            tokens.append(f"{key}:{quote_value(values[0])}")
    if sum(len(t.values) for t in tag_sets) > MAX_TAG_VALUES:
        raise InvalidInput(
            f"GlitchTip applies one value per tag; stacklens narrows lists and negations with one search per"
            f" value, at most {MAX_TAG_VALUES} values in all: ask for fewer"
        )
    if f.query:
        tokens.append(f.query)
    query = " ".join(tokens)
    params: list[tuple[str, str]] = [("query", query), ("sort", sort)]
    params += [("environment", e) for e in f.environments]
    if project_id:
        params.append(("project", project_id))
    return SearchPlan(params, query, narrowing(f, fields), tag_sets)
