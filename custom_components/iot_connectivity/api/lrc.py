"""ThingPark LRC signing: downlink queries, uplink tokens and uplink parsing.

Pure functions, no HTTP. Both directions are authenticated with the AS key of
the routing profile's route (``asId`` / ``asKey``):

- a downlink's ``Token`` is the lowercase hex SHA-256 of its query string up to
  ``&Token`` (exactly as sent, unescaped) followed directly by the AS key;
- an uplink's ``Token`` is the SHA-256 of ``CustomerID + DevEUI + FPort +
  FCntUp + payload_hex`` from the body, then the query string
  ``LrnDevEui=…&LrnFPort=…&LrnInfos=…&AS_ID=…&Time=…``, then the AS key.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
import hashlib
import hmac
import re
from typing import Any
from urllib.parse import quote, unquote

from ._parse import (
    as_mapping,
    opt_bool,
    opt_datetime,
    opt_float,
    opt_int,
    opt_mapping,
    opt_str,
    require_str,
)
from .errors import InvalidRequestError
from .models import LoraUplink
from .thingpark_payload import decode_error, decoded_part

MIN_PORT, MAX_PORT = 1, 223
"""The LoRaWAN application ports a downlink may use."""
MAX_PAYLOAD_BYTES = 242
"""The largest LoRaWAN application payload (EU868, fastest data rate)."""

TOKEN_PARAMETER = "Token"  # noqa: S105 - a parameter name, not a secret
UPLINK_QUERY_KEYS = ("LrnDevEui", "LrnFPort", "LrnInfos", "AS_ID", "Time")
"""The uplink query parameters the uplink Token covers, in signing order."""
_UPLINK_BODY_KEYS = ("CustomerID", "DevEUI", "FPort", "FCntUp", "payload_hex")
"""The uplink body fields the uplink Token covers, in signing order."""

_HEX = re.compile(r"[0-9A-Fa-f]*")
_EUI = re.compile(r"[0-9A-Fa-f]{16}")
_QUERY_SAFE = ":"
"""Sent literally; ``+`` in a time offset must be escaped or it reads as a space."""


class DownlinkValidationError(InvalidRequestError):
    """A downlink the LRC would refuse, caught before sending.

    ``reason`` is a stable code: ``eui``, ``port``, ``payload_hex``,
    ``payload_odd``, ``payload_too_long``, ``fcnt_down`` or ``not_configured``.
    """

    def __init__(self, reason: str, message: str) -> None:
        """Keep the reason code for a translated message."""
        super().__init__(message)
        self.reason = reason


def normalize_eui(eui: str) -> str:
    """Return a DevEUI as 16 upper-case hex digits, or raise DownlinkValidationError."""
    candidate = eui.strip()
    if not _EUI.fullmatch(candidate):
        raise DownlinkValidationError("eui", "A DevEUI is 16 hexadecimal digits")
    return candidate.upper()


def validate_downlink(payload_hex: str, port: int, fcnt_down: int | None) -> None:
    """Refuse what the LRC would refuse: port, payload shape and size, FCntDn."""
    if not MIN_PORT <= port <= MAX_PORT:
        raise DownlinkValidationError(
            "port", f"FPort must be between {MIN_PORT} and {MAX_PORT}"
        )
    if not _HEX.fullmatch(payload_hex):
        raise DownlinkValidationError("payload_hex", "The payload must be hexadecimal")
    if len(payload_hex) % 2:
        raise DownlinkValidationError(
            "payload_odd", "The payload must have an even number of hex digits"
        )
    if len(payload_hex) // 2 > MAX_PAYLOAD_BYTES:
        raise DownlinkValidationError(
            "payload_too_long", f"The payload is longer than {MAX_PAYLOAD_BYTES} bytes"
        )
    if fcnt_down is not None and fcnt_down < 0:
        raise DownlinkValidationError("fcnt_down", "FCntDn must not be negative")


def format_time(moment: datetime) -> str:
    """ISO 8601 with milliseconds and offset (naive means UTC).

    E.g. ``2016-08-01T09:06:06.000+02:00``.
    """
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.isoformat(timespec="milliseconds")


def sign(query_without_token: str, as_key: str) -> str:
    """Compute the Token of a query string (unescaped, without ``&Token``)."""
    return hashlib.sha256(f"{query_without_token}{as_key}".encode()).hexdigest()


def _joined(params: Sequence[tuple[str, str]], *, escape: bool) -> str:
    """Join ``k=v&…`` in the given order, values percent-escaped when sent."""
    return "&".join(
        f"{key}={quote(value, safe=_QUERY_SAFE) if escape else value}"
        for key, value in params
    )


def downlink_query(
    *,
    dev_eui: str,
    port: int,
    payload_hex: str,
    as_id: str,
    as_key: str,
    time: datetime,
    fcnt_down: int | None = None,
    confirmed: bool = False,
    flush_queue: bool = False,
) -> str:
    """Build the signed query string of an LRC downlink, escaped as it is sent.

    Order: DevEUI, FPort, Payload, [FCntDn], [Confirmed], [FlushDownlinkQueue],
    AS_ID, Time, Token. The optional flags are sent only when set.
    """
    params = [("DevEUI", dev_eui), ("FPort", str(port)), ("Payload", payload_hex)]
    if fcnt_down is not None:
        params.append(("FCntDn", str(fcnt_down)))
    if confirmed:
        params.append(("Confirmed", "1"))
    if flush_queue:
        params.append(("FlushDownlinkQueue", "1"))
    params += [("AS_ID", as_id), ("Time", format_time(time))]
    token = sign(_joined(params, escape=False), as_key)
    return f"{_joined(params, escape=True)}&{TOKEN_PARAMETER}={token}"


def _token_text(value: Any) -> str | None:
    """Render a body value as the LRC wrote it into the Token (string or number)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _uplink_fields(uplink: Mapping[str, Any]) -> Mapping[str, Any]:
    """Unwrap the ``DevEUI_uplink`` object, if it is wrapped."""
    return opt_mapping(uplink.get("DevEUI_uplink")) or uplink


