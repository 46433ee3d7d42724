"""`python -m deploy.build`, then `chalice package`: the Lambda zip carries checked-hash
byte code for every module it ships, a cold view loads each of them from it, an edited
source is compiled rather than served stale, and two builds give the same bytes.

The package is built from a clean copy of the project (as a fresh clone would be),
unpacked and run the way Lambda runs it: a bare interpreter (-I -S) that writes nothing
(-B), with only the package and the standard library on its path.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from deploy import build
from deploy.errors import DeployError
from emulator import Emulator
from scripts.local_app import without_app_settings
from tests.conftest import DEMO_ENV

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
COLDVIEW = ROOT / "scripts" / "coldview.py"
# What a cold view of a dashboard imports from the package, at the least.
COLD_VIEW_MODULES = (
    "requests/__init__.py",
    "requests/sessions.py",
    "urllib3/__init__.py",
    "urllib3/connectionpool.py",
    "charset_normalizer/__init__.py",
    "idna/core.py",
    "jinja2/environment.py",
    "markupsafe/__init__.py",
    "chalice/app.py",
    "chalice/__init__.py",
    "app.py",
    "chalicelib/web/dashboard.py",
    "chalicelib/web/rendering.py",
)


@dataclass(frozen=True)
class Built:
    project: Path
    zip: Path
    unpacked: Path
    overlay: dict[str, str]  # the build's .pyc files: sha256 of each
    package_log: str


def env() -> dict[str, str]:
    environ = {**without_app_settings(os.environ), "AWS_DEFAULT_REGION": "eu-west-1"}
    environ.pop("PYTHONDONTWRITEBYTECODE", None)
    return environ


def run(argv: list[str], cwd: Path) -> str:
    done = subprocess.run(
        argv, cwd=cwd, env=env(), capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


def overlay(project: Path) -> dict[str, str]:
    """The build's byte code (vendor/ and chalicelib/): path -> sha256 of its bytes."""
    return {
        path.relative_to(project).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for folder in ("vendor", "chalicelib")
        for path in sorted((project / folder).rglob("*.pyc"))
    }


def read_only(tree: Path) -> None:
    for path in [*tree.rglob("*"), tree]:
        if not path.is_symlink():
            path.chmod(path.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))


def writable(tree: Path) -> None:
    for path in [tree, *tree.rglob("*")]:
        if not path.is_symlink():
            path.chmod(path.stat().st_mode | stat.S_IWUSR)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    base = tmp_path_factory.mktemp("build")
    project = base / "project"
    shutil.copytree(
        ROOT,
        project,
        symlinks=True,
        ignore=shutil.ignore_patterns(".git", ".venv", "node_modules", "__pycache__", "artifacts"),
    )
    shutil.rmtree(project / ".chalice" / "deployments", ignore_errors=True)
    run([sys.executable, "-m", "deploy.build", "--stage", "prod"], project)
    log = run([str(BIN / "chalice"), "package", "--stage", "prod", str(base / "out")], project)
    unpacked = base / "unpacked"
    with zipfile.ZipFile(base / "out" / "deployment.zip") as archive:
        archive.extractall(unpacked)
    read_only(unpacked)
    yield Built(project, base / "out" / "deployment.zip", unpacked, overlay(project), log)
    writable(unpacked)


