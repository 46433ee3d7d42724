"""One dashboard's table in the dashboards file, checked key by key: its fields, its
alert rules and where its read key is kept."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from chalicelib.config.model import (
    CARD_FIELDS,
    DEFAULT_CARD_FIELDS,
    DEFAULT_STALE_MINUTES,
    FIELD_KINDS,
    FIELD_NUMBERS,
    AlertRule,
    ConfigError,
    Dashboard,
    FieldDisplay,
)
from chalicelib.config.units import CONVERSIONS

# ThingSpeak read keys are 16 upper-case alphanumerics; checking the shape catches a
# pasted write key URL or stray quotes without ever echoing the value back.
# Patterns, compiled (and cached by `re`) when first used: start-up compiles only the
# ones a site's configuration needs.
API_KEY = r"^[A-Za-z0-9]{8,64}$"
_PARAMETER = r"^/?[A-Za-z0-9_.\-/]{1,1011}$"
_NAME = r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$"
_ENV_NAME = r"^[A-Za-z_][A-Za-z0-9_]{0,127}$"


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
    "card_fields",
    "public",
}


def dashboard_from_table(
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
    known(raw, _DASHBOARD_KEYS, f"{where}:")
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
    if param is not None and (not isinstance(param, str) or not is_parameter(param)):
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
    card_fields = raw.get("card_fields", DEFAULT_CARD_FIELDS)
    if (
        isinstance(card_fields, bool)
        or not isinstance(card_fields, int)
        or card_fields not in CARD_FIELDS
    ):
        raise ConfigError(
            f"{where}: card_fields must be 1, 2 or 3 (the headline and the next fields on "
            f"its overview card), got {card_fields!r}."
        )
    # A keyed channel is private unless the file says otherwise; an unkeyed one public.
    public = raw.get("public", param is None and key_env is None)
    if not isinstance(public, bool):
        raise ConfigError(f"{where}: public must be true or false.")
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
        card_fields=card_fields,
        public=public,
    )


def _key_from_env(key_env: Any, env: Mapping[str, str], where: str) -> str:
    if not isinstance(key_env, str) or not re.match(_ENV_NAME, key_env):
        raise ConfigError(f"{where}: read_api_key_env must name an environment variable.")
    key = env_value(env, key_env)
    if key is None:
        raise ConfigError(f"{where}: read_api_key_env names {key_env}, which is not set.")
    if not re.match(API_KEY, key):
        raise ConfigError(
            f"{where}: {key_env} must hold the channel's Read API Key (letters and digits only)."
        )
    return key


_FIELD_KEYS = {"number", "label", "unit", "decimals", "convert", "kind"}


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
        known(item, _FIELD_KEYS, f"{here}:")
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
        kind = item.get("kind")
        if kind is not None and kind not in FIELD_KINDS:
            raise ConfigError(
                f"{here}: kind must be one of {', '.join(FIELD_KINDS)}, got {kind!r}."
            )
        fields.append(
            FieldDisplay(
                number=number,
                label=_optional_text(item, "label", here),
                unit=_optional_text(item, "unit", here),
                decimals=decimals,
                conversion=conversion,
                kind=kind,
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
        known(item, _ALERT_KEYS, f"{here}:")
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


def known(table: dict[str, Any], allowed: set[str], where: str) -> None:
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


def is_parameter(name: str) -> bool:
    return bool(re.match(_PARAMETER, name)) and "//" not in name


def env_value(env: Mapping[str, str], name: str) -> str | None:
    """A variable's value, or None when unset or blank."""
    # An empty string counts as unset: a stage can blank a variable it inherits.
    value = env.get(name, "").strip()
    return value or None
