"""Readings decoded from LoRa uplinks, the payload format, and Reporting."""

from __future__ import annotations

from datetime import timedelta
import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any
from unittest.mock import patch

from homeassistant.components.binary_sensor.const import BinarySensorDeviceClass
from homeassistant.components.sensor import SensorDeviceClass, SensorStateClass
from homeassistant.const import (
    ATTR_DEVICE_CLASS,
    ATTR_UNIT_OF_MEASUREMENT,
    EVENT_STATE_CHANGED,
    STATE_OFF,
    STATE_ON,
    STATE_UNKNOWN,
    Platform,
)
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.entity_platform import MAX_ENABLED_ENTITIES_PER_CONFIG_ENTRY
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
    async_mock_service,
)

from custom_components.iot_connectivity.api.models import Provider
from custom_components.iot_connectivity.api.reading_types import Quantity
from custom_components.iot_connectivity.const import (
    DOMAIN,
    EVENT_LORA_REPORTING,
    EVENT_LORA_UPLINK,
)
from custom_components.iot_connectivity.diagnostics import (
    async_get_device_diagnostics,
)
from custom_components.iot_connectivity.lora_readings import (
    MISSED_INTERVALS,
    READING_KINDS,
    REPORTING_MARGIN,
)
from iot_emulator import kpn_lora

from .conftest import AS_ID, AS_KEY, device_id, state_of

if TYPE_CHECKING:
    import aiohttp
    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant, State

EUI = "0059AC0000170311"
"""The LoRa device "Test Device via API"."""
DEVICE = "test_device_via_api"
TEMPERATURE = f"sensor.{DEVICE}_temperature"
HUMIDITY = f"sensor.{DEVICE}_humidity"
PRESSURE = f"sensor.{DEVICE}_pressure"
STATE = f"binary_sensor.{DEVICE}_state"
POSITION = f"device_tracker.{DEVICE}_position"
REPORTING = f"binary_sensor.{DEVICE}_reporting"
FORMAT = f"select.{DEVICE}_payload_format"
INTERVAL = f"number.{DEVICE}_reporting_interval"

# Cayenne LPP frames (channel, type, data), as in the format's reference:
# temperature 27.2 °C on channel 1, relative humidity 40 % on channel 2.
TEMPERATURE_27_2 = "01670110"
TEMPERATURE_25_5 = "016700ff"
HUMIDITY_40 = "026850"
DIGITAL_INPUT_ON = "030001"
# GPS on channel 4: 52.3676 N, 4.9041 E, 2 m.
GPS_AMSTERDAM = "048807fd9c00bf910000c8"
BAROMETER_1013_2 = "05732794"

LOGGER_NAME = "custom_components.iot_connectivity"


@pytest.fixture
def provider() -> Provider:
    """KPN LoRa, whose devices push uplinks."""
    return Provider.KPN_LORA


@pytest.fixture
def platforms() -> list[Platform]:
    """Every platform readings and their settings use."""
    return [
        Platform.BINARY_SENSOR,
        Platform.DEVICE_TRACKER,
        Platform.EVENT,
        Platform.NUMBER,
        Platform.SELECT,
        Platform.SENSOR,
    ]


class Pusher:
    """Pushes uplinks of the demo device, each with a new frame counter."""

    def __init__(self, session: aiohttp.ClientSession, url: str) -> None:
        """Push to ``url``."""
        self.session = session
        self.url = url
        self.fcnt = 100

    async def __call__(self, hass: HomeAssistant, payload_hex: str) -> None:
        """Push ``payload_hex``; it must be answered 200."""
        self.fcnt += 1
        status = await kpn_lora.push_uplink(
            self.session,
            self.url,
            as_id=AS_ID,
            as_key=AS_KEY,
            dev_eui=EUI,
            fport=1,
            payload_hex=payload_hex,
            fcnt_up=self.fcnt,
        )
        assert status == 200
        await hass.async_block_till_done()


