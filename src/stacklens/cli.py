"""Command line → Settings → the chosen transport. Configuration errors are one line on stderr, exit 2."""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys

from stacklens import __version__, config
from stacklens.backends import BACKENDS
from stacklens.errors import ConfigError

EPILOG = """\
environment:
  SENTRY_AUTH_TOKEN      Sentry token (alias SENTRY_ACCESS_TOKEN); else ~/.netrc ($NETRC), machine = URL host
  SENTRY_ORG             Sentry organization slug (required for Sentry)
  SENTRY_PROJECT         default project        SENTRY_URL / JENTRY_URL   instance URL
  JENTRY_AUTH_TOKEN      Jentry token; set alone, it selects the Jentry backend
  JENTRY_USER_ID         your Jentry user id (what assigned="me" means)
  STACKLENS_BACKEND      sentry | jentry        STACKLENS_READ_ONLY=1     same as --read-only
  STACKLENS_TIMEOUT      seconds (default 30)   STACKLENS_LOG_LEVEL       same as --log-level
  STACKLENS_ALLOW_DELETE=1  same as --allow-delete (ignored with --read-only)
  STACKLENS_HTTP_TOKEN   HTTP transport: require Authorization: Bearer <it>

examples:
  stacklens --demo                                  the built-in sandbox, no account needed
  SENTRY_AUTH_TOKEN=… SENTRY_ORG=acme stacklens     stdio, for Claude Desktop / Code, VS Code, Cursor
  stacklens --transport http --port 8000            streamable HTTP at http://127.0.0.1:8000/mcp
"""


def _switch(value: str) -> bool:
    """`--read-only`, or `--read-only true|false`: registry clients (VS Code) pass a value after a flag."""
    on = config.switch(value)
    if on is None:
        raise argparse.ArgumentTypeError(f"expected true or false, got {value!r}")
    return on


def _backend(value: str) -> str:
    text = value.strip().lower()
    return text or "auto"  # registry clients (VS Code) pass the flag even when the user leaves it empty


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="stacklens",
        description="MCP server for Sentry and Jentry error data. Tokens come from the environment "
        "(SENTRY_AUTH_TOKEN / JENTRY_AUTH_TOKEN) or ~/.netrc, never from the command line.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--backend", type=_backend, choices=(*BACKENDS, "auto"),
        help="upstream (STACKLENS_BACKEND); default: jentry when only JENTRY_AUTH_TOKEN is set, else sentry",
    )  # fmt: skip
    p.add_argument("--org", help="Sentry organization slug (SENTRY_ORG)")
    p.add_argument("--project", help="default project slug or id (SENTRY_PROJECT)")
    p.add_argument(
        "--url", help="instance base URL, path prefix kept (SENTRY_URL / JENTRY_URL; default "
        "https://sentry.io / https://jentry.app)",
    )  # fmt: skip
    p.add_argument(
        "--read-only", nargs="?", const=True, default=False, type=_switch, metavar="true|false",
        help="do not register the write tools update_issue, create_release (STACKLENS_READ_ONLY=1)",
    )  # fmt: skip
    p.add_argument(
        "--allow-delete", nargs="?", const=True, default=False, type=_switch, metavar="true|false",
        help="register delete_issue (STACKLENS_ALLOW_DELETE=1); never with --read-only, which wins",
    )  # fmt: skip
    p.add_argument(
        "--timeout",
        type=float,
        help="per-request upstream timeout in seconds (STACKLENS_TIMEOUT, default 30)",
    )
    p.add_argument(
        "--transport", choices=("stdio", "http"), default="stdio",
        help="stdio (default) or http: streamable HTTP at /mcp",
    )  # fmt: skip
    p.add_argument("--host", help="HTTP bind address (default 127.0.0.1, loopback only)")
    p.add_argument("--port", type=int, help="HTTP port (default 8000)")  # range: config.resolve
    p.add_argument(
        "--allowed-host", action="append", default=[], metavar="HOST",
        help="extra Host header value accepted over HTTP (DNS-rebinding protection), repeatable",
    )  # fmt: skip
    p.add_argument(
        "--stateless", action="store_true", help="HTTP: no sessions, so replicas can share traffic"
    )
    p.add_argument(
        "--token-from-request", action="store_true",
        help="HTTP: take the upstream token from each request (X-Upstream-Token, or the client's "
        "Authorization: Bearer when STACKLENS_HTTP_TOKEN is unset)",
    )  # fmt: skip
    p.add_argument("--demo", action="store_true", help="serve the built-in sandbox; needs no token or org")
    p.add_argument(
        "--log-level", type=str.upper, choices=config.LOG_LEVELS,
        help="stderr log level (STACKLENS_LOG_LEVEL, default WARNING)",
    )  # fmt: skip
    p.add_argument("--version", action="version", version=f"stacklens {__version__}")
    return p


