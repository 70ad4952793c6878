"""Quota forecast: when a SIM's data or SMS bundle runs out at its recent rate.

Every read of a SIM's quota adds a sample (time, volume left) to that quota's
series. The forecast fits a straight line through the samples of the last
:data:`WINDOW` by least squares; its slope is the rate of use. The bundle runs
out when the volume left at the latest sample is used up at that rate.

The forecast is unknown (None) when

- the series has fewer than :data:`MIN_SAMPLES` samples or spans less than
  :data:`MIN_SPAN` (too little data);
- the fitted use over the series is less than :data:`FLAT_SHARE` of the
  bundle (flat use: nothing to extrapolate);
- the bundle is used up already (the quota status says so);
- the moment is after the bundle's expiry date (it expires first) or more
  than :data:`HORIZON` away.

It is never earlier than now. A volume that grows (a top-up or the monthly
reset) or a changed bundle size starts the series anew. The series are kept
in a store, so a restart loses none of them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
import math
from typing import TYPE_CHECKING, Final

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .const import ENTITY_GROUP_QUOTA
from .helpers import entry_store

if TYPE_CHECKING:
    from .api.models import SimQuota, SimUsage
    from .coordinator import IoTConnectivityConfigEntry, TrafficCoordinator

WINDOW: Final = timedelta(hours=24)
"""How far back the samples of the rate of use go."""
MIN_SAMPLES: Final = 3
MIN_SPAN: Final = timedelta(minutes=10)
FLAT_SHARE: Final = 0.001
"""Fitted use over the samples below this share of the bundle is flat use."""
HORIZON: Final = timedelta(days=365)
"""Forecasts further away than this are unknown: no useful date."""
MAX_SAMPLES: Final = 500
"""Most samples one series keeps (frequent reads thin the oldest out)."""
SAVE_DELAY: Final = 60.0
STORAGE_VERSION: Final = 1

DATA: Final = "data"
SMS: Final = "sms"
"""The kinds of quota (and of daily usage, :mod:`.history`)."""

type _Series = dict[str, dict[str, list[list[float]]]]
"""Per ICCID, per kind: the samples."""


@dataclass(frozen=True, slots=True)
class QuotaReading:
    """One quota's volume left and size, as the provider gave them."""

    left: float | None
    total: float | None
    expiry: datetime | None


READINGS: Final[Mapping[str, Callable[[SimQuota], QuotaReading]]] = {
    DATA: lambda quota: QuotaReading(
        _float(quota.data_left_bytes), _float(quota.data_total_bytes), quota.data_expiry
    ),
    SMS: lambda quota: QuotaReading(
        _float(quota.sms_left), _float(quota.sms_total), quota.sms_expiry
    ),
}
"""How to read each kind of quota."""


def _float(value: int | None) -> float | None:
    return None if value is None else float(value)


def add_sample(
    series: list[list[float]], moment: float, reading: QuotaReading
) -> list[list[float]]:
    """Add ``reading`` at ``moment`` (POSIX seconds); return the series to keep.

    A sample is ``[moment, left, total]`` (total -1 when unknown).
    """
    if reading.left is None:
        return series
    total = -1.0 if reading.total is None else reading.total
    if series:
        last_moment, last_left, last_total = series[-1]
        if reading.left > last_left or total != last_total:
            # A top-up or reset: the rate before says nothing about the rate now.
            series = []
        elif moment <= last_moment:
            return series
    series = [s for s in series if s[0] >= moment - WINDOW.total_seconds()]
    series.append([moment, reading.left, total])
    return series[-MAX_SAMPLES:]


def runs_out(
    series: list[list[float]], now: datetime, expiry: datetime | None
) -> datetime | None:
    """When the quota is used up at the fitted rate; None when unknown (see module)."""
    cutoff = now.timestamp() - WINDOW.total_seconds()
    samples = [s for s in series if s[0] >= cutoff]
    if len(samples) < MIN_SAMPLES:
        return None
    first, last = samples[0][0], samples[-1][0]
    if last - first < MIN_SPAN.total_seconds():
        return None
    left, total = samples[-1][1], samples[-1][2]
    if left <= 0:
        return None
    mean_t = math.fsum(s[0] for s in samples) / len(samples)
    mean_v = math.fsum(s[1] for s in samples) / len(samples)
    spread = math.fsum((s[0] - mean_t) ** 2 for s in samples)
    slope = math.fsum((s[0] - mean_t) * (s[1] - mean_v) for s in samples) / spread
    # The bundle's size, or what was left at the start when it is unknown.
    size = total if total > 0 else samples[0][1]
    if -slope * (last - first) < FLAT_SHARE * size:
        return None
    moment = dt_util.utc_from_timestamp(last + left / -slope)
    if moment - now > HORIZON or (expiry is not None and moment > expiry):
        return None
    return max(moment, now)


def _store(hass: HomeAssistant, entry_id: str) -> Store[_Series]:
    return entry_store(hass, entry_id, "forecast", STORAGE_VERSION)


class QuotaForecast:
    """The quota samples of an entry's SIMs, kept across restarts."""

    def __init__(self, hass: HomeAssistant, entry: IoTConnectivityConfigEntry) -> None:
        """Keep the samples in a store of the entry."""
        self._store = _store(hass, entry.entry_id)
        self._series: _Series = {}
        self._listeners: dict[str, set[CALLBACK_TYPE]] = {}

    async def async_load(self) -> None:
        """Read the samples kept before a restart."""
        self._series = await self._store.async_load() or {}

    async def async_save(self) -> None:
        """Write the samples now (unload): a reload must lose none."""
        await self._store.async_save(self._series)

    @callback
    def async_record(
        self,
        usage: Mapping[str, SimUsage],
        quotas: Mapping[str, SimQuota],
        now: datetime,
    ) -> None:
        """Add the quotas just read to their series; tell their entities."""
        del usage
        if not quotas:
            return
        moment = now.timestamp()
        for iccid, quota in quotas.items():
            kinds = self._series.setdefault(iccid, {})
            for kind, read in READINGS.items():
                kinds[kind] = add_sample(kinds.get(kind, []), moment, read(quota))
        self._store.async_delay_save(lambda: self._series, SAVE_DELAY)
        for iccid in quotas:
            for listener in list(self._listeners.get(iccid, ())):
                listener()

    def runs_out(
        self, iccid: str, kind: str, quota: SimQuota | None
    ) -> datetime | None:
        """When ``kind`` of the SIM's quota runs out; None when unknown."""
        if quota is None:
            return None
        series = self._series.get(iccid, {}).get(kind, [])
        return runs_out(series, dt_util.utcnow(), READINGS[kind](quota).expiry)

    @callback
    def async_add_listener(self, iccid: str, listener: CALLBACK_TYPE) -> CALLBACK_TYPE:
        """Call ``listener`` after each read of the SIM's quota."""
        listeners = self._listeners.setdefault(iccid, set())
        listeners.add(listener)

        @callback
        def remove() -> None:
            listeners.discard(listener)

        return remove


async def async_attach_forecast(
    hass: HomeAssistant,
    entry: IoTConnectivityConfigEntry,
    traffic: TrafficCoordinator,
) -> QuotaForecast | None:
    """Sample the quotas ``traffic`` reads, where it reads quotas."""
    if ENTITY_GROUP_QUOTA not in traffic.groups:
        return None
    forecast = QuotaForecast(hass, entry)
    await forecast.async_load()
    traffic.read_hooks.append(forecast.async_record)
    entry.async_on_unload(forecast.async_save)
    return forecast
