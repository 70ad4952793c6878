"""The management API client for T-Mobile against the emulator, and its parsers."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import aiohttp
from aiohttp import web
import pytest

from custom_components.iot_connectivity.api.base import UnsupportedOperationError
from custom_components.iot_connectivity.api.errors import (
    AuthenticationError,
    InvalidRequestError,
    InvalidResponseError,
    NotFoundError,
    ProviderUnavailableError,
    RateLimitedError,
    TokenExpiredError,
)
from custom_components.iot_connectivity.api.management_api import (
    TMOBILE,
    TMOBILE_URL,
    ManagementApiClient,
    TokenAnswer,
    parse_delivery_report,
    parse_events,
    parse_quota,
    parse_session,
    parse_sim,
    parse_sms_mo,
    parse_token,
    parse_usage,
    sim_update_body,
)
from custom_components.iot_connectivity.api.models import (
    AccountInfo,
    Capability,
    DayUsage,
    NetworkEvent,
    Provider,
    QuotaStatus,
    Sim,
    SimQuota,
    SimSession,
    SimStatus,
    SimUsage,
    SmsDeliveryReport,
    SmsMultipart,
    SmsReceived,
)
from custom_components.iot_connectivity.api.sms import SmsValidationError
from iot_emulator.core import Fault, FaultKind
from iot_emulator.examples import load_example
from iot_emulator.management_api import DailyUsage
from iot_emulator.tmobile import (
    DEFAULT_PASSWORD,
    DEFAULT_USERNAME,
    TMobileEmulator,
    push_sms_mo,
)

from .helpers import ignoring_page, inflating

if TYPE_CHECKING:
    from iot_emulator.server import EmulatorServer

ICCID = "8988280666000001234"
HIDDEN = "never-shown-credential"

pytestmark = pytest.mark.usefixtures("socket_enabled")


def example(name: str) -> Any:
    return load_example("tmobile_easy_connect", name)


@pytest.fixture
def tmobile(emulator: EmulatorServer) -> TMobileEmulator:
    return emulator.tmobile


@pytest.fixture
def url(emulator: EmulatorServer) -> str:
    return emulator.url("tmobile_easy_connect")


@pytest.fixture
def client(http_session: aiohttp.ClientSession, url: str) -> ManagementApiClient:
    return ManagementApiClient(
        http_session, DEFAULT_USERNAME, DEFAULT_PASSWORD, operator=TMOBILE, url=url
    )


async def listed(client: ManagementApiClient, iccid: str) -> Sim:
    """The SIM with ``iccid`` as the client lists it."""
    return next(sim for sim in await client.list_sims() if sim.iccid == iccid)


@pytest.fixture
async def receiver(aiohttp_raw_server) -> tuple[str, list[Any]]:
    """A customer endpoint: its URL and the JSON bodies pushed to it."""
    received: list[Any] = []

    async def handle(request: web.BaseRequest) -> web.Response:
        received.append(await request.json())
        return web.Response(status=200)

    server = await aiohttp_raw_server(handle)
    return str(server.make_url("/hook")), received


def test_client_declares_the_provider(http_session: aiohttp.ClientSession) -> None:
    client = ManagementApiClient(http_session, "user", HIDDEN, operator=TMOBILE)
    assert TMOBILE_URL == "https://api-easyconnect.iot.t-mobile.nl"
    assert client.provider is Provider.TMOBILE_EASY_CONNECT
    assert Capability.TOP_UP in client.capabilities
    assert Capability.BULK_USAGE not in client.capabilities
    assert client.sms_rules.max_parts == 6
    assert repr(client) == (
        "<ManagementApiClient tmobile_easy_connect "
        "https://api-easyconnect.iot.t-mobile.nl/management-api>"
    )
    assert HIDDEN not in repr(client._auth)


# --- authentication ----------------------------------------------------------


async def test_get_account_names_the_organisation(
    client: ManagementApiClient, tmobile: TMobileEmulator
) -> None:
    assert await client.get_account() == AccountInfo(
        account_id="4321", extra={"user_id": "1001"}
    )
    [token] = tmobile.requests_to("token")
    assert token.headers["Authorization"] == aiohttp.encode_basic_auth(
        DEFAULT_USERNAME, DEFAULT_PASSWORD
    )
    assert token.body == b"grant_type=client_credentials"


async def test_wrong_password_is_an_authentication_error(
    http_session: aiohttp.ClientSession, url: str
) -> None:
    client = ManagementApiClient(
        http_session, DEFAULT_USERNAME, HIDDEN, operator=TMOBILE, url=url
    )
    with pytest.raises(AuthenticationError) as err:
        await client.get_account()
    assert HIDDEN not in str(err.value)


async def test_token_is_cached_and_renewed_after_expiry(
    client: ManagementApiClient, tmobile: TMobileEmulator
) -> None:
    await client.get_session(ICCID)
    await client.get_session(ICCID)
    assert len(tmobile.requests_to("token")) == 1
    tmobile.tokens.expire_all()
    assert (await client.get_session(ICCID)).iccid == ICCID
    assert len(tmobile.requests_to("token")) == 2
    tmobile.tokens.revoke_all()
    assert (await client.get_quota(ICCID)).iccid == ICCID
    assert len(tmobile.requests_to("token")) == 3


async def test_short_token_lifetime_is_renewed_before_it_runs_out(
    client: ManagementApiClient, tmobile: TMobileEmulator
) -> None:
    tmobile.tokens.lifetime = 1
    await client.get_session(ICCID)
    await asyncio.sleep(0.95)
    await client.get_session(ICCID)
    assert len(tmobile.requests_to("token")) == 2
    first, second = tmobile.requests_to("connectivity_info")
    assert first.headers["Authorization"] != second.headers["Authorization"]


async def test_revoked_credentials_mid_run(
    client: ManagementApiClient, tmobile: TMobileEmulator
) -> None:
    await client.get_session(ICCID)
    tmobile.credentials[DEFAULT_USERNAME] = "changed"
    tmobile.tokens.revoke_all()
    with pytest.raises(AuthenticationError):
        await client.get_session(ICCID)


async def test_a_refused_fresh_token_is_token_expired(
    client: ManagementApiClient, tmobile: TMobileEmulator
) -> None:
    tmobile.faults.add(
        Fault(FaultKind.STATUS, endpoint="connectivity_info", status=401, times=2)
    )
    with pytest.raises(TokenExpiredError):
        await client.get_session(ICCID)
    assert len(tmobile.requests_to("token")) == 2


# --- SIMs ----------------------------------------------------------------------


async def test_list_sims_fetches_every_page(
    client: ManagementApiClient, tmobile: TMobileEmulator
) -> None:
    tmobile.generate(250)
    sims = await client.list_sims()
    assert len(sims) == 251
    assert {sim.iccid for sim in sims} == set(tmobile.sims)
    pages = tmobile.requests_to("list_sims")
    assert sorted(r.query_string for r in pages) == [
        f"page={page}&pageSize=100" for page in (1, 2, 3)
    ]
    assert sims[0] == parse_sim(example("sim"), Provider.TMOBILE_EASY_CONNECT)


async def test_list_sims_without_paging_headers(
    client: ManagementApiClient, tmobile: TMobileEmulator
) -> None:
    records = [example("sim"), {**example("sim"), "iccid": "2"}]
    tmobile.faults.add(Fault(FaultKind.WRONG_SHAPE, endpoint="list_sims", body=records))
    assert [sim.iccid for sim in await client.list_sims()] == [ICCID, "2"]
    full = [{**example("sim"), "iccid": str(n)} for n in range(100)]
    tmobile.faults.add(Fault(FaultKind.WRONG_SHAPE, endpoint="list_sims", body=full))
    with pytest.raises(InvalidResponseError, match="paging headers"):
        await client.list_sims()


def client_of(session: aiohttp.ClientSession, server: Any) -> ManagementApiClient:
    """A client of the demo account on a test server."""
    return ManagementApiClient(
        session,
        DEFAULT_USERNAME,
        DEFAULT_PASSWORD,
        operator=TMOBILE,
        url=str(server.make_url("")).rstrip("/"),
    )


async def test_list_sims_with_an_implausible_page_count(
    aiohttp_server: Any, http_session: aiohttp.ClientSession
) -> None:
    """A page count of a trillion costs one request more than the real list."""
    emulator = TMobileEmulator(generated=250)
    server = await aiohttp_server(
        inflating(emulator.make_app(), "X-Total-Pages", str(10**12))
    )
    client = client_of(http_session, server)

    assert len(await client.list_sims()) == 251
    pages = [r.query_string for r in emulator.requests_to("list_sims")]
    assert pages == [f"page={page}&pageSize=100" for page in (1, 2, 3)]


async def test_list_sims_with_an_implausible_page_count_ignoring_page(
    aiohttp_server: Any, http_session: aiohttp.ClientSession
) -> None:
    """A server that always answers page 1 is not walked forever."""
    emulator = TMobileEmulator(generated=250)
    server = await aiohttp_server(
        ignoring_page(inflating(emulator.make_app(), "X-Total-Pages", str(10**12)))
    )
    client = client_of(http_session, server)

    assert len(await client.list_sims()) == 100
    assert len(emulator.requests_to("list_sims")) == 2


async def test_listed_sim(client: ManagementApiClient) -> None:
    assert await listed(client, ICCID) == Sim(
        iccid=ICCID,
        provider=Provider.TMOBILE_EASY_CONNECT,
        status=SimStatus.ACTIVE,
        raw_status="Enabled",
        name="Weather station Utrecht",
        imsi="901405100001234",
        msisdn="882285100001234",
        imei="863576047851234",
        imei_lock=False,
        ip_address="10.200.12.34",
        created_at=datetime(2024, 3, 9, 7, 59, 9, tzinfo=UTC),
    )
    with pytest.raises(NotFoundError):
        await client.set_label("1", "Nobody")


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        ("Enabled", SimStatus.ACTIVE),
        ("Disabled", SimStatus.SUSPENDED),
        ("Terminated", SimStatus.UNKNOWN),
        (None, SimStatus.UNKNOWN),
    ],
)
def test_parse_sim_status(raw: str | None, status: SimStatus) -> None:
    sim = parse_sim(
        {"iccid": 8988, "status": raw, "unknown": [1]}, Provider.TMOBILE_EASY_CONNECT
    )
    assert (sim.iccid, sim.status, sim.raw_status, sim.name) == (
        "8988",
        status,
        raw,
        None,
    )


@pytest.mark.parametrize("data", [[], {"status": "Enabled"}, "sim"])
def test_parse_sim_refuses_wrong_shapes(data: Any) -> None:
    with pytest.raises(InvalidResponseError):
        parse_sim(data, Provider.TMOBILE_EASY_CONNECT)


async def test_set_status_puts_the_current_record(
    client: ManagementApiClient, tmobile: TMobileEmulator
) -> None:
    await client.set_status(ICCID, SimStatus.SUSPENDED)
    [put] = tmobile.requests_to("update_sim")
    assert put.json() == {
        "iccid": ICCID,
        "imei_lock": False,
        "status": "Disabled",
        "label": "Weather station Utrecht",
    }
    assert (await listed(client, ICCID)).status is SimStatus.SUSPENDED
    await client.set_status(ICCID, SimStatus.ACTIVE)
    assert tmobile.sims[ICCID].record["status"] == "Enabled"
    with pytest.raises(UnsupportedOperationError):
        await client.set_status(ICCID, SimStatus.RETIRED)


async def test_set_label_keeps_the_status(
    client: ManagementApiClient, tmobile: TMobileEmulator
) -> None:
    tmobile.sims[ICCID].record["imei_lock"] = True
    await client.set_label(ICCID, "Roof")
    assert tmobile.requests_to("update_sim")[0].json() == {
        "iccid": ICCID,
        "imei_lock": True,
        "status": "Enabled",
        "label": "Roof",
    }
    assert (await listed(client, ICCID)).name == "Roof"


async def test_set_imei_lock_puts_it_and_reads_it_back(
    client: ManagementApiClient, tmobile: TMobileEmulator
) -> None:
    assert await client.set_imei_lock(ICCID, locked=True) is True
    [put] = tmobile.requests_to("update_sim")
    assert put.json() == {
        "iccid": ICCID,
        "imei_lock": True,
        "status": "Enabled",
        "label": "Weather station Utrecht",
    }
    assert [r.endpoint for r in tmobile.requests[-3:]] == [
        "get_sim",
        "update_sim",
        "get_sim",
    ]
    assert (await listed(client, ICCID)).imei_lock is True
    assert await client.set_imei_lock(ICCID, locked=False) is False
    assert tmobile.sims[ICCID].record["imei_lock"] is False


async def test_set_imei_lock_reports_what_the_server_kept(
    client: ManagementApiClient,
    tmobile: TMobileEmulator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(tmobile, "_apply_update", lambda *_: None)
    assert await client.set_imei_lock(ICCID, locked=True) is False


def test_parse_sim_reads_the_imei_lock() -> None:
    assert parse_sim(example("sim"), Provider.TMOBILE_EASY_CONNECT).imei_lock is False
    sim = parse_sim({"iccid": "1", "status": "Enabled"}, Provider.ONENCE)
    assert sim.imei_lock is None


def test_sim_update_body_omits_a_missing_label() -> None:
    assert sim_update_body(example("sim")) == {
        "iccid": ICCID,
        "imei_lock": False,
        "status": "Enabled",
        "label": "Weather station Utrecht",
    }
    assert sim_update_body({"iccid": "1", "status": "Disabled"}) == {
        "iccid": "1",
        "imei_lock": False,
        "status": "Disabled",
    }
    with pytest.raises(InvalidResponseError):
        sim_update_body({"iccid": "1"})


# --- usage, quota, session ---------------------------------------------------


async def test_get_usage_sums_this_month(
    client: ManagementApiClient, tmobile: TMobileEmulator
) -> None:
    tmobile.tick(1800)
    today = datetime.now(UTC).date()
    last_month = today.replace(day=1) - timedelta(days=1)
    tmobile.sims[ICCID].usage[last_month] = DailyUsage(data_rx_mb=7, sms_mo=3)
    usage = await client.get_usage(ICCID)
    assert usage.data_bytes == 1_000_000
    assert (usage.sms_mo, usage.sms_mt) == (0, 0)
    assert (usage.period_start, usage.period_end) == (today.replace(day=1), today)
    [request] = tmobile.requests_to("usage")
    assert request.query_string == (
        f"start_dt={today.replace(day=1).isoformat()}&end_dt={today.isoformat()}"
    )


def test_parse_usage_of_the_example() -> None:
    usage = parse_usage(
        example("usage"),
        iccid=ICCID,
        period_start=date(2025, 6, 1),
        period_end=date(2025, 6, 30),
    )
    assert usage == SimUsage(
        iccid=ICCID,
        data_bytes=1_252_803,
        sms_mo=2,
        sms_mt=2,
        period_start=date(2025, 6, 1),
        period_end=date(2025, 6, 30),
        days=(
            DayUsage(day=date(2025, 6, 1), data_bytes=1_250_000, sms=3),
            DayUsage(day=date(2025, 6, 2), data_bytes=2_803, sms=1),
        ),
    )


def test_parse_usage_totals_leave_out_days_before_the_period() -> None:
    """A back-filling read keeps earlier days for history, not in the totals."""
    usage = parse_usage(example("usage"), iccid=ICCID, period_start=date(2025, 6, 2))
    assert (usage.data_bytes, usage.sms_mo, usage.sms_mt) == (2_803, 0, 1)
    assert [day.day for day in usage.days] == [date(2025, 6, 1), date(2025, 6, 2)]


async def test_get_daily_usage_reads_from_since(
    client: ManagementApiClient, tmobile: TMobileEmulator
) -> None:
    today = datetime.now(UTC).date()
    last_month = today.replace(day=1) - timedelta(days=1)
    tmobile.sims[ICCID].usage[last_month] = DailyUsage(data_rx_mb=7, sms_mo=3)
    usage = await client.get_daily_usage(ICCID, last_month)
    [request] = tmobile.requests_to("usage")
    assert request.query_string == (
        f"start_dt={last_month.isoformat()}&end_dt={today.isoformat()}"
    )
    assert usage.days[0] == DayUsage(day=last_month, data_bytes=7_000_000, sms=3)
    assert usage.period_start == today.replace(day=1)


def test_parse_events_of_the_example() -> None:
    events = parse_events(example("events"))
    assert [(e.timestamp, e.description) for e in events] == [
        (
            datetime(2024, 3, 9, 7, 59, 9, tzinfo=UTC),
            "Status of SIM changed from 'Issued' to 'Activated'",
        ),
        (datetime(2025, 6, 2, 10, 20, 11, tzinfo=UTC), "Create PDP Context"),
    ]
    assert events[1] == NetworkEvent(
        timestamp=datetime(2025, 6, 2, 10, 20, 11, tzinfo=UTC),
        description="Create PDP Context",
        severity="Info",
        country="Netherlands",
        operator="T-Mobile NL",
        imei="863576047851234",
    )
    # 1NCE's schema: the severity as an object.
    [onence_event] = parse_events(
        {
            "events": [
                {
                    "timestamp": "2025-06-02T10:20:11.000+0000",
                    "event_type": {"id": 1, "description": "Update location"},
                    "event_severity": {"id": 1, "description": "Warning"},
                    "alert": True,
                }
            ]
        }
    )
    assert (onence_event.description, onence_event.severity, onence_event.alert) == (
        "Update location",
        "Warning",
        True,
    )


async def test_get_events_newest_page_oldest_first(
    client: ManagementApiClient, tmobile: TMobileEmulator
) -> None:
    tmobile.sims[ICCID].add_event("Connectivity reset")
    events = await client.get_events(ICCID)
    assert [e.description for e in events][-1] == "Connectivity reset"
    [request] = tmobile.requests_to("events")
    assert request.query_string == "page=1&pageSize=20&sort=-timestamp"


def test_parse_usage_without_days_or_counts() -> None:
    assert parse_usage({"stats": []}, iccid=ICCID) == SimUsage(
        iccid=ICCID, data_bytes=0, sms_mo=0, sms_mt=0
    )
    days = {"stats": [{"date": "2025-06-01", "data": {"volume": None}}]}
    assert parse_usage(days, iccid=ICCID) == SimUsage(
        iccid=ICCID, days=(DayUsage(day=date(2025, 6, 1)),)
    )
    with pytest.raises(InvalidResponseError):
        parse_usage({"usage": []}, iccid=ICCID)


async def test_get_quota(client: ManagementApiClient) -> None:
    assert await client.get_quota(ICCID) == SimQuota(
        iccid=ICCID,
        data_left_bytes=435_787_951,
        data_total_bytes=500_000_000,
        data_status=QuotaStatus.OK,
        data_expiry=datetime(2029, 1, 1, tzinfo=UTC),
        sms_left=38,
        sms_total=250,
        sms_status=QuotaStatus.LOW,
        sms_expiry=datetime(2029, 1, 1, tzinfo=UTC),
    )


@pytest.mark.parametrize(
    ("quota", "status"),
    [
        (
            {"quota_status": {"id": 2}, "volume": 10, "total_volume": 10},
            QuotaStatus.EXHAUSTED,
        ),
        ({"quota_status": {"id": "1"}}, QuotaStatus.LOW),
        ({"quota_status": {"id": 7}}, QuotaStatus.UNKNOWN),
        ({"volume": 100, "total_volume": 500}, QuotaStatus.OK),
        ({"volume": 99.9, "total_volume": 500}, QuotaStatus.LOW),
        ({"volume": 0, "total_volume": 500}, QuotaStatus.EXHAUSTED),
        ({"volume": 5}, QuotaStatus.UNKNOWN),
        ({}, QuotaStatus.UNKNOWN),
    ],
)
def test_quota_status_is_read_or_derived(
    quota: dict[str, Any], status: QuotaStatus
) -> None:
    parsed = parse_quota(quota, quota, iccid=ICCID)
    assert (parsed.data_status, parsed.sms_status) == (status, status)


def test_parse_quota_refuses_wrong_shapes() -> None:
    with pytest.raises(InvalidResponseError):
        parse_quota([], {}, iccid=ICCID)
    with pytest.raises(InvalidResponseError):
        parse_quota({}, "x", iccid=ICCID)


async def test_get_session(client: ManagementApiClient) -> None:
    session = await client.get_session(ICCID)
    assert (session.online, session.operator, session.country) == (
        True,
        "T-Mobile NL",
        "Netherlands",
    )
    assert session.last_seen is not None
    age = datetime.now(UTC) - session.last_seen
    assert timedelta(minutes=2) <= age < timedelta(minutes=3)
    await client.reset_connectivity(ICCID)
    assert await client.get_session(ICCID) == SimSession(iccid=ICCID, online=False)


def test_parse_session_of_the_example() -> None:
    assert parse_session(example("connectivity_info"), iccid=ICCID) == SimSession(
        iccid=ICCID,
        online=True,
        operator="T-Mobile NL",
        country="Netherlands",
        last_seen=datetime(2025, 6, 2, 10, 19, 46, 263000, tzinfo=UTC),
    )


@pytest.mark.parametrize(
    ("subscriber", "online"),
    [
        ({"success": True, "state": "online"}, True),
        ({"success": True, "state": "DETACHED"}, False),
        ({"success": True, "state": "not_provided_from_vlr"}, None),
        ({"success": False, "state": "ATTACHED"}, None),
        ({}, None),
    ],
)
def test_parse_session_states(subscriber: dict[str, Any], online: bool | None) -> None:
    session = parse_session({"subscriber_info": subscriber}, iccid=ICCID)
    assert session.online is online


def test_parse_session_reads_names_as_text() -> None:
    data = {
        "subscriber_info": {"location": {"operator": "KPN", "country": {"id": "1"}}}
    }
    session = parse_session(data, iccid=ICCID)
    assert (session.operator, session.country, session.last_seen) == ("KPN", None, None)


# --- actions -------------------------------------------------------------------


async def test_send_sms_returns_the_created_id(
    client: ManagementApiClient, tmobile: TMobileEmulator
) -> None:
    result = await client.send_sms(ICCID, "message text")
    [sent] = tmobile.requests_to("send_sms")
    assert sent.json() == {"payload": "message text"}
    assert result.message_id is not None
    assert tmobile.sims[ICCID].sms[int(result.message_id)]["payload"] == "message text"


async def test_send_sms_picks_ucs2_and_passes_dcs(
    client: ManagementApiClient, tmobile: TMobileEmulator
) -> None:
    await client.send_sms(ICCID, "Temperatuur 21 °C ☀")
    await client.send_sms(ICCID, "0A0B", dcs=4)
    await client.send_sms(ICCID, "plain", dcs=0)
    assert [r.json() for r in tmobile.requests_to("send_sms")] == [
        {"payload": "Temperatuur 21 °C ☀", "dcs": 8},
        {"payload": "0A0B", "dcs": 4},
        {"payload": "plain", "dcs": 0},
    ]


@pytest.mark.parametrize(
    ("message", "dcs", "reason"),
    [
        ("x", 5, "encoding"),
        ("☀", 0, "encoding"),
        ("", None, "empty"),
        ("x" * (6 * 153 + 1), None, "too_long"),
    ],
)
async def test_send_sms_refuses_before_sending(
    client: ManagementApiClient,
    tmobile: TMobileEmulator,
    message: str,
    dcs: int | None,
    reason: str,
) -> None:
    with pytest.raises(SmsValidationError) as err:
        await client.send_sms(ICCID, message, dcs=dcs)
    assert err.value.reason == reason
    assert tmobile.requests_to("send_sms") == []


async def test_send_sms_reads_an_id_from_the_body(
    client: ManagementApiClient, tmobile: TMobileEmulator
) -> None:
    tmobile.faults.add(
        Fault(FaultKind.WRONG_SHAPE, endpoint="send_sms", body={"id": 77}, times=1)
    )
    assert (await client.send_sms(ICCID, "x")).message_id == "77"
    tmobile.faults.add(Fault(FaultKind.MALFORMED, endpoint="send_sms", times=1))
    assert (await client.send_sms(ICCID, "x")).message_id is None


async def test_reset_connectivity(
    client: ManagementApiClient, tmobile: TMobileEmulator
) -> None:
    await client.reset_connectivity(ICCID)
    assert tmobile.sims[ICCID].subscriber_info["state"] == "OFFLINE"
    assert len(tmobile.requests_to("reset")) == 1


async def test_top_up_orders_the_package(
    client: ManagementApiClient, tmobile: TMobileEmulator
) -> None:
    await client.top_up(ICCID)
    [request] = tmobile.requests_to("top_up")
    assert (request.body, request.query_string) == (b"", "")
    assert tmobile.top_ups[0].iccids == (ICCID,)
    assert (await client.get_quota(ICCID)).data_total_bytes == 1_000_000_000
    with pytest.raises(NotFoundError):
        await client.top_up("1")


# --- errors from faults ------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        (Fault(FaultKind.STATUS, status=500), ProviderUnavailableError),
        (Fault(FaultKind.STATUS, status=404), NotFoundError),
        (Fault(FaultKind.STATUS, status=422), InvalidRequestError),
        (Fault(FaultKind.STATUS, status=403), AuthenticationError),
        (Fault(FaultKind.RATE_LIMIT), RateLimitedError),
        (Fault(FaultKind.MALFORMED), InvalidResponseError),
        (Fault(FaultKind.WRONG_SHAPE), InvalidResponseError),
        (Fault(FaultKind.WRONG_SHAPE, body={"stats": "x"}), InvalidResponseError),
        (Fault(FaultKind.DISCONNECT), ProviderUnavailableError),
    ],
)
async def test_faults_become_typed_errors(
    client: ManagementApiClient,
    tmobile: TMobileEmulator,
    fault: Fault,
    error: type[Exception],
) -> None:
    fault.endpoint = "usage"
    tmobile.faults.add(fault)
    with pytest.raises(error):
        await client.get_usage(ICCID)


async def test_invalid_request_keeps_the_provider_message(
    client: ManagementApiClient, tmobile: TMobileEmulator
) -> None:
    tmobile.faults.add(Fault(FaultKind.STATUS, endpoint="top_up", status=400))
    with pytest.raises(InvalidRequestError) as err:
        await client.top_up(ICCID)
    assert err.value.provider_message == "Injected HTTP 400"


async def test_token_faults(
    client: ManagementApiClient, tmobile: TMobileEmulator
) -> None:
    tmobile.faults.add(Fault(FaultKind.WRONG_SHAPE, endpoint="token", body={}, times=1))
    with pytest.raises(InvalidResponseError):
        await client.get_account()
    tmobile.faults.add(Fault(FaultKind.STATUS, endpoint="token", status=503, times=1))
    with pytest.raises(ProviderUnavailableError):
        await client.get_account()
    assert (await client.get_account()).account_id == "4321"


async def test_timeout_is_provider_unavailable(
    http_session: aiohttp.ClientSession, url: str, tmobile: TMobileEmulator
) -> None:
    client = ManagementApiClient(
        http_session,
        DEFAULT_USERNAME,
        DEFAULT_PASSWORD,
        operator=TMOBILE,
        url=url,
        timeout=aiohttp.ClientTimeout(total=0.5),
    )
    tmobile.faults.add(Fault(FaultKind.TIMEOUT, endpoint="connectivity_info", delay=2))
    with pytest.raises(ProviderUnavailableError, match="timed out"):
        await client.get_session(ICCID)


# --- documented payloads and pushes ------------------------------------------


def test_parse_token_of_the_example() -> None:
    assert parse_token(example("token_response")) == TokenAnswer(
        access_token="6ba7b810-9dad-11d1-80b4-00c04fd43xxx",
        expires_in=3599.0,
        org_id="4321",
        user_id="<id>",
    )
    with pytest.raises(AuthenticationError):
        parse_token({**example("token_response"), "token_type": "mac"})


def test_parse_sms_mo_of_the_example() -> None:
    assert parse_sms_mo(example("sms_mo")) == SmsReceived(
        id="6202",
        iccid="898828066600000xxx",
        text="message text",
        source_address="882285100000xxx",
        dest_address="12345",
        dcs="0",
        submitted_at=datetime(2018, 8, 17, 16, 31, 51, tzinfo=UTC),
        multipart=SmsMultipart(part=1, total=1, identifier="6202"),
    )


def test_parse_delivery_report_of_the_example() -> None:
    assert parse_delivery_report(example("delivery_report")) == SmsDeliveryReport(
        id="6206",
        iccid="8988280666000000xxx",
        status="DELIVERED",
        status_id="4",
        submitted_at=datetime(2018, 8, 17, 16, 46, 48, tzinfo=UTC),
        final_at=datetime(2018, 8, 17, 16, 46, 52, tzinfo=UTC),
    )


@pytest.mark.parametrize(
    "data",
    [
        [],
        {**example("sms_mo"), "payload": None},
        {**example("sms_mo"), "endpoint": {"id": "1"}},
        {key: value for key, value in example("sms_mo").items() if key != "id"},
    ],
)
def test_parse_sms_mo_refuses_wrong_shapes(data: Any) -> None:
    with pytest.raises(InvalidResponseError):
        parse_sms_mo(data)


def test_parse_sms_mo_tolerates_missing_optional_fields() -> None:
    minimal = {"id": 1, "payload": "", "endpoint": {"name": ICCID}}
    assert parse_sms_mo(minimal) == SmsReceived(id="1", iccid=ICCID, text="")


@pytest.mark.parametrize(
    "data",
    ["x", {"id": "1"}, {"id": "1", "status": "DELIVERED"}, {"status": {"status": "X"}}],
)
def test_parse_delivery_report_refuses_wrong_shapes(data: Any) -> None:
    with pytest.raises(InvalidResponseError):
        parse_delivery_report(data)


async def test_parsers_read_the_emulators_pushes(
    client: ManagementApiClient,
    url: str,
    http_session: aiohttp.ClientSession,
    receiver: tuple[str, list[Any]],
) -> None:
    hook, received = receiver
    sent = await client.send_sms(ICCID, "ping")
    async with http_session.post(
        f"{url}/_emulator/push/delivery-report",
        json={"url": hook, "sms_id": sent.message_id},
    ) as resp:
        assert resp.status == 200
    report = parse_delivery_report(received.pop())
    assert (report.id, report.iccid, report.status) == (
        sent.message_id,
        ICCID,
        "DELIVERED",
    )
    assert report.final_at is not None
    assert report.submitted_at is not None
    assert report.submitted_at <= report.final_at

    async with http_session.post(
        f"{url}/_emulator/push/sms-mo",
        json={"url": hook, "iccid": ICCID, "text": "pong " * 40},
    ) as resp:
        assert resp.status == 200
    parts = [parse_sms_mo(payload) for payload in received]
    assert [p.multipart for p in parts] == [
        SmsMultipart(part=n, total=2, identifier=parts[0].id) for n in (1, 2)
    ]
    assert "".join(p.text for p in parts) == "pong " * 40
    assert {p.iccid for p in parts} == {ICCID}
    assert parts[0].source_address == "882285100001234"


async def test_parse_sms_mo_of_a_direct_push(
    http_session: aiohttp.ClientSession, receiver: tuple[str, list[Any]]
) -> None:
    hook, received = receiver
    await push_sms_mo(http_session, hook, iccid=ICCID, text="hi", sms_id=5, dcs="8")
    parsed = parse_sms_mo(received[0])
    assert parsed.submitted_at is not None
    assert abs(datetime.now(UTC) - parsed.submitted_at) < timedelta(seconds=5)
    assert replace(parsed, submitted_at=None) == SmsReceived(
        id="5",
        iccid=ICCID,
        text="hi",
        dest_address="12345",
        dcs="8",
        multipart=SmsMultipart(part=1, total=1, identifier="5"),
    )
