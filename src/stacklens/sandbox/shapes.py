"""SDK-shaped events (what sentry-sdk sends) → the shapes the two REST APIs return.

The readers live in `sdk_event` and are re-exported here (callers import them from `shapes`).

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

from stacklens.sandbox.sdk_event import (
    CONTEXT_TYPES,
    Json,
    event_culprit,
    event_location,
    event_metadata,
    event_title,
    event_type,
    exceptions,
    frames_of,
    jentry_time,
    message_text,
    parse_time,
    sdk_tags,
    sentry_tags,
    sentry_time,
    user_tag,
    values_of,
)

__all__ = [
    "event_culprit",
    "event_location",
    "event_metadata",
    "event_summary",
    "event_title",
    "event_type",
    "exceptions",
    "jentry_time",
    "message_text",
    "parse_time",
    "sentry_frame",
    "sentry_release_stub",
    "sentry_stacktrace",
    "sentry_tags",
    "sentry_time",
    "to_jentry_event",
    "to_sentry_event",
    "user_tag",
]


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
    frames = frames_of(stacktrace)
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
    threads = values_of(sdk.get("threads"))
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
    crumbs = values_of(sdk.get("breadcrumbs"))
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
            kind = ctx.get("type") or (name if name in CONTEXT_TYPES else "default")
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
    tags = dict(sdk_tags(sdk))
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
