"""What an assistant sees: start `stacklens --demo` over stdio with the official MCP client and call the tools.

Run with `make demo`. Uses the built-in sandbox (realistic issues captured with the real sentry-sdk); needs no
token, no org and no network. Walks both upstream APIs: Sentry's, then Jentry's.
"""

from __future__ import annotations

import sys

import anyio
from mcp import Client, StdioServerParameters


def show(title: str, result) -> None:  # type: ignore[no-untyped-def]
    text = "\n".join(getattr(c, "text", "") for c in result.content)
    flag = " (error)" if result.is_error else ""
    print(f"\n━━ {title}{flag} ━━\n{text}")


async def walkthrough(backend: str) -> None:
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "stacklens", "--demo", "--backend", backend]
    )
    async with Client(params) as client:
        tools = await client.list_tools()
        print(f"\n########## stacklens --demo --backend {backend}: {len(tools.tools)} tools ##########")
        show("list_projects()", await client.call_tool("list_projects", {}))

        args = {"level": ["error", "fatal"], "last_seen": "7d", "limit": 5}
        search = await client.call_tool("search_issues", args)
        show(f"search_issues({args})", search)
        issues = (search.structured_content or {}).get("issues") or []
        if not issues:
            return
        first = issues[0]
        ref = first.get("short_id") or first["id"]
        show(f"get_issue(issue={ref!r})", await client.call_tool("get_issue", {"issue": ref}))
        show(f"get_latest_event(issue={ref!r})", await client.call_tool("get_latest_event", {"issue": ref}))
        show(
            f"list_tag_values(issue={ref!r}, key='release')",
            await client.call_tool("list_tag_values", {"issue": ref, "key": "release"}),
        )
        show("list_releases(limit=3)", await client.call_tool("list_releases", {"limit": 3}))
        show("read_audit(limit=3)", await client.call_tool("read_audit", {"limit": 3}))
        await debugging_depth(client, backend)


# The sandbox's issues for the debugging tools: SHOP-1A started with a commit in shop-web@2.3.0; WORKER-7's
# events come from two crash sites. Jentry names issues by numeric id only.
DEPTH_ISSUES = {"sentry": ("SHOP-1A", "WORKER-7"), "jentry": ("101", "119")}


async def debugging_depth(client: Client, backend: str) -> None:
    """When did it start, which commit, one bug or several: one call each."""
    started, mixed = DEPTH_ISSUES[backend]
    for tool, args in (
        ("get_issue_timeline", {"issue": started}),
        ("find_suspect_commits", {"issue": started, "limit": 3}),  # Jentry: a clear error, nothing sent
        ("cluster_issue_events", {"issue": mixed}),
    ):
        shown = ", ".join(f"{k}={v!r}" for k, v in args.items())
        show(f"{tool}({shown})", await client.call_tool(tool, args))


async def main() -> None:
    for backend in ("sentry", "jentry"):
        await walkthrough(backend)


if __name__ == "__main__":
    anyio.run(main)
