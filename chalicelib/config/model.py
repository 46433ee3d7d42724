"""The site's configuration as typed, immutable data: dashboards, their fields and
alert rules. Display settings live inside their dashboard, so they can never apply to
another channel. loader.py builds it from the dashboards file or the environment.
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.config.units import Conversion

FIELD_NUMBERS = range(1, 9)
DEFAULT_STALE_MINUTES = 30.0
DEFAULT_THINGSPEAK_URL = "https://api.thingspeak.com"
# How many fields an overview card shows: the headline large, the next ones small.
CARD_FIELDS = range(1, 4)
DEFAULT_CARD_FIELDS = 2
# What a field's readings are, when the dashboards file says so (never guessed):
# "direction": degrees, also shown as a compass point; "amount": each reading an amount
# (rain since the last one, say), so the day's total since midnight means something.
FIELD_KINDS = ("direction", "amount")


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
    kind: str | None = None  # one of FIELD_KINDS, or a plain measurement


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
    card_fields: int = DEFAULT_CARD_FIELDS  # on the overview card: the headline and the next
    # Public: anyone may see it. Private (the default for a keyed channel): only a signed-in
    # passkey allowed to (chalicelib/access/). tables.py and loader.py decide the default.
    public: bool = True

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
            f"quiet_alert={self.quiet_alert}, alerts={self.alerts!r}, "
            f"card_fields={self.card_fields}, public={self.public})"
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
    def has_private(self) -> bool:
        return any(not d.public for d in self.dashboards)

    @property
    def ssm_parameters(self) -> tuple[str, ...]:
        found = (d.read_api_key_param for d in self.dashboards if d.read_api_key_param)
        return tuple(dict.fromkeys(found))
