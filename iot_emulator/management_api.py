"""The management API that T-Mobile IoT Easy Connect and 1NCE share, and its SMS pushes.

One emulator for the family: the same paths, records, paging, SMS and top-up.
A :class:`Flavour` says what an operator does its own way, and each operator's
module (:mod:`.tmobile`, :mod:`.onence`) adds its token request, its tokens
and its seeded SIMs. Inferred for the whole family, not documented:

- a top-up takes no volume: ``POST /v1/sims/{iccid}/topup`` has no body and adds the
  contract's fixed package, ``POST /v1/sims/topup`` takes a JSON array of ICCIDs;
  both answer 201 with the order's ``Location`` and add the package at once;
- ``subscriber_info.state`` is ``ATTACHED`` for enabled SIMs and ``OFFLINE`` for
  disabled or freshly reset ones; the location names its operator and country
  (T-Mobile; 1NCE answers ``not_provided_from_vlr`` and reports the session at
  ``/status``);
- SMS status ids the documents do not show are the emulator's own.
"""

from __future__ import annotations

import abc
import base64
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
import itertools
import json
import math
import random
import re
from typing import Any, ClassVar

import aiohttp
from aiohttp import hdrs, web

from .core import CONTROL_PREFIX, Handler, ProviderEmulator, json_response

BASE_PATH = "/management-api"
SIMS_PATH = f"{BASE_PATH}/v1/sims"
TOKEN_PATH = f"{BASE_PATH}/oauth/token"

MAX_SIM_PAGE_SIZE = 100
MAX_SMS_PAGE_SIZE = 100
MAX_EVENT_PAGE_SIZE = 1000
DEFAULT_PAGE_SIZE = 10

TOP_UP_VOLUME_MB = 500
"""The data package a top-up adds (both operators)."""
LOW_QUOTA_SHARE = 0.2
"""Below this share of the total a quota's status is "less than 20 %"."""
SINGLE_SMS_LENGTH = 160
CONCATENATED_PART_LENGTH = 153
SINGLE_PART_LIMITS = {0: (160, 153), 4: (140, 134), 8: (70, 67)}
"""Per data coding scheme, what one part holds without and with a UDH: GSM-7
characters, bytes (as hex), UCS-2 characters."""
DCS_BINARY = 4

ENABLED, DISABLED = "Enabled", "Disabled"
ATTACHED, OFFLINE, ONLINE = "ATTACHED", "OFFLINE", "ONLINE"
BUFFERED, DELIVERED = "BUFFERED", "DELIVERED"
DATA_CODING_SCHEMES = frozenset({0, DCS_BINARY, 8})
PAYMENT_METHODS = frozenset({"banktransfer", "creditcard", "monthlyinvoice", "boleto"})

_QUOTA_STATUS_TEXT = (
    "More than 20% available",
    "Less than 20% available",
    "Quota exhausted",
)
_DATA_TRAFFIC = {"id": 1, "description": "Data", "unit": "MB"}
_SMS_TRAFFIC = {"id": 2, "description": "SMS", "unit": "SMS"}
_HEX = re.compile(r"^(?:[0-9A-Fa-f]{2})+$")
_PUSH_IDS = itertools.count(10_000)

type SimHandler = Callable[[web.Request, SimState], Awaitable[web.StreamResponse]]


_ERRORS: dict[int, type[web.HTTPException]] = {
    400: web.HTTPBadRequest,
    401: web.HTTPUnauthorized,
    404: web.HTTPNotFound,
    502: web.HTTPBadGateway,
}


def refusal(status: int, message: str) -> web.HTTPException:
    """Build an error answer with a JSON ``message``, to raise from a handler."""
    return refusal_with(status, {"message": message})


def refusal_with(status: int, body: Any) -> web.HTTPException:
    """Build an error answer with the JSON ``body``, to raise from a handler."""
    return _ERRORS[status](text=json.dumps(body), content_type="application/json")


