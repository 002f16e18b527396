"""The sandbox's mutable state: the dataset (times computed from offsets at load), tokens, the request log,
in-flight counters and fault injection. One `Sandbox` per test; the ASGI app reads it on every request.
"""

from __future__ import annotations

import copy
import json
import re
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from importlib import resources
from typing import Any

from stacklens.sandbox.expand import Prepared, prepared_events
from stacklens.sandbox.shapes import parse_time, sentry_tags, sentry_time

Json = dict[str, Any]

SENTRY_SCOPES = frozenset(
    {
        "org:read",
        "org:write",
        "org:admin",
        "project:read",
        "project:write",
        "project:releases",
        "event:read",
        "event:write",
        "event:admin",
        "team:read",
        "member:read",
    }
)
SENTRY_READ = frozenset({"org:read", "project:read", "event:read", "team:read", "member:read"})
JENTRY_SCOPES = frozenset(
    {"org:read", "project:read", "project:write", "issue:read", "issue:write", "event:read"}
)
JENTRY_READ = frozenset({"org:read", "project:read", "issue:read", "event:read"})


@dataclass
class SandboxConfig:
    """Credentials and names the sandbox accepts. Tokens map to their scope sets."""

    org: str = "acme"
    sentry_token: str = "sandbox-sentry-token"
    jentry_token: str = "jto_sandbox_all"
    sentry_tokens: dict[str, frozenset[str]] = field(
        default_factory=lambda: {
            "sandbox-sentry-token": SENTRY_SCOPES,
            "sandbox-sentry-readonly": SENTRY_READ,
        }
    )
    jentry_tokens: dict[str, frozenset[str]] = field(
        default_factory=lambda: {"jto_sandbox_all": JENTRY_SCOPES, "jto_sandbox_readonly": JENTRY_READ}
    )

    def token_for(self, api: str) -> str:
        """The full-access token of the API the sandbox speaks under that backend name (sentry, jentry)."""
        return self.jentry_token if api == "jentry" else self.sentry_token


@dataclass
class RequestRecord:
    """One request as the sandbox saw it. Header NAMES only: no credential is ever stored."""

    method: str
    path: str  # percent-decoded
    raw_path: str  # as sent on the wire
    query: list[tuple[str, str]]
    json: Any
    header_names: list[str]
    user_agent: str | None
    auth: str  # "none" | "valid" | "invalid" (bearer token known to the sandbox or not)
    status: int | None = None
    started: float = 0.0
    duration: float = 0.0

    def param(self, name: str) -> str | None:
        return next((v for k, v in self.query if k == name), None)

    def params(self, name: str) -> list[str]:
        return [v for k, v in self.query if k == name]


@dataclass
class Fault:
    pattern: re.Pattern[str]
    status: int | None
    headers: dict[str, str]
    body: str | bytes | None
    content_type: str | None
    delay: float
    times: int | None  # None = every matching request
    method: str | None

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method == method.upper()) and bool(self.pattern.search(path))


@cache
def _dataset_text() -> str:
    return resources.files("stacklens.sandbox").joinpath("data/dataset.json").read_text(encoding="utf-8")


def _shift_event(sdk: Json, when: datetime) -> Json:
    """Move an event (and its breadcrumbs, keeping their spacing) so that it happened at `when`."""
    delta = when - parse_time(sdk["timestamp"])
    sdk["timestamp"] = sentry_time(when)
    for crumb in (sdk.get("breadcrumbs") or {}).get("values") or []:
        if crumb.get("timestamp") is not None:
            crumb["timestamp"] = sentry_time(parse_time(crumb["timestamp"]) + delta)
    return sdk


