"""Readings decoded from LoRa uplinks, and whether each device still reports.

One :class:`LoraReadings` per KPN LoRa entry. The webhook hands it every
uplink after the *Uplink* event fired (:meth:`LoraReadings.async_uplink`); it
decodes the payload in the format chosen for the device, keeps each reading's
last value and tells the entities:

- a reading seen for the first time: :func:`new_readings_signal`, on which the
  sensor, binary sensor and device tracker platforms add its entity;
- a reading whose value changed: :func:`reading_signal`, on which that entity
  alone writes its state. An uplink writes at most as many states as readings
  changed.

What is known survives a restart, in a store per entry (written a few seconds
after a change): each device's readings and last values, its payload format,
its reporting interval override, the times of its recent uplinks and whether
it reported. Reading entities are created from it at setup and show their last
value at once.

Reporting: a device is expected to report every *interval*, the median of the
gaps between its recent uplinks, unless the user set one. It stops reporting
once :data:`MISSED_INTERVALS` intervals plus :data:`REPORTING_MARGIN` passed
since its last uplink. One timer per entry waits for the earliest deadline.
A device that went quiet while Home Assistant was stopped (or the entry
unloaded) is judged again at setup: its change from the stored state fires the
reporting event then, once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from statistics import median
from typing import TYPE_CHECKING, Any, Final, override

from homeassistant.components.sensor import SensorDeviceClass, SensorStateClass
from homeassistant.const import (
    DEGREE,
    LIGHT_LUX,
    PERCENTAGE,
    SIGNAL_STRENGTH_DECIBELS_MILLIWATT,
    Platform,
    UnitOfElectricCurrent,
    UnitOfElectricPotential,
    UnitOfEnergy,
    UnitOfFrequency,
    UnitOfLength,
    UnitOfMass,
    UnitOfPower,
    UnitOfPressure,
    UnitOfRatio,
    UnitOfSpeed,
    UnitOfTemperature,
    UnitOfTime,
    UnitOfVolume,
    UnitOfVolumeFlowRate,
)
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.dispatcher import (
    async_dispatcher_connect,
    async_dispatcher_send,
)
from homeassistant.helpers.entity import Entity, EntityDescription
from homeassistant.helpers.entity_platform import MAX_ENABLED_ENTITIES_PER_CONFIG_ENTRY
from homeassistant.helpers.event import async_track_point_in_utc_time
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .api.reading_types import PayloadError, PayloadFormat, Position, Quantity, Reading
from .api.readings import decode_uplink
from .const import DOMAIN, EVENT_LORA_REPORTING, LOGGER
from .helpers import entry_store

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .api.models import LoraUplink
    from .coordinator import IoTConnectivityConfigEntry, LoraCoordinator

STORE_VERSION: Final = 1
SAVE_DELAY: Final = 10
"""Seconds to wait before writing: a burst of uplinks is one write."""
RECENT_UPLINKS: Final = 9
"""Uplink times kept per device: their 8 gaps give the learned interval."""
MIN_GAP: Final = timedelta(seconds=30)
"""Shorter gaps are repeats or retries, not the device's rhythm."""
MISSED_INTERVALS: Final = 2
REPORTING_MARGIN: Final = timedelta(minutes=5)
CHECK_DELAY: Final = timedelta(seconds=1)
"""The timer fires just after a deadline, when the device is past it."""
READINGS_RESERVE: Final = 500
"""Enabled entities a new reading leaves for devices the account adds later.

Home Assistant adds no enabled entity beyond its limit per config entry (and
does not register it at all): readings beyond ``limit - reserve`` start
disabled instead, for the user to enable the ones they need."""
MAX_INTERVAL_MINUTES: Final = 10080
"""The largest interval override: a week."""


@dataclass(frozen=True, kw_only=True)
class ReadingKind:
    """How a quantity's readings show in Home Assistant."""

    platform: Platform
    translation_key: str
    device_class: SensorDeviceClass | None = None
    unit: str | None = None
    state_class: SensorStateClass | None = None
    precision: int | None = None


