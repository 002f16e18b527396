"""The examples users copy: both scripts run end to end against `stacklens --demo` (subprocesses, stdio), and
the client config files are valid JSON that starts stacklens the way the CLI and DESIGN expect."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client

from mcp_helpers import subprocess_env
from stacklens.backends import BACKENDS
from stacklens.cli import parser
from stacklens.config import resolve
from stacklens.demo import demo_settings
from stacklens.server import build_server

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
# DESIGN §1.1's environment variables (tests never read ../shared).
# The contract's variables: the general ones, and each registered backend's own.
TOKEN_VARS = {var for d in BACKENDS.values() for var in d.token_vars}
DESIGN_ENV = {
    "STACKLENS_BACKEND", "SENTRY_PROJECT", "STACKLENS_READ_ONLY", "STACKLENS_TIMEOUT", "STACKLENS_HTTP_TOKEN",
    "STACKLENS_ALLOW_DELETE",
    *TOKEN_VARS,
    *(v for d in BACKENDS.values() for v in (d.url_var, *d.org_vars, d.user_id_var) if v),
}  # fmt: skip


def run_example(script: str, *args: str) -> subprocess.CompletedProcess[str]:
    """The script as a user runs it: its own process, no token in the environment (so --demo)."""
    env = subprocess_env({"NETRC": os.devnull})
    return subprocess.run(
        [sys.executable, str(EXAMPLES / script), *args],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


async def demo_search(backend: str, **args: Any) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """The same search in-process against the same demo dataset, with each issue's latest event."""
    settings = demo_settings(resolve({"NETRC": os.devnull}, backend=backend, demo=True))
    async with Client(build_server(settings)) as client:
        page = (await client.call_tool("search_issues", args)).structured_content
        assert page is not None
        events = {}
        for issue in page["issues"]:
            result = await client.call_tool("get_latest_event", {"issue": issue["id"], "breadcrumbs": 0})
            assert not result.is_error
            events[issue["id"]] = result.structured_content
    return page, events


def issue_blocks(stdout: str) -> dict[str, list[str]]:
    """triage.py's output: a header line per issue (`REF  [level] title (…)`) then its indented lines."""
    blocks: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in stdout.splitlines():
        match = re.match(r"^(\S+)  \[(\w+)\] ", line)
        if match:
            current = blocks.setdefault(match.group(1), [])
        elif line.startswith("    ") and current is not None:
            current.append(line.strip())
    return blocks


# --- triage.py ---------------------------------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize("backend", ["sentry", "jentry"])
async def test_triage_prints_new_errors_and_crash_lines(backend: str) -> None:
    done = run_example("triage.py", "--demo", "--backend", backend, "--limit", "20")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    page, events = await demo_search(
        backend, status="unresolved", first_seen="7d", level=["error", "fatal"], sort="events", limit=20
    )
    assert page["issues"], "the demo dataset has new errors this week"
    assert out.startswith(f"{len(page['issues'])} new unresolved error(s) first seen in the last 7d\n")
    assert f"upstream query: {page['query']}\n" in out

    blocks = issue_blocks(out)
    assert list(blocks) == [i.get("short_id") or i["id"] for i in page["issues"]]  # same issues, same order
    for issue in page["issues"]:
        assert issue["level"] in ("error", "fatal")
        lines = blocks[issue.get("short_id") or issue["id"]]
        event = events[issue["id"]]
        if not event["exceptions"]:
            continue
        # The crash line comes from the structured event: its frame's file:line, in our code when it can.
        frames = [f for e in event["exceptions"] for f in e["frames"] if f["kind"] == "frame"]
        locations = {f"{f['file']}:{f['line']} in {f['function']}" for f in frames}
        shown = [line for line in lines if line.startswith(("at ", "raised in ", "from "))]
        assert shown, lines
        for line in shown:
            assert any(loc in line for loc in locations), (line, locations)
        if any(f["in_app"] for f in frames):
            assert any(line.startswith(("at ", "from ")) for line in shown), lines
        assert any(line.startswith("> ") for line in lines), lines  # the source line itself


def test_triage_narrower_window_finds_fewer() -> None:
    week = issue_blocks(run_example("triage.py", "--demo", "--limit", "50").stdout)
    hour = run_example("triage.py", "--demo", "--window", "1h", "--limit", "50")
    assert hour.returncode == 0, hour.stderr
    assert set(issue_blocks(hour.stdout)) <= set(week)
    assert "firstSeen:-1h" in hour.stdout


def test_triage_reports_a_refused_search() -> None:
    done = run_example("triage.py", "--demo", "--window", "yesterday-ish")
    assert done.returncode == 1
    assert "search_issues failed" in done.stderr and "Traceback" not in done.stderr


