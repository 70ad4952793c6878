"""KPN IoT Programmable SIM (JpU platform) behind the KPN API gateway.

KPN publishes no endpoint list for this API. The resources follow the inferred
shapes of the provider notes: Things addressed as ``ThingId_ICCID_<iccid>``,
``GET /things``, ``GET``/``PUT /thing/{thingId}``, ``GET``/``PUT
/thing/{thingId}/state/``, ``GET /thing/status?ThingIds=`` and ``POST
/thing/{thingId}/sms``, all under :data:`BASE_PATH`. Where even the notes are
silent, this emulator chooses, and the library follows the same choices:

* Paging: ``GET /things?page=N&pageSize=M`` with ``page`` counted from 1 and
  ``pageSize`` 1-100 (default 20), like the gateway's other SIM API. The body
  is a JSON array of Things (public clients of the platform read a bare
  array); the ``X-Total-Count`` header carries the number of Things in the
  account. A page past the end is an empty array; a page or size out of
  range is a 400.
* Session status answers ``{"Data": [...]}`` (as public clients read it), one
  entry per known Thing, each with its ``ThingId``; unknown ids are left out
  and at most 100 ids are accepted per request.
* State changes: PROVISIONED to ACTIVE or TEST_ACTIVE, TEST_ACTIVE to ACTIVE
  or SUSPENDED, ACTIVE to SUSPENDED and back, anything to RETIRED; RETIRED is
  final. Any other change is a 412; asking for the current state changes
  nothing. Leaving ACTIVE / TEST_ACTIVE drops the data session; a Thing that
  may connect attaches on the next :meth:`KpnSimEmulator.tick`.
* ``cas``: every Thing carries an opaque ``cas`` that changes with each update
  of it. ``PUT /thing/{thingId}`` (a ``ThingTag`` or ``LockMasterImei``
  change; the latter inferred) must send the current one: 400 when missing,
  412 when stale. Locking holds the SIM to the device it is in now
  (``MasterIMEI``).
* SMS reach ACTIVE / TEST_ACTIVE Things only (412 otherwise), one part of at
  most 160 characters; the answer is the message id as a JSON string (public
  clients read the body as the id).
* Errors carry ``transactionId``, ``status``, ``name``, ``message``, ``info``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
import functools
from http import HTTPStatus
import random
from typing import Any
import uuid

from aiohttp import web

from .core import json_response
from .examples import load_example
from .kpn_gateway import KpnGatewayEmulator, unauthorized

PROVIDER = "kpn_iot_sim"
BASE_PATH = "/iot/jpu/iotprogrammablesim"
THING_ID_PREFIX = "ThingId_ICCID_"
TOTAL_COUNT_HEADER = "X-Total-Count"
DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
MAX_STATUS_IDS = 100
MAX_SMS_CHARACTERS = 160
APN_NAME = "kpn.iot"
SEED_TIME = datetime(2025, 6, 1, 12, tzinfo=UTC)
"""The simulated clock's start, so seeded records do not depend on the run."""

FIXED_THINGS = ("thing", "thing_provisioned", "thing_suspended")
"""Example records seeded verbatim; ``thing_status`` holds their sessions."""


ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    "PROVISIONED": frozenset({"ACTIVE", "TEST_ACTIVE", "RETIRED"}),
    "TEST_ACTIVE": frozenset({"ACTIVE", "SUSPENDED", "RETIRED"}),
    "ACTIVE": frozenset({"SUSPENDED", "RETIRED"}),
    "SUSPENDED": frozenset({"ACTIVE", "RETIRED"}),
    "RETIRED": frozenset(),
}
CONNECTABLE_STATES = frozenset({"ACTIVE", "TEST_ACTIVE"})
CONNECTED = "CONNECTED"
DISCONNECTED = "DISCONNECTED"

_GENERATED_STATES = ("ACTIVE", "PROVISIONED", "SUSPENDED", "TEST_ACTIVE", "RETIRED")
_GENERATED_STATE_WEIGHTS = (12, 4, 2, 1, 1)
_NETWORKS = (("204", "08"), ("206", "01"), ("270", "01"))
"""KPN at home and its roaming partners in Belgium and Luxembourg."""
_NETWORK_WEIGHTS = (8, 1, 1)
_GROUPS = ("ThingsGroupId_default", "ThingsGroupId_meters", "ThingsGroupId_trackers")

type Handler = Callable[[KpnSimEmulator, web.Request], Awaitable[web.Response]]
type ThingHandler = Callable[
    [KpnSimEmulator, web.Request, str], Awaitable[web.Response]
]


def thing_id(iccid: str) -> str:
    """Return the platform's id of the Thing with SIM ``iccid``."""
    return f"{THING_ID_PREFIX}{iccid}"


