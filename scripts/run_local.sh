#!/usr/bin/env bash
# Serve the portal with its periodic jobs beside it; Ctrl-C stops both.
# Without REDIS_URL, celery beat runs each due task inline (task_always_eager), so the
# embedded default needs no broker; with REDIS_URL, a worker with an embedded beat runs.
set -euo pipefail
PORT="${1:-8000}"
BIN="$(dirname "$0")/../.venv/bin"
mkdir -p .run
if [[ -n "${REDIS_URL:-}" ]]; then
  "$BIN/celery" --quiet -A portal worker -B -l warning --schedule .run/celerybeat-schedule &
  JOBS="a Celery worker with the periodic jobs, on Redis"
else
  "$BIN/celery" --quiet -A portal beat -l warning --schedule .run/celerybeat-schedule &
  JOBS="the periodic jobs (snapshots, daily report, risk reviews, notifications), run inline"
fi
SCHEDULER=$!
trap 'kill "$SCHEDULER" 2>/dev/null || true' EXIT INT TERM
# Only the kind of database: the URL may carry a password.
if [[ -n "${DATABASE_URL:-}" ]]; then DB="${DATABASE_URL%%:*} (DATABASE_URL)"; else DB="SQLite (db.sqlite3)"; fi
cat <<MSG

  Portal:     http://127.0.0.1:${PORT}/
  API docs:   http://127.0.0.1:${PORT}/api/docs/
  Database:   ${DB}
  Running:    the web server and ${JOBS}
  Stop:       Ctrl-C

MSG
# Django's own banner repeats the address and warns that this is a development server,
# which is what `make run` is for; the production setup is in the README.
export DJANGO_RUNSERVER_HIDE_WARNING=true
"$BIN/python" manage.py runserver "127.0.0.1:${PORT}" 2>&1 \
  | grep --line-buffered -vE '^(Watching for file changes|Performing system checks|System check identified|Django version|Starting development server|Quit the server with|[A-Z][a-z]+ [0-9]{2}, [0-9]{4} - )' || true
