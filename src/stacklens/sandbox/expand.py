"""An issue's `count` events from its few stored samples, so every answer agrees with the issue's numbers.

The dataset stores a handful of real SDK events per issue and claims `count` events and `userCount` users.
A real tracker holds all of them, so this derives the rest, deterministically (no randomness):

- the samples keep their ids and times; the newest event stays the newest sample (at lastSeen) and the
  oldest event is at firstSeen with the issue's firstRelease (a sample when one is there, else derived);
- derived events are spread evenly over the issue's life; one between two samples copies the older one, or
  (every other one) the newer one when that one's release was already deployed to its environment, so a
  release's events begin no earlier than its deploy and every event's environment had its release;
- derived events get new users until the issue's distinct users reach `userCount`, then reuse them.

Everything here is in offset space (seconds before load) and computed once per process: each derived
event's payload is built here, without its timestamp, and shared (read-only) by every Sandbox; `state` adds
the time. Its breadcrumbs keep the sample's dataset times until `Sandbox.payload` moves them.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from stacklens.sandbox.sdk_event import parse_time, sentry_tags, user_tag

Json = dict[str, Any]
_NUMBER = re.compile(r"^(.*?)(\d+)$")


@dataclass(frozen=True)
class Derived:
    """One derived event: which sample it copies and what differs from it."""

    event_id: str
    offset: float
    template: int  # index into the dataset's `events`
    release: str | None
    environment: str | None
    user: Json | None


@dataclass(frozen=True)
class Prepared:
    """A derived event ready for a Sandbox: everything but its time. Never mutated (shared)."""

    event_id: str
    age: timedelta  # how long before load it happened
    sdk: Json  # the payload without `timestamp`
    tags: tuple[tuple[str, str], ...]  # Sentry's tags but `user`
    user: str | None  # the `user` tag
    crumbs_at: datetime | None  # the dataset time of the sample's payload (its breadcrumbs are relative)


def _event_id(issue: str, n: int) -> str:
    return hashlib.md5(f"stacklens-sandbox:{issue}:{n}".encode(), usedforsecurity=False).hexdigest()


def _deployed(data: Json) -> dict[tuple[str, str], float]:
    """(release, environment) → offset of its earliest finished deploy (larger offset = earlier)."""
    out: dict[tuple[str, str], float] = {}
    for r in data["releases"]:
        for d in r["deploys"]:
            key = (r["version"], d["environment"])
            out[key] = max(out.get(key, d["finishedOffset"]), d["finishedOffset"])
    return out


def _user_id(user: Any) -> str | None:
    return str(user["id"]) if isinstance(user, dict) and user.get("id") is not None else None


def _new_users(samples: list[Json], wanted: int, numbers: dict[str, int]) -> list[Json]:
    """`wanted` users unlike the samples' ones, shaped like them (`u-1971`, `customer1971@example.com`)."""
    model = next((s["sdk"]["user"] for s in samples if _user_id(s["sdk"].get("user"))), {"id": "user-0"})
    m = _NUMBER.match(str(model["id"]))
    prefix, old = (m[1], m[2]) if m else (f"{model['id']}-", "")
    out = []
    for _ in range(wanted):
        numbers[prefix] = n = numbers.get(prefix, 0) + 1
        user: Json = {"id": f"{prefix}{n}"}
        if model.get("email"):
            email = str(model["email"])
            user["email"] = (
                email.replace(old, str(n), 1) if old and old in email else f"{prefix}{n}@example.com"
            )
        if model.get("ip_address"):
            user["ip_address"] = f"198.51.100.{n % 254 + 1}"
        out.append(user)
    return out


def _user_numbers(data: Json) -> dict[str, int]:
    """Per user-id prefix, the highest number the samples use: new users are numbered after it."""
    numbers: dict[str, int] = {}
    for e in data["events"]:
        m = _NUMBER.match(_user_id(e["sdk"].get("user")) or "")
        if m:
            numbers[m[1]] = max(numbers.get(m[1], 0), int(m[2]))
    return numbers


def _offsets(first: float, last: float, oldest_sample: float, wanted: int) -> list[float]:
    """`wanted` offsets, oldest first, evenly over (lastSeen, firstSeen]; the first one at firstSeen when no
    sample is there. Rounded to milliseconds (Jentry's precision)."""
    if wanted <= 0:
        return []
    span = first - last
    if oldest_sample < first:  # nothing at firstSeen yet: the oldest derived event is
        return [round(first - span * j / wanted, 3) for j in range(wanted)]
    return [round(first - span * j / (wanted + 1), 3) for j in range(1, wanted + 1)]


