"""Event normalization: Sentry's REST shape (`entries[]`) and the SDK shape (what Jentry returns) → `Event`.

Both shapes, their legacy spellings (`sentry.interfaces.*`, `data.value`, tags as dict / pairs /
`{key, value}`) and real-world damage (nulls in lists, empty stacktraces) are read leniently: a field that
cannot be understood is dropped, never raised on. Request headers, cookies and bodies are not kept;
secret-looking values are redacted on the way in. Pure functions, no I/O.
"""

from __future__ import annotations

import re
from itertools import islice
from typing import Any
from urllib.parse import quote

from stacklens.events.limits import BREADCRUMBS, PAIRS, TEXT, FrameBudget
from stacklens.events.model import Breadcrumb, Event, ExceptionInfo, Request, Thread
from stacklens.events.read import objects, value_text
from stacklens.events.redact import REDACTED, compact_repr, is_secret_name, redact_url, scrub_text
from stacklens.events.stacks import exceptions_of, frame, stack_of, threads_of
from stacklens.lenient import JsonObject, first, pairs, timestamp
from stacklens.models import EventSummary


def _message(raw: Any) -> str | None:
    """logentry / message interface / plain string → the formatted message."""
    if isinstance(raw, str):
        return raw or None
    if not isinstance(raw, dict):
        return None
    formatted = raw.get("formatted")
    if isinstance(formatted, str) and formatted:
        return formatted
    template = raw.get("message")
    if not isinstance(template, str) or not template:
        return None
    params = raw.get("params")
    if params and not _HUGE_WIDTH.search(template):
        try:
            return template % (tuple(params[:PAIRS]) if isinstance(params, list) else params)
        except Exception:  # any %-mismatch (TypeError, OverflowError on `%c`…): the template says enough
            return template
    return template


# `%99999999s` would allocate gigabytes; a real log template has no such width.
_HUGE_WIDTH = re.compile(r"%(?:\([^)]*\))?[-+ #0]*(?:\*|\d{4,})|%[-+ #0]*\d*\.(?:\*|\d{4,})")


def _request(raw: Any) -> Request | None:
    if not isinstance(raw, dict):
        return None
    url = value_text(raw.get("url")) or ""
    query = raw.get("query_string") if raw.get("query_string") is not None else raw.get("query")
    if isinstance(query, str):
        qs = query.lstrip("?")
    else:
        # Pairs are decoded values: encode them, or `token=a&b` would split into `token=[redacted]&b`.
        qs = "&".join(
            f"{quote(str(k)[:TEXT], safe='[]')}={'' if v is None else quote(value_text(v) or '', safe='/:,[]@')}"
            for k, v in islice(pairs(query), PAIRS)
            if k is not None
        )
    if qs and "?" not in url:
        url = f"{url}?{qs}"
    fragment = value_text(raw.get("fragment"))
    if fragment and "#" not in url:
        url = f"{url}#{fragment}"
    method = value_text(raw.get("method"))
    if not url and not method:
        return None
    return Request(method=method, url=redact_url(url) if url else None)


def _crumb_data(data: Any) -> str | None:
    if not isinstance(data, dict) or not data:
        return None
    parts = []
    for key, value in islice(data.items(), PAIRS):
        key = str(key)[:TEXT]
        if is_secret_name(key):
            parts.append(f"{key}={REDACTED}")
        else:
            parts.append(f"{key}={compact_repr(value, 160)}")
        if sum(len(p) for p in parts) > 300:
            break
    return scrub_text(", ".join(parts))


def _breadcrumbs(raw: Any) -> list[Breadcrumb]:
    crumbs = objects(raw, last=True)[-BREADCRUMBS:]  # no caller asks for more
    out = []
    for c in crumbs:
        raw_data = c.get("data")
        data = raw_data if isinstance(raw_data, dict) else None
        message = value_text(c.get("message"))
        summary = None
        if data and (c.get("type") == "http" or c.get("category") in ("http", "httplib", "xhr", "fetch")):
            # One line as a developer reads it: `GET https://… [500]`.
            bits = [value_text(data.get("method")), value_text(data.get("url"))]
            code = value_text(data.get("status_code"))
            head = " ".join(b for b in bits if b)
            summary = scrub_text(f"{head} [{code}]" if code else head) or None
        elif data:
            summary = _crumb_data(data)
        elif raw_data not in (None, "", [], {}):  # a string or list where an object belongs: still the data
            summary = scrub_text(compact_repr(raw_data, 300))
        out.append(
            Breadcrumb(
                time=c.get("timestamp"),  # parsed by the Time field
                type=value_text(c.get("type")),
                category=value_text(c.get("category")),
                level=value_text(c.get("level")),
                message=scrub_text(message) if message else None,
                data=summary,
            )
        )
    return out


