"""search_issues: natural filters → the exact upstream query, one line per issue."""

from typing import Annotated, Literal

from mcp.server.mcpserver import Context, MCPServer
from mcp.types import CallToolResult
from pydantic import BeforeValidator, Field

from stacklens.backends.base import Backend
from stacklens.models import IssuePage
from stacklens.query import IssueFilter
from stacklens.render import records
from stacklens.tools.base import READ, ToolEnv, ToolSpec, call, progress, result
from stacklens.tools.params import CursorArg, Levels, ProjectArg, lower_enum


def register(mcp: MCPServer, env: ToolEnv) -> None:
    @mcp.tool(
        title="Search issues",
        annotations=READ,
        description=f"Find {env.label} issues with natural filters; stacklens builds the exact upstream query "
        "and shows it. Use this first, then get_issue/get_latest_event on a result. Example: "
        "search_issues(project='checkout', first_seen='24h', level=['error','fatal'])",
    )
    async def search_issues(
        ctx: Context,
        query: Annotated[
            str | None,
            Field(
                description="Free text in title/culprit (Sentry syntax like level:error is read as such)",
                max_length=1000,
            ),
        ] = None,
        status: Annotated[
            Literal["unresolved", "resolved", "ignored", "all"],
            BeforeValidator(lower_enum),
            Field(description="Issue status"),
        ] = "unresolved",
        level: Levels = None,
        environment: Annotated[
            str | list[str] | None,
            Field(description="Environment(s), e.g. production" + env.unsupported("environment")),
        ] = None,
        release: Annotated[
            str | None, Field(description="Release version, e.g. shop@1.4.2", max_length=250)
        ] = None,
        assigned: Annotated[str | None, Field(description=env.caps.assigned_help, max_length=200)] = None,
        first_seen: Annotated[
            str | None,
            Field(
                description="First seen within ('30m','24h','7d'), since 'today'/'yesterday' (UTC) or an ISO date"
            ),
        ] = None,
        last_seen: Annotated[
            str | None, Field(description="Last seen within ('7d'), since 'today'/'yesterday' or an ISO date")
        ] = None,
        min_events: Annotated[int | None, Field(description="At least this many events", ge=0)] = None,
        tags: Annotated[
            dict[str, str | list[str]] | None,
            Field(
                description="Tag filters {browser: Chrome}; a list = any of; key '!k' negates"
                + env.unsupported("tags")
            ),
        ] = None,
        project: ProjectArg = None,
        sort: Annotated[
            Literal["last_seen", "first_seen", "events", "users", "trends"],
            BeforeValidator(lower_enum),
            Field(description="Order"),
        ] = "last_seen",
        limit: Annotated[int, Field(description="Issues per page", ge=1, le=100)] = 25,
        cursor: CursorArg = None,
        sentry_query: Annotated[
            str | None,
            Field(
                description="Raw Sentry search syntax, appended" + env.unsupported("sentry_query"),
                max_length=2000,
            ),
        ] = None,
    ) -> Annotated[CallToolResult, IssuePage]:
        async def work(b: Backend) -> IssuePage:
            f = IssueFilter.build(
                query=query, status=status, level=level if level is None or isinstance(level, str) else [*level], environment=environment, release=release,
                assigned=assigned, first_seen=first_seen, last_seen=last_seen, min_events=min_events,
                tags=tags, project=project, sort=sort, limit=limit, cursor=cursor, sentry_query=sentry_query,
            )  # fmt: skip
            return await b.search_issues(f, progress(ctx))

        page = await call(ctx, work)
        return result(records.render_issue_page(page), page)


TOOL = ToolSpec(
    name="search_issues",
    register=register,
    example={"query": "Error", "level": ["error", "fatal"], "limit": 5},
)
