"""The automation blueprints, loaded by Home Assistant and run against the emulator."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from unittest.mock import PropertyMock, patch

from homeassistant.components.automation.config import AUTOMATION_BLUEPRINT_SCHEMA
from homeassistant.components.automation.const import DOMAIN as AUTOMATION_DOMAIN
from homeassistant.components.blueprint import models
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.setup import async_setup_component
from homeassistant.util.yaml import load_yaml_dict
import pytest
from pytest_homeassistant_custom_component.common import (
    async_fire_time_changed,
    async_mock_service,
)

from custom_components.iot_connectivity.api.models import Provider
from iot_emulator import infobip, kpn_lora, tmobile

from .conftest import AS_ID, AS_KEY, device_id, state_of

if TYPE_CHECKING:
    from collections.abc import Iterator

    import aiohttp
    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant, ServiceCall
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from iot_emulator.server import EmulatorServer

BLUEPRINTS = Path(__file__).parents[2] / "blueprints" / "automation"
FOLDER = "iot_connectivity"

INFOBIP_ICCID = "8981100022152967721"
"""The Infobip example SIM that is active and uses data."""
TMOBILE_ICCID = "8988280666000001234"
TMOBILE_SIM_NAME = "Weather station Utrecht"
KPN_ICCID = "8931087620000000017"
KPN_SIM_NAME = "Pumping station Zeeburg"
KPN_OTHER_ICCID = "8931087620000000033"
QUIET_EUI = "0059AC0000041201"
"""The LoRa device that stops reporting and raises a MAJOR "no uplink" alarm."""


@pytest.fixture(autouse=True)
def blueprints_from_repository() -> Iterator[None]:
    """Load automation blueprints from the repository's blueprints/ folder."""
    with patch.object(
        models.DomainBlueprints,
        "blueprint_folder",
        new_callable=PropertyMock,
        return_value=BLUEPRINTS,
    ):
        yield


async def use_blueprints(
    hass: HomeAssistant, *automations: tuple[str, dict[str, Any]]
) -> None:
    """Set up one automation per (blueprint file, inputs)."""
    assert await async_setup_component(
        hass,
        AUTOMATION_DOMAIN,
        {
            AUTOMATION_DOMAIN: [
                {
                    "use_blueprint": {
                        "path": f"{FOLDER}/{name}",
                        "input": inputs,
                    }
                }
                for name, inputs in automations
            ]
        },
    )
    await hass.async_block_till_done()
    for state in hass.states.async_all(AUTOMATION_DOMAIN):
        assert state.state == "on", state


def unique_entity_id(hass: HomeAssistant, domain: str, unique_id: str) -> str:
    """The entity id of one of the integration's entities."""
    entity_id = er.async_get(hass).async_get_entity_id(
        domain, "iot_connectivity", unique_id
    )
    assert entity_id is not None, unique_id
    return entity_id


@pytest.mark.parametrize(
    "name", sorted(p.name for p in (BLUEPRINTS / FOLDER).glob("*"))
)
def test_every_file_is_an_automation_blueprint(name: str) -> None:
    """Every file in the folder loads as a valid automation blueprint."""
    blueprint = models.Blueprint(
        load_yaml_dict(BLUEPRINTS / FOLDER / name),
        expected_domain=AUTOMATION_DOMAIN,
        schema=AUTOMATION_BLUEPRINT_SCHEMA,
    )
    assert blueprint.metadata["source_url"].endswith(f"/{FOLDER}/{name}")


