"""Coordinators of the IoT Connectivity integration, one per speed of data.

SIM status changes within minutes, usage counters are slow and cost a request
per SIM, LoRa radio statistics are fast and connectivity plans hardly change:
each kind has its own coordinator and interval (entry options).
"""

from __future__ import annotations

import abc
import asyncio
from dataclasses import dataclass, replace
from datetime import timedelta
import itertools
import math
from typing import TYPE_CHECKING, Any, Final, override

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator
from homeassistant.util import dt as dt_util

from .api.base import SimClient
from .api.errors import IoTConnectivityError, RateLimitedError
from .api.models import (
    ApiQuota,
    Capability,
    ConnectivityPlan,
    LoraAlarm,
    LoraDevice,
    LoraHealth,
    LoraUplink,
    NetworkEvent,
    Sim,
    SimQuota,
    SimSession,
    SimUsage,
)
from .budget import RequestBudget, SpreadSchedule
from .const import (
    CONF_LORA_INTERVAL,
    CONF_PLAN_INTERVAL,
    CONF_SIM_INTERVAL,
    CONF_USAGE_INTERVAL,
    DOMAIN,
    ENTITY_GROUP_LORA_ALARMS,
    ENTITY_GROUP_QUOTA,
    ENTITY_GROUP_SESSION,
    EVENT_LORA_ALARM,
    INTERVAL_BOUNDS,
    LOGGER,
    interval,
)
from .helpers import update_error
from .providers import ProviderSpec, spec_of
from .providers.spec import SIM_GROUP_CAPABILITIES

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping
    from datetime import date, datetime

    from .api.kpn_lora import KpnLoraClient
    from .forecast import QuotaForecast
    from .history import UsageHistory
    from .imei_watch import ImeiWatch
    from .lora_readings import LoraReadings


@dataclass(frozen=True, slots=True, kw_only=True)
class SimData:
    """Every SIM of the account by ICCID, and the request quota after reading them."""

    sims: dict[str, Sim]
    api_quota: ApiQuota | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SimTraffic:
    """What one SIM used, has left and where it is attached; None when not fetched."""

    usage: SimUsage | None = None
    quota: SimQuota | None = None
    session: SimSession | None = None
    events: tuple[NetworkEvent, ...] | None = None
    """The latest network events, oldest first, while their entity is enabled."""


_NOTHING_READ: Final = SimTraffic()


type TrafficReadHook = Callable[
    [Mapping[str, SimUsage], Mapping[str, SimQuota], datetime], None
]
"""Told of every read: the usage and quotas read, by ICCID, and when."""


@dataclass(frozen=True, slots=True, kw_only=True)
class TrafficData:
    """The traffic of every listed SIM by ICCID."""

    sims: dict[str, SimTraffic]


