"""The decoding seam: one uplink and its device's format in, readings out.

Shaped like Home Assistant's LoRaWAN platform (``lorawan-connection``): an
uplink is a device (DevEUI), an FPort, payload bytes and a time; a decoder
turns it into readings. See ``docs/lorawan.md``.
"""

from __future__ import annotations

import re

from .cayenne_lpp import decode as decode_cayenne_lpp
from .models import LoraUplink
from .reading_types import PayloadError, PayloadFormat, Reading
from .thingpark_payload import readings_from_decoded

_HEX_BYTES = re.compile(r"(?:[0-9A-Fa-f]{2})*")


def payload_bytes(uplink: LoraUplink) -> bytes:
    """The uplink's application payload as bytes, when it is plaintext.

    Raises :class:`PayloadError` ``encrypted`` when ThingPark delivered it
    encrypted for the application server (never read as plaintext), and
    ``not_hex`` when ``payload_hex`` is not hexadecimal.
    """
    if uplink.encrypted:
        raise PayloadError("encrypted", "The payload is encrypted for the AS")
    if not _HEX_BYTES.fullmatch(uplink.payload_hex):
        raise PayloadError("not_hex", "payload_hex is not whole bytes of hex")
    return bytes.fromhex(uplink.payload_hex)


def decode_uplink(uplink: LoraUplink, fmt: PayloadFormat) -> list[Reading]:
    """The readings of one uplink in its device's chosen format.

    - ``AUTOMATIC``: ThingPark's decoded payload when the uplink has one,
      else none;
    - ``CAYENNE_LPP``: the payload bytes as a Cayenne LPP frame;
    - ``NONE``: none.

    Raises :class:`PayloadError` (with its reason code) and nothing else; the
    uplink itself stays valid (its event still fires with the raw payload).
    """
    match fmt:
        case PayloadFormat.AUTOMATIC:
            if uplink.decoded is None:
                return []
            return readings_from_decoded(uplink.decoded)
        case PayloadFormat.CAYENNE_LPP:
            return decode_cayenne_lpp(payload_bytes(uplink))
    return []
