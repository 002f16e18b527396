"""read_audit: the organization's audit log, newest first."""

from typing import Annotated

from mcp.server.mcpserver import Context, MCPServer
from mcp.types import CallToolResult
from pydantic import Field

from stacklens.backends.base import Backend
from stacklens.models import AuditLog
from stacklens.query import parse_window
from stacklens.render import records
from stacklens.tools.audit_since import FETCH_WITH_SINCE, within
from stacklens.tools.base import READ, ToolEnv, ToolSpec, call, result
from stacklens.tools.params import CursorArg, SinceArg


def register(mcp: MCPServer, env: ToolEnv) -> None:
    @mcp.tool(
        title="Read audit log",
        annotations=READ,
        description="The organization's audit log, newest first: who changed what, when. "
        + env.caps.audit_note
        + "Example: read_audit(action='issue.resolve', since='today')",
    )
    async def read_audit(
        ctx: Context,
        limit: Annotated[int, Field(description="How many entries", ge=1, le=100)] = 50,
        action: Annotated[
            str | None, Field(description="Only this action, e.g. member.invite", max_length=100)
        ] = None,
        cursor: CursorArg = None,
        since: SinceArg = None,
    ) -> Annotated[CallToolResult, AuditLog]:
        async def work(b: Backend) -> AuditLog:
            window = parse_window(since, "since")  # refused before anything is sent
            if window is None:
                return await b.read_audit(limit, action, cursor)
            return within(await b.read_audit(FETCH_WITH_SINCE, action, cursor), window, limit)

        found = await call(ctx, work)
        return result(records.render_audit(found), found)


TOOL = ToolSpec(
    name="read_audit",
    register=register,
    example={"limit": 5},
)
