"""Helpers of the IoT Connectivity integration."""

from __future__ import annotations

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
    from collections.abc import Callable, Coroutine


def async_handle_errors[EntityT: IoTConnectivityEntity[Any], **P](
    func: Callable[Concatenate[EntityT, P], Coroutine[Any, Any, Any]],
) -> Callable[Concatenate[EntityT, P], Coroutine[Any, Any, None]]:
    """Turn a write's library errors into translated errors, then re-read its data.

    A refused login starts reauthentication: retrying cannot help.
    """

    async def handler(entity: EntityT, /, *args: P.args, **kwargs: P.kwargs) -> None:
        try:
            await func(entity, *args, **kwargs)
        except AuthenticationError as err:
            entity.coordinator.config_entry.async_start_reauth(entity.hass)
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
        await entity.coordinator.async_request_refresh()

    return handler
