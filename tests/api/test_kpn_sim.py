"""The KPN IoT Programmable SIM client against the emulator over real HTTP."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
import json
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

import aiohttp
from multidict import CIMultiDict, CIMultiDictProxy
import pytest

from custom_components.iot_connectivity.api._http import Response
from custom_components.iot_connectivity.api._pages import ParsedPages
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
from custom_components.iot_connectivity.api.kpn_gateway import KPN_GATEWAY_URL
from custom_components.iot_connectivity.api.kpn_sim import (
    _SESSIONS,
    KpnSimClient,
    Thing,
    located,
    parse_session,
    parse_sms_answer,
    parse_status,
    parse_thing,
    parse_things_page,
)
from custom_components.iot_connectivity.api.models import (
    AccountInfo,
    Capability,
    Provider,
    Sim,
    SimSession,
    SimStatus,
    SmsResult,
)
from custom_components.iot_connectivity.api.sms import SmsRules, SmsValidationError
from iot_emulator.core import Fault, FaultKind
from iot_emulator.examples import load_example
from iot_emulator.kpn_gateway import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET
from iot_emulator.kpn_sim import KpnSimEmulator

from .helpers import inflating

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from iot_emulator.server import EmulatorServer

ACTIVE = "8931087620000000017"
PROVISIONED = "8931087620000000025"
SUSPENDED = "8931087620000000033"
UNKNOWN = "8931087620000009999"
HIDDEN = "never-shown-secret"

pytestmark = pytest.mark.usefixtures("socket_enabled")

EXPECTED_SIMS = [
    Sim(
        iccid=ACTIVE,
        provider=Provider.KPN_IOT_SIM,
        status=SimStatus.ACTIVE,
        raw_status="ACTIVE",
        name="Pumping station Zeeburg",
        imsi="204080000000017",
        msisdn="3197000000017",
        imei="356938035643809",
        imei_lock=True,
        ip_address="10.64.0.17",
        group="ThingsGroupId_default",
    ),
    Sim(
        iccid=PROVISIONED,
        provider=Provider.KPN_IOT_SIM,
        status=SimStatus.READY,
        raw_status="PROVISIONED",
        imsi="204080000000025",
        msisdn="3197000000025",
        imei_lock=False,
        group="ThingsGroupId_default",
    ),
    Sim(
        iccid=SUSPENDED,
        provider=Provider.KPN_IOT_SIM,
        status=SimStatus.SUSPENDED,
        raw_status="SUSPENDED",
        name="Spare tracker",
        imsi="204080000000033",
        msisdn="3197000000033",
        imei="490154203237518",
        imei_lock=False,
        ip_address="10.64.0.33",
        group="ThingsGroupId_trackers",
    ),
]
EXPECTED_SESSIONS = {
    ACTIVE: SimSession(
        iccid=ACTIVE,
        online=True,
        operator="204-08",
        country="NL",
        ip_address="10.64.0.17",
        last_seen=datetime(2025, 6, 1, 11, 42, 7, tzinfo=UTC),
    ),
    PROVISIONED: SimSession(iccid=PROVISIONED, online=False),
    SUSPENDED: SimSession(
        iccid=SUSPENDED,
        online=False,
        operator="206-01",
        country="BE",
        last_seen=datetime(2025, 5, 20, 7, 15, tzinfo=UTC),
    ),
}


def example(name: str) -> Any:
    return load_example("kpn_iot_sim", name)


def response(body: bytes, **headers: str) -> Response:
    return Response(200, CIMultiDictProxy(CIMultiDict(headers)), body)


def query(request: Any) -> dict[str, list[str]]:
    return parse_qs(request.query_string)


@pytest.fixture
def kpn(emulator: EmulatorServer) -> KpnSimEmulator:
    return emulator.kpn_sim


def make_client(
    session: aiohttp.ClientSession, url: str, **kwargs: Any
) -> KpnSimClient:
    return KpnSimClient(
        session, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, url=url, **kwargs
    )


@pytest.fixture
def client(
    emulator: EmulatorServer, http_session: aiohttp.ClientSession
) -> KpnSimClient:
    return make_client(http_session, emulator.url("kpn_iot_sim"))


async def serve(
    aiohttp_server: Any, session: aiohttp.ClientSession, generated: int
) -> tuple[KpnSimEmulator, KpnSimClient]:
    emulator = KpnSimEmulator(generated=generated, seed=5)
    server = await aiohttp_server(emulator.make_app())
    return emulator, make_client(session, str(server.make_url("")).rstrip("/"))


# --- construction and account -------------------------------------------------


async def test_secrets_never_shown(
    emulator: EmulatorServer, http_session: aiohttp.ClientSession
) -> None:
    client = KpnSimClient(
        http_session, "client", HIDDEN, url=emulator.url("kpn_iot_sim")
    )
    with pytest.raises(AuthenticationError) as err:
        await client.get_account()
    for shown in (repr(client), repr(client._auth), str(err.value)):
        assert HIDDEN not in shown


async def test_token_never_shown(client: KpnSimClient, kpn: KpnSimEmulator) -> None:
    await client.get_account()
    token = kpn.requests_to("list_things")[0].headers["Authorization"].split()[1]
    assert token not in repr(client)
    assert token not in repr(client._auth)


def test_production_origin_is_the_default(http_session: aiohttp.ClientSession) -> None:
    client = KpnSimClient(http_session, "id", "secret")
    assert client._http.base_url == KPN_GATEWAY_URL == "https://api-prd.kpn.com"


async def test_get_account_proves_the_token_cheaply(
    client: KpnSimClient, kpn: KpnSimEmulator
) -> None:
    assert await client.get_account() == AccountInfo(account_id=DEFAULT_CLIENT_ID)
    assert [r.endpoint for r in kpn.requests] == ["token", "list_things"]
    token = kpn.requests_to("token")[0]
    assert query(token) == {"grant_type": ["client_credentials"]}
    assert parse_qs(token.body.decode()) == {
        "client_id": [DEFAULT_CLIENT_ID],
        "client_secret": [DEFAULT_CLIENT_SECRET],
    }
    listing = kpn.requests_to("list_things")[0]
    assert listing.path == "/iot/jpu/iotprogrammablesim/things"
    assert query(listing) == {"page": ["1"], "pageSize": ["1"]}


async def test_wrong_credentials(
    emulator: EmulatorServer, http_session: aiohttp.ClientSession, kpn: KpnSimEmulator
) -> None:
    client = KpnSimClient(
        http_session, DEFAULT_CLIENT_ID, "wrong", url=emulator.url("kpn_iot_sim")
    )
    with pytest.raises(AuthenticationError) as err:
        await client.get_account()
    assert not isinstance(err.value, TokenExpiredError)
    assert kpn.requests_to("list_things") == []


def test_capabilities_and_rules() -> None:
    assert KpnSimClient.provider is Provider.KPN_IOT_SIM
    assert KpnSimClient.capabilities == {
        Capability.SET_STATUS,
        Capability.RETIRE,
        Capability.LABEL,
        Capability.SESSION,
        Capability.SMS,
        Capability.IMEI,
        Capability.IMEI_LOCK,
    }
    assert KpnSimClient.sms_rules == SmsRules(max_parts=1)


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.get_usage(ACTIVE),
        lambda c: c.get_all_usage(),
        lambda c: c.get_quota(ACTIVE),
        lambda c: c.reset_connectivity(ACTIVE),
        lambda c: c.run_diagnostics(ACTIVE),
        lambda c: c.top_up(ACTIVE),
    ],
    ids=["usage", "all_usage", "quota", "reset", "diagnostics", "top_up"],
)
async def test_operations_the_api_lacks(
    client: KpnSimClient,
    kpn: KpnSimEmulator,
    call: Callable[[KpnSimClient], Awaitable[Any]],
) -> None:
    with pytest.raises(UnsupportedOperationError):
        await call(client)
    assert kpn.requests == []


# --- Things -----------------------------------------------------------------


async def test_list_sims_parses_the_examples(client: KpnSimClient) -> None:
    assert await client.list_sims() == EXPECTED_SIMS


async def test_things_keep_cas_and_location(client: KpnSimClient) -> None:
    things = await client.list_things()
    assert [(t.cas, t.operator, t.country) for t in things] == [
        (example("thing")["cas"], "204-08", "NL"),
        (example("thing_provisioned")["cas"], None, None),
        (example("thing_suspended")["cas"], "206-01", "BE"),
    ]


async def test_get_thing(client: KpnSimClient, kpn: KpnSimEmulator) -> None:
    assert (await client.get_thing(SUSPENDED)).sim == EXPECTED_SIMS[2]
    assert kpn.requests_to("get_thing")[0].path == (
        f"/iot/jpu/iotprogrammablesim/thing/ThingId_ICCID_{SUSPENDED}"
    )


async def test_unknown_sim_is_not_found(client: KpnSimClient) -> None:
    with pytest.raises(NotFoundError):
        await client.get_thing(UNKNOWN)


async def test_list_fetches_every_page_at_the_maximum_size(
    aiohttp_server: Any, http_session: aiohttp.ClientSession
) -> None:
    emulator, client = await serve(aiohttp_server, http_session, generated=250)
    sims = await client.list_sims()
    assert [sim.iccid for sim in sims] == list(emulator.things)
    assert len(sims) == 253
    pages = [query(r) for r in emulator.requests_to("list_things")]
    assert sorted(p["page"][0] for p in pages) == ["1", "2", "3"]
    assert {p["pageSize"][0] for p in pages} == {"100"}


async def test_pages_after_the_first_are_fetched_concurrently(
    aiohttp_server: Any, http_session: aiohttp.ClientSession
) -> None:
    emulator, client = await serve(aiohttp_server, http_session, generated=697)
    await client.get_account()  # the token, outside the timing
    emulator.faults.add(Fault(FaultKind.LATENCY, endpoint="list_things", delay=0.3))
    started = time.monotonic()
    assert len(await client.list_sims()) == 700
    # One page, then six at most four at a time: 3 rounds, not 7.
    assert time.monotonic() - started < 1.5


async def test_without_a_total_the_pages_are_walked_in_turn(
    aiohttp_server: Any, http_session: aiohttp.ClientSession
) -> None:
    emulator, client = await serve(aiohttp_server, http_session, generated=250)
    first_page = list(emulator.things.values())[:100]
    # An answer without the X-Total-Count header.
    emulator.faults.add(
        Fault(FaultKind.WRONG_SHAPE, endpoint="list_things", body=first_page, times=1)
    )
    assert [sim.iccid for sim in await client.list_sims()] == list(emulator.things)
    pages = [query(r)["page"] for r in emulator.requests_to("list_things")]
    assert pages == [["1"], ["2"], ["3"]]


async def test_walk_ends_when_the_server_ignores_the_page(
    aiohttp_server: Any, http_session: aiohttp.ClientSession
) -> None:
    emulator, client = await serve(aiohttp_server, http_session, generated=250)
    first_page = list(emulator.things.values())[:100]
    emulator.faults.add(
        Fault(FaultKind.WRONG_SHAPE, endpoint="list_things", body=first_page)
    )
    assert len(await client.list_sims()) == 100
    assert len(emulator.requests_to("list_things")) == 2


async def test_an_implausible_total_is_walked_in_turn(
    aiohttp_server: Any, http_session: aiohttp.ClientSession
) -> None:
    """A total of a trillion Things costs one request more than the real list."""
    emulator = KpnSimEmulator(generated=250, seed=5)
    server = await aiohttp_server(
        inflating(emulator.make_app(), "X-Total-Count", str(10**12))
    )
    client = make_client(http_session, str(server.make_url("")).rstrip("/"))

    assert len(await client.list_sims()) == 253
    pages = [query(r)["page"] for r in emulator.requests_to("list_things")]
    assert pages == [["1"], ["2"], ["3"]]


# --- parsers ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("PROVISIONED", SimStatus.READY),
        ("ACTIVE", SimStatus.ACTIVE),
        ("TEST_ACTIVE", SimStatus.TEST),
        ("SUSPENDED", SimStatus.SUSPENDED),
        ("RETIRED", SimStatus.RETIRED),
        ("suspended", SimStatus.SUSPENDED),
        ("DEACTIVATED", SimStatus.UNKNOWN),
        (None, SimStatus.UNKNOWN),
    ],
)
def test_status_mapping(raw: str | None, expected: SimStatus) -> None:
    assert parse_status(raw) is expected


def test_unknown_state_keeps_the_raw_value() -> None:
    thing = parse_thing({"ThingId": f"ThingId_ICCID_{ACTIVE}", "State": "BARRED"})
    assert (thing.sim.status, thing.sim.raw_status) == (SimStatus.UNKNOWN, "BARRED")


def test_thing_example_parses() -> None:
    assert parse_thing(example("thing")) == Thing(
        sim=EXPECTED_SIMS[0],
        cas="1717243200000000017",
        operator="204-08",
        country="NL",
    )


def test_missing_optionals_and_unknown_fields_are_accepted() -> None:
    thing = parse_thing(
        {
            "ThingId": f"ThingId_ICCID_{ACTIVE}",
            "SomethingNew": {"nested": True},
            "IMSI": 204080000000017,
            "LastLocation": {"MCC": "310"},
            "cas": True,
        }
    )
    assert thing == Thing(
        sim=Sim(
            iccid=ACTIVE,
            provider=Provider.KPN_IOT_SIM,
            status=SimStatus.UNKNOWN,
            imsi="204080000000017",
        )
    )


def test_numeric_cas_and_foreign_network() -> None:
    thing = parse_thing(
        {
            "ThingId": f"ThingId_ICCID_{ACTIVE}",
            "cas": 1717243200000000017,
            "LastLocation": {"MCC": "262", "MNC": "01"},
        }
    )
    assert (thing.cas, thing.operator, thing.country) == (
        1717243200000000017,
        "262-01",
        None,
    )


@pytest.mark.parametrize(
    "data",
    [
        [],
        "thing",
        {},
        {"ThingId": ACTIVE},
        {"ThingId": "ThingId_ICCID_"},
        {"ThingId": None},
    ],
)
def test_thing_of_the_wrong_shape(data: Any) -> None:
    with pytest.raises(InvalidResponseError):
        parse_thing(data)


def test_things_page_reads_the_total() -> None:
    body = b'[{"ThingId": "ThingId_ICCID_1"}, {"ThingId": "ThingId_ICCID_2"}]'
    parsed = ParsedPages(parse_thing)
    things, total = parse_things_page(
        response(body, **{"x-total-count": "253"}), parsed, 1
    )
    assert [t.sim.iccid for t in things] == ["1", "2"]
    assert total == 253
    assert parse_things_page(response(b"[]"), parsed, 2)[1] is None


@pytest.mark.parametrize("body", [b'{"Things": []}', b"[1]", b"[", b""])
def test_things_page_of_the_wrong_shape(body: bytes) -> None:
    with pytest.raises(InvalidResponseError):
        parse_things_page(response(body), ParsedPages(parse_thing), 1)


def parse_sessions(data: Any) -> dict[str, SimSession]:
    """Parse a ``GET /thing/status`` answer as the client does, by ICCID."""
    body = json.dumps(data).encode()
    _, sessions = ParsedPages(parse_session).parse(1, response(body), _SESSIONS)
    return {session.iccid: session for session in sessions}


def test_session_status_example_parses() -> None:
    sessions = parse_sessions(example("thing_status"))
    assert sessions == {
        iccid: SimSession(
            iccid=iccid,
            online=session.online,
            ip_address=session.ip_address,
            last_seen=session.last_seen,
        )
        for iccid, session in EXPECTED_SESSIONS.items()
    }


def test_session_entry_variants() -> None:
    sessions = parse_sessions(
        {
            "Data": [
                {
                    "ThingId": "ThingId_ICCID_1",
                    "ConnectionStatus": "connected",
                    "ActiveSessions": {"IPAddress": "10.0.0.1"},
                    "LastConnectionTime": 1748779200000,
                },
                {
                    "ThingId": "ThingId_ICCID_2",
                    "ActiveSessions": [{}, {"IPAddress": "::1"}],
                },
                {"ThingId": "ThingId_ICCID_3", "ConnectionStatus": "UNKNOWN_STATE"},
            ]
        }
    )
    assert sessions["1"] == SimSession(
        iccid="1",
        online=True,
        ip_address="10.0.0.1",
        last_seen=datetime(2025, 6, 1, 12, tzinfo=UTC),
    )
    assert sessions["2"] == SimSession(iccid="2", ip_address="::1")
    assert sessions["3"].online is False


@pytest.mark.parametrize(
    "data",
    [[], {"Data": {}}, {"Data": ["x"]}, {"Data": [{"ConnectionStatus": "CONNECTED"}]}],
)
def test_session_status_of_the_wrong_shape(data: Any) -> None:
    with pytest.raises(InvalidResponseError):
        parse_sessions(data)


def test_located_adds_the_things_network() -> None:
    session = SimSession(iccid=ACTIVE, online=True)
    thing = Thing(sim=EXPECTED_SIMS[0], operator="204-08", country="NL")
    assert located(session, thing) == SimSession(
        iccid=ACTIVE, online=True, operator="204-08", country="NL"
    )
    assert located(session, None) is session


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b'"4f1c"', SmsResult(message_id="4f1c")),
        (b'{"MessageId": "4f1c", "Status": "queued"}', SmsResult(message_id="4f1c")),
        (b"{}", SmsResult()),
        (b"", SmsResult()),
    ],
)
def test_sms_answer(body: bytes, expected: SmsResult) -> None:
    assert parse_sms_answer(response(body)) == expected


@pytest.mark.parametrize("body", [b"[]", b"42", b"not json"])
def test_sms_answer_of_the_wrong_shape(body: bytes) -> None:
    with pytest.raises(InvalidResponseError):
        parse_sms_answer(response(body))


# --- state and label -----------------------------------------------------------


@pytest.mark.parametrize(
    ("iccid", "status", "state"),
    [
        (PROVISIONED, SimStatus.ACTIVE, "ACTIVE"),
        (ACTIVE, SimStatus.SUSPENDED, "SUSPENDED"),
        (SUSPENDED, SimStatus.ACTIVE, "ACTIVE"),
        (SUSPENDED, SimStatus.RETIRED, "RETIRED"),
    ],
)
async def test_set_status(
    client: KpnSimClient,
    kpn: KpnSimEmulator,
    iccid: str,
    status: SimStatus,
    state: str,
) -> None:
    await client.set_status(iccid, status)
    request = kpn.requests_to("set_state")[0]
    assert (request.method, request.path) == (
        "PUT",
        f"/iot/jpu/iotprogrammablesim/thing/ThingId_ICCID_{iccid}/state/",
    )
    assert request.json() == {"state": state}
    assert (await client.get_thing(iccid)).sim.status is status


@pytest.mark.parametrize("status", [SimStatus.TEST, SimStatus.READY, SimStatus.UNKNOWN])
async def test_unsettable_status_sends_nothing(
    client: KpnSimClient, kpn: KpnSimEmulator, status: SimStatus
) -> None:
    with pytest.raises(UnsupportedOperationError):
        await client.set_status(ACTIVE, status)
    assert kpn.requests == []


async def test_illegal_transition_is_an_invalid_request(client: KpnSimClient) -> None:
    with pytest.raises(InvalidRequestError) as err:
        await client.set_status(PROVISIONED, SimStatus.SUSPENDED)
    assert err.value.provider_message == (
        "A Thing in state PROVISIONED cannot become SUSPENDED"
    )
    await client.set_status(ACTIVE, SimStatus.RETIRED)
    with pytest.raises(InvalidRequestError):
        await client.set_status(ACTIVE, SimStatus.ACTIVE)


async def test_set_label_writes_with_the_read_cas(
    client: KpnSimClient, kpn: KpnSimEmulator
) -> None:
    cas = kpn.things[ACTIVE]["cas"]
    await client.set_label(ACTIVE, "Gemaal Zeeburg")
    [write] = kpn.requests_to("update_thing")
    assert write.json() == {"ThingTag": "Gemaal Zeeburg", "cas": cas}
    assert (await client.get_thing(ACTIVE)).sim.name == "Gemaal Zeeburg"


async def test_set_imei_lock_writes_it_and_reads_it_back(
    client: KpnSimClient, kpn: KpnSimEmulator
) -> None:
    assert kpn.things[ACTIVE]["LockMasterImei"] is True
    cas = kpn.things[ACTIVE]["cas"]
    assert await client.set_imei_lock(ACTIVE, locked=False) is False
    [write] = kpn.requests_to("update_thing")
    assert write.json() == {"LockMasterImei": False, "cas": cas}
    assert [r.endpoint for r in kpn.requests[-3:]] == [
        "get_thing",
        "update_thing",
        "get_thing",
    ]
    assert kpn.things[ACTIVE]["ThingTag"] == "Pumping station Zeeburg"
    assert await client.set_imei_lock(ACTIVE, locked=True) is True


async def test_set_label_retries_once_after_a_concurrent_update(
    client: KpnSimClient, kpn: KpnSimEmulator
) -> None:
    original_cas = kpn.things[ACTIVE]["cas"]
    kpn.faults.add(
        Fault(FaultKind.LATENCY, endpoint="update_thing", delay=0.3, times=1)
    )
    labelling = asyncio.create_task(client.set_label(ACTIVE, "Raced"))
    # The emulator offers no event for "request received"; poll its record.
    while not kpn.requests_to("update_thing"):  # noqa: ASYNC110
        await asyncio.sleep(0.01)
    # The first write is held back; another update changes the cas meanwhile.
    await client.set_status(ACTIVE, SimStatus.SUSPENDED)
    await labelling
    first, second = kpn.requests_to("update_thing")
    assert first.json()["cas"] == original_cas
    assert second.json()["cas"] not in (original_cas, kpn.things[ACTIVE]["cas"])
    assert len(kpn.requests_to("get_thing")) == 2
    sim = (await client.get_thing(ACTIVE)).sim
    assert (sim.name, sim.status) == ("Raced", SimStatus.SUSPENDED)


async def test_set_label_gives_up_after_the_second_refusal(
    client: KpnSimClient, kpn: KpnSimEmulator
) -> None:
    kpn.faults.add(Fault(FaultKind.STATUS, endpoint="update_thing", status=412))
    with pytest.raises(InvalidRequestError):
        await client.set_label(ACTIVE, "Never")
    assert len(kpn.requests_to("update_thing")) == 2
    assert kpn.things[ACTIVE]["ThingTag"] == "Pumping station Zeeburg"


async def test_set_label_needs_a_cas(client: KpnSimClient, kpn: KpnSimEmulator) -> None:
    del kpn.things[ACTIVE]["cas"]
    with pytest.raises(InvalidResponseError):
        await client.set_label(ACTIVE, "No cas")
    assert kpn.requests_to("update_thing") == []


async def test_set_label_of_unknown_sim(client: KpnSimClient) -> None:
    with pytest.raises(NotFoundError):
        await client.set_label(UNKNOWN, "Nobody")


# --- sessions ---------------------------------------------------------------


@pytest.mark.parametrize("iccid", [ACTIVE, PROVISIONED, SUSPENDED])
async def test_get_session(client: KpnSimClient, kpn: KpnSimEmulator, iccid: str):
    assert await client.get_sessions([iccid]) == {iccid: EXPECTED_SESSIONS[iccid]}
    [request] = kpn.requests_to("session_status")
    assert query(request) == {"ThingIds": [f"ThingId_ICCID_{iccid}"]}


async def test_session_of_unknown_sim(client: KpnSimClient) -> None:
    assert await client.get_sessions([UNKNOWN]) == {}


async def test_session_follows_a_state_change(
    client: KpnSimClient, kpn: KpnSimEmulator
) -> None:
    await client.set_status(PROVISIONED, SimStatus.ACTIVE)
    kpn.tick(30)
    session = (await client.get_sessions([PROVISIONED]))[PROVISIONED]
    assert session.online is True
    assert session.ip_address == kpn.things[PROVISIONED]["IPv4"]
    assert session.operator == "204-08"
    assert session.last_seen == datetime(2025, 6, 1, 12, 0, 30, tzinfo=UTC)


async def test_get_sessions_in_batches_of_a_hundred(
    aiohttp_server: Any, http_session: aiohttp.ClientSession
) -> None:
    emulator, client = await serve(aiohttp_server, http_session, generated=250)
    iccids = [*emulator.things, UNKNOWN, ACTIVE]
    sessions = await client.get_sessions(iccids)
    assert list(sessions) == list(emulator.things)
    batches = [
        query(r)["ThingIds"][0].split(",")
        for r in emulator.requests_to("session_status")
    ]
    assert sorted(len(batch) for batch in batches) == [54, 100, 100]
    assert len(emulator.requests_to("list_things")) == 3, "locations: one listing"
    for iccid, session in sessions.items():
        state = emulator.sessions[iccid]
        assert session.online is (state["ConnectionStatus"] == "CONNECTED")
        location = emulator.things[iccid]["LastLocation"]
        expected = f"{location['MCC']}-{location['MNC']}" if location else None
        assert session.operator == expected


async def test_session_batches_go_one_after_the_other(
    aiohttp_server: Any, http_session: aiohttp.ClientSession
) -> None:
    """A turn's batches share one connection; a failed batch ends the turn.

    Sent together, each would open a connection of its own, and the rest
    would still be sent after the first had failed.
    """
    emulator, client = await serve(aiohttp_server, http_session, generated=250)
    emulator.faults.add(
        Fault(FaultKind.STATUS, endpoint="session_status", status=503, times=1)
    )
    with pytest.raises(ProviderUnavailableError):
        await client.get_sessions(emulator.things)
    assert len(emulator.requests_to("session_status")) == 1

    await client.get_sessions(emulator.things)
    peers = {r.peer for r in emulator.requests_to("session_status")[1:]}
    assert len(emulator.requests_to("session_status")) == 4
    assert len(peers) == 1, "one connection"


async def test_sessions_take_locations_from_the_last_list(
    client: KpnSimClient, kpn: KpnSimEmulator
) -> None:
    await client.list_sims()
    listed = len(kpn.requests_to("list_things"))
    sessions = await client.get_sessions([ACTIVE])
    assert sessions[ACTIVE].operator is not None
    assert len(kpn.requests_to("list_things")) == listed


async def test_no_sessions_asked_no_requests(
    client: KpnSimClient, kpn: KpnSimEmulator
) -> None:
    assert await client.get_sessions([]) == {}
    assert kpn.requests == []


# --- SMS --------------------------------------------------------------------


async def test_send_sms(client: KpnSimClient, kpn: KpnSimEmulator) -> None:
    result = await client.send_sms(ACTIVE, "reboot now")
    [sent] = kpn.sent_sms
    assert result == SmsResult(message_id=sent["MessageId"])
    assert kpn.requests_to("send_sms")[0].json() == {
        "Message": "reboot now",
        "From": "HomeAssist",
    }


@pytest.mark.parametrize("message", ["x" * 161, "ü€" + "ж" * 69, "   "])
async def test_send_sms_validates_before_sending(
    client: KpnSimClient, kpn: KpnSimEmulator, message: str
) -> None:
    with pytest.raises(SmsValidationError):
        await client.send_sms(ACTIVE, message)
    assert kpn.requests == []


async def test_send_sms_refuses_a_data_coding(
    client: KpnSimClient, kpn: KpnSimEmulator
) -> None:
    with pytest.raises(UnsupportedOperationError):
        await client.send_sms(ACTIVE, "hi", dcs=8)
    assert kpn.requests == []


async def test_send_sms_to_inactive_sim(client: KpnSimClient) -> None:
    with pytest.raises(InvalidRequestError):
        await client.send_sms(SUSPENDED, "hi")


# --- tokens and quota -----------------------------------------------------------


@pytest.mark.parametrize("spoil", ["expire_all", "revoke_all"])
async def test_token_renewed_mid_run(
    client: KpnSimClient, kpn: KpnSimEmulator, spoil: str
) -> None:
    await client.list_sims()
    getattr(kpn.tokens, spoil)()
    assert await client.list_sims() == EXPECTED_SIMS
    assert len(kpn.requests_to("token")) == 2
    assert [r.endpoint for r in kpn.requests][-3:] == [
        "list_things",
        "token",
        "list_things",
    ]


async def test_token_within_its_lifetime_is_reused(
    client: KpnSimClient, kpn: KpnSimEmulator
) -> None:
    await client.list_sims()
    await client.get_thing(ACTIVE)
    await client.get_sessions([ACTIVE])
    assert len(kpn.requests_to("token")) == 1


async def test_short_token_lifetime_is_honoured(
    client: KpnSimClient, kpn: KpnSimEmulator
) -> None:
    kpn.tokens.lifetime = 1
    await client.get_thing(ACTIVE)
    await asyncio.sleep(1.05)
    await client.get_thing(ACTIVE)
    assert len(kpn.requests_to("token")) == 2
    assert len(kpn.requests_to("get_thing")) == 2


async def test_fresh_token_refused_is_token_expired(
    client: KpnSimClient, kpn: KpnSimEmulator
) -> None:
    kpn.tokens.lifetime = 0
    with pytest.raises(TokenExpiredError):
        await client.list_sims()
    assert len(kpn.requests_to("token")) == 2


async def test_token_example_is_used_as_sent(
    client: KpnSimClient, kpn: KpnSimEmulator
) -> None:
    kpn.faults.add(
        Fault(FaultKind.WRONG_SHAPE, endpoint="token", body=example("token"), times=1)
    )
    assert (await client.get_thing(ACTIVE)).sim == EXPECTED_SIMS[0]
    first, second = kpn.requests_to("get_thing")
    assert (
        first.headers["Authorization"] == f"Bearer {example('token')['access_token']}"
    )
    assert second.headers["Authorization"] != first.headers["Authorization"]


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({**example("token"), "token_type": "MAC"}, AuthenticationError),
        ({"token_type": "Bearer"}, InvalidResponseError),
        (["access_token"], InvalidResponseError),
    ],
)
async def test_token_answer_of_the_wrong_shape(
    client: KpnSimClient, kpn: KpnSimEmulator, body: Any, error: type[Exception]
) -> None:
    kpn.faults.add(Fault(FaultKind.WRONG_SHAPE, endpoint="token", body=body))
    with pytest.raises(error):
        await client.get_thing(ACTIVE)
    assert kpn.requests_to("get_thing") == []


async def test_api_quota_from_headers(client: KpnSimClient, kpn: KpnSimEmulator):
    initial = client.api_quota
    assert initial is None
    await client.get_thing(ACTIVE)
    quota = client.api_quota
    assert quota is not None
    assert kpn.quota is not None
    assert (quota.limit, quota.used, quota.interval, quota.time_unit) == (
        10_000,
        kpn.quota.used,
        1,
        "day",
    )
    assert quota.remaining == 10_000 - kpn.quota.used
    assert quota.reset_at is not None
    assert abs((quota.reset_at - kpn.quota.reset_at()).total_seconds()) < 0.001


async def test_spent_quota_is_rate_limited(
    client: KpnSimClient, kpn: KpnSimEmulator
) -> None:
    await client.get_thing(ACTIVE)
    assert kpn.quota is not None
    kpn.quota.enforce, kpn.quota.limit = True, kpn.quota.used
    with pytest.raises(RateLimitedError) as err:
        await client.get_thing(ACTIVE)
    assert err.value.reset_at is not None
    assert abs((err.value.reset_at - kpn.quota.reset_at()).total_seconds()) < 0.001


# --- faults -------------------------------------------------------------------


FAULTS: list[tuple[str, FaultKind, dict[str, Any], type[Exception]]] = [
    ("503", FaultKind.STATUS, {"status": 503}, ProviderUnavailableError),
    ("500", FaultKind.STATUS, {"status": 500}, ProviderUnavailableError),
    ("404", FaultKind.STATUS, {"status": 404}, NotFoundError),
    ("400", FaultKind.STATUS, {"status": 400}, InvalidRequestError),
    ("412", FaultKind.STATUS, {"status": 412}, InvalidRequestError),
    ("401", FaultKind.STATUS, {"status": 401}, TokenExpiredError),
    ("rate_limit", FaultKind.RATE_LIMIT, {}, RateLimitedError),
    ("disconnect", FaultKind.DISCONNECT, {}, ProviderUnavailableError),
]
SHAPE_FAULTS: list[tuple[str, FaultKind, dict[str, Any], type[Exception]]] = [
    ("malformed", FaultKind.MALFORMED, {}, InvalidResponseError),
    ("wrong_items", FaultKind.WRONG_SHAPE, {"body": [1]}, InvalidResponseError),
    ("wrong_shape", FaultKind.WRONG_SHAPE, {"body": 42}, InvalidResponseError),
]
READING_CALLS: dict[str, Callable[[KpnSimClient], Awaitable[Any]]] = {
    "list_things": lambda c: c.list_sims(),
    "get_thing": lambda c: c.get_thing(ACTIVE),
    "session_status": lambda c: c.get_sessions([ACTIVE]),
    "send_sms": lambda c: c.send_sms(ACTIVE, "hi"),
}
WRITING_CALLS: dict[str, Callable[[KpnSimClient], Awaitable[Any]]] = {
    "set_state": lambda c: c.set_status(ACTIVE, SimStatus.SUSPENDED),
    "update_thing": lambda c: c.set_label(ACTIVE, "x"),
}
"""Writes do not read their answer, so only the HTTP outcome can fail them."""
CALLS = READING_CALLS | WRITING_CALLS


def fault_cases(
    calls: dict[str, Any],
    faults: list[tuple[str, FaultKind, dict[str, Any], type[Exception]]],
) -> list[Any]:
    return [
        pytest.param(
            Fault(kind, endpoint=endpoint, **options), error, id=f"{endpoint}-{name}"
        )
        for endpoint in calls
        for name, kind, options, error in faults
    ]


@pytest.mark.parametrize(
    ("fault", "error"),
    fault_cases(READING_CALLS, FAULTS + SHAPE_FAULTS)
    + fault_cases(WRITING_CALLS, FAULTS),
)
async def test_failures_are_typed(
    client: KpnSimClient, kpn: KpnSimEmulator, fault: Fault, error: type[Exception]
) -> None:
    kpn.faults.add(fault)
    with pytest.raises(error):
        await CALLS[fault.endpoint](client)


async def test_rate_limit_keeps_retry_after(
    client: KpnSimClient, kpn: KpnSimEmulator
) -> None:
    kpn.faults.add(Fault(FaultKind.RATE_LIMIT, endpoint="list_things", retry_after=30))
    with pytest.raises(RateLimitedError) as err:
        await client.list_sims()
    assert err.value.retry_after == 30
    assert err.value.reset_at is not None


async def test_latency_is_tolerated(client: KpnSimClient, kpn: KpnSimEmulator):
    kpn.faults.add(Fault(FaultKind.LATENCY, endpoint="get_thing", delay=0.2))
    assert (await client.get_thing(ACTIVE)).sim == EXPECTED_SIMS[0]


async def test_timeout_is_unavailable(
    emulator: EmulatorServer, http_session: aiohttp.ClientSession, kpn: KpnSimEmulator
) -> None:
    client = make_client(
        http_session,
        emulator.url("kpn_iot_sim"),
        timeout=aiohttp.ClientTimeout(total=0.5),
    )
    kpn.faults.add(Fault(FaultKind.TIMEOUT, endpoint="get_thing", delay=2))
    with pytest.raises(ProviderUnavailableError, match="timed out"):
        await client.get_thing(ACTIVE)
