"""Sensors of SIMs, LoRa devices and the account."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, override

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import (
    PERCENTAGE,
    SIGNAL_STRENGTH_DECIBELS,
    SIGNAL_STRENGTH_DECIBELS_MILLIWATT,
    EntityCategory,
    Platform,
    UnitOfInformation,
)
from homeassistant.util import dt as dt_util

from .api.models import (
    AlarmSeverity,
    Capability,
    ConnectivityPlan,
    LoraHealthState,
    QuotaStatus,
    Sim,
    SimQuota,
    SimSession,
    SimStatus,
)
from .api.reading_types import Quantity, Reading
from .const import (
    ENTITY_GROUP_LORA_ALARMS,
    ENTITY_GROUP_LORA_SIGNAL,
    ENTITY_GROUP_QUOTA,
    ENTITY_GROUP_SESSION,
    ENTITY_GROUP_USAGE,
)
from .entity import (
    AnyCoordinator,
    IoTConnectivityEntity,
    IoTConnectivityEntityDescription,
    async_add_account_entities,
    async_add_item_entities,
)
from .forecast import DATA as FORECAST_DATA, SMS as FORECAST_SMS
from .lora_readings import LoraReadingEntity, async_add_reading_entities

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
    from homeassistant.helpers.typing import StateType

    from .coordinator import (
        IoTConnectivityConfigEntry,
        LoraData,
        LoraDeviceState,
        PlanData,
        SimData,
        SimTraffic,
    )

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class IoTConnectivitySensorEntityDescription[ValueT](
    IoTConnectivityEntityDescription[ValueT], SensorEntityDescription
):
    """A sensor reading ``value_fn`` of its SIM, device, plan or account data."""

    value_fn: Callable[[ValueT], StateType | datetime]


type SensorDescription[ValueT] = IoTConnectivitySensorEntityDescription[ValueT]


def _quota[T](read: Callable[[SimQuota], T]) -> Callable[[SimTraffic], T | None]:
    """Read a SIM's quota, None when the provider gave none."""
    return lambda traffic: read(traffic.quota) if traffic.quota else None


def _session[T](read: Callable[[SimSession], T]) -> Callable[[SimTraffic], T | None]:
    """Read a SIM's session, None when the provider gave none."""
    return lambda traffic: read(traffic.session) if traffic.session else None


def _count_sims(status: SimStatus) -> Callable[[SimData], int]:
    """How many SIMs of the account have ``status``."""
    return lambda data: sum(sim.status is status for sim in data.sims.values())


def _highest_severity(state: LoraDeviceState) -> str:
    """Return the most severe open alarm; cleared when none is open."""
    severity = state.alarms[0].severity if state.alarms else AlarmSeverity.CLEARED
    return severity.name.lower()


SIM_SENSORS: tuple[SensorDescription[Sim], ...] = (
    IoTConnectivitySensorEntityDescription(
        key="status",
        translation_key="sim_status",
        device_class=SensorDeviceClass.ENUM,
        options=[status.value for status in SimStatus],
        value_fn=lambda sim: sim.status.value,
    ),
    IoTConnectivitySensorEntityDescription(
        key="imei",
        translation_key="imei",
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        exists_fn=lambda sim: sim.imei is not None,
        value_fn=lambda sim: sim.imei,
    ),
    IoTConnectivitySensorEntityDescription(
        key="ip_address",
        translation_key="ip_address",
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        exists_fn=lambda sim: sim.ip_address is not None,
        value_fn=lambda sim: sim.ip_address,
    ),
)

