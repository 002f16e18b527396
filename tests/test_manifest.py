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
from stacklens.backends import BACKENDS
from stacklens.cli import parser
from stacklens.config import resolve

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = "https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json"

# DESIGN §1.1's environment variables, copied here on purpose: tests never read ../shared.
# The contract's variables (DESIGN §1.1): the general ones, and each registered backend's own.
DESIGN_ENV = {
    "STACKLENS_BACKEND", "SENTRY_PROJECT", "STACKLENS_READ_ONLY", "STACKLENS_TIMEOUT", "STACKLENS_HTTP_TOKEN",
    "STACKLENS_ALLOW_DELETE",
    *(v for d in BACKENDS.values() for v in (*d.token_vars, d.url_var, *d.org_vars, d.user_id_var) if v),
}  # fmt: skip
SECRETS = {"STACKLENS_HTTP_TOKEN", *(v for d in BACKENDS.values() for v in d.token_vars)}
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
        assert "value" not in arg, "a fixed value would stop users from choosing"
        action = flags[arg["name"]]
        assert action.nargs != 0, f"{arg['name']}: registry clients pass a value after every named argument"
        if action.choices is not None:
            assert sorted(arg["choices"]) == sorted(action.choices)
        if "default" in arg:
            assert isinstance(arg["default"], str)
            assert parser().parse_args([arg["name"], arg["default"]]) is not None


def test_flags_parse_as_the_manifest_says(package: dict[str, Any]) -> None:
    # A switch alone, as a person types it …
    parsed = parser().parse_args(["--read-only", "--backend", "jentry"])
    assert (parsed.read_only, parsed.backend) == (True, "jentry")
    # … and what a registry client builds: VS Code pushes `name` then `${input:…}` for every named argument
    # without a value, the answer prefilled with `default` (or left empty).
    for answers, read_only in [({}, False), ({"--read-only": "true"}, True), ({"--read-only": ""}, False)]:
        argv: list[str] = []
        for arg in package["packageArguments"]:
            argv += [arg["name"], answers.get(arg["name"], arg.get("default", ""))]
        parsed = parser().parse_args(argv)
        assert parsed.read_only is read_only, argv
        assert parsed.backend == "auto", argv
    for choice in next(a for a in package["packageArguments"] if a["name"] == "--backend")["choices"]:
        assert parser().parse_args(["--backend", choice]).backend == choice


def test_environment_choices_and_defaults_are_accepted(package: dict[str, Any]) -> None:
    # A client may set every variable to its default or leave it empty: both must start the server.
    base = {
        "SENTRY_AUTH_TOKEN": "t", "SENTRY_ORG": "o", "JENTRY_AUTH_TOKEN": "j",
        "BUGSINK_AUTH_TOKEN": "b", "BUGSINK_URL": "https://bugsink.example",
        "GLITCHTIP_AUTH_TOKEN": "g", "GLITCHTIP_ORG": "acme",
    }  # fmt: skip
    for var in package["environmentVariables"]:
        if var["isSecret"] or var["name"] in base:
            continue
        values = [""] + ([var["default"]] if "default" in var else []) + var.get("choices", [])
        for value in values:
            settings = resolve({**base, var["name"]: value})
            chosen = value if var["name"] == "STACKLENS_BACKEND" and value in BACKENDS else "sentry"
            assert settings.backend == chosen, (var["name"], value)
            assert not settings.read_only, (var["name"], value)


# The constraints of the 2025-12-11 schema that apply to this file (what the registry validates), restated
# here: the network is not assumed, and tests never read ../shared.
_STR: dict[str, Any] = {"type": "string"}
_INPUT = {
    "type": "object",
    "properties": {
        "choices": {"type": "array", "items": _STR}, "default": _STR, "description": _STR, "placeholder": _STR,
        "format": {"enum": sorted(INPUT_FORMATS)}, "isRequired": {"type": "boolean"},
        "isSecret": {"type": "boolean"}, "value": _STR, "name": _STR,
        "variables": {"type": "object"}, "type": {"enum": ["named", "positional"]},
        "isRepeated": {"type": "boolean"}, "valueHint": _STR,
    },
}  # fmt: skip
REGISTRY_SCHEMA: dict[str, Any] = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "required": ["name", "description", "version"],
    "properties": {
        "$schema": {"type": "string", "format": "uri"},
        "name": {"type": "string", "minLength": 3, "maxLength": 200, "pattern": "^[a-zA-Z0-9.-]+/[a-zA-Z0-9._-]+$"},
        "title": {"type": "string", "minLength": 1, "maxLength": 100},
        "description": {"type": "string", "minLength": 1, "maxLength": 100},
        "version": {"type": "string", "maxLength": 255},
        "websiteUrl": {"type": "string", "format": "uri"},
        "repository": {
            "type": "object", "required": ["url", "source"],
            "properties": {"url": {"type": "string", "format": "uri"}, "source": _STR, "id": _STR, "subfolder": _STR},
        },
        "packages": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["registryType", "identifier", "transport"],
                "properties": {
                    "registryType": _STR, "identifier": _STR, "runtimeHint": _STR,
                    "registryBaseUrl": {"type": "string", "format": "uri"},
                    "version": {"type": "string", "minLength": 1, "not": {"const": "latest"}},
                    "transport": {"type": "object", "required": ["type"],
                                  "properties": {"type": {"enum": ["stdio", "streamable-http", "sse"]}}},
                    "packageArguments": {"type": "array", "items": {**_INPUT, "required": ["type"]}},
                    "environmentVariables": {"type": "array", "items": {**_INPUT, "required": ["name"]}},
                },
            },
        },
    },
}  # fmt: skip


def test_valid_against_the_registry_schema(manifest: dict[str, Any]) -> None:
    import jsonschema  # dev dependency (pyproject)

    validator = jsonschema.Draft7Validator(REGISTRY_SCHEMA, format_checker=jsonschema.FormatChecker())
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(manifest)]
    assert not errors, errors
    for arg in manifest["packages"][0]["packageArguments"]:
        assert arg["type"] != "named" or arg.get("name"), "a named argument needs its name"
    # the validator catches what the registry would reject
    assert list(validator.iter_errors({**manifest, "description": "x" * 101}))
    assert list(validator.iter_errors({**manifest, "name": "stacklens"}))


def test_tokens_are_never_flags() -> None:
    # A token on the command line would show in `ps`; DESIGN keeps tokens in the environment only.
    assert not [f for f in _flags() if "token" in f and f != "--token-from-request"]
