"""Command line → Settings → the chosen transport. Configuration errors are one line on stderr, exit 2."""

from __future__ import annotations

import argparse
import logging
import os
import sys

from stacklens import __version__
from stacklens.errors import ConfigError

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="stacklens",
        description="MCP server for Sentry and Jentry error data. Tokens come from the environment "
        "(SENTRY_AUTH_TOKEN / JENTRY_AUTH_TOKEN) or ~/.netrc, never from the command line.",
    )
    p.add_argument("--backend", choices=("sentry", "jentry"), help="upstream (STACKLENS_BACKEND)")
    p.add_argument("--org", help="Sentry organization slug (SENTRY_ORG)")
    p.add_argument("--project", help="default project slug or id (SENTRY_PROJECT)")
    p.add_argument("--url", help="instance base URL (SENTRY_URL / JENTRY_URL)")
    p.add_argument(
        "--read-only", action="store_true", help="do not register write tools (STACKLENS_READ_ONLY=1)"
    )
    p.add_argument(
        "--timeout", type=float, help="per-request upstream timeout in seconds (STACKLENS_TIMEOUT)"
    )
    p.add_argument("--transport", choices=("stdio", "http"), default="stdio", help="default stdio")
    p.add_argument("--host", default="127.0.0.1", help="HTTP bind address (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="HTTP port (default 8000)")
    p.add_argument(
        "--allowed-host", action="append", default=[], metavar="HOST",
        help="extra Host header value accepted over HTTP (DNS-rebinding protection), repeatable",
    )  # fmt: skip
    p.add_argument(
        "--stateless", action="store_true", help="HTTP: no sessions, so replicas can share traffic"
    )
    p.add_argument(
        "--token-from-request", action="store_true",
        help="HTTP: take the upstream token from each request (X-Upstream-Token header)",
    )  # fmt: skip
    p.add_argument("--demo", action="store_true", help="serve the built-in sandbox; needs no token or org")
    p.add_argument(
        "--log-level", type=str.upper, choices=LOG_LEVELS, help="stderr log level (default WARNING)"
    )
    p.add_argument("--version", action="version", version=f"stacklens {__version__}")
    return p


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    from stacklens import config

    try:
        if args.token_from_request and args.transport != "http":
            raise ConfigError("--token-from-request needs --transport http")
        settings = config.resolve(
            os.environ,
            backend=args.backend,
            url=args.url,
            org=args.org,
            project=args.project,
            read_only=args.read_only,
            timeout=args.timeout,
            transport=args.transport,
            host=args.host,
            port=args.port,
            stateless=args.stateless,
            token_from_request=args.token_from_request,
            demo=args.demo,
            log_level=args.log_level,
        )
    except ConfigError as exc:
        print(f"stacklens: error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None

    # Logs go to stderr: stdout is the stdio protocol channel.
    logging.basicConfig(
        level=settings.log_level, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if settings.demo:
        from stacklens.demo import demo_settings

        settings = demo_settings(settings)

    from stacklens.server import build_server

    mcp = build_server(settings)
    try:
        if settings.transport == "http":
            serve_http(mcp, settings, args.allowed_host)
        else:
            mcp.run()
    except KeyboardInterrupt:
        pass


def serve_http(mcp, settings, allowed_hosts: list[str]) -> None:  # type: ignore[no-untyped-def]
    import uvicorn

    from stacklens.httpapp import build_http_app

    app = build_http_app(mcp, settings, allowed_hosts)
    if settings.host not in ("127.0.0.1", "localhost", "::1") and settings.http_token is None:
        logging.getLogger("stacklens").warning(
            "serving on %s without STACKLENS_HTTP_TOKEN: anyone who can reach this port can use it",
            settings.host,
        )
    uvicorn.run(
        app, host=settings.host, port=settings.port, log_level=settings.log_level.lower(), access_log=False
    )
