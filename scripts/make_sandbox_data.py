"""Generate the sandbox dataset: real exceptions from the sample programs, captured with the real sentry-sdk.

    .venv/bin/python scripts/make_sandbox_data.py

Writes src/stacklens/sandbox/data/dataset.json. Output is deterministic (seeded ids, fixed times, normalised
paths) except for the versions of sentry-sdk and the packages it reports. Times are stored as OFFSETS in
seconds before the moment the sandbox loads the file, so "the last 24 hours" always has data.
"""

from __future__ import annotations

import json
import logging
import random
import re
import shutil
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "scripts" / "samples"
OUT = ROOT / "src" / "stacklens" / "sandbox" / "data" / "dataset.json"
sys.path.insert(0, str(SAMPLES))
sys.path.insert(0, str(ROOT / "src"))

import sentry_sdk  # noqa: E402
from sandbox_consistency import reconcile  # noqa: E402  (scripts/ is on sys.path when run as a script)
from sentry_sdk.integrations.logging import LoggingIntegration  # noqa: E402

from stacklens.sandbox.capture import capture_events  # noqa: E402
from stacklens.sandbox.shapes import event_culprit, event_metadata, event_title, event_type  # noqa: E402

# Event times are rewritten relative to this fixed instant, then stored as offsets from it.
REF = datetime(2026, 1, 15, 12, 0, 0, tzinfo=UTC)
MIN, HOUR, DAY = 60, 3600, 86400
rng = random.Random(20260115)

ORG = {"id": "1081365", "slug": "acme", "name": "Acme Inc.", "jentryId": 7}
MEMBERS = [
    {
        "id": "2051",
        "jentryId": 3,
        "username": "jane.doe",
        "email": "jane.doe@acme.test",
        "name": "Jane Doe",
        "role": "owner",
    },
    {
        "id": "2088",
        "jentryId": 5,
        "username": "bob.smith",
        "email": "bob.smith@acme.test",
        "name": "Bob Smith",
        "role": "admin",
    },
    {
        "id": "2113",
        "jentryId": 8,
        "username": "priya.nair",
        "email": "priya.nair@acme.test",
        "name": "Priya Nair",
        "role": "member",
    },
    {
        "id": "2140",
        "jentryId": 9,
        "username": "li.wei",
        "email": "li.wei@acme.test",
        "name": "Li Wei",
        "role": "member",
    },
]
TEAMS = [
    {"id": "301", "slug": "frontend", "name": "Frontend", "members": ["2051", "2140"]},
    {"id": "302", "slug": "payments", "name": "Payments", "members": ["2088", "2113"]},
    {"id": "303", "slug": "platform", "name": "Platform", "members": ["2140"]},
]
PROJECTS = [
    {
        "id": "4508341723004928",
        "jentryId": 1,
        "slug": "shop-web",
        "name": "Shop Web",
        "platform": "python",
        "team": "301",
        "prefix": "SHOP",
        "createdOffset": 400 * DAY,
        "publicKey": "5f0c1c2e9b1d4c6fa5d2b9e8c7a61f03",
    },
    {
        "id": "4508341723069441",
        "jentryId": 2,
        "slug": "checkout-api",
        "name": "Checkout API",
        "platform": "python",
        "team": "302",
        "prefix": "CHECKOUT",
        "createdOffset": 380 * DAY,
        "publicKey": "a3b9d07e61c24f4b8e0f5d6c7b8a9e10",
    },
    {
        "id": "4508341723135002",
        "jentryId": 3,
        "slug": "worker",
        "name": "Worker",
        "platform": "python",
        "team": "303",
        "prefix": "WORKER",
        "createdOffset": 300 * DAY,
        "publicKey": "0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a",
    },
]
PROJECT = {p["slug"]: p for p in PROJECTS}


def sha(n: int = 40) -> str:
    return "".join(rng.choice("0123456789abcdef") for _ in range(n))


# --- releases ------------------------------------------------------------------------------------------

