"""Daily usage history: each SIM's data and SMS per day in long-term statistics.

Where the provider gives usage per day (capability ``daily_usage``), the
usage read the traffic coordinator makes anyway asks for the days from the
last day already imported on, and the days read are imported as external
statistics ``iot_connectivity:<iccid>_data`` (MB) and ``…_sms`` (messages),
one row per day at midnight UTC. A SIM never imported before is read from the
first day of the previous month: the back-fill costs no request of its own.

The running sum before the last imported day is kept in a store, so the last
day (still growing) is imported again with the same sum base until a later day
appears: no day counts twice, and a restart loses nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, Final

from homeassistant.const import UnitOfInformation
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util
from homeassistant.util.unit_conversion import InformationConverter

from .api.management_api import BYTES_PER_MB
from .api.models import Capability
from .const import DOMAIN, ENTITY_GROUP_USAGE
from .forecast import DATA, SMS
from .helpers import entry_store

if TYPE_CHECKING:
    from homeassistant.components.recorder.models import StatisticData

    from .api.models import DayUsage, SimQuota, SimUsage
    from .coordinator import (
        IoTConnectivityConfigEntry,
        SimCoordinator,
        TrafficCoordinator,
    )

STORAGE_VERSION: Final = 1
SAVE_DELAY: Final = 10.0


@dataclass(frozen=True, slots=True)
class Series:
    """One statistic of a SIM: how to read a day, its unit and name."""

    read: Callable[[DayUsage], float | None]
    unit: str | None
    unit_class: str | None
    label: str


SERIES: Final[Mapping[str, Series]] = {
    DATA: Series(
        read=lambda day: (
            None if day.data_bytes is None else day.data_bytes / BYTES_PER_MB
        ),
        unit=UnitOfInformation.MEGABYTES,
        unit_class=InformationConverter.UNIT_CLASS,
        label="data used",
    ),
    SMS: Series(
        read=lambda day: None if day.sms is None else float(day.sms),
        unit=None,
        unit_class=None,
        label="SMS",
    ),
}


def statistic_id(iccid: str, kind: str) -> str:
    """The external statistic of one SIM's ``kind`` of usage."""
    return f"{DOMAIN}:{iccid.lower()}_{kind}"


def backfill_start(today: date) -> date:
    """The first day of the previous month: how far back a new SIM is read."""
    return (today.replace(day=1) - timedelta(days=1)).replace(day=1)


def _store(hass: HomeAssistant, entry_id: str) -> Store[dict[str, dict[str, Any]]]:
    return entry_store(hass, entry_id, "history", STORAGE_VERSION)


class UsageHistory:
    """Imports the daily usage of an entry's SIMs into long-term statistics."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: IoTConnectivityConfigEntry,
        sims: SimCoordinator,
    ) -> None:
        """Keep the running sums in a store of the entry; name SIMs as ``sims`` does."""
        self._hass = hass
        self._sims_coordinator = sims
        self._store = _store(hass, entry.entry_id)
        self._sims: dict[str, dict[str, Any]] = {}
        """By ICCID: ``day`` (ISO date) last imported, and per kind ``base``
        (the sum before that day) and ``value`` (that day's usage)."""

    async def async_load(self) -> None:
        """Read the running sums kept before a restart."""
        self._sims = await self._store.async_load() or {}

    async def async_save(self) -> None:
        """Write the sums now (unload): a reload must lose none."""
        await self._store.async_save(self._sims)

    def since(self, iccid: str) -> date:
        """The first day to read: the last imported one, else the back-fill's."""
        today = dt_util.utcnow().date()
        start = backfill_start(today)
        if (kept := self._sims.get(iccid)) is None:
            return start
        return max(start, date.fromisoformat(kept["day"]))

    @callback
    def async_record(
        self,
        usage: Mapping[str, SimUsage],
        quotas: Mapping[str, SimQuota],
        now: datetime,
    ) -> None:
        """Import the days just read of each SIM."""
        del quotas, now
        changed = False
        for iccid, sim_usage in usage.items():
            if sim_usage.days:
                changed |= self._import(iccid, sim_usage.days)
        if changed:
            self._store.async_delay_save(lambda: self._sims, SAVE_DELAY)

    def _import(self, iccid: str, days: tuple[DayUsage, ...]) -> bool:
        # Imported when used: the recorder is an after-dependency, not a
        # dependency, and its modules must not load before it is set up.
        from homeassistant.components.recorder.models import (  # noqa: PLC0415
            StatisticData,
            StatisticMeanType,
            StatisticMetaData,
        )
        from homeassistant.components.recorder.statistics import (  # noqa: PLC0415
            async_add_external_statistics,
        )

        kept = self._sims.get(iccid)
        last_day = date.fromisoformat(kept["day"]) if kept else None
        sums = dict(kept["sums"]) if kept else {}
        rows: dict[str, list[StatisticData]] = {kind: [] for kind in SERIES}
        for day in days:
            if last_day is not None and day.day < last_day:
                continue  # Imported already, and final.
            for kind, series in SERIES.items():
                base, value = sums.get(kind, (0.0, 0.0))
                if last_day is not None and day.day > last_day:
                    base += value
                value = series.read(day) or 0.0
                sums[kind] = (base, value)
                rows[kind].append(
                    StatisticData(
                        start=datetime.combine(day.day, time(), UTC),
                        state=value,
                        sum=base + value,
                    )
                )
            last_day = day.day
        if last_day is None or not any(rows.values()):
            return False
        self._sims[iccid] = {"day": last_day.isoformat(), "sums": sums}
        name = self._sim_name(iccid)
        for kind, series in SERIES.items():
            async_add_external_statistics(
                self._hass,
                StatisticMetaData(
                    mean_type=StatisticMeanType.NONE,
                    has_sum=True,
                    name=f"{name} {series.label}",
                    source=DOMAIN,
                    statistic_id=statistic_id(iccid, kind),
                    unit_class=series.unit_class,
                    unit_of_measurement=series.unit,
                ),
                rows[kind],
            )
        return True

    def _sim_name(self, iccid: str) -> str:
        sim = self._sims_coordinator.data.sims.get(iccid)
        return (sim.name if sim is not None and sim.name else None) or iccid


async def async_attach_history(
    hass: HomeAssistant,
    entry: IoTConnectivityConfigEntry,
    sims: SimCoordinator,
    traffic: TrafficCoordinator,
) -> UsageHistory | None:
    """Import daily usage from ``traffic``'s reads, where the provider gives it.

    Needs the recorder, and the usage group among the traffic read.
    """
    if (
        Capability.DAILY_USAGE not in traffic.client.capabilities
        or ENTITY_GROUP_USAGE not in traffic.groups
        or "recorder" not in hass.config.components
    ):
        return None
    history = UsageHistory(hass, entry, sims)
    await history.async_load()
    traffic.history_since = history.since
    traffic.read_hooks.append(history.async_record)
    entry.async_on_unload(history.async_save)
    return history
