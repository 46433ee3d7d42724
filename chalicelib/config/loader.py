"""Configuration: the dashboards file (or one channel from the environment) read once at
start-up into the typed model (model.py).

Every mistake stops start-up with one line naming the file (or variable), the
dashboard and what is wrong, instead of a 500 on the first request.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from chalicelib.config.model import (
    DEFAULT_STALE_MINUTES,
    DEFAULT_THINGSPEAK_URL,
    Config,
    ConfigError,
    Dashboard,
)
from chalicelib.config.tables import API_KEY, dashboard_from_table, env_value, is_parameter, known

APP_ROOT = Path(__file__).resolve().parents[2]
# Only chalicelib/ (and vendor/) reach the Lambda package beside app.py.
SHIPPED_DIR = "chalicelib"
# Settings that belong to one channel: with a dashboards file they live in it.
_PER_CHANNEL_ENV = (
    "STALE_AFTER_MINUTES",
    "THINGSPEAK_READ_API_KEY",
    "THINGSPEAK_READ_API_KEY_PARAM",
    "THINGSPEAK_PUBLIC",
)


def load_config(
    environ: Mapping[str, str] | None = None, root: Path = APP_ROOT, resolve_keys: bool = True
) -> Config:
    """resolve_keys=False reads the file without its keys' variables (for deploy tools)."""
    env = os.environ if environ is None else environ
    moved = sorted(k for k in env if re.match(r"^FIELDS$|^FIELD[1-8]_", k) and env_value(env, k))
    if moved:
        raise ConfigError(
            f"{', '.join(moved[:3])}{' …' if len(moved) > 3 else ''}: field display settings "
            "now live per dashboard in the GLANCE_CONFIG file ([[dashboard.field]] entries); "
            "remove these variables."
        )
    common: dict[str, Any] = {
        "thingspeak_url": _url(env, "THINGSPEAK_URL", DEFAULT_THINGSPEAK_URL),
        "cache_ttl_seconds": _number(env, "CACHE_TTL_SECONDS", 15.0, 0, 3600),
        "refresh_seconds": _number(env, "REFRESH_SECONDS", 60.0, 2, 3600),
    }
    file = env_value(env, "GLANCE_CONFIG")
    channel = env_value(env, "THINGSPEAK_CHANNEL_ID")
    if file and channel:
        raise ConfigError(
            "GLANCE_CONFIG and THINGSPEAK_CHANNEL_ID are both set: choose one (a dashboards "
            "file, or a single channel)."
        )
    if file:
        stray = [name for name in _PER_CHANNEL_ENV if env_value(env, name)]
        if stray:
            raise ConfigError(
                f"{stray[0]} is set, but with GLANCE_CONFIG each dashboard has its own "
                f"(in {file}): move it into the dashboard it belongs to."
            )
        dashboards = _read_file(root, file, env, resolve_keys)
        return Config(dashboards=dashboards, source=file, **common)
    if channel is None:
        raise ConfigError(
            "Set GLANCE_CONFIG to a dashboards file under chalicelib/, or "
            "THINGSPEAK_CHANNEL_ID to your channel's number (the digits in "
            "https://thingspeak.com/channels/<id>)."
        )
    if not channel.isdigit() or int(channel) == 0:
        raise ConfigError(
            f"THINGSPEAK_CHANNEL_ID must be a positive whole number, got {channel!r}."
        )
    key, param = (
        env_value(env, "THINGSPEAK_READ_API_KEY"),
        env_value(env, "THINGSPEAK_READ_API_KEY_PARAM"),
    )
    if key and param:
        raise ConfigError(
            "THINGSPEAK_READ_API_KEY and THINGSPEAK_READ_API_KEY_PARAM are both set: "
            "keep the key in one place (SSM in production)."
        )
    if key is not None and not re.match(API_KEY, key):
        # Never echo the value: it is a secret even when malformed.
        raise ConfigError(
            "THINGSPEAK_READ_API_KEY must be the channel's Read API Key "
            "(letters and digits only, as shown under API Keys on ThingSpeak)."
        )
    if param is not None and not is_parameter(param):
        raise ConfigError(
            "THINGSPEAK_READ_API_KEY_PARAM must be an SSM parameter name such as "
            f"/thingspeak-glance/read-api-key, got {param!r}."
        )
    public = env_value(env, "THINGSPEAK_PUBLIC")
    if public is not None and public.lower() not in ("true", "false"):
        raise ConfigError(f"THINGSPEAK_PUBLIC must be true or false, got {public!r}.")
    dashboard = Dashboard(
        name=channel,
        # Keyed means private, as in a dashboards file, unless THINGSPEAK_PUBLIC says true.
        public=(public.lower() == "true") if public else not (key or param),
        channel=int(channel),
        read_api_key=key,
        read_api_key_param=param,
        stale_after_minutes=_number(
            env, "STALE_AFTER_MINUTES", DEFAULT_STALE_MINUTES, 1, 60 * 24 * 365
        ),
    )
    return Config(dashboards=(dashboard,), source="THINGSPEAK_CHANNEL_ID", **common)


def config_path(root: Path, file: str) -> Path:
    """The dashboards file, which must ship with the function: under chalicelib/."""
    path = (root / file).resolve()
    if not path.is_relative_to((root / SHIPPED_DIR).resolve()):
        raise ConfigError(
            f"GLANCE_CONFIG must name a file under {SHIPPED_DIR}/ (only that folder ships "
            f"to Lambda), got {file!r}."
        )
    return path


def _read_file(
    root: Path, file: str, env: Mapping[str, str], resolve_keys: bool
) -> tuple[Dashboard, ...]:
    path = config_path(root, file)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{file}: no such file (GLANCE_CONFIG).") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{file}: cannot be read ({exc}).") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file}: not valid TOML: {exc}.") from None
    known(data, {"dashboard"}, f"{file}:")
    raw = data.get("dashboard")
    if not isinstance(raw, list) or not raw:
        raise ConfigError(f"{file}: no dashboards; add at least one [[dashboard]] table.")
    dashboards: list[Dashboard] = []
    for index, item in enumerate(raw, start=1):
        dashboard = dashboard_from_table(
            item, f"{file}: dashboard #{index}", file, env, resolve_keys
        )
        if any(d.name == dashboard.name for d in dashboards):
            raise ConfigError(f"{file}: dashboard {dashboard.name!r}: the name is used twice.")
        dashboards.append(dashboard)
    return tuple(dashboards)


def _url(env: Mapping[str, str], name: str, default: str) -> str:
    raw = env_value(env, name)
    if raw is None:
        return default
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"{name} must be an http(s) URL such as {default}, got {raw!r}.")
    if parts.query or parts.fragment or parts.path not in ("", "/"):
        raise ConfigError(
            f"{name} must be the API's base URL only (like {default}), without a path or query."
        )
    return raw.rstrip("/")


def _number(env: Mapping[str, str], name: str, default: float, low: float, high: float) -> float:
    raw = env_value(env, name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {raw!r}.") from None
    if not low <= value <= high:
        raise ConfigError(f"{name} must be between {low:g} and {high:g}, got {raw!r}.")
    return value
