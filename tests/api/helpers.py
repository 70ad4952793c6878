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


def ignoring_page(app: web.Application) -> web.Application:
    """``app`` answering page 1 whatever page is asked for (a broken server)."""

    @web.middleware
    async def first_page(request: web.Request, handler: Handler) -> web.StreamResponse:
        query = request.rel_url.update_query(page="1")
        return await handler(request.clone(rel_url=query))

    app.middlewares.insert(0, first_page)
    return app
