"""Helpers the library tests share."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from aiohttp.typedefs import Handler


def inflating(app: web.Application, header: str, value: str) -> web.Application:
    """``app`` with ``header`` set to ``value`` on every answer that has it."""

    @web.middleware
    async def inflate(request: web.Request, handler: Handler) -> web.StreamResponse:
        answer = await handler(request)
        if header in answer.headers:
            answer.headers[header] = value
        return answer

    app.middlewares.append(inflate)
    return app
