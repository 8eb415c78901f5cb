"""A local Slack Web API on 127.0.0.1 that records everything the bot sends.

    async with FakeSlack() as slack:            # slack.api_url == "http://127.0.0.1:<port>/api/"
        photo = slack.add_file(png, "balloon.png")          # a user's upload (url_private here)
        msg = slack.add_message("C1", "look", files=[photo])  # a message carrying it
        slack.files_read = False                # downloads answer Slack's HTML login page
        slack.upload_status = 500               # upload URLs answer 500 (None: they take it)
        slack.rate_limit("chat.update", times=2, retry_after=1)  # 429 + Retry-After, twice
        await slack.wait_for(lambda: slack.calls("files.completeUploadExternal"))

Web API methods (POST or GET /api/<method>, token in `Authorization: Bearer`): auth.test
(scopes in the `x-oauth-scopes` header), chat.postMessage / update / delete / postEphemeral,
views.open, users.info, usergroups.list (`add_usergroup`), conversations.info (`add_channel`),
conversations.open (a DM is `D<user id>`), conversations.replies,
files.info, files.getUploadURLExternal ->
POST /upload/<file id> -> files.completeUploadExternal (the three steps of files_upload_v2).
Files: GET /files-pri/<id>/<name> redirects to /download/<id> (or `file_redirects[id]`); both
need the bot token and the files:read scope, else they answer 200 with an HTML login page, as
Slack does.
`slack.rate_limit(method, times, retry_after)` makes the next `times` calls of a method answer
as Slack's rate limiter does: HTTP 429, `Retry-After: <seconds>`, `{"ok": false, "error":
"ratelimited"}` (such calls are logged with status 429).
`slack.response_url()` hands out URLs whose POSTs land in `slack.responses`.
Socket Mode: apps.connections.open (app token) hands out ws://…/socket, which says hello;
`await slack.push("slash_commands", payload)` sends an envelope there and returns its id;
the bot's acknowledgements land in `slack.acks`.
Run as a process: `python -m tests.fakes.slack --port 0` prints its API URL and serves
GET /_fake/calls (every call as JSON) until SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from adapters.slack import REQUIRED_SCOPES
from tests.fakes.server import (
    LocalServer,
    Script,
    headers_of,
    json_answer,
    parse_json,
    read_body,
    serve_until_signalled,
)

TOKEN = "xoxb-fake-bot-token"
APP_TOKEN = "xapp-fake-app-token"
TEAM = "T0FAKE"
BOT_USER = "UBOT"
SCOPES = tuple(sorted(REQUIRED_SCOPES))  # an app installed from slack-manifest.yml holds these
LOGIN_PAGE = b"<!DOCTYPE html><html><head><title>Slack</title></head><body>Sign in</body></html>"
NEEDS_SCOPE = {
    "conversations.open": "im:write",
    "conversations.replies": "channels:history",
    "files.info": "files:read",
    "files.getUploadURLExternal": "files:write",
    "files.completeUploadExternal": "files:write",
    "users.info": "users:read",
    "usergroups.list": "usergroups:read",
    "conversations.info": "channels:read",
}


@dataclass
class Call:
    """One Web API call as the fake saw it."""

    method: str
    args: dict[str, Any]
    headers: dict[str, str]
    status: int = 200


@dataclass
class Upload:
    """Bytes posted to an upload URL."""

    file_id: str
    filename: str
    data: bytes = b""


@dataclass
class FakeSlack(LocalServer):
    """The fake server; every attribute may be changed by a test while it runs."""

    max_body = 64 * 1024 * 1024

    token: str = TOKEN
    app_token: str = APP_TOKEN
    scopes: tuple[str, ...] = SCOPES
    files_read: bool = True
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    not_in_channel: set[str] = field(default_factory=set)
    upload_status: int | None = None
    refused_uploads: int = 0
    port: int = 0
    log: list[Call] = field(default_factory=list)
    messages: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    file_data: dict[str, bytes] = field(default_factory=dict)
    uploads: dict[str, Upload] = field(default_factory=dict)
    views: list[dict[str, Any]] = field(default_factory=list)
    responses: list[dict[str, Any]] = field(default_factory=list)
    downloads: list[dict[str, str]] = field(default_factory=list)
    file_redirects: dict[str, str] = field(default_factory=dict)  # file id -> elsewhere
    acks: list[dict[str, Any]] = field(default_factory=list)
    limits: Script = field(default_factory=Script)  # scripted 429s, see rate_limit()
    usergroups: dict[str, dict[str, Any]] = field(default_factory=dict)  # see add_usergroup()
    channels: dict[str, dict[str, Any]] = field(default_factory=dict)  # see add_channel()

    def __post_init__(self) -> None:
        super().__init__(port=self.port)
        self._ids = itertools.count(1)
        self._clock = int(time.time())

    # ---- test helpers -------------------------------------------------------------------

    @property
    def api_url(self) -> str:
        """The Web API base for SLACK_API_URL."""
        return f"{self.origin}/api/"

    def calls(self, method: str) -> list[Call]:
        """Every call of one Web API method, in order."""
        return [call for call in self.log if call.method == method]

    def answered(self, method: str) -> list[Call]:
        """The calls of one method that Slack answered (not rate-limited), in order."""
        return [call for call in self.calls(method) if call.status != 429]

    def rate_limit(self, method: str, times: int = 1, retry_after: int = 1) -> None:
        """Answer the next `times` calls of `method` with 429 and `Retry-After: retry_after`."""
        self.limits.add(method, times, retry_after=retry_after)

    def response_url(self) -> str:
        """A fresh response_url whose POSTs are kept in `responses`."""
        return f"{self.origin}/response/{next(self._ids)}"

    def add_file(
        self, data: bytes, name: str, mimetype: str | None = None, file_id: str | None = None
    ) -> dict[str, Any]:
        """A file someone uploaded; returns its Slack file object."""
        file_id = file_id or f"F{next(self._ids):08d}"
        self.file_data[file_id] = data
        obj = {
            "id": file_id,
            "name": name,
            "title": name,
            "mimetype": mimetype or _mimetype(data, name),
            "size": len(data),
            "url_private": f"{self.origin}/files-pri/{TEAM}-{file_id}/{name}",
            "url_private_download": f"{self.origin}/files-pri/{TEAM}-{file_id}/download/{name}",
        }
        self.files[file_id] = obj
        return obj

    def add_message(
        self,
        channel: str,
        text: str = "",
        *,
        user: str = "UOTHER",
        files: list[dict[str, Any]] | None = None,
        thread_ts: str | None = None,
    ) -> dict[str, Any]:
        """A message in a channel (or thread); returns it with its ts."""
        message: dict[str, Any] = {"type": "message", "user": user, "text": text, "ts": self._ts()}
        if files:
            message["files"] = files
        if thread_ts:
            message["thread_ts"] = thread_ts
        self.messages.setdefault(channel, []).append(message)
        return message

    def add_usergroup(self, group_id: str, handle: str, users: list[str]) -> dict[str, Any]:
        """A user group of the workspace, as usergroups.list describes it."""
        group: dict[str, Any] = {
            "id": group_id, "team_id": TEAM, "is_usergroup": True, "is_subteam": True,
            "name": handle.title(), "description": "", "handle": handle,
            "is_external": False, "date_create": self._clock, "date_update": self._clock,
            "date_delete": 0, "auto_type": None, "created_by": "U0ADMIN",
            "updated_by": "U0ADMIN", "deleted_by": None,
            "prefs": {"channels": [], "groups": []}, "users": list(users),
            "user_count": len(users),
        }  # fmt: skip
        self.usergroups[group_id] = group
        return group

    def add_channel(self, channel_id: str, name: str, *, private: bool = False) -> dict[str, Any]:
        """A channel conversations.info knows; the bot is in it unless it is in
        `not_in_channel` (a private channel the bot is not in is not found, as on Slack)."""
        channel: dict[str, Any] = {
            "id": channel_id, "name": name, "is_channel": not private, "is_group": private,
            "is_im": False, "is_mpim": False, "is_private": private, "is_archived": False,
            "is_general": False, "created": self._clock, "creator": "U0ADMIN",
            "name_normalized": name, "is_shared": False, "is_ext_shared": False,
            "is_org_shared": False,
        }  # fmt: skip
        self.channels[channel_id] = channel
        return channel

    async def push(self, kind: str, payload: dict[str, Any]) -> str:
        """Send a Socket Mode envelope (slash_commands, interactive, events_api); its id."""
        envelope_id = f"env-{next(self._ids)}"
        envelope = {
            "envelope_id": envelope_id,
            "type": kind,
            "payload": payload,
            "accepts_response_payload": kind != "events_api",
            "retry_attempt": 0,
            "retry_reason": "",
        }
        await self.sockets[-1].send_json(envelope)
        return envelope_id

    async def wait_for(self, predicate: Callable[[], object], timeout: float = 15.0) -> Any:
        """Poll until `predicate()` is truthy (returns it); AssertionError after `timeout` s."""
        return await self.until(predicate, timeout=timeout)

    def describe(self) -> str:
        """The Web API methods called, in order."""
        return f"calls: {[c.method for c in self.log]}"

    # ---- server ---------------------------------------------------------------------------

    def routes(self) -> list[web.RouteDef]:
        """The Web API, uploads, private files, response URLs, Socket Mode, the test hook."""
        return [
            web.route("*", "/api/{method}", self._api),
            web.post("/upload/{file_id}", self._upload),
            web.get("/files-pri/{key}/{name:.*}", self._private),
            web.get("/download/{file_id}", self._download),
            web.post("/response/{n}", self._response),
            web.get("/_fake/calls", self._dump),
            web.get("/socket", self._socket),
        ]

    def _ts(self) -> str:
        return f"{self._clock}.{next(self._ids):06d}"

    def _authorized(self, request: web.Request, token: str | None = None) -> bool:
        return request.headers.get("Authorization", "") == f"Bearer {token or self.token}"

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args = dict(request.query) | (await read_body(request)).fields
        call = Call(method, args, headers_of(request))
        self.log.append(call)
        if limited := self.limits.take(lambda fault: fault.name == method):
            call.status = 429
            wait = limited.params["retry_after"]
            body = {"ok": False, "error": "ratelimited"}
            return json_answer(body, status=429, headers={"Retry-After": str(wait)})
        token = self.app_token if method == "apps.connections.open" else self.token
        if not self._authorized(request, token):
            return json_answer({"ok": False, "error": "invalid_auth"})
        needed = NEEDS_SCOPE.get(method)
        if needed is not None and needed not in self.scopes:
            return json_answer({"ok": False, "error": "missing_scope", "needed": needed})
        answer = getattr(self, "_m_" + method.replace(".", "_"), None)
        if answer is None:
            return json_answer({"ok": False, "error": "unknown_method"}, status=404)
        body, headers = answer(args)
        return json_answer(body, headers=headers)

    def _m_auth_test(self, args: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
        body = {
            "ok": True,
            "url": "https://fake.slack.com/",
            "team": "Fake Team",
            "user": "imagine",
            "team_id": TEAM,
            "user_id": BOT_USER,
            "bot_id": "BBOT",
            "is_enterprise_install": False,
        }
        return body, {"x-oauth-scopes": ",".join(self.scopes)}

    def _m_apps_connections_open(
        self, args: dict[str, Any]
    ) -> tuple[dict[str, Any], dict[str, str]]:
        return {"ok": True, "url": f"ws://127.0.0.1:{self.port}/socket"}, {}

    def _m_chat_postMessage(self, args: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
        channel = str(args.get("channel"))
        if channel in self.not_in_channel:
            return {"ok": False, "error": "not_in_channel"}, {}
        message = self.add_message(
            channel, str(args.get("text", "")), user=BOT_USER, thread_ts=args.get("thread_ts")
        )
        if args.get("blocks"):
            message["blocks"] = parse_json(args["blocks"])
        return {"ok": True, "channel": channel, "ts": message["ts"], "message": message}, {}

    def _m_chat_update(self, args: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
        message = self._find(str(args.get("channel")), str(args.get("ts")))
        if message is None:
            return {"ok": False, "error": "message_not_found"}, {}
        message["text"] = args.get("text", message["text"])
        if "blocks" in args:
            message["blocks"] = parse_json(args["blocks"])
        return {
            "ok": True,
            "channel": args["channel"],
            "ts": message["ts"],
            "text": message["text"],
        }, {}

    def _m_chat_delete(self, args: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
        channel = str(args.get("channel"))
        message = self._find(channel, str(args.get("ts")))
        if message is None:
            return {"ok": False, "error": "message_not_found"}, {}
        self.messages[channel].remove(message)
        return {"ok": True, "channel": channel, "ts": message["ts"]}, {}

    def _m_chat_postEphemeral(self, args: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
        if str(args.get("channel")) in self.not_in_channel:
            return {"ok": False, "error": "not_in_channel"}, {}
        return {"ok": True, "message_ts": self._ts()}, {}

    def _m_views_open(self, args: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
        view = dict(parse_json(args.get("view", "{}")))
        view["id"] = f"V{next(self._ids):08d}"
        self.views.append(view)
        return {"ok": True, "view": view}, {}

    def _m_users_info(self, args: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
        user_id = str(args.get("user"))
        user = {"id": user_id, "team_id": TEAM, "is_admin": False, "is_owner": False}
        user.update(self.users.get(user_id, {}))
        return {"ok": True, "user": user}, {}

    def _m_usergroups_list(self, args: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
        with_users = str(args.get("include_users", "")).lower() in ("1", "true")
        groups = [
            group if with_users else {k: v for k, v in group.items() if k != "users"}
            for group in self.usergroups.values()
        ]
        return {"ok": True, "usergroups": groups}, {}

    def _m_conversations_info(self, args: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
        channel_id = str(args.get("channel"))
        channel = self.channels.get(channel_id)
        member = channel_id not in self.not_in_channel
        if channel is None or (channel["is_private"] and not member):
            return {"ok": False, "error": "channel_not_found"}, {}
        return {"ok": True, "channel": channel | {"is_member": member}}, {}

    def _m_conversations_open(self, args: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
        return {"ok": True, "channel": {"id": f"D{args.get('users')}"}}, {}

    def _m_conversations_replies(
        self, args: dict[str, Any]
    ) -> tuple[dict[str, Any], dict[str, str]]:
        ts = str(args.get("ts"))
        thread = [
            m
            for m in self.messages.get(str(args.get("channel")), [])
            if m["ts"] == ts or m.get("thread_ts") == ts
        ]
        if not thread:
            return {"ok": False, "error": "thread_not_found"}, {}
        thread.sort(key=lambda m: float(m["ts"]))
        return {"ok": True, "messages": thread[: int(args.get("limit") or 1000)]}, {}

    def _m_files_info(self, args: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
        obj = self.files.get(str(args.get("file")))
        if obj is None:
            return {"ok": False, "error": "file_not_found"}, {}
        return {"ok": True, "file": obj}, {}

    def _m_files_getUploadURLExternal(
        self, args: dict[str, Any]
    ) -> tuple[dict[str, Any], dict[str, str]]:
        file_id = f"F{next(self._ids):08d}"
        self.uploads[file_id] = Upload(file_id, str(args.get("filename")))
        return {"ok": True, "upload_url": f"{self.origin}/upload/{file_id}", "file_id": file_id}, {}

    def _m_files_completeUploadExternal(
        self, args: dict[str, Any]
    ) -> tuple[dict[str, Any], dict[str, str]]:
        shared = []
        for item in parse_json(args.get("files", "[]")):
            upload = self.uploads.get(str(item["id"]))
            if upload is None or not upload.data:
                return {"ok": False, "error": "file_not_found"}, {}
            obj = self.add_file(upload.data, upload.filename, file_id=upload.file_id)
            obj["title"] = item.get("title") or upload.filename
            shared.append(obj)
        channel = args.get("channel_id")
        if channel:
            if channel in self.not_in_channel:
                return {"ok": False, "error": "not_in_channel"}, {}
            self.add_message(
                str(channel),
                str(args.get("initial_comment", "")),
                user=BOT_USER,
                files=shared,
                thread_ts=args.get("thread_ts"),
            )
        return {"ok": True, "files": [{"id": f["id"], "title": f["title"]} for f in shared]}, {}

    def _m_files_delete(self, args: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
        """files.delete (files:write): a bot may delete only the files it uploaded; the file
        leaves every message that showed it."""
        if "files:write" not in self.scopes:
            return {"ok": False, "error": "missing_scope", "needed": "files:write"}, {}
        file_id = str(args.get("file"))
        if file_id not in self.files:
            return {"ok": False, "error": "file_not_found"}, {}
        if file_id not in self.uploads:
            return {"ok": False, "error": "cant_delete_file"}, {}
        del self.files[file_id]
        self.file_data.pop(file_id)
        for message in (m for ms in self.messages.values() for m in ms if "files" in m):
            message["files"] = [f for f in message["files"] if f["id"] != file_id]
        return {"ok": True}, {}

    def _find(self, channel: str, ts: str) -> dict[str, Any] | None:
        return next((m for m in self.messages.get(channel, []) if m["ts"] == ts), None)

    async def _upload(self, request: web.Request) -> web.Response:
        upload = self.uploads.get(request.match_info["file_id"])
        if upload is None:
            return web.Response(status=404, text="no such upload")
        if self.upload_status is not None:
            self.refused_uploads += 1
            return web.Response(status=self.upload_status, text="upload failed")
        upload.data = await request.read()
        return web.Response(text=f"OK - {len(upload.data)}")

    def _can_read(self, request: web.Request) -> bool:
        return self._authorized(request) and self.files_read

    async def _private(self, request: web.Request) -> web.Response:
        self.downloads.append(
            {"path": request.path, "auth": request.headers.get("Authorization", "")}
        )
        if not self._can_read(request):
            return web.Response(body=LOGIN_PAGE, content_type="text/html")
        file_id = request.match_info["key"].rpartition("-")[2]
        raise web.HTTPFound(self.file_redirects.get(file_id, f"/download/{file_id}"))

    async def _download(self, request: web.Request) -> web.Response:
        if not self._can_read(request):
            return web.Response(body=LOGIN_PAGE, content_type="text/html")
        file_id = request.match_info["file_id"]
        data = self.file_data.get(file_id)
        if data is None:
            return web.Response(status=404, text="not found")
        return web.Response(body=data, content_type=self.files[file_id]["mimetype"])

    async def _response(self, request: web.Request) -> web.Response:
        self.responses.append(await request.json())
        return web.Response(text="ok")

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        socket = await self.websocket(request)
        hello = {"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A0FAKE"}}
        await socket.send_json(hello)
        async for message in socket:
            if message.type == WSMsgType.TEXT:
                self.acks.append(json.loads(message.data))
        return socket

    async def _dump(self, request: web.Request) -> web.Response:
        calls = [{"method": c.method, "args": c.args} for c in self.log]
        return json_answer({"calls": calls, "responses": self.responses})


def _mimetype(data: bytes, name: str) -> str:
    if data.startswith(b"\x89PNG"):
        return "image/png"
    if data.startswith(b"\xff\xd8"):
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return "application/pdf" if name.endswith(".pdf") else "text/plain"


async def _run(args: argparse.Namespace) -> None:
    slack = FakeSlack(port=args.port, token=args.token)
    await serve_until_signalled(slack, lambda: slack.api_url)


def main(argv: list[str] | None = None) -> None:
    """Serve the fake Slack Web API as a process."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--token", default=TOKEN)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_run(parser.parse_args(argv)))


if __name__ == "__main__":
    main()
