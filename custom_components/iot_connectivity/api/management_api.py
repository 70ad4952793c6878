"""The management API of T-Mobile IoT Easy Connect and 1NCE: one client, two operators.

T-Mobile NL IoT Easy Connect runs on the management API that 1NCE publishes: the
same paths, the same token request, the same fields. :class:`ManagementApiClient`
talks to either; an :class:`Operator` (:data:`TMOBILE`, :data:`ONENCE`) sets the
address, the token request, how the account is identified, where the network
session is read, the SMS rules and the quirks.

T-Mobile's guide documents the paths, the token exchange and the SMS payloads
(send, delivery report, SMS MO). The resource shapes are inferred from the public
OpenAPI file of the same API (1NCE's); each one lives in a single parser below,
so a correction is a one-line change:

- SIM, quota, daily usage and connectivity records take the OpenAPI field names;
- a quota's status is ``quota_status.id`` when the answer has one, otherwise it is
  derived from ``volume`` / ``total_volume`` by the documented 20 % threshold;
- ``subscriber_info.state`` ``ATTACHED`` / ``ONLINE`` means online, ``OFFLINE`` /
  ``DETACHED`` offline; other values (``not_provided_from_vlr``) are unknown;
- a top-up takes no volume: the provider adds the contract's package;
- T-Mobile's SMS gateway concatenates long messages (up to six parts is assumed).

1NCE, CONFIRMED by its published OpenAPI files and documentation (sources in
``docs/providers.md``):

- the base is ``https://api.1nce.com/management-api``; ``POST /oauth/token`` takes
  HTTP Basic auth and the JSON body ``{"grant_type": "client_credentials"}``; its
  answer has no ``orgId``;
- refused credentials answer 400 ``BadCredentials`` (an older edition:
  ``CognitoAuthenticationError``), a missing username or password 400
  ``AuthValidationError``;
- an API user's username starts with the account number and an underscore;
- quota answers carry no ``quota_status``;
- ``GET /v1/sims/{iccid}/status`` says ``ONLINE`` / ``ATTACHED`` / ``OFFLINE`` and
  names the operator and country; ``connectivity_info`` answers on 2G/3G only;
- one ``POST /v1/sims/{iccid}/sms`` is one SMS part: 160 GSM-7 or 70 UCS-2
  characters;
- reset and top-up are T-Mobile's requests; a 1NCE top-up is a paid order of
  500 MB and 250 SMS;
- pushed SMS MO and delivery reports carry numbers where T-Mobile's carry strings.

1NCE, INFERRED:

- the account id is the username's leading number when it is followed by an
  underscore, else the lower-cased username (an owner's e-mail login);
- a wrong password of an existing user is refused as an unknown user is;
- ``ONLINE`` and ``ATTACHED`` both mean online; ``last_seen`` is the later of
  ``location.last_updated`` and ``location.last_updated_gprs``;
- the ``/v1`` paths serve every account (1NCE also publishes ``/v2`` ones);
- 1NCE's MB is the decimal one as well (its v2 file counts 1,024 kB to the MB).

Data volumes arrive in MB; this module counts 1 MB as 1,000,000 bytes, the decimal
megabyte, so a provider figure shown in MB stays the same number.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from functools import partial
import math
import re
from typing import Any, override
from urllib.parse import quote

import aiohttp
from yarl import URL

from ._http import (
    DEFAULT_TIMEOUT,
    HttpClient,
    ProviderApi,
    Response,
    TokenAuthenticator,
)
from ._pages import ParsedPages, fetch_pages
from ._parse import (
    as_list,
    as_mapping,
    list_of,
    opt_bool,
    opt_datetime,
    opt_float,
    opt_int,
    opt_mapping,
    opt_str,
    require_str,
)
from .base import SimClient, UnsupportedOperationError
from .errors import AuthenticationError, InvalidRequestError, InvalidResponseError
from .models import (
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
    SmsResult,
)
from .sms import SmsEncoding, SmsRules, SmsValidationError

TMOBILE_URL = "https://api-easyconnect.iot.t-mobile.nl"
ONENCE_URL = "https://api.1nce.com"
BASE_PATH = "/management-api"
TOKEN_PATH = "/oauth/token"  # noqa: S105 - a path, not a secret
SIMS_PATH = "/v1/sims"
PAGE_SIZE = 100
"""The largest page the SIM list serves."""
EVENT_PAGE_SIZE = 20
"""Network events one read asks for, the newest first."""
_SIM_LIST = list_of("Management API SIM list")
BYTES_PER_MB = 1_000_000
LOW_QUOTA_SHARE = 0.2
"""Below this share of its total a quota is low (``quota_status.id`` 1)."""
DCS_UCS2 = 8

_STATUS_FROM_API = {"Enabled": SimStatus.ACTIVE, "Disabled": SimStatus.SUSPENDED}
_STATUS_TO_API = {status: raw for raw, status in _STATUS_FROM_API.items()}
_QUOTA_STATUS = {0: QuotaStatus.OK, 1: QuotaStatus.LOW, 2: QuotaStatus.EXHAUSTED}
_ONLINE_BY_STATE = {
    "ATTACHED": True,
    "ONLINE": True,
    "OFFLINE": False,
    "DETACHED": False,
}
_ENCODING_BY_DCS: dict[int, SmsEncoding | None] = {
    0: SmsEncoding.GSM7,
    4: None,
    DCS_UCS2: SmsEncoding.UCS2,
}
"""Data coding schemes the API takes; 8-bit data (4) is checked as text."""
_ACCOUNT_NUMBER = re.compile(r"(\d+)_")
"""The account number an API user's name starts with (``12345678_name``)."""


