"""Logbook descriptions of the integration's events."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.components.logbook.const import (
    LOGBOOK_ENTRY_MESSAGE,
    LOGBOOK_ENTRY_NAME,
)
from homeassistant.core import callback
from homeassistant.helpers import device_registry as dr

from .const import DOMAIN, EVENT_SIM_MOVED

if TYPE_CHECKING:
    from collections.abc import Callable

    from homeassistant.core import Event, HomeAssistant


@callback
def async_describe_events(
    hass: HomeAssistant,
    async_describe_event: Callable[[str, str, Callable[[Event], dict[str, str]]], None],
) -> None:
    """Describe a SIM that moved to another device; the IMEIs stay out of the log."""

    @callback
    def describe_sim_moved(event: Event) -> dict[str, str]:
        device_id = event.data.get("device_id")
        device = dr.async_get(hass).async_get(device_id) if device_id else None
        name = device and (device.name_by_user or device.name)
        return {
            LOGBOOK_ENTRY_NAME: name or event.data.get("iccid") or "SIM",
            LOGBOOK_ENTRY_MESSAGE: "moved to another device (its IMEI changed)",
        }

    async_describe_event(DOMAIN, EVENT_SIM_MOVED, describe_sim_moved)
