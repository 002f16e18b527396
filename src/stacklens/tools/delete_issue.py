"""delete_issue: delete one issue (Sentry schedules it: 202). Registered only with --allow-delete, never with
--read-only."""

from typing import Annotated

from mcp.server.mcpserver import Context, MCPServer
from mcp.types import CallToolResult, ToolAnnotations
from pydantic import Field

from stacklens.backends.base import Backend
from stacklens.errors import NotSupported
from stacklens.models import DeleteResult
from stacklens.refs import parse_issue_ref
from stacklens.render.analysis import render_delete
from stacklens.tools.base import IdText, ToolEnv, ToolSpec, call, result

ANNOTATIONS = ToolAnnotations(
    read_only_hint=False, destructive_hint=True, idempotent_hint=True, open_world_hint=True
)


def register(mcp: MCPServer, env: ToolEnv) -> None:
    note = "" if env.caps.delete else f"Not available on {env.label}: its API has no endpoint for it. "

    @mcp.tool(
        title="Delete issue",
        annotations=ANNOTATIONS,
        description="Permanently delete one issue and its events (cannot be undone). Only when the user asked "
        "for deletion; to hide an issue use update_issue(status='ignored' or 'resolved') instead. "
        + note
        + f"Example: delete_issue(issue='{env.refs.example}')",
    )
    async def delete_issue(
        ctx: Context,
        issue: Annotated[IdText, Field(description=env.refs.forms, min_length=1, max_length=2048)],
    ) -> Annotated[CallToolResult, DeleteResult]:
        async def work(b: Backend) -> DeleteResult:
            ref = parse_issue_ref(issue, env.refs)
            if not env.caps.delete:
                raise NotSupported(
                    f"{env.label}'s API has no endpoint that deletes an issue. Nothing was sent."
                )
            return await b.delete_issue(ref)

        outcome = await call(ctx, work)
        return result(render_delete(outcome), outcome)


TOOL = ToolSpec(
    name="delete_issue",
    register=register,
    write=True,
    enabled=lambda env: env.settings.allow_delete,
    off_hint="delete_issue is not enabled on this server: start it with --allow-delete (STACKLENS_ALLOW_DELETE=1)",
    example={"issue": "{issue}"},
)
