"""The IMEI watch: a SIM card taken out of its device and used in another.

For providers whose SIMs report the IMEI of their device (capability
``IMEI``), the first IMEI seen of each SIM is its baseline. An IMEI that
differs from the last one known fires :data:`EVENT_SIM_MOVED` (the device
trigger *SIM moved to another device*) and leaves the SIM with an open
change: its *IMEI changed* problem sensor is on until the user acknowledges
the change (button or action), which makes the new IMEI the baseline. A SIM
that returns to its baseline IMEI while its change is open moved back: that
fires :data:`EVENT_SIM_MOVED` too, and closes the change.
Baselines and open changes are kept in a store per entry, so they outlive a
restart. A SIM that reports no IMEI has not changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final, TypedDict

from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .api.models import Capability
from .const import DOMAIN, EVENT_SIM_MOVED
from .helpers import entry_store

if TYPE_CHECKING:
    from collections.abc import Iterable

    from .coordinator import IoTConnectivityConfigEntry, SimCoordinator

STORAGE_VERSION: Final = 1


class _StoredChange(TypedDict):
    old_imei: str
    new_imei: str
    detected_at: str


class _Stored(TypedDict):
    baselines: dict[str, str]
    changes: dict[str, _StoredChange]


@dataclass(frozen=True, slots=True, kw_only=True)
class ImeiChange:
    """A SIM's IMEI that differs from its baseline, not yet acknowledged."""

    old_imei: str
    """The baseline: the IMEI the SIM had before it moved."""
    new_imei: str
    """The IMEI reported last."""
    detected_at: datetime


def _store(hass: HomeAssistant, entry_id: str) -> Store[_Stored]:
    return entry_store(hass, entry_id, "imei_watch", STORAGE_VERSION)


def imei_signal(entry_id: str, iccid: str) -> str:
    """The dispatcher signal of a SIM whose open change came or went."""
    return f"{DOMAIN}_imei_{entry_id}_{iccid}"


class ImeiWatch:
    """Follows the IMEIs of one entry's SIM cards."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: IoTConnectivityConfigEntry,
        sims: SimCoordinator,
    ) -> None:
        """Watch the SIMs ``sims`` lists, keeping what it learns in a store."""
        self.hass = hass
        self.entry = entry
        self.sims = sims
        self._store = _store(hass, entry.entry_id)
        self.baselines: dict[str, str] = {}
        self.changes: dict[str, ImeiChange] = {}
        self._learned = False
        """Whether anything was learned since the entry was set up."""

    async def async_load(self) -> None:
        """Read the baselines and open changes kept before a restart."""
        stored = await self._store.async_load()
        if stored is None:
            return
        self.baselines = dict(stored["baselines"])
        self.changes = {
            iccid: ImeiChange(
                old_imei=change["old_imei"],
                new_imei=change["new_imei"],
                detected_at=dt_util.parse_datetime(change["detected_at"])
                or dt_util.utcnow(),
            )
            for iccid, change in stored["changes"].items()
        }

    @callback
    def async_check(self) -> None:
        """Compare the IMEIs of the SIMs the last read changed with what is known."""
        sims = self.sims
        if not sims.last_update_success:
            return
        listed = sims.data.sims
        changed = sims.changed_items
        learned = False
        for iccid in listed if changed is None else changed & listed.keys():
            if (imei := listed[iccid].imei) is None:
                continue
            if (baseline := self.baselines.get(iccid)) is None:
                self.baselines[iccid] = imei
                learned = True
                continue
            change = self.changes.get(iccid)
            last_known = change.new_imei if change is not None else baseline
            if imei == last_known:
                continue
            if imei == baseline:
                # Moved back: the change is over, nothing is left to acknowledge.
                del self.changes[iccid]
            else:
                self.changes[iccid] = ImeiChange(
                    old_imei=baseline, new_imei=imei, detected_at=dt_util.utcnow()
                )
            learned = True
            self._moved(iccid, last_known, imei)
        if learned:
            self._async_save()

    @callback
    def _moved(self, iccid: str, old_imei: str, new_imei: str) -> None:
        """Announce a SIM seen with another IMEI; tell its problem sensor."""
        self.hass.bus.async_fire(
            EVENT_SIM_MOVED,
            {
                "device_id": self.sims.registry_device_id(iccid),
                "iccid": iccid,
                "old_imei": old_imei,
                "new_imei": new_imei,
            },
        )
        async_dispatcher_send(self.hass, imei_signal(self.entry.entry_id, iccid))

    def check_acknowledgeable(self, iccid: str, device: str) -> None:
        """Refuse to acknowledge a SIM (named ``device``) with no open change."""
        if iccid not in self.changes:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="no_imei_change",
                translation_placeholders={"device": device},
            )

    @callback
    def async_acknowledge(self, iccids: Iterable[str]) -> None:
        """Make the new IMEIs of these SIMs (each with an open change) their baseline."""
        for iccid in iccids:
            if (change := self.changes.pop(iccid, None)) is None:
                continue
            self.baselines[iccid] = change.new_imei
            async_dispatcher_send(self.hass, imei_signal(self.entry.entry_id, iccid))
        self._async_save()

    def _stored_changes(self) -> dict[str, _StoredChange]:
        return {
            iccid: {
                "old_imei": change.old_imei,
                "new_imei": change.new_imei,
                "detected_at": change.detected_at.isoformat(),
            }
            for iccid, change in self.changes.items()
        }

    def _data(self) -> _Stored:
        return {"baselines": dict(self.baselines), "changes": self._stored_changes()}

    @callback
    def _async_save(self) -> None:
        """Write the store at once: changes are rare, and must outlive a crash.

        A delayed save of Home Assistant's, not a task of the entry: an unload
        does not cancel it, and Home Assistant's final write flushes it.
        """
        self._learned = True
        self._store.async_delay_save(self._data, 0)

    async def async_unload(self) -> None:
        """Write what was learned now: the entry set up again reads it at once."""
        if self._learned:
            await self._store.async_save(self._data())

    def diagnostics(self) -> dict[str, Any]:
        """How many baselines, and the open changes by ICCID (the caller redacts IMEIs)."""
        return {"baselines": len(self.baselines), "changes": self._stored_changes()}


async def async_watch_imeis(
    hass: HomeAssistant, entry: IoTConnectivityConfigEntry
) -> ImeiWatch | None:
    """Watch the IMEIs of the entry's SIM cards, if its provider reports them."""
    data = entry.runtime_data
    if (sims := data.sims) is None or Capability.IMEI not in data.capabilities:
        return None
    watch = ImeiWatch(hass, entry, sims)
    await watch.async_load()
    watch.async_check()
    entry.async_on_unload(sims.async_add_item_listener(watch.async_check))
    entry.async_on_unload(watch.async_unload)
    return watch