RELEASE_SPECS = [
    # version, project, created (days ago), deploys [(env, days ago)],
    # health (crash-free users %, crash-free sessions %, adoption %, sessions, users)
    (
        "shop-web@2.3.0",
        "shop-web",
        21,
        [("staging", 21.2), ("production", 21)],
        (99.1, 99.6, 4.0, 81234, 9120),
    ),
    (
        "shop-web@2.3.1",
        "shop-web",
        12,
        [("staging", 12.1), ("production", 12)],
        (99.4, 99.8, 31.5, 120877, 14033),
    ),
    ("shop-web@2.4.0", "shop-web", 2, [("staging", 2.2), ("production", 2)], (98.2, 99.1, 64.5, 60412, 8821)),
    ("checkout-api@1.8.0", "checkout-api", 15, [("production", 15)], (99.7, 99.9, 12.0, 40210, 5211)),
    (
        "checkout-api@1.8.1",
        "checkout-api",
        5,
        [("staging", 5.1), ("production", 5)],
        (97.9, 98.8, 86.0, 51003, 6120),
    ),
    (
        "checkout-api@1.9.0-rc.1",
        "checkout-api",
        1,
        [("staging", 1), ("production", 0.6)],
        (100.0, 100.0, 2.0, 812, 40),
    ),
    ("worker@0.9.0+build.5", "worker", 30, [("production", 30)], (99.9, 99.9, 10.0, 3012, 0)),
    ("worker@0.9.1+build.7", "worker", 8, [("production", 8)], (99.5, 99.7, 90.0, 9120, 0)),
]
COMMIT_MESSAGES = [
    "Fix rounding of shipping costs",
    "Add gift card checkout",
    "Bump httpx",
    "Retry payment capture once",
    "Cache category tree",
    "Validate cart items with pydantic",
    "Log slow templates",
    "Drop legacy coupons table",
    "Add currency conversion",
    "Speed up nightly export",
    "Handle missing owner on notify",
]


# Files each release's commits changed (Sentry's `patch_set`: type A/M/D and a repository path), declared
# per commit in order. Declared rather than drawn from `rng`, so the rest of the dataset stays as it was.
# The story the tools read: SHOP-1A's latest event crashes in shop/orders.py (build_order); its first release
# shop-web@2.3.0 (deployed to production) has exactly one commit touching that file among decoys.
PATCH_SETS: dict[str, list[list[tuple[str, str]]]] = {
    "shop-web@2.3.0": [
        [("M", "shop/templates/cart.html"), ("M", "shop/static/cart.css")],
        [("M", "shop/orders.py"), ("A", "tests/test_orders.py")],
        [("M", "shop/flags.py"), ("M", "README.md")],
    ],
    "shop-web@2.3.1": [
        [("M", "shop/app.py")],
        [("M", "requirements.txt")],
        [("M", "shop/templates/checkout/summary.html")],
    ],
    "shop-web@2.4.0": [
        [("M", "shop/orders.py"), ("M", "shop/app.py")],
        [("A", "shop/templates/gift_card.html")],
        [("M", "tests/test_app.py")],
    ],
    "checkout-api@1.8.0": [
        [("M", "checkout/payments.py")],
        [("D", "checkout/legacy_coupons.py")],
        [("M", "pyproject.toml")],
    ],
    "checkout-api@1.8.1": [
        [("M", "checkout/payments.py"), ("M", "checkout/retry.py")],
        [("M", "checkout/inventory.py")],
    ],
    "checkout-api@1.9.0-rc.1": [
        [("A", "checkout/currency.py")],
        [("M", "checkout/payments.py")],
        [("M", "CHANGELOG.md")],
    ],
    "worker@0.9.0+build.5": [
        [("M", "worker/jobs.py")],
        [("A", "worker/tree.py")],
    ],
    "worker@0.9.1+build.7": [
        [("A", "worker/feeds.py")],
        [("M", "worker/jobs.py"), ("M", "worker/tree.py")],
    ],
}


def patch_set(version: str, index: int) -> list[dict[str, str]]:
    declared = PATCH_SETS[version]
    return [{"type": kind, "path": path} for kind, path in declared[index]] if index < len(declared) else []


