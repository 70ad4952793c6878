"""Polling: devices that come and go, failures, recovery and rate limits."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.update_coordinator import UpdateFailed
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.iot_connectivity.api.models import Provider, SimStatus
from custom_components.iot_connectivity.const import (
    CONF_ENTITY_GROUPS,
    CONF_PLAN_INTERVAL,
    CONF_SIM_INTERVAL,
    CONF_USAGE_INTERVAL,
    DOMAIN,
    ENTITY_GROUP_QUOTA,
    ENTITY_GROUP_USAGE,
    INTERVAL_BOUNDS,
)
from custom_components.iot_connectivity.coordinator import (
    IoTConnectivityCoordinator,
    SimCoordinator,
    SimData,
    TrafficData,
)
from iot_emulator.core import Fault, FaultKind

from .conftest import state_of

if TYPE_CHECKING:
    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant

    from iot_emulator.server import EmulatorServer

SIM_INTERVAL = timedelta(minutes=INTERVAL_BOUNDS[CONF_SIM_INTERVAL][0])
SLOWEST_INTERVAL = timedelta(minutes=INTERVAL_BOUNDS[CONF_PLAN_INTERVAL][0])
ACTIVE_INFOBIP_SIM = "8981100022152967721"
NEW_ICCID = "8981100022152960000"
NEW_EUI = "0059AC0000099999"


async def advance(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, delta: timedelta
) -> None:
    """Let ``delta`` pass and every refresh that falls due finish."""
    freezer.tick(delta)
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


def entity_ids(hass: HomeAssistant, entry: MockConfigEntry, item_id: str) -> set[str]:
    """The entities of the SIM or LoRa device ``item_id``."""
    device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, item_id), entry.entry_id
    )
    if device is None:
        return set()
    return {
        entity.entity_id
        for entity in er.async_entries_for_device(er.async_get(hass), device.id)
    }


def add_infobip_sim(emulator: EmulatorServer) -> None:
    """Give the Infobip account one more SIM, a copy of the active one."""
    infobip = emulator.infobip
    infobip.sims[NEW_ICCID] = infobip.sims[ACTIVE_INFOBIP_SIM] | {
        "iccid": NEW_ICCID,
        "name": "Added later",
    }
    infobip.usage[NEW_ICCID] = infobip.usage[ACTIVE_INFOBIP_SIM] | {"iccid": NEW_ICCID}


@pytest.mark.parametrize("provider", [Provider.INFOBIP_IOT])
async def test_sim_added_removed_and_back(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    emulator: EmulatorServer,
    init_integration: MockConfigEntry,
) -> None:
    """A new SIM gets entities without a reload; a gone one leaves the registry."""
    assert not entity_ids(hass, init_integration, NEW_ICCID)

    add_infobip_sim(emulator)
    await advance(hass, freezer, SIM_INTERVAL)

    added = entity_ids(hass, init_integration, NEW_ICCID)
    # The usage entity too, although usage is polled far less often than SIMs.
    assert {
        "sensor.added_later_status",
        "sensor.added_later_data_used_this_period",
        "switch.added_later_active",
        "button.added_later_run_diagnostics",
    } <= added
    assert state_of(hass, "sensor.added_later_status").state == "active"
    assert state_of(hass, "sensor.added_later_data_used_this_period").state != (
        STATE_UNAVAILABLE
    )
    assert init_integration.state is ConfigEntryState.LOADED

    del emulator.infobip.sims[NEW_ICCID]
    await advance(hass, freezer, SIM_INTERVAL)

    assert not entity_ids(hass, init_integration, NEW_ICCID)
    assert all(hass.states.get(entity_id) is None for entity_id in added)

    add_infobip_sim(emulator)
    await advance(hass, freezer, SIM_INTERVAL)

    assert entity_ids(hass, init_integration, NEW_ICCID) == added


@pytest.mark.parametrize("provider", [Provider.KPN_LORA])
async def test_lora_device_added_and_removed(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    emulator: EmulatorServer,
    init_integration: MockConfigEntry,
) -> None:
    """LoRa devices come and go with the provider's device list."""
    devices = emulator.kpn_lora.devices
    template = devices["15531"]
    devices["70001"] = dataclasses.replace(
        template,
        ref="70001",
        record=template.record | {"EUI": NEW_EUI, "name": "Added later"},
    )
    await advance(hass, freezer, SIM_INTERVAL)

    assert "sensor.added_later_health" in entity_ids(hass, init_integration, NEW_EUI)
    assert state_of(hass, "sensor.added_later_health").state == "active"

    del devices["70001"]
    await advance(hass, freezer, SIM_INTERVAL)

    assert not entity_ids(hass, init_integration, NEW_EUI)
    assert hass.states.get("sensor.added_later_health") is None


