"""get_issue: one issue's summary."""

from typing import Annotated

from mcp.server.mcpserver import Context, MCPServer
from mcp.types import CallToolResult
from pydantic import Field

from stacklens.models import Issue
from stacklens.refs import parse_issue_ref
from stacklens.render import records
from stacklens.tools.base import READ, IdText, ToolEnv, ToolSpec, call, result


def register(mcp: MCPServer, env: ToolEnv) -> None:
    @mcp.tool(
        title="Get issue",
        annotations=READ,
        description="Summary of one issue: title, culprit, level, status, counts, first/last seen and release, "
        f"assignee, link. Stack trace: get_latest_event. Example: get_issue(issue='{env.refs.example}')",
    )
    async def get_issue(
        ctx: Context,
        issue: Annotated[IdText, Field(description=env.refs.forms, min_length=1, max_length=2048)],
    ) -> Annotated[CallToolResult, Issue]:
        found = await call(ctx, lambda b: b.get_issue(parse_issue_ref(issue, env.refs)))
        return result(records.render_issue(found), found)


TOOL = ToolSpec(
    name="get_issue",
    register=register,
    example={"issue": "{issue}"},
)
