"""update_issue: resolve, ignore, reopen, assign, bookmark or mark seen, each outcome confirmed upstream."""

from typing import Annotated, Literal

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, ToolAnnotations
from pydantic import BeforeValidator, Field

from stacklens.backends.base import UPDATE_FIELDS, Backend
from stacklens.errors import InvalidInput, NotSupported
from stacklens.models import IssueChange, UpdateResult
from stacklens.refs import parse_issue_refs
from stacklens.render import records
from stacklens.tools.base import IdText, ToolEnv, ToolSpec, call, progress, result
from stacklens.tools.params import lower_enum

ANNOTATIONS = ToolAnnotations(
    read_only_hint=False, destructive_hint=True, idempotent_hint=True, open_world_hint=True
)


def _limits_note(env: ToolEnv) -> str:
    """What this backend cannot change, said up front (Sentry can change everything the tool has)."""
    caps = env.caps
    missing = [s for s in ("resolved_in_next_release",) if s not in caps.update_statuses]
    if not missing and tuple(caps.update_fields) == UPDATE_FIELDS:
        return ""
    status = f"status (no {', '.join(missing)})" if missing else "status"
    return f"{env.label}: {' and '.join([status, *caps.update_fields])} only. "


def _nothing_to_change(env: ToolEnv) -> str:
    fields = ["status", *env.caps.update_fields]
    if tuple(env.caps.update_fields) == UPDATE_FIELDS:
        return "nothing to change: pass status, in_release, assignee, ignore_*, bookmarked or seen"
    return "nothing to change: pass " + " or ".join(fields)


def _unsupported_fields(env: ToolEnv, given: dict[str, object]) -> None:
    """A field this backend cannot change is refused before anything is sent (never silently dropped)."""
    refused = [
        name for name, value in given.items() if value is not None and name not in env.caps.update_fields
    ]
    if refused:
        can = ", ".join(["status", *env.caps.update_fields])
        raise NotSupported(
            f"{', '.join(refused)}: not supported by {env.label} (it can change {can}); nothing was changed."
        )


def _in_release_example(env: ToolEnv) -> str:
    if "in_release" not in env.caps.update_fields:
        return ""
    return f" Resolve in a release: update_issue(issue='{env.refs.example}', status='resolved', in_release='shop@1.4.3')."


def register(mcp: MCPServer, env: ToolEnv) -> None:
    a, b = env.refs.example_pair

    @mcp.tool(
        title="Update issue",
        annotations=ANNOTATIONS,
        description="Resolve, ignore, reopen, assign, bookmark or mark seen one issue or several; the answer "
        "reports what the upstream confirmed per issue. "
        + _limits_note(env)
        + f"Example: update_issue(issue=['{a}','{b}'], status='resolved')."
        + _in_release_example(env),
    )
    async def update_issue(
        ctx: Context,
        issue: Annotated[IdText | list[IdText], Field(description=f"{env.refs.forms}, or a list")],
        status: Annotated[
            Literal["resolved", "resolved_in_next_release", "unresolved", "ignored"] | None,
            BeforeValidator(lower_enum),
            Field(description="New status"),
        ] = None,
        in_release: Annotated[
            str | None,
            Field(
                description="Resolve in this release version (with status='resolved'), e.g. shop@1.4.3"
                + ("" if "in_release" in env.caps.update_fields else f" ({env.label}: not supported)"),
                max_length=250,
            ),
        ] = None,
        assignee: Annotated[str | None, Field(description=env.caps.assignee_help, max_length=200)] = None,
        ignore_minutes: Annotated[
            int | None, Field(description="Ignore for N minutes", ge=1, le=525600)
        ] = None,
        ignore_count: Annotated[int | None, Field(description="Ignore until N more events", ge=1)] = None,
        bookmarked: Annotated[bool | None, Field(description="Bookmark or un-bookmark")] = None,
        seen: Annotated[bool | None, Field(description="Mark seen or unseen")] = None,
    ) -> Annotated[CallToolResult, UpdateResult]:
        async def work(backend: Backend) -> UpdateResult:
            refs = parse_issue_refs(issue, env.refs)
            _unsupported_fields(env, {
                "in_release": in_release, "assignee": assignee, "ignore_minutes": ignore_minutes,
                "ignore_count": ignore_count, "bookmarked": bookmarked, "seen": seen,
            })  # fmt: skip
            change = IssueChange(
                status=status, in_release=in_release, assignee=assignee, ignore_minutes=ignore_minutes,
                ignore_count=ignore_count, bookmarked=bookmarked, seen=seen,
            )  # fmt: skip
            if change.is_empty():
                raise InvalidInput(_nothing_to_change(env))
            return await backend.update_issues(refs, change, progress(ctx))

        outcome = await call(ctx, work)
        text = records.render_update(outcome)
        if outcome.outcomes and not any(o.ok for o in outcome.outcomes):
            raise ToolError(text)
        return result(text, outcome)


TOOL = ToolSpec(
    name="update_issue",
    register=register,
    write=True,
    example={"issue": "{issue}", "status": "resolved"},
)