@pytest.fixture
def push(http_session: aiohttp.ClientSession, webhook_url: str) -> Pusher:
    """Push uplinks of the demo device to the entry's webhook."""
    return Pusher(http_session, webhook_url)


async def choose_format(hass: HomeAssistant, option: str) -> None:
    """Choose the demo device's payload format, as the user does."""
    await hass.services.async_call(
        "select",
        "select_option",
        {"entity_id": FORMAT, "option": option},
        blocking=True,
    )


def reading_entities(hass: HomeAssistant) -> list[er.RegistryEntry]:
    """The registry entries of every reading of the demo device."""
    return [
        entry
        for entry in er.async_get(hass).entities.values()
        if entry.platform == DOMAIN and "_reading_" in entry.unique_id
    ]


def assert_sensor(
    state: State,
    value: str,
    device_class: str | None,
    unit: str | None,
    state_class: str | None = SensorStateClass.MEASUREMENT,
) -> None:
    assert state.state == value
    assert state.attributes.get(ATTR_DEVICE_CLASS) == device_class
    assert state.attributes.get(ATTR_UNIT_OF_MEASUREMENT) == unit
    assert state.attributes.get("state_class") == state_class


async def test_cayenne_readings_become_entities(
    hass: HomeAssistant, push: Pusher, init_integration: MockConfigEntry
) -> None:
    """Each kind of reading gets the entity, device class, unit and state class it needs."""
    await choose_format(hass, "cayenne_lpp")

    await push(
        hass,
        TEMPERATURE_27_2
        + HUMIDITY_40
        + DIGITAL_INPUT_ON
        + GPS_AMSTERDAM
        + BAROMETER_1013_2,
    )

    assert_sensor(
        state_of(hass, TEMPERATURE), "27.2", SensorDeviceClass.TEMPERATURE, "°C"
    )
    assert_sensor(state_of(hass, HUMIDITY), "40.0", SensorDeviceClass.HUMIDITY, "%")
    assert_sensor(state_of(hass, PRESSURE), "1013.2", SensorDeviceClass.PRESSURE, "hPa")
    state = state_of(hass, STATE)
    assert state.state == STATE_ON
    assert state.attributes.get(ATTR_DEVICE_CLASS) is None
    tracker = state_of(hass, POSITION)
    assert tracker.attributes["source_type"] == "gps"
    assert tracker.attributes["latitude"] == pytest.approx(52.3676)
    assert tracker.attributes["longitude"] == pytest.approx(4.9041)
    assert tracker.attributes["altitude"] == pytest.approx(2.0)
    unique_ids = {entry.unique_id for entry in reading_entities(hass)}
    assert len(unique_ids) == 5
    assert all(
        unique_id.startswith(f"{init_integration.unique_id}_{EUI}_reading_")
        for unique_id in unique_ids
    )


async def test_new_channel_appears_and_only_changes_write(
    hass: HomeAssistant, push: Pusher, init_integration: MockConfigEntry
) -> None:
    """A channel seen for the first time gets its entity without a reload;
    a reading whose value stayed the same writes no state."""
    await choose_format(hass, "cayenne_lpp")
    await push(hass, TEMPERATURE_27_2)
    assert hass.states.get(HUMIDITY) is None
    changes = async_capture_events(hass, EVENT_STATE_CHANGED)

    await push(hass, TEMPERATURE_27_2 + HUMIDITY_40)

    assert state_of(hass, HUMIDITY).state == "40.0"
    written = {event.data["entity_id"] for event in changes}
    assert TEMPERATURE not in written
    assert HUMIDITY in written
    assert init_integration.state.recoverable  # never reloaded
    changes.clear()

    await push(hass, TEMPERATURE_25_5 + HUMIDITY_40)

    assert state_of(hass, TEMPERATURE).state == "25.5"
    readings_written = {
        event.data["entity_id"]
        for event in changes
        if event.data["entity_id"] in {TEMPERATURE, HUMIDITY}
    }
    assert readings_written == {TEMPERATURE}


