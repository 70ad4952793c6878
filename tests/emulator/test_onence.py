"""The 1NCE emulator answers as 1NCE publishes, on the family's shared routes."""

from __future__ import annotations

from datetime import UTC, datetime
import json
from typing import TYPE_CHECKING, Any

import aiohttp
from aiohttp import hdrs, web
import pytest

from custom_components.iot_connectivity.api.models import Provider
from iot_emulator.core import Fault, FaultKind
from iot_emulator.examples import load_example
from iot_emulator.onence import (
    DEFAULT_PASSWORD,
    DEFAULT_USERNAME,
    TOKEN_LENGTH,
    OneNceEmulator,
    push_delivery_report,
    push_sms_mo,
)
from iot_emulator.server import EmulatorServer
from iot_emulator.tmobile import TMobileEmulator

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from aiohttp.test_utils import RawTestServer

ONLINE = "8988303000123456789"
ATTACHED = "8988303000123456790"
DISABLED = "8988303000123456791"
SIM = f"/management-api/v1/sims/{ONLINE}"
TOKEN = "/management-api/oauth/token"
BASIC = aiohttp.encode_basic_auth(DEFAULT_USERNAME, DEFAULT_PASSWORD)
PUBLISHED_SMS_MT = [
    "sms_mt_request",
    "sms_mt_request_ucs2",
    "sms_mt_request_binary",
    "sms_mt_request_concatenated_part1",
    "sms_mt_request_concatenated_part2",
    "sms_mt_request_concatenated_part3",
]

pytestmark = pytest.mark.usefixtures("socket_enabled")


def example(name: str) -> Any:
    return load_example("1nce", name)


class Api:
    """Requests to one running 1NCE emulator, with a fresh token."""

    def __init__(self, session: aiohttp.ClientSession, url: str) -> None:
        self.session = session
        self.url = url
        self.token: str | None = None

    async def raw(
        self, method: str, path: str, **kwargs: Any
    ) -> tuple[int, Any, dict[str, str]]:
        async with self.session.request(method, f"{self.url}{path}", **kwargs) as resp:
            text = await resp.text()
            body = json.loads(text) if text else None
            return resp.status, body, dict(resp.headers)

    async def login(self) -> Any:
        status, answer, _ = await self.raw(
            "POST",
            TOKEN,
            json=example("token_request"),
            headers={"Authorization": BASIC},
        )
        assert status == 200
        self.token = answer["access_token"]
        return answer

    async def call(
        self, method: str, path: str, **kwargs: Any
    ) -> tuple[int, Any, dict[str, str]]:
        if self.token is None:
            await self.login()
        headers = {"Authorization": f"Bearer {self.token}"}
        return await self.raw(method, path, headers=headers, **kwargs)


@pytest.fixture
def onence(emulator: EmulatorServer) -> OneNceEmulator:
    return emulator.onence


@pytest.fixture
def api(emulator: EmulatorServer, http_session: aiohttp.ClientSession) -> Api:
    return Api(http_session, emulator.url(Provider.ONENCE))


@pytest.fixture
async def receiver(
    aiohttp_raw_server: Callable[..., Awaitable[RawTestServer]],
) -> tuple[str, list[tuple[str, str | None, Any]]]:
    """A customer endpoint: its URL and the (method, Content-Type, JSON) it got."""
    received: list[tuple[str, str | None, Any]] = []

    async def handle(request: web.BaseRequest) -> web.Response:
        body = json.loads(await request.read())
        received.append((request.method, request.headers.get(hdrs.CONTENT_TYPE), body))
        return web.Response(status=200)

    server = await aiohttp_raw_server(handle)
    return str(server.make_url("/hook")), received


# --- the server ----------------------------------------------------------------


def test_1nce_is_the_fifth_provider() -> None:
    """``python -m iot_emulator --port 8300`` gives it port 8304."""
    server = EmulatorServer()
    assert list(server.providers) == [
        "kpn_iot_sim",
        "tmobile_easy_connect",
        "infobip_iot",
        "kpn_lora",
        "1nce",
    ]
    assert server.providers[Provider.ONENCE] is server.onence


async def test_url_by_provider(emulator: EmulatorServer) -> None:
    assert emulator.url(Provider.ONENCE) == emulator.url("1nce")
    assert emulator.url("1nce").startswith("http://127.0.0.1:")


