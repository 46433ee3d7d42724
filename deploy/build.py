"""`python -m deploy.build --stage prod` (`make build`): byte code for the Lambda package.

Lambda runs the zip from a read-only /var/task, and the zip Chalice builds holds no .pyc:
every cold start compiled requests, urllib3, jinja2, chalice/app.py and the app from
source, and threw the result away. This writes the byte code of every module the package
ships (git-ignored `__pycache__` folders):

- the dependencies exactly as Chalice packages them (its own DependencyBuilder: the
  locked requirements.txt, manylinux wheels for the stage's runtime and architecture),
  Chalice's runtime files (chalice/app.py, chalice/__init__.py) and app.py: into vendor/,
  which Chalice copies into the zip root after the dependencies and the app, so each
  `foo/__pycache__/bar.cpython-3XX.pyc` lands beside the `foo/bar.py` it was made from;
- chalicelib/: into chalicelib's own `__pycache__` folders, since Chalice zips chalicelib/
  whole, caches included (and `chalice package` imports the app first, which writes
  them): a copy in vendor/ would give the zip two entries of one name. Python keeps a
  valid checked-hash .pyc and rewrites a stale one as checked-hash again.
The byte code is checked-hash: Python uses it only while the source's hash matches, so
an edited module or an upgraded dependency shipped without a rebuild is compiled at
start, as before, never served stale. Same inputs, same bytes (sorted order, fixed hash
seed, no timestamps, fixed file times), so Chalice's package cache (keyed by the
requirements, the app files and vendor/) is reused while nothing changed.

A bare `chalice deploy` without this step still works, only its cold starts are slower.

    python -m deploy.build [--stage prod]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from deploy.errors import DeployError

ROOT = Path(__file__).resolve().parent.parent
VENDOR = "vendor"
# Every zip entry written from vendor/ gets this time (1980-01-01, the zip format's first
# day), so the package's bytes do not depend on when the build ran.
FIXED_MTIME = 315532800
# Compiles in a fresh interpreter with a fixed hash seed: a frozenset constant is
# marshalled in iteration order, which follows the (otherwise random) string hashes.
COMPILER = """
import json, py_compile, sys
done = []
for source, target, shown in json.load(sys.stdin):
    try:
        py_compile.compile(
            source, cfile=target, dfile=shown, doraise=True, optimize=0,
            invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH,
        )
    except py_compile.PyCompileError:
        continue  # not Python this runtime can import (Lambda could not either)
    done.append(shown)
