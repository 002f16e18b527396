"""Readers over an SDK-shaped event (what sentry-sdk sends): times, exceptions and frames, and what Sentry
derives from them server-side (title, culprit, metadata, tags). Issues and their events use the same helpers,
so they always agree.
"""

from datetime import UTC, datetime
from typing import Any

Json = dict[str, Any]

CONTEXT_TYPES = {"trace", "runtime", "os", "browser", "device", "app", "gpu", "culture", "response"}


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


def values_of(container: Any) -> list[Json]:
    """`{"values": [...]}` or a bare list (older SDKs), nulls dropped."""
    if isinstance(container, dict):
        container = container.get("values")
    return [v for v in container or [] if isinstance(v, dict)]


def exceptions(sdk: Json) -> list[Json]:
    return values_of(sdk.get("exception"))


def frames_of(stacktrace: Any) -> list[Json]:
    return [f for f in (stacktrace or {}).get("frames") or [] if isinstance(f, dict)]


def _crash_frames(sdk: Json) -> list[Json]:
    """The frames of the finally raised exception, else of the crashed/current thread, else the top level."""
    excs = exceptions(sdk)
    if excs:
        return frames_of(excs[-1].get("stacktrace"))
    threads = values_of(sdk.get("threads"))
    for thread in sorted(threads, key=lambda t: not (t.get("crashed") or t.get("current"))):
        if frames_of(thread.get("stacktrace")):
            return frames_of(thread.get("stacktrace"))
    return frames_of(sdk.get("stacktrace"))


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


def sdk_tags(sdk: Json) -> list[tuple[str, str]]:
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
    for key, value in [*sdk_tags(sdk), *derived]:
        if value not in (None, "") and key not in merged:
            merged[key] = str(value)
    return sorted(merged.items())
