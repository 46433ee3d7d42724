"""Configuration: the dashboards file (or one channel from the environment) as one typed,
validated object graph, read once at start-up.

Display settings live inside their dashboard, so they can never apply to another
channel. Every mistake stops start-up with one line naming the file (or variable), the
dashboard and what is wrong, instead of a 500 on the first request.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from chalicelib.config.units import CONVERSIONS, Conversion

FIELD_NUMBERS = range(1, 9)
APP_ROOT = Path(__file__).resolve().parents[2]
# Only chalicelib/ (and vendor/) reach the Lambda package beside app.py.
SHIPPED_DIR = "chalicelib"
DEFAULT_STALE_MINUTES = 30.0
DEFAULT_THINGSPEAK_URL = "https://api.thingspeak.com"
# ThingSpeak read keys are 16 upper-case alphanumerics; checking the shape catches a
# pasted write key URL or stray quotes without ever echoing the value back.
# Patterns, compiled (and cached by `re`) when first used: start-up compiles only the
# ones a site's configuration needs.
_API_KEY = r"^[A-Za-z0-9]{8,64}$"
_PARAMETER = r"^/?[A-Za-z0-9_.\-/]{1,1011}$"
_NAME = r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$"
_ENV_NAME = r"^[A-Za-z_][A-Za-z0-9_]{0,127}$"
# Settings that belong to one channel: with a dashboards file they live in it.
_PER_CHANNEL_ENV = (
    "STALE_AFTER_MINUTES",
    "THINGSPEAK_READ_API_KEY",
    "THINGSPEAK_READ_API_KEY_PARAM",
)


class ConfigError(ValueError):
    """A setting is missing or invalid; the message names where and what."""


@dataclass(frozen=True)
class FieldDisplay:
    """How one ThingSpeak field is shown; None means "take it from the channel"."""

    number: int
    label: str | None = None
    unit: str | None = None
    decimals: int | None = None
    conversion: Conversion | None = None


@dataclass(frozen=True)
class AlertRule:
    """A threshold on a field's displayed value (after its conversion), with hysteresis."""

    field: int
    direction: str  # "below" or "above"
    threshold: float
    clear_at: float


@dataclass(frozen=True)
class Dashboard:
    """One dashboard: its channel, where its key is kept, how its fields are shown."""

    name: str
    channel: int
    title: str | None = None
    read_api_key: str | None = None  # resolved from read_api_key_env at start-up
    read_api_key_param: str | None = None  # an SSM SecureString, fetched when first needed
    stale_after_minutes: float = DEFAULT_STALE_MINUTES
    # Listed fields in order (the first is the headline); empty: every field the channel names.
    fields: tuple[FieldDisplay, ...] = ()
    quiet_alert: bool = True
    alerts: tuple[AlertRule, ...] = ()

    def display_for(self, number: int) -> FieldDisplay:
        for display in self.fields:
            if display.number == number:
                return display
        return FieldDisplay(number)

    @property
    def field_order(self) -> tuple[int, ...]:
        return tuple(f.number for f in self.fields)

    @property
    def source(self) -> tuple[int, str | None, str | None]:
        """What a cache may be shared by: the channel and the key it is read with (a key
        reads only its own channel, so two dashboards share a cache only if both agree)."""
        return (self.channel, self.read_api_key_param, self.read_api_key)

    def __repr__(self) -> str:  # never the key, even in a traceback or an ETag seed
        key = "set" if self.read_api_key else None
        return (
            f"Dashboard(name={self.name!r}, channel={self.channel}, title={self.title!r}, "
            f"read_api_key={key}, read_api_key_param={self.read_api_key_param!r}, "
            f"stale_after_minutes={self.stale_after_minutes}, fields={self.fields!r}, "
            f"quiet_alert={self.quiet_alert}, alerts={self.alerts!r})"
        )


@dataclass(frozen=True)
class Config:
    """The site: its dashboards in file order and the settings shared by all."""

    dashboards: tuple[Dashboard, ...]
    source: str  # the file, or THINGSPEAK_CHANNEL_ID: what error messages point at
    thingspeak_url: str = DEFAULT_THINGSPEAK_URL
    cache_ttl_seconds: float = 15.0
    refresh_seconds: float = 60.0  # how often a visible page polls for a new reading

    def dashboard(self, name: str) -> Dashboard | None:
        return next((d for d in self.dashboards if d.name == name), None)

    @property
    def ssm_parameters(self) -> tuple[str, ...]:
        found = (d.read_api_key_param for d in self.dashboards if d.read_api_key_param)
        return tuple(dict.fromkeys(found))


