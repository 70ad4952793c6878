"""T-Mobile NL IoT Easy Connect: the customer management API.

The provider's guide documents the paths, the token exchange and the SMS payloads
(send, delivery report, SMS MO). The resource shapes are inferred from the public
OpenAPI file of the API that shares these paths (1NCE's management API); each one
lives in a single parser below, so a correction is a one-line change:

- SIM, quota, daily usage and connectivity records take the OpenAPI field names;
- a quota's status is ``quota_status.id`` when the answer has one, otherwise it is
  derived from ``volume`` / ``total_volume`` by the documented 20 % threshold;
- ``subscriber_info.state`` ``ATTACHED`` / ``ONLINE`` means online, ``OFFLINE`` /
  ``DETACHED`` offline; other values (``not_provided_from_vlr``) are unknown;
- a top-up takes no volume: the provider adds the contract's package;
- the SMS gateway concatenates long messages (up to six parts is assumed).

Data volumes arrive in MB; this module counts 1 MB as 1,000,000 bytes, the decimal
megabyte, so a provider figure shown in MB stays the same number.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
import math
from typing import TYPE_CHECKING, Any, override
from urllib.parse import quote

from yarl import URL

from ._http import (
    DEFAULT_TIMEOUT,
    HttpClient,
    ProviderApi,
    Response,
    TokenAuthenticator,
)
from ._pages import ParsedPages
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
from .errors import AuthenticationError, InvalidResponseError
from .models import (
    AccountInfo,
    Capability,
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

if TYPE_CHECKING:
    import aiohttp

TMOBILE_URL = "https://api-easyconnect.iot.t-mobile.nl"
BASE_PATH = "/management-api"
TOKEN_PATH = "/oauth/token"  # noqa: S105 - a path, not a secret
SIMS_PATH = "/v1/sims"
PAGE_SIZE = 100
"""The largest page the SIM list serves."""
_SIM_LIST = list_of("T-Mobile SIM list")
MAX_PAGES = 1_000
"""The most pages (100,000 SIMs) a paging header is trusted with at once."""
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


@dataclass(frozen=True, slots=True)
class TokenAnswer:
    """The parts of the token answer this library uses."""

    access_token: str
    expires_in: float | None
    org_id: str | None
    user_id: str | None


def parse_token(data: Any) -> TokenAnswer:
    """Parse the answer of ``POST /oauth/token``."""
    token = as_mapping(data, "T-Mobile token")
    if str(token.get("token_type", "bearer")).lower() != "bearer":
        raise AuthenticationError("T-Mobile token: unexpected token type")
    return TokenAnswer(
        access_token=require_str(token, "access_token", "T-Mobile token"),
        expires_in=opt_float(token.get("expires_in")),
        org_id=opt_str(token.get("orgId")),
        user_id=opt_str(token.get("userId")),
    )


def parse_sim(data: Any) -> Sim:
    """Parse one ``SIM_card`` record."""
    sim = as_mapping(data, "T-Mobile SIM")
    raw_status = opt_str(sim.get("status"))
    return Sim(
        iccid=require_str(sim, "iccid", "T-Mobile SIM"),
        provider=Provider.TMOBILE_EASY_CONNECT,
        status=_STATUS_FROM_API.get(raw_status or "", SimStatus.UNKNOWN),
        raw_status=raw_status,
        name=opt_str(sim.get("label")),
        imsi=opt_str(sim.get("imsi")),
        msisdn=opt_str(sim.get("msisdn")),
        imei=opt_str(sim.get("imei")),
        ip_address=opt_str(sim.get("ip_address")),
        created_at=opt_datetime(sim.get("activation_date")),
    )


def sim_update_body(data: Any) -> dict[str, Any]:
    """Build the ``PUT /v1/sims/{iccid}`` body that keeps a SIM record as it is."""
    sim = as_mapping(data, "T-Mobile SIM")
    body: dict[str, Any] = {
        "iccid": require_str(sim, "iccid", "T-Mobile SIM"),
        "imei_lock": opt_bool(sim.get("imei_lock")) or False,
        "status": require_str(sim, "status", "T-Mobile SIM"),
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
    """Sum the daily ``stats`` of a usage answer; no days means nothing was used."""
    stats = [
        opt_mapping(day)
        for day in as_list(
            as_mapping(data, "T-Mobile usage").get("stats"), "T-Mobile usage stats"
        )
    ]
    return SimUsage(
        iccid=iccid,
        data_bytes=_bytes(_total(stats, "data", "volume")),
        sms_mo=_count(_total(stats, "sms", "volume_rx")),
        sms_mt=_count(_total(stats, "sms", "volume_tx")),
        period_start=period_start,
        period_end=period_end,
    )


def parse_quota(data_quota: Any, sms_quota: Any, *, iccid: str) -> SimQuota:
    """Combine the answers of ``quota/data`` (MB) and ``quota/sms`` (messages)."""
    data = as_mapping(data_quota, "T-Mobile data quota")
    sms = as_mapping(sms_quota, "T-Mobile SMS quota")
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


def parse_session(data: Any, *, iccid: str) -> SimSession:
    """Parse a ``connectivity_info`` answer.

    ``last_seen`` is the reply time less ``age_of_location`` (minutes).
    """
    info = as_mapping(data, "T-Mobile connectivity info")
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


def parse_sms_mo(data: Any) -> SmsReceived:
    """Parse an SMS MO the gateway POSTs; ``endpoint.name`` is the sender's ICCID."""
    what = "T-Mobile SMS MO"
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
    what = "T-Mobile delivery report"
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
    return math.fsum(present)


