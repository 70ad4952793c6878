"""The KPN IoT Programmable SIM emulator serves the inferred Thing API."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta
import time
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest

from iot_emulator.core import Fault, FaultKind
from iot_emulator.examples import load_example
from iot_emulator.kpn_gateway import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    TOKEN_PATH,
)
from iot_emulator.kpn_sim import (
    BASE_PATH,
    SEED_TIME,
    KpnSimEmulator,
    thing_id,
)

if TYPE_CHECKING:
    from multidict import CIMultiDictProxy

    from iot_emulator.server import EmulatorServer

ACTIVE = "8931087620000000017"
PROVISIONED = "8931087620000000025"
SUSPENDED = "8931087620000000033"
UNKNOWN = "8931087620000009999"
ERROR_FIELDS = {"transactionId", "status", "name", "message", "info"}

pytestmark = pytest.mark.usefixtures("socket_enabled")


def example(name: str) -> Any:
    return load_example("kpn_iot_sim", name)


@dataclass(frozen=True)
class Reply:
    status: int
    body: Any
    headers: CIMultiDictProxy[str]


class Api:
    """Requests to one running KPN SIM emulator, with a token of the demo client."""

    def __init__(
        self, session: aiohttp.ClientSession, url: str, emulator: KpnSimEmulator
    ) -> None:
        self.session = session
        self.url = url
        self.emulator = emulator
        self._token: str | None = None

    async def token(self) -> str:
        if self._token is None:
            reply = await self.request_token(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET)
            self._token = reply.body["access_token"]
        return self._token

    async def request_token(
        self, client_id: str, secret: str, grant_type: str = "client_credentials"
    ) -> Reply:
        return await self.raw(
            "POST",
            f"{self.url}{TOKEN_PATH}",
            params={"grant_type": grant_type},
            data={"client_id": client_id, "client_secret": secret},
        )

    async def call(
        self,
        method: str,
        path: str,
        *,
        authorization: str | None = "own",
        **kwargs: Any,
    ) -> Reply:
        """``path`` below the base path; ``authorization`` "own" uses the token."""
        if authorization == "own":
            authorization = f"Bearer {await self.token()}"
        headers = {"Authorization": authorization} if authorization else {}
        return await self.raw(
            method, f"{self.url}{BASE_PATH}{path}", headers=headers, **kwargs
        )

    async def raw(self, method: str, url: str, **kwargs: Any) -> Reply:
        async with self.session.request(method, url, **kwargs) as resp:
            text = await resp.text()
            try:
                body = await resp.json(content_type=None) if text else None
            except ValueError:
                body = text
            return Reply(resp.status, body, resp.headers)

    async def thing(self, iccid: str) -> Any:
        reply = await self.call("GET", f"/thing/{thing_id(iccid)}")
        assert reply.status == 200
        return reply.body

    async def set_state(self, iccid: str, state: Any) -> Reply:
        return await self.call(
            "PUT", f"/thing/{thing_id(iccid)}/state/", json={"state": state}
        )


@pytest.fixture
def api(emulator: EmulatorServer, http_session: aiohttp.ClientSession) -> Api:
    return Api(http_session, emulator.url("kpn_iot_sim"), emulator.kpn_sim)


@pytest.fixture
async def big_api(aiohttp_server: Any, http_session: aiohttp.ClientSession) -> Api:
    """An emulator with 250 generated Things besides the 3 examples."""
    emulator = KpnSimEmulator(generated=250, seed=11)
    server = await aiohttp_server(emulator.make_app())
    return Api(http_session, str(server.make_url("")).rstrip("/"), emulator)


def assert_error(reply: Reply, status: int) -> None:
    assert reply.status == status
    assert set(reply.body) == ERROR_FIELDS
    assert reply.body["status"] == status
    assert reply.body["message"]


# --- gateway token ---------------------------------------------------------


async def test_token_for_known_client(api: Api) -> None:
    reply = await api.request_token(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET)
    assert reply.status == 200
    assert reply.body["token_type"] == example("token")["token_type"]
    assert reply.body["expires_in"] == "3599"
    assert set(example("token")) <= set(reply.body)
    assert api.emulator.tokens.subject(reply.body["access_token"]) == DEFAULT_CLIENT_ID


@pytest.mark.parametrize(
    ("client_id", "secret", "grant_type", "status"),
    [
        (DEFAULT_CLIENT_ID, "wrong", "client_credentials", 401),
        ("someone-else", DEFAULT_CLIENT_SECRET, "client_credentials", 401),
        ("", "", "client_credentials", 401),
        (DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, "password", 400),
    ],
)
async def test_token_refused(
    api: Api, client_id: str, secret: str, grant_type: str, status: int
) -> None:
    reply = await api.request_token(client_id, secret, grant_type)
    assert reply.status == status
    assert "access_token" not in reply.body


async def test_token_lifetime_is_configurable(api: Api) -> None:
    api.emulator.tokens.lifetime = 60
    reply = await api.request_token(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET)
    assert reply.body["expires_in"] == "60"


# --- auth on every Thing route ----------------------------------------------

ROUTES = [
    ("GET", "/things"),
    ("GET", f"/thing/status?ThingIds={thing_id(ACTIVE)}"),
    ("GET", f"/thing/{thing_id(ACTIVE)}"),
    ("PUT", f"/thing/{thing_id(ACTIVE)}"),
    ("GET", f"/thing/{thing_id(ACTIVE)}/state/"),
    ("PUT", f"/thing/{thing_id(ACTIVE)}/state/"),
    ("POST", f"/thing/{thing_id(ACTIVE)}/sms"),
]


@pytest.mark.parametrize(("method", "path"), ROUTES)
@pytest.mark.parametrize(
    "authorization", [None, "Bearer unknown-token", "Basic abc", "Bearer "]
)
async def test_every_route_needs_a_valid_token(
    api: Api, method: str, path: str, authorization: str | None
) -> None:
    reply = await api.call(method, path, authorization=authorization)
    assert reply.status == 401
    assert reply.body["name"] == "invalid_token"


@pytest.mark.parametrize("spoil", ["expire_all", "revoke_all"])
async def test_expired_and_revoked_tokens_are_refused(api: Api, spoil: str) -> None:
    assert (await api.call("GET", "/things")).status == 200
    getattr(api.emulator.tokens, spoil)()
    assert (await api.call("GET", "/things")).status == 401


async def test_token_expires_after_its_lifetime(api: Api) -> None:
    api.emulator.tokens.lifetime = 0.2
    assert (await api.call("GET", "/things")).status == 200
    await asyncio.sleep(0.3)
    assert (await api.call("GET", "/things")).status == 401


# --- seeding ----------------------------------------------------------------


async def test_examples_are_served_verbatim(api: Api) -> None:
    reply = await api.call("GET", "/things", params={"pageSize": "100"})
    assert reply.body == [
        example("thing"),
        example("thing_provisioned"),
        example("thing_suspended"),
    ]
    assert reply.headers["X-Total-Count"] == "3"
    assert await api.thing(ACTIVE) == example("thing")
    ids = ",".join(thing_id(i) for i in (ACTIVE, PROVISIONED, SUSPENDED))
    status = await api.call("GET", "/thing/status", params={"ThingIds": ids})
    assert status.body == example("thing_status")


def test_generated_things_are_deterministic_and_plausible() -> None:
    first = KpnSimEmulator(generated=40, seed=3)
    again = KpnSimEmulator(generated=40, seed=3)
    other = KpnSimEmulator(generated=40, seed=4)
    assert first.control_state() == again.control_state()
    assert first.things != other.things
    assert list(first.things)[:3] == [ACTIVE, PROVISIONED, SUSPENDED]
    assert len(first.things) == len(first.sessions) == 43
    assert all(len(iccid) == 19 and iccid.isdigit() for iccid in first.things)
    states = {thing["State"] for thing in first.things.values()}
    assert {"ACTIVE", "PROVISIONED", "SUSPENDED"} <= states
    for iccid, thing in first.things.items():
        session = first.sessions[iccid]
        assert thing["ThingId"] == session["ThingId"] == thing_id(iccid)
        assert session["ProvisionStatus"] == thing["State"]
        if session["ConnectionStatus"] == "CONNECTED":
            assert thing["State"] in {"ACTIVE", "TEST_ACTIVE"}
            assert session["ActiveSessions"][0]["IPAddress"] == thing["IPv4"]
        if thing["State"] == "PROVISIONED":
            assert thing["IMEI"] is None
            assert session["LastConnectionTime"] is None
    addresses = [t["IPv4"] for t in first.things.values() if t["IPv4"]]
    assert len(addresses) == len(set(addresses))


# --- paging -----------------------------------------------------------------


async def test_list_defaults_to_page_one_of_twenty(big_api: Api) -> None:
    reply = await big_api.call("GET", "/things")
    assert reply.status == 200
    assert len(reply.body) == 20
    assert reply.body[0] == example("thing")
    assert reply.headers["X-Total-Count"] == "253"


async def test_pages_of_one_hundred_cover_every_thing_once(big_api: Api) -> None:
    seen: list[str] = []
    for page in (1, 2, 3):
        reply = await big_api.call(
            "GET", "/things", params={"page": str(page), "pageSize": "100"}
        )
        assert reply.headers["X-Total-Count"] == "253"
        assert len(reply.body) == (100 if page < 3 else 53)
        seen += [thing["ThingId"] for thing in reply.body]
    assert seen == [thing_id(iccid) for iccid in big_api.emulator.things]


async def test_page_past_the_end_is_empty(big_api: Api) -> None:
    reply = await big_api.call(
        "GET", "/things", params={"page": "4", "pageSize": "100"}
    )
    assert (reply.status, reply.body) == (200, [])
    assert reply.headers["X-Total-Count"] == "253"


@pytest.mark.parametrize(
    "params",
    [
        {"page": "0"},
        {"page": "-1"},
        {"page": "first"},
        {"pageSize": "0"},
        {"pageSize": "101"},
        {"pageSize": "1.5"},
    ],
)
async def test_bad_paging_is_refused(api: Api, params: dict[str, str]) -> None:
    assert_error(await api.call("GET", "/things", params=params), 400)


# --- one Thing ----------------------------------------------------------------


@pytest.mark.parametrize(
    "thing", [thing_id(UNKNOWN), f"ThingId_ICCID_{'x' * 19}", ACTIVE, "ThingId_ICCID_"]
)
@pytest.mark.parametrize(
    ("method", "suffix"),
    [
        ("GET", ""),
        ("PUT", ""),
        ("GET", "/state/"),
        ("PUT", "/state/"),
        ("POST", "/sms"),
    ],
)
async def test_unknown_thing_is_not_found(
    api: Api, thing: str, method: str, suffix: str
) -> None:
    reply = await api.call(
        method, f"/thing/{thing}{suffix}", json={"state": "ACTIVE", "Message": "x"}
    )
    assert_error(reply, 404)
    assert reply.body["name"] == "NotFound"


async def test_label_change_needs_the_current_cas(api: Api) -> None:
    path = f"/thing/{thing_id(ACTIVE)}"
    read = await api.thing(ACTIVE)
    reply = await api.call("PUT", path, json={"ThingTag": "Gemaal", "cas": read["cas"]})
    assert reply.status == 200
    assert reply.body["ThingTag"] == "Gemaal"
    assert reply.body["cas"] != read["cas"]
    assert await api.thing(ACTIVE) == reply.body

    stale = await api.call("PUT", path, json={"ThingTag": "Late", "cas": read["cas"]})
    assert_error(stale, 412)
    assert stale.body["name"] == "PreconditionFailed"
    assert (await api.thing(ACTIVE))["ThingTag"] == "Gemaal"


async def test_empty_label_clears_the_tag(api: Api) -> None:
    cas = (await api.thing(SUSPENDED))["cas"]
    reply = await api.call(
        "PUT", f"/thing/{thing_id(SUSPENDED)}", json={"ThingTag": "", "cas": cas}
    )
    assert reply.body["ThingTag"] is None


@pytest.mark.parametrize(
    "body",
    [
        {"ThingTag": "no cas"},
        {"ThingTag": "null cas", "cas": None},
        {"cas": "CURRENT"},
        {"cas": "CURRENT", "ThingTag": 7},
        {"cas": "CURRENT", "LockMasterImei": "yes"},
        ["ThingTag"],
    ],
)
async def test_label_change_needs_a_valid_body(api: Api, body: Any) -> None:
    cas = (await api.thing(ACTIVE))["cas"]
    if isinstance(body, dict) and body.get("cas") == "CURRENT":
        body = {**body, "cas": cas}
    reply = await api.call("PUT", f"/thing/{thing_id(ACTIVE)}", json=body)
    assert_error(reply, 400)
    assert (await api.thing(ACTIVE))["cas"] == cas


async def test_label_change_refuses_invalid_json(api: Api) -> None:
    reply = await api.call("PUT", f"/thing/{thing_id(ACTIVE)}", data=b"{not json")
    assert_error(reply, 400)


# --- state ------------------------------------------------------------------


@pytest.mark.parametrize("suffix", ["/state/", "/state"])
async def test_state_is_readable_with_or_without_slash(api: Api, suffix: str) -> None:
    reply = await api.call("GET", f"/thing/{thing_id(SUSPENDED)}{suffix}")
    assert (reply.status, reply.body) == (200, {"state": "SUSPENDED"})


@pytest.mark.parametrize(
    ("iccid", "state", "status"),
    [
        (PROVISIONED, "ACTIVE", 200),
        (PROVISIONED, "TEST_ACTIVE", 200),
        (PROVISIONED, "RETIRED", 200),
        (PROVISIONED, "SUSPENDED", 412),
        (ACTIVE, "SUSPENDED", 200),
        (ACTIVE, "ACTIVE", 200),
        (ACTIVE, "RETIRED", 200),
        (ACTIVE, "PROVISIONED", 412),
        (ACTIVE, "TEST_ACTIVE", 412),
        (SUSPENDED, "ACTIVE", 200),
        (SUSPENDED, "TEST_ACTIVE", 412),
    ],
)
async def test_state_transitions(api: Api, iccid: str, state: str, status: int) -> None:
    before = await api.thing(iccid)
    reply = await api.set_state(iccid, state)
    after = await api.thing(iccid)
    if status == 200:
        assert reply.body == {"state": state}
        assert after["State"] == after["BillingState"] == state
    else:
        assert_error(reply, status)
        assert after == before


async def test_test_mode_ends_in_active_or_suspended(api: Api) -> None:
    assert (await api.set_state(PROVISIONED, "TEST_ACTIVE")).status == 200
    assert (await api.set_state(PROVISIONED, "PROVISIONED")).status == 412
    assert (await api.set_state(PROVISIONED, "SUSPENDED")).status == 200


async def test_retired_is_final(api: Api) -> None:
    assert (await api.set_state(SUSPENDED, "RETIRED")).status == 200
    for state in ("ACTIVE", "SUSPENDED", "PROVISIONED", "TEST_ACTIVE"):
        assert_error(await api.set_state(SUSPENDED, state), 412)
    assert (await api.set_state(SUSPENDED, "RETIRED")).status == 200
    assert (await api.thing(SUSPENDED))["State"] == "RETIRED"


@pytest.mark.parametrize("state", ["active", "DEACTIVATED", "", None, 1])
async def test_unknown_state_is_a_bad_request(api: Api, state: Any) -> None:
    assert_error(await api.set_state(ACTIVE, state), 400)


@pytest.mark.parametrize("body", [{"State": "SUSPENDED"}, {}, ["SUSPENDED"]])
async def test_state_body_needs_lowercase_state_key(api: Api, body: Any) -> None:
    reply = await api.call("PUT", f"/thing/{thing_id(ACTIVE)}/state/", json=body)
    assert_error(reply, 400)


async def test_state_change_updates_cas_and_drops_the_session(api: Api) -> None:
    cas = (await api.thing(ACTIVE))["cas"]
    assert (await api.set_state(ACTIVE, "SUSPENDED")).status == 200
    assert (await api.thing(ACTIVE))["cas"] != cas
    session = api.emulator.sessions[ACTIVE]
    assert session["ConnectionStatus"] == "DISCONNECTED"
    assert session["ActiveSessions"] == []
    assert session["ProvisionStatus"] == "SUSPENDED"


async def test_activated_thing_attaches_on_tick(api: Api) -> None:
    assert (await api.set_state(PROVISIONED, "ACTIVE")).status == 200
    assert api.emulator.sessions[PROVISIONED]["ConnectionStatus"] == "DISCONNECTED"
    async with api.session.post(
        f"{api.url}/_emulator/tick", json={"seconds": 90}
    ) as resp:
        assert resp.status == 200
    thing = await api.thing(PROVISIONED)
    session = api.emulator.sessions[PROVISIONED]
    assert session["ConnectionStatus"] == "CONNECTED"
    assert session["LastConnectionTime"] == "2025-06-01T12:01:30Z"
    assert api.emulator.now == SEED_TIME + timedelta(seconds=90)
    assert thing["IPv4"] == session["ActiveSessions"][0]["IPAddress"]
    assert thing["LastLocation"]["MCC"] == "204"


async def test_tick_moves_traffic_of_connected_things_only(api: Api) -> None:
    api.emulator.tick(60)
    assert api.emulator.sessions[SUSPENDED]["ConnectionStatus"] == "DISCONNECTED"
    assert api.emulator.sessions[PROVISIONED]["ConnectionStatus"] == "DISCONNECTED"
    active = api.emulator.sessions[ACTIVE]
    assert active["LastConnectionTime"] == "2025-06-01T11:42:07Z"
    assert active["ActiveSessions"][0]["UplinkThroughput"] != 1520


# --- session status -----------------------------------------------------------


async def test_session_status_leaves_out_unknown_and_repeated_ids(api: Api) -> None:
    ids = [thing_id(SUSPENDED), thing_id(UNKNOWN), "garbage", thing_id(SUSPENDED)]
    reply = await api.call("GET", "/thing/status/", params={"ThingIds": ",".join(ids)})
    assert reply.status == 200
    assert reply.body == {"Data": [example("thing_status")["Data"][2]]}


@pytest.mark.parametrize(
    "params",
    [{}, {"ThingIds": ""}, {"ThingIds": ",".join([thing_id(ACTIVE)] * 101)}],
)
async def test_session_status_needs_one_to_one_hundred_ids(
    api: Api, params: dict[str, str]
) -> None:
    assert_error(await api.call("GET", "/thing/status", params=params), 400)


# --- SMS --------------------------------------------------------------------


async def test_sms_is_recorded(api: Api) -> None:
    reply = await api.call(
        "POST",
        f"/thing/{thing_id(ACTIVE)}/sms",
        json={"Message": "reboot", "From": "HomeAssist"},
    )
    assert reply.status == 200
    assert isinstance(reply.body, str)
    assert api.emulator.sent_sms == [
        {
            "MessageId": reply.body,
            "ThingId": thing_id(ACTIVE),
            "Message": "reboot",
            "From": "HomeAssist",
            "Time": "2025-06-01T12:00:00Z",
        }
    ]
    async with api.session.get(f"{api.url}/_emulator/state") as resp:
        assert (await resp.json())["sms"] == api.emulator.sent_sms


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"Message": "x" * 160}, 200),
        ({"Message": "x" * 161}, 400),
        ({"Message": ""}, 400),
        ({"Message": "   "}, 400),
        ({"From": "HomeAssist"}, 400),
        ({"Message": "hi", "From": 5}, 400),
        ("hi", 400),
    ],
)
async def test_sms_body_rules(api: Api, body: Any, status: int) -> None:
    reply = await api.call("POST", f"/thing/{thing_id(ACTIVE)}/sms", json=body)
    assert reply.status == status
    assert len(api.emulator.sent_sms) == (status == 200)


@pytest.mark.parametrize("iccid", [PROVISIONED, SUSPENDED])
async def test_sms_reaches_active_things_only(api: Api, iccid: str) -> None:
    reply = await api.call(
        "POST", f"/thing/{thing_id(iccid)}/sms", json={"Message": "hi"}
    )
    assert_error(reply, 412)
    assert api.emulator.sent_sms == []


# --- gateway quota and faults ---------------------------------------------------


async def test_every_answer_carries_quota_headers(api: Api) -> None:
    replies = [
        await api.call("GET", "/things"),
        await api.call("GET", f"/thing/{thing_id(UNKNOWN)}"),
        await api.call("GET", "/things", authorization=None),
    ]
    used = [int(reply.headers["quota-used"]) for reply in replies]
    assert used == sorted(used)
    assert len(set(used)) == 3
    for reply in replies:
        assert reply.headers["quota-limit"] == "10000"
        assert reply.headers["quota-time-unit"] == "day"
        assert reply.headers["quota-interval"] == "1"
        assert int(reply.headers["quota-reset-UTC"]) > time.time() * 1000


async def test_spent_quota_is_a_429(api: Api) -> None:
    await api.token()
    quota = api.emulator.quota
    assert quota is not None
    quota.enforce, quota.limit = True, quota.used + 1
    assert (await api.call("GET", "/things")).status == 200
    reply = await api.call("GET", "/things")
    assert reply.status == 429
    assert reply.headers["quota-used"] == reply.headers["quota-limit"]


@pytest.mark.parametrize(
    ("fault", "status", "body"),
    [
        (Fault(FaultKind.STATUS, endpoint="list_things", status=503), 503, None),
        (Fault(FaultKind.RATE_LIMIT, endpoint="list_things", retry_after=7), 429, None),
        (Fault(FaultKind.MALFORMED, endpoint="list_things"), 200, '{"broken": '),
        (
            Fault(FaultKind.WRONG_SHAPE, endpoint="list_things", body={"Data": 1}),
            200,
            {"Data": 1},
        ),
        (Fault(FaultKind.LATENCY, endpoint="list_things", delay=0.2), 200, None),
    ],
    ids=["status", "rate_limit", "malformed", "wrong_shape", "latency"],
)
async def test_faults_on_the_list(
    api: Api, fault: Fault, status: int, body: Any
) -> None:
    await api.token()
    api.emulator.faults.add(fault)
    started = time.monotonic()
    reply = await api.call("GET", "/things")
    assert reply.status == status
    assert "quota-used" in reply.headers
    if body is not None:
        assert reply.body == body
    if fault.kind is FaultKind.RATE_LIMIT:
        assert reply.headers["Retry-After"] == "7"
    if fault.kind is FaultKind.LATENCY:
        assert time.monotonic() - started >= 0.2
        assert len(reply.body) == 3
    # Faults are per route: a Thing is still served.
    assert (await api.call("GET", f"/thing/{thing_id(ACTIVE)}")).status == 200


async def test_timeout_fault_outlasts_the_client(api: Api) -> None:
    await api.token()
    api.emulator.faults.add(
        Fault(FaultKind.TIMEOUT, endpoint="session_status", delay=1, times=1)
    )
    with pytest.raises(TimeoutError):
        await api.call(
            "GET",
            "/thing/status",
            params={"ThingIds": thing_id(ACTIVE)},
            timeout=aiohttp.ClientTimeout(total=0.2),
        )


async def test_disconnect_fault_closes_the_connection(api: Api) -> None:
    await api.token()
    api.emulator.faults.add(Fault(FaultKind.DISCONNECT, endpoint="send_sms", times=1))
    path = f"/thing/{thing_id(ACTIVE)}/sms"
    with pytest.raises(aiohttp.ClientError):
        await api.call("POST", path, json={"Message": "hi"})
    assert (await api.call("POST", path, json={"Message": "hi"})).status == 200
    assert len(api.emulator.requests_to("send_sms")) == 2


# --- control: a SIM moved to another device --------------------------------


def test_move_sim_changes_the_things_imei_and_cas() -> None:
    emulator = KpnSimEmulator()
    iccid = "8931087620000000017"
    thing = emulator.things[iccid]
    cas = thing["cas"]

    assert emulator.move_sim(iccid, "353456789012348")

    assert thing["IMEI"] == "353456789012348"
    assert thing["cas"] != cas
    assert not emulator.move_sim("404", "353456789012348")


async def test_imei_lock_holds_the_sim_to_its_device(api: Api) -> None:
    read = await api.thing(SUSPENDED)
    path = f"/thing/{thing_id(SUSPENDED)}"
    reply = await api.call(
        "PUT", path, json={"LockMasterImei": True, "cas": read["cas"]}
    )
    assert reply.status == 200
    thing = await api.thing(SUSPENDED)
    assert thing["LockMasterImei"] is True
    assert thing["MasterIMEI"] == thing["IMEI"]
    assert thing["ThingTag"] == read["ThingTag"]
