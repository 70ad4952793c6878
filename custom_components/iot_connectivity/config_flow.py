"""Config flow for IoT Connectivity: one entry per provider account."""

from __future__ import annotations

from dataclasses import dataclass
import secrets
from typing import TYPE_CHECKING, Any, Final, override
from urllib.parse import urlsplit

from homeassistant.config_entries import (
    ConfigEntryState,
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlow,
    OptionsFlowWithReload,
)
from homeassistant.const import (
    CONF_API_KEY,
    CONF_CLIENT_SECRET,
    CONF_PASSWORD,
    PERCENTAGE,
    UnitOfTime,
)
from homeassistant.core import callback
from homeassistant.data_entry_flow import section
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectSelector,
    SelectSelectorConfig,
    TextSelector,
)
import probatio

from .api.errors import IoTConnectivityError
from .api.models import AccountInfo
from .const import (
    CONF_AS_ID,
    CONF_AS_KEY,
    CONF_ENTITY_GROUPS,
    CONF_PROVIDER,
    CONF_QUOTA_WARNING,
    CONF_ROUTING_PROFILE,
    CONF_WEBHOOK_ID,
    DOMAIN,
    ENTITY_GROUP_QUOTA,
    INTERVAL_BOUNDS,
    LOGGER,
    QUOTA_WARNING_BOUNDS,
)
from .helpers import error_details, failure_of, form_error
from .providers import PROVIDERS, ProviderSpec, PushKind, spec_of
from .providers.spec import SECRET
from .webhook import DIRECT_PUSHES, async_direct_webhook_url, async_webhook_url

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Mapping

    from .coordinator import IoTConnectivityConfigEntry, LoraCoordinator

NO_DIRECT_URL: Final = "no_direct_url"
"""Suffix of the options step that says PATCH pushes have no address to go to."""

ACCOUNT_SECRETS: Final = (CONF_CLIENT_SECRET, CONF_PASSWORD, CONF_API_KEY)
"""The secrets that prove an account; reauthentication asks for these."""
HIDDEN_VALUES: Final = (*ACCOUNT_SECRETS, CONF_AS_KEY)
"""Entry data never shown again in a form."""
KEPT_ON_RECONFIGURE: Final = (CONF_WEBHOOK_ID, CONF_AS_KEY, CONF_ROUTING_PROFILE)
"""Entry data the reconfigure form does not ask again (or not unless changed).

The provider's portal points at the webhook, and the AS key of a routing
profile the integration made was never shown to the user."""

CONF_PROFILE_NAME: Final = "profile_name"
DEFAULT_PROFILE_NAME: Final = "Home Assistant"
AS_ID_PREFIX: Final = "home-assistant-"
LISTED_DEVICES: Final = 25
"""Devices named in the routing profile step; more are counted, not listed."""


@dataclass(frozen=True, slots=True)
class SignedIn:
    """An account that the credentials reached, and the entry data to keep."""

    account: AccountInfo
    data: dict[str, Any]


def _sections(spec: ProviderSpec[Any]) -> list[str]:
    """The names of the collapsed sections of the provider's form."""
    return [
        str(key)
        for key, value in spec.fields.schema.items()
        if isinstance(value, section)
    ]


def _entry_data(
    spec: ProviderSpec[Any], user_input: Mapping[str, Any]
) -> dict[str, Any]:
    """Form input as entry data: sections flattened, blanks left out."""
    fields = dict(user_input)
    for name in _sections(spec):
        fields |= fields.pop(name, {})
    given = {key: value for key, value in fields.items() if value}
    return {CONF_PROVIDER: spec.id, **given}


def _form_values(spec: ProviderSpec[Any], data: Mapping[str, Any]) -> dict[str, Any]:
    """Entry data as form suggestions: secrets left out, sections nested."""
    values = {key: value for key, value in data.items() if key not in HIDDEN_VALUES}
    return values | dict.fromkeys(_sections(spec), values)


def _minutes(option: str) -> NumberSelector:
    """Ask for whole minutes within the bounds of the interval ``option``."""
    _, minimum, maximum = INTERVAL_BOUNDS[option]
    return NumberSelector(
        NumberSelectorConfig(
            min=minimum,
            max=maximum,
            step=1,
            unit_of_measurement=UnitOfTime.MINUTES,
            mode=NumberSelectorMode.BOX,
        )
    )


