"""The Infobip client against the emulator over real HTTP."""

from __future__ import annotations

from datetime import UTC, date, datetime
import hashlib
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest

from custom_components.iot_connectivity.api.base import UnsupportedOperationError
from custom_components.iot_connectivity.api.errors import (
    AuthenticationError,
    InvalidRequestError,
    InvalidResponseError,
    NotFoundError,
    ProviderUnavailableError,
    RateLimitedError,
)
from custom_components.iot_connectivity.api.infobip import (
    INFOBIP_URL,
    InfobipClient,
    current_month,
    parse_model,
    parse_sim,
    parse_status,
    parse_usage,
)
from custom_components.iot_connectivity.api.models import (
    ActionResult,
    Capability,
    Provider,
    Sim,
    SimStatus,
    SimUsage,
    SmsResult,
)
from custom_components.iot_connectivity.api.sms import SmsRules, SmsValidationError
from iot_emulator.core import Fault, FaultKind
from iot_emulator.examples import load_example
from iot_emulator.infobip import (
    DEFAULT_API_KEY,
    DEFAULT_PASSWORD,
    DEFAULT_USERNAME,
    InfobipEmulator,
)

if TYPE_CHECKING:
    from iot_emulator.server import EmulatorServer

ACTIVATION_READY = "8981100022152967705"
ACTIVE = "8981100022152967721"
HIDDEN = "never-shown-credential"
DOCUMENT_SIMS = [
    Sim(
        iccid=ACTIVATION_READY,
        provider=Provider.INFOBIP_IOT,
        status=SimStatus.READY,
        raw_status="Activation Ready",
        msisdn="8102001388265",
        model="Standard Trio (2FF, 3FF, 4FF)",
        created_at=datetime(2019, 6, 4, 11, 42, 49, tzinfo=UTC),
        updated_at=datetime(2019, 6, 4, 11, 42, 49, tzinfo=UTC),
    ),
    Sim(
        iccid=ACTIVE,
        provider=Provider.INFOBIP_IOT,
        status=SimStatus.ACTIVE,
        raw_status="Active",
        name="1st activated",
        imsi="310150123456789",
        msisdn="8931826018675",
        group="44236542",
        model="Embedded MFF2/QFN8 (Industrial)",
        created_at=datetime(2019, 6, 4, 11, 42, 48, tzinfo=UTC),
        updated_at=datetime(2019, 6, 4, 11, 42, 48, tzinfo=UTC),
    ),
]


@pytest.fixture
def infobip(emulator: EmulatorServer) -> InfobipEmulator:
    infobip: InfobipEmulator = emulator.infobip
    return infobip


@pytest.fixture
def client(
    emulator: EmulatorServer, http_session: aiohttp.ClientSession
) -> InfobipClient:
    return InfobipClient(
        http_session,
        username=DEFAULT_USERNAME,
        password=DEFAULT_PASSWORD,
        url=emulator.url("infobip_iot"),
    )


async def serve(aiohttp_server, emulator: InfobipEmulator) -> str:
    server = await aiohttp_server(emulator.make_app())
    return str(server.make_url("")).rstrip("/")


def this_month() -> tuple[date, date]:
    return current_month(datetime.now(UTC).date())


@pytest.mark.parametrize(
    "credentials",
    [
        {},
        {"username": "u"},
        {"password": "p"},
        {"username": "u", "password": ""},
        {"username": "", "password": "p"},
        {"api_key": ""},
        {"username": "u", "password": "p", "api_key": "k"},
        {"username": "u", "api_key": "k"},
    ],
)
def test_exactly_one_credential_kind(
    http_session: aiohttp.ClientSession, credentials: dict[str, Any]
) -> None:
    with pytest.raises(ValueError, match=r"username|API key"):
        InfobipClient(http_session, **credentials)


async def test_credentials_never_shown(http_session: aiohttp.ClientSession) -> None:
    basic = InfobipClient(http_session, username="user", password=HIDDEN)
    keyed = InfobipClient(http_session, api_key=HIDDEN)
    for shown in (repr(basic), repr(keyed), repr(basic._auth), repr(keyed._auth)):
        assert HIDDEN not in shown


