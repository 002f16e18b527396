#!/usr/bin/env python3
"""Record a real GlitchTip's answers for the glitchtip backend's replay tests (development, not CI).

Needs a running GlitchTip (scripts/glitchtip_dev.sh start + bootstrap) and, from its $GT_RUN/env:
  STACKLENS_LIVE_GLITCHTIP_URL, STACKLENS_LIVE_GLITCHTIP_TOKEN, STACKLENS_LIVE_GLITCHTIP_ORG
  (--seed also needs STACKLENS_LIVE_GLITCHTIP_DSN).

  scripts/record_glitchtip.py --seed   send real sentry-sdk events, wait until GlitchTip shows them, record
  scripts/record_glitchtip.py          re-record against what the server holds
  scripts/record_glitchtip.py --only search_tag_lists   record these scenarios only (no writes run)

Writes tests/recordings/glitchtip/<scenario>.json: every request (method, path, query, body) and the answer
(status, content type, Link, body). The token, the host:port, DSN keys and e-mail addresses are scrubbed, so
the files can be committed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

OUT = Path(__file__).resolve().parent.parent / "tests" / "recordings" / "glitchtip"
PLACEHOLDER_HOST = "glitchtip.test"
PLACEHOLDER_TOKEN = "RECORDED-TOKEN"

Step = tuple[str, str, list[tuple[str, str]], Any]  # method, path, query pairs, json body


def env(name: str) -> str:
    value = os.environ.get(name, "")
    if not value:
        sys.exit(f"{name} is not set (source $GT_RUN/env from scripts/glitchtip_dev.sh)")
    return value


# --- seeding with the real SDK ---------------------------------------------------------------------------


def _checkout(order_id: int, password: str) -> None:
    raise ValueError(f"order {order_id} has no items")


def _pay() -> None:
    try:
        _checkout(42, "hun" + "ter2")  # built at runtime: only the local holds it
    except ValueError as exc:
        raise RuntimeError("payment failed") from exc


def _inventory() -> None:
    raise KeyError("sku-7")


def _inventory_other_site() -> None:
    stock: dict[str, int] = {}
    stock["sku-9"]


def seed(dsn: str) -> None:
    import sentry_sdk

    def request_processor(event: dict[str, Any], _hint: dict[str, Any]) -> dict[str, Any]:
        event["request"] = {
            "url": "https://shop.example/checkout?token=SECRET",
            "method": "POST",
            "query_string": "token=SECRET",
        }
        return event

    for release, environment, browser in (
        ("shop@1.0.0", "production", "Firefox"),
        ("shop@1.1.0", "staging", "Chrome"),
    ):
        sentry_sdk.init(dsn=dsn, release=release, environment=environment, default_integrations=False)
        with sentry_sdk.new_scope() as scope:
            scope.set_tag("browser", browser)
            scope.add_event_processor(request_processor)
            try:
                _pay()
            except RuntimeError:
                sentry_sdk.capture_exception()
        for crash in (_inventory, _inventory_other_site):
            with sentry_sdk.new_scope() as scope:
                scope.fingerprint = ["inventory-missing-sku"]
                scope.set_tag("browser", browser)
                try:
                    crash()
                except KeyError:
                    sentry_sdk.capture_exception()
        sentry_sdk.capture_message("cache warm-up slow", level="warning")
        sentry_sdk.flush(timeout=10)


# --- recording -------------------------------------------------------------------------------------------


class Recorder:
    def __init__(self, url: str, token: str, org: str) -> None:
        self.url = url.rstrip("/")
        self.token = token
        self.org = org
        self.netloc = urlsplit(self.url).netloc
        self.client = httpx.Client(base_url=self.url, timeout=30)

    def call(
        self, method: str, path: str, query: list[tuple[str, str]], body: Any = None, token: str | None = None
    ) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token if token is not None else self.token}"}
        resp = self.client.request(method, path, params=query, json=body, headers=headers)
        ctype = resp.headers.get("content-type", "")
        payload: Any
        payload = resp.json() if "json" in ctype and resp.content else resp.text[:2000]
        return {
            "request": {"method": method, "path": path, "query": [list(p) for p in query], "body": body},
            "response": {
                "status": resp.status_code,
                "content_type": ctype,
                "link": resp.headers.get("link"),
                "body": payload,
            },
        }

    def scrub(self, text: str) -> str:
        text = text.replace(self.token, PLACEHOLDER_TOKEN)
        text = text.replace(self.netloc, PLACEHOLDER_HOST)
        text = re.sub(r"//[0-9a-f]{32}@", "//PUBLICKEY@", text)
        text = re.sub(r'"(public|secret)": "[0-9a-f]{32}"', r'"\1": "SCRUBBED"', text)
        text = re.sub(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[a-z]{2,}", "user@example.invalid", text)
        return text

    def write(self, name: str, exchanges: list[dict[str, Any]]) -> None:
        OUT.mkdir(parents=True, exist_ok=True)
        text = json.dumps({"scenario": name, "exchanges": exchanges}, indent=1, sort_keys=True)
        (OUT / f"{name}.json").write_text(self.scrub(text) + "\n")
        print(f"recorded {name}: {len(exchanges)} exchange(s)")


def wait_for_issues(rec: Recorder, count: int) -> list[dict[str, Any]]:
    path = f"/api/0/organizations/{rec.org}/issues/"
    for _ in range(120):
        ans = rec.call("GET", path, [("query", ""), ("limit", "100")])["response"]
        if ans["status"] == 200 and len(ans["body"]) >= count:
            return list(ans["body"])
        time.sleep(1)  # the worker stores events asynchronously; this is the recorder, not a test
    sys.exit("GlitchTip did not show the seeded issues (is the worker running?)")


BROWSERS = ("Firefox", "Chrome", "Safari")  # the seeded events' browser tags, and one no event has


def record_paging(rec: Recorder, issues_path: str) -> None:
    first = rec.call("GET", issues_path, [("query", ""), ("sort", "-last_seen"), ("limit", "1")])
    steps_pages = [first]
    link = first["response"]["link"] or ""
    m = re.search(r'rel="next"; results="true"; cursor="([^"]+)"', link)
    if m:
        steps_pages.append(
            rec.call(
                "GET",
                issues_path,
                [("query", ""), ("sort", "-last_seen"), ("limit", "1"), ("cursor", m.group(1))],
            )
        )
    rec.write("search_paging", steps_pages)


def record_all(rec: Recorder, only: set[str]) -> None:
    org = rec.org
    issues = wait_for_issues(rec, 3)
    by_title = {i["title"]: i for i in issues}
    chained = next(i for t, i in by_title.items() if "payment failed" in t)
    grouped = next(i for t, i in by_title.items() if "sku" in t)
    message = next((i for t, i in by_title.items() if "cache warm-up" in t), None)
    if message is None and not only:
        sys.exit("the message issue is gone (the last recording deleted it): run with --seed")
    cid, gid, mid = chained["id"], grouped["id"], message["id"] if message else "0"
    issues_path = f"/api/0/organizations/{org}/issues/"

    def wanted(name: str) -> bool:
        return not only or name in only

    def run(name: str, steps: list[Step], token: str | None = None) -> None:
        if wanted(name):  # before any call: the write scenarios change GlitchTip's state
            rec.write(name, [rec.call(m, p, q, b, token=token) for m, p, q, b in steps])

    run("projects", [("GET", f"/api/0/organizations/{org}/projects/", [], None)])
    run("settings", [("GET", "/api/settings/", [], None)])
    run("environments", [("GET", f"/api/0/organizations/{org}/environments/", [], None)])
    sorts = ["-last_seen", "-first_seen", "-count", "-priority"]
    run(
        "search_sorts",
        [
            ("GET", issues_path, [("query", "is:unresolved"), ("sort", s), ("limit", "25")], None)
            for s in sorts
        ],
    )
    queries = [
        "is:unresolved",
        "is:resolved",
        "is:unresolved level:error",
        "level:warning",
        'release:"shop@1.0.0"',
        "browser:Firefox",
        "payment",
        "is:unresolved level:error browser:Chrome",
    ]
    page = [("sort", "-last_seen"), ("limit", "25")]
    run("search_queries", [("GET", issues_path, [("query", q), *page], None) for q in queries])
    # The backend's bounded scan reads pages of 100 when it narrows client-side.
    scan_page = [("query", "is:unresolved"), ("sort", "-last_seen"), ("limit", "100")]
    run("search_narrowed", [("GET", issues_path, scan_page, None)])
    run(
        "search_params",
        [
            ("GET", issues_path, [("query", ""), ("environment", "production"), ("limit", "25")], None),
            ("GET", issues_path, [("query", ""), ("environment", "staging"), ("limit", "25")], None),
            ("GET", issues_path, [("query", ""), ("project", "1"), ("limit", "25")], None),
        ],
    )
    # Several values of one tag, or a negated one: the backend's one search per value (issue rows carry no tags).
    tag_values = [("GET", issues_path, [("query", f"browser:{b}"), ("limit", "100")], None) for b in BROWSERS]
    run("search_tag_lists", tag_values)
    if wanted("search_paging"):
        record_paging(rec, issues_path)
    run(
        "ignored_tokens",
        [
            ("GET", issues_path, [("query", q), ("limit", "25")], None)
            for q in (
                "lastSeen:-24h",
                "timesSeen:>=2",
                "assigned:me",
                "level:[error, warning]",
                "browser:[Firefox, Chrome]",
            )
        ],
    )
    run("issue_detail", [("GET", f"/api/0/issues/{i}/", [], None) for i in (cid, gid, mid)])
    run(
        "events",
        [
            ("GET", f"/api/0/issues/{gid}/events/", [("limit", "100")], None),
            ("GET", f"/api/0/issues/{cid}/events/", [("limit", "100")], None),
            ("GET", f"/api/0/issues/{gid}/events/", [("limit", "10")], None),
            ("GET", f"/api/0/issues/{cid}/events/", [("limit", "10")], None),
            ("GET", f"/api/0/issues/{cid}/events/latest/", [], None),
            ("GET", f"/api/0/issues/{gid}/events/latest/", [], None),
            ("GET", f"/api/0/issues/{mid}/events/latest/", [], None),
        ],
    )
    # A timeline reading fewer events than the issue has (its first sightings then are a sample).
    run("events_sample", [("GET", f"/api/0/issues/{cid}/events/", [("limit", "3")], None)])
    ev_ids = []
    if wanted("event_by_id"):
        ev_list = rec.call("GET", f"/api/0/issues/{gid}/events/", [("limit", "100")])["response"]["body"]
        ev_ids = [e.get("eventID") or e.get("id") for e in ev_list]
    run("event_by_id", [("GET", f"/api/0/issues/{gid}/events/{e}/", [], None) for e in ev_ids])
    run(
        "tags",
        [
            ("GET", f"/api/0/issues/{gid}/tags/", [("key", "browser")], None),
            ("GET", f"/api/0/issues/{cid}/tags/", [("key", "browser")], None),
            ("GET", f"/api/0/issues/{cid}/tags/", [("key", "environment")], None),
            ("GET", f"/api/0/issues/{cid}/tags/", [("key", "release")], None),
        ],
    )
    run("releases", [("GET", f"/api/0/organizations/{org}/releases/", [], None)])
    run(
        "traps",
        [
            ("GET", issues_path, [("query", ""), ("sort", "date")], None),
            ("GET", issues_path, [("query", ""), ("sort", "freq")], None),
            ("GET", f"/api/0/organizations/{org}/issues/{cid}/", [], None),
            ("GET", f"/api/0/issues/{cid}/tags/browser/values/", [], None),
            ("GET", f"/api/0/organizations/{org}/audit-logs/", [], None),
            ("GET", f"/api/0/issues/{cid}/events/oldest/", [], None),
            ("GET", f"/api/0/issues/{cid}/events/recommended/", [], None),
            ("GET", f"/api/0/organizations/{org}/releases/shop@1.0.0/deploys/", [], None),
            ("GET", f"/api/0/projects/{org}/shop/issues/{cid}/", [], None),
            ("GET", "/organizations/acme/issues/", [], None),
        ],
    )
    run("bad_token", [("GET", f"/api/0/organizations/{org}/projects/", [], None)], token="not-a-real-token")
    # Writes last: they change state (each scenario is a sequence).
    version = f"rec-{int(time.time())}"
    run(
        "release_create",
        [
            (
                "POST",
                f"/api/0/organizations/{org}/releases/",
                [],
                {
                    "version": version,
                    "projects": ["shop"],
                    "refs": [{"repository": "acme/shop", "commit": "a" * 40}],
                    "commits": [{"id": "b" * 40, "message": "fix"}],
                },
            ),
            ("POST", f"/api/0/organizations/{org}/releases/", [], {"version": version, "projects": ["shop"]}),
            ("GET", f"/api/0/organizations/{org}/releases/{version}/", [], None),
            ("GET", f"/api/0/organizations/{org}/releases/", [], None),
        ],
    )
    run(
        "update_single",
        [
            ("PUT", f"/api/0/issues/{mid}/", [], {"status": "resolved"}),
            ("GET", f"/api/0/issues/{mid}/", [], None),
            ("PUT", f"/api/0/issues/{mid}/", [], {"status": "ignored"}),
            ("PUT", f"/api/0/issues/{mid}/", [], {"status": "unresolved"}),
            ("PUT", f"/api/0/issues/{mid}/", [], {"assignedTo": "user@example.invalid"}),
        ],
    )
    run(
        "update_bulk",
        [
            ("PUT", issues_path, [("id", cid), ("id", gid)], {"status": "resolved"}),
            ("GET", f"/api/0/issues/{cid}/", [], None),
            ("GET", f"/api/0/issues/{gid}/", [], None),
            ("GET", issues_path, [("query", "is:resolved"), ("limit", "25")], None),
            ("PUT", issues_path, [("id", cid), ("id", gid)], {"status": "unresolved"}),
            ("PUT", issues_path, [("id", "999999")], {"status": "resolved"}),
        ],
    )
    # Deletes the message issue: re-record with --seed (it sends the message again).
    run(
        "delete",
        [
            ("DELETE", f"/api/0/issues/{mid}/", [], None),
            ("GET", f"/api/0/issues/{mid}/", [], None),
            ("DELETE", f"/api/0/issues/{mid}/", [], None),
        ],
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seed", action="store_true", help="send the sentry-sdk events first")
    parser.add_argument(
        "--only", default="", help="record only these scenarios (comma-separated names), the others kept"
    )
    args = parser.parse_args()
    rec = Recorder(
        env("STACKLENS_LIVE_GLITCHTIP_URL"),
        env("STACKLENS_LIVE_GLITCHTIP_TOKEN"),
        env("STACKLENS_LIVE_GLITCHTIP_ORG"),
    )
    if args.seed:
        seed(env("STACKLENS_LIVE_GLITCHTIP_DSN"))
    record_all(rec, {n.strip() for n in args.only.split(",") if n.strip()})


if __name__ == "__main__":
    main()