@dataclass(frozen=True, slots=True)
class TokenAnswer:
    """The parts of the token answer this library uses."""

    access_token: str
    expires_in: float | None
    org_id: str | None
    user_id: str | None


def parse_token(data: Any) -> TokenAnswer:
    """Parse the answer of ``POST /oauth/token``."""
    token = as_mapping(data, "Management API token")
    if str(token.get("token_type", "bearer")).lower() != "bearer":
        raise AuthenticationError("Management API token: unexpected token type")
    return TokenAnswer(
        access_token=require_str(token, "access_token", "Management API token"),
        expires_in=opt_float(token.get("expires_in")),
        org_id=opt_str(token.get("orgId")),
        user_id=opt_str(token.get("userId")),
    )


def parse_sim(data: Any, provider: Provider) -> Sim:
    """Parse one ``SIM_card`` record of ``provider``'s API."""
    sim = as_mapping(data, "Management API SIM")
    raw_status = opt_str(sim.get("status"))
    return Sim(
        iccid=require_str(sim, "iccid", "Management API SIM"),
        provider=provider,
        status=_STATUS_FROM_API.get(raw_status or "", SimStatus.UNKNOWN),
        raw_status=raw_status,
        name=opt_str(sim.get("label")),
        imsi=opt_str(sim.get("imsi")),
        msisdn=opt_str(sim.get("msisdn")),
        imei=opt_str(sim.get("imei")),
        imei_lock=opt_bool(sim.get("imei_lock")),
        ip_address=opt_str(sim.get("ip_address")),
        created_at=opt_datetime(sim.get("activation_date")),
    )


def sim_update_body(data: Any) -> dict[str, Any]:
    """Build the ``PUT /v1/sims/{iccid}`` body that keeps a SIM record as it is."""
    sim = as_mapping(data, "Management API SIM")
    body: dict[str, Any] = {
        "iccid": require_str(sim, "iccid", "Management API SIM"),
        "imei_lock": opt_bool(sim.get("imei_lock")) or False,
        "status": require_str(sim, "status", "Management API SIM"),
    }
    if (label := opt_str(sim.get("label"))) is not None:
        body["label"] = label
    return body