def _bytes(megabytes: float | None) -> int | None:
    return None if megabytes is None else round(megabytes * BYTES_PER_MB)


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


class TMobileAuth(TokenAuthenticator):
    """The OAuth2 client-credentials token of one portal user (Basic auth)."""

    default_lifetime = 240 * 60.0
    """The guide's 240 minutes, for an answer without ``expires_in``."""

    def __init__(self, http: HttpClient, username: str, password: str) -> None:
        """Fetch tokens through ``http`` (the ``/management-api`` base)."""
        super().__init__()
        self._http = http
        credentials = f"{username}:{password}".encode()
        self._authorization = f"Basic {base64.b64encode(credentials).decode('ascii')}"
        self.answer: TokenAnswer | None = None
        """The latest token answer: it names the organisation and the user."""

    @override
    async def _fetch_token(self) -> tuple[str, float | None]:
        response = await self._http.request(
            "POST",
            TOKEN_PATH,
            endpoint="token",
            form={"grant_type": "client_credentials"},
            headers={"Authorization": self._authorization},
        )
        self.answer = parse_token(response.json())
        return self.answer.access_token, self.answer.expires_in


class TMobileClient(SimClient):
    """An IoT Easy Connect account, reached with a portal user's credentials."""

    provider = Provider.TMOBILE_EASY_CONNECT
    capabilities = frozenset(
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
        }
    )
    sms_rules = SmsRules(max_parts=6)
    """Concatenation is inferred (the API has a ``udh`` field); six parts assumed."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        username: str,
        password: str,
        *,
        url: str = TMOBILE_URL,
        timeout: aiohttp.ClientTimeout | None = None,
    ) -> None:
        """Talk to ``url`` (an origin; ``/management-api`` is appended)."""
        super().__init__()
        self._http = HttpClient(
            session, url.rstrip("/") + BASE_PATH, timeout=timeout or DEFAULT_TIMEOUT
        )
        self._auth = TMobileAuth(self._http, username, password)
        self._api = ProviderApi(self._http, self._auth)
        self._parsed = ParsedPages(parse_sim)

    def __repr__(self) -> str:
        """Show where it talks to, never the credentials."""
        return f"<TMobileClient {self._http.base_url}>"

    async def get_account(self) -> AccountInfo:
        """Authenticate, prove API access, and name the organisation (``orgId``)."""
        await self._api.request(
            "GET", SIMS_PATH, "list_sims", params={"page": 1, "pageSize": 1}
        )
        answer = self._auth.answer
        if answer is None or answer.org_id is None:
            raise InvalidResponseError("T-Mobile token: missing orgId")
        extra = {"user_id": answer.user_id} if answer.user_id is not None else {}
        return AccountInfo(account_id=answer.org_id, extra=extra)

    async def list_sims(self) -> list[Sim]:
        """Every SIM: page 1, then the remaining pages concurrently.

        A page count beyond :data:`MAX_PAGES` is not trusted: those pages are
        read one by one until a short page.
        """
        first, headers = await self._sim_page(1)
        pages = _page_count(headers, len(first))
        if pages <= MAX_PAGES:
            rest = await asyncio.gather(
                *(self._bounded_sim_page(page) for page in range(2, pages + 1))
            )
        else:
            rest = await self._following_pages(first)
        sims = (sim for batch in (first, *rest) for sim in batch)
        return list({sim.iccid: sim for sim in sims}.values())

    async def _following_pages(self, first: Sequence[Sim]) -> list[Sequence[Sim]]:
        """The pages after ``first``, one by one until a short or a known one."""
        seen = {sim.iccid for sim in first}
        pages: list[Sequence[Sim]] = []
        number, page = 1, first
        while len(page) >= PAGE_SIZE:
            number += 1
            page, _ = await self._sim_page(number)
            new = {sim.iccid for sim in page} - seen
            if not new:
                # A server that ignores ``page`` would otherwise be walked forever.
                break
            seen |= new
            pages.append(page)
        return pages

    async def _sim_page(self, page: int) -> tuple[Sequence[Sim], Mapping[str, str]]:
        response = await self._api.request(
            "GET", SIMS_PATH, "list_sims", params={"page": page, "pageSize": PAGE_SIZE}
        )
        _, sims = self._parsed.parse(page, response, _SIM_LIST)
        return sims, response.headers

    async def _bounded_sim_page(self, page: int) -> Sequence[Sim]:
        async with self._semaphore:
            sims, _ = await self._sim_page(page)
            return sims

    async def get_sim(self, iccid: str) -> Sim:
        """One SIM."""
        return parse_sim(
            (await self._api.request("GET", _sim_path(iccid), "get_sim")).json()
        )

    async def set_status(self, iccid: str, status: SimStatus) -> None:
        """Enable (ACTIVE) or disable (SUSPENDED) a SIM."""
        api_status = _STATUS_TO_API.get(status)
        if api_status is None:
            raise UnsupportedOperationError(f"T-Mobile cannot make a SIM {status}")
        await self._update_sim(iccid, status=api_status)

    async def set_label(self, iccid: str, label: str) -> None:
        """Change a SIM's label."""
        await self._update_sim(iccid, label=label)

    async def _update_sim(
        self, iccid: str, *, status: str | None = None, label: str | None = None
    ) -> None:
        """PUT the SIM's current values with the given ones changed."""
        body = sim_update_body(
            (await self._api.request("GET", _sim_path(iccid), "get_sim")).json()
        )
        if status is not None:
            body["status"] = status
        if label is not None:
            body["label"] = label
        await self._api.request("PUT", _sim_path(iccid), "update_sim", json_body=body)

    async def get_usage(self, iccid: str) -> SimUsage:
        """Sum this calendar month's daily records (UTC dates)."""
        end = datetime.now(UTC).date()
        start = end.replace(day=1)
        response = await self._api.request(
            "GET",
            _sim_path(iccid, "/usage"),
            "usage",
            params={"start_dt": start.isoformat(), "end_dt": end.isoformat()},
        )
        return parse_usage(
            response.json(), iccid=iccid, period_start=start, period_end=end
        )

    async def get_quota(self, iccid: str) -> SimQuota:
        """Fetch the data and the SMS quota together."""
        data, sms = await asyncio.gather(
            self._api.request("GET", _sim_path(iccid, "/quota/data"), "quota_data"),
            self._api.request("GET", _sim_path(iccid, "/quota/sms"), "quota_sms"),
        )
        return parse_quota(data.json(), sms.json(), iccid=iccid)

    async def get_session(self, iccid: str) -> SimSession:
        """Whether and where the SIM is attached."""
        response = await self._api.request(
            "GET", _sim_path(iccid, "/connectivity_info"), "connectivity_info"
        )
        return parse_session(response.json(), iccid=iccid)

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

    async def reset_connectivity(self, iccid: str) -> None:
        """Queue a network re-attach."""
        await self._api.request("POST", _sim_path(iccid, "/reset"), "reset")

    async def top_up(self, iccid: str) -> None:
        """Order a data top-up: the API takes no volume, the contract's package is added."""
        await self._api.request("POST", _sim_path(iccid, "/topup"), "top_up")


def _page_count(headers: Mapping[str, str], first_page_size: int) -> int:
    """Pages of the SIM list, from ``X-Total-Pages`` or ``X-Total-Count``."""
    if (pages := opt_int(headers.get("X-Total-Pages"))) is not None:
        return pages
    if (total := opt_int(headers.get("X-Total-Count"))) is not None:
        return math.ceil(total / PAGE_SIZE)
    if first_page_size < PAGE_SIZE:
        return 1
    raise InvalidResponseError("T-Mobile SIM list: a full page without paging headers")
