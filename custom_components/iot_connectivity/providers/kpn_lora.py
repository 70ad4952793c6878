"""KPN LoRa (ThingPark): devices behind the KPN API gateway, downlinks at the LRC."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from homeassistant.const import (
    CONF_CLIENT_ID,
    CONF_CLIENT_SECRET,
    CONF_PASSWORD,
    CONF_URL,
    CONF_USERNAME,
)
from homeassistant.data_entry_flow import section
import probatio

from ..api.kpn_gateway import KPN_GATEWAY_URL
from ..api.kpn_lora import LRC_URL, KpnLoraClient
from ..const import CONF_ACTIVATED, CONF_AS_ID, CONF_AS_KEY, CONF_LRC_URL
from .spec import (
    KPN_GATEWAY_FIELDS,
    LOGIN_FIELDS,
    SECRET,
    SECTION_DOWNLINKS,
    TEXT,
    URL,
    DeviceKind,
    ProviderSpec,
    PushKind,
)

if TYPE_CHECKING:
    import aiohttp


def _client(
    session: aiohttp.ClientSession, data: Mapping[str, Any], *, sign_in: bool
) -> KpnLoraClient:
    return KpnLoraClient(
        session,
        data[CONF_CLIENT_ID],
        data[CONF_CLIENT_SECRET],
        data[CONF_USERNAME],
        data[CONF_PASSWORD],
        url=data[CONF_URL],
        lrc_url=data.get(CONF_LRC_URL, LRC_URL),
        as_id=data.get(CONF_AS_ID),
        as_key=data.get(CONF_AS_KEY),
        # Signing in anew activates the project with the credentials given.
        activated=data.get(CONF_ACTIVATED, False) and not sign_in,
    )


def _activation(client: KpnLoraClient) -> dict[str, Any]:
    """An activated project is not activated again at every start."""
    return {CONF_ACTIVATED: True} if client.activated else {}


SPEC: Final = ProviderSpec(
    id="kpn_lora",
    name="KPN LoRa",
    manufacturer="KPN",
    device_kind=DeviceKind.LORA,
    fields=probatio.Schema(
        {
            **KPN_GATEWAY_FIELDS,
            **LOGIN_FIELDS,
            probatio.Required(CONF_URL, default=KPN_GATEWAY_URL): URL,
            # Only downlinks need these, so they stay out of the way.
            probatio.Required(SECTION_DOWNLINKS): section(
                probatio.Schema(
                    {
                        probatio.Optional(CONF_AS_ID): TEXT,
                        probatio.Optional(probatio.Secret(CONF_AS_KEY)): SECRET,
                        probatio.Required(CONF_LRC_URL, default=LRC_URL): URL,
                    }
                ),
                {"collapsed": True},
            ),
        }
    ),
    create_client=_client,
    remembered=_activation,
    push=PushKind.LORA_UPLINKS,
    device_triggers=(
        "lora_uplink",
        "lora_alarm",
        "lora_stopped_reporting",
        "lora_started_reporting",
    ),
    # Room for Reporting and the payload format (a device's cap of enabled
    # entities): the alarm binary sensor lists the severity too.
    disabled_by_default=frozenset({"last_snr", "alarm_severity"}),
)
