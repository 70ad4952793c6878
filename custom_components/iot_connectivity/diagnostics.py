"""Diagnostics of the IoT Connectivity integration."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import (
    CONF_API_KEY,
    CONF_CLIENT_ID,
    CONF_CLIENT_SECRET,
    CONF_PASSWORD,
    CONF_URL,
    CONF_USERNAME,
)

from .const import (
    CONF_AS_ID,
    CONF_AS_KEY,
    CONF_LRC_URL,
    CONF_ROUTING_PROFILE,
    CONF_WEBHOOK_ID,
    DOMAIN,
)
from .lora_readings import device_to_json

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.device_registry import DeviceEntry

    from .coordinator import IoTConnectivityConfigEntry, IoTConnectivityData

TO_REDACT = {
    # Credentials, and the account they belong to (a personal URL names it too)
    CONF_API_KEY,
    CONF_AS_ID,
    CONF_AS_KEY,
    CONF_CLIENT_ID,
    CONF_CLIENT_SECRET,
    CONF_LRC_URL,
    CONF_PASSWORD,
    # A routing profile's id names the account (TWA_<customer id>.<n>), on the
    # entry and on each device
    CONF_ROUTING_PROFILE,
    CONF_URL,
    CONF_USERNAME,
    CONF_WEBHOOK_ID,
    # Who and where a SIM is
    "imei",
    "old_imei",
    "new_imei",
    "imsi",
    "msisdn",
    "ip_address",
    "country",
    "operator",
    # Where a LoRa device is (GPS readings: every part of a position)
    "latitude",
    "longitude",
    "altitude",
    "accuracy",
}


def _coordinator_data(data: IoTConnectivityData) -> dict[str, Any]:
    """Every coordinator's latest data and whether its last read worked."""
    coordinators = {
        "sims": data.sims,
        "traffic": data.traffic,
        "lora": data.lora,
        "plans": data.plans,
    }
    return {
        name: {
            "last_update_success": coordinator.last_update_success,
            "data": asdict(coordinator.data),
        }
        for name, coordinator in coordinators.items()
        if coordinator is not None
    }


def _imei_change(data: IoTConnectivityData, item_ids: set[str]) -> dict[str, Any]:
    """The SIM's open IMEI change, if it has one."""
    if data.imei_watch is None:
        return {}
    changes = data.imei_watch.diagnostics()["changes"]
    found = [changes[iccid] for iccid in item_ids & changes.keys()]
    return {"imei_change": found[0]} if found else {}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant,
    entry: IoTConnectivityConfigEntry,
) -> dict[str, Any]:
    """Everything the entry knows, with credentials and personal data redacted."""
    data = entry.runtime_data
    readings: dict[str, Any] = {}
    if data.readings is not None:
        readings["readings"] = {
            eui: device_to_json(device) for eui, device in data.readings.devices.items()
        }
    return async_redact_data(
        {
            "entry": {"data": dict(entry.data), "options": dict(entry.options)},
            "capabilities": sorted(data.capabilities),
            "entity_groups": sorted(data.entity_groups),
            "coordinators": _coordinator_data(data),
            **(
                {"imei_watch": data.imei_watch.diagnostics()}
                if data.imei_watch is not None
                else {}
            ),
        }
        | readings,
        TO_REDACT,
    )


async def async_get_device_diagnostics(
    hass: HomeAssistant,
    entry: IoTConnectivityConfigEntry,
    device: DeviceEntry,
) -> dict[str, Any]:
    """Return what each coordinator knows of one SIM or LoRa device, redacted."""
    data = entry.runtime_data
    item_ids = {item_id for domain, item_id in device.identifiers if domain == DOMAIN}
    known = data.readings.devices if data.readings is not None else {}
    readings: dict[str, Any] = {}
    for eui in item_ids & known.keys():
        readings["readings"] = device_to_json(known[eui])
    return async_redact_data(
        readings
        | {
            name: asdict(item)
            for name, coordinator in (
                ("sim", data.sims),
                ("traffic", data.traffic),
                ("lora_device", data.lora),
            )
            if coordinator is not None
            for item_id, item in coordinator.items.items()
            if item_id in item_ids
        }
        | _imei_change(data, item_ids),
        TO_REDACT,
    )