class Sandbox:
    """The dataset plus everything tests observe or control. Safe to read from another thread."""

    def __init__(self, config: SandboxConfig | None = None, *, now: datetime | None = None) -> None:
        self.config = config or SandboxConfig()
        self.loaded_at = (now or datetime.now(UTC)).astimezone(UTC)
        self.requests: list[RequestRecord] = []
        self.latency = 0.0
        self.rate_limit: tuple[int, float] | None = None  # (requests, window seconds), Sentry-style 429s
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self._window: tuple[float, int] = (0.0, 0)
        self.in_flight = 0
        self.peak_in_flight = 0
        # Sentry answers a merged-away issue id with the issue it was merged into: {old id or short id: id}.
        self.merged: dict[str, str] = {}
        self._load(json.loads(_dataset_text()))

    @staticmethod
    def defaults() -> SandboxConfig:
        return SandboxConfig()

    # --- dataset ----------------------------------------------------------------------------------------

    def at(self, offset: float) -> datetime:
        return self.loaded_at - timedelta(seconds=offset)

    def _load(self, data: Json) -> None:
        self.org: Json = data["org"]
        self.me: str = data["me"]
        self.members: dict[str, Json] = {m["id"]: m for m in data["members"]}
        self.teams: dict[str, Json] = {t["id"]: t for t in data["teams"]}
        self.projects: dict[str, Json] = {
            p["id"]: {**p, "dateCreated": self.at(p["createdOffset"])} for p in data["projects"]
        }
        self.issues: dict[str, Json] = {}
        for raw in data["issues"]:
            issue = {k: v for k, v in raw.items() if not k.endswith("Offset")}
            issue.update(firstSeen=self.at(raw["firstSeenOffset"]), lastSeen=self.at(raw["lastSeenOffset"]))
            self.issues[issue["id"]] = issue
        self.events: dict[str, list[Json]] = {i: [] for i in self.issues}
        for raw in data["events"]:
            when = self.at(raw["offset"])
            sdk = _shift_event(raw["sdk"], when)
            self.events[raw["issue"]].append(
                {"id": sdk["event_id"], "issue": raw["issue"], "when": when, "sdk": sdk}
            )
        for issue_id, derived in prepared_events(_dataset_text()).items():
            self.events[issue_id].extend(self._derived(issue_id, d) for d in derived)
        for events in self.events.values():
            events.sort(key=lambda e: e["when"], reverse=True)  # newest first
        self.releases: list[Json] = [self._load_release(n, r) for n, r in enumerate(data["releases"])]
        self.audit: list[Json] = [
            {**{k: v for k, v in a.items() if k != "offset"}, "when": self.at(a["offset"])}
            for a in data["audit"]
        ]
        self._next_id = 900000
        self._by_release: dict[str | None, list[Json]] | None = None

    def release_events(self, version: str) -> list[Json]:
        """Every issue's events in one release. Indexed on first use: release answers read it per release
        over ~18k events, and a scan each time made a release list 10x slower than the rest."""
        if self._by_release is None:
            index: dict[str | None, list[Json]] = defaultdict(list)
            for events in self.events.values():
                for e in events:
                    index[e["sdk"].get("release")].append(e)
            self._by_release = index
        return self._by_release.get(version, [])

    def drop_events(self, issue_id: str) -> None:
        """An issue's events are gone (deleted): the release index is rebuilt on next use."""
        self.events.pop(issue_id, None)
        self._by_release = None

    def _derived(self, issue_id: str, d: Prepared) -> Json:
        """A derived event record (see `expand`): its shared payload plus its own time."""
        when = self.loaded_at - d.age
        return {
            "id": d.event_id,
            "issue": issue_id,
            "when": when,
            # Shared with every Sandbox and never written to (answers copy it: `payload`); no `timestamp`
            # yet, `payload` adds it (formatting 18k times per load is slow).
            "sdk": d.sdk,
            "tags": (d.tags, d.user),
            "crumbs_at": d.crumbs_at,
        }

    def payload(self, record: Json) -> Json:
        """The event's SDK payload as stored upstream. A derived event's gets its timestamp here and its
        breadcrumbs moved with it (they are stored at the sample's times)."""
        sdk: Json = record["sdk"]
        at: datetime | None = record.get("crumbs_at")
        if "crumbs_at" not in record:
            return sdk
        out = {**sdk, "timestamp": sentry_time(record["when"])}
        crumbs = (sdk.get("breadcrumbs") or {}).get("values")
        if crumbs and at is not None:
            shift = record["when"] - at
            moved = [
                {**c, "timestamp": sentry_time(parse_time(c["timestamp"]) + shift)}
                if isinstance(c, dict) and c.get("timestamp") is not None
                else c
                for c in crumbs
            ]
            out["breadcrumbs"] = {**sdk["breadcrumbs"], "values": moved}
        return out

    @staticmethod
    def event_tags(record: Json) -> list[tuple[str, str]]:
        """The tags Sentry stores for an event record (precomputed for derived events)."""
        pre = record.get("tags")
        if pre is None:
            return sentry_tags(record["sdk"])
        base, user = pre
        return [*base, ("user", user)] if user else list(base)

    def _load_release(self, n: int, raw: Json) -> Json:
        return {
            "id": 5100 + n,
            "jentryId": n + 1,
            "version": raw["version"],
            "projects": list(raw["projects"]),
            "ref": raw.get("ref"),
            "url": raw.get("url"),
            "dateCreated": self.at(raw["createdOffset"]),
            "dateReleased": self.at(raw["releasedOffset"]) if raw.get("releasedOffset") is not None else None,
            "commits": [
                {**{k: v for k, v in c.items() if k != "offset"}, "timestamp": self.at(c["offset"])}
                for c in raw["commits"]
            ],
            "deploys": [
                {
                    "id": d["id"],
                    "environment": d["environment"],
                    "name": d.get("name"),
                    "url": d.get("url"),
                    "dateStarted": self.at(d["startedOffset"]),
                    "dateFinished": self.at(d["finishedOffset"]),
                }
                for d in raw["deploys"]
            ],
            "health": dict(raw.get("health") or {}),
        }

    def new_id(self) -> int:
        with self._lock:
            self._next_id += 1
            return self._next_id

    # --- lookups shared by both APIs ----------------------------------------------------------------------

    def project_by(self, ref: str) -> Json | None:
        """A project by Sentry id or slug."""
        return self.projects.get(ref) or next((p for p in self.projects.values() if p["slug"] == ref), None)

    def project_by_jentry_id(self, pid: int) -> Json | None:
        return next((p for p in self.projects.values() if p["jentryId"] == pid), None)

    def issue_by(self, ref: str) -> Json | None:
        """A Sentry issue by numeric id or short id (case-insensitive)."""
        upper = ref.upper()
        ref = self.merged.get(upper, ref)
        if ref in self.issues:
            return self.issues[ref]
        return next((i for i in self.issues.values() if i["shortId"] == upper), None)

    def issue_by_jentry_id(self, iid: int) -> Json | None:
        return next((i for i in self.issues.values() if i["jentryId"] == iid), None)

    def member_by_jentry_id(self, uid: int) -> Json | None:
        return next((m for m in self.members.values() if m["jentryId"] == uid), None)

    def release_by(self, version: str) -> Json | None:
        return next((r for r in self.releases if r["version"] == version), None)

    def environments(self) -> set[str]:
        return {e["sdk"].get("environment") for evs in self.events.values() for e in evs} - {None}

    def add_audit(
        self, event: str, *, actor: str, target_type: str, target: str | None, note: str, data: Json
    ) -> None:
        entry = {
            "id": str(self.new_id()),
            "event": event,
            "actor": actor,
            "targetType": target_type,
            "targetObject": target,
            "note": note,
            "data": data,
            "ipAddress": "127.0.0.1",
            "when": datetime.now(UTC),
        }
        with self._lock:
            self.audit.append(entry)

    # --- requests, concurrency, faults --------------------------------------------------------------------

    def record(self, rec: RequestRecord) -> None:
        with self._lock:
            self.requests.append(rec)
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)

    def finish(self, rec: RequestRecord, status: int) -> None:
        with self._lock:
            rec.status = status
            rec.duration = time.monotonic() - rec.started
            self.in_flight -= 1

    def wait_idle(self, timeout: float = 2.0) -> bool:
        """Wait (bounded) until every request is finished. A client holds its answer a moment before the
        server side records it, so tests that read statuses or `in_flight` wait for this first."""
        deadline = time.monotonic() + timeout
        while self.in_flight and time.monotonic() < deadline:
            time.sleep(0.005)
        return self.in_flight == 0

    def find_requests(self, path_pattern: str = "", method: str | None = None) -> list[RequestRecord]:
        """Recorded requests whose decoded path matches the regex (and method), oldest first."""
        rx = re.compile(path_pattern)
        return [
            r for r in list(self.requests) if rx.search(r.path) and (method is None or r.method == method)
        ]

    def inject(
        self,
        path_pattern: str,
        *,
        status: int | None = None,
        headers: dict[str, str] | None = None,
        body: str | bytes | None = None,
        content_type: str | None = None,
        delay: float = 0.0,
        times: int | None = 1,
        method: str | None = None,
    ) -> None:
        """Queue a fault for requests whose decoded path matches `path_pattern` (a regex). Faults are consumed
        in order; `times=None` repeats forever. Without `status` only the delay applies, then it is served.
        """
        fault = Fault(
            re.compile(path_pattern),
            status,
            dict(headers or {}),
            body,
            content_type,
            delay,
            times,
            method.upper() if method else None,
        )
        with self._lock:
            self._faults.append(fault)

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def take_fault(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, path):
                    if fault.times is not None:
                        fault.times -= 1
                        if fault.times <= 0:
                            self._faults.remove(fault)
                    return copy.copy(fault)
        return None

    def pending_faults(self) -> int:
        with self._lock:
            return len(self._faults)

    def rate_check(self) -> tuple[bool, int, int, float]:
        """(allowed, limit, remaining, reset epoch) for the fixed-window rate limit."""
        assert self.rate_limit is not None
        limit, window = self.rate_limit
        now = time.time()
        with self._lock:
            start, used = self._window
            if now >= start + window:
                start, used = now, 0
            allowed = used < limit
            used += 1 if allowed else 0
            self._window = (start, used)
        return allowed, limit, max(limit - used, 0), start + window
