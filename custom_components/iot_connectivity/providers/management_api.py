"""The management API family: T-Mobile IoT Easy Connect and 1NCE.

The same paths, token request and fields; the operator sets the address and
the quirks. Every member gets the same entities, actions and pushes, as far
as its operator's API can do them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from homeassistant.const import CONF_PASSWORD, CONF_URL, CONF_USERNAME
import probatio

from ..api.management_api import ManagementApiClient, Operator
from ..const import ENTITY_GROUP_QUOTA, ENTITY_GROUP_SESSION, ENTITY_GROUP_USAGE
from .spec import LOGIN_FIELDS, URL, DeviceKind, ProviderSpec, PushKind, ReadCost

if TYPE_CHECKING:
    import aiohttp

READ_COSTS: Final = {
    ENTITY_GROUP_USAGE: ReadCost(requests=1),
    # The data and the SMS quota are two calls.
    ENTITY_GROUP_QUOTA: ReadCost(requests=2),
    ENTITY_GROUP_SESSION: ReadCost(requests=1),
}


def management_api_spec(
    operator: Operator, *, name: str, manufacturer: str
) -> ProviderSpec[ManagementApiClient]:
    """The spec of one operator of the management API."""

    def client(
        session: aiohttp.ClientSession, data: Mapping[str, Any], *, sign_in: bool
    ) -> ManagementApiClient:
        return ManagementApiClient(
            session,
            data[CONF_USERNAME],
            data[CONF_PASSWORD],
            operator=operator,
            url=data[CONF_URL],
        )

    return ProviderSpec(
        id=operator.provider.value,
        name=name,
        manufacturer=manufacturer,
        device_kind=DeviceKind.SIM,
        fields=probatio.Schema(
            {**LOGIN_FIELDS, probatio.Required(CONF_URL, default=operator.url): URL}
        ),
        create_client=client,
        capabilities=operator.capabilities,
        read_costs=READ_COSTS,
        push=PushKind.SMS_GATEWAY,
        device_triggers=("sms_received", "sim_moved"),
        # Its SIMs have usage and quota to show in their few enabled entities.
        # The IMEI watch's sensor and button too: its event and device trigger
        # work all the same.
        disabled_by_default=frozenset(
            {"operator", "imei_changed", "acknowledge_imei_change"}
        ),
    )
