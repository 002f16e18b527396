"""The read both event tools share: fetch one event, trim it, render it."""

from typing import Literal

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult

from stacklens.backends.base import Backend
from stacklens.events import Event
from stacklens.refs import RefSyntax, check_event_id, parse_issue_ref
from stacklens.render.event import render_event
from stacklens.tools.base import call, result


async def read_event(
    ctx: Context,
    refs: RefSyntax,
    issue: str,
    event_id: str,
    environment: str | None,
    frames: Literal["relevant", "all"],
    breadcrumbs: int,
) -> CallToolResult:
    async def work(b: Backend) -> Event:
        return await b.get_event(parse_issue_ref(issue, refs), check_event_id(event_id), environment)

    event = await call(ctx, work)
    text, trimmed = render_event(event, frames=frames, breadcrumbs=breadcrumbs)
    return result(text, trimmed)
