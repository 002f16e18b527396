"""Shared by the Sentry backend tests: the backend against the sandbox over real HTTP on 127.0.0.1,
and the requests the sandbox received.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from stacklens.backends.sentry import SentryBackend
from stacklens.config import Settings
from stacklens.http import Upstream
from stacklens.refs import IssueRef, parse_issue_ref
from stacklens.sandbox import Sandbox

TOKEN = "tok-sentry-backend-9f3e"


ISSUE = {"id": "77", "shortId": "SHOP-2", "title": "boom", "project": {"id": "1", "slug": "shop"}}


SANDBOX_TOKEN = "sandbox-sentry-token"


SHOP, CHECKOUT, WORKER = "4508341723004928", "4508341723069441", "4508341723135002"


API = "/api/0/organizations/acme"


@asynccontextmanager
async def sentry(url: str, **settings: Any) -> AsyncIterator[SentryBackend]:
    config = Settings(backend="sentry", url=url, org="acme", **settings)
    upstream = Upstream(
        base_url=config.api_base,
        token=SANDBOX_TOKEN,
        label="Sentry",
        token_var="SENTRY_AUTH_TOKEN",
        url_var="SENTRY_URL",
        attempts=2,
        backoff=0.01,
        max_total_wait=2.0,
    )
    try:
        yield SentryBackend(config, upstream)
    finally:
        await upstream.aclose()


def calls(sandbox: Sandbox) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """(method, decoded path, query pairs) of every request the sandbox received, in order."""
    return [(r.method, r.path, r.query) for r in sandbox.requests]


def ref(value: str) -> IssueRef:
    return parse_issue_ref(value)


def next_link(cursor: str) -> dict[str, str]:
    return {"Link": f'<http://x/?cursor={cursor}>; rel="next"; results="true"; cursor="{cursor}"'}
