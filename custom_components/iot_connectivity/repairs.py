"""Repair issues: what the user should fix, found while the integration runs.

* ``quota_low``: SIM cards with little of a data or SMS bundle left (the share
  is an entry option). Where the provider sells top-ups, the fix flow orders
  them for the SIMs whose data runs out.
* ``lora_activation_failed``: KPN could not activate the LoRa API with the
  ThingPark user; the fix flow asks for it again.
* ``downlink_credentials_missing``: a downlink was requested, which needs the
  AS ID and AS key of the routing profile's route; the fix flow asks for them.
* ``webhook_silent``: the provider reports traffic that it should have pushed
  to the entry's webhook, but no push ever arrived: the address is not set up
  at the provider.

The coordinators' listeners re-check after every update; setup creates or
clears the others.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final, override

from homeassistant.components.repairs import RepairsFlow
from homeassistant.const import CONF_PASSWORD, CONF_USERNAME
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import device_registry as dr, issue_registry as ir
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import (
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util
from homeassistant.util.hass_dict import HassKey
import probatio

from .api.errors import ActivationError, AuthenticationError, IoTConnectivityError
from .api.models import Capability, QuotaStatus, SimQuota
from .const import (
    CONF_AS_ID,
    CONF_AS_KEY,
    CONF_QUOTA_WARNING,
    CONF_WEBHOOK_ID,
    DOMAIN,
    EVENT_LORA_UPLINK,
    EVENT_SMS_DELIVERY,
    EVENT_SMS_RECEIVED,
    LOGGER,
    QUOTA_WARNING_BOUNDS,
)
from .providers import PushKind, spec_of
from .webhook import async_webhook_url

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from homeassistant.components.repairs import RepairsFlowResult

    from .coordinator import (
        IoTConnectivityConfigEntry,
        LoraData,
        SimTraffic,
        TrafficCoordinator,
        TrafficData,
    )

ISSUE_QUOTA_LOW: Final = "quota_low"
ISSUE_QUOTA_LOW_TOP_UP: Final = "quota_low_top_up"
ISSUE_LORA_ACTIVATION: Final = "lora_activation_failed"
ISSUE_DOWNLINK_CREDENTIALS: Final = "downlink_credentials_missing"
WEBHOOK_SILENT_ISSUES: Final = {
    PushKind.SMS_GATEWAY: "webhook_silent_sms",
    PushKind.LORA_UPLINKS: "webhook_silent_uplinks",
}
"""Translation key of the silent webhook issue: what the user must set up."""

LISTED_SIMS: Final = 10
"""SIM cards named in the quota issue; the rest are counted."""
PUSH_GRACE: Final = timedelta(hours=1)
"""Time after adding an account to point the provider at the webhook."""
PUSH_EVENTS: Final = (EVENT_SMS_RECEIVED, EVENT_SMS_DELIVERY, EVENT_LORA_UPLINK)
STORAGE_VERSION: Final = 1

_PUSH_LOG: HassKey[PushLog] = HassKey(f"{DOMAIN}_push_log")


def entry_issue_id(kind: str, entry: IoTConnectivityConfigEntry) -> str:
    """The id of one entry's issue of one kind."""
    return f"{kind}_{entry.entry_id}"


def _create(
    hass: HomeAssistant,
    entry: IoTConnectivityConfigEntry,
    kind: str,
    *,
    translation_key: str | None = None,
    fixable: bool = False,
    placeholders: Mapping[str, str] | None = None,
) -> None:
    """Create (or update) one entry's issue; the fix flow finds the entry."""
    ir.async_create_issue(
        hass,
        DOMAIN,
        entry_issue_id(kind, entry),
        is_fixable=fixable,
        severity=ir.IssueSeverity.WARNING,
        translation_key=translation_key or kind,
        translation_placeholders={"account": entry.title, **(placeholders or {})},
        data={"entry_id": entry.entry_id},
    )


@callback
def async_delete_issues(hass: HomeAssistant, entry: IoTConnectivityConfigEntry) -> None:
    """Remove every issue of a removed entry."""
    for kind in (
        ISSUE_QUOTA_LOW,
        ISSUE_LORA_ACTIVATION,
        ISSUE_DOWNLINK_CREDENTIALS,
        *WEBHOOK_SILENT_ISSUES.values(),
    ):
        ir.async_delete_issue(hass, DOMAIN, entry_issue_id(kind, entry))


@callback
def async_create_activation_issue(
    hass: HomeAssistant, entry: IoTConnectivityConfigEntry
) -> None:
    """KPN refused to activate the LoRa API for the entry's ThingPark user."""
    _create(
        hass,
        entry,
        ISSUE_LORA_ACTIVATION,
        fixable=True,
        placeholders={"username": entry.data[CONF_USERNAME]},
    )


