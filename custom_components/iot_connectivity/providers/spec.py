"""What a provider spec says, and the pieces that specs share."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Final, Protocol

from homeassistant.const import (
    CONF_CLIENT_ID,
    CONF_CLIENT_SECRET,
    CONF_PASSWORD,
    CONF_USERNAME,
)
from homeassistant.helpers.selector import (
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
import probatio

from ..api.base import SimClient
from ..api.kpn_lora import KpnLoraClient
from ..api.models import Capability
from ..const import (
    CONF_LORA_INTERVAL,
    CONF_PLAN_INTERVAL,
    CONF_SIM_INTERVAL,
    CONF_USAGE_INTERVAL,
    ENTITY_GROUP_LORA_ALARMS,
    ENTITY_GROUP_LORA_SIGNAL,
    ENTITY_GROUP_QUOTA,
    ENTITY_GROUP_SESSION,
    ENTITY_GROUP_USAGE,
)

if TYPE_CHECKING:
    import aiohttp

type AnyClient = SimClient | KpnLoraClient

SECTION_DOWNLINKS: Final = "downlinks"
"""A collapsed form section: the settings that only downlinks need."""

TEXT: Final = TextSelector()
SECRET: Final = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))
URL: Final = TextSelector(TextSelectorConfig(type=TextSelectorType.URL))

KPN_GATEWAY_FIELDS: Final = {
    probatio.Required(CONF_CLIENT_ID): TEXT,
    probatio.Required(probatio.Secret(CONF_CLIENT_SECRET)): SECRET,
}
"""The client id and secret of a KPN Developer Portal project."""
LOGIN_FIELDS: Final = {
    probatio.Required(CONF_USERNAME): TEXT,
    probatio.Required(probatio.Secret(CONF_PASSWORD)): SECRET,
}
"""A portal user's name and password."""


class DeviceKind(StrEnum):
    """What the account's devices are: SIM cards or LoRa devices."""

    SIM = "sim"
    LORA = "lora"


class PushKind(StrEnum):
    """What a provider pushes to the entry's webhook."""

    SMS_GATEWAY = "sms_gateway"
    """SMS sent by SIMs (POST) and delivery reports (PATCH), the management API's."""
    LORA_UPLINKS = "lora_uplinks"
    """LoRa uplinks (POST), signed with the routing profile's AS key."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ReadCost:
    """What reading one traffic group of ``sims`` SIMs costs in requests."""

    requests: int
    sims: int = 1


SIM_GROUP_CAPABILITIES: Final[Mapping[str, frozenset[Capability]]] = {
    ENTITY_GROUP_USAGE: frozenset({Capability.USAGE, Capability.BULK_USAGE}),
    ENTITY_GROUP_QUOTA: frozenset({Capability.QUOTA}),
    ENTITY_GROUP_SESSION: frozenset({Capability.SESSION}),
}
"""The SIM entity groups and the capabilities of which each needs one."""


class ClientFactory[ClientT: AnyClient](Protocol):
    """Builds a provider's client from entry data."""

    def __call__(
        self, session: aiohttp.ClientSession, data: Mapping[str, Any], *, sign_in: bool
    ) -> ClientT:
        """Build the client; ``sign_in`` when the config flow signs in anew.

        What is done once per account (such as activating a KPN LoRa project)
        is then done again.
        """
        ...


def _no_field_errors(data: Mapping[str, Any]) -> dict[str, str]:
    return {}


def _nothing_to_remember(client: Any) -> dict[str, Any]:
    return {}


@dataclass(frozen=True, kw_only=True)
class ProviderSpec[ClientT: AnyClient]:
    """Everything the Home Assistant side knows about one provider.

    The rest of the integration reads specs and never asks which provider an
    entry is of: it asks the spec what the provider can do.
    """

    id: str
    """Entry data ``provider``, config-flow step and translation key."""
    name: str
    """The product's name: entry titles and the account hub's model."""
    manufacturer: str
    """The operator, shown as the manufacturer of the hub and its SIMs."""
    device_kind: DeviceKind
    fields: probatio.Schema
    """The config-flow form: credentials and the API address."""
    create_client: ClientFactory[ClientT]
    check_fields: Callable[[Mapping[str, Any]], dict[str, str]] = _no_field_errors
    """Form errors no single field's validator can see, by field."""
    form_placeholders: Mapping[str, str] = field(default_factory=dict)
    """Values the form's help text names: translations may not hold URLs."""
    remembered: Callable[[ClientT], dict[str, Any]] = _nothing_to_remember
    """Entry data to keep of a signed-in client, so it is not done again."""
    capabilities: frozenset[Capability] = frozenset()
    """What a SIM provider's API can do; entities and actions follow it."""
    read_costs: Mapping[str, ReadCost] = field(default_factory=dict)
    """Traffic groups that cost requests per SIM: read in turns under a budget.
    Any other traffic group is a bulk list, read whole each interval."""
    push: PushKind | None = None
    """What the provider pushes to the entry's webhook, if anything."""
    device_triggers: tuple[str, ...] = ()
    """The device trigger types of its SIMs or LoRa devices."""
    disabled_by_default: frozenset[str] = frozenset()
    """Keys of entities that start disabled for this provider only: its SIMs
    have more useful ones within the few enabled per device."""

    @property
    def intervals(self) -> tuple[str, ...]:
        """The polling interval options of the provider's data."""
        if self.device_kind is DeviceKind.LORA:
            return CONF_LORA_INTERVAL, CONF_PLAN_INTERVAL
        return CONF_SIM_INTERVAL, CONF_USAGE_INTERVAL

    @property
    def entity_groups(self) -> tuple[str, ...]:
        """The entity groups (option) the provider can fill."""
        if self.device_kind is DeviceKind.LORA:
            return ENTITY_GROUP_LORA_SIGNAL, ENTITY_GROUP_LORA_ALARMS
        return tuple(
            group
            for group, needs in SIM_GROUP_CAPABILITIES.items()
            if needs & self.capabilities
        )
