"""Shipping: every client config the README and examples/ show starts the server; nothing claims the package is
on PyPI before it is; the release and CI workflows keep their contract; the HTTP transport says where it
listens and its gate does not look like OAuth to clients; the small CLI/config messages read right."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from mcp import Client, StdioServerParameters

from mcp_helpers import subprocess_env
from stacklens.cli import parser
from stacklens.config import resolve
from stacklens.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
EXAMPLE_CONFIGS = ("claude_desktop_config.json", "vscode-mcp.json", "cursor-mcp.json")
PROJECT_URL = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["urls"][
    "Homepage"
]
GIT_URL = f"git+{PROJECT_URL}"
# The installed console script next to this interpreter: what `make demo` / `pip install .` put in the venv.
LOCAL_STACKLENS = Path(sys.executable).with_name("stacklens")
TOKEN_VARS = {"SENTRY_AUTH_TOKEN", "SENTRY_ACCESS_TOKEN", "JENTRY_AUTH_TOKEN", "STACKLENS_HTTP_TOKEN"}
PYPI_LABEL = re.compile(r"once (stacklens is )?published on pypi", re.I)


@dataclass
class Shown:
    """One stdio server entry as a user would copy it, and where it was shown."""

    where: str
    command: str
    args: list[str]
    env: dict[str, str]
    context: str  # the text before it (README) or "" (example files)


def _entries(config: dict[str, Any], where: str, context: str) -> list[Shown]:
    servers = config.get("mcpServers") or config.get("servers") or {}
    return [
        Shown(
            f"{where}:{name}",
            entry["command"],
            list(entry.get("args", [])),
            dict(entry.get("env", {})),
            context,
        )
        for name, entry in servers.items()
        if "command" in entry
    ]


def shown_configs() -> list[Shown]:
    found = []
    for name in EXAMPLE_CONFIGS:
        found += _entries(json.loads((ROOT / "examples" / name).read_text(encoding="utf-8")), name, "")
    for match in re.finditer(r"```json\n(.*?)```", README, flags=re.S):
        body = match.group(1).strip()
        if body.startswith('"'):
            continue  # an "env" fragment, no command
        context = README[max(0, match.start() - 400) : match.start()]
        found += _entries(json.loads(body), f"README@{README.count(chr(10), 0, match.start()) + 1}", context)
    return found


def kind(entry: Shown) -> str:
    """installed: an absolute path to the console script; git: uvx --from the repository; pypi: bare uvx."""
    if entry.command == "uvx":
        if entry.args[:1] == ["--from"]:
            return "git"
        assert entry.args[:1] == ["stacklens"], entry
        return "pypi"
    assert Path(entry.command).is_absolute() and Path(entry.command).name == "stacklens", entry
    return "installed"


def server_args(entry: Shown) -> list[str]:
    """The stacklens arguments of an entry, whatever starts it."""
    if kind(entry) == "git":
        assert entry.args[1] == GIT_URL and entry.args[2] == "stacklens", entry
        return entry.args[3:]
    return entry.args[1:] if kind(entry) == "pypi" else entry.args


CONFIGS = shown_configs()


def test_every_form_is_shown() -> None:
    kinds = {kind(entry) for entry in CONFIGS}
    assert kinds == {"installed", "git", "pypi"}, kinds
    # the files users copy work today: none uses the PyPI form
    assert all(kind(e) != "pypi" for e in CONFIGS if not e.where.startswith("README")), CONFIGS


@pytest.mark.anyio
@pytest.mark.parametrize("entry", [e for e in CONFIGS if kind(e) != "pypi"], ids=lambda e: e.where)
async def test_config_starts_the_server(entry: Shown) -> None:
    # The command the entry names, run here: the installed console script (this venv's, in place of the
    # placeholder path; `uvx --from` resolves to the same script) with the entry's own arguments and --demo.
    assert LOCAL_STACKLENS.exists(), f"no console script at {LOCAL_STACKLENS}: install the package first"
    args = server_args(entry)
    parser().parse_args(args)
    env = {k: v for k, v in entry.env.items() if k not in TOKEN_VARS}  # the demo needs no token
    params = StdioServerParameters(
        command=str(LOCAL_STACKLENS), args=[*args, "--demo"], env=subprocess_env({**env, "NETRC": os.devnull}),
        cwd=str(Path.home()) if Path.home().is_dir() else None,
    )  # fmt: skip
    async with Client(params) as client:
        assert client.server_info is not None and client.server_info.name
        names = {tool.name for tool in (await client.list_tools()).tools}
    assert {"search_issues", "get_issue", "get_latest_event"} <= names
    assert ("update_issue" in names) is ("--read-only" not in args)


@pytest.mark.parametrize("entry", [e for e in CONFIGS if kind(e) == "pypi"], ids=lambda e: e.where)
def test_pypi_form_is_labelled_as_future(entry: Shown) -> None:
    paragraph = entry.context.rsplit("```", 1)[-1].lower()  # the prose right before the block
    assert PYPI_LABEL.search(paragraph), paragraph


def _paragraphs(text: str) -> list[str]:
    return [p for p in re.split(r"\n\s*\n", text) if p.strip()]


PYPI_CLAIMS = re.compile(
    r"(?<!--from )(?<![\w/+-])(uvx stacklens|pip install stacklens|pipx install stacklens)\b"
)


def test_no_line_claims_the_package_is_on_pypi() -> None:
    # Every mention of the bare PyPI install is labelled as for later (or is the warning against it).
    for paragraph in _paragraphs(README):
        for line in paragraph.splitlines():
            if PYPI_CLAIMS.search(line):
                assert PYPI_LABEL.search(line + " " + paragraph) or "not on PyPI yet" in paragraph, line
    assert "not on PyPI yet" in README
    assert "stacklens is on PyPI" not in README
    for path in [*(p for p in (ROOT / "examples").iterdir() if p.is_file()), ROOT / "server.json"]:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"\bon pypi\b", text, flags=re.I) or "not on PyPI" in text, path
        if path.name != "server.json":  # the registry manifest describes the package to be published
            assert '["stacklens"' not in text, f"{path.name} starts the PyPI package"


def test_install_paths_in_the_readme() -> None:
    # the ones verified by hand on a fresh clone (and each a real command of its tool)
    for command in (
        "uv tool install .",
        "pipx install .",
        "/bin/pip install .",
        f"uv tool install {GIT_URL}",
        f"pipx install {GIT_URL}",
        f"pip install {GIT_URL}",
        f"uvx --from {GIT_URL} stacklens --demo",
    ):
        assert command in README, command
    assert "Node.js ≥ 22.19" in README
    assert ".venv/bin/stacklens" in README and re.search(r"not on your\s+`PATH`", README)


def test_make_demo_says_where_stacklens_is() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    demo = makefile.split("\ndemo:", 1)[1].split("\n\n", 1)[0]
    assert "$(BIN)/stacklens" in demo and "not on your PATH" in demo


# --- CI and release -----------------------------------------------------------------------------------


def _workflow(name: str) -> dict[str, Any]:
    data: dict[Any, Any] = yaml.safe_load((ROOT / ".github" / "workflows" / name).read_text(encoding="utf-8"))
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads a bare `on` key as true
    return data


def test_release_workflow_publishes_with_trusted_publishing() -> None:
    wf = _workflow("release.yml")
    assert wf["on"] == {"push": {"tags": ["v*"]}}
    jobs = wf["jobs"]
    publish = jobs["publish"]
    assert publish["environment"]["name"] == "pypi"
    assert publish["permissions"] == {"id-token": "write"}
    assert wf["permissions"] == {"contents": "read"}  # only the publish job gets an OIDC token
    steps = publish["steps"]
    assert any(str(s.get("uses", "")).startswith("pypa/gh-action-pypi-publish@") for s in steps)
    assert all("with" not in s or not ({"password", "user"} & set(s["with"])) for s in steps)
    text = (ROOT / ".github" / "workflows" / "release.yml").read_text(encoding="utf-8")
    assert "secrets." not in text, "trusted publishing: no stored token"
    # publishing waits for the checks, which run on the built wheel
    assert set(publish["needs"]) == {"build", "test-wheel"}
    build_runs = " ".join(s.get("run", "") for s in jobs["build"]["steps"])
    assert "make dist" in build_runs and "server.json" in build_runs and "GITHUB_REF_NAME" in build_runs
    wheel_runs = " ".join(s.get("run", "") for s in jobs["test-wheel"]["steps"])
    assert "scripts/smoke_wheel.py" in wheel_runs
    assert jobs["test-wheel"]["strategy"]["matrix"]["python"] == ["3.11", "3.12", "3.13"]


def test_ci_runs_tests_lint_and_dist() -> None:
    wf = _workflow("ci.yml")
    assert {"push", "pull_request"} <= set(wf["on"])
    assert any(s.get("run") == "bash .ci/run" for s in wf["jobs"]["ci"]["steps"])
    steps = [line for line in (ROOT / ".ci" / "run").read_text().splitlines() if line.startswith("make ")]
    assert steps == ["make test", "make lint", "make dist"]


def test_changelog_has_an_unreleased_section() -> None:
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "Keep a Changelog" in changelog
    assert "## [Unreleased]" in changelog
    version = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    assert f"## [{version}]" in changelog


# --- HTTP transport: where it listens, and a gate that is not an OAuth challenge ---------------------------


INIT = {
    "jsonrpc": "2.0", "id": 1, "method": "initialize",
    "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
}  # fmt: skip
HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


def test_http_prints_its_url_with_the_real_port_and_the_gate_sends_no_challenge() -> None:
    gate = "gate-token-for-this-test"
    proc = subprocess.Popen(
        [sys.executable, "-m", "stacklens", "--demo", "--transport", "http", "--port", "0"],
        env=subprocess_env({"NETRC": os.devnull, "STACKLENS_HTTP_TOKEN": gate}),
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    watchdog = threading.Timer(60, proc.kill)  # a hung start fails the test instead of hanging the suite
    watchdog.start()
    try:
        url = None
        for line in proc.stderr:  # type: ignore[union-attr]
            match = re.search(r"serving streamable HTTP at (http://127\.0\.0\.1:(\d+)/mcp)$", line.strip())
            if match:
                url, port = match.group(1), int(match.group(2))
                break
        assert url is not None, "no URL on stderr"
        assert port != 0
        refused = httpx.post(url, json=INIT, headers=HEADERS, timeout=10)
        assert refused.status_code == 401
        assert "www-authenticate" not in refused.headers  # else clients start an OAuth discovery
        assert gate not in refused.text
        answered = httpx.post(
            url, json=INIT, headers={**HEADERS, "Authorization": f"Bearer {gate}"}, timeout=10
        )
        assert answered.status_code == 200 and "serverInfo" in answered.text
    finally:
        watchdog.cancel()
        proc.terminate()
        proc.communicate(timeout=20)


# --- small truths -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["0", "-5", "601"])
def test_timeout_out_of_range_says_what_is_accepted(value: str) -> None:
    with pytest.raises(ConfigError) as info:
        resolve({"SENTRY_AUTH_TOKEN": "t", "SENTRY_ORG": "o", "STACKLENS_TIMEOUT": value})
    message = str(info.value)
    assert "STACKLENS_TIMEOUT" in message and "above 0" in message and "600" in message
    assert "between 0 and" not in message  # 0 is not accepted, so it cannot be a bound "between"


def test_one_ignored_flag_reads_in_the_singular() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "stacklens", "--demo", "--port", "9000"],
        env=subprocess_env({"NETRC": os.devnull}), stdin=subprocess.DEVNULL, capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "warning: --port ignored: it applies to --transport http only (serving stdio)" in done.stderr