def _quota_warning() -> NumberSelector:
    """Ask for the share of a bundle left, in whole percent, that raises a repair."""
    _, minimum, maximum = QUOTA_WARNING_BOUNDS
    return NumberSelector(
        NumberSelectorConfig(
            min=minimum,
            max=maximum,
            step=1,
            unit_of_measurement=PERCENTAGE,
            mode=NumberSelectorMode.BOX,
        )
    )


class IoTConnectivityConfigFlow(ConfigFlow, domain=DOMAIN):
    """Add, reauthenticate and reconfigure a provider account.

    The menu offers every provider; each provider's form is a step named after
    its spec (``async_step_<id>``, added below the class for every spec).
    """

    VERSION = 1

    @staticmethod
    @callback
    @override
    def async_get_options_flow(
        config_entry: IoTConnectivityConfigEntry,
    ) -> OptionsFlow:
        """Edit the polling intervals and the entity groups."""
        return IoTConnectivityOptionsFlow()

    @override
    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Choose the provider."""
        return self.async_show_menu(step_id="user", menu_options=list(PROVIDERS))

    async def async_step_provider(
        self, spec: ProviderSpec[Any], user_input: dict[str, Any] | None
    ) -> ConfigFlowResult:
        """Ask for the provider's credentials and create the entry once they work."""
        errors: dict[str, str] = {}
        if user_input is not None:
            signed_in, errors = await self._async_check_account(
                spec, _entry_data(spec, user_input)
            )
            if signed_in is not None:
                self._abort_if_unique_id_configured()
                account = signed_in.account
                account_name = account.name or account.account_id
                return self.async_create_entry(
                    title=f"{spec.name} ({account_name})", data=signed_in.data
                )
        return self.async_show_form(
            step_id=spec.id,
            data_schema=self.add_suggested_values_to_schema(spec.fields, user_input),
            description_placeholders=dict(spec.form_placeholders),
            errors=errors,
        )

    async def async_step_reauth(
        self,
        entry_data: Mapping[str, Any],
    ) -> ConfigFlowResult:
        """Start reauthentication: the provider refused the stored credentials.

        That includes a KPN LoRa project its ThingPark user could not activate.
        """
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the account's secrets again.

        Signing in with them also activates a KPN LoRa project again, which
        is how a failed activation is repaired.
        """
        entry = self._get_reauth_entry()
        spec = spec_of(entry)
        errors: dict[str, str] = {}
        if user_input is not None:
            signed_in, errors = await self._async_check_account(
                spec, {**entry.data, **user_input}
            )
            if signed_in is not None:
                self._abort_if_unique_id_mismatch(reason="wrong_account")
                return self.async_update_reload_and_abort(entry, data=signed_in.data)
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=probatio.Schema(
                {
                    probatio.Required(probatio.Secret(key)): SECRET
                    for key in ACCOUNT_SECRETS
                    if key in entry.data
                }
            ),
            description_placeholders={"provider": spec.name},
            errors=errors,
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the address or the credentials of the same account."""
        entry = self._get_reconfigure_entry()
        spec = spec_of(entry)
        errors: dict[str, str] = {}
        if user_input is not None:
            data = _entry_data(spec, user_input)
            data |= {
                key: value
                for key, value in entry.data.items()
                if key in KEPT_ON_RECONFIGURE and key not in data
            }
            signed_in, errors = await self._async_check_account(spec, data)
            if signed_in is not None:
                self._abort_if_unique_id_mismatch(reason="wrong_account")
                return self.async_update_reload_and_abort(entry, data=signed_in.data)
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                spec.fields, user_input or _form_values(spec, entry.data)
            ),
            description_placeholders={"provider": spec.name},
            errors=errors,
        )

    async def _async_check_account(
        self, spec: ProviderSpec[Any], data: Mapping[str, Any]
    ) -> tuple[SignedIn | None, dict[str, str]]:
        """Sign in with ``data``; the account (its unique id set) or form errors.

        Signing in does what a new account needs once (a KPN LoRa project is
        activated with the ThingPark credentials given), and the entry data
        remembers it.
        """
        if errors := spec.check_fields(data):
            return None, errors
        client = spec.create_client(
            async_get_clientsession(self.hass), data, sign_in=True
        )
        try:
            account = await client.get_account()
        except IoTConnectivityError as err:
            return None, {"base": form_error(err)}
        except Exception:  # noqa: BLE001 - shown to the user as "unknown", logged
            LOGGER.exception("Unexpected error signing in to %s", spec.name)
            return None, {"base": "unknown"}
        await self.async_set_unique_id(
            f"{spec.id}_{account.account_id}", raise_on_progress=False
        )
        return SignedIn(account, {**data, **spec.remembered(client)}), {}


