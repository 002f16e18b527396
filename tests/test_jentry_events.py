"""Jentry events (backends/jentry/events.py): choosing an event and counting tag values among the most
recent events the API exposes, against the sandbox over real HTTP.
"""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from jentry_helpers import (
    T0,
    events_of,
    jentry,
    make_backend,
)
from stacklens.errors import InvalidInput, NotSupported, UpstreamError
from stacklens.refs import parse_issue_ref


@pytest.mark.anyio
async def test_get_event_latest_oldest_by_id_and_environment(sandbox, sandbox_url) -> None:
    ref = parse_issue_ref("110", "jentry")
    sdk = events_of(sandbox, 110)
    staging = [e for e in sdk if e["environment"] == "staging"]
    async with jentry(sandbox_url) as backend:
        latest = await backend.get_event(ref, "latest")
        recommended = await backend.get_event(ref, "recommended")
        oldest = await backend.get_event(ref, "oldest")
        by_id = await backend.get_event(ref, sdk[2]["event_id"])
        in_staging = await backend.get_event(ref, "latest", environment="staging")
        oldest_staging = await backend.get_event(ref, "oldest", environment="staging")
        with pytest.raises(UpstreamError, match="issue 110 has no event 0123abcd"):
            await backend.get_event(ref, "0123abcd")
        with pytest.raises(UpstreamError, match="environment production, not staging"):
            await backend.get_event(ref, sdk[0]["event_id"], environment="staging")
        with pytest.raises(UpstreamError, match="environments seen: production, staging"):
            await backend.get_event(ref, "latest", environment="qa")
    assert latest.id == recommended.id == sdk[0]["event_id"] and latest.environment == "production"
    assert oldest.id == sdk[-1]["event_id"]
    assert by_id.id == sdk[2]["event_id"]
    assert (in_staging.id, oldest_staging.id) == (staging[0]["event_id"], staging[-1]["event_id"])
    assert in_staging.environment == "staging"
    assert [r.query for r in sandbox.requests[:2]] == [[("limit", "1")], [("limit", "1")]]
    assert all(r.query == [("limit", "100")] for r in sandbox.requests[2:])
    assert {r.path for r in sandbox.requests} == {"/api/v1/issues/110/events"}


@pytest.mark.anyio
async def test_oldest_event_of_an_issue_with_more_events_than_the_api_exposes(sandbox, sandbox_url) -> None:
    """CHECKOUT-3 (107) has 2,290 events; Jentry returns the newest 100: `oldest` says so and names the oldest
    one it can read instead of passing off the 100th as the first."""
    sdk = events_of(sandbox, 107)
    assert len(sdk) > 100
    async with jentry(sandbox_url) as backend:
        with pytest.raises(NotSupported, match=f"pass event_id={sdk[99]['event_id']} to see it"):
            await backend.get_event(parse_issue_ref("107", "jentry"), "oldest")


@pytest.mark.anyio
async def test_list_issue_events(sandbox, sandbox_url) -> None:
    ref = parse_issue_ref("110", "jentry")
    sdk = events_of(sandbox, 110)
    async with jentry(sandbox_url) as backend:
        two = await backend.list_issue_events(ref, limit=2)
        staging = await backend.list_issue_events(ref, limit=10, environment="staging")
        with pytest.raises(InvalidInput, match="no further pages"):
            await backend.list_issue_events(ref, cursor="x")
    assert [e.id for e in two.events] == [e["event_id"] for e in sdk[:2]]
    first = two.events[0]
    assert (first.environment, first.release, first.user_id) == (
        sdk[0]["environment"], sdk[0]["release"], sdk[0]["user"]["id"]
    )  # fmt: skip
    assert first.time is not None and two.notes == ["more events may exist; raise limit (up to 100)"]
    assert [e.id for e in staging.events] == [e["event_id"] for e in sdk if e["environment"] == "staging"]
    matched = sum(e["environment"] == "staging" for e in sdk)
    assert staging.notes == [
        f"filtered to environment 'staging' client-side over the {len(sdk)} most recent events ({matched} match)"
    ]
    assert [r.query for r in sandbox.requests] == [[("limit", "2")], [("limit", "100")]]


