"""The events Jentry exposes of an issue (its most recent, `EVENT_WINDOW` at most): the few raw fields
client-side filtering needs (normalize_event does the rest), choosing one event, counting a tag's values."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import TypeAdapter

from stacklens.backends.jentry.mapping import _dict, _str
from stacklens.backends.json import Json, JsonObject
from stacklens.errors import InvalidInput, NotSupported, UpstreamError
from stacklens.events import Event, normalize_event, summarize_event
from stacklens.models import EventSummary, TagValue, TagValues, Time
from stacklens.refs import IssueRef

EVENT_WINDOW = 100  # the most events `GET /issues/{id}/events` returns: all the API exposes
_TIME: TypeAdapter[datetime | None] = TypeAdapter(Time)


def _event_id(raw: JsonObject) -> str:
    return _str(raw.get("id")) or _str(raw.get("event_id")) or _str(raw.get("eventId")) or ""


def _same_event_id(a: str, b: str) -> bool:
    return a.replace("-", "").lower() == b.replace("-", "").lower()


def _raw_tags(raw: JsonObject) -> list[tuple[str, str]]:
    """SDK tags: a dict, `[[k, v]]` pairs or `[{key, value}]` → pairs (nulls skipped)."""
    tags = raw.get("tags")
    items: list[tuple[Json, Json]] = []
    if isinstance(tags, dict):
        items = list(tags.items())
    elif isinstance(tags, list):
        for tag in tags:
            if isinstance(tag, dict):
                items.append((tag.get("key"), tag.get("value")))
            elif isinstance(tag, list | tuple) and len(tag) == 2:
                items.append((tag[0], tag[1]))
    return [(k, v) for k, v in ((_str(a), _str(b)) for a, b in items) if k and v is not None]


def _event_environment(raw: JsonObject) -> str | None:
    return _str(raw.get("environment")) or dict(_raw_tags(raw)).get("environment")


def _event_time(raw: JsonObject, event: Event | None = None) -> datetime | None:
    if event is not None and event.time is not None:
        return event.time
    return _TIME.validate_python(raw.get("timestamp") or raw.get("receivedAt"))


def summary_of(raw: JsonObject) -> EventSummary:
    """summarize_event over the shared normalization, gaps filled from the Jentry row's own fields."""
    event = normalize_event(raw)
    summary = summarize_event(event)
    user = _dict(raw.get("user"))
    fill = {
        "id": summary.id or _event_id(raw),
        "time": summary.time or _event_time(raw, event),
        "release": summary.release or _str(raw.get("release")),
        "environment": summary.environment or _event_environment(raw),
        "user_id": summary.user_id or _str(user.get("id")),
        "message": summary.message or _str(raw.get("message")),
    }
    return summary.model_copy(update=fill)


def in_environment(rows: list[JsonObject], environment: str | None) -> list[JsonObject]:
    if not environment:
        return rows
    return [r for r in rows if _event_environment(r) == environment]


def tag_value(raw: JsonObject, event: Event, key: str) -> str | None:
    """The tag from the event's tags; environment/release/level/user from the event's own fields, since
    SDK payloads carry them outside `tags` (Sentry's REST shape lists them as tags)."""
    for k, v in list(event.tags) or _raw_tags(raw):
        if k == key:
            return v
    if key == "environment":
        return _event_environment(raw)
    if key == "release":
        return event.release or _str(raw.get("release"))
    if key == "level":
        return _str(raw.get("level"))
    if key == "user":
        ident = event.user_id or _str(_dict(raw.get("user")).get("id"))
        return f"id:{ident}" if ident else None
    return context_value(raw, key)


CONTEXT_KEYS = ("browser", "os", "device", "runtime")


def context_value(raw: JsonObject, key: str) -> str | None:
    """What Sentry derives as a tag from an event's contexts, where no tag carries it: `browser` →
    "Chrome 131.0.0", `browser.name` → "Chrome" (likewise os, device, runtime). A context is found by its
    key or its `type` (SDKs send `client_os` typed `os`)."""
    kind, _, part = key.partition(".")
    if kind not in CONTEXT_KEYS or part not in ("", "name"):
        return None
    contexts = _dict(raw.get("contexts"))
    ctx = _dict(contexts.get(kind)) or next(
        (_dict(c) for c in contexts.values() if _dict(c).get("type") == kind), {}
    )
    name = _str(ctx.get("name")) or _str(ctx.get("model")) or _str(ctx.get("family"))
    if name is None:
        return None
    version = _str(ctx.get("version"))
    return name if part or not version else f"{name} {version}"


