"""Check a built distribution as a user would get it: the wheel's contents and metadata, then the wheel installed
into a fresh virtual environment, started as `stacklens --demo` and driven over stdio by the official MCP client.

    python scripts/smoke_wheel.py dist/          # after `python -m build`; `make dist` runs both

Exit status 0 when everything holds; otherwise one line per problem on stderr and exit status 1. Needs `mcp`
in this interpreter (the dev venv has it) and the package registry for the wheel's dependencies.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tarfile
import tempfile
import tomllib
import venv
import zipfile
from email.parser import HeaderParser
from pathlib import Path

import anyio
from mcp import Client, StdioServerParameters

ROOT = Path(__file__).resolve().parent.parent
DATASET = "stacklens/sandbox/data/dataset.json"
PYTHONS = ("3.11", "3.12", "3.13")
URL_LABELS = ("Homepage", "Repository", "Issues", "Changelog")


def only(dist: Path, pattern: str) -> Path:
    found = sorted(dist.glob(pattern))
    if len(found) != 1:
        raise SystemExit(f"smoke_wheel: expected one {pattern} in {dist}, found {[p.name for p in found]}")
    return found[0]


def wheel_problems(wheel: Path, version: str) -> list[str]:
    """What a user installing this wheel would miss (or get that does not belong)."""
    problems = []
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        meta_name = next((n for n in names if n.endswith(".dist-info/METADATA")), None)
        meta = HeaderParser().parsestr(zf.read(meta_name).decode()) if meta_name else None
    if any(n.startswith("tests/") or "/tests/" in n or n.split("/")[-1].startswith("test_") for n in names):
        problems.append("the wheel carries tests")
    if DATASET not in names:
        problems.append(f"the wheel lacks the sandbox dataset ({DATASET}): --demo would fail")
    if not any(n.endswith(".dist-info/licenses/LICENSE") for n in names):
        problems.append("the wheel lacks the license file")
    if meta is None:
        return [*problems, "the wheel has no METADATA"]
    if meta["Version"] != version:
        problems.append(f"wheel version {meta['Version']} != pyproject {version}")
    if meta["License-Expression"] != "MIT":
        problems.append(f"License-Expression is {meta['License-Expression']!r}, expected 'MIT'")
    if "LICENSE" not in (meta.get_all("License-File") or []):
        problems.append("no License-File: LICENSE in the metadata")
    if not (meta["Requires-Python"] or "").startswith(">=3.11"):
        problems.append(f"Requires-Python is {meta['Requires-Python']!r}")
    classifiers = meta.get_all("Classifier") or []
    for py in PYTHONS:
        if f"Programming Language :: Python :: {py}" not in classifiers:
            problems.append(f"no classifier for Python {py}")
    labels = {url.split(",")[0].strip() for url in meta.get_all("Project-URL") or []}
    problems += [f"no Project-URL {label}" for label in URL_LABELS if label not in labels]
    if not meta["Description-Content-Type"] or "markdown" not in meta["Description-Content-Type"]:
        problems.append("the README is not the long description (markdown)")
    return problems


def sdist_problems(sdist: Path) -> list[str]:
    with tarfile.open(sdist) as tf:
        names = {n.split("/", 1)[1] for n in tf.getnames() if "/" in n}
    needed = (
        "pyproject.toml",
        "README.md",
        "LICENSE",
        "src/stacklens/__init__.py",
        DATASET.replace("stacklens", "src/stacklens", 1),
    )
    return [f"the sdist lacks {name}" for name in needed if name not in names]


def install(wheel: Path, where: Path) -> Path:
    """A fresh venv with only the wheel (and its dependencies from the registry): no dev deps, no source tree."""
    venv.EnvBuilder(with_pip=True, clear=True).create(where)
    bindir = where / ("Scripts" if os.name == "nt" else "bin")
    subprocess.run([str(bindir / "python"), "-m", "pip", "install", "--quiet", str(wheel)], check=True)
    return bindir / "stacklens"


async def drive(command: Path, backend: str) -> list[str]:
    """initialize, tools/list and one search_issues call over stdio, from a directory without the source."""
    params = StdioServerParameters(
        command=str(command), args=["--demo", "--backend", backend], env={"PATH": os.environ.get("PATH", "")},
        cwd=tempfile.gettempdir(),
    )  # fmt: skip
    problems = []
    async with Client(params) as client:
        tools = {t.name for t in (await client.list_tools()).tools}
        for needed in ("search_issues", "get_issue", "get_latest_event", "create_release"):
            if needed not in tools:
                problems.append(f"{backend}: tools/list lacks {needed}")
        result = await client.call_tool("search_issues", {"status": "unresolved", "limit": 3})
        issues = (result.structured_content or {}).get("issues") or []
        if result.is_error or not issues:
            problems.append(f"{backend}: search_issues returned no issues (error={result.is_error})")
    print(f"smoke_wheel: {backend}: {len(tools)} tools, search_issues gave {len(issues)} issues")
    return problems


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dist", type=Path, nargs="?", default=ROOT / "dist")
    opts = ap.parse_args()
    version = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    wheel = only(opts.dist, "stacklens-*.whl")
    sdist = only(opts.dist, "stacklens-*.tar.gz")
    problems = wheel_problems(wheel, version) + sdist_problems(sdist)
    print(f"smoke_wheel: contents and metadata of {wheel.name} and {sdist.name} checked")
    with tempfile.TemporaryDirectory(prefix="stacklens-wheel-") as tmp:
        command = install(wheel, Path(tmp) / "venv")
        shown = subprocess.run([str(command), "--version"], capture_output=True, text=True, check=False)
        if shown.stdout.strip() != f"stacklens {version}":
            problems.append(f"`stacklens --version` printed {shown.stdout.strip()!r}")
        for backend in ("sentry", "jentry"):
            problems += anyio.run(drive, command, backend)
    for problem in problems:
        print(f"smoke_wheel: {problem}", file=sys.stderr)
    if not problems:
        print(f"smoke_wheel: {wheel.name} OK")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
