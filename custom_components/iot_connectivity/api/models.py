"""Provider-neutral models returned by every client.

The integration only ever sees these. Each provider module owns the one parser
that turns its JSON into them, so a corrected field name is a one-line change.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import IntEnum, StrEnum
from typing import Any


class Provider(StrEnum):
    """The provider APIs this library talks to."""

    KPN_IOT_SIM = "kpn_iot_sim"
    TMOBILE_EASY_CONNECT = "tmobile_easy_connect"
    INFOBIP_IOT = "infobip_iot"
    KPN_LORA = "kpn_lora"
    ONENCE = "1nce"


class Capability(StrEnum):
    """What a SIM provider can do; the integration creates entities from this."""

    SET_STATUS = "set_status"
    RETIRE = "retire"
    LABEL = "label"
    USAGE = "usage"
    BULK_USAGE = "bulk_usage"
    QUOTA = "quota"
    SESSION = "session"
    SMS = "sms"
    SMS_DCS = "sms_dcs"
    RESET = "reset"
    DIAGNOSTICS = "diagnostics"
    TOP_UP = "top_up"


class SimStatus(StrEnum):
    """A SIM's life-cycle state, normalised over the providers."""

    READY = "ready"
    """Delivered but never activated (KPN PROVISIONED, Infobip Imported/Activation Ready)."""
    ACTIVE = "active"
    TEST = "test"
    SUSPENDED = "suspended"
    RETIRED = "retired"
    """Permanently out of service (KPN RETIRED, Infobip Deactivated)."""
    UNKNOWN = "unknown"


class QuotaStatus(StrEnum):
    """How much of a quota is left (management API ``quota_status.id`` 0/1/2)."""

    OK = "ok"
    LOW = "low"
    EXHAUSTED = "exhausted"
    UNKNOWN = "unknown"


class LoraHealthState(StrEnum):
    """ThingPark ``healthState`` of a device."""

    INIT = "init"
    ACTIVE = "active"
    RF_CONNECTION_ERROR = "rf_connection_error"
    UNKNOWN = "unknown"


class AlarmSeverity(IntEnum):
    """ThingPark ``alarmState``, ordered by criticality; UNKNOWN sorts lowest."""

    UNKNOWN = -1
    CLEARED = 0
    UNCLEARED = 1
    WARNING = 2
    MINOR = 3
    MAJOR = 4
    CRITICAL = 5


@dataclass(frozen=True, slots=True, kw_only=True)
class Sim:
    """One SIM card."""

    iccid: str
    provider: Provider
    status: SimStatus
    raw_status: str | None = None
    name: str | None = None
    imsi: str | None = None
    msisdn: str | None = None
    imei: str | None = None
    ip_address: str | None = None
    group: str | None = None
    """Things Group (KPN), service profile (Infobip)."""
    model: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SimUsage:
    """What a SIM used in a period; ``None`` where the provider gave no count."""

    iccid: str
    data_bytes: int | None = None
    sms_mo: int | None = None
    sms_mt: int | None = None
    period_start: date | None = None
    period_end: date | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SimQuota:
    """Data and SMS bundles of a SIM."""

    iccid: str
    data_left_bytes: int | None = None
    data_total_bytes: int | None = None
    data_status: QuotaStatus = QuotaStatus.UNKNOWN
    data_expiry: datetime | None = None
    sms_left: int | None = None
    sms_total: int | None = None
    sms_status: QuotaStatus = QuotaStatus.UNKNOWN
    sms_expiry: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SimSession:
    """Where and whether a SIM is attached to the network."""

    iccid: str
    online: bool | None = None
    operator: str | None = None
    country: str | None = None
    rat: str | None = None
    ip_address: str | None = None
    last_seen: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SmsResult:
    """The provider's answer to a sent SMS."""

    message_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ActionResult:
    """The provider's answer to an asynchronous action (Infobip ``actionId``)."""

    action_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class LoraDevice:
    """One LoRaWAN device with its latest statistics."""

    eui: str
    """DevEUI, upper-case hex, 16 digits."""
    ref: str | None = None
    name: str | None = None
    profile: str | None = None
    connectivity_plan: str | None = None
    routing_profile: str | None = None
    health_state: LoraHealthState = LoraHealthState.UNKNOWN
    last_rssi: float | None = None
    last_snr: float | None = None
    last_sf: int | None = None
    average_rssi: float | None = None
    average_snr: float | None = None
    last_uplink: datetime | None = None
    last_downlink: datetime | None = None
    battery_level: int | None = None
    """Raw LoRaWAN level: 0 external power, 1-254 battery, 255 unknown."""
    uplinks_24h: int | None = None
    downlinks_24h: int | None = None
    mean_per: float | None = None

    @property
    def external_power(self) -> bool | None:
        """Whether the device reports external power (level 0)."""
        if self.battery_level is None or self.battery_level == 255:  # noqa: PLR2004
            return None
        return self.battery_level == 0

    @property
    def battery_percent(self) -> int | None:
        """Battery level in percent; None on external power or when unknown."""
        level = self.battery_level
        if level is None or not 1 <= level <= 254:  # noqa: PLR2004
            return None
        return round(level * 100 / 254)