def parse_usage(
    data: Any,
    *,
    iccid: str,
    period_start: date | None = None,
    period_end: date | None = None,
) -> SimUsage:
    """Sum the daily ``stats`` of a usage answer; no days means nothing was used.

    Days before ``period_start`` (a read that back-fills history) are kept in
    ``days`` but left out of the totals.
    """
    days = [
        opt_mapping(day)
        for day in as_list(
            as_mapping(data, "Management API usage").get("stats"),
            "Management API usage stats",
        )
    ]
    dated = [(_day(day), day) for day in days]
    stats = [
        day
        for moment, day in dated
        if period_start is None or moment is None or moment >= period_start
    ]
    return SimUsage(
        iccid=iccid,
        data_bytes=_bytes(_total(stats, "data", "volume")),
        sms_mo=_count(_total(stats, "sms", "volume_rx")),
        sms_mt=_count(_total(stats, "sms", "volume_tx")),
        period_start=period_start,
        period_end=period_end,
        days=tuple(
            sorted(
                (
                    DayUsage(
                        day=moment,
                        data_bytes=_bytes(_total([day], "data", "volume")),
                        sms=_count(_total([day], "sms", "volume")),
                    )
                    for moment, day in dated
                    if moment is not None
                ),
                key=lambda usage: usage.day,
            )
        ),
    )


def _day(day: Mapping[str, Any]) -> date | None:
    """The (UTC) date of a ``stats`` entry: ``date`` is midnight of that day."""
    value = opt_str(day.get("date"))
    if value is None:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def parse_events(data: Any) -> list[NetworkEvent]:
    """Parse an ``events`` answer, oldest first; entries without a time are skipped."""
    what = "Management API events"
    events: list[NetworkEvent] = []
    for raw in as_list(as_mapping(data, what).get("events"), f"{what} list"):
        event = opt_mapping(raw)
        moment = opt_datetime(event.get("timestamp"))
        if moment is None:
            continue
        events.append(
            NetworkEvent(
                timestamp=moment,
                description=_text(event.get("event_type")) or "",
                severity=_text(event.get("event_severity")),
                alert=opt_bool(event.get("alert")) or False,
                country=_name(event.get("country")),
                operator=_name(event.get("operator")),
                imei=opt_str(event.get("imei")),
            )
        )
    return sorted(events, key=lambda event: (event.timestamp, event.description))


def parse_quota(data_quota: Any, sms_quota: Any, *, iccid: str) -> SimQuota:
    """Combine the answers of ``quota/data`` (MB) and ``quota/sms`` (messages)."""
    data = as_mapping(data_quota, "Management API data quota")
    sms = as_mapping(sms_quota, "Management API SMS quota")
    return SimQuota(
        iccid=iccid,
        data_left_bytes=_bytes(opt_float(data.get("volume"))),
        data_total_bytes=_bytes(opt_float(data.get("total_volume"))),
        data_status=_quota_status(data),
        data_expiry=opt_datetime(data.get("expiry_date")),
        sms_left=_count(opt_float(sms.get("volume"))),
        sms_total=_count(opt_float(sms.get("total_volume"))),
        sms_status=_quota_status(sms),
        sms_expiry=opt_datetime(sms.get("expiry_date")),
    )


def parse_session(data: Any, iccid: str) -> SimSession:
    """Parse a ``connectivity_info`` answer.

    ``last_seen`` is the reply time less ``age_of_location`` (minutes).
    """
    info = as_mapping(data, "Management API connectivity info")
    subscriber = opt_mapping(info.get("subscriber_info"))
    location = opt_mapping(subscriber.get("location"))
    state = (opt_str(subscriber.get("state")) or "").upper()
    answered = opt_bool(subscriber.get("success")) is not False
    replied = opt_datetime(info.get("reply_timestamp"))
    age = opt_float(location.get("age_of_location"))
    return SimSession(
        iccid=iccid,
        online=_ONLINE_BY_STATE.get(state) if answered else None,
        operator=_name(location.get("operator")),
        country=_name(location.get("country")),
        last_seen=_minutes_before(replied, age),
    )


