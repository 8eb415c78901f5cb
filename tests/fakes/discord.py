"""A local Discord-compatible server: the REST routes and gateway websocket discord.py uses.

Point discord.py at it with `DISCORD_API_BASE=fake.api_base` and
`DISCORD_GATEWAY_URL=fake.gateway_url`. The gateway answers HELLO, heartbeats, IDENTIFY
(READY with `resume_gateway_url`, then GUILD_CREATE for one guild with one text channel)
and RESUME. Tests dispatch real `INTERACTION_CREATE` / `MESSAGE_CREATE` payloads (built by
`interaction()`, `message()` and friends) and assert on `calls`: every REST request the bot
made, multipart files parsed. Messages live in `messages` so the bot can fetch, edit and
delete them; attachments are served on their own URL. Content over 2,000 characters is
refused with 400 Invalid Form Body, as Discord does.
"""

from __future__ import annotations

import asyncio
import io
import itertools
import json
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from PIL import Image

Json = dict[str, Any]
APP_ID = 900000000000000001
BOT_ID = 900000000000000001
GUILD_ID = 800000000000000001
CHANNEL_ID = 800000000000000002
OWNER_ID = 700000000000000001
EVERYONE_PERMISSIONS = (1 << 10) | (1 << 11) | (1 << 15) | (1 << 16) | (1 << 31)
TIMESTAMP = "2026-01-01T00:00:00.000000+00:00"
MAX_CONTENT = 2000  # Discord refuses longer message content with 400 Invalid Form Body
ERRORS = {
    400: {"message": "Invalid Form Body", "code": 50035},
    401: {"message": "401: Unauthorized", "code": 0},
    404: {"message": "Unknown Message", "code": 10008},
}


@dataclass
class Upload:
    """One file part of a multipart request."""

    field: str
    filename: str
    data: bytes


@dataclass
class Call:
    """One REST request the bot made."""

    method: str
    path: str
    body: Any = field(default_factory=dict)
    files: list[Upload] = field(default_factory=list)
    query: dict[str, str] = field(default_factory=dict)


def user(user_id: int, name: str, *, bot: bool = False) -> Json:
    """A Discord user object."""
    return {"id": str(user_id), "username": name, "global_name": name, "discriminator": "0",
            "avatar": None, "bot": bot}  # fmt: skip


def member(user_id: int, name: str, permissions: int = EVERYONE_PERMISSIONS) -> Json:
    """A guild member as interactions carry it, with resolved channel permissions."""
    return {"user": user(user_id, name), "roles": [], "joined_at": TIMESTAMP, "flags": 0,
            "deaf": False, "mute": False, "pending": False,
            "permissions": str(permissions)}  # fmt: skip


def too_long(body: Any) -> bool:
    """Whether a message body (or an interaction callback's data) has content over the limit."""
    if not isinstance(body, dict):
        return False
    data = body.get("data") if "type" in body else body
    return isinstance(data, dict) and len(data.get("content") or "") > MAX_CONTENT


