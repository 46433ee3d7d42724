"""Settings are read once, validated, and every problem names its variable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from chalicelib.settings import Settings, SettingsError
from chalicelib.units import CONVERSIONS

ROOT = Path(__file__).resolve().parent.parent


def settings(**env: str) -> Settings:
    return Settings.from_env({"THINGSPEAK_CHANNEL_ID": "12397", **env})


def test_defaults_need_only_the_channel_id():
    s = settings()
    assert s.channel_id == 12397
    assert s.thingspeak_url == "https://api.thingspeak.com"
    assert s.read_api_key is None
    assert s.cache_ttl_seconds == 15
    assert s.stale_after_minutes == 30
    assert s.field_order == () and s.field_displays == ()


def test_field_settings_are_typed():
    s = settings(
        FIELDS="4, 3",
        FIELD4_LABEL="Temperature",
        FIELD4_UNIT="°F",
        FIELD4_DECIMALS="1",
        FIELD4_CONVERT="C_TO_F",
    )
    assert s.field_order == (4, 3)
    display = s.display_for(4)
    assert (display.label, display.unit, display.decimals) == ("Temperature", "°F", 1)
    assert display.conversion is CONVERSIONS["c_to_f"]
    assert s.display_for(3).label is None


@pytest.mark.parametrize(
    ("env", "names"),
    [
        ({"THINGSPEAK_CHANNEL_ID": ""}, "THINGSPEAK_CHANNEL_ID is required"),
        ({"THINGSPEAK_CHANNEL_ID": "abc"}, "THINGSPEAK_CHANNEL_ID must be a positive whole number"),
        ({"THINGSPEAK_URL": "ftp://x"}, "THINGSPEAK_URL must be an http(s) URL"),
        (
            {"THINGSPEAK_URL": "https://api.thingspeak.com/channels/9"},
            "THINGSPEAK_URL must be the API's base URL",
        ),
        ({"CACHE_TTL_SECONDS": "soon"}, "CACHE_TTL_SECONDS must be a number"),
        ({"CACHE_TTL_SECONDS": "-5"}, "CACHE_TTL_SECONDS must be between"),
        ({"STALE_AFTER_MINUTES": "0"}, "STALE_AFTER_MINUTES must be between"),
        ({"FIELDS": "1,9"}, "FIELDS lists field numbers 1 to 8"),
        ({"FIELDS": "1,1"}, "FIELDS lists a field twice"),
        ({"FIELD2_DECIMALS": "many"}, "FIELD2_DECIMALS must be 0 to 6"),
        ({"FIELD2_CONVERT": "c_to_k"}, "FIELD2_CONVERT must be one of"),
        ({"FIELD2_COLOUR": "red"}, "FIELD2_COLOUR is not a setting"),
    ],
)
def test_invalid_settings_name_the_variable_and_the_problem(env, names):
    with pytest.raises(SettingsError, match=names.replace("(", r"\(").replace(")", r"\)")):
        Settings.from_env({"THINGSPEAK_CHANNEL_ID": "9", **env})


def test_a_malformed_read_key_is_rejected_without_echoing_it():
    with pytest.raises(SettingsError) as caught:
        settings(THINGSPEAK_READ_API_KEY="'SECRET KEY WITH SPACES'")
    assert "THINGSPEAK_READ_API_KEY" in str(caught.value)
    assert "SECRET" not in str(caught.value)


def test_the_read_key_is_not_in_the_settings_repr():
    assert "ABCDEF1234567890" not in repr(settings(THINGSPEAK_READ_API_KEY="ABCDEF1234567890"))


def test_the_app_refuses_to_start_with_one_clear_line_naming_the_variable():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("THINGSPEAK_", "FIELD"))}
    env["STALE_AFTER_MINUTES"] = "ten"
    result = subprocess.run(
        [sys.executable, "-c", "import app"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert (
        result.stderr.strip()
        .splitlines()[-1]
        .startswith("ThingSpeak Glance cannot start: THINGSPEAK_CHANNEL_ID is required")
    )
    assert "Traceback" not in result.stderr