@pytest.mark.parametrize("provider", [Provider.INFOBIP_IOT])
async def test_suspend_sim_on_data_used(
    hass: HomeAssistant, emulator: EmulatorServer, init_integration: MockConfigEntry
) -> None:
    """The SIM is suspended at the provider once its usage passes the limit:
    its own Active switch goes off, of all those picked."""
    prefix = f"{init_integration.unique_id}_{INFOBIP_ICCID}"
    data_used = unique_entity_id(hass, "sensor", f"{prefix}_data_used")
    active = unique_entity_id(hass, "switch", f"{prefix}_active")
    switches = [
        entry.entity_id
        for entry in er.async_entries_for_config_entry(
            er.async_get(hass), init_integration.entry_id
        )
        if entry.domain == "switch" and entry.unique_id.endswith("_active")
    ]
    others = [entity_id for entity_id in switches if entity_id != active]
    assert others
    # The other SIMs are active too: the automation must leave them so.
    for record in emulator.infobip.sims.values():
        record["status"] = infobip.ACTIVE
    await init_integration.runtime_data.sims.async_refresh()
    await hass.async_block_till_done()
    assert [state_of(hass, entity_id).state for entity_id in switches] == ["on"] * len(
        switches
    )
    used_before = float(state_of(hass, data_used).state)
    suspended = async_mock_service(hass, "test", "suspended")
    await use_blueprints(
        hass,
        (
            "suspend_sim_on_data_used.yaml",
            {
                "data_used": [data_used],
                "active_switches": switches,
                "limit": used_before + 1,
                "actions": [
                    {
                        "action": "test.suspended",
                        "data": {"sim": "{{ sim }}", "used": "{{ used }}"},
                    }
                ],
            },
        ),
    )
    traffic = init_integration.runtime_data.traffic
    assert traffic is not None

    # Half a megabyte more stays below the limit.
    emulator.infobip.tick(500_000 / infobip.SEEDED_DATA_RATE)
    await traffic.async_refresh()
    await hass.async_block_till_done()
    assert float(state_of(hass, data_used).state) > used_before
    assert state_of(hass, active).state == "on"
    assert emulator.infobip.sims[INFOBIP_ICCID]["status"] == infobip.ACTIVE
    assert suspended == []

    emulator.infobip.tick(1_000_000 / infobip.SEEDED_DATA_RATE)
    await traffic.async_refresh()
    await hass.async_block_till_done()
    assert emulator.infobip.sims[INFOBIP_ICCID]["status"] == infobip.SUSPENDED
    assert state_of(hass, active).state == "off"
    assert [state_of(hass, entity_id).state for entity_id in others] == ["on"] * len(
        others
    )
    (call,) = suspended
    used = state_of(hass, data_used)
    sim = dr.async_get(hass).async_get(device_id(hass, INFOBIP_ICCID))
    assert sim is not None
    assert call.data == {
        "sim": sim.name,
        "used": f"{used.state} {used.attributes['unit_of_measurement']}",
    }


@pytest.mark.parametrize("provider", [Provider.KPN_LORA])
async def test_notify_lora_alarm_at_or_above_severity(
    hass: HomeAssistant, emulator: EmulatorServer, init_integration: MockConfigEntry
) -> None:
    """A new MAJOR alarm runs the "major" automation, not the "critical" one."""
    major = async_mock_service(hass, "test", "major")
    critical = async_mock_service(hass, "test", "critical")
    other_device = async_mock_service(hass, "test", "other_device")
    quiet_device = device_id(hass, QUIET_EUI)
    other = device_id(hass, "0059AC0000170311")
    notify = {"device": "{{ device_name }}", "severity": "{{ severity }}"}
    await use_blueprints(
        hass,
        (
            "notify_lora_alarm.yaml",
            {
                "severity": "major",
                "devices": [quiet_device],
                "actions": [{"action": "test.major", "data": notify}],
            },
        ),
        (
            "notify_lora_alarm.yaml",
            {
                "severity": "critical",
                "actions": [{"action": "test.critical", "data": notify}],
            },
        ),
        (
            "notify_lora_alarm.yaml",
            {
                "severity": "warning",
                "devices": [other],
                "actions": [{"action": "test.other_device", "data": notify}],
            },
        ),
    )
    lora = init_integration.runtime_data.lora
    assert lora is not None

    emulator.kpn_lora.tick(kpn_lora.NO_UPLINK_ALARM_AFTER)
    await lora.async_refresh()
    await hass.async_block_till_done()

    assert [call.data for call in major] == [
        {"device": f"Alarm device {kpn_lora.QUIET_DEVICE_REF}", "severity": "major"}
    ]
    assert critical == []
    assert other_device == []


