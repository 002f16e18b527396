"""list_issue_events: an issue's recent events, newest first."""

from typing import Annotated

from mcp.server.mcpserver import Context, MCPServer
from mcp.types import CallToolResult
from pydantic import Field

from stacklens.backends.base import Backend
from stacklens.models import EventList
from stacklens.refs import parse_issue_ref
from stacklens.render import records
from stacklens.tools.base import READ, IdText, ToolEnv, ToolSpec, call, result
from stacklens.tools.params import CursorArg, EnvArg


def register(mcp: MCPServer, env: ToolEnv) -> None:
    @mcp.tool(
        title="List issue events",
        annotations=READ,
        description="Recent events of an issue, newest first: id, time, release, environment, user id, message. "
        f"Pass an id to get_event for details. Example: list_issue_events(issue='{env.refs.example}', limit=5)",
    )
    async def list_issue_events(
        ctx: Context,
        issue: Annotated[IdText, Field(description=env.refs.forms, min_length=1, max_length=2048)],
        limit: Annotated[int, Field(description="How many events", ge=1, le=100)] = 10,
        environment: EnvArg = None,
        cursor: CursorArg = None,
    ) -> Annotated[CallToolResult, EventList]:
        async def work(b: Backend) -> EventList:
            return await b.list_issue_events(parse_issue_ref(issue, env.refs), limit, environment, cursor)

        events = await call(ctx, work)
        return result(records.render_event_list(events), events)


TOOL = ToolSpec(
    name="list_issue_events",
    register=register,
    example={"issue": "{issue}", "limit": 5},
)
