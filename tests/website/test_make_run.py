"""`make run` as a newcomer sees it (issue #13, item 10): the address, the demo logins and
what runs, and nothing else (no build-backend banner, no broker warning, no traceback); the
portal then answers at that address."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOISE = ("setuptools", "No hostname", "Traceback", "WARNING", "Error", "egg_info", "kombu")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.skipif(not (ROOT / ".venv" / "bin" / "python").exists(), reason="needs make's .venv")
def test_make_run_prints_the_address_logins_and_what_runs_then_serves(tmp_path):
    port = _free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DJANGO_SETTINGS_MODULE", "REDIS_URL", "DATABASE_URL"}
        and not key.startswith("TEST_")
    }
    env.update(PORT=str(port), DATABASE_URL=f"sqlite:///{tmp_path / 'run.sqlite3'}")
    process = subprocess.Popen(
        ["make", "--no-print-directory", "run"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 120
        assert process.stdout is not None
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            lines.append(line.rstrip("\n"))
            if line.strip().startswith("Stop:"):
                break
        output = "\n".join(lines)
        assert f"http://127.0.0.1:{port}/" in output, output
        for expected in ("wangfang", "demo1234", "Running:", "sqlite (DATABASE_URL)"):
            assert expected in output, output
        assert not [word for word in NOISE if word in output], output
        # Then the portal answers there: the login page, in the default language.
        for _attempt in range(50):
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/accounts/login/", timeout=2
                ) as response:
                    assert response.status == 200
                    assert "电商工程管理平台" in response.read().decode()
                    break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail("the portal did not answer at the address it printed:\n" + output)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