@dataclass(frozen=True, slots=True, kw_only=True)
class LoraAlarm:
    """One ThingPark device alarm."""

    ref: str
    device_ref: str | None
    type_id: int | None
    type_name: str
    severity: AlarmSeverity
    raw_severity: str | None = None
    acked: bool = False
    occurrences: int | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    info: tuple[str, ...] = ()

    @property
    def is_open(self) -> bool:
        """An alarm that is neither cleared nor acknowledged."""
        return not self.acked and self.severity != AlarmSeverity.CLEARED


@dataclass(frozen=True, slots=True, kw_only=True)
class LoraHealth:
    """Account-wide device health counts."""

    init: int | None = None
    active: int | None = None
    rf_error: int | None = None
    total: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ConnectivityPlan:
    """A LoRa connectivity plan and how many of its connections are used."""

    id: str
    ref: str | None = None
    name: str | None = None
    granted_connections: int | None = None
    used_connections: int | None = None
    communication_type: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class LoraUplink:
    """An uplink pushed by ThingPark (``DevEUI_uplink``)."""

    eui: str
    port: int | None = None
    fcnt_up: int | None = None
    fcnt_down: int | None = None
    payload_hex: str = ""
    rssi: float | None = None
    snr: float | None = None
    sf: int | None = None
    time: datetime | None = None
    gateway_id: str | None = None
    gateway_count: int | None = None
    customer_id: str | None = None
    dev_addr: str | None = None
    mean_per: float | None = None
    instant_per: float | None = None
    frequency: float | None = None
    decoded: Mapping[str, Any] | None = field(default=None, hash=False)
    """The driver's decoded payload (``payload``, ``points``), when ThingPark
    decoded it; read by :mod:`.thingpark_payload`, nowhere else."""
    decode_error: str | None = None
    """Why ThingPark's driver could not decode the payload, if it said."""
    encrypted: bool = False
    """``payload_hex`` is ciphertext for the application server (AS key mode):
    it must not be decoded as plaintext."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SmsMultipart:
    """Where a pushed SMS part belongs (management API ``multi_part_info``)."""

    part: int
    total: int
    identifier: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SmsReceived:
    """An SMS sent by a SIM and pushed to us (management API SMS MO)."""

    id: str
    iccid: str
    text: str
    source_address: str | None = None
    dest_address: str | None = None
    dcs: str | None = None
    submitted_at: datetime | None = None
    multipart: SmsMultipart | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SmsDeliveryReport:
    """A delivery report pushed for an SMS we sent (management API)."""

    id: str
    iccid: str | None
    status: str
    status_id: str | None = None
    submitted_at: datetime | None = None
    final_at: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ApiQuota:
    """The KPN gateway's request quota, from the ``quota-*`` response headers."""

    limit: int | None = None
    used: int | None = None
    interval: int | None = None
    time_unit: str | None = None
    reset_at: datetime | None = None

    @property
    def remaining(self) -> int | None:
        """Requests left in the current interval."""
        if self.limit is None or self.used is None:
            return None
        return max(self.limit - self.used, 0)

    @property
    def interval_seconds(self) -> float | None:
        """Length of the quota interval in seconds."""
        unit = _TIME_UNIT_SECONDS.get((self.time_unit or "").lower())
        if unit is None or self.interval is None:
            return None
        return self.interval * unit


_TIME_UNIT_SECONDS = {
    "second": 1,
    "minute": 60,
    "hour": 3600,
    "day": 86400,
    "week": 7 * 86400,
    "month": 30 * 86400,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class AccountInfo:
    """What identifies a provider account, for one config entry per account."""

    account_id: str
    name: str | None = None
    extra: dict[str, str] = field(default_factory=dict)