@callback
def async_create_downlink_issue(
    hass: HomeAssistant, entry: IoTConnectivityConfigEntry
) -> None:
    """A downlink was requested, which needs the AS ID and key the entry lacks."""
    _create(hass, entry, ISSUE_DOWNLINK_CREDENTIALS, fixable=True)


async def async_setup_repairs(
    hass: HomeAssistant, entry: IoTConnectivityConfigEntry
) -> None:
    """Clear what a successful setup proves fixed; watch quotas and pushes."""
    ir.async_delete_issue(hass, DOMAIN, entry_issue_id(ISSUE_LORA_ACTIVATION, entry))
    if entry.data.get(CONF_AS_ID) and entry.data.get(CONF_AS_KEY):
        ir.async_delete_issue(
            hass, DOMAIN, entry_issue_id(ISSUE_DOWNLINK_CREDENTIALS, entry)
        )
    data = entry.runtime_data
    if (traffic := data.traffic) is not None and Capability.QUOTA in (
        data.capabilities
    ):
        watch = QuotaWatch(hass, entry, traffic)
        watch.async_check()
        entry.async_on_unload(traffic.async_add_listener(watch.async_check))
    if data.spec.push is not None:
        log = await _async_push_log(hass)
        await WebhookWatch(hass, entry, data.spec.push, log).async_start()


# Quotas


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

    @callback
    def async_check(self) -> None:
        """Raise, update or clear the issue after a traffic update."""
        traffic = self.traffic
        if not traffic.last_update_success:
            return
        changed = traffic.changed_items
        if changed is None:
            self._low = low_quotas(self.entry, traffic.data)
        else:
            for iccid in changed:
                self._low.pop(iccid, None)
            self._low.update(low_quotas(self.entry, traffic.data, changed))
        _async_check_quotas(self.hass, self.entry, list(self._low.values()))


def _sim_names(
    entry: IoTConnectivityConfigEntry, iccids: Iterable[str]
) -> dict[str, str]:
    """The SIM cards' names as the provider lists them, else their ICCIDs."""
    sims = entry.runtime_data.sims
    listed = sims.data.sims if sims is not None else {}
    return {
        iccid: (sim.name if (sim := listed.get(iccid)) and sim.name else iccid)
        for iccid in iccids
    }


def _listing(shown: list[str], total: int) -> str:
    """The first few of ``total`` SIM cards (``shown``), and how many more."""
    text = ", ".join(shown)
    return f"{text} (+{total - len(shown)})" if total > len(shown) else text


def _shown(
    entry: IoTConnectivityConfigEntry, low: list[LowQuota]
) -> list[tuple[LowQuota, str]]:
    """The SIM cards an issue names (the first few), with their names."""
    shown = low[:LISTED_SIMS]
    names = _sim_names(entry, (sim.iccid for sim in shown))
    return [(sim, names[sim.iccid]) for sim in shown]


@callback
def _async_check_quotas(
    hass: HomeAssistant, entry: IoTConnectivityConfigEntry, low: list[LowQuota]
) -> None:
    """Raise, update or clear the entry's quota issue for the ``low`` SIM cards."""
    if not low:
        ir.async_delete_issue(hass, DOMAIN, entry_issue_id(ISSUE_QUOTA_LOW, entry))
        return
    # Only data can be topped up; low SMS bundles are left to the user.
    top_up = Capability.TOP_UP in entry.runtime_data.capabilities and any(
        sim.data is not None for sim in low
    )
    _create(
        hass,
        entry,
        ISSUE_QUOTA_LOW,
        translation_key=ISSUE_QUOTA_LOW_TOP_UP if top_up else ISSUE_QUOTA_LOW,
        fixable=top_up,
        placeholders={
            "count": str(len(low)),
            "warning": str(quota_warning(entry)),
            "sims": _listing(
                [sim.describe(name) for sim, name in _shown(entry, low)], len(low)
            ),
        },
    )


# Pushes


class PushLog:
    """When each entry's webhook first received a push, kept across restarts."""

    def __init__(self, hass: HomeAssistant) -> None:
        """Use the integration's store."""
        self._store: Store[dict[str, str]] = Store(
            hass, STORAGE_VERSION, f"{DOMAIN}.pushes"
        )
        self._first_push: dict[str, str] = {}

    async def async_load(self) -> None:
        """Read the store once."""
        self._first_push = await self._store.async_load() or {}

    def received(self, entry_id: str) -> bool:
        """Whether the entry's webhook ever received a push."""
        return entry_id in self._first_push

    @callback
    def async_record(self, entry_id: str) -> None:
        """Remember the first push of an entry."""
        if entry_id not in self._first_push:
            self._first_push[entry_id] = dt_util.utcnow().isoformat()
            self._store.async_delay_save(lambda: self._first_push)


