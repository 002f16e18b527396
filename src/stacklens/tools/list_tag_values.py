"""list_tag_values: how one tag spreads over an issue's events."""

from typing import Annotated

from mcp.server.mcpserver import Context, MCPServer
from mcp.types import CallToolResult
from pydantic import Field

from stacklens.models import TagValues
from stacklens.refs import parse_issue_ref
from stacklens.render import records
from stacklens.tools.base import READ, IdText, ToolEnv, ToolSpec, call, result


def register(mcp: MCPServer, env: ToolEnv) -> None:
    @mcp.tool(
        title="List tag values",
        annotations=READ,
        description="How one tag spreads over an issue's events (values with counts, first/last seen): which "
        "browsers, releases, users, servers are hit. "
        f"Example: list_tag_values(issue='{env.refs.example}', key='browser')",
    )
    async def list_tag_values(
        ctx: Context,
        issue: Annotated[IdText, Field(description=env.refs.forms, min_length=1, max_length=2048)],
        key: Annotated[
            str, Field(description="Tag key, e.g. browser, os, release, environment, url", max_length=200)
        ],
        limit: Annotated[int, Field(description="Most common values to show", ge=1, le=100)] = 20,
    ) -> Annotated[CallToolResult, TagValues]:
        found = await call(ctx, lambda b: b.list_tag_values(parse_issue_ref(issue, env.refs), key, limit))
        return result(records.render_tag_values(found), found)


TOOL = ToolSpec(
    name="list_tag_values",
    register=register,
    example={"issue": "{issue}", "key": "browser"},
)
