"""1NCE: the management API as 1NCE publishes it.

The same API as T-Mobile IoT Easy Connect (:mod:`.management_api`); what differs
follows 1NCE's published OpenAPI files and documentation:

- ``POST /oauth/token`` takes Basic auth and the JSON body
  ``{"grant_type": "client_credentials"}``; its refusals are the published 400
  answers (``AuthValidationError``, ``UnsupportedContentTypeError``,
  ``BodyValidationError``, ``BadCredentials``), its answer the changelog's
  (``status_code``, ``userId``, ``scope``, no ``orgId``), its token about 3,000
  characters long;
- quota answers carry no ``quota_status`` and write dates as
  ``YYYY-MM-DD HH:MM:SS``;
- ``GET /v1/sims/{iccid}/status`` reports ``ONLINE`` / ``ATTACHED`` / ``OFFLINE``
  with the operator and country; ``connectivity_info`` says
  ``not_provided_from_vlr`` (it answers on 2G/3G only);
- one ``POST …/sms`` is one SMS part: 160 GSM-7 or 70 UCS-2 characters, 140
  bytes as hex for ``dcs`` 4 (153, 67 and 134 with a UDH);
- SMS status ids: 2 PENDING, 3 BUFFERED, 4 DELIVERED, 5 FAILED, 6 EXPIRED;
- a top-up adds 500 MB and 250 SMS (at once: the emulator takes no payment);
- pushed SMS MO and delivery reports carry numbers.

Inferred, not published: a wrong password of an existing user is refused as an
unknown user is; a missing ``Authorization`` header as a missing username. The
demo SIMs' records are built from the OpenAPI file's field examples; the first
one's data quota is a real answer a third party published
(``third_party/tartabit_quota_data``). ``examples/1nce`` holds the published
payloads verbatim; ``SOURCES.md`` there says where each comes from.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from .core import json_response
from .examples import load_example
from .management_api import (
    BUFFERED,
    DELIVERED,
    DISABLED,
    ENABLED,
    Flavour,
    ManagementApiEmulator,
    SimState,
    basic_credentials,
    push_time,
    refusal_with,
)

EXAMPLES = "1nce"

ACCOUNT_NUMBER = "12345678"
"""The demo account's 1NCE customer number."""
DEFAULT_USERNAME = f"{ACCOUNT_NUMBER}_demo-api"
"""A 1NCE API user: the account number, an underscore, a name."""
DEFAULT_PASSWORD = "demo-api-password"  # noqa: S105 - emulator's own demo credential
TOKEN_LENGTH = 3013
"""The length of the token in 1NCE's changelog (``<3013-char-token>``)."""
ORGANISATION_ID = 4567
"""The organisation of the documentation's pushes."""

NETWORK: dict[str, Any] = {
    "operator": {
        "id": "2",
        "name": "T-Mobile",
        "country": {"id": "74", "name": "Germany", "iso-code": "de"},
    },
    "country": {
        "country_id": "74",
        "name": "Germany",
        "country_code": "49",
        "mcc": "262",
        "iso-code": "de",
        "latitude": "51",
        "longitude": "9",
    },
}
"""The OpenAPI file's example operator and country of a SIM's location."""

ONENCE = Flavour(
    organisation_id=ORGANISATION_ID,
    push_organisation_id=ORGANISATION_ID,
    push_endpoint_id=8765432,
    numeric_pushes=True,
    sms_status_ids={"PENDING": 2, BUFFERED: 3, DELIVERED: 4, "FAILED": 5, "EXPIRED": 6},
    quota_status_in_quota=False,
    quota_time=push_time,
    single_part_sms=True,
    serves_status=True,
    top_up_sms=250,
    iccid_prefix="8988303000100",
    network=NETWORK,
)
"""1NCE's way: numbers in pushes, one SMS part per request, the ``/status`` session."""

push_sms_mo = ONENCE.push_sms_mo
push_delivery_report = ONENCE.push_delivery_report


def example(name: str) -> Any:
    """One of 1NCE's published examples."""
    return load_example(EXAMPLES, name)