def _sensor(
    quantity: Quantity,
    device_class: SensorDeviceClass | None,
    unit: str | None,
    precision: int | None,
    state_class: SensorStateClass | None = SensorStateClass.MEASUREMENT,
) -> ReadingKind:
    return ReadingKind(
        platform=Platform.SENSOR,
        translation_key=f"reading_{quantity}",
        device_class=device_class,
        unit=unit,
        state_class=state_class,
        precision=precision,
    )


READING_KINDS: Final[Mapping[Quantity, ReadingKind]] = {
    Quantity.TEMPERATURE: _sensor(
        Quantity.TEMPERATURE,
        SensorDeviceClass.TEMPERATURE,
        UnitOfTemperature.CELSIUS,
        1,
    ),
    Quantity.HUMIDITY: _sensor(
        Quantity.HUMIDITY, SensorDeviceClass.HUMIDITY, PERCENTAGE, 0
    ),
    Quantity.PRESSURE: _sensor(
        Quantity.PRESSURE, SensorDeviceClass.PRESSURE, UnitOfPressure.HPA, 1
    ),
    Quantity.ILLUMINANCE: _sensor(
        Quantity.ILLUMINANCE, SensorDeviceClass.ILLUMINANCE, LIGHT_LUX, 0
    ),
    Quantity.VOLTAGE: _sensor(
        Quantity.VOLTAGE, SensorDeviceClass.VOLTAGE, UnitOfElectricPotential.VOLT, 2
    ),
    Quantity.CURRENT: _sensor(
        Quantity.CURRENT, SensorDeviceClass.CURRENT, UnitOfElectricCurrent.AMPERE, 3
    ),
    Quantity.POWER: _sensor(
        Quantity.POWER, SensorDeviceClass.POWER, UnitOfPower.WATT, 0
    ),
    Quantity.ENERGY: _sensor(
        Quantity.ENERGY,
        SensorDeviceClass.ENERGY,
        UnitOfEnergy.KILO_WATT_HOUR,
        3,
        SensorStateClass.TOTAL_INCREASING,
    ),
    Quantity.FREQUENCY: _sensor(
        Quantity.FREQUENCY, SensorDeviceClass.FREQUENCY, UnitOfFrequency.HERTZ, 0
    ),
    Quantity.DISTANCE: _sensor(
        Quantity.DISTANCE, SensorDeviceClass.DISTANCE, UnitOfLength.METERS, 3
    ),
    Quantity.ALTITUDE: _sensor(
        Quantity.ALTITUDE, SensorDeviceClass.DISTANCE, UnitOfLength.METERS, 0
    ),
    # Parts per million of what, the payload does not say: no device class.
    Quantity.CONCENTRATION: _sensor(
        Quantity.CONCENTRATION, None, UnitOfRatio.PARTS_PER_MILLION, 0
    ),
    Quantity.BATTERY: _sensor(
        Quantity.BATTERY, SensorDeviceClass.BATTERY, PERCENTAGE, 0
    ),
    Quantity.PERCENTAGE: _sensor(Quantity.PERCENTAGE, None, PERCENTAGE, 0),
    Quantity.DIRECTION: _sensor(Quantity.DIRECTION, None, DEGREE, 0),
    Quantity.ACCELERATION: _sensor(Quantity.ACCELERATION, None, "g", 3),
    Quantity.ANGULAR_VELOCITY: _sensor(
        Quantity.ANGULAR_VELOCITY, None, f"{DEGREE}/s", 2
    ),
    Quantity.SIGNAL_STRENGTH: _sensor(
        Quantity.SIGNAL_STRENGTH,
        SensorDeviceClass.SIGNAL_STRENGTH,
        SIGNAL_STRENGTH_DECIBELS_MILLIWATT,
        0,
    ),
    Quantity.DURATION: _sensor(
        Quantity.DURATION, SensorDeviceClass.DURATION, UnitOfTime.SECONDS, 0
    ),
    Quantity.SPEED: _sensor(
        Quantity.SPEED, SensorDeviceClass.SPEED, UnitOfSpeed.METERS_PER_SECOND, 1
    ),
    # Meters count up: a volume is a meter's index.
    Quantity.VOLUME: _sensor(
        Quantity.VOLUME,
        SensorDeviceClass.VOLUME,
        UnitOfVolume.LITERS,
        1,
        SensorStateClass.TOTAL_INCREASING,
    ),
    Quantity.VOLUME_FLOW_RATE: _sensor(
        Quantity.VOLUME_FLOW_RATE,
        SensorDeviceClass.VOLUME_FLOW_RATE,
        UnitOfVolumeFlowRate.LITERS_PER_MINUTE,
        1,
    ),
    Quantity.MASS: _sensor(
        Quantity.MASS, SensorDeviceClass.WEIGHT, UnitOfMass.KILOGRAMS, 2
    ),
    Quantity.ANALOG: _sensor(Quantity.ANALOG, None, None, 2),
    Quantity.TIMESTAMP: _sensor(
        Quantity.TIMESTAMP, SensorDeviceClass.TIMESTAMP, None, None, None
    ),
    Quantity.COLOUR: _sensor(Quantity.COLOUR, None, None, None, None),
    Quantity.TEXT: _sensor(Quantity.TEXT, None, None, None, None),
    # Door contacts, presence, digital inputs: no class fits them all.
    Quantity.STATE: ReadingKind(
        platform=Platform.BINARY_SENSOR, translation_key="reading_state"
    ),
}
"""How each quantity's readings show: platform, device class, unit, state class."""
POSITION_KIND: Final = ReadingKind(
    platform=Platform.DEVICE_TRACKER, translation_key="reading_position"
)
"""A :class:`Position` (quantity None) becomes a device tracker."""


