"""Binary sensors of SIMs and LoRa devices."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, override

from homeassistant.components.binary_sensor import (
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.components.binary_sensor.const import BinarySensorDeviceClass
from homeassistant.const import Platform
from homeassistant.helpers.dispatcher import async_dispatcher_connect

from .api.models import Capability, Sim
from .const import (
    ENTITY_GROUP_LORA_ALARMS,
    ENTITY_GROUP_LORA_SIGNAL,
    ENTITY_GROUP_SESSION,
)
from .coordinator import LoraDeviceState, SimCoordinator
from .entity import (
    AnyCoordinator,
    IoTConnectivityEntity,
    IoTConnectivityEntityDescription,
    async_add_item_entities,
)
from .imei_watch import imei_signal
from .lora_readings import (
    LoraDeviceEntity,
    LoraReadingEntity,
    async_add_reading_entities,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from datetime import timedelta

    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .coordinator import IoTConnectivityConfigEntry, SimTraffic
    from .imei_watch import ImeiChange

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class IoTConnectivityBinarySensorEntityDescription[ValueT](
    IoTConnectivityEntityDescription[ValueT], BinarySensorEntityDescription
):
    """A binary sensor reading ``is_on_fn`` of its SIM or device."""

    is_on_fn: Callable[[ValueT], bool | None]
    attributes_fn: Callable[[ValueT], Mapping[str, Any]] | None = None


def _open_alarms(state: LoraDeviceState) -> Mapping[str, Any]:
    """List the device's open alarms, most severe first."""
    return {
        "alarms": [
            {
                "ref": alarm.ref,
                "type": alarm.type_name,
                "severity": alarm.severity.name.lower(),
                "since": alarm.created_at,
            }
            for alarm in state.alarms
        ]
    }


TRAFFIC_BINARY_SENSORS: tuple[
    IoTConnectivityBinarySensorEntityDescription[SimTraffic], ...
] = (
    IoTConnectivityBinarySensorEntityDescription(
        key="online",
        translation_key="online",
        device_class=BinarySensorDeviceClass.CONNECTIVITY,
        group=ENTITY_GROUP_SESSION,
        capability=Capability.SESSION,
        exists_fn=lambda traffic: traffic.session is not None,
        is_on_fn=lambda traffic: traffic.session.online if traffic.session else None,
    ),
)

LORA_BINARY_SENSORS: tuple[
    IoTConnectivityBinarySensorEntityDescription[LoraDeviceState], ...
] = (
    IoTConnectivityBinarySensorEntityDescription(
        key="alarm",
        translation_key="alarm",
        device_class=BinarySensorDeviceClass.PROBLEM,
        group=ENTITY_GROUP_LORA_ALARMS,
        is_on_fn=lambda state: bool(state.alarms),
        attributes_fn=_open_alarms,
    ),
    IoTConnectivityBinarySensorEntityDescription(
        key="external_power",
        translation_key="external_power",
        group=ENTITY_GROUP_LORA_SIGNAL,
        device_class=BinarySensorDeviceClass.PLUG,
        entity_registry_enabled_default=False,
        is_on_fn=lambda state: state.device.external_power,
    ),
)


@dataclass(frozen=True, kw_only=True)
class ImeiChangedBinarySensorEntityDescription(
    IoTConnectivityEntityDescription[Sim], BinarySensorEntityDescription
):
    """The problem sensor of a SIM's unacknowledged IMEI change."""


