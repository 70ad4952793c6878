"""Repair issues and their fix flows, against the emulator over real HTTP.

Low quotas (:mod:`quota`) and silent webhooks (:mod:`webhook`); a refused LoRa
activation and missing downlink settings are no repairs (see test_activation
and test_services).
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from homeassistant.components import webhook
from homeassistant.components.repairs import repairs_flow_manager
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)

from custom_components.iot_connectivity.api.models import (
    Provider,
    QuotaStatus,
    SimQuota,
)
from custom_components.iot_connectivity.const import (
    CONF_QUOTA_WARNING,
    CONF_WEBHOOK_ID,
    DOMAIN,
)
from custom_components.iot_connectivity.coordinator import SimTraffic, TrafficData
from custom_components.iot_connectivity.helpers import entry_issue_id
from custom_components.iot_connectivity.quota import LISTED_SIMS, listing, low_quotas
from custom_components.iot_connectivity.repairs import async_create_fix_flow
from custom_components.iot_connectivity.webhook import (
    FIRST_PUSH,
    LEGACY_PUSH_LOG,
    PUSH_GRACE,
)
from iot_emulator import kpn_lora, management_api
from iot_emulator.core import Fault, FaultKind

from .conftest import AS_ID, AS_KEY

if TYPE_CHECKING:
    import aiohttp
    from homeassistant.core import HomeAssistant

    from iot_emulator.server import EmulatorServer

ICCID = "8988280666000001234"
"""T-Mobile's example SIM, "Weather station Utrecht": 38 of 250 SMS left."""
SIM_NAME = "Weather station Utrecht"
EUI = "0059AC0000170311"
UNKNOWN_EUI = "0059AC00000FFFFF"
"""A LoRa device the account does not list."""


@pytest.fixture(autouse=True)
async def repairs(hass: HomeAssistant) -> None:
    """The repairs component, which runs the fix flows."""
    assert await async_setup_component(hass, "repairs", {})


def issue(hass: HomeAssistant, kind: str, entry: MockConfigEntry) -> ir.IssueEntry:
    """The entry's issue of one kind, which must exist."""
    found = ir.async_get(hass).async_get_issue(DOMAIN, entry_issue_id(kind, entry))
    assert found is not None, f"no {kind} issue"
    return found


def placeholders(found: ir.IssueEntry) -> dict[str, str]:
    """The issue's translation placeholders."""
    assert found.translation_placeholders is not None
    return found.translation_placeholders


def no_issue(hass: HomeAssistant, kind: str, entry: MockConfigEntry) -> bool:
    """Whether the entry has no issue of this kind."""
    return (
        ir.async_get(hass).async_get_issue(DOMAIN, entry_issue_id(kind, entry)) is None
    )


async def start_fix(hass: HomeAssistant, kind: str, entry: MockConfigEntry) -> Any:
    """Open the fix flow of the entry's issue."""
    manager = repairs_flow_manager(hass)
    assert manager is not None
    return await manager.async_init(
        DOMAIN, context={"issue_id": entry_issue_id(kind, entry)}
    )


async def submit(hass: HomeAssistant, flow_id: str, user_input: dict[str, Any]) -> Any:
    """Answer a step of a fix flow."""
    manager = repairs_flow_manager(hass)
    assert manager is not None
    result = await manager.async_configure(flow_id, user_input)
    await hass.async_block_till_done()
    return result