TRAFFIC_SENSORS: tuple[SensorDescription[SimTraffic], ...] = (
    IoTConnectivitySensorEntityDescription(
        key="data_used",
        translation_key="data_used",
        group=ENTITY_GROUP_USAGE,
        device_class=SensorDeviceClass.DATA_SIZE,
        # The monthly counter restarts at zero, which TOTAL_INCREASING reads as a
        # reset without needing the (not always reported) period start.
        state_class=SensorStateClass.TOTAL_INCREASING,
        native_unit_of_measurement=UnitOfInformation.BYTES,
        suggested_unit_of_measurement=UnitOfInformation.MEGABYTES,
        suggested_display_precision=1,
        exists_fn=lambda traffic: traffic.usage is not None,
        value_fn=lambda traffic: traffic.usage.data_bytes if traffic.usage else None,
    ),
    IoTConnectivitySensorEntityDescription(
        key="sms_sent",
        translation_key="sms_sent",
        group=ENTITY_GROUP_USAGE,
        state_class=SensorStateClass.TOTAL_INCREASING,
        entity_registry_enabled_default=False,
        exists_fn=lambda traffic: traffic.usage is not None,
        value_fn=lambda traffic: traffic.usage.sms_mo if traffic.usage else None,
    ),
    IoTConnectivitySensorEntityDescription(
        key="sms_received",
        translation_key="sms_received",
        group=ENTITY_GROUP_USAGE,
        state_class=SensorStateClass.TOTAL_INCREASING,
        entity_registry_enabled_default=False,
        exists_fn=lambda traffic: traffic.usage is not None,
        value_fn=lambda traffic: traffic.usage.sms_mt if traffic.usage else None,
    ),
    IoTConnectivitySensorEntityDescription(
        key="data_quota_left",
        translation_key="data_quota_left",
        group=ENTITY_GROUP_QUOTA,
        capability=Capability.QUOTA,
        device_class=SensorDeviceClass.DATA_SIZE,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfInformation.BYTES,
        suggested_unit_of_measurement=UnitOfInformation.MEGABYTES,
        suggested_display_precision=1,
        exists_fn=lambda traffic: traffic.quota is not None,
        value_fn=_quota(lambda quota: quota.data_left_bytes),
    ),
    IoTConnectivitySensorEntityDescription(
        key="data_quota_status",
        translation_key="data_quota_status",
        group=ENTITY_GROUP_QUOTA,
        capability=Capability.QUOTA,
        device_class=SensorDeviceClass.ENUM,
        options=[status.value for status in QuotaStatus],
        entity_registry_enabled_default=False,
        exists_fn=lambda traffic: traffic.quota is not None,
        value_fn=_quota(lambda quota: quota.data_status.value),
    ),
    IoTConnectivitySensorEntityDescription(
        key="data_quota_expiry",
        translation_key="data_quota_expiry",
        group=ENTITY_GROUP_QUOTA,
        capability=Capability.QUOTA,
        device_class=SensorDeviceClass.TIMESTAMP,
        entity_registry_enabled_default=False,
        exists_fn=lambda traffic: traffic.quota is not None,
        value_fn=_quota(lambda quota: quota.data_expiry),
    ),
    IoTConnectivitySensorEntityDescription(
        key="sms_quota_left",
        translation_key="sms_quota_left",
        group=ENTITY_GROUP_QUOTA,
        capability=Capability.QUOTA,
        state_class=SensorStateClass.MEASUREMENT,
        exists_fn=lambda traffic: traffic.quota is not None,
        value_fn=_quota(lambda quota: quota.sms_left),
    ),
    IoTConnectivitySensorEntityDescription(
        key="sms_quota_status",
        translation_key="sms_quota_status",
        group=ENTITY_GROUP_QUOTA,
        capability=Capability.QUOTA,
        device_class=SensorDeviceClass.ENUM,
        options=[status.value for status in QuotaStatus],
        entity_registry_enabled_default=False,
        exists_fn=lambda traffic: traffic.quota is not None,
        value_fn=_quota(lambda quota: quota.sms_status.value),
    ),
    IoTConnectivitySensorEntityDescription(
        key="sms_quota_expiry",
        translation_key="sms_quota_expiry",
        group=ENTITY_GROUP_QUOTA,
        capability=Capability.QUOTA,
        device_class=SensorDeviceClass.TIMESTAMP,
        entity_registry_enabled_default=False,
        exists_fn=lambda traffic: traffic.quota is not None,
        value_fn=_quota(lambda quota: quota.sms_expiry),
    ),
    IoTConnectivitySensorEntityDescription(
        key="operator",
        translation_key="operator",
        group=ENTITY_GROUP_SESSION,
        capability=Capability.SESSION,
        entity_category=EntityCategory.DIAGNOSTIC,
        exists_fn=lambda traffic: traffic.session is not None,
        value_fn=_session(lambda session: session.operator),
    ),
    IoTConnectivitySensorEntityDescription(
        key="rat",
        translation_key="rat",
        group=ENTITY_GROUP_SESSION,
        capability=Capability.SESSION,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        exists_fn=lambda traffic: traffic.session is not None,
        value_fn=_session(lambda session: session.rat),
    ),
    IoTConnectivitySensorEntityDescription(
        key="last_seen",
        translation_key="last_seen",
        group=ENTITY_GROUP_SESSION,
        capability=Capability.SESSION,
        device_class=SensorDeviceClass.TIMESTAMP,
        entity_category=EntityCategory.DIAGNOSTIC,
        exists_fn=lambda traffic: traffic.session is not None,
        value_fn=_session(lambda session: session.last_seen),
    ),
)

