#!/usr/bin/env bash
# Run a real GlitchTip on 127.0.0.1 for developing/recording the glitchtip backend (development only, not CI).
#
# Nothing of GlitchTip is vendored here: its source is fetched separately (e.g. the search tool's
# `fetch github:true-og/glitchtip-backend`, then `git clone <bare dir> $GT_SRC`). Everything GlitchTip
# needs at runtime lives outside the repo:
#   GT_SRC  (/work/glitchtip-src)   its source checkout
#   GT_VENV (/work/glitchtip-venv)  a venv built from its own uv.lock
#   GT_RUN  (/work/glitchtip-run)   PostgreSQL data, Valkey/Redis data, logs, pid files, and `env`
#                                   (URL, org, project, token, DSN for the recorder; never commit it)
#
# Usage: scripts/glitchtip_dev.sh deps|start|bootstrap|stop|status|all
#   deps       apt packages (postgresql, redis-server) and the venv from uv.lock
#   start      PostgreSQL, Redis, GlitchTip web (uvicorn) and its Celery worker, all bound to 127.0.0.1
#   bootstrap  migrate, then user/org/team/project/API token (all scopes); writes $GT_RUN/env
#   stop       stops what `start` started (by the pid files it wrote)
#   all        deps + start + bootstrap
# Then: scripts/record_glitchtip.py --seed  (with the variables from $GT_RUN/env).
set -euo pipefail

GT_SRC=${GT_SRC:-/work/glitchtip-src}
GT_VENV=${GT_VENV:-/work/glitchtip-venv}
GT_RUN=${GT_RUN:-/work/glitchtip-run}
GT_PY=${GT_PY:-python3.13}          # GlitchTip's Dockerfile uses 3.13; >=3.11 works per its pyproject
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PG_PORT=${PG_PORT:-5433}            # not 5432: leave the distro's default cluster alone
REDIS_PORT=${REDIS_PORT:-6380}
WEB_PORT=${WEB_PORT:-8800}
HOST=127.0.0.1                      # never all interfaces (GlitchTip's own scripts default to 0.0.0.0)

ORG_SLUG=${ORG_SLUG:-acme}
TEAM_SLUG=${TEAM_SLUG:-backend}
PROJECT_NAME=${PROJECT_NAME:-shop}
DEV_EMAIL=${DEV_EMAIL:-dev@example.com}

# The settings GlitchTip reads from the environment (glitchtip/settings.py); the secret key is
# per-machine and only guards this throwaway instance.
gt_env() {
  mkdir -p "$GT_RUN"
  [ -f "$GT_RUN/secret_key" ] || head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$GT_RUN/secret_key"
  export DATABASE_URL="postgres://glitchtip:glitchtip@$HOST:$PG_PORT/glitchtip"
  export VALKEY_URL="redis://$HOST:$REDIS_PORT/0"
  export SECRET_KEY; SECRET_KEY=$(cat "$GT_RUN/secret_key")
  export GLITCHTIP_DOMAIN="http://$HOST:$WEB_PORT"
  export ALLOWED_HOSTS="127.0.0.1,localhost"
  export DEBUG=false
  export ENABLE_USER_REGISTRATION=false
  export EMAIL_BACKEND="django.core.mail.backends.console.EmailBackend"
  export DJANGO_SETTINGS_MODULE=glitchtip.settings
  export PATH="$GT_VENV/bin:$PATH"
}

cmd_deps() {
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql redis-server
  [ -x "$GT_VENV/bin/python" ] || "$GT_PY" -m venv "$GT_VENV"
  "$GT_VENV/bin/pip" install -q uv
  mkdir -p "$GT_RUN"
  (cd "$GT_SRC" && "$GT_VENV/bin/uv" export --frozen --no-dev --no-hashes --no-emit-project \
    -o "$GT_RUN/requirements.txt")
  VIRTUAL_ENV="$GT_VENV" "$GT_VENV/bin/uv" pip install -r "$GT_RUN/requirements.txt"
}

