"""The SIM switch: active or suspended at the provider."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.components.switch.const import DOMAIN as SWITCH_DOMAIN
from homeassistant.const import (
    ATTR_ENTITY_ID,
    SERVICE_TURN_OFF,
    SERVICE_TURN_ON,
    STATE_OFF,
    STATE_ON,
    STATE_UNAVAILABLE,
    Platform,
)
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.update_coordinator import REQUEST_REFRESH_DEFAULT_COOLDOWN
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    snapshot_platform,
)

from custom_components.iot_connectivity.api.models import Provider
from custom_components.iot_connectivity.const import DOMAIN
from iot_emulator.core import Fault, FaultKind

from .conftest import FROZEN_TIME, state_of

if TYPE_CHECKING:
    from collections.abc import Callable

    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant
    from syrupy.assertion import SnapshotAssertion

    from iot_emulator.server import EmulatorServer

ACTIVE_SIM: dict[Provider, tuple[str, Callable[[EmulatorServer], Any]]] = {
    Provider.KPN_IOT_SIM: (
        "switch.pumping_station_zeeburg_active",
        lambda emulator: emulator.kpn_sim.things["8931087620000000017"]["State"],
    ),
    Provider.TMOBILE_EASY_CONNECT: (
        "switch.weather_station_utrecht_active",
        lambda emulator: emulator.tmobile.sims["8988280666000001234"].record["status"],
    ),
    Provider.INFOBIP_IOT: (
        "switch.1st_activated_active",
        lambda emulator: emulator.infobip.sims["8981100022152967721"]["status"],
    ),
}
"""Each SIM provider's active demo SIM: its switch and its status at the provider."""

INFOBIP_SWITCH = ACTIVE_SIM[Provider.INFOBIP_IOT][0]
INFOBIP_READY_SIM = "8981100022152967705"


@pytest.fixture
def platforms() -> list[Platform]:
    """Only the switch platform."""
    return [Platform.SWITCH]


async def switch(hass: HomeAssistant, service: str, entity_id: str) -> None:
    """Turn ``entity_id`` on or off."""
    await hass.services.async_call(
        SWITCH_DOMAIN, service, {ATTR_ENTITY_ID: entity_id}, blocking=True
    )


@pytest.mark.parametrize("provider", list(ACTIVE_SIM))
@pytest.mark.freeze_time(FROZEN_TIME)
@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_entities(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    init_integration: MockConfigEntry,
) -> None:
    """Every switch entity of each provider's demo account."""
    await snapshot_platform(hass, entity_registry, snapshot, init_integration.entry_id)


@pytest.mark.parametrize("provider", [Provider.KPN_LORA])
async def test_none_without_capability(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    init_integration: MockConfigEntry,
) -> None:
    """LoRa devices have no status to set."""
    assert not er.async_entries_for_config_entry(
        entity_registry, init_integration.entry_id
    )


@pytest.mark.parametrize("provider", list(ACTIVE_SIM))
async def test_suspend_and_activate(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    emulator: EmulatorServer,
    provider: Provider,
    init_integration: MockConfigEntry,
) -> None:
    """Turning the switch off suspends the SIM at the provider; on activates it."""
    entity_id, provider_status = ACTIVE_SIM[provider]
    active = provider_status(emulator)

    await switch(hass, SERVICE_TURN_OFF, entity_id)

    assert provider_status(emulator) != active
    assert state_of(hass, entity_id).state == STATE_OFF

    await switch(hass, SERVICE_TURN_ON, entity_id)

    assert provider_status(emulator) == active
    # The refresh after a write is debounced: a second one follows the cooldown.
    freezer.tick(REQUEST_REFRESH_DEFAULT_COOLDOWN)
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert state_of(hass, entity_id).state == STATE_ON


@pytest.mark.parametrize(
    ("fault", "translation_key"),
    [
        (Fault(kind=FaultKind.STATUS, status=503), "action_failed"),
        (Fault(kind=FaultKind.STATUS, status=404), "not_found"),
        (Fault(kind=FaultKind.RATE_LIMIT), "rate_limited"),
    ],
)
@pytest.mark.parametrize("provider", [Provider.INFOBIP_IOT])
@pytest.mark.usefixtures("init_integration")
async def test_provider_error(
    hass: HomeAssistant, emulator: EmulatorServer, fault: Fault, translation_key: str
) -> None:
    """A failed write raises a translated error and changes nothing."""
    emulator.infobip.faults.add(fault)

    with pytest.raises(HomeAssistantError) as raised:
        await switch(hass, SERVICE_TURN_OFF, INFOBIP_SWITCH)

    assert raised.value.translation_domain == DOMAIN
    assert raised.value.translation_key == translation_key
    assert emulator.infobip.sims["8981100022152967721"]["status"] == "Active"


@pytest.mark.parametrize("provider", [Provider.INFOBIP_IOT])
async def test_refused_transition(
    hass: HomeAssistant, emulator: EmulatorServer, mock_config_entry: MockConfigEntry
) -> None:
    """The provider's reason for refusing a status change reaches the user."""
    emulator.infobip.sims[INFOBIP_READY_SIM]["status"] = "Imported"
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    with pytest.raises(HomeAssistantError) as raised:
        await switch(hass, SERVICE_TURN_ON, f"switch.{INFOBIP_READY_SIM}_active")

    assert raised.value.translation_key == "request_refused"
    assert "cannot become Active" in str(raised.value.translation_placeholders)