LORA_SENSORS: tuple[SensorDescription[LoraDeviceState], ...] = (
    IoTConnectivitySensorEntityDescription(
        key="health_state",
        translation_key="health_state",
        device_class=SensorDeviceClass.ENUM,
        options=[state.value for state in LoraHealthState],
        value_fn=lambda state: state.device.health_state.value,
    ),
    IoTConnectivitySensorEntityDescription(
        key="last_rssi",
        translation_key="last_rssi",
        group=ENTITY_GROUP_LORA_SIGNAL,
        device_class=SensorDeviceClass.SIGNAL_STRENGTH,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=SIGNAL_STRENGTH_DECIBELS_MILLIWATT,
        value_fn=lambda state: state.device.last_rssi,
    ),
    IoTConnectivitySensorEntityDescription(
        key="last_snr",
        translation_key="last_snr",
        group=ENTITY_GROUP_LORA_SIGNAL,
        device_class=SensorDeviceClass.SIGNAL_STRENGTH,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=SIGNAL_STRENGTH_DECIBELS,
        value_fn=lambda state: state.device.last_snr,
    ),
    IoTConnectivitySensorEntityDescription(
        key="last_spreading_factor",
        translation_key="last_spreading_factor",
        group=ENTITY_GROUP_LORA_SIGNAL,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value_fn=lambda state: state.device.last_sf,
    ),
    IoTConnectivitySensorEntityDescription(
        key="uplinks_24h",
        translation_key="uplinks_24h",
        group=ENTITY_GROUP_LORA_SIGNAL,
        state_class=SensorStateClass.MEASUREMENT,
        entity_registry_enabled_default=False,
        value_fn=lambda state: state.device.uplinks_24h,
    ),
    IoTConnectivitySensorEntityDescription(
        key="downlinks_24h",
        translation_key="downlinks_24h",
        group=ENTITY_GROUP_LORA_SIGNAL,
        state_class=SensorStateClass.MEASUREMENT,
        entity_registry_enabled_default=False,
        value_fn=lambda state: state.device.downlinks_24h,
    ),
    IoTConnectivitySensorEntityDescription(
        key="last_uplink",
        translation_key="last_uplink",
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=lambda state: state.device.last_uplink,
    ),
    IoTConnectivitySensorEntityDescription(
        key="last_downlink",
        translation_key="last_downlink",
        device_class=SensorDeviceClass.TIMESTAMP,
        entity_registry_enabled_default=False,
        value_fn=lambda state: state.device.last_downlink,
    ),
    IoTConnectivitySensorEntityDescription(
        key="battery",
        group=ENTITY_GROUP_LORA_SIGNAL,
        device_class=SensorDeviceClass.BATTERY,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=PERCENTAGE,
        value_fn=lambda state: state.device.battery_percent,
    ),
    IoTConnectivitySensorEntityDescription(
        key="alarm_severity",
        translation_key="alarm_severity",
        group=ENTITY_GROUP_LORA_ALARMS,
        device_class=SensorDeviceClass.ENUM,
        options=[severity.name.lower() for severity in AlarmSeverity],
        value_fn=_highest_severity,
    ),
)

PLAN_SENSORS: tuple[SensorDescription[ConnectivityPlan], ...] = (
    IoTConnectivitySensorEntityDescription(
        key="used_connections",
        translation_key="plan_used_connections",
        state_class=SensorStateClass.MEASUREMENT,
        translation_placeholders_fn=lambda plan: {"plan": plan.name or plan.id},
        value_fn=lambda plan: plan.used_connections,
    ),
    IoTConnectivitySensorEntityDescription(
        key="granted_connections",
        translation_key="plan_granted_connections",
        entity_category=EntityCategory.DIAGNOSTIC,
        translation_placeholders_fn=lambda plan: {"plan": plan.name or plan.id},
        value_fn=lambda plan: plan.granted_connections,
    ),
)

SIM_COUNT_SENSORS: tuple[SensorDescription[SimData], ...] = tuple(
    IoTConnectivitySensorEntityDescription(
        key=f"sims_{status}",
        translation_key=f"sims_{status}",
        state_class=SensorStateClass.MEASUREMENT,
        entity_registry_enabled_default=status
        not in (SimStatus.TEST, SimStatus.UNKNOWN),
        value_fn=_count_sims(status),
    )
    for status in SimStatus
)

HEALTH_SENSORS: tuple[SensorDescription[PlanData], ...] = (
    IoTConnectivitySensorEntityDescription(
        key="devices_init",
        translation_key="devices_init",
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda data: data.health.init,
    ),
    IoTConnectivitySensorEntityDescription(
        key="devices_active",
        translation_key="devices_active",
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda data: data.health.active,
    ),
    IoTConnectivitySensorEntityDescription(
        key="devices_rf_error",
        translation_key="devices_rf_error",
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda data: data.health.rf_error,
    ),
    IoTConnectivitySensorEntityDescription(
        key="devices_total",
        translation_key="devices_total",
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda data: data.health.total,
    ),
)