def make_releases() -> list[dict[str, Any]]:
    out = []
    for version, slug, days, deploys, (cfu, cfs, adoption, sessions, users) in RELEASE_SPECS:
        author = rng.choice(MEMBERS)
        commits = [
            {
                "id": sha(),
                "message": rng.choice(COMMIT_MESSAGES),
                "author_name": author["name"],
                "author_email": author["email"],
                "repository": f"acme/{slug}",
                "offset": days * DAY + (i + 1) * HOUR,
            }
            for i in range(rng.randint(2, 4))
        ]
        if len(commits) != len(PATCH_SETS[version]):
            raise SystemExit(f"{version}: {len(commits)} commits but {len(PATCH_SETS[version])} patch sets")
        for i, commit in enumerate(commits):
            commit["patch_set"] = patch_set(version, i)
        out.append(
            {
                "version": version,
                "projects": [PROJECT[slug]["id"]],
                "ref": commits[0]["id"],
                "url": f"https://github.com/acme/{slug}/releases/tag/{version.split('@', 1)[1]}",
                "createdOffset": days * DAY + 30 * MIN,
                "releasedOffset": days * DAY,
                "commits": commits,
                "deploys": [
                    {
                        "id": str(9100 + len(out) * 10 + i),
                        "environment": env,
                        "name": f"{version} to {env}",
                        "url": None,
                        "startedOffset": ago * DAY + 5 * MIN,
                        "finishedOffset": ago * DAY,
                    }
                    for i, (env, ago) in enumerate(deploys)
                ],
                "health": {
                    "crashFreeUsers": cfu,
                    "crashFreeSessions": cfs,
                    "adoption": adoption,
                    "sessions": sessions,
                    "users": users,
                },
            }
        )
    return out


# --- per-event scope data ------------------------------------------------------------------------------

BROWSERS = [
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 "
        "Safari/537.36",
        ("Chrome", "131.0.0"),
        ("Windows", "10"),
    ),
    (
        "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
        ("Firefox", "133.0"),
        ("Ubuntu", None),
    ),
    (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/18.1 Safari/605.1.15",
        ("Safari", "18.1"),
        ("Mac OS X", "10.15.7"),
    ),
    (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/18.1 Mobile/15E148 Safari/604.1",
        ("Mobile Safari", "18.1"),
        ("iOS", "18.1"),
    ),
    (
        "Mozilla/5.0 (Linux; Android 15; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/131.0.6778.81 Mobile Safari/537.36",
        ("Chrome Mobile", "131.0.6778"),
        ("Android", "15"),
    ),
]


@dataclass
class Variant:
    """What differs between two events of one issue."""

    environment: str
    release: str
    server_name: str
    user: dict[str, Any] | None
    tags: dict[str, str]
    contexts: dict[str, dict[str, Any]]
    browser: tuple[str, tuple[str, str], tuple[str, str | None]] | None = None
    token: str = ""


def variant(kind: str, releases: list[str], env_weights: tuple[float, float]) -> Variant:
    env = rng.choices(["production", "staging"], weights=env_weights)[0]
    release = rng.choice(releases)
    n = rng.randint(1000, 1999)
    server = f"{kind}-{rng.randint(1, 3)}"
    if kind == "web":
        browser = rng.choice(BROWSERS)
        user = {"id": f"u-{n}", "email": f"customer{n}@example.com", "ip_address": f"198.51.100.{n % 250}"}
        contexts = {"browser": {"name": browser[1][0], "version": browser[1][1]}}
        os_name, os_version = browser[2]
        contexts["client_os"] = {"type": "os", "name": os_name}
        if os_version:
            contexts["client_os"]["version"] = os_version
        tags = {
            "customer_tier": rng.choice(["free", "pro", "pro", "enterprise"]),
            "locale": rng.choice(["en-US", "de-DE", "fr-FR"]),
        }
        return Variant(env, release, server, user, tags, contexts, browser, token="tok_" + sha(16))
    contexts = {"os": {"name": "Linux", "version": "6.8.0", "kernel_version": "6.8.0-1017-aws"}}
    if kind == "api":
        user = {"id": f"merchant-{n % 40}", "ip_address": f"192.0.2.{n % 250}"}
        tags = {
            "payment_provider": rng.choice(["stripe", "adyen"]),
            "region": rng.choice(["eu-west-1", "us-east-1"]),
            "customer_tier": rng.choice(["pro", "enterprise"]),
        }
        return Variant(env, release, server, user, tags, contexts)
    tags = {"queue": rng.choice(["default", "exports", "mail"]), "worker_pool": rng.choice(["a", "b"])}
    return Variant(env, release, server, None, tags, contexts)


def apply_scope(v: Variant, kind: str) -> None:
    scope = sentry_sdk.get_isolation_scope()
    for key, value in v.tags.items():
        scope.set_tag(key, value)
    if v.user:
        scope.set_user(v.user)
    for name, ctx in v.contexts.items():
        scope.set_context(name, ctx)
    if kind != "web":  # web requests get theirs inside the request: the ASGI integration starts them afresh
        add_breadcrumbs(v, kind)


