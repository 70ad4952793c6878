"""Config flow for IoT Connectivity: one entry per provider account."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, override

from homeassistant.config_entries import (
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlow,
    OptionsFlowWithReload,
)
from homeassistant.const import (
    CONF_API_KEY,
    CONF_CLIENT_ID,
    CONF_CLIENT_SECRET,
    CONF_PASSWORD,
    CONF_URL,
    CONF_USERNAME,
    PERCENTAGE,
    UnitOfTime,
)
from homeassistant.core import callback
from homeassistant.data_entry_flow import section
from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectSelector,
    SelectSelectorConfig,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
import probatio

from .api.errors import ActivationError, AuthenticationError, IoTConnectivityError
from .api.infobip import INFOBIP_URL
from .api.kpn_gateway import KPN_GATEWAY_URL
from .api.kpn_lora import LRC_URL
from .api.models import AccountInfo, Capability, Provider
from .api.tmobile import TMOBILE_URL
from .client import SIM_CLIENTS, create_client, remembered_state
from .const import (
    CONF_AS_ID,
    CONF_AS_KEY,
    CONF_ENTITY_GROUPS,
    CONF_LORA_INTERVAL,
    CONF_LRC_URL,
    CONF_PLAN_INTERVAL,
    CONF_PROVIDER,
    CONF_QUOTA_WARNING,
    CONF_SIM_INTERVAL,
    CONF_USAGE_INTERVAL,
    CONF_WEBHOOK_ID,
    DOMAIN,
    ENTITY_GROUP_LORA_ALARMS,
    ENTITY_GROUP_LORA_SIGNAL,
    ENTITY_GROUP_QUOTA,
    ENTITY_GROUP_SESSION,
    ENTITY_GROUP_USAGE,
    INTERVAL_BOUNDS,
    LOGGER,
    PROVIDER_NAMES,
    QUOTA_WARNING_BOUNDS,
)
from .webhook import (
    DIRECT_PUSH_PROVIDERS,
    async_direct_webhook_url,
    async_webhook_url,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

    from .coordinator import IoTConnectivityConfigEntry

SECTION_DOWNLINKS: Final = "downlinks"
NO_DIRECT_URL: Final = "no_direct_url"
"""Suffix of the options step that says PATCH pushes have no address to go to."""

TEXT = TextSelector()
SECRET = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))
URL = TextSelector(TextSelectorConfig(type=TextSelectorType.URL))

ACCOUNT_SECRETS: Final = (CONF_CLIENT_SECRET, CONF_PASSWORD, CONF_API_KEY)
"""The secrets that prove an account; reauthentication asks for these."""

KPN_GATEWAY_FIELDS: Final = {
    probatio.Required(CONF_CLIENT_ID): TEXT,
    probatio.Required(probatio.Secret(CONF_CLIENT_SECRET)): SECRET,
}
LOGIN_FIELDS: Final = {
    probatio.Required(CONF_USERNAME): TEXT,
    probatio.Required(probatio.Secret(CONF_PASSWORD)): SECRET,
}

PROVIDER_SCHEMAS: Final = {
    Provider.KPN_IOT_SIM: probatio.Schema(
        {
            **KPN_GATEWAY_FIELDS,
            probatio.Required(CONF_URL, default=KPN_GATEWAY_URL): URL,
        }
    ),
    Provider.TMOBILE_EASY_CONNECT: probatio.Schema(
        {**LOGIN_FIELDS, probatio.Required(CONF_URL, default=TMOBILE_URL): URL}
    ),
    # Infobip takes Basic credentials or an API key: both are optional here and
    # _credential_errors asks for exactly one of the two.
    Provider.INFOBIP_IOT: probatio.Schema(
        {
            probatio.Optional(CONF_USERNAME): TEXT,
            probatio.Optional(probatio.Secret(CONF_PASSWORD)): SECRET,
            probatio.Optional(probatio.Secret(CONF_API_KEY)): SECRET,
            probatio.Required(CONF_URL, default=INFOBIP_URL): URL,
        }
    ),
    Provider.KPN_LORA: probatio.Schema(
        {
            **KPN_GATEWAY_FIELDS,
            **LOGIN_FIELDS,
            probatio.Required(CONF_URL, default=KPN_GATEWAY_URL): URL,
            # Only downlinks need these, so they stay out of the way.
            probatio.Required(SECTION_DOWNLINKS): section(
                probatio.Schema(
                    {
                        probatio.Optional(CONF_AS_ID): TEXT,
                        probatio.Optional(probatio.Secret(CONF_AS_KEY)): SECRET,
                        probatio.Required(CONF_LRC_URL, default=LRC_URL): URL,
                    }
                ),
                {"collapsed": True},
            ),
        }
    ),
}

FORM_PLACEHOLDERS: Final = {"example_url": "https://xxxxx.api.infobip.com"}
"""Addresses shown in the forms' help: translations may not contain URLs."""

