"""ThingPark's decoded payload: what a device driver adds to an uplink.

When a driver is attached to a device, ThingPark (X IoT Flow) adds to the
``DevEUI_uplink`` object:

- ``payload``: the driver's decoded object, any JSON (e.g. Abeeway's
  ``{"messageType": "HEARTBEAT", "batteryVoltage": 3.85, "temperature": 24.8,
  …}``), sometimes with a copy of uplink metadata and the raw ``payload`` hex;
- ``points``: the driver's extracted points, ``{name: {"unitId": "Cel",
  "type": "double", "record": 19.4}}``, or ``records`` (``[{"eventTime",
  "value"}]``) for several timed values; a location point has ``unitId``
  ``GPS`` and a two-number ``record``;
- ``payloadDecodedError`` ``{code, message}`` instead, when decoding failed.

This module is the one place that knows that shape. Points come first (they
carry units); without them the ``payload`` object is walked and its numbers,
booleans and latitude/longitude pairs become readings, with quantities
guessed from well-known field names. Unknown and missing fields are skipped;
nothing here raises.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
import math
import re
from typing import Any

from ._parse import opt_datetime, opt_float, opt_mapping, opt_str
from .reading_types import Position, Quantity, Reading

POINTS = "points"
PAYLOAD = "payload"
DECODE_ERROR = "payloadDecodedError"
DECODED_KEYS = (POINTS, PAYLOAD, DECODE_ERROR)
"""The ``DevEUI_uplink`` fields a driver adds; :func:`decoded_part` keeps them."""

_GPS_UNIT = "GPS"
_MAX_DEPTH = 8
"""How deep the payload walk goes; decoded payloads are a few levels deep."""
_LARGEST_EXACT_INT = 2**53

_PAYLOAD_METADATA = frozenset(
    {
        "payload",
        "ackToken",
        "InstantPER",
        "MeanPER",
        "DevAddr",
        "AckRequested",
        "rawMacCommands",
        "TxPower",
        "NbTrans",
        "Frequency",
        "DynamicClass",
    }
)
"""Fields of a decoded ``payload`` that repeat the uplink's radio metadata or
protocol bookkeeping (ThingPark's own example shows them): not readings."""

_LATITUDE = ("latitude", "lat", "gps_latitude")
_LONGITUDE = ("longitude", "lon", "lng", "long", "gps_longitude")
_ALTITUDE = ("altitude", "alt", "gps_altitude")
_ACCURACY = ("accuracy", "horizontal_accuracy")


@dataclass(frozen=True, slots=True)
class _Unit:
    """A ThingPark ``unitId``: what it measures and the factor to our unit."""

    quantity: Quantity
    factor: float = 1
    divisor: float = 1
    """Divided rather than multiplied by 0.001: 3662 mV is exactly 3.662 V."""
    offset: float = 0


_UNITS: dict[str, _Unit] = {
    "Cel": _Unit(Quantity.TEMPERATURE),
    "K": _Unit(Quantity.TEMPERATURE, offset=-273.15),
    "%RH": _Unit(Quantity.HUMIDITY),
    "V": _Unit(Quantity.VOLTAGE),
    "mV": _Unit(Quantity.VOLTAGE, divisor=1000),
    "A": _Unit(Quantity.CURRENT),
    "mA": _Unit(Quantity.CURRENT, divisor=1000),
    "W": _Unit(Quantity.POWER),
    "kW": _Unit(Quantity.POWER, 1000),
    "Wh": _Unit(Quantity.ENERGY, divisor=1000),
    "kWh": _Unit(Quantity.ENERGY),
    "hPa": _Unit(Quantity.PRESSURE),
    "mbar": _Unit(Quantity.PRESSURE),
    "Pa": _Unit(Quantity.PRESSURE, divisor=100),
    "kPa": _Unit(Quantity.PRESSURE, 10),
    "bar": _Unit(Quantity.PRESSURE, 1000),
    "lx": _Unit(Quantity.ILLUMINANCE),
    "ppm": _Unit(Quantity.CONCENTRATION),
    "dBm": _Unit(Quantity.SIGNAL_STRENGTH),
    "Hz": _Unit(Quantity.FREQUENCY),
    "m": _Unit(Quantity.DISTANCE),
    "cm": _Unit(Quantity.DISTANCE, divisor=100),
    "mm": _Unit(Quantity.DISTANCE, divisor=1000),
    "km": _Unit(Quantity.DISTANCE, 1000),
    "s": _Unit(Quantity.DURATION),
    "min": _Unit(Quantity.DURATION, 60),
    "h": _Unit(Quantity.DURATION, 3600),
    "m/s": _Unit(Quantity.SPEED),
    "km/h": _Unit(Quantity.SPEED, divisor=3.6),
    "l": _Unit(Quantity.VOLUME),
    "L": _Unit(Quantity.VOLUME),
    "m3": _Unit(Quantity.VOLUME, 1000),
    "l/min": _Unit(Quantity.VOLUME_FLOW_RATE),
    "kg": _Unit(Quantity.MASS),
    "deg": _Unit(Quantity.DIRECTION),
    "%": _Unit(Quantity.PERCENTAGE),
}
"""ThingPark's unit ids (its ontology follows oBIX) that have a quantity here."""

_NAMED: tuple[tuple[frozenset[str], Quantity], ...] = (
    (frozenset({"temperature", "temp"}), Quantity.TEMPERATURE),
    (frozenset({"humidity"}), Quantity.HUMIDITY),
    (frozenset({"voltage"}), Quantity.VOLTAGE),
    (frozenset({"battery"}), Quantity.BATTERY),
    (frozenset({"pressure", "barometer"}), Quantity.PRESSURE),
    (frozenset({"light", "illuminance", "luminosity", "lux"}), Quantity.ILLUMINANCE),
    (frozenset({"co2"}), Quantity.CONCENTRATION),
    (frozenset({"altitude"}), Quantity.ALTITUDE),
    (frozenset({"rssi"}), Quantity.SIGNAL_STRENGTH),
)
"""Words in a field name that say what a number measures, first match wins:
``batteryVoltage`` is a voltage, ``batteryLevel`` a state of charge. A guessed
quantity assumes the drivers' usual units (°C, %, V, hPa, lx, ppm, m)."""

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_NOT_WORD = re.compile(r"[^0-9a-z]+")


def snake(name: str) -> str:
    """``batteryLevel`` → ``battery_level``: the stable form of a field name."""
    return _NOT_WORD.sub("_", _CAMEL.sub("_", name).lower()).strip("_")


def _number(value: Any) -> int | float | None:
    """A finite JSON number, kept an int when it is one; booleans are not numbers."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, int):
        return value if abs(value) <= _LARGEST_EXACT_INT else None
    return value if math.isfinite(value) else None


def _state(value: Any) -> bool | None:
    """A boolean, or the text ``true``/``false`` that some drivers send."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


def _named_quantity(name: str) -> Quantity | None:
    words = set(snake(name).split("_"))
    for names, quantity in _NAMED:
        if words & names:
            return quantity
    return None


def _in_range(latitude: float, longitude: float) -> bool:
    return abs(latitude) <= 90 and abs(longitude) <= 180  # noqa: PLR2004 - degrees


def _pick(fields: Mapping[str, Any], names: tuple[str, ...]) -> float | None:
    for key, value in fields.items():
        if isinstance(key, str) and snake(key) in names:
            return opt_float(value)
    return None


def _position_in(fields: Mapping[str, Any]) -> Position | None:
    """A latitude/longitude pair among one object's fields, with its extras."""
    latitude, longitude = _pick(fields, _LATITUDE), _pick(fields, _LONGITUDE)
    if latitude is None or longitude is None or not _in_range(latitude, longitude):
        return None
    return Position(
        latitude, longitude, _pick(fields, _ALTITUDE), _pick(fields, _ACCURACY)
    )


def _is_coordinate(key: str) -> bool:
    return snake(key) in _LATITUDE + _LONGITUDE


class _Collector:
    """Readings by key: the first of a key wins, later duplicates are dropped."""

    def __init__(self) -> None:
        self.found: dict[str, Reading] = {}

    def add(self, key: str, quantity: Quantity | None, value: Any, name: str) -> None:
        if key and key not in self.found:
            self.found[key] = Reading(key, quantity, value, name=name)

    def add_value(self, path: tuple[str, ...], value: Any) -> None:
        """A number or on/off value of the payload walk."""
        key, name = "_".join(snake(part) for part in path), path[-1]
        state = _state(value)
        if state is not None:
            self.add(key, Quantity.STATE, state, name)
            return
        number = _number(value)
        if number is not None:
            self.add(key, _named_quantity(name) or Quantity.ANALOG, number, name)


def _walk(
    fields: Mapping[str, Any], path: tuple[str, ...], collect: _Collector
) -> None:
    if len(path) > _MAX_DEPTH:
        return
    position = _position_in(fields)
    if position is not None:
        key = "_".join(snake(part) for part in path) or "position"
        collect.add(key, None, position, path[-1] if path else "position")
    for key, value in fields.items():
        if not isinstance(key, str) or key in _PAYLOAD_METADATA:
            continue
        if position is not None and _is_coordinate(key):
            continue
        if isinstance(value, Mapping):
            _walk(value, (*path, key), collect)
        else:
            collect.add_value((*path, key), value)


def _point_record(point: Mapping[str, Any]) -> Any:
    """A point's value: ``record``, else the latest of its timed ``records``."""
    if "record" in point:
        return point["record"]
    records = point.get("records")
    if not isinstance(records, list):
        return None
    timed = [item for item in records if isinstance(item, Mapping) and "value" in item]
    if not timed:
        return None

    def moment(item: Mapping[str, Any]) -> float:
        event_time = opt_datetime(item.get("eventTime"))
        return event_time.timestamp() if event_time else -math.inf

    # max() keeps the first of equals: reversed, an undated list gives its last.
    return max(reversed(timed), key=moment)["value"]


def _point_position(
    record: Any, payload_position: Position | None, extras: Mapping[str, Any]
) -> Position | None:
    """A GPS point's position.

    ThingPark's driver guide says ``[latitude, longitude]``, but a published
    Abeeway capture carries ``[longitude, latitude]``: a latitude/longitude
    pair named in the decoded payload settles it; else the guide's order,
    swapped when the first number cannot be a latitude.
    """
    if payload_position is not None:
        return payload_position
    if not isinstance(record, list) or len(record) != 2:  # noqa: PLR2004 - a pair
        return None
    first, second = opt_float(record[0]), opt_float(record[1])
    if first is None or second is None:
        return None
    latitude, longitude = (second, first) if abs(first) > 90 else (first, second)  # noqa: PLR2004
    if not _in_range(latitude, longitude):
        return None
    return Position(
        latitude,
        longitude,
        opt_float(opt_mapping(extras.get("altitude")).get("record")),
        opt_float(opt_mapping(extras.get("accuracy")).get("record")),
    )


def _point_quantity(name: str, unit_id: str | None) -> tuple[Quantity, _Unit | None]:
    """The quantity of a point from its unit id, then its name."""
    named = _named_quantity(name)
    unit = _UNITS.get(unit_id) if unit_id else None
    if unit is None:
        return named or Quantity.ANALOG, None
    if unit.quantity is Quantity.PERCENTAGE and named in (
        Quantity.BATTERY,
        Quantity.HUMIDITY,
    ):
        return named, unit
    if unit.quantity is Quantity.DISTANCE and named is Quantity.ALTITUDE:
        return Quantity.ALTITUDE, unit
    return unit.quantity, unit


def _add_point(
    collect: _Collector,
    name: str,
    point: Mapping[str, Any],
    points: Mapping[str, Any],
    payload_position: Position | None,
) -> None:
    record = _point_record(point)
    unit_id = opt_str(point.get("unitId"))
    key = snake(name)
    if unit_id == _GPS_UNIT:
        position = _point_position(record, payload_position, points)
        if position is not None:
            collect.add(key, None, position, name)
        return
    state = _state(record)
    if state is not None:
        collect.add(key, Quantity.STATE, state, name)
        return
    number = opt_float(record) if isinstance(record, str) else _number(record)
    if number is None:
        return
    quantity, unit = _point_quantity(name, unit_id)
    if unit is not None and (unit.factor != 1 or unit.divisor != 1 or unit.offset):
        number = number * unit.factor / unit.divisor + unit.offset
    if math.isfinite(number):
        collect.add(key, quantity, number, name)


def readings_from_decoded(decoded: Mapping[str, Any]) -> list[Reading]:
    """Readings from a driver's decoded uplink (``points`` and/or ``payload``).

    Keys are the snake-cased point name or payload field path
    (``battery_level``, ``sensor_temperature``); a position found among the
    payload's fields is keyed by the path of the object holding it
    (``position`` at the top). Never raises.
    """
    collect = _Collector()
    payload = opt_mapping(decoded.get(PAYLOAD))
    points = opt_mapping(decoded.get(POINTS))
    if points:
        payload_position = _position_in(payload)
        for name, point in points.items():
            if isinstance(name, str) and isinstance(point, Mapping):
                _add_point(collect, name, point, points, payload_position)
    if not collect.found:
        _walk(payload, (), collect)
    return list(collect.found.values())


def decoded_part(uplink: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The driver's fields of a ``DevEUI_uplink`` object, or None without any."""
    part = {
        key: uplink[key]
        for key in (POINTS, PAYLOAD)
        if isinstance(uplink.get(key), Mapping)
    }
    return part or None


def decode_error(uplink: Mapping[str, Any]) -> str | None:
    """The driver's ``payloadDecodedError`` as ``code: message``, if any."""
    error = opt_mapping(uplink.get(DECODE_ERROR))
    code, message = opt_str(error.get("code")), opt_str(error.get("message"))
    if code is None and message is None:
        return None
    return ": ".join(part for part in (code, message) if part)