def api_time(moment: datetime) -> str:
    """Format a record time as the API does: ``2018-10-01T11:59:44.000Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def push_time(moment: datetime) -> str:
    """Format a push time as the guides do: ``2018-08-17 16:31:51`` (GMT+0)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def event_time(moment: datetime) -> str:
    """Format an event or SIM time: ``2018-05-07T14:08:05.000+0000``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000")


def split_sms(text: str) -> list[str]:
    """Split ``text`` into the parts the gateway forwards (one if it fits an SMS)."""
    if len(text) <= SINGLE_SMS_LENGTH:
        return [text]
    step = CONCATENATED_PART_LENGTH
    return [text[start : start + step] for start in range(0, len(text), step)]


def basic_credentials(header: str) -> tuple[str, str] | None:
    """Read username and password from a ``Basic`` header; None without them."""
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode()
    except ValueError:
        return None
    username, colon, password = decoded.partition(":")
    return (username, password) if colon else None


@dataclass(frozen=True, slots=True)
class PushResult:
    """One pushed request and the status the receiver answered."""

    payload: dict[str, Any]
    status: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Flavour:
    """What one operator's management API does its own way."""

    organisation_id: int
    """The account's organisation: in delivery reports and the emulator's pushes."""
    push_organisation_id: int
    """The ``organisation.id`` of the guide's SMS MO, for a direct push."""
    push_endpoint_id: int
    """The guide's ``endpoint.id`` of a SIM in its pushes."""
    numeric_pushes: bool
    """Pushes carry numbers (1NCE), not strings (T-Mobile)."""
    sms_status_ids: Mapping[str, int]
    quota_status_in_quota: bool
    """Quota answers carry a ``quota_status`` (T-Mobile, inferred; 1NCE's do not)."""
    quota_time: Callable[[datetime], str]
    """How quota answers write their dates."""
    single_part_sms: bool
    """One request is one SMS part, binary payloads hex (1NCE); else the gateway
    concatenates (T-Mobile)."""
    serves_status: bool
    """``GET /v1/sims/{iccid}/status`` reports the session (1NCE)."""
    top_up_sms: int
    """The SMS a top-up adds besides :data:`TOP_UP_VOLUME_MB`."""
    iccid_prefix: str
    """The first 13 digits of a generated SIM's ICCID."""
    network: Mapping[str, Any]
    """The network generated SIMs attach to: ``operator`` and ``country``."""

    def value(self, value: int | str) -> int | str:
        """A pushed value as the operator writes it: a number or a string."""
        return int(value) if self.numeric_pushes else str(value)

    async def push_sms_mo(
        self,
        session: aiohttp.ClientSession,
        url: str,
        *,
        iccid: str,
        text: str,
        sms_id: int | None = None,
        endpoint_id: int | str | None = None,
        source_address: str | None = None,
        dest_address: str = "12345",
        organisation_id: int | str | None = None,
        dcs: int | str = 0,
        submitted_at: datetime | None = None,
    ) -> list[PushResult]:
        """POST an SMS MO as the gateway forwards it, one request per part.

        Parts get consecutive ids from ``sms_id``; ``multi_part_info.identifier``
        is the first part's id, as in the guides' single-part examples.
        """
        parts = split_sms(text)
        first_id = next(_PUSH_IDS) if sms_id is None else sms_id
        submit_date = push_time(submitted_at or datetime.now(UTC))
        endpoint = self.value(
            self.push_endpoint_id if endpoint_id is None else endpoint_id
        )
        organisation = self.value(
            self.push_organisation_id if organisation_id is None else organisation_id
        )
        results = []
        for number, part in enumerate(parts, start=1):
            payload: dict[str, Any] = {
                "multi_part_info": {
                    "partno": number,
                    "total": len(parts),
                    "identifier": self.value(first_id),
                },
                "payload": part,
                "submit_date": submit_date,
                "dest_address": dest_address,
                "organisation": {"id": organisation},
                "pid": self.value(0),
                "id": self.value(first_id + number - 1),
                "endpoint": {"id": endpoint, "name": iccid},
                "dcs": self.value(dcs),
            }
            if source_address is not None:
                payload["source_address"] = source_address
            results.append(await _push(session, "POST", url, payload))
        return results

    async def push_delivery_report(
        self,
        session: aiohttp.ClientSession,
        url: str,
        *,
        sms_id: int | str,
        iccid: str,
        status: str = DELIVERED,
        endpoint_id: int | str | None = None,
        organisation_id: int | str | None = None,
        submitted_at: datetime | None = None,
        final_at: datetime | None = None,
    ) -> PushResult:
        """PATCH the delivery report of an SMS MT as the gateway sends it.

        The guides show ``Content-Type: application/json`` for the SMS MO but no
        Content-Type for the delivery report, so none is sent.
        """
        now = datetime.now(UTC)
        endpoint = self.push_endpoint_id if endpoint_id is None else endpoint_id
        organisation = (
            self.organisation_id if organisation_id is None else organisation_id
        )
        payload = {
            "status": {
                "status": status,
                "id": self.value(self.sms_status_ids.get(status, 0)),
            },
            "endpoint": {"id": self.value(endpoint), "name": iccid},
            "submit_date": push_time(submitted_at or now),
            "organisation": {"id": self.value(organisation)},
            "final_date": push_time(final_at or now),
            "id": self.value(sms_id),
        }
        return await _push(session, "PATCH", url, payload, labelled=False)


async def _push(
    session: aiohttp.ClientSession,
    method: str,
    url: str,
    payload: dict[str, Any],
    *,
    labelled: bool = True,
) -> PushResult:
    """Send ``payload`` as JSON; unless ``labelled``, with no Content-Type at all."""
    options: dict[str, Any] = (
        {"json": payload}
        if labelled
        # aiohttp labels any body it sends unless told to skip the header.
        else {
            "data": json.dumps(payload).encode(),
            "skip_auto_headers": [hdrs.CONTENT_TYPE],
        }
    )
    async with session.request(method, url, **options) as response:
        await response.read()
        return PushResult(payload, response.status)