@pytest.mark.anyio
async def test_events_beyond_what_the_api_exposes() -> None:
    """100 events returned = older ones may exist: `oldest` and an unknown id say so (scripted upstream)."""
    rows = [
        {"id": f"{n:032x}", "timestamp": (T0 - timedelta(minutes=n)).isoformat(), "environment": "production"}
        for n in range(100)
    ]
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json={"data": rows}))
    backend, upstream = make_backend("http://jentry.test", transport=transport)
    ref = parse_issue_ref("42", "jentry")
    try:
        oldest = rf"oldest of those is {99:032x} \(2026-05-31 22:21:00Z\): pass event_id"
        with pytest.raises(NotSupported, match=oldest):
            await backend.get_event(ref, "oldest")
        with pytest.raises(UpstreamError, match="not among the 100 most recent events of issue 42"):
            await backend.get_event(ref, "ffff")
        tags = await backend.list_tag_values(ref, "environment")
    finally:
        await upstream.aclose()
    assert tags.notes[0] == "from the 100 most recent events (the Jentry API exposes no more: a sample)"


@pytest.mark.anyio
async def test_list_tag_values(sandbox, sandbox_url) -> None:
    ref = parse_issue_ref("107", "jentry")
    sdk = events_of(sandbox, 107)
    async with jentry(sandbox_url) as backend:
        region = await backend.list_tag_values(ref, "region")
        env = await backend.list_tag_values(ref, "environment", limit=1)
        with pytest.raises(
            InvalidInput, match=r"issue 107 has no tag 'browser' on .*; its tag keys: "
        ) as err:
            await backend.list_tag_values(ref, "browser")
    counts: dict[str, int] = {}
    for e in sdk[:100]:  # Jentry's API returns an issue's 100 newest events
        counts[e["tags"]["region"]] = counts.get(e["tags"]["region"], 0) + 1
    assert {v.value: v.count for v in region.values} == counts
    assert [v.count for v in region.values] == sorted(counts.values(), reverse=True)
    assert region.total == 100 and region.notes == [
        "from the 100 most recent events (the Jentry API exposes no more: a sample)"
    ]
    top = region.values[0]
    assert top.first_seen is not None and top.last_seen is not None and top.first_seen <= top.last_seen
    envs: dict[str, int] = {}
    for e in sdk[:100]:
        envs[e["environment"]] = envs.get(e["environment"], 0) + 1
    assert len(envs) == 2 and [(v.value, v.count) for v in env.values] == [
        max(envs.items(), key=lambda kv: kv[1])
    ]
    assert env.notes[1:] == ["1 less frequent value(s) not shown"]
    assert "region" in str(err.value) and "environment" in str(err.value)
    assert [r.query for r in sandbox.requests] == [[("limit", "100")]] * 3


@pytest.mark.anyio
async def test_tag_values_of_an_issue_the_api_returns_whole(sandbox, sandbox_url) -> None:
    """CHECKOUT-6 (110) has fewer events than one page: the counts are the issue's, and the note says so."""
    sdk = events_of(sandbox, 110)
    async with jentry(sandbox_url) as backend:
        env = await backend.list_tag_values(parse_issue_ref("110", "jentry"), "environment")
    counts: dict[str, int] = {}
    for e in sdk:
        counts[e["environment"]] = counts.get(e["environment"], 0) + 1
    assert len(sdk) < 100 and {v.value: v.count for v in env.values} == counts
    assert env.total == len(sdk) == sandbox.issue_by_jentry_id(110)["count"]
    assert env.notes == [f"from the {len(sdk)} most recent events (all of the issue's events)"]
