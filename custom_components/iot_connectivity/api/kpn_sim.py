"""KPN IoT Programmable SIM (JpU platform) through the KPN API gateway.

KPN publishes no endpoint list for this API. The resource shapes are inferred
from a platform with the same vocabulary, and each lives in exactly one parser
below, so a correction is a one-line change. Where nothing is documented, the
client makes these choices:

* ``GET /things?page=N&pageSize=M``: pages count from 1 and hold at most 100
  Things, as a bare JSON array; the ``X-Total-Count`` header gives the number
  of Things, so once page 1 is in, the other pages are fetched concurrently.
  Without that header (or with an implausible one) the pages are walked one
  after the other until a short page.
* ``GET /thing/status?ThingIds=a,b``: ``{"Data": [...]}`` with a ``ThingId``
  per entry, asked for in batches of :data:`SESSION_BATCH_SIZE` ids. Where a
  SIM is (``LastLocation``) is a Thing field, so sessions also read the
  Things.
* Thing updates carry ``cas`` (optimistic locking): a label change reads the
  Thing and writes with its ``cas``, once more if the Thing changed in between.
* The IMEI lock is the Thing's ``LockMasterImei`` (the SIM works only in the
  device of ``MasterIMEI``), changed with ``PUT /thing/{thingId}`` as the label
  is, and read back from ``GET /thing/{thingId}``.
* An SMS answer is the message id (a JSON string, or an object with
  ``MessageId``).

The API has no usage, quota or account endpoints, so there are none here.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from http import HTTPStatus
import math
from typing import TYPE_CHECKING, Any, override
from urllib.parse import quote

from ._http import DEFAULT_TIMEOUT, HttpClient, ProviderApi, Response
from ._pages import ParsedPages, fetch_pages
from ._parse import (
    as_mapping,
    list_of,
    opt_bool,
    opt_datetime,
    opt_int,
    opt_mapping,
    opt_str,
)
from .base import SimClient, UnsupportedOperationError
from .errors import InvalidRequestError, InvalidResponseError
from .kpn_gateway import KPN_GATEWAY_URL, KpnGatewayAuth
from .models import (
    AccountInfo,
    ApiQuota,
    Capability,
    Provider,
    Sim,
    SimSession,
    SimStatus,
    SmsResult,
)
from .sms import SmsRules

if TYPE_CHECKING:
    import aiohttp

BASE_PATH = "/iot/jpu/iotprogrammablesim"
THING_ID_PREFIX = "ThingId_ICCID_"
PAGE_SIZE = 100
"""The largest page the Things list serves."""
TOTAL_COUNT_HEADER = "X-Total-Count"
_THINGS = list_of("KPN Things page")
_SESSIONS = list_of("KPN Thing status", "Data")
SESSION_BATCH_SIZE = 100
"""Thing ids per session-status request: the most the platform takes (3.4 kB)."""
SESSION_PAGES = 64
"""Session answers kept to compare the next read with: 6,400 SIMs' worth."""
SMS_SENDER = "HomeAssist"
"""The ``From`` of an SMS; alphanumeric senders are limited to 11 characters."""
CONNECTED = "CONNECTED"

_STATUSES: Mapping[str, SimStatus] = {
    "PROVISIONED": SimStatus.READY,
    "ACTIVE": SimStatus.ACTIVE,
    "TEST_ACTIVE": SimStatus.TEST,
    "SUSPENDED": SimStatus.SUSPENDED,
    "RETIRED": SimStatus.RETIRED,
}
_SETTABLE_STATES: Mapping[SimStatus, str] = {
    SimStatus.ACTIVE: "ACTIVE",
    SimStatus.SUSPENDED: "SUSPENDED",
    SimStatus.RETIRED: "RETIRED",
}
_COUNTRIES_BY_MCC: Mapping[str, str] = {"204": "NL", "206": "BE", "270": "LU"}
"""The countries the SIM is documented to work in."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Thing:
    """A Thing: the neutral SIM plus what only this API reports."""

    sim: Sim
    cas: str | int | None = None
    """The optimistic-locking value, sent back unchanged with an update."""
    operator: str | None = None
    """``MCC-MNC`` of the network the SIM was last seen on."""
    country: str | None = None


def thing_id(iccid: str) -> str:
    """Return the platform's id of the Thing with SIM ``iccid``."""
    return f"{THING_ID_PREFIX}{quote(iccid, safe='')}"


