"""What a cold start does first: read the configuration and, on Lambda's web function, ask
ThingSpeak for the first view's data at once, in the background, before the rest of the app
(Chalice, Jinja2, the route groups) loads. The round trip then overlaps all of that start-up
rather than its last part. Only the configuration and the ThingSpeak client are imported.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from chalicelib.config.loader import load_config
from chalicelib.config.model import Config, ConfigError
from chalicelib.web.wiring import WEB_HANDLER, Channels, prefetch_feeds, wire_channels


@dataclass(frozen=True)
class Start:
    """The configuration, the channels' caches, and whether this is the web function (which
    asked ThingSpeak already and fetches the session secret next)."""

    config: Config
    channels: Channels
    cold_web: bool


def begin(environ: Mapping[str, str] = os.environ) -> Start:
    try:
        config = load_config(environ)
    except ConfigError as exc:
        # A clean one-line exit for `chalice local` and the Lambda init log alike.
        raise SystemExit(f"ThingSpeak Glance cannot start: {exc}") from None
    channels = wire_channels(config)
    # Lambda names the handler it runs: the web function's, not check_alerts'.
    cold_web = environ.get("_HANDLER") == WEB_HANDLER
    if cold_web:
        several = len(config.dashboards) > 1
        prefetch_feeds(list(channels.feeds.values()), day=not several)
    return Start(config, channels, cold_web)
