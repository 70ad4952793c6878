"""T-Mobile NL IoT Easy Connect: the management API as T-Mobile runs it.

Paths, the token exchange and the SMS payloads follow ``tmobile-iot-easy-connect.txt``.
The guide has no resource schemas; the SIM, quota, usage, connectivity, event and SMS
records follow the public OpenAPI file of the API that shares these paths (1NCE's
management API), as ``shared/providers/README.md`` says. Inferred here, not documented
for T-Mobile, besides what :mod:`.management_api` infers for the family:

- the token request is a form, refused credentials answer 401, and tokens are UUIDs;
- quota answers carry the SIM record's ``quota_status`` object as well;
- a top-up adds the contract's package of :data:`TOP_UP_VOLUME_MB` and no SMS;
- SMS status ids other than the guide's ``4`` (DELIVERED) are the emulator's own.

``examples/tmobile_easy_connect`` holds the guide's payloads verbatim
(``token_response``, ``sms_mt_request``, ``delivery_report``, ``sms_mo``) and
representative records built from the OpenAPI field lists (``sim``, ``quota_data``,
``quota_sms``, ``usage``, ``connectivity_info``, ``events``); the emulator serves the
latter for its seeded SIM.
"""

from __future__ import annotations

from datetime import date
import uuid

from aiohttp import web

from .core import json_response
from .examples import load_example
from .management_api import (
    BUFFERED,
    DELIVERED,
    DailyUsage,
    Flavour,
    ManagementApiEmulator,
    SimState,
    api_time,
    basic_credentials,
    refusal,
)

__all__ = [
    "DEFAULT_PASSWORD",
    "DEFAULT_USERNAME",
    "ORG_ID",
    "TMOBILE",
    "TMobileEmulator",
    "push_delivery_report",
    "push_sms_mo",
]

EXAMPLES = "tmobile_easy_connect"

DEFAULT_USERNAME = "demo@example.com"
DEFAULT_PASSWORD = "demo-password"  # noqa: S105 - emulator's own demo credential
USER_ID = 1001
ORG_ID = 4321
"""The organisation of the guide's token answer and delivery report."""
DOCUMENT_ENDPOINT_ID = "8765432"
"""The guide's ``endpoint.id`` of a SIM in its pushes."""

TMOBILE = Flavour(
    organisation_id=ORG_ID,
    push_organisation_id=4567,
    push_endpoint_id=int(DOCUMENT_ENDPOINT_ID),
    numeric_pushes=False,
    sms_status_ids={BUFFERED: 2, DELIVERED: 4, "EXPIRED": 5, "FAILED": 6},
    quota_status_in_quota=True,
    quota_time=api_time,
    single_part_sms=False,
    serves_status=False,
    top_up_sms=0,
    iccid_prefix="8988280666100",
    network={
        "operator": {"id": "2", "name": "T-Mobile NL"},
        "country": {"name": "Netherlands", "iso-code": "nl"},
    },
)
"""T-Mobile's way: string values in pushes, a concatenating SMS gateway."""

push_sms_mo = TMOBILE.push_sms_mo
push_delivery_report = TMOBILE.push_delivery_report


class TMobileEmulator(ManagementApiEmulator):
    """The IoT Easy Connect management API, seeded with the guide's SIM."""

    name = "tmobile_easy_connect"
    token_lifetime = 3599.0
    flavour = TMOBILE
    default_credentials = (DEFAULT_USERNAME, DEFAULT_PASSWORD)

    def _seed(self) -> None:
        connectivity = load_example(EXAMPLES, "connectivity_info")
        subscriber_info = connectivity["subscriber_info"]
        sim = SimState(
            record=load_example(EXAMPLES, "sim"),
            endpoint_id=DOCUMENT_ENDPOINT_ID,
            quota_data=load_example(EXAMPLES, "quota_data"),
            quota_sms=load_example(EXAMPLES, "quota_sms"),
            subscriber_info=subscriber_info,
            location=subscriber_info["location"],
            events=load_example(EXAMPLES, "events")["events"],
            data_rate_mb_per_hour=2.0,
        )
        for entry in load_example(EXAMPLES, "usage")["stats"]:
            sim.usage[date.fromisoformat(entry["date"][:10])] = DailyUsage(
                data_rx_mb=float(entry["data"]["volume_rx"]),
                data_tx_mb=float(entry["data"]["volume_tx"]),
                sms_mo=int(entry["sms"]["volume_rx"]),
                sms_mt=int(entry["sms"]["volume_tx"]),
            )
        self.sims[sim.iccid] = sim

    async def _token(self, request: web.Request) -> web.Response:
        credentials = basic_credentials(request.headers.get("Authorization", ""))
        if credentials is None:
            raise refusal(401, "Full authentication is required")
        form = await request.post()
        if form.get("grant_type") != "client_credentials":
            raise refusal(400, "Unsupported grant type")
        username, password = credentials
        if self.credentials.get(username) != password:
            raise refusal(401, "Bad credentials")
        token, expires_in = self.tokens.issue(username)
        return json_response(
            {
                "access_token": str(uuid.UUID(hex=token)),
                "token_type": "bearer",
                "expires_in": expires_in,
                "scope": "all",
                "appToken": uuid.uuid5(uuid.NAMESPACE_URL, username).hex,
                "userId": USER_ID,
                "orgId": ORG_ID,
            }
        )

    def _token_key(self, presented: str) -> str | None:
        """Tokens are answered as UUIDs."""
        try:
            return uuid.UUID(presented).hex
        except ValueError:
            return None