def _provider_step(
    spec: ProviderSpec[Any],
) -> Callable[
    [IoTConnectivityConfigFlow, dict[str, Any] | None], Awaitable[ConfigFlowResult]
]:
    """The config-flow step of ``spec``'s form, as the menu calls it."""

    async def step(
        flow: IoTConnectivityConfigFlow, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        return await flow.async_step_provider(spec, user_input)

    step.__doc__ = f"Add a {spec.name} account."
    return step


for _spec in PROVIDERS.values():
    setattr(IoTConnectivityConfigFlow, f"async_step_{_spec.id}", _provider_step(_spec))


class IoTConnectivityOptionsFlow(OptionsFlowWithReload):
    """Polling interval per kind of data and the entity groups to create.

    For a provider that pushes, the form is the step of what it pushes and
    also says which URL to enter at the provider.
    """

    _created: dict[str, str]
    """What the step after creating a routing profile tells the user."""

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Offer the routing profile step where it applies, else the options."""
        if user_input is None and self._uplink_routes() is not None:
            return self.async_show_menu(
                step_id="uplinks_menu",
                menu_options=[PushKind.LORA_UPLINKS.value, "routing_profile"],
                description_placeholders={"provider": spec_of(self.config_entry).name},
            )
        return await self._async_settings(user_input)

    async def async_step_uplinks_menu(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show the menu of an account whose uplinks can be routed here."""
        return await self.async_step_init()

    def _uplink_routes(self) -> tuple[LoraCoordinator, str] | None:
        """The loaded entry's LoRa devices and webhook, when it can route uplinks.

        A provider that pushes LoRa uplinks can be told where to, once the
        entry is loaded (its client and devices are there).
        """
        entry = self.config_entry
        webhook_id = entry.data.get(CONF_WEBHOOK_ID)
        if (
            spec_of(entry).push is not PushKind.LORA_UPLINKS
            or webhook_id is None
            or entry.state is not ConfigEntryState.LOADED
            or entry.runtime_data.lora is None
        ):
            return None
        return entry.runtime_data.lora, webhook_id

    async def _async_settings(
        self, user_input: dict[str, Any] | None
    ) -> ConfigFlowResult:
        """Show the options that apply to the entry's provider."""
        spec = spec_of(self.config_entry)
        intervals, groups = spec.intervals, spec.entity_groups
        warnings = (CONF_QUOTA_WARNING,) if ENTITY_GROUP_QUOTA in groups else ()
        if user_input is not None:
            # The number selector gives floats; the options are whole numbers.
            return self.async_create_entry(
                data=user_input
                | {key: int(user_input[key]) for key in (*intervals, *warnings)}
            )
        schema = probatio.Schema(
            {
                **{
                    probatio.Required(key, default=INTERVAL_BOUNDS[key][0]): _minutes(
                        key
                    )
                    for key in intervals
                },
                **{
                    probatio.Required(key, default=QUOTA_WARNING_BOUNDS[0]): (
                        _quota_warning()
                    )
                    for key in warnings
                },
                probatio.Required(CONF_ENTITY_GROUPS, default=list(groups)): (
                    SelectSelector(
                        SelectSelectorConfig(
                            options=list(groups),
                            multiple=True,
                            translation_key=CONF_ENTITY_GROUPS,
                        )
                    )
                ),
            }
        )
        step_id, placeholders = "init", None
        webhook_id = self.config_entry.data.get(CONF_WEBHOOK_ID)
        if spec.push is not None and webhook_id is not None:
            step_id = spec.push.value
            placeholders = {
                "provider": spec.name,
                "webhook_url": await async_webhook_url(self.hass, webhook_id),
            }
            if spec.push in DIRECT_PUSHES:
                direct = await async_direct_webhook_url(self.hass, webhook_id)
                if direct is None:
                    step_id = f"{step_id}_{NO_DIRECT_URL}"
                else:
                    placeholders["direct_webhook_url"] = direct
        return self.async_show_form(
            step_id=step_id,
            data_schema=self.add_suggested_values_to_schema(
                schema, self.config_entry.options
            ),
            description_placeholders=placeholders,
        )

    async def async_step_sms_gateway(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Save the options of an account whose SMS gateway pushes."""
        return await self._async_settings(user_input)

    async def async_step_sms_gateway_no_direct_url(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Save the options of an account that delivery reports cannot reach."""
        return await self._async_settings(user_input)

    async def async_step_lora_uplinks(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Save the options of an account that pushes LoRa uplinks."""
        return await self._async_settings(user_input)

    async def async_step_routing_profile(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Create a routing profile that sends the devices' uplinks to the webhook.

        Its route gets a new AS ID and AS key, stored in the entry: uplinks are
        verified and downlinks signed with them, without the user copying keys.
        The key is a secret: it is never logged nor shown.
        """
        routes = self._uplink_routes()
        if routes is None:
            return self.async_abort(reason="routing_profile_unavailable")
        lora, webhook_id = routes
        url = await async_webhook_url(self.hass, webhook_id)
        placeholders = {
            "webhook_url": url,
            "devices": _device_list(lora),
            "error": "",
        }
        errors: dict[str, str] = {}
        if user_input is not None:
            parts = urlsplit(url)
            if not (parts.scheme and parts.netloc):
                errors["base"] = "no_webhook_url"
            else:
                as_id = f"{AS_ID_PREFIX}{secrets.token_hex(6)}"
                as_key = secrets.token_hex(16)
                try:
                    profile = await lora.client.create_routing_profile(
                        name=user_input[CONF_PROFILE_NAME],
                        as_id=as_id,
                        as_key=as_key,
                        addresses=[url],
                    )
                except IoTConnectivityError as err:
                    failure = failure_of(err)
                    errors["base"] = (
                        "request_refused" if failure.shows_details else form_error(err)
                    )
                    placeholders["error"] = error_details(err)
                else:
                    entry = self.config_entry
                    self.hass.config_entries.async_update_entry(
                        entry,
                        data={
                            **entry.data,
                            CONF_AS_ID: as_id,
                            CONF_AS_KEY: as_key,
                            CONF_ROUTING_PROFILE: profile.id,
                        },
                    )
                    # Downlinks are signed by the client: it takes the new key.
                    self.hass.config_entries.async_schedule_reload(entry.entry_id)
                    self._created = {
                        **placeholders,
                        "profile_name": profile.name or user_input[CONF_PROFILE_NAME],
                        "profile_id": profile.id,
                    }
                    return await self.async_step_routing_profile_created()
        return self.async_show_form(
            step_id="routing_profile",
            data_schema=self.add_suggested_values_to_schema(
                probatio.Schema(
                    {
                        probatio.Required(
                            CONF_PROFILE_NAME, default=DEFAULT_PROFILE_NAME
                        ): TextSelector()
                    }
                ),
                user_input,
            ),
            description_placeholders=placeholders,
            errors=errors,
        )

    async def async_step_routing_profile_created(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Say which devices to attach to the new profile; the options stay."""
        if user_input is not None:
            return self.async_create_entry(data=dict(self.config_entry.options))
        return self.async_show_form(
            step_id="routing_profile_created",
            data_schema=probatio.Schema({}),
            description_placeholders=self._created,
        )


def _device_list(lora: LoraCoordinator) -> str:
    """The account's devices as a Markdown list: name and DevEUI."""
    devices = sorted(
        (state.device for state in lora.data.devices.values()),
        key=lambda device: ((device.name or "").lower(), device.eui),
    )
    lines = [
        f"- {device.name or device.eui} (`{device.eui}`)"
        for device in devices[:LISTED_DEVICES]
    ]
    if len(devices) > LISTED_DEVICES:
        lines.append(f"- … +{len(devices) - LISTED_DEVICES}")
    return "\n".join(lines) or "-"
