"""Sentry's serializers for users, actors, projects, releases and issues (ids as strings, times with `Z`)."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import UTC, datetime, timedelta

from stacklens.sandbox.sentry.common import (
    Json,
    t,
)
from stacklens.sandbox.state import Sandbox


def user_json(m: Json) -> Json:
    return {
        "id": m["id"],
        "name": m["name"],
        "username": m["username"],
        "email": m["email"],
        "avatarUrl": None,
        "isActive": True,
    }


def actor_json(sb: Sandbox, ref: str | None) -> Json | None:
    if not ref:
        return None
    kind, _, ident = ref.partition(":")
    if kind == "team" and ident in sb.teams:
        return {"type": "team", "id": ident, "name": sb.teams[ident]["slug"], "email": None}
    m = sb.members.get(ident)
    return {"type": "user", "id": ident, "name": m["name"], "email": m["email"]} if m else None


def project_ref(p: Json) -> Json:
    return {"id": p["id"], "name": p["name"], "slug": p["slug"], "platform": p["platform"]}


def version_info(version: str) -> Json:
    package, _, rest = version.rpartition("@") if "@" in version else ("", "", version)
    raw, _, build = rest.partition("+")
    m = re.match(r"(\d+)\.(\d+)\.(\d+)(?:-(.+))?$", raw)
    parsed = None
    if m:
        parsed = {
            "raw": rest,
            "major": int(m[1]),
            "minor": int(m[2]),
            "patch": int(m[3]),
            "pre": m[4],
            "buildCode": build or None,
            "components": 3,
        }
    return {
        "package": package or None,
        "version": parsed or {"raw": rest},
        "description": rest,
        "buildHash": None,
    }


def release_stub(sb: Sandbox, version: str | None) -> Json | None:
    r = sb.release_by(version) if version else None
    if not version:
        return None
    return {
        "version": version,
        "shortVersion": version,
        "dateCreated": t(r["dateCreated"]) if r else None,
        "dateReleased": t(r["dateReleased"]) if r else None,
        "url": r["url"] if r else None,
        "versionInfo": version_info(version),
    }


def issue_json(sb: Sandbox, issue: Json, base: str, *, stats: bool = False) -> Json:
    project = sb.projects[issue["project"]]
    logger = next((e["sdk"].get("logger") for e in sb.events.get(issue["id"], [])[:1]), None)
    out = {
        "id": issue["id"],
        "shareId": None,
        "shortId": issue["shortId"],
        "title": issue["title"],
        "culprit": issue["culprit"],
        "permalink": f"{base}/organizations/{sb.config.org}/issues/{issue['id']}/",
        "logger": logger,
        "level": issue["level"],
        "status": issue["status"],
        "statusDetails": issue.get("statusDetails") or {},
        "substatus": issue.get("substatus"),
        "isPublic": False,
        "platform": project["platform"],
        "project": project_ref(project),
        "type": issue.get("type", "error"),
        "metadata": issue.get("metadata") or {},
        "numComments": 0,
        "assignedTo": actor_json(sb, issue.get("assignedTo")),
        "isBookmarked": bool(issue.get("isBookmarked")),
        "isSubscribed": bool(issue.get("isSubscribed")),
        "subscriptionDetails": None,
        "hasSeen": bool(issue.get("hasSeen")),
        "annotations": [],
        "issueType": "error",
        "issueCategory": "error",
        "priority": issue.get("priority"),
        "priorityLockedAt": None,
        "isUnhandled": bool(issue.get("isUnhandled")),
        "count": str(issue["count"]),
        "userCount": issue["userCount"],
        "firstSeen": t(issue["firstSeen"]),
        "lastSeen": t(issue["lastSeen"]),
        "firstRelease": release_stub(sb, issue.get("firstRelease")),
        "lastRelease": release_stub(sb, issue.get("lastRelease")),
    }
    if stats:
        out["stats"] = {"24h": _hourly(sb, issue)}
        out["lifetime"] = {k: out[k] for k in ("count", "userCount", "firstSeen", "lastSeen")}
    return out


def _hourly(sb: Sandbox, issue: Json) -> list[list[int]]:
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    buckets = [now - timedelta(hours=h) for h in range(23, -1, -1)]
    counts: defaultdict[datetime, int] = defaultdict(int)
    for e in sb.events.get(issue["id"], []):  # newest first: stop at the first one before the window
        if e["when"] < buckets[0]:
            break
        counts[e["when"].replace(minute=0, second=0, microsecond=0)] += 1
    return [[int(b.timestamp()), counts[b]] for b in buckets]


def project_json(sb: Sandbox, p: Json) -> Json:
    team = sb.teams.get(p.get("team") or "")
    team_ref = {"id": team["id"], "name": team["name"], "slug": team["slug"]} if team else None
    envs = sorted(
        {
            e["sdk"].get("environment")
            for i in sb.issues.values()
            if i["project"] == p["id"]
            for e in sb.events[i["id"]]
        }
        - {None}
    )
    return {
        **project_ref(p),
        "dateCreated": t(p["dateCreated"]),
        "isBookmarked": False,
        "isMember": True,
        "hasAccess": True,
        "status": "active",
        "features": ["releases"],
        "firstEvent": t(p["dateCreated"]),
        "team": team_ref,
        "teams": [team_ref] if team_ref else [],
        "environments": envs,
        "platforms": [p["platform"]],
        "latestRelease": None,
    }
