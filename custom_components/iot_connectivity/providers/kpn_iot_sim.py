"""KPN IoT Programmable SIM: "Things" behind the KPN API gateway."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from homeassistant.const import CONF_CLIENT_ID, CONF_CLIENT_SECRET, CONF_URL
import probatio

from ..api.kpn_gateway import KPN_GATEWAY_URL
from ..api.kpn_sim import SESSION_BATCH_SIZE, KpnSimClient
from ..const import ENTITY_GROUP_SESSION
from .spec import KPN_GATEWAY_FIELDS, URL, DeviceKind, ProviderSpec, ReadCost

if TYPE_CHECKING:
    import aiohttp


def _client(
    session: aiohttp.ClientSession, data: Mapping[str, Any], *, sign_in: bool
) -> KpnSimClient:
    return KpnSimClient(
        session, data[CONF_CLIENT_ID], data[CONF_CLIENT_SECRET], url=data[CONF_URL]
    )


SPEC: Final = ProviderSpec(
    id="kpn_iot_sim",
    name="KPN IoT Programmable SIM",
    manufacturer="KPN",
    device_kind=DeviceKind.SIM,
    fields=probatio.Schema(
        {
            **KPN_GATEWAY_FIELDS,
            probatio.Required(CONF_URL, default=KPN_GATEWAY_URL): URL,
        }
    ),
    create_client=_client,
    capabilities=KpnSimClient.capabilities,
    # Session status is read for 100 SIMs a request.
    read_costs={ENTITY_GROUP_SESSION: ReadCost(requests=1, sims=SESSION_BATCH_SIZE)},
    device_triggers=("sim_moved",),
)
