"""read_audit: the organization's audit log, newest first."""

from typing import Annotated

from mcp.server.mcpserver import Context, MCPServer
from mcp.types import CallToolResult
from pydantic import Field

from stacklens.models import AuditLog
from stacklens.render import records
from stacklens.tools.base import READ, ToolEnv, ToolSpec, call, result
from stacklens.tools.params import CursorArg


def register(mcp: MCPServer, env: ToolEnv) -> None:
    @mcp.tool(
        title="Read audit log",
        annotations=READ,
        description="The organization's audit log, newest first: who changed what, when. "
        + env.caps.audit_note
        + "Example: read_audit(action='issue.resolve', limit=20)",
    )
    async def read_audit(
        ctx: Context,
        limit: Annotated[int, Field(description="How many entries", ge=1, le=100)] = 50,
        action: Annotated[
            str | None, Field(description="Only this action, e.g. member.invite", max_length=100)
        ] = None,
        cursor: CursorArg = None,
    ) -> Annotated[CallToolResult, AuditLog]:
        found = await call(ctx, lambda b: b.read_audit(limit, action, cursor))
        return result(records.render_audit(found), found)


TOOL = ToolSpec(
    name="read_audit",
    register=register,
    example={"limit": 5},
)
