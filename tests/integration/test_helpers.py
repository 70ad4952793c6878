"""The one error translator: each library error, in each place it can happen."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.exceptions import (
    ConfigEntryAuthFailed,
    ConfigEntryNotReady,
    HomeAssistantError,
)
from homeassistant.helpers.update_coordinator import UpdateFailed
import pytest

from custom_components.iot_connectivity.api.errors import (
    ActivationError,
    AuthenticationError,
    InvalidRequestError,
    InvalidResponseError,
    IoTConnectivityError,
    NotFoundError,
    ProviderUnavailableError,
    RateLimitedError,
    TokenExpiredError,
)
from custom_components.iot_connectivity.api.models import Provider
from custom_components.iot_connectivity.const import DOMAIN
from custom_components.iot_connectivity.helpers import (
    async_write_error,
    form_error,
    setup_error,
    update_error,
)

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

WAIT = 600.0
"""What the coordinator says a 429 makes it wait."""


class Raised(NamedTuple):
    """An error class with its translation key and placeholders."""

    error_class: type[HomeAssistantError]
    translation_key: str
    placeholders: dict[str, str] | None = None


def raised(error: HomeAssistantError) -> Raised:
    """What ``error`` is, for comparison."""
    return Raised(
        type(error), error.translation_key or "", error.translation_placeholders
    )


CASES: list[tuple[IoTConnectivityError, Raised, Raised, Raised, str, bool]] = [
    (
        ActivationError("activation refused"),
        Raised(ConfigEntryAuthFailed, "lora_activation_failed"),
        Raised(ConfigEntryAuthFailed, "lora_activation_failed"),
        Raised(HomeAssistantError, "lora_activation_failed"),
        "activation_failed",
        True,
    ),
    (
        AuthenticationError("401"),
        Raised(ConfigEntryAuthFailed, "authentication_failed"),
        Raised(ConfigEntryAuthFailed, "authentication_failed"),
        Raised(HomeAssistantError, "authentication_failed"),
        "invalid_auth",
        True,
    ),
    # Not listed: means what its base class means.
    (
        TokenExpiredError("token refused twice"),
        Raised(ConfigEntryAuthFailed, "authentication_failed"),
        Raised(ConfigEntryAuthFailed, "authentication_failed"),
        Raised(HomeAssistantError, "authentication_failed"),
        "invalid_auth",
        True,
    ),
    (
        RateLimitedError("429"),
        Raised(ConfigEntryNotReady, "rate_limited"),
        Raised(UpdateFailed, "rate_limited"),
        Raised(HomeAssistantError, "rate_limited"),
        "cannot_connect",
        False,
    ),
    (
        NotFoundError("404"),
        Raised(ConfigEntryNotReady, "setup_failed", {"error": "404"}),
        Raised(UpdateFailed, "update_failed", {"error": "404"}),
        Raised(HomeAssistantError, "not_found"),
        "cannot_connect",
        False,
    ),
    (
        InvalidRequestError("400", provider_message="ICCID unknown"),
        Raised(ConfigEntryNotReady, "setup_failed", {"error": "ICCID unknown"}),
        Raised(UpdateFailed, "update_failed", {"error": "ICCID unknown"}),
        Raised(HomeAssistantError, "request_refused", {"error": "ICCID unknown"}),
        "cannot_connect",
        False,
    ),
    (
        ProviderUnavailableError("503"),
        Raised(ConfigEntryNotReady, "setup_failed", {"error": "503"}),
        Raised(UpdateFailed, "update_failed", {"error": "503"}),
        Raised(HomeAssistantError, "action_failed", {"error": "503"}),
        "cannot_connect",
        False,
    ),
    (
        InvalidResponseError("not JSON"),
        Raised(ConfigEntryNotReady, "setup_failed", {"error": "not JSON"}),
        Raised(UpdateFailed, "update_failed", {"error": "not JSON"}),
        Raised(HomeAssistantError, "action_failed", {"error": "not JSON"}),
        "cannot_connect",
        False,
    ),
]


@pytest.mark.parametrize("provider", [Provider.INFOBIP_IOT])
@pytest.mark.parametrize(
    ("error", "at_setup", "in_update", "in_write", "in_form", "reauthenticates"),
    CASES,
    ids=[type(case[0]).__name__ for case in CASES],
)
async def test_library_errors_translated(  # noqa: PLR0917 - parameters
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    error: IoTConnectivityError,
    at_setup: Raised,
    in_update: Raised,
    in_write: Raised,
    in_form: str,
    reauthenticates: bool,
) -> None:
    """Setup, coordinators, writes and the config flow each get their kind of error.

    Only refused credentials start reauthentication; only a 429 tells a
    coordinator when to read again.
    """
    mock_config_entry.add_to_hass(hass)

    def wait(rate_limited: RateLimitedError) -> float:
        assert rate_limited is error
        return WAIT

    updated = update_error(error, wait)
    written = async_write_error(hass, mock_config_entry, error)
    await hass.async_block_till_done()

    assert raised(setup_error(error)) == at_setup
    assert raised(updated) == in_update
    assert raised(written) == in_write
    assert form_error(error) == in_form
    if isinstance(updated, UpdateFailed):
        expected_wait = WAIT if isinstance(error, RateLimitedError) else None
        assert updated.retry_after == expected_wait
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == (
        [SOURCE_REAUTH] if reauthenticates else []
    )
