"""Binary sensors: SIM online, LoRa alarm and external power."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.const import Platform
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    snapshot_platform,
)

from custom_components.iot_connectivity.api.models import Provider

from .conftest import FROZEN_TIME

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from syrupy.assertion import SnapshotAssertion


@pytest.fixture
def platforms() -> list[Platform]:
    """Only the binary_sensor platform."""
    return [Platform.BINARY_SENSOR]


@pytest.mark.parametrize(
    "provider", [Provider.KPN_IOT_SIM, Provider.TMOBILE_EASY_CONNECT, Provider.KPN_LORA]
)
@pytest.mark.freeze_time(FROZEN_TIME)
@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_entities(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    init_integration: MockConfigEntry,
) -> None:
    """Every binary_sensor entity of each provider's demo account."""
    await snapshot_platform(hass, entity_registry, snapshot, init_integration.entry_id)


@pytest.mark.parametrize("provider", [Provider.INFOBIP_IOT])
async def test_none_without_capability(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    init_integration: MockConfigEntry,
) -> None:
    """Infobip reports no sessions."""
    assert not er.async_entries_for_config_entry(
        entity_registry, init_integration.entry_id
    )