async def reread_sim(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Read the example SIM's traffic now, ahead of its turn."""
    traffic = entry.runtime_data.traffic
    assert traffic is not None
    await traffic.async_refresh_sims([ICCID])
    # The requested refresh may wait for the debouncer: refresh now.
    await traffic.async_refresh()
    await hass.async_block_till_done()


def added_hours_ago(entry: MockConfigEntry, hours: float) -> MockConfigEntry:
    """Pretend the entry was added a while ago (past the push grace period)."""
    object.__setattr__(entry, "created_at", dt_util.utcnow() - timedelta(hours=hours))
    return entry


# Quotas


@pytest.mark.parametrize("provider", [Provider.TMOBILE_EASY_CONNECT])
async def test_no_quota_issue_above_the_warning_share(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """15 % of the SMS bundle left is fine at the default 10 %."""
    assert no_issue(hass, "quota_low", init_integration)


@pytest.mark.parametrize("provider", [Provider.TMOBILE_EASY_CONNECT])
@pytest.mark.parametrize("entry_options", [{CONF_QUOTA_WARNING: 20}])
async def test_quota_issue_top_up_flow(
    hass: HomeAssistant, emulator: EmulatorServer, init_integration: MockConfigEntry
) -> None:
    """Low SMS alone cannot be fixed here; low data is topped up by the fix flow."""
    sms_only = issue(hass, "quota_low", init_integration)
    assert not sms_only.is_fixable
    assert sms_only.translation_key == "quota_low"
    assert sms_only.translation_placeholders == {
        "account": init_integration.title,
        "count": "1",
        "warning": "20",
        "sims": f"{SIM_NAME} (SMS 15 %)",
    }

    sim = emulator.tmobile.sims[ICCID]
    sim.use_data(420)
    await reread_sim(hass, init_integration)
    low = issue(hass, "quota_low", init_integration)
    assert low.is_fixable
    assert low.translation_key == "quota_low_top_up"
    assert placeholders(low)["sims"] == f"{SIM_NAME} (data 3 %, SMS 15 %)"

    result = await start_fix(hass, "quota_low", init_integration)
    assert result["type"] is FlowResultType.FORM
    assert result["description_placeholders"] == {
        "account": init_integration.title,
        "count": "1",
        "sims": SIM_NAME,
    }
    assert emulator.tmobile.top_ups == []
    result = await submit(hass, result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert [order.iccids for order in emulator.tmobile.top_ups] == [(ICCID,)]
    assert sim.quota_data["volume"] > management_api.TOP_UP_VOLUME_MB
    assert no_issue(hass, "quota_low", init_integration)
    # Data is fine again; at the next read the SMS bundle still warns.
    await reread_sim(hass, init_integration)
    sms_again = issue(hass, "quota_low", init_integration)
    assert not sms_again.is_fixable
    assert placeholders(sms_again)["sims"] == f"{SIM_NAME} (SMS 15 %)"


@pytest.mark.parametrize("provider", [Provider.TMOBILE_EASY_CONNECT])
@pytest.mark.parametrize("entry_options", [{CONF_QUOTA_WARNING: 20}])
async def test_quota_issue_clears_when_bundles_recover(
    hass: HomeAssistant, emulator: EmulatorServer, init_integration: MockConfigEntry
) -> None:
    """A refilled SMS bundle clears the issue at the next read."""
    issue(hass, "quota_low", init_integration)
    emulator.tmobile.sims[ICCID].quota_sms["volume"] = 200
    await reread_sim(hass, init_integration)
    assert no_issue(hass, "quota_low", init_integration)


@pytest.mark.parametrize("provider", [Provider.TMOBILE_EASY_CONNECT])
@pytest.mark.parametrize("entry_options", [{CONF_QUOTA_WARNING: 20}])
async def test_quota_issue_not_rewritten_when_it_says_the_same(
    hass: HomeAssistant, emulator: EmulatorServer, init_integration: MockConfigEntry
) -> None:
    """A SIM read again that stays as low keeps its place in the issue.

    The issue, and the registry file behind it, change only when what the
    issue says does: not at every turn of a read in turns.
    """
    emulator.tmobile.generate(1)
    other = next(iccid for iccid in emulator.tmobile.sims if iccid != ICCID)
    emulator.tmobile.sims[other].quota_sms["volume"] = 1
    data = init_integration.runtime_data
    sims, traffic = data.sims, data.traffic
    assert sims is not None
    assert traffic is not None
    await sims.async_refresh()
    await traffic.async_refresh_sims([other])
    await traffic.async_refresh()
    await hass.async_block_till_done()
    named = placeholders(issue(hass, "quota_low", init_integration))["sims"]
    assert named.startswith(SIM_NAME)
    updates = async_capture_events(hass, ir.EVENT_REPAIRS_ISSUE_REGISTRY_UPDATED)

    # 37 of 250 SMS left: still 15 %, so the issue says the same.
    emulator.tmobile.sims[ICCID].quota_sms["volume"] = 37
    await reread_sim(hass, init_integration)

    assert placeholders(issue(hass, "quota_low", init_integration))["sims"] == named
    assert updates == []


@pytest.mark.parametrize("provider", [Provider.TMOBILE_EASY_CONNECT])
@pytest.mark.parametrize("entry_options", [{CONF_QUOTA_WARNING: 20}])
async def test_quota_issue_follows_a_renamed_sim(
    hass: HomeAssistant, emulator: EmulatorServer, init_integration: MockConfigEntry
) -> None:
    """A SIM renamed at the provider is named anew, though its bundles stay."""
    assert placeholders(issue(hass, "quota_low", init_integration))["sims"] == (
        f"{SIM_NAME} (SMS 15 %)"
    )
    emulator.tmobile.sims[ICCID].record["label"] = "Rain gauge"
    sims = init_integration.runtime_data.sims
    assert sims is not None
    await sims.async_refresh()
    await reread_sim(hass, init_integration)

    assert placeholders(issue(hass, "quota_low", init_integration))["sims"] == (
        "Rain gauge (SMS 15 %)"
    )


@pytest.mark.parametrize("provider", [Provider.TMOBILE_EASY_CONNECT])
@pytest.mark.parametrize("entry_options", [{CONF_QUOTA_WARNING: 20}])
async def test_top_up_refused_or_no_longer_needed(
    hass: HomeAssistant, emulator: EmulatorServer, init_integration: MockConfigEntry
) -> None:
    """A refused top-up aborts with the provider's answer; so does a moot one."""
    emulator.tmobile.sims[ICCID].use_data(420)
    await reread_sim(hass, init_integration)

    emulator.tmobile.faults.add(
        Fault(kind=FaultKind.STATUS, endpoint="top_up", status=503)
    )
    result = await start_fix(hass, "quota_low", init_integration)
    result = await submit(hass, result["flow_id"], {})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "top_up_failed"
    assert "503" in result["description_placeholders"]["error"]
    assert emulator.tmobile.top_ups == []
    assert issue(hass, "quota_low", init_integration).is_fixable

    hass.config_entries.async_update_entry(
        init_integration, options={CONF_QUOTA_WARNING: 1}
    )
    result = await start_fix(hass, "quota_low", init_integration)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "nothing_to_top_up"


@pytest.mark.parametrize(
    ("quota", "described"),
    [
        (
            SimQuota(iccid="1", data_left_bytes=5, data_total_bytes=100),
            "SIM (data 5 %)",
        ),
        (
            SimQuota(
                iccid="1", data_status=QuotaStatus.EXHAUSTED, sms_left=1, sms_total=10
            ),
            "SIM (data 0 %, SMS 10 %)",
        ),
        (
            SimQuota(iccid="1", data_status=QuotaStatus.LOW, sms_left=9, sms_total=10),
            None,
        ),
        (SimQuota(iccid="1", data_left_bytes=50, data_total_bytes=100), None),
        (SimQuota(iccid="1", data_left_bytes=0, data_total_bytes=0), None),
    ],
)
async def test_low_quota_shares(
    hass: HomeAssistant, quota: SimQuota, described: str | None
) -> None:
    """Shares come from left and total; EXHAUSTED is 0 %; unknown shares never warn."""
    entry = MockConfigEntry(domain=DOMAIN, options={CONF_QUOTA_WARNING: 10})
    low = low_quotas(entry, TrafficData(sims={"1": SimTraffic(quota=quota)}))
    assert [sim.describe("SIM") for sim in low.values()] == (
        [described] if described else []
    )


def test_long_quota_listing_is_counted() -> None:
    """Beyond the first SIM cards the issue only counts the rest."""
    names = [f"SIM {number}" for number in range(LISTED_SIMS + 3)]
    assert listing(names[:LISTED_SIMS], len(names)) == (
        ", ".join(names[:LISTED_SIMS]) + " (+3)"
    )
    assert listing(names[:2], 2) == "SIM 0, SIM 1"


async def test_no_fix_flow_for_unknown_issues(hass: HomeAssistant) -> None:
    """Only the fixable issues of an existing entry have a fix flow."""
    with pytest.raises(ValueError, match="No fix flow"):
        await async_create_fix_flow(hass, "quota_low_missing", {"entry_id": "missing"})


# Silent webhooks


@pytest.mark.parametrize("provider", [Provider.KPN_LORA])
async def test_no_silent_webhook_issue_within_the_grace_period(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Devices report, but the account was added just now: no issue yet."""
    assert no_issue(hass, "webhook_silent_uplinks", init_integration)


@pytest.mark.parametrize("provider", [Provider.KPN_LORA])
async def test_silent_uplink_webhook_until_the_first_push(  # noqa: PLR0917 - fixtures
    hass: HomeAssistant,
    emulator: EmulatorServer,
    http_session: aiohttp.ClientSession,
    hass_client_no_auth: Any,
    hass_storage: dict[str, Any],
    mock_config_entry: MockConfigEntry,
) -> None:
    """Uplinks reported but never pushed raise the issue; the first push clears it.

    Once a push arrived, the issue stays away after a restart too.
    """
    entry = added_hours_ago(mock_config_entry, PUSH_GRACE.total_seconds() / 3600 + 1)
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    silent = issue(hass, "webhook_silent_uplinks", entry)
    assert not silent.is_fixable
    webhook_path = f"/api/webhook/{entry.data[CONF_WEBHOOK_ID]}"
    assert silent.translation_placeholders == {
        "account": entry.title,
        "webhook_url": webhook.async_generate_url(hass, entry.data[CONF_WEBHOOK_ID]),
    }
    client = await hass_client_no_auth()
    url = str(client.make_url(webhook_path))

    # An uplink of a device this account does not list proves nothing.
    status = await kpn_lora.push_uplink(
        http_session,
        url,
        as_id=AS_ID,
        as_key=AS_KEY,
        dev_eui=UNKNOWN_EUI,
        fport=1,
        payload_hex="0102",
    )
    await hass.async_block_till_done()
    assert status == 200
    issue(hass, "webhook_silent_uplinks", entry)

    async with http_session.post(
        f"{emulator.url('kpn_lora')}/_emulator/push/uplink",
        json={"url": url, "dev_eui": EUI, "payload_hex": "0102"},
    ) as answer:
        assert (await answer.json())["status"] == 200
    await hass.async_block_till_done()
    assert no_issue(hass, "webhook_silent_uplinks", entry)
    lora = entry.runtime_data.lora
    assert lora is not None
    await lora.async_refresh()
    await hass.async_block_till_done()
    assert no_issue(hass, "webhook_silent_uplinks", entry)

    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert no_issue(hass, "webhook_silent_uplinks", entry)
    # Remembered with the pushes already fired, in the entry's one store.
    assert FIRST_PUSH in hass_storage[f"{DOMAIN}.{entry.entry_id}.pushes"]["data"]


@pytest.mark.parametrize("provider", [Provider.KPN_LORA])
async def test_first_push_taken_from_the_old_shared_store(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    mock_config_entry: MockConfigEntry,
) -> None:
    """A first push that the old store of every entry remembers still counts.

    It moves into the entry's own store of pushes, and the old store goes.
    """
    entry = added_hours_ago(mock_config_entry, PUSH_GRACE.total_seconds() / 3600 + 1)
    entry.add_to_hass(hass)
    first_push = "2026-11-01T08:00:00+00:00"
    hass_storage[LEGACY_PUSH_LOG] = {
        "version": 1,
        "minor_version": 1,
        "key": LEGACY_PUSH_LOG,
        "data": {entry.entry_id: first_push, "removed_entry": first_push},
    }

    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    assert no_issue(hass, "webhook_silent_uplinks", entry)
    assert LEGACY_PUSH_LOG not in hass_storage
    stored = hass_storage[f"{DOMAIN}.{entry.entry_id}.pushes"]["data"]
    assert stored == {FIRST_PUSH: first_push}
    assert not any("removed_entry" in key for key in hass_storage)


@pytest.mark.parametrize("provider", [Provider.TMOBILE_EASY_CONNECT])
async def test_silent_sms_webhook_when_sims_send_sms(
    hass: HomeAssistant, emulator: EmulatorServer, mock_config_entry: MockConfigEntry
) -> None:
    """SMS counted by the provider, none pushed: the issue appears."""
    entry = added_hours_ago(mock_config_entry, PUSH_GRACE.total_seconds() / 3600 + 1)
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    await reread_sim(hass, entry)
    assert no_issue(hass, "webhook_silent_sms", entry)

    emulator.tmobile.sims[ICCID].today().sms_mo += 2
    await reread_sim(hass, entry)
    assert issue(hass, "webhook_silent_sms", entry).translation_key == (
        "webhook_silent_sms"
    )


@pytest.mark.parametrize("provider", [Provider.TMOBILE_EASY_CONNECT])
@pytest.mark.parametrize("entry_options", [{CONF_QUOTA_WARNING: 20}])
async def test_removing_the_entry_removes_its_issues(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Issues do not outlive their account."""
    issue(hass, "quota_low", init_integration)
    await hass.config_entries.async_remove(init_integration.entry_id)
    await hass.async_block_till_done()
    assert no_issue(hass, "quota_low", init_integration)