# --- token -----------------------------------------------------------------


async def test_token_answer_is_the_changelogs(api: Api, onence: OneNceEmulator) -> None:
    answer = await api.login()
    assert answer.keys() == example("token_response_changelog_2021").keys()
    assert (answer["status_code"], answer["token_type"]) == (200, "bearer")
    assert (answer["expires_in"], answer["userId"], answer["scope"]) == (
        3600,
        "user",
        "all",
    )
    assert answer["access_token"].startswith("eyJ")
    assert len(answer["access_token"]) == TOKEN_LENGTH
    assert "orgId" not in answer
    assert (await api.call("GET", SIM))[0] == 200


@pytest.mark.parametrize(
    ("headers", "body", "refusal"),
    [
        (
            {"Authorization": aiohttp.encode_basic_auth(DEFAULT_USERNAME, "wrong")},
            {"json": {"grant_type": "client_credentials"}},
            "token_error_bad_credentials",
        ),
        (
            {"Authorization": aiohttp.encode_basic_auth("99999999_nobody", "x")},
            {"json": {"grant_type": "client_credentials"}},
            "token_error_bad_credentials",
        ),
        (
            {},
            {"json": {"grant_type": "client_credentials"}},
            "token_error_auth_validation_username",
        ),
        (
            {"Authorization": aiohttp.encode_basic_auth("", "x")},
            {"json": {"grant_type": "client_credentials"}},
            "token_error_auth_validation_username",
        ),
        (
            {"Authorization": aiohttp.encode_basic_auth(DEFAULT_USERNAME, "")},
            {"json": {"grant_type": "client_credentials"}},
            "token_error_auth_validation_password",
        ),
        (
            {"Authorization": BASIC},
            {"data": {"grant_type": "client_credentials"}},
            "token_error_unsupported_content_type",
        ),
        (
            {"Authorization": BASIC},
            {"json": {}},
            "token_error_body_validation_grant_type",
        ),
        (
            {"Authorization": BASIC},
            {"data": b"{", "headers": {"Content-Type": "application/json"}},
            "token_error_body_validation_grant_type",
        ),
    ],
)
async def test_token_refusals_are_the_published_400s(
    api: Api, headers: dict[str, str], body: dict[str, Any], refusal: str
) -> None:
    options = dict(body)
    options["headers"] = {**headers, **options.get("headers", {})}
    status, answer, _ = await api.raw("POST", TOKEN, **options)
    assert (status, answer) == (400, example(refusal))


async def test_the_refusal_of_credentials_can_be_the_older_one(
    api: Api, onence: OneNceEmulator
) -> None:
    onence.credentials_refusal = example("token_error_cognito_not_existing_user")
    status, answer, _ = await api.raw(
        "POST",
        TOKEN,
        json=example("token_request"),
        headers={"Authorization": aiohttp.encode_basic_auth("nobody", "x")},
    )
    assert (status, answer) == (400, example("token_error_cognito_not_existing_user"))


@pytest.mark.parametrize(
    "token", ["00000000-0000-0000-0000-000000000000", "eyJnope", "eyJ.x", "Basic x"]
)
async def test_unknown_tokens_are_refused(api: Api, token: str) -> None:
    status, _, _ = await api.raw(
        "GET", SIM, headers={"Authorization": f"Bearer {token}"}
    )
    assert status == 401


async def test_expired_tokens_are_refused(api: Api, onence: OneNceEmulator) -> None:
    assert (await api.call("GET", SIM))[0] == 200
    onence.tokens.expire_all()
    assert (await api.call("GET", SIM))[0] == 401


# --- SIMs, quota, session -----------------------------------------------------


async def test_demo_sims(api: Api) -> None:
    status, sims, headers = await api.call(
        "GET", "/management-api/v1/sims", params={"pageSize": 100}
    )
    assert status == 200
    assert [(s["iccid"], s["status"], s["label"]) for s in sims] == [
        (ONLINE, "Enabled", "DX-137-B12"),
        (ATTACHED, "Enabled", "Gate sensor"),
        (DISABLED, "Disabled", "Spare tracker"),
    ]
    assert headers["X-Total-Count"] == "3"
    assert sims[0]["quota_status"] == {
        "id": 0,
        "description": "More than 20% available",
    }
    assert sims[0]["quota_status_SMS"] == {
        "id": 1,
        "description": "Less than 20% available",
    }


