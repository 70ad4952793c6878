"""The management API client for 1NCE against its emulator, and 1NCE's published payloads."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import aiohttp
from aiohttp import web
import pytest

from custom_components.iot_connectivity.api.errors import (
    AuthenticationError,
    InvalidRequestError,
    NotFoundError,
    ProviderUnavailableError,
)
from custom_components.iot_connectivity.api.management_api import (
    CAPABILITIES,
    ONENCE,
    ONENCE_URL,
    ManagementApiClient,
    TokenAnswer,
    api_user_account,
    parse_delivery_report,
    parse_sms_mo,
    parse_status_session,
    parse_token,
)
from custom_components.iot_connectivity.api.models import (
    AccountInfo,
    Provider,
    QuotaStatus,
    Sim,
    SimQuota,
    SimSession,
    SimStatus,
    SmsDeliveryReport,
    SmsMultipart,
    SmsReceived,
)
from custom_components.iot_connectivity.api.sms import SmsRules, SmsValidationError
from iot_emulator.core import Fault, FaultKind
from iot_emulator.examples import load_example
from iot_emulator.onence import (
    ACCOUNT_NUMBER,
    DEFAULT_PASSWORD,
    DEFAULT_USERNAME,
    OneNceEmulator,
)

if TYPE_CHECKING:
    from iot_emulator.server import EmulatorServer

ONLINE = "8988303000123456789"
ATTACHED = "8988303000123456790"
DISABLED = "8988303000123456791"
HIDDEN = "never-shown-credential"

pytestmark = pytest.mark.usefixtures("socket_enabled")


def example(name: str) -> Any:
    return load_example("1nce", name)


@pytest.fixture
def onence(emulator: EmulatorServer) -> OneNceEmulator:
    return emulator.onence


@pytest.fixture
def url(emulator: EmulatorServer) -> str:
    return emulator.url(Provider.ONENCE)


def make_client(
    session: aiohttp.ClientSession,
    url: str,
    username: str = DEFAULT_USERNAME,
    password: str = DEFAULT_PASSWORD,
    **options: Any,
) -> ManagementApiClient:
    return ManagementApiClient(
        session, username, password, operator=ONENCE, url=url, **options
    )


@pytest.fixture
def client(http_session: aiohttp.ClientSession, url: str) -> ManagementApiClient:
    return make_client(http_session, url)


@pytest.fixture
async def receiver(aiohttp_raw_server) -> tuple[str, list[Any]]:
    """A customer endpoint: its URL and the JSON bodies pushed to it."""
    received: list[Any] = []

    async def handle(request: web.BaseRequest) -> web.Response:
        received.append(await request.json())
        return web.Response(status=200)

    server = await aiohttp_raw_server(handle)
    return str(server.make_url("/hook")), received


def test_client_declares_the_operator(http_session: aiohttp.ClientSession) -> None:
    client = ManagementApiClient(
        http_session, DEFAULT_USERNAME, HIDDEN, operator=ONENCE
    )
    assert ONENCE_URL == "https://api.1nce.com"
    assert client.provider is Provider.ONENCE
    assert client.capabilities == CAPABILITIES
    assert client.sms_rules == SmsRules(max_parts=1)
    assert (
        repr(client) == "<ManagementApiClient 1nce https://api.1nce.com/management-api>"
    )
    assert HIDDEN not in repr(client._auth)


# --- authentication ----------------------------------------------------------


async def test_get_account_is_the_api_users_account_number(
    client: ManagementApiClient, onence: OneNceEmulator
) -> None:
    assert await client.get_account() == AccountInfo(
        account_id=ACCOUNT_NUMBER, name=DEFAULT_USERNAME
    )
    [token] = onence.requests_to("token")
    assert token.path == "/management-api/oauth/token"
    assert token.headers["Authorization"] == aiohttp.encode_basic_auth(
        DEFAULT_USERNAME, DEFAULT_PASSWORD
    )
    assert token.headers["Content-Type"] == "application/json"
    assert token.json() == example("token_request")


@pytest.mark.parametrize(
    ("username", "account_id"),
    [
        ("12345678_demo-api", "12345678"),
        ("8100123_Tracker_Fleet", "8100123"),
        ("Owner@Example.com", "owner@example.com"),
        ("12345678", "12345678"),
        ("api_12345678", "api_12345678"),
        ("_12345678", "_12345678"),
    ],
)
def test_account_of_an_api_user_or_an_owner(username: str, account_id: str) -> None:
    assert api_user_account(None, username) == AccountInfo(
        account_id=account_id, name=username
    )


async def test_an_owner_login_is_its_own_account(
    http_session: aiohttp.ClientSession, url: str, onence: OneNceEmulator
) -> None:
    onence.credentials["Owner@Example.com"] = HIDDEN
    client = make_client(http_session, url, "Owner@Example.com", HIDDEN)
    assert (await client.get_account()).account_id == "owner@example.com"


@pytest.mark.parametrize(
    ("username", "password"), [(DEFAULT_USERNAME, HIDDEN), ("99999999_nobody", HIDDEN)]
)
async def test_bad_credentials_are_an_authentication_error(
    http_session: aiohttp.ClientSession, url: str, username: str, password: str
) -> None:
    """1NCE refuses them with 400 ``BadCredentials``, not 401."""
    client = make_client(http_session, url, username, password)
    with pytest.raises(AuthenticationError) as err:
        await client.get_account()
    assert err.value.status == 400
    assert "BadCredentials" in str(err.value)
    assert HIDDEN not in str(err.value)


async def test_the_older_cognito_refusal_is_an_authentication_error(
    http_session: aiohttp.ClientSession, url: str, onence: OneNceEmulator
) -> None:
    onence.credentials_refusal = example("token_error_cognito_not_existing_user")
    client = make_client(http_session, url, password=HIDDEN)
    with pytest.raises(AuthenticationError, match="CognitoAuthenticationError"):
        await client.get_account()


async def test_an_empty_password_is_an_authentication_error(
    http_session: aiohttp.ClientSession, url: str
) -> None:
    """``AuthValidationError``: the published answer to a missing password."""
    with pytest.raises(AuthenticationError, match="AuthValidationError"):
        await make_client(http_session, url, password="").get_account()


async def test_another_400_of_the_token_request_is_no_credentials_problem(
    client: ManagementApiClient, onence: OneNceEmulator
) -> None:
    onence.faults.add(Fault(FaultKind.STATUS, endpoint="token", status=400))
    with pytest.raises(InvalidRequestError) as err:
        await client.get_account()
    assert not isinstance(err.value, AuthenticationError)


async def test_a_username_with_a_colon_is_refused_without_a_request(
    http_session: aiohttp.ClientSession, url: str, onence: OneNceEmulator
) -> None:
    client = make_client(http_session, url, username="12345678:demo")
    with pytest.raises(AuthenticationError, match="':'"):
        await client.get_account()
    assert onence.requests == []


async def test_the_long_token_is_sent_and_reused(
    client: ManagementApiClient, onence: OneNceEmulator
) -> None:
    await client.get_session(ONLINE)
    await client.get_session(ONLINE)
    [_] = onence.requests_to("token")
    first, second = onence.requests_to("status")
    assert first.headers["Authorization"] == second.headers["Authorization"]
    assert len(first.headers["Authorization"]) == len("Bearer ") + 3013
    onence.tokens.revoke_all()
    assert (await client.get_session(ONLINE)).iccid == ONLINE
    assert len(onence.requests_to("token")) == 2


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("token_response", TokenAnswer("eyJpzhr...", 3600.0, None, None)),
        (
            "token_response_changelog_2021",
            TokenAnswer("<3013-char-token>", 3600.0, None, "user"),
        ),
        (
            "token_response_before_2021",
            TokenAnswer("<37-char-token>", 1234.0, None, None),
        ),
    ],
)
def test_parse_token_of_the_published_answers(name: str, expected: TokenAnswer) -> None:
    assert parse_token(example(name)) == expected


# --- SIMs ----------------------------------------------------------------------


async def test_list_sims_of_the_demo_account(client: ManagementApiClient) -> None:
    sims = await client.list_sims()
    assert [(sim.iccid, sim.status, sim.name) for sim in sims] == [
        (ONLINE, SimStatus.ACTIVE, "DX-137-B12"),
        (ATTACHED, SimStatus.ACTIVE, "Gate sensor"),
        (DISABLED, SimStatus.SUSPENDED, "Spare tracker"),
    ]
    assert sims[0] == Sim(
        iccid=ONLINE,
        provider=Provider.ONENCE,
        status=SimStatus.ACTIVE,
        raw_status="Enabled",
        name="DX-137-B12",
        imsi="901405100000089",
        msisdn="882285100000089",
        imei="8635760478500089",
        imei_lock=False,
        ip_address="100.100.100.18",
        created_at=datetime(2018, 3, 9, 7, 59, 9, tzinfo=UTC),
    )


async def test_list_sims_reads_every_page(
    client: ManagementApiClient, onence: OneNceEmulator
) -> None:
    onence.generate(250)
    sims = await client.list_sims()
    assert [sim.iccid for sim in sims] == list(onence.sims)
    assert {sim.provider for sim in sims} == {Provider.ONENCE}
    assert len(onence.requests_to("list_sims")) == 3


async def test_set_status_and_label(
    client: ManagementApiClient, onence: OneNceEmulator
) -> None:
    await client.set_status(DISABLED, SimStatus.ACTIVE)
    await client.set_label(DISABLED, "Back in use")
    assert [r.json() for r in onence.requests_to("update_sim")] == [
        {
            "iccid": DISABLED,
            "imei_lock": False,
            "status": "Enabled",
            "label": "Spare tracker",
        },
        {
            "iccid": DISABLED,
            "imei_lock": False,
            "status": "Enabled",
            "label": "Back in use",
        },
    ]
    assert (await client.get_session(DISABLED)).online is True


# --- quota, usage, session ---------------------------------------------------


async def test_quota_without_a_quota_status_is_derived(
    client: ManagementApiClient,
) -> None:
    assert await client.get_quota(ONLINE) == SimQuota(
        iccid=ONLINE,
        data_left_bytes=499_539_617,
        data_total_bytes=500_000_000,
        data_status=QuotaStatus.OK,
        data_expiry=datetime(2033, 2, 2, tzinfo=UTC),
        sms_left=38,
        sms_total=250,
        sms_status=QuotaStatus.LOW,
        sms_expiry=datetime(2033, 2, 2, tzinfo=UTC),
    )


async def test_get_usage(client: ManagementApiClient, onence: OneNceEmulator) -> None:
    onence.tick(3600)
    usage = await client.get_usage(ONLINE)
    assert usage.data_bytes == 1_000_000
    assert (usage.sms_mo, usage.sms_mt) == (0, 0)


async def test_sessions_come_from_the_sim_status(
    client: ManagementApiClient, onence: OneNceEmulator
) -> None:
    sessions = await client.get_sessions([ONLINE, ATTACHED, DISABLED, "1"])
    online = sessions[ONLINE]
    assert online.last_seen is not None
    assert datetime.now(UTC) - online.last_seen < timedelta(minutes=1)
    assert online == SimSession(
        iccid=ONLINE,
        online=True,
        operator="T-Mobile",
        country="Germany",
        rat="4G",
        ip_address="100.100.100.18",
        last_seen=online.last_seen,
    )
    assert (sessions[ATTACHED].online, sessions[ATTACHED].rat) == (True, None)
    assert sessions[DISABLED].online is False
    assert "1" not in sessions
    assert len(onence.requests_to("status")) == 4
    assert onence.requests_to("connectivity_info") == []


async def test_reset_takes_the_sim_offline_until_it_reattaches(
    client: ManagementApiClient, onence: OneNceEmulator
) -> None:
    await client.reset_connectivity(ONLINE)
    assert len(onence.requests_to("reset")) == 1
    assert (await client.get_session(ONLINE)).online is False
    onence.tick(1)
    assert (await client.get_session(ONLINE)).online is True


@pytest.mark.parametrize(
    ("status", "online"),
    [
        ("ONLINE", True),
        ("ATTACHED", True),
        ("OFFLINE", False),
        ("BLOCKED", None),
        (None, None),
    ],
)
def test_parse_status_session_states(status: str | None, online: bool | None) -> None:
    assert parse_status_session({"status": status}, "1") == SimSession(
        iccid="1", online=online
    )


def test_parse_status_session_takes_the_later_location_update() -> None:
    data = {
        "status": "ATTACHED",
        "location": {
            "last_updated": "2023-08-06 09:59:05",
            "last_updated_gprs": "2023-08-06T10:01:00.000+0000",
            "operator": {"id": "2", "name": "T-Mobile"},
            "country": {"name": "Germany", "iso-code": "de"},
        },
        "pdp_context": {
            "rat_type": {"description": "NB-IoT"},
            "ue_ip_address": "10.0.0.1",
        },
        "services": ["GPRS"],
    }
    assert parse_status_session(data, "1") == SimSession(
        iccid="1",
        online=True,
        operator="T-Mobile",
        country="Germany",
        rat="NB-IoT",
        ip_address="10.0.0.1",
        last_seen=datetime(2023, 8, 6, 10, 1, tzinfo=UTC),
    )


# --- actions -------------------------------------------------------------------


async def test_send_sms_is_one_part(
    client: ManagementApiClient, onence: OneNceEmulator
) -> None:
    gsm7 = await client.send_sms(ONLINE, "x" * 160)
    ucs2 = await client.send_sms(ONLINE, "☀" * 70)
    assert [r.json() for r in onence.requests_to("send_sms")] == [
        {"payload": "x" * 160},
        {"payload": "☀" * 70, "dcs": 8},
    ]
    assert gsm7.message_id is not None
    assert ucs2.message_id is not None
    record = onence.sims[ONLINE].sms[int(gsm7.message_id)]
    assert record["status"] == {"id": 3, "description": "BUFFERED"}


@pytest.mark.parametrize("message", ["x" * 161, "☀" * 71])
async def test_send_sms_refuses_a_second_part_before_sending(
    client: ManagementApiClient, onence: OneNceEmulator, message: str
) -> None:
    with pytest.raises(SmsValidationError) as err:
        await client.send_sms(ONLINE, message)
    assert err.value.reason == "too_long"
    assert onence.requests_to("send_sms") == []


async def test_top_up_adds_data_and_sms(
    client: ManagementApiClient, onence: OneNceEmulator
) -> None:
    await client.top_up(ONLINE)
    [request] = onence.requests_to("top_up")
    assert (request.body, request.query_string) == (b"", "")
    quota = await client.get_quota(ONLINE)
    assert (quota.data_total_bytes, quota.sms_total) == (1_000_000_000, 500)
    with pytest.raises(NotFoundError):
        await client.top_up("1")


async def test_timeout_is_provider_unavailable(
    http_session: aiohttp.ClientSession, url: str, onence: OneNceEmulator
) -> None:
    client = make_client(http_session, url, timeout=aiohttp.ClientTimeout(total=0.5))
    onence.faults.add(Fault(FaultKind.TIMEOUT, endpoint="status", delay=2))
    with pytest.raises(ProviderUnavailableError, match="timed out"):
        await client.get_session(ONLINE)


# --- published pushes --------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "sms_mo",
            SmsReceived(
                id="6202",
                iccid="<iccid>",
                text="message text",
                source_address="<msisdn>",
                dest_address="12345",
                dcs="0",
                submitted_at=datetime(2018, 8, 17, 16, 31, 51, tzinfo=UTC),
                multipart=SmsMultipart(part=1, total=1, identifier="6202"),
            ),
        ),
        (
            "sms_mo_forwarder_test",
            SmsReceived(
                id="6202",
                iccid="1234567890123456",
                text="message text",
                source_address="1234567890123456",
                dest_address="12345",
                dcs="0",
                submitted_at=datetime(2018, 8, 17, 16, 31, 51, tzinfo=UTC),
                multipart=SmsMultipart(part=1, total=1, identifier="6202"),
            ),
        ),
    ],
)
def test_parse_sms_mo_of_the_published_pushes(name: str, expected: SmsReceived) -> None:
    assert parse_sms_mo(example(name)) == expected


@pytest.mark.parametrize(
    ("name", "iccid"),
    [
        ("delivery_report", "<iccid>"),
        ("delivery_report_forwarder_test", "1234567890123456"),
    ],
)
def test_parse_delivery_report_of_the_published_pushes(name: str, iccid: str) -> None:
    assert parse_delivery_report(example(name)) == SmsDeliveryReport(
        id="2819195",
        iccid=iccid,
        status="DELIVERED",
        status_id="4",
        submitted_at=datetime(2020, 6, 9, 15, 6, 34, tzinfo=UTC),
        final_at=datetime(2020, 6, 9, 15, 6, 38, tzinfo=UTC),
    )


async def test_parsers_read_the_emulators_pushes(
    client: ManagementApiClient,
    url: str,
    http_session: aiohttp.ClientSession,
    receiver: tuple[str, list[Any]],
) -> None:
    hook, received = receiver
    sent = await client.send_sms(ONLINE, "ping")
    async with http_session.post(
        f"{url}/_emulator/push/delivery-report",
        json={"url": hook, "sms_id": sent.message_id},
    ) as resp:
        assert resp.status == 200
    [report_payload] = received
    assert isinstance(report_payload["id"], int)
    report = parse_delivery_report(report_payload)
    assert (report.id, report.iccid, report.status, report.status_id) == (
        sent.message_id,
        ONLINE,
        "DELIVERED",
        "4",
    )
    async with http_session.post(
        f"{url}/_emulator/push/sms-mo",
        json={"url": hook, "iccid": ONLINE, "text": "pong"},
    ) as resp:
        assert resp.status == 200
    sms = parse_sms_mo(received[1])
    assert (sms.iccid, sms.text, sms.dcs, sms.source_address) == (
        ONLINE,
        "pong",
        "0",
        "882285100000089",
    )
    assert sms.multipart == SmsMultipart(part=1, total=1, identifier=sms.id)


async def test_concurrent_sessions_share_one_token(
    client: ManagementApiClient, onence: OneNceEmulator
) -> None:
    await asyncio.gather(*(client.get_session(ONLINE) for _ in range(5)))
    assert len(onence.requests_to("token")) == 1
