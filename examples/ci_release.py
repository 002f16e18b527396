"""Register a release from CI: its commits (from `git log`, or given) and a deploy, through `create_release`.

    python examples/ci_release.py VERSION [--project SLUG] [--environment production] [--since v1.4.1]
                                          [--commit SHA:MESSAGE ...] [--ref SHA] [--url URL] [--demo]

Uses the official MCP client to start stacklens over stdio, like any MCP client would. With SENTRY_AUTH_TOKEN
(+ SENTRY_ORG) or JENTRY_AUTH_TOKEN in the environment it talks to your instance; without, to the built-in
sandbox (`stacklens --demo`). Exit status: 0 when the release and every deploy were recorded, 1 otherwise.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import subprocess
import sys
from typing import Any

import anyio
from mcp import Client, StdioServerParameters

GIT_URL = "git+https://github.com/stacklens/stacklens"
TOKEN_VARS = ("SENTRY_AUTH_TOKEN", "SENTRY_ACCESS_TOKEN", "JENTRY_AUTH_TOKEN")
FIELD_SEP, RECORD_SEP = "\x1f", "\x1e"  # git log separators that never occur in commit text


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


def git_commits(since: str | None, limit: int) -> list[dict[str, Any]]:
    """Commits of HEAD (after `since` when given), newest first, as create_release expects them."""
    fmt = RECORD_SEP + FIELD_SEP.join(["%H", "%s", "%an", "%ae"])  # --name-only lists files after each header
    rev = [f"{since}..HEAD"] if since else ["HEAD"]
    try:
        out = subprocess.run(
            ["git", "log", f"--max-count={limit}", f"--format={fmt}", "--name-only", *rev],
            capture_output=True, text=True, check=True, timeout=30,
        ).stdout  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return []  # not a git checkout (or no git): register the release without commits
    commits = []
    for record in out.split(RECORD_SEP):
        head, _, files = record.strip("\n").partition("\n")
        if not head:
            continue
        sha, message, author, email = [*head.split(FIELD_SEP), "", "", ""][:4]
        changed = [f for f in files.splitlines() if f.strip()][:100]
        commits.append({"sha": sha.strip(), "message": message, "author": author, "author_email": email,
                        "files": changed or None})  # fmt: skip
    return commits


def given_commits(values: list[str]) -> list[dict[str, Any]]:
    commits = []
    for value in values:
        sha, _, message = value.partition(":")
        commits.append({"sha": sha.strip(), "message": message.strip() or None})
    return commits


async def pick_project(client: Client, version: str) -> str | None:
    """With --demo and no --project: the project the version names (`shop-web@1.4.2` → shop-web, the
    convention Sentry's own tooling uses), else the sandbox's first project, so the example runs as is."""
    result = await client.call_tool("list_projects", {})
    projects = (result.structured_content or {}).get("projects") or []
    named = version.partition("@")[0] if "@" in version else None
    for project in projects:
        if named and named in (project.get("slug"), project.get("name")):
            return project.get("slug") or project["id"]
    return (projects[0].get("slug") or projects[0]["id"]) if projects else None


async def run(opts: argparse.Namespace) -> int:
    commits = given_commits(opts.commit) if opts.commit else git_commits(opts.since, opts.max_commits)
    params = server_params(opts.demo, opts.backend)
    async with Client(params) as client:
        project = opts.project or os.environ.get("SENTRY_PROJECT")
        if project is None and "--demo" in params.args:
            project = await pick_project(client, opts.version)
        args: dict[str, Any] = {"version": opts.version, "commits": commits}
        if project:
            args["project"] = project
        if opts.ref or commits:
            args["ref"] = opts.ref or commits[0]["sha"]
        if opts.url:
            args["url"] = opts.url
        if opts.environment:
            args["deploys"] = [{"environment": opts.environment, "name": opts.deploy_name or opts.version}]
        result = await client.call_tool("create_release", args)

    text = "\n".join(getattr(c, "text", "") for c in result.content)
    if result.is_error or not result.structured_content:
        print(f"create_release failed: {text}", file=sys.stderr)
        return 1
    created = result.structured_content  # ReleaseCreated: version, project, already_existed, commits, deploys
    state = "already existed, updated" if created.get("already_existed") else "created"
    print(f"release {created['version']} ({created.get('project') or project or '?'}): {state}")
    print(f"  commits: {created.get('commits') if created.get('commits') is not None else len(commits)}")
    ok = True
    for deploy in created.get("deploys") or []:
        ok = ok and bool(deploy.get("ok"))
        outcome = "recorded" if deploy.get("ok") else f"FAILED: {deploy.get('error')}"
        print(f"  deploy to {deploy['environment']}: {outcome}")
    for note in created.get("notes") or []:
        print(f"  note: {note}")
    return 0 if ok else 1


def main() -> None:
    ap = argparse.ArgumentParser(description="Register a release, its commits and a deploy via stacklens.")
    ap.add_argument(
        "version", help="release version, e.g. shop-web@1.4.2 (with --demo, the project before the @)"
    )
    ap.add_argument("--project", help="project slug or id (default: SENTRY_PROJECT)")
    ap.add_argument("--environment", help="record a deploy to this environment, e.g. production")
    ap.add_argument("--deploy-name", help="deploy name (default: the version)")
    ap.add_argument("--since", help="commits after this ref (e.g. the previous release's tag)")
    ap.add_argument("--max-commits", type=int, default=50, help="at most this many commits from git log")
    ap.add_argument("--commit", action="append", default=[], metavar="SHA:MESSAGE",
                    help="a commit to register instead of git log, repeatable")  # fmt: skip
    ap.add_argument("--ref", help="VCS ref of the release (default: the newest commit)")
    ap.add_argument("--url", help="link to the release, e.g. its GitHub release page")
    ap.add_argument("--backend", choices=("sentry", "jentry"))
    ap.add_argument("--demo", action="store_true", help="use the built-in sandbox even when a token is set")
    sys.exit(anyio.run(run, ap.parse_args()))


if __name__ == "__main__":
    main()
