"""Helpers of the IoT Connectivity integration."""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Concatenate

from homeassistant.exceptions import HomeAssistantError

from .api.errors import (
    AuthenticationError,
    InvalidRequestError,
    IoTConnectivityError,
    NotFoundError,
    RateLimitedError,
)
from .const import DOMAIN
from .entity import IoTConnectivityEntity

if TYPE_CHECKING:
    from collections.abc import Callable, Coroutine, Iterator

    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.device_registry import DeviceEntry

    from .coordinator import IoTConnectivityConfigEntry


@contextmanager
def provider_errors(
    hass: HomeAssistant, entry: IoTConnectivityConfigEntry
) -> Iterator[None]:
    """Turn the library errors of a write into translated errors.

    A refused login starts reauthentication: retrying cannot help.
    """
    try:
        yield
    except AuthenticationError as err:
        entry.async_start_reauth(hass)
        raise HomeAssistantError(
            translation_domain=DOMAIN, translation_key="authentication_failed"
        ) from err
    except RateLimitedError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN, translation_key="rate_limited"
        ) from err
    except NotFoundError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN, translation_key="not_found"
        ) from err
    except InvalidRequestError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="request_refused",
            translation_placeholders={"error": err.provider_message or str(err)},
        ) from err
    except IoTConnectivityError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="action_failed",
            translation_placeholders={"error": str(err)},
        ) from err


def async_handle_errors[EntityT: IoTConnectivityEntity[Any], **P](
    func: Callable[Concatenate[EntityT, P], Coroutine[Any, Any, Any]],
) -> Callable[Concatenate[EntityT, P], Coroutine[Any, Any, None]]:
    """Run an entity's write with :func:`provider_errors`, then re-read its data."""

    async def handler(entity: EntityT, /, *args: P.args, **kwargs: P.kwargs) -> None:
        with provider_errors(entity.hass, entity.coordinator.config_entry):
            await func(entity, *args, **kwargs)
        await entity.coordinator.async_request_refresh()

    return handler


def entry_of_device(
    hass: HomeAssistant, device: DeviceEntry
) -> IoTConnectivityConfigEntry | None:
    """The entry of this integration that ``device`` belongs to, if any."""
    entry = hass.config_entries.async_get_entry(device.config_entry_id)
    return entry if entry is not None and entry.domain == DOMAIN else None