def kind_of(reading: Reading) -> ReadingKind:
    """How ``reading`` shows in Home Assistant."""
    if reading.quantity is None:
        return POSITION_KIND
    return READING_KINDS[reading.quantity]


def new_readings_signal(entry_id: str) -> str:
    """Dispatcher signal: ``(eui, readings)`` seen for the first time."""
    return f"{DOMAIN}_new_readings_{entry_id}"


def reading_signal(entry_id: str, eui: str, key: str) -> str:
    """Dispatcher signal: the value of one device's reading ``key`` changed."""
    return f"{DOMAIN}_reading_{entry_id}_{eui}_{key}"


def reporting_signal(entry_id: str, eui: str) -> str:
    """Dispatcher signal: one device's *Reporting* state or interval changed."""
    return f"{DOMAIN}_reporting_{entry_id}_{eui}"


@dataclass(slots=True)
class DeviceReadings:
    """What is known of one device's uplinks."""

    readings: dict[str, Reading] = field(default_factory=dict)
    payload_format: PayloadFormat = PayloadFormat.AUTOMATIC
    interval_override: int | None = None
    """Minutes, set by the user; None: learned."""
    uplinks: list[datetime] = field(default_factory=list)
    """The times of the recent uplinks, the oldest first."""
    reporting: bool | None = None
    """None until an interval is known."""
    learned_interval: timedelta | None = None
    """The median gap between the recent uplinks; None before two.

    Kept by :meth:`update_schedule`, as is :attr:`deadline`."""
    deadline: datetime | None = None
    """When the device stops counting as reporting, unless it reports again."""

    def update_schedule(self) -> None:
        """Learn the interval anew and set the deadline: uplinks or override changed."""
        gaps = [
            (later - earlier).total_seconds()
            for earlier, later in zip(self.uplinks, self.uplinks[1:], strict=False)
            if later - earlier >= MIN_GAP
        ]
        self.learned_interval = timedelta(seconds=median(gaps)) if gaps else None
        expected = self.expected_interval
        self.deadline = (
            None
            if expected is None or not self.uplinks
            else self.uplinks[-1] + MISSED_INTERVALS * expected + REPORTING_MARGIN
        )

    @property
    def expected_interval(self) -> timedelta | None:
        """The override, else the learned interval."""
        if self.interval_override:
            return timedelta(minutes=self.interval_override)
        return self.learned_interval

    def reporting_now(self, now: datetime) -> bool | None:
        """Whether the device reports, judged at ``now``."""
        return None if self.deadline is None else now <= self.deadline


