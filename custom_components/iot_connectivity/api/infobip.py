"""Infobip IoT SIM management (``/iot/1`` and ``/iot/2``).

Authentication is either HTTP Basic (username and password) or Infobip's API-key
scheme, ``Authorization: App <key>``; the one given is sent with every request (there is
no token). Accounts often have a personal base URL (``https://<id>.api.infobip.com``)
besides the generic ``https://api.infobip.com``.
"""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime
import hashlib
import logging
from typing import TYPE_CHECKING, Any, override
from urllib.parse import quote

import aiohttp
from yarl import URL

from ._http import DEFAULT_TIMEOUT, Authenticator, HttpClient, ProviderApi, Response
from ._pages import ParsedPages, walk_pages
from ._parse import (
    as_list,
    as_mapping,
    list_of,
    opt_datetime,
    opt_int,
    opt_mapping,
    opt_str,
    require_str,
)
from .base import SimClient, UnsupportedOperationError
from .models import (
    AccountInfo,
    ActionResult,
    Capability,
    Provider,
    Sim,
    SimStatus,
    SimUsage,
    SmsResult,
)
from .sms import SmsRules

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

_LOGGER = logging.getLogger(__name__)

INFOBIP_URL = "https://api.infobip.com"
GENERIC_HOST = "api.infobip.com"
PAGE_LIMIT = 100
"""The documented maximum page size."""
API_KEY_DIGEST_LENGTH = 16

_STATUSES: Mapping[str, SimStatus] = {
    "Imported": SimStatus.READY,
    "Activation Ready": SimStatus.READY,
    "Active": SimStatus.ACTIVE,
    "Suspended": SimStatus.SUSPENDED,
    "Deactivated": SimStatus.RETIRED,
}
_SETTABLE_STATUSES: Mapping[SimStatus, str] = {
    SimStatus.ACTIVE: "Active",
    SimStatus.SUSPENDED: "Suspended",
}


class InfobipAuth(Authenticator):
    """One fixed ``Authorization`` header: Basic credentials or ``App <api-key>``."""

    def __init__(self, header: str) -> None:
        """Send ``header`` as the ``Authorization`` value."""
        self._header = header

    @override
    async def headers(self) -> dict[str, str]:
        return {"Authorization": self._header}

    def __repr__(self) -> str:
        """Never show the credentials."""
        return f"<InfobipAuth {self._header.partition(' ')[0]}>"


def parse_status(raw: str | None) -> SimStatus:
    """Normalise an Infobip status name."""
    return _STATUSES.get(raw or "", SimStatus.UNKNOWN)


def parse_model(data: Any) -> str | None:
    """Describe a SIM model as ``type size (grade)``.

    For example ``Embedded MFF2/QFN8 (Industrial)``.
    """
    model = opt_mapping(data)
    text = " ".join(
        part
        for part in (opt_str(model.get("type")), opt_str(model.get("size")))
        if part
    )
    if grade := opt_str(model.get("grade")):
        text = f"{text} ({grade})" if text else grade
    return text or None


def parse_sim(data: Any) -> Sim:
    """Parse a SIM report (list entry or single SIM)."""
    sim = as_mapping(data, "Infobip SIM")
    raw_status = opt_str(sim.get("status"))
    return Sim(
        iccid=require_str(sim, "iccid", "Infobip SIM"),
        provider=Provider.INFOBIP_IOT,
        status=parse_status(raw_status),
        raw_status=raw_status,
        name=opt_str(sim.get("name")),
        imsi=opt_str(sim.get("imsi")),
        msisdn=opt_str(sim.get("msisdn")),
        group=opt_str(sim.get("serviceProfileId")),
        model=parse_model(sim.get("model")),
        created_at=opt_datetime(sim.get("createdAt")),
        updated_at=opt_datetime(sim.get("updatedAt")),
    )


def _first_int(data: Mapping[str, Any], *keys: str) -> int | None:
    """Return the first of ``keys`` that holds a count; ``null`` is no count."""
    for key in keys:
        if (value := opt_int(data.get(key))) is not None:
            return value
    return None


def current_month(today: date) -> tuple[date, date]:
    """Return the first and last day of ``today``'s month: the usage period."""
    last = calendar.monthrange(today.year, today.month)[1]
    return today.replace(day=1), today.replace(day=last)


