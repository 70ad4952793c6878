"""Realistic LoRa sensor payloads for the emulator's demo devices.

A small Cayenne LPP encoder (the published format: one channel byte, one type
byte, then the value big-endian at the type's resolution) and the ThingPark
decoded payload a device driver adds to an uplink. The emulator builds these
itself: it never borrows the integration's decoder, so a decoding mistake
there cannot hide behind the same mistake here.

Each :class:`DemoSensor` says what its next uplink carries; the values drift
a little at every uplink, as a real sensor's would.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import math
import random
from typing import Any

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

CAYENNE_PORT = 1
"""The FPort the demo's Cayenne devices send on (any port is allowed)."""
DRIVER_PORT = 2
"""The FPort of the device whose ThingPark driver decodes its payload."""

# Cayenne LPP type: (type byte, bytes, resolution, signed)
DIGITAL_INPUT = (0x00, 1, 1.0, False)
TEMPERATURE = (0x67, 2, 0.1, True)
HUMIDITY = (0x68, 1, 0.5, False)
PERCENTAGE = (0x78, 1, 1.0, False)
"""An extended type (120): a whole percentage, 0 to 100."""

type CayenneType = tuple[int, int, float, bool]


def cayenne(channel: int, kind: CayenneType, value: float) -> bytes:
    """Encode one channel's value as Cayenne LPP (big-endian, at its resolution)."""
    type_byte, size, resolution, signed = kind
    raw = round(value / resolution)
    return bytes((channel, type_byte)) + raw.to_bytes(size, "big", signed=signed)


def cayenne_gps(
    channel: int, latitude: float, longitude: float, altitude: float
) -> bytes:
    """Encode a Cayenne GPS location (type 0x88).

    Latitude and longitude in 0.0001° and altitude in 0.01 m, each a signed
    24-bit big-endian number.
    """
    values = (
        round(latitude * 10_000),
        round(longitude * 10_000),
        round(altitude * 100),
    )
    return bytes((channel, 0x88)) + b"".join(
        value.to_bytes(3, "big", signed=True) for value in values
    )


@dataclass(frozen=True, slots=True)
class SensorUplink:
    """What one uplink of a demo device carries."""

    port: int
    payload_hex: str
    decoded: dict[str, Any] | None = None
    """Fields a ThingPark driver adds to ``DevEUI_uplink`` (``payload``, ``points``)."""


@dataclass(slots=True, kw_only=True)
class DemoSensor:
    """A demo device and the state its uplinks report."""

    eui: str
    name: str
    kind: str
    """``climate``, ``tracker``, ``door`` or ``driver`` (ThingPark-decoded)."""
    rng: random.Random = field(default_factory=random.Random, repr=False)
    uplinks: int = 0
    temperature: float = 21.0
    humidity: float = 50.0
    battery: float = 97.0
    latitude: float = 52.0907
    longitude: float = 5.1214
    altitude: float = 4.0
    door_open: bool = False

    def next_uplink(self) -> SensorUplink:
        """The next uplink: the values drift, the door toggles, the tracker moves."""
        self.uplinks += 1
        rng = self.rng
        self.temperature = round(
            min(max(self.temperature + rng.uniform(-0.3, 0.3), -10.0), 35.0), 1
        )
        self.humidity = (
            round(min(max(self.humidity + rng.uniform(-1.0, 1.0), 20.0), 95.0) * 2) / 2
        )
        self.battery = max(self.battery - 0.05, 1.0)
        match self.kind:
            case "climate":
                return SensorUplink(
                    CAYENNE_PORT,
                    (
                        cayenne(1, TEMPERATURE, self.temperature)
                        + cayenne(2, HUMIDITY, self.humidity)
                        + cayenne(3, PERCENTAGE, int(self.battery))
                    ).hex(),
                )
            case "tracker":
                # A slow walk around the start: about 100 m at most.
                angle = self.uplinks / 5
                self.latitude = round(52.0907 + 0.0008 * math.sin(angle), 4)
                self.longitude = round(5.1214 + 0.0012 * math.cos(angle), 4)
                return SensorUplink(
                    CAYENNE_PORT,
                    cayenne_gps(1, self.latitude, self.longitude, self.altitude).hex(),
                )
            case "door":
                self.door_open = not self.door_open
                return SensorUplink(
                    CAYENNE_PORT, cayenne(1, DIGITAL_INPUT, int(self.door_open)).hex()
                )
            case _:
                return self._driver_uplink()

    def _driver_uplink(self) -> SensorUplink:
        """A vendor frame, with what the device's ThingPark driver decoded of it.

        The vendor frame: temperature in 0.01 °C (int16), humidity in 0.5 %
        (uint8), battery in mV (uint16), all big-endian.
        """
        millivolts = round(3000 + 6 * self.battery)
        frame = (
            round(self.temperature * 100).to_bytes(2, "big", signed=True)
            + round(self.humidity * 2).to_bytes(1, "big")
            + millivolts.to_bytes(2, "big")
        )
        volts = millivolts / 1000
        return SensorUplink(
            DRIVER_PORT,
            frame.hex(),
            decoded={
                "payload": {
                    "messageType": "periodicMeasurement",
                    "temperature": self.temperature,
                    "humidity": self.humidity,
                    "batteryVoltage": volts,
                },
                "points": {
                    "temperature": {"unitId": "Cel", "record": self.temperature},
                    "humidity": {"unitId": "%RH", "record": self.humidity},
                    "batteryVoltage": {"unitId": "V", "record": volts},
                },
            },
        )


DEMO_SENSORS: tuple[tuple[str, str, str], ...] = (
    ("70B3D5E75E100001", "Living room climate", "climate"),
    ("70B3D5E75E100002", "Bike tracker", "tracker"),
    ("70B3D5E75E100003", "Front door", "door"),
    ("70B3D5E75E100004", "Cellar climate", "driver"),
)
"""The demo devices: DevEUI, name and what they send."""
CAYENNE_SENSORS: tuple[str, ...] = tuple(
    eui for eui, _, kind in DEMO_SENSORS if kind != "driver"
)
"""The demo devices whose payload is Cayenne LPP (their format must be chosen)."""


def lorawan_encrypt(
    payload: bytes, app_s_key: bytes, dev_addr: str, fcnt_up: int
) -> bytes:
    """Encrypt an uplink's FRMPayload as LoRaWAN does (AES-128, counter blocks).

    Block ``i`` is ``01 00000000 00 DevAddr(LE) FCnt(LE, 32 bit) 00 i``; the
    payload is XORed with their AES encryptions. Encrypting again decrypts.
    """
    aes = Cipher(algorithms.AES(app_s_key), modes.ECB()).encryptor()  # noqa: S305 - LoRaWAN's own construction
    address = bytes.fromhex(dev_addr)[::-1]
    stream = b"".join(
        aes.update(
            b"\x01\x00\x00\x00\x00\x00"
            + address
            + fcnt_up.to_bytes(4, "little")
            + b"\x00"
            + bytes((block,))
        )
        for block in range(1, len(payload) // 16 + 2)
    )
    return bytes(a ^ b for a, b in zip(payload, stream, strict=False))


def wrap_session_key(app_s_key: bytes, as_key: bytes) -> str:
    """The AppSKey encrypted with the Application Server Key, as hex.

    AES-CBC with a zero IV over the one 16-byte block, as Actility's published
    reference code for its tunnel interface unwraps it.
    """
    aes = Cipher(algorithms.AES(as_key), modes.CBC(bytes(16))).encryptor()
    return (aes.update(app_s_key) + aes.finalize()).hex()
