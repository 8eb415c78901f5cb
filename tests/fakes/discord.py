"""A local Discord-compatible server: the REST routes and gateway websocket discord.py uses.

Point discord.py at it with `DISCORD_API_BASE=fake.api_base` and
`DISCORD_GATEWAY_URL=fake.gateway_url`. The gateway answers HELLO, heartbeats, IDENTIFY
(READY with `resume_gateway_url`, then GUILD_CREATE for one guild with one text channel)
and RESUME. Tests dispatch real `INTERACTION_CREATE` / `MESSAGE_CREATE` payloads (built by
`interaction()`, `message()` and friends) and assert on `calls`: every REST request the bot
made, multipart files parsed, with the fake's answer. Messages live in `messages` so the bot
can fetch, edit and delete them; attachments are served on their own URL.

It answers as Discord does, in the shapes of Discord's OpenAPI spec (tests/specs/discord.json,
checked by tests/test_specs_discord.py; the objects are built in discord_objects.py):
content over 2,000 characters gets 400 Invalid Form Body; an interaction's first answer
later than `ack_deadline` (3 s) gets 404 Unknown interaction; the callback answers 204, or
with `with_response` the interaction callback response; a follow-up right after a deferred
answer edits the loading message; and `rate_limit()` makes chosen calls meet a 429 with
Discord's body and headers.
"""

from __future__ import annotations

import asyncio
import io
import itertools
import json
import re
import secrets
import time
from collections.abc import Callable

from aiohttp import web
from PIL import Image

from tests.fakes.discord_objects import (
    ACK_DEADLINE,
    APP_ID,
    BOT_ID,
    CATEGORY_ID,
    CHANNEL_ID,
    ERRORS,
    EVERYONE_PERMISSIONS,
    GUILD_ID,
    OWNER_ID,
    QUIET_CHANNEL_ID,
    SEND,
    TIMESTAMP,
    UNKNOWN_INTERACTION,
    Call,
    Json,
    RateLimit,
    Upload,
    application,
    member,
    numbered,
    synced_command,
    too_long,
    user,
)
from tests.fakes.server import LocalServer, Script, json_answer, read_body


