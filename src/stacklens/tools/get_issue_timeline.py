"""get_issue_timeline: when and where an issue started, and whether it still happens."""

from typing import Annotated

from mcp.server.mcpserver import Context, MCPServer
from mcp.types import CallToolResult
from pydantic import Field

from stacklens.analysis import Timeline, build_timeline
from stacklens.backends.base import Backend
from stacklens.models import TagValue
from stacklens.refs import IssueRef, parse_issue_ref
from stacklens.render.analysis import render_timeline
from stacklens.render.inline import code
from stacklens.tools.base import READ, IdText, ToolEnv, ToolSpec, call, result
from stacklens.tools.history import (
    counts_from_events,
    deploys_of,
    issue_project,
    neighbours,
    project_releases,
)
from stacklens.tools.params import EnvArg

SAMPLE = 100  # events read when counting per release for one environment


def _source_note(env: ToolEnv) -> str:
    if not env.caps.deploys:
        return f"{env.label}: counts from recent events (a sample), no deploys. "
    return ""


async def _when_seen(b: Backend, ref: IssueRef, counts: list[TagValue], notes: list[str]) -> list[TagValue]:
    """A tracker whose tag values carry counts only (GlitchTip): when each release was first and last seen,
    from the issue's most recent events. Exact when they are all of its events; else said to be a sample."""
    events = await b.recent_events(ref, SAMPLE, None)
    seen = {v.value: v for v in counts_from_events(events)}
    filled = [
        v.model_copy(update={"first_seen": seen[v.value].first_seen, "last_seen": seen[v.value].last_seen})
        if v.value in seen
        else v
        for v in counts
    ]
    total = sum(v.count or 0 for v in counts)
    if len(events) < total:
        notes.append(
            f"first/last seen per release from the {len(events)} most recent of {total:,} events:"
            " an older release's first sighting may be earlier"
        )
    return filled


def register(mcp: MCPServer, env: ToolEnv) -> None:
    @mcp.tool(
        title="Issue timeline",
        annotations=READ,
        description="Did it start with a deploy, does it still happen? Per release the issue occurred in: "
        "events, first/last seen, deploys; plus verdicts (first seen in X, deployed …; still occurring in the "
        "newest release / no events since …; regressed). Which commit: find_suspect_commits. "
        + _source_note(env)
        + f"Example: get_issue_timeline(issue='{env.refs.example}')",
    )
    async def get_issue_timeline(
        ctx: Context,
        issue: Annotated[IdText, Field(description=env.refs.forms, min_length=1, max_length=2048)],
        environment: EnvArg = None,
    ) -> Annotated[CallToolResult, Timeline]:
        async def work(b: Backend) -> Timeline:
            ref = parse_issue_ref(issue, env.refs)
            wanted = environment.strip() if environment and environment.strip() else None
            found = await b.get_issue(ref)
            notes: list[str] = []
            if wanted:
                events = await b.recent_events(ref, SAMPLE, wanted)
                counts = counts_from_events(events)
                notes.append(
                    f"per-release counts from the {len(events)} most recent event(s) in {code(wanted, 60)}"
                    + (" (a sample)" if len(events) >= SAMPLE else "")
                )
            else:
                tags = await b.list_tag_values(ref, "release", 100)
                counts = tags.values
                # The timeline says itself when counts are a sample (they cover fewer events than the issue
                # has); of the tag notes only "more values than one page" adds to that.
                notes += [n for n in tags.notes if "more values" in n]
                if counts and not any(v.first_seen or v.last_seen for v in counts):
                    counts = await _when_seen(b, ref, counts, notes)
            releases = await project_releases(b, found, notes)
            order, _ = neighbours(releases, found.first_release)
            deploys = {}
            if env.caps.deploys:
                versions = [v.value for v in counts if v.value]
                versions = [*(x for x in (found.first_release, order[-1] if order else None) if x), *versions]
                deploys = await deploys_of(b, versions, issue_project(found), notes)
            else:
                notes.append(f"{env.label}'s API does not return deploys: none shown")
            return build_timeline(found, counts, releases, deploys, environment=wanted, notes=notes)

        timeline = await call(ctx, work)
        return result(render_timeline(timeline), timeline)


TOOL = ToolSpec(
    name="get_issue_timeline",
    register=register,
    example={"issue": "{issue}"},
)
