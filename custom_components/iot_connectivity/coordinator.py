"""Coordinators of the IoT Connectivity integration, one per speed of data.

SIM status changes within minutes, usage counters are slow and cost a request
per SIM, LoRa radio statistics are fast and connectivity plans hardly change:
each kind has its own coordinator and interval (entry options).
"""

from __future__ import annotations

import abc
import asyncio
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, override

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from .api.base import SimClient
from .api.errors import AuthenticationError, IoTConnectivityError, RateLimitedError
from .api.models import (
    ApiQuota,
    Capability,
    ConnectivityPlan,
    LoraAlarm,
    LoraDevice,
    LoraHealth,
    LoraUplink,
    Provider,
    Sim,
    SimQuota,
    SimSession,
    SimUsage,
)
from .const import (
    CONF_LORA_INTERVAL,
    CONF_PLAN_INTERVAL,
    CONF_PROVIDER,
    CONF_SIM_INTERVAL,
    CONF_USAGE_INTERVAL,
    DOMAIN,
    ENTITY_GROUP_LORA_ALARMS,
    ENTITY_GROUP_QUOTA,
    ENTITY_GROUP_SESSION,
    ENTITY_GROUP_USAGE,
    EVENT_LORA_ALARM,
    INTERVAL_BOUNDS,
    LOGGER,
    PROVIDER_NAMES,
    interval,
)

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Mapping
    from datetime import datetime

    from .api.kpn_lora import KpnLoraClient

MANUFACTURERS = {
    Provider.KPN_IOT_SIM: "KPN",
    Provider.TMOBILE_EASY_CONNECT: "T-Mobile",
    Provider.INFOBIP_IOT: "Infobip",
    Provider.KPN_LORA: "KPN",
}


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
    """What a loaded entry holds: the client, what it can do and its coordinators."""

    client: SimClient | KpnLoraClient
    entity_groups: frozenset[str]
    """The entity groups (entry option) the user wants."""
    sims: SimCoordinator | None = None
    traffic: TrafficCoordinator | None = None
    lora: LoraCoordinator | None = None
    plans: PlanCoordinator | None = None

    @property
    def capabilities(self) -> frozenset[Capability]:
        """What the SIM provider can do; LoRa entities need no capability."""
        if isinstance(self.client, SimClient):
            return self.client.capabilities
        return frozenset()


type IoTConnectivityConfigEntry = ConfigEntry[IoTConnectivityData]


def hub_identifier(entry: ConfigEntry[Any]) -> tuple[str, str]:
    """Return the device registry identifier of the account hub."""
    return DOMAIN, entry.unique_id or entry.entry_id


def hub_device_info(entry: ConfigEntry[Any]) -> DeviceInfo:
    """Describe the account hub every SIM and LoRa device hangs off.

    Named like the entry, which the config flow names after provider and account.
    """
    provider = Provider(entry.data[CONF_PROVIDER])
    return DeviceInfo(
        identifiers={hub_identifier(entry)},
        name=entry.title,
        manufacturer=MANUFACTURERS[provider],
        model=PROVIDER_NAMES[provider],
        entry_type=dr.DeviceEntryType.SERVICE,
    )


def iso_or_none(moment: datetime | None) -> str | None:
    """A time as event data: ISO 8601 text."""
    return moment.isoformat() if moment is not None else None


