"""SDK-shaped events (what sentry-sdk sends) → the shapes the two REST APIs return.

Sentry renders a stored event as `entries[]` with camelCase frames and `context: [[lineNo, line], …]`, tags
as `[{key, value}]` including the ones it derives server-side (environment, level, handled, runtime …).
Jentry returns the SDK payload itself plus its own bookkeeping fields. The same helpers give the issue
title/culprit/metadata, so issues and their events always agree.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl

Json = dict[str, Any]

_CONTEXT_TYPES = {"trace", "runtime", "os", "browser", "device", "app", "gpu", "culture", "response"}


# --- time -----------------------------------------------------------------------------------------------


def parse_time(value: Any) -> datetime:
    """An SDK timestamp (ISO string, `Z` or offset, or epoch seconds) as an aware UTC datetime."""
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC)
    parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def sentry_time(dt: datetime) -> str:
    """Sentry's format: microseconds, `Z` (`2025-04-03T22:51:19.403000Z`)."""
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def jentry_time(dt: datetime) -> str:
    """Jentry's format: milliseconds, `Z` (`2026-06-29T12:30:00.000Z`)."""
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


# --- what an event is about -----------------------------------------------------------------------------


def _values(container: Any) -> list[Json]:
    """`{"values": [...]}` or a bare list (older SDKs), nulls dropped."""
    if isinstance(container, dict):
        container = container.get("values")
    return [v for v in container or [] if isinstance(v, dict)]


def exceptions(sdk: Json) -> list[Json]:
    return _values(sdk.get("exception"))


def _frames(stacktrace: Any) -> list[Json]:
    return [f for f in (stacktrace or {}).get("frames") or [] if isinstance(f, dict)]


def _crash_frames(sdk: Json) -> list[Json]:
    """The frames of the finally raised exception, else of the crashed/current thread, else the top level."""
    excs = exceptions(sdk)
    if excs:
        return _frames(excs[-1].get("stacktrace"))
    threads = _values(sdk.get("threads"))
    for thread in sorted(threads, key=lambda t: not (t.get("crashed") or t.get("current"))):
        if _frames(thread.get("stacktrace")):
            return _frames(thread.get("stacktrace"))
    return _frames(sdk.get("stacktrace"))


def _culprit_frame(sdk: Json) -> Json | None:
    frames = _crash_frames(sdk)
    in_app = [f for f in frames if f.get("in_app")]
    if in_app or frames:
        return (in_app or frames)[-1]
    return None


def message_text(sdk: Json) -> str:
    entry = sdk.get("logentry") or {}
    if isinstance(sdk.get("message"), dict):
        entry = sdk["message"]
    text = entry.get("formatted") or entry.get("message") if isinstance(entry, dict) else None
    if not text and isinstance(sdk.get("message"), str):
        text = sdk["message"]
    return str(text or "")


def _truncate(text: str, limit: int = 100) -> str:
    line = text.splitlines()[0] if text else ""
    return line if len(line) <= limit else line[: limit - 3] + "..."


def event_type(sdk: Json) -> str:
    return "error" if exceptions(sdk) else "default"


def event_title(sdk: Json) -> str:
    excs = exceptions(sdk)
    if excs:
        exc = excs[-1]
        kind, value = str(exc.get("type") or "Error"), str(exc.get("value") or "")
        return f"{kind}: {_truncate(value)}" if value else kind
    return _truncate(message_text(sdk)) or "<unlabeled event>"


def event_culprit(sdk: Json) -> str:
    """Sentry uses the transaction when the SDK set one, else `module in function` of the culprit frame."""
    if sdk.get("transaction"):
        return str(sdk["transaction"])
    frame = _culprit_frame(sdk)
    if not frame:
        return ""
    where = frame.get("module") or frame.get("filename") or "?"
    return f"{where} in {frame.get('function') or '?'}"


def event_location(sdk: Json) -> str | None:
    frame = _culprit_frame(sdk)
    return str(frame.get("filename")) if frame and frame.get("filename") else None


def event_metadata(sdk: Json) -> Json:
    excs = exceptions(sdk)
    if not excs:
        return {"title": event_title(sdk)}
    exc, frame = excs[-1], _culprit_frame(sdk) or {}
    frames = _crash_frames(sdk)
    in_app = sum(1 for f in frames if f.get("in_app"))
    mix = "in-app-only" if in_app == len(frames) else "system-only" if not in_app else "mixed"
    meta: Json = {"type": exc.get("type"), "value": exc.get("value") or ""}
    if frame:
        meta.update(filename=frame.get("filename"), function=frame.get("function"))
    meta["in_app_frame_mix"] = mix
    return meta