start_postgres() {
  local data="$GT_RUN/pgdata"
  if [ ! -d "$data" ]; then
    mkdir -p "$data" && chown postgres:postgres "$data"
    # postgres refuses to run as root; run it as the distro's postgres user.
    su postgres -c "$PG_BIN/initdb -D '$data' -U postgres --auth=trust" >"$GT_RUN/initdb.log"
  fi
  chown postgres:postgres "$GT_RUN"/postgres.log 2>/dev/null || true
  if ! su postgres -c "$PG_BIN/pg_ctl -D '$data' status" >/dev/null 2>&1; then
    touch "$GT_RUN/postgres.log" && chown postgres:postgres "$GT_RUN/postgres.log"
    su postgres -c "$PG_BIN/pg_ctl -D '$data' -l '$GT_RUN/postgres.log' -w start \
      -o \"-c listen_addresses=$HOST -p $PG_PORT -k '$data'\""
  fi
  # Role and database once; trust auth on 127.0.0.1 only (initdb default for local + host 127.0.0.1/32).
  psql -h "$HOST" -p "$PG_PORT" -U postgres -tAc "SELECT 1 FROM pg_roles WHERE rolname='glitchtip'" \
    | grep -q 1 || psql -h "$HOST" -p "$PG_PORT" -U postgres -c \
      "CREATE ROLE glitchtip LOGIN PASSWORD 'glitchtip' CREATEDB" >/dev/null
  psql -h "$HOST" -p "$PG_PORT" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='glitchtip'" \
    | grep -q 1 || psql -h "$HOST" -p "$PG_PORT" -U postgres -c \
      "CREATE DATABASE glitchtip OWNER glitchtip" >/dev/null
}

start_redis() {
  redis-cli -h "$HOST" -p "$REDIS_PORT" ping >/dev/null 2>&1 && return
  redis-server --bind "$HOST" --port "$REDIS_PORT" --dir "$GT_RUN" --daemonize yes \
    --pidfile "$GT_RUN/redis.pid" --logfile "$GT_RUN/redis.log" --save "" --appendonly no
}

# Start a long-running process with nohup, remembering its pid (stop kills exactly that pid).
spawn() {
  local name=$1; shift
  if [ -f "$GT_RUN/$name.pid" ] && kill -0 "$(cat "$GT_RUN/$name.pid")" 2>/dev/null; then return; fi
  # `cd` first, then background the command alone: `$!` must be its pid, not a subshell's.
  (cd "$GT_SRC" || exit 1; nohup "$@" >>"$GT_RUN/$name.log" 2>&1 </dev/null & echo $! >"$GT_RUN/$name.pid")
}

cmd_start() {
  gt_env
  start_postgres
  start_redis
  (cd "$GT_SRC" && python manage.py migrate --skip-checks >"$GT_RUN/migrate.log" 2>&1 \
    && python manage.py createcachetable >>"$GT_RUN/migrate.log" 2>&1 \
    && python manage.py pgpartition --yes >>"$GT_RUN/migrate.log" 2>&1)
  spawn web uvicorn glitchtip.asgi:application --host "$HOST" --port "$WEB_PORT" --lifespan off
  # Events are stored by Celery tasks (apps/event_ingest): without the worker the API never shows them.
  IS_CELERY=true CELERY_SKIP_CHECKS=true spawn worker \
    celery -A glitchtip worker -l info --pool threads --concurrency 4
  for _ in $(seq 1 120); do
    curl -fsS "http://$HOST:$WEB_PORT/api/settings/" >/dev/null 2>&1 && { echo "web up"; return; }
    sleep 0.5
  done
  echo "web did not answer; see $GT_RUN/web.log" >&2; return 1
}

