"""Buttons of SIMs: actions the provider runs on a SIM."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, override

from homeassistant.components.button import ButtonEntity, ButtonEntityDescription
from homeassistant.const import EntityCategory

from .api.models import Capability, Sim
from .coordinator import IoTConnectivityConfigEntry, SimCoordinator
from .entity import (
    IoTConnectivityEntity,
    IoTConnectivityEntityDescription,
    async_add_item_entities,
)
from .helpers import async_handle_errors

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .api.base import SimClient

PARALLEL_UPDATES = 1


@dataclass(frozen=True, kw_only=True)
class IoTConnectivityButtonEntityDescription(
    IoTConnectivityEntityDescription[Sim], ButtonEntityDescription
):
    """A SIM button: ``press_fn`` asks the provider to act on the SIM."""

    press_fn: Callable[[SimClient, str], Awaitable[Any]]


BUTTONS: tuple[IoTConnectivityButtonEntityDescription, ...] = (
    IoTConnectivityButtonEntityDescription(
        key="reset_connectivity",
        translation_key="reset_connectivity",
        entity_category=EntityCategory.CONFIG,
        capability=Capability.RESET,
        entity_registry_enabled_default=False,
        press_fn=lambda client, iccid: client.reset_connectivity(iccid),
    ),
    IoTConnectivityButtonEntityDescription(
        key="run_diagnostics",
        translation_key="run_diagnostics",
        entity_category=EntityCategory.DIAGNOSTIC,
        capability=Capability.DIAGNOSTICS,
        press_fn=lambda client, iccid: client.run_diagnostics(iccid),
    ),
)


@dataclass(frozen=True, kw_only=True)
class AcknowledgeImeiButtonEntityDescription(
    IoTConnectivityEntityDescription[Sim], ButtonEntityDescription
):
    """The button that accepts a SIM's new IMEI: nothing goes to the provider."""


IMEI_BUTTONS = (
    AcknowledgeImeiButtonEntityDescription(
        key="acknowledge_imei_change",
        translation_key="acknowledge_imei_change",
        capability=Capability.IMEI,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: IoTConnectivityConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the buttons of every SIM."""
    if (sims := entry.runtime_data.sims) is not None:
        async_add_item_entities(
            sims, BUTTONS, IoTConnectivityButton, async_add_entities
        )
        if entry.runtime_data.imei_watch is not None:
            async_add_item_entities(
                sims, IMEI_BUTTONS, AcknowledgeImeiButton, async_add_entities
            )


class IoTConnectivityButton(IoTConnectivityEntity[SimCoordinator], ButtonEntity):
    """A button of a SIM."""

    entity_description: IoTConnectivityButtonEntityDescription

    @async_handle_errors
    @override
    async def async_press(self) -> None:
        await self.entity_description.press_fn(
            self.coordinator.client, self.value.iccid
        )


class AcknowledgeImeiButton(IoTConnectivityEntity[SimCoordinator], ButtonEntity):
    """Accepts the SIM's new IMEI as its baseline: the problem sensor goes off."""

    entity_description: AcknowledgeImeiButtonEntityDescription

    @override
    async def async_press(self) -> None:
        watch = self.coordinator.config_entry.runtime_data.imei_watch
        if watch is None:
            return
        iccid = self.value.iccid
        device = self.device_entry
        name = (device.name_by_user or device.name) if device is not None else None
        watch.check_acknowledgeable(iccid, name or iccid)
        watch.async_acknowledge([iccid])
