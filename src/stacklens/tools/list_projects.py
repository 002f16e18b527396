"""list_projects: the projects the token can see."""

from typing import Annotated

from mcp.server.mcpserver import Context, MCPServer
from mcp.types import CallToolResult

from stacklens.models import ProjectList
from stacklens.render import records
from stacklens.tools.base import READ, ToolEnv, ToolSpec, call, result


def register(mcp: MCPServer, env: ToolEnv) -> None:
    @mcp.tool(
        title="List projects",
        annotations=READ,
        description=f"The {env.label} projects the token can see: id, slug, name, platform (find a project's "
        "slug here). Example: list_projects()",
    )
    async def list_projects(ctx: Context) -> Annotated[CallToolResult, ProjectList]:
        projects = await call(ctx, lambda b: b.list_projects())
        return result(records.render_projects(projects), ProjectList(projects=projects))


TOOL = ToolSpec(name="list_projects", register=register)
