"""Helpers of the IoT Connectivity integration: its one error translator, and issues.

Library errors become Home Assistant errors here and nowhere else.
:data:`FAILURES` says once what each library error means; thin adapters turn
that into what each place raises or shows:

* setup (:func:`setup_error`): ``ConfigEntryAuthFailed`` or ``ConfigEntryNotReady``;
* coordinators (:func:`update_error`): ``ConfigEntryAuthFailed`` or ``UpdateFailed``;
* actions, entity writes and fix flows (:func:`provider_errors`,
  :func:`async_handle_errors`): ``HomeAssistantError``, starting reauthentication
  when the credentials were refused;
* the config flow (:func:`form_error`): the form's error key.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from enum import Enum, auto
from typing import TYPE_CHECKING, Any, Concatenate, Final

from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import (
    ConfigEntryAuthFailed,
    ConfigEntryNotReady,
    HomeAssistantError,
)
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.storage import Store
from homeassistant.helpers.update_coordinator import UpdateFailed

from .api.errors import (
    ActivationError,
    AuthenticationError,
    InvalidRequestError,
    IoTConnectivityError,
    NotFoundError,
    RateLimitedError,
)
from .const import DOMAIN

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigEntry
    from homeassistant.helpers.device_registry import DeviceEntry

    from .coordinator import IoTConnectivityConfigEntry
    from .entity import IoTConnectivityEntity


class Kind(Enum):
    """How Home Assistant deals with a failure."""

    CREDENTIALS = auto()
    """The credentials were refused: reauthentication asks for new ones."""
    RATE_LIMIT = auto()
    """The provider's request limit is reached: wait until it resets."""
    FAILURE = auto()
    """Anything else (refused, not found, unreachable, nonsense): told as it
    is; a read tries again at its next interval."""


@dataclass(frozen=True, slots=True)
class Failure:
    """What a library error means in Home Assistant."""

    kind: Kind
    translation_key: str | None
    """The exception message (``exceptions``) that names this failure; None:
    the general message of where it happened, with the error's text."""
    form_error: str = "cannot_connect"
    """The config-flow form error."""
    shows_details: bool = False
    """Whether the message quotes the provider's own words (``{error}``)."""


FAILURES: Final[Mapping[type[IoTConnectivityError], Failure]] = {
    ActivationError: Failure(
        Kind.CREDENTIALS, "lora_activation_failed", form_error="activation_failed"
    ),
    AuthenticationError: Failure(
        Kind.CREDENTIALS, "authentication_failed", form_error="invalid_auth"
    ),
    RateLimitedError: Failure(Kind.RATE_LIMIT, "rate_limited"),
    NotFoundError: Failure(Kind.FAILURE, "not_found"),
    InvalidRequestError: Failure(Kind.FAILURE, "request_refused", shows_details=True),
    # Unreachable, failing (5xx) or answering nonsense.
    IoTConnectivityError: Failure(Kind.FAILURE, None),
}
"""Every library error by type; a subclass not listed means what its base means."""

SETUP_FAILED: Final = "setup_failed"
UPDATE_FAILED: Final = "update_failed"
ACTION_FAILED: Final = "action_failed"


def failure_of(err: IoTConnectivityError) -> Failure:
    """What ``err`` means: the entry of its closest listed type."""
    return next(FAILURES[cls] for cls in type(err).__mro__ if cls in FAILURES)


def error_details(err: IoTConnectivityError) -> str:
    """The error as text for the user: the provider's explanation if it gave one."""
    if isinstance(err, InvalidRequestError) and err.provider_message:
        return err.provider_message
    return str(err)


def _translated[ErrorT: HomeAssistantError](
    error_class: type[ErrorT],
    err: IoTConnectivityError,
    general_key: str,
    *,
    named: bool = True,
    **kwargs: Any,
) -> ErrorT:
    """``error_class`` with the failure's message, or the general one.

    ``named`` False keeps the general message even for a failure that has its
    own: reads name only what the user can act on.
    """
    failure = failure_of(err)
    if named and failure.translation_key is not None:
        key = failure.translation_key
        details = failure.shows_details
    else:
        key, details = general_key, True
    return error_class(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders={"error": error_details(err)} if details else None,
        **kwargs,
    )


def _read_error[ErrorT: HomeAssistantError](
    err: IoTConnectivityError,
    general_key: str,
    error_class: type[ErrorT],
    **kwargs: Any,
) -> ConfigEntryAuthFailed | ErrorT:
    """Why a read failed: reauthenticate, or ``error_class`` (try again later).

    Reads name only the failures the user can act on (refused credentials,
    a request limit); for the others the general message quotes the error.
    """
    kind = failure_of(err).kind
    if kind is Kind.CREDENTIALS:
        return _translated(ConfigEntryAuthFailed, err, general_key)
    return _translated(
        error_class, err, general_key, named=kind is Kind.RATE_LIMIT, **kwargs
    )


