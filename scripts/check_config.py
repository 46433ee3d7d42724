"""Check the configuration as `chalice local --stage local` would load it, in a fraction of
a second and without starting anything:

    python -m scripts.check_config [--stage local] [--env NAME=VALUE ...]

The environment is the stage's variables from .chalice/config.json laid over this
process's, as chalice lays them, then the --env overrides (what `make serve CONFIG=...`
passes). Prints what would be served, e.g. "chalicelib/dashboards.toml (2 dashboards)";
or the app's own one-line start-up error on stderr, exit status 1.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# What the app prints when its configuration stops it (chalicelib/web/root.py, Site.from_env).
CANNOT_START = "ThingSpeak Glance cannot start: "


class Problem(Exception):
    """The configuration would stop the app; str() is the one line to print."""


@dataclass(frozen=True)
class Served:
    source: str  # the dashboards file as given, or THINGSPEAK_CHANNEL_ID
    dashboards: tuple[str, ...]  # their names, in file order

    def __str__(self) -> str:
        count = len(self.dashboards)
        return f"{self.source} ({count} dashboard{'' if count == 1 else 's'})"


def load(environ: Mapping[str, str]) -> Served:
    """The app's configuration from `environ`: the one place this script (and
    scripts/devserver.py) reaches into chalicelib."""
    from chalicelib.config.loader import load_config
    from chalicelib.config.model import ConfigError

    try:
        config = load_config(environ)
    except ConfigError as exc:
        raise Problem(f"{CANNOT_START}{exc}") from None
    return Served(config.source, tuple(d.name for d in config.dashboards))


def stage_environment(
    stage: str, overrides: Mapping[str, str], root: Path = ROOT
) -> dict[str, str]:
    """The variables chalice gives the app on `stage` (top level, then the stage's), with
    `overrides` on top: merged by chalice's own Config, like `chalice local` does."""
    from chalice.config import Config

    path = root / ".chalice" / "config.json"
    try:
        on_disk = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise Problem(f"{CANNOT_START}.chalice/config.json: {exc}") from None
    if stage not in on_disk.get("stages", {}):
        raise Problem(f"{CANNOT_START}.chalice/config.json has no stage {stage!r}.")
    config = Config(
        chalice_stage=stage,
        user_provided_params={"environment_variables": dict(overrides)},
        config_from_disk=on_disk,
    )
    return {str(k): str(v) for k, v in config.environment_variables.items()}


def app_environment(
    stage: str, overrides: Mapping[str, str], environ: Mapping[str, str] | None = None
) -> dict[str, str]:
    """What the app's os.environ holds under `chalice local`: the process's variables with
    the stage's (and the overrides) set over them."""
    base = os.environ if environ is None else environ
    return {**base, **stage_environment(stage, overrides)}


def check(stage: str, overrides: Mapping[str, str]) -> Served:
    return load(app_environment(stage, overrides))


def parse_overrides(pairs: Sequence[str]) -> dict[str, str]:
    overrides: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise SystemExit(f"--env takes NAME=VALUE, got {pair!r}")
        overrides[name] = value
    return overrides


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.check_config", description=__doc__)
    parser.add_argument("--stage", default="local")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE")
    args = parser.parse_args(argv)
    try:
        served = check(args.stage, parse_overrides(args.env))
    except Problem as exc:
        print(exc, file=sys.stderr, flush=True)
        return 1
    print(served, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
