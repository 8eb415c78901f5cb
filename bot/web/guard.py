"""What every response of the web face passes through: security headers, clear pages for
refusals and failures (never a traceback), and the session cookies with their CSRF tokens."""

from __future__ import annotations

import hmac
import logging
import uuid
from collections.abc import Mapping
from datetime import datetime

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from bot.errors import UserFacingError
from bot.web.pages import refusal_page
from bot.web.signing import Grant, Refusal, Role, Signer

log = logging.getLogger(__name__)

# nothing inline, nothing from elsewhere: pages, styles, scripts and images come from here
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}
COOKIES: dict[Role, str] = {"admin": "imagine_admin", "editor": "imagine_editor"}
SIGNED_OUT = Refusal(
    401,
    "You are not signed in",
    "Open the link the bot gave you in the chat (links work for a short while only), "
    "or ask the bot for a new one.",
)
STALE_FORM = Refusal(
    403,
    "This form has expired",
    "The page was opened in another session, or the form was not sent from it. "
    "Nothing was changed: reload the page and try again.",
)


def guard(base: str) -> Middleware:
    """The middleware: headers on every answer, a page for every refusal or failure."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            response = await handler(request)
        except Refusal as refusal:
            response = html(refusal_page(base, refusal.title, refusal.message), refusal.status)
        except UserFacingError as exc:
            response = html(refusal_page(base, "That did not work", str(exc)), 400)
        except web.HTTPException as exc:
            if exc.status < 400:
                raise
            title = "Not found" if exc.status == 404 else exc.reason
            message = "There is no such page here." if exc.status == 404 else exc.reason
            response = html(refusal_page(base, title, message), exc.status)
        except Exception:
            ref = uuid.uuid4().hex[:8]
            log.exception("web request %s %s failed (ref %s)", request.method, request.path, ref)
            message = f"Something went wrong inside the bot (reference {ref}). It was logged."
            response = html(refusal_page(base, "Something went wrong", message), 500)
        response.headers.update(HEADERS)
        return response

    return middleware


def html(body: str, status: int = 200) -> web.Response:
    """An HTML answer."""
    return web.Response(text=body, status=status, content_type="text/html", charset="utf-8")


def see_other(location: str) -> web.Response:
    """A redirect after a form (303), so a reload does not send it again."""
    return web.Response(status=303, headers={"Location": location})


class Sessions:
    """Session cookies: one per role, so an editor link does not sign an admin out."""

    def __init__(self, signer: Signer, path: str, secure: bool) -> None:
        self.signer = signer
        self.path = path
        self.secure = secure

    def start(self, response: web.StreamResponse, grant: Grant, token: str) -> None:
        """Set the cookie of a checked link's session."""
        response.set_cookie(
            COOKIES[grant.role],
            token,
            path=self.path,
            httponly=True,
            samesite="Strict",
            secure=self.secure,
        )

    def current(self, request: web.Request, role: Role, now: datetime) -> tuple[Grant, str]:
        """The grant of the request's session for a role, and its CSRF token."""
        token = request.cookies.get(COOKIES[role])
        if not token:
            raise SIGNED_OUT
        grant = self.signer.check(token, "session", now)
        if grant.role != role:
            raise SIGNED_OUT
        return grant, self.signer.csrf(token)


def check_csrf(form: Mapping[str, object], expected: str) -> None:
    """Refuse a change whose form does not carry this session's CSRF token."""
    given = form.get("csrf")
    if not isinstance(given, str) or not hmac.compare_digest(given, expected):
        raise STALE_FORM