class FakeDiscord(LocalServer):
    """REST + gateway on 127.0.0.1, recording what the bot sends."""

    max_body = 64 * 1024 * 1024

    def __init__(
        self,
        *,
        attachment_size_limit: int = 10 * 1024 * 1024,
        token: str | None = None,
        upload_delay: float = 0.0,
        ack_deadline: float = ACK_DEADLINE,
    ) -> None:
        super().__init__()
        self.attachment_size_limit = attachment_size_limit
        self.ack_deadline = ack_deadline  # a later first answer gets 404 Unknown interaction
        self.upload_delay = upload_delay  # seconds before an upload (multipart) is read
        self.token = token  # when set, bot-token routes answer 401 to any other token
        self.upload_status: int | None = None  # when set, requests carrying files answer it
        self.unreadable: set[int] = set()  # messages the bot may not read: GET answers 403
        self.calls: list[Call] = []
        self.messages: dict[int, Json] = {}
        self.originals: dict[str, int] = {}
        self.commands: dict[str, list[Json]] = {}
        self.identified: list[Json] = []
        self.interactions: dict[str, Json] = {}
        self.dispatched_at: dict[str, float] = {}  # interaction id -> when it was sent
        self.limits = Script()  # scripted 429s, see rate_limit()
        self.files: dict[str, bytes] = {}
        self.redirects: dict[str, str] = {}  # attachment "<id>/<filename>" -> elsewhere
        self._ids = itertools.count(1_100_000_000_000_000_000)
        self._listening: list[web.WebSocketResponse] = []  # identified or resumed sockets
        self._seq = 0

    @property
    def base(self) -> str:
        """http://127.0.0.1:<port>"""
        return self.origin

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

    def rate_limit(
        self,
        method: str,
        pattern: str,
        *,
        times: int = 1,
        retry_after: float = 0.05,
        is_global: bool = False,
    ) -> None:
        """Answer the next `times` calls of `method` on a path matching the regex with a 429."""
        self.limits.add("429", times, limit=RateLimit(method, pattern, retry_after, is_global))

    def routes(self) -> list[web.RouteDef]:
        """The gateway websocket, attachments, and every REST path under /api/v10."""
        return [
            web.get("/gateway", self._gateway),
            web.get("/attachments/{key}/{filename}", self._attachment),
            web.route("*", "/api/v10/{path:.*}", self._rest),
        ]

    def describe(self) -> str:
        """Every call the bot made."""
        return "the bot made:\n" + "\n".join(
            f"  {c.method} {c.path} {c.body}"[:300] for c in self.calls
        )

    # ----------------------------------------------------------------- gateway

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = await self.websocket(request)
        await ws.send_json({"op": 10, "d": {"heartbeat_interval": 41250}, "s": None, "t": None})
        async for frame in ws:
            msg = json.loads(frame.data)
            if msg["op"] == 1:
                await ws.send_json({"op": 11, "d": None})
            elif msg["op"] == 2:
                self.identified.append(msg["d"])
                self._listening.append(ws)
                await self._send(ws, "READY", self._ready(msg["d"].get("shard")))
                await self._send(ws, "GUILD_CREATE", self.guild())
            elif msg["op"] == 6:
                self._listening.append(ws)
                await self._send(ws, "RESUMED", {})
        if ws in self._listening:
            self._listening.remove(ws)
        return ws

    async def _send(self, ws: web.WebSocketResponse, event: str, data: Json) -> None:
        self._seq += 1
        await ws.send_json({"op": 0, "t": event, "s": self._seq, "d": data})

    async def dispatch(self, event: str, data: Json) -> None:
        """Send a gateway event to every identified connection."""
        assert self._listening, "no bot is connected to the fake gateway"
        if event == "INTERACTION_CREATE":
            self.dispatched_at[data["id"]] = time.monotonic()
        for ws in self._listening:
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
                          "permission_overwrites": [], "nsfw": False, "topic": None},
                         {"id": str(QUIET_CHANNEL_ID), "type": 0, "name": "announcements",
                          "position": 1, "nsfw": False, "topic": None,
                          "permission_overwrites": [{"id": str(GUILD_ID), "type": 0,
                                                     "allow": "0", "deny": str(SEND)}]},
                         {"id": str(CATEGORY_ID), "type": 4, "name": "Text Channels",
                          "position": 2, "nsfw": False, "permission_overwrites": []}],
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
                mentions: list[Json] | None = None,
                member: Json | None = None) -> Json:  # fmt: skip
        """A channel message (stored, so the bot can fetch it) as MESSAGE_CREATE carries it;
        with `member` (as `member()` builds it) by that member, whose guild member data
        (their roles) comes with it, without its user, as Discord sends it in a guild."""
        msg: Json = {
            "id": str(self.next_id()), "channel_id": str(CHANNEL_ID), "guild_id": str(GUILD_ID),
            "author": author or user(OWNER_ID, "owner"), "content": content,
            "timestamp": TIMESTAMP, "edited_timestamp": None, "tts": False,
            "mention_everyone": False, "mentions": mentions or [], "mention_roles": [],
            "attachments": attachments or [], "embeds": [], "components": [], "pinned": False,
            "type": 19 if reference else 0, "flags": 0,
        }  # fmt: skip
        if member is not None:
            msg["author"] = member["user"]
            msg["member"] = {k: v for k, v in member.items() if k not in ("user", "permissions")}
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
        self.interactions[payload["id"]] = payload
        return payload

    def slash(self, name: str, options: list[Json], *, who: Json | None = None,
              attachments: list[Json] | None = None,
              picked: Json | None = None) -> Json:  # fmt: skip
        """A slash command; `options` as Discord sends them ({name, type, value}), with the
        roles and members its options picked (`picked`, built by `resolved()`)."""
        data: Json = {"id": str(self.next_id()), "name": name, "type": 1, "options": options,
                      "guild_id": str(GUILD_ID)}  # fmt: skip
        if attachments:
            data["resolved"] = {"attachments": {a["id"]: a for a in attachments}}
        if picked:
            data["resolved"] = data.get("resolved", {}) | picked
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
        return await self.until(
            lambda: next((c for c in self.calls if test(c)), None), timeout=timeout
        )

    def find(self, method: str, pattern: str) -> list[Call]:
        """Recorded calls with this method whose path matches a regex."""
        return [c for c in self.calls if c.method == method and re.fullmatch(pattern, c.path)]

    # -------------------------------------------------------------------- REST

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        if self.upload_delay and request.content_type == "multipart/form-data":
            await asyncio.sleep(self.upload_delay)
        call = await self._record(request)
        try:
            self._answer(call, request.headers.get("Authorization"))
        finally:
            self.calls.append(call)
            await self.noted()
        if call.answer is None:
            return web.Response(status=204, headers=call.headers)
        # exactly "application/json", without a charset: discord.py compares the whole header
        return json_answer(call.answer, status=call.status, headers=call.headers, charset=None)

    def _answer(self, call: Call, sent: str | None) -> None:
        """Decide the answer to a call and note it on the call."""
        if fault := self.limits.take(lambda f: f.params["limit"].matches(call)):
            limit = fault.params["limit"]
            call.status, call.answer, call.headers = 429, limit.body(), limit.headers()
            return
        # interaction webhooks carry no token; bot-token routes must carry the right one
        rejected = self.token is not None and sent not in (None, f"Bot {self.token}")
        refused = self.upload_status if call.files else None  # a test's failing uploads
        answer = 401 if rejected else refused or (400 if too_long(call.body) else self._route(call))
        if isinstance(answer, int):
            answer = answer, ERRORS[answer]
        if isinstance(answer, tuple):
            call.status, call.answer = answer
        else:
            call.status, call.answer = (204 if answer is None else 200), answer

    async def _record(self, request: web.Request) -> Call:
        call = Call(request.method, "/" + request.match_info["path"], query=dict(request.query))
        body = await read_body(request)
        for part in body.parts:
            if part.name == "payload_json":
                call.body = json.loads(part.data)
            else:
                call.files.append(Upload(part.name, part.filename or "", part.data))
        if body.json is not None:
            call.body = body.json
        return call

    def _route(self, call: Call) -> Json | list[Json] | int | tuple[int, Json] | None:
        m, p = call.method, call.path
        if p == "/users/@me":
            return user(BOT_ID, "imagine", bot=True) | {"mfa_enabled": False, "locale": "en-US"}
        if p == "/oauth2/applications/@me":
            return application()
        if m == "PUT" and (hit := re.fullmatch(r"/applications/\d+(?:/guilds/(\d+))?/commands", p)):
            synced = [synced_command(c, self.next_id()) for c in call.body]
            self.commands[hit[1] or "global"] = synced
            return synced
        if hit := re.fullmatch(r"/interactions/(\d+)/([^/]+)/callback", p):
            return self._callback(call, hit[1], hit[2])
        if hit := re.fullmatch(r"/webhooks/\d+/([^/]+)(?:/messages/(@original|\d+))?", p):
            return self._webhook(call, hit[1], hit[2])
        if hit := re.fullmatch(r"/channels/(\d+)/messages(?:/(\d+))?", p):
            return self._channel(call, hit[2])
        return 404

    def _callback(
        self, call: Call, interaction_id: str, token: str
    ) -> Json | int | tuple[int, Json] | None:
        """Answer an interaction: 204, or with `with_response` the interaction callback
        response (`resource` holds the message only for types 4 and 7, as Discord documents);
        404 Unknown interaction when the first answer comes after the deadline."""
        interaction = self.interactions.get(interaction_id)
        if interaction is None or interaction["token"] != token:
            return 404
        sent = self.dispatched_at.get(interaction_id, call.at)
        if call.at - sent > self.ack_deadline:
            return 404, UNKNOWN_INTERACTION
        kind = call.body["type"]
        made: Json = {}
        message: Json | None = None
        if kind in (4, 5):
            flags = (call.body.get("data") or {}).get("flags", 0) | (128 if kind == 5 else 0)
            message = self._store(call, flags, webhook=True)
            self.originals[token] = int(message["id"])
            made = {"response_message_id": message["id"], "response_message_loading": kind == 5,
                    "response_message_ephemeral": bool(flags & 64)}  # fmt: skip
        elif kind in (6, 7) and "message" in interaction:
            message = self.messages.get(int(interaction["message"]["id"]))
            if message is not None and kind == 7:
                self._apply(message, call)
        if call.query.get("with_response") not in ("1", "true", "True"):
            return None
        reply: Json = {"interaction": {"id": interaction_id, "type": interaction["type"], **made}}
        if message is not None and kind in (4, 7):
            reply["resource"] = {"type": kind, "message": message}
        return reply

    def _webhook(self, call: Call, token: str, which: str | None) -> Json | int | None:
        if which is None and call.method == "POST":
            loading = self.messages.get(self.originals.get(token, 0))
            if loading is not None and loading["flags"] & 128:
                # right after a deferred answer, a follow-up edits the loading message instead
                # (Discord keeps this for backwards compatibility; its ephemeral flag is ignored)
                self._apply(loading, call)
                loading["flags"] &= ~128
                return loading
            return self._store(call, call.body.get("flags", 0), webhook=True)
        msg_id = self.originals.get(token) if which == "@original" else which
        return self._channel(call, str(msg_id or 0))

    def _channel(self, call: Call, msg_id: str | None) -> Json | int | None:
        if msg_id is None:
            return self._store(call, call.body.get("flags", 0)) if call.method == "POST" else 404
        msg = self.messages.get(int(msg_id))
        if msg is None:
            return 404
        if call.method == "GET" and int(msg_id) in self.unreadable:
            return 403
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
        if "content" in body:
            msg["content"] = body["content"]
        if "components" in body:
            msg["components"] = numbered(body["components"] or [], itertools.count(1))
        if reference := body.get("message_reference"):
            msg["message_reference"] = {"type": 0, "channel_id": str(CHANNEL_ID),
                                        "guild_id": str(GUILD_ID),
                                        "message_id": str(reference["message_id"])}  # fmt: skip
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