def add_breadcrumbs(v: Variant, kind: str) -> None:
    """Earlier activity in the same request/job, as the integrations would have recorded it."""
    if kind == "web":
        sentry_sdk.add_breadcrumb(
            category="navigation",
            message="/cart",
            type="navigation",
            data={"from": "/products/mug-01", "to": "/cart"},
        )
        sentry_sdk.add_breadcrumb(
            category="httplib",
            type="http",
            level="info",
            data={
                "method": "GET",
                "status_code": 200,
                "url": f"https://api.acme-pay.test/v1/tokens/verify?access_token={v.token}&merchant=acme",
            },
        )
        sentry_sdk.add_breadcrumb(category="query", message="SELECT * FROM carts WHERE id = %s", level="info")
    elif kind == "api":
        sentry_sdk.add_breadcrumb(category="query", message="SELECT id, status FROM orders WHERE id = %s")
        sentry_sdk.add_breadcrumb(category="checkout", message="order validated", data={"items": 3})
    else:
        sentry_sdk.add_breadcrumb(category="celery", message="task received", data={"queue": v.tags["queue"]})


def web_headers(v: Variant, *, body: bool = True) -> dict[str, str]:
    assert v.browser is not None
    headers = {
        "Host": "shop.acme.test",
        "User-Agent": v.browser[0],
        "Accept": "application/json",
        "Accept-Language": "en-US,en;q=0.9",
        "Authorization": "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1LTEwNDMifQ.sig-" + sha(12),
        "Cookie": f"session={sha(24)}; cart=c-1029; theme=dark",
        "X-Request-Id": sha(32),
    }
    if body:
        headers["Content-Type"] = "application/json"
    return headers


# --- scenarios: each one makes the sample programs fail for real ----------------------------------------


def sc_checkout_keyerror(v: Variant) -> None:
    from shop.app import call

    call(
        "POST",
        "/checkout/c-1029",
        query=f"token={v.token}&ref=email",
        headers=web_headers(v),
        body={},
        on_request=lambda: add_breadcrumbs(v, "web"),
    )


def sc_validation(v: Variant) -> None:
    from shop.app import call

    body = {"sku": "mug 01", "qty": 0, "price": -4}
    call(
        "POST", "/cart/items", headers=web_headers(v), body=body, on_request=lambda: add_breadcrumbs(v, "web")
    )


def sc_cart_total(v: Variant) -> None:
    from shop.app import call

    headers = web_headers(v, body=False)
    call(
        "GET",
        "/cart/c-2210/total",
        query="currency=EUR",
        headers=headers,
        on_request=lambda: add_breadcrumbs(v, "web"),
    )


def sc_discount(v: Variant) -> None:
    from shop.orders import apply_discount

    apply_discount(49.90, {"code": "WINTER", "amount": 10, "min_items": 0})


def sc_slow_template(v: Variant) -> None:
    from shop.flags import slow_render

    slow_render("checkout/summary.html", rng.randint(320, 2400))


def sc_flag_fallback(v: Variant) -> None:
    from shop.flags import flag

    flag("new-checkout", None)


def sc_connect_error(v: Variant) -> None:
    from checkout.payments import charge

    try:
        charge(f"ord_{rng.randint(10000, 99999)}", 4990)
    except Exception as exc:
        sentry_sdk.capture_exception(exc)


def sc_db_locked(v: Variant) -> None:
    from checkout.inventory import reserve_with_lock_held

    reserve_with_lock_held(WORKDIR / "inventory.db", "MUG-01", 2)


def sc_no_such_table(v: Variant) -> None:
    from checkout.inventory import coupon_value, open_db

    db = open_db(WORKDIR / "inventory.db")
    try:
        coupon_value(db, "WINTER")
    finally:
        db.close()


def sc_gateway_auth(v: Variant) -> None:
    from checkout.payments import authenticate

    authenticate(rng.choice(["m_test_4471", "m_live_0192"]))


def sc_currency(v: Variant) -> None:
    from checkout.payments import convert

    sentry_sdk.get_isolation_scope().set_level("warning")
    try:
        convert(4990, "XYZ", {"EUR": 1.0, "USD": 1.08, "GBP": 0.85})
    except ValueError as exc:
        sentry_sdk.capture_exception(exc)


def sc_payment_giveup(v: Variant) -> None:
    from checkout.payments import report_retry

    report_retry(f"ord_{rng.randint(10000, 99999)}", 3)


def sc_recursion(v: Variant) -> None:
    from worker.tree import export_tree

    sentry_sdk.get_isolation_scope().set_level("fatal")  # the worker process dies on it
    export_tree({"kitchen": {"parent": "mugs"}, "mugs": {"parent": "kitchen"}})


