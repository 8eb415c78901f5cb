"""The fake Discord answers, and the bot asks, as Discord's published OpenAPI spec says.

Every REST call of a session that walks the bot through the routes it uses (start, /imagine
with previews, buttons, a modal, a refusal, a private error, a result and an error after
the token expired, a rate limit) is checked against tests/specs/discord.json: the body the
bot sent against the route's request schema, and the fake's answer against its response
schema (errors and 429s included, with the rate-limit headers the spec names).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tests.discordfixtures import fake as fake
from tests.fakes.discord import BOT_ID, CHANNEL_ID, Call, FakeDiscord, member, user
from tests.fakes.discord_bot import DiscordBot, opt, png, running_bot
from tests.fakes.gateway import FakeGateway
from tests.specs import fragment, problems

GUEST = member(700000000000000002, "guest")
CALLBACKS = (
    "CreateMessageInteractionCallbackRequest",
    "UpdateMessageInteractionCallbackRequest",
    "ModalInteractionCallbackRequest",
)
WEBHOOK = r"/webhooks/\d+/[^/]+"
MESSAGE = r"/channels/\d+/messages/\d+"
POSTED = f"/channels/{CHANNEL_ID}/messages"
# (method, path) -> (request body schema, answer schema); None: no body / 204; [x]: array of x
ROUTES: dict[tuple[str, str], tuple[Any, Any]] = {
    ("GET", "/users/@me"): (None, "UserPIIResponse"),
    ("GET", "/oauth2/applications/@me"): (None, "PrivateApplicationResponse"),
    ("PUT", r"/applications/\d+(?:/guilds/\d+)?/commands"): (
        ["ApplicationCommandUpdateRequest"],
        ["ApplicationCommandResponse"],
    ),
    ("POST", r"/interactions/\d+/[^/]+/callback"): (CALLBACKS, "InteractionCallbackResponse"),
    ("POST", WEBHOOK): ("IncomingWebhookRequestPartial", "MessageResponse"),
    ("PATCH", WEBHOOK + r"/messages/(?:@original|\d+)"): (
        "IncomingWebhookUpdateRequestPartial",
        "MessageResponse",
    ),
    ("DELETE", WEBHOOK + r"/messages/(?:@original|\d+)"): (None, None),
    ("POST", r"/channels/\d+/messages"): ("MessageCreateRequest", "MessageResponse"),
    ("GET", MESSAGE): (None, "MessageResponse"),
    ("PATCH", MESSAGE): ("MessageEditRequestPartial", "MessageResponse"),
    ("DELETE", MESSAGE): (None, None),
}


def route_of(call: Call) -> tuple[str, str] | None:
    """The ROUTES key a call belongs to."""
    return next((k for k in ROUTES if k[0] == call.method and re.fullmatch(k[1], call.path)), None)


def against(schema: Any, instance: Any, *, asked: bool = False) -> list[str]:
    """Problems of an instance against a ROUTES schema entry."""
    if isinstance(schema, list):
        return problems("discord", schema[0], instance, array=True, asked=asked)
    return problems("discord", schema, instance, asked=asked)


def header_problems(call: Call) -> list[str]:
    """The spec's rate-limit headers on a 429, each present and of its declared type."""
    found = []
    for name, header in fragment("discord")["components"]["headers"].items():
        value = call.headers.get(name)
        kind = {"integer": int, "number": float, "string": str}[header["schema"]["type"]]
        try:
            kind(value)
        except (TypeError, ValueError):
            found.append(f"header {name}: {value!r} is not a {header['schema']['type']}")
    return found


