"""`make serve` for a newcomer (issue #19): a broken dashboards file stops it at once with
one line, CONFIG= (or GLANCE_CONFIG=) serves another file, an edit that breaks the file
while serving prints the line and a fix reloads it, and the serve install carries no test
tool.

Each server runs from a throwaway copy of the project (the test's dashboards files live in
its chalicelib/), on free loopback ports, in its own process group, stopped by the test."""

from __future__ import annotations

import json
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from scripts import check_config
from scripts.local_app import free_port, without_app_settings

ROOT = Path(__file__).resolve().parents[2]
NOT_COPIED = (".venv", ".git", "tests", "tools", "node_modules", "__pycache__", "artifacts",
              "build", ".pytest_cache", ".ruff_cache", ".mypy_cache")  # fmt: skip
CANNOT_START = "ThingSpeak Glance cannot start: "
# -o: the copy shares this interpreter's environment, whose serve stamp may be missing:
# make must install nothing into it.
MAKE_SERVE = ["make", "-s", "-o", ".venv/.serve-installed", "serve"]

MINE = """\
[[dashboard]]
name = "garden"
channel = 12397
title = "Garden"

[[dashboard]]
name = "shed"
channel = 1014
"""
ONE = '[[dashboard]]\nname = "garden"\nchannel = 12397\n'
BROKEN = '[[dashboard]]\nname = "garden"\nchannel = "twelve"\n'
BROKEN_LINE = (
    f"{CANNOT_START}chalicelib/mine.toml: dashboard 'garden': channel must be a positive whole "
    "number (the channel id)."
)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """The project without its tests and tools, using this interpreter's environment."""
    copy = tmp_path / "project"
    shutil.copytree(ROOT, copy, symlinks=True, ignore=shutil.ignore_patterns(*NOT_COPIED))
    (copy / ".venv").symlink_to(sys.prefix, target_is_directory=True)
    return copy


def environ(**extra: str) -> dict[str, str]:
    # conftest.py sets THINGSPEAK_CHANNEL_ID for the app it imports: not for these servers.
    return {**without_app_settings(os.environ), **extra}


class Server:
    """scripts/serve (or make serve) running in its own process group; its output, both
    streams, line by line."""

    def __init__(self, command: list[str], cwd: Path, **env: str) -> None:
        self.port, self.emulator_port = free_port(), free_port()
        ports = {"PORT": str(self.port), "EMULATOR_PORT": str(self.emulator_port)}
        self.process = subprocess.Popen(
            command,
            cwd=cwd,
            env=environ(**ports, **env),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))

    def wait_for(self, pattern: str, seconds: float = 30) -> str:
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                break
            self.seen.append(line)
            if re.search(pattern, line):
                return line
        raise AssertionError(f"no line matching {pattern!r} in {seconds} s; got {self.seen}")

    def dashboards(self) -> list[str]:
        url = f"http://127.0.0.1:{self.port}/api/dashboards"
        with urllib.request.urlopen(url, timeout=10) as response:
            return [card["name"] for card in json.load(response)]

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


@pytest.fixture
def servers() -> Iterator[list[Server]]:
    started: list[Server] = []
    yield started
    for server in started:
        server.stop()


# --- the check, as the local stage loads the configuration (no server)


def test_the_check_lays_the_stage_over_the_process_and_the_override_over_both() -> None:
    env = check_config.app_environment(
        "local", {"GLANCE_CONFIG": "chalicelib/mine.toml"}, {"GLANCE_CONFIG": "a", "X": "1"}
    )
    assert env["GLANCE_CONFIG"] == "chalicelib/mine.toml"
    assert env["X"] == "1"
    assert env["THINGSPEAK_URL"] == "http://127.0.0.1:8001"  # the stage's
    stage_only = check_config.app_environment("local", {}, {"THINGSPEAK_URL": "http://x"})
    assert stage_only["THINGSPEAK_URL"] == "http://127.0.0.1:8001"
    assert stage_only["GLANCE_CONFIG"] == "chalicelib/dashboards.toml"