def load_config(
    environ: Mapping[str, str] | None = None, root: Path = APP_ROOT, resolve_keys: bool = True
) -> Config:
    """resolve_keys=False reads the file without its keys' variables (for deploy tools)."""
    env = os.environ if environ is None else environ
    moved = sorted(k for k in env if re.match(r"^FIELDS$|^FIELD[1-8]_", k) and _get(env, k))
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
    file = _get(env, "GLANCE_CONFIG")
    channel = _get(env, "THINGSPEAK_CHANNEL_ID")
    if file and channel:
        raise ConfigError(
            "GLANCE_CONFIG and THINGSPEAK_CHANNEL_ID are both set: choose one (a dashboards "
            "file, or a single channel)."
        )
    if file:
        stray = [name for name in _PER_CHANNEL_ENV if _get(env, name)]
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
    key, param = _get(env, "THINGSPEAK_READ_API_KEY"), _get(env, "THINGSPEAK_READ_API_KEY_PARAM")
    if key and param:
        raise ConfigError(
            "THINGSPEAK_READ_API_KEY and THINGSPEAK_READ_API_KEY_PARAM are both set: "
            "keep the key in one place (SSM in production)."
        )
    if key is not None and not re.match(_API_KEY, key):
        # Never echo the value: it is a secret even when malformed.
        raise ConfigError(
            "THINGSPEAK_READ_API_KEY must be the channel's Read API Key "
            "(letters and digits only, as shown under API Keys on ThingSpeak)."
        )
    if param is not None and not _is_parameter(param):
        raise ConfigError(
            "THINGSPEAK_READ_API_KEY_PARAM must be an SSM parameter name such as "
            f"/thingspeak-glance/read-api-key, got {param!r}."
        )
    dashboard = Dashboard(
        name=channel,
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
    _known(data, {"dashboard"}, f"{file}:")
    raw = data.get("dashboard")
    if not isinstance(raw, list) or not raw:
        raise ConfigError(f"{file}: no dashboards; add at least one [[dashboard]] table.")
    dashboards: list[Dashboard] = []
    for index, item in enumerate(raw, start=1):
        dashboard = _dashboard(item, f"{file}: dashboard #{index}", file, env, resolve_keys)
        if any(d.name == dashboard.name for d in dashboards):
            raise ConfigError(f"{file}: dashboard {dashboard.name!r}: the name is used twice.")
        dashboards.append(dashboard)
    return tuple(dashboards)


_DASHBOARD_KEYS = {
    "name",
    "channel",
    "title",
    "read_api_key_param",
    "read_api_key_env",
    "stale_after_minutes",
    "field",
    "quiet_alert",
    "alert",
}


def _dashboard(
    raw: Any, where: str, file: str, env: Mapping[str, str], resolve_keys: bool
) -> Dashboard:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: must be a [[dashboard]] table.")
    name = raw.get("name")
    if not isinstance(name, str) or not re.match(_NAME, name):
        shown = f" {name!r}" if name is not None else ""
        raise ConfigError(
            f"{where}: name{shown} must be 1 to 40 lower-case letters, digits and hyphens "
            "(it is the address /d/<name>)."
        )
    where = f"{file}: dashboard {name!r}"
    _known(raw, _DASHBOARD_KEYS, f"{where}:")
    channel = raw.get("channel")
    if isinstance(channel, bool) or not isinstance(channel, int) or channel <= 0:
        raise ConfigError(f"{where}: channel must be a positive whole number (the channel id).")
    title = _optional_text(raw, "title", where)
    param = raw.get("read_api_key_param")
    key_env = raw.get("read_api_key_env")
    if param is not None and key_env is not None:
        raise ConfigError(
            f"{where}: read_api_key_param and read_api_key_env are both set: choose one "
            "(SSM in production, an environment variable locally)."
        )
    if param is not None and (not isinstance(param, str) or not _is_parameter(param)):
        raise ConfigError(
            f"{where}: read_api_key_param must be an SSM parameter name such as "
            "/thingspeak-glance/garden."
        )
    key = None
    if key_env is not None and resolve_keys:
        key = _key_from_env(key_env, env, where)
    stale = raw.get("stale_after_minutes", DEFAULT_STALE_MINUTES)
    if isinstance(stale, bool) or not isinstance(stale, int | float) or not 1 <= stale <= 525600:
        raise ConfigError(f"{where}: stale_after_minutes must be a number from 1 to 525600.")
    fields = _fields(raw.get("field", []), where)
    quiet = raw.get("quiet_alert", True)
    if not isinstance(quiet, bool):
        raise ConfigError(f"{where}: quiet_alert must be true or false.")
    return Dashboard(
        name=name,
        channel=channel,
        title=title,
        read_api_key=key,
        read_api_key_param=param,
        stale_after_minutes=float(stale),
        fields=fields,
        quiet_alert=quiet,
        alerts=_alerts(raw.get("alert", []), fields, where),
    )


def _key_from_env(key_env: Any, env: Mapping[str, str], where: str) -> str:
    if not isinstance(key_env, str) or not re.match(_ENV_NAME, key_env):
        raise ConfigError(f"{where}: read_api_key_env must name an environment variable.")
    key = _get(env, key_env)
    if key is None:
        raise ConfigError(f"{where}: read_api_key_env names {key_env}, which is not set.")
    if not re.match(_API_KEY, key):
        raise ConfigError(
            f"{where}: {key_env} must hold the channel's Read API Key (letters and digits only)."
        )
    return key


_FIELD_KEYS = {"number", "label", "unit", "decimals", "convert"}


def _fields(raw: Any, where: str) -> tuple[FieldDisplay, ...]:
    if not isinstance(raw, list):
        raise ConfigError(f"{where}: field must be a list of [[dashboard.field]] tables.")
    fields: list[FieldDisplay] = []
    for item in raw:
        if not isinstance(item, dict):
            raise ConfigError(f"{where}: each field must be a [[dashboard.field]] table.")
        number = item.get("number")
        if isinstance(number, bool) or not isinstance(number, int) or number not in FIELD_NUMBERS:
            raise ConfigError(f"{where}: field number must be 1 to 8, got {number!r}.")
        here = f"{where}: field {number}"
        _known(item, _FIELD_KEYS, f"{here}:")
        if any(f.number == number for f in fields):
            raise ConfigError(f"{here} is listed twice.")
        decimals = item.get("decimals")
        if decimals is not None and (
            isinstance(decimals, bool) or not isinstance(decimals, int) or not 0 <= decimals <= 6
        ):
            raise ConfigError(f"{here}: decimals must be 0 to 6.")
        conversion = None
        convert = item.get("convert")
        if convert is not None:
            conversion = CONVERSIONS.get(convert) if isinstance(convert, str) else None
            if conversion is None:
                raise ConfigError(
                    f"{here}: convert must be one of {', '.join(sorted(CONVERSIONS))}, "
                    f"got {convert!r}."
                )
        fields.append(
            FieldDisplay(
                number=number,
                label=_optional_text(item, "label", here),
                unit=_optional_text(item, "unit", here),
                decimals=decimals,
                conversion=conversion,
            )
        )
    return tuple(fields)


_ALERT_KEYS = {"field", "below", "above", "clear_at"}


def _alerts(raw: Any, fields: tuple[FieldDisplay, ...], where: str) -> tuple[AlertRule, ...]:
    if not isinstance(raw, list):
        raise ConfigError(f"{where}: alert must be a list of [[dashboard.alert]] tables.")
    rules: list[AlertRule] = []
    for item in raw:
        if not isinstance(item, dict):
            raise ConfigError(f"{where}: each alert must be a [[dashboard.alert]] table.")
        number = item.get("field")
        if isinstance(number, bool) or not isinstance(number, int) or number not in FIELD_NUMBERS:
            raise ConfigError(f"{where}: alert field must be 1 to 8, got {number!r}.")
        here = f"{where}: alert on field {number}"
        _known(item, _ALERT_KEYS, f"{here}:")
        if fields and all(f.number != number for f in fields):
            raise ConfigError(f"{here}: the dashboard does not show field {number}.")
        directions = [d for d in ("below", "above") if d in item]
        if len(directions) != 1:
            raise ConfigError(f"{here}: give exactly one of below or above.")
        direction = directions[0]
        threshold = _finite(item[direction], f"{here}: {direction}")
        clear_at = _finite(item.get("clear_at", threshold), f"{here}: clear_at")
        if (direction == "below" and clear_at < threshold) or (
            direction == "above" and clear_at > threshold
        ):
            side = "at or above" if direction == "below" else "at or below"
            raise ConfigError(
                f"{here}: clear_at must be {side} {threshold:g} (it is where the alert clears)."
            )
        rules.append(AlertRule(number, direction, threshold, clear_at))
    return tuple(rules)


def _finite(raw: Any, what: str) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float) or raw != raw:
        raise ConfigError(f"{what} must be a number.")
    return float(raw)


def _known(table: dict[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise ConfigError(
            f"{where} unknown key {unknown[0]!r} (expected one of {', '.join(sorted(allowed))})."
        )


def _optional_text(table: dict[str, Any], key: str, where: str) -> str | None:
    value = table.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > 80:
        raise ConfigError(f"{where}: {key} must be text of 1 to 80 characters.")
    return value.strip()


def _is_parameter(name: str) -> bool:
    return bool(re.match(_PARAMETER, name)) and "//" not in name


def _get(env: Mapping[str, str], name: str) -> str | None:
    # An empty string counts as unset: a stage can blank a variable it inherits.
    value = env.get(name, "").strip()
    return value or None


def _url(env: Mapping[str, str], name: str, default: str) -> str:
    raw = _get(env, name)
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
    raw = _get(env, name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {raw!r}.") from None
    if not low <= value <= high:
        raise ConfigError(f"{name} must be between {low:g} and {high:g}, got {raw!r}.")
    return value
