"""`tools/list` size in bytes, as on the wire: what every conversation pays in context before the first call.

    python bench/tools_list_size.py

Target (issue 7): ≤ 14 KB for all tools of what a model reads: name, title, description, input schema and
annotations. The output schemas go on the wire too, but clients keep them for validating structured content
(Claude Code, for one, drops them before the model), so they are reported apart. Measured over stdio (protocol
2025-11-25) from `stacklens --demo`, with the write tools on both backends and with `--read-only`; per tool:
the compact JSON of its entry, split into description and schemas.
"""

from __future__ import annotations

import json

from _rpc import StdioServer, table

TARGET = 14 * 1024


def model_read(tools: list[dict]) -> int:
    """Bytes of the tool list without the output schemas: what a model is shown."""
    return size([{k: v for k, v in t.items() if k != "outputSchema"} for t in tools])


def tools_list(*args: str) -> tuple[int, list[dict]]:
    server = StdioServer("--demo", *args)
    try:
        server.initialize()
        line = server.request({"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {}})
    finally:
        server.close()
    return len(line.rstrip(b"\n")), json.loads(line)["result"]["tools"]


def size(value: object) -> int:
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())


def main() -> None:
    full, tools = tools_list()
    jentry, j_tools = tools_list("--backend", "jentry")
    read_only, ro_tools = tools_list("--read-only")

    rows = []
    for tool in sorted(tools, key=size, reverse=True):
        rows.append([
            tool["name"], str(size(tool)), str(size(tool.get("description", ""))),
            str(size(tool.get("inputSchema", {}))), str(size(tool.get("outputSchema", {}))),
        ])  # fmt: skip
    print("tools/list per tool (bytes of compact JSON)\n")
    print(table(["tool", "total", "description", "inputSchema", "outputSchema"], rows))

    print("\ntools/list (bytes): what a model reads, and the whole response on the wire\n")
    print(
        table(
            ["server", "tools", "model reads", "target", "on the wire"],
            [
                ["stacklens --demo", str(len(tools)), str(model_read(tools)), f"≤ {TARGET}", str(full)],
                ["stacklens --demo --backend jentry", str(len(j_tools)), str(model_read(j_tools)), f"≤ {TARGET}",
                 str(jentry)],
                ["stacklens --demo --read-only", str(len(ro_tools)), str(model_read(ro_tools)), f"≤ {TARGET}",
                 str(read_only)],
            ],
        )
    )  # fmt: skip
    worst = max(model_read(tools), model_read(j_tools))
    print(
        f"\nall tools, as a model reads them: {worst / 1024:.1f} KB at most: {'OK' if worst <= TARGET else 'OVER'}"
    )


if __name__ == "__main__":
    main()