# --- ci_release.py -----------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["sentry", "jentry"])
def test_ci_release_with_given_commits_and_deploy(backend: str) -> None:
    done = run_example(
        "ci_release.py", "shop@9.1.0", "--demo", "--backend", backend,
        "--commit", "a1b2c3d4e5:Fix the cart total", "--commit", "b2c3d4e5f6:Retry payments",
        "--environment", "production",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert re.fullmatch(r"release shop@9\.1\.0 \(\S+\): created", lines[0]), lines[0]
    assert "  commits: 2" in lines
    assert "  deploy to production: recorded" in lines


@pytest.mark.parametrize("backend", ["sentry", "jentry"])
def test_ci_release_readme_command_lands_in_the_project_the_readme_names(backend: str) -> None:
    # the README's own command, with --demo: the release goes to the project the README says (the version's)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"python examples/ci_release\.py (\S+) --environment production", readme)
    assert match, "the README shows ci_release.py"
    version = match.group(1)
    project = version.partition("@")[0]
    assert f"`{version}` → `{project}`" in readme
    done = run_example(
        "ci_release.py", version, "--environment", "production", "--demo", "--backend", backend,
        "--commit", "a1b2c3d4e5:Fix the cart total",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == f"release {version} ({project}): created"
    other = run_example(
        "ci_release.py", "checkout-api@2.0.0", "--demo", "--backend", backend, "--commit", "abc1234:x"
    )
    assert other.stdout.splitlines()[0] == "release checkout-api@2.0.0 (checkout-api): created", other.stderr


def test_ci_release_reads_git_log() -> None:
    if subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True).returncode != 0:
        pytest.skip("not a git checkout")
    done = run_example("ci_release.py", "shop@9.2.0", "--demo", "--backend", "jentry", "--max-commits", "3")
    assert done.returncode == 0, done.stderr
    assert "release shop@9.2.0" in done.stdout and "  commits: 3" in done.stdout.splitlines()
    assert "deploy to" not in done.stdout  # no --environment, no deploy


def test_ci_release_failure_exits_nonzero() -> None:
    done = run_example("ci_release.py", "bad\x01version", "--demo", "--commit", "abc1234:x")
    assert done.returncode == 1
    assert "create_release failed" in done.stderr and "control characters" in done.stderr


# --- client configs ----------------------------------------------------------------------------------


def _servers(name: str) -> dict[str, Any]:
    config = json.loads((EXAMPLES / name).read_text(encoding="utf-8"))
    return config["servers"] if name == "vscode-mcp.json" else config["mcpServers"]


@pytest.mark.parametrize("name", ["claude_desktop_config.json", "vscode-mcp.json", "cursor-mcp.json"])
def test_client_config_starts_stacklens(name: str) -> None:
    servers = _servers(name)
    entry = servers["stacklens"]
    # what works before any PyPI release: the installed console script, or uvx from the git repository
    # (tests/test_install.py runs each of them)
    if entry["command"] == "uvx":
        assert entry["args"][:3] == ["--from", "git+https://github.com/stacklens/stacklens", "stacklens"]
        flags = entry["args"][3:]
    else:
        assert Path(entry["command"]).is_absolute() and Path(entry["command"]).name == "stacklens"
        flags = entry["args"]
    parser().parse_args(flags)  # flags the CLI accepts (argparse exits on a bad one)
    assert set(entry["env"]) <= DESIGN_ENV
    assert set(entry["env"]) & TOKEN_VARS, "a token variable"
    for var in TOKEN_VARS & set(entry["env"]):
        value = entry["env"][var]
        # a placeholder or a reference, never something that could pass for a real token
        assert "your" in value or value.startswith("${"), value


def test_vscode_config_prompts_for_the_token_as_a_password() -> None:
    config = json.loads((EXAMPLES / "vscode-mcp.json").read_text(encoding="utf-8"))
    inputs = {i["id"]: i for i in config["inputs"]}
    token_ref = config["servers"]["stacklens"]["env"]["SENTRY_AUTH_TOKEN"]
    match = re.fullmatch(r"\$\{input:([\w-]+)\}", token_ref)
    assert match and inputs[match.group(1)]["password"] is True
    assert inputs[match.group(1)]["type"] == "promptString"
    assert config["servers"]["stacklens"]["type"] == "stdio"


def _readme_json_blocks() -> list[dict[str, Any]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```json\n(.*?)```", text, flags=re.S)
    parsed = []
    for block in blocks:
        body = block.strip()
        config = json.loads("{" + body + "}" if body.startswith('"') else body)  # fragments: an "env" object
        assert isinstance(config, dict)
        parsed.append(config)
    return parsed


def test_readme_json_blocks_parse_and_match_the_example_files() -> None:
    blocks = _readme_json_blocks()
    assert len(blocks) >= 5
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in ("claude_desktop_config.json", "vscode-mcp.json", "cursor-mcp.json"):
        assert f"(examples/{name})" in readme, f"README links examples/{name}"
        example = json.loads((EXAMPLES / name).read_text(encoding="utf-8"))
        assert example in blocks, f"the README's block for {name} differs from the file"
    for config in blocks:  # every env shown uses only real variables, and tokens only as placeholders
        servers = config.get("mcpServers") or config.get("servers") or {}
        envs = [entry.get("env", {}) for entry in servers.values()] or [config.get("env", {})]
        for env in envs:
            assert set(env) <= DESIGN_ENV, env
            for var in TOKEN_VARS & set(env):
                assert "your" in env[var] or env[var].startswith("${"), env[var]


def test_readme_documents_every_tool_flag_and_variable() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    settings = demo_settings(resolve({"NETRC": os.devnull}, demo=True))
    tools = anyio.run(_tool_params, settings)
    for tool, params in tools.items():
        assert f"`{tool}`" in readme, tool
        row = next(line for line in readme.splitlines() if line.startswith(f"| `{tool}` |"))
        for param in params:
            assert f"`{param}" in row, (tool, param)
    for flag in (f for action in parser()._actions for f in action.option_strings if f.startswith("--")):
        if flag not in ("--help", "--version"):
            assert f"`{flag}" in readme, flag
    for var in DESIGN_ENV | {"STACKLENS_LOG_LEVEL"}:
        assert var in readme, var


async def _tool_params(settings: Any) -> dict[str, list[str]]:
    async with Client(build_server(settings)) as client:
        listed = await client.list_tools()
    return {t.name: list((t.input_schema or {}).get("properties", {})) for t in listed.tools}
