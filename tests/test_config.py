"""Configuration resolution: flags, environment, ~/.netrc, defaults and the errors users see."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from stacklens.config import resolve
from stacklens.errors import ConfigError


def test_sentry_from_env_with_defaults():
    s = resolve({"SENTRY_AUTH_TOKEN": "s3cr3t-value", "SENTRY_ORG": "acme"})
    assert s.backend == "sentry"
    assert s.url == "https://sentry.io"
    assert s.api_base == "https://sentry.io/api/0"
    assert s.token.get_secret_value() == "s3cr3t-value"
    assert s.org == "acme"
    assert s.timeout == 30
    assert not s.read_only
    assert "s3cr3t" not in repr(s) and "s3cr3t" not in str(s.model_dump())


def test_access_token_alias_and_flags_win():
    s = resolve(
        {"SENTRY_ACCESS_TOKEN": "alias", "SENTRY_ORG": "env-org", "SENTRY_URL": "https://env.example"},
        org="flag-org",
        url="http://self.hosted:9000/sentry/",
        timeout=5,
    )
    assert s.token.get_secret_value() == "alias"
    assert s.org == "flag-org"
    assert s.url == "http://self.hosted:9000/sentry"
    assert s.api_base == "http://self.hosted:9000/sentry/api/0"
    assert s.timeout == 5


def test_jentry_auto_selected_when_only_jentry_token():
    s = resolve({"JENTRY_AUTH_TOKEN": "jto_x", "JENTRY_USER_ID": "7"})
    assert s.backend == "jentry"
    assert s.api_base == "https://jentry.app/api/v1"
    assert s.user_id == 7
    assert s.org is None


def test_sentry_preferred_when_both_tokens():
    s = resolve({"JENTRY_AUTH_TOKEN": "jto_x", "SENTRY_AUTH_TOKEN": "s", "SENTRY_ORG": "o"})
    assert s.backend == "sentry"


def test_backend_env_and_read_only_env():
    s = resolve({"STACKLENS_BACKEND": "jentry", "JENTRY_AUTH_TOKEN": "j", "STACKLENS_READ_ONLY": "1",
                 "JENTRY_URL": "http://localhost:3000", "STACKLENS_TIMEOUT": "2.5"})  # fmt: skip
    assert (s.backend, s.read_only, s.url, s.timeout) == ("jentry", True, "http://localhost:3000", 2.5)


def test_netrc_lookup_uses_instance_host(tmp_path: Path):
    rc = tmp_path / "netrc"
    rc.write_text(
        "machine sentry.example.com login x password from-netrc\nmachine sentry.io password other\n"
    )
    rc.chmod(0o600)
    s = resolve({"NETRC": str(rc), "SENTRY_URL": "https://sentry.example.com", "SENTRY_ORG": "acme"})
    assert s.token.get_secret_value() == "from-netrc"


def test_env_token_beats_netrc(tmp_path: Path):
    rc = tmp_path / "netrc"
    rc.write_text("machine sentry.io password from-netrc\n")
    rc.chmod(0o600)
    s = resolve({"NETRC": str(rc), "SENTRY_AUTH_TOKEN": "from-env", "SENTRY_ORG": "acme"})
    assert s.token.get_secret_value() == "from-env"


@pytest.mark.parametrize(
    ("env", "needle"),
    [
        ({"SENTRY_ORG": "acme", "NETRC": "/nonexistent"}, "SENTRY_AUTH_TOKEN"),
        ({"SENTRY_AUTH_TOKEN": "t"}, "SENTRY_ORG"),
        ({"STACKLENS_BACKEND": "jentry", "NETRC": "/nonexistent"}, "JENTRY_AUTH_TOKEN"),
        ({"STACKLENS_BACKEND": "bogus"}, "sentry"),
        ({"SENTRY_AUTH_TOKEN": "t", "SENTRY_ORG": "o", "SENTRY_URL": "ftp://x"}, "SENTRY_URL"),
        ({"SENTRY_AUTH_TOKEN": "t", "SENTRY_ORG": "o", "STACKLENS_TIMEOUT": "soon"}, "STACKLENS_TIMEOUT"),
        ({"JENTRY_AUTH_TOKEN": "t", "JENTRY_USER_ID": "me"}, "JENTRY_USER_ID"),
    ],
)
def test_errors_name_what_to_set(env, needle):
    with pytest.raises(ConfigError) as info:
        resolve(env)
    assert needle in str(info.value)


def test_demo_needs_nothing():
    s = resolve({"NETRC": "/nonexistent"}, demo=True)
    assert s.demo and s.backend == "sentry"


def test_cli_missing_token_is_one_line_exit_2(tmp_path: Path):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "SENTRY_ORG": "acme"}
    proc = subprocess.run(
        [sys.executable, "-m", "stacklens"], env=env, capture_output=True, text=True, timeout=30
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.strip().count("\n") == 0
    assert "SENTRY_AUTH_TOKEN" in proc.stderr
    assert "Traceback" not in proc.stderr


# --- what users type, and what registry clients generate ---------------------------------------------------


def test_url_with_port_and_path_prefix_keeps_both_and_netrc_uses_the_host(tmp_path: Path):
    rc = tmp_path / "netrc"
    rc.write_text("machine sentry.example.com password from-netrc\n")
    rc.chmod(0o600)
    s = resolve({"NETRC": str(rc), "SENTRY_ORG": "acme"}, url="http://sentry.example.com:9000/tools/sentry/")
    assert s.api_base == "http://sentry.example.com:9000/tools/sentry/api/0"
    assert s.token.get_secret_value() == "from-netrc"  # machine = the host, without port or path


def test_netrc_parse_error_is_named_in_the_missing_token_message(tmp_path: Path):
    rc = tmp_path / "netrc"
    rc.write_text("machine sentry.io\n  login me\n  passwrd oops\n")
    with pytest.raises(ConfigError) as info:
        resolve({"NETRC": str(rc), "SENTRY_ORG": "acme"})
    message = str(info.value)
    assert "SENTRY_AUTH_TOKEN" in message and "could not be parsed" in message and "line 3" in message


@pytest.mark.parametrize("value", ["1", "true", "TRUE", "yes", "on"])
def test_read_only_env_true_values(value):
    assert resolve({"SENTRY_AUTH_TOKEN": "t", "SENTRY_ORG": "o", "STACKLENS_READ_ONLY": value}).read_only


@pytest.mark.parametrize("value", ["", "0", "false", "no", "off"])
def test_read_only_env_false_values(value):
    assert not resolve({"SENTRY_AUTH_TOKEN": "t", "SENTRY_ORG": "o", "STACKLENS_READ_ONLY": value}).read_only


def test_read_only_env_unknown_value_is_refused_not_ignored():
    # fail closed: STACKLENS_READ_ONLY=y must not quietly leave the write tools registered
    with pytest.raises(ConfigError, match="STACKLENS_READ_ONLY"):
        resolve({"SENTRY_AUTH_TOKEN": "t", "SENTRY_ORG": "o", "STACKLENS_READ_ONLY": "y"})


@pytest.mark.parametrize("value", ["auto", "AUTO", ""])
def test_backend_auto_means_the_default_selection(value):
    assert resolve({"JENTRY_AUTH_TOKEN": "j", "STACKLENS_BACKEND": value}).backend == "jentry"
    assert resolve({"JENTRY_AUTH_TOKEN": "j"}, backend=value or None).backend == "jentry"


@pytest.mark.parametrize(
    ("flags", "env", "needle"),
    [
        ({"port": 70000}, {}, "--port"),
        ({"log_level": "loud"}, {}, "log level"),
        ({}, {"STACKLENS_LOG_LEVEL": "verbose"}, "STACKLENS_LOG_LEVEL"),
        ({}, {"STACKLENS_TIMEOUT": "nan"}, "STACKLENS_TIMEOUT"),
        ({}, {"STACKLENS_TIMEOUT": "-1"}, "STACKLENS_TIMEOUT"),
    ],
)
def test_more_errors_name_what_to_fix(flags, env, needle):
    with pytest.raises(ConfigError) as info:
        resolve({"SENTRY_AUTH_TOKEN": "t", "SENTRY_ORG": "o", **env}, **flags)
    assert needle in str(info.value)


def _cli(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "NETRC": str(tmp_path / "none")}
    return subprocess.run(
        [sys.executable, "-m", "stacklens", *args],
        env={**base, **env}, capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("args", "env", "needle"),
    [
        ((), {"SENTRY_AUTH_TOKEN": "t"}, "SENTRY_ORG"),
        (("--backend", "jentry"), {}, "JENTRY_AUTH_TOKEN"),
        ((), {"SENTRY_AUTH_TOKEN": "t", "SENTRY_ORG": "o", "STACKLENS_TIMEOUT": "soon"}, "STACKLENS_TIMEOUT"),
        (
            (),
            {"SENTRY_AUTH_TOKEN": "t", "SENTRY_ORG": "o", "STACKLENS_LOG_LEVEL": "loud"},
            "STACKLENS_LOG_LEVEL",
        ),
        (
            (),
            {"SENTRY_AUTH_TOKEN": "t", "SENTRY_ORG": "o", "STACKLENS_READ_ONLY": "y"},
            "STACKLENS_READ_ONLY",
        ),
        (("--token-from-request",), {"SENTRY_AUTH_TOKEN": "t", "SENTRY_ORG": "o"}, "--transport http"),
        (("--transport", "http", "--port", "99999"), {"SENTRY_AUTH_TOKEN": "t", "SENTRY_ORG": "o"}, "--port"),
    ],
)
def test_cli_config_errors_exit_2_without_traceback(tmp_path: Path, args, env, needle):
    proc = _cli(tmp_path, *args, **env)
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == ""
    assert needle in proc.stderr and "Traceback" not in proc.stderr
    assert "stacklens: error:" in proc.stderr.splitlines()[-1]


def test_http_bind_flags_on_stdio_warn_and_still_start(tmp_path: Path):
    """A config that carries `--port` (harmless on stdio) must keep starting; the flag is said to be ignored."""
    proc = _cli(tmp_path, "--demo", "--port", "9000", "--stateless")
    assert proc.returncode == 0, proc.stderr
    assert "warning: --port, --stateless ignored: they apply to --transport http only" in proc.stderr
    assert proc.stdout == ""  # the warning never reaches the protocol channel


def test_cli_accepts_what_a_registry_client_generates(tmp_path: Path):
    # VS Code builds `uvx stacklens --backend <answer> --read-only <answer>` from server.json and sets every
    # environment variable, empty when the user skips it: all of that must start the server as configured.
    empty = dict.fromkeys(["SENTRY_URL", "SENTRY_PROJECT", "JENTRY_AUTH_TOKEN", "JENTRY_URL", "JENTRY_USER_ID",
                           "STACKLENS_BACKEND", "STACKLENS_READ_ONLY", "STACKLENS_TIMEOUT",
                           "STACKLENS_HTTP_TOKEN", "SENTRY_ACCESS_TOKEN"], "")  # fmt: skip
    from stacklens.cli import parser

    for argv, read_only in [
        (["--backend", "", "--read-only", ""], False),
        (["--backend", "auto", "--read-only", "false"], False),
        (["--backend", "sentry", "--read-only", "true"], True),
        (["--read-only"], True),
        (["--read-only=1", "--backend=auto"], True),
    ]:
        args = parser().parse_args(argv)
        settings = resolve(
            {"SENTRY_AUTH_TOKEN": "t", "SENTRY_ORG": "o", **empty},
            backend=None if args.backend == "auto" else args.backend,
            read_only=args.read_only,
        )
        assert (settings.backend, settings.read_only, settings.timeout) == ("sentry", read_only, 30), argv
        assert (
            settings.url == "https://sentry.io" and settings.project is None and settings.http_token is None
        )


def test_cli_help_names_every_variable(tmp_path: Path):
    proc = _cli(tmp_path, "--help")
    assert proc.returncode == 0
    for name in ("SENTRY_AUTH_TOKEN", "SENTRY_ACCESS_TOKEN", "SENTRY_ORG", "SENTRY_PROJECT", "SENTRY_URL",
                 "JENTRY_URL", "JENTRY_AUTH_TOKEN", "JENTRY_USER_ID", "STACKLENS_BACKEND", "STACKLENS_READ_ONLY",
                 "STACKLENS_TIMEOUT", "STACKLENS_HTTP_TOKEN", "STACKLENS_LOG_LEVEL", "netrc", "/mcp"):  # fmt: skip
        assert name in proc.stdout, name


NOISY_START = """
import os, sys
import stacklens.server as server
build = server.build_server
def noisy(settings):
    print("a stray print during start-up")
    sys.stdout.flush()
    os.write(1, b"a stray write to fd 1\\n")
    return build(settings)
server.build_server = noisy
from stacklens.cli import main
main(["--demo"])
"""


def test_stray_stdout_writes_at_start_up_never_reach_the_protocol(tmp_path: Path):
    init = {
        "jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}},
    }  # fmt: skip
    proc = subprocess.run(
        [sys.executable, "-c", NOISY_START],
        input=json.dumps(init) + "\n",
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    assert lines, proc.stderr
    for line in lines:  # stdout carries the protocol only
        assert json.loads(line)["jsonrpc"] == "2.0", line
    assert json.loads(lines[0])["result"]["serverInfo"]["name"] == "stacklens"
    assert "a stray print during start-up" in proc.stderr and "a stray write to fd 1" in proc.stderr