def _require_iccid(data: Mapping[str, Any], what: str) -> str:
    """Return the ICCID in the ``ThingId`` of ``data``, else InvalidResponseError."""
    value = opt_str(data.get("ThingId")) or ""
    iccid = value.removeprefix(THING_ID_PREFIX)
    if not iccid or iccid == value:
        raise InvalidResponseError(f"{what}: missing ThingId")
    return iccid


def parse_status(raw: str | None) -> SimStatus:
    """Return the normalised status of a Thing ``State``."""
    return _STATUSES.get((raw or "").upper(), SimStatus.UNKNOWN)


def parse_thing(data: Any) -> Thing:
    """Parse one Thing, from the list or ``GET /thing/{thingId}``."""
    thing = as_mapping(data, "KPN Thing")
    raw_status = opt_str(thing.get("State"))
    location = opt_mapping(thing.get("LastLocation"))
    mcc, mnc = opt_str(location.get("MCC")), opt_str(location.get("MNC"))
    cas = thing.get("cas")
    return Thing(
        sim=Sim(
            iccid=_require_iccid(thing, "KPN Thing"),
            provider=Provider.KPN_IOT_SIM,
            status=parse_status(raw_status),
            raw_status=raw_status,
            name=opt_str(thing.get("ThingTag")),
            imsi=opt_str(thing.get("IMSI")),
            msisdn=opt_str(thing.get("MSISDN")),
            imei=opt_str(thing.get("IMEI")),
            imei_lock=opt_bool(thing.get("LockMasterImei")),
            ip_address=opt_str(thing.get("IPv4")),
            group=opt_str(thing.get("ThingsGroupId")),
        ),
        cas=cas if isinstance(cas, str | int) and not isinstance(cas, bool) else None,
        operator=f"{mcc}-{mnc}" if mcc and mnc else None,
        country=_COUNTRIES_BY_MCC.get(mcc or ""),
    )


def parse_things_page(
    response: Response, parsed: ParsedPages[Thing], page: Hashable
) -> tuple[Sequence[Thing], int | None]:
    """Parse a page of Things and the account's Thing count, if the header gives it.

    ``parsed`` holds the Things of earlier reads of ``page`` to reuse.
    """
    _, things = parsed.parse(page, response, _THINGS)
    return things, opt_int(response.headers.get(TOTAL_COUNT_HEADER))


def _session_ip(value: Any) -> str | None:
    """Return the address of the first active session (a list, or one object)."""
    for session in value if isinstance(value, list) else [value]:
        if (address := opt_str(opt_mapping(session).get("IPAddress"))) is not None:
            return address
    return None


def parse_session(data: Any) -> SimSession:
    """Parse one entry of a ``GET /thing/status`` answer.

    Where the SIM is comes from the Thing, not from here (see :func:`located`).
    """
    entry = as_mapping(data, "KPN Thing status entry")
    connection = opt_str(entry.get("ConnectionStatus"))
    return SimSession(
        iccid=_require_iccid(entry, "KPN Thing status entry"),
        online=None if connection is None else connection.upper() == CONNECTED,
        ip_address=_session_ip(entry.get("ActiveSessions")),
        last_seen=opt_datetime(entry.get("LastConnectionTime")),
    )


def located(session: SimSession, thing: Thing | None) -> SimSession:
    """Return ``session`` with the network and country of the Thing's last location."""
    if thing is None:
        return session
    return replace(session, operator=thing.operator, country=thing.country)