@dataclass(slots=True)
class DailyUsage:
    """What a SIM used on one day."""

    data_rx_mb: float = 0.0
    data_tx_mb: float = 0.0
    sms_mo: int = 0
    sms_mt: int = 0

    def render(self, day: date) -> dict[str, Any]:
        """Render the API's ``stats[]`` entry; volumes are strings, data in MB."""
        return {
            "date": f"{day.isoformat()}T00:00:00.000Z",
            "data": {
                "volume": f"{self.data_rx_mb + self.data_tx_mb:.6f}",
                "volume_rx": f"{self.data_rx_mb:.6f}",
                "volume_tx": f"{self.data_tx_mb:.6f}",
                "traffic_type": dict(_DATA_TRAFFIC),
            },
            "sms": {
                "volume": str(self.sms_mo + self.sms_mt),
                "volume_rx": str(self.sms_mo),
                "volume_tx": str(self.sms_mt),
                "traffic_type": dict(_SMS_TRAFFIC),
            },
        }


@dataclass(slots=True)
class SimState:
    """One SIM: its API record and everything served under its path."""

    record: dict[str, Any]
    endpoint_id: str
    quota_data: dict[str, Any]
    quota_sms: dict[str, Any]
    subscriber_info: dict[str, Any]
    location: dict[str, Any]
    """Where the SIM attaches; served in ``subscriber_info`` while it is attached."""
    events: list[dict[str, Any]]
    data_rate_mb_per_hour: float
    usage: dict[date, DailyUsage] = field(default_factory=dict)
    sms: dict[int, dict[str, Any]] = field(default_factory=dict)
    connectivity: dict[str, Any] | None = None
    """The ``/status`` answer, where the operator serves one: the SIM's session
    (``subscriber_info`` then stays as it is)."""
    pdp_context: dict[str, Any] | None = None
    """The data session ``connectivity`` shows while the SIM is attached."""

    @property
    def iccid(self) -> str:
        """The SIM's ICCID."""
        return str(self.record["iccid"])

    @property
    def enabled(self) -> bool:
        """Whether the SIM may use the network."""
        return bool(self.record["status"] == ENABLED)

    def today(self) -> DailyUsage:
        """Today's usage record, created on first use."""
        return self.usage.setdefault(datetime.now(UTC).date(), DailyUsage())

    def add_history(self, rng: random.Random) -> None:
        """Use on each day from the first of the previous month to yesterday.

        Days that have a record keep it.
        """
        today = datetime.now(UTC).date()
        day = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
        while day < today:
            megabytes = self.data_rate_mb_per_hour * 24 * rng.uniform(0.2, 1.2)
            self.usage.setdefault(
                day,
                DailyUsage(
                    data_rx_mb=round(megabytes * 0.6, 6),
                    data_tx_mb=round(megabytes * 0.4, 6),
                    sms_mo=rng.randint(0, 3),
                    sms_mt=rng.randint(0, 2),
                ),
            )
            day += timedelta(days=1)

    @property
    def attached(self) -> bool:
        """Whether the SIM is attached to the network now."""
        if self.connectivity is not None:
            return self.connectivity.get("status") != OFFLINE
        return self.subscriber_info.get("state") == ATTACHED

    def add_event(self, event_type: str, *, alert: bool = False) -> None:
        """Log a network or management event."""
        self.events.append(
            {
                "timestamp": event_time(datetime.now(UTC)),
                "event_type": event_type,
                "iccid": self.iccid,
                "imsi": self.record.get("imsi"),
                "alert": alert,
                "event_severity": "Warning" if alert else "Info",
            }
        )

    def set_attached(self, *, attached: bool) -> None:
        """Attach to (with location) or drop off the network."""
        if self.connectivity is not None:
            self._set_connectivity(attached=attached)
            return
        self.subscriber_info["state"] = ATTACHED if attached else OFFLINE
        if attached:
            self.subscriber_info["location"] = self.location
        else:
            self.subscriber_info.pop("location", None)

    def _set_connectivity(self, *, attached: bool) -> None:
        """``ONLINE`` with a data session, ``ATTACHED`` without, else ``OFFLINE``."""
        answer = self.connectivity or {}
        answer.pop("pdp_context", None)
        if not attached:
            answer["status"] = OFFLINE
            return
        answer["status"] = ATTACHED if self.pdp_context is None else ONLINE
        if self.pdp_context is not None:
            answer["pdp_context"] = self.pdp_context
        location = answer.setdefault("location", {})
        location["last_updated"] = location["last_updated_gprs"] = push_time(
            datetime.now(UTC)
        )

    def refresh_quota_status(self) -> None:
        """Recompute both quota statuses and mirror them into the SIM record."""
        for quota, total_key, status_key in (
            (self.quota_data, "current_quota", "quota_status"),
            (self.quota_sms, "current_quota_SMS", "quota_status_SMS"),
        ):
            quota["quota_status"] = _quota_status(
                quota["volume"], quota["total_volume"]
            )
            self.record[total_key] = quota["total_volume"]
            self.record[status_key] = dict(quota["quota_status"])

    def use_data(self, megabytes: float) -> None:
        """Spend data from the quota (never below zero) and count it as usage."""
        used = min(megabytes, self.quota_data["volume"])
        if used <= 0:
            return
        self.quota_data["volume"] = round(self.quota_data["volume"] - used, 6)
        today = self.today()
        today.data_rx_mb += used * 0.6
        today.data_tx_mb += used * 0.4
        self.refresh_quota_status()