async def test_quota_answers_have_no_quota_status(api: Api) -> None:
    _, data, _ = await api.call("GET", f"{SIM}/quota/data")
    assert data == example("third_party/tartabit_quota_data")
    _, sms, _ = await api.call("GET", f"{SIM}/quota/sms")
    assert "quota_status" not in sms
    assert sms["expiry_date"] == "2033-02-02 00:00:00"


async def test_status_reports_the_session(api: Api, onence: OneNceEmulator) -> None:
    _, online, _ = await api.call("GET", f"{SIM}/status")
    assert online["status"] == "ONLINE"
    assert online["pdp_context"]["rat_type"] == {
        "rat_type_id": "6",
        "description": "4G",
    }
    assert online["location"]["operator"]["name"] == "T-Mobile"
    assert online["location"]["country"]["name"] == "Germany"
    assert datetime.strptime(
        online["location"]["last_updated"], "%Y-%m-%d %H:%M:%S"
    ).replace(tzinfo=UTC) <= datetime.now(UTC)
    attached_path = f"/management-api/v1/sims/{ATTACHED}/status"
    _, attached, _ = await api.call("GET", attached_path)
    assert attached["status"] == "ATTACHED"
    assert "pdp_context" not in attached
    _, disabled, _ = await api.call("GET", f"/management-api/v1/sims/{DISABLED}/status")
    assert disabled["status"] == "OFFLINE"

    assert (await api.call("POST", f"{SIM}/reset"))[0] == 201
    _, reset, _ = await api.call("GET", f"{SIM}/status")
    assert (reset["status"], "pdp_context" in reset) == ("OFFLINE", False)
    onence.tick(1)
    assert (await api.call("GET", f"{SIM}/status"))[1]["status"] == "ONLINE"


async def test_connectivity_info_says_nothing_on_lte(api: Api) -> None:
    _, info, _ = await api.call("GET", f"{SIM}/connectivity_info")
    assert info["subscriber_info"] == {
        "success": True,
        "state": "not_provided_from_vlr",
    }


def test_only_1nce_serves_the_sim_status() -> None:
    def names(app: web.Application) -> set[str | None]:
        return {resource.name for resource in app.router.resources()}

    assert "status" in names(OneNceEmulator().make_app())
    assert "status" not in names(TMobileEmulator().make_app())


def test_generated_sims() -> None:
    emulator = OneNceEmulator(generated=40, seed=2)
    generated = list(emulator.sims.values())[3:]
    assert len(generated) == 40
    assert all(sim.iccid.startswith("8988303000100") for sim in generated)
    assert {sim.connectivity["status"] for sim in generated if sim.connectivity} == {
        "ONLINE",
        "OFFLINE",
    }
    quota = generated[0].quota_data
    assert datetime.strptime(quota["expiry_date"], "%Y-%m-%d %H:%M:%S").replace(
        tzinfo=UTC
    )
    again = OneNceEmulator(generated=40, seed=2)
    assert [s.record for s in again.sims.values()] == [
        s.record for s in emulator.sims.values()
    ]


# --- SMS -----------------------------------------------------------------------


@pytest.mark.parametrize("name", PUBLISHED_SMS_MT)
async def test_published_sms_mt_requests_are_taken(
    api: Api, onence: OneNceEmulator, name: str
) -> None:
    status, body, headers = await api.call("POST", f"{SIM}/sms", json=example(name))
    assert (status, body) == (201, None)
    sms_id = int(headers["Location"].rsplit("/", 1)[1])
    _, record, _ = await api.call("GET", f"{SIM}/sms/{sms_id}")
    assert record["payload"] == example(name)["payload"]
    assert record["status"] == {"id": 3, "description": "BUFFERED"}
    # The published record omits ``dcs``, which the OpenAPI file's SMS-Data has.
    assert record.keys() <= example("sms_mt").keys() | {"dcs"}


@pytest.mark.parametrize(
    "body",
    [
        {"payload": "x" * 161},
        {"payload": "x" * 154, "udh": "050003CC0201"},
        {"payload": "☀" * 71, "dcs": 8},
        {"payload": "not hex", "dcs": 4},
        {"payload": "00" * 141, "dcs": 4},
    ],
)
async def test_one_request_is_one_sms_part(api: Api, body: dict[str, Any]) -> None:
    assert (await api.call("POST", f"{SIM}/sms", json=body))[0] == 400