def sc_job_retries(v: Variant) -> None:
    from worker.jobs import run_with_retries

    run_with_retries("sync_inventory", f"job-{rng.randint(1000, 9999)}", 3)


def sc_unicode(v: Variant) -> None:
    from worker.jobs import import_customers

    import_customers("name,city\nJosé,Málaga\n".encode("latin-1"))


def sc_missing_file(v: Variant) -> None:
    from worker.jobs import export_report

    export_report("2026-01-01", WORKDIR)


def sc_none_owner(v: Variant) -> None:
    from worker.jobs import notify_owner

    notify_owner({"id": "ord_10422", "owner_id": 77}, {12: object()})


# The feed job fails two ways; which way depends on the event's position (newest first), so the counts are
# known: 4 × ValueError in parse_price, 2 × IndexError in main_image (events 2 and 4).
FEED_BAD_IMAGES = {2, 4}
_feed_calls = [0]


def sc_feed(v: Variant) -> None:
    from worker.feeds import build_feed

    n = _feed_calls[0]
    _feed_calls[0] += 1
    sentry_sdk.get_isolation_scope().fingerprint = ["worker.feeds", "build_feed"]
    product = {"sku": f"MUG-{n:02d}", "price": "12.50", "images": [{"url": "https://cdn.acme.test/mug.jpg"}]}
    if n in FEED_BAD_IMAGES:
        product["images"] = []
    else:
        product["price"] = "12,50"  # a partner's decimal comma
    build_feed([product])


def sc_nightly(v: Variant) -> None:
    from worker.jobs import nightly_summary

    nightly_summary(rng.randint(1, 9))


@dataclass
class IssueSpec:
    short: str
    project: str
    scenario: Callable[[Variant], None]
    kind: str  # web | api | worker
    priority: str
    status: str
    substatus: str | None
    count: int
    users: int
    first_seen: int  # offsets in seconds before load
    last_seen: int
    events: int
    releases: list[str]
    first_release: str | None
    assigned: str | None = None  # "user:ID" | "team:ID"
    status_details: dict[str, Any] = field(default_factory=dict)
    bookmarked: bool = False
    seen: bool = False
    envs: tuple[float, float] = (0.8, 0.2)
    init: dict[str, Any] = field(default_factory=dict)


def log_events(level: int) -> dict[str, Any]:
    integration = LoggingIntegration(level=logging.INFO, event_level=level)
    return {"integrations": [integration], "attach_stacktrace": True}