SIM_INTERVALS: Final = (CONF_SIM_INTERVAL, CONF_USAGE_INTERVAL)
LORA_INTERVALS: Final = (CONF_LORA_INTERVAL, CONF_PLAN_INTERVAL)
SIM_GROUP_CAPABILITIES: Final = {
    ENTITY_GROUP_USAGE: Capability.USAGE,
    ENTITY_GROUP_QUOTA: Capability.QUOTA,
    ENTITY_GROUP_SESSION: Capability.SESSION,
}
LORA_GROUPS: Final = (ENTITY_GROUP_LORA_SIGNAL, ENTITY_GROUP_LORA_ALARMS)


@dataclass(frozen=True, slots=True)
class SignedIn:
    """An account that the credentials reached, and the entry data to keep."""

    account: AccountInfo
    data: dict[str, Any]


def _entry_data(provider: Provider, user_input: Mapping[str, Any]) -> dict[str, Any]:
    """Form input as entry data: the downlink section flattened, blanks left out."""
    fields = {**user_input, **user_input.get(SECTION_DOWNLINKS, {})}
    fields.pop(SECTION_DOWNLINKS, None)
    given = {key: value for key, value in fields.items() if value}
    return {CONF_PROVIDER: provider, **given}


def _form_values(data: Mapping[str, Any]) -> dict[str, Any]:
    """Entry data as form suggestions: secrets left out, downlink settings nested."""
    values = {
        key: value
        for key, value in data.items()
        if key not in (*ACCOUNT_SECRETS, CONF_AS_KEY)
    }
    return {**values, SECTION_DOWNLINKS: values}


def _credential_errors(data: Mapping[str, Any]) -> dict[str, str]:
    """Point at the Infobip field that breaks "username and password or API key"."""
    if data[CONF_PROVIDER] != Provider.INFOBIP_IOT:
        return {}
    if CONF_API_KEY in data:
        both = CONF_USERNAME in data or CONF_PASSWORD in data
        return {CONF_API_KEY: "login_or_api_key"} if both else {}
    missing = [key for key in (CONF_USERNAME, CONF_PASSWORD) if key not in data]
    return {missing[0]: "login_or_api_key"} if missing else {}


