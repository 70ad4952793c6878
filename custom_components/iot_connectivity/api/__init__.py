"""Async clients for IoT SIM and LoRaWAN provider APIs.

A small library in its own right: it imports nothing from Home Assistant, takes
an injected ``aiohttp.ClientSession``, returns the typed models of
:mod:`.models` and raises only the errors of :mod:`.errors`.
"""

from .base import SimClient, UnsupportedOperationError
from .infobip import INFOBIP_URL, InfobipClient
from .kpn_gateway import KPN_GATEWAY_URL
from .kpn_lora import LRC_URL, KpnLoraClient
from .kpn_sim import KpnSimClient
from .management_api import (
    ONENCE,
    ONENCE_URL,
    TMOBILE,
    TMOBILE_URL,
    ManagementApiClient,
    Operator,
)

__all__ = [
    "INFOBIP_URL",
    "KPN_GATEWAY_URL",
    "LRC_URL",
    "ONENCE",
    "ONENCE_URL",
    "TMOBILE",
    "TMOBILE_URL",
    "InfobipClient",
    "KpnLoraClient",
    "KpnSimClient",
    "ManagementApiClient",
    "Operator",
    "SimClient",
    "UnsupportedOperationError",
]
