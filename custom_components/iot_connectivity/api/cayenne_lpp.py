"""Cayenne Low Power Payload (LPP): frames of channel, type and value.

A frame is a run of records ``channel (1 byte) | type (1 byte) | data``; the
type fixes the data's size, resolution and sign (big-endian). The types are
myDevices' standard set (digital and analog input and output, illuminance,
presence, temperature, humidity, accelerometer, barometer, gyrometer, GPS)
and the extended types of the ElectronicCats CayenneLPP library, which
ChirpStack decodes too (generic, voltage, current, frequency, percentage,
altitude, concentration, power, distance, energy, direction, Unix time,
colour, switch).

Each value becomes a :class:`Reading` in the unit of :data:`UNITS`, keyed
``<name>_<channel>`` (``temperature_3``; three-axis types add the axis,
``acceleration_x_6``; a GPS fix is one :class:`Position` reading, ``gps_1``).
A frame that is not well formed raises :class:`PayloadError` and yields no
reading at all: half a frame is not trusted.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from .reading_types import PayloadError, Position, Quantity, Reading

MAX_FRAME_BYTES = 242
"""The largest LoRaWAN application payload; a longer frame came from elsewhere."""


class _Kind(StrEnum):
    """How a type's data turns into readings."""

    NUMBER = "number"
    STATE = "state"
    AXES = "axes"
    GPS = "gps"
    COLOUR = "colour"


@dataclass(frozen=True, slots=True)
class LppType:
    """One Cayenne LPP data type: its published size, resolution and sign."""

    name: str
    """The key prefix of its readings."""
    size: int
    """Data bytes after the channel and type bytes."""
    divisor: int = 1
    """Raw value / divisor = value in the quantity's unit."""
    signed: bool = False
    quantity: Quantity | None = None
    kind: _Kind = _Kind.NUMBER


TYPES: dict[int, LppType] = {
    # myDevices' standard set (IPSO object id - 3200).
    0: LppType("digital_input", 1, quantity=Quantity.STATE, kind=_Kind.STATE),
    1: LppType("digital_output", 1, quantity=Quantity.STATE, kind=_Kind.STATE),
    2: LppType("analog_input", 2, 100, signed=True, quantity=Quantity.ANALOG),
    3: LppType("analog_output", 2, 100, signed=True, quantity=Quantity.ANALOG),
    101: LppType("illuminance", 2, quantity=Quantity.ILLUMINANCE),
    102: LppType("presence", 1, quantity=Quantity.STATE, kind=_Kind.STATE),
    103: LppType("temperature", 2, 10, signed=True, quantity=Quantity.TEMPERATURE),
    104: LppType("humidity", 1, 2, quantity=Quantity.HUMIDITY),
    113: LppType(
        "acceleration",
        6,
        1000,
        signed=True,
        quantity=Quantity.ACCELERATION,
        kind=_Kind.AXES,
    ),
    115: LppType("pressure", 2, 10, quantity=Quantity.PRESSURE),
    134: LppType(
        "angular_velocity",
        6,
        100,
        signed=True,
        quantity=Quantity.ANGULAR_VELOCITY,
        kind=_Kind.AXES,
    ),
    136: LppType("gps", 9, signed=True, kind=_Kind.GPS),
    # The extended types of the ElectronicCats library.
    100: LppType("generic", 4, quantity=Quantity.ANALOG),
    116: LppType("voltage", 2, 100, quantity=Quantity.VOLTAGE),
    117: LppType("current", 2, 1000, quantity=Quantity.CURRENT),
    118: LppType("frequency", 4, quantity=Quantity.FREQUENCY),
    120: LppType("percentage", 1, quantity=Quantity.PERCENTAGE),
    121: LppType("altitude", 2, signed=True, quantity=Quantity.ALTITUDE),
    125: LppType("concentration", 2, quantity=Quantity.CONCENTRATION),
    128: LppType("power", 2, quantity=Quantity.POWER),
    130: LppType("distance", 4, 1000, quantity=Quantity.DISTANCE),
    131: LppType("energy", 4, 1000, quantity=Quantity.ENERGY),
    132: LppType("direction", 2, quantity=Quantity.DIRECTION),
    133: LppType("unix_time", 4, quantity=Quantity.TIMESTAMP),
    135: LppType("colour", 3, quantity=Quantity.COLOUR, kind=_Kind.COLOUR),
    142: LppType("switch", 1, quantity=Quantity.STATE, kind=_Kind.STATE),
}
"""Every type this decoder knows, by its type byte.

Energy is published in 0.001 kWh steps, so it arrives in kWh already. Voltage
and current are unsigned as published; a 2025 change of the ElectronicCats
encoder writes them signed, which only differs above 327.67 V / 32.767 A.
"""

