"""The providers: one spec each, everything the Home Assistant side knows of them.

Adding an operator on an API family that is here already is one spec module
and its translations; a new family also brings its client in ``api/``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from ..const import CONF_PROVIDER
from . import infobip_iot, kpn_iot_sim, kpn_lora, onence, tmobile_easy_connect
from .spec import AnyClient, DeviceKind, ProviderSpec, PushKind, ReadCost

if TYPE_CHECKING:
    from collections.abc import Mapping

    from homeassistant.config_entries import ConfigEntry

PROVIDERS: Final[Mapping[str, ProviderSpec[Any]]] = {
    spec.id: spec
    for spec in (
        kpn_iot_sim.SPEC,
        tmobile_easy_connect.SPEC,
        onence.SPEC,
        infobip_iot.SPEC,
        kpn_lora.SPEC,
    )
}
"""Every provider by id, in the order the config flow offers them."""


def spec_of(entry: ConfigEntry[Any]) -> ProviderSpec[AnyClient]:
    """The spec of the provider of ``entry``."""
    spec: ProviderSpec[AnyClient] = PROVIDERS[entry.data[CONF_PROVIDER]]
    return spec


__all__ = [
    "PROVIDERS",
    "DeviceKind",
    "ProviderSpec",
    "PushKind",
    "ReadCost",
    "spec_of",
]