def _split_raw_query(query: str) -> tuple[str, str] | None:
    """Split a raw query into its unescaped part before ``&Token`` and the Token."""
    raw = query.removeprefix("?")
    signed, separator, rest = raw.partition(f"&{TOKEN_PARAMETER}=")
    if not separator:
        return None
    return unquote(signed), unquote(rest.partition("&")[0])


def _split_query_mapping(query: Mapping[str, str]) -> tuple[str, str] | None:
    """Rebuild the signed query string from decoded parameters; add the Token."""
    token = query.get(TOKEN_PARAMETER)
    if token is None:
        return None
    params = [(key, query[key]) for key in UPLINK_QUERY_KEYS if key in query]
    return _joined(params, escape=False), token


def verify_uplink_token(
    query: Mapping[str, str] | str, uplink: Mapping[str, Any], as_key: str
) -> bool:
    """Whether an uplink push carries the Token of ``as_key``.

    ``query`` is best the raw query string as received (parameters are then
    signed exactly as sent); decoded parameters are re-joined in the
    documented order. ``uplink`` is the body or its ``DevEUI_uplink`` object.
    """
    split = (
        _split_raw_query(query)
        if isinstance(query, str)
        else _split_query_mapping(query)
    )
    if split is None:
        return False
    signed_query, token = split
    fields = _uplink_fields(uplink)
    parts = [_token_text(fields.get(key)) for key in _UPLINK_BODY_KEYS]
    if any(part is None for part in parts):
        return False
    expected = sign("".join(str(part) for part in parts) + signed_query, as_key)
    token = token.strip().lower()
    # compare_digest takes no non-ASCII text, and no Token of ours has any.
    return token.isascii() and hmac.compare_digest(expected, token)


def _gateway_count(lrrs: Any) -> int | None:
    """Count the base stations that received the frame (``Lrrs.Lrr``)."""
    lrr = opt_mapping(lrrs).get("Lrr")
    if isinstance(lrr, list):
        return len(lrr)
    if isinstance(lrr, Mapping):
        return 1
    return None


def _unsigned(value: Any, bits: int) -> int | None:
    """A LoRaWAN field of ``bits`` bits (FPort 8, frame counters 32); else None.

    A value outside its field's range is no frame's: it is taken as missing.
    """
    number = opt_int(value)
    return number if number is not None and 0 <= number < 1 << bits else None


ENCRYPTION_FLAG = "PayloadEncryption"
"""Set on uplinks whose ``payload_hex`` is encrypted for the application server.

Seen as ``0`` in a published ThingPark Enterprise capture (next to a decoded
payload); that a non-zero value means "encrypted with the AS key" is inferred.
"""
WRAPPED_SESSION_KEY = "AppSKey"
"""ThingPark's name for the AppSKey wrapped with the AS transport key (its
join notifications carry it); an uplink that brings one carries ciphertext
(inferred)."""


def _encrypted_for_as(fields: Mapping[str, Any]) -> bool:
    """Whether the uplink says its payload is ciphertext for us (inferred)."""
    flag = fields.get(ENCRYPTION_FLAG)
    number = opt_int(flag)
    return (
        opt_bool(flag) is True
        or bool(number)
        or opt_str(fields.get(WRAPPED_SESSION_KEY)) is not None
    )


def parse_uplink(body: Any) -> LoraUplink:
    """Parse a pushed uplink (``{"DevEUI_uplink": {...}}`` or the inner object).

    Values may be strings (``"-100.000000"``) or numbers. A driver's decoded
    payload is kept as it came (:mod:`.thingpark_payload` reads it).
    """
    fields = _uplink_fields(as_mapping(body, "ThingPark uplink"))
    return LoraUplink(
        eui=require_str(fields, "DevEUI", "ThingPark uplink").upper(),
        port=_unsigned(fields.get("FPort"), 8),
        fcnt_up=_unsigned(fields.get("FCntUp"), 32),
        fcnt_down=_unsigned(fields.get("FCntDn"), 32),
        payload_hex=opt_str(fields.get("payload_hex")) or "",
        rssi=opt_float(fields.get("LrrRSSI")),
        snr=opt_float(fields.get("LrrSNR")),
        sf=opt_int(fields.get("SpFact")),
        time=opt_datetime(fields.get("Time")),
        gateway_id=opt_str(fields.get("Lrrid")),
        gateway_count=_gateway_count(fields.get("Lrrs")),
        customer_id=opt_str(fields.get("CustomerID")),
        dev_addr=opt_str(fields.get("DevAddr")),
        mean_per=opt_float(fields.get("MeanPER")),
        instant_per=opt_float(fields.get("InstantPER")),
        frequency=opt_float(fields.get("Frequency")),
        decoded=decoded_part(fields),
        decode_error=decode_error(fields),
        encrypted=_encrypted_for_as(fields),
    )