def test_the_check_prints_what_would_be_served(capsys: pytest.CaptureFixture[str]) -> None:
    assert check_config.main(["--env", "THINGSPEAK_CHANNEL_ID="]) == 0
    assert capsys.readouterr().out == "chalicelib/dashboards.toml (3 dashboards)\n"


@pytest.mark.parametrize(
    ("file", "problem"),
    [
        ("mine.toml", "GLANCE_CONFIG must name a file under chalicelib/ (only that folder"),
        ("chalicelib/nope.toml", "chalicelib/nope.toml: no such file"),
    ],
)
def test_the_check_prints_the_apps_one_line(
    file: str, problem: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["--env", f"GLANCE_CONFIG={file}", "--env", "THINGSPEAK_CHANNEL_ID="]
    assert check_config.main(argv) == 1
    err = capsys.readouterr().err
    assert err.startswith(CANNOT_START + problem)
    assert err.count("\n") == 1


# --- make serve


@pytest.mark.slow
@pytest.mark.parametrize("how", ["make CONFIG=", "GLANCE_CONFIG=", "stage's file"])
def test_a_broken_file_stops_serve_within_10_s_with_one_line(project: Path, how: str) -> None:
    if how == "stage's file":
        (project / "chalicelib" / "dashboards.toml").write_text(BROKEN)
        command, env = ["scripts/serve"], {}
        line = BROKEN_LINE.replace("mine.toml", "dashboards.toml")
    else:
        (project / "chalicelib" / "mine.toml").write_text(BROKEN)
        line = BROKEN_LINE
        if how == "GLANCE_CONFIG=":
            command, env = ["scripts/serve"], {"GLANCE_CONFIG": "chalicelib/mine.toml"}
        else:
            command, env = [*MAKE_SERVE, "CONFIG=chalicelib/mine.toml"], {}
    started = time.monotonic()
    done = subprocess.run(
        command,
        cwd=project,
        env=environ(PORT=str(free_port()), EMULATOR_PORT=str(free_port()), **env),
        capture_output=True,
        text=True,
        timeout=10,
        start_new_session=True,
        check=False,
    )
    assert time.monotonic() - started < 10
    assert done.returncode != 0
    assert done.stdout == ""
    assert done.stderr.splitlines()[0] == line
    if how != "make CONFIG=":
        assert done.stderr == line + "\n"


@pytest.mark.slow
@pytest.mark.parametrize("how", ["make CONFIG=", "GLANCE_CONFIG= make"])
def test_serve_serves_the_file_it_is_given(project: Path, servers: list[Server], how: str) -> None:
    (project / "chalicelib" / "mine.toml").write_text(MINE)
    if how == "make CONFIG=":
        server = Server([*MAKE_SERVE, "CONFIG=chalicelib/mine.toml"], project)
    else:
        server = Server(MAKE_SERVE, project, GLANCE_CONFIG="chalicelib/mine.toml")
    servers.append(server)
    banner = server.wait_for(r"^ThingSpeak Glance on ")
    assert banner.startswith(
        f"ThingSpeak Glance on http://localhost:{server.port} serving chalicelib/mine.toml "
        f"(2 dashboards), fed by the ThingSpeak emulator on 127.0.0.1:{server.emulator_port}"
    )
    assert server.dashboards() == ["garden", "shed"]


@pytest.mark.slow
def test_an_edit_that_breaks_the_file_prints_the_line_and_a_fix_reloads(
    project: Path, servers: list[Server]
) -> None:
    mine = project / "chalicelib" / "mine.toml"
    mine.write_text(ONE)
    server = Server(["scripts/serve", "chalicelib/mine.toml"], project)
    servers.append(server)
    server.wait_for(r"serving chalicelib/mine\.toml \(1 dashboard\)")

    mine.write_text(BROKEN)
    assert server.wait_for(re.escape(CANNOT_START), 10) == BROKEN_LINE
    server.wait_for("the last good version is still serving", 5)
    assert server.dashboards() == ["garden"]

    mine.write_text(MINE)
    server.wait_for(r"^Reloaded: serving chalicelib/mine\.toml \(2 dashboards\)$")
    assert server.dashboards() == ["garden", "shed"]

    # Ctrl-C (SIGINT to the terminal's process group) stops all three processes, quietly.
    os.killpg(server.process.pid, signal.SIGINT)
    assert server.process.wait(timeout=10) == 0
    time.sleep(1)
    with pytest.raises(ProcessLookupError):
        os.killpg(server.process.pid, 0)
    assert not [line for line in _rest(server) if "Traceback" in line]


def _rest(server: Server) -> list[str]:
    lines = []
    while not server.lines.empty():
        lines.append(server.lines.get())
    return lines


# --- what `make serve` installs

TEST_TOOLS = {"pytest", "moto", "playwright", "cfn-lint", "mypy", "ruff", "hypothesis",
              "responses", "boto3-stubs", "types-requests"}  # fmt: skip


def _name(text: str) -> str:
    return re.sub(r"[-_.]+", "-", text).lower()


def requirements(file: str) -> list[Requirement]:
    """The requirements a file names, following its -r includes (a lock's --hash lines and
    comments aside)."""
    found: list[Requirement] = []
    for raw in (ROOT / file).read_text(encoding="utf-8").splitlines():
        line = raw.split(" #")[0].strip().removesuffix("\\").strip()
        if line.startswith(("#", "--hash")) or not line:
            continue
        if line.startswith("-r "):
            found += requirements(line[3:].strip())
        else:
            found.append(Requirement(line))
    return found


def installed_closure(roots: list[Requirement]) -> set[str]:
    """Every distribution the requirements pull in, as installed here (markers evaluated)."""
    seen: set[str] = set()
    todo = [(r, frozenset(r.extras)) for r in roots]
    while todo:
        requirement, extras = todo.pop()
        name = _name(requirement.name)
        if name in seen:
            continue
        seen.add(name)
        for text in metadata.requires(requirement.name) or []:
            child = Requirement(text)
            wanted = child.marker is None or any(
                child.marker.evaluate({"extra": extra}) for extra in (extras or {""})
            )
            if wanted:
                todo.append((child, frozenset(child.extras)))
    return seen


def is_test_tool(name: str) -> bool:
    return name in TEST_TOOLS or name.startswith(("pytest-", "types-")) or "stubs" in name


def test_the_serve_install_holds_no_test_tool() -> None:
    for file in ("requirements-serve.in", "requirements-serve.txt"):
        serve = [r for r in requirements(file) if r.marker is None or r.marker.evaluate()]
        named = {_name(r.name) for r in serve}
        assert "chalice" in named
        assert {n for n in named if is_test_tool(n)} == set(), file
        assert {n for n in installed_closure(serve) if is_test_tool(n)} == set(), file
    # ...while the dev install still brings every one of them, on top of the serve set.
    dev = {_name(r.name) for r in requirements("requirements-dev.txt")}
    assert dev >= TEST_TOOLS
    assert dev >= named


def test_chalice_is_pinned_in_one_place() -> None:
    pins = [
        (file.name, str(r))
        for file in sorted(ROOT.glob("requirements*.in"))
        for r in requirements(file.name)
        if _name(r.name) == "chalice"
    ]
    # requirements-dev.in reaches it through requirements-serve.in.
    assert pins == [
        ("requirements-dev.in", "chalice==1.34.0"),
        ("requirements-serve.in", "chalice==1.34.0"),
    ]


def test_every_lock_pins_what_its_source_names_with_hashes() -> None:
    for name in ("requirements", "requirements-serve", "requirements-dev"):
        locked = {_name(r.name): r for r in requirements(f"{name}.txt")}
        for wanted in requirements(f"{name}.in"):
            pin = locked[_name(wanted.name)]
            version = str(pin.specifier).removeprefix("==")
            assert wanted.specifier.contains(version), (name, str(wanted), version)
        text = (ROOT / f"{name}.txt").read_text(encoding="utf-8")
        pins = [line for line in text.splitlines() if "==" in line and not line.startswith("#")]
        assert len(pins) == len(locked)
        assert text.count("--hash=sha256:") >= len(pins), name  # every pin has its hashes