def _value_to_json(value: Any) -> Any:
    if isinstance(value, Position):
        return {
            "latitude": value.latitude,
            "longitude": value.longitude,
            "altitude": value.altitude,
            "accuracy": value.accuracy,
        }
    return value


def _reading_from_json(key: str, data: Any) -> Reading:
    if not isinstance(data, Mapping):
        raise TypeError("not a reading")
    raw = data.get("quantity")
    quantity = None if raw is None else Quantity(raw)
    value = data.get("value")
    if quantity is None:
        if not isinstance(value, Mapping):
            raise TypeError("not a position")
        value = Position(
            latitude=float(value["latitude"]),
            longitude=float(value["longitude"]),
            altitude=value.get("altitude"),
            accuracy=value.get("accuracy"),
        )
    elif not isinstance(value, float | int | bool | str):
        raise TypeError("not a value")
    channel = data.get("channel")
    name = data.get("name")
    return Reading(
        key=key,
        quantity=quantity,
        value=value,
        channel=channel if isinstance(channel, int) else None,
        name=name if isinstance(name, str) else None,
    )


def _device_from_json(data: Any) -> DeviceReadings:
    """The stored device; :attr:`DeviceReadings.reporting` as it was stored."""
    if not isinstance(data, Mapping):
        raise TypeError("not a device")
    device = DeviceReadings()
    reporting = data.get("reporting")
    device.reporting = reporting if isinstance(reporting, bool) else None
    readings = data.get("readings")
    for key, reading in (readings if isinstance(readings, Mapping) else {}).items():
        try:
            device.readings[key] = _reading_from_json(key, reading)
        except (TypeError, ValueError, KeyError) as err:
            LOGGER.debug("Skipped stored reading %s: %s", key, err)
    try:
        device.payload_format = PayloadFormat(str(data.get("format")))
    except ValueError:
        device.payload_format = PayloadFormat.AUTOMATIC
    interval = data.get("interval")
    if isinstance(interval, int) and not isinstance(interval, bool) and interval > 0:
        device.interval_override = interval
    uplinks = data.get("uplinks")
    for moment in uplinks if isinstance(uplinks, list) else []:
        parsed = dt_util.parse_datetime(moment) if isinstance(moment, str) else None
        if parsed is not None and parsed.tzinfo is not None:
            device.uplinks.append(parsed)
    device.uplinks = sorted(device.uplinks)[-RECENT_UPLINKS:]
    device.update_schedule()
    return device


def device_to_json(device: DeviceReadings) -> dict[str, Any]:
    """What is stored (and shown in diagnostics) of a device's uplinks."""
    return {
        "readings": {
            key: {
                "quantity": reading.quantity,
                "value": _value_to_json(reading.value),
                "channel": reading.channel,
                "name": reading.name,
            }
            for key, reading in device.readings.items()
        },
        "format": device.payload_format,
        "interval": device.interval_override,
        "uplinks": [moment.isoformat() for moment in device.uplinks],
        "reporting": device.reporting,
    }


def _store(hass: HomeAssistant, entry_id: str) -> Store[dict[str, Any]]:
    return entry_store(hass, entry_id, "readings", STORE_VERSION)