def _derive_issue(
    issue: Json, indexed: list[tuple[int, Json]], deployed: dict[tuple[str, str], float],
    numbers: dict[str, int],
) -> list[Derived]:  # fmt: skip
    samples = sorted(indexed, key=lambda p: p[1]["offset"], reverse=True)  # oldest first
    wanted = int(issue["count"]) - len(samples)
    if not samples or wanted <= 0:
        return []
    offsets = _offsets(issue["firstSeenOffset"], issue["lastSeenOffset"], samples[0][1]["offset"], wanted)
    users_wanted = int(issue.get("userCount") or 0)
    known = list(dict.fromkeys(u for _, s in samples if (u := _user_id(s["sdk"].get("user")))))
    fresh = _new_users([s for _, s in samples], max(users_wanted - len(known), 0), numbers)
    by_id = {_user_id(s["sdk"].get("user")): s["sdk"].get("user") for _, s in samples}
    everyone = [by_id[u] for u in known] + fresh
    out: list[Derived] = []
    j = 0  # index of the oldest sample at or before the current offset
    for n, offset in enumerate(offsets):
        while j + 1 < len(samples) and samples[j + 1][1]["offset"] >= offset:
            j += 1
        older = samples[j]
        if older[1]["offset"] < offset:  # before every sample: the issue's first release
            index, sdk = older[0], older[1]["sdk"]
            release, env = issue.get("firstRelease") or sdk.get("release"), sdk.get("environment")
            if deployed.get((release, env), -1.0) < offset:
                env = max((e for r, e in deployed if r == release), key=lambda e: deployed[(release, e)])
        else:
            candidates = [older]
            if j + 1 < len(samples):
                newer = samples[j + 1][1]["sdk"]
                if deployed.get((newer.get("release"), newer.get("environment")), -1.0) >= offset:
                    candidates.append(samples[j + 1])
            index, sdk = candidates[n % len(candidates)][0], candidates[n % len(candidates)][1]["sdk"]
            release, env = sdk.get("release"), sdk.get("environment")
        if n < len(fresh):
            user: Json | None = fresh[n]
        elif everyone:
            user = everyone[n % len(everyone)]
        else:
            user = None
        out.append(Derived(_event_id(issue["id"], n), offset, index, release, env, user))
    return out


def derive(data: Json) -> dict[str, list[Derived]]:
    """Per issue id, its derived events (oldest first)."""
    deployed = _deployed(data)
    numbers = _user_numbers(data)
    per_issue: dict[str, list[tuple[int, Json]]] = {i["id"]: [] for i in data["issues"]}
    for n, e in enumerate(data["events"]):
        per_issue[e["issue"]].append((n, e))
    return {i["id"]: _derive_issue(i, per_issue[i["id"]], deployed, numbers) for i in data["issues"]}


@cache
def prepared_events(text: str) -> dict[str, tuple[Prepared, ...]]:
    """Per issue id, its derived events ready to load. Keyed on the dataset text, computed once."""
    data = json.loads(text)
    tags: dict[tuple[int, str | None, str | None], tuple[tuple[str, str], ...]] = {}
    stamped: dict[int, datetime | None] = {}
    out: dict[str, tuple[Prepared, ...]] = {}
    for issue_id, derived in derive(data).items():
        rows = []
        for d in derived:
            sample: Json = data["events"][d.template]["sdk"]
            key = (d.template, d.release, d.environment)
            sdk = {**sample, "event_id": d.event_id, "release": d.release, "environment": d.environment}
            if key not in tags:
                tags[key] = tuple((k, v) for k, v in sentry_tags(sdk) if k != "user")
            sdk["user"] = d.user
            contexts = sdk.get("contexts")
            if isinstance(contexts, dict) and isinstance(contexts.get("trace"), dict):
                sdk["contexts"] = {**contexts, "trace": {**contexts["trace"], "trace_id": d.event_id}}
            sdk.pop("timestamp", None)
            if d.template not in stamped:  # one parse per sample, not one per derived event
                stamped[d.template] = parse_time(sample["timestamp"]) if sample.get("timestamp") else None
            at = stamped[d.template]
            age = timedelta(seconds=d.offset)
            rows.append(Prepared(d.event_id, age, sdk, tags[key], user_tag(d.user), at))
        out[issue_id] = tuple(rows)
    return out