def parse_sms_answer(response: Response) -> SmsResult:
    """Parse the answer to a sent SMS: the message id, bare or in ``MessageId``."""
    if not response.body.strip():
        return SmsResult()
    data = response.json()
    if isinstance(data, Mapping):
        return SmsResult(message_id=opt_str(data.get("MessageId")))
    if isinstance(data, str):
        return SmsResult(message_id=opt_str(data))
    raise InvalidResponseError("KPN SMS answer: expected a message id")


class KpnSimClient(SimClient):
    """A KPN IoT Programmable SIM account, by gateway client id and secret."""

    provider = Provider.KPN_IOT_SIM
    capabilities = frozenset(
        {
            Capability.SET_STATUS,
            Capability.RETIRE,
            Capability.LABEL,
            Capability.SESSION,
            Capability.SMS,
            Capability.IMEI,
            Capability.IMEI_LOCK,
        }
    )
    sms_rules = SmsRules(max_parts=1)
    """M2M SMS commands: the API takes a bare ``Message`` with no parameters for
    concatenation (UDH) or coding (DCS), so a message must fit in one part."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        client_id: str,
        client_secret: str,
        *,
        url: str = KPN_GATEWAY_URL,
        timeout: aiohttp.ClientTimeout | None = None,
    ) -> None:
        """Talk to the gateway at ``url`` (origin only) with these credentials."""
        super().__init__()
        self._http = HttpClient(session, url, timeout=timeout or DEFAULT_TIMEOUT)
        self._auth = KpnGatewayAuth(self._http, client_id, client_secret)
        self._api = ProviderApi(self._http, self._auth, BASE_PATH)
        self._listed: dict[str, Thing] | None = None
        """The Things of the last full list, for session locations."""
        self._parsed = ParsedPages(parse_thing)
        self._session_pages = ParsedPages(parse_session, max_pages=SESSION_PAGES)
        self._located: dict[str, tuple[SimSession, Thing | None, SimSession]] = {}
        """Each SIM's session and Thing as last combined, and the result."""

    def __repr__(self) -> str:
        """Show where it talks to, never the credentials."""
        return f"<KpnSimClient {self._http.base_url}>"

    @property
    @override
    def api_quota(self) -> ApiQuota | None:
        """The gateway's request quota from the last answer's ``quota-*`` headers."""
        return self._http.api_quota

    @override
    async def get_account(self) -> AccountInfo:
        """Prove the token works on this API with a one-Thing page.

        The API has no account endpoint; the gateway client id stands for the
        account, as one set of credentials reaches exactly one account.
        """
        await self._things_page(1, page_size=1)
        return AccountInfo(account_id=self._auth.client_id)

    @override
    async def list_sims(self) -> list[Sim]:
        return [thing.sim for thing in await self.list_things()]

    async def list_things(self) -> list[Thing]:
        """Every Thing of the account, all pages, each ICCID once."""
        first, total = await self._things_page(1)

        async def things_of(number: int) -> Sequence[Thing]:
            things, _ = await self._things_page(number)
            return things

        self._listed = await fetch_pages(
            things_of,
            first,
            None if total is None else math.ceil(total / PAGE_SIZE),
            lambda thing: thing.sim.iccid,
            page_size=PAGE_SIZE,
            limit=self._semaphore,
        )
        return list(self._listed.values())

    async def get_thing(self, iccid: str) -> Thing:
        """One Thing, with its current ``cas``."""
        response = await self._api.request(
            "GET", f"/thing/{thing_id(iccid)}", "get_thing"
        )
        return parse_thing(response.json())

    @override
    async def set_status(self, iccid: str, status: SimStatus) -> None:
        """Activate, suspend or retire; the platform refuses illegal changes (412)."""
        state = _SETTABLE_STATES.get(status)
        if state is None:
            raise UnsupportedOperationError(f"{self.provider}: set_status {status}")
        await self._api.request(
            "PUT",
            f"/thing/{thing_id(iccid)}/state/",
            "set_state",
            json_body={"state": state},
        )

    @override
    async def set_label(self, iccid: str, label: str) -> None:
        """Write the ``ThingTag`` (see :meth:`_update_thing`)."""
        await self._update_thing(iccid, {"ThingTag": label})

    @override
    async def set_imei_lock(self, iccid: str, *, locked: bool) -> bool | None:
        """Write ``LockMasterImei`` (see :meth:`_update_thing`), then read it back."""
        await self._update_thing(iccid, {"LockMasterImei": locked})
        return (await self.get_thing(iccid)).sim.imei_lock

    async def _update_thing(self, iccid: str, fields: Mapping[str, Any]) -> None:
        """Write ``fields`` with the Thing's ``cas``, retrying once on a conflict.

        A refused fresh ``cas`` (412) means another update slipped in between,
        so the Thing is read again; any other refusal is final.
        """
        try:
            await self._write_thing(iccid, fields)
        except InvalidRequestError as err:
            if err.status != HTTPStatus.PRECONDITION_FAILED:
                raise
            await self._write_thing(iccid, fields)

    @override
    async def get_sessions(self, iccids: Iterable[str]) -> dict[str, SimSession]:
        """Sessions in batches of ids, the location from the Things.

        The batches go one after the other, on one connection: a turn of a
        few batches minutes after the last finds its connections closed, and
        each concurrent request would open one of its own. SIMs the platform
        does not know are left out.
        """
        wanted = dict.fromkeys(iccids)
        ordered = list(wanted)
        if not ordered:
            return {}
        batches = [
            ordered[start : start + SESSION_BATCH_SIZE]
            for start in range(0, len(ordered), SESSION_BATCH_SIZE)
        ]
        answers = [await self._session_batch(batch) for batch in batches]
        # The location comes from the Things: those of the last list do, as
        # the SIM list is read far more often than sessions.
        if (by_iccid := self._listed) is None:
            by_iccid = {thing.sim.iccid: thing for thing in await self.list_things()}
        return {
            iccid: self._locate(session, by_iccid.get(iccid))
            for answer in answers
            for iccid, session in answer.items()
            if iccid in wanted
        }

    def _locate(self, session: SimSession, thing: Thing | None) -> SimSession:
        """:func:`located`, the same object again while neither input changed."""
        known = self._located.get(session.iccid)
        if known is not None and known[0] is session and known[1] is thing:
            return known[2]
        result = located(session, thing)
        self._located[session.iccid] = (session, thing, result)
        return result

    @override
    async def send_sms(
        self, iccid: str, message: str, *, dcs: int | None = None
    ) -> SmsResult:
        """Send one SMS part to an ACTIVE (or TEST_ACTIVE) Thing."""
        if dcs is not None:
            raise UnsupportedOperationError(f"{self.provider}: SMS data coding")
        self.sms_rules.check(message)
        response = await self._api.request(
            "POST",
            f"/thing/{thing_id(iccid)}/sms",
            "send_sms",
            json_body={"Message": message, "From": SMS_SENDER},
        )
        return parse_sms_answer(response)

    async def _write_thing(self, iccid: str, fields: Mapping[str, Any]) -> None:
        thing = await self.get_thing(iccid)
        if thing.cas is None:
            raise InvalidResponseError("KPN Thing: missing cas")
        await self._api.request(
            "PUT",
            f"/thing/{thing_id(iccid)}",
            "update_thing",
            json_body={**fields, "cas": thing.cas},
        )

    async def _things_page(
        self, number: int, *, page_size: int = PAGE_SIZE
    ) -> tuple[Sequence[Thing], int | None]:
        response = await self._api.request(
            "GET",
            "/things",
            "list_things",
            params={"page": number, "pageSize": page_size},
        )
        return parse_things_page(response, self._parsed, (number, page_size))

    async def _session_batch(self, iccids: list[str]) -> dict[str, SimSession]:
        async with self._semaphore:
            response = await self._api.request(
                "GET",
                "/thing/status",
                "session_status",
                params={"ThingIds": ",".join(thing_id(iccid) for iccid in iccids)},
            )
        # Keyed by the batch's first SIM: turns read the same batches again.
        _, sessions = self._session_pages.parse(iccids[0], response, _SESSIONS)
        return {session.iccid: session for session in sessions}
