"""The debugging-depth tools end to end through the official MCP client: against the sandbox on both backends,
and against a second, independent upstream defined here (a small Starlette app serving just the Sentry routes
these tools read, with another project, file and commit layout)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from mcp_helpers import backend_env, inproc, text_of
from stacklens.cli import delete_warning, parser
from stacklens.config import resolve
from stacklens.sandbox.sdk_event import exceptions
from stacklens.sandbox.serve import serve_in_thread
from stacklens.tools import ToolEnv, selected

pytestmark = pytest.mark.anyio

SHOP_1A = {"sentry": "SHOP-1A", "jentry": "101"}
WORKER_7 = {"sentry": "WORKER-7", "jentry": "119"}
GIFT_CARD_SHA = "8a507efb352029053ec6073c2ec193c58fd6ce63"


async def tool_names(client) -> set[str]:
    return {t.name for t in (await client.list_tools()).tools}


# --- the sandbox, both backends ----------------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["sentry", "jentry"])
async def test_timeline_names_first_release_and_verdict(backend, sandbox, sandbox_url):
    async with inproc(backend, sandbox_url) as client:
        result = await client.call_tool("get_issue_timeline", {"issue": SHOP_1A[backend]})
    text, data = text_of(result), result.structured_content
    assert not result.is_error, text
    assert data["first_release"] == "shop-web@2.3.0" and data["newest_release"] == "shop-web@2.4.0"
    assert data["verdicts"][0].startswith("first seen in `shop-web@2.3.0`")
    assert "still occurring in the newest release `shop-web@2.4.0`" in data["verdicts"][1]
    assert [r["version"] for r in data["releases"]] == [
        "shop-web@2.3.0",
        "shop-web@2.4.0",
    ]  # the releases it occurred in
    if backend == "sentry":  # its deploys are read back: the first release's production deploy is named
        assert "deployed to `production` at" in data["verdicts"][0]
        assert {d["environment"] for d in data["releases"][0]["deploys"]} == {"staging", "production"}
    else:  # Jentry: counts from its recent events (a sample), no deploys, both said
        assert any("a sample" in n for n in data["notes"])
        assert any("does not return deploys" in n for n in data["notes"])
    assert len(text.encode()) < 2048


async def test_suspects_rank_the_gift_card_commit_first_on_sentry(sandbox, sandbox_url):
    async with inproc("sentry", sandbox_url) as client:
        result = await client.call_tool("find_suspect_commits", {"issue": "SHOP-1A"})
    data = result.structured_content
    assert not result.is_error, text_of(result)
    top = data["commits"][0]
    assert top["sha"] == GIFT_CARD_SHA and top["message"] == "Add gift card checkout"
    assert top["matched_files"] == ["shop/orders.py"] and top["release"] == "shop-web@2.3.0"
    assert top["url"] == f"https://github.com/acme/shop-web/commit/{GIFT_CARD_SHA}"
    assert data["examined"] == 3 and len(data["commits"]) == 1  # the two decoys touch no stack file
    assert data["frames"][0] == {
        "file": "shop/orders.py",
        "function": "build_order",
        "line": 19,
        "crash": True,
    }
    routes = {r.path.rsplit("/", 2)[-2] for r in sandbox.requests if "/releases/shop-web" in r.path}
    assert routes == {"commits", "commitfiles"}


async def test_suspects_on_jentry_say_what_is_missing_and_send_nothing(sandbox, sandbox_url):
    async with inproc("jentry", sandbox_url) as client:
        sandbox.requests.clear()
        result = await client.call_tool("find_suspect_commits", {"issue": "101"})
    assert result.is_error and "Jentry's API cannot read release commits back" in text_of(result)
    assert sandbox.requests == []


def worker_7_exception_types(sandbox) -> Counter[str]:
    """WORKER-7's events by exception type, read in the sandbox (the answer's ground truth)."""
    events = sandbox.events[sandbox.issue_by("WORKER-7")["id"]]
    return Counter(exceptions(sandbox.payload(e))[-1]["type"] for e in events)


@pytest.mark.parametrize("backend", ["sentry", "jentry"])
async def test_two_crash_sites_make_two_groups(backend, sandbox, sandbox_url):
    async with inproc(backend, sandbox_url) as client:
        result = await client.call_tool("cluster_issue_events", {"issue": WORKER_7[backend]})
    text, data = text_of(result), result.structured_content
    assert not result.is_error, text
    kinds = worker_7_exception_types(sandbox)
    assert data["events"] == sum(kinds.values()) == 48  # every event: fewer than one page
    groups = [(g["count"], g["crash_frame"], g["exception_type"]) for g in data["groups"]]
    assert groups == [
        (kinds["ValueError"], "worker/feeds.py parse_price", "ValueError"),
        (kinds["IndexError"], "worker/feeds.py main_image", "IndexError"),
    ]
    assert kinds["ValueError"] > kinds["IndexError"] > 0
    assert data["groups"][0]["message"] == "could not convert string to float: '<v>'"
    async with inproc(backend, sandbox_url) as client:  # the representative event opens with get_event
        rep = data["groups"][1]["representative_event_id"]
        opened = await client.call_tool("get_event", {"issue": WORKER_7[backend], "event_id": rep})
    assert not opened.is_error and "IndexError" in text_of(opened)
    assert len(text.encode()) < 2048


async def test_sentry_recent_events_ask_for_full_bodies(sandbox, sandbox_url):
    async with inproc("sentry", sandbox_url) as client:
        await client.call_tool("cluster_issue_events", {"issue": "WORKER-7", "environment": "production"})
    sent = [r for r in sandbox.requests if r.path.endswith("/events/")]
    assert sent and all(r.param("full") == "true" and r.param("environment") == "production" for r in sent)


async def test_list_issue_events_query_and_period_on_sentry(sandbox, sandbox_url):
    async with inproc("sentry", sandbox_url) as client:
        result = await client.call_tool(
            "list_issue_events",
            {"issue": "WORKER-7", "query": "release:worker@0.9.1+build.7", "period": "7d", "limit": 100},
        )
    assert not result.is_error, text_of(result)
    sent = [r for r in sandbox.requests if r.path.endswith("/events/")][-1]
    assert sent.param("query") == "release:worker@0.9.1+build.7" and sent.param("statsPeriod") == "7d"
    assert len(result.structured_content["events"]) == sum(worker_7_exception_types(sandbox).values())


async def test_list_issue_events_on_jentry_period_client_side_query_refused(sandbox, sandbox_url):
    async with inproc("jentry", sandbox_url) as client:
        sandbox.requests.clear()
        refused = await client.call_tool("list_issue_events", {"issue": "119", "query": "user.email:x"})
        assert refused.is_error and "Sentry only" in text_of(refused) and sandbox.requests == []
        result = await client.call_tool("list_issue_events", {"issue": "119", "period": "24h", "limit": 100})
    notes = result.structured_content["notes"]
    assert any("client-side" in n and "24h" in n for n in notes), notes
    # The issue's 48 events span about two days: the last 24 hours hold some of them.
    assert 0 < len(result.structured_content["events"]) < sum(worker_7_exception_types(sandbox).values())


# --- delete_issue: registered only when allowed, never read-only, exactly one DELETE ------------------------


@pytest.mark.parametrize("backend", ["sentry", "jentry"])
async def test_delete_issue_is_absent_unless_allowed_and_never_read_only(backend, sandbox_url):
    async with inproc(backend, sandbox_url) as client:
        assert "delete_issue" not in await tool_names(client)
        off = await client.call_tool("delete_issue", {"issue": SHOP_1A[backend]})
        assert off.is_error and "--allow-delete" in text_of(off)
    async with inproc(backend, sandbox_url, read_only=True, STACKLENS_ALLOW_DELETE="1") as client:
        assert "delete_issue" not in await tool_names(client)
        refused = await client.call_tool("delete_issue", {"issue": SHOP_1A[backend]})
        assert refused.is_error and "read-only" in text_of(refused)
    async with inproc(backend, sandbox_url, STACKLENS_ALLOW_DELETE="1") as client:
        tool = next(t for t in (await client.list_tools()).tools if t.name == "delete_issue")
    assert tool.annotations.destructive_hint is True and tool.annotations.read_only_hint is False


async def test_delete_issue_on_sentry_sends_exactly_one_delete(sandbox, sandbox_url):
    async with inproc("sentry", sandbox_url, STACKLENS_ALLOW_DELETE="1") as client:
        sandbox.requests.clear()
        result = await client.call_tool("delete_issue", {"issue": "6120005066"})
        gone = await client.call_tool("get_issue", {"issue": "6120005066"})
    assert not result.is_error, text_of(result)
    assert "scheduled for deletion" in text_of(result)
    assert result.structured_content == {"issue": "6120005066", "ok": True, "scheduled": True,
                                         "message": "scheduled for deletion"}  # fmt: skip
    deletes = [r for r in sandbox.requests if r.method == "DELETE"]
    assert [r.path for r in deletes] == ["/api/0/organizations/acme/issues/6120005066/"]
    assert gone.is_error and "404" in text_of(gone)


async def test_delete_issue_is_not_retried_on_a_server_error(sandbox, sandbox_url):
    sandbox.inject(r"/issues/6120005066/$", status=503, body='{"detail": "busy"}', method="DELETE", times=5)
    async with inproc("sentry", sandbox_url, STACKLENS_ALLOW_DELETE="1") as client:
        sandbox.requests.clear()
        result = await client.call_tool("delete_issue", {"issue": "6120005066"})
    assert result.is_error
    assert len([r for r in sandbox.requests if r.method == "DELETE"]) == 1


async def test_delete_issue_on_jentry_says_so_and_sends_nothing(sandbox, sandbox_url):
    async with inproc("jentry", sandbox_url, STACKLENS_ALLOW_DELETE="1") as client:
        sandbox.requests.clear()
        result = await client.call_tool("delete_issue", {"issue": "101"})
    assert result.is_error and "Jentry's API has no endpoint that deletes an issue" in text_of(result)
    assert sandbox.requests == []


def test_allow_delete_flag_env_and_read_only_precedence():
    env = backend_env("sentry", "http://127.0.0.1:9")
    assert resolve(env).allow_delete is False
    assert resolve({**env, "STACKLENS_ALLOW_DELETE": "1"}).allow_delete is True
    assert parser().parse_args(["--allow-delete"]).allow_delete is True
    both = resolve(env, allow_delete=True, read_only=True)
    names = {t.name for t in selected(ToolEnv(both, both.descriptor))}
    assert "delete_issue" not in names and "get_issue_timeline" in names
    assert "--allow-delete ignored" in (delete_warning(both) or "")
    allowed = resolve(env, allow_delete=True)
    assert delete_warning(allowed) is None
    assert "delete_issue" in {t.name for t in selected(ToolEnv(allowed, allowed.descriptor))}


# --- a second, independent upstream: another project, files and commits ------------------------------------

NOW = datetime.now(UTC).replace(microsecond=0)


def ago(hours: float) -> str:
    return (NOW - timedelta(hours=hours)).isoformat().replace("+00:00", "Z")


def rest_frame(path: str, function: str, line: int, in_app: bool) -> dict:
    return {"filename": path, "absPath": f"/opt/billing/{path}", "function": function, "lineNo": line,
            "inApp": in_app, "context": []}  # fmt: skip


def rest_event(n: int, crash: str) -> dict:
    """A Sentry REST event (`entries[]`): a TypeError in totals.sum_lines, or a KeyError in handlers.parse_body."""
    lib = rest_frame("gunicorn/workers/sync.py", "handle", 135, False)
    if crash == "totals":
        frames = [lib, rest_frame("billing/api/handlers.py", "post_invoice", 88, True),
                  rest_frame("billing/invoice/totals.py", "sum_lines", 41, True)]  # fmt: skip
        exc = {"type": "TypeError", "value": f"unsupported operand for line {n}: 'Decimal' and 'float'"}
    else:
        frames = [lib, rest_frame("billing/api/handlers.py", "parse_body", 23, True)]
        exc = {"type": "KeyError", "value": "'currency'"}
    exc["stacktrace"] = {"frames": frames}
    return {
        "id": f"{n:032x}", "eventID": f"{n:032x}", "dateCreated": ago(n), "title": f"{exc['type']}: x",
        "message": "", "platform": "python", "environment": "prod-eu", "release": {"version": "billing@5.0.0"},
        "tags": [{"key": "environment", "value": "prod-eu"}, {"key": "release", "value": "billing@5.0.0"}],
        "entries": [{"type": "exception", "data": {"values": [exc]}}],
    }  # fmt: skip


EVENTS = [rest_event(n, "totals" if n % 5 else "handlers") for n in range(1, 11)]  # 8 totals, 2 handlers
AUTHOR = {"name": "Lee", "email": "lee@billing.test"}
COMMITS = {
    "billing@4.9.0": [
        {"id": "49" * 20, "message": "Round totals half-even", "files": ["billing/invoice/totals.py"]},
    ],
    "billing@5.0.0": [
        {"id": "a1" * 20, "message": "Accept JSON bodies", "files": ["billing/api/handlers.py"]},
        {"id": "b2" * 20, "message": "Mix float fees into totals", "files": ["billing/invoice/totals.py"]},
        {"id": "c3" * 20, "message": "Document totals", "files": ["docs/totals.py", "README.md"]},
        {"id": "d4" * 20, "message": "Bump gunicorn", "files": ["requirements.txt"]},
    ],
    "billing@5.0.1": [{"id": "e5" * 20, "message": "Fix typo", "files": ["billing/invoice/totals.py"]}],
}
RELEASES = [  # newest first, as Sentry lists them
    {"version": "billing@5.0.1", "dateReleased": ago(20), "dateCreated": ago(21)},
    {"version": "billing@5.0.0", "dateReleased": ago(60), "dateCreated": ago(61)},
    {"version": "billing@4.9.0", "dateReleased": ago(200), "dateCreated": ago(201)},
]
DEPLOYS = {
    "billing@5.0.0": [
        {
            "id": "1",
            "environment": "prod-eu",
            "name": "eu",
            "url": None,
            "dateStarted": ago(59.5),
            "dateFinished": ago(59),
        }
    ],
    "billing@5.0.1": [
        {
            "id": "2",
            "environment": "prod-eu",
            "name": "eu",
            "url": None,
            "dateStarted": ago(19.5),
            "dateFinished": ago(19),
        }
    ],
}
ISSUE = {
    "id": "777001", "shortId": "BILL-9", "title": "TypeError: unsupported operand", "culprit": "sum_lines",
    "level": "error", "status": "unresolved", "substatus": "ongoing", "count": "10", "userCount": 4,
    "firstSeen": ago(58), "lastSeen": ago(25), "firstRelease": {"version": "billing@5.0.0"},
    "lastRelease": {"version": "billing@5.0.0"}, "project": {"id": "55", "slug": "billing"},
}  # fmt: skip


def billing_app(log: list[tuple[str, str]], unregistered: frozenset[str] = frozenset()) -> Starlette:
    def version(request: Request) -> str:
        return request.path_params["version"]

    async def record(request: Request) -> None:
        log.append((request.method, request.url.path))

    async def issue(request: Request) -> Response:
        await record(request)
        if request.path_params["id"] != "777001":
            return JSONResponse({"detail": "The requested resource does not exist"}, 404)
        if request.method == "DELETE":
            return Response(status_code=202)
        return JSONResponse(ISSUE)

    async def tag_values(request: Request) -> Response:
        await record(request)
        return JSONResponse([{"key": "release", "value": "billing@5.0.0", "count": 10,
                              "firstSeen": ago(58), "lastSeen": ago(25)}])  # fmt: skip

    async def latest(request: Request) -> Response:
        await record(request)
        return JSONResponse(EVENTS[0])

    async def events(request: Request) -> Response:
        await record(request)
        return JSONResponse(EVENTS if request.query_params.get("full") == "true" else [])

    async def releases(request: Request) -> Response:
        await record(request)
        return JSONResponse(RELEASES)

    async def commits(request: Request) -> Response:
        await record(request)
        if version(request) in unregistered:
            return JSONResponse({"detail": "The requested resource does not exist"}, 404)
        rows = [{"id": c["id"], "message": c["message"], "dateCreated": ago(70), "author": AUTHOR,
                 "repository": {"name": "billing/app", "url": "https://gitlab.com/billing/app"}}
                for c in COMMITS.get(version(request), [])]  # fmt: skip
        return JSONResponse(rows)

    async def commitfiles(request: Request) -> Response:
        await record(request)
        rows = [{"id": str(n), "orgId": 1, "author": AUTHOR, "commitMessage": c["message"], "filename": f,
                 "type": "M", "repoName": "billing/app"}
                for n, (c, f) in enumerate((c, f) for c in COMMITS.get(version(request), []) for f in c["files"])]  # fmt: skip
        return JSONResponse(rows)

    async def deploys(request: Request) -> Response:
        await record(request)
        return JSONResponse(DEPLOYS.get(version(request), []))

    org = "/api/0/organizations/billco"
    return Starlette(
        routes=[
            Route(f"{org}/issues/{{id}}/", issue, methods=["GET", "DELETE"]),
            Route(f"{org}/issues/{{id}}/tags/release/values/", tag_values),
            Route(f"{org}/issues/{{id}}/events/latest/", latest),
            Route(f"{org}/issues/{{id}}/events/", events),
            Route(f"{org}/releases/", releases),
            Route(f"{org}/releases/{{version}}/commits/", commits),
            Route(f"{org}/releases/{{version}}/commitfiles/", commitfiles),
            Route(f"{org}/releases/{{version}}/deploys/", deploys),
        ]
    )


@pytest.fixture
def billing() -> Iterator[tuple[str, list[tuple[str, str]]]]:
    log: list[tuple[str, str]] = []
    with serve_in_thread(billing_app(log)) as url:
        yield url, log


def billing_env(url: str, **extra: str) -> dict[str, str]:
    return {**backend_env("sentry", url), "SENTRY_ORG": "billco", **extra}


async def test_second_upstream_suspects_timeline_clusters(billing):
    from mcp import Client

    from stacklens.server import build_server

    url, log = billing
    async with Client(build_server(resolve(billing_env(url)))) as client:
        suspects = await client.call_tool("find_suspect_commits", {"issue": "777001", "limit": 5})
        timeline = await client.call_tool("get_issue_timeline", {"issue": "777001"})
        clusters = await client.call_tool("cluster_issue_events", {"issue": "777001", "limit": 10})
    s = suspects.structured_content
    assert not suspects.is_error, text_of(suspects)
    # The crash file's commit in the first release, then the same file one release earlier, then the caller.
    assert [c["sha"][:2] for c in s["commits"]] == ["b2", "49", "a1"]
    assert s["previous_release"] == "billing@4.9.0" and s["examined"] == 5
    assert s["commits"][0]["url"] == "https://gitlab.com/billing/app/-/commit/" + "b2" * 20
    assert "docs/totals.py" not in json.dumps(s)  # a same-name file elsewhere is no match

    t = timeline.structured_content
    assert not timeline.is_error, text_of(timeline)
    assert t["verdicts"][0].startswith("first seen in `billing@5.0.0`")
    assert (
        "deployed to `prod-eu` at" in t["verdicts"][0] and "no events in earlier releases" in t["verdicts"][0]
    )
    assert t["verdicts"][1].startswith("no events since `billing@5.0.0`")
    assert "newest release `billing@5.0.1` (deployed to `prod-eu` at" in t["verdicts"][1]

    c = clusters.structured_content
    assert [(g["count"], g["crash_frame"]) for g in c["groups"]] == [
        (8, "billing/invoice/totals.py sum_lines"),
        (2, "billing/api/handlers.py parse_body"),
    ]
    assert c["groups"][0]["message"] == "unsupported operand for line <n>: '<v>' and '<v>'"
    assert c["groups"][0]["environments"] == ["prod-eu"]
    for tool in (timeline, clusters):
        assert len(text_of(tool).encode()) < 2048
    assert ("GET", "/api/0/organizations/billco/releases/billing@5.0.0/commitfiles/") in log


async def test_second_upstream_delete_sends_one_delete(billing):
    from mcp import Client

    from stacklens.server import build_server

    url, log = billing
    async with Client(build_server(resolve(billing_env(url, STACKLENS_ALLOW_DELETE="1")))) as client:
        result = await client.call_tool("delete_issue", {"issue": "777001"})
    assert not result.is_error and result.structured_content["scheduled"] is True
    assert "scheduled for deletion" in text_of(result)
    assert [m for m, _ in log] == ["DELETE"]


def test_sandbox_delete_route_needs_event_admin_and_answers_202_once(sandbox, sandbox_url):
    import httpx

    path = f"{sandbox_url}/api/0/organizations/acme/issues/6120004474/"
    readonly = httpx.delete(path, headers={"Authorization": "Bearer sandbox-sentry-readonly"})
    assert readonly.status_code == 403
    first = httpx.delete(path, headers={"Authorization": "Bearer sandbox-sentry-token"})
    again = httpx.delete(path, headers={"Authorization": "Bearer sandbox-sentry-token"})
    assert (first.status_code, again.status_code) == (202, 404)
    assert "6120004474" not in sandbox.issues


async def test_second_upstream_unregistered_previous_release_is_a_note(billing):
    from mcp import Client

    from stacklens.server import build_server

    log: list[tuple[str, str]] = []
    with serve_in_thread(billing_app(log, frozenset({"billing@4.9.0"}))) as url:
        async with Client(build_server(resolve(billing_env(url)))) as client:
            result = await client.call_tool("find_suspect_commits", {"issue": "777001"})
    data = result.structured_content
    assert not result.is_error, text_of(result)
    assert [c["sha"][:2] for c in data["commits"]] == ["b2", "a1"]
    assert any("`billing@4.9.0`" in n and "not registered as a release (404)" in n for n in data["notes"])


def test_sentry_commit_files_link_by_message_then_author():
    from stacklens.backends.sentry.history import link_files
    from stacklens.models import Commit

    commits = [
        Commit(sha="1", message="Retry payment capture once", author_email="priya@x"),
        Commit(sha="2", message="Retry payment capture once", author_email="bob@x"),
        Commit(sha="3", message="Cache tree", author_email="priya@x"),
    ]
    rows = [
        {
            "commitMessage": "Retry payment capture once",
            "filename": "shop/orders.py",
            "author": {"email": "priya@x"},
        },
        {
            "commitMessage": "Retry payment capture once",
            "filename": "tests/t.py",
            "author": {"email": "bob@x"},
        },
        {"commitMessage": "Cache tree", "filename": "shop/tree.py", "author": {}},
        {"commitMessage": "Unknown", "filename": "x.py"},
        {"commitMessage": "Cache tree", "filename": None},
    ]
    link_files(commits, rows)
    assert [c.files for c in commits] == [["shop/orders.py"], ["tests/t.py"], ["shop/tree.py"]]


async def test_jentry_cluster_for_one_environment_is_filtered_client_side(sandbox, sandbox_url):
    async with inproc("jentry", sandbox_url) as client:
        here = await client.call_tool("cluster_issue_events", {"issue": "119", "environment": "production"})
        elsewhere = await client.call_tool("cluster_issue_events", {"issue": "119", "environment": "staging"})
    assert here.structured_content["events"] == sum(worker_7_exception_types(sandbox).values())
    assert elsewhere.structured_content["events"] == 0 and elsewhere.structured_content["groups"] == []
    assert text_of(elsewhere).endswith("nothing to group")
    assert all(r.param("limit") == "100" for r in sandbox.requests if r.path.endswith("/events"))
