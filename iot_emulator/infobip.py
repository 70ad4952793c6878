"""Infobip IoT SIM management: the endpoints of ``infobip-iot-sim.txt``.

Seeded with the document's two SIMs and their monthly usage (``examples/infobip_iot``),
plus ``generated`` more. Two places where the document cannot be served verbatim:

- its status-change request ``{"status": "Active/Suspended",}`` is a placeholder
  with a trailing comma; ``status_request.json`` is the valid ``{"status": "Active"}``;
- it shows that request on ``/iot/2/sims/{iccid}/status`` while the resource line says
  ``/iot/1/``; both paths are served.

Errors use Infobip's ``requestError.serviceException`` body. A status change to the
status a SIM already has is accepted as a no-op; the document lists no error for it.
"""

from __future__ import annotations

import base64
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
import json
import random
from typing import Any
import uuid

from aiohttp import web

from .core import Handler, ProviderEmulator, json_response
from .examples import load_example

EXAMPLES = "infobip_iot"
DEFAULT_USERNAME = "demo-user"
DEFAULT_PASSWORD = "demo-password"  # noqa: S105 - emulator's own demo credential
DEFAULT_API_KEY = "demo-infobip-api-key"


DEFAULT_PAGE_LIMIT = 20
MAX_PAGE_LIMIT = 100
MAX_SMS_CHARACTERS = 160

ACTIVE, SUSPENDED = "Active", "Suspended"
DEACTIVATED = "Deactivated"
LEGAL_SOURCES = {ACTIVE: {"Activation Ready", SUSPENDED}, SUSPENDED: {ACTIVE}}
"""For each status a customer may request, the statuses a SIM may leave for it."""

SEEDED_DATA_RATE = 2048
"""Bytes per simulated second an Active document SIM uses."""

_GENERATED_STATUSES = (
    (ACTIVE, 60),
    ("Activation Ready", 15),
    (SUSPENDED, 15),
    ("Imported", 5),
    (DEACTIVATED, 5),
)
_GENERATED_MODELS = (
    {"type": "Standard", "provisioning": "UICC", "size": "Trio (2FF, 3FF, 4FF)"},
    {
        "type": "Embedded",
        "grade": "Industrial",
        "provisioning": "UICC",
        "size": "MFF2/QFN8",
    },
    {
        "type": "Embedded",
        "grade": "Automotive",
        "provisioning": "eUICC",
        "size": "DFN8",
    },
    {"type": "SoftSIM", "provisioning": "eUICC", "size": "MFF"},
)

_ERRORS: dict[int, type[web.HTTPException]] = {
    400: web.HTTPBadRequest,
    401: web.HTTPUnauthorized,
    404: web.HTTPNotFound,
}


@dataclass(frozen=True, slots=True)
class SentSms:
    """An SMS the emulator accepted for a SIM."""

    iccid: str
    text: str
    sent_at: str


@dataclass(frozen=True, slots=True)
class Action:
    """An asynchronous action the API answered with an ``actionId``."""

    action_id: str
    kind: str
    """``name``, ``status`` or ``diagnostic``."""
    iccid: str
    value: str | None = None


def refusal(status: int, message_id: str, text: str) -> web.HTTPException:
    """Infobip's error answer, to raise from a handler."""
    body = {
        "requestError": {"serviceException": {"messageId": message_id, "text": text}}
    }
    return _ERRORS[status](text=json.dumps(body), content_type="application/json")