class FakeDiscord:
    """REST + gateway on 127.0.0.1, recording what the bot sends."""

    def __init__(
        self,
        *,
        attachment_size_limit: int = 10 * 1024 * 1024,
        token: str | None = None,
        upload_delay: float = 0.0,
    ) -> None:
        self.attachment_size_limit = attachment_size_limit
        self.upload_delay = upload_delay  # seconds before an upload (multipart) is read
        self.token = token  # when set, bot-token routes answer 401 to any other token
        self.calls: list[Call] = []
        self.messages: dict[int, Json] = {}
        self.originals: dict[str, int] = {}
        self.commands: dict[str, list[Json]] = {}
        self.identified: list[Json] = []
        self.files: dict[str, bytes] = {}
        self.redirects: dict[str, str] = {}  # attachment "<id>/<filename>" -> elsewhere
        self._ids = itertools.count(1_100_000_000_000_000_000)
        self._sockets: list[web.WebSocketResponse] = []
        self._seq = 0
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.base = ""

    @property
    def api_base(self) -> str:
        """The REST base discord.py should use."""
        return f"{self.base}/api/v10"

    @property
    def gateway_url(self) -> str:
        """The gateway websocket URL."""
        return f"{self.base.replace('http', 'ws', 1)}/gateway"

    def next_id(self) -> int:
        """A fresh snowflake."""
        return next(self._ids)

    async def start(self) -> None:
        """Listen on a free port of 127.0.0.1."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get("/gateway", self._gateway)
        app.router.add_get("/attachments/{key}/{filename}", self._attachment)
        app.router.add_route("*", "/api/v10/{path:.*}", self._rest)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.base = f"http://127.0.0.1:{self._runner.addresses[0][1]}"

    async def __aenter__(self) -> FakeDiscord:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Close sockets and stop listening."""
        for ws in list(self._sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    # ----------------------------------------------------------------- gateway

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_json({"op": 10, "d": {"heartbeat_interval": 41250}, "s": None, "t": None})
        async for frame in ws:
            msg = json.loads(frame.data)
            if msg["op"] == 1:
                await ws.send_json({"op": 11, "d": None})
            elif msg["op"] == 2:
                self.identified.append(msg["d"])
                self._sockets.append(ws)
                await self._send(ws, "READY", self._ready(msg["d"].get("shard")))
                await self._send(ws, "GUILD_CREATE", self.guild())
            elif msg["op"] == 6:
                self._sockets.append(ws)
                await self._send(ws, "RESUMED", {})
        if ws in self._sockets:
            self._sockets.remove(ws)
        return ws

    async def _send(self, ws: web.WebSocketResponse, event: str, data: Json) -> None:
        self._seq += 1
        await ws.send_json({"op": 0, "t": event, "s": self._seq, "d": data})

    async def dispatch(self, event: str, data: Json) -> None:
        """Send a gateway event to every identified connection."""
        assert self._sockets, "no bot is connected to the fake gateway"
        for ws in self._sockets:
            await self._send(ws, event, data)

    def _ready(self, shard: list[int] | None) -> Json:
        ready: Json = {
            "v": 10, "user": user(BOT_ID, "imagine", bot=True), "session_id": secrets.token_hex(8),
            "guilds": [{"id": str(GUILD_ID), "unavailable": True}],
            "resume_gateway_url": self.gateway_url, "application": {"id": str(APP_ID), "flags": 0},
            "private_channels": [], "relationships": [],
        }  # fmt: skip
        return ready | ({"shard": shard} if shard is not None else {})

    def guild(self) -> Json:
        """The one guild: a text channel, @everyone and the bot as a member."""
        bot = member(BOT_ID, "imagine")
        bot["user"]["bot"] = True
        return {
            "id": str(GUILD_ID), "name": "Test Guild", "icon": None, "owner_id": str(OWNER_ID),
            "features": [], "premium_tier": 0, "member_count": 2, "large": False,
            "unavailable": False, "joined_at": TIMESTAMP,
            "roles": [{"id": str(GUILD_ID), "name": "@everyone", "position": 0, "color": 0,
                       "hoist": False, "managed": False, "mentionable": False,
                       "permissions": str(EVERYONE_PERMISSIONS)}],
            "channels": [{"id": str(CHANNEL_ID), "type": 0, "name": "images", "position": 0,
                          "permission_overwrites": [], "nsfw": False, "topic": None}],
            "members": [bot],
            "threads": [], "emojis": [], "stickers": [], "presences": [], "voice_states": [],
            "stage_instances": [], "guild_scheduled_events": [], "soundboard_sounds": [],
        }  # fmt: skip

    # ---------------------------------------------------------------- payloads

    def attachment(self, data: bytes, filename: str = "photo.png") -> Json:
        """Serve bytes on their own URL and describe them as a Discord attachment."""
        key = str(self.next_id())
        self.files[f"{key}/{filename}"] = data
        url = f"{self.base}/attachments/{key}/{filename}?ex=0&is=0&hm={secrets.token_hex(4)}"
        info: Json = {"id": key, "filename": filename, "size": len(data), "url": url,
                      "proxy_url": url}  # fmt: skip
        try:
            with Image.open(io.BytesIO(data)) as img:
                info |= {"width": img.width, "height": img.height,
                         "content_type": Image.MIME.get(img.format or "", "image/png")}  # fmt: skip
        except OSError:
            info["content_type"] = "application/octet-stream"
        return info

    def message(self, content: str = "", *, author: Json | None = None,
                attachments: list[Json] | None = None, reference: Json | None = None,
                mentions: list[Json] | None = None) -> Json:  # fmt: skip
        """A channel message (stored, so the bot can fetch it) as MESSAGE_CREATE carries it."""
        msg: Json = {
            "id": str(self.next_id()), "channel_id": str(CHANNEL_ID), "guild_id": str(GUILD_ID),
            "author": author or user(OWNER_ID, "owner"), "content": content,
            "timestamp": TIMESTAMP, "edited_timestamp": None, "tts": False,
            "mention_everyone": False, "mentions": mentions or [], "mention_roles": [],
            "attachments": attachments or [], "embeds": [], "components": [], "pinned": False,
            "type": 19 if reference else 0, "flags": 0,
        }  # fmt: skip
        if reference is not None:
            msg["message_reference"] = {"type": 0, "message_id": reference["id"],
                                        "channel_id": str(CHANNEL_ID),
                                        "guild_id": str(GUILD_ID)}  # fmt: skip
            msg["referenced_message"] = reference
        self.messages[int(msg["id"])] = msg
        return msg

    def interaction(self, kind: int, data: Json, *, who: Json | None = None,
                    message: Json | None = None) -> Json:  # fmt: skip
        """An INTERACTION_CREATE payload (2 command, 3 component, 5 modal submit)."""
        payload: Json = {
            "id": str(self.next_id()), "application_id": str(APP_ID), "type": kind,
            "data": data, "guild_id": str(GUILD_ID), "channel_id": str(CHANNEL_ID),
            "channel": {"id": str(CHANNEL_ID), "type": 0, "guild_id": str(GUILD_ID),
                        "name": "images", "position": 0, "permission_overwrites": [],
                        "nsfw": False},
            "guild": {"id": str(GUILD_ID), "locale": "en-US", "features": []},
            "member": who or member(OWNER_ID, "owner"), "token": secrets.token_urlsafe(24),
            "version": 1, "app_permissions": str(EVERYONE_PERMISSIONS), "locale": "en-US",
            "guild_locale": "en-US", "entitlements": [], "context": 0,
            "authorizing_integration_owners": {"0": str(GUILD_ID)},
            "attachment_size_limit": self.attachment_size_limit,
        }  # fmt: skip
        if message is not None:
            payload["message"] = message
        return payload

    def slash(self, name: str, options: list[Json], *, who: Json | None = None,
              attachments: list[Json] | None = None) -> Json:  # fmt: skip
        """A slash command; `options` as Discord sends them ({name, type, value})."""
        data: Json = {"id": str(self.next_id()), "name": name, "type": 1, "options": options,
                      "guild_id": str(GUILD_ID)}  # fmt: skip
        if attachments:
            data["resolved"] = {"attachments": {a["id"]: a for a in attachments}}
        return self.interaction(2, data, who=who)

    def context_menu(self, name: str, target: Json, *, who: Json | None = None) -> Json:
        """A message context-menu command on `target`."""
        data = {"id": str(self.next_id()), "name": name, "type": 3, "target_id": target["id"],
                "resolved": {"messages": {target["id"]: target}},
                "guild_id": str(GUILD_ID)}  # fmt: skip
        return self.interaction(2, data, who=who)

    def click(self, message: Json, custom_id: str, *, who: Json | None = None) -> Json:
        """A button press on a stored message."""
        stored = self.messages[int(message["id"])]
        shown = [c["custom_id"] for row in stored["components"] for c in row["components"]]
        assert custom_id in shown, f"no button {custom_id} on that message, only {shown}"
        data = {"custom_id": custom_id, "component_type": 2}
        payload = self.interaction(3, data, who=who, message=stored)
        self.originals[payload["token"]] = int(message["id"])
        return payload

    def submit(self, modal: Json, values: list[str], *, who: Json | None = None) -> Json:
        """A modal submission filling the modal's text inputs, in order, with `values`."""
        texts = iter(values)
        rows = []
        for row in modal["components"]:
            inner = row["components"][0] if row["type"] == 1 else row["component"]
            filled = {"type": 4, "custom_id": inner["custom_id"], "value": next(texts)}
            rows.append({"type": row["type"], "components": [filled]} if row["type"] == 1
                        else {"type": 18, "component": filled})  # fmt: skip
        return self.interaction(5, {"custom_id": modal["custom_id"], "components": rows}, who=who)

    # --------------------------------------------------------------- recording

    async def wait_for(self, test: Callable[[Call], bool], *, timeout: float = 15.0) -> Call:
        """The first recorded call passing `test`, waiting for it if needed."""

        def found() -> Call | None:
            return next((c for c in self.calls if test(c)), None)

        async with self._changed:
            try:
                await asyncio.wait_for(self._changed.wait_for(found), timeout)
            except TimeoutError:
                seen = "\n".join(f"  {c.method} {c.path} {c.body}"[:300] for c in self.calls)
                raise AssertionError(f"no matching call; the bot made:\n{seen}") from None
        call = found()
        assert call is not None
        return call

    def find(self, method: str, pattern: str) -> list[Call]:
        """Recorded calls with this method whose path matches a regex."""
        return [c for c in self.calls if c.method == method and re.fullmatch(pattern, c.path)]

    # -------------------------------------------------------------------- REST

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        if self.upload_delay and request.content_type == "multipart/form-data":
            await asyncio.sleep(self.upload_delay)
        call = await self._record(request)
        sent = request.headers.get("Authorization")  # interaction webhooks carry none
        rejected = self.token is not None and sent not in (None, f"Bot {self.token}")
        try:
            answer = 401 if rejected else 400 if too_long(call.body) else self._route(call)
        finally:
            async with self._changed:
                self.calls.append(call)
                self._changed.notify_all()
        if answer is None:
            return web.Response(status=204)
        status = 200
        if isinstance(answer, int):
            status, answer = answer, ERRORS[answer]
        # exactly "application/json", without a charset: discord.py compares the whole header
        return web.Response(status=status, body=json.dumps(answer).encode(),
                            content_type="application/json")  # fmt: skip

    async def _record(self, request: web.Request) -> Call:
        call = Call(request.method, "/" + request.match_info["path"], query=dict(request.query))
        if request.content_type == "multipart/form-data":
            reader = await request.multipart()
            async for part in reader:
                data = await part.read()  # type: ignore[union-attr]
                if part.name == "payload_json":
                    call.body = json.loads(data)
                else:
                    call.files.append(Upload(part.name or "", part.filename or "", bytes(data)))
        elif request.can_read_body:
            call.body = await request.json()
        return call

    def _route(self, call: Call) -> Json | list[Json] | int | None:
        m, p = call.method, call.path
        if p == "/users/@me":
            return user(BOT_ID, "imagine", bot=True)
        if p == "/oauth2/applications/@me":
            return {"id": str(APP_ID), "name": "imagine", "icon": None, "description": "",
                    "bot_public": True, "bot_require_code_grant": False, "verify_key": "0",
                    "owner": user(OWNER_ID, "owner"), "flags": 0}  # fmt: skip
        if m == "PUT" and (hit := re.fullmatch(r"/applications/\d+(?:/guilds/(\d+))?/commands", p)):
            synced = [{"description": "", **c, "id": str(self.next_id()),
                       "application_id": str(APP_ID),
                       "version": "1"} for c in call.body]  # fmt: skip
            self.commands[hit[1] or "global"] = synced
            return synced
        if hit := re.fullmatch(r"/interactions/(\d+)/([^/]+)/callback", p):
            return self._callback(call, hit[2])
        if hit := re.fullmatch(r"/webhooks/\d+/([^/]+)(?:/messages/(@original|\d+))?", p):
            return self._webhook(call, hit[1], hit[2])
        if hit := re.fullmatch(r"/channels/(\d+)/messages(?:/(\d+))?", p):
            return self._channel(call, hit[2])
        return 404

    def _callback(self, call: Call, token: str) -> Json | None:
        kind = call.body["type"]
        reply: Json = {"interaction": {"id": "0", "type": 2}}
        if kind in (4, 5):
            flags = (call.body.get("data") or {}).get("flags", 0) | (128 if kind == 5 else 0)
            msg = self._store(call, flags, webhook=True)
            self.originals[token] = int(msg["id"])
            reply["interaction"] |= {"response_message_id": msg["id"],
                                     "response_message_loading": kind == 5,
                                     "response_message_ephemeral": bool(flags & 64)}  # fmt: skip
            reply["resource"] = {"type": kind, "message": msg}
        return reply

    def _webhook(self, call: Call, token: str, which: str | None) -> Json | int | None:
        if which is None and call.method == "POST":
            return self._store(call, call.body.get("flags", 0), webhook=True)
        msg_id = self.originals.get(token) if which == "@original" else which
        return self._channel(call, str(msg_id or 0))

    def _channel(self, call: Call, msg_id: str | None) -> Json | int | None:
        if msg_id is None:
            return self._store(call, call.body.get("flags", 0)) if call.method == "POST" else 404
        msg = self.messages.get(int(msg_id))
        if msg is None:
            return 404
        if call.method == "DELETE":
            del self.messages[int(msg_id)]
            return None
        if call.method == "PATCH":
            self._apply(msg, call)
        return msg

    def _store(self, call: Call, flags: int, *, webhook: bool = False) -> Json:
        msg = self.message(author=user(BOT_ID, "imagine", bot=True))
        msg["flags"] = flags
        if webhook:
            msg["webhook_id"] = str(APP_ID)
        self._apply(msg, call)
        return msg

    def _apply(self, msg: Json, call: Call) -> None:
        body = call.body.get("data") or {} if "type" in call.body else call.body
        for key in ("content", "components", "message_reference"):
            if key in body:
                msg[key] = body[key]
        if "attachments" in body or call.files:
            kept = {a["id"]: a for a in msg["attachments"]}
            new = [self.attachment(f.data, f.filename) for f in call.files]
            msg["attachments"] = [
                new[int(a["id"])] if int(a["id"]) < len(new) else kept[str(a["id"])]
                for a in body.get("attachments", [])
                if int(a["id"]) < len(new) or str(a["id"]) in kept
            ] or new
        if call.method == "PATCH":
            msg["edited_timestamp"] = TIMESTAMP
            msg["flags"] &= ~128

    async def _attachment(self, request: web.Request) -> web.Response:
        key = f"{request.match_info['key']}/{request.match_info['filename']}"
        if key in self.redirects:
            raise web.HTTPFound(self.redirects[key])
        if key not in self.files:
            return web.Response(status=404)
        return web.Response(body=self.files[key], content_type="application/octet-stream")
