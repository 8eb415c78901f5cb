"""SlackAdapter: a slack-bolt AsyncApp in Socket Mode or HTTP mode, wired to the runner."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping

import aiohttp
import httpx
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_sdk.errors import SlackApiError

from adapters.slack import actions, blend, commands, limits_modal, mentions, shortcuts
from adapters.slack.admins import Admins
from adapters.slack.context import Services
from adapters.slack.editor import SlackEditor
from adapters.slack.ratelimits import web_client
from bot.config import Settings
from bot.errors import ConfigError
from bot.models import Result
from bot.requests import Runner
from bot.web.context import Web
from bot.web.platforms import Origin

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
REQUIRED_SCOPES = frozenset(
    {
        "app_mentions:read",
        "channels:history",
        "channels:read",
        "chat:write",
        "commands",
        "files:read",
        "files:write",
        "groups:history",
        "groups:read",
        "im:write",
        "usergroups:read",
        "users:read",
    }
)
NOT_SIGNED_IN = (
    "I could not sign in to Slack, so I can't make images right now. You were not charged. "
    "Ask whoever runs the bot to check its Slack token."
)


def api_base(url: str) -> str:
    """The Web API base with the trailing slash slack_sdk joins method names onto."""
    return url.rstrip("/") + "/"


def granted_scopes(headers: Mapping[str, str]) -> set[str]:
    """The scopes in auth.test's x-oauth-scopes header."""
    for name, value in headers.items():
        if name.lower() == "x-oauth-scopes":
            return {scope.strip() for scope in value.split(",") if scope.strip()}
    return set()


class SlackAdapter:
    """Serves /imagine, shortcuts, mentions, buttons and the limits modal for one workspace,
    and is the web face's Slack (`EditorPlatform`): `web_` hands out its links."""

    platform = "slack"

    def __init__(
        self,
        settings: Settings,
        runner: Runner,
        http: httpx.AsyncClient,
        web_: Web | None = None,
    ) -> None:
        if settings.slack_bot_token is None:
            raise ConfigError("Missing setting SLACK_BOT_TOKEN: the Slack bot token (xoxb-...).")
        self.socket_mode = settings.slack_app_token is not None
        secret = settings.slack_signing_secret
        if not self.socket_mode and secret is None:
            raise ConfigError(
                "Missing setting SLACK_SIGNING_SECRET: Slack's HTTP mode needs the app's signing "
                "secret (or set SLACK_APP_TOKEN for Socket Mode)."
            )
        self.settings = settings
        token = settings.slack_bot_token.get_secret_value()
        base_url = api_base(settings.slack_api_url)
        self.client = web_client(token, base_url)  # does all the work; a session from run()
        self._signed_in = asyncio.Event()
        self._authorized: AuthorizeResult | None = None
        self.app = self._bolt_app(base_url, secret.get_secret_value() if secret else "")
        admins = Admins(self.client, runner.handler)
        self.services = Services(settings, runner, http, self.client, token, admins, web_)
        self.editor = SlackEditor(self.services)
        for module in (commands, shortcuts, blend, actions, mentions, limits_modal):
            module.register(self.app, self.services)
        self._stopped = asyncio.Event()
        self._ready = False
        self._session: aiohttp.ClientSession | None = None
        self._socket: AsyncSocketModeHandler | None = None

    def _bolt_app(self, base_url: str, signing_secret: str) -> AsyncApp:
        """Bolt, tuned so a burst of requests is answered at once.

        Every request is authorized from the start-up auth.test (bolt's own single-workspace
        check calls auth.test for each request that comes before its first answer), so bolt's
        client has no token. Listeners run inline: they only ack and start their own task, so
        the answer leaves at once (bolt's lazy listeners deep-copy each request before it, and
        its default runs the ack in a task it polls every 10 ms).
        """

        async def authorize() -> AuthorizeResult | None:
            await self._signed_in.wait()
            return self._authorized  # None when start-up failed: bolt says NOT_SIGNED_IN

        return AsyncApp(
            name="imagine-bot",
            client=web_client(None, base_url),
            authorize=authorize,  # type: ignore[arg-type]  # bolt's hint omits its None case
            signing_secret=signing_secret,
            request_verification_enabled=not self.socket_mode,
            process_before_response=True,
            user_facing_authorize_error_message=NOT_SIGNED_IN,
        )

    @property
    def ready(self) -> bool:
        """Connected: the token works and events can arrive."""
        return self._ready

    async def run(self) -> None:
        """Check the token and scopes, connect (Socket Mode) or wait for HTTP, until close()."""
        try:
            await self.check_auth()
        finally:
            self._signed_in.set()
        self._session = aiohttp.ClientSession()
        self.client.session = self._session
        if self.socket_mode and self.settings.slack_app_token is not None:
            app_token = self.settings.slack_app_token.get_secret_value()
            self._socket = AsyncSocketModeHandler(self.app, app_token)
            await self._socket.connect_async()  # type: ignore[no-untyped-call]
            log.info("Slack: connected in Socket Mode")
        else:
            log.info("Slack: HTTP mode, events at %s", EVENTS_PATH)
        self._ready = True
        try:
            await self._stopped.wait()
        finally:
            self._ready = False

    async def check_auth(self) -> set[str]:
        """auth.test: the token works (it authorizes every request); warn about missing scopes."""
        try:
            response = await self.client.auth_test()
        except SlackApiError as exc:
            raise ConfigError(
                f"Slack rejected SLACK_BOT_TOKEN ({exc.response.get('error')}); "
                "copy the Bot User OAuth Token (xoxb-...) from the app's OAuth page."
            ) from None
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise ConfigError(
                f"Cannot reach Slack's Web API at {self.client.base_url} "
                f"({type(exc).__name__}); check SLACK_API_URL and the network."
            ) from None
        scopes = granted_scopes(response.headers)
        missing = sorted(REQUIRED_SCOPES - scopes)
        if missing:
            log.warning(
                "Slack app lacks scopes %s; add them (see slack-manifest.yml) and reinstall",
                ", ".join(missing),
            )
        log.info("Slack: signed in as %s in %s", response.get("user"), response.get("team"))
        token = self.client.token
        self._authorized = AuthorizeResult.from_auth_test_response(
            auth_test_response=response, bot_token=token, bot_scopes=sorted(scopes)
        )
        return scopes

    async def source_image(self, origin: Origin, url: str, max_bytes: int) -> bytes:
        """The bytes of a Slack image the editor edits (see SlackEditor)."""
        return await self.editor.source_image(origin, url, max_bytes)

    async def post_result(self, origin: Origin, result: Result, user_id: str) -> str:
        """Post the editor's result where the original was (see SlackEditor)."""
        return await self.editor.post_result(origin, result, user_id)

    async def handle_http(self, request: web.Request) -> web.Response:
        """POST /slack/events: verify the signature, ack, and start the work."""
        response = await self.app.async_dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(response)

    def routes(self) -> list[web.RouteDef]:
        """The route to mount on the bot's HTTP server: none in Socket Mode (nothing to verify)."""
        return [] if self.socket_mode else [web.post(EVENTS_PATH, self.handle_http)]

    async def close(self) -> None:
        """Stop taking events and release the sessions (the runner has drained the requests)."""
        self._ready = False
        if self._socket is not None:
            await self._socket.close_async()  # type: ignore[no-untyped-call]
            self._socket = None
        self._stopped.set()
        if self._session is not None:
            self.client.session = None
            await self._session.close()
            self._session = None