@pytest.mark.parametrize(
    ("url", "credentials", "expected"),
    [
        (INFOBIP_URL, {"username": "alice", "password": "p"}, "alice"),
        ("https://API.infobip.com/", {"username": "alice", "password": "p"}, "alice"),
        (
            INFOBIP_URL,
            {"api_key": "abc"},
            "key-" + hashlib.sha256(b"abc").hexdigest()[:16],
        ),
        (
            "https://xyz123.api.infobip.com",
            {"username": "alice", "password": "p"},
            "xyz123.api.infobip.com",
        ),
        (
            "https://xyz123.api.infobip.com/",
            {"api_key": "abc"},
            "xyz123.api.infobip.com",
        ),
        ("http://127.0.0.1:8123", {"api_key": "abc"}, "127.0.0.1:8123"),
    ],
)
def test_account_id(
    http_session: aiohttp.ClientSession,
    url: str,
    credentials: dict[str, Any],
    expected: str,
) -> None:
    assert InfobipClient(http_session, url=url, **credentials).account_id == expected


@pytest.mark.parametrize(
    ("credentials", "auth"),
    [
        ({"username": DEFAULT_USERNAME, "password": DEFAULT_PASSWORD}, "basic"),
        ({"api_key": DEFAULT_API_KEY}, "api_key"),
    ],
)
async def test_get_account_proves_credentials_cheaply(
    emulator: EmulatorServer,
    http_session: aiohttp.ClientSession,
    infobip: InfobipEmulator,
    credentials: dict[str, Any],
    auth: str,
) -> None:
    url = emulator.url("infobip_iot")
    client = InfobipClient(http_session, url=url, **credentials)
    account = await client.get_account()
    assert account.account_id == url.removeprefix("http://")
    assert account.extra == {"base_url": url, "auth": auth}
    [request] = infobip.requests
    assert (request.method, request.path) == ("GET", "/iot/2/sims")
    assert request.query_string == "page=1&limit=1"


@pytest.mark.parametrize(
    "credentials",
    [
        {"username": DEFAULT_USERNAME, "password": "wrong"},
        {"api_key": "wrong"},
    ],
)
async def test_wrong_credentials(
    emulator: EmulatorServer,
    http_session: aiohttp.ClientSession,
    infobip: InfobipEmulator,
    credentials: dict[str, Any],
) -> None:
    client = InfobipClient(http_session, url=emulator.url("infobip_iot"), **credentials)
    with pytest.raises(AuthenticationError):
        await client.get_account()
    assert len(infobip.requests) == 1


async def test_headers_carry_the_chosen_scheme(
    emulator: EmulatorServer,
    http_session: aiohttp.ClientSession,
    infobip: InfobipEmulator,
) -> None:
    url = emulator.url("infobip_iot")
    await InfobipClient(http_session, api_key=DEFAULT_API_KEY, url=url).get_account()
    await InfobipClient(
        http_session, username=DEFAULT_USERNAME, password=DEFAULT_PASSWORD, url=url
    ).get_account()
    assert [r.headers["Authorization"] for r in infobip.requests] == [
        f"App {DEFAULT_API_KEY}",
        aiohttp.encode_basic_auth(DEFAULT_USERNAME, DEFAULT_PASSWORD),
    ]


async def test_list_sims_parses_the_document_example(client: InfobipClient) -> None:
    assert await client.list_sims() == DOCUMENT_SIMS


@pytest.mark.parametrize(
    ("generated", "pages"),
    [(0, 1), (97, 1), (98, 2), (99, 2), (250, 3)],
)
async def test_list_sims_walks_pages_until_a_short_one(
    aiohttp_server, http_session: aiohttp.ClientSession, generated: int, pages: int
) -> None:
    infobip = InfobipEmulator(generated=generated, seed=1)
    client = InfobipClient(
        http_session, api_key=DEFAULT_API_KEY, url=await serve(aiohttp_server, infobip)
    )
    sims = await client.list_sims()
    assert [sim.iccid for sim in sims] == list(infobip.sims)
    assert [r.query_string for r in infobip.requests_to("sims")] == [
        f"page={page}&limit=100" for page in range(1, pages + 1)
    ]


async def test_list_sims_follows_a_capped_limit(
    client: InfobipClient, infobip: InfobipEmulator
) -> None:
    page = load_example("infobip_iot", "sims_page")
    first, second = page["sims"]
    pages = [
        {**page, "limit": 2},
        {"page": 2, "limit": 2, "sims": [second, {**first, "iccid": "1"}]},
        {"page": 3, "limit": 2, "sims": []},
    ]
    # The newest matching fault is taken first: add the last page first.
    for body in reversed(pages):
        infobip.faults.add(
            Fault(FaultKind.WRONG_SHAPE, endpoint="sims", times=1, body=body)
        )
    sims = await client.list_sims()
    assert [sim.iccid for sim in sims] == [ACTIVATION_READY, ACTIVE, "1"]
    assert len(infobip.requests_to("sims")) == 3


