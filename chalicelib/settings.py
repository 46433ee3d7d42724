"""Settings: read once from the environment into one typed, validated object.

Every problem names the variable and says what is wrong, so a bad deploy fails at
start-up with a readable line instead of a 500 on the first request.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from chalicelib.units import CONVERSIONS, Conversion

FIELD_NUMBERS = range(1, 9)
# ThingSpeak read keys are 16 upper-case alphanumerics; checking the shape catches a
# pasted write key URL or stray quotes without ever echoing the value back.
_API_KEY = re.compile(r"^[A-Za-z0-9]{8,64}$")


class SettingsError(ValueError):
    """A setting is missing or invalid; the message names the variable."""


@dataclass(frozen=True)
class FieldDisplay:
    """How one ThingSpeak field is shown; None means "take it from the channel"."""

    number: int
    label: str | None = None
    unit: str | None = None
    decimals: int | None = None
    conversion: Conversion | None = None


@dataclass(frozen=True)
class Settings:
    channel_id: int
    thingspeak_url: str = "https://api.thingspeak.com"
    read_api_key: str | None = field(default=None, repr=False)
    # Name of an SSM SecureString holding the read key (production); exclusive with the above.
    read_api_key_param: str | None = None
    cache_ttl_seconds: float = 15.0
    stale_after_minutes: float = 30.0
    refresh_seconds: float = 60.0  # how often a visible page polls /api/latest
    # Which fields, in what order (the first is the headline); empty means every field
    # the channel names, in channel order.
    field_order: tuple[int, ...] = ()
    field_displays: tuple[FieldDisplay, ...] = ()

    def display_for(self, number: int) -> FieldDisplay:
        for display in self.field_displays:
            if display.number == number:
                return display
        return FieldDisplay(number)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        return cls(
            channel_id=_channel_id(env),
            thingspeak_url=_url(env, "THINGSPEAK_URL", cls.thingspeak_url),
            read_api_key=_api_key(env),
            read_api_key_param=_parameter_name(env),
            cache_ttl_seconds=_number(env, "CACHE_TTL_SECONDS", cls.cache_ttl_seconds, 0, 3600),
            stale_after_minutes=_number(
                env, "STALE_AFTER_MINUTES", cls.stale_after_minutes, 1, 60 * 24 * 365
            ),
            refresh_seconds=_number(env, "REFRESH_SECONDS", cls.refresh_seconds, 2, 3600),
            field_order=_field_order(env),
            field_displays=tuple(
                _field_display(env, n)
                for n in FIELD_NUMBERS
                if any(key.startswith(f"FIELD{n}_") for key in env)
            ),
        )


def _get(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name, "").strip()
    return value or None


def _channel_id(env: Mapping[str, str]) -> int:
    raw = _get(env, "THINGSPEAK_CHANNEL_ID")
    if raw is None:
        raise SettingsError(
            "THINGSPEAK_CHANNEL_ID is required: set it to your channel's number "
            "(the digits in https://thingspeak.com/channels/<id>)."
        )
    if not raw.isdigit() or int(raw) == 0:
        raise SettingsError(f"THINGSPEAK_CHANNEL_ID must be a positive whole number, got {raw!r}.")
    return int(raw)


def _url(env: Mapping[str, str], name: str, default: str) -> str:
    raw = _get(env, name)
    if raw is None:
        return default
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SettingsError(f"{name} must be an http(s) URL such as {default}, got {raw!r}.")
    if parts.query or parts.fragment or parts.path not in ("", "/"):
        raise SettingsError(
            f"{name} must be the API's base URL only (like {default}), without a path or query."
        )
    return raw.rstrip("/")


def _api_key(env: Mapping[str, str]) -> str | None:
    raw = _get(env, "THINGSPEAK_READ_API_KEY")
    if raw is not None and not _API_KEY.match(raw):
        # Never echo the value: it is a secret even when malformed.
        raise SettingsError(
            "THINGSPEAK_READ_API_KEY must be the channel's Read API Key "
            "(letters and digits only, as shown under API Keys on ThingSpeak)."
        )
    return raw


_PARAMETER = re.compile(r"^/?[A-Za-z0-9_.\-/]{1,1011}$")


def _parameter_name(env: Mapping[str, str]) -> str | None:
    raw = _get(env, "THINGSPEAK_READ_API_KEY_PARAM")
    if raw is None:
        return None
    if _get(env, "THINGSPEAK_READ_API_KEY") is not None:
        raise SettingsError(
            "THINGSPEAK_READ_API_KEY and THINGSPEAK_READ_API_KEY_PARAM are both set: "
            "keep the key in one place (SSM in production)."
        )
    if not _PARAMETER.match(raw) or "//" in raw:
        raise SettingsError(
            "THINGSPEAK_READ_API_KEY_PARAM must be an SSM parameter name such as "
            f"/thingspeak-glance/read-api-key, got {raw!r}."
        )
    return raw


def _number(env: Mapping[str, str], name: str, default: float, low: float, high: float) -> float:
    raw = _get(env, name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number, got {raw!r}.") from None
    if not low <= value <= high:
        raise SettingsError(f"{name} must be between {low:g} and {high:g}, got {raw!r}.")
    return value


def _field_number(raw: str, name: str) -> int:
    if not raw.isdigit() or int(raw) not in FIELD_NUMBERS:
        raise SettingsError(f"{name} lists field numbers 1 to 8, got {raw!r}.")
    return int(raw)


def _field_order(env: Mapping[str, str]) -> tuple[int, ...]:
    raw = _get(env, "FIELDS")
    if raw is None:
        return ()
    order = tuple(_field_number(part.strip(), "FIELDS") for part in raw.split(","))
    if len(set(order)) != len(order):
        raise SettingsError(f"FIELDS lists a field twice, got {raw!r}.")
    return order


def _field_display(env: Mapping[str, str], n: int) -> FieldDisplay:
    prefix = f"FIELD{n}_"
    known = {"LABEL", "UNIT", "DECIMALS", "CONVERT"}
    for key in env:
        if key.startswith(prefix) and key[len(prefix) :] not in known:
            raise SettingsError(
                f"{key} is not a setting; use {', '.join(prefix + k for k in sorted(known))}."
            )
    decimals_raw = _get(env, prefix + "DECIMALS")
    decimals = None
    if decimals_raw is not None:
        if not decimals_raw.isdigit() or int(decimals_raw) > 6:
            raise SettingsError(f"{prefix}DECIMALS must be 0 to 6, got {decimals_raw!r}.")
        decimals = int(decimals_raw)
    conversion = None
    convert_raw = _get(env, prefix + "CONVERT")
    if convert_raw is not None:
        conversion = CONVERSIONS.get(convert_raw.lower())
        if conversion is None:
            raise SettingsError(
                f"{prefix}CONVERT must be one of {', '.join(sorted(CONVERSIONS))}, "
                f"got {convert_raw!r}."
            )
    return FieldDisplay(
        number=n,
        label=_get(env, prefix + "LABEL"),
        unit=_get(env, prefix + "UNIT"),
        decimals=decimals,
        conversion=conversion,
    )