def _tags(raw: Any) -> list[tuple[str, str]]:
    out = []
    for key, value in islice(pairs(raw), PAIRS):
        if key is None or key == "":
            continue
        k, v = str(key)[:TEXT], "" if value is None else value_text(value) or ""
        if k in ("sentry:user", "user") and not v.startswith("id:"):
            continue  # emails, usernames and IPs are not ours to repeat
        if k.lower() in _PII_TAGS:
            continue
        out.append((k, REDACTED if is_secret_name(k) else scrub_text(v)))
    return out


# Tags that carry the user's email, name or IP (DESIGN §4.6: the user is shown as an id only).
_PII_TAGS = frozenset(
    {"user.email", "user.ip", "user.ip_address", "user.username", "user.name", "email", "ip", "ip_address",
     "client_ip", "user_email", "username"}
)  # fmt: skip

_CONTEXT_KINDS = ("runtime", "os", "browser", "device")


def _context_line(kind: str, ctx: JsonObject) -> str | None:
    name, version = value_text(ctx.get("name")), value_text(ctx.get("version"))
    if kind == "device":
        bits = [value_text(ctx.get("family")), value_text(ctx.get("model")), value_text(ctx.get("arch"))]
        text = " ".join(b for b in bits if b) or name
    else:
        text = " ".join(b for b in (name, version) if b) or value_text(ctx.get("raw_description"))
    return " ".join(text.split())[:120] if text else None


def _contexts(raw: Any) -> tuple[dict[str, str], str | None]:
    out: dict[str, str] = {}
    trace_id = None
    if not isinstance(raw, dict):
        return out, None
    for key, ctx in islice(raw.items(), PAIRS):
        if not isinstance(ctx, dict):
            continue
        kind = ctx.get("type") if ctx.get("type") in _CONTEXT_KINDS else key
        if key == "trace" or kind == "trace":
            trace_id = value_text(ctx.get("trace_id")) or trace_id
        elif kind in _CONTEXT_KINDS and len(out) < 6:
            line = _context_line(kind, ctx)
            if line:
                out[str(key)[:TEXT]] = line
    return out, trace_id


def _evidence(occurrence: Any) -> list[tuple[str, str]]:
    if not isinstance(occurrence, dict):
        return []
    out = []
    for item in objects(occurrence.get("evidenceDisplay"))[:8]:
        name, value = value_text(item.get("name")), value_text(item.get("value"))
        if name and value:
            out.append((name, scrub_text(value)))
    return out


# --- the two shapes ---

# Legacy interface names → the modern key.
_ALIASES = {
    "exception": ("exception", "sentry.interfaces.Exception"),
    "threads": ("threads", "sentry.interfaces.Threads"),
    "stacktrace": ("stacktrace", "sentry.interfaces.Stacktrace"),
    "message": ("logentry", "sentry.interfaces.Message", "sentry.interfaces.LogEntry"),
    "breadcrumbs": ("breadcrumbs", "sentry.interfaces.Breadcrumbs"),
    "request": ("request", "sentry.interfaces.Http"),
    "user": ("user", "sentry.interfaces.User"),
    "template": ("template", "sentry.interfaces.Template"),
}


def _interfaces(raw: JsonObject) -> JsonObject:
    """name → interface payload, from REST `entries[]` (looked up by type, not position) or top-level keys."""
    found: JsonObject = {}
    entries = raw.get("entries")
    if isinstance(entries, list):
        for entry in entries:
            if isinstance(entry, dict) and isinstance(entry.get("type"), str):
                found.setdefault(entry["type"], entry.get("data"))
    for name, keys in _ALIASES.items():
        if found.get(name) is None:
            found[name] = next((raw[k] for k in keys if raw.get(k) is not None), None)
    if found.get("message") is None and isinstance(raw.get("message"), dict):
        found["message"] = raw["message"]  # legacy SDKs: message as an interface
    return found


def _release(value: Any) -> str | None:
    if isinstance(value, dict):  # REST: the release object
        return value_text(first(value, "version", "shortVersion"))
    return value_text(value)


