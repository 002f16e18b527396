"""get_latest_event: an issue's newest event, trimmed to what matters."""

from typing import Annotated

from mcp.server.mcpserver import Context, MCPServer
from mcp.types import CallToolResult
from pydantic import Field

from stacklens.render.event import TrimmedEvent
from stacklens.tools.base import READ, IdText, ToolEnv, ToolSpec
from stacklens.tools.event_read import read_event
from stacklens.tools.params import CrumbsArg, EnvArg, FramesArg


def register(mcp: MCPServer, env: ToolEnv) -> None:
    @mcp.tool(
        title="Get latest event",
        annotations=READ,
        description="The newest event of an issue, trimmed to what matters: exception chain, your frames, the "
        "crash line's source, request, tags, breadcrumbs. For another event use get_event. "
        "Example: get_latest_event(issue='4504')",
    )
    async def get_latest_event(
        ctx: Context,
        issue: Annotated[IdText, Field(description=env.refs.forms, min_length=1, max_length=2048)],
        environment: EnvArg = None,
        frames: FramesArg = "relevant",
        breadcrumbs: CrumbsArg = 10,
    ) -> Annotated[CallToolResult, TrimmedEvent]:
        return await read_event(ctx, env.refs, issue, "latest", environment, frames, breadcrumbs)


TOOL = ToolSpec(
    name="get_latest_event",
    register=register,
    example={"issue": "{issue}", "breadcrumbs": 100},
)