@dataclass(frozen=True, slots=True, kw_only=True)
class LoraDeviceState:
    """One LoRa device with its open alarms, most severe first."""

    device: LoraDevice
    alarms: tuple[LoraAlarm, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class LoraData:
    """Every LoRa device by DevEUI, and the request quota after reading them."""

    devices: dict[str, LoraDeviceState]
    api_quota: ApiQuota | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanData:
    """The account's connectivity plans by id and its device health counts."""

    plans: dict[str, ConnectivityPlan]
    health: LoraHealth


@dataclass(kw_only=True)
class IoTConnectivityData:
    """What a loaded entry holds: its provider, client and coordinators."""

    spec: ProviderSpec[Any]
    client: SimClient | KpnLoraClient
    entity_groups: frozenset[str]
    """The entity groups (entry option) the user wants."""
    sims: SimCoordinator | None = None
    traffic: TrafficCoordinator | None = None
    lora: LoraCoordinator | None = None
    plans: PlanCoordinator | None = None
    imei_watch: ImeiWatch | None = None
    forecast: QuotaForecast | None = None
    """Quota forecasts, where quotas are read."""
    history: UsageHistory | None = None
    """Daily usage imported as statistics, where the provider gives it."""
    readings: LoraReadings | None = None
    """KPN LoRa: the readings decoded from uplinks, and who still reports."""

    @property
    def capabilities(self) -> frozenset[Capability]:
        """What the SIM provider can do; LoRa entities need no capability."""
        return self.spec.capabilities


type IoTConnectivityConfigEntry = ConfigEntry[IoTConnectivityData]


def hub_identifier(entry: ConfigEntry[Any]) -> tuple[str, str]:
    """Return the device registry identifier of the account hub."""
    return DOMAIN, entry.unique_id or entry.entry_id


def hub_device_info(entry: ConfigEntry[Any]) -> DeviceInfo:
    """Describe the account hub every SIM and LoRa device hangs off.

    Named like the entry, which the config flow names after provider and account.
    """
    spec = spec_of(entry)
    return DeviceInfo(
        identifiers={hub_identifier(entry)},
        name=entry.title,
        manufacturer=spec.manufacturer,
        model=spec.name,
        entry_type=dr.DeviceEntryType.SERVICE,
    )


def iso_or_none(moment: datetime | None) -> str | None:
    """A time as event data: ISO 8601 text."""
    return moment.isoformat() if moment is not None else None


class IoTConnectivityCoordinator[DataT, ItemT](DataUpdateCoordinator[DataT], abc.ABC):
    """Fetches one kind of data; ``items`` are its entities' SIMs, devices or plans.

    Library errors become translated ``UpdateFailed`` (entities go unavailable)
    or ``ConfigEntryAuthFailed`` (starts reauthentication), by :mod:`.helpers`.
    """

    config_entry: IoTConnectivityConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: IoTConnectivityConfigEntry,
        interval_option: str,
    ) -> None:
        """Poll at the interval the user chose for this kind of data."""
        minutes = entry.options.get(
            interval_option, INTERVAL_BOUNDS[interval_option][0]
        )
        self.poll_interval = interval(minutes)
        """The interval the user chose; refreshes in turns come more often."""
        self._item_listeners: dict[str | None, dict[int, CALLBACK_TYPE]] = {}
        """The callbacks of :meth:`async_add_item_listener` by item id
        (None: account-wide), each by its listener id."""
        self._listener_ids = itertools.count()
        self._unlisten: CALLBACK_TYPE | None = None
        """Removes the one listener that tells them, while there are any."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{entry.title} {interval_option.removesuffix('_interval')}",
            update_interval=self.poll_interval,
            # Every data class compares by value: unchanged data writes no state.
            always_update=False,
        )

    @property
    @abc.abstractmethod
    def items(self) -> Mapping[str, ItemT]:
        """The SIMs, devices or plans in the latest data, by id."""

    _told: dict[str, ItemT] | None = None
    """The items as the listeners were last told them; None: tell every listener."""
    _changed_hint: tuple[object, frozenset[str]] | None = None
    """Data, and the only items it can differ in from the data before it
    (replaced, added or removed), where the code that made it knows them."""
    changed_items: frozenset[str] | None = None
    """Ids of the items (added, changed or gone) the listeners are being told
    of; None when every item may have changed. Account-wide listeners of
    :meth:`async_add_item_listener` use it to look at those items only."""

    @callback
    def async_add_item_listener(
        self, update_callback: CALLBACK_TYPE, item_id: str | None = None
    ) -> CALLBACK_TYPE:
        """Call ``update_callback`` after an update that changed the item ``item_id``.

        Entities listen for their own item, so a refresh of a thousand SIMs of
        which ten changed costs ten SIMs' entity updates, not a walk over
        every entity. Account-wide listeners (``item_id`` None) hear of every
        update, and everyone hears of one that may change availability.
        All of them are told by one listener of this coordinator, which it
        holds while any listens: it refreshes as long as that.
        """
        if self._unlisten is None:
            self._unlisten = self.async_add_listener(self._async_tell_listeners)
            # Who listens now starts from the current data.
            if self.data is not None and self.last_update_success:
                self._told = dict(self.items)
        listener_id = next(self._listener_ids)
        listeners = self._item_listeners.setdefault(item_id, {})
        listeners[listener_id] = update_callback

        @callback
        def remove_listener() -> None:
            listeners.pop(listener_id, None)
            if not listeners and self._item_listeners.get(item_id) is listeners:
                del self._item_listeners[item_id]
            if not self._item_listeners and self._unlisten is not None:
                self._unlisten()
                self._unlisten = None
                self._told = None

        return remove_listener

    @callback
    def _async_tell_listeners(self) -> None:
        """Tell the account-wide listeners, and those of the items that changed.

        Every listener is told when availability may have changed.
        """
        told = self._told
        hint, self._changed_hint = self._changed_hint, None
        current = dict(self.items) if self.last_update_success else None
        self._told = current
        if told is None or current is None:
            self.changed_items = None
            told_of: list[str | None] = list(self._item_listeners)
        else:
            # A refresh in turns or a push replaces a few items of thousands:
            # with a hint, only those are compared.
            if hint is not None and hint[0] is self.data:
                candidates: Iterable[str] = hint[1]
            else:
                candidates = told.keys() | current.keys()
            self.changed_items = frozenset(
                item_id
                for item_id in candidates
                if (before := told.get(item_id)) is not (after := current.get(item_id))
                and before != after
            )
            told_of = [None, *self.changed_items]
        for item_id in told_of:
            for update_callback in list(self._item_listeners.get(item_id, {}).values()):
                try:
                    update_callback()
                except Exception:
                    self.logger.exception(
                        "Unexpected error updating listener %s of %s",
                        update_callback,
                        self.name,
                    )

    def device_info(self, item_id: str | None) -> DeviceInfo:
        """Return the device of an item's entities; the hub unless overridden."""
        del item_id
        return DeviceInfo(identifiers={hub_identifier(self.config_entry)})

    def registry_device_id(self, item_id: str) -> str | None:
        """Return the device registry id of an item's device, once it exists."""
        device = dr.async_get(self.hass).async_get_device_by_identifier(
            (DOMAIN, item_id), self.config_entry.entry_id
        )
        return device.id if device is not None else None

    def _hub_device_id(self) -> str:
        """Return the registry id of the account hub, created at setup."""
        return dr.async_get_device_id_by_identifier(
            self.hass,
            hub_identifier(self.config_entry),
            config_entry_id=self.config_entry.entry_id,
        )

    @abc.abstractmethod
    async def _async_fetch(self) -> DataT:
        """Read this coordinator's data from the provider."""

    def _with_changes(self, data: DataT, changed: Iterable[str]) -> DataT:
        """``data``, noted to differ from the current data in ``changed`` at most."""
        self._changed_hint = (data, frozenset(changed))
        return data

    @override
    async def _async_update_data(self) -> DataT:
        try:
            return await self._async_fetch()
        except IoTConnectivityError as err:
            raise update_error(err, self._seconds_until_allowed) from err

    def _seconds_until_allowed(self, err: RateLimitedError) -> float | None:
        """When to poll again: never before the provider allows it nor before due.

        A hint shorter than the interval would make polling faster, not slower.
        """
        wait = err.retry_after
        if wait is None and err.reset_at is not None:
            wait = (err.reset_at - dt_util.utcnow()).total_seconds()
        if wait is None or self.update_interval is None:
            return None
        return max(wait, self.update_interval.total_seconds())

    _listed_ids: frozenset[str] | None = None
    """The items of the last read that removed stale devices; None before it."""

    @callback
    def _async_remove_stale_devices(self, current: Mapping[str, object]) -> None:
        """Detach devices the provider no longer lists from this entry.

        Runs at the first read, so devices removed while Home Assistant was
        stopped go too, and whenever the listed items differ from the last read.
        """
        if self._listed_ids is not None and current.keys() == self._listed_ids:
            return
        self._listed_ids = frozenset(current)
        registry = dr.async_get(self.hass)
        keep = {hub_identifier(self.config_entry)} | {(DOMAIN, i) for i in current}
        for device in dr.async_entries_for_config_entry(
            registry, self.config_entry.entry_id
        ):
            if not device.identifiers & keep:
                LOGGER.debug("Removing device %s, gone at the provider", device.name)
                registry.async_remove_device(device.id)


