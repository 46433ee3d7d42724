"""What `make serve` runs (through scripts/serve): the ThingSpeak emulator, and the app on
`chalice local`'s server for the `local` stage, restarted when its files change.

    python -m scripts.devserver [FILE]     # FILE, else $GLANCE_CONFIG, else the stage's file

PORT (8000) is the app's port, EMULATOR_PORT (8001) the emulator's. The configuration is
checked first (scripts/check_config.py): a mistake stops everything at once with the app's
one-line reason, exit status 1. While serving, the project's files are polled every second;
after a change the configuration is checked again: a broken file prints that line (and the
last good version keeps serving), a good one restarts the app.

Why not plain `chalice local`: its reloader (chalice/cli/reloader.py) does watch every file
of the project, not only .py (stat() on all of them each second, a real .venv included), but
it builds the app in a daemon thread of its worker process: the one-line SystemExit dies
quietly with that thread and the worker waits for a change with nothing listening. And
`chalice local` lays the stage's environment_variables over the process's, so neither CONFIG
nor GLANCE_CONFIG could replace the stage's GLANCE_CONFIG. Here the app runs in `--worker`
processes that build the same server as `chalice local --no-autoreload`, with the overrides
given to chalice as user-provided environment_variables, which chalice merges last.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from types import FrameType

from scripts.check_config import parse_overrides

ROOT = Path(__file__).resolve().parent.parent
STAGE = "local"
HOST = "127.0.0.1"
# What a restart is for: the app's code, its configuration, the stage's settings.
WATCHED = ("app.py", ".chalice/config.json", "chalicelib", "vendor", "templates")
POLL_SECONDS = 1.0
START_SECONDS = 30.0  # importing the app and binding the port; usually about a second


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.devserver", description=__doc__)
    parser.add_argument("config", nargs="?", help="a dashboards file under chalicelib/")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT") or 8000))
    parser.add_argument("--env", action="append", default=[], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return worker(args.port, parse_overrides(args.env))
    emulator_port = int(os.environ.get("EMULATOR_PORT") or 8001)
    overrides = {
        "THINGSPEAK_URL": f"http://{HOST}:{emulator_port}",
        # Passkeys belong to this origin (docs/access.md): the port is part of it.
        "SITE_URL": f"http://localhost:{args.port}",
    }
    config = args.config or os.environ.get("GLANCE_CONFIG", "").strip()
    if config:
        overrides["GLANCE_CONFIG"] = config
    return Supervisor(args.port, emulator_port, overrides).run()


class Stop(Exception):
    """SIGTERM or SIGINT: stop the children and leave."""


class Supervisor:
    def __init__(self, port: int, emulator_port: int, overrides: Mapping[str, str]) -> None:
        self.port, self.emulator_port, self.overrides = port, emulator_port, dict(overrides)
        self.emulator: subprocess.Popen[bytes] | None = None
        self.app: subprocess.Popen[bytes] | None = None

    def run(self) -> int:
        def stop(signum: int, frame: FrameType | None) -> None:
            raise Stop

        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, stop)
        try:
            return self._serve()
        except Stop:
            return 0
        finally:
            for sig in (signal.SIGINT, signal.SIGTERM):
                signal.signal(sig, signal.SIG_IGN)
            for process in (self.app, self.emulator):
                _end(process)

    def _serve(self) -> int:
        seen = snapshot()  # before the check: an edit while starting up counts as a change
        ok, served = self.check()
        if not ok:
            say(served, error=True)
            return 1
        for port, variable in ((self.emulator_port, "EMULATOR_PORT"), (self.port, "PORT")):
            if not _free(port):
                say(f"{HOST}:{port} is taken: {variable}=... chooses another port.", error=True)
                return 1
        emulator = ["-m", "emulator", "--host", HOST, "--port", str(self.emulator_port)]
        self.emulator = _start([sys.executable, *emulator], stdout=subprocess.DEVNULL)
        if not _listening(self.emulator, self.emulator_port, 10):
            say(f"The ThingSpeak emulator did not start on {HOST}:{self.emulator_port}.", True)
            return 1
        self.app = self.start_app()
        if not _listening(self.app, self.port, START_SECONDS):
            say(f"The app did not start on {HOST}:{self.port}.", error=True)
            return 1
        say(
            f"ThingSpeak Glance on http://localhost:{self.port} serving {served}, fed by the "
            f"ThingSpeak emulator on {HOST}:{self.emulator_port}. Ctrl-C stops both."
        )
        self.watch(seen)
        return 1

    def check(self) -> tuple[bool, str]:
        """In a fresh interpreter: an edit to chalicelib/config.py counts too."""
        pairs = [f"--env={name}={value}" for name, value in self.overrides.items()]
        done = subprocess.run(
            [sys.executable, "-m", "scripts.check_config", "--stage", STAGE, *pairs],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode == 0:
            return True, done.stdout.strip()
        return False, (done.stderr.strip() or f"The configuration check failed ({done.returncode})")

    def start_app(self) -> subprocess.Popen[bytes]:
        pairs = [f"--env={name}={value}" for name, value in self.overrides.items()]
        command = [sys.executable, "-m", "scripts.devserver", "--worker", "--port", str(self.port)]
        return _start([*command, *pairs])

    def watch(self, seen: dict[Path, tuple[int, int]]) -> None:
        reported = False
        while True:
            time.sleep(POLL_SECONDS)
            assert self.emulator is not None and self.app is not None
            if self.emulator.poll() is not None:
                say(f"The ThingSpeak emulator stopped (exit {self.emulator.returncode}).", True)
                return
            now = snapshot()
            if now != seen:
                seen, reported = now, False
                ok, served = self.check()
                if not ok:
                    say(served, error=True)
                    if self.app.poll() is None:
                        say("(the last good version is still serving: save a fix to reload)")
                    continue
                _end(self.app)
                self.app = self.start_app()
                if _listening(self.app, self.port, START_SECONDS):
                    say(f"Reloaded: serving {served}")
            if self.app.poll() is not None and not reported:
                say(f"The app stopped (exit {self.app.returncode}): save a change to restart it.")
                reported = True


def worker(port: int, overrides: Mapping[str, str]) -> int:
    """`chalice local --stage local --no-autoreload`, with `overrides` merged last into the
    stage's environment_variables (chalice's user-provided parameters)."""
    from chalice.cli.factory import CLIFactory
    from chalice.deploy.validate import validate_routes

    os.environ["AWS_CHALICE_CLI_MODE"] = "true"  # as chalice's CLI sets it
    logging.basicConfig(stream=sys.stdout, level=logging.INFO, format="%(message)s")
    factory = CLIFactory(str(ROOT), environ=os.environ)
    config = factory.create_config_obj(
        chalice_stage_name=STAGE,
        user_provided_params={"environment_variables": dict(overrides)},
    )
    from scripts.gateway_responses import install

    install()  # unknown paths: our 404, as deploy.guard makes the deployed API answer
    app = config.chalice_app  # imports app.py: a bad configuration exits here, one line
    validate_routes(app.routes)
    server = factory.create_local_server(app, config, HOST, port)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    return 0


def snapshot(root: Path = ROOT) -> dict[Path, tuple[int, int]]:
    """Every watched file's modification time and size (an edit within one mtime tick
    usually changes the size)."""
    return dict(_stamps(root))


def _stamps(root: Path) -> Iterator[tuple[Path, tuple[int, int]]]:
    for name in WATCHED:
        top = root / name
        paths = [top] if top.is_file() else sorted(top.rglob("*")) if top.is_dir() else []
        for path in paths:
            if "__pycache__" in path.parts:
                continue
            with contextlib.suppress(OSError):
                stat = path.stat()
                if not path.is_dir():
                    yield path, (stat.st_mtime_ns, stat.st_size)


def say(line: str, error: bool = False) -> None:
    print(line, file=sys.stderr if error else sys.stdout, flush=True)


def _start(command: list[str], stdout: int | None = None) -> subprocess.Popen[bytes]:
    return subprocess.Popen(command, cwd=ROOT, stdout=stdout)


def _free(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as http.server binds
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
    return True


def _listening(process: subprocess.Popen[bytes], port: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and process.poll() is None:
        try:
            socket.create_connection((HOST, port), timeout=1).close()
            return True
        except OSError:
            time.sleep(0.1)
    return False


def _end(process: subprocess.Popen[bytes] | None) -> None:
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


if __name__ == "__main__":
    sys.exit(main())