def parse_status_session(data: Any, iccid: str) -> SimSession:
    """Parse a ``GET /v1/sims/{iccid}/status`` answer (1NCE's ``Connectivity``).

    ``ONLINE`` (a data session) and ``ATTACHED`` (none) are both online;
    ``last_seen`` is the later of the location updates of the circuit- and
    the packet-switched network.
    """
    answer = as_mapping(data, "Management API SIM status")
    location = opt_mapping(answer.get("location"))
    pdp_context = opt_mapping(answer.get("pdp_context"))
    updates = [
        moment
        for key in ("last_updated", "last_updated_gprs")
        if (moment := opt_datetime(location.get(key))) is not None
    ]
    return SimSession(
        iccid=iccid,
        online=_ONLINE_BY_STATE.get((opt_str(answer.get("status")) or "").upper()),
        operator=_name(location.get("operator")),
        country=_name(location.get("country")),
        rat=opt_str(opt_mapping(pdp_context.get("rat_type")).get("description")),
        ip_address=opt_str(pdp_context.get("ue_ip_address")),
        last_seen=max(updates, default=None),
    )


def parse_sms_mo(data: Any) -> SmsReceived:
    """Parse an SMS MO the gateway POSTs; ``endpoint.name`` is the sender's ICCID.

    T-Mobile sends the values as strings, 1NCE as numbers: both are read.
    """
    what = "Management API SMS MO"
    sms = as_mapping(data, what)
    text = sms.get("payload")
    if not isinstance(text, str):
        raise InvalidResponseError(f"{what}: missing payload")
    return SmsReceived(
        id=require_str(sms, "id", what),
        iccid=require_str(opt_mapping(sms.get("endpoint")), "name", f"{what} endpoint"),
        text=text,
        source_address=opt_str(sms.get("source_address")),
        dest_address=opt_str(sms.get("dest_address")),
        dcs=opt_str(sms.get("dcs")),
        submitted_at=opt_datetime(sms.get("submit_date")),
        multipart=_multipart(sms.get("multi_part_info")),
    )


def parse_delivery_report(data: Any) -> SmsDeliveryReport:
    """Parse the delivery report the gateway PATCHes for an SMS MT."""
    what = "Management API delivery report"
    report = as_mapping(data, what)
    status = opt_mapping(report.get("status"))
    return SmsDeliveryReport(
        id=require_str(report, "id", what),
        iccid=opt_str(opt_mapping(report.get("endpoint")).get("name")),
        status=require_str(status, "status", f"{what} status"),
        status_id=opt_str(status.get("id")),
        submitted_at=opt_datetime(report.get("submit_date")),
        final_at=opt_datetime(report.get("final_date")),
    )


def organisation_account(answer: TokenAnswer | None, username: str) -> AccountInfo:
    """The organisation the token answer names (``orgId``): T-Mobile's account."""
    if answer is None or answer.org_id is None:
        raise InvalidResponseError("Management API token: missing orgId")
    extra = {"user_id": answer.user_id} if answer.user_id is not None else {}
    return AccountInfo(account_id=answer.org_id, extra=extra)


def api_user_account(answer: TokenAnswer | None, username: str) -> AccountInfo:
    """The account number an API user's name starts with: 1NCE's account.

    1NCE's token answer names no organisation. An owner signs in with an
    e-mail address, which holds no number: the lower-cased username stands in.
    """
    number = _ACCOUNT_NUMBER.match(username)
    account_id = number.group(1) if number else username.lower()
    return AccountInfo(account_id=account_id, name=username)


