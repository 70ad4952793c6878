"""Lenient coercion of provider JSON values.

Providers send numbers as strings (``"-100.000000"``), omit optional fields and
add new ones. These helpers turn whatever arrived into the typed value or
``None``; only ``require_*`` raise, and only :class:`InvalidResponseError`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
import math
from typing import Any

from .errors import InvalidResponseError


def as_mapping(value: Any, what: str) -> Mapping[str, Any]:
    """Return ``value`` as a JSON object or raise InvalidResponseError."""
    if not isinstance(value, Mapping):
        raise InvalidResponseError(f"{what}: expected an object")
    return value


def as_list(value: Any, what: str) -> list[Any]:
    """Return ``value`` as a JSON array or raise InvalidResponseError."""
    if not isinstance(value, list):
        raise InvalidResponseError(f"{what}: expected an array")
    return value


def list_of(what: str, key: str | None = None) -> Callable[[Any], list[Any]]:
    """A reader of the JSON array an answer is, or holds at ``key``.

    It raises InvalidResponseError naming ``what`` when the shape differs.
    """

    def read(value: Any) -> list[Any]:
        if key is not None:
            value = as_mapping(value, what).get(key)
        return as_list(value, what)

    return read


def opt_mapping(value: Any) -> Mapping[str, Any]:
    """Return ``value`` when it is an object, else an empty one."""
    return value if isinstance(value, Mapping) else {}


def opt_str(value: Any) -> str | None:
    """A non-empty string, numbers rendered as text, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        stripped = value.strip()
        return stripped or None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and math.isfinite(value):
        return str(value)
    return None


def require_str(data: Mapping[str, Any], key: str, what: str) -> str:
    """The string at ``key``, or InvalidResponseError naming what is missing."""
    value = opt_str(data.get(key))
    if value is None:
        raise InvalidResponseError(f"{what}: missing {key}")
    return value


def opt_float(value: Any) -> float | None:
    """A finite number from a number or numeric string, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        try:
            result = float(value)
        except OverflowError:  # an integer beyond any float
            return None
    elif isinstance(value, str):
        try:
            result = float(value.strip().removesuffix("dB").removesuffix("%"))
        except ValueError:
            return None
    else:
        return None
    return result if math.isfinite(result) else None


def opt_int(value: Any) -> int | None:
    """An integer from an int, an integral float or a numeric string, else None."""
    number = opt_float(value)
    if number is None or not number.is_integer():
        return None
    return int(number)


def opt_bool(value: Any) -> bool | None:
    """A boolean from a bool, 0/1 or "true"/"false", else None."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in ("true", "1", "yes"):
            return True
        if lowered in ("false", "0", "no"):
            return False
    return None


def opt_datetime(value: Any) -> datetime | None:
    """An aware datetime from ISO 8601 (naive means UTC) or epoch ms, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        millis = opt_float(value)
        if millis is None or millis <= 0:
            return None
        try:
            return datetime.fromtimestamp(millis / 1000, tz=UTC)
        except OverflowError, OSError, ValueError:
            return None
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    try:
        parsed = datetime.fromisoformat(text.replace(" ", "T", 1))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