class LoraReadings:
    """The readings and reporting state of one entry's LoRa devices."""

    def __init__(self, hass: HomeAssistant, entry: IoTConnectivityConfigEntry) -> None:
        """Keep ``entry``'s readings; :meth:`async_load` what was stored."""
        self.hass = hass
        self.entry = entry
        self.devices: dict[str, DeviceReadings] = {}
        self._store = _store(hass, entry.entry_id)
        self._unsaved = False
        self._timer: CALLBACK_TYPE | None = None
        self._timer_at: datetime | None = None
        self.warned_full = False
        """Whether the log said that new readings start disabled."""

    def device(self, eui: str) -> DeviceReadings:
        """What is known of the device ``eui``; nothing yet: an empty record."""
        return self.devices.get(eui) or DeviceReadings()

    def _updated(self, eui: str) -> DeviceReadings:
        """The device's record, to change: kept from now on."""
        if (device := self.devices.get(eui)) is None:
            device = self.devices[eui] = DeviceReadings()
        return device

    async def async_load(self) -> None:
        """Take up the stored readings; judge who reports now.

        A device whose state differs from the stored one (it went quiet while
        the entry was not loaded) fires the reporting event, as if the timer
        had seen it; a device stored without a state (older store) is judged
        silently. Devices the provider no longer lists are forgotten (their
        device and entities are removed too).
        """
        stored = await self._store.async_load() or {}
        devices = stored.get("devices")
        now = dt_util.utcnow()
        listed = lora_of(self.entry).items
        for eui, data in (devices if isinstance(devices, Mapping) else {}).items():
            if eui not in listed:
                self._unsaved = True
                continue
            try:
                device = _device_from_json(data)
            except TypeError as err:
                LOGGER.debug("Skipped stored readings of %s: %s", eui, err)
                continue
            self.devices[eui] = device
            if device.reporting is None:
                device.reporting = device.reporting_now(now)
            else:
                self._async_set_reporting(
                    eui, device, reporting=device.reporting_now(now)
                )
        self._async_schedule_check()

    async def async_unload(self) -> None:
        """Stop the timer and write what is not written yet."""
        if self._timer is not None:
            self._timer()
            self._timer = None
        if self._unsaved:
            await self._store.async_save(self._data_to_save())

    def _data_to_save(self) -> dict[str, Any]:
        self._unsaved = False
        return {
            "devices": {
                eui: device_to_json(device) for eui, device in self.devices.items()
            }
        }

    @callback
    def _async_schedule_save(self) -> None:
        self._unsaved = True
        self._store.async_delay_save(self._data_to_save, SAVE_DELAY)

    @callback
    def async_uplink(self, uplink: LoraUplink) -> None:
        """Take up an uplink whose *Uplink* event fired: reporting, then readings."""
        eui = uplink.eui
        device = self._updated(eui)
        device.uplinks = [*device.uplinks, dt_util.utcnow()][-RECENT_UPLINKS:]
        device.update_schedule()
        self._async_set_reporting(
            eui, device, reporting=device.reporting_now(dt_util.utcnow())
        )
        self._async_schedule_check(device)
        self._async_schedule_save()
        if device.payload_format is PayloadFormat.NONE:
            return
        if uplink.decode_error and device.payload_format is PayloadFormat.AUTOMATIC:
            LOGGER.debug(
                "Uplink of %s not decoded by ThingPark's driver: %s",
                eui,
                uplink.decode_error,
            )
        try:
            readings = decode_uplink(uplink, device.payload_format)
        except PayloadError as err:
            LOGGER.debug(
                "Uplink of %s not decoded as %s: %s (%s)",
                eui,
                device.payload_format,
                err.reason,
                err,
            )
            return
        new: list[Reading] = []
        changed: list[str] = []
        for reading in readings:
            known = device.readings.get(reading.key)
            if known is None:
                new.append(reading)
            elif known.value == reading.value and type(known.value) is type(
                reading.value
            ):
                continue
            else:
                changed.append(reading.key)
            device.readings[reading.key] = reading
        entry_id = self.entry.entry_id
        if new:
            async_dispatcher_send(self.hass, new_readings_signal(entry_id), eui, new)
        for key in changed:
            async_dispatcher_send(self.hass, reading_signal(entry_id, eui, key))

    @callback
    def async_set_format(self, eui: str, payload_format: PayloadFormat) -> None:
        """Decode the device's next uplinks in ``payload_format``."""
        self._updated(eui).payload_format = payload_format
        self._async_schedule_save()

    @callback
    def async_set_interval(self, eui: str, minutes: int | None) -> None:
        """Expect the device every ``minutes``; None or 0: the learned interval."""
        device = self._updated(eui)
        device.interval_override = minutes or None
        device.update_schedule()
        self._async_set_reporting(
            eui, device, reporting=device.reporting_now(dt_util.utcnow())
        )
        self._async_schedule_check()
        self._async_schedule_save()
        async_dispatcher_send(self.hass, reporting_signal(self.entry.entry_id, eui))

    @callback
    def _async_set_reporting(
        self, eui: str, device: DeviceReadings, *, reporting: bool | None
    ) -> None:
        """Set the device's reporting state; a change fires the event (and is stored)."""
        before, device.reporting = device.reporting, reporting
        if before == reporting:
            return
        self._async_schedule_save()
        async_dispatcher_send(self.hass, reporting_signal(self.entry.entry_id, eui))
        if before is None or reporting is None:
            return
        lora = self.entry.runtime_data.lora
        self.hass.bus.async_fire(
            EVENT_LORA_REPORTING,
            {
                "device_id": lora.registry_device_id(eui) if lora else None,
                "dev_eui": eui,
                "reporting": reporting,
            },
        )

    @callback
    def _async_schedule_check(self, device: DeviceReadings | None = None) -> None:
        """Wait for the earliest deadline of a device that reports.

        After one device's uplink only its deadline is new, and it is no
        earlier than before: the timer moves only when it is the first. A
        timer that fires for a device that reported since just finds nobody
        overdue and waits again: no uplink walks every device.
        """
        at: datetime | None
        if device is not None:
            if not device.reporting or device.deadline is None:
                return
            due = device.deadline + CHECK_DELAY
            if self._timer_at is not None and self._timer_at <= due:
                return
            at = due
        else:
            deadlines = [
                device.deadline
                for device in self.devices.values()
                if device.reporting and device.deadline is not None
            ]
            at = min(deadlines) + CHECK_DELAY if deadlines else None
            if at == self._timer_at:
                return
        if self._timer is not None:
            self._timer()
            self._timer = None
        self._timer_at = at
        if at is not None:
            self._timer = async_track_point_in_utc_time(
                self.hass, self._async_check, at
            )

    @callback
    def _async_check(self, now: datetime) -> None:
        """Turn off the devices past their deadline; wait for the next one."""
        self._timer = None
        self._timer_at = None
        for eui, device in self.devices.items():
            if device.reporting:
                self._async_set_reporting(
                    eui, device, reporting=device.reporting_now(now)
                )
        self._async_schedule_check()


