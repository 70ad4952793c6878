"""Notify entities: an SMS to a SIM through ``notify.send_message``.

A title goes before the message, on a line of its own: an SMS has no subject.
The text is checked and sent as the ``send_sms`` action does (same limits,
same errors); that action stays for the choice of encoding and the response.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, override

from homeassistant.components.notify import NotifyEntity, NotifyEntityDescription
from homeassistant.components.notify.const import NotifyEntityFeature
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import device_registry as dr

from .api.models import Capability, Sim
from .const import DOMAIN
from .coordinator import IoTConnectivityConfigEntry, SimCoordinator
from .entity import (
    IoTConnectivityEntity,
    IoTConnectivityEntityDescription,
    async_add_item_entities,
)
from .services import Target, async_send_sms

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

PARALLEL_UPDATES = 1


@dataclass(frozen=True, kw_only=True)
class IoTConnectivityNotifyEntityDescription(
    IoTConnectivityEntityDescription[Sim], NotifyEntityDescription
):
    """A SIM's notify entity: an SMS to it."""


NOTIFIERS = (
    IoTConnectivityNotifyEntityDescription(
        key="sms",
        translation_key="sms",
        capability=Capability.SMS,
        # The send_sms action reaches every SIM; few users want one more entity each.
        entity_registry_enabled_default=False,
    ),
)


def sms_text(message: str, title: str | None) -> str:
    """The SMS of a notification: the title, if any, on the first line."""
    return f"{title}\n{message}" if title else message


async def async_setup_entry(
    hass: HomeAssistant,
    entry: IoTConnectivityConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the notify entity of every SIM that can receive an SMS."""
    if (sims := entry.runtime_data.sims) is not None:
        async_add_item_entities(
            sims, NOTIFIERS, IoTConnectivityNotify, async_add_entities
        )


class IoTConnectivityNotify(IoTConnectivityEntity[SimCoordinator], NotifyEntity):
    """Sends a notification to a SIM as an SMS."""

    _attr_supported_features = NotifyEntityFeature.TITLE
    entity_description: IoTConnectivityNotifyEntityDescription

    @override
    async def async_send_message(self, message: str, title: str | None = None) -> None:
        iccid = self.value.iccid
        device_id = self.coordinator.registry_device_id(iccid)
        device = (
            dr.async_get(self.hass).async_get(device_id, include_child_devices=False)
            if device_id is not None
            else None
        )
        if device is None:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="device_not_found",
                translation_placeholders={"device": iccid},
            )
        target = Target(self.coordinator.config_entry, device, self.coordinator, iccid)
        await async_send_sms(self.hass, [target], sms_text(message, title))
