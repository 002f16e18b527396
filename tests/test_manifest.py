"""server.json (the MCP registry manifest) stays consistent with pyproject.toml, the CLI and DESIGN §1.1."""

from __future__ import annotations

import argparse
import json
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

from stacklens import __version__
from stacklens.cli import parser

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = "https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json"

# DESIGN §1.1's environment variables, copied here on purpose: tests never read ../shared.
DESIGN_ENV = {
    "STACKLENS_BACKEND",
    "SENTRY_AUTH_TOKEN",
    "SENTRY_ACCESS_TOKEN",
    "SENTRY_ORG",
    "SENTRY_PROJECT",
    "SENTRY_URL",
    "JENTRY_URL",
    "JENTRY_AUTH_TOKEN",
    "JENTRY_USER_ID",
    "STACKLENS_READ_ONLY",
    "STACKLENS_TIMEOUT",
    "STACKLENS_HTTP_TOKEN",
}
SECRETS = {"SENTRY_AUTH_TOKEN", "SENTRY_ACCESS_TOKEN", "JENTRY_AUTH_TOKEN", "STACKLENS_HTTP_TOKEN"}
INPUT_FORMATS = {"string", "number", "boolean", "filepath"}
# Keys the 2025-12-11 schema defines for each object; anything else is a typo the registry would reject.
SERVER_KEYS = {"$schema", "_meta", "name", "title", "description", "version", "websiteUrl", "repository",
               "icons", "packages", "remotes"}  # fmt: skip
PACKAGE_KEYS = {"registryType", "registryBaseUrl", "identifier", "version", "fileSha256", "runtimeHint",
                "runtimeArguments", "packageArguments", "environmentVariables", "transport"}  # fmt: skip
INPUT_KEYS = {"name", "description", "format", "default", "choices", "isRequired", "isSecret", "placeholder",
              "value", "variables"}  # fmt: skip


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    return json.loads((ROOT / "server.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def pyproject() -> dict[str, Any]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


@pytest.fixture(scope="module")
def package(manifest: dict[str, Any]) -> dict[str, Any]:
    assert len(manifest["packages"]) == 1
    return manifest["packages"][0]


def test_server_fields(manifest: dict[str, Any], pyproject: dict[str, Any]) -> None:
    assert manifest["$schema"] == SCHEMA
    assert set(manifest) <= SERVER_KEYS
    assert manifest["name"] == "io.github.stacklens/stacklens"
    assert re.fullmatch(r"[a-zA-Z0-9.-]+/[a-zA-Z0-9._-]+", manifest["name"])
    assert 1 <= len(manifest["description"]) <= 100
    assert manifest["version"] == pyproject["version"] == __version__
    assert manifest["repository"]["url"] == pyproject["urls"]["Homepage"]


def test_readme_claims_the_registry_name(manifest: dict[str, Any]) -> None:
    # The registry verifies PyPI ownership by finding `mcp-name: <name>` in the package's README.
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"mcp-name: {manifest['name']}" in readme


def test_pypi_package(package: dict[str, Any], pyproject: dict[str, Any]) -> None:
    assert set(package) <= PACKAGE_KEYS
    assert package["registryType"] == "pypi"
    assert package["identifier"] == pyproject["name"] == "stacklens"
    assert package["version"] == pyproject["version"]
    assert package["runtimeHint"] == "uvx"
    assert package["transport"] == {"type": "stdio"}
    # uvx runs the console script named like the package
    assert pyproject["scripts"]["stacklens"] == "stacklens.cli:main"


def test_environment_variables_match_design(package: dict[str, Any]) -> None:
    env = package["environmentVariables"]
    names = [v["name"] for v in env]
    assert len(names) == len(set(names)), "duplicate environment variable"
    assert set(names) == DESIGN_ENV
    for var in env:
        assert set(var) <= INPUT_KEYS, var["name"]
        assert var["description"].strip(), var["name"]
        assert isinstance(var["isRequired"], bool), var["name"]
        # none is required on its own: Sentry needs a token + org, Jentry only a token
        assert var["isRequired"] is False, var["name"]
        assert var["isSecret"] is (var["name"] in SECRETS), var["name"]
        assert var.get("format", "string") in INPUT_FORMATS
        assert "default" not in var or isinstance(var["default"], str)
        assert "value" not in var, "a fixed value would stop users from configuring it"


def _flags() -> dict[str, argparse.Action]:
    return {opt: action for action in parser()._actions for opt in action.option_strings}


def test_package_arguments_are_real_flags(package: dict[str, Any]) -> None:
    flags = _flags()
    args = package["packageArguments"]
    assert {a["name"] for a in args} == {"--read-only", "--backend"}
    for arg in args:
        assert arg["type"] == "named"
        assert arg["name"] in flags, f"{arg['name']} is not a stacklens flag"
        assert arg["description"].strip()
        assert arg.get("format", "string") in INPUT_FORMATS
        action = flags[arg["name"]]
        if action.nargs == 0:  # a switch: the registry entry must not pass it a value
            assert arg.get("format") == "boolean" and "value" not in arg
        if action.choices is not None:
            assert sorted(arg["choices"]) == sorted(action.choices)


def test_flags_parse_as_the_manifest_says(package: dict[str, Any]) -> None:
    # What a registry client would build from the manifest must be accepted by the CLI.
    argv: list[str] = []
    for arg in package["packageArguments"]:
        argv += [arg["name"]] if arg.get("format") == "boolean" else [arg["name"], arg["choices"][0]]
    parsed = parser().parse_args(argv)
    assert parsed.read_only is True
    assert parsed.backend == "sentry"


def test_tokens_are_never_flags() -> None:
    # A token on the command line would show in `ps`; DESIGN keeps tokens in the environment only.
    assert not [f for f in _flags() if "token" in f and f != "--token-from-request"]