class OneNceEmulator(ManagementApiEmulator):
    """1NCE's management API, seeded with three demo SIMs.

    ``credentials_refusal`` is the 400 body that refuses a user name and
    password (the published ``BadCredentials``; set the older
    ``CognitoAuthenticationError`` to see a client cope with it).
    """

    name = "1nce"
    token_lifetime = 3600.0
    flavour = ONENCE
    default_credentials = (DEFAULT_USERNAME, DEFAULT_PASSWORD)

    def __init__(self, *, generated: int = 0, seed: int = 0) -> None:
        """Seed the demo SIMs, then ``generated`` random ones."""
        super().__init__(generated=generated, seed=seed)
        self.credentials_refusal: Any = example("token_error_bad_credentials")

    def _seed(self) -> None:
        """One SIM online, one attached without a data session, one disabled."""
        online = _demo_sim(
            "8988303000123456789", "DX-137-B12", ENABLED, "100.100.100.18"
        )
        online.quota_data = example("third_party/tartabit_quota_data")
        online.pdp_context = {
            "imsi": online.record["imsi"],
            "ue_ip_address": online.record["ip_address"],
            "imeisv": online.record["imei"],
            "mcc": "262",
            "mnc": "1",
            "duration": "02:39:10",
            "rat_type": {"rat_type_id": "6", "description": "4G"},
        }
        attached = _demo_sim(
            "8988303000123456790", "Gate sensor", ENABLED, "100.100.100.19"
        )
        parked = _demo_sim(
            "8988303000123456791", "Spare tracker", DISABLED, "100.100.100.20"
        )
        for sim in (online, attached, parked):
            sim.refresh_quota_status()
            sim.set_attached(attached=sim.enabled)
            self.sims[sim.iccid] = sim

    async def _token(self, request: web.Request) -> web.Response:
        credentials = basic_credentials(request.headers.get("Authorization", ""))
        if credentials is None or not credentials[0]:
            raise refusal_with(400, example("token_error_auth_validation_username"))
        username, password = credentials
        if not password:
            raise refusal_with(400, example("token_error_auth_validation_password"))
        if request.content_type != "application/json":
            raise refusal_with(400, example("token_error_unsupported_content_type"))
        try:
            body = await request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict) or body.get("grant_type") != "client_credentials":
            raise refusal_with(400, example("token_error_body_validation_grant_type"))
        if self.credentials.get(username) != password:
            raise refusal_with(400, self.credentials_refusal)
        key, expires_in = self.tokens.issue(username)
        head = f"eyJ{key}."
        return json_response(
            {
                "status_code": 200,
                "access_token": head + "A" * (TOKEN_LENGTH - len(head)),
                "token_type": "bearer",
                "expires_in": expires_in,
                "userId": "user",
                "scope": "all",
            }
        )

    def _token_key(self, presented: str) -> str | None:
        """Tokens look like the published ones: ``eyJ…``, about 3,000 characters."""
        key, dot, _ = presented.removeprefix("eyJ").partition(".")
        return key if dot and presented.startswith("eyJ") else None


def _demo_sim(iccid: str, label: str, status: str, ip_address: str) -> SimState:
    """A SIM with the OpenAPI file's example values, its own ICCID, label and IP."""
    serial = iccid[-2:]
    imsi = f"9014051000000{serial}"
    expiry, changed = "2033-02-02 00:00:00", "2022-11-02 11:40:12"
    return SimState(
        record={
            "iccid": iccid,
            "iccid_with_luhn": f"{iccid}0",
            "imsi": imsi,
            "current_imsi": imsi,
            "msisdn": f"8822851000000{serial}",
            "imei": f"86357604785000{serial}",
            "imei_lock": False,
            "status": status,
            "activation_date": "2018-03-09T07:59:09.000+0000",
            "ip_address": ip_address,
            "label": label,
        },
        endpoint_id=f"87654{serial}",
        quota_data={
            "volume": 435.787951,
            "total_volume": 500,
            "expiry_date": expiry,
            "peak_throughput": 128000,
            "last_volume_added": 500,
            "last_status_change_date": changed,
            "threshold_percentage": 20,
        },
        quota_sms={
            "volume": 38,
            "total_volume": 250,
            "expiry_date": expiry,
            "last_volume_added": 250,
            "last_status_change_date": changed,
            "threshold_percentage": 20,
        },
        subscriber_info={"success": True, "state": "not_provided_from_vlr"},
        location={},
        events=[
            {
                "timestamp": "2018-05-07T14:08:05.000+0000",
                "event_type": "Status of SIM changed from 'Issued' to 'Activated'",
                "iccid": iccid,
                "imsi": imsi,
                "alert": False,
                "event_severity": "Info",
            }
        ],
        data_rate_mb_per_hour=1.0,
        connectivity={"location": {"iccid": iccid, "imsi": imsi, **NETWORK}},
    )
