"""Base entity and entity description of the IoT Connectivity integration."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, override

from homeassistant.core import callback
from homeassistant.helpers.entity import Entity, EntityDescription

from .coordinator import IoTConnectivityConfigEntry, IoTConnectivityCoordinator

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping

    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .api.models import Capability

type AnyCoordinator = IoTConnectivityCoordinator[Any, Any]


@dataclass(frozen=True, kw_only=True)
class IoTConnectivityEntityDescription[ValueT](EntityDescription):
    """When an entity exists; ``ValueT`` is what its functions are given.

    That is the entity's SIM, device or plan, or for account-wide entities the
    coordinator's whole data.
    """

    capability: Capability | None = None
    """The provider capability the entity needs."""
    group: str | None = None
    """The entity group (entry option) the entity belongs to."""
    exists_fn: Callable[[ValueT], bool] = lambda _: True
    """Whether the provider reports this at all, judged from the first data."""
    translation_placeholders_fn: Callable[[ValueT], Mapping[str, str]] | None = None


class IoTConnectivityEntity[CoordinatorT: AnyCoordinator](Entity):
    """An entity of a SIM, LoRa device or plan, or of the account (``item_id`` None).

    What ``CoordinatorEntity`` does, except that the entity listens for its
    own item only (:meth:`IoTConnectivityCoordinator.async_add_item_listener`).
    """

    _attr_has_entity_name = True
    _attr_should_poll = False
    entity_description: IoTConnectivityEntityDescription[Any]

    def __init__(
        self,
        coordinator: CoordinatorT,
        description: IoTConnectivityEntityDescription[Any],
        item_id: str | None,
    ) -> None:
        """Bind the entity to its item and device."""
        self.coordinator = coordinator
        self.entity_description = description
        self.item_id = item_id
        parts = (coordinator.config_entry.unique_id, item_id, description.key)
        self._attr_unique_id = "_".join(part for part in parts if part is not None)
        self._attr_device_info = coordinator.device_info(item_id)
        # Few enabled entities per item keep large accounts within Home
        # Assistant's limit per config entry: providers name the ones to skip.
        spec = coordinator.config_entry.runtime_data.spec
        if description.key in spec.disabled_by_default:
            self._attr_entity_registry_enabled_default = False
        if description.translation_placeholders_fn is not None:
            self._attr_translation_placeholders = dict(
                description.translation_placeholders_fn(self.value)
            )

    _shown: tuple[bool, Any, Any] | None = None
    """Availability, state and attributes as last written."""

    @override
    async def async_added_to_hass(self) -> None:
        await super().async_added_to_hass()
        self.async_on_remove(
            self.coordinator.async_add_item_listener(
                self._handle_coordinator_update, self.item_id
            )
        )
        self._shown = self._output()

    @callback
    def _handle_coordinator_update(self) -> None:
        """Write the state only when it changed.

        The coordinator calls only the entities of changed items; of those,
        an entity whose own state stayed the same writes nothing either.
        """
        shown = self._output()
        if shown == self._shown:
            return
        self._shown = shown
        self.async_write_ha_state()

    def _output(self) -> tuple[bool, Any, Any]:
        if not self.available:
            return False, None, None
        return True, self.state, self.extra_state_attributes

    @property
    def value(self) -> Any:
        """What the description's functions are given."""
        if self.item_id is None:
            return self.coordinator.data
        return self.coordinator.items[self.item_id]

    @property
    @override
    def available(self) -> bool:
        """Available while reads work and the provider still lists the item."""
        return self.coordinator.last_update_success and (
            self.item_id is None or self.item_id in self.coordinator.items
        )

    async def async_update(self) -> None:
        """Read the data anew: the update_entity action asks for it."""
        if self.enabled:
            await self.coordinator.async_request_refresh()


def is_wanted(
    entry: IoTConnectivityConfigEntry,
    description: IoTConnectivityEntityDescription[Any],
    value: Any,
) -> bool:
    """Whether to create ``description``'s entity for ``value``."""
    data = entry.runtime_data
    return (
        (description.capability is None or description.capability in data.capabilities)
        and (description.group is None or description.group in data.entity_groups)
        and description.exists_fn(value)
    )


@callback
def async_add_account_entities[
    CoordinatorT: AnyCoordinator,
    DescriptionT: (IoTConnectivityEntityDescription[Any]),
](
    coordinator: CoordinatorT,
    descriptions: Iterable[DescriptionT],
    entity_class: Callable[[CoordinatorT, DescriptionT, str | None], Entity],
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the account-wide entities of ``coordinator``'s data."""
    entry = coordinator.config_entry
    async_add_entities(
        entity_class(coordinator, description, None)
        for description in descriptions
        if is_wanted(entry, description, coordinator.data)
    )


@callback
def async_add_item_entities[
    CoordinatorT: AnyCoordinator,
    DescriptionT: (IoTConnectivityEntityDescription[Any]),
](
    coordinator: CoordinatorT,
    descriptions: Iterable[DescriptionT],
    entity_class: Callable[[CoordinatorT, DescriptionT, str | None], Entity],
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add entities per item now and for every item that appears later.

    An item that disappears is forgotten, so its entities return with it.
    """
    entry = coordinator.config_entry
    descriptions = tuple(descriptions)

    def async_add(new: Iterable[str]) -> None:
        items = coordinator.items
        async_add_entities(
            entity_class(coordinator, description, item_id)
            for item_id in sorted(new)
            for description in descriptions
            if is_wanted(entry, description, items[item_id])
        )

    known = set(coordinator.items)
    if known:
        async_add(known)

    @callback
    def async_add_new_items() -> None:
        items = coordinator.items
        if (changed := coordinator.changed_items) is None:
            new = items.keys() - known
            known.intersection_update(items)
        else:
            # Only the changed items can be new or gone: no walk over all.
            new = {i for i in changed if i in items and i not in known}
            known.difference_update(i for i in changed if i not in items)
        if new:
            known.update(new)
            async_add(new)

    # Told with the account-wide listeners, once the changed items are known.
    entry.async_on_unload(coordinator.async_add_item_listener(async_add_new_items))
