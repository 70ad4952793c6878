"""Build the provider library's client for a config entry's data."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from homeassistant.const import (
    CONF_API_KEY,
    CONF_CLIENT_ID,
    CONF_CLIENT_SECRET,
    CONF_PASSWORD,
    CONF_URL,
    CONF_USERNAME,
)
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from .api.infobip import InfobipClient
from .api.kpn_lora import LRC_URL, KpnLoraClient
from .api.kpn_sim import KpnSimClient
from .api.models import Provider
from .api.tmobile import TMobileClient
from .const import CONF_ACTIVATED, CONF_AS_ID, CONF_AS_KEY, CONF_LRC_URL, CONF_PROVIDER

if TYPE_CHECKING:
    from collections.abc import Mapping

    from homeassistant.core import HomeAssistant

    from .api.base import SimClient

SIM_CLIENTS: Final[Mapping[Provider, type[SimClient]]] = {
    client.provider: client for client in (KpnSimClient, TMobileClient, InfobipClient)
}
"""The client class of each SIM provider, for its ``capabilities``."""


def create_client(
    hass: HomeAssistant, data: Mapping[str, Any], *, sign_in: bool = False
) -> SimClient | KpnLoraClient:
    """Build the client of the provider account that entry ``data`` describes.

    ``sign_in`` repeats what is done once when an account is added, such as
    activating a KPN LoRa project: the config flow checks new credentials so.
    """
    session = async_get_clientsession(hass)
    match Provider(data[CONF_PROVIDER]):
        case Provider.KPN_IOT_SIM:
            return KpnSimClient(
                session,
                data[CONF_CLIENT_ID],
                data[CONF_CLIENT_SECRET],
                url=data[CONF_URL],
            )
        case Provider.TMOBILE_EASY_CONNECT:
            return TMobileClient(
                session, data[CONF_USERNAME], data[CONF_PASSWORD], url=data[CONF_URL]
            )
        case Provider.INFOBIP_IOT:
            return InfobipClient(
                session,
                username=data.get(CONF_USERNAME),
                password=data.get(CONF_PASSWORD),
                api_key=data.get(CONF_API_KEY),
                url=data[CONF_URL],
            )
        case Provider.KPN_LORA:
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
                activated=data.get(CONF_ACTIVATED, False) and not sign_in,
            )


def remembered_state(client: SimClient | KpnLoraClient) -> dict[str, Any]:
    """What the entry keeps of a signed-in client, so that it is not done again."""
    if isinstance(client, KpnLoraClient) and client.activated:
        return {CONF_ACTIVATED: True}
    return {}