class SimCoordinator(IoTConnectivityCoordinator[SimData, Sim]):
    """The SIM list with each SIM's status; decides which SIM devices exist."""

    def __init__(
        self, hass: HomeAssistant, entry: IoTConnectivityConfigEntry, client: SimClient
    ) -> None:
        """Poll the SIM list at the SIM interval."""
        super().__init__(hass, entry, CONF_SIM_INTERVAL)
        self.client = client

    @property
    @override
    def items(self) -> Mapping[str, Sim]:
        return self.data.sims

    @override
    def device_info(self, item_id: str | None) -> DeviceInfo:
        if item_id is None:
            return super().device_info(item_id)
        sim = self.data.sims[item_id]
        return DeviceInfo(
            identifiers={(DOMAIN, sim.iccid)},
            name=sim.name or sim.iccid,
            manufacturer=spec_of(self.config_entry).manufacturer,
            model=sim.model,
            serial_number=sim.iccid,
            via_device_id=self._hub_device_id(),
        )

    @override
    async def _async_fetch(self) -> SimData:
        sims = {sim.iccid: sim for sim in await self.client.list_sims()}
        self._async_remove_stale_devices(sims)
        return SimData(sims=sims, api_quota=self.client.api_quota)


def traffic_groups(
    capabilities: frozenset[Capability], entity_groups: frozenset[str]
) -> frozenset[str]:
    """Return the traffic groups the user wants and the provider can deliver."""
    return frozenset(
        group
        for group, needs in SIM_GROUP_CAPABILITIES.items()
        if group in entity_groups and needs & capabilities
    )


