"""Resource templates: `{scheme}://issues/{issue}`, its latest event, one event (scheme = the backend's name)."""

from collections.abc import Awaitable, Callable

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ToolError
from mcp.types import Resource

from stacklens.backends.base import Backend
from stacklens.models import IssuePage
from stacklens.query import IssueFilter
from stacklens.refs import check_event_id, parse_issue_ref
from stacklens.render import records
from stacklens.tools.base import ToolEnv, app_state, call
from stacklens.tools.event_read import render_off_loop

RECENT_ISSUES = 10  # how many issues resources/list offers
RESOURCE_LIST_SECONDS = 5.0  # resources/list is called at connect by some clients: never hold it long


async def _read(ctx: Context, work: Callable[[Backend], Awaitable[str]]) -> str:
    try:
        return await call(ctx, work)
    except ToolError as exc:
        raise ResourceError(str(exc)) from None


def register(mcp: MCPServer, env: ToolEnv) -> None:
    scheme, refs = env.backend.scheme, env.refs
    forms = "id or short id" if refs.short_ids else "id"

    @mcp.resource(
        f"{scheme}://issues/{{issue}}",
        name="issue",
        title="Issue summary",
        description=f"Summary of a {env.label} issue ({forms})",
        mime_type="text/markdown",
    )
    async def issue_resource(issue: str, ctx: Context) -> str:
        async def work(b: Backend) -> str:
            return records.render_issue(await b.get_issue(parse_issue_ref(issue, refs)))

        return await _read(ctx, work)

    @mcp.resource(
        f"{scheme}://issues/{{issue}}/events/latest",
        name="latest_event",
        title="Latest event",
        description="The issue's newest event, trimmed",
        mime_type="text/markdown",
    )
    async def latest_event_resource(issue: str, ctx: Context) -> str:
        async def work(b: Backend) -> str:
            event = await b.get_event(parse_issue_ref(issue, refs), "latest")
            return (await render_off_loop(app_state(ctx).upstream.scrub, event))[0]  # as the tools

        return await _read(ctx, work)

    @mcp.resource(
        f"{scheme}://issues/{{issue}}/events/{{event_id}}",
        name="event",
        title="Event",
        description="One event of the issue (id, latest, oldest, recommended), trimmed",
        mime_type="text/markdown",
    )
    async def event_resource(issue: str, event_id: str, ctx: Context) -> str:
        async def work(b: Backend) -> str:
            event = await b.get_event(parse_issue_ref(issue, refs), check_event_id(event_id))
            return (await render_off_loop(app_state(ctx).upstream.scrub, event))[0]

        return await _read(ctx, work)


async def recent_issue_resources(ctx: Context) -> list[Resource]:
    """The newest unresolved issues as concrete resources, so a client's resource picker shows something real."""
    scheme = app_state(ctx).settings.descriptor.scheme

    async def work(b: Backend) -> IssuePage:
        return await b.search_issues(IssueFilter.build(status="unresolved", limit=RECENT_ISSUES))

    page = await call(ctx, work)
    listed = []
    for issue in page.issues:
        name = issue.short_id or issue.id
        facts = [f for f in (issue.level, f"{issue.count} events" if issue.count is not None else None) if f]
        listed.append(
            Resource(
                uri=f"{scheme}://issues/{issue.id}",
                name=name,
                title="".join(c for c in (issue.title or name) if c.isprintable())[:120],
                description=" · ".join(facts) or None,
                mime_type="text/markdown",
            )
        )
    return listed
