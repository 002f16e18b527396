"""list_releases: releases newest first, with new-issue counts and health."""

from typing import Annotated

from mcp.server.mcpserver import Context, MCPServer
from mcp.types import CallToolResult
from pydantic import Field

from stacklens.backends.base import Backend
from stacklens.models import ReleaseList
from stacklens.render import records
from stacklens.tools.base import READ, ToolEnv, ToolSpec, call, result
from stacklens.tools.params import CursorArg, ProjectArg


def register(mcp: MCPServer, env: ToolEnv) -> None:
    @mcp.tool(
        title="List releases",
        annotations=READ,
        description="Releases newest first with new-issue counts and health (crash-free, adoption) where "
        "available. Example: list_releases(project='shop-web', query='1.4')",
    )
    async def list_releases(
        ctx: Context,
        project: ProjectArg = None,
        query: Annotated[str | None, Field(description="Substring of the version", max_length=200)] = None,
        limit: Annotated[int, Field(description="How many releases", ge=1, le=100)] = 25,
        cursor: CursorArg = None,
    ) -> Annotated[CallToolResult, ReleaseList]:
        async def work(b: Backend) -> ReleaseList:
            # The backend resolves (and validates) the project before any request.
            return await b.list_releases(project or None, query, limit, cursor)

        found = await call(ctx, work)
        return result(records.render_releases(found), found)


TOOL = ToolSpec(
    name="list_releases",
    register=register,
    example={"limit": 3},
)