def readings_of(entry: IoTConnectivityConfigEntry) -> LoraReadings:
    """The readings of a KPN LoRa entry (which every LoRa entity belongs to)."""
    if (readings := entry.runtime_data.readings) is None:
        raise TypeError(f"{entry.title} has no LoRa devices")
    return readings


def lora_of(entry: IoTConnectivityConfigEntry) -> LoraCoordinator:
    """The LoRa coordinator of a KPN LoRa entry."""
    if (lora := entry.runtime_data.lora) is None:
        raise TypeError(f"{entry.title} has no LoRa devices")
    return lora


class LoraDeviceEntity(Entity):
    """An entity of a LoRa device about its uplinks: format, interval, reporting.

    Its state comes from :class:`LoraReadings`, not from the provider's API,
    so it stays available while the provider lists the device, whether or
    not the last poll worked.
    """

    _attr_has_entity_name = True
    _attr_should_poll = False

    def __init__(
        self,
        coordinator: LoraCoordinator,
        description: EntityDescription,
        item_id: str | None,
    ) -> None:
        """Bind the entity to its device (``item_id``: the DevEUI)."""
        entry = coordinator.config_entry
        self.coordinator = coordinator
        self.entity_description = description
        self.eui = item_id or ""
        self.readings = readings_of(entry)
        self._attr_unique_id = f"{entry.unique_id}_{self.eui}_{description.key}"
        self._attr_device_info = coordinator.device_info(item_id)

    @property
    def device(self) -> DeviceReadings:
        """What is known of the device's uplinks."""
        return self.readings.device(self.eui)

    @property
    @override
    def available(self) -> bool:
        return self.eui in self.coordinator.items

    @override
    async def async_added_to_hass(self) -> None:
        """Write the state when the device's reporting changes.

        Polls change nothing shown here; a device the provider drops is
        removed with its entities.
        """
        await super().async_added_to_hass()
        entry_id = self.coordinator.config_entry.entry_id
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass,
                reporting_signal(entry_id, self.eui),
                self.async_write_ha_state,
            )
        )