def setup_error(err: IoTConnectivityError) -> HomeAssistantError:
    """Why setting up an entry failed: ``ConfigEntryAuthFailed`` or ``…NotReady``."""
    return _read_error(err, SETUP_FAILED, ConfigEntryNotReady)


def update_error(
    err: IoTConnectivityError,
    seconds_until_allowed: Callable[[RateLimitedError], float | None],
) -> HomeAssistantError:
    """Why a coordinator's read failed; after a 429, when to read again."""
    retry_after = (
        seconds_until_allowed(err) if isinstance(err, RateLimitedError) else None
    )
    return _read_error(err, UPDATE_FAILED, UpdateFailed, retry_after=retry_after)


def form_error(err: IoTConnectivityError) -> str:
    """The config-flow form error of a failed sign-in."""
    return failure_of(err).form_error


@callback
def async_write_error(
    hass: HomeAssistant, entry: IoTConnectivityConfigEntry, err: IoTConnectivityError
) -> HomeAssistantError:
    """Why a write (action, switch, button, fix flow) failed.

    Refused credentials start reauthentication: retrying cannot help.
    """
    if failure_of(err).kind is Kind.CREDENTIALS:
        entry.async_start_reauth(hass)
    return _translated(HomeAssistantError, err, ACTION_FAILED)


@contextmanager
def provider_errors(
    hass: HomeAssistant, entry: IoTConnectivityConfigEntry
) -> Iterator[None]:
    """Turn the library errors of a write into translated errors."""
    try:
        yield
    except IoTConnectivityError as err:
        raise async_write_error(hass, entry, err) from err


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


# Repair issues: each is of one entry, named by its kind and the entry's id.


def entry_issue_id(kind: str, entry: ConfigEntry[Any]) -> str:
    """The id of one entry's issue of one kind."""
    return f"{kind}_{entry.entry_id}"


@callback
def async_create_entry_issue(
    hass: HomeAssistant,
    entry: ConfigEntry[Any],
    kind: str,
    *,
    translation_key: str | None = None,
    fixable: bool = False,
    placeholders: Mapping[str, str] | None = None,
) -> None:
    """Create (or update) one entry's issue; a fix flow finds the entry in its data."""
    ir.async_create_issue(
        hass,
        DOMAIN,
        entry_issue_id(kind, entry),
        is_fixable=fixable,
        severity=ir.IssueSeverity.WARNING,
        translation_key=translation_key or kind,
        translation_placeholders={"account": entry.title, **(placeholders or {})},
        data={"entry_id": entry.entry_id},
    )


@callback
def async_entry_issue_exists(
    hass: HomeAssistant, entry: ConfigEntry[Any], kind: str
) -> bool:
    """Whether one entry's issue of one kind is raised (a fix flow may have removed it)."""
    issue_id = entry_issue_id(kind, entry)
    return ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is not None


@callback
def async_delete_entry_issue(
    hass: HomeAssistant, entry: ConfigEntry[Any], kind: str
) -> None:
    """Delete one entry's issue of one kind, if it exists."""
    ir.async_delete_issue(hass, DOMAIN, entry_issue_id(kind, entry))


@callback
def async_delete_entry_issues(hass: HomeAssistant, entry: ConfigEntry[Any]) -> None:
    """Delete every issue of a removed entry, of whatever kind."""
    suffix = f"_{entry.entry_id}"
    for domain, issue_id in list(ir.async_get(hass).issues):
        if domain == DOMAIN and issue_id.endswith(suffix):
            ir.async_delete_issue(hass, DOMAIN, issue_id)


ENTRY_STORES: Final = {
    "pushes": ("{entry_id}.pushes", True),
    "readings": ("{entry_id}.readings", True),
    "imei_watch": ("imei_watch.{entry_id}", True),
    "forecast": ("{entry_id}.forecast", False),
    "history": ("{entry_id}.history", False),
}
"""What an entry keeps in storage, by name: the key after the domain, as
released (a renamed key would lose what users have stored), and whether it
is private.

Private: SMS texts waiting for their other parts, device positions, IMEIs.
"""


def entry_store[DataT: Mapping[str, Any] | Sequence[Any]](
    hass: HomeAssistant, entry_id: str, name: str, version: int = 1
) -> Store[DataT]:
    """The entry's store ``name`` (one of :data:`ENTRY_STORES`)."""
    key, private = ENTRY_STORES[name]
    return Store(
        hass, version, f"{DOMAIN}.{key.format(entry_id=entry_id)}", private=private
    )


async def async_remove_entry_stores(hass: HomeAssistant, entry_id: str) -> None:
    """Delete everything a removed entry kept in storage."""
    for name in ENTRY_STORES:
        store: Store[Any] = entry_store(hass, entry_id, name)
        await store.async_remove()
