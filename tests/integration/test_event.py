"""Event entities, device triggers and the alarm event of pushes and polls."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from homeassistant.components.device_automation import (
    DeviceAutomationType,
    async_get_device_automations,
)
from homeassistant.const import Platform
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
    async_mock_service,
    snapshot_platform,
)

from custom_components.iot_connectivity.api.models import Provider
from custom_components.iot_connectivity.const import (
    CONF_LORA_INTERVAL,
    DOMAIN,
    EVENT_LORA_ALARM,
    INTERVAL_BOUNDS,
)
from iot_emulator import kpn_lora, tmobile

from .conftest import AS_ID, AS_KEY, FROZEN_TIME, device_id

if TYPE_CHECKING:
    import aiohttp
    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant
    from syrupy.assertion import SnapshotAssertion

    from iot_emulator.server import EmulatorServer

TMOBILE_SIM = "8988280666000001234"
KPN_SIM = "8931087620000000017"
LORA_DEVICE = "0059AC0000170311"
QUIET_DEVICE = "0059AC0000041201"
"""The device that stops reporting when the emulator's time passes."""
LORA_INTERVAL = timedelta(minutes=INTERVAL_BOUNDS[CONF_LORA_INTERVAL][0])


@pytest.fixture
def platforms() -> list[Platform]:
    """Only the event platform."""
    return [Platform.EVENT]


@pytest.mark.parametrize("provider", [Provider.TMOBILE_EASY_CONNECT, Provider.KPN_LORA])
@pytest.mark.freeze_time(FROZEN_TIME)
@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_entities(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    init_integration: MockConfigEntry,
) -> None:
    """An SMS and a network event entity per T-Mobile SIM, an uplink one per LoRa device."""
    await snapshot_platform(hass, entity_registry, snapshot, init_integration.entry_id)


@pytest.mark.parametrize("provider", [Provider.KPN_IOT_SIM, Provider.INFOBIP_IOT])
async def test_none_without_push(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    init_integration: MockConfigEntry,
) -> None:
    """Providers that push nothing get no event entities."""
    assert not er.async_entries_for_config_entry(
        entity_registry, init_integration.entry_id
    )


async def our_triggers(hass: HomeAssistant, device: str) -> list[str]:
    """The trigger types this integration offers for a device."""
    automations = await async_get_device_automations(
        hass, DeviceAutomationType.TRIGGER, [device]
    )
    return [
        trigger["type"]
        for trigger in automations[device]
        if trigger["domain"] == DOMAIN
    ]


@pytest.mark.parametrize(
    ("provider", "item_id", "types"),
    [
        (Provider.TMOBILE_EASY_CONNECT, TMOBILE_SIM, ["sms_received", "sim_moved"]),
        (
            Provider.KPN_LORA,
            LORA_DEVICE,
            [
                "lora_uplink",
                "lora_alarm",
                "lora_stopped_reporting",
                "lora_started_reporting",
            ],
        ),
        (Provider.KPN_IOT_SIM, KPN_SIM, ["sim_moved"]),
    ],
)
@pytest.mark.parametrize("platforms", [None], ids=["all_platforms"])
@pytest.mark.usefixtures("init_integration")
async def test_device_triggers(
    hass: HomeAssistant, item_id: str, types: list[str]
) -> None:
    """The automation editor offers the pushes of the device's provider."""
    assert await our_triggers(hass, device_id(hass, item_id)) == types


@pytest.mark.parametrize("provider", [Provider.TMOBILE_EASY_CONNECT])
async def test_no_triggers_for_the_account(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """The account hub has no pushes of its own."""
    hub = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, "tmobile_easy_connect_demo"), init_integration.entry_id
    )
    assert hub is not None

    assert await our_triggers(hass, hub.id) == []


async def automate(hass: HomeAssistant, device: str, trigger_type: str) -> None:
    """An automation that calls test.automation when the device trigger fires."""
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": {
                "triggers": {
                    "platform": "device",
                    "domain": DOMAIN,
                    "device_id": device,
                    "type": trigger_type,
                },
                "actions": {
                    "action": "test.automation",
                    "data": {"event": "{{ trigger.event.event_type }}"},
                },
            }
        },
    )


@pytest.mark.parametrize("provider", [Provider.TMOBILE_EASY_CONNECT])
async def test_sms_trigger(
    hass: HomeAssistant, http_session: aiohttp.ClientSession, webhook_url: str
) -> None:
    """An SMS from the SIM runs the automation; one from another SIM does not."""
    calls = async_mock_service(hass, "test", "automation")
    await automate(hass, device_id(hass, TMOBILE_SIM), "sms_received")

    await tmobile.push_sms_mo(http_session, webhook_url, iccid=TMOBILE_SIM, text="Hi")
    await hass.async_block_till_done()

    assert [call.data for call in calls] == [{"event": "iot_connectivity_sms_received"}]


@pytest.mark.parametrize("provider", [Provider.KPN_LORA])
async def test_uplink_trigger(
    hass: HomeAssistant, http_session: aiohttp.ClientSession, webhook_url: str
) -> None:
    """An uplink of the device runs the automation; another device's does not."""
    calls = async_mock_service(hass, "test", "automation")
    await automate(hass, device_id(hass, LORA_DEVICE), "lora_uplink")

    for eui in (LORA_DEVICE, QUIET_DEVICE):
        status = await kpn_lora.push_uplink(
            http_session,
            webhook_url,
            as_id=AS_ID,
            as_key=AS_KEY,
            dev_eui=eui,
            fport=1,
            payload_hex="01",
        )
        assert status == 200
    await hass.async_block_till_done()

    assert [call.data for call in calls] == [{"event": "iot_connectivity_lora_uplink"}]


async def advance(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """Let the LoRa interval pass and its refresh finish."""
    freezer.tick(LORA_INTERVAL)
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


@pytest.mark.parametrize("provider", [Provider.KPN_LORA])
async def test_new_alarm_fires_once(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    emulator: EmulatorServer,
    init_integration: MockConfigEntry,
) -> None:
    """An alarm the poll sees open for the first time fires one event.

    The alarms open at setup are not announced; an open alarm stays quiet.
    """
    events = async_capture_events(hass, EVENT_LORA_ALARM)
    calls = async_mock_service(hass, "test", "automation")
    await automate(hass, device_id(hass, QUIET_DEVICE), "lora_alarm")
    await advance(hass, freezer)
    assert not events

    emulator.kpn_lora.tick(3 * 3600)
    await advance(hass, freezer)
    emulator.kpn_lora.tick(3600)
    await advance(hass, freezer)

    (event,) = events
    (raised,) = [
        alarm
        for alarm in emulator.kpn_lora.alarms.values()
        if alarm["deviceAlarmTypeId"] == kpn_lora.NO_UPLINK_ALARM
    ]
    assert event.data == {
        "device_id": device_id(hass, QUIET_DEVICE),
        "dev_eui": QUIET_DEVICE,
        "alarm_ref": raised["ref"],
        "type_id": kpn_lora.NO_UPLINK_ALARM,
        "type": "No uplink activity",
        "severity": "major",
        "raised_at": event.data["raised_at"],
        "info": ["3"],
    }
    assert [call.data for call in calls] == [{"event": "iot_connectivity_lora_alarm"}]
