"""Morning triage: this week's new unresolved errors, each with the line it crashed on.

    python examples/triage.py [--window 7d] [--project SLUG] [--limit 10] [--backend sentry|jentry] [--demo]

Uses the official MCP client to start stacklens over stdio and reads only STRUCTURED content (the fields
every tool also returns next to its Markdown): search_issues → get_latest_event per issue. With
SENTRY_AUTH_TOKEN (+ SENTRY_ORG) or JENTRY_AUTH_TOKEN in the environment it talks to your instance; without,
to the built-in sandbox (`stacklens --demo`). Exit status 1 when a call fails.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import sys
from typing import Any

import anyio
from mcp import Client, StdioServerParameters

GIT_URL = "git+https://github.com/stacklens/stacklens"
TOKEN_VARS = ("SENTRY_AUTH_TOKEN", "SENTRY_ACCESS_TOKEN", "JENTRY_AUTH_TOKEN")


def server_params(demo: bool, backend: str | None) -> StdioServerParameters:
    """stacklens over stdio: --demo unless a token is configured; this interpreter's install if it has one."""
    args = ["--demo"] if demo or not any(os.environ.get(v, "").strip() for v in TOKEN_VARS) else []
    args += ["--backend", backend] if backend else []
    env = dict(os.environ)  # else the SDK passes a minimal environment: the token must get through
    if importlib.util.find_spec("stacklens"):
        return StdioServerParameters(command=sys.executable, args=["-m", "stacklens", *args], env=env)
    if shutil.which("stacklens"):
        return StdioServerParameters(command="stacklens", args=args, env=env)
    # not installed here: uv runs it from the git repository (stacklens is not on PyPI yet)
    return StdioServerParameters(command="uvx", args=["--from", GIT_URL, "stacklens", *args], env=env)


def real_frames(frames: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Frames proper, oldest first (skipping the "… N frames in starlette" placeholders)."""
    return [f for f in frames if f.get("kind", "frame") == "frame"]


def crash_frame(frames: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The frame it was raised in: the one marked `crash`, else the newest."""
    real = real_frames(frames)
    return next((f for f in real if f.get("crash")), real[-1] if real else None)


def code_of(frame: dict[str, Any]) -> str | None:
    """The frame's own source line: the marked line of its source window, else its one context line."""
    marked = next((s["code"] for s in frame.get("source") or [] if s.get("crash")), None)
    return (marked or frame.get("code") or "").strip() or None


def where(frame: dict[str, Any]) -> str:
    place = f"{frame.get('file') or frame.get('package') or '?'}:{frame.get('line') or '?'}"
    return f"{place} in {frame.get('function') or '?'}"


def headline(exc: dict[str, Any]) -> str:
    """`Type: first line of the value`, cut: values can be long (validation errors, SQL)."""
    value = (exc.get("value") or "").strip().splitlines()
    kind = exc.get("type") or "Error"
    if not value:
        return kind
    first = value[0] if len(value[0]) <= 160 else value[0][:159] + "…"
    return f"{kind}: {first}"


def crash_lines(event: dict[str, Any]) -> list[str]:
    """What broke and where, from a TrimmedEvent's fields (see stacklens.render.event.TrimmedEvent)."""
    exceptions = event.get("exceptions") or []  # outermost first
    if exceptions:
        # Report what was raised; when it carries no frames, the first chain member that does.
        shown = next((e for e in exceptions if real_frames(e.get("frames") or [])), exceptions[0])
        lines = [headline(shown)]
        root = exceptions[-1]
        if root is not shown and headline(root) != lines[0]:
            lines.append(f"root cause: {headline(root)}")
        frames = shown.get("frames") or []
    elif event.get("stack"):
        lines = [event.get("title") or event.get("message") or "(no exception)"]
        frames = event["stack"].get("frames") or []
    else:
        return [event.get("message") or event.get("title") or "(no exception, no message)"]
    crash = crash_frame(frames)
    if crash is None:
        return lines
    if crash.get("in_app"):
        lines.append(f"at {where(crash)}")
        mine = crash
    else:
        # Raised inside a library: also name the newest frame of our own code, where the fix usually goes.
        lines.append(f"raised in {where(crash)} (library)")
        mine = next((f for f in reversed(real_frames(frames)) if f.get("in_app")), None)
        if mine:
            lines.append(f"from {where(mine)}")
    code = code_of(mine) if mine else code_of(crash)
    if code:
        lines.append(f"> {code}")
    return lines


async def run(opts: argparse.Namespace) -> int:
    params = server_params(opts.demo, opts.backend)
    search_args: dict[str, Any] = {
        "status": "unresolved",
        "first_seen": opts.window,
        "level": ["error", "fatal"],
        "sort": "events",
        "limit": opts.limit,
    }
    if opts.project:
        search_args["project"] = opts.project
    async with Client(params) as client:
        found = await client.call_tool("search_issues", search_args)
        if found.is_error or found.structured_content is None:
            print("search_issues failed:", *(getattr(c, "text", "") for c in found.content), file=sys.stderr)
            return 1
        page = found.structured_content  # IssuePage: issues, query, next_cursor, notes
        issues = page.get("issues") or []
        print(f"{len(issues)} new unresolved error(s) first seen in the last {opts.window}")
        print(f"upstream query: {page.get('query')}")
        status = 0
        for issue in issues:
            ref = issue.get("short_id") or issue["id"]
            count, users = issue.get("count"), issue.get("user_count")
            title = issue.get("title") or ""
            print(f"\n{ref}  [{issue.get('level') or '?'}] {title}  ({count} events, {users} users)")
            latest = await client.call_tool("get_latest_event", {"issue": issue["id"], "breadcrumbs": 0})
            if latest.is_error or latest.structured_content is None:
                print("    (no event:", " ".join(getattr(c, "text", "") for c in latest.content)[:200] + ")")
                status = 1
                continue
            for line in crash_lines(latest.structured_content):
                print(f"    {line}")
        if page.get("next_cursor"):
            print(f"\n… more: rerun with --limit above {opts.limit}")
        for note in page.get("notes") or []:
            print(f"note: {note}")
    return status


def main() -> None:
    ap = argparse.ArgumentParser(description="This week's new unresolved errors and their crash lines.")
    ap.add_argument("--window", default="7d", help="first seen within this window (default 7d)")
    ap.add_argument("--project", help="only this project (slug or id)")
    ap.add_argument("--limit", type=int, default=10, help="at most this many issues (1-100)")
    ap.add_argument("--backend", choices=("sentry", "jentry"))
    ap.add_argument("--demo", action="store_true", help="use the built-in sandbox even when a token is set")
    sys.exit(anyio.run(run, ap.parse_args()))


if __name__ == "__main__":
    main()
