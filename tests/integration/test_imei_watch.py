"""The IMEI watch: a SIM moved to another device, through Home Assistant."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any
from unittest.mock import patch

from homeassistant.components.button.const import DOMAIN as BUTTON_DOMAIN, SERVICE_PRESS
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import ATTR_ENTITY_ID, STATE_OFF, STATE_ON
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.storage import Store
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_mock_service,
)
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
    get_diagnostics_for_device,
)

from custom_components.iot_connectivity import logbook
from custom_components.iot_connectivity.api.models import Provider
from custom_components.iot_connectivity.const import DOMAIN, EVENT_SIM_MOVED
from custom_components.iot_connectivity.imei_watch import ImeiWatch

from .conftest import device_id, state_of

if TYPE_CHECKING:
    from collections.abc import Callable

    from homeassistant.core import Event, HomeAssistant
    from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

    from iot_emulator.server import EmulatorServer

NEW_IMEI = "353456789012348"
MOVED_SIM: dict[Provider, tuple[str, str, str]] = {
    Provider.KPN_IOT_SIM: (
        "8931087620000000017",
        "pumping_station_zeeburg",
        "356938035643809",
    ),
    Provider.TMOBILE_EASY_CONNECT: (
        "8988280666000001234",
        "weather_station_utrecht",
        "863576047851234",
    ),
    Provider.ONENCE: ("8988303000123456789", "dx_137_b12", "8635760478500089"),
}
"""Per provider with IMEIs: a demo SIM, its entity id stem and its first IMEI."""


def imei_of(emulator: EmulatorServer, provider: Provider) -> Callable[[str], Any]:
    """Read the IMEI the emulator reports for a SIM."""
    if provider is Provider.KPN_IOT_SIM:
        return lambda iccid: emulator.kpn_sim.things[iccid]["IMEI"]
    sims = (
        emulator.tmobile
        if provider is Provider.TMOBILE_EASY_CONNECT
        else emulator.onence
    ).sims
    return lambda iccid: sims[iccid].record["imei"]


def set_imei(
    emulator: EmulatorServer, provider: Provider, iccid: str, imei: str | None
) -> None:
    """Let the emulator report ``imei`` (None: none) for the SIM."""
    if provider is Provider.KPN_IOT_SIM:
        emulator.kpn_sim.things[iccid]["IMEI"] = imei
    else:
        sims = (
            emulator.tmobile
            if provider is Provider.TMOBILE_EASY_CONNECT
            else emulator.onence
        ).sims
        sims[iccid].record["imei"] = imei


def watch_of(entry: MockConfigEntry) -> ImeiWatch:
    """The entry's IMEI watch, which must exist."""
    watch: ImeiWatch | None = entry.runtime_data.imei_watch
    assert watch is not None
    return watch


