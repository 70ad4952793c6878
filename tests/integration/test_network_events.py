"""Network events: an event entity per SIM, read in the SIM's turn when enabled."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from homeassistant.const import EVENT_STATE_CHANGED, Platform
from homeassistant.core import Event, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.iot_connectivity.api.models import Provider
from custom_components.iot_connectivity.budget import MIN_SLICE as MIN_SLICE_SECONDS
from custom_components.iot_connectivity.const import (
    CONF_USAGE_INTERVAL,
    INTERVAL_BOUNDS,
)

from .conftest import FROZEN_TIME, state_of

if TYPE_CHECKING:
    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from iot_emulator.server import EmulatorServer

ICCID = "8988280666000001234"
ENTITY = "event.weather_station_utrecht_network_event"
USAGE_INTERVAL = timedelta(minutes=INTERVAL_BOUNDS[CONF_USAGE_INTERVAL][0])
MIN_SLICE = timedelta(seconds=MIN_SLICE_SECONDS)


@pytest.fixture
def provider() -> Provider:
    """The T-Mobile SIM of the guide and its event log."""
    return Provider.TMOBILE_EASY_CONNECT


@pytest.fixture
def platforms() -> list[Platform]:
    """Only the event platform."""
    return [Platform.EVENT]


async def next_turn(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """Let one usage interval pass: the SIM's turn comes, its events the slice after."""
    for delta in (USAGE_INTERVAL, MIN_SLICE):
        freezer.tick(delta)
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)


def fired(hass: HomeAssistant) -> list[dict[str, Any]]:
    """Collect the events the entity shows, as they are written."""
    shown: list[dict[str, Any]] = []

    @callback
    def collect(event: Event[Any]) -> None:
        if event.data["entity_id"] == ENTITY and event.data["new_state"]:
            shown.append(dict(event.data["new_state"].attributes))

    hass.bus.async_listen(EVENT_STATE_CHANGED, collect)
    return shown


@pytest.mark.freeze_time(FROZEN_TIME)
async def test_disabled_by_default_and_never_read(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    emulator: EmulatorServer,
    entity_registry: er.EntityRegistry,
    init_integration: MockConfigEntry,
) -> None:
    """A disabled entity costs no request."""
    entry = entity_registry.async_get(ENTITY)
    assert entry is not None
    assert entry.disabled_by is er.RegistryEntryDisabler.INTEGRATION

    for _ in range(3):
        await next_turn(hass, freezer)
    assert emulator.tmobile.requests_to("usage")
    assert not emulator.tmobile.requests_to("events")


@pytest.mark.freeze_time(FROZEN_TIME)
@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_new_events_fire_in_order_once(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    emulator: EmulatorServer,
    init_integration: MockConfigEntry,
) -> None:
    """The first read shows the latest event; later ones each new one, oldest first."""
    shown = fired(hass)
    sim = emulator.tmobile.sims[ICCID]

    await next_turn(hass, freezer)
    (request,) = emulator.tmobile.requests_to("events")
    assert parse_qs(request.query_string)["sort"] == ["-timestamp"]
    assert [s["description"] for s in shown] == ["Create PDP Context"]
    assert shown[0]["event_type"] == "info"
    assert shown[0]["operator"] == "T-Mobile NL"

    sim.add_event("Connectivity reset")
    sim.add_event("Location update failed", alert=True)
    await next_turn(hass, freezer)
    assert [s["description"] for s in shown[1:]] == [
        "Connectivity reset",
        "Location update failed",
    ]
    assert shown[-1]["event_type"] == "alert"

    # Nothing new: nothing fires, though the log is read again.
    await next_turn(hass, freezer)
    assert len(shown) == 3
    # One read per turn of the SIM, as its usage.
    assert len(emulator.tmobile.requests_to("events")) == 3
    assert len(emulator.tmobile.requests_to("usage")) == 4


@pytest.mark.freeze_time(FROZEN_TIME)
@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_no_duplicates_across_a_restart(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    emulator: EmulatorServer,
    init_integration: MockConfigEntry,
) -> None:
    """After a reload the last event shown is remembered: only newer ones fire."""
    await next_turn(hass, freezer)
    assert state_of(hass, ENTITY).attributes["description"] == "Create PDP Context"

    await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done()
    shown = fired(hass)
    emulator.tmobile.sims[ICCID].add_event("Connectivity reset")
    await next_turn(hass, freezer)
    await next_turn(hass, freezer)

    assert [s["description"] for s in shown] == ["Connectivity reset"]


@pytest.mark.freeze_time(FROZEN_TIME)
@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_events_are_read_after_the_turn_on_the_budget(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    emulator: EmulatorServer,
    init_integration: MockConfigEntry,
) -> None:
    """The SIM's turn reads its traffic; its events follow a slice later.

    No refresh sends more than one burst, and the events' request is spent on
    the budget: the refresh that reads them reads no other SIM's turn.
    """
    tmobile = emulator.tmobile
    traffic = init_integration.runtime_data.traffic
    assert traffic is not None
    usage_before = len(tmobile.requests_to("usage"))

    freezer.tick(USAGE_INTERVAL)
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert len(tmobile.requests_to("usage")) == usage_before + 1
    assert not tmobile.requests_to("events")

    freezer.tick(MIN_SLICE)
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert len(tmobile.requests_to("events")) == 1
    assert len(tmobile.requests_to("usage")) == usage_before + 1
    # One request spent of a full bucket: less than a SIM's turn is left.
    assert traffic.budget.available(dt_util.utcnow().timestamp()) < (
        traffic.schedule.requests_per_batch if traffic.schedule else 0
    )