async def test_last_value_after_restart(
    hass: HomeAssistant, push: Pusher, init_integration: MockConfigEntry
) -> None:
    """After a restart each reading is there at once, with its last value."""
    await choose_format(hass, "cayenne_lpp")
    await push(hass, TEMPERATURE_27_2 + GPS_AMSTERDAM)

    assert await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done()

    assert state_of(hass, TEMPERATURE).state == "27.2"
    assert state_of(hass, POSITION).attributes["latitude"] == pytest.approx(52.3676)
    assert state_of(hass, FORMAT).state == "cayenne_lpp"


async def test_format_switches_without_restart(
    hass: HomeAssistant, push: Pusher
) -> None:
    """Automatic finds no decoded payload in a bare frame; Cayenne decodes it;
    none decodes nothing and leaves the readings as they were."""
    assert state_of(hass, FORMAT).state == "automatic"
    await push(hass, TEMPERATURE_27_2)
    assert hass.states.get(TEMPERATURE) is None

    await choose_format(hass, "cayenne_lpp")
    await push(hass, TEMPERATURE_27_2)
    assert state_of(hass, TEMPERATURE).state == "27.2"

    await choose_format(hass, "none")
    await push(hass, TEMPERATURE_25_5)
    assert state_of(hass, TEMPERATURE).state == "27.2"


@pytest.mark.parametrize(
    ("payload_hex", "reason"),
    [
        ("0167", "truncated"),
        ("01ff00", "unknown_type"),
        ("016701", "wrong_size"),
        ("zz", "not_hex"),
    ],
    ids=["truncated", "unknown_type", "wrong_size", "bad_hex"],
)
async def test_bad_payload(
    hass: HomeAssistant,
    push: Pusher,
    caplog: pytest.LogCaptureFixture,
    payload_hex: str,
    reason: str,
) -> None:
    """The event still fires with the raw payload; nothing else changes; one debug line."""
    await choose_format(hass, "cayenne_lpp")
    await push(hass, TEMPERATURE_27_2)
    entities_before = len(reading_entities(hass))
    events = async_capture_events(hass, EVENT_LORA_UPLINK)
    changes = async_capture_events(hass, EVENT_STATE_CHANGED)
    caplog.clear()
    caplog.set_level(logging.DEBUG, logger=LOGGER_NAME)

    await push(hass, payload_hex)

    (event,) = events
    assert event.data["payload_hex"] == payload_hex
    assert len(reading_entities(hass)) == entities_before
    assert state_of(hass, TEMPERATURE).state == "27.2"
    assert TEMPERATURE not in {event.data["entity_id"] for event in changes}
    ours = [
        record
        for record in caplog.records
        if record.name == LOGGER_NAME and "not decoded" in record.getMessage()
    ]
    assert len(ours) == 1
    assert ours[0].levelno == logging.DEBUG
    if reason != "wrong_size":  # the decoder may call a short body truncated
        assert reason in ours[0].getMessage()
    assert not [record for record in caplog.records if record.exc_info]
    assert "Traceback" not in caplog.text


async def automate(hass: HomeAssistant, *trigger_types: str) -> None:
    """Automations calling test.automation on each device trigger."""
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": [
                {
                    "triggers": {
                        "platform": "device",
                        "domain": DOMAIN,
                        "device_id": device_id(hass, EUI),
                        "type": trigger_type,
                    },
                    "actions": {
                        "action": "test.automation",
                        "data": {"type": trigger_type},
                    },
                }
                for trigger_type in trigger_types
            ]
        },
    )


async def tick(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, delta: timedelta
) -> None:
    """Let ``delta`` pass, firing the timers due."""
    freezer.tick(delta)
    async_fire_time_changed(hass)
    await hass.async_block_till_done()