def call_problems(call: Call) -> list[str]:
    """Every way one recorded call breaks the spec, each prefixed with the call."""
    route = route_of(call)
    if route is None:
        return [f"{call.method} {call.path}: a route the spec fragment does not cover"]
    asked, answered = ROUTES[route]
    found = [f"asked {p}" for p in against(asked, call.body, asked=True)] if asked else []
    if call.status == 429:
        answer = against("RatelimitedResponse", call.answer) + header_problems(call)
    elif call.status >= 400:
        answer = against("ErrorResponse", call.answer)
    elif answered is None:
        answer = [] if (call.status, call.answer) == (204, None) else ["not 204 No Content"]
    else:
        answer = against(answered, call.answer)
    found += [f"answered {p}" for p in answer]
    return [f"{call.method} {call.path} ({call.status}): {p}" for p in found]


async def walk(bot: DiscordBot, gateway: FakeGateway) -> None:
    """Take the bot through the routes it uses while the token is fresh."""
    fake = bot.fake
    ix = await bot.slash("imagine", [opt("prompt", "a red balloon")])
    await bot.final(ix)
    result = bot.message_of(ix)
    [entry] = await bot.entries()
    await bot.final(await bot.send(fake.click(result, f"imagine:reroll:{entry.id}", who=GUEST)))
    await bot.callback(await bot.send(fake.click(result, f"imagine:delete:{entry.id}", who=GUEST)))
    source = fake.message("look", attachments=[fake.attachment(png(300, 200))])
    modal = (await bot.callback(await bot.send(fake.context_menu("Edit image", source)))).body
    await bot.final(await bot.send(fake.submit(modal["data"], ["make the sky pink"])))
    gateway.fail("moderation_blocked")
    await bot.private_error(await bot.slash("imagine", [opt("prompt", "blocked")]))
    fake.rate_limit("PATCH", WEBHOOK + "/messages/@original")
    await bot.final(await bot.slash("imagine", [opt("prompt", "a busy day")]))
    bot_user = user(BOT_ID, "imagine", bot=True)
    mention = fake.message(f"<@{BOT_ID}> make it blue", reference=source, mentions=[bot_user])
    await fake.dispatch("MESSAGE_CREATE", mention)
    await fake.wait_for(lambda c: c.method == "PATCH" and bool(re.fullmatch(MESSAGE, c.path)))


async def test_every_call_of_a_session_fits_discords_spec(
    tmp_path: Path, fake: FakeDiscord, gateway: FakeGateway
) -> None:
    async with running_bot(tmp_path / "imagine.db", fake, gateway, DISCORD_GUILD_IDS="42") as bot:
        await walk(bot, gateway)
    async with running_bot(tmp_path / "imagine.db", fake, gateway, token_ttl_s=0) as late:
        removed = len(fake.find("DELETE", MESSAGE))
        await late.slash("imagine", [opt("prompt", "a slow painting")])
        await fake.wait_for(lambda _: len(fake.find("DELETE", MESSAGE)) == removed + 1)
        gateway.fail("moderation_blocked")
        await late.slash("imagine", [opt("prompt", "blocked late")])
        await fake.wait_for(lambda c: c.path == POSTED and "rewording" in str(c.body))
        await fake.wait_for(lambda _: len(fake.find("DELETE", MESSAGE)) == removed + 2)
    assert [p for call in fake.calls for p in call_problems(call)] == []
    assert {route_of(c) for c in fake.calls} == set(ROUTES)
    assert {c.status for c in fake.calls} >= {200, 204, 429}


def test_the_spec_check_refuses_what_discord_would_refuse() -> None:
    interaction_only = {"interaction": {"id": "1", "type": 2}}
    assert problems("discord", "InteractionCallbackResponse", interaction_only) == []
    assert problems("discord", "InteractionCallbackResponse", {"interaction": {"id": "1"}}) == [
        "interaction: 'type' is a required property"
    ]
    deferred = {"interaction": {"id": "1", "type": 2}, "resource": {"type": 5}}
    assert problems("discord", "InteractionCallbackResponse", deferred)  # no message, no type 5
    assert problems("discord", "RatelimitedResponse", {"message": "slow down", "code": 0}) == [
        "(top): 'retry_after' is a required property",
        "(top): 'global' is a required property",
    ]