@pytest.mark.parametrize("provider", [Provider.TMOBILE_EASY_CONNECT])
async def test_notify_sms_received(
    hass: HomeAssistant,
    emulator: EmulatorServer,
    http_session: aiohttp.ClientSession,
    webhook_url: str,
) -> None:
    """An SMS pushed to the webhook creates a notification (the default action)."""
    notifications: list[ServiceCall] = async_mock_service(
        hass, "persistent_notification", "create"
    )
    await use_blueprints(
        hass,
        ("notify_sms_received.yaml", {"sims": [device_id(hass, TMOBILE_ICCID)]}),
    )

    await tmobile.push_sms_mo(
        http_session, webhook_url, iccid=TMOBILE_ICCID, text="Door opened"
    )
    await hass.async_block_till_done()

    assert [call.data for call in notifications] == [
        {"title": f"SMS from {TMOBILE_SIM_NAME}", "message": "Door opened"}
    ]


@pytest.mark.parametrize("provider", [Provider.KPN_IOT_SIM])
@pytest.mark.parametrize("suspend", [False, True], ids=["notify", "suspend"])
async def test_sim_moved(
    hass: HomeAssistant,
    emulator: EmulatorServer,
    init_integration: MockConfigEntry,
    *,
    suspend: bool,
) -> None:
    """A SIM in another device is announced, and suspended when asked: its
    own Active switch only, of those picked."""
    notifications: list[ServiceCall] = async_mock_service(
        hass, "persistent_notification", "create"
    )
    other_sim = async_mock_service(hass, "test", "other_sim")
    switches = [
        unique_entity_id(hass, "switch", f"{init_integration.unique_id}_{iccid}_active")
        for iccid in (KPN_ICCID, KPN_OTHER_ICCID)
    ]
    await use_blueprints(
        hass,
        (
            "sim_moved.yaml",
            {
                "sims": [device_id(hass, KPN_ICCID)],
                **({"active_switches": switches} if suspend else {}),
            },
        ),
        (
            "sim_moved.yaml",
            {
                "sims": [device_id(hass, KPN_OTHER_ICCID)],
                "actions": [{"action": "test.other_sim"}],
            },
        ),
    )

    other_state = emulator.kpn_sim.things[KPN_OTHER_ICCID]["State"]
    emulator.kpn_sim.move_sim(KPN_ICCID, "353456789012348")
    await init_integration.runtime_data.sims.async_refresh()
    await hass.async_block_till_done()

    assert [call.data for call in notifications] == [
        {
            "title": f"{KPN_SIM_NAME} moved to another device",
            "message": f"SIM card {KPN_ICCID} is now in the device with IMEI "
            "353456789012348 (before: 356938035643809).",
        }
    ]
    assert other_sim == []
    state = emulator.kpn_sim.things[KPN_ICCID]["State"]
    assert state == ("SUSPENDED" if suspend else "ACTIVE")
    assert emulator.kpn_sim.things[KPN_OTHER_ICCID]["State"] == other_state


@pytest.mark.parametrize("provider", [Provider.TMOBILE_EASY_CONNECT])
@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_sim_moved_suspends_but_keeps_the_imei_lock(
    hass: HomeAssistant, emulator: EmulatorServer, mock_config_entry: MockConfigEntry
) -> None:
    """Only the Active switch goes off: the SIM's IMEI lock stays on, whatever
    the entity ids (here those of a Dutch install: "Actief", "IMEI-slot")."""
    record = emulator.tmobile.sims[TMOBILE_ICCID].record
    record["imei_lock"] = True
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    registry = er.async_get(hass)
    prefix = f"{mock_config_entry.unique_id}_{TMOBILE_ICCID}"
    active = "switch.weather_station_utrecht_actief"
    lock = "switch.weather_station_utrecht_imei_slot"
    for key, entity_id in (("active", active), ("imei_lock", lock)):
        registry.async_update_entity(
            unique_entity_id(hass, "switch", f"{prefix}_{key}"),
            new_entity_id=entity_id,
        )
    await hass.async_block_till_done()
    assert state_of(hass, lock).state == "on"
    assert state_of(hass, active).state == "on"
    async_mock_service(hass, "persistent_notification", "create")
    await use_blueprints(hass, ("sim_moved.yaml", {"active_switches": [active]}))

    emulator.tmobile.move_sim(TMOBILE_ICCID, "353456789012348")
    await mock_config_entry.runtime_data.sims.async_refresh()
    await hass.async_block_till_done()

    assert record["status"] == "Disabled"
    assert record["imei_lock"] is True


