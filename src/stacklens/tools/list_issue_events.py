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


def _query_help(env: ToolEnv) -> str:
    if env.caps.event_query:
        return "Event search, Sentry syntax, e.g. user.email:x release:1.2 (sent as the events query)"
    return f"Event search (Sentry only: refused on {env.label}, nothing sent)"


def _period_help(env: ToolEnv) -> str:
    where = "sent as statsPeriod" if env.caps.event_query else f"applied client-side on {env.label}, said so"
    return f"Only events within the last 24h, 7d, 2w… or since an ISO date ({where})"


def register(mcp: MCPServer, env: ToolEnv) -> None:
    @mcp.tool(
        title="List issue events",
        annotations=READ,
        description="Recent events of an issue, newest first: id, time, release, environment, user id, message. "
        f"Pass an id to get_event for details. Example: list_issue_events(issue='{env.refs.example}', limit=5, "
        "period='24h')",
    )
    async def list_issue_events(
        ctx: Context,
        issue: Annotated[IdText, Field(description=env.refs.forms, min_length=1, max_length=2048)],
        limit: Annotated[int, Field(description="How many events", ge=1, le=100)] = 10,
        environment: EnvArg = None,
        query: Annotated[str | None, Field(description=_query_help(env), max_length=1000)] = None,
        period: Annotated[str | None, Field(description=_period_help(env), max_length=40)] = None,
        cursor: CursorArg = None,
    ) -> Annotated[CallToolResult, EventList]:
        async def work(b: Backend) -> EventList:
            ref = parse_issue_ref(issue, env.refs)
            return await b.list_issue_events(ref, limit, environment, cursor, query=query, period=period)

        events = await call(ctx, work)
        return result(records.render_event_list(events), events)


TOOL = ToolSpec(
    name="list_issue_events",
    register=register,
    example={"issue": "{issue}", "limit": 5},
)