class IoTConnectivityCoordinator[DataT, ItemT](DataUpdateCoordinator[DataT], abc.ABC):
    """Fetches one kind of data; ``items`` are its entities' SIMs, devices or plans.

    Library errors become translated ``UpdateFailed`` (entities go unavailable)
    or ``ConfigEntryAuthFailed`` (starts reauthentication).
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
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{entry.title} {interval_option.removesuffix('_interval')}",
            update_interval=interval(minutes),
            # Every data class compares by value: unchanged data writes no state.
            always_update=False,
        )

    @property
    @abc.abstractmethod
    def items(self) -> Mapping[str, ItemT]:
        """The SIMs, devices or plans in the latest data, by id."""

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

    @override
    async def _async_update_data(self) -> DataT:
        try:
            return await self._async_fetch()
        except AuthenticationError as err:
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN, translation_key="authentication_failed"
            ) from err
        except RateLimitedError as err:
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="rate_limited",
                retry_after=self._seconds_until_allowed(err),
            ) from err
        except IoTConnectivityError as err:
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="update_failed",
                translation_placeholders={"error": str(err)},
            ) from err

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

    @callback
    def _async_remove_stale_devices(self, current: Mapping[str, object]) -> None:
        """Detach devices the provider no longer lists from this entry.

        Runs on every successful read, so devices removed while Home Assistant
        was stopped go too.
        """
        registry = dr.async_get(self.hass)
        keep = {hub_identifier(self.config_entry)} | {(DOMAIN, i) for i in current}
        for device in dr.async_entries_for_config_entry(
            registry, self.config_entry.entry_id
        ):
            if not device.identifiers & keep:
                LOGGER.debug("Removing device %s, gone at the provider", device.name)
                registry.async_update_device(
                    device.id, remove_config_entry_id=self.config_entry.entry_id
                )


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
            manufacturer=MANUFACTURERS[sim.provider],
            model=sim.model,
            serial_number=sim.iccid,
            via_device_id=self._hub_device_id(),
        )

    @override
    async def _async_fetch(self) -> SimData:
        sims = {sim.iccid: sim for sim in await self.client.list_sims()}
        self._async_remove_stale_devices(sims)
        return SimData(sims=sims, api_quota=self.client.api_quota)


TRAFFIC_GROUPS: Mapping[str, frozenset[Capability]] = {
    ENTITY_GROUP_USAGE: frozenset({Capability.USAGE, Capability.BULK_USAGE}),
    ENTITY_GROUP_QUOTA: frozenset({Capability.QUOTA}),
    ENTITY_GROUP_SESSION: frozenset({Capability.SESSION}),
}
"""The entity groups read by the traffic coordinator and what each needs."""


def traffic_groups(
    capabilities: frozenset[Capability], entity_groups: frozenset[str]
) -> frozenset[str]:
    """Return the traffic groups the user wants and the provider can deliver."""
    return frozenset(
        group
        for group, needs in TRAFFIC_GROUPS.items()
        if group in entity_groups and needs & capabilities
    )


class TrafficCoordinator(IoTConnectivityCoordinator[TrafficData, SimTraffic]):
    """Usage, quotas and sessions of the listed SIMs: slow, and often one call each."""

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

        New SIMs get their traffic entities at once, and removed ones are
        forgotten, so their entities return when the SIMs do.
        """
        if (
            self.data is not None
            and self._sims.data.sims.keys() != self.data.sims.keys()
        ):
            self.config_entry.async_create_background_task(
                self.hass, self.async_request_refresh(), f"{self.name} SIM list changed"
            )

    @override
    async def _async_fetch(self) -> TrafficData:
        iccids = list(self._sims.data.sims)
        usage, quotas, sessions = await asyncio.gather(
            self._async_read(ENTITY_GROUP_USAGE, self._async_usage, iccids),
            self._async_read(
                ENTITY_GROUP_QUOTA,
                lambda ids: self.client.gather_by_iccid(ids, self.client.get_quota),
                iccids,
            ),
            self._async_read(ENTITY_GROUP_SESSION, self.client.get_sessions, iccids),
        )
        return TrafficData(
            sims={
                iccid: SimTraffic(
                    usage=usage.get(iccid),
                    quota=quotas.get(iccid),
                    session=sessions.get(iccid),
                )
                for iccid in iccids
            }
        )

    async def _async_read[T](
        self,
        group: str,
        fetch: Callable[[list[str]], Awaitable[dict[str, T]]],
        iccids: list[str],
    ) -> dict[str, T]:
        """``fetch`` for ``iccids`` when ``group`` is read at all."""
        if group not in self._groups:
            return {}
        return await fetch(iccids)

    async def _async_usage(self, iccids: list[str]) -> dict[str, SimUsage]:
        """One bulk call where the provider has it, else one call per SIM."""
        if Capability.BULK_USAGE in self.client.capabilities:
            return await self.client.get_all_usage()
        return await self.client.gather_by_iccid(iccids, self.client.get_usage)


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
        states = {
            device.eui: LoraDeviceState(
                device=device, alarms=tuple(open_alarms.get(device.ref or "", ()))
            )
            for device in devices
        }
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
        self.data = replace(
            self.data,
            devices={**self.data.devices, uplink.eui: replace(state, device=updated)},
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
        plans, health = await asyncio.gather(
            self.client.list_connectivity_plans(), self.client.get_health()
        )
        return PlanData(plans={plan.id: plan for plan in plans}, health=health)