def _timestamp() -> str:
    """Now, in the API's ``yyyy-MM-dd'T'HH:mm:ss``."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def _query_int(
    request: web.Request, key: str, default: int, maximum: int | None
) -> int:
    """Read a positive integer query parameter; refuse one malformed or out of range."""
    try:
        value = int(request.query.get(key, default))
    except ValueError:
        raise refusal(400, "BAD_REQUEST", f"{key} must be an integer") from None
    if value < 1 or (maximum is not None and value > maximum):
        bound = f"between 1 and {maximum}" if maximum else "at least 1"
        raise refusal(400, "BAD_REQUEST", f"{key} must be {bound}")
    return value


def _paged(request: web.Request, key: str, items: list[dict[str, Any]]) -> web.Response:
    page = _query_int(request, "page", 1, None)
    limit = _query_int(request, "limit", DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT)
    start = (page - 1) * limit
    return json_response(
        {"page": page, "limit": limit, key: items[start : start + limit]}
    )


async def _json_object(request: web.Request) -> dict[str, Any]:
    try:
        data = await request.json()
    except ValueError:
        raise refusal(400, "BAD_REQUEST", "The body is not valid JSON") from None
    if not isinstance(data, dict):
        raise refusal(400, "BAD_REQUEST", "The body must be a JSON object")
    return data


def _text_field(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise refusal(400, "BAD_REQUEST", f"{key} must be a non-empty string")
    return value


class InfobipEmulator(ProviderEmulator):
    """The Infobip IoT API with Basic and ``App`` API-key authentication.

    ``users`` maps usernames to passwords and ``api_keys`` holds the valid keys;
    change either to revoke credentials. ``sims`` and ``usage`` hold the API's own
    JSON objects by ICCID; ``sent_sms`` and ``actions`` record what was asked.
    """

    name = "infobip_iot"

    def __init__(self, *, generated: int = 0, seed: int = 0) -> None:
        """Seed the document's SIMs and usage, then ``generated`` random ones."""
        super().__init__()
        self.users: dict[str, str] = {DEFAULT_USERNAME: DEFAULT_PASSWORD}
        self.api_keys: set[str] = {DEFAULT_API_KEY}
        self.sims: dict[str, dict[str, Any]] = {
            sim["iccid"]: sim for sim in load_example(EXAMPLES, "sims_page")["sims"]
        }
        # The monthly example lists the SIMs in another order than the SIM list;
        # keeping each order serves both examples verbatim.
        self.usage: dict[str, dict[str, Any]] = {
            entry["iccid"]: entry
            for entry in load_example(EXAMPLES, "usage_monthly")["usage"]
        }
        self.data_rates: dict[str, int] = dict.fromkeys(self.sims, SEEDED_DATA_RATE)
        self.sent_sms: list[SentSms] = []
        self.actions: list[Action] = []
        self._generate(generated, random.Random(seed))

    def _generate(self, count: int, rng: random.Random) -> None:
        statuses = [status for status, _ in _GENERATED_STATUSES]
        weights = [weight for _, weight in _GENERATED_STATUSES]
        for index in range(count):
            iccid = f"8938599{index:012d}"
            status = rng.choices(statuses, weights)[0]
            created = f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T10:00:00"
            sim: dict[str, Any] = {
                "iccid": iccid,
                "imsi": f"21910{rng.randrange(10**10):010d}",
                "status": status,
                "createdAt": created,
                "updatedAt": created,
                "msisdn": f"3859{rng.randrange(10**8):08d}",
                "serviceProfileId": str(rng.choice((44236542, 44236543, 51000017))),
                "model": dict(rng.choice(_GENERATED_MODELS)),
            }
            if rng.random() < 0.7:  # noqa: PLR2004 - share of named SIMs
                sim["name"] = f"sensor-{index:03d}"
            self.sims[iccid] = sim
            used = status not in ("Imported", "Activation Ready")
            self.usage[iccid] = {
                "iccid": iccid,
                "receivedSmsCount": rng.randint(0, 20) if used else None,
                "sentSmsCount": rng.randint(0, 20) if used else None,
                "usedDataBytes": rng.randrange(10**9) if used else None,
                "receivedCallsCount": None,
                "sentCallsCount": None,
            }
            self.data_rates[iccid] = rng.randint(100, 50_000)

    def add_routes(self, app: web.Application) -> None:
        """Serve the document's eight resources (status change on both versions)."""
        sim = "/iot/2/sims/{iccid}"
        routes: list[tuple[str, str, Handler, str]] = [
            ("GET", "/iot/2/sims", self._list_sims, "sims"),
            ("GET", "/iot/2/sims/usage/monthly", self._monthly_usage, "usage_monthly"),
            ("GET", sim, self._get_sim, "sim"),
            ("GET", f"{sim}/usage", self._get_usage, "usage"),
            ("PATCH", "/iot/1/sims/{iccid}", self._update_name, "update_name"),
            ("PUT", "/iot/1/sims/{iccid}/status", self._set_status, "set_status"),
            ("PUT", f"{sim}/status", self._set_status, "set_status_v2"),
            ("POST", "/iot/1/sims/{iccid}/sms", self._send_sms, "sms"),
            ("POST", "/iot/1/sims/{iccid}/diagnostic", self._diagnostic, "diagnostic"),
        ]
        for method, path, handler, name in routes:
            app.router.add_route(method, path, self._authenticated(handler), name=name)

    def control_state(self) -> Any:
        """SIMs, usage, sent SMS and actions."""
        return {
            "sims": list(self.sims.values()),
            "usage": list(self.usage.values()),
            "sent_sms": [asdict(sms) for sms in self.sent_sms],
            "actions": [asdict(action) for action in self.actions],
        }

    def tick(self, seconds: float) -> None:
        """Active SIMs use data at their own rate."""
        for iccid, sim in self.sims.items():
            if sim["status"] == ACTIVE:
                usage = self.usage[iccid]
                grown = int(self.data_rates[iccid] * seconds)
                usage["usedDataBytes"] = (usage["usedDataBytes"] or 0) + grown

    def authorized(self, request: web.Request) -> bool:
        """Whether ``request`` carries valid Basic or ``App`` API-key credentials."""
        header = request.headers.get("Authorization", "")
        scheme, _, credentials = header.partition(" ")
        credentials = credentials.strip()
        match scheme.lower():
            case "app":
                return credentials in self.api_keys
            case "basic":
                try:
                    decoded = base64.b64decode(credentials, validate=True).decode()
                except ValueError:
                    return False
                login, colon, password = decoded.partition(":")
                return bool(colon) and self.users.get(login) == password
        return False

    def _authenticated(self, handler: Handler) -> Handler:
        async def checked(request: web.Request) -> web.StreamResponse:
            if not self.authorized(request):
                raise refusal(401, "UNAUTHORIZED", "Invalid login details")
            return await handler(request)

        return checked

    def _sim(self, request: web.Request) -> dict[str, Any]:
        sim = self.sims.get(request.match_info["iccid"])
        if sim is None:
            raise refusal(404, "NOT_FOUND", "SIM card not found")
        return sim

    def _action(self, kind: str, iccid: str, value: str | None = None) -> web.Response:
        action = Action(str(uuid.uuid4()), kind, iccid, value)
        self.actions.append(action)
        return json_response({"actionId": action.action_id})

    async def _list_sims(self, request: web.Request) -> web.Response:
        return _paged(request, "sims", list(self.sims.values()))

    async def _monthly_usage(self, request: web.Request) -> web.Response:
        return _paged(request, "usage", list(self.usage.values()))

    async def _get_sim(self, request: web.Request) -> web.Response:
        return json_response(self._sim(request))

    async def _get_usage(self, request: web.Request) -> web.Response:
        return json_response(self.usage[self._sim(request)["iccid"]])

    async def _update_name(self, request: web.Request) -> web.Response:
        sim = self._sim(request)
        name = _text_field(await _json_object(request), "name")
        sim["name"] = name
        sim["updatedAt"] = _timestamp()
        return self._action("name", sim["iccid"], name)

    async def _set_status(self, request: web.Request) -> web.Response:
        sim = self._sim(request)
        status = _text_field(await _json_object(request), "status")
        if status not in LEGAL_SOURCES:
            raise refusal(400, "BAD_REQUEST", "status must be Active or Suspended")
        if sim["status"] != status:
            if sim["status"] not in LEGAL_SOURCES[status]:
                raise refusal(
                    400,
                    "INVALID_STATUS_TRANSITION",
                    f"A SIM card in status {sim['status']} cannot become {status}",
                )
            sim["status"] = status
            sim["updatedAt"] = _timestamp()
        return self._action("status", sim["iccid"], status)

    async def _send_sms(self, request: web.Request) -> web.Response:
        sim = self._sim(request)
        text = _text_field(await _json_object(request), "text")
        if len(text) > MAX_SMS_CHARACTERS:
            raise refusal(
                400,
                "BAD_REQUEST",
                f"text must be at most {MAX_SMS_CHARACTERS} characters",
            )
        if sim["status"] == DEACTIVATED:
            raise refusal(400, "SIM_DEACTIVATED", "The SIM card is deactivated")
        self.sent_sms.append(SentSms(sim["iccid"], text, _timestamp()))
        usage = self.usage[sim["iccid"]]
        usage["receivedSmsCount"] = (usage["receivedSmsCount"] or 0) + 1
        return web.Response(status=200)

    async def _diagnostic(self, request: web.Request) -> web.Response:
        return self._action("diagnostic", self._sim(request)["iccid"])