async def _async_push_log(hass: HomeAssistant) -> PushLog:
    if (log := hass.data.get(_PUSH_LOG)) is None:
        log = hass.data[_PUSH_LOG] = PushLog(hass)
        await log.async_load()
    return log


class WebhookWatch:
    """Raise ``webhook_silent`` when pushes are due but none ever arrived.

    Pushes are due once the provider reports, after the grace period, what it
    pushes: an uplink of a LoRa device, or SMS sent by a SIM (its SMS count
    grew while Home Assistant watched).
    """

    def __init__(
        self,
        hass: HomeAssistant,
        entry: IoTConnectivityConfigEntry,
        push: PushKind,
        log: PushLog,
    ) -> None:
        """Watch ``entry``'s webhook, which receives ``push``."""
        self.hass = hass
        self.entry = entry
        self.log = log
        self.kind = WEBHOOK_SILENT_ISSUES[push]
        self._traffic_seen: Mapping[str, SimTraffic] = {}
        """Each SIM's traffic at the previous check."""
        self._webhook_url = ""

    async def async_start(self) -> None:
        """Listen to the entry's pushes and to the provider's reports."""
        entry = self.entry
        if self.log.received(entry.entry_id):
            ir.async_delete_issue(self.hass, DOMAIN, entry_issue_id(self.kind, entry))
            return
        self._webhook_url = await async_webhook_url(
            self.hass, entry.data[CONF_WEBHOOK_ID]
        )
        for event_type in PUSH_EVENTS:
            entry.async_on_unload(
                self.hass.bus.async_listen(event_type, self._async_pushed)
            )
        data = entry.runtime_data
        for coordinator in (data.lora, data.traffic):
            if coordinator is not None:
                entry.async_on_unload(coordinator.async_add_listener(self._async_check))
        self._async_check()

    @callback
    def _async_pushed(self, event: Event[Mapping[str, Any]]) -> None:
        """A push for one of the entry's devices: the webhook works."""
        device = dr.async_get(self.hass).async_get(event.data.get("device_id", ""))
        if device is None or device.config_entry_id != self.entry.entry_id:
            return
        self.log.async_record(self.entry.entry_id)
        ir.async_delete_issue(self.hass, DOMAIN, entry_issue_id(self.kind, self.entry))

    @callback
    def _async_check(self) -> None:
        """Raise the issue when the provider reports traffic it should have pushed."""
        if self.log.received(self.entry.entry_id):
            return
        due_since = self.entry.created_at + PUSH_GRACE
        if dt_util.utcnow() < due_since or not self._pushes_due(due_since):
            return
        LOGGER.debug("No push reached the webhook of %s yet", self.entry.title)
        _create(
            self.hass,
            self.entry,
            self.kind,
            placeholders={"webhook_url": self._webhook_url},
        )

    def _pushes_due(self, due_since: datetime) -> bool:
        """Whether the provider reports traffic after ``due_since`` that it pushes."""
        data = self.entry.runtime_data
        if data.lora is not None:
            return _uplink_since(data.lora.data, due_since)
        if data.traffic is None:
            return False
        # Per SIM: reads may be spread, so a SIM read for the first time (or
        # anew in a new period) proves nothing. Only SIMs read anew are looked at.
        sims = data.traffic.data.sims
        before, self._traffic_seen = self._traffic_seen, sims
        changed = data.traffic.changed_items
        return any(
            (sim := sims.get(iccid)) is not None
            and (last := before.get(iccid)) is not None
            and (now := _sms_sent(sim)) is not None
            and (then := _sms_sent(last)) is not None
            and now > then
            for iccid in (sims if changed is None else changed)
        )


def _sms_sent(traffic: SimTraffic) -> int | None:
    """SMS the SIM card sent this period, if known."""
    return traffic.usage.sms_mo if traffic.usage is not None else None


def _uplink_since(lora: LoraData, moment: datetime) -> bool:
    return any(
        state.device.last_uplink is not None and state.device.last_uplink > moment
        for state in lora.devices.values()
    )


# Fix flows


class _EntryRepairFlow(RepairsFlow):
    """A fix flow of one entry's issue; ``async_step_fix`` is its only step."""

    def __init__(self, entry: IoTConnectivityConfigEntry) -> None:
        """Fix ``entry``."""
        self.entry = entry

    async def async_step_init(
        self, user_input: dict[str, str] | None = None
    ) -> RepairsFlowResult:
        """Start with an empty form (the repairs manager passes the issue id)."""
        return await self.async_step_fix()

    async def async_step_fix(
        self, user_input: dict[str, str] | None = None
    ) -> RepairsFlowResult:
        """Show the form, or fix the issue with what the user entered."""
        raise NotImplementedError

    def _placeholders(self) -> dict[str, str]:
        return {"account": self.entry.title}


