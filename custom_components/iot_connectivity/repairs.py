"""Fix flows of the repair issues.

The issues themselves are raised by what watches for them: low quotas by
:mod:`.quota`, a silent webhook by :mod:`.webhook`. Only the quota issue is
fixable, where the provider sells top-ups: its flow orders them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.components.repairs import RepairsFlow
from homeassistant.exceptions import HomeAssistantError

from .helpers import entry_issue_id, provider_errors
from .quota import ISSUE_QUOTA_LOW, listing, low_quotas, shown_sims

if TYPE_CHECKING:
    from homeassistant.components.repairs import RepairsFlowResult
    from homeassistant.core import HomeAssistant

    from .coordinator import IoTConnectivityConfigEntry


class TopUpFlow(RepairsFlow):
    """Order the data top-up of the SIM cards whose data runs out."""

    def __init__(self, entry: IoTConnectivityConfigEntry) -> None:
        """Top up the SIM cards of ``entry``."""
        self.entry = entry

    async def async_step_init(
        self, user_input: dict[str, str] | None = None
    ) -> RepairsFlowResult:
        """Start with the confirmation (the repairs manager passes the issue id)."""
        return await self.async_step_fix()

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
                    "account": self.entry.title,
                    "count": str(len(low)),
                    "sims": listing(
                        [name for _, name in shown_sims(self.entry, low)], len(low)
                    ),
                },
            )
        try:
            with provider_errors(self.hass, self.entry):
                for sim in low:
                    await traffic.client.top_up(sim.iccid)
        except HomeAssistantError as err:
            return self.async_abort(
                reason="top_up_failed", description_placeholders={"error": str(err)}
            )
        await traffic.async_refresh_sims(sim.iccid for sim in low)
        return self.async_create_entry(data={})


async def async_create_fix_flow(
    hass: HomeAssistant, issue_id: str, data: dict[str, str | int | float | None] | None
) -> RepairsFlow:
    """The fix flow of a fixable issue."""
    entry = hass.config_entries.async_get_entry(str((data or {}).get("entry_id")))
    if entry is not None and issue_id == entry_issue_id(ISSUE_QUOTA_LOW, entry):
        return TopUpFlow(entry)
    msg = f"No fix flow for {issue_id}"
    raise ValueError(msg)
