"""The sandbox's data agrees with itself (issue 14): what one answer says, another never contradicts."""

from __future__ import annotations

from stacklens.sandbox import Sandbox


def test_first_release_holds_the_oldest_event_and_first_seen() -> None:
    sb = Sandbox()
    for issue in sb.issues.values():
        events = sb.events[issue["id"]]  # newest first
        assert events[0]["when"] == issue["lastSeen"], issue["shortId"]
        assert all(e["when"] >= issue["firstSeen"] for e in events), issue["shortId"]
        assert events[0]["sdk"]["release"] == issue["lastRelease"], issue["shortId"]
        if len(events) >= 2:
            assert events[-1]["when"] == issue["firstSeen"], issue["shortId"]
            assert events[-1]["sdk"]["release"] == issue["firstRelease"], issue["shortId"]


def test_events_happen_where_and_after_their_release_was_deployed() -> None:
    sb = Sandbox()
    deployed = {
        (r["version"], d["environment"]): d["dateFinished"] for r in sb.releases for d in r["deploys"]
    }
    for issue in sb.issues.values():
        first = next(r for r in sb.releases if r["version"] == issue["firstRelease"])
        assert min(d["dateFinished"] for d in first["deploys"]) <= issue["firstSeen"], issue["shortId"]
        for e in sb.events[issue["id"]]:
            at = deployed.get((e["sdk"]["release"], e["sdk"]["environment"]))
            assert at is not None and at <= e["when"], (issue["shortId"], e["id"])