NOT_POLLED = ("_reporting", "_payload_format", "_reporting_interval")
"""Keys of a LoRa device's entities that stay available while polls fail."""


async def test_unavailable_and_back(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    emulator: EmulatorServer,
    provider: Provider,
    init_integration: MockConfigEntry,
) -> None:
    """Every entity goes unavailable while the provider fails, and comes back.

    Except what pushed uplinks and the user decide (LoRa readings, Reporting,
    payload format, reporting interval): polls do not feed them.
    """
    ids = {
        entity.entity_id
        for entity in er.async_entries_for_config_entry(
            er.async_get(hass), init_integration.entry_id
        )
        if not entity.disabled and not entity.unique_id.endswith(NOT_POLLED)
    }
    kept = {
        entity.entity_id
        for entity in er.async_entries_for_config_entry(
            er.async_get(hass), init_integration.entry_id
        )
        if not entity.disabled and entity.unique_id.endswith(NOT_POLLED)
    }
    assert all(state_of(hass, i).state != STATE_UNAVAILABLE for i in ids)

    faults = emulator.providers[provider].faults
    faults.add(Fault(kind=FaultKind.STATUS, status=503))
    await advance(hass, freezer, SLOWEST_INTERVAL)

    assert all(state_of(hass, i).state == STATE_UNAVAILABLE for i in ids)
    assert all(state_of(hass, i).state != STATE_UNAVAILABLE for i in kept)

    faults.clear()
    await advance(hass, freezer, SLOWEST_INTERVAL)

    assert all(state_of(hass, i).state != STATE_UNAVAILABLE for i in ids)


@pytest.mark.parametrize("provider", [Provider.INFOBIP_IOT])
async def test_refused_credentials_start_reauth(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    emulator: EmulatorServer,
    init_integration: MockConfigEntry,
) -> None:
    """Credentials revoked at the provider make the next poll start reauth."""
    emulator.infobip.api_keys.clear()

    await advance(hass, freezer, SIM_INTERVAL)

    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]
    assert state_of(hass, "sensor.1st_activated_status").state == STATE_UNAVAILABLE


