"""A result Discord will not take is kept, not charged against the person, and delivered once
by the Deliver again button, which works after a restart too."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from bot.models import Actor, LedgerEntry, Scope
from tests.discordfixtures import fake as fake
from tests.fakes.discord import CHANNEL_ID, GUILD_ID, OWNER_ID, FakeDiscord, Json, member
from tests.fakes.discord_bot import DiscordBot, custom_ids, opt, running_bot
from tests.fakes.gateway import FakeGateway
from tests.support import standing

GUEST = member(700000000000000002, "guest")
OWNER = Actor("discord", str(GUILD_ID), str(CHANNEL_ID), str(OWNER_ID))
CHANNEL = Scope("discord", str(GUILD_ID), str(CHANNEL_ID))


def with_button(fake: FakeDiscord, custom_id: str) -> Json:
    """The stored message carrying a button."""
    return next(m for m in fake.messages.values() if custom_id in custom_ids(m))


async def settled(bot: DiscordBot, entry_id: str) -> LedgerEntry:
    """A ledger row once its delivery is no longer pending (the bot settles it after posting)."""
    async with asyncio.timeout(30):
        while (entry := await bot.handler.entry(entry_id)).delivery == "pending":  # noqa: ASYNC110 - set by a bot task
            await asyncio.sleep(0.01)
    return entry


def uploads(fake: FakeDiscord) -> int:
    """How many requests carried result images (with their buttons; previews have none)."""
    return sum(
        1 for call in fake.calls if call.files and custom_ids(call.body.get("data") or call.body)
    )


async def test_a_refused_upload_is_kept_and_deliver_again_posts_it_once(
    tmp_path: Path, fake: FakeDiscord, gateway: FakeGateway
) -> None:
    db = tmp_path / "imagine.db"
    fake.upload_status = 403
    async with running_bot(db, fake, gateway) as bot:
        ix = await bot.slash("imagine", [opt("prompt", "a red balloon")])
        said = await bot.private_error(ix)
        before = await standing(bot, OWNER, CHANNEL)

    entry, mine, report = before.entry, before.mine, before.report
    assert said == (
        f"The images of request {entry.id[:8]} were made, but Discord did not let the bot post "
        "them here (Missing Permissions). Ask a server admin to let the bot Send Messages and "
        "Attach Files in this channel. They are kept for 48 h and do not count against your "
        "limits until you receive them. Press Deliver again to get them."
    )
    button = f"imagine:deliver:{entry.id}"
    assert custom_ids((await bot.followup(ix)).body) == [button]
    assert (entry.status, entry.images_delivered, entry.delivery) == ("succeeded", 1, "undelivered")
    assert entry.est_cost_usd > 0
    assert (mine.images_today, mine.cost_today_usd) == (0, 0.0)
    assert (report.images_today, report.undelivered.images_today) == (1, 1)
    assert report.undelivered.cost_today_usd == report.cost_today_usd == entry.est_cost_usd
    assert len(before.kept) == 1 and uploads(fake) == 1

    fake.upload_status = None
    async with running_bot(db, fake, gateway) as restarted:
        failure = with_button(fake, button)
        refused = await restarted.send(fake.click(failure, button, who=GUEST))
        not_yours = await restarted.private_error(refused)
        press = await restarted.send(fake.click(failure, button))
        final = await restarted.final(press)
    async with running_bot(db, fake, gateway) as again:
        second = await again.send(fake.click(failure, button))
        twice = await again.private_error(second)
        after = await standing(again, OWNER, CHANNEL)

    assert not_yours == (
        "Only the person who asked for these images can have them delivered. You were not charged."
    )
    assert final.body["content"].startswith(f"**a red balloon** — <@{OWNER_ID}>")
    assert [f.data for f in final.files] == [image.data for image in before.kept]
    assert f"imagine:vary:{entry.id}:0" in custom_ids(final.body)
    assert twice == (
        f"The images of request {entry.id[:8]} were delivered already. You were not charged."
    )
    assert uploads(fake) == 2
    assert len(gateway.image_requests) == 1
    assert after.entry.delivery == "delivered" and after.kept == ()
    assert (after.mine.images_today, after.mine.cost_today_usd) == (1, entry.est_cost_usd)
    assert (after.report.images_today, after.report.undelivered.images_today) == (1, 0)


async def test_after_the_interaction_expired_the_button_is_posted_in_the_channel(
    tmp_path: Path, fake: FakeDiscord, gateway: FakeGateway
) -> None:
    fake.upload_status = 403
    async with running_bot(tmp_path / "imagine.db", fake, gateway, token_ttl_s=0) as bot:
        await bot.slash("imagine", [opt("prompt", "a red balloon")])
        posted = await fake.wait_for(
            lambda c: (
                c.method == "POST" and c.path == f"/channels/{CHANNEL_ID}/messages" and not c.files
            )
        )
        [entry] = await bot.entries()
        button = f"imagine:deliver:{entry.id}"
        [refused] = [c for c in fake.find("POST", rf"/channels/{CHANNEL_ID}/messages") if c.files]
        fake.upload_status = None
        await bot.send(fake.click(with_button(fake, button), button))
        result = await fake.wait_for(
            lambda c: (
                c.method == "POST"
                and c.path == f"/channels/{CHANNEL_ID}/messages"
                and bool(c.files)
                and c is not refused
            )
        )
        delivered = await settled(bot, entry.id)

    assert posted.body["content"].startswith(
        f"<@{OWNER_ID}> The images of request {entry.id[:8]} were made, but Discord did not let"
    )
    assert custom_ids(posted.body) == [button]
    assert f"imagine:vary:{entry.id}:0" in custom_ids(result.body)
    assert delivered.delivery == "delivered"


async def test_a_delivery_cut_off_by_shutdown_leaves_the_person_a_deliver_again_button(
    tmp_path: Path, fake: FakeDiscord, gateway: FakeGateway
) -> None:
    db = tmp_path / "imagine.db"
    gateway.delay = 2.5  # a progress edit (after 1 s) comes well before the result
    settings = {"IMAGINE_SHUTDOWN_GRACE": 0, "IMAGINE_STREAM_PREVIEWS": False}
    async with running_bot(db, fake, gateway, **settings) as bot:
        ix = await bot.slash("imagine", [opt("prompt", "a red balloon")])
        original = rf"/webhooks/\d+/{ix['token']}/messages/@original"
        await fake.wait_for(lambda c: c.method == "PATCH" and bool(re.fullmatch(original, c.path)))
        fake.rate_limit("PATCH", original, times=5, retry_after=20)  # the result waits it out
        await fake.wait_for(lambda c: c.status == 429 and bool(c.body.get("components")))
    said = await bot.private_error(ix)  # the bot has stopped
    buttons = custom_ids((await bot.followup(ix)).body)

    async with running_bot(db, fake, gateway) as restarted:
        [entry] = await restarted.entries()
        button = f"imagine:deliver:{entry.id}"
        press = await restarted.send(fake.click(with_button(fake, button), button))
        final = await restarted.final(press)
        delivered = await settled(restarted, entry.id)

    assert said == (
        f"The images of request {entry.id[:8]} were made, but the bot was restarting before "
        "they were posted. They are kept for 48 h and do not count against your limits until "
        "you receive them. Press Deliver again to get them."
    )
    assert buttons == [button] and entry.delivery == "undelivered"
    assert f"imagine:vary:{entry.id}:0" in custom_ids(final.body)
    assert delivered.delivery == "delivered" and len(gateway.image_requests) == 1
