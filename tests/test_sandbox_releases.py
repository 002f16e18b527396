"""The sandbox routes the release and event-search tools read, over real HTTP on 127.0.0.1: a release's
commits, the files they changed and its deploys; event search on an issue's events; per-release tag values.
And the story the dataset tells through them (SHOP-1A's suspect commit, WORKER-7's two crash sites).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import httpx
import pytest

from stacklens.sandbox import Sandbox
from stacklens.sandbox.sdk_event import parse_time

SENTRY = {"Authorization": "Bearer sandbox-sentry-token"}
SENTRY_RO = {"Authorization": "Bearer sandbox-sentry-readonly"}
ORG = "/api/0/organizations/acme"


@pytest.fixture(scope="module")
def _client(sandbox_server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sandbox_server[1], timeout=10) as client:
        yield client


@pytest.fixture
def http(_client: httpx.Client, sandbox: Sandbox) -> httpx.Client:
    return _client


def get(http: httpx.Client, path: str, **params: str) -> httpx.Response:
    return http.get(f"{ORG}{path}", params=params, headers=SENTRY)


def ok(response: httpx.Response) -> list[dict]:
    assert response.status_code == 200, response.text
    return response.json()


def issue_id(http: httpx.Client, short_id: str) -> str:
    return ok(get(http, f"/shortids/{short_id}/"))["groupId"]


def crash_frame(event: dict) -> dict:
    entry = next(e for e in event["entries"] if e["type"] == "exception")
    frames = entry["data"]["values"][-1]["stacktrace"]["frames"]
    return [f for f in frames if f["inApp"]][-1]


def test_release_commits_have_sentrys_commit_shape(http):
    commits = ok(get(http, "/releases/shop-web@2.3.0/commits/"))
    assert len(commits) == 3
    for c in commits:
        assert set(c) == {"id", "message", "dateCreated", "repository", "author"}
        assert len(c["id"]) == 40 and c["message"]
        assert c["dateCreated"].endswith("Z")
        assert c["repository"]["name"] == "acme/shop-web"
        assert c["author"]["email"].endswith("@acme.test")
    stamps = [c["dateCreated"] for c in commits]
    assert stamps == sorted(stamps, reverse=True)  # as sentry-cli sets them: newest first


def test_commitfiles_have_sentrys_file_change_shape(http):
    files = ok(get(http, "/releases/shop-web@2.3.0/commitfiles/"))
    assert [f["filename"] for f in files] == sorted(f["filename"] for f in files)
    for f in files:
        assert set(f) == {"id", "orgId", "author", "commitMessage", "filename", "type", "repoName"}
        assert f["type"] in ("A", "M", "D") and f["repoName"] == "acme/shop-web"
    messages = {c["message"] for c in ok(get(http, "/releases/shop-web@2.3.0/commits/"))}
    assert {f["commitMessage"] for f in files} <= messages
    assert ok(get(http, "/releases/shop-web@2.3.0/commitfiles/", repo_name="acme/other")) == []


def test_deploys_list_environments_and_times(http):
    deploys = ok(get(http, "/releases/shop-web@2.3.0/deploys/"))
    assert {d["environment"] for d in deploys} == {"staging", "production"}
    for d in deploys:
        assert set(d) == {"id", "environment", "name", "url", "dateStarted", "dateFinished"}
        assert d["dateStarted"] < d["dateFinished"]


@pytest.mark.parametrize("route", ["commits", "commitfiles", "deploys"])
def test_release_routes_404_and_auth(http, route):
    assert get(http, f"/releases/nope@1/{route}/").status_code == 404
    assert http.get(f"{ORG}/releases/shop-web@2.3.0/{route}/").status_code == 401
    readonly = http.get(f"{ORG}/releases/shop-web@2.3.0/{route}/", headers=SENTRY_RO)
    assert readonly.status_code == 200  # project:read is enough to read a release, as on Sentry


def test_version_with_build_metadata_is_a_path(http):
    version = quote("worker@0.9.1+build.7", safe="@")
    assert len(ok(get(http, f"/releases/{version}/commits/"))) == 2


def test_a_posted_commits_patch_set_is_served_as_commitfiles(http):
    body = {
        "version": "shop-web@9.0.0",
        "projects": ["shop-web"],
        "commits": [
            {
                "id": "a" * 40,
                "message": "Fix the thing",
                "repository": "acme/shop-web",
                "author_email": "someone@else.test",
                "author_name": "Some One",
                "patch_set": [{"path": "shop/x.py", "type": "M"}],
            }
        ],
    }
    assert http.post(f"{ORG}/releases/", json=body, headers=SENTRY).status_code == 201
    (commit,) = ok(get(http, "/releases/shop-web@9.0.0/commits/"))
    assert commit["author"] == {"name": "Some One", "email": "someone@else.test"}
    (change,) = ok(get(http, "/releases/shop-web@9.0.0/commitfiles/"))
    assert (change["filename"], change["type"], change["commitMessage"]) == (
        "shop/x.py",
        "M",
        "Fix the thing",
    )


def test_shop_1a_first_release_has_one_suspect_commit_and_was_deployed(http):
    """SHOP-1A crashes in a file exactly one commit of its first release changed, among decoys."""
    group = issue_id(http, "SHOP-1A")
    issue = ok(get(http, f"/issues/{group}/"))
    release = issue["firstRelease"]["version"]
    assert release == "shop-web@2.3.0"
    filename = crash_frame(ok(get(http, f"/issues/{group}/events/latest/")))["filename"]
    assert filename == "shop/orders.py"
    files = ok(get(http, f"/releases/{release}/commitfiles/"))
    touching = {f["commitMessage"] for f in files if f["filename"] == filename}
    assert len(touching) == 1
    assert len({f["commitMessage"] for f in files}) == 3  # two decoy commits changed other files
    deploys = ok(get(http, f"/releases/{release}/deploys/"))
    assert "production" in {d["environment"] for d in deploys}


def test_worker_7_events_come_from_two_crash_sites_in_known_counts(http):
    group = issue_id(http, "WORKER-7")
    events = ok(get(http, f"/issues/{group}/events/", full="true"))
    sites = Counter((crash_frame(e)["function"], e["metadata"]["type"]) for e in events)
    assert set(sites) == {("parse_price", "ValueError"), ("main_image", "IndexError")}
    assert sum(sites.values()) == len(events) == int(ok(get(http, f"/issues/{group}/"))["count"])
    assert sites[("parse_price", "ValueError")] > sites[("main_image", "IndexError")] > 0
    assert crash_frame(events[0])["function"] == "parse_price"  # the newest, which titles the issue


def test_issue_events_query_narrows_by_text_and_field(http):
    group = issue_id(http, "WORKER-7")
    events = ok(get(http, f"/issues/{group}/events/", full="true"))
    index_errors = sum(e["metadata"]["type"] == "IndexError" for e in events)
    assert 0 < index_errors < len(events)
    assert len(ok(get(http, f"/issues/{group}/events/", query="IndexError"))) == index_errors
    value_errors = ok(get(http, f"/issues/{group}/events/", query="error.type:ValueError"))
    assert len(value_errors) == len(events) - index_errors
    assert len(ok(get(http, f"/issues/{group}/events/", query="!error.type:ValueError"))) == index_errors
    assert len(ok(get(http, f"/issues/{group}/events/", query="release:worker@0.9.1+build.7"))) == len(events)
    assert ok(get(http, f"/issues/{group}/events/", query="no-such-text")) == []
    assert get(http, f"/issues/{group}/events/", query="is:unresolved").status_code == 400
    assert get(http, f"/issues/{group}/events/", query="foo:(").status_code == 400


def test_issue_events_time_window(http):
    group = issue_id(http, "WORKER-7")
    everything = ok(get(http, f"/issues/{group}/events/"))
    recent = ok(get(http, f"/issues/{group}/events/", statsPeriod="1h"))
    assert [e["id"] for e in recent] == [everything[0]["id"]]  # the newest is 35 minutes old
    now = datetime.now(UTC)
    window = {"start": (now - timedelta(days=30)).isoformat(), "end": now.isoformat()}
    assert len(ok(get(http, f"/issues/{group}/events/", **window))) == len(everything)
    old = {"start": (now - timedelta(days=60)).isoformat(), "end": (now - timedelta(days=30)).isoformat()}
    assert ok(get(http, f"/issues/{group}/events/", **old)) == []
    assert get(http, f"/issues/{group}/events/", statsPeriod="soon").status_code == 400
    assert get(http, f"/issues/{group}/events/", start=now.isoformat()).status_code == 400
    reversed_window = {"start": window["end"], "end": window["start"]}
    assert get(http, f"/issues/{group}/events/", **reversed_window).status_code == 400


def test_release_tag_values_count_per_release_with_first_and_last_seen(http, sandbox):
    group = issue_id(http, "SHOP-1A")
    # 1,284 events: read them in the sandbox, not as 13 pages of full events.
    events = [sandbox.payload(e) for e in sandbox.events[group]]
    rows = ok(get(http, f"/issues/{group}/tags/release/values/"))
    by_release = {r["value"]: r for r in rows}
    expected = Counter(e["release"] for e in events)
    assert len(expected) == 2 and {v: r["count"] for v, r in by_release.items()} == dict(expected)
    for version, row in by_release.items():
        seen = sorted(parse_time(e["timestamp"]) for e in events if e["release"] == version)
        assert (parse_time(row["firstSeen"]), parse_time(row["lastSeen"])) == (seen[0], seen[-1])