API_QUOTA_SENSORS: tuple[SensorDescription[SimData | LoraData], ...] = (
    IoTConnectivitySensorEntityDescription(
        key="api_requests_used",
        translation_key="api_requests_used",
        entity_category=EntityCategory.DIAGNOSTIC,
        # Counts up within the gateway's quota window, then starts over.
        state_class=SensorStateClass.TOTAL_INCREASING,
        exists_fn=lambda data: data.api_quota is not None,
        value_fn=lambda data: data.api_quota.used if data.api_quota else None,
    ),
    IoTConnectivitySensorEntityDescription(
        key="api_request_limit",
        translation_key="api_request_limit",
        entity_category=EntityCategory.DIAGNOSTIC,
        exists_fn=lambda data: data.api_quota is not None,
        value_fn=lambda data: data.api_quota.limit if data.api_quota else None,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: IoTConnectivityConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the sensors of every coordinator the entry has."""
    data = entry.runtime_data
    if data.sims is not None:
        async_add_item_entities(
            data.sims, SIM_SENSORS, IoTConnectivitySensor, async_add_entities
        )
        async_add_account_entities(
            data.sims,
            SIM_COUNT_SENSORS + API_QUOTA_SENSORS,
            IoTConnectivitySensor,
            async_add_entities,
        )
    if data.traffic is not None:
        async_add_item_entities(
            data.traffic, TRAFFIC_SENSORS, IoTConnectivitySensor, async_add_entities
        )
    if data.traffic is not None and data.forecast is not None:
        async_add_item_entities(
            data.traffic, FORECAST_SENSORS, QuotaForecastSensor, async_add_entities
        )
    if data.lora is not None:
        async_add_item_entities(
            data.lora, LORA_SENSORS, IoTConnectivitySensor, async_add_entities
        )
        async_add_account_entities(
            data.lora, API_QUOTA_SENSORS, IoTConnectivitySensor, async_add_entities
        )
    async_add_reading_entities(
        hass, entry, Platform.SENSOR, LoraReadingSensor, async_add_entities
    )
    if data.plans is not None:
        async_add_item_entities(
            data.plans, PLAN_SENSORS, IoTConnectivitySensor, async_add_entities
        )
        async_add_account_entities(
            data.plans, HEALTH_SENSORS, IoTConnectivitySensor, async_add_entities
        )


class IoTConnectivitySensor(IoTConnectivityEntity[AnyCoordinator], SensorEntity):
    """A sensor of a SIM, LoRa device, plan or the account."""

    entity_description: IoTConnectivitySensorEntityDescription[Any]

    @property
    @override
    def native_value(self) -> StateType | datetime:
        return self.entity_description.value_fn(self.value)


FORECAST_SENSORS: tuple[SensorDescription[SimTraffic], ...] = tuple(
    IoTConnectivitySensorEntityDescription(
        key=f"{kind}_quota_runs_out",
        translation_key=f"{kind}_quota_runs_out",
        group=ENTITY_GROUP_QUOTA,
        capability=Capability.QUOTA,
        device_class=SensorDeviceClass.TIMESTAMP,
        # The management API's SIMs have their few enabled entities already.
        entity_registry_enabled_default=False,
        exists_fn=lambda traffic: traffic.quota is not None,
        value_fn=lambda _: None,
    )
    for kind in (FORECAST_DATA, FORECAST_SMS)
)
"""When the data and the SMS bundle run out at the recent rate (:mod:`.forecast`)."""


class QuotaForecastSensor(IoTConnectivitySensor):
    """When a SIM's data or SMS bundle runs out; updated after each quota read."""

    @override
    async def async_added_to_hass(self) -> None:
        await super().async_added_to_hass()
        forecast = self.coordinator.config_entry.runtime_data.forecast
        if forecast is not None and self.item_id is not None:
            self.async_on_remove(
                forecast.async_add_listener(
                    self.item_id, self._handle_coordinator_update
                )
            )

    @property
    @override
    def native_value(self) -> datetime | None:
        forecast = self.coordinator.config_entry.runtime_data.forecast
        if forecast is None or self.item_id is None:
            return None
        kind = self.entity_description.key.removesuffix("_quota_runs_out")
        return forecast.runs_out(self.item_id, kind, self.value.quota)


class LoraReadingSensor(LoraReadingEntity, SensorEntity):
    """A number, moment or text that a LoRa device reports."""

    def __init__(
        self, entry: IoTConnectivityConfigEntry, eui: str, reading: Reading
    ) -> None:
        """Take the device class, unit and state class of the reading's kind."""
        super().__init__(entry, eui, reading)
        kind = self._kind
        self._attr_device_class = kind.device_class
        self._attr_native_unit_of_measurement = kind.unit
        self._attr_state_class = kind.state_class
        self._attr_suggested_display_precision = kind.precision

    @property
    @override
    def native_value(self) -> StateType | datetime:
        reading = self.reading
        value = reading.value
        if reading.quantity is Quantity.TIMESTAMP and isinstance(value, int | float):
            return dt_util.utc_from_timestamp(value)
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, int | float | str):
            return value
        return None