def _title(exceptions: list[ExceptionInfo], message: str | None) -> str | None:
    if exceptions:
        last = exceptions[-1]
        if last.type and last.value:
            return f"{last.type}: {last.value}"
        return last.type or last.value
    if message:
        return message.strip().splitlines()[0] if message.strip() else None
    return None


def _fill_from_threads(exceptions: list[ExceptionInfo], threads: list[Thread]) -> None:
    """An exception without frames takes its thread's stack (native crashes report it there)."""
    for exc in exceptions:
        if exc.frames:
            continue
        match = next((t for t in threads if exc.thread_id is not None and t.id == exc.thread_id), None)
        if match is None and exc is exceptions[-1]:
            match = next((t for t in threads if t.crashed), None)
        if match is not None and match.frames:
            exc.frames, exc.frames_dropped = match.frames, match.frames_dropped


# When it happened, best first (a damaged first choice falls through to the next).
_TIME_KEYS = ("dateCreated", "timestamp", "datetime", "dateReceived", "receivedAt", "received")


def normalize_event(raw: JsonObject) -> Event:
    """One upstream event (Sentry REST or SDK/Jentry shape, auto-detected) → `Event`. Never raises on odd
    input: unknown or damaged parts are left out."""
    if not isinstance(raw, dict):
        raw = {}
    ifaces = _interfaces(raw)
    budget = FrameBudget()  # frames read across all stacks (limits: a 200,000-frame event costs a normal one)
    exceptions, exceptions_dropped = exceptions_of(ifaces.get("exception"), budget)
    wanted = {e.thread_id for e in exceptions if e.thread_id is not None}
    threads = threads_of(ifaces.get("threads"), budget, wanted)
    _fill_from_threads(exceptions, threads)
    tags = _tags(raw.get("tags"))
    tag = dict(tags)
    contexts, trace_id = _contexts(raw.get("contexts"))
    message = _message(ifaces.get("message"))
    top_message = raw.get("message") if isinstance(raw.get("message"), str) else None
    if message is None and top_message and not (exceptions and top_message == _title(exceptions, None)):
        message = top_message  # REST: the formatted message; Jentry: a message, or the title (then skipped)
    message = scrub_text(message) if message else None
    raw_user = ifaces.get("user")
    user: JsonObject = raw_user if isinstance(raw_user, dict) else {}
    user_id = value_text(user.get("id"))
    if user_id is None and tag.get("sentry:user", "").startswith("id:"):
        user_id = tag["sentry:user"][3:]
    title = value_text(raw.get("title")) or _title(exceptions, message)
    if title is None and isinstance(raw.get("metadata"), dict):
        title = value_text(raw["metadata"].get("title"))
    server = value_text(raw.get("server_name"))
    if server and "server_name" not in tag:
        tags.append(("server_name", server))
    template = ifaces.get("template")
    stacktrace, stacktrace_dropped = stack_of({"stacktrace": ifaces.get("stacktrace")}, budget)
    return Event(
        id=value_text(first(raw, "eventID", "event_id", "id")) or "",
        time=next(filter(None, map(timestamp, (raw.get(k) for k in _TIME_KEYS))), None),
        title=scrub_text(title) if title else None,
        message=message,
        level=value_text(raw.get("level")) or tag.get("level"),
        platform=value_text(raw.get("platform")),
        environment=value_text(raw.get("environment")) or tag.get("environment"),
        release=_release(raw.get("release")) or tag.get("sentry:release") or tag.get("release"),
        transaction=value_text(raw.get("transaction")) or tag.get("transaction"),
        culprit=value_text(raw.get("culprit")),
        logger=value_text(raw.get("logger")) or tag.get("logger"),
        user_id=user_id,
        trace_id=trace_id or value_text(first(raw, "traceId", "trace_id")) or tag.get("trace"),
        tags=tags,
        contexts=contexts,
        exceptions=exceptions,
        exceptions_dropped=exceptions_dropped,
        threads=threads,
        stacktrace=stacktrace,
        stacktrace_dropped=stacktrace_dropped,
        breadcrumbs=_breadcrumbs(ifaces.get("breadcrumbs")),
        request=_request(ifaces.get("request")),
        template=frame(template) if isinstance(template, dict) else None,
        evidence=_evidence(raw.get("occurrence")),
    )


def summarize_event(event: Event) -> EventSummary:
    return EventSummary(
        id=event.id,
        time=event.time,
        release=event.release,
        environment=event.environment,
        user_id=event.user_id,
        message=event.message or event.title,
    )