async def test_reporting_learned_off_and_on(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    push: Pusher,
) -> None:
    """The interval is learned; missing it twice plus the margin turns Reporting
    off and fires the trigger; the next uplink turns it on again."""
    calls = async_mock_service(hass, "test", "automation")
    await automate(hass, "lora_stopped_reporting", "lora_started_reporting")
    events = async_capture_events(hass, EVENT_LORA_REPORTING)
    interval = timedelta(minutes=10)
    assert state_of(hass, REPORTING).state == STATE_UNKNOWN

    await push(hass, TEMPERATURE_27_2)
    await tick(hass, freezer, interval)
    await push(hass, TEMPERATURE_27_2)
    state = state_of(hass, REPORTING)
    assert state.state == STATE_ON
    assert state.attributes[ATTR_DEVICE_CLASS] == BinarySensorDeviceClass.CONNECTIVITY
    assert state.attributes["learned_interval"] == 10

    await tick(hass, freezer, MISSED_INTERVALS * interval + REPORTING_MARGIN)
    assert state_of(hass, REPORTING).state == STATE_ON
    assert not calls

    await tick(hass, freezer, timedelta(seconds=2))
    assert state_of(hass, REPORTING).state == STATE_OFF
    assert [call.data for call in calls] == [{"type": "lora_stopped_reporting"}]

    await push(hass, TEMPERATURE_27_2)
    assert state_of(hass, REPORTING).state == STATE_ON
    assert [event.data["reporting"] for event in events] == [False, True]
    assert [call.data["type"] for call in calls] == [
        "lora_stopped_reporting",
        "lora_started_reporting",
    ]


async def test_stopped_reporting_while_unloaded(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    push: Pusher,
    init_integration: MockConfigEntry,
) -> None:
    """A device that went quiet while the entry was unloaded fires the
    trigger once at the next setup, and its Reporting is off."""
    calls = async_mock_service(hass, "test", "automation")
    await automate(hass, "lora_stopped_reporting", "lora_started_reporting")
    events = async_capture_events(hass, EVENT_LORA_REPORTING)
    interval = timedelta(minutes=10)
    await push(hass, TEMPERATURE_27_2)
    await tick(hass, freezer, interval)
    await push(hass, TEMPERATURE_27_2)
    assert state_of(hass, REPORTING).state == STATE_ON
    entry_id = init_integration.entry_id

    assert await hass.config_entries.async_unload(entry_id)
    await hass.async_block_till_done()
    freezer.tick(MISSED_INTERVALS * interval + REPORTING_MARGIN + timedelta(minutes=1))
    assert await hass.config_entries.async_setup(entry_id)
    await hass.async_block_till_done()

    assert state_of(hass, REPORTING).state == STATE_OFF
    assert [call.data for call in calls] == [{"type": "lora_stopped_reporting"}]
    assert [event.data["reporting"] for event in events] == [False]
    assert events[0].data["device_id"] == device_id(hass, EUI)

    # Stored as off now: the next setup finds no change, and fires nothing.
    assert await hass.config_entries.async_reload(entry_id)
    await hass.async_block_till_done()
    assert state_of(hass, REPORTING).state == STATE_OFF
    assert len(calls) == 1


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_interval_override_changes_the_rule(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    push: Pusher,
) -> None:
    """A reporting interval set on the device replaces the learned one."""
    await push(hass, TEMPERATURE_27_2)
    assert state_of(hass, REPORTING).state == STATE_UNKNOWN

    await hass.services.async_call(
        "number", "set_value", {"entity_id": INTERVAL, "value": 60}, blocking=True
    )
    state = state_of(hass, REPORTING)
    assert state.state == STATE_ON
    assert state.attributes["expected_interval"] == 60
    assert state_of(hass, INTERVAL).state == "60"

    await tick(hass, freezer, timedelta(minutes=2 * 60 + 4))
    assert state_of(hass, REPORTING).state == STATE_ON
    await tick(hass, freezer, timedelta(minutes=2))
    assert state_of(hass, REPORTING).state == STATE_OFF

    await hass.services.async_call(
        "number", "set_value", {"entity_id": INTERVAL, "value": 0}, blocking=True
    )
    assert state_of(hass, REPORTING).state == STATE_UNKNOWN