def _mechanism(sdk: Json) -> Json:
    excs = exceptions(sdk)
    return (excs[-1].get("mechanism") or {}) if excs else {}


def _sdk_tags(sdk: Json) -> list[tuple[str, str]]:
    tags = sdk.get("tags") or {}
    pairs = tags.items() if isinstance(tags, dict) else (t for t in tags if isinstance(t, list | tuple))
    return [(str(k), str(v)) for k, v in pairs if k is not None and v is not None]


def user_tag(user: Any) -> str | None:
    """Sentry's `user` tag: `id:…`, else `email:…`, `username:…`, `ip:…`."""
    if not isinstance(user, dict):
        return None
    for field, prefix in (("id", "id"), ("email", "email"), ("username", "username"), ("ip_address", "ip")):
        if user.get(field):
            return f"{prefix}:{user[field]}"
    return None


def sentry_tags(sdk: Json) -> list[tuple[str, str]]:
    """The tags Sentry stores for an event: the SDK's own, then the ones it derives (SDK values win)."""
    derived: list[tuple[str, str | None]] = [
        ("environment", sdk.get("environment")),
        ("level", sdk.get("level") or "error"),
        ("release", sdk.get("release")),
        ("server_name", sdk.get("server_name")),
        ("transaction", sdk.get("transaction")),
        ("url", (sdk.get("request") or {}).get("url")),
        ("user", user_tag(sdk.get("user"))),
    ]
    mech = _mechanism(sdk)
    if mech:
        handled = "no" if mech.get("handled") is False else "yes"
        derived += [("handled", handled), ("mechanism", mech.get("type"))]
    contexts = sdk.get("contexts") or {}
    for name in ("runtime", "os", "browser", "device"):
        ctx = contexts.get(name)
        if isinstance(ctx, dict) and ctx.get("name"):
            full = " ".join(str(p) for p in (ctx.get("name"), ctx.get("version")) if p)
            derived += [(name, full), (f"{name}.name", str(ctx["name"]))]
    merged: dict[str, str] = {}
    for key, value in [*_sdk_tags(sdk), *derived]:
        if value not in (None, "") and key not in merged:
            merged[key] = str(value)
    return sorted(merged.items())


# --- Sentry's REST shape ----------------------------------------------------------------------------------


def _context_lines(frame: Json) -> list[list[Any]]:
    lineno = frame.get("lineno")
    if not isinstance(lineno, int) or frame.get("context_line") is None:
        return []
    pre, post = frame.get("pre_context") or [], frame.get("post_context") or []
    first = lineno - len(pre)
    lines = [*pre, frame["context_line"], *post]
    return [[first + i, line] for i, line in enumerate(lines)]


def sentry_frame(frame: Json) -> Json:
    return {
        "filename": frame.get("filename"),
        "absPath": frame.get("abs_path"),
        "module": frame.get("module"),
        "package": frame.get("package"),
        "platform": frame.get("platform"),
        "instructionAddr": frame.get("instruction_addr"),
        "symbolAddr": frame.get("symbol_addr"),
        "function": frame.get("function"),
        "rawFunction": frame.get("raw_function"),
        "symbol": frame.get("symbol"),
        "context": _context_lines(frame),
        "lineNo": frame.get("lineno"),
        "colNo": frame.get("colno"),
        "inApp": bool(frame.get("in_app")),
        "trust": None,
        "errors": None,
        "lock": None,
        "sourceLink": None,
        "vars": frame.get("vars"),
    }


def sentry_stacktrace(stacktrace: Any) -> Json | None:
    frames = _frames(stacktrace)
    if not stacktrace:
        return None
    rendered = [sentry_frame(f) for f in frames]
    return {
        "frames": rendered,
        "framesOmitted": (stacktrace or {}).get("frames_omitted"),
        "registers": (stacktrace or {}).get("registers"),
        "hasSystemFrames": any(not f["inApp"] for f in rendered) and any(f["inApp"] for f in rendered),
    }


