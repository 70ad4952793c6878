"""Diagnostics of an entry and of its devices, redacted."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.helpers import device_registry as dr
import pytest
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
    get_diagnostics_for_device,
)
from syrupy.filters import props

from .conftest import FROZEN_TIME

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry
    from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
    from syrupy.assertion import SnapshotAssertion


@pytest.mark.freeze_time(FROZEN_TIME)
async def test_entry_diagnostics(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    snapshot: SnapshotAssertion,
    init_integration: MockConfigEntry,
) -> None:
    """Each coordinator's data, credentials and personal data redacted."""
    diagnostics = await get_diagnostics_for_config_entry(
        hass, hass_client, init_integration
    )

    # The emulator's gateway quota window follows the real clock.
    assert diagnostics == snapshot(exclude=props("reset_at"))


@pytest.mark.freeze_time(FROZEN_TIME)
async def test_device_diagnostics(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    device_registry: dr.DeviceRegistry,
    snapshot: SnapshotAssertion,
    init_integration: MockConfigEntry,
) -> None:
    """What every coordinator knows of one SIM or LoRa device, redacted."""
    device = min(
        (
            device
            for device in dr.async_entries_for_config_entry(
                device_registry, init_integration.entry_id
            )
            if device.serial_number is not None
        ),
        key=lambda device: device.serial_number or "",
    )

    diagnostics = await get_diagnostics_for_device(
        hass, hass_client, init_integration, device
    )

    assert diagnostics == snapshot
