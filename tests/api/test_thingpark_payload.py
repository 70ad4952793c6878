"""ThingPark's decoded payload: points and payload objects become readings.

The uplinks are published examples, verbatim (tests/fixtures/thingpark,
sources in SOURCES.md there).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from custom_components.iot_connectivity.api.lrc import parse_uplink
from custom_components.iot_connectivity.api.reading_types import (
    Position,
    Quantity,
    Reading,
)
from custom_components.iot_connectivity.api.thingpark_payload import (
    decode_error,
    decoded_part,
    readings_from_decoded,
    snake,
)

FIXTURES = Path(__file__).parents[1] / "fixtures" / "thingpark"
Q = Quantity


def uplink(name: str) -> dict[str, Any]:
    """The ``DevEUI_uplink`` object of a fixture."""
    body: dict[str, dict[str, Any]] = json.loads(
        (FIXTURES / f"{name}.json").read_text("utf-8")
    )
    return body["DevEUI_uplink"]


def by_key(readings: list[Reading]) -> dict[str, tuple[Quantity | None, Any]]:
    return {reading.key: (reading.quantity, reading.value) for reading in readings}


def test_points_with_units_from_the_iot_flow_modbus_example() -> None:
    """Elsys points: every unit id maps to its quantity, mV becomes V."""
    readings = by_key(readings_from_decoded(decoded_part(uplink("iot_flow_modbus_points")) or {}))  # fmt: skip
    assert readings == {
        "temperature": (Q.TEMPERATURE, 19.4),
        "humidity": (Q.HUMIDITY, 46),
        "light": (Q.ILLUMINANCE, 43),
        "co2_level": (Q.CONCENTRATION, 43),
        "battery_voltage": (Q.VOLTAGE, pytest.approx(3.662)),
        "battery_level": (Q.BATTERY, 101.72),
    }


def test_points_are_preferred_over_the_payload_object() -> None:
    """The same uplink's payload has ``vdd`` and ``motion``: not read twice."""
    readings = readings_from_decoded(decoded_part(uplink("iot_flow_modbus_points")) or {})  # fmt: skip
    assert "vdd" not in by_key(readings)
    assert {reading.name for reading in readings} >= {"co2Level", "batteryLevel"}


def test_payload_object_walk_from_the_iot_flow_decoded_example() -> None:
    """Abeeway heartbeat without points: numbers, booleans, named quantities.

    Texts (``messageType``, ``firmwareVersion``), the raw ``payload`` hex and
    the radio metadata the driver repeats (``InstantPER``, ``DevAddr``,
    ``Frequency``, …) are not readings.
    """
    readings = readings_from_decoded(decoded_part(uplink("iot_flow_decoded_uplink")) or {})  # fmt: skip
    assert by_key(readings) == {
        "battery_voltage": (Q.VOLTAGE, 3.85),
        "reset_cause": (Q.ANALOG, 40),
        "periodic_position": (Q.STATE, False),
        "temperature": (Q.TEMPERATURE, 24.8),
        "user_action": (Q.ANALOG, 0),
        "app_state": (Q.ANALOG, 0),
        "moving": (Q.STATE, False),
        "on_demand": (Q.STATE, False),
    }


def test_gps_point_in_longitude_latitude_order_uses_the_named_pair() -> None:
    """The captured Abeeway uplink: ``location`` [-83.63, 32.59] is lon, lat.

    The payload names them (gpsLatitude 32.59, gpsLongitude -83.63), so the
    position is right, with the payload's horizontal accuracy.
    """
    readings = by_key(readings_from_decoded(decoded_part(uplink("abeeway_capture_points_location")) or {}))  # fmt: skip
    assert readings == {
        "temperature": (Q.TEMPERATURE, 24.8),
        "battery_voltage": (Q.VOLTAGE, 3.59),
        "location": (None, Position(32.5922048, -83.6326656, None, 7.84)),
        "accuracy": (Q.DISTANCE, 7.84),
        "age": (Q.DURATION, 80),
    }


def test_payload_walk_finds_the_named_position() -> None:
    """Without points the capture's payload gives one position reading."""
    payload = uplink("abeeway_capture_points_location")["payload"]
    readings = by_key(readings_from_decoded({"payload": payload}))
    assert readings["position"] == (None, Position(32.5922048, -83.6326656, None, 7.84))  # fmt: skip
    assert "gps_latitude" not in readings
    assert readings["temperature_measure"] == (Q.TEMPERATURE, 24.8)
    assert readings["periodic_position"] == (Q.STATE, True)


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        # ThingPark X IoT Flow driver guide, "Points extraction": location
        # [48.875158, 2.333822] (latitude first, Paris).
        ([48.875158, 2.333822], Position(48.875158, 2.333822)),
        # A first number beyond ±90 cannot be a latitude: the pair is lon, lat.
        ([-120.5, 35.25], Position(35.25, -120.5)),
        ([500, 500], None),
        (["a", 1], None),
        ([1, 2, 3], None),
        ("48.8,2.3", None),
    ],
)
def test_gps_point_without_a_named_pair(record: Any, expected: Position | None) -> None:
    points = {"location": {"unitId": "GPS", "record": record}}
    location = by_key(readings_from_decoded({"points": points})).get("location")
    assert location == (None if expected is None else (None, expected))


