"""The web face as an aiohttp application, mounted at /web on the bot's HTTP server.

web_ = await open_web(settings, handler, platforms)   # None without IMAGINE_PUBLIC_URL
server.add_subapp(PREFIX, web_application(web_))
"""

from __future__ import annotations

from importlib.resources import files

from aiohttp import web
from aiohttp.typedefs import Handler

from bot.config import Settings
from bot.handler import ImagineHandler
from bot.web import dashboard, editor, ledger, limits_page
from bot.web.context import Web
from bot.web.guard import guard, html
from bot.web.pages import layout
from bot.web.platforms import Platforms
from bot.web.signing import Signer, signing_key

STATIC = {"web.css": "text/css", "editor.js": "text/javascript"}
OFF = (
    "The web dashboard is off: the bot's admin has not set IMAGINE_PUBLIC_URL "
    "(the address browsers reach the bot at). See docs/web.md."
)


async def open_web(settings: Settings, handler: ImagineHandler, platforms: Platforms) -> Web | None:
    """The web face's shared objects, or None when IMAGINE_PUBLIC_URL is unset."""
    if settings.public_url is None:
        return None
    key = await signing_key(settings, handler)
    return Web(settings, handler, Signer(key), platforms, settings.public_url)


def web_application(web_: Web) -> web.Application:
    """The dashboard, the ledger, the limits editor, the Vary Region editor and their files."""
    app = web.Application(middlewares=[guard(web_.base)])
    app.add_routes(
        [
            web.get("/open", _opener(web_)),
            web.get("/static/{name}", _static({n: _packaged(n) for n in STATIC})),
            *dashboard.routes(web_),
            *ledger.routes(web_),
            *limits_page.routes(web_),
            *editor.routes(web_),
        ]
    )
    return app


def _opener(web_: Web) -> Handler:
    async def open_link(request: web.Request) -> web.Response:
        grant = web_.signer.check(request.query.get("t", ""), "link", web_.now())
        token = web_.signer.session(grant, web_.now())
        target = f"{web_.base}/" if grant.role == "admin" else f"{web_.base}/edit"
        # a page of our own, not a redirect: a cookie set with SameSite=Strict is not sent on
        # a redirect that began in the chat's site, but it is on a navigation from this page
        body = (
            f'<section class="card"><p>You are signed in.</p><p><a class="primary button" '
            f'id="continue" href="{target}">Continue</a></p></section>'
        )
        response = html(layout(web_.base, "Welcome", body, refresh=target))
        web_.sessions.start(response, grant, token)
        return response

    return open_link


def _packaged(name: str) -> bytes:
    return files("bot.web").joinpath("static", name).read_bytes()


def _static(contents: dict[str, bytes]) -> Handler:
    async def static(request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name not in contents:
            raise web.HTTPNotFound()
        return web.Response(body=contents[name], content_type=STATIC[name])

    return static