async def test_list_sims_stops_when_page_is_ignored(
    client: InfobipClient, infobip: InfobipEmulator
) -> None:
    page = load_example("infobip_iot", "sims_page")
    infobip.faults.add(Fault(FaultKind.WRONG_SHAPE, endpoint="sims", body=page))
    sims = await client.list_sims()
    assert [sim.iccid for sim in sims] == [ACTIVATION_READY, ACTIVE]
    assert len(infobip.requests_to("sims")) == 2


async def test_list_sims_skips_entries_without_iccid(
    client: InfobipClient, infobip: InfobipEmulator
) -> None:
    page = load_example("infobip_iot", "sims_page")
    body = {**page, "limit": 100, "sims": [*page["sims"], {"status": "Active"}, 7]}
    infobip.faults.add(Fault(FaultKind.WRONG_SHAPE, endpoint="sims", body=body))
    assert len(await client.list_sims()) == 2


async def listed(client: InfobipClient, iccid: str) -> Sim:
    """The SIM with ``iccid`` as the client lists it."""
    return next(sim for sim in await client.list_sims() if sim.iccid == iccid)


def test_parse_sim_of_the_document_example() -> None:
    assert parse_sim(load_example("infobip_iot", "sim")) == DOCUMENT_SIMS[1]


async def test_iccid_stays_one_path_segment(
    client: InfobipClient, infobip: InfobipEmulator
) -> None:
    with pytest.raises(NotFoundError):
        await client.get_usage("../2/sims")
    assert infobip.requests[-1].path == "/iot/2/sims/../2/sims/usage"
    assert infobip.requests[-1].endpoint == "usage"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Imported", SimStatus.READY),
        ("Activation Ready", SimStatus.READY),
        ("Active", SimStatus.ACTIVE),
        ("Suspended", SimStatus.SUSPENDED),
        ("Deactivated", SimStatus.RETIRED),
        ("Terminated", SimStatus.UNKNOWN),
        ("active", SimStatus.UNKNOWN),
        (None, SimStatus.UNKNOWN),
    ],
)
def test_status_mapping(raw: str | None, expected: SimStatus) -> None:
    assert parse_status(raw) is expected


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        (
            {"type": "Embedded", "grade": "Industrial", "size": "MFF2/QFN8"},
            "Embedded MFF2/QFN8 (Industrial)",
        ),
        (
            {"type": "Standard", "size": "Trio (2FF, 3FF, 4FF)"},
            "Standard Trio (2FF, 3FF, 4FF)",
        ),
        ({"type": "SoftSIM"}, "SoftSIM"),
        ({"grade": "Automotive"}, "Automotive"),
        ({}, None),
        (None, None),
        ("Embedded", None),
    ],
)
def test_model_string(model: object, expected: str | None) -> None:
    assert parse_model(model) == expected


async def test_unknown_fields_and_missing_optionals_are_accepted(
    client: InfobipClient, infobip: InfobipEmulator
) -> None:
    new = {"iccid": ACTIVE, "status": "Brand New", "eid": "x", "model": "?"}
    infobip.faults.add(
        Fault(
            FaultKind.WRONG_SHAPE,
            endpoint="sims",
            body={"page": 1, "limit": 100, "sims": [new], "extra": True},
        )
    )
    [sim] = await client.list_sims()
    assert (sim.status, sim.raw_status, sim.model, sim.name) == (
        SimStatus.UNKNOWN,
        "Brand New",
        None,
        None,
    )


@pytest.mark.parametrize(
    ("status", "sent"),
    [(SimStatus.ACTIVE, "Active"), (SimStatus.SUSPENDED, "Suspended")],
)
async def test_set_status(
    client: InfobipClient, infobip: InfobipEmulator, status: SimStatus, sent: str
) -> None:
    infobip.sims[ACTIVE]["status"] = "Suspended" if sent == "Active" else "Active"
    await client.set_status(ACTIVE, status)
    [request] = infobip.requests_to("set_status")
    assert (request.method, request.path) == ("PUT", f"/iot/1/sims/{ACTIVE}/status")
    assert request.json() == {"status": sent}
    assert (await listed(client, ACTIVE)).status is status


