"""Configuration resolution: flags, environment, ~/.netrc, defaults and the errors users see."""

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
    assert s.jentry_user_id == 7
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