class TrafficCoordinator(IoTConnectivityCoordinator[TrafficData, SimTraffic]):
    """Usage, quotas and sessions of the listed SIMs: slow, and often one call each.

    Reads that cost a request per SIM are spread over time: every refresh
    reads the SIMs whose turn it is, as many as the request budget allows
    (see :mod:`.budget`), so a large account is read in a steady trickle.
    ``items`` holds the SIMs read at least once; their entities appear then.
    """

    def __init__(
        self,
        hass: HomeAssistant,
        entry: IoTConnectivityConfigEntry,
        sims: SimCoordinator,
        groups: frozenset[str],
    ) -> None:
        """Read ``groups`` for the SIMs ``sims`` lists, at the usage interval."""
        super().__init__(hass, entry, CONF_USAGE_INTERVAL)
        self.client = sims.client
        self._sims = sims
        self._groups = groups
        self.groups = groups
        """The traffic groups read."""
        self._period = self.poll_interval.total_seconds()
        costs = spec_of(entry).read_costs
        spread = {group: costs[group] for group in groups if group in costs}
        self._spread_groups = frozenset(spread)
        self.budget = RequestBudget()
        self.schedule: SpreadSchedule | None = None
        if spread:
            self.schedule = SpreadSchedule(
                self.budget,
                period=self._period,
                requests_per_batch=sum(cost.requests for cost in spread.values()),
                batch_size=min(cost.sims for cost in spread.values()),
            )
            self.update_interval = timedelta(seconds=self.budget.slice_seconds)
        self._bulk_read_at = -math.inf
        self._listed: Mapping[str, Sim] | None = None
        """The SIM list as the last read found it: while it is the same object,
        no SIM was removed from it."""
        self._read_first: set[str] = set()
        self.read_hooks: list[TrafficReadHook] = []
        """Told of each read (quota forecast, usage history), once its data is set."""
        self._read: tuple[Mapping[str, SimUsage], Mapping[str, SimQuota]] | None = None
        """The usage and quotas of the refresh under way, for the read hooks."""
        self.history_since: Callable[[str], date] | None = None
        """The first day to read a SIM's daily usage from, where kept."""
        self.event_sims: set[str] = set()
        """SIMs whose network events entity is enabled: read after their turn."""
        self._events_due: list[str] = []
        """SIMs whose turn came: their events are read next, as the budget allows."""
        entry.async_on_unload(sims.async_add_listener(self._async_sims_updated))

    @property
    @override
    def items(self) -> Mapping[str, SimTraffic]:
        return self.data.sims

    @override
    def device_info(self, item_id: str | None) -> DeviceInfo:
        return self._sims.device_info(item_id)

    @callback
    def _async_sims_updated(self) -> None:
        """Follow a changed SIM list now rather than at the next (slow) interval.

        New SIMs are read first, and removed ones are forgotten, so their
        entities return when the SIMs do.
        """
        listed = self._sims.data.sims.keys()
        # Before the first refresh there is nothing to follow.
        known = self.data.sims.keys() if self.data is not None else listed
        if known - listed or (self.schedule is None and listed - known):
            self.config_entry.async_create_background_task(
                self.hass, self.async_request_refresh(), f"{self.name} SIM list changed"
            )

    @override
    async def _async_fetch(self) -> TrafficData:
        now = dt_util.utcnow().timestamp()
        listed = self._sims.data.sims
        # Refreshes in turns come often; bulk reads stay at the usage interval.
        read_bulk = self.schedule is None or now - self._bulk_read_at >= self._period
        event_turn = self._take_event_turn(listed, now)
        turn = self._take_turn(listed, now)
        bulk = list(listed) if read_bulk else []
        if self.schedule is None:
            event_turn = [i for i in bulk if i in self.event_sims]
        try:
            return await self._async_read_traffic(
                read_bulk, turn, bulk, event_turn, now
            )
        except IoTConnectivityError as err:
            if isinstance(err, RateLimitedError):
                self.budget.pause(now + (self._seconds_until_allowed(err) or 0), now)
            if self.schedule is not None:
                # Their turn was spent: the events are read at the next refresh.
                self._events_due[:0] = event_turn
            raise
        finally:
            self.budget.apply_quota(self.client.api_quota, now)
            if self.schedule is not None:
                self.update_interval = timedelta(seconds=self.budget.slice_seconds)

    async def _async_read_traffic(
        self,
        read_bulk: bool,  # noqa: FBT001
        turn: list[str],
        bulk: list[str],
        event_turn: list[str],
        now: float,
    ) -> TrafficData:
        """Read the groups of these SIMs and merge them into the traffic."""
        usage, quotas, sessions, events = await asyncio.gather(
            *(
                self._async_read(group, turn if group in self._spread_groups else bulk)
                for group in SIM_GROUP_CAPABILITIES
            ),
            self.client.gather_by_iccid(event_turn, self.client.get_events),
        )
        if read_bulk:
            self._bulk_read_at = now
        if self.schedule is not None:
            self.schedule.mark_read(turn, now)
            due = set(self._events_due)
            self._events_due.extend(
                i for i in turn if i in self.event_sims and i not in due
            )
        read = bulk if read_bulk and self._groups - self._spread_groups else turn
        self._read = (usage, quotas)
        # The SIM list as it is now: it may have changed while these reads ran.
        listed = self._sims.data.sims
        previous = self.data.sims if self.data is not None else {}
        # A turn reads a few SIMs of thousands: the others are carried over
        # whole, without a walk over every SIM.
        traffic = dict(previous)
        changed: set[str] = set()
        if listed is not self._listed:
            # The SIM list was read anew since the last turn: some may be gone.
            self._listed = listed
            changed.update(previous.keys() - listed.keys())
            for iccid in changed:
                del traffic[iccid]
        read_now = set(read)
        # SIMs whose network events alone were read, in the refresh after their turn.
        events_only = [i for i in events if i in previous and i not in read_now]
        for iccid in [*read, *events_only]:
            if iccid not in listed:
                continue
            old = previous.get(iccid)
            base = old or _NOTHING_READ
            sim_usage = usage.get(iccid, base.usage)
            sim_quota = quotas.get(iccid, base.quota)
            session = sessions.get(iccid, base.session)
            sim_events = _events(events.get(iccid), base.events, iccid, self.event_sims)
            # An unchanged SIM keeps its object, so its entities see no change;
            # the library hands unchanged answers over as the same objects.
            if (
                old is not None
                and sim_usage is old.usage
                and sim_quota is old.quota
                and session is old.session
                and sim_events is old.events
            ):
                continue
            new = SimTraffic(
                usage=sim_usage, quota=sim_quota, session=session, events=sim_events
            )
            if old != new:
                traffic[iccid] = new
                changed.add(iccid)
        return self._with_changes(TrafficData(sims=traffic), changed)

    @override
    @callback
    def _async_refresh_finished(self) -> None:
        """Tell the read hooks what was read, now that the coordinator has it.

        What they tell their entities then (the forecast) agrees with the
        coordinator's data: an entity writes its state once, not before and
        after the data changed.
        """
        super()._async_refresh_finished()
        if (read := self._read) is not None:
            self._read = None
            self._tell_read_hooks(*read)

    def _tell_read_hooks(
        self, usage: Mapping[str, SimUsage], quotas: Mapping[str, SimQuota]
    ) -> None:
        """Tell the read hooks what was read now."""
        moment = dt_util.utcnow()
        for hook in self.read_hooks:
            try:
                hook(usage, quotas, moment)
            except Exception:
                # What a hook keeps must not cost the entities their data.
                self.logger.exception("Unexpected error in read hook %s", hook)

    def _take_event_turn(self, listed: Mapping[str, Sim], now: float) -> list[str]:
        """The SIMs whose network events to read now, on the budget.

        A SIM's events are read in the refresh after its turn, so no refresh
        sends more than one burst; later turns wait for what they cost.
        """
        due = [i for i in self._events_due if i in listed and i in self.event_sims]
        take = due[: max(int(self.budget.available(now)), 0)]
        self._events_due = due[len(take) :]
        if take:
            self.budget.spend(len(take), now)
        return take

    def _take_turn(self, listed: Mapping[str, Sim], now: float) -> list[str]:
        """The SIMs to read now: those an action changed, then whose turn it is."""
        if self.schedule is None:
            return []
        first = [iccid for iccid in self._read_first if iccid in listed]
        self._read_first.clear()
        if first:
            # Out of turn, yet on the budget: later turns wait for it.
            self.budget.spend(len(first) * self.schedule.requests_per_batch, now)
        return first + [i for i in self.schedule.take(listed, now) if i not in first]

    async def async_refresh_sims(self, iccids: Iterable[str]) -> None:
        """Read these SIMs now, ahead of their turn: an action changed them."""
        self._read_first.update(iccids)
        await self.async_request_refresh()

    async def _async_read(self, group: str, iccids: list[str]) -> Mapping[str, Any]:
        """Read ``group`` of ``iccids``, if the group is read at all."""
        if group not in self._groups or not iccids:
            return {}
        client = self.client
        if group == ENTITY_GROUP_SESSION:
            return await client.get_sessions(iccids)
        if group == ENTITY_GROUP_QUOTA:
            return await client.gather_by_iccid(iccids, client.get_quota)
        if Capability.BULK_USAGE in client.capabilities:
            return await client.get_all_usage()
        if (since := self.history_since) is not None:
            return await client.gather_by_iccid(
                iccids, lambda iccid: client.get_daily_usage(iccid, since(iccid))
            )
        return await client.gather_by_iccid(iccids, client.get_usage)


