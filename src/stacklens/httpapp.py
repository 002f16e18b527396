"""The streamable HTTP transport: the SDK's app behind a bearer-token check, bound to loopback by default."""

from __future__ import annotations

import hmac
import json
import logging

from mcp.server.mcpserver import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from starlette.types import ASGIApp, Receive, Scope, Send

from stacklens.config import Settings

log = logging.getLogger("stacklens.http_transport")

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
MAX_BODY = 1024 * 1024  # MCP requests are small; 1 MiB is generous


class BearerGate:
    """Refuses every request without `Authorization: Bearer <STACKLENS_HTTP_TOKEN>` (constant-time compare)."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self._expected = f"Bearer {token}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = b""
        for name, value in scope.get("headers", []):
            if name == b"authorization":
                given = value
                break
        if not hmac.compare_digest(given, self._expected):
            body = json.dumps(
                {"error": "unauthorized: send Authorization: Bearer <STACKLENS_HTTP_TOKEN>"}
            ).encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": 401,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"www-authenticate", b'Bearer realm="stacklens"'),
                        (b"content-length", str(len(body)).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)


def security_for(settings: Settings, allowed_hosts: list[str]) -> TransportSecuritySettings:
    """DNS-rebinding protection stays on: loopback names always, plus the bind host and any --allowed-host."""
    hosts = ["127.0.0.1:*", "localhost:*", "[::1]:*"]
    origins = ["http://127.0.0.1:*", "http://localhost:*", "http://[::1]:*"]
    extra = list(allowed_hosts)
    if settings.host not in LOCAL_HOSTS and settings.host not in ("0.0.0.0", "::"):
        extra.append(settings.host)
    for host in extra:
        pattern = host if ":" in host.strip("[]") and not host.startswith("[") else f"{host}:*"
        hosts += [host, pattern]
        origins += [f"http://{host}", f"https://{host}", f"http://{pattern}", f"https://{pattern}"]
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True, allowed_hosts=hosts, allowed_origins=origins
    )


def build_http_app(mcp: MCPServer, settings: Settings, allowed_hosts: list[str] | None = None) -> ASGIApp:
    app: ASGIApp = mcp.streamable_http_app(
        streamable_http_path="/mcp",
        stateless_http=settings.stateless,
        # Always an event stream per POST, stateless too: a plain JSON answer would drop progress notifications.
        json_response=False,
        max_request_body_size=MAX_BODY,
        transport_security=security_for(settings, allowed_hosts or []),
        host=settings.host,
    )
    if settings.http_token is not None:
        app = BearerGate(app, settings.http_token.get_secret_value())
    return app
