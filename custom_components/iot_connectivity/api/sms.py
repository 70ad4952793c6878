"""SMS length rules: GSM 03.38 7-bit versus UCS-2, and per-provider limits."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from .errors import IoTConnectivityError

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")
"""Characters sent as escape + code: two septets each."""

GSM7_SINGLE, GSM7_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67


class SmsEncoding(StrEnum):
    """How a message is encoded on the air interface."""

    GSM7 = "gsm7"
    UCS2 = "ucs2"


class SmsValidationError(IoTConnectivityError):
    """A message the provider would refuse; ``reason`` is a stable code."""

    def __init__(self, reason: str, message: str, *, limit: int | None = None) -> None:
        """``reason`` is one of ``empty``, ``too_long``, ``encoding``."""
        super().__init__(message)
        self.reason = reason
        self.limit = limit


@dataclass(frozen=True, slots=True)
class SmsInfo:
    """What a message costs: encoding, length in units of it, parts."""

    encoding: SmsEncoding
    length: int
    parts: int


def gsm7_length(text: str) -> int | None:
    """Septets ``text`` needs in GSM-7, or None if it has other characters."""
    length = 0
    for char in text:
        if char in GSM7_BASIC:
            length += 1
        elif char in GSM7_EXTENSION:
            length += 2
        else:
            return None
    return length


def ucs2_length(text: str) -> int:
    """UTF-16 code units ``text`` needs (characters outside the BMP take two)."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def sms_info(text: str, encoding: SmsEncoding | None = None) -> SmsInfo:
    """Encoding (GSM-7 when possible, unless forced), length and part count."""
    septets = gsm7_length(text)
    if encoding is SmsEncoding.GSM7 and septets is None:
        raise SmsValidationError(
            "encoding", "The message has characters GSM-7 cannot encode"
        )
    if septets is not None and encoding is not SmsEncoding.UCS2:
        single, part, length, chosen = GSM7_SINGLE, GSM7_PART, septets, SmsEncoding.GSM7
    else:
        length = ucs2_length(text)
        single, part, chosen = UCS2_SINGLE, UCS2_PART, SmsEncoding.UCS2
    parts = 1 if length <= single else -(-length // part)
    return SmsInfo(chosen, length, parts)


@dataclass(frozen=True, slots=True)
class SmsRules:
    """A provider's limits on SMS sent to a SIM."""

    max_parts: int = 1
    """Concatenated parts the provider accepts for one message."""
    max_characters: int | None = None
    """An absolute character limit the provider documents (Infobip: 160)."""

    def check(self, text: str, encoding: SmsEncoding | None = None) -> SmsInfo:
        """The message's :class:`SmsInfo`, or SmsValidationError saying why not."""
        if not text.strip():
            raise SmsValidationError("empty", "The message is empty")
        info = sms_info(text, encoding)
        if self.max_characters is not None and len(text) > self.max_characters:
            raise SmsValidationError(
                "too_long",
                f"The message has {len(text)} characters; at most "
                f"{self.max_characters} are allowed",
                limit=self.max_characters,
            )
        if info.parts > self.max_parts:
            gsm7 = info.encoding is SmsEncoding.GSM7
            if self.max_parts == 1:
                limit = GSM7_SINGLE if gsm7 else UCS2_SINGLE
            else:
                limit = self.max_parts * (GSM7_PART if gsm7 else UCS2_PART)
            raise SmsValidationError(
                "too_long",
                f"The message needs {info.parts} parts in {info.encoding}; "
                f"at most {self.max_parts} are allowed ({limit} characters)",
                limit=limit,
            )
        return info
