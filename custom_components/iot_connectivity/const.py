"""Constants of the IoT Connectivity integration."""

from __future__ import annotations

from datetime import timedelta
import logging
from typing import Final

DOMAIN: Final = "iot_connectivity"
LOGGER = logging.getLogger(__package__)

CONF_PROVIDER: Final = "provider"
"""Entry data key: the id of the account's provider spec."""
CONF_AS_ID: Final = "as_id"
CONF_AS_KEY: Final = "as_key"
CONF_LRC_URL: Final = "lrc_url"
CONF_ACTIVATED: Final = "activated"
"""KPN LoRa: the project was activated with the entry's ThingPark credentials."""
CONF_WEBHOOK_ID: Final = "webhook_id"
CONF_ROUTING_PROFILE: Final = "routing_profile"
"""KPN LoRa: the id of the routing profile the integration created for its webhook."""

# Options: polling interval per kind of data, in minutes, and entity groups.
CONF_SIM_INTERVAL: Final = "sim_interval"
CONF_USAGE_INTERVAL: Final = "usage_interval"
CONF_LORA_INTERVAL: Final = "lora_interval"
CONF_PLAN_INTERVAL: Final = "plan_interval"
CONF_ENTITY_GROUPS: Final = "entity_groups"

INTERVAL_BOUNDS: Final[dict[str, tuple[int, int, int]]] = {
    CONF_SIM_INTERVAL: (5, 1, 60),
    CONF_USAGE_INTERVAL: (30, 5, 1440),
    CONF_LORA_INTERVAL: (5, 1, 60),
    CONF_PLAN_INTERVAL: (360, 60, 1440),
}
"""Each interval option's default, minimum and maximum, in minutes."""

CONF_QUOTA_WARNING: Final = "quota_warning"
"""Option: warn when a SIM has this share (%) of a bundle left, or less."""
QUOTA_WARNING_BOUNDS: Final = (10, 1, 50)
"""The option's (default, minimum, maximum) in percent."""

ENTITY_GROUP_USAGE: Final = "usage"
ENTITY_GROUP_QUOTA: Final = "quota"
ENTITY_GROUP_SESSION: Final = "session"
ENTITY_GROUP_LORA_SIGNAL: Final = "lora_signal"
ENTITY_GROUP_LORA_ALARMS: Final = "lora_alarms"
ENTITY_GROUPS: Final = (
    ENTITY_GROUP_USAGE,
    ENTITY_GROUP_QUOTA,
    ENTITY_GROUP_SESSION,
    ENTITY_GROUP_LORA_SIGNAL,
    ENTITY_GROUP_LORA_ALARMS,
)


def interval(minutes: int) -> timedelta:
    """An option value in minutes as a timedelta."""
    return timedelta(minutes=minutes)


EVENT_SMS_RECEIVED: Final = f"{DOMAIN}_sms_received"
EVENT_SMS_DELIVERY: Final = f"{DOMAIN}_sms_delivery"
EVENT_LORA_UPLINK: Final = f"{DOMAIN}_lora_uplink"
EVENT_LORA_ALARM: Final = f"{DOMAIN}_lora_alarm"
EVENT_SIM_MOVED: Final = f"{DOMAIN}_sim_moved"
EVENT_LORA_REPORTING: Final = f"{DOMAIN}_lora_reporting"
"""A LoRa device stopped or started reporting (data ``reporting``)."""


def push_signal(entry_id: str, item_id: str | None, key: str) -> str:
    """The dispatcher signal of one SIM's or device's event entity ``key``."""
    return f"{DOMAIN}_push_{entry_id}_{item_id}_{key}"