cmd_bootstrap() {
  gt_env
  (cd "$GT_SRC" && ORG_SLUG="$ORG_SLUG" TEAM_SLUG="$TEAM_SLUG" PROJECT_NAME="$PROJECT_NAME" \
    DEV_EMAIL="$DEV_EMAIL" python manage.py shell >"$GT_RUN/bootstrap.out" <<'PY'
import os
from apps.api_tokens.models import APIToken
from apps.organizations_ext.models import Organization
from apps.projects.models import Project, ProjectKey
from apps.teams.models import Team
from apps.users.models import User

email = os.environ["DEV_EMAIL"]
user = User.objects.filter(email=email).first() or User.objects.create_user(email, "dev-password-unused")
org, _ = Organization.objects.get_or_create(slug=os.environ["ORG_SLUG"], defaults={"name": "Acme"})
org_user = org.organization_users.filter(user=user).first() or org.add_user(user)
team, _ = Team.objects.get_or_create(slug=os.environ["TEAM_SLUG"], organization=org)
team.members.add(org_user)
project = Project.objects.filter(organization=org, name=os.environ["PROJECT_NAME"]).first()
if project is None:
    project = Project.objects.create(organization=org, name=os.environ["PROJECT_NAME"], platform="python")
team.projects.add(project)
key = ProjectKey.objects.filter(project=project).first() or ProjectKey.objects.create(project=project)
token = APIToken.objects.filter(user=user, label="stacklens-dev").first()
if token is None:
    token = APIToken.objects.create(user=user, label="stacklens-dev")
    token.add_permissions([flag for flag, _ in token.scopes.items()])
print("ORG=" + org.slug)
print("PROJECT=" + project.slug)
print("PROJECT_ID=" + str(project.id))
print("TOKEN=" + token.token)
print("DSN=" + key.get_dsn())
PY
  )
  local org project pid token dsn
  org=$(sed -n 's/^ORG=//p' "$GT_RUN/bootstrap.out")
  project=$(sed -n 's/^PROJECT=//p' "$GT_RUN/bootstrap.out")
  pid=$(sed -n 's/^PROJECT_ID=//p' "$GT_RUN/bootstrap.out")
  token=$(sed -n 's/^TOKEN=//p' "$GT_RUN/bootstrap.out")
  dsn=$(sed -n 's/^DSN=//p' "$GT_RUN/bootstrap.out")
  rm -f "$GT_RUN/bootstrap.out"
  umask 077
  cat >"$GT_RUN/env" <<EOF
# GlitchTip dev instance (scripts/glitchtip_dev.sh). Secret: do not commit.
STACKLENS_LIVE_GLITCHTIP_URL=http://$HOST:$WEB_PORT
STACKLENS_LIVE_GLITCHTIP_TOKEN=$token
STACKLENS_LIVE_GLITCHTIP_ORG=$org
STACKLENS_LIVE_GLITCHTIP_PROJECT=$project
STACKLENS_LIVE_GLITCHTIP_PROJECT_ID=$pid
STACKLENS_LIVE_GLITCHTIP_DSN=$dsn
GLITCHTIP_URL=http://$HOST:$WEB_PORT
GLITCHTIP_AUTH_TOKEN=$token
GLITCHTIP_ORG=$org
EOF
  echo "wrote $GT_RUN/env"
}

cmd_stop() {
  for name in worker web; do
    if [ -f "$GT_RUN/$name.pid" ]; then kill "$(cat "$GT_RUN/$name.pid")" 2>/dev/null || true; rm -f "$GT_RUN/$name.pid"; fi
  done
  [ -f "$GT_RUN/redis.pid" ] && kill "$(cat "$GT_RUN/redis.pid")" 2>/dev/null || true
  su postgres -c "$PG_BIN/pg_ctl -D '$GT_RUN/pgdata' -m fast stop" 2>/dev/null || true
}

cmd_status() {
  for name in web worker redis; do
    if [ -f "$GT_RUN/$name.pid" ] && kill -0 "$(cat "$GT_RUN/$name.pid")" 2>/dev/null; then
      echo "$name: running (pid $(cat "$GT_RUN/$name.pid"))"
    else echo "$name: stopped"; fi
  done
  su postgres -c "$PG_BIN/pg_ctl -D '$GT_RUN/pgdata' status" 2>/dev/null | head -1 || echo "postgres: stopped"
}

case "${1:-}" in
  deps) cmd_deps ;;
  start) cmd_start ;;
  bootstrap) cmd_bootstrap ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  all) cmd_deps; cmd_start; cmd_bootstrap ;;
  *) sed -n '2,20p' "$0"; exit 2 ;;
esac