def cold_view(package: Path, emulator_url: str, *flags: str) -> subprocess.CompletedProcess[str]:
    """coldview.py's view of a dashboard, run inside the unpacked package (-B -I -S)."""
    return subprocess.run(
        [sys.executable, "-B", "-I", "-S", *flags, str(COLDVIEW), "view", "/d/weather"],
        cwd=package,
        env={
            "PATH": os.environ.get("PATH", os.defpath),
            "THINGSPEAK_URL": emulator_url,
            "GLANCE_CONFIG": "chalicelib/dashboards.toml",
            **DEMO_ENV,  # the private greenhouse's key, as the dev stage sets it
            "_HANDLER": "app.app",
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def code_objects_from(stderr: str, package: Path) -> dict[str, str]:
    """-v's "code object from X" lines for the package's modules: module file -> X."""
    loaded = {}
    prefix = str(package) + "/"
    for line in stderr.splitlines():
        if not line.startswith("# code object from "):
            continue
        where = line.removeprefix("# code object from ").strip("'")
        if not where.startswith(prefix):
            continue
        relative = where.removeprefix(prefix)
        if "__pycache__/" in relative:
            folder, _, name = relative.rpartition("__pycache__/")
            relative = folder + name.split(".", 1)[0] + ".py"
        loaded[relative] = where
    return loaded


# --- the package ------------------------------------------------------------------------


@pytest.mark.slow
def test_every_python_file_in_the_package_has_checked_hash_byte_code(built: Built) -> None:
    with zipfile.ZipFile(built.zip) as archive:
        names = archive.namelist()
        assert not [name for name, n in Counter(names).items() if n > 1]  # one entry a name
        sources = [name for name in names if name.endswith(".py")]
        for source in sources:
            cached = importlib.util.cache_from_source(source, optimization="")
            assert cached in names, f"{source} has no byte code in the package"
            pyc = archive.read(cached)
            assert pyc[:4] == importlib.util.MAGIC_NUMBER, cached
            assert int.from_bytes(pyc[4:8], "little") == 0b11, f"{cached} is not checked-hash"
            assert pyc[8:16] == importlib.util.source_hash(archive.read(source)), cached
        for module in COLD_VIEW_MODULES:
            assert module in sources
        assert any(n.startswith("chalicelib/templates_compiled/__pycache__/") for n in names)
    size = built.zip.stat().st_size
    print(f"deployment.zip with byte code: {size:,} bytes")
    assert size <= 9 * 1024 * 1024


@pytest.mark.slow
def test_a_cold_view_from_the_package_loads_every_module_from_byte_code(built: Built) -> None:
    with Emulator() as emu:
        done = cold_view(built.unpacked, emu.url, "-v")
    assert done.returncode == 0, done.stderr[-2000:]
    assert '"bytes"' in done.stdout
    loaded = code_objects_from(done.stderr, built.unpacked)
    compiled_at_start = sorted(m for m, where in loaded.items() if "__pycache__" not in where)
    assert compiled_at_start == []
    for module in COLD_VIEW_MODULES:
        assert module in loaded, f"{module} not imported by the cold view"
    assert any(m.startswith("chalicelib/templates_compiled/") for m in loaded)
    assert not list(built.unpacked.rglob("*.pyc.*"))  # nothing written (-B, read-only)


@pytest.mark.slow
def test_an_edited_source_is_compiled_never_served_from_old_byte_code(
    built: Built, tmp_path: Path
) -> None:
    package = tmp_path / "edited"
    shutil.copytree(built.unpacked, package, symlinks=True)
    writable(package)
    version = package / "requests" / "__version__.py"
    text = version.read_text(encoding="utf-8")
    version.write_text(
        text.replace("__version__ = ", '__version__ = "edited" or ', 1), encoding="utf-8"
    )
    with (package / "chalicelib" / "config" / "units.py").open("a", encoding="utf-8") as units:
        units.write("\nEDITED = 'yes'\n")
    read_only(package)
    try:
        probe = (
            "import sys; sys.path.insert(0, '.'); import requests, chalicelib.config.units as u;"
            "print(requests.__version__, u.EDITED)"
        )
        done = subprocess.run(
            [sys.executable, "-B", "-I", "-S", "-v", "-c", probe],
            cwd=package,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        writable(package)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["edited", "yes"]
    loaded = code_objects_from(done.stderr, package)
    assert loaded["requests/__version__.py"] == str(version)  # compiled from the source
    assert loaded["chalicelib/config/units.py"].endswith("chalicelib/config/units.py")
    assert "__pycache__" in loaded["requests/api.py"]  # the others still from byte code


@pytest.mark.slow
def test_a_second_build_gives_the_same_bytes_and_chalice_reuses_its_package(
    built: Built,
) -> None:
    assert len(built.overlay) > 200
    run([sys.executable, "-m", "deploy.build", "--stage", "prod"], built.project)
    assert overlay(built.project) == built.overlay
    again = built.project.parent / "again"
    log = run([str(BIN / "chalice"), "package", "--stage", "prod", str(again)], built.project)
    assert "Reusing existing deployment package" in log
    assert (again / "deployment.zip").read_bytes() == built.zip.read_bytes()


# --- refusals, one line each ------------------------------------------------------------


def test_the_build_refuses_an_interpreter_other_than_the_runtime() -> None:
    with pytest.raises(DeployError) as refused:
        build.check_interpreter("python3.9")
    message = str(refused.value)
    assert "python3.9" in message and "\n" not in message


def test_the_build_refuses_an_unknown_stage(capsys: pytest.CaptureFixture[str]) -> None:
    assert build.main(["--stage", "nope"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no stage 'nope'" in err


def test_the_runtime_is_the_one_chalice_picks() -> None:
    runtime, architecture = build.stage_runtime(ROOT, "prod")
    assert runtime == f"python{sys.version_info.major}.{sys.version_info.minor}"
    assert architecture == "x86_64"


# --- compiled templates: made by this Jinja2 or not used --------------------------------


def test_compiled_templates_from_another_jinja2_are_not_used(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import jinja2
    from jinja2 import FileSystemLoader, ModuleLoader

    from chalicelib.web import rendering as render

    assert isinstance(render._loader(render.TEMPLATES_DIR), ModuleLoader)
    monkeypatch.setattr(jinja2, "__version__", "3.1.999")
    assert isinstance(render._loader(render.TEMPLATES_DIR), FileSystemLoader)


def test_jinja2_is_pinned_exactly_to_the_version_installed() -> None:
    import jinja2

    pins = [
        line.split()[0]
        for line in (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines()
        if line.lower().startswith("jinja2==")
    ]
    assert pins == [f"jinja2=={jinja2.__version__}"]