@pytest.mark.parametrize("provider", [Provider.INFOBIP_IOT])
async def test_sim_missing_from_data_is_unavailable(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """An entity whose SIM the latest data lacks is unavailable, its neighbours not."""
    coordinator = init_integration.runtime_data.sims
    sims = dict(coordinator.data.sims)
    del sims[ACTIVE_INFOBIP_SIM]

    coordinator.async_set_updated_data(SimData(sims=sims))
    await hass.async_block_till_done()

    assert state_of(hass, "sensor.1st_activated_status").state == STATE_UNAVAILABLE
    assert state_of(hass, "sensor.8981100022152967705_status").state == "ready"


# Without entity groups only the SIM list is polled, so its requests are countable.
@pytest.mark.parametrize("entry_options", [{CONF_ENTITY_GROUPS: []}])
@pytest.mark.parametrize(
    ("provider", "endpoint", "retry_after", "expected_wait"),
    [
        # The provider's hint, when it is longer than the interval
        (Provider.INFOBIP_IOT, "sims", 3600, timedelta(hours=1)),
        # The interval, when the hint is shorter
        (Provider.INFOBIP_IOT, "sims", 10, SIM_INTERVAL),
        # No hint at all: the interval
        (Provider.INFOBIP_IOT, "sims", None, SIM_INTERVAL),
        # The end of the KPN gateway's day-long quota window, which opened with
        # the first request, one SIM interval before the 429
        (Provider.KPN_IOT_SIM, "list_things", None, timedelta(days=1) - SIM_INTERVAL),
    ],
)
async def test_rate_limit_delays_next_refresh(  # noqa: PLR0917 - fixtures
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    emulator: EmulatorServer,
    provider: Provider,
    endpoint: str,
    retry_after: float | None,
    expected_wait: timedelta,
    init_integration: MockConfigEntry,
) -> None:
    """A 429 postpones the next poll as long as the provider asks, no less."""
    provider_emulator = emulator.providers[provider]
    provider_emulator.faults.add(
        Fault(kind=FaultKind.RATE_LIMIT, endpoint=endpoint, retry_after=retry_after)
    )
    await advance(hass, freezer, SIM_INTERVAL)
    polls = len(provider_emulator.requests_to(endpoint))
    assert not init_integration.runtime_data.sims.last_update_success

    await advance(hass, freezer, expected_wait - timedelta(seconds=30))
    assert len(provider_emulator.requests_to(endpoint)) == polls

    await advance(hass, freezer, timedelta(seconds=60))
    assert len(provider_emulator.requests_to(endpoint)) > polls


@pytest.mark.parametrize("provider", [Provider.INFOBIP_IOT])
async def test_listeners_hear_of_their_own_item(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """An item's listeners hear of its changes only; everyone of availability."""
    coordinator = init_integration.runtime_data.sims
    assert coordinator is not None
    sims = coordinator.data.sims
    other_sim = next(iccid for iccid in sims if iccid != ACTIVE_INFOBIP_SIM)
    told: list[str] = []
    for listener, item_id in (
        ("changed", ACTIVE_INFOBIP_SIM),
        ("unchanged", other_sim),
        ("account", None),
    ):
        init_integration.async_on_unload(
            coordinator.async_add_item_listener(partial(told.append, listener), item_id)
        )
    suspended = dataclasses.replace(
        sims[ACTIVE_INFOBIP_SIM], status=SimStatus.SUSPENDED
    )

    coordinator.async_set_updated_data(
        SimData(sims={**sims, ACTIVE_INFOBIP_SIM: suspended})
    )

    assert told == ["account", "changed"]
    assert coordinator.changed_items == {ACTIVE_INFOBIP_SIM}
    assert state_of(hass, "sensor.1st_activated_status").state == "suspended"

    told.clear()
    coordinator.async_set_update_error(UpdateFailed("provider down"))

    assert sorted(told) == ["account", "changed", "unchanged"]
    assert coordinator.changed_items is None
    assert state_of(hass, "sensor.8981100022152967705_status").state == (
        STATE_UNAVAILABLE
    )


@pytest.mark.parametrize("provider", [Provider.INFOBIP_IOT])
async def test_polls_only_while_listened_to(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    emulator: EmulatorServer,
    init_integration: MockConfigEntry,
) -> None:
    """A coordinator nobody listens to reads nothing; its first listener starts polls."""
    sims = init_integration.runtime_data.sims
    assert sims is not None
    coordinator = SimCoordinator(hass, init_integration, sims.client)
    await coordinator.async_refresh()

    add_infobip_sim(emulator)
    await advance(hass, freezer, SIM_INTERVAL)
    assert NEW_ICCID not in coordinator.items

    stop_listening = coordinator.async_add_item_listener(lambda: None)
    await advance(hass, freezer, SIM_INTERVAL)
    assert NEW_ICCID in coordinator.items

    stop_listening()
    del emulator.infobip.sims[NEW_ICCID]
    await advance(hass, freezer, SIM_INTERVAL)
    assert NEW_ICCID in coordinator.items


TMOBILE_ICCID = "8988280666000001234"
TMOBILE_DATA_USED = "sensor.weather_station_utrecht_data_used_this_period"
USAGE_INTERVAL = timedelta(minutes=INTERVAL_BOUNDS[CONF_USAGE_INTERVAL][0])


def told_changes(
    entry: MockConfigEntry, coordinator: IoTConnectivityCoordinator[Any, Any]
) -> list[frozenset[str] | None]:
    """What an account-wide listener of ``coordinator`` is told, one per update."""
    told: list[frozenset[str] | None] = []
    entry.async_on_unload(
        coordinator.async_add_item_listener(
            lambda: told.append(coordinator.changed_items)
        )
    )
    return told


@pytest.mark.parametrize("provider", [Provider.TMOBILE_EASY_CONNECT])
async def test_sim_gone_between_turns(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    emulator: EmulatorServer,
    init_integration: MockConfigEntry,
) -> None:
    """A turn after the SIM list lost a SIM forgets that SIM's traffic."""
    traffic = init_integration.runtime_data.traffic
    assert traffic is not None
    assert TMOBILE_ICCID in traffic.items
    told = told_changes(init_integration, traffic)

    del emulator.tmobile.sims[TMOBILE_ICCID]
    await advance(hass, freezer, USAGE_INTERVAL)

    assert TMOBILE_ICCID not in traffic.items
    assert any(TMOBILE_ICCID in (changed or ()) for changed in told)
    assert hass.states.get(TMOBILE_DATA_USED) is None


# Without the session group, whose "last seen" moves at every read.
@pytest.mark.parametrize(
    "entry_options", [{CONF_ENTITY_GROUPS: [ENTITY_GROUP_USAGE, ENTITY_GROUP_QUOTA]}]
)
@pytest.mark.parametrize("provider", [Provider.TMOBILE_EASY_CONNECT])
async def test_data_set_after_a_quiet_turn_is_compared_whole(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
) -> None:
    """What a turn knew it changed applies to its own data only.

    A turn that changed nothing tells no one; data set afterwards by other
    means is compared SIM by SIM, so its change reaches the entities.
    """
    traffic = init_integration.runtime_data.traffic
    assert traffic is not None
    told = told_changes(init_integration, traffic)
    await advance(hass, freezer, USAGE_INTERVAL)
    assert not told

    before = traffic.items[TMOBILE_ICCID]
    assert before.usage is not None
    changed = dataclasses.replace(
        before, usage=dataclasses.replace(before.usage, data_bytes=123_000_000)
    )
    traffic.async_set_updated_data(
        TrafficData(sims={**traffic.data.sims, TMOBILE_ICCID: changed})
    )

    assert told == [frozenset({TMOBILE_ICCID})]
    assert float(state_of(hass, TMOBILE_DATA_USED).state) == 123.0


@pytest.mark.parametrize("provider", [Provider.KPN_LORA])
async def test_plans_and_health_are_read_one_after_the_other(
    hass: HomeAssistant, emulator: EmulatorServer, init_integration: MockConfigEntry
) -> None:
    """Plans, then health: failed plans end the refresh without a health read.

    Sent together, each request of a refresh hours after the last would open
    a connection of its own, and health would still be read after the plans
    had failed.
    """
    coordinator = init_integration.runtime_data.plans
    assert coordinator is not None
    lora = emulator.kpn_lora
    lora.faults.add(
        Fault(kind=FaultKind.STATUS, endpoint="connectivity_plans", status=503, times=1)
    )
    health = len(lora.requests_to("health_statistics"))
    await coordinator.async_refresh()
    assert not coordinator.last_update_success
    assert len(lora.requests_to("health_statistics")) == health

    lora.requests.clear()
    await coordinator.async_refresh()
    assert coordinator.last_update_success
    assert [r.endpoint for r in lora.requests] == [
        "connectivity_plans",
        "health_statistics",
    ]