async def test_diagnostics_readings_positions_redacted(
    hass: HomeAssistant, push: Pusher, init_integration: MockConfigEntry
) -> None:
    """Device diagnostics list the readings, without where the device is:
    latitude, longitude and altitude redacted."""
    await choose_format(hass, "cayenne_lpp")
    await push(hass, TEMPERATURE_27_2 + GPS_AMSTERDAM)
    device = dr.async_get(hass).async_get(
        device_id(hass, EUI), include_child_devices=False
    )
    assert device is not None

    diagnostics = await async_get_device_diagnostics(hass, init_integration, device)

    readings = diagnostics["readings"]
    assert readings["format"] == "cayenne_lpp"
    values = [reading["value"] for reading in readings["readings"].values()]
    assert 27.2 in values
    text = json.dumps(diagnostics, default=str)
    assert "52.3676" not in text
    assert "4.9041" not in text
    (position,) = [value for value in values if isinstance(value, dict)]
    # Every part of a position, the altitude too (accuracy: none in Cayenne).
    assert position == {
        "latitude": "**REDACTED**",
        "longitude": "**REDACTED**",
        "altitude": "**REDACTED**",
        "accuracy": None,
    }


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_one_timer_for_every_device(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    http_session: aiohttp.ClientSession,
    webhook_url: str,
) -> None:
    """Each device goes off at its own deadline, also when the device that had
    the first deadline reported again in between."""
    other_eui = "0059AC0000041201"
    other_reporting = "binary_sensor.alarm_device_41201_reporting"
    for entity_id, minutes in (
        (INTERVAL, 10),
        ("number.alarm_device_41201_reporting_interval", 60),
    ):
        await hass.services.async_call(
            "number",
            "set_value",
            {"entity_id": entity_id, "value": minutes},
            blocking=True,
        )
    push = Pusher(http_session, webhook_url)
    await push(hass, "00")
    status = await kpn_lora.push_uplink(
        http_session,
        webhook_url,
        as_id=AS_ID,
        as_key=AS_KEY,
        dev_eui=other_eui,
        fport=1,
        payload_hex="00",
        fcnt_up=1,
    )
    assert status == 200
    await tick(hass, freezer, timedelta(minutes=20))
    await push(hass, "00")  # its deadline moves from 25 to 45 minutes

    await tick(hass, freezer, timedelta(minutes=6))  # 26 min: past the old one
    assert state_of(hass, REPORTING).state == STATE_ON
    await tick(hass, freezer, timedelta(minutes=20))  # 46 min
    assert state_of(hass, REPORTING).state == STATE_OFF
    assert state_of(hass, other_reporting).state == STATE_ON
    await tick(hass, freezer, timedelta(minutes=80))  # 126 min
    assert state_of(hass, other_reporting).state == STATE_OFF


def stored_readings() -> dict[str, Any]:
    """A store with one reading of every quantity and a position, as a
    previous run of Home Assistant left it; plus what a hand edit broke."""
    readings: dict[str, Any] = {
        f"{quantity}_1": {
            "quantity": quantity.value,
            "value": STORED_VALUES.get(quantity, 12.5),
            "channel": 1,
            "name": None,
        }
        for quantity in Quantity
    }
    readings["gps_2"] = {
        "quantity": None,
        "value": {
            "latitude": 52.09,
            "longitude": 5.12,
            "altitude": 8.5,
            "accuracy": 12.0,
        },
        "channel": 2,
        "name": None,
    }
    readings["broken"] = {"quantity": "no such quantity", "value": 1}
    return {
        "version": 1,
        "minor_version": 1,
        "key": f"{DOMAIN}.{Provider.KPN_LORA}_entry.readings",
        "data": {
            "devices": {
                EUI: {
                    "readings": readings,
                    "format": "cayenne_lpp",
                    "interval": 15,
                    "uplinks": ["2026-11-16T11:50:00+00:00", "not a time"],
                },
                "0059AC0000041201": "not a device",
                # A device the provider no longer lists
                "0059AC00DEADBEEF": {"readings": {}, "uplinks": []},
            }
        },
    }