_AXES = ("x", "y", "z")
_GPS_PART_BYTES = 3
_GPS_ALTITUDE_DIVISOR = 100
_GPS_DEGREE_DIVISOR = 10_000


def _number(data: bytes, lpp_type: LppType) -> int | float:
    """A big-endian field as its value: an int when the resolution is 1."""
    raw = int.from_bytes(data, "big", signed=lpp_type.signed)
    return raw if lpp_type.divisor == 1 else raw / lpp_type.divisor


def _position(data: bytes, key: str) -> Position:
    """Latitude and longitude in 0.0001°, altitude in 0.01 m, all signed."""
    lat, lon, alt = (
        int.from_bytes(data[i : i + _GPS_PART_BYTES], "big", signed=True)
        for i in range(0, 9, _GPS_PART_BYTES)
    )
    latitude, longitude = lat / _GPS_DEGREE_DIVISOR, lon / _GPS_DEGREE_DIVISOR
    if abs(latitude) > 90 or abs(longitude) > 180:  # noqa: PLR2004 - degrees
        raise PayloadError("invalid", f"{key}: no position on Earth")
    return Position(latitude, longitude, alt / _GPS_ALTITUDE_DIVISOR)


def _readings(channel: int, lpp_type: LppType, data: bytes) -> list[Reading]:
    """The readings of one record."""
    key = f"{lpp_type.name}_{channel}"
    match lpp_type.kind:
        case _Kind.STATE:
            return [Reading(key, lpp_type.quantity, data[0] != 0, channel)]
        case _Kind.AXES:
            step = lpp_type.size // len(_AXES)
            return [
                Reading(
                    f"{lpp_type.name}_{axis}_{channel}",
                    lpp_type.quantity,
                    _number(data[i * step : (i + 1) * step], lpp_type),
                    channel,
                )
                for i, axis in enumerate(_AXES)
            ]
        case _Kind.GPS:
            return [Reading(key, None, _position(data, key), channel)]
        case _Kind.COLOUR:
            return [Reading(key, lpp_type.quantity, f"#{data.hex()}", channel)]
    return [Reading(key, lpp_type.quantity, _number(data, lpp_type), channel)]


def decode(payload: bytes) -> list[Reading]:
    """Decode a Cayenne LPP frame into readings, in frame order.

    An empty frame has no readings. A channel that repeats a type keeps its
    last value. Raises :class:`PayloadError` (``truncated``,
    ``unknown_type``, ``wrong_size`` or ``invalid``) and nothing else.
    """
    if len(payload) > MAX_FRAME_BYTES:
        raise PayloadError(
            "wrong_size", f"{len(payload)} bytes is more than a LoRaWAN frame holds"
        )
    found: dict[str, Reading] = {}
    offset = 0
    while offset < len(payload):
        if offset + 2 > len(payload):
            raise PayloadError("truncated", f"byte {offset}: a channel without a type")
        channel, type_byte = payload[offset], payload[offset + 1]
        lpp_type = TYPES.get(type_byte)
        if lpp_type is None:
            raise PayloadError("unknown_type", f"byte {offset + 1}: type {type_byte}")
        start, offset = offset + 2, offset + 2 + lpp_type.size
        if offset > len(payload):
            raise PayloadError(
                "truncated",
                f"byte {start}: {lpp_type.name} needs {lpp_type.size} bytes,"
                f" {len(payload) - start} left",
            )
        for reading in _readings(channel, lpp_type, payload[start:offset]):
            found[reading.key] = reading
    return list(found.values())