def _options_for(provider: Provider) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Give the polling intervals and the entity groups that apply to ``provider``."""
    if provider is Provider.KPN_LORA:
        return LORA_INTERVALS, LORA_GROUPS
    capabilities = SIM_CLIENTS[provider].capabilities
    return SIM_INTERVALS, tuple(
        group
        for group, capability in SIM_GROUP_CAPABILITIES.items()
        if capability in capabilities
    )


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
    """Add, reauthenticate and reconfigure a provider account."""

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
        return self.async_show_menu(step_id="user", menu_options=list(Provider))

    async def async_step_kpn_iot_sim(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Add a KPN IoT Programmable SIM account."""
        return await self._async_step_provider(Provider.KPN_IOT_SIM, user_input)

    async def async_step_tmobile_easy_connect(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Add a T-Mobile IoT Easy Connect account."""
        return await self._async_step_provider(
            Provider.TMOBILE_EASY_CONNECT, user_input
        )

    async def async_step_infobip_iot(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Add an Infobip IoT SIM account."""
        return await self._async_step_provider(Provider.INFOBIP_IOT, user_input)

    async def async_step_kpn_lora(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Add a KPN LoRa account."""
        return await self._async_step_provider(Provider.KPN_LORA, user_input)

    async def _async_step_provider(
        self, provider: Provider, user_input: dict[str, Any] | None
    ) -> ConfigFlowResult:
        """Ask for the provider's credentials and create the entry once they work."""
        errors: dict[str, str] = {}
        if user_input is not None:
            signed_in, errors = await self._async_check_account(
                _entry_data(provider, user_input)
            )
            if signed_in is not None:
                self._abort_if_unique_id_configured()
                account = signed_in.account
                account_name = account.name or account.account_id
                return self.async_create_entry(
                    title=f"{PROVIDER_NAMES[provider]} ({account_name})",
                    data=signed_in.data,
                )
        return self.async_show_form(
            step_id=provider,
            data_schema=self.add_suggested_values_to_schema(
                PROVIDER_SCHEMAS[provider], user_input
            ),
            description_placeholders=FORM_PLACEHOLDERS,
            errors=errors,
        )

    async def async_step_reauth(
        self,
        entry_data: Mapping[str, Any],
    ) -> ConfigFlowResult:
        """Start reauthentication: the provider refused the stored credentials."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the account's secrets again."""
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            signed_in, errors = await self._async_check_account(
                {**entry.data, **user_input}
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
            errors=errors,
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the address or the credentials of the same account."""
        entry = self._get_reconfigure_entry()
        provider = Provider(entry.data[CONF_PROVIDER])
        errors: dict[str, str] = {}
        if user_input is not None:
            # The webhook stays: the provider's portal points at it.
            data = _entry_data(provider, user_input) | {
                key: value
                for key, value in entry.data.items()
                if key == CONF_WEBHOOK_ID
            }
            signed_in, errors = await self._async_check_account(data)
            if signed_in is not None:
                self._abort_if_unique_id_mismatch(reason="wrong_account")
                return self.async_update_reload_and_abort(entry, data=signed_in.data)
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                PROVIDER_SCHEMAS[provider], user_input or _form_values(entry.data)
            ),
            description_placeholders={"provider": PROVIDER_NAMES[provider]},
            errors=errors,
        )

    async def _async_check_account(
        self, data: Mapping[str, Any]
    ) -> tuple[SignedIn | None, dict[str, str]]:
        """Sign in with ``data``; the account (its unique id set) or form errors.

        Signing in does what a new account needs once (a KPN LoRa project is
        activated with the ThingPark credentials given), and the entry data
        remembers it.
        """
        if errors := _credential_errors(data):
            return None, errors
        client = create_client(self.hass, data, sign_in=True)
        try:
            account = await client.get_account()
        except ActivationError:
            return None, {"base": "activation_failed"}
        except AuthenticationError:
            return None, {"base": "invalid_auth"}
        # Every other library error means no usable answer came back (unreachable,
        # rate limited, a wrong URL answering 404 or garbage): the user can retry.
        except IoTConnectivityError:
            return None, {"base": "cannot_connect"}
        except Exception:  # noqa: BLE001 - shown to the user as "unknown", logged
            LOGGER.exception("Unexpected error signing in to %s", data[CONF_PROVIDER])
            return None, {"base": "unknown"}
        await self.async_set_unique_id(
            f"{data[CONF_PROVIDER]}_{account.account_id}", raise_on_progress=False
        )
        return SignedIn(account, {**data, **remembered_state(client)}), {}


class IoTConnectivityOptionsFlow(OptionsFlowWithReload):
    """Polling interval per kind of data and the entity groups to create.

    For a provider that pushes, the form is the provider's own step and also
    says which URL to enter at the provider.
    """

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show the options that apply to the entry's provider."""
        provider = Provider(self.config_entry.data[CONF_PROVIDER])
        intervals, groups = _options_for(provider)
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
        if (webhook_id := self.config_entry.data.get(CONF_WEBHOOK_ID)) is not None:
            step_id = provider.value
            placeholders = {
                "webhook_url": await async_webhook_url(self.hass, webhook_id)
            }
            if provider in DIRECT_PUSH_PROVIDERS:
                direct = await async_direct_webhook_url(self.hass, webhook_id)
                if direct is None:
                    step_id = f"{provider}_{NO_DIRECT_URL}"
                else:
                    placeholders["direct_webhook_url"] = direct
        return self.async_show_form(
            step_id=step_id,
            data_schema=self.add_suggested_values_to_schema(
                schema, self.config_entry.options
            ),
            description_placeholders=placeholders,
        )

    async def async_step_tmobile_easy_connect(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Save the options of a T-Mobile account."""
        return await self.async_step_init(user_input)

    async def async_step_tmobile_easy_connect_no_direct_url(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Save the options of a T-Mobile account that delivery reports cannot reach."""
        return await self.async_step_init(user_input)

    async def async_step_kpn_lora(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Save the options of a KPN LoRa account."""
        return await self.async_step_init(user_input)