def iccid_of(value: str) -> str | None:
    """Return the ICCID in a ``ThingId_ICCID_<iccid>`` id, else None."""
    iccid = value.removeprefix(THING_ID_PREFIX)
    return iccid if iccid != value and iccid.isdigit() else None


def kpn_error(status: HTTPStatus, message: str, info: str = "") -> web.Response:
    """Answer with the platform's documented error body."""
    return json_response(
        {
            "transactionId": str(uuid.uuid4()),
            "status": int(status),
            "name": status.phrase.replace(" ", ""),
            "message": message,
            "info": info,
        },
        status=status,
    )


def _timestamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _requires_token(handler: Handler) -> Handler:
    """Answer 401 unless the request has a valid gateway token."""

    @functools.wraps(handler)
    async def checked(emulator: KpnSimEmulator, request: web.Request) -> web.Response:
        if emulator.authorized(request) is None:
            return unauthorized()
        return await handler(emulator, request)

    return checked


def _requires_thing(handler: ThingHandler) -> Handler:
    """Also answer 404 unless the path names a known Thing; pass its ICCID on."""

    @functools.wraps(handler)
    @_requires_token
    async def checked(emulator: KpnSimEmulator, request: web.Request) -> web.Response:
        requested = request.match_info["thing_id"]
        iccid = iccid_of(requested)
        if iccid is None or iccid not in emulator.things:
            return kpn_error(HTTPStatus.NOT_FOUND, f"Thing {requested} does not exist")
        return await handler(emulator, request, iccid)

    return checked


async def _json_object(request: web.Request) -> dict[str, Any] | None:
    """Return the request body when it is a JSON object, else None."""
    try:
        data = await request.json()
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _int_query(request: web.Request, key: str, default: int) -> int | None:
    """Return an integer query parameter: ``default`` when absent, None if no number."""
    value = request.query.get(key)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        return None


