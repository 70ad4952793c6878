"""What a decoded LoRa uplink yields: readings, positions and decoding errors.

The decoders (:mod:`.cayenne_lpp`, :mod:`.thingpark_payload`) produce these;
the Home Assistant side turns them into entities. Nothing here knows about
Home Assistant: a :class:`Quantity` says what was measured, and the Home
Assistant side maps it to a device class and unit.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class PayloadFormat(StrEnum):
    """How a device's uplink payload is decoded, chosen per device."""

    AUTOMATIC = "automatic"
    """ThingPark's decoded payload when the uplink has one, else nothing."""
    CAYENNE_LPP = "cayenne_lpp"
    NONE = "none"


class Quantity(StrEnum):
    """What a reading measures; each has one unit, given in :data:`UNITS`."""

    TEMPERATURE = "temperature"
    HUMIDITY = "humidity"
    PRESSURE = "pressure"
    ILLUMINANCE = "illuminance"
    VOLTAGE = "voltage"
    CURRENT = "current"
    POWER = "power"
    ENERGY = "energy"
    FREQUENCY = "frequency"
    DISTANCE = "distance"
    ALTITUDE = "altitude"
    CONCENTRATION = "concentration"
    """Parts per million (CO2 and similar)."""
    BATTERY = "battery"
    """State of charge in percent."""
    PERCENTAGE = "percentage"
    DIRECTION = "direction"
    """Degrees from north."""
    ACCELERATION = "acceleration"
    """One axis, in g."""
    ANGULAR_VELOCITY = "angular_velocity"
    """One axis, in degrees per second."""
    SIGNAL_STRENGTH = "signal_strength"
    DURATION = "duration"
    SPEED = "speed"
    VOLUME = "volume"
    VOLUME_FLOW_RATE = "volume_flow_rate"
    MASS = "mass"
    ANALOG = "analog"
    """A number without a unit (Cayenne analog input/output, generic)."""
    TIMESTAMP = "timestamp"
    """A moment, as a Unix time in seconds."""
    COLOUR = "colour"
    """An RGB colour as ``#rrggbb`` text."""
    STATE = "state"
    """On or off: digital input/output, presence, switch, door contact."""
    TEXT = "text"


UNITS: dict[Quantity, str | None] = {
    Quantity.TEMPERATURE: "°C",
    Quantity.HUMIDITY: "%",
    Quantity.PRESSURE: "hPa",
    Quantity.ILLUMINANCE: "lx",
    Quantity.VOLTAGE: "V",
    Quantity.CURRENT: "A",
    Quantity.POWER: "W",
    Quantity.ENERGY: "kWh",
    Quantity.FREQUENCY: "Hz",
    Quantity.DISTANCE: "m",
    Quantity.ALTITUDE: "m",
    Quantity.CONCENTRATION: "ppm",
    Quantity.BATTERY: "%",
    Quantity.PERCENTAGE: "%",
    Quantity.DIRECTION: "°",
    Quantity.ACCELERATION: "g",
    Quantity.ANGULAR_VELOCITY: "°/s",
    Quantity.SIGNAL_STRENGTH: "dBm",
    Quantity.DURATION: "s",
    Quantity.SPEED: "m/s",
    Quantity.VOLUME: "L",
    Quantity.VOLUME_FLOW_RATE: "L/min",
    Quantity.MASS: "kg",
    Quantity.ANALOG: None,
    Quantity.TIMESTAMP: None,
    Quantity.COLOUR: None,
    Quantity.STATE: None,
    Quantity.TEXT: None,
}
"""The unit each quantity's value is in; decoders convert to it."""


@dataclass(frozen=True, slots=True)
class Position:
    """A GPS fix."""

    latitude: float
    longitude: float
    altitude: float | None = None
    """Metres above sea level."""
    accuracy: float | None = None
    """Metres, when the payload says."""


type ReadingValue = float | int | bool | str | Position


@dataclass(frozen=True, slots=True)
class Reading:
    """One value from one uplink.

    ``key`` is stable for the same channel of the same device across uplinks
    and restarts (e.g. ``temperature_1`` for Cayenne channel 1, or the
    ThingPark field path ``temperature`` / ``battery_level``); it becomes part
    of an entity's unique id. ``value`` is in :data:`UNITS` of ``quantity``;
    a :class:`Position` has quantity ``None``.
    """

    key: str
    quantity: Quantity | None
    value: ReadingValue
    channel: int | None = None
    """The Cayenne LPP channel, if any."""
    name: str | None = None
    """A label from the payload (ThingPark field name), if any."""


class PayloadError(ValueError):
    """A payload that cannot be decoded in the chosen format.

    ``reason`` is a stable code: ``truncated``, ``unknown_type``,
    ``wrong_size``, ``encrypted``, ``not_hex`` or ``invalid``.
    """

    def __init__(self, reason: str, message: str) -> None:
        """Keep the reason code."""
        super().__init__(message)
        self.reason = reason