def _minutes_before(moment: datetime | None, minutes: float | None) -> datetime | None:
    """``moment`` less ``minutes``; None when either is missing or out of range."""
    if moment is None or minutes is None:
        return None
    try:
        return moment - timedelta(minutes=minutes)
    except OverflowError:
        return None


def _total(stats: list[Mapping[str, Any]], section: str, key: str) -> float | None:
    """Sum one volume over the days; None when days exist but none has it."""
    values = [opt_float(opt_mapping(day.get(section)).get(key)) for day in stats]
    present = [value for value in values if value is not None]
    if stats and not present:
        return None
    try:
        return math.fsum(present)
    except OverflowError:  # no count of this world
        return None


def _bytes(megabytes: float | None) -> int | None:
    if megabytes is None or not math.isfinite(megabytes * BYTES_PER_MB):
        return None
    return round(megabytes * BYTES_PER_MB)


def _count(value: float | None) -> int | None:
    return None if value is None else round(value)


def _quota_status(quota: Mapping[str, Any]) -> QuotaStatus:
    status_id = opt_int(opt_mapping(quota.get("quota_status")).get("id"))
    if status_id is not None:
        return _QUOTA_STATUS.get(status_id, QuotaStatus.UNKNOWN)
    left, total = opt_float(quota.get("volume")), opt_float(quota.get("total_volume"))
    if left is None:
        return QuotaStatus.UNKNOWN
    if left <= 0:
        return QuotaStatus.EXHAUSTED
    if total is None or total <= 0:
        return QuotaStatus.UNKNOWN
    return QuotaStatus.LOW if left < LOW_QUOTA_SHARE * total else QuotaStatus.OK


def _name(value: Any) -> str | None:
    """Read a name given as text or as an object with ``name``."""
    if isinstance(value, Mapping):
        return opt_str(value.get("name"))
    return opt_str(value)


def _text(value: Any) -> str | None:
    """Read text given as such or as an object with ``description`` (1NCE)."""
    if isinstance(value, Mapping):
        return opt_str(value.get("description")) or opt_str(value.get("name"))
    return opt_str(value)


def _multipart(value: Any) -> SmsMultipart | None:
    info = opt_mapping(value)
    part, total = opt_int(info.get("partno")), opt_int(info.get("total"))
    identifier = opt_str(info.get("identifier"))
    if part is None or total is None or identifier is None:
        return None
    return SmsMultipart(part=part, total=total, identifier=identifier)


def _created_id(response: Response) -> str | None:
    """Find a created resource's id: ``id`` in the body, else the ``Location`` tail."""
    body: Any = None
    if response.body.strip():
        try:
            body = response.json()
        except InvalidResponseError:
            body = None
    if (found := opt_str(opt_mapping(body).get("id"))) is not None:
        return found
    location = response.headers.get("Location")
    return (URL(location).name or None) if location else None


def _sim_path(iccid: str, resource: str = "") -> str:
    return f"{SIMS_PATH}/{quote(iccid, safe='')}{resource}"


class TokenRequest(StrEnum):
    """How the token request carries its grant."""

    FORM = "form"
    JSON = "json"


@dataclass(frozen=True, slots=True)
class SessionSource:
    """Where an operator reports a SIM's network session, and how to read it."""

    path: str
    """Below ``/v1/sims/{iccid}``."""
    endpoint: str
    """The request's name, for counting."""
    parse: Callable[[Any, str], SimSession]
    """Reads the answer for the SIM with the given ICCID."""


CONNECTIVITY_INFO = SessionSource(
    "/connectivity_info", "connectivity_info", parse_session
)
SIM_STATUS = SessionSource("/status", "status", parse_status_session)


