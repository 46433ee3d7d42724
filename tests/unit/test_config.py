"""Configuration is read once, validated, and every problem names where it is and what."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from chalicelib.config.loader import load_config
from chalicelib.config.model import AlertRule, ConfigError
from chalicelib.config.units import CONVERSIONS
from tests.conftest import write_dashboards

ROOT = Path(__file__).resolve().parents[2]
FILE = "chalicelib/dashboards.toml"

TWO_SENSORS = """
[[dashboard]]
name = "garden"
channel = 12397
title = "Garden"
read_api_key_param = "/thingspeak-glance/garden"
stale_after_minutes = 20
  [[dashboard.field]]
  number = 4
  label = "Temperature"
  unit = "°F"
  decimals = 1
  convert = "c_to_f"
  [[dashboard.field]]
  number = 3

[[dashboard]]
name = "shed"
channel = 1014
read_api_key_env = "SHED_READ_KEY"
"""


def from_file(tmp_path: Path, toml: str, **env: str):
    return load_config({**write_dashboards(tmp_path, toml), **env}, root=tmp_path)


def test_a_dashboards_file_becomes_typed_dashboards_in_file_order(tmp_path):
    config = from_file(tmp_path, TWO_SENSORS, SHED_READ_KEY="ABCDEF1234567890")
    garden, shed = config.dashboards
    assert (garden.name, garden.channel, garden.title) == ("garden", 12397, "Garden")
    assert garden.read_api_key_param == "/thingspeak-glance/garden"
    assert garden.stale_after_minutes == 20
    assert garden.field_order == (4, 3)
    temperature = garden.display_for(4)
    assert (temperature.label, temperature.unit, temperature.decimals) == ("Temperature", "°F", 1)
    assert temperature.conversion is CONVERSIONS["c_to_f"]
    assert garden.display_for(3).label is None
    assert (shed.title, shed.fields, shed.read_api_key) == (None, (), "ABCDEF1234567890")
    assert shed.stale_after_minutes == 30
    assert config.ssm_parameters == ("/thingspeak-glance/garden",)
    assert config.source == FILE


def test_display_settings_of_one_dashboard_never_reach_another(tmp_path):
    config = from_file(tmp_path, TWO_SENSORS, SHED_READ_KEY="ABCDEF1234567890")
    shed = config.dashboard("shed")
    assert shed is not None and shed.display_for(4).conversion is None
    assert shed.display_for(4).label is None


def test_one_channel_from_the_environment_still_works():
    config = load_config({"THINGSPEAK_CHANNEL_ID": "12397"})
    (only,) = config.dashboards
    assert (only.name, only.channel, only.fields, only.stale_after_minutes) == (
        "12397",
        12397,
        (),
        30,
    )
    assert config.thingspeak_url == "https://api.thingspeak.com"
    assert config.cache_ttl_seconds == 15 and config.refresh_seconds == 60


def test_an_empty_variable_counts_as_unset():
    config = load_config({"THINGSPEAK_CHANNEL_ID": "9", "GLANCE_CONFIG": "", "FIELDS": " "})
    assert config.dashboards[0].channel == 9


def test_alerts_are_read_with_their_hysteresis(tmp_path):
    config = from_file(
        tmp_path,
        """
[[dashboard]]
name = "garden"
channel = 12397
quiet_alert = false
  [[dashboard.field]]
  number = 4
  [[dashboard.alert]]
  field = 4
  below = 32.0
  clear_at = 34