@pytest.mark.parametrize("provider", [Provider.KPN_LORA])
async def test_lora_stopped_reporting(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    http_session: aiohttp.ClientSession,
    webhook_url: str,
) -> None:
    """A device that misses its interval creates a notification (the default
    action); its next uplink does too when asked for, and not otherwise."""
    notifications: list[ServiceCall] = async_mock_service(
        hass, "persistent_notification", "create"
    )
    started = async_mock_service(hass, "test", "started")
    eui = "0059AC0000170311"
    await use_blueprints(
        hass,
        ("lora_stopped_reporting.yaml", {"devices": [device_id(hass, eui)]}),
        (
            "lora_stopped_reporting.yaml",
            {
                "also_started": True,
                "actions": [
                    {
                        "condition": "template",
                        "value_template": "{{ reporting }}",
                    },
                    {"action": "test.started", "data": {"device": "{{ device_name }}"}},
                ],
            },
        ),
    )

    async def push(fcnt_up: int) -> None:
        status = await kpn_lora.push_uplink(
            http_session,
            webhook_url,
            as_id=AS_ID,
            as_key=AS_KEY,
            dev_eui=eui,
            fport=1,
            payload_hex="00",
            fcnt_up=fcnt_up,
        )
        assert status == 200
        await hass.async_block_till_done()

    await push(1)
    freezer.tick(timedelta(minutes=15))
    await push(2)
    freezer.tick(timedelta(minutes=2 * 15 + 5, seconds=2))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()

    assert [call.data for call in notifications] == [
        {"title": "LoRa device stopped reporting", "message": "Test Device via API"}
    ]
    assert started == []

    await push(3)

    assert len(notifications) == 1
    assert [call.data for call in started] == [{"device": "Test Device via API"}]


@pytest.mark.parametrize("provider", [Provider.KPN_LORA])
async def test_lora_stopped_reporting_while_unloaded(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    http_session: aiohttp.ClientSession,
    webhook_url: str,
    init_integration: MockConfigEntry,
) -> None:
    """A device that went quiet while its entry was unloaded (or Home
    Assistant stopped) is announced once at the next setup."""
    notifications: list[ServiceCall] = async_mock_service(
        hass, "persistent_notification", "create"
    )
    eui = "0059AC0000170311"
    await use_blueprints(
        hass, ("lora_stopped_reporting.yaml", {"devices": [device_id(hass, eui)]})
    )
    for fcnt_up in (1, 2):
        status = await kpn_lora.push_uplink(
            http_session,
            webhook_url,
            as_id=AS_ID,
            as_key=AS_KEY,
            dev_eui=eui,
            fport=1,
            payload_hex="00",
            fcnt_up=fcnt_up,
        )
        assert status == 200
        await hass.async_block_till_done()
        freezer.tick(timedelta(minutes=15))

    entry_id = init_integration.entry_id
    assert await hass.config_entries.async_unload(entry_id)
    await hass.async_block_till_done()
    freezer.tick(timedelta(hours=1))
    assert await hass.config_entries.async_setup(entry_id)
    await hass.async_block_till_done()

    assert [call.data for call in notifications] == [
        {"title": "LoRa device stopped reporting", "message": "Test Device via API"}
    ]
