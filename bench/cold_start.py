"""Cold start: spawn `stacklens --demo` and time until `initialize` is answered, against the SDK's own import.

    python bench/cold_start.py [--runs 10] [--why]

Target (issue 7): stacklens's cold start ≤ the time of `python -c "import mcp.server.mcpserver"` + 150 ms.
Both columns include interpreter start-up, so their difference is what stacklens itself adds. `--why` prints
the modules that cost most to import at start-up (python -X importtime), to find what to make lazy.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time

from _rpc import StdioServer, clean_env, median, table

TARGET_MS = 150.0


def time_command(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, env=clean_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return (time.perf_counter() - t0) * 1000


def time_initialize(*args: str) -> float:
    t0 = time.perf_counter()
    server = StdioServer(*args)
    try:
        server.initialize()
        return (time.perf_counter() - t0) * 1000
    finally:
        server.close()


def import_costs(top: int = 15) -> list[tuple[int, str]]:
    """Cumulative import time per top-level stacklens start-up import, largest first."""
    code = (
        "import sys; sys.argv=['stacklens','--demo']; from stacklens import cli, config, demo, server;"
        "s=demo.demo_settings(config.resolve({}, demo=True)); server.build_server(s)"
    )
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        env=clean_env(),
        capture_output=True,
        text=True,
        check=True,
    ).stderr
    costs: dict[str, int] = {}
    for line in out.splitlines():
        m = re.match(r"import time:\s+\d+ \|\s+(\d+) \|( *)(\S+)", line)
        if m and len(m.group(2)) <= 2:  # top-level imports only (nested ones are inside their parent's cost)
            costs[m.group(3)] = costs.get(m.group(3), 0) + int(m.group(1))
    return sorted(((us, name) for name, us in costs.items()), reverse=True)[:top]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--why", action="store_true", help="also print the heaviest start-up imports")
    opts = ap.parse_args()

    time_initialize("--demo")  # warm the OS file cache and .pyc files: we measure start-up, not disk
    python = [time_command([sys.executable, "-c", "pass"]) for _ in range(opts.runs)]
    sdk = [time_command([sys.executable, "-c", "import mcp.server.mcpserver"]) for _ in range(opts.runs)]
    sentry = [time_initialize("--demo") for _ in range(opts.runs)]
    jentry = [time_initialize("--demo", "--backend", "jentry") for _ in range(opts.runs)]

    base = median(sdk)
    rows = [
        ["python -c pass", f"{median(python):.0f}", f"{min(python):.0f}", "—"],
        ['python -c "import mcp.server.mcpserver"', f"{base:.0f}", f"{min(sdk):.0f}", "0"],
        ["stacklens --demo → initialize answered", f"{median(sentry):.0f}", f"{min(sentry):.0f}",
         f"{median(sentry) - base:+.0f}"],
        ["stacklens --demo --backend jentry → initialize", f"{median(jentry):.0f}", f"{min(jentry):.0f}",
         f"{median(jentry) - base:+.0f}"],
    ]  # fmt: skip
    print(f"Cold start, {opts.runs} runs each (ms; Python {sys.version.split()[0]}, stdio)\n")
    print(table(["command", "median", "min", "vs SDK import"], rows))
    worst = max(median(sentry), median(jentry)) - base
    verdict = "OK" if worst <= TARGET_MS else "OVER"
    print(f"\nstacklens adds {worst:.0f} ms over the SDK import (target ≤ {TARGET_MS:.0f} ms): {verdict}")

    if opts.why:
        print("\nHeaviest start-up imports (cumulative, ms):\n")
        print(table(["module", "ms"], [[name, f"{us / 1000:.1f}"] for us, name in import_costs()]))


if __name__ == "__main__":
    main()