class KpnSimEmulator(KpnGatewayEmulator):
    """Things, their sessions and the SMS sent to them, behind the gateway.

    ``things`` and ``sessions`` are keyed by ICCID in listing order;
    ``sent_sms`` records every accepted SMS; ``now`` is the simulated clock.
    """

    name = PROVIDER

    def __init__(self, *, generated: int = 0, seed: int = 0) -> None:
        """Seed the example Things, then ``generated`` deterministic ones."""
        super().__init__()
        self._rng = random.Random(seed)
        self._ip_leases = 0
        self.now = SEED_TIME
        self.things: dict[str, dict[str, Any]] = {}
        self.sessions: dict[str, dict[str, Any]] = {}
        self.sent_sms: list[dict[str, Any]] = []
        for name in FIXED_THINGS:
            record = load_example(PROVIDER, name)
            self.things[self._iccid_of_record(record)] = record
        for session in load_example(PROVIDER, "thing_status")["Data"]:
            self.sessions[self._iccid_of_record(session)] = session
        for index in range(generated):
            self._add_generated_thing(index)

    def add_routes(self, app: web.Application) -> None:
        """Add the gateway token route, then the Thing routes under BASE_PATH."""
        self.add_gateway_routes(app)
        thing = f"{BASE_PATH}/thing/{{thing_id}}"
        router = app.router
        router.add_get(f"{BASE_PATH}/things", self._list_things, name="list_things")
        # Before the Thing routes: "status" would otherwise be taken for a Thing id.
        router.add_get(
            f"{BASE_PATH}/thing/status{{slash:/?}}",
            self._session_status,
            name="session_status",
        )
        router.add_get(thing, self._get_thing, name="get_thing")
        router.add_put(thing, self._update_thing, name="update_thing")
        router.add_get(f"{thing}/state{{slash:/?}}", self._get_state, name="get_state")
        router.add_put(f"{thing}/state{{slash:/?}}", self._set_state, name="set_state")
        router.add_post(f"{thing}/sms", self._send_sms, name="send_sms")

    def control_state(self) -> Any:
        """Things, sessions, sent SMS and the simulated time."""
        return {
            "now": _timestamp(self.now),
            "things": list(self.things.values()),
            "sessions": list(self.sessions.values()),
            "sms": self.sent_sms,
        }

    def tick(self, seconds: float) -> None:
        """Advance the clock; Things that may connect attach, sessions carry traffic."""
        self.now += timedelta(seconds=seconds)
        for iccid, session in self.sessions.items():
            if self.things[iccid]["State"] not in CONNECTABLE_STATES:
                continue
            if session["ConnectionStatus"] != CONNECTED:
                self._connect(iccid)
                continue
            for active in session["ActiveSessions"]:
                active["UplinkThroughput"] = self._rng.randrange(0, 50_000)
                active["DownlinkThroughput"] = self._rng.randrange(0, 200_000)

    @staticmethod
    def _iccid_of_record(record: dict[str, Any]) -> str:
        iccid = iccid_of(str(record["ThingId"]))
        if iccid is None:
            raise ValueError(f"Seed record with a bad ThingId: {record['ThingId']}")
        return iccid

    def _new_cas(self) -> str:
        return str(self._rng.getrandbits(63))

    def _lease_ip(self) -> str:
        """Lease a fresh address (the examples' own addresses are in 10.64.0.0/24)."""
        self._ip_leases += 1
        lease = self._ip_leases
        return f"10.65.{lease // 250}.{lease % 250 + 1}"

    def _add_generated_thing(self, index: int) -> None:
        rng = self._rng
        iccid = f"89310876210{index:08d}"
        state = rng.choices(_GENERATED_STATES, _GENERATED_STATE_WEIGHTS)[0]
        used = state != "PROVISIONED"
        imei = "".join(str(rng.randrange(10)) for _ in range(15)) if used else None
        mcc, mnc = rng.choices(_NETWORKS, _NETWORK_WEIGHTS)[0]
        ip_address = self._lease_ip() if used else None
        self.things[iccid] = {
            "ThingId": thing_id(iccid),
            "ThingTag": f"Sensor {index + 1:04d}" if rng.random() < 0.8 else None,  # noqa: PLR2004
            "State": state,
            "BillingState": state,
            "IMEI": imei,
            "MasterIMEI": imei,
            "LockMasterImei": rng.random() < 0.3,  # noqa: PLR2004
            "IMSI": f"204081{index:09d}",
            "MSISDN": f"319701{index:07d}",
            "IPv4": ip_address,
            "IPv4PoolId": "IPv4PoolId_default",
            "ThingsGroupId": rng.choice(_GROUPS),
            "LastLocation": {
                "MCC": mcc,
                "MNC": mnc,
                "CellId": str(rng.randrange(1, 65_535)),
                "Lac": str(rng.randrange(1, 65_535)),
            }
            if used
            else None,
            "cas": self._new_cas(),
        }
        connected = state in CONNECTABLE_STATES and rng.random() < 0.7  # noqa: PLR2004
        last_connection = SEED_TIME - timedelta(minutes=rng.randrange(1, 7 * 24 * 60))
        self.sessions[iccid] = {
            "ThingId": thing_id(iccid),
            "ProvisionStatus": state,
            "ConnectionStatus": CONNECTED if connected else DISCONNECTED,
            "ActiveSessions": [
                {
                    "ApnName": APN_NAME,
                    "IPAddress": ip_address,
                    "UplinkThroughput": rng.randrange(0, 50_000),
                    "DownlinkThroughput": rng.randrange(0, 200_000),
                }
            ]
            if connected
            else [],
            "LastConnectionTime": _timestamp(last_connection) if used else None,
        }

    def _connect(self, iccid: str) -> None:
        """Attach a Thing: it gets an address, a session and (first time) a location."""
        thing = self.things[iccid]
        thing["IPv4"] = thing["IPv4"] or self._lease_ip()
        if thing["LastLocation"] is None:
            mcc, mnc = _NETWORKS[0]
            thing["LastLocation"] = {"MCC": mcc, "MNC": mnc, "CellId": "1", "Lac": "1"}
        thing["cas"] = self._new_cas()
        self.sessions[iccid].update(
            ConnectionStatus=CONNECTED,
            ActiveSessions=[
                {
                    "ApnName": APN_NAME,
                    "IPAddress": thing["IPv4"],
                    "UplinkThroughput": 0,
                    "DownlinkThroughput": 0,
                }
            ],
            LastConnectionTime=_timestamp(self.now),
        )

    def move_sim(self, iccid: str, imei: str) -> bool:
        """The Thing reports the IMEI of the device its SIM was put in."""
        if (thing := self.things.get(iccid)) is None:
            return False
        thing["IMEI"] = imei
        thing["cas"] = self._new_cas()
        return True

    def _change_state(self, iccid: str, state: str) -> None:
        thing = self.things[iccid]
        thing["State"] = thing["BillingState"] = state
        thing["cas"] = self._new_cas()
        session = self.sessions[iccid]
        session["ProvisionStatus"] = state
        if state not in CONNECTABLE_STATES:
            session.update(ConnectionStatus=DISCONNECTED, ActiveSessions=[])

    @_requires_token
    async def _list_things(self, request: web.Request) -> web.Response:
        page = _int_query(request, "page", 1)
        size = _int_query(request, "pageSize", DEFAULT_PAGE_SIZE)
        if page is None or page < 1 or size is None or not 1 <= size <= MAX_PAGE_SIZE:
            return kpn_error(
                HTTPStatus.BAD_REQUEST,
                "Invalid paging parameters",
                f"page counts from 1; pageSize is 1 to {MAX_PAGE_SIZE}",
            )
        things = list(self.things.values())
        start = (page - 1) * size
        return json_response(
            things[start : start + size],
            headers={TOTAL_COUNT_HEADER: str(len(things))},
        )

    @_requires_token
    async def _session_status(self, request: web.Request) -> web.Response:
        ids = request.query.get("ThingIds", "").split(",")
        requested = [i for i in map(str.strip, ids) if i]
        if not requested or len(requested) > MAX_STATUS_IDS:
            return kpn_error(
                HTTPStatus.BAD_REQUEST,
                "ThingIds is required",
                f"a comma-separated list of 1 to {MAX_STATUS_IDS} Thing ids",
            )
        iccids = dict.fromkeys(iccid_of(i) for i in requested)
        return json_response(
            {"Data": [self.sessions[i] for i in iccids if i in self.sessions]}
        )

    @_requires_thing
    async def _get_thing(self, _: web.Request, iccid: str) -> web.Response:
        return json_response(self.things[iccid])

    @_requires_thing
    async def _update_thing(self, request: web.Request, iccid: str) -> web.Response:
        body = await _json_object(request)
        if body is None or body.get("cas") is None:
            return kpn_error(
                HTTPStatus.BAD_REQUEST, "An update must carry the Thing's cas"
            )
        tag, lock = body.get("ThingTag"), body.get("LockMasterImei")
        if tag is None and lock is None:
            return kpn_error(
                HTTPStatus.BAD_REQUEST,
                "An update must carry ThingTag or LockMasterImei",
            )
        if tag is not None and not isinstance(tag, str):
            return kpn_error(HTTPStatus.BAD_REQUEST, "ThingTag must be a string")
        if lock is not None and not isinstance(lock, bool):
            return kpn_error(HTTPStatus.BAD_REQUEST, "LockMasterImei must be a boolean")
        thing = self.things[iccid]
        if str(body["cas"]) != thing["cas"]:
            return kpn_error(
                HTTPStatus.PRECONDITION_FAILED,
                "The Thing was changed since it was read",
                "read it again and send its current cas",
            )
        if tag is not None:
            thing["ThingTag"] = tag or None
        if lock is not None:
            thing["LockMasterImei"] = lock
            # The lock holds the SIM to the device it is in now.
            thing["MasterIMEI"] = thing["IMEI"]
        thing["cas"] = self._new_cas()
        return json_response(thing)

    @_requires_thing
    async def _get_state(self, _: web.Request, iccid: str) -> web.Response:
        return json_response({"state": self.things[iccid]["State"]})

    @_requires_thing
    async def _set_state(self, request: web.Request, iccid: str) -> web.Response:
        body = await _json_object(request)
        state = body.get("state") if body is not None else None
        if not isinstance(state, str) or state not in ALLOWED_TRANSITIONS:
            return kpn_error(
                HTTPStatus.BAD_REQUEST,
                "Unknown state",
                f"state is one of {', '.join(ALLOWED_TRANSITIONS)}",
            )
        current = self.things[iccid]["State"]
        if state != current:
            if state not in ALLOWED_TRANSITIONS[current]:
                return kpn_error(
                    HTTPStatus.PRECONDITION_FAILED,
                    f"A Thing in state {current} cannot become {state}",
                )
            self._change_state(iccid, state)
        return json_response({"state": state})

    @_requires_thing
    async def _send_sms(self, request: web.Request, iccid: str) -> web.Response:
        body = await _json_object(request) or {}
        message, sender = body.get("Message"), body.get("From")
        if not isinstance(message, str) or not message.strip():
            return kpn_error(HTTPStatus.BAD_REQUEST, "Message is required")
        if len(message) > MAX_SMS_CHARACTERS:
            return kpn_error(
                HTTPStatus.BAD_REQUEST,
                "Message is too long",
                f"at most {MAX_SMS_CHARACTERS} characters in one SMS",
            )
        if sender is not None and not isinstance(sender, str):
            return kpn_error(HTTPStatus.BAD_REQUEST, "From must be a string")
        if self.things[iccid]["State"] not in CONNECTABLE_STATES:
            return kpn_error(
                HTTPStatus.PRECONDITION_FAILED, "SMS reach ACTIVE Things only"
            )
        message_id = uuid.uuid4().hex
        self.sent_sms.append(
            {
                "MessageId": message_id,
                "ThingId": thing_id(iccid),
                "Message": message,
                "From": sender,
                "Time": _timestamp(self.now),
            }
        )
        return json_response(message_id)