SHOP = ["shop-web@2.3.1", "shop-web@2.4.0", "shop-web@2.4.0"]
CHK = ["checkout-api@1.8.1"]
WRK = ["worker@0.9.1+build.7"]
PII = {"send_default_pii": True}  # the web app sends cookies and client IPs, as many do
# fmt: off
ISSUES = [
    # short id, project, scenario, kind, priority, status, substatus, count, users, first/last seen, events, …
    IssueSpec("SHOP-1A", "shop-web", sc_checkout_keyerror, "web", "high", "unresolved", "ongoing", 1284, 57,
              9 * DAY, 12 * MIN, 6, SHOP, "shop-web@2.3.0", "user:2051", init=PII),
    IssueSpec("SHOP-1B", "shop-web", sc_validation, "web", "medium", "unresolved", "ongoing", 342, 88,
              3 * DAY, 2 * HOUR, 5, SHOP, "shop-web@2.3.1", "team:301", init=PII),
    IssueSpec("SHOP-1C", "shop-web", sc_cart_total, "web", "high", "unresolved", "new", 17, 9,
              5 * HOUR, 20 * MIN, 4, ["shop-web@2.4.0"], "shop-web@2.4.0", init=PII),
    IssueSpec("SHOP-1D", "shop-web", sc_discount, "web", "medium", "resolved", None, 58, 21,
              20 * DAY, 6 * DAY, 3, ["shop-web@2.3.0", "shop-web@2.3.1"], "shop-web@2.3.0", "user:2140",
              seen=True),
    IssueSpec("SHOP-1E", "shop-web", sc_slow_template, "web", "low", "unresolved", "ongoing", 4210, 610,
              30 * DAY, 5 * MIN, 4, SHOP, "shop-web@2.3.0", init=log_events(logging.WARNING)),
    IssueSpec("SHOP-1F", "shop-web", sc_flag_fallback, "web", "low", "ignored", "archived_forever", 9120,
              1544, 26 * DAY, 3 * HOUR, 3, SHOP, "shop-web@2.3.0", init=log_events(logging.INFO), seen=True),
    IssueSpec("CHECKOUT-3", "checkout-api", sc_connect_error, "api", "high", "unresolved", "escalating",
              2290, 430, 2 * DAY, 3 * MIN, 6, ["checkout-api@1.8.1", "checkout-api@1.9.0-rc.1"],
              "checkout-api@1.8.1", "team:302", bookmarked=True, envs=(0.6, 0.4)),
    IssueSpec("CHECKOUT-4", "checkout-api", sc_db_locked, "api", "medium", "unresolved", "ongoing", 75, 31,
              6 * DAY, 7 * HOUR, 4, CHK, "checkout-api@1.8.0", "user:2088"),
    IssueSpec("CHECKOUT-5", "checkout-api", sc_no_such_table, "api", "high", "resolved", None, 12, 8,
              4 * DAY, 1 * DAY, 3, CHK, "checkout-api@1.8.1", "user:2113",
              status_details={"inNextRelease": True}),
    IssueSpec("CHECKOUT-6", "checkout-api", sc_gateway_auth, "api", "high", "unresolved", "regressed", 44, 12,
              12 * DAY, 40 * MIN, 4, CHK, "checkout-api@1.8.0"),
    IssueSpec("CHECKOUT-7", "checkout-api", sc_currency, "api", "medium", "ignored",
              "archived_until_condition_met", 380, 95, 13 * DAY, 1 * DAY, 3, CHK, "checkout-api@1.8.0",
              status_details={"ignoreCount": 100, "ignoreWindow": None}),
    IssueSpec("CHECKOUT-8", "checkout-api", sc_payment_giveup, "api", "medium", "unresolved", "new", 96, 40,
              1 * DAY - HOUR, 30 * MIN, 4, CHK, "checkout-api@1.8.1", init=log_events(logging.ERROR)),
    IssueSpec("WORKER-1", "worker", sc_recursion, "worker", "high", "unresolved", "ongoing", 7, 0,
              3 * DAY, 1 * HOUR, 1, WRK, "worker@0.9.1+build.7", "team:303", envs=(1, 0)),
    IssueSpec("WORKER-2", "worker", sc_job_retries, "worker", "medium", "unresolved", "ongoing", 163, 0,
              8 * DAY, 15 * MIN, 5, WRK, "worker@0.9.1+build.7", init=log_events(logging.ERROR)),
    IssueSpec("WORKER-3", "worker", sc_unicode, "worker", "low", "ignored", "archived_until_condition_met",
              22, 0, 10 * DAY, 2 * DAY, 3, WRK, "worker@0.9.0+build.5",
              status_details={"ignoreDuration": 10080}),
    IssueSpec("WORKER-4", "worker", sc_missing_file, "worker", "medium", "resolved", None, 9, 0,
              25 * DAY, 15 * DAY, 2, ["worker@0.9.0+build.5"], "worker@0.9.0+build.5", seen=True),
    IssueSpec("WORKER-5", "worker", sc_none_owner, "worker", "high", "unresolved", "regressed", 310, 0,
              40 * DAY, 25 * MIN, 5, WRK, "worker@0.9.0+build.5", "user:2051", seen=True),
    IssueSpec("WORKER-6", "worker", sc_nightly, "worker", "low", "unresolved", "ongoing", 31, 0,
              31 * DAY, 9 * HOUR, 3, WRK, "worker@0.9.0+build.5", init=log_events(logging.INFO),
              envs=(1, 0)),
    # Added last so that every issue above keeps its ids, events and random draws.
    IssueSpec("WORKER-7", "worker", sc_feed, "worker", "low", "unresolved", "ongoing", 48, 0,
              2 * DAY, 35 * MIN, 6, WRK, "worker@0.9.1+build.7"),
]
# fmt: on


# --- normalisation: no machine paths, addresses, random ids or wall-clock times in the output -----------