@pytest.mark.parametrize(
    "status", [SimStatus.READY, SimStatus.RETIRED, SimStatus.TEST, SimStatus.UNKNOWN]
)
async def test_unsettable_status_sends_nothing(
    client: InfobipClient, infobip: InfobipEmulator, status: SimStatus
) -> None:
    with pytest.raises(UnsupportedOperationError):
        await client.set_status(ACTIVE, status)
    assert infobip.requests == []


async def test_illegal_transition_is_an_invalid_request(
    client: InfobipClient, infobip: InfobipEmulator
) -> None:
    infobip.sims[ACTIVE]["status"] = "Deactivated"
    with pytest.raises(InvalidRequestError) as err:
        await client.set_status(ACTIVE, SimStatus.ACTIVE)
    assert err.value.provider_message == (
        "A SIM card in status Deactivated cannot become Active"
    )


async def test_set_label(client: InfobipClient, infobip: InfobipEmulator) -> None:
    await client.set_label(ACTIVE, "1st SIM card")
    [request] = infobip.requests_to("update_name")
    assert request.method == "PATCH"
    assert request.json() == load_example("infobip_iot", "update_name_request")
    assert (await listed(client, ACTIVE)).name == "1st SIM card"


async def test_get_usage_keeps_nulls(client: InfobipClient) -> None:
    start, end = this_month()
    assert await client.get_usage(ACTIVE) == SimUsage(
        iccid=ACTIVE,
        data_bytes=27199488,
        sms_mo=None,
        sms_mt=None,
        period_start=start,
        period_end=end,
    )


def test_usage_parses_the_document_example() -> None:
    usage = parse_usage(load_example("infobip_iot", "usage"), "ignored")
    assert (usage.iccid, usage.data_bytes, usage.sms_mo, usage.sms_mt) == (
        ACTIVE,
        27199488,
        None,
        None,
    )


def test_usage_falls_back_to_the_documented_table_names() -> None:
    usage = parse_usage(
        {"totalData": "1024", "totalSmsMo": "3", "totalSmsMt": 4, "simName": "x"},
        ACTIVE,
    )
    assert (usage.iccid, usage.data_bytes, usage.sms_mo, usage.sms_mt) == (
        ACTIVE,
        1024,
        3,
        4,
    )


def test_usage_prefers_the_example_names() -> None:
    usage = parse_usage(
        {"iccid": "1", "usedDataBytes": 5, "totalData": 9, "sentSmsCount": None},
        ACTIVE,
    )
    assert (usage.iccid, usage.data_bytes, usage.sms_mo) == ("1", 5, None)


@pytest.mark.parametrize(
    ("today", "start", "end"),
    [
        (date(2024, 2, 10), date(2024, 2, 1), date(2024, 2, 29)),
        (date(2023, 2, 1), date(2023, 2, 1), date(2023, 2, 28)),
        (date(2024, 12, 31), date(2024, 12, 1), date(2024, 12, 31)),
    ],
)
def test_current_month(today: date, start: date, end: date) -> None:
    assert current_month(today) == (start, end)


async def test_get_all_usage_by_iccid(client: InfobipClient) -> None:
    start, end = this_month()
    usage = await client.get_all_usage()
    assert usage == {
        ACTIVE: SimUsage(
            iccid=ACTIVE, data_bytes=27199488, period_start=start, period_end=end
        ),
        ACTIVATION_READY: SimUsage(
            iccid=ACTIVATION_READY,
            data_bytes=227199488,
            period_start=start,
            period_end=end,
        ),
    }


async def test_get_all_usage_walks_every_page(
    aiohttp_server, http_session: aiohttp.ClientSession
) -> None:
    infobip = InfobipEmulator(generated=230, seed=2)
    infobip.tick(60)
    client = InfobipClient(
        http_session, api_key=DEFAULT_API_KEY, url=await serve(aiohttp_server, infobip)
    )
    usage = await client.get_all_usage()
    assert usage.keys() == infobip.usage.keys()
    for iccid, raw in infobip.usage.items():
        assert usage[iccid].data_bytes == raw["usedDataBytes"]
        assert usage[iccid].sms_mt == raw["receivedSmsCount"]
        assert usage[iccid].sms_mo == raw["sentSmsCount"]
    assert len(infobip.requests_to("usage_monthly")) == 3


