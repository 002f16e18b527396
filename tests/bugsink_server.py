"""A real Bugsink (the PyPI package, a test-only dependency) for the whole pytest session.

`bugsink` (session fixture) migrates a fresh SQLite database in a temp dir, creates a superuser and a
full-access API token, starts gunicorn on a socket this process already bound on 127.0.0.1 (no port race),
waits for readiness, then creates a team and a project through Bugsink's own canonical API. Teardown kills
the server's whole process group.

Ingestion: by default Bugsink digests each event inside the ingest request (its `TASK_ALWAYS_EAGER`
setting, the configuration Bugsink recommends for local use): once the SDK has flushed, the event is
stored. `STACKLENS_BUGSINK_SNAPPEA=1` runs the production arrangement instead (a separate `snappea`
worker digesting from its queue); `wait_for_events` covers both.

`STACKLENS_BUGSINK_PYTHON=/path/to/python` runs Bugsink from another interpreter (a venv of its own)
should it ever stop installing beside the dev dependencies; the tests only talk HTTP to it.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

API_PREFIX = "/api/canonical/0"
STARTUP_TIMEOUT = 60.0  # migrations + gunicorn on a loaded 2-core CI machine; typically ~4 s
INGEST_TIMEOUT = 20.0

# The server's settings module. Everything lives in the temp dir; nothing phones home or sends mail.
_CONF = """\
from bugsink.settings.default import *  # noqa: F403

SECRET_KEY = {secret_key!r}
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1"]
TIME_ZONE = "UTC"
DATABASES["default"]["NAME"] = {db!r}  # noqa: F405
DATABASES["snappea"]["NAME"] = {snappea_db!r}  # noqa: F405
SNAPPEA = {{"TASK_ALWAYS_EAGER": {eager!r}, "WAKEUP_CALLS_DIR": {wakeup!r}, "NUM_WORKERS": 2}}
EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
BUGSINK = {{
    "BASE_URL": {base_url!r},
    "PHONEHOME": False,
    "INGEST_STORE_BASE_DIR": {ingest_dir!r},
}}
"""

# Run in the server's interpreter: migrate, then a superuser and a full-access token. The token goes to
# stdout (a pipe to this process), never to a log. Bugsink's settings read sys.argv to tell a migration run
# (which lifts its per-query timeout) from a server run.
_SETUP = """\
import json, os, sys
sys.argv = ["bugsink-setup", "migrate"]
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
if os.environ.get("STACKLENS_BUGSINK_SNAPPEA") == "1":
    call_command("migrate", database="snappea", verbosity=0)
from django.contrib.auth import get_user_model
from bsmain.models import AuthToken
get_user_model().objects.create_superuser(
    username="admin@example.com", email="admin@example.com", password=os.environ["BUGSINK_ADMIN_PASSWORD"])