@dataclass(frozen=True, slots=True)
class TopUpOrder:
    """A top-up order the API accepted."""

    order_number: int
    iccids: tuple[str, ...]
    payment_method: str


def _quota_status(volume: float, total: float) -> dict[str, Any]:
    level = 2 if volume <= 0 else 1 if volume < LOW_QUOTA_SHARE * total else 0
    return {"id": level, "description": _QUOTA_STATUS_TEXT[level]}


def _query_int(
    request: web.Request, key: str, default: int, maximum: int | None = None
) -> int:
    try:
        value = int(request.query.get(key, default))
    except ValueError:
        raise refusal(400, f"{key} must be an integer") from None
    if value < 1 or (maximum is not None and value > maximum):
        raise refusal(400, f"{key} must be between 1 and {maximum or 'infinity'}")
    return value


def _query_flag(request: web.Request, key: str, *, default: bool) -> bool:
    value = request.query.get(key)
    if value is None:
        return default
    if value.lower() not in ("true", "false"):
        raise refusal(400, f"{key} must be true or false")
    return value.lower() == "true"


def _query_date(request: web.Request, key: str) -> date:
    try:
        return date.fromisoformat(request.query[key])
    except KeyError, ValueError:
        raise refusal(400, f"{key} must be a date YYYY-MM-DD") from None


def _paginate[T](
    request: web.Request, items: list[T], max_size: int
) -> tuple[list[T], dict[str, str], int]:
    """Return the requested page, the paging headers and the page count."""
    page = _query_int(request, "page", 1)
    size = _query_int(request, "pageSize", DEFAULT_PAGE_SIZE, max_size)
    pages = math.ceil(len(items) / size)
    headers = {
        "X-Total-Count": str(len(items)),
        "X-Total-Pages": str(pages),
        "X-Current-Page": str(page),
        "X-Count-Per-Page": str(size),
    }
    start = (page - 1) * size
    return items[start : start + size], headers, pages


async def _json_body(request: web.Request) -> Any:
    """The request's JSON body, or a 400 answer."""
    try:
        return await request.json()
    except ValueError:
        raise refusal(400, "The body is not valid JSON") from None


def _payment_method(request: web.Request) -> str:
    method = request.query.get("payment_method", "banktransfer")
    if method not in PAYMENT_METHODS:
        raise refusal(400, "Payment method used is not valid.")
    return method


def _check_single_part(payload: str, dcs: int, udh: str | None) -> None:
    """Refuse a payload one SMS part cannot carry (binary payloads are hex)."""
    if dcs == DCS_BINARY and not _HEX.match(payload):
        raise refusal(400, "payload must be a hex string for dcs 4")
    single, with_udh = SINGLE_PART_LIMITS[dcs]
    limit = with_udh if udh else single
    length = len(payload) // 2 if dcs == DCS_BINARY else len(payload)
    if length > limit:
        raise refusal(400, f"payload exceeds one SMS part ({limit})")


