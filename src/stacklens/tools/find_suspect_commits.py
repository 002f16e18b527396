"""find_suspect_commits: which commit of the first release (or the one before) touched the crashing code."""

from typing import Annotated

from mcp.server.mcpserver import Context, MCPServer
from mcp.types import CallToolResult
from pydantic import Field

from stacklens.analysis import Suspects, rank_suspects
from stacklens.backends.base import Backend
from stacklens.errors import NotSupported
from stacklens.refs import parse_issue_ref
from stacklens.render.analysis import render_suspects
from stacklens.tools.base import READ, IdText, ToolEnv, ToolSpec, call, result
from stacklens.tools.history import commits_of, issue_project, neighbours, project_releases


def _cannot(env: ToolEnv) -> str:
    return (
        f"{env.label}'s API cannot read release commits back (it only accepts them), so there are no changed "
        "files to match the stack against. Nothing was sent. Use get_issue_timeline for the release it started "
        "in, then look at that release's commits in your repository."
    )


def register(mcp: MCPServer, env: ToolEnv) -> None:
    note = "" if env.caps.commits else f"Not available on {env.label} (its API cannot read commits back). "

    @mcp.tool(
        title="Find suspect commits",
        annotations=READ,
        description="Which commit broke it? Commits of the issue's first release (and the one before) whose "
        "changed files match the latest event's in-app frames, ranked (crash frame's file first), with sha, "
        "author, message, files and why. "
        + note
        + f"Example: find_suspect_commits(issue='{env.refs.example}', limit=3)",
    )
    async def find_suspect_commits(
        ctx: Context,
        issue: Annotated[IdText, Field(description=env.refs.forms, min_length=1, max_length=2048)],
        limit: Annotated[int, Field(description="How many commits at most", ge=1, le=50)] = 5,
    ) -> Annotated[CallToolResult, Suspects]:
        async def work(b: Backend) -> Suspects:
            ref = parse_issue_ref(issue, env.refs)
            if not env.caps.commits:
                raise NotSupported(_cannot(env))  # before any request
            found = await b.get_issue(ref)
            event = await b.get_event(ref, "latest")
            notes: list[str] = []
            releases = await project_releases(b, found, notes)
            first = found.first_release or event.release
            _, previous = neighbours(releases, first)
            if not first:
                notes.append("the issue has no first release: no commits to examine")
            versions = [v for v in (first, previous) if v]
            commits = await commits_of(b, versions, issue_project(found), notes)
            return rank_suspects(
                found.short_id or found.id, event, first, previous, commits, limit=limit, notes=notes
            )

        suspects = await call(ctx, work)
        return result(render_suspects(suspects), suspects)


TOOL = ToolSpec(
    name="find_suspect_commits",
    register=register,
    example={"issue": "{issue}", "limit": 3},
)