token = AuthToken.create_full_access(description="stacklens tests")
print(json.dumps({"token": token.token}))
"""


def bugsink_python() -> str:
    return os.environ.get("STACKLENS_BUGSINK_PYTHON") or sys.executable


def unavailable_reason() -> str | None:
    """Why a real Bugsink cannot run here, or None when it can."""
    python = bugsink_python()
    if python == sys.executable:
        if importlib.util.find_spec("bugsink") is None:
            return "bugsink is not installed (pip install -e '.[dev]' brings the pinned version)"
        return None
    if not Path(python).exists():
        return f"STACKLENS_BUGSINK_PYTHON={python} does not exist"
    probe = subprocess.run([python, "-c", "import bugsink"], capture_output=True, check=False)
    return None if probe.returncode == 0 else f"bugsink cannot be imported by {python}"


@dataclass(frozen=True)
class BugsinkProject:
    id: int
    slug: str
    name: str
    dsn: str


@dataclass
class BugsinkServer:
    """A running Bugsink: `url` (no trailing slash), a full-access API `token`, one ready `project`."""

    url: str
    token: str = field(repr=False)  # never in a failure message
    project: BugsinkProject
    team_id: str
    base_dir: Path
    startup_seconds: float
    _clients: list[httpx.Client] = field(default_factory=list, repr=False)

    @property
    def dsn(self) -> str:
        return self.project.dsn

    @property
    def project_id(self) -> int:
        return self.project.id

    @property
    def api_url(self) -> str:
        return self.url + API_PREFIX

    def api(self, token: str | None = None, *, anonymous: bool = False) -> httpx.Client:
        """An httpx client on the canonical API (`/api/canonical/0`), authenticated with `token` (default:
        the full-access one), or with no Authorization header when `anonymous`. Closed at teardown."""
        headers = (
            {} if anonymous else {"Authorization": f"Bearer {token if token is not None else self.token}"}
        )
        client = httpx.Client(
            base_url=self.api_url,
            headers=headers,
            timeout=15.0,
            trust_env=False,  # 127.0.0.1 only: never through a proxy from the environment
        )
        self._clients.append(client)
        return client

    def create_project(self, name: str) -> BugsinkProject:
        """A new project in the team (its slug is derived from `name` by Bugsink)."""
        api = self.api()
        created = api.post("/projects/", json={"team": self.team_id, "name": name})
        created.raise_for_status()
        # The create answer carries no id of the integer kind nor the DSN: find the project by name.
        for row in api.get("/projects/").json()["results"]:
            if row["name"] == name:
                return BugsinkProject(id=row["id"], slug=row["slug"], name=row["name"], dsn=row["dsn"])
        raise RuntimeError(f"project {name!r} was created but is not listed")

    def django(self, code: str, arg: Any = None) -> Any:
        """Run `code` inside Bugsink's Django (the server's interpreter and database, ~1 s) for what its API
        cannot do. `code` reads `ARG` (JSON-decoded `arg`) and sets `RESULT` (JSON-encodable)."""
        script = (
            "import json, sys\nimport django\ndjango.setup()\nARG = json.loads(sys.argv[1])\nRESULT = None\n"
            + code
            + "\nprint(json.dumps(RESULT))\n"
        )
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bugsink_conf", "PYTHONPATH": str(self.base_dir)}
        done = subprocess.run(
            [bugsink_python(), "-c", script, json.dumps(arg)],
            cwd=self.base_dir,
            env=env,
            capture_output=True,
            timeout=STARTUP_TIMEOUT,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"Django code failed in Bugsink:\n{done.stderr.decode(errors='replace')[-2000:]}"
            )
        return json.loads(done.stdout.decode().strip().splitlines()[-1])

    def create_token(self, *capabilities: str, project: BugsinkProject | None = None) -> str:
        """A token with only these capabilities (e.g. "issues:read"), optionally bound to one project (Bugsink
        has no API for tokens)."""
        code = (
            "from bsmain.models import AuthToken\n"
            "from bugsink.api_capabilities import CAPABILITY_FIELD_NAMES\n"
            "caps, project_id = ARG\n"
            "kw = {CAPABILITY_FIELD_NAMES[c]: True for c in caps}\n"
            "if project_id is not None:\n"
            "    kw.update(is_project_bound=True, project_id=project_id)\n"
            "RESULT = AuthToken.objects.create(**kw).token\n"
        )
        return str(self.django(code, [list(capabilities), project.id if project else None]))

    @contextlib.contextmanager
    def sdk(self, project: BugsinkProject | None = None, **options: Any) -> Iterator[list[str]]:
        """The real sentry-sdk, initialised with the project's DSN and its normal HTTP transport, inside a
        fresh isolation scope. Yields the list of event ids the SDK sends (filled as it sends); on exit
        flushes, closes, and restores whatever client was active before."""
        import sentry_sdk
        from sentry_sdk.scrubber import EventScrubber

        sent: list[str] = []
        user_before_send = options.pop("before_send", None)

        def before_send(event: Any, hint: Any) -> Any:
            if user_before_send is not None:
                event = user_before_send(event, hint)
            if event is not None:
                sent.append(event["event_id"])
            return event

        opts: dict[str, Any] = {
            "dsn": (project or self.project).dsn,
            "release": "shop@1.0.0",
            "environment": "production",
            "server_name": "web-1",
            # PII on and the SDK's scrubber off: secrets reach Bugsink as an app would leak them, so tests
            # can prove stacklens (not the SDK) keeps them out of its output.
            "send_default_pii": True,
            "event_scrubber": EventScrubber(denylist=[], send_default_pii=True),
            "include_local_variables": True,
            "auto_enabling_integrations": False,
            "auto_session_tracking": False,
            "traces_sample_rate": None,
            "send_client_reports": False,
            "http_proxy": "",  # no proxy from the environment: 127.0.0.1 only
            "shutdown_timeout": 5,
        }
        opts.update(options)
        opts["before_send"] = before_send

        previous = sentry_sdk.get_client()
        sentry_sdk.init(**opts)
        try:
            with sentry_sdk.isolation_scope() as scope:
                scope.clear()
                yield sent
        finally:
            sentry_sdk.flush(timeout=10)
            sentry_sdk.get_client().close()
            sentry_sdk.get_global_scope().set_client(previous if previous.is_active() else None)

    def send(self, fn: Callable[[], Any], project: BugsinkProject | None = None, **options: Any) -> list[str]:
        """Run `fn` under `sdk(...)`; an exception escaping it is captured (as handled). Returns the ids of
        the events sent, already ingested."""
        import sentry_sdk

        with self.sdk(project, **options) as sent:
            try:
                fn()
            except Exception as exc:
                sentry_sdk.capture_exception(exc)
        self.wait_for_events(sent, project)
        return sent

    def wait_for_events(
        self, event_ids: list[str], project: BugsinkProject | None = None, timeout: float = INGEST_TIMEOUT
    ) -> list[dict[str, Any]]:
        """Poll the events lookup until every id is stored (bounded); returns their detail records."""
        api = self.api()
        project_id = (project or self.project).id
        found: dict[str, dict[str, Any]] = {}
        deadline = time.monotonic() + timeout
        pause = 0.02
        while True:
            for event_id in event_ids:
                if event_id in found:
                    continue
                answer = api.get("/events/lookup/", params={"project": project_id, "event_id": event_id})
                if answer.status_code == 200:
                    found[event_id] = answer.json()
            if len(found) == len(event_ids):
                return [found[e] for e in event_ids]
            if time.monotonic() > deadline:
                missing = sorted(set(event_ids) - set(found))
                raise TimeoutError(f"Bugsink has not stored {missing} after {timeout}s")
            time.sleep(pause)  # polling a condition, bounded by the deadline
            pause = min(pause * 2, 0.5)

    def wait_for_event_count(
        self, count: int, project: BugsinkProject | None = None, timeout: float = INGEST_TIMEOUT
    ) -> int:
        """Poll the project until Bugsink has digested at least `count` events (bounded)."""
        api = self.api()
        project_id = (project or self.project).id
        deadline = time.monotonic() + timeout
        pause = 0.02
        while True:
            digested = int(api.get(f"/projects/{project_id}/").json()["digested_event_count"])
            if digested >= count:
                return digested
            if time.monotonic() > deadline:
                raise TimeoutError(f"Bugsink digested {digested} of {count} events after {timeout}s")
            time.sleep(pause)
            pause = min(pause * 2, 0.5)

    def close_clients(self) -> None:
        for client in self._clients:
            client.close()
        self._clients.clear()


def _log_tail(path: Path, limit: int = 3000) -> str:
    try:
        return path.read_text(errors="replace")[-limit:]
    except OSError:
        return "(no log)"


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGINT the process group (gunicorn's quick shutdown; its workers and snappea go with it), then
    SIGKILL whatever is left."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
    # Workers that outlived their master still belong to the group.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)


def _wait_ready(url: str, proc: subprocess.Popen[bytes], log: Path, deadline: float) -> None:
    pause = 0.02
    with httpx.Client(trust_env=False, timeout=2.0) as client:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"Bugsink exited with {proc.returncode}:\n{_log_tail(log)}")
            with contextlib.suppress(httpx.TransportError):
                if client.get(url + "/health/ready").status_code == 200:
                    return
            if time.monotonic() > deadline:
                raise RuntimeError(f"Bugsink not ready after {STARTUP_TIMEOUT}s:\n{_log_tail(log)}")
            time.sleep(pause)
            pause = min(pause * 2, 0.25)


@contextlib.contextmanager
def run_bugsink(base_dir: Path) -> Iterator[BugsinkServer]:
    """Start Bugsink in `base_dir`, yield it ready with a team and a project, stop everything after."""
    started = time.monotonic()
    deadline = started + STARTUP_TIMEOUT
    python = bugsink_python()
    snappea = os.environ.get("STACKLENS_BUGSINK_SNAPPEA") == "1"

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    port = listener.getsockname()[1]
    url = f"http://127.0.0.1:{port}"

    (base_dir / "bugsink_conf.py").write_text(
        _CONF.format(
            secret_key=secrets.token_urlsafe(40),
            db=str(base_dir / "db.sqlite3"),
            snappea_db=str(base_dir / "snappea.sqlite3"),
            eager=not snappea,
            wakeup=str(base_dir / "wakeup"),
            base_url=url,
            ingest_dir=str(base_dir / "ingestion"),
        )
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bugsink_conf",
        "PYTHONPATH": str(base_dir),
        "BUGSINK_ADMIN_PASSWORD": secrets.token_urlsafe(16),
        "STACKLENS_BUGSINK_SNAPPEA": "1" if snappea else "0",
    }
    procs: list[subprocess.Popen[bytes]] = []
    clients: list[BugsinkServer] = []
    try:
        setup = subprocess.run(
            [python, "-c", _SETUP],
            cwd=base_dir,
            env=env,
            capture_output=True,
            timeout=STARTUP_TIMEOUT,
            check=False,
        )
        if setup.returncode != 0:
            raise RuntimeError(f"Bugsink setup failed:\n{setup.stderr.decode(errors='replace')[-3000:]}")
        token = json.loads(setup.stdout.decode().strip().splitlines()[-1])["token"]

        log = base_dir / "server.log"
        with log.open("wb") as out:
            gunicorn = [
                python,
                "-m",
                "gunicorn",
                "bugsink.wsgi",
                f"--bind=fd://{listener.fileno()}",
                "--workers=2",
                "--preload",  # load Django once, fork the workers
                "--no-control-socket",  # else it writes a socket under $HOME
                "--graceful-timeout=3",
                "--timeout=60",
            ]
            procs.append(
                subprocess.Popen(
                    gunicorn,
                    cwd=base_dir,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    pass_fds=(listener.fileno(),),
                    start_new_session=True,  # its own process group, killed whole at teardown
                )
            )
            if snappea:
                procs.append(
                    subprocess.Popen(
                        [python, "-m", "bugsink.scripts.manage", "runsnappea"],
                        cwd=base_dir,
                        env=env,
                        stdin=subprocess.DEVNULL,
                        stdout=out,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )
                )
        listener.close()  # gunicorn holds its own copy
        _wait_ready(url, procs[0], log, deadline)

        with httpx.Client(
            base_url=url + API_PREFIX, headers={"Authorization": f"Bearer {token}"}, trust_env=False
        ) as api:
            team = api.post("/teams/", json={"name": "Stacklens"})
            team.raise_for_status()
            team_id = team.json()["id"]
        server = BugsinkServer(
            url=url,
            token=token,
            project=BugsinkProject(id=0, slug="", name="", dsn=""),
            team_id=team_id,
            base_dir=base_dir,
            startup_seconds=0.0,
        )
        clients.append(server)
        server.project = server.create_project("Shop")
        server.startup_seconds = time.monotonic() - started
        yield server
    finally:
        for server in clients:
            server.close_clients()
        for proc in reversed(procs):
            _stop(proc)
        listener.close()


@pytest.fixture(scope="session")
def bugsink() -> Iterator[BugsinkServer]:
    """A real Bugsink for the session (skipped, with the reason, when bugsink is not installed)."""
    reason = unavailable_reason()
    if reason is not None:
        pytest.skip(reason)
    with tempfile.TemporaryDirectory(prefix="stacklens-bugsink-") as tmp, run_bugsink(Path(tmp)) as server:
        yield server