def parse_usage(data: Any, iccid: str) -> SimUsage:
    """Parse current-month usage of one SIM (``iccid`` if the answer has none).

    The document's examples use ``usedDataBytes`` / ``sentSmsCount`` /
    ``receivedSmsCount`` while its field table names ``totalData`` /
    ``totalSmsMo`` / ``totalSmsMt``; the example names win, the table's are
    the fallback.
    """
    usage = as_mapping(data, "Infobip usage")
    start, end = current_month(datetime.now(UTC).date())
    return SimUsage(
        iccid=opt_str(usage.get("iccid")) or iccid,
        data_bytes=_first_int(usage, "usedDataBytes", "totalData"),
        sms_mo=_first_int(usage, "sentSmsCount", "totalSmsMo"),
        sms_mt=_first_int(usage, "receivedSmsCount", "totalSmsMt"),
        period_start=start,
        period_end=end,
    )


def parse_action(response: Response) -> ActionResult:
    """Parse the ``actionId`` an asynchronous action answered with (if any)."""
    if not response.body.strip():
        return ActionResult()
    return ActionResult(action_id=opt_str(opt_mapping(response.json()).get("actionId")))


class InfobipClient(SimClient):
    """An Infobip IoT account, by Basic credentials or by API key (exactly one)."""

    provider = Provider.INFOBIP_IOT
    capabilities = frozenset(
        {
            Capability.SET_STATUS,
            Capability.LABEL,
            Capability.USAGE,
            Capability.BULK_USAGE,
            Capability.SMS,
            Capability.DIAGNOSTICS,
        }
    )
    sms_rules = SmsRules(max_parts=1, max_characters=160)

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        username: str | None = None,
        password: str | None = None,
        api_key: str | None = None,
        url: str = INFOBIP_URL,
        timeout: aiohttp.ClientTimeout | None = None,
    ) -> None:
        """Use Basic ``username`` + ``password`` or an ``api_key``, not both.

        Raises ValueError when neither or both are given, or only half of Basic.
        """
        super().__init__()
        basic = username is not None or password is not None
        if basic == (api_key is not None):
            raise ValueError("Give either username and password or an API key")
        if basic:
            if not username or not password:
                raise ValueError("Basic authentication needs username and password")
            header = aiohttp.encode_basic_auth(username, password)
        else:
            if not api_key:
                raise ValueError("The API key is empty")
            header = f"App {api_key}"
        self._auth = InfobipAuth(header)
        self._username = username
        self._api_key = api_key
        self._http = HttpClient(session, url, timeout=timeout or DEFAULT_TIMEOUT)
        self._api = ProviderApi(self._http, self._auth)
        self._sim_pages = ParsedPages(_listed(lambda item, _: parse_sim(item), "sims"))
        self._usage_pages: tuple[date, ParsedPages[SimUsage | None]] | None = None
        """The month the usage pages are of, and their parsed entries."""

    def __repr__(self) -> str:
        """Show where it talks to, never the credentials."""
        return f"<InfobipClient {self._http.base_url}>"

    @property
    def account_id(self) -> str:
        """What identifies the account, derived without a request.

        A personal base URL belongs to one account, so its host (and port, when
        one is given) is the best id; every user and key of the account shares
        it. On the generic URL the username stands in; with an API key only
        a short SHA-256 digest of the key, so the key itself is never stored as
        an id (a new key on the generic URL therefore looks like a new account).
        """
        base = URL(self._http.base_url)
        if base.host and base.host.lower() != GENERIC_HOST:
            port = base.explicit_port
            return f"{base.host}:{port}" if port is not None else base.host
        if self._username is not None:
            return self._username
        digest = hashlib.sha256((self._api_key or "").encode()).hexdigest()
        return f"key-{digest[:API_KEY_DIGEST_LENGTH]}"

    @override
    async def get_account(self) -> AccountInfo:
        """Prove the credentials with the cheapest call: one SIM of page 1."""
        response = await self._api.request(
            "GET", "/iot/2/sims", "sims", params={"page": 1, "limit": 1}
        )
        page = as_mapping(response.json(), "Infobip SIM page")
        as_list(page.get("sims"), "Infobip SIM page")
        return AccountInfo(
            account_id=self.account_id,
            extra={
                "base_url": self._http.base_url,
                "auth": "basic" if self._username is not None else "api_key",
            },
        )

    @override
    async def list_sims(self) -> list[Sim]:
        return await self._pages("/iot/2/sims", "sims", "sims", self._sim_pages)

    @override
    async def set_status(self, iccid: str, status: SimStatus) -> None:
        """Activate or suspend; Infobip offers no other change."""
        value = _SETTABLE_STATUSES.get(status)
        if value is None:
            raise UnsupportedOperationError(f"{self.provider}: set_status {status}")
        await self._api.request(
            "PUT",
            f"{_sim_path(1, iccid)}/status",
            "set_status",
            json_body={"status": value},
        )

    @override
    async def set_label(self, iccid: str, label: str) -> None:
        await self._api.request(
            "PATCH", _sim_path(1, iccid), "update_name", json_body={"name": label}
        )

    @override
    async def get_usage(self, iccid: str) -> SimUsage:
        response = await self._api.request(
            "GET", f"{_sim_path(2, iccid)}/usage", "usage"
        )
        return parse_usage(response.json(), iccid)

    @override
    async def get_all_usage(self) -> dict[str, SimUsage]:
        # Entries parsed in another month carry that month's period.
        month, _ = current_month(datetime.now(UTC).date())
        if self._usage_pages is None or self._usage_pages[0] != month:
            self._usage_pages = (month, ParsedPages(_listed(parse_usage, "usage")))
        usages = await self._pages(
            "/iot/2/sims/usage/monthly", "usage", "usage_monthly", self._usage_pages[1]
        )
        return {usage.iccid: usage for usage in usages}

    @override
    async def send_sms(
        self, iccid: str, message: str, *, dcs: int | None = None
    ) -> SmsResult:
        """Send ``message``; the API answers an empty 200, so there is no id."""
        if dcs is not None:
            raise UnsupportedOperationError(f"{self.provider}: SMS data coding")
        self.sms_rules.check(message)
        await self._api.request(
            "POST", f"{_sim_path(1, iccid)}/sms", "sms", json_body={"text": message}
        )
        return SmsResult()

    @override
    async def run_diagnostics(self, iccid: str) -> ActionResult:
        response = await self._api.request(
            "POST", f"{_sim_path(1, iccid)}/diagnostic", "diagnostic"
        )
        return parse_action(response)

    async def _pages[T: Sim | SimUsage](
        self, path: str, key: str, endpoint: str, parsed: ParsedPages[T | None]
    ) -> list[T]:
        """Every entry of a paged list, one page after the other, each ICCID once.

        The answer has no total count, so the only end marker is a page shorter
        than its limit; pages cannot be fetched ahead in parallel without
        guessing.
        """
        items_of = list_of(f"Infobip {key} page", key)

        async def read(page: int) -> tuple[list[T], bool]:
            response = await self._api.request(
                "GET", path, endpoint, params={"page": page, "limit": PAGE_LIMIT}
            )
            data, entries = parsed.parse(page, response, items_of)
            # The server may cap the limit below the one asked for; it echoes it.
            limit = opt_int(data.get("limit")) or PAGE_LIMIT
            found = [entry for entry in entries if entry is not None]
            return found, len(entries) >= limit

        return list((await walk_pages(read, _iccid_of)).values())


def _listed[T](
    parse: Callable[[Mapping[str, Any], str], T], key: str
) -> Callable[[Any], T | None]:
    """Parse a list entry with ``parse``; one without an ICCID is skipped (None)."""

    def entry(item: Any) -> T | None:
        data = opt_mapping(item)
        if (iccid := opt_str(data.get("iccid"))) is None:
            _LOGGER.warning("Skipping an Infobip %s entry without iccid", key)
            return None
        return parse(data, iccid)

    return entry


def _iccid_of(entry: Sim | SimUsage) -> str:
    return entry.iccid


def _sim_path(version: int, iccid: str) -> str:
    """``/iot/<version>/sims/<iccid>`` with the ICCID kept to one path segment."""
    return f"/iot/{version}/sims/{quote(iccid, safe='')}"