def _events(
    read: list[NetworkEvent] | None,
    before: tuple[NetworkEvent, ...] | None,
    iccid: str,
    wanted: set[str],
) -> tuple[NetworkEvent, ...] | None:
    """A SIM's events: as read now, else as before while their entity listens."""
    if read is not None:
        return tuple(read)
    return before if iccid in wanted else None


class LoraCoordinator(IoTConnectivityCoordinator[LoraData, LoraDeviceState]):
    """LoRa devices with radio statistics and alarms; decides which devices exist."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: IoTConnectivityConfigEntry,
        client: KpnLoraClient,
        entity_groups: frozenset[str],
    ) -> None:
        """Poll devices (and alarms when wanted) at the LoRa interval."""
        super().__init__(hass, entry, CONF_LORA_INTERVAL)
        self.client = client
        self._read_alarms = ENTITY_GROUP_LORA_ALARMS in entity_groups
        self._open_alarms: set[str] | None = None
        """The refs of the open alarms at the last read; None before it."""

    @property
    @override
    def items(self) -> Mapping[str, LoraDeviceState]:
        return self.data.devices

    @override
    def device_info(self, item_id: str | None) -> DeviceInfo:
        if item_id is None:
            return super().device_info(item_id)
        device = self.data.devices[item_id].device
        return DeviceInfo(
            identifiers={(DOMAIN, device.eui)},
            name=device.name or device.eui,
            model=device.profile,
            serial_number=device.eui,
            via_device_id=self._hub_device_id(),
        )

    @override
    async def _async_fetch(self) -> LoraData:
        devices = await self.client.list_devices()
        alarms = await self.client.list_alarms() if self._read_alarms else []
        # Alarms name their device by its ThingPark ref, not by its DevEUI.
        open_alarms: dict[str, list[LoraAlarm]] = {}
        for alarm in sorted(alarms, key=lambda alarm: alarm.severity, reverse=True):
            if alarm.is_open and alarm.device_ref is not None:
                open_alarms.setdefault(alarm.device_ref, []).append(alarm)
        previous = self.data.devices if self.data is not None else {}
        states: dict[str, LoraDeviceState] = {}
        for device in devices:
            state = LoraDeviceState(
                device=device, alarms=tuple(open_alarms.get(device.ref or "", ()))
            )
            # An unchanged device keeps its object, so its entities see no change.
            old = previous.get(device.eui)
            states[device.eui] = old if old == state else state
        self._async_remove_stale_devices(states)
        self._async_announce_new_alarms(states)
        return LoraData(devices=states, api_quota=self.client.api_quota)

    @callback
    def _async_announce_new_alarms(self, states: Mapping[str, LoraDeviceState]) -> None:
        """Fire an event for every alarm that is open now and was not before.

        Alarms already open at the first read are not new to the user; an
        alarm that was cleared or acknowledged and opens again is announced again.
        """
        known = self._open_alarms
        self._open_alarms = {
            alarm.ref for state in states.values() for alarm in state.alarms
        }
        if known is None:
            return
        for eui, state in states.items():
            for alarm in state.alarms:
                if alarm.ref in known:
                    continue
                self.hass.bus.async_fire(
                    EVENT_LORA_ALARM,
                    {
                        "device_id": self.registry_device_id(eui),
                        "dev_eui": eui,
                        "alarm_ref": alarm.ref,
                        "type_id": alarm.type_id,
                        "type": alarm.type_name,
                        "severity": alarm.severity.name.lower(),
                        "raised_at": iso_or_none(alarm.created_at),
                        "info": list(alarm.info),
                    },
                )

    @callback
    def async_apply_uplink(self, uplink: LoraUplink) -> None:
        """Show a pushed uplink's radio figures and time now, not at the next poll.

        The poll schedule stays as it is: pushes must not postpone the reads of
        alarms, battery and counters.
        """
        state = self.data.devices[uplink.eui]
        device = state.device
        updated = replace(
            device,
            last_rssi=device.last_rssi if uplink.rssi is None else uplink.rssi,
            last_snr=device.last_snr if uplink.snr is None else uplink.snr,
            last_sf=device.last_sf if uplink.sf is None else uplink.sf,
            last_uplink=uplink.time or dt_util.utcnow(),
        )
        self.data = self._with_changes(
            replace(
                self.data,
                devices={
                    **self.data.devices,
                    uplink.eui: replace(state, device=updated),
                },
            ),
            [uplink.eui],
        )
        self.async_update_listeners()


class PlanCoordinator(IoTConnectivityCoordinator[PlanData, ConnectivityPlan]):
    """Connectivity plans and health counts: account-wide and slow to change."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: IoTConnectivityConfigEntry,
        client: KpnLoraClient,
    ) -> None:
        """Poll at the plan interval."""
        super().__init__(hass, entry, CONF_PLAN_INTERVAL)
        self.client = client

    @property
    @override
    def items(self) -> Mapping[str, ConnectivityPlan]:
        return self.data.plans

    @override
    async def _async_fetch(self) -> PlanData:
        # One after the other: hours apart, each request sent together would
        # open a connection of its own.
        plans = await self.client.list_connectivity_plans()
        health = await self.client.get_health()
        return PlanData(plans={plan.id: plan for plan in plans}, health=health)
