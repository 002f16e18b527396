"""The GlitchTip recordings and their replay server: real HTTP, answers exactly as GlitchTip gave them."""

from __future__ import annotations

import json

import httpx2 as httpx
import pytest

from glitchtip_replay import RECORDINGS, TOKEN, load, replay_server, scenario_names

AUTH = {"Authorization": f"Bearer {TOKEN}"}


def test_recordings_hold_no_secret_or_host() -> None:
    for path in RECORDINGS.glob("*.json"):
        text = path.read_text()
        assert ":8800" not in text and "127.0.0.1" not in text, path.name
        assert "dev@example.com" not in text, path.name


@pytest.mark.parametrize("name", scenario_names())
def test_replay_answers_as_recorded(name: str) -> None:
    with replay_server([name]) as replay, httpx.Client(base_url=replay.base) as client:
        for ex in load(name):
            req, want = ex["request"], ex["response"]
            token = {"Authorization": "Bearer not-a-real-token"} if name == "bad_token" else AUTH
            got = client.request(
                req["method"], req["path"], params=req["query"], json=req["body"], headers=token
            )
            assert got.status_code == want["status"]
            if "json" in want["content_type"] and want["body"]:
                expected = json.loads(json.dumps(want["body"]).replace("http://glitchtip.test", replay.base))
                assert got.json() == expected
        assert replay.unmatched == []


def test_traps_are_what_glitchtip_really_answers() -> None:
    traps = {
        (e["request"]["path"], tuple(map(tuple, e["request"]["query"]))): e["response"] for e in load("traps")
    }
    sorts = [r for (p, q), r in traps.items() if q and q[-1][0] == "sort"]
    assert sorts and all(r["status"] == 422 for r in sorts)  # Sentry's sort names
    org_get = [r for (p, _), r in traps.items() if p == "/api/0/organizations/acme/issues/1/"]
    assert [r["status"] for r in org_get] == [405]  # the org-scoped issue route is PUT-only
    oldest = [r for (p, _), r in traps.items() if p.endswith(("/events/oldest/", "/events/recommended/"))]
    assert [r["status"] for r in oldest] == [422, 422]
    assert load("bad_token")[0]["response"]["status"] == 401


def test_unknown_request_is_kept_and_answered_404() -> None:
    with replay_server(["projects"]) as replay, httpx.Client(base_url=replay.base) as client:
        assert client.get("/api/0/issues/1/", headers=AUTH).status_code == 404
        assert replay.unmatched == [("GET", "/api/0/issues/1/", ())]