def _http_only(args: argparse.Namespace) -> None:
    """HTTP options on a stdio server: the token source can't be silently different (an error); the bind
    options are only ignored, said on stderr (a config that carries `--port` must still start)."""
    if args.transport == "http":
        return
    if args.token_from_request:
        raise ConfigError("--token-from-request needs --transport http")
    ignored = [
        flag
        for flag, used in (
            ("--host", args.host is not None),
            ("--port", args.port is not None),
            ("--allowed-host", bool(args.allowed_host)),
            ("--stateless", args.stateless),
        )
        if used
    ]
    if ignored:
        they = "they apply" if len(ignored) > 1 else "it applies"
        print(
            f"stacklens: warning: {', '.join(ignored)} ignored: {they} to --transport http only (serving stdio)",
            file=sys.stderr,
            flush=True,
        )


class _StdoutToStderr:
    """Until the SDK's stdio transport owns fd 1, anything written to stdout (a stray print, a library's
    banner, a C extension) would land in the protocol channel and corrupt it: point fd 1 at stderr meanwhile."""

    def __init__(self) -> None:
        self._saved: int | None = None

    def __enter__(self) -> _StdoutToStderr:
        try:
            sys.stdout.flush()
            self._saved = os.dup(1)
            os.dup2(2, 1)
        except (OSError, ValueError, AttributeError):
            self._saved = None
        return self

    def restore(self) -> None:
        if self._saved is None:
            return
        with contextlib.suppress(OSError, ValueError):
            sys.stdout.flush()  # buffered stray text goes to stderr, not to the client
        os.dup2(self._saved, 1)
        os.close(self._saved)
        self._saved = None

    def __exit__(self, *exc: object) -> None:
        self.restore()


def delete_warning(settings: config.Settings) -> str | None:
    """Read-only wins: a server started read-only never gains a destructive tool by another flag."""
    if settings.allow_delete and settings.read_only:
        return "--allow-delete ignored: the server is read-only, so delete_issue is not registered"
    return None


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    guard = _StdoutToStderr() if args.transport == "stdio" else None
    with guard or contextlib.nullcontext():
        _main(args, guard)


def _main(args: argparse.Namespace, guard: _StdoutToStderr | None) -> None:
    try:
        _http_only(args)
        settings = config.resolve(
            os.environ,
            backend=None if args.backend == "auto" else args.backend,
            url=args.url,
            org=args.org,
            project=args.project,
            read_only=args.read_only,
            allow_delete=args.allow_delete,
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
        print(f"stacklens: error: {exc}", file=sys.stderr, flush=True)
        raise SystemExit(2) from None

    # Logs go to stderr: stdout is the stdio protocol channel.
    logging.basicConfig(
        level=settings.log_level, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if warning := delete_warning(settings):
        logging.getLogger("stacklens").warning(warning)
    if settings.demo:
        from stacklens.demo import demo_settings

        settings = demo_settings(settings)

    from stacklens.server import build_server

    mcp = build_server(settings)
    try:
        if settings.transport == "http":
            serve_http(mcp, settings, args.allowed_host)
        else:
            if guard is not None:
                guard.restore()  # the SDK takes fd 1 over for the protocol (and diverts stray writes itself)
            mcp.run()
    except KeyboardInterrupt:
        pass


def serve_http(mcp, settings, allowed_hosts: list[str]) -> None:  # type: ignore[no-untyped-def]
    from stacklens.httpapp import build_http_app, serve

    app = build_http_app(mcp, settings, allowed_hosts)
    if settings.host not in ("127.0.0.1", "localhost", "::1") and settings.http_token is None:
        logging.getLogger("stacklens").warning(
            "serving on %s without STACKLENS_HTTP_TOKEN: anyone who can reach this port can use it",
            settings.host,
        )
    if settings.host in ("0.0.0.0", "::") and not allowed_hosts:
        logging.getLogger("stacklens").warning(
            "serving on all interfaces, but only loopback Host headers are accepted (DNS-rebinding "
            "protection): pass --allowed-host with the name or IP clients use, or they get 421"
        )
    serve(app, settings)  # prints the URL it listens on (the real port with --port 0) to stderr