async def test_send_sms(client: InfobipClient, infobip: InfobipEmulator) -> None:
    text = load_example("infobip_iot", "sms_request")["text"]
    assert await client.send_sms(ACTIVE, text) == SmsResult(message_id=None)
    [request] = infobip.requests_to("sms")
    assert (request.method, request.path) == ("POST", f"/iot/1/sims/{ACTIVE}/sms")
    assert request.json() == load_example("infobip_iot", "sms_request")
    assert [(s.iccid, s.text) for s in infobip.sent_sms] == [(ACTIVE, text)]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("x" * 161, "too_long"),
        ("€" * 81, "too_long"),
        ("ж" * 71, "too_long"),
        (" ", "empty"),
    ],
)
async def test_send_sms_validates_before_sending(
    client: InfobipClient, infobip: InfobipEmulator, text: str, reason: str
) -> None:
    with pytest.raises(SmsValidationError) as err:
        await client.send_sms(ACTIVE, text)
    assert err.value.reason == reason
    assert infobip.requests == []


async def test_send_sms_refuses_a_data_coding(
    client: InfobipClient, infobip: InfobipEmulator
) -> None:
    with pytest.raises(UnsupportedOperationError):
        await client.send_sms(ACTIVE, "hi", dcs=8)
    assert infobip.requests == []


async def test_run_diagnostics(client: InfobipClient, infobip: InfobipEmulator) -> None:
    result = await client.run_diagnostics(ACTIVE)
    [action] = infobip.actions
    assert result == ActionResult(action_id=action.action_id)
    assert (action.kind, action.iccid) == ("diagnostic", ACTIVE)


async def test_run_diagnostics_parses_the_document_example(
    client: InfobipClient, infobip: InfobipEmulator
) -> None:
    answer = load_example("infobip_iot", "diagnostic_response")
    infobip.faults.add(Fault(FaultKind.WRONG_SHAPE, endpoint="diagnostic", body=answer))
    assert await client.run_diagnostics(ACTIVE) == ActionResult(
        action_id="f597d319-de5c-4524-9378-e95478b58daf"
    )


async def test_run_diagnostics_with_an_empty_answer(
    client: InfobipClient, infobip: InfobipEmulator
) -> None:
    infobip.faults.add(Fault(FaultKind.WRONG_SHAPE, endpoint="diagnostic", body=""))
    assert await client.run_diagnostics(ACTIVE) == ActionResult(action_id=None)


def test_capabilities_and_rules() -> None:
    assert InfobipClient.provider is Provider.INFOBIP_IOT
    assert InfobipClient.capabilities == {
        Capability.SET_STATUS,
        Capability.LABEL,
        Capability.USAGE,
        Capability.BULK_USAGE,
        Capability.SMS,
        Capability.DIAGNOSTICS,
    }
    assert InfobipClient.sms_rules == SmsRules(max_parts=1, max_characters=160)


async def test_unknown_sim(client: InfobipClient) -> None:
    with pytest.raises(NotFoundError):
        await client.get_usage("8900000000000000000")


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        (Fault(FaultKind.STATUS, status=500), ProviderUnavailableError),
        (Fault(FaultKind.DISCONNECT), ProviderUnavailableError),
        (Fault(FaultKind.STATUS, status=401), AuthenticationError),
        (Fault(FaultKind.RATE_LIMIT, retry_after=30), RateLimitedError),
        (Fault(FaultKind.MALFORMED), InvalidResponseError),
        (Fault(FaultKind.WRONG_SHAPE), InvalidResponseError),
        (
            Fault(FaultKind.WRONG_SHAPE, body={"page": 1, "limit": 1}),
            InvalidResponseError,
        ),
        (
            Fault(FaultKind.WRONG_SHAPE, body={"sims": {}, "usage": {}}),
            InvalidResponseError,
        ),
    ],
)
@pytest.mark.parametrize(
    "call",
    [
        InfobipClient.get_account,
        InfobipClient.list_sims,
        InfobipClient.get_all_usage,
    ],
)
async def test_failures_are_typed(
    client: InfobipClient,
    infobip: InfobipEmulator,
    fault: Fault,
    error: type[Exception],
    call,
) -> None:
    infobip.faults.add(fault)
    with pytest.raises(error):
        await call(client)


async def test_timeout_is_unavailable(
    emulator: EmulatorServer,
    http_session: aiohttp.ClientSession,
    infobip: InfobipEmulator,
) -> None:
    client = InfobipClient(
        http_session,
        api_key=DEFAULT_API_KEY,
        url=emulator.url("infobip_iot"),
        timeout=aiohttp.ClientTimeout(total=0.5),
    )
    infobip.faults.add(Fault(FaultKind.TIMEOUT, delay=2))
    with pytest.raises(ProviderUnavailableError):
        await client.list_sims()