async def test_delivered_sms_has_the_documented_status(
    api: Api, onence: OneNceEmulator
) -> None:
    _, _, headers = await api.call("POST", f"{SIM}/sms", json={"payload": "x"})
    sms_id = int(headers["Location"].rsplit("/", 1)[1])
    onence.deliver_sms(sms_id)
    _, record, _ = await api.call("GET", f"{SIM}/sms/{sms_id}")
    assert record["status"] == example("sms_mt")["status"]


# --- top-up --------------------------------------------------------------------


async def test_top_up_adds_500_mb_and_250_sms(api: Api, onence: OneNceEmulator) -> None:
    status, _, headers = await api.call("POST", f"{SIM}/topup")
    assert status == 201
    assert headers["Location"].endswith("/management-api/v1/orders/1234")
    sim = onence.sims[ONLINE]
    assert (sim.quota_data["total_volume"], sim.quota_sms["total_volume"]) == (
        1000,
        500,
    )
    assert sim.quota_sms["volume"] == 38 + 250
    assert sim.events[-1]["event_type"] == "Top up of 500 MB and 250 SMS ordered"
    assert sim.quota_data["last_status_change_date"].count(":") == 2


async def test_top_up_refuses_an_unknown_payment_method(api: Api) -> None:
    status, body, _ = await api.call(
        "POST", f"{SIM}/topup", params={"payment_method": "cash"}
    )
    assert (status, body) == (400, example("topup_error_invalid_payment_method"))


# --- pushes --------------------------------------------------------------------


async def test_push_sms_mo_sends_the_published_payload(
    http_session: aiohttp.ClientSession,
    receiver: tuple[str, list[tuple[str, str | None, Any]]],
) -> None:
    url, received = receiver
    [result] = await push_sms_mo(
        http_session,
        url,
        iccid="<iccid>",
        text="message text",
        sms_id=6202,
        endpoint_id=8765412,
        source_address="<msisdn>",
        submitted_at=datetime(2018, 8, 17, 16, 31, 51, tzinfo=UTC),
    )
    assert result.payload == example("sms_mo")
    assert received == [("POST", "application/json", example("sms_mo"))]


async def test_push_delivery_report_sends_the_published_payload(
    http_session: aiohttp.ClientSession,
    receiver: tuple[str, list[tuple[str, str | None, Any]]],
) -> None:
    url, received = receiver
    result = await push_delivery_report(
        http_session,
        url,
        sms_id=2819195,
        iccid="<iccid>",
        submitted_at=datetime(2020, 6, 9, 15, 6, 34, tzinfo=UTC),
        final_at=datetime(2020, 6, 9, 15, 6, 38, tzinfo=UTC),
    )
    assert result.payload == example("delivery_report")
    assert received == [("PATCH", None, example("delivery_report"))]


async def test_control_pushes_carry_numbers(
    api: Api, receiver: tuple[str, list[tuple[str, str | None, Any]]]
) -> None:
    url, received = receiver
    _, _, headers = await api.call("POST", f"{SIM}/sms", json={"payload": "hi"})
    sms_id = headers["Location"].rsplit("/", 1)[1]
    for path, body in (
        ("/_emulator/push/sms-mo", {"url": url, "iccid": ONLINE, "text": "hello"}),
        ("/_emulator/push/delivery-report", {"url": url, "sms_id": sms_id}),
    ):
        assert (await api.raw("POST", path, json=body))[0] == 200
    (_, _, sms), (_, _, report) = received
    assert sms["endpoint"] == {"id": 8765489, "name": ONLINE}
    assert (sms["id"], sms["dcs"], sms["pid"], sms["organisation"]) == (
        sms["multi_part_info"]["identifier"],
        0,
        0,
        {"id": 4567},
    )
    assert report["status"] == {"status": "DELIVERED", "id": 4}
    assert report["id"] == int(sms_id)


# --- faults --------------------------------------------------------------------


async def test_faults_on_the_status_route(api: Api, onence: OneNceEmulator) -> None:
    onence.faults.add(Fault(FaultKind.STATUS, endpoint="status", status=503, times=1))
    assert (await api.call("GET", f"{SIM}/status"))[0] == 503
    assert (await api.call("GET", f"{SIM}/status"))[0] == 200
    assert [r.endpoint for r in onence.requests_to("status")] == ["status", "status"]