_STDLIB = str(Path(logging.__file__).resolve().parent.parent)
_SITE = str(Path(sentry_sdk.__file__).resolve().parent.parent)
# Scratch files of the scenarios (SQLite databases …) live here; paths in events read /srv/app/var.
WORKDIR = Path(tempfile.mkdtemp(prefix="stacklens-sandbox-"))
_REWRITES = [
    (str(WORKDIR), "/srv/app/var"),
    (str(SAMPLES) + "/", "/srv/app/"),
    (_SITE + "/", "/srv/app/.venv/lib/python3.11/site-packages/"),
    (_STDLIB + "/", "/usr/local/lib/python3.11/"),
    (str(ROOT) + "/", "/srv/app/"),
]
_ADDRESS = re.compile(r"0x[0-9a-f]{6,16}")
_CLOCKS = {"start", "elapsed", "deadline", "now"}  # monotonic-clock locals in library frames
_HARNESS = ("stacklens.sandbox", "__main__", "make_sandbox_data")
_KEEP_MODULES = ("starlette", "httpx", "pydantic", "sentry-sdk", "uvicorn", "anyio")


def _rewrite(value: Any) -> Any:
    if isinstance(value, str):
        for old, new in _REWRITES:
            value = value.replace(old, new)
        return _ADDRESS.sub("0x7f3a9c2e4b10", value)
    if isinstance(value, list):
        return [_rewrite(v) for v in value]
    if isinstance(value, dict):
        return {k: "1843.250417" if k in _CLOCKS else _rewrite(v) for k, v in value.items()}
    return value


def _strip_harness(stacktrace: dict[str, Any] | None) -> None:
    if stacktrace and stacktrace.get("frames"):
        frames = stacktrace["frames"]
        stacktrace["frames"] = [f for f in frames if not str(f.get("module")).startswith(_HARNESS)]


def normalize(event: dict[str, Any], when: datetime) -> dict[str, Any]:
    event = _rewrite(event)
    event["event_id"] = sha(32)
    event["timestamp"] = when.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    crumbs = (event.get("breadcrumbs") or {}).get("values") or []
    for i, crumb in enumerate(crumbs):
        at = when - timedelta(seconds=0.4 * (len(crumbs) - i))
        crumb["timestamp"] = at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    trace = (event.get("contexts") or {}).get("trace")
    if trace:
        trace.update(trace_id=sha(32), span_id=sha(16))
    if "modules" in event:
        event["modules"] = {k: v for k, v in sorted(event["modules"].items()) if k in _KEEP_MODULES}
    event.setdefault("extra", {})["sys.argv"] = ["/srv/app/.venv/bin/gunicorn", "app:main"]
    for exc in (event.get("exception") or {}).get("values") or []:
        _strip_harness(exc.get("stacktrace"))
    for thread in (event.get("threads") or {}).get("values") or []:
        _strip_harness(thread.get("stacktrace"))
    return event


def capture(spec: IssueSpec, v: Variant) -> dict[str, Any]:
    def run() -> None:
        apply_scope(v, spec.kind)
        spec.scenario(v)

    init = {"environment": v.environment, "release": v.release, "server_name": v.server_name, **spec.init}
    events = capture_events(run, **init)
    if len(events) != 1:
        raise SystemExit(f"{spec.short}: expected one event, got {len(events)}")
    return events[0]