def test_timed_records_give_the_latest_value() -> None:
    """The driver guide's ``records`` example: 31.4, 31.2, 32 at 10, 11, 12h."""
    points = {
        "temperature": {
            "unitId": "Cel",
            "records": [
                {"eventTime": "2019-01-01T11:00:00+01:00", "value": 31.2},
                {"eventTime": "2019-01-01T12:00:00+01:00", "value": 32},
                {"eventTime": "2019-01-01T10:00:00+01:00", "value": 31.4},
            ],
        },
        "undated": {"records": [{"value": 1}, {"value": 2}]},
    }
    assert by_key(readings_from_decoded({"points": points})) == {
        "temperature": (Q.TEMPERATURE, 32),
        "undated": (Q.ANALOG, 2),
    }


@pytest.mark.parametrize(
    ("point", "expected"),
    [
        ({"unitId": "Pa", "record": 101325}, (Q.PRESSURE, 1013.25)),
        ({"unitId": "hPa", "record": "1013.2"}, (Q.PRESSURE, 1013.2)),
        ({"unitId": "Wh", "record": 1500}, (Q.ENERGY, 1.5)),
        ({"unitId": "kWh", "record": 2}, (Q.ENERGY, 2)),
        ({"unitId": "dBm", "record": -97}, (Q.SIGNAL_STRENGTH, -97)),
        ({"unitId": "W", "record": 60}, (Q.POWER, 60)),
        ({"unitId": "K", "record": 300}, (Q.TEMPERATURE, pytest.approx(26.85))),
        ({"unitId": "%", "record": 40}, (Q.PERCENTAGE, 40)),
        ({"unitId": "furlong", "record": 3}, (Q.ANALOG, 3)),
        ({"record": True}, (Q.STATE, True)),
        ({"type": "boolean", "record": "false"}, (Q.STATE, False)),
    ],
)
def test_point_units(point: dict[str, Any], expected: tuple[Quantity, Any]) -> None:
    assert by_key(readings_from_decoded({"points": {"reading": point}})) == {
        "reading": expected
    }


def test_altitude_in_metres_is_an_altitude_not_a_distance() -> None:
    points = {"altitude": {"unitId": "m", "record": 58}}
    assert by_key(readings_from_decoded({"points": points})) == {
        "altitude": (Q.ALTITUDE, 58)
    }


def test_nested_payload_paths_are_the_keys() -> None:
    payload = {
        "sensor": {"temperature": 21.5, "humidity": 40, "door": {"open": True}},
        "location": {"lat": 52.0907, "lon": 5.1214, "alt": 3},
        "batteryLevel": 87,
    }
    readings = by_key(readings_from_decoded({"payload": payload}))
    assert readings["sensor_temperature"] == (Q.TEMPERATURE, 21.5)
    assert readings["sensor_humidity"] == (Q.HUMIDITY, 40)
    assert readings["sensor_door_open"] == (Q.STATE, True)
    assert readings["location"] == (None, Position(52.0907, 5.1214, 3.0))
    assert readings["battery_level"] == (Q.BATTERY, 87)


DEEP: dict[str, Any] = {"level": 1}
for _ in range(12):
    DEEP = {"deeper": DEEP}


@pytest.mark.parametrize(
    "decoded",
    [
        {},
        {"points": [], "payload": "0102"},
        {"points": {"x": 1, "y": {"record": None}, 3: {}}},
        {"points": {"t": {"unitId": "Cel", "record": float("nan")}}},
        {"points": {"t": {"unitId": "Cel", "records": "nope"}}},
        {"payload": {"big": 10**400, "inf": float("inf"), "list": [1, 2]}},
        {"payload": DEEP},
    ],
)
def test_odd_shapes_are_accepted_and_skipped(decoded: dict[Any, Any]) -> None:
    assert readings_from_decoded(decoded) == []


def test_decode_error_and_parts_of_the_published_uplinks() -> None:
    failed = uplink("iot_flow_decode_error")
    assert decoded_part(failed) is None
    assert decode_error(failed) == "com-5002: driver internal error: Error: Invalid fPort!"  # fmt: skip
    assert decoded_part(uplink("iot_flow_original_uplink")) is None
    assert decode_error(uplink("iot_flow_original_uplink")) is None
    assert set(decoded_part(uplink("iot_flow_modbus_points")) or {}) == {
        "payload",
        "points",
    }


def test_parse_uplink_keeps_the_decoded_payload() -> None:
    parsed = parse_uplink({"DevEUI_uplink": uplink("abeeway_capture_points_location")})
    assert parsed.decoded is not None
    assert parsed.decoded["points"]["temperature"] == {"unitId": "Cel", "record": 24.8}
    assert parsed.encrypted is False
    assert parsed.decode_error is None


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("batteryLevel", "battery_level"),
        ("co2Level", "co2_level"),
        ("InstantPER", "instant_per"),
        ("Battery level (%)", "battery_level"),
        ("temperature", "temperature"),
    ],
)
def test_snake_keys(name: str, key: str) -> None:
    assert snake(name) == key