async def read_sims(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Read the SIM list now and let everything that follows it happen."""
    await entry.runtime_data.sims.async_refresh()
    await hass.async_block_till_done(wait_background_tasks=True)


async def automate_sim_moved(hass: HomeAssistant, device: str) -> None:
    """An automation on the device trigger that passes the IMEIs to test.moved."""
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": {
                "triggers": {
                    "platform": "device",
                    "domain": DOMAIN,
                    "device_id": device,
                    "type": "sim_moved",
                },
                "actions": {
                    "action": "test.moved",
                    "data": {
                        "moved": "{{ trigger.event.data.old_imei }}"
                        " to {{ trigger.event.data.new_imei }}"
                    },
                },
            }
        },
    )


@pytest.mark.parametrize("provider", list(MOVED_SIM))
@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_change_fires_event_trigger_and_problem(
    hass: HomeAssistant,
    emulator: EmulatorServer,
    provider: Provider,
    init_integration: MockConfigEntry,
) -> None:
    """The first IMEI is the baseline; another one is announced and stays a problem."""
    iccid, stem, first_imei = MOVED_SIM[provider]
    assert imei_of(emulator, provider)(iccid) == first_imei
    problem = f"binary_sensor.{stem}_imei_changed"
    assert state_of(hass, problem).state == STATE_OFF
    assert watch_of(init_integration).baselines[iccid] == first_imei
    events = async_capture_events(hass, EVENT_SIM_MOVED)
    moved = async_mock_service(hass, "test", "moved")
    device = device_id(hass, iccid)
    await automate_sim_moved(hass, device)

    await read_sims(hass, init_integration)
    assert events == []

    assert emulator.providers[provider].move_sim(iccid, NEW_IMEI)
    await read_sims(hass, init_integration)

    (event,) = events
    assert event.data == {
        "device_id": device,
        "iccid": iccid,
        "old_imei": first_imei,
        "new_imei": NEW_IMEI,
    }
    assert [call.data for call in moved] == [{"moved": f"{first_imei} to {NEW_IMEI}"}]
    state = state_of(hass, problem)
    assert state.state == STATE_ON
    assert state.attributes["device_class"] == "problem"
    assert "detected_at" in state.attributes

    # Read again unchanged: nothing new to tell, the problem stays.
    await read_sims(hass, init_integration)
    assert len(events) == 1
    assert state_of(hass, problem).state == STATE_ON


@pytest.mark.parametrize("provider", [Provider.TMOBILE_EASY_CONNECT])
@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_missing_imei_is_no_change(
    hass: HomeAssistant, emulator: EmulatorServer, init_integration: MockConfigEntry
) -> None:
    """A SIM that reports no IMEI keeps its baseline; the same IMEI again is fine."""
    iccid, stem, first_imei = MOVED_SIM[Provider.TMOBILE_EASY_CONNECT]
    events = async_capture_events(hass, EVENT_SIM_MOVED)

    set_imei(emulator, Provider.TMOBILE_EASY_CONNECT, iccid, None)
    await read_sims(hass, init_integration)
    set_imei(emulator, Provider.TMOBILE_EASY_CONNECT, iccid, first_imei)
    await read_sims(hass, init_integration)

    assert events == []
    assert state_of(hass, f"binary_sensor.{stem}_imei_changed").state == STATE_OFF
    assert watch_of(init_integration).baselines[iccid] == first_imei


@pytest.mark.parametrize("provider", [Provider.KPN_IOT_SIM])
async def test_restart_keeps_baseline_and_problem(
    hass: HomeAssistant, emulator: EmulatorServer, init_integration: MockConfigEntry
) -> None:
    """A change while stopped is seen at the start; an open one survives a restart."""
    iccid, stem, first_imei = MOVED_SIM[Provider.KPN_IOT_SIM]
    problem = f"binary_sensor.{stem}_imei_changed"
    events = async_capture_events(hass, EVENT_SIM_MOVED)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert await hass.config_entries.async_unload(init_integration.entry_id)

    emulator.kpn_sim.move_sim(iccid, NEW_IMEI)
    assert await hass.config_entries.async_setup(init_integration.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)

    (event,) = events
    assert (event.data["old_imei"], event.data["new_imei"]) == (first_imei, NEW_IMEI)
    assert state_of(hass, problem).state == STATE_ON

    await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)

    assert init_integration.state is ConfigEntryState.LOADED
    assert len(events) == 1
    assert state_of(hass, problem).state == STATE_ON
    change = watch_of(init_integration).changes[iccid]
    assert (change.old_imei, change.new_imei) == (first_imei, NEW_IMEI)


async def press(hass: HomeAssistant, entity_id: str) -> None:
    """Press a button."""
    await hass.services.async_call(
        BUTTON_DOMAIN, SERVICE_PRESS, {ATTR_ENTITY_ID: entity_id}, blocking=True
    )


async def acknowledge(hass: HomeAssistant, *devices: str) -> None:
    """Call the acknowledge_imei_change action."""
    await hass.services.async_call(
        DOMAIN,
        "acknowledge_imei_change",
        {"device_id": list(devices)},
        blocking=True,
    )


@pytest.mark.parametrize("provider", [Provider.KPN_IOT_SIM])
@pytest.mark.parametrize("by_button", [True, False], ids=["button", "action"])
async def test_acknowledge(
    hass: HomeAssistant,
    emulator: EmulatorServer,
    init_integration: MockConfigEntry,
    *,
    by_button: bool,
) -> None:
    """Acknowledging makes the new IMEI the baseline, also after a restart."""
    iccid, stem, _ = MOVED_SIM[Provider.KPN_IOT_SIM]
    problem = f"binary_sensor.{stem}_imei_changed"
    button = f"button.{stem}_acknowledge_imei_change"
    device = device_id(hass, iccid)
    events = async_capture_events(hass, EVENT_SIM_MOVED)
    emulator.kpn_sim.move_sim(iccid, NEW_IMEI)
    await read_sims(hass, init_integration)
    assert state_of(hass, problem).state == STATE_ON

    if by_button:
        await press(hass, button)
    else:
        await acknowledge(hass, device)
    await hass.async_block_till_done(wait_background_tasks=True)

    assert state_of(hass, problem).state == STATE_OFF
    assert watch_of(init_integration).baselines[iccid] == NEW_IMEI
    await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert state_of(hass, problem).state == STATE_OFF
    assert watch_of(init_integration).baselines[iccid] == NEW_IMEI
    assert len(events) == 1

    # Nothing is left to acknowledge.
    again = press(hass, button) if by_button else acknowledge(hass, device)
    with pytest.raises(ServiceValidationError) as raised:
        await again
    assert raised.value.translation_key == "no_imei_change"


@pytest.mark.parametrize("provider", [Provider.KPN_IOT_SIM])
async def test_acknowledge_refuses_a_device_that_is_no_sim(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """The account hub has no IMEI to acknowledge."""
    hub = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, "kpn_iot_sim_demo"), init_integration.entry_id
    )
    assert hub is not None

    with pytest.raises(ServiceValidationError) as raised:
        await acknowledge(hass, hub.id)

    assert raised.value.translation_key == "not_a_sim"


@pytest.mark.parametrize("provider", [Provider.INFOBIP_IOT])
async def test_no_watch_without_imeis(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Infobip reports no IMEI: no watch, no sensor, and the action refuses."""
    assert init_integration.runtime_data.imei_watch is None
    assert not any(
        state.entity_id.endswith("_imei_changed")
        for state in hass.states.async_all("binary_sensor")
    )
    with pytest.raises(ServiceValidationError) as raised:
        await acknowledge(hass, device_id(hass, "8981100022152967721"))
    assert raised.value.translation_key == "action_not_supported"


@pytest.mark.parametrize("provider", [Provider.TMOBILE_EASY_CONNECT])
async def test_diagnostics_list_changes_redacted(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    emulator: EmulatorServer,
    init_integration: MockConfigEntry,
) -> None:
    """The open change is listed with its time; both IMEIs are redacted."""
    iccid, _, _ = MOVED_SIM[Provider.TMOBILE_EASY_CONNECT]
    emulator.tmobile.move_sim(iccid, NEW_IMEI)
    await read_sims(hass, init_integration)

    entry: dict[str, Any] = await get_diagnostics_for_config_entry(
        hass, hass_client, init_integration
    )
    device = dr.async_get(hass).async_get(
        device_id(hass, iccid), include_child_devices=False
    )
    assert device is not None
    of_device: dict[str, Any] = await get_diagnostics_for_device(
        hass, hass_client, init_integration, device
    )

    watch = entry["imei_watch"]
    assert watch["baselines"] == len(emulator.tmobile.sims)
    change = watch["changes"][iccid]
    assert change["old_imei"] == change["new_imei"] == "**REDACTED**"
    assert change["detected_at"]
    assert of_device["imei_change"] == change
    assert NEW_IMEI not in str(entry)
    assert NEW_IMEI not in str(of_device)


@pytest.mark.parametrize("provider", [Provider.KPN_IOT_SIM])
@pytest.mark.usefixtures("init_integration")
async def test_logbook_describes_the_move(hass: HomeAssistant) -> None:
    """The logbook names the SIM's device and leaves the IMEIs out."""
    iccid, _, _ = MOVED_SIM[Provider.KPN_IOT_SIM]
    described: dict[str, Callable[[Event], dict[str, str]]] = {}

    def describe_event(
        domain: str, event_type: str, describe: Callable[[Event], dict[str, str]]
    ) -> None:
        assert domain == DOMAIN
        described[event_type] = describe

    logbook.async_describe_events(hass, describe_event)
    events: list[Event] = async_capture_events(hass, EVENT_SIM_MOVED)
    data = {
        "device_id": device_id(hass, iccid),
        "iccid": iccid,
        "old_imei": "356938035643809",
        "new_imei": NEW_IMEI,
    }
    hass.bus.async_fire(EVENT_SIM_MOVED, data)
    await hass.async_block_till_done()

    description = described[EVENT_SIM_MOVED](events[0])

    assert description == {
        "name": "Pumping station Zeeburg",
        "message": "moved to another device (its IMEI changed)",
    }


@pytest.mark.parametrize("provider", [Provider.KPN_IOT_SIM])
async def test_removing_the_entry_forgets_the_baselines(
    hass: HomeAssistant, hass_storage: dict[str, Any], init_integration: MockConfigEntry
) -> None:
    """The store holds every SIM's baseline until the account is removed."""
    await hass.async_block_till_done(wait_background_tasks=True)
    key = f"{DOMAIN}.imei_watch.{init_integration.entry_id}"
    iccid, _, first_imei = MOVED_SIM[Provider.KPN_IOT_SIM]
    assert hass_storage[key]["data"]["baselines"][iccid] == first_imei

    assert await hass.config_entries.async_remove(init_integration.entry_id)
    await hass.async_block_till_done()

    assert key not in hass_storage


@pytest.mark.parametrize("provider", [Provider.KPN_IOT_SIM])
async def test_moved_back_closes_the_change(
    hass: HomeAssistant, emulator: EmulatorServer, init_integration: MockConfigEntry
) -> None:
    """Back in its first device, the SIM moved again, and nothing is left open."""
    iccid, stem, first_imei = MOVED_SIM[Provider.KPN_IOT_SIM]
    problem = f"binary_sensor.{stem}_imei_changed"
    events = async_capture_events(hass, EVENT_SIM_MOVED)
    emulator.kpn_sim.move_sim(iccid, NEW_IMEI)
    await read_sims(hass, init_integration)
    assert state_of(hass, problem).state == STATE_ON

    emulator.kpn_sim.move_sim(iccid, first_imei)
    await read_sims(hass, init_integration)

    assert [(e.data["old_imei"], e.data["new_imei"]) for e in events] == [
        (first_imei, NEW_IMEI),
        (NEW_IMEI, first_imei),
    ]
    assert state_of(hass, problem).state == STATE_OFF
    watch = watch_of(init_integration)
    assert iccid not in watch.changes
    assert watch.baselines[iccid] == first_imei
    with pytest.raises(ServiceValidationError):
        await acknowledge(hass, device_id(hass, iccid))

    await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert state_of(hass, problem).state == STATE_OFF
    assert len(events) == 2


@pytest.mark.parametrize("provider", [Provider.KPN_IOT_SIM])
async def test_acknowledge_right_before_a_reload_is_kept(
    hass: HomeAssistant, emulator: EmulatorServer, init_integration: MockConfigEntry
) -> None:
    """The acknowledgement is written even when the entry unloads during the write."""
    iccid, stem, _ = MOVED_SIM[Provider.KPN_IOT_SIM]
    emulator.kpn_sim.move_sim(iccid, NEW_IMEI)
    await read_sims(hass, init_integration)
    write = Store._async_write_data

    async def slow_write(store: Store[Any], data: dict[str, Any]) -> None:
        """A write that takes a moment, as a disk's does."""
        await asyncio.sleep(0)
        await write(store, data)

    with patch.object(Store, "_async_write_data", slow_write):
        await acknowledge(hass, device_id(hass, iccid))
        await hass.config_entries.async_reload(init_integration.entry_id)
        await hass.async_block_till_done(wait_background_tasks=True)

    assert state_of(hass, f"binary_sensor.{stem}_imei_changed").state == STATE_OFF
    watch = watch_of(init_integration)
    assert iccid not in watch.changes
    assert watch.baselines[iccid] == NEW_IMEI


@pytest.mark.parametrize("provider", [Provider.KPN_IOT_SIM])
async def test_store_is_private(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """IMEIs identify devices: their store is left out of unencrypted backups."""
    assert watch_of(init_integration)._store._private
