"""IssueFilter → GlitchTip's issue search request, and what must be narrowed client-side.

GlitchTip applies `is:`, one `level:`, `release:`, plain `key:value` tags and free text; it reads Sentry's
time windows, `timesSeen`, `assigned` and lists as tag filters and silently returns nothing, so those are
never sent: the backend narrows them over a bounded scan (narrow.py).
"""

from __future__ import annotations

from stacklens.backends.narrow import Narrowing, narrowing
from stacklens.backends.sentry.search import quote_value
from stacklens.errors import InvalidInput
from stacklens.query import IssueFilter

# GlitchTip's sort names (Sentry's date/new/freq/user/trends answer 422).
GLITCHTIP_SORT = {"last_seen": "-last_seen", "first_seen": "-first_seen", "events": "-count"}
NARROWED = ("first_seen", "last_seen", "min_events", "assigned")


def search_request(f: IssueFilter, project_id: str | None) -> tuple[list[tuple[str, str]], str, Narrowing]:
    """(params of one page without cursor/limit, the query as sent, the client-side narrowing)."""
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
    for key, values, negated in f.tags:
        if negated or len(values) != 1:
            raise InvalidInput(
                f"GlitchTip's search takes one value per tag (tag {key!r}): it has no negation or value lists"
            )
        tokens.append(f"{key}:{quote_value(values[0])}")
    if f.query:
        tokens.append(f.query)
    query = " ".join(tokens)
    params: list[tuple[str, str]] = [("query", query), ("sort", sort)]
    params += [("environment", e) for e in f.environments]
    if project_id:
        params.append(("project", project_id))
    return params, query, narrowing(f, fields)
