"""Settings: command line + environment → one validated object (DESIGN §1.1)."""

from __future__ import annotations

import netrc
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from stacklens.backends import BACKENDS, BackendDescriptor, descriptor
from stacklens.errors import ConfigError

TRUE_VALUES = {"1", "true", "yes", "on"}
FALSE_VALUES = {"", "0", "false", "no", "off"}
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


class Settings(BaseModel):
    """Everything the server needs to run. `token` is a SecretStr so it never shows in a repr or a log."""

    model_config = ConfigDict(frozen=True)

    backend: str = "sentry"  # a name in backends.BACKENDS
    url: str = "https://sentry.io"
    org: str | None = None
    project: str | None = None
    token: SecretStr | None = None
    user_id: int | None = None  # the upstream user `assigned="me"` means, where the backend needs one
    read_only: bool = False
    allow_delete: bool = False  # registers delete_issue; --read-only still wins
    timeout: float = Field(default=30.0, gt=0, le=600)
    transport: Literal["stdio", "http"] = "stdio"
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    http_token: SecretStr | None = None
    stateless: bool = False
    token_from_request: bool = False
    demo: bool = False
    log_level: str = "WARNING"

    @field_validator("backend")
    @classmethod
    def _known_backend(cls, value: str) -> str:
        try:
            return descriptor(value).name
        except ConfigError as exc:
            raise ValueError(str(exc)) from None

    @property
    def descriptor(self) -> BackendDescriptor:
        return descriptor(self.backend)

    @property
    def api_base(self) -> str:
        """The instance's API root, path prefix kept (`https://host/sentry` → `https://host/sentry/api/0`)."""
        return self.url + self.descriptor.api_prefix

    @property
    def token_var(self) -> str:
        return self.descriptor.token_var


def normalize_url(raw: str, variable: str) -> str:
    """Validate an instance URL: http(s), a host, no credentials/query/fragment. Keeps a path prefix."""
    value = raw.strip().rstrip("/")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            f"{variable} must be an http:// or https:// URL with a host, e.g. https://sentry.io"
        )
    if parts.username or parts.password or parts.query or parts.fragment:
        raise ConfigError(f"{variable} must not contain credentials, a query or a fragment")
    if any(c in value for c in "\r\n\t "):
        raise ConfigError(f"{variable} must not contain whitespace")
    return value


def _netrc_path(env: Mapping[str, str]) -> str:
    return env.get("NETRC") or str(Path(env.get("HOME") or Path.home()) / ".netrc")


def netrc_password(host: str, env: Mapping[str, str]) -> str | None:
    """The `password` of the ~/.netrc entry for `host` (`$NETRC` respected); None when absent or unreadable."""
    try:
        entry = netrc.netrc(_netrc_path(env)).authenticators(host)
    except (OSError, netrc.NetrcParseError):
        return None
    if not entry:
        return None
    return entry[2] or None


def _netrc_problem(env: Mapping[str, str]) -> str | None:
    """Why an existing .netrc could not be used (a syntax error), for the missing-token message."""
    path = _netrc_path(env)
    if not Path(path).is_file():
        return None
    try:
        netrc.netrc(path)
    except netrc.NetrcParseError as exc:
        return f"{path} could not be parsed: {exc.msg} (line {exc.lineno})"
    except OSError as exc:
        return f"{path} could not be read: {exc.strerror or exc}"
    return None


def switch(text: str) -> bool | None:
    """A yes/no setting as people write it (`1`, `true`, `on`, `no`, empty …); None when it is neither."""
    value = text.strip().lower()
    return True if value in TRUE_VALUES else False if value in FALSE_VALUES else None


def env_flag(env: Mapping[str, str], name: str) -> bool:
    """A boolean environment variable. An unknown value is an error, not "off": STACKLENS_READ_ONLY=y must not
    quietly leave the write tools on."""
    value = switch(env.get(name, ""))
    if value is None:
        raise ConfigError(
            f"{name}={env[name].strip()!r} is not understood: use 1/true/yes/on or 0/false/no/off"
        )
    return value


def _first(env: Mapping[str, str], names: tuple[str, ...]) -> str | None:
    for var in names:
        if env.get(var, "").strip():
            return env[var].strip()
    return None


def pick_backend(flag: str | None, env: Mapping[str, str]) -> BackendDescriptor:
    """`--backend`, else STACKLENS_BACKEND, else the backend whose token is configured (the first listed in
    backends.BACKENDS when several are: Sentry)."""
    choice = (flag or env.get("STACKLENS_BACKEND") or "").strip().lower()
    if choice == "auto":  # what a registry client passes when the user leaves --backend at its default
        choice = ""
    if choice:
        if choice not in BACKENDS:
            names = ", ".join(repr(n) for n in BACKENDS)
            raise ConfigError(
                f"unknown backend {choice!r}: use {names} or 'auto' (--backend / STACKLENS_BACKEND)"
            )
        return BACKENDS[choice]
    for candidate in BACKENDS.values():
        if _first(env, candidate.token_vars):
            return candidate
    return next(iter(BACKENDS.values()))