class ManagementApiEmulator(ProviderEmulator, abc.ABC):
    """One operator's management API with OAuth2 client-credentials tokens.

    ``credentials`` maps usernames to passwords (change one to revoke it);
    ``sims`` holds each SIM's state by ICCID; ``top_ups`` records top-up orders.
    """

    flavour: ClassVar[Flavour]
    default_credentials: ClassVar[tuple[str, str]]
    """The demo account's username and password."""

    def __init__(self, *, generated: int = 0, seed: int = 0) -> None:
        """Seed the operator's demo SIMs, then ``generated`` random ones."""
        super().__init__()
        username, password = self.default_credentials
        self.credentials: dict[str, str] = {username: password}
        self.sims: dict[str, SimState] = {}
        self.top_ups: list[TopUpOrder] = []
        self._next_sms_id = 6300
        self._order_numbers = itertools.count(1234)
        self._seed()
        self.generate(generated, seed=seed)

    @abc.abstractmethod
    def _seed(self) -> None:
        """Add the operator's demo SIMs."""

    @abc.abstractmethod
    async def _token(self, request: web.Request) -> web.Response:
        """Answer a token request the operator's way."""

    @abc.abstractmethod
    def _token_key(self, presented: str) -> str | None:
        """The token store's key of a bearer token as the operator writes it."""

    def generate(self, count: int, *, seed: int = 0) -> None:
        """Add ``count`` deterministic SIMs after those already present."""
        rng = random.Random(seed)
        offset = len(self.sims)
        for index in range(offset, offset + count):
            self._add_generated(index, rng)

    def _add_generated(self, index: int, rng: random.Random) -> None:
        flavour = self.flavour
        iccid = f"{flavour.iccid_prefix}{index:06d}"
        imsi = f"90140510{index:07d}"
        status = ENABLED if rng.random() < 0.85 else DISABLED  # noqa: PLR2004
        activated = datetime(2024, 1, 1, 8, tzinfo=UTC) + timedelta(
            days=rng.randrange(500), seconds=rng.randrange(86400)
        )
        # The order of the draws keeps each seed's SIMs as they were.
        record: dict[str, Any] = {
            "iccid": iccid,
            "imsi": imsi,
            "current_imsi": imsi,
            "msisdn": f"88228510{index:07d}",
            "imei": f"35{rng.randrange(10**13):013d}",
            "imei_lock": rng.random() < 0.2,  # noqa: PLR2004
            "status": status,
            "activation_date": event_time(activated),
            "ip_address": f"10.{rng.randrange(256)}.{index // 250}.{index % 250 + 2}",
            "label": f"Sensor {index:04d}",
        }
        expiry = flavour.quota_time(activated + timedelta(days=3650))
        changed = flavour.quota_time(activated)
        sim = SimState(
            record=record,
            endpoint_id=str(9_000_000 + index),
            quota_data={
                "volume": round(rng.uniform(0, 500), 6),
                "total_volume": 500,
                "expiry_date": expiry,
                "peak_throughput": 1_000_000,
                "last_volume_added": 500,
                "last_status_change_date": changed,
                "threshold_percentage": 20,
            },
            quota_sms={
                "volume": rng.randint(0, 250),
                "total_volume": 250,
                "expiry_date": expiry,
                "last_volume_added": 250,
                "last_status_change_date": changed,
                "threshold_percentage": 20,
            },
            subscriber_info={"success": True},
            location={
                "current_location_retrieved": True,
                "age_of_location": rng.randint(0, 30),
                "cell_global_id": {
                    "cid": rng.randrange(1, 65535),
                    "lac": rng.randrange(1, 65535),
                    "mcc": "204",
                    "mnc": "16",
                },
                **flavour.network,
            },
            events=[],
            data_rate_mb_per_hour=rng.uniform(0.1, 20.0),
        )
        if flavour.serves_status:
            sim.subscriber_info["state"] = "not_provided_from_vlr"
            sim.connectivity = {
                "location": {"iccid": iccid, "imsi": imsi, **flavour.network}
            }
            sim.pdp_context = {
                "imsi": imsi,
                "ue_ip_address": record["ip_address"],
                "mcc": "204",
                "mnc": "16",
                "rat_type": {"rat_type_id": "6", "description": "4G"},
            }
        sim.add_event("Status of SIM changed from 'Issued' to 'Activated'")
        sim.set_attached(attached=sim.enabled)
        sim.refresh_quota_status()
        if sim.enabled:
            today = sim.today()
            today.data_rx_mb = round(rng.uniform(0, 5), 6)
            today.data_tx_mb = round(rng.uniform(0, 2), 6)
            today.sms_mo = rng.randint(0, 5)
            sim.add_history(random.Random(index))
        self.sims[iccid] = sim

    def add_routes(self, app: web.Application) -> None:
        """Serve the SIM requests, the token and the push triggers."""
        app.router.add_post(TOKEN_PATH, self._token, name="token")
        account_routes: list[tuple[str, str, Handler, str]] = [
            ("GET", "", self._list_sims, "list_sims"),
            ("POST", "", self._update_sims, "update_sims"),
            ("POST", "/topup", self._top_up_bulk, "top_up_bulk"),
        ]
        for method, suffix, handler, name in account_routes:
            app.router.add_route(
                method, SIMS_PATH + suffix, self._authenticated(handler), name=name
            )
        sim_routes: list[tuple[str, str, SimHandler, str]] = [
            ("GET", "", self._get_sim, "get_sim"),
            ("PUT", "", self._update_sim, "update_sim"),
            ("GET", "/connectivity_info", self._connectivity, "connectivity_info"),
            ("GET", "/events", self._events, "events"),
            ("GET", "/quota/data", self._quota_data, "quota_data"),
            ("GET", "/quota/sms", self._quota_sms, "quota_sms"),
            ("GET", "/usage", self._usage, "usage"),
            ("POST", "/reset", self._reset, "reset"),
            ("GET", "/sms", self._list_sms, "list_sms"),
            ("POST", "/sms", self._send_sms, "send_sms"),
            ("GET", "/sms/{id}", self._get_sms, "get_sms"),
            ("DELETE", "/sms/{id}", self._cancel_sms, "cancel_sms"),
            ("POST", "/topup", self._top_up, "top_up"),
        ]
        if self.flavour.serves_status:
            sim_routes.append(("GET", "/status", self._status, "status"))
        for method, suffix, sim_handler, name in sim_routes:
            path = f"{SIMS_PATH}/{{iccid}}{suffix}"
            app.router.add_route(method, path, self._for_sim(sim_handler), name=name)
        app.router.add_post(f"{CONTROL_PREFIX}/push/sms-mo", self._control_push_sms_mo)
        app.router.add_post(
            f"{CONTROL_PREFIX}/usage-history", self._control_usage_history
        )
        app.router.add_post(
            f"{CONTROL_PREFIX}/push/delivery-report", self._control_push_delivery_report
        )

    def control_state(self) -> Any:
        """Every SIM with its quotas, session and SMS, and the top-up orders."""
        return {
            "sims": {
                iccid: {
                    "sim": sim.record,
                    "quota_data": sim.quota_data,
                    "quota_sms": sim.quota_sms,
                    "subscriber_info": sim.subscriber_info,
                    **(
                        {"status": sim.connectivity}
                        if sim.connectivity is not None
                        else {}
                    ),
                    "sms": list(sim.sms.values()),
                }
                for iccid, sim in self.sims.items()
            },
            "top_ups": [
                {"order_number": o.order_number, "iccids": list(o.iccids)}
                for o in self.top_ups
            ],
        }

    def tick(self, seconds: float) -> None:
        """Re-attach enabled SIMs after a reset; they use data at their own rate."""
        for sim in self.sims.values():
            if not sim.enabled:
                continue
            if not sim.attached:
                sim.add_event("Create PDP Context")
            sim.set_attached(attached=True)
            sim.use_data(sim.data_rate_mb_per_hour * seconds / 3600)

    def move_sim(self, iccid: str, imei: str) -> bool:
        """The SIM now reports the IMEI of the device it was put in."""
        if (sim := self.sims.get(iccid)) is None:
            return False
        sim.record["imei"] = imei
        return True

    def deliver_sms(
        self, sms_id: int, status: str = DELIVERED
    ) -> tuple[SimState, dict[str, Any]]:
        """Mark a sent SMS MT final; return its SIM and record (KeyError if none)."""
        for sim in self.sims.values():
            record = sim.sms.get(sms_id)
            if record is not None and record["sms_type"]["description"] == "MT":
                now = api_time(datetime.now(UTC))
                record["status"] = {
                    "id": self.flavour.sms_status_ids.get(status, 0),
                    "description": status,
                }
                record["final_date"] = now
                if status == DELIVERED:
                    record["delivery_date"] = now
                return sim, record
        raise KeyError(sms_id)

    def subject(self, request: web.Request) -> str | None:
        """Return the username of a valid bearer token."""
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer":
            return None
        key = self._token_key(token.strip())
        return None if key is None else self.tokens.subject(key)

    def _authenticated(self, handler: Handler) -> Handler:
        async def checked(request: web.Request) -> web.StreamResponse:
            if self.subject(request) is None:
                raise refusal(401, "Unauthorized")
            return await handler(request)

        return checked

    def _for_sim(self, handler: SimHandler) -> Handler:
        async def with_sim(request: web.Request) -> web.StreamResponse:
            sim = self.sims.get(request.match_info["iccid"])
            if sim is None:
                raise refusal(404, "SIM not found.")
            return await handler(request, sim)

        return self._authenticated(with_sim)

    def _reserve_sms_ids(self, count: int) -> int:
        """Reserve ``count`` consecutive SMS ids; return the first."""
        first = self._next_sms_id
        self._next_sms_id += count
        return first

    async def _list_sims(self, request: web.Request) -> web.Response:
        records = [sim.record for sim in self.sims.values()]
        page, headers, _ = _paginate(request, records, MAX_SIM_PAGE_SIZE)
        return json_response(page, headers=headers)

    async def _get_sim(self, _: web.Request, sim: SimState) -> web.Response:
        return json_response(sim.record)

    async def _update_sim(self, request: web.Request, sim: SimState) -> web.Response:
        update = self._sim_update(await _json_body(request))
        if update["iccid"] != sim.iccid:
            raise refusal(400, "iccid does not match the path")
        self._apply_update(sim, update)
        return web.Response(status=200)

    async def _update_sims(self, request: web.Request) -> web.Response:
        body = await _json_body(request)
        if not isinstance(body, list) or not body:
            raise refusal(400, "The body must be a list of SIM updates")
        updates = [self._sim_update(item) for item in body]
        missing = [u["iccid"] for u in updates if u["iccid"] not in self.sims]
        if missing:
            raise refusal(404, f"SIM not found: {', '.join(missing)}")
        for update in updates:
            self._apply_update(self.sims[update["iccid"]], update)
        return web.Response(status=201)

    @staticmethod
    def _sim_update(data: Any) -> dict[str, Any]:
        """Validate a ``Values_for_a_SIM_update`` object."""
        if not isinstance(data, dict):
            raise refusal(400, "A SIM update must be a JSON object")
        if not isinstance(data.get("iccid"), str):
            raise refusal(400, "iccid is required")
        if data.get("status") not in (ENABLED, DISABLED):
            raise refusal(400, "status must be Enabled or Disabled")
        if not isinstance(data.get("label", ""), str):
            raise refusal(400, "label must be a string")
        if not isinstance(data.get("imei_lock", False), bool):
            raise refusal(400, "imei_lock must be a boolean")
        return data

    @staticmethod
    def _apply_update(sim: SimState, update: dict[str, Any]) -> None:
        for key in ("label", "imei_lock"):
            if key in update:
                sim.record[key] = update[key]
        previous = sim.record["status"]
        if update["status"] != previous:
            sim.record["status"] = update["status"]
            sim.add_event(
                f"Status of SIM changed from '{previous}' to '{update['status']}'"
            )
            sim.set_attached(attached=sim.enabled)

    async def _connectivity(self, request: web.Request, sim: SimState) -> web.Response:
        requested = datetime.now(UTC)
        answer: dict[str, Any] = {}
        if _query_flag(request, "subscriber", default=True):
            answer["subscriber_info"] = sim.subscriber_info
        if _query_flag(request, "ussd", default=False):
            answer["ussd_info"] = {"success": False, "error": "Request Timeout Error"}
        stamp = "%Y-%m-%dT%H:%M:%S.%f"
        answer["request_timestamp"] = requested.strftime(stamp)[:-3] + "+0000"
        answer["reply_timestamp"] = datetime.now(UTC).strftime(stamp)[:-3] + "+0000"
        return json_response(answer)

    async def _status(self, _: web.Request, sim: SimState) -> web.Response:
        return json_response(sim.connectivity)

    async def _events(self, request: web.Request, sim: SimState) -> web.Response:
        events = sim.events
        # ``sort`` names keys, "-" for descending: the log is kept by time.
        if request.query.get("sort", "").split(",")[0] == "-timestamp":
            events = events[::-1]
        page, headers, pages = _paginate(request, events, MAX_EVENT_PAGE_SIZE)
        body = {"events": page, "totalEvents": len(sim.events), "totalPages": pages}
        return json_response(body, headers=headers)

    def _quota_answer(self, quota: dict[str, Any]) -> dict[str, Any]:
        if self.flavour.quota_status_in_quota:
            return quota
        return {key: value for key, value in quota.items() if key != "quota_status"}

    async def _quota_data(self, _: web.Request, sim: SimState) -> web.Response:
        return json_response(self._quota_answer(sim.quota_data))

    async def _quota_sms(self, _: web.Request, sim: SimState) -> web.Response:
        return json_response(self._quota_answer(sim.quota_sms))

    async def _usage(self, request: web.Request, sim: SimState) -> web.Response:
        start, end = _query_date(request, "start_dt"), _query_date(request, "end_dt")
        if end < start:
            raise refusal(400, "end_dt must not be before start_dt")
        stats = [
            usage.render(day)
            for day, usage in sorted(sim.usage.items())
            if start <= day <= end
        ]
        return json_response({"stats": stats})

    async def _reset(self, _: web.Request, sim: SimState) -> web.Response:
        sim.set_attached(attached=False)
        sim.add_event("Connectivity reset")
        return web.Response(status=201)

    async def _list_sms(self, request: web.Request, sim: SimState) -> web.Response:
        page, headers, _ = _paginate(request, list(sim.sms.values()), MAX_SMS_PAGE_SIZE)
        return json_response(page, headers=headers)

    async def _send_sms(self, request: web.Request, sim: SimState) -> web.Response:
        body = await _json_body(request)
        if not isinstance(body, dict):
            raise refusal(400, "The SMS must be a JSON object")
        payload = body.get("payload")
        if not isinstance(payload, str) or not payload:
            raise refusal(400, "payload must be a non-empty string")
        dcs = body.get("dcs", 0)
        if isinstance(dcs, bool) or dcs not in DATA_CODING_SCHEMES:
            raise refusal(400, "dcs must be 0, 4 or 8")
        udh = body.get("udh")
        if udh is not None and not (isinstance(udh, str) and _HEX.match(udh)):
            raise refusal(400, "udh must be a hex string")
        if self.flavour.single_part_sms:
            _check_single_part(payload, dcs, udh)
        sms_id = self._reserve_sms_ids(1)
        now = datetime.now(UTC)
        record = {
            "id": sms_id,
            "submit_date": api_time(now),
            "expiry_date": body.get("expiry_date") or api_time(now + timedelta(days=1)),
            "retry_count": "0",
            "source_address": body.get("source_address"),
            "iccid": sim.iccid,
            "msisdn": sim.record.get("msisdn"),
            "imsi": sim.record.get("imsi"),
            "dcs": dcs,
            "udh": udh,
            "payload": payload,
            "status": {
                "id": self.flavour.sms_status_ids[BUFFERED],
                "description": BUFFERED,
            },
            "sms_type": {"id": 1, "description": "MT"},
            "source_address_type": body.get("source_address_type") or {"id": 145},
        }
        sim.sms[sms_id] = {
            key: value for key, value in record.items() if value is not None
        }
        sim.today().sms_mt += 1
        location = request.url.origin().with_path(
            f"{SIMS_PATH}/{sim.iccid}/sms/{sms_id}"
        )
        return web.Response(status=201, headers={"Location": str(location)})

    def _sms_record(self, request: web.Request, sim: SimState) -> dict[str, Any]:
        try:
            return sim.sms[int(request.match_info["id"])]
        except KeyError, ValueError:
            raise refusal(404, "SMS not found") from None

    async def _get_sms(self, request: web.Request, sim: SimState) -> web.Response:
        return json_response(self._sms_record(request, sim))

    async def _cancel_sms(self, request: web.Request, sim: SimState) -> web.Response:
        record = self._sms_record(request, sim)
        if record["status"]["description"] != BUFFERED:
            raise refusal(400, "Only buffered SMS can be cancelled")
        del sim.sms[record["id"]]
        return web.Response(status=204)

    async def _top_up(self, request: web.Request, sim: SimState) -> web.Response:
        return self._order_top_up([sim], _payment_method(request), request)

    async def _top_up_bulk(self, request: web.Request) -> web.Response:
        payment_method = _payment_method(request)
        body = await _json_body(request)
        if (
            not isinstance(body, list)
            or not body
            or not all(isinstance(i, str) for i in body)
        ):
            raise refusal(400, "The body must be a list of ICCIDs")
        missing = [iccid for iccid in body if iccid not in self.sims]
        if missing:
            raise refusal(404, f"SIM not found: {', '.join(missing)}")
        return self._order_top_up([self.sims[i] for i in body], payment_method, request)

    def _order_top_up(
        self, sims: list[SimState], payment_method: str, request: web.Request
    ) -> web.Response:
        order = TopUpOrder(
            next(self._order_numbers), tuple(sim.iccid for sim in sims), payment_method
        )
        now = self.flavour.quota_time(datetime.now(UTC))
        for sim in sims:
            for quota, volume in (
                (sim.quota_data, TOP_UP_VOLUME_MB),
                (sim.quota_sms, self.flavour.top_up_sms),
            ):
                if not volume:
                    continue
                quota["volume"] = round(quota["volume"] + volume, 6)
                quota["total_volume"] += volume
                quota["last_volume_added"] = volume
                quota["last_status_change_date"] = now
            sim.refresh_quota_status()
            sim.add_event(self._top_up_event())
        self.top_ups.append(order)
        location = request.url.origin().with_path(
            f"{BASE_PATH}/v1/orders/{order.order_number}"
        )
        return web.Response(status=201, headers={"Location": str(location)})

    def _top_up_event(self) -> str:
        sms = self.flavour.top_up_sms
        extra = f" and {sms} SMS" if sms else ""
        return f"Top up of {TOP_UP_VOLUME_MB} MB{extra} ordered"

    async def _control_usage_history(self, _: web.Request) -> web.Response:
        """Give every enabled SIM use on each day since the previous month began."""
        for index, sim in enumerate(self.sims.values()):
            if sim.enabled:
                sim.add_history(random.Random(index))
        return json_response({"ok": True})

    async def _control_push_sms_mo(self, request: web.Request) -> web.Response:
        """Let a SIM send an SMS MO: record it, then POST it to ``url``."""
        body = await _json_body(request)
        sim = self._control_sim(body)
        text = body.get("text")
        if not isinstance(text, str):
            raise refusal(400, "text must be a string")
        parts = split_sms(text)
        first_id = self._reserve_sms_ids(len(parts))
        now = datetime.now(UTC)
        delivered = self.flavour.sms_status_ids[DELIVERED]
        for offset, part in enumerate(parts):
            sim.sms[first_id + offset] = {
                "id": first_id + offset,
                "submit_date": api_time(now),
                "delivery_date": api_time(now),
                "source_address": sim.record.get("msisdn"),
                "iccid": sim.iccid,
                "dcs": 0,
                "payload": part,
                "status": {"id": delivered, "description": DELIVERED},
                "sms_type": {"id": 2, "description": "MO"},
            }
        sim.today().sms_mo += len(parts)
        async with aiohttp.ClientSession() as session:
            results = await _guarded(
                self.flavour.push_sms_mo(
                    session,
                    _control_url(body),
                    iccid=sim.iccid,
                    text=text,
                    sms_id=first_id,
                    endpoint_id=sim.endpoint_id,
                    source_address=sim.record.get("msisdn"),
                    dest_address=str(body.get("dest_address", "12345")),
                    organisation_id=self.flavour.organisation_id,
                    submitted_at=now,
                )
            )
        return _push_answer(results)

    async def _control_push_delivery_report(self, request: web.Request) -> web.Response:
        """Finalise a sent SMS MT and PATCH its delivery report to ``url``."""
        body = await _json_body(request)
        url = _control_url(body)
        status = str(body.get("status", DELIVERED))
        try:
            sim, record = self.deliver_sms(int(body.get("sms_id", "")), status)
        except KeyError, ValueError:
            raise refusal(404, "No SMS MT with that sms_id") from None
        async with aiohttp.ClientSession() as session:
            result = await _guarded(
                self.flavour.push_delivery_report(
                    session,
                    url,
                    sms_id=record["id"],
                    iccid=sim.iccid,
                    status=status,
                    endpoint_id=sim.endpoint_id,
                    submitted_at=datetime.fromisoformat(record["submit_date"]),
                    final_at=datetime.fromisoformat(record["final_date"]),
                )
            )
        return _push_answer([result])

    def _control_sim(self, body: Any) -> SimState:
        iccid = body.get("iccid") if isinstance(body, dict) else None
        sim = self.sims.get(str(iccid))
        if sim is None:
            raise refusal(404, "SIM not found.")
        return sim


def _control_url(body: Any) -> str:
    url = body.get("url") if isinstance(body, dict) else None
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise refusal(400, "url must be an http(s) address")
    return url


async def _guarded[T](push: Awaitable[T]) -> T:
    """Await a push; an unreachable receiver becomes a 502 answer."""
    try:
        return await push
    except aiohttp.ClientError as err:
        raise refusal(502, f"Push failed: {type(err).__name__}") from err


def _push_answer(results: list[PushResult]) -> web.Response:
    return json_response(
        {"pushes": [{"status": r.status, "payload": r.payload} for r in results]}
    )