@dataclass(frozen=True, slots=True, kw_only=True)
class Operator:
    """One operator of the management API: where it is and what it does its own way."""

    provider: Provider
    url: str
    """The production origin; ``/management-api`` is appended."""
    token_path: str = TOKEN_PATH
    """Below ``/management-api``."""
    token_request: TokenRequest
    token_lifetime: float
    """Seconds a token lasts when the answer has no ``expires_in``."""
    account_of: Callable[[TokenAnswer | None, str], AccountInfo]
    """The account, from the latest token answer and the username."""
    refused_credentials: frozenset[str] = frozenset()
    """``errorCode`` values of a 400 token answer that refuse the credentials."""
    session: SessionSource
    sms_rules: SmsRules
    capabilities: frozenset[Capability]


CAPABILITIES = frozenset(
    {
        Capability.SET_STATUS,
        Capability.LABEL,
        Capability.USAGE,
        Capability.QUOTA,
        Capability.SESSION,
        Capability.SMS,
        Capability.SMS_DCS,
        Capability.RESET,
        Capability.TOP_UP,
        Capability.IMEI,
        Capability.IMEI_LOCK,
        Capability.DAILY_USAGE,
        Capability.NETWORK_EVENTS,
    }
)
"""What both operators' APIs can do."""

TMOBILE = Operator(
    provider=Provider.TMOBILE_EASY_CONNECT,
    url=TMOBILE_URL,
    token_request=TokenRequest.FORM,
    # The guide's 240 minutes.
    token_lifetime=240 * 60.0,
    account_of=organisation_account,
    session=CONNECTIVITY_INFO,
    # Concatenation is inferred (the API has a ``udh`` field); six parts assumed.
    sms_rules=SmsRules(max_parts=6),
    capabilities=CAPABILITIES,
)
"""T-Mobile NL IoT Easy Connect: a portal user with the API-Access role."""

ONENCE = Operator(
    provider=Provider.ONENCE,
    url=ONENCE_URL,
    token_request=TokenRequest.JSON,
    token_lifetime=3600.0,
    account_of=api_user_account,
    refused_credentials=frozenset(
        {"BadCredentials", "CognitoAuthenticationError", "AuthValidationError"}
    ),
    session=SIM_STATUS,
    # The caller would have to split longer messages into one request per part.
    sms_rules=SmsRules(max_parts=1),
    capabilities=CAPABILITIES,
)
"""1NCE: a portal API user (or the owner), the username carrying the account."""


class ManagementApiAuth(TokenAuthenticator):
    """The OAuth2 client-credentials token of one user (Basic auth)."""

    def __init__(
        self, http: HttpClient, operator: Operator, username: str, password: str
    ) -> None:
        """Fetch tokens through ``http`` (the ``/management-api`` base)."""
        super().__init__()
        self._http = http
        self._operator = operator
        self.username = username
        self._password = password
        self.default_lifetime = operator.token_lifetime
        self.answer: TokenAnswer | None = None
        """The latest token answer (T-Mobile's names the organisation)."""

    @override
    async def _fetch_token(self) -> tuple[str, float | None]:
        try:
            authorization = aiohttp.encode_basic_auth(self.username, self._password)
        except ValueError as err:
            raise AuthenticationError("A username may not contain ':'") from err
        grant = {"grant_type": "client_credentials"}
        as_json = self._operator.token_request is TokenRequest.JSON
        try:
            response = await self._http.request(
                "POST",
                self._operator.token_path,
                endpoint="token",
                json_body=grant if as_json else None,
                form=None if as_json else grant,
                headers={"Authorization": authorization},
            )
        except InvalidRequestError as err:
            if err.provider_code not in self._operator.refused_credentials:
                raise
            raise AuthenticationError(
                f"token: credentials refused ({err.provider_code})", status=err.status
            ) from err
        self.answer = parse_token(response.json())
        return self.answer.access_token, self.answer.expires_in


