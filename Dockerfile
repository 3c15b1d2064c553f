# syntax=docker/dockerfile:1
#
# One image for every process of the portal: gunicorn web (the default CMD),
# Celery worker and Celery beat (docker-compose.yml overrides the command).
#
#   docker build -t ecom-portal .
#   docker run --rm -p 8000:8000 -e SECRET_KEY=... -e ALLOWED_HOSTS=localhost \
#       -e DATABASE_URL=postgres://... -e REDIS_URL=redis://... ecom-portal

FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=portal.settings.production \
    GUNICORN_WORKERS=3 \
    GUNICORN_THREADS=4 \
    GUNICORN_TIMEOUT=60

# The processes run unprivileged; the code stays root-owned and read-only to them.
RUN groupadd --system --gid 10001 portal \
 && useradd --system --uid 10001 --gid portal --home-dir /home/portal --create-home \
        --shell /usr/sbin/nologin portal

# Health probe shared by the HEALTHCHECK below and docker-compose.yml. Django rejects a
# Host header that is not in ALLOWED_HOSTS, so the probe presents the first configured
# host instead of 127.0.0.1 (which a real deployment rarely lists). /healthz is exempt
# from SECURE_SSL_REDIRECT, so plain HTTP to the container works.
COPY --chmod=0755 <<'EOF' /usr/local/bin/portal-healthcheck
#!/usr/local/bin/python
"""Exit 0 when GET /healthz on this container answers 200, 1 otherwise."""
import os
import sys
import urllib.error
import urllib.request

hosts = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "").split(",")]
host = next((h.lstrip(".") for h in hosts if h and "*" not in h), "localhost")
port = os.environ.get("HEALTHCHECK_PORT", "8000")
request = urllib.request.Request(f"http://127.0.0.1:{port}/healthz", headers={"Host": host})
try:
    with urllib.request.urlopen(request, timeout=4) as response:
        print(response.status, response.read(500).decode(errors="replace"))
        sys.exit(0 if response.status == 200 else 1)
except urllib.error.HTTPError as exc:
    print(exc.code, exc.read(500).decode(errors="replace"))
except OSError as exc:
    print(f"unreachable: {exc}")
sys.exit(1)
EOF

WORKDIR /app

# Dependencies first, so a code change does not reinstall them. pyproject declares no
# packages (the apps run from /app), so this installs the runtime dependencies only;
# README.md is needed because pyproject names it as the project's readme; constraints.txt
# pins every version (the lock file, `make lock`).
COPY pyproject.toml README.md constraints.txt ./
RUN pip install -c constraints.txt . \
 && rm -rf build *.egg-info

COPY . .

# Translations are compiled with Babel (no gettext in the image). collectstatic imports
# the production settings, which insist on SECRET_KEY and ALLOWED_HOSTS: the values here
# are throw-away and exist only for this RUN line; they are not kept in the image.
RUN python scripts/compile_messages.py \
 && SECRET_KEY=collectstatic-only-not-a-real-secret ALLOWED_HOSTS=localhost \
    python manage.py collectstatic --noinput

USER portal

EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=6s --start-period=30s --retries=3 \
    CMD ["portal-healthcheck"]

# gunicorn is PID 1 (exec), so `docker stop` reaches it and it shuts down gracefully.
# Threads let one worker overlap database and Redis waits; extra flags can be passed
# through GUNICORN_CMD_ARGS, which gunicorn reads itself.
CMD ["sh", "-c", "exec gunicorn portal.wsgi:application --bind 0.0.0.0:8000 --workers \"${GUNICORN_WORKERS:-3}\" --threads \"${GUNICORN_THREADS:-4}\" --timeout \"${GUNICORN_TIMEOUT:-60}\" --max-requests 1000 --max-requests-jitter 100 --worker-tmp-dir /dev/shm --access-logfile - --error-logfile -"]