STORED_VALUES: dict[Quantity, Any] = {
    Quantity.STATE: True,
    Quantity.TIMESTAMP: 1763294400,
    Quantity.COLOUR: "#ff8000",
    Quantity.TEXT: "hello",
}


@pytest.mark.freeze_time("2026-11-16T12:00:00+00:00")
@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_every_kind_from_the_store(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    mock_config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A new Home Assistant with stored readings shows each at setup, with its
    last value, as the entity its kind asks for; unreadable parts are skipped."""
    hass_storage[f"{DOMAIN}.{mock_config_entry.entry_id}.readings"] = stored_readings()
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    registry = er.async_get(hass)
    prefix = f"{mock_config_entry.unique_id}_{EUI}_reading_"
    for quantity, kind in READING_KINDS.items():
        entity_id = registry.async_get_entity_id(
            str(kind.platform), DOMAIN, f"{prefix}{quantity}_1"
        )
        assert entity_id is not None, quantity
        state = state_of(hass, entity_id)
        if kind.platform is Platform.BINARY_SENSOR:
            assert state.state == STATE_ON
            continue
        assert state.attributes.get(ATTR_DEVICE_CLASS) == kind.device_class, quantity
        assert state.attributes.get(ATTR_UNIT_OF_MEASUREMENT) == kind.unit, quantity
        assert state.attributes.get("state_class") == kind.state_class, quantity
    assert state_of(hass, f"sensor.{DEVICE}_time").state == "2025-11-16T12:00:00+00:00"
    assert state_of(hass, f"sensor.{DEVICE}_colour").state == "#ff8000"
    assert state_of(hass, f"sensor.{DEVICE}_temperature").state == "12.5"
    tracker = state_of(hass, POSITION)
    assert tracker.attributes["gps_accuracy"] == 12.0
    assert tracker.attributes["altitude"] == 8.5
    assert state_of(hass, FORMAT).state == "cayenne_lpp"
    assert state_of(hass, INTERVAL).state == "15"
    readings = mock_config_entry.runtime_data.readings
    assert readings is not None
    assert set(readings.devices) == {EUI}
    # 15 minutes: silent after 11:50 + 35 minutes; it is 12:00.
    assert state_of(hass, REPORTING).state == STATE_ON
    assert registry.async_get_entity_id("sensor", DOMAIN, f"{prefix}broken") is None
    # Home Assistant accepts every kind's device class, unit and state class.
    assert not [
        record.getMessage()
        for record in caplog.records
        if record.levelno >= logging.WARNING
        and record.name.startswith(
            ("homeassistant.components.", "homeassistant.helpers.entity")
        )
    ]


class EditedSession:
    """Posts what ``push_uplink`` builds, with fields the Token does not cover added."""

    def __init__(self, session: aiohttp.ClientSession, fields: dict[str, Any]) -> None:
        """Add ``fields`` to every ``DevEUI_uplink`` body."""
        self.session = session
        self.fields = fields

    def post(self, url: str, json: dict[str, Any]) -> Any:
        """POST the body with the fields added."""
        json["DevEUI_uplink"].update(self.fields)
        return self.session.post(url, json=json)


def published_uplink(name: str) -> dict[str, Any]:
    """A published ThingPark uplink (tests/fixtures/thingpark), verbatim."""
    path = Path(__file__).parents[1] / "fixtures" / "thingpark" / f"{name}.json"
    uplink: dict[str, Any] = json.loads(path.read_text())["DevEUI_uplink"]
    return uplink


async def push_with(
    hass: HomeAssistant,
    session: aiohttp.ClientSession,
    url: str,
    fields: dict[str, Any],
    payload_hex: str,
) -> None:
    """Push an uplink of the demo device carrying ``fields`` as well."""
    status = await kpn_lora.push_uplink(
        EditedSession(session, fields),  # type: ignore[arg-type]
        url,
        as_id=AS_ID,
        as_key=AS_KEY,
        dev_eui=EUI,
        fport=17,
        payload_hex=payload_hex,
        fcnt_up=265,
    )
    assert status == 200
    await hass.async_block_till_done()


async def test_thingpark_decoded_payload_automatic(
    hass: HomeAssistant, http_session: aiohttp.ClientSession, webhook_url: str
) -> None:
    """Automatic takes the driver's decoded payload of a published uplink."""
    published = published_uplink("iot_flow_decoded_uplink")

    await push_with(
        hass,
        http_session,
        webhook_url,
        {"payload": published["payload"]},
        published["payload_hex"],
    )

    assert_sensor(
        state_of(hass, TEMPERATURE), "24.8", SensorDeviceClass.TEMPERATURE, "°C"
    )
    assert_sensor(
        state_of(hass, f"sensor.{DEVICE}_voltage"),
        "3.85",
        SensorDeviceClass.VOLTAGE,
        "V",
    )


async def test_encrypted_payload_not_decoded(
    hass: HomeAssistant,
    http_session: aiohttp.ClientSession,
    webhook_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A payload encrypted for the application server is never read as
    plaintext: the event fires, no reading appears, one debug line."""
    await choose_format(hass, "cayenne_lpp")
    events = async_capture_events(hass, EVENT_LORA_UPLINK)
    caplog.set_level(logging.DEBUG, logger=LOGGER_NAME)

    # Ciphertext that happens to be a valid Cayenne LPP frame.
    await push_with(
        hass, http_session, webhook_url, {"PayloadEncryption": 1}, TEMPERATURE_27_2
    )

    (event,) = events
    assert event.data["payload_hex"] == TEMPERATURE_27_2
    assert reading_entities(hass) == []
    ours = [
        record
        for record in caplog.records
        if record.name == LOGGER_NAME and "not decoded" in record.getMessage()
    ]
    assert len(ours) == 1
    assert "encrypted" in ours[0].getMessage()
    assert not [record for record in caplog.records if record.exc_info]


async def test_driver_decode_error_logged(
    hass: HomeAssistant,
    http_session: aiohttp.ClientSession,
    webhook_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """ThingPark's driver error is logged at debug level, in one line with
    the device's EUI; no reading appears."""
    published = published_uplink("iot_flow_decode_error")
    caplog.set_level(logging.DEBUG, logger=LOGGER_NAME)

    await push_with(
        hass,
        http_session,
        webhook_url,
        {"payloadDecodedError": published["payloadDecodedError"]},
        published["payload_hex"],
    )

    assert reading_entities(hass) == []
    ours = [
        record
        for record in caplog.records
        if record.name == LOGGER_NAME and "driver" in record.getMessage()
    ]
    assert len(ours) == 1
    assert ours[0].levelno == logging.DEBUG
    message = ours[0].getMessage()
    assert EUI in message
    assert "com-5002: driver internal error: Error: Invalid fPort!" in message
    assert "\n" not in message


async def test_readings_beyond_the_entry_limit_start_disabled(
    hass: HomeAssistant,
    push: Pusher,
    init_integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Near Home Assistant's limit of enabled entities per entry, new readings
    are registered disabled (not refused), with one warning."""
    await choose_format(hass, "cayenne_lpp")
    registry = er.async_get(hass)
    enabled = registry.entities.get_enabled_count_for_config_entry_id(
        init_integration.entry_id
    )
    reserve = MAX_ENABLED_ENTITIES_PER_CONFIG_ENTRY - enabled - 2

    with patch(
        "custom_components.iot_connectivity.lora_readings.READINGS_RESERVE", reserve
    ):
        await push(hass, TEMPERATURE_27_2 + HUMIDITY_40 + BAROMETER_1013_2)
        await push(hass, TEMPERATURE_25_5 + HUMIDITY_40 + BAROMETER_1013_2)

    entries = reading_entities(hass)
    assert len(entries) == 3
    assert sorted(entry.disabled_by is None for entry in entries) == [
        False,
        True,
        True,
    ]
    assert state_of(hass, TEMPERATURE).state == "25.5"
    warnings = [
        record
        for record in caplog.records
        if record.name == LOGGER_NAME and "start disabled" in record.getMessage()
    ]
    assert len(warnings) == 1