""",
    )
    garden = config.dashboards[0]
    assert garden.quiet_alert is False
    assert garden.alerts == (AlertRule(4, "below", 32.0, 34.0),)


def error_for(tmp_path: Path, toml: str, **env: str) -> str:
    with pytest.raises(ConfigError) as caught:
        from_file(tmp_path, toml, **env)
    return str(caught.value)


GARDEN = '[[dashboard]]\nname = "garden"\nchannel = 12397\n'


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        ("[[dashboard]\nname = 1", f"{FILE}: not valid TOML"),
        ("", f"{FILE}: no dashboards"),
        ('title = "x"\n' + GARDEN, f"{FILE}: unknown key 'title'"),
        (GARDEN + "colour = 'red'\n", f"{FILE}: dashboard 'garden': unknown key 'colour'"),
        (GARDEN + GARDEN, f"{FILE}: dashboard 'garden': the name is used twice"),
        ('[[dashboard]]\nname = "My Garden"\nchannel = 1\n', f"{FILE}: dashboard #1: name 'My"),
        ("[[dashboard]]\nchannel = 1\n", f"{FILE}: dashboard #1: name must be"),
        ('[[dashboard]]\nname = "g"\n', f"{FILE}: dashboard 'g': channel must be a positive"),
        ('[[dashboard]]\nname = "g"\nchannel = "12"\n', "dashboard 'g': channel must be"),
        (GARDEN + "[[dashboard.field]]\nnumber = 9\n", "dashboard 'garden': field number must"),
        (
            GARDEN + "[[dashboard.field]]\nnumber = 2\n[[dashboard.field]]\nnumber = 2\n",
            "dashboard 'garden': field 2 is listed twice",
        ),
        (
            GARDEN + '[[dashboard.field]]\nnumber = 2\nconvert = "c_to_k"\n',
            "dashboard 'garden': field 2: convert must be one of",
        ),
        (
            GARDEN + "[[dashboard.field]]\nnumber = 2\ndecimals = 7\n",
            "dashboard 'garden': field 2: decimals must be 0 to 6",
        ),
        (
            GARDEN + '[[dashboard.field]]\nnumber = 2\ncolour = "red"\n',
            "dashboard 'garden': field 2: unknown key 'colour'",
        ),
        (
            GARDEN + 'read_api_key_param = "/a"\nread_api_key_env = "A"\n',
            "dashboard 'garden': read_api_key_param and read_api_key_env are both set",
        ),
        (
            GARDEN + 'read_api_key_param = "not a name"\n',
            "dashboard 'garden': read_api_key_param must be an SSM parameter name",
        ),
        (
            GARDEN + 'read_api_key_env = "GARDEN_KEY_UNSET"\n',
            "dashboard 'garden': read_api_key_env names GARDEN_KEY_UNSET, which is not set",
        ),
        (GARDEN + "stale_after_minutes = 0\n", "dashboard 'garden': stale_after_minutes"),
        (
            GARDEN + "[[dashboard.field]]\nnumber = 4\n[[dashboard.alert]]\nfield = 3\nbelow = 1\n",
            "dashboard 'garden': alert on field 3: the dashboard does not show field 3",
        ),
        (
            GARDEN + "[[dashboard.alert]]\nfield = 4\nbelow = 32\nclear_at = 30\n",
            "dashboard 'garden': alert on field 4: clear_at must be at or above 32",
        ),
        (
            GARDEN + "[[dashboard.alert]]\nfield = 4\nabove = 90\nclear_at = 95\n",
            "dashboard 'garden': alert on field 4: clear_at must be at or below 90",
        ),
        (
            GARDEN + "[[dashboard.alert]]\nfield = 4\nabove = 90\nbelow = 10\n",
            "dashboard 'garden': alert on field 4: give exactly one of below or above",
        ),
    ],
)
def test_every_mistake_in_the_file_names_the_file_the_dashboard_and_the_problem(
    tmp_path, toml, expected
):
    assert expected in error_for(tmp_path, toml)


def test_a_malformed_key_in_its_variable_is_refused_without_echoing_it(tmp_path):
    message = error_for(tmp_path, GARDEN + 'read_api_key_env = "K"\n', K="'SECRET WITH SPACE'")
    assert "dashboard 'garden': K must hold" in message and "SECRET" not in message


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "Set GLANCE_CONFIG to a dashboards file under chalicelib/, or THINGSPEAK_CHANNEL_ID"),
        ({"THINGSPEAK_CHANNEL_ID": "abc"}, "THINGSPEAK_CHANNEL_ID must be a positive whole"),
        (
            {"THINGSPEAK_CHANNEL_ID": "9", "GLANCE_CONFIG": FILE},
            "GLANCE_CONFIG and THINGSPEAK_CHANNEL_ID are both set: choose one",
        ),
        (
            {"THINGSPEAK_CHANNEL_ID": "9", "FIELDS": "4,3", "FIELD4_LABEL": "T"},
            "FIELD4_LABEL, FIELDS: field display settings now live per dashboard in the "
            "GLANCE_CONFIG file",
        ),
        ({"GLANCE_CONFIG": "dashboards.toml"}, "GLANCE_CONFIG must name a file under chalicelib/"),
        ({"GLANCE_CONFIG": "chalicelib/../x.toml"}, "GLANCE_CONFIG must name a file under"),
        ({"GLANCE_CONFIG": "chalicelib/none.toml"}, "chalicelib/none.toml: no such file"),
        (
            {"GLANCE_CONFIG": FILE, "STALE_AFTER_MINUTES": "10"},
            f"STALE_AFTER_MINUTES is set, but with GLANCE_CONFIG each dashboard has its own (in "
            f"{FILE})",
        ),
        (
            {"GLANCE_CONFIG": FILE, "THINGSPEAK_READ_API_KEY_PARAM": "/a"},
            "THINGSPEAK_READ_API_KEY_PARAM is set, but with GLANCE_CONFIG",
        ),
        ({"THINGSPEAK_CHANNEL_ID": "9", "THINGSPEAK_URL": "ftp://x"}, "THINGSPEAK_URL must be"),
        (
            {"THINGSPEAK_CHANNEL_ID": "9", "THINGSPEAK_URL": "https://api.thingspeak.com/x"},
            "THINGSPEAK_URL must be the API's base URL",
        ),
        ({"THINGSPEAK_CHANNEL_ID": "9", "CACHE_TTL_SECONDS": "soon"}, "CACHE_TTL_SECONDS must"),
        ({"THINGSPEAK_CHANNEL_ID": "9", "REFRESH_SECONDS": "1"}, "REFRESH_SECONDS must be"),
        ({"THINGSPEAK_CHANNEL_ID": "9", "STALE_AFTER_MINUTES": "0"}, "STALE_AFTER_MINUTES must"),
        (
            {
                "THINGSPEAK_CHANNEL_ID": "9",
                "THINGSPEAK_READ_API_KEY": "ABCDEF1234567890",
                "THINGSPEAK_READ_API_KEY_PARAM": "/a",
            },
            "THINGSPEAK_READ_API_KEY and THINGSPEAK_READ_API_KEY_PARAM are both set",
        ),
    ],
)
def test_invalid_environment_names_the_variable_and_the_problem(tmp_path, env, expected):
    write_dashboards(tmp_path, GARDEN)
    with pytest.raises(ConfigError) as caught:
        load_config(env, root=tmp_path)
    assert expected in str(caught.value)


def test_a_malformed_read_key_variable_is_rejected_without_echoing_it():
    with pytest.raises(ConfigError) as caught:
        load_config({"THINGSPEAK_CHANNEL_ID": "9", "THINGSPEAK_READ_API_KEY": "'SECRET KEY'"})
    assert "THINGSPEAK_READ_API_KEY" in str(caught.value) and "SECRET" not in str(caught.value)


def test_the_read_key_is_not_in_the_configuration_repr(tmp_path):
    env_config = load_config(
        {"THINGSPEAK_CHANNEL_ID": "9", "THINGSPEAK_READ_API_KEY": "ABCDEF1234567890"}
    )
    file_config = from_file(tmp_path, TWO_SENSORS, SHED_READ_KEY="ABCDEF1234567890")
    assert "ABCDEF1234567890" not in repr(env_config) + repr(file_config)


def test_the_shipped_dashboard_files_are_valid():
    # The demo's private dashboard reads the emulator's key from the local stage's variable.
    demo = load_config(
        {"GLANCE_CONFIG": "chalicelib/dashboards.toml", "GREENHOUSE_READ_KEY": "PRIVATEREADKEY01"}
    )
    assert len(demo.dashboards) >= 2 and demo.dashboards[0].channel == 12397
    prod = load_config({"GLANCE_CONFIG": "chalicelib/dashboards.prod.toml"})
    assert prod.ssm_parameters


def start_app(code: str = "import app", **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("THINGSPEAK_", "FIELD", "GLANCE_", "STALE_"))
    }
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_app_refuses_to_start_with_one_clear_line_naming_the_problem():
    result = start_app(THINGSPEAK_CHANNEL_ID="12397", FIELDS="4,3")
    assert result.returncode == 1
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("ThingSpeak Glance cannot start: FIELDS: field display settings")
    assert "Traceback" not in result.stderr


def test_a_missing_dashboards_file_stops_start_up_with_one_line():
    result = start_app(GLANCE_CONFIG="chalicelib/missing.toml")
    assert result.returncode == 1
    (line,) = result.stderr.strip().splitlines()
    assert line == "ThingSpeak Glance cannot start: chalicelib/missing.toml: no such file " + (
        "(GLANCE_CONFIG)."
    )


def test_after_start_up_the_garbage_collector_runs_again_and_skips_what_start_up_made():
    result = start_app(
        "import gc, app; print(gc.isenabled(), gc.get_freeze_count() > 0)",
        GLANCE_CONFIG="chalicelib/dashboards.toml",
        GREENHOUSE_READ_KEY="PRIVATEREADKEY01",
    )
    assert result.stdout.split() == ["True", "True"], result.stderr