def _exception_entry(sdk: Json) -> Json | None:
    excs = exceptions(sdk)
    if not excs:
        return None
    values = [
        {
            "type": exc.get("type"),
            "value": exc.get("value"),
            "module": exc.get("module"),
            "mechanism": exc.get("mechanism"),
            "threadId": exc.get("thread_id"),
            "stacktrace": sentry_stacktrace(exc.get("stacktrace")),
            "rawStacktrace": None,
        }
        for exc in excs
    ]
    system = any((v["stacktrace"] or {}).get("hasSystemFrames") for v in values)
    return {"type": "exception", "data": {"values": values, "hasSystemFrames": system, "excOmitted": None}}


def _threads_entry(sdk: Json) -> Json | None:
    threads = _values(sdk.get("threads"))
    if not threads:
        return None
    values = [
        {
            "id": t.get("id"),
            "current": t.get("current"),
            "crashed": t.get("crashed"),
            "name": t.get("name"),
            "stacktrace": sentry_stacktrace(t.get("stacktrace")),
            "rawStacktrace": None,
        }
        for t in threads
    ]
    return {"type": "threads", "data": {"values": values}}


def _message_entry(sdk: Json) -> Json | None:
    entry = sdk.get("logentry") if isinstance(sdk.get("logentry"), dict) else None
    if entry is None and isinstance(sdk.get("message"), dict):
        entry = sdk["message"]
    if entry is None and isinstance(sdk.get("message"), str) and sdk["message"]:
        entry = {"message": sdk["message"]}
    if not entry:
        return None
    formatted = entry.get("formatted") or entry.get("message")
    data = {"formatted": formatted, "message": entry.get("message"), "params": entry.get("params")}
    return {"type": "message", "data": data}


def _breadcrumbs_entry(sdk: Json) -> Json | None:
    crumbs = _values(sdk.get("breadcrumbs"))
    if not crumbs:
        return None
    values = [
        {
            "timestamp": sentry_time(parse_time(c["timestamp"])) if c.get("timestamp") is not None else None,
            "type": c.get("type") or "default",
            "category": c.get("category"),
            "level": c.get("level") or "info",
            "message": c.get("message"),
            "data": c.get("data"),
            "event_id": None,
        }
        for c in crumbs
    ]
    return {"type": "breadcrumbs", "data": {"values": values}}


def _pairs(value: Any) -> list[list[str]]:
    if isinstance(value, dict):
        return sorted([str(k), str(v)] for k, v in value.items())
    if isinstance(value, str):  # a query string
        return [[k, v] for k, v in parse_qsl(value, keep_blank_values=True)]
    return [list(p) for p in value or [] if isinstance(p, list | tuple) and len(p) == 2]


def _cookie_pairs(value: Any) -> list[list[str]]:
    if isinstance(value, str):  # a raw Cookie header: `a=1; b=2`
        parts = (p.partition("=") for p in value.split(";"))
        return [[k.strip(), v.strip()] for k, _, v in parts if k.strip()]
    return _pairs(value)


def _request_entry(sdk: Json) -> Json | None:
    req = sdk.get("request")
    if not isinstance(req, dict):
        return None
    headers = _pairs(req.get("headers"))
    ctype = next((v for k, v in headers if k.lower() == "content-type"), None)
    inferred = ctype.split(";")[0].strip() if ctype else None
    query = req.get("query_string") or ""
    data = {
        "apiTarget": None,
        "method": req.get("method"),
        "url": req.get("url"),
        "query": _pairs(query),
        "fragment": req.get("fragment"),
        "data": req.get("data"),
        "headers": headers,
        "cookies": _cookie_pairs(req.get("cookies")),
        "env": req.get("env"),
        "inferredContentType": inferred,
    }
    return {"type": "request", "data": data}


def _sentry_user(user: Any) -> Json | None:
    if not isinstance(user, dict) or not user:
        return None
    known = ("id", "email", "username", "ip_address", "name")
    extra = {k: v for k, v in user.items() if k not in (*known, "geo", "data")}
    data = {**(user.get("data") or {}), **extra} or None
    return {**{k: user.get(k) for k in known}, "geo": user.get("geo"), "data": data}


def _sentry_contexts(contexts: Any) -> Json:
    out: Json = {}
    for name, ctx in (contexts or {}).items():
        if isinstance(ctx, dict):
            kind = ctx.get("type") or (name if name in _CONTEXT_TYPES else "default")
            out[name] = {**ctx, "type": kind}
    return out


