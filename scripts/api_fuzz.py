#!/usr/bin/env python3
"""Schemathesis against the live API on the real services (part of `make test`).

Usage: .venv/bin/python scripts/with_services.py -- .venv/bin/python scripts/api_fuzz.py

Needs TEST_DATABASE_URL (PostgreSQL) and TEST_REDIS_URL, as `with_services.py` exports.
It creates a database of its own on that server, migrates it and loads the demo data,
serves the portal with gunicorn under the production settings (Redis cache and broker,
throttles on, DEBUG off) on a free loopback port, and runs every schemathesis check,
all phases (examples, coverage, fuzzing, stateful), with a bounded number of examples
per operation and a fixed seed so a failure can be replayed. Exit status: schemathesis'.

Environment: API_FUZZ_EXAMPLES (default 25), API_FUZZ_SEED (default 20261207),
API_FUZZ_REPORT (default .api-fuzz/ ; a JUnit report lands there).
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
CONFIG = ROOT / "tests" / "schemathesis.toml"
DB_NAME = "portal_api_fuzz"


def log(message: str) -> None:
    print(f"api_fuzz: {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def recreate_database(admin_url: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')


def drop_database(admin_url: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')


def manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [str(BIN / "python"), "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        log(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        raise SystemExit(result.returncode)
    return result.stdout


def wait_for(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"api_fuzz: the server did not answer {url} within {seconds:.0f} s")


def main() -> int:
    pg_url = os.environ.get("TEST_DATABASE_URL", "")
    redis_url = os.environ.get("TEST_REDIS_URL", "")
    if not pg_url.startswith("postgres") or not redis_url:
        log(
            "needs TEST_DATABASE_URL (PostgreSQL) and TEST_REDIS_URL: run it under with_services.py"
        )
        return 2
    examples = os.environ.get("API_FUZZ_EXAMPLES", "25")
    seed = os.environ.get("API_FUZZ_SEED", "20261207")
    report_dir = Path(os.environ.get("API_FUZZ_REPORT", ROOT / ".api-fuzz"))
    report_dir.mkdir(parents=True, exist_ok=True)

    admin_url = with_database(pg_url, "postgres")
    recreate_database(admin_url)
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": with_database(pg_url, DB_NAME),
        # Database 3 of the test Redis: the cache, the throttles and the broker.
        "REDIS_URL": with_database(redis_url, "3"),
        # Throttles stay on (their code path is tested) at a rate the run never reaches.
        "API_THROTTLE_USER": "100000/min",
        "NOTIFY_ALLOW_PRIVATE_NETWORK": "false",
        "LOG_LEVEL": "WARNING",
    }
    server = None
    # The 4xx answers the run provokes are logged by the server: keep them out of the
    # output, and print only the server errors' tracebacks after the run.
    server_log = (report_dir / "server.log").open("w")
    try:
        log("migrating and loading the demo data")
        manage(env, "migrate", "--noinput")
        manage(env, "seed_demo", "--quiet-logins")
        # A site admin sees every project, so every operation reaches real objects.
        token = manage(env, "drf_create_token", "admin").split()[2]
        log(f"serving on 127.0.0.1:{port} (its log: {server_log.name})")
        server = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "portal.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "2",
                "--timeout",
                "60",
                # The HTTP server's own request-line limit (a 414 from gunicorn, not from
                # the portal) is the front proxy's business; the run tests the portal.
                "--limit-request-line",
                "0",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
            start_new_session=True,
            stdout=server_log,
            stderr=subprocess.STDOUT,
        )
        wait_for(f"http://127.0.0.1:{port}/healthz")
        command = [
            str(BIN / "schemathesis"),
            "--config-file",
            str(CONFIG),
            "run",
            f"http://127.0.0.1:{port}/api/schema/",
            "--header",
            f"Authorization: Token {token}",
            "--checks",
            "all",
            "--max-examples",
            examples,
            "--seed",
            seed,
            "--workers",
            "2",
            "--report",
            "junit",
            "--report-dir",
            str(report_dir),
        ]
        log(f"schemathesis: {examples} examples per operation, seed {seed}")
        status = subprocess.run(command, cwd=ROOT, env={**os.environ}).returncode
        server_log.flush()
        lines = Path(server_log.name).read_text(errors="replace").splitlines()
        errors = [line for line in lines if " WARNING django.request " not in line]
        if any("Traceback" in line for line in errors):
            log("server errors (first 200 lines):\n" + "\n".join(errors[:200]))
        return status
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
        server_log.close()
        drop_database(admin_url)


if __name__ == "__main__":
    sys.exit(main())