def keys_seen(rows: list[JsonObject]) -> list[str]:
    """The tag keys these events carry (their own tags, the event fields and the contexts tags derive from)."""
    keys: set[str] = set()
    for raw in rows:
        keys.update(k for k, _ in _raw_tags(raw))
        keys.update(k for k in ("environment", "release", "level") if _str(raw.get(k)))
        if _dict(raw.get("user")):
            keys.add("user")
        keys.update(k for k in CONTEXT_KEYS if context_value(raw, k))
    return sorted(keys)


def choose_event(ref: IssueRef, rows: list[JsonObject], wanted: str, environment: str | None) -> JsonObject:
    """The event asked for among the issue's most recent `rows` (newest first, at most EVENT_WINDOW):
    `latest`/`recommended` = the newest, `oldest` only when `rows` are all of them, else an id."""
    kind = wanted.lower()
    if not rows:
        raise UpstreamError(f"issue {ref} has no events yet.", 404)
    everything = len(rows) < EVENT_WINDOW  # fewer than asked: these are all the issue's events
    sample = "all" if everything else f"the {len(rows)} most recent"
    matching = in_environment(rows, environment)
    if kind not in ("latest", "recommended", "oldest"):
        return _by_id(ref, rows, wanted, environment, everything)
    if not matching:
        seen = sorted({e for e in (_event_environment(r) for r in rows) if e})
        raise UpstreamError(
            f"none of {sample} events of issue {ref} is in environment {environment!r} "
            f"(filtered client-side); environments seen: {', '.join(seen) or 'none'}.",
            404,
        )
    if kind == "oldest":
        oldest = matching[-1]
        when = _event_time(oldest)
        if not everything:
            raise NotSupported(
                f"Jentry's API exposes only the {EVENT_WINDOW} most recent events of an issue, so its "
                f"oldest event cannot be fetched. The oldest of those is {_event_id(oldest)} "
                f"({when.strftime('%Y-%m-%d %H:%M:%SZ') if when else 'time unknown'}): "
                f"pass event_id={_event_id(oldest)} to see it."
            )
        return oldest
    return matching[0]


def _by_id(
    ref: IssueRef, rows: list[JsonObject], wanted: str, environment: str | None, everything: bool
) -> JsonObject:
    found = next((r for r in rows if _same_event_id(_event_id(r), wanted)), None)
    if found is None:
        if everything:
            raise UpstreamError(
                f"issue {ref} has no event {wanted} (it has {len(rows)} event(s); "
                "list_issue_events shows them).",
                404,
            )
        raise UpstreamError(
            f"event {wanted} is not among the {EVENT_WINDOW} most recent events of issue {ref}, "
            "which is all the Jentry API exposes: it is older, or belongs to another issue.",
            404,
        )
    if environment and _event_environment(found) != environment:
        raise UpstreamError(
            f"event {wanted} of issue {ref} is in environment "
            f"{_event_environment(found) or '(none)'}, not {environment}.",
            404,
        )
    return found


def tag_values(ref: IssueRef, key: str, rows: list[JsonObject], limit: int) -> TagValues:
    """A tag's values counted over the issue's most recent events (a sample when there are more)."""
    counts: dict[str, TagValue] = {}
    tagged = 0
    for raw in rows:
        event = normalize_event(raw)
        value = tag_value(raw, event, key)
        if value is None:
            continue
        tagged += 1
        when = _event_time(raw, event)
        slot = counts.setdefault(value, TagValue(value=value, count=0))
        slot.count = (slot.count or 0) + 1
        if when is not None:
            slot.first_seen = min(slot.first_seen or when, when)
            slot.last_seen = max(slot.last_seen or when, when)
    oldest = datetime.min.replace(tzinfo=UTC)
    values = sorted(
        counts.values(),
        key=lambda v: (-(v.count or 0), -(v.last_seen or oldest).timestamp(), v.value or ""),
    )
    sample = (
        f"from the {len(rows)} most recent events (all of the issue's events)"
        if len(rows) < EVENT_WINDOW
        else f"from the {len(rows)} most recent events (the Jentry API exposes no more: a sample)"
    )
    if rows and not tagged:
        # Absent, not "not found": say which keys there are, so the next call can use one of them.
        raise InvalidInput(
            f"issue {ref} has no tag {key!r} on {sample.removeprefix('from ')}; "
            f"its tag keys: {', '.join(keys_seen(rows)) or 'none'}"
        )
    notes = [sample]
    if tagged < len(rows):
        notes.append(f"{len(rows) - tagged} of those events have no {key} tag")
    if len(values) > limit:
        notes.append(f"{len(values) - limit} less frequent value(s) not shown")
    return TagValues(issue=str(ref), key=key, values=values[:limit], total=tagged, notes=notes)
