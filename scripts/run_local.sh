#!/usr/bin/env bash
# Serve the portal with its periodic jobs beside it; Ctrl-C stops both.
# Without REDIS_URL, celery beat runs each due task inline (task_always_eager), so the
# embedded default needs no broker; with REDIS_URL, a worker with an embedded beat runs.
set -euo pipefail
PORT="${1:-8000}"
BIN="$(dirname "$0")/../.venv/bin"
mkdir -p .run
if [[ -n "${REDIS_URL:-}" ]]; then
  "$BIN/celery" -A portal worker -B -l warning --schedule .run/celerybeat-schedule &
else
  "$BIN/celery" -A portal beat -l warning --schedule .run/celerybeat-schedule &
fi
SCHEDULER=$!
trap 'kill "$SCHEDULER" 2>/dev/null || true' EXIT INT TERM
"$BIN/python" manage.py runserver "127.0.0.1:${PORT}"
