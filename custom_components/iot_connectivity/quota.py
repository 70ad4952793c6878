"""The quota watch: SIM cards with little left of a data or SMS bundle.

After every read of the SIMs' traffic the entry's ``quota_low`` repair issue
follows the SIM cards at or below the warning share (an entry option). Where
the provider sells top-ups the issue is fixable: its fix flow (:mod:`.repairs`)
orders them for the SIM cards whose data runs out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from homeassistant.core import HomeAssistant, callback

from .api.models import Capability, QuotaStatus, SimQuota
from .const import CONF_QUOTA_WARNING, QUOTA_WARNING_BOUNDS
from .helpers import (
    async_create_entry_issue,
    async_delete_entry_issue,
    async_entry_issue_exists,
)

if TYPE_CHECKING:
    from collections.abc import Iterable

    from .coordinator import (
        IoTConnectivityConfigEntry,
        TrafficCoordinator,
        TrafficData,
    )

ISSUE_QUOTA_LOW: Final = "quota_low"
ISSUE_QUOTA_LOW_TOP_UP: Final = "quota_low_top_up"
"""The translation of the issue when its fix flow can top the SIM cards up."""
LISTED_SIMS: Final = 10
"""SIM cards named in the quota issue; the rest are counted."""
_NOT_WRITTEN: Final = object()


def _share_left(
    left: float | None, total: float | None, status: QuotaStatus
) -> float | None:
    """Percent of a bundle left; None when the provider does not tell."""
    if status is QuotaStatus.EXHAUSTED:
        return 0.0
    if left is None or not total:
        return None
    return max(left, 0) * 100 / total


@dataclass(frozen=True, slots=True)
class LowQuota:
    """A SIM card with little left of its data or SMS bundle (percent left)."""

    iccid: str
    data: float | None
    sms: float | None

    def describe(self, name: str) -> str:
        """E.g. ``Meter 12 (data 8 %, SMS 0 %)``."""
        parts = [
            f"{label} {share:.0f} %"
            for label, share in (("data", self.data), ("SMS", self.sms))
            if share is not None
        ]
        return f"{name} ({', '.join(parts)})"


def _low_quota(quota: SimQuota, warning: float) -> LowQuota | None:
    """The SIM's bundles at or below ``warning`` percent, if any."""
    data = _share_left(quota.data_left_bytes, quota.data_total_bytes, quota.data_status)
    sms = _share_left(quota.sms_left, quota.sms_total, quota.sms_status)
    low_data = data if data is not None and data <= warning else None
    low_sms = sms if sms is not None and sms <= warning else None
    if low_data is None and low_sms is None:
        return None
    return LowQuota(quota.iccid, low_data, low_sms)


def quota_warning(entry: IoTConnectivityConfigEntry) -> int:
    """The share (%) of a bundle left at which the entry warns."""
    warning: int = entry.options.get(CONF_QUOTA_WARNING, QUOTA_WARNING_BOUNDS[0])
    return warning


def low_quotas(
    entry: IoTConnectivityConfigEntry,
    traffic: TrafficData,
    iccids: Iterable[str] | None = None,
) -> dict[str, LowQuota]:
    """The entry's SIM cards (of ``iccids``) with a bundle at or below the warning."""
    warning = quota_warning(entry)
    sims = traffic.sims
    found: dict[str, LowQuota] = {}
    for iccid in sims if iccids is None else iccids:
        if (
            (sim := sims.get(iccid)) is not None
            and sim.quota is not None
            and (low := _low_quota(sim.quota, warning)) is not None
        ):
            found[iccid] = low
    return found


def listing(shown: list[str], total: int) -> str:
    """The first few of ``total`` SIM cards (``shown``), and how many more."""
    text = ", ".join(shown)
    return f"{text} (+{total - len(shown)})" if total > len(shown) else text


def shown_sims(
    entry: IoTConnectivityConfigEntry, low: list[LowQuota]
) -> list[tuple[LowQuota, str]]:
    """The SIM cards an issue names (the first few), with their names.

    A name is the SIM's as the provider lists it, else its ICCID.
    """
    sims = entry.runtime_data.sims
    listed = sims.data.sims if sims is not None else {}

    def name(iccid: str) -> str:
        sim = listed.get(iccid)
        return sim.name if sim is not None and sim.name else iccid

    return [(sim, name(sim.iccid)) for sim in low[:LISTED_SIMS]]


class QuotaWatch:
    """Keeps the entry's quota issue in step with its SIM cards' bundles.

    After a refresh in turns only the SIM cards it changed are looked at, not
    the thousands it carried over.
    """

    def __init__(
        self,
        hass: HomeAssistant,
        entry: IoTConnectivityConfigEntry,
        traffic: TrafficCoordinator,
    ) -> None:
        """Watch ``traffic``'s SIM cards for ``entry``."""
        self.hass = hass
        self.entry = entry
        self.traffic = traffic
        self._low: dict[str, LowQuota] = {}
        self._named: object = _NOT_WRITTEN
        """The SIM list the issue took its names from when it was last written."""

    @callback
    def async_check(self) -> None:
        """Raise, update or clear the issue after a traffic update."""
        traffic = self.traffic
        if not traffic.last_update_success:
            return
        changed = traffic.changed_items
        if changed is None:
            low = low_quotas(self.entry, traffic.data)
            moved = low != self._low
            self._low = low
        else:
            low = low_quotas(self.entry, traffic.data, changed)
            moved = False
            for iccid in changed - low.keys():
                moved |= self._low.pop(iccid, None) is not None
            # A SIM that stays low keeps its place: the SIMs the issue names
            # change only when their bundles do.
            for iccid, sim in low.items():
                if self._low.get(iccid) != sim:
                    self._low[iccid] = sim
                    moved = True
        sims = self.entry.runtime_data.sims
        named = sims.data if sims is not None else None
        # An issue that would say the same is not rewritten at every turn;
        # one its fix flow removed is raised again while SIMs stay low.
        if (
            moved
            or named is not self._named
            or (
                self._low
                and not async_entry_issue_exists(self.hass, self.entry, ISSUE_QUOTA_LOW)
            )
        ):
            self._named = named
            self._async_update_issue(list(self._low.values()))

    @callback
    def _async_update_issue(self, low: list[LowQuota]) -> None:
        """Raise, update or clear the entry's quota issue for the ``low`` SIM cards."""
        entry = self.entry
        if not low:
            async_delete_entry_issue(self.hass, entry, ISSUE_QUOTA_LOW)
            return
        # Only data can be topped up; low SMS bundles are left to the user.
        top_up = Capability.TOP_UP in entry.runtime_data.capabilities and any(
            sim.data is not None for sim in low
        )
        async_create_entry_issue(
            self.hass,
            entry,
            ISSUE_QUOTA_LOW,
            translation_key=ISSUE_QUOTA_LOW_TOP_UP if top_up else ISSUE_QUOTA_LOW,
            fixable=top_up,
            placeholders={
                "count": str(len(low)),
                "warning": str(quota_warning(entry)),
                "sims": listing(
                    [sim.describe(name) for sim, name in shown_sims(entry, low)],
                    len(low),
                ),
            },
        )


@callback
def async_watch_quotas(hass: HomeAssistant, entry: IoTConnectivityConfigEntry) -> None:
    """Watch the bundles of the entry's SIM cards, if it reads any quotas."""
    data = entry.runtime_data
    if (traffic := data.traffic) is None or Capability.QUOTA not in data.capabilities:
        return
    watch = QuotaWatch(hass, entry, traffic)
    watch.async_check()
    entry.async_on_unload(traffic.async_add_item_listener(watch.async_check))