def resolve(
    env: Mapping[str, str],
    *,
    backend: str | None = None,
    url: str | None = None,
    org: str | None = None,
    project: str | None = None,
    read_only: bool = False,
    allow_delete: bool = False,
    timeout: float | None = None,
    transport: str = "stdio",
    host: str | None = None,
    port: int | None = None,
    stateless: bool = False,
    token_from_request: bool = False,
    demo: bool = False,
    log_level: str | None = None,
) -> Settings:
    """Build Settings from flags (given) and the environment. Raises ConfigError naming what to set."""
    chosen = pick_backend(backend, env)
    url_var = chosen.url_var
    raw_url = url or env.get(url_var) or chosen.default_url
    if raw_url is None and demo:
        raw_url = "http://sandbox.invalid"  # replaced by the sandbox's own address
    if raw_url is None:
        raise ConfigError(f"no {chosen.label} URL: set {url_var} (or pass --url) to your instance's address")
    base = normalize_url(raw_url, "--url" if url else url_var)

    token = _first(env, chosen.token_vars)
    if token is None and not demo:
        token = netrc_password(urlsplit(base).hostname or "", env)
    if token is None and not demo and not token_from_request:
        hint = f" (or a ~/.netrc entry: machine {urlsplit(base).hostname} password TOKEN)"
        problem = _netrc_problem(env)
        hint += f"; {problem}" if problem else ""
        raise ConfigError(f"no {chosen.label} token: set {chosen.token_var}{hint}")

    org_value = (org or _first(env, chosen.org_vars) or "").strip() or None
    if chosen.needs_org and org_value is None and not demo:
        where = " or ".join(chosen.org_vars) or "--org"
        raise ConfigError(
            f"no {chosen.label} organization: set {where} or pass --org (the slug in your {chosen.label} URL)"
        )

    user_id: int | None = None
    raw_user = env.get(chosen.user_id_var, "").strip() if chosen.user_id_var else ""
    if raw_user:
        if not raw_user.isdigit():
            raise ConfigError(f"{chosen.user_id_var} must be a numeric {chosen.label} user id")
        user_id = int(raw_user)

    if timeout is None:
        raw_timeout = env.get("STACKLENS_TIMEOUT", "").strip()
        try:
            timeout = float(raw_timeout) if raw_timeout else 30.0
        except ValueError:
            raise ConfigError("STACKLENS_TIMEOUT must be a number of seconds, e.g. 30") from None
    if not 0 < timeout <= 600:
        # 0 reads like "no timeout" elsewhere; here every request is bounded, so say what is accepted
        raise ConfigError(
            f"timeout {timeout:g} s is out of range (STACKLENS_TIMEOUT / --timeout): give seconds above 0 "
            "and at most 600, e.g. 30 (the default); there is no unlimited setting"
        )

    if port is not None and not 0 <= port <= 65535:
        raise ConfigError(f"--port {port} is not a TCP port: use 1–65535 (0 picks a free one)")
    level = (log_level or env.get("STACKLENS_LOG_LEVEL") or "WARNING").strip().upper()
    if level not in LOG_LEVELS:
        raise ConfigError(
            f"log level {level!r} is not one of {', '.join(LOG_LEVELS)} (--log-level / STACKLENS_LOG_LEVEL)"
        )
    read_only = read_only or env_flag(env, "STACKLENS_READ_ONLY")
    allow_delete = allow_delete or env_flag(env, "STACKLENS_ALLOW_DELETE")

    http_token = env.get("STACKLENS_HTTP_TOKEN", "").strip() or None
    try:
        return Settings(
            backend=chosen.name,
            url=base,
            org=org_value,
            project=(project or env.get("SENTRY_PROJECT") or "").strip() or None,
            token=SecretStr(token) if token else None,
            user_id=user_id,
            read_only=read_only,
            allow_delete=allow_delete,
            timeout=timeout,
            transport="http" if transport == "http" else "stdio",
            host=Settings.model_fields["host"].default if host is None else host,
            port=Settings.model_fields["port"].default if port is None else port,
            http_token=SecretStr(http_token) if http_token else None,
            stateless=stateless,
            token_from_request=token_from_request,
            demo=demo,
            log_level=level,
        )
    except ValidationError as exc:  # a last net: every check above should have caught it first
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err.get("loc", ())) or "setting"
        raise ConfigError(f"invalid {field}: {err.get('msg')}") from None


def from_environ(**flags: object) -> Settings:
    return resolve(os.environ, **flags)  # type: ignore[arg-type]
