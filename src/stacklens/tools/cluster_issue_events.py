"""cluster_issue_events: one bug or several? Recent events grouped by crash signature."""

from typing import Annotated

from mcp.server.mcpserver import Context, MCPServer
from mcp.types import CallToolResult
from pydantic import Field

from stacklens.analysis import Clusters, cluster_events
from stacklens.backends.base import Backend
from stacklens.refs import parse_issue_ref
from stacklens.render.analysis import render_clusters
from stacklens.tools.base import READ, IdText, ToolEnv, ToolSpec, call, result
from stacklens.tools.params import EnvArg


def register(mcp: MCPServer, env: ToolEnv) -> None:
    @mcp.tool(
        title="Cluster issue events",
        annotations=READ,
        description="One bug or several? Recent events grouped by signature (in-app crash frame, exception "
        "type, message with numbers/ids/quoted values normalized): count, share, first/last seen, releases, "
        "environments, a representative event id (for get_event), what sets each group apart. "
        f"Example: cluster_issue_events(issue='{env.refs.example}', limit=100)",
    )
    async def cluster_issue_events(
        ctx: Context,
        issue: Annotated[IdText, Field(description=env.refs.forms, min_length=1, max_length=2048)],
        limit: Annotated[int, Field(description="How many recent events to group", ge=1, le=1000)] = 100,
        environment: EnvArg = None,
    ) -> Annotated[CallToolResult, Clusters]:
        async def work(b: Backend) -> Clusters:
            ref = parse_issue_ref(issue, env.refs)
            wanted = environment.strip() if environment and environment.strip() else None
            events = await b.recent_events(ref, limit, wanted)
            notes: list[str] = []
            if len(events) >= limit:
                notes.append(
                    f"the {len(events)} most recent events (a sample): raise limit to see older ones"
                )
            elif len(events) >= 100:
                notes.append(f"{env.label} returned its {len(events)} most recent events: possibly a sample")
            return cluster_events(str(ref), events, environment=wanted, notes=notes)

        clusters = await call(ctx, work)
        return result(render_clusters(clusters), clusters)


TOOL = ToolSpec(
    name="cluster_issue_events",
    register=register,
    example={"issue": "{issue}", "limit": 50},
)