def sentry_release_stub(version: str | None) -> Json | None:
    if not version:
        return None
    return {
        "version": version,
        "shortVersion": version,
        "dateCreated": None,
        "dateReleased": None,
        "url": None,
        "commitCount": 0,
        "lastDeploy": None,
        "authors": [],
        "data": {},
    }


def to_sentry_event(
    sdk_event: Json,
    *,
    project_id: str,
    group_id: str,
    release: Json | None = None,
    date_received: datetime | None = None,
    next_event_id: str | None = None,
    previous_event_id: str | None = None,
) -> Json:
    """One SDK event as `GET /organizations/{org}/issues/{id}/events/{event_id}/` returns it."""
    sdk = sdk_event
    created = parse_time(sdk.get("timestamp") or datetime.now(UTC).isoformat())
    received = date_received or created + timedelta(milliseconds=700)
    top = sentry_stacktrace(sdk.get("stacktrace"))
    entries = [
        _exception_entry(sdk),
        _threads_entry(sdk),
        {"type": "stacktrace", "data": top} if top else None,
        _message_entry(sdk),
        _breadcrumbs_entry(sdk),
        _request_entry(sdk),
    ]
    event_id = str(sdk.get("event_id") or "")
    sdk_info = sdk.get("sdk") or {}
    return {
        "id": event_id,
        "eventID": event_id,
        "groupID": str(group_id),
        "projectID": str(project_id),
        "size": len(json.dumps(sdk, separators=(",", ":"))),
        "entries": [e for e in entries if e],
        "dist": sdk.get("dist"),
        "message": message_text(sdk),
        "title": event_title(sdk),
        "location": event_location(sdk),
        "culprit": event_culprit(sdk),
        "user": _sentry_user(sdk.get("user")),
        "contexts": _sentry_contexts(sdk.get("contexts")),
        "sdk": {"name": sdk_info.get("name"), "version": sdk_info.get("version")} if sdk_info else None,
        "context": sdk.get("extra") or {},
        "packages": sdk.get("modules") or {},
        "type": event_type(sdk),
        "metadata": event_metadata(sdk),
        "tags": [{"key": k, "value": v} for k, v in sentry_tags(sdk)],
        "platform": sdk.get("platform") or "python",
        "dateCreated": sentry_time(created),
        "dateReceived": sentry_time(received),
        "errors": [],
        "occurrence": None,
        "_meta": {},
        "crashFile": None,
        "fingerprints": [],
        "groupingConfig": {"id": "newstyle:2023-01-11", "enhancements": ""},
        "release": release if release is not None else sentry_release_stub(sdk.get("release")),
        "userReport": None,
        "sdkUpdates": [],
        "resolvedWith": [],
        "nextEventID": next_event_id,
        "previousEventID": previous_event_id,
    }


def event_summary(event: Json) -> Json:
    """The element of `GET …/issues/{id}/events/` without `full`: no entries, no contexts."""
    keys = (
        "id",
        "eventID",
        "groupID",
        "projectID",
        "title",
        "message",
        "platform",
        "dateCreated",
        "culprit",
        "location",
        "crashFile",
        "user",
        "tags",
        "metadata",
    )
    summary = {k: event.get(k) for k in keys}
    summary["event.type"] = event.get("type")
    return summary


# --- Jentry's shape --------------------------------------------------------------------------------------


def to_jentry_event(
    sdk_event: Json, *, issue_id: int, project_id: int, received_at: datetime | None = None
) -> Json:
    """One SDK event as Jentry's `GET /issues/{id}/events` returns it: the payload plus Jentry's fields."""
    sdk = dict(sdk_event)
    ts = parse_time(sdk.get("timestamp") or datetime.now(UTC).isoformat())
    trace = ((sdk.get("contexts") or {}).get("trace") or {}).get("trace_id")
    tags = dict(_sdk_tags(sdk))
    sdk.pop("event_id", None)
    return {
        "id": str(sdk_event.get("event_id") or ""),
        "issueId": int(issue_id),
        "projectId": int(project_id),
        **sdk,
        "level": sdk.get("level") or "error",
        "message": event_title(sdk_event),
        "platform": sdk.get("platform") or "python",
        "environment": sdk.get("environment"),
        "release": sdk.get("release"),
        "traceId": trace,
        "timestamp": jentry_time(ts),
        "receivedAt": jentry_time(received_at or ts + timedelta(milliseconds=1200)),
        "tags": tags,
        "user": sdk.get("user"),
        "request": sdk.get("request"),
        "contexts": sdk.get("contexts") or {},
    }
