"""The T-Mobile emulator labels its pushes as the guide shows them."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from aiohttp import hdrs, web
import pytest

from iot_emulator.tmobile import push_delivery_report, push_sms_mo

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    import aiohttp
    from aiohttp.test_utils import RawTestServer

ICCID = "8988280666000001234"

pytestmark = pytest.mark.usefixtures("socket_enabled")


@pytest.fixture
async def receiver(
    aiohttp_raw_server: Callable[..., Awaitable[RawTestServer]],
) -> tuple[str, list[tuple[str | None, Any]]]:
    """A customer endpoint: its URL and the (Content-Type, JSON body) it got."""
    received: list[tuple[str | None, Any]] = []

    async def handle(request: web.BaseRequest) -> web.Response:
        body = json.loads(await request.read())
        received.append((request.headers.get(hdrs.CONTENT_TYPE), body))
        return web.Response(status=204)

    server = await aiohttp_raw_server(handle)
    return str(server.make_url("/hook")), received


async def test_sms_mo_is_labelled_json(
    http_session: aiohttp.ClientSession,
    receiver: tuple[str, list[tuple[str | None, Any]]],
) -> None:
    """The guide shows the SMS MO with ``Content-Type: application/json``."""
    url, received = receiver

    await push_sms_mo(http_session, url, iccid=ICCID, text="hello", sms_id=7)

    ((content_type, body),) = received
    assert content_type == "application/json"
    assert body["payload"] == "hello"


async def test_delivery_report_has_no_content_type(
    http_session: aiohttp.ClientSession,
    receiver: tuple[str, list[tuple[str | None, Any]]],
) -> None:
    """The guide shows the delivery report without a Content-Type: none is sent."""
    url, received = receiver

    result = await push_delivery_report(http_session, url, sms_id=6206, iccid=ICCID)

    ((content_type, body),) = received
    assert content_type is None
    assert body == result.payload
