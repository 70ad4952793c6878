"""SIM buttons: connectivity reset and diagnostics."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.components.button.const import (
    DOMAIN as BUTTON_DOMAIN,
    SERVICE_PRESS,
)
from homeassistant.const import ATTR_ENTITY_ID, Platform
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    snapshot_platform,
)

from custom_components.iot_connectivity.api.models import Provider
from iot_emulator.core import Fault, FaultKind

from .conftest import FROZEN_TIME

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from syrupy.assertion import SnapshotAssertion

    from iot_emulator.server import EmulatorServer


@pytest.fixture
def platforms() -> list[Platform]:
    """Only the button platform."""
    return [Platform.BUTTON]


async def press(hass: HomeAssistant, entity_id: str) -> None:
    """Press ``entity_id``."""
    await hass.services.async_call(
        BUTTON_DOMAIN, SERVICE_PRESS, {ATTR_ENTITY_ID: entity_id}, blocking=True
    )


@pytest.mark.parametrize(
    "provider", [Provider.TMOBILE_EASY_CONNECT, Provider.INFOBIP_IOT]
)
@pytest.mark.freeze_time(FROZEN_TIME)
@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_entities(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    init_integration: MockConfigEntry,
) -> None:
    """Every button entity of each provider's demo account."""
    await snapshot_platform(hass, entity_registry, snapshot, init_integration.entry_id)


@pytest.mark.parametrize("provider", [Provider.KPN_IOT_SIM, Provider.KPN_LORA])
async def test_none_without_capability(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    init_integration: MockConfigEntry,
) -> None:
    """KPN has no reset or diagnostics action (its SIMs acknowledge IMEI changes)."""
    assert {
        entity.translation_key
        for entity in er.async_entries_for_config_entry(
            entity_registry, init_integration.entry_id
        )
    } <= {"acknowledge_imei_change"}


@pytest.mark.parametrize("provider", [Provider.TMOBILE_EASY_CONNECT])
@pytest.mark.usefixtures("entity_registry_enabled_by_default", "init_integration")
async def test_connectivity_reset(
    hass: HomeAssistant, emulator: EmulatorServer
) -> None:
    """The reset button asks T-Mobile to re-attach the SIM."""
    await press(hass, "button.weather_station_utrecht_connectivity_reset")

    (request,) = emulator.tmobile.requests_to("reset")
    assert request.path.endswith("/8988280666000001234/reset")


@pytest.mark.parametrize("provider", [Provider.INFOBIP_IOT])
@pytest.mark.usefixtures("init_integration")
async def test_run_diagnostics(hass: HomeAssistant, emulator: EmulatorServer) -> None:
    """The diagnostics button starts Infobip's diagnostic action on the SIM."""
    await press(hass, "button.1st_activated_run_diagnostics")

    assert [(a.kind, a.iccid) for a in emulator.infobip.actions] == [
        ("diagnostic", "8981100022152967721")
    ]


@pytest.mark.parametrize("provider", [Provider.INFOBIP_IOT])
@pytest.mark.usefixtures("init_integration")
async def test_press_fails(hass: HomeAssistant, emulator: EmulatorServer) -> None:
    """A failed press raises a translated error."""
    emulator.infobip.faults.add(
        Fault(kind=FaultKind.STATUS, endpoint="diagnostic", status=500)
    )

    with pytest.raises(HomeAssistantError) as raised:
        await press(hass, "button.1st_activated_run_diagnostics")

    assert raised.value.translation_key == "action_failed"
    assert not emulator.infobip.actions
