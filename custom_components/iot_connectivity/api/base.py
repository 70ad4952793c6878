"""The interface every SIM provider client implements."""

from __future__ import annotations

import abc
import asyncio
from collections.abc import Awaitable, Callable, Iterable
from datetime import date

from .errors import IoTConnectivityError, NotFoundError
from .models import (
    AccountInfo,
    ActionResult,
    ApiQuota,
    Capability,
    NetworkEvent,
    Provider,
    Sim,
    SimQuota,
    SimSession,
    SimStatus,
    SimUsage,
    SmsResult,
)
from .sms import SmsRules

MAX_CONCURRENT_REQUESTS = 4
"""Requests one client sends at once, so no provider sees a burst."""


class UnsupportedOperationError(IoTConnectivityError):
    """The provider has no API for this operation."""


class SimClient(abc.ABC):
    """A SIM provider account. ``capabilities`` says which operations work.

    Operations a provider lacks raise :class:`UnsupportedOperationError`.
    ``provider``, ``capabilities`` and ``sms_rules`` are set by a client class
    for its one provider, or per instance by a client of an API family.
    """

    provider: Provider
    capabilities: frozenset[Capability]
    sms_rules: SmsRules

    def __init__(self) -> None:
        """Bound the requests this client has in flight."""
        self._semaphore = asyncio.Semaphore(MAX_CONCURRENT_REQUESTS)

    @property
    def api_quota(self) -> ApiQuota | None:
        """The provider's request quota as last reported, if it reports one."""
        return None

    @abc.abstractmethod
    async def get_account(self) -> AccountInfo:
        """Authenticate and identify the account (one config entry each)."""

    @abc.abstractmethod
    async def list_sims(self) -> list[Sim]:
        """Every SIM of the account, all pages."""

    async def set_status(self, iccid: str, status: SimStatus) -> None:
        """Activate, suspend or (where allowed) retire a SIM."""
        raise UnsupportedOperationError(f"{self.provider}: set_status")

    async def set_label(self, iccid: str, label: str) -> None:
        """Rename a SIM (name, label or tag)."""
        raise UnsupportedOperationError(f"{self.provider}: set_label")

    async def set_imei_lock(self, iccid: str, *, locked: bool) -> bool | None:
        """Lock a SIM to its device's IMEI or unlock it; return the lock read back."""
        raise UnsupportedOperationError(f"{self.provider}: set_imei_lock")

    async def get_usage(self, iccid: str) -> SimUsage:
        """One SIM's usage in the current period."""
        raise UnsupportedOperationError(f"{self.provider}: get_usage")

    async def get_daily_usage(self, iccid: str, since: date) -> SimUsage:
        """Usage of the current month, with the usage per day from ``since`` on."""
        raise UnsupportedOperationError(f"{self.provider}: get_daily_usage")

    async def get_events(self, iccid: str) -> list[NetworkEvent]:
        """The SIM's latest network events, oldest first."""
        raise UnsupportedOperationError(f"{self.provider}: get_events")

    async def get_all_usage(self) -> dict[str, SimUsage]:
        """Every SIM's usage this month in bulk, by ICCID."""
        raise UnsupportedOperationError(f"{self.provider}: get_all_usage")

    async def get_quota(self, iccid: str) -> SimQuota:
        """One SIM's data and SMS quota."""
        raise UnsupportedOperationError(f"{self.provider}: get_quota")

    async def get_sessions(self, iccids: Iterable[str]) -> dict[str, SimSession]:
        """The network sessions of several SIMs, by ICCID."""
        raise UnsupportedOperationError(f"{self.provider}: get_sessions")

    async def send_sms(
        self, iccid: str, message: str, *, dcs: int | None = None
    ) -> SmsResult:
        """Send an SMS to a SIM; ``message`` must pass ``sms_rules``."""
        raise UnsupportedOperationError(f"{self.provider}: send_sms")

    async def reset_connectivity(self, iccid: str) -> None:
        """Queue a network re-attach of the SIM."""
        raise UnsupportedOperationError(f"{self.provider}: reset_connectivity")

    async def run_diagnostics(self, iccid: str) -> ActionResult:
        """Re-synchronise the SIM's services."""
        raise UnsupportedOperationError(f"{self.provider}: run_diagnostics")

    async def top_up(self, iccid: str) -> None:
        """Order the contract's data top-up package for a SIM."""
        raise UnsupportedOperationError(f"{self.provider}: top_up")

    async def gather_by_iccid[T](
        self, iccids: Iterable[str], fetch: Callable[[str], Awaitable[T]]
    ) -> dict[str, T]:
        """Run ``fetch`` per ICCID, a few at a time, keyed by ICCID.

        SIMs the provider no longer knows (removed since they were listed) are
        left out. After the first other failure no further fetch starts; it is
        raised once those in flight have ended, so none goes on unseen.
        """
        fetched: dict[str, T] = {}
        failure: IoTConnectivityError | None = None

        async def bounded(iccid: str) -> None:
            nonlocal failure
            async with self._semaphore:
                if failure is not None:
                    return
                try:
                    fetched[iccid] = await fetch(iccid)
                except NotFoundError:
                    return
                except IoTConnectivityError as err:
                    failure = failure or err

        await asyncio.gather(*(bounded(i) for i in iccids))
        if failure is not None:
            raise failure
        return fetched
