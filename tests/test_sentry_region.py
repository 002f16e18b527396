"""Sentry regions (backends/sentry/region.py): sentry.io organizations use their `links.regionUrl`, read
once; a scripted transport, since the hosts are sentry.io names (nothing leaves the process).
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from sentry_helpers import (
    ISSUE,
    TOKEN,
)
from stacklens.backends.sentry import SentryBackend
from stacklens.backends.sentry.region import region_api_base
from stacklens.config import Settings
from stacklens.http import Upstream
from stacklens.refs import parse_issue_ref


@pytest.mark.parametrize(
    ("region", "base"),
    [
        ("https://us.sentry.io", "https://us.sentry.io/api/0"),
        ("https://de.sentry.io/", "https://de.sentry.io/api/0"),
        ("https://sentry.io", "https://sentry.io/api/0"),
        ("http://de.sentry.io", None),
        ("https://de.sentry.io.evil.example", None),
        ("https://evilsentry.io", None),
        ("https://user:pw@de.sentry.io", None),
        ("https://de.sentry.io:8443", None),
        ("https://de.sentry.io/api/0", None),
        ("https://de.sentry.io?x=1", None),
        ("https://de.sentry.io\r\nX: 1", None),
        ("", None),
        (None, None),
        (["https://de.sentry.io"], None),
    ],
)
def test_region_api_base(region: Any, base: str | None) -> None:
    assert region_api_base(region) == base


class Recorder:
    """A scripted transport: answers by (host, path), records every request."""

    def __init__(self, routes: dict[tuple[str, str], Any]) -> None:
        self.routes = routes
        self.seen: list[tuple[str, str, str]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append((request.method, request.url.host, request.url.path))
        assert request.headers["authorization"] == f"Bearer {TOKEN}"
        body = self.routes.get((request.url.host, request.url.path))
        if body is None:
            return httpx.Response(404, json={"detail": "The requested resource does not exist"})
        return httpx.Response(200, json=body)


def saas_backend(url: str, recorder: Recorder) -> tuple[SentryBackend, Upstream]:
    settings = Settings(backend="sentry", url=url, org="acme")
    upstream = Upstream(
        base_url=settings.api_base,
        token=TOKEN,
        label="Sentry",
        token_var="SENTRY_AUTH_TOKEN",
        url_var="SENTRY_URL",
        transport=httpx.MockTransport(recorder),
        attempts=1,
    )
    return SentryBackend(settings, upstream), upstream


@pytest.mark.anyio
async def test_region_read_once_and_used() -> None:
    recorder = Recorder(
        {
            ("sentry.io", "/api/0/organizations/acme/"): {
                "slug": "acme",
                "links": {"regionUrl": "https://de.sentry.io"},
            },
            ("de.sentry.io", "/api/0/organizations/acme/issues/77/"): ISSUE,
        }
    )
    backend, upstream = saas_backend("https://sentry.io", recorder)
    try:
        ref = parse_issue_ref("77")
        assert (await backend.get_issue(ref)).short_id == "SHOP-2"
        assert (await backend.get_issue(ref)).id == "77"
    finally:
        await upstream.aclose()
    assert recorder.seen == [
        ("GET", "sentry.io", "/api/0/organizations/acme/"),
        ("GET", "de.sentry.io", "/api/0/organizations/acme/issues/77/"),
        ("GET", "de.sentry.io", "/api/0/organizations/acme/issues/77/"),
    ]


@pytest.mark.anyio
@pytest.mark.parametrize("region", ["https://attacker.example", "http://de.sentry.io", None, 5])
async def test_untrusted_region_ignored(region: Any) -> None:
    recorder = Recorder(
        {
            ("acme.sentry.io", "/api/0/organizations/acme/"): {"links": {"regionUrl": region}},
            ("acme.sentry.io", "/api/0/organizations/acme/issues/77/"): ISSUE,
        }
    )
    backend, upstream = saas_backend("https://acme.sentry.io", recorder)
    try:
        assert (await backend.get_issue(parse_issue_ref("77"))).id == "77"
    finally:
        await upstream.aclose()
    assert {host for _, host, _ in recorder.seen} == {"acme.sentry.io"}
    assert len(recorder.seen) == 2


@pytest.mark.anyio
async def test_self_hosted_never_reads_region() -> None:
    recorder = Recorder({("sentry.internal", "/sentry/api/0/organizations/acme/issues/77/"): ISSUE})
    backend, upstream = saas_backend("https://sentry.internal/sentry", recorder)
    try:
        assert (await backend.get_issue(parse_issue_ref("77"))).id == "77"
    finally:
        await upstream.aclose()
    assert recorder.seen == [("GET", "sentry.internal", "/sentry/api/0/organizations/acme/issues/77/")]


@pytest.mark.anyio
async def test_org_details_forbidden_falls_back_to_instance() -> None:
    # A token without org:read still works on sentry.io's own host (US organizations live there).
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/0/organizations/acme/":
            return httpx.Response(403, json={"detail": "You do not have permission to perform this action."})
        return httpx.Response(200, json=ISSUE)

    settings = Settings(backend="sentry", url="https://sentry.io", org="acme")
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(f"{request.url.host}{request.url.path}")
        return answer(request)

    upstream = Upstream(
        base_url=settings.api_base,
        token=TOKEN,
        label="Sentry",
        token_var="SENTRY_AUTH_TOKEN",
        url_var="SENTRY_URL",
        transport=httpx.MockTransport(handler),
        attempts=1,
    )
    backend = SentryBackend(settings, upstream)
    try:
        await backend.get_issue(parse_issue_ref("77"))
        await backend.get_issue(parse_issue_ref("77"))
    finally:
        await upstream.aclose()
    assert seen == [
        "sentry.io/api/0/organizations/acme/",
        "sentry.io/api/0/organizations/acme/issues/77/",
        "sentry.io/api/0/organizations/acme/issues/77/",
    ]