def build_issue(index: int, spec: IssueSpec) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    project = PROJECT[spec.project]
    span = max(spec.first_seen - spec.last_seen, MIN)
    step = min(span // max(spec.events, 1), 6 * HOUR)
    events = []
    for i in range(spec.events):
        offset = spec.last_seen + i * step + (rng.randint(0, 50) if i else 0)
        v = variant(spec.kind, spec.releases, spec.envs)
        if i == 0:  # the newest event is always production on the newest release: a stable demo story
            v.environment, v.release = ("production" if spec.envs[0] else "staging"), spec.releases[-1]
        raw = capture(spec, v)
        events.append({"offset": offset, "sdk": normalize(raw, REF - timedelta(seconds=offset))})
    newest = events[0]["sdk"]
    issue = {
        "id": str(6120004400 + index * 37),
        "jentryId": 101 + index,
        "project": project["id"],
        "shortId": spec.short,
        "title": event_title(newest),
        "culprit": event_culprit(newest),
        "type": event_type(newest),
        "metadata": event_metadata(newest),
        "level": newest.get("level") or "error",
        "status": spec.status,
        "substatus": spec.substatus,
        "statusDetails": spec.status_details,
        "priority": spec.priority,
        "count": spec.count,
        "userCount": spec.users,
        "firstSeenOffset": spec.first_seen,
        "lastSeenOffset": spec.last_seen,
        "firstRelease": spec.first_release,
        "lastRelease": spec.releases[-1],
        "assignedTo": spec.assigned,
        "isBookmarked": spec.bookmarked,
        "hasSeen": spec.seen,
        "isUnhandled": any(
            (e.get("mechanism") or {}).get("handled") is False
            for e in (newest.get("exception") or {}).get("values") or []
        ),
    }
    return issue, [{"issue": issue["id"], **e} for e in events]


# fmt: off
AUDIT = [
    # event, actor, target type, target id, days ago, note, data
    ("org.create", "2051", "org", ORG["id"], 420, "created the organization", {"slug": "acme"}),
    ("project.create", "2051", "project", PROJECTS[0]["id"], 400, "created project shop-web",
     {"slug": "shop-web"}),
    ("project.create", "2088", "project", PROJECTS[1]["id"], 380, "created project checkout-api",
     {"slug": "checkout-api"}),
    ("project.create", "2140", "project", PROJECTS[2]["id"], 300, "created project worker",
     {"slug": "worker"}),
    ("team.create", "2051", "team", "301", 399, "created team frontend", {"slug": "frontend"}),
    ("team.create", "2088", "team", "302", 379, "created team payments", {"slug": "payments"}),
    ("member.invite", "2051", "member", "2113", 90, "invited member priya.nair@acme.test",
     {"email": "priya.nair@acme.test", "role": "member"}),
    ("member.accept-invite", "2113", "member", "2113", 89, "joined the organization",
     {"email": "priya.nair@acme.test"}),
    ("member.edit", "2051", "member", "2088", 60, "edited member bob.smith@acme.test", {"role": "admin"}),
    ("api-token.create", "2051", "token", "77", 30, "created an API token",
     {"scopes": ["event:read", "org:read"]}),
    ("project.edit", "2088", "project", PROJECTS[1]["id"], 14, "edited project checkout-api",
     {"resolveAge": 720}),
    ("member.invite", "2088", "member", "2140", 7, "invited member li.wei@acme.test",
     {"email": "li.wei@acme.test", "role": "member"}),
    ("issue.resolve", "2113", "issue", None, 3, "resolved CHECKOUT-5 in the next release",
     {"shortId": "CHECKOUT-5"}),
    ("issue.assign", "2051", "issue", None, 1, "assigned WORKER-5 to jane.doe", {"shortId": "WORKER-5"}),
]
# fmt: on


def make_audit(issues: list[dict[str, Any]]) -> list[dict[str, Any]]:
    by_short = {i["shortId"]: i["id"] for i in issues}
    out = []
    for n, (event, actor, ttype, target, days, note, data) in enumerate(AUDIT):
        if ttype == "issue":
            target = by_short[data["shortId"]]
        out.append(
            {
                "id": str(880100 + n),
                "event": event,
                "actor": actor,
                "targetType": ttype,
                "targetObject": target,
                "offset": days * DAY - n * 97,
                "note": note,
                "data": data,
                "ipAddress": f"192.0.2.{10 + n}",
            }
        )
    return out


def main() -> None:
    logging.basicConfig(level=logging.INFO, handlers=[logging.NullHandler()])
    logging.getLogger("httpx").setLevel(logging.WARNING)
    sys.setrecursionlimit(600)  # a realistic RecursionError that still fits the dataset budget
    releases = make_releases()
    issues, events = [], []
    for index, spec in enumerate(ISSUES):
        issue, issue_events = build_issue(index, spec)
        issues.append(issue)
        events += issue_events
    dataset = {
        "version": 1,
        "note": "Generated by scripts/make_sandbox_data.py from real sentry-sdk captures. "
        "Offsets are seconds before the sandbox loads this file.",
        "sdkVersion": sentry_sdk.VERSION,
        "org": ORG,
        "me": MEMBERS[0]["id"],
        "members": MEMBERS,
        "teams": TEAMS,
        "projects": [{k: v for k, v in p.items()} for p in PROJECTS],
        "releases": releases,
        "issues": issues,
        "events": events,
        "audit": make_audit(issues),
    }
    reconcile(dataset)  # first releases, first events and deploys agree (sandbox_consistency.py)
    shutil.rmtree(WORKDIR, ignore_errors=True)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(dataset, indent=None, separators=(",", ":"), ensure_ascii=False, sort_keys=False)
    OUT.write_text(text + "\n", encoding="utf-8")
    size = len(text.encode()) // 1024
    print(f"wrote {OUT.relative_to(ROOT)}: {len(issues)} issues, {len(events)} events, {size} KB")


if __name__ == "__main__":
    main()
