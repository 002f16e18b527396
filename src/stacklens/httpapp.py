"""The streamable HTTP transport: the SDK's app behind a bearer-token check, bound to loopback by default."""

from __future__ import annotations

import hmac
import json
import logging
import socket
import sys

import uvicorn
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
                    # No WWW-Authenticate: MCP clients read a Bearer challenge on 401 as "this server uses
                    # OAuth" and start a discovery/login flow this static token has no part in.
                    "headers": [
                        (b"content-type", b"application/json"),
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


def listening_url(host: str, sock: socket.socket) -> str:
    """The /mcp URL of a bound socket: its real port (what `--port 0` picked), the host as configured."""
    port = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/mcp"


class _AnnouncingServer(uvicorn.Server):
    """uvicorn, saying on stderr where it listens once the socket is bound (stdout stays free)."""

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        bound = [s for server in getattr(self, "servers", []) for s in server.sockets]
        if bound:
            url = listening_url(self.config.host, bound[0])
            print(f"stacklens: serving streamable HTTP at {url}", file=sys.stderr, flush=True)


def serve(app: ASGIApp, settings: Settings) -> None:
    config = uvicorn.Config(
        app, host=settings.host, port=settings.port, log_level=settings.log_level.lower(), access_log=False
    )
    _AnnouncingServer(config).run()
