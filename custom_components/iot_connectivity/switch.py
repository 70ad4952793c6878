"""Switches of SIMs: whether a SIM may use the network, and its IMEI lock."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, override

from homeassistant.components.switch import SwitchEntity, SwitchEntityDescription
from homeassistant.const import EntityCategory
from homeassistant.exceptions import HomeAssistantError

from .api.models import Capability, Sim, SimStatus
from .const import DOMAIN
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
class IoTConnectivitySwitchEntityDescription(
    IoTConnectivityEntityDescription[Sim], SwitchEntityDescription
):
    """A SIM switch: ``is_on_fn`` reads it, ``set_fn`` changes it at the provider."""

    is_on_fn: Callable[[Sim], bool | None]
    set_fn: Callable[[SimClient, str, bool], Awaitable[bool | None]]
    """Given the client, the ICCID and whether to switch on. Where the provider
    is read back, the state it reports then; it must be the one asked for."""


def _is_active(sim: Sim) -> bool | None:
    """Active or not; unknown while the provider reports an unknown status."""
    return None if sim.status is SimStatus.UNKNOWN else sim.status is SimStatus.ACTIVE


SWITCHES: tuple[IoTConnectivitySwitchEntityDescription, ...] = (
    IoTConnectivitySwitchEntityDescription(
        key="active",
        translation_key="active",
        capability=Capability.SET_STATUS,
        is_on_fn=_is_active,
        set_fn=lambda client, iccid, on: client.set_status(
            iccid, SimStatus.ACTIVE if on else SimStatus.SUSPENDED
        ),
    ),
    IoTConnectivitySwitchEntityDescription(
        key="imei_lock",
        translation_key="imei_lock",
        entity_category=EntityCategory.CONFIG,
        entity_registry_enabled_default=False,
        capability=Capability.IMEI_LOCK,
        exists_fn=lambda sim: sim.imei_lock is not None,
        is_on_fn=lambda sim: sim.imei_lock,
        set_fn=lambda client, iccid, on: client.set_imei_lock(iccid, locked=on),
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: IoTConnectivityConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the switches of every SIM."""
    if (sims := entry.runtime_data.sims) is not None:
        async_add_item_entities(
            sims, SWITCHES, IoTConnectivitySwitch, async_add_entities
        )


class IoTConnectivitySwitch(IoTConnectivityEntity[SimCoordinator], SwitchEntity):
    """A switch of a SIM."""

    entity_description: IoTConnectivitySwitchEntityDescription

    @property
    @override
    def available(self) -> bool:
        """A retired SIM can never be switched again."""
        return super().available and self.value.status is not SimStatus.RETIRED

    @property
    @override
    def is_on(self) -> bool | None:
        return self.entity_description.is_on_fn(self.value)

    @override
    async def async_turn_on(self, **kwargs: Any) -> None:
        await self._async_set(on=True)

    @override
    async def async_turn_off(self, **kwargs: Any) -> None:
        await self._async_set(on=False)

    @async_handle_errors
    async def _async_set(self, *, on: bool) -> None:
        """Switch the SIM at the provider; refuse a state it does not confirm."""
        confirmed = await self.entity_description.set_fn(
            self.coordinator.client, self.value.iccid, on
        )
        if confirmed is not None and confirmed is not on:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="switch_not_confirmed",
                translation_placeholders={
                    "device": self.value.name or self.value.iccid
                },
            )