@pytest.mark.parametrize("provider", [Provider.INFOBIP_IOT])
@pytest.mark.usefixtures("init_integration")
async def test_refused_credentials_start_reauth(
    hass: HomeAssistant, emulator: EmulatorServer
) -> None:
    """Credentials refused on a write start reauthentication."""
    emulator.infobip.api_keys.clear()

    with pytest.raises(HomeAssistantError) as raised:
        await switch(hass, SERVICE_TURN_OFF, INFOBIP_SWITCH)

    assert raised.value.translation_key == "authentication_failed"
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == ["reauth"]


@pytest.mark.parametrize("provider", [Provider.INFOBIP_IOT])
async def test_retired_sim_unavailable(
    hass: HomeAssistant, emulator: EmulatorServer, mock_config_entry: MockConfigEntry
) -> None:
    """A retired SIM can never be switched again."""
    emulator.infobip.sims[INFOBIP_READY_SIM]["status"] = "Deactivated"
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    assert state_of(hass, f"switch.{INFOBIP_READY_SIM}_active").state == (
        STATE_UNAVAILABLE
    )
    assert state_of(hass, INFOBIP_SWITCH).state == STATE_ON


# The IMEI lock (management API)

LOCKABLE_SIM: dict[Provider, tuple[str, Callable[[EmulatorServer], Any]]] = {
    Provider.TMOBILE_EASY_CONNECT: (
        "switch.weather_station_utrecht_imei_lock",
        lambda emulator: emulator.tmobile.sims["8988280666000001234"].record,
    ),
    Provider.ONENCE: (
        "switch.dx_137_b12_imei_lock",
        lambda emulator: emulator.onence.sims["8988303000123456789"].record,
    ),
}
"""A demo SIM of each provider with an IMEI lock: its switch and its record."""


@pytest.mark.parametrize("provider", list(LOCKABLE_SIM))
@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_imei_lock_on_and_off(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    emulator: EmulatorServer,
    provider: Provider,
    init_integration: MockConfigEntry,
) -> None:
    """The lock is written at the provider and read back; the rest stays."""
    entity_id, record_of = LOCKABLE_SIM[provider]
    record = record_of(emulator)
    assert record["imei_lock"] is False
    assert state_of(hass, entity_id).state == STATE_OFF
    before = dict(record)
    requests = emulator.providers[provider].requests
    requests.clear()

    await switch(hass, SERVICE_TURN_ON, entity_id)

    assert record == {**before, "imei_lock": True}
    assert state_of(hass, entity_id).state == STATE_ON
    # PUT, then the SIM read back; then the list is read again.
    assert [request.endpoint for request in requests] == [
        "get_sim",
        "update_sim",
        "get_sim",
        "list_sims",
    ]

    await switch(hass, SERVICE_TURN_OFF, entity_id)

    assert record["imei_lock"] is False
    freezer.tick(REQUEST_REFRESH_DEFAULT_COOLDOWN)
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert state_of(hass, entity_id).state == STATE_OFF


@pytest.mark.parametrize("provider", [Provider.TMOBILE_EASY_CONNECT])
@pytest.mark.usefixtures("entity_registry_enabled_by_default", "init_integration")
async def test_imei_lock_not_confirmed(
    hass: HomeAssistant, emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A lock the provider accepts but does not report afterwards is an error."""
    entity_id, record_of = LOCKABLE_SIM[Provider.TMOBILE_EASY_CONNECT]
    # The server answers the PUT but keeps the SIM as it was.
    monkeypatch.setattr(emulator.tmobile, "_apply_update", lambda *_: None)

    with pytest.raises(HomeAssistantError) as raised:
        await switch(hass, SERVICE_TURN_ON, entity_id)

    assert raised.value.translation_domain == DOMAIN
    assert raised.value.translation_key == "switch_not_confirmed"
    assert raised.value.translation_placeholders == {
        "device": "Weather station Utrecht"
    }
    assert record_of(emulator)["imei_lock"] is False
    assert state_of(hass, entity_id).state == STATE_OFF


@pytest.mark.parametrize("provider", [Provider.ONENCE])
@pytest.mark.usefixtures("entity_registry_enabled_by_default", "init_integration")
async def test_imei_lock_provider_error(
    hass: HomeAssistant, emulator: EmulatorServer
) -> None:
    """A refused write raises the translated provider error; nothing changes."""
    entity_id, record_of = LOCKABLE_SIM[Provider.ONENCE]
    emulator.onence.faults.add(
        Fault(kind=FaultKind.STATUS, status=503, endpoint="update_sim")
    )

    with pytest.raises(HomeAssistantError) as raised:
        await switch(hass, SERVICE_TURN_ON, entity_id)

    assert raised.value.translation_key == "action_failed"
    assert record_of(emulator)["imei_lock"] is False


@pytest.mark.parametrize("provider", [Provider.KPN_IOT_SIM])
@pytest.mark.usefixtures("entity_registry_enabled_by_default", "init_integration")
async def test_kpn_imei_lock(hass: HomeAssistant, emulator: EmulatorServer) -> None:
    """KPN's lock is the Thing's LockMasterImei (inferred), read back too."""
    entity_id = "switch.pumping_station_zeeburg_imei_lock"
    thing = emulator.kpn_sim.things["8931087620000000017"]
    assert state_of(hass, entity_id).state == STATE_ON

    await switch(hass, SERVICE_TURN_OFF, entity_id)

    assert thing["LockMasterImei"] is False
    assert state_of(hass, entity_id).state == STATE_OFF


@pytest.mark.parametrize("provider", [Provider.INFOBIP_IOT])
@pytest.mark.usefixtures("entity_registry_enabled_by_default", "init_integration")
async def test_no_imei_lock_without_capability(hass: HomeAssistant) -> None:
    """Only providers whose API has an IMEI lock get the switch."""
    assert not [
        state
        for state in hass.states.async_all("switch")
        if state.entity_id.endswith("_imei_lock")
    ]