class TopUpFlow(_EntryRepairFlow):
    """Order the data top-up of the SIM cards whose data runs out."""

    @override
    async def async_step_fix(
        self, user_input: dict[str, str] | None = None
    ) -> RepairsFlowResult:
        """Confirm the top-ups: the provider charges each."""
        traffic = self.entry.runtime_data.traffic
        low = [
            sim
            for sim in (
                low_quotas(self.entry, traffic.data) if traffic else {}
            ).values()
            if sim.data is not None
        ]
        if traffic is None or not low:
            return self.async_abort(reason="nothing_to_top_up")
        if user_input is None:
            return self.async_show_form(
                step_id="fix",
                description_placeholders={
                    **self._placeholders(),
                    "count": str(len(low)),
                    "sims": _listing(
                        [name for _, name in _shown(self.entry, low)], len(low)
                    ),
                },
            )
        client = traffic.client
        try:
            for sim in low:
                await client.top_up(sim.iccid)
        except IoTConnectivityError as err:
            return self.async_abort(
                reason="top_up_failed", description_placeholders={"error": str(err)}
            )
        await traffic.async_refresh_sims(sim.iccid for sim in low)
        return self.async_create_entry(data={})


class ActivationFlow(_EntryRepairFlow):
    """Activate the LoRa API again, with the ThingPark user given anew."""

    @override
    async def async_step_fix(
        self, user_input: dict[str, str] | None = None
    ) -> RepairsFlowResult:
        """Ask for the ThingPark user; activation proves it."""
        errors: dict[str, str] = {}
        if user_input is not None:
            data = {**self.entry.data, **user_input}
            try:
                spec = spec_of(self.entry)
                session = async_get_clientsession(self.hass)
                await spec.create_client(session, data, sign_in=True).get_account()
            except ActivationError:
                errors["base"] = "activation_failed"
            except AuthenticationError:
                errors["base"] = "invalid_auth"
            except IoTConnectivityError:
                errors["base"] = "cannot_connect"
            else:
                self.hass.config_entries.async_update_entry(self.entry, data=data)
                self.hass.config_entries.async_schedule_reload(self.entry.entry_id)
                return self.async_create_entry(data={})
        schema = probatio.Schema(
            {
                probatio.Required(CONF_USERNAME): TextSelector(),
                probatio.Required(probatio.Secret(CONF_PASSWORD)): TextSelector(
                    TextSelectorConfig(type=TextSelectorType.PASSWORD)
                ),
            }
        )
        return self.async_show_form(
            step_id="fix",
            data_schema=self.add_suggested_values_to_schema(
                schema, {CONF_USERNAME: self.entry.data[CONF_USERNAME]}
            ),
            description_placeholders=self._placeholders(),
            errors=errors,
        )


class DownlinkCredentialsFlow(_EntryRepairFlow):
    """Store the AS ID and AS key of the routing profile's route."""

    @override
    async def async_step_fix(
        self, user_input: dict[str, str] | None = None
    ) -> RepairsFlowResult:
        """Ask for both; the entry reloads with them."""
        if user_input is not None:
            self.hass.config_entries.async_update_entry(
                self.entry, data={**self.entry.data, **user_input}
            )
            self.hass.config_entries.async_schedule_reload(self.entry.entry_id)
            return self.async_create_entry(data={})
        schema = probatio.Schema(
            {
                probatio.Required(CONF_AS_ID): TextSelector(),
                probatio.Required(probatio.Secret(CONF_AS_KEY)): TextSelector(
                    TextSelectorConfig(type=TextSelectorType.PASSWORD)
                ),
            }
        )
        return self.async_show_form(
            step_id="fix",
            data_schema=self.add_suggested_values_to_schema(
                schema, {CONF_AS_ID: self.entry.data.get(CONF_AS_ID)}
            ),
            description_placeholders=self._placeholders(),
        )


FIX_FLOWS: Final[Mapping[str, type[_EntryRepairFlow]]] = {
    ISSUE_QUOTA_LOW: TopUpFlow,
    ISSUE_LORA_ACTIVATION: ActivationFlow,
    ISSUE_DOWNLINK_CREDENTIALS: DownlinkCredentialsFlow,
}


async def async_create_fix_flow(
    hass: HomeAssistant, issue_id: str, data: dict[str, str | int | float | None] | None
) -> RepairsFlow:
    """The fix flow of a fixable issue."""
    entry = hass.config_entries.async_get_entry(str((data or {}).get("entry_id")))
    for kind, flow in FIX_FLOWS.items():
        if entry is not None and issue_id == entry_issue_id(kind, entry):
            return flow(entry)
    msg = f"No fix flow for {issue_id}"
    raise ValueError(msg)