class LoraReadingEntity(Entity):
    """One reading of one LoRa device; its state changes when its value does.

    Always available: a device that sleeps keeps showing its last values
    (the *Reporting* binary sensor tells whether it is silent).
    """

    _attr_has_entity_name = True
    _attr_should_poll = False

    def __init__(
        self, entry: IoTConnectivityConfigEntry, eui: str, reading: Reading
    ) -> None:
        """Show ``reading`` of the device ``eui``, named by its kind (and channel)."""
        self._readings = readings_of(entry)
        self._eui = eui
        self._key = reading.key
        self._signal = reading_signal(entry.entry_id, eui, reading.key)
        self._attr_unique_id = f"{entry.unique_id}_{eui}_reading_{reading.key}"
        self._attr_device_info = lora_of(entry).device_info(eui)
        kind = kind_of(reading)
        self._kind = kind
        same_kind = [
            other
            for other in self._readings.device(eui).readings.values()
            if other.quantity == reading.quantity
        ]
        if len(same_kind) > 1:
            label = reading.channel if reading.channel is not None else reading.name
            self._attr_translation_key = f"{kind.translation_key}_channel"
            self._attr_translation_placeholders = {"channel": str(label or reading.key)}
        else:
            self._attr_translation_key = kind.translation_key

    @property
    def reading(self) -> Reading:
        """The reading's latest value."""
        return self._readings.device(self._eui).readings[self._key]

    async def async_added_to_hass(self) -> None:
        """Write the state each time the value changes."""
        await super().async_added_to_hass()
        self.async_on_remove(
            async_dispatcher_connect(self.hass, self._signal, self._async_changed)
        )

    @callback
    def _async_changed(self) -> None:
        """The value changed: show it."""
        self.async_write_ha_state()


@callback
def async_add_reading_entities(
    hass: HomeAssistant,
    entry: IoTConnectivityConfigEntry,
    platform: Platform,
    entity_class: Callable[[IoTConnectivityConfigEntry, str, Reading], Entity],
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the entities of ``platform``'s readings: the stored ones now, new ones later."""
    data = entry.runtime_data
    readings, lora = data.readings, data.lora
    if readings is None or lora is None:
        return

    registry = er.async_get(hass)

    @callback
    def async_add(eui: str, new: Iterable[Reading]) -> None:
        if eui not in lora.items:
            return
        entities = [
            entity_class(entry, eui, reading)
            for reading in new
            if kind_of(reading).platform is platform
        ]
        if not entities:
            return
        room = (
            MAX_ENABLED_ENTITIES_PER_CONFIG_ENTRY
            - READINGS_RESERVE
            - registry.entities.get_enabled_count_for_config_entry_id(entry.entry_id)
        )
        for entity in entities:
            if registry.async_get_entity_id(
                str(platform), DOMAIN, entity.unique_id or ""
            ):
                continue  # registered before: enabled or not as it was
            if room > 0:
                room -= 1
                continue
            entity._attr_entity_registry_enabled_default = False  # noqa: SLF001
            if not readings.warned_full:
                readings.warned_full = True
                LOGGER.warning(
                    "%s has nearly as many enabled entities as Home Assistant "
                    "allows per entry: new readings of its LoRa devices start "
                    "disabled; enable the ones you need",
                    entry.title,
                )
        async_add_entities(entities)

    for eui, device in list(readings.devices.items()):
        async_add(eui, list(device.readings.values()))
    entry.async_on_unload(
        async_dispatcher_connect(hass, new_readings_signal(entry.entry_id), async_add)
    )
