"""The events both Bugsink suites feed a real Bugsink with (test_bugsink_api: Bugsink's own answers;
test_bugsink_backend: stacklens's): real sentry-sdk events of real application code, secrets included.

One shop project: a chained exception sent three times (1.0.0/production twice, then 2.0.0/staging, with a
request whose query carries a token and a local holding a password), a log message and a ZeroDivisionError.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sentry_sdk

from bugsink_server import BugsinkProject, BugsinkServer

if TYPE_CHECKING:
    from sentry_sdk._types import Event  # the SDK's event type (typing only)

SECRET_QUERY_TOKEN = "tok_SECRET_abc123"
SECRET_PASSWORD = "hunter2-pw-SECRET"
FIREFOX_UA = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


# --- the application code whose failures are reported (real frames, real locals) ---------------------------


class ConfigError(Exception):
    pass


def _read_setting(settings: dict[str, str]) -> str:
    return settings["database_url"]


def _connect() -> None:
    password = SECRET_PASSWORD  # a local the SDK captures: Bugsink keeps it verbatim
    try:
        _read_setting({"cache_url": password[:0]})
    except KeyError as exc:
        raise ConfigError("database_url is not configured") from exc


def _with_request(event: Event, hint: dict[str, Any]) -> Event:
    event["request"] = {
        "url": f"https://shop.example.com/cart?token={SECRET_QUERY_TOKEN}",
        "method": "GET",
        "query_string": f"token={SECRET_QUERY_TOKEN}",
        "headers": {"User-Agent": FIREFOX_UA},
    }
    return event


# --- the feed ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Feed:
    project: BugsinkProject
    chained_events: list[str]  # SDK event ids, oldest first: 1.0.0/production ×2, then 2.0.0/staging
    message_event: str
    zero_event: str
    chained: dict[str, Any]  # the issue records as Bugsink lists them
    message: dict[str, Any]
    zero: dict[str, Any]


def _send_chained(
    server: BugsinkServer, project: BugsinkProject, release: str, environment: str
) -> list[str]:
    with server.sdk(project, release=release, environment=environment) as sent:
        scope = sentry_sdk.get_isolation_scope()
        scope.add_event_processor(_with_request)
        scope.set_tag("feature", "checkout")
        try:
            _connect()
        except ConfigError as exc:
            sentry_sdk.capture_exception(exc)
    return sent


def feed_project(server: BugsinkServer, name: str) -> Feed:
    """A new project named `name`, fed, once Bugsink has digested every event."""
    project = server.create_project(name)
    chained = [
        *_send_chained(server, project, "shop@1.0.0", "production"),
        *_send_chained(server, project, "shop@1.0.0", "production"),
        *_send_chained(server, project, "shop@2.0.0", "staging"),
    ]
    with server.sdk(project, release="shop@2.0.0", environment="staging") as sent:
        sentry_sdk.capture_message("payment provider timeout", level="warning")
    message = sent[0]
    with server.sdk(project, release="shop@1.0.0", environment="production") as sent:
        try:
            _ = 1 / 0
        except ZeroDivisionError as exc:
            sentry_sdk.capture_exception(exc)
    zero = sent[0]
    server.wait_for_events([*chained, message, zero], project)
    issues = server.api().get("/issues/", params={"project": project.id}).json()["results"]
    by_type = {i["calculated_type"]: i for i in issues}
    return Feed(
        project,
        chained,
        message,
        zero,
        by_type["ConfigError"],
        by_type["Log Message"],
        by_type["ZeroDivisionError"],
    )


def fresh_issue(
    server: BugsinkServer, project: BugsinkProject, release: str = "shop@1.0.0"
) -> dict[str, Any]:
    """One new issue (a one-off exception type groups alone) with one event; its record as Bugsink has it."""
    kind = type(f"Fresh{time.monotonic_ns()}Error", (Exception,), {})

    def fail() -> None:
        raise kind("fresh failure")

    (event,) = server.wait_for_events(server.send(fail, project, release=release), project)
    return dict(server.api().get(f"/issues/{event['issue']}/").json())