IMEI_CHANGED_BINARY_SENSORS = (
    ImeiChangedBinarySensorEntityDescription(
        key="imei_changed",
        translation_key="imei_changed",
        device_class=BinarySensorDeviceClass.PROBLEM,
        capability=Capability.IMEI,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: IoTConnectivityConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the binary sensors of every coordinator the entry has."""
    data = entry.runtime_data
    if data.traffic is not None:
        async_add_item_entities(
            data.traffic,
            TRAFFIC_BINARY_SENSORS,
            IoTConnectivityBinarySensor,
            async_add_entities,
        )
    if data.sims is not None and data.imei_watch is not None:
        async_add_item_entities(
            data.sims,
            IMEI_CHANGED_BINARY_SENSORS,
            ImeiChangedBinarySensor,
            async_add_entities,
        )
    if data.lora is not None:
        async_add_item_entities(
            data.lora,
            LORA_BINARY_SENSORS,
            IoTConnectivityBinarySensor,
            async_add_entities,
        )
        async_add_item_entities(
            data.lora, (REPORTING,), LoraReportingBinarySensor, async_add_entities
        )
    async_add_reading_entities(
        hass, entry, Platform.BINARY_SENSOR, LoraReadingBinarySensor, async_add_entities
    )


class IoTConnectivityBinarySensor(
    IoTConnectivityEntity[AnyCoordinator], BinarySensorEntity
):
    """A binary sensor of a SIM or LoRa device."""

    entity_description: IoTConnectivityBinarySensorEntityDescription[Any]

    @property
    @override
    def is_on(self) -> bool | None:
        return self.entity_description.is_on_fn(self.value)

    @property
    @override
    def extra_state_attributes(self) -> Mapping[str, Any] | None:
        if self.entity_description.attributes_fn is None:
            return None
        return self.entity_description.attributes_fn(self.value)


class ImeiChangedBinarySensor(
    IoTConnectivityEntity[SimCoordinator], BinarySensorEntity
):
    """On from an IMEI change of the SIM until the user acknowledges it."""

    entity_description: ImeiChangedBinarySensorEntityDescription

    @override
    async def async_added_to_hass(self) -> None:
        await super().async_added_to_hass()
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass,
                imei_signal(self.coordinator.config_entry.entry_id, self.value.iccid),
                self._handle_coordinator_update,
            )
        )

    @property
    def _change(self) -> ImeiChange | None:
        watch = self.coordinator.config_entry.runtime_data.imei_watch
        return watch.changes.get(self.value.iccid) if watch is not None else None

    @property
    @override
    def is_on(self) -> bool:
        return self._change is not None

    @property
    @override
    def extra_state_attributes(self) -> Mapping[str, Any] | None:
        """When the change was seen; the IMEIs are in the event and the IMEI sensor."""
        if (change := self._change) is None:
            return None
        return {"detected_at": change.detected_at}


@dataclass(frozen=True, kw_only=True)
class ReportingDescription(
    IoTConnectivityEntityDescription[Any], BinarySensorEntityDescription
):
    """The Reporting binary sensor of a LoRa device: its state is the readings'."""


REPORTING = ReportingDescription(
    key="reporting",
    translation_key="reporting",
    device_class=BinarySensorDeviceClass.CONNECTIVITY,
)
"""Whether a LoRa device still sends uplinks as often as it used to (or was set to)."""


class LoraReportingBinarySensor(LoraDeviceEntity, BinarySensorEntity):
    """Off once a LoRa device misses its interval twice, plus a margin.

    Unknown until an interval is known: two uplinks apart, or one set.
    """

    entity_description: ReportingDescription

    @property
    @override
    def is_on(self) -> bool | None:
        return self.device.reporting

    @property
    @override
    def extra_state_attributes(self) -> Mapping[str, Any]:
        device = self.device
        expected = device.expected_interval
        learned = device.learned_interval
        deadline = device.deadline
        return {
            "expected_interval": _minutes(expected),
            "learned_interval": _minutes(learned),
            "last_uplink": device.uplinks[-1].isoformat() if device.uplinks else None,
            "silent_after": None if deadline is None else deadline.isoformat(),
        }


def _minutes(interval: timedelta | None) -> float | None:
    return None if interval is None else round(interval.total_seconds() / 60, 1)


class LoraReadingBinarySensor(LoraReadingEntity, BinarySensorEntity):
    """An on/off reading: a digital input, presence, switch or door contact."""

    @property
    @override
    def is_on(self) -> bool | None:
        value = self.reading.value
        return bool(value) if isinstance(value, bool | int | float) else None
