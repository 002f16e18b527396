"""The read both event tools (and the event resources) share: fetch one event, trim it, render it.

Trimming and rendering are CPU work on a possibly huge event: they run in a worker thread, so one big event
never stalls the other clients of the same server. The text is scrubbed of the upstream token last.
"""

from collections.abc import Callable
from functools import partial
from typing import Literal

import anyio.to_thread
from mcp.server.mcpserver import Context
from mcp.types import CallToolResult

from stacklens.backends.base import Backend
from stacklens.events import Event
from stacklens.refs import RefSyntax, check_event_id, parse_issue_ref
from stacklens.render.event import TrimmedEvent, render_event
from stacklens.tools.base import app_state, call, result


async def render_off_loop(
    scrub: Callable[[str], str],
    event: Event,
    frames: Literal["relevant", "all"] = "relevant",
    breadcrumbs: int = 10,
) -> tuple[str, TrimmedEvent]:
    """`render_event` in a worker thread (the request's context, hence its token, goes along)."""
    work = partial(render_event, event, frames=frames, breadcrumbs=breadcrumbs, scrub=scrub)
    return await anyio.to_thread.run_sync(work)


async def read_event(
    ctx: Context,
    refs: RefSyntax,
    issue: str,
    event_id: str,
    environment: str | None,
    frames: Literal["relevant", "all"],
    breadcrumbs: int,
) -> CallToolResult:
    scrub = app_state(ctx).upstream.scrub

    async def work(b: Backend) -> tuple[str, TrimmedEvent]:
        event = await b.get_event(parse_issue_ref(issue, refs), check_event_id(event_id), environment)
        return await render_off_loop(scrub, event, frames, breadcrumbs)

    text, trimmed = await call(ctx, work)
    return result(text, trimmed)