json.dump(done, sys.stdout)
"""


def stage_runtime(project: Path, stage: str) -> tuple[str, str]:
    """The Lambda runtime (e.g. python3.13) and architecture Chalice picks for the stage."""
    from chalice.config import Config

    path = project / ".chalice" / "config.json"
    config_from_disk: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    stages = config_from_disk.get("stages", {})
    if stage not in stages:
        raise DeployError(
            f"no stage {stage!r} in .chalice/config.json (stages: {', '.join(sorted(stages))})"
        )
    config = Config(chalice_stage=stage, config_from_disk=config_from_disk)
    return str(config.lambda_python_version), str(config.lambda_architecture)


def check_interpreter(runtime: str) -> None:
    here = f"python{sys.version_info.major}.{sys.version_info.minor}"
    if here != runtime:
        raise DeployError(
            f"the stage runs {runtime} but this is {here}: its byte code would never be "
            f"used; run the build (and chalice) with {runtime}"
        )


def check_templates(project: Path) -> None:
    """The committed compiled templates must be what this Jinja2 makes of the sources."""
    done = subprocess.run(
        [sys.executable, "-B", str(project / "scripts" / "compile_templates.py"), "--check"],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        lines = (done.stderr or done.stdout).strip().splitlines() or ["failed"]
        raise DeployError(lines[-1].removeprefix("error: "))


def build_dependencies(project: Path, runtime: str, architecture: str, target: Path) -> None:
    """site-packages exactly as `chalice package` builds it for the stage."""
    from chalice.deploy.packager import (
        BaseLambdaDeploymentPackager,
        DependencyBuilder,
        MissingDependencyError,
        PipRunner,
        SubprocessPip,
    )
    from chalice.utils import OSUtils

    osutils = OSUtils()
    builder = DependencyBuilder(
        osutils,
        PipRunner(pip=SubprocessPip(osutils=osutils), osutils=osutils),
        architecture=architecture,
    )
    abi = BaseLambdaDeploymentPackager._RUNTIME_TO_ABI[runtime]
    try:
        builder.build_site_packages(abi, str(project / "requirements.txt"), str(target))
    except MissingDependencyError as exc:
        names = ", ".join(sorted(p.identifier for p in exc.missing))
        raise DeployError(f"no Lambda-compatible wheel for {names} ({runtime})") from None
    except Exception as exc:  # pip's failures: one line, not a traceback
        raise DeployError(f"could not build the dependencies: {exc}".splitlines()[0]) from None


def python_files(directory: Path, skip_top: tuple[str, ...] = ()) -> Iterator[Path]:
    """Each .py file under directory, relative to it, as Chalice walks it (no links)."""
    for root, dirs, files in os.walk(directory):
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        if Path(root) == directory:
            dirs[:] = [d for d in dirs if d not in skip_top]
        for name in files:
            if name.endswith(".py"):
                yield (Path(root) / name).relative_to(directory)


def shipped_sources(project: Path, site: Path) -> list[tuple[Path, str]]:
    """(source file, its path in the zip) for every .py file the package will hold."""
    import chalice
    import chalice.app

    sources = [(site / rel, rel.as_posix()) for rel in python_files(site, ("chalice",))]
    sources += [
        (Path(chalice.app.__file__), "chalice/app.py"),
        (Path(chalice.__file__), "chalice/__init__.py"),
        (project / "app.py", "app.py"),
    ]
    lib = project / "chalicelib"
    sources += [(lib / rel, f"chalicelib/{rel.as_posix()}") for rel in python_files(lib)]
    return sorted(sources, key=lambda pair: pair[1])


def clear_overlay(vendor: Path) -> None:
    """Remove the byte code an earlier build put in vendor/ (and the folders it made);
    leave everything else there (vendor/templates) alone, links never followed."""
    for root, dirs, _ in os.walk(vendor, topdown=False):
        for name in dirs:
            path = Path(root) / name
            if path.is_symlink():
                continue
            if name == "__pycache__":
                shutil.rmtree(path)
            elif not any(path.iterdir()):
                path.rmdir()


def clear_stale_caches(project: Path) -> None:
    """Chalice zips chalicelib/ whole: a local run's timestamp .pyc there would be
    shipped beside (and under the same name as) the checked-hash one from vendor/."""
    for cache in sorted((project / "chalicelib").rglob("__pycache__")):
        shutil.rmtree(cache)


def compile_overlay(sources: list[tuple[Path, str]], project: Path) -> list[str]:
    jobs = []
    for source, shown in sources:
        cached = importlib.util.cache_from_source(shown, optimization="")
        where = project if shown.startswith("chalicelib/") else project / VENDOR
        jobs.append((str(source), str(where / cached), shown))
    done = subprocess.run(
        [sys.executable, "-S", "-c", COMPILER],
        input=json.dumps(jobs),
        env={"PYTHONHASHSEED": "0", "PATH": os.environ.get("PATH", os.defpath)},
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise DeployError(f"compiling failed: {done.stderr.strip().splitlines()[-1:]}")
    compiled: list[str] = json.loads(done.stdout)
    for _, target, _ in jobs:
        if os.path.exists(target):
            os.utime(target, (FIXED_MTIME, FIXED_MTIME))
    return compiled


def build(stage: str, project: Path = ROOT) -> str:
    runtime, architecture = stage_runtime(project, stage)
    check_interpreter(runtime)
    check_templates(project)
    vendor = project / VENDOR
    vendor.mkdir(exist_ok=True)
    clear_overlay(vendor)
    clear_stale_caches(project)
    with tempfile.TemporaryDirectory(prefix="glance-build-") as tmp:
        site = Path(tmp) / "site-packages"
        site.mkdir()
        build_dependencies(project, runtime, architecture, site)
        sources = shipped_sources(project, site)
        compiled = compile_overlay(sources, project)
    caches = [*vendor.rglob("*.pyc"), *(project / "chalicelib").rglob("*.pyc")]
    size = sum(path.stat().st_size for path in caches)
    app = sum(1 for name in compiled if name == "app.py" or name.startswith("chalice"))
    return (
        f"vendor/: checked-hash byte code of {len(compiled)} modules ({app} of the app and "
        f"Chalice, {len(compiled) - app} of the dependencies) for {runtime} {architecture}, "
        f"{size / 1024:.0f} KB; now `chalice package --stage {stage}` or `chalice deploy "
        f"--stage {stage}`"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.build", description=__doc__)
    parser.add_argument("--stage", default="prod")
    args = parser.parse_args(argv)
    sys.dont_write_bytecode = True  # nothing of this run may land in chalicelib/
    try:
        print(build(args.stage))
    except DeployError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
