"""The tools, one module each. A new tool is one module plus one line in TOOLS."""
# No `from __future__ import annotations` in any tool module: the SDK evaluates each tool's
# annotations against its module globals, and descriptions that depend on the backend live in a closure.

from stacklens.tools import (
    cluster_issue_events,
    create_release,
    delete_issue,
    find_suspect_commits,
    get_event,
    get_issue,
    get_issue_timeline,
    get_latest_event,
    list_issue_events,
    list_projects,
    list_releases,
    list_tag_values,
    read_audit,
    search_issues,
    update_issue,
)
from stacklens.tools.base import ToolEnv, ToolSpec

TOOLS: tuple[ToolSpec, ...] = (
    list_projects.TOOL,
    search_issues.TOOL,
    get_issue.TOOL,
    get_latest_event.TOOL,
    get_event.TOOL,
    list_issue_events.TOOL,
    list_tag_values.TOOL,
    list_releases.TOOL,
    read_audit.TOOL,
    update_issue.TOOL,
    create_release.TOOL,
    get_issue_timeline.TOOL,
    find_suspect_commits.TOOL,
    cluster_issue_events.TOOL,
    delete_issue.TOOL,
)
WRITE_TOOLS = frozenset(t.name for t in TOOLS if t.write)


def selected(env: ToolEnv) -> list[ToolSpec]:
    """The tools this configuration registers: writes are absent with --read-only."""
    return [t for t in TOOLS if t.enabled(env) and not (t.write and env.settings.read_only)]


__all__ = ["TOOLS", "WRITE_TOOLS", "ToolEnv", "ToolSpec", "selected"]