class ManagementApiClient(SimClient):
    """An account on one operator's management API, by a user's credentials."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        username: str,
        password: str,
        *,
        operator: Operator,
        url: str | None = None,
        timeout: aiohttp.ClientTimeout | None = None,
    ) -> None:
        """Talk to ``url`` (an origin, the operator's by default)."""
        super().__init__()
        self.operator = operator
        self.provider = operator.provider
        self.capabilities = operator.capabilities
        self.sms_rules = operator.sms_rules
        origin = (url or operator.url).rstrip("/")
        self._http = HttpClient(
            session, origin + BASE_PATH, timeout=timeout or DEFAULT_TIMEOUT
        )
        self._auth = ManagementApiAuth(self._http, operator, username, password)
        self._api = ProviderApi(self._http, self._auth)
        self._parsed = ParsedPages(partial(parse_sim, provider=operator.provider))

    def __repr__(self) -> str:
        """Show the operator and where it talks to, never the credentials."""
        return f"<ManagementApiClient {self.provider} {self._http.base_url}>"

    @override
    async def get_account(self) -> AccountInfo:
        """Authenticate, prove API access, and identify the account."""
        await self._api.request(
            "GET", SIMS_PATH, "list_sims", params={"page": 1, "pageSize": 1}
        )
        return self.operator.account_of(self._auth.answer, self._auth.username)

    @override
    async def list_sims(self) -> list[Sim]:
        """Every SIM: page 1, then the pages its headers count (see fetch_pages)."""
        first, headers = await self._sim_page(1)

        async def sims_of(page: int) -> Sequence[Sim]:
            sims, _ = await self._sim_page(page)
            return sims

        sims = await fetch_pages(
            sims_of,
            first,
            _page_count(headers, len(first)),
            lambda sim: sim.iccid,
            page_size=PAGE_SIZE,
            limit=self._semaphore,
        )
        return list(sims.values())

    async def _sim_page(self, page: int) -> tuple[Sequence[Sim], Mapping[str, str]]:
        response = await self._api.request(
            "GET", SIMS_PATH, "list_sims", params={"page": page, "pageSize": PAGE_SIZE}
        )
        _, sims = self._parsed.parse(page, response, _SIM_LIST)
        return sims, response.headers

    @override
    async def set_status(self, iccid: str, status: SimStatus) -> None:
        """Enable (ACTIVE) or disable (SUSPENDED) a SIM."""
        api_status = _STATUS_TO_API.get(status)
        if api_status is None:
            raise UnsupportedOperationError(f"{self.provider}: set_status {status}")
        await self._update_sim(iccid, status=api_status)

    @override
    async def set_label(self, iccid: str, label: str) -> None:
        """Change a SIM's label."""
        await self._update_sim(iccid, label=label)

    @override
    async def set_imei_lock(self, iccid: str, *, locked: bool) -> bool | None:
        """PUT ``imei_lock``, then read the SIM again: the lock it reports now."""
        await self._update_sim(iccid, imei_lock=locked)
        return (await self.get_sim(iccid)).imei_lock

    async def get_sim(self, iccid: str) -> Sim:
        """One SIM as ``GET /v1/sims/{iccid}`` reports it."""
        response = await self._api.request("GET", _sim_path(iccid), "get_sim")
        return parse_sim(response.json(), self.provider)

    async def _update_sim(
        self,
        iccid: str,
        *,
        status: str | None = None,
        label: str | None = None,
        imei_lock: bool | None = None,
    ) -> None:
        """PUT the SIM's current values with the given ones changed."""
        body = sim_update_body(
            (await self._api.request("GET", _sim_path(iccid), "get_sim")).json()
        )
        if status is not None:
            body["status"] = status
        if label is not None:
            body["label"] = label
        if imei_lock is not None:
            body["imei_lock"] = imei_lock
        await self._api.request("PUT", _sim_path(iccid), "update_sim", json_body=body)

    @override
    async def get_usage(self, iccid: str) -> SimUsage:
        """Sum this calendar month's daily records (UTC dates)."""
        return await self.get_daily_usage(
            iccid, datetime.now(UTC).date().replace(day=1)
        )

    @override
    async def get_daily_usage(self, iccid: str, since: date) -> SimUsage:
        """Sum the current calendar month, and keep the daily records from ``since`` on.

        One request, whatever the range: the totals count this month's days only.
        """
        end = datetime.now(UTC).date()
        start = end.replace(day=1)
        response = await self._api.request(
            "GET",
            _sim_path(iccid, "/usage"),
            "usage",
            params={
                "start_dt": min(since, start).isoformat(),
                "end_dt": end.isoformat(),
            },
        )
        return parse_usage(
            response.json(), iccid=iccid, period_start=start, period_end=end
        )

    @override
    async def get_events(self, iccid: str) -> list[NetworkEvent]:
        """The latest page of the SIM's network events, newest first by ``sort``."""
        response = await self._api.request(
            "GET",
            _sim_path(iccid, "/events"),
            "events",
            params={"page": 1, "pageSize": EVENT_PAGE_SIZE, "sort": "-timestamp"},
        )
        return parse_events(response.json())

    @override
    async def get_quota(self, iccid: str) -> SimQuota:
        """Fetch the data and the SMS quota together."""
        data, sms = await asyncio.gather(
            self._api.request("GET", _sim_path(iccid, "/quota/data"), "quota_data"),
            self._api.request("GET", _sim_path(iccid, "/quota/sms"), "quota_sms"),
        )
        return parse_quota(data.json(), sms.json(), iccid=iccid)

    @override
    async def get_sessions(self, iccids: Iterable[str]) -> dict[str, SimSession]:
        """One request per SIM, a few at a time."""
        return await self.gather_by_iccid(iccids, self.get_session)

    async def get_session(self, iccid: str) -> SimSession:
        """Whether and where the SIM is attached, from the operator's session source."""
        source = self.operator.session
        response = await self._api.request(
            "GET", _sim_path(iccid, source.path), source.endpoint
        )
        return source.parse(response.json(), iccid)

    @override
    async def send_sms(
        self, iccid: str, message: str, *, dcs: int | None = None
    ) -> SmsResult:
        """Send an SMS MT; without ``dcs``, text GSM-7 cannot carry goes as UCS-2."""
        if dcs is not None and dcs not in _ENCODING_BY_DCS:
            raise SmsValidationError(
                "encoding", f"Unsupported data coding scheme {dcs}"
            )
        info = self.sms_rules.check(
            message, _ENCODING_BY_DCS.get(dcs) if dcs is not None else None
        )
        if dcs is None and info.encoding is SmsEncoding.UCS2:
            dcs = DCS_UCS2
        body: dict[str, Any] = {"payload": message}
        if dcs is not None:
            body["dcs"] = dcs
        response = await self._api.request(
            "POST", _sim_path(iccid, "/sms"), "send_sms", json_body=body
        )
        return SmsResult(message_id=_created_id(response))

    @override
    async def reset_connectivity(self, iccid: str) -> None:
        """Queue a network re-attach."""
        await self._api.request("POST", _sim_path(iccid, "/reset"), "reset")

    @override
    async def top_up(self, iccid: str) -> None:
        """Order a top-up: the API takes no volume, the contract's package is added."""
        await self._api.request("POST", _sim_path(iccid, "/topup"), "top_up")


def _page_count(headers: Mapping[str, str], first_page_size: int) -> int:
    """Pages of the SIM list, from ``X-Total-Pages`` or ``X-Total-Count``."""
    if (pages := opt_int(headers.get("X-Total-Pages"))) is not None:
        return pages
    if (total := opt_int(headers.get("X-Total-Count"))) is not None:
        return math.ceil(total / PAGE_SIZE)
    if first_page_size < PAGE_SIZE:
        return 1
    raise InvalidResponseError(
        "Management API SIM list: a full page without paging headers"
    )
