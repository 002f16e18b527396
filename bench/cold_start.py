"""Cold start: spawn `stacklens --demo` and time until `initialize` is answered, against the SDK's own import.

    python bench/cold_start.py [--runs 10] [--why]

Target (issue 7): stacklens's cold start ≤ the time of `python -c "import mcp.server.mcpserver"` + 150 ms.
Every row is spawn → first line on stdout (the server's answer, or a print after the import), so all include
interpreter start-up and none its shutdown; the difference is what stacklens itself adds. `--why` lists the
imports stacklens adds to the SDK's own (python -X importtime), to find what to make lazy.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time

from _rpc import StdioServer, clean_env, median, table

TARGET_MS = 150.0
SDK_IMPORT = "import mcp.server.mcpserver"
# A real configuration: initialize never contacts the upstream, so a made-up token and org cost nothing.
REAL_ENV = {
    "SENTRY_AUTH_TOKEN": "bench-not-a-token",
    "SENTRY_ORG": "acme",
    "SENTRY_URL": "https://sentry.invalid",
}


def time_to_first_line(code: str) -> float:
    """Spawn → the first stdout line: like the server's timing, it stops before interpreter shutdown."""
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code], env=clean_env(), stdout=subprocess.PIPE)
    assert proc.stdout is not None
    proc.stdout.readline()
    elapsed = (time.perf_counter() - t0) * 1000
    proc.wait()
    return elapsed


def time_initialize(*args: str, env: dict[str, str] | None = None) -> float:
    t0 = time.perf_counter()
    server = StdioServer(*args, env=env)
    try:
        server.initialize()
        return (time.perf_counter() - t0) * 1000
    finally:
        server.close()


def _self_times(code: str) -> dict[str, int]:
    """module → its own import time in µs (python -X importtime), for one interpreter start."""
    cmd = [sys.executable, "-X", "importtime", "-c", code]
    out = subprocess.run(cmd, env=clean_env(), capture_output=True, text=True, check=True).stderr
    times = {}
    for line in out.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+\d+ \| *(\S+)", line)
        if m:
            times[m.group(2)] = int(m.group(1))
    return times


def import_costs(top: int = 12) -> list[tuple[int, str]]:
    """What stacklens's start-up imports beyond the SDK's own, by self time: stacklens modules one by one,
    third-party packages summed per package."""
    sdk = _self_times(SDK_IMPORT)
    ours = _self_times(
        "from stacklens import cli, config, demo, server; server.build_server(demo.demo_settings("
        "config.resolve({}, demo=True)))"
    )
    costs: dict[str, int] = {}
    for module, us in ours.items():
        if module not in sdk:
            key = module if module.startswith("stacklens") else module.split(".")[0]
            costs[key] = costs.get(key, 0) + us
    return sorted(((us, name) for name, us in costs.items()), reverse=True)[:top]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--why", action="store_true", help="also print the heaviest start-up imports")
    opts = ap.parse_args()

    time_initialize("--demo")  # warm the OS file cache and .pyc files: we measure start-up, not disk
    python: list[float] = []
    sdk: list[float] = []
    sentry: list[float] = []
    jentry: list[float] = []
    real: list[float] = []
    for _ in range(opts.runs):  # interleaved, so drift in machine load hits every column alike
        python.append(time_to_first_line("print()"))
        sdk.append(time_to_first_line(SDK_IMPORT + "; print()"))
        sentry.append(time_initialize("--demo"))
        jentry.append(time_initialize("--demo", "--backend", "jentry"))
        real.append(time_initialize(env=REAL_ENV))

    base = median(sdk)
    rows = [
        ['python -c "print()"', f"{median(python):.0f}", f"{min(python):.0f}", "—"],
        [f'python -c "{SDK_IMPORT}"', f"{base:.0f}", f"{min(sdk):.0f}", "0"],
        ["stacklens --demo → initialize answered", f"{median(sentry):.0f}", f"{min(sentry):.0f}",
         f"{median(sentry) - base:+.0f}"],
        ["stacklens --demo --backend jentry → initialize", f"{median(jentry):.0f}", f"{min(jentry):.0f}",
         f"{median(jentry) - base:+.0f}"],
        ["stacklens (Sentry env, https URL) → initialize", f"{median(real):.0f}", f"{min(real):.0f}",
         f"{median(real) - base:+.0f}"],
    ]  # fmt: skip
    print(f"Cold start, {opts.runs} runs each (ms; Python {sys.version.split()[0]}, stdio)\n")
    print(table(["command", "median", "min", "vs SDK import"], rows))
    worst = max(median(sentry), median(jentry), median(real)) - base
    verdict = "OK" if worst <= TARGET_MS else "OVER"
    print(f"\nstacklens adds {worst:.0f} ms over the SDK import (target ≤ {TARGET_MS:.0f} ms): {verdict}")

    if opts.why:
        print("\nImports stacklens adds to the SDK's (self time, one run under -X importtime, ms):\n")
        print(table(["module", "ms"], [[name, f"{us / 1000:.1f}"] for us, name in import_costs()]))


if __name__ == "__main__":
    main()
