"""get_event: one event of an issue (by id, or oldest/recommended), trimmed."""

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
        title="Get event",
        annotations=READ,
        description="One event of an issue (an id from list_issue_events, or oldest/recommended), trimmed like "
        f"get_latest_event. Example: get_event(issue='{env.refs.example}', event_id='oldest')",
    )
    async def get_event(
        ctx: Context,
        issue: Annotated[IdText, Field(description=env.refs.forms, min_length=1, max_length=2048)],
        event_id: Annotated[str, Field(description="Event id, or latest|oldest|recommended", max_length=64)],
        environment: EnvArg = None,
        frames: FramesArg = "relevant",
        breadcrumbs: CrumbsArg = 10,
    ) -> Annotated[CallToolResult, TrimmedEvent]:
        return await read_event(ctx, env.refs, issue, event_id, environment, frames, breadcrumbs)


TOOL = ToolSpec(
    name="get_event",
    register=register,
    example={"issue": "{issue}", "event_id": "latest", "frames": "all"},
)
