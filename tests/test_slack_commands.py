"""/imagine end to end: signed slash commands in, uploads and messages out at the fake Slack."""

from __future__ import annotations

import json
from pathlib import Path

from bot.models import Scope
from tests.fakes.gateway import FakeGateway
from tests.fakes.slack import TEAM, FakeSlack
from tests.fakes.slack_app import NOW, SlackBot, running_bot
from tests.test_slack_buttons import reply_to, without_scope

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def cards(slack: FakeSlack) -> list[dict[str, object]]:
    """Result cards: chat.update calls that carry the buttons."""
    return [call.args for call in slack.calls("chat.update") if call.args.get("blocks")]


async def test_slash_command_uploads_the_images_with_prompt_cost_and_buttons(
    slack_bot: SlackBot, slack: FakeSlack, gateway: FakeGateway
) -> None:
    response = await slack_bot.command("a red balloon on a wooden table --n 2 --quality low")
    assert response.status_code == 200
    assert response.text == ""

    card = (await slack.wait_for(lambda: cards(slack)))[0]
    [request] = gateway.image_requests
    assert request.path == "/v1/images/generations"
    assert request.fields["prompt"] == "a red balloon on a wooden table"
    assert (request.fields["n"], request.fields["quality"]) == (2, "low")
    assert [len(u.data) > 0 and u.data.startswith(PNG_MAGIC) for u in slack.uploads.values()] == [
        True,
        True,
    ]
    [complete] = slack.calls("files.completeUploadExternal")
    assert complete.args["channel_id"] == "C1"
    assert "thread_ts" not in complete.args
    comment = complete.args["initial_comment"]
    assert comment.startswith("<@U1>: a red balloon on a wooden table\n2 images · 1024x1024 · low")
    [entry] = await slack_bot.entries()
    assert (entry.status, entry.images_delivered, entry.user_id) == ("succeeded", 2, "U1")
    assert f"${entry.est_cost_usd:.3f}" in comment

    [working] = slack.calls("chat.postMessage")
    assert "a red balloon on a wooden table" in working.args["text"]
    assert card["ts"] == slack.messages["C1"][0]["ts"]
    rows = [block["elements"] for block in card["blocks"][1:]]  # type: ignore[index]
    labels = [[b["text"]["text"] for b in row] for row in rows]
    assert labels == [["Vary 1", "Vary 2"], ["Pick 1", "Pick 2"], ["Re-roll", "Edit", "Delete"]]
    uploaded = [f["id"] for f in json.loads(complete.args["files"])]
    values = [json.loads(b["value"]) for row in rows for b in row]
    one = [{"r": entry.id, "f": [file_id]} for file_id in uploaded]
    every = {"r": entry.id, "f": uploaded}
    assert values == [*one, *one, {"r": entry.id, "f": []}, every, every]


async def test_help_is_the_ephemeral_acknowledgement(
    slack_bot: SlackBot, gateway: FakeGateway
) -> None:
    response = await slack_bot.command("help")
    assert response.status_code == 200
    assert response.json()["response_type"] == "ephemeral"
    text = response.json()["text"]
    assert "/imagine a red balloon on a wooden table" in text
    assert "Edit image" in text
    empty = await slack_bot.command("")
    assert empty.json()["text"] == text
    assert gateway.image_requests == []


async def test_usage_goes_only_to_the_person(slack_bot: SlackBot, slack: FakeSlack) -> None:
    await slack_bot.command("a red balloon")
    await slack.wait_for(lambda: cards(slack))
    await slack_bot.command("usage")
    [reply] = await slack.wait_for(lambda: slack.responses)
    assert reply["response_type"] == "ephemeral"
    assert reply["text"].startswith("*Your usage*\nToday: 1 image ($0.032)")
    assert "This channel" not in reply["text"]


async def test_usage_for_an_admin_includes_the_channel(
    slack_bot: SlackBot, slack: FakeSlack
) -> None:
    slack.users["UADMIN"] = {"is_admin": True}
    reply = await reply_to(slack_bot, "usage", user="UADMIN")
    assert "*This channel*\nToday: 0 images" in reply["text"]


async def test_limit_reached_is_refused_with_its_message_and_not_charged(
    slack_bot: SlackBot, slack: FakeSlack, gateway: FakeGateway
) -> None:
    await slack_bot.handler.set_limits(
        Scope("slack", TEAM, "C1"), {"user_daily_images": "1"}, changed_by="UADMIN"
    )
    await slack_bot.command("a red balloon")
    await slack.wait_for(lambda: cards(slack))
    await slack_bot.command("a blue balloon")
    [reply] = await slack.wait_for(lambda: slack.responses)
    assert reply["text"] == (
        "You have used 1 of your 1 image today (user_daily_images); it resets at 00:00 UTC, "
        "in 12 h. You were not charged."
    )
    assert len(gateway.image_requests) == 1
    assert [e.prompt for e in await slack_bot.entries()] == ["a red balloon"]
    assert len(slack.calls("chat.postMessage")) == 2  # the refused one's working message…
    [deleted] = slack.calls("chat.delete")  # …removed
    assert deleted.args["ts"] not in {m["ts"] for m in slack.messages["C1"]}


async def test_a_blocked_prompt_gets_the_moderation_message_and_costs_nothing(
    slack_bot: SlackBot, slack: FakeSlack, gateway: FakeGateway
) -> None:
    gateway.fail("moderation_blocked")
    await slack_bot.command("something the safety system refuses")
    [reply] = await slack.wait_for(lambda: slack.responses)
    [entry] = await slack_bot.entries()
    assert reply["text"] == (
        "Your request was blocked by the image service's safety system. "
        f"You were not charged. Try rewording the prompt. (request {entry.id[:8]})"
    )
    assert (entry.status, entry.error_kind, entry.images_delivered) == ("failed", "moderation", 0)
    assert slack.calls("files.completeUploadExternal") == []
    assert len(slack.calls("chat.postMessage")) == 1
    assert len(slack.calls("chat.delete")) == 1
    assert slack.messages["C1"] == []


async def test_a_channel_without_the_bot_is_explained_and_not_charged(
    slack_bot: SlackBot, slack: FakeSlack, gateway: FakeGateway
) -> None:
    slack.not_in_channel.add("C9")
    await slack_bot.command("a red balloon", channel="C9")
    [reply] = await slack.wait_for(lambda: slack.responses)
    assert reply["text"] == (
        "I'm not a member of this channel, so I can't post images here. You were not charged. "
        "Invite me with `/invite @Imagine` and try again."
    )
    assert gateway.image_requests == [] and await slack_bot.entries() == []


async def test_a_bad_flag_is_explained(slack_bot: SlackBot, slack: FakeSlack) -> None:
    await slack_bot.command("a red balloon --size 999x999")
    [reply] = await slack.wait_for(lambda: slack.responses)
    assert reply["text"] == (
        "openai/gpt-image-2 cannot make 999x999: both sides must be multiples of 16. "
        "Nearest: 992x992 or 1008x1008. You were not charged."
    )
    assert await slack_bot.entries() == []


async def test_a_long_prompt_is_cut_to_slacks_limits(slack_bot: SlackBot, slack: FakeSlack) -> None:
    prompt = "a very detailed balloon " * 400
    await slack_bot.command(prompt)
    card = (await slack.wait_for(lambda: cards(slack)))[0]
    [working] = slack.calls("chat.postMessage")
    [complete] = slack.calls("files.completeUploadExternal")
    assert len(working.args["text"]) <= 4000
    assert len(complete.args["initial_comment"]) <= 4000
    assert complete.args["initial_comment"].endswith(
        f"request `{(await slack_bot.entries())[0].id[:8]}`"
    )
    assert len(card["text"]) <= 4000
    assert len(card["blocks"][0]["text"]["text"]) <= 3000  # type: ignore[index]
    assert (await slack_bot.entries())[0].prompt == prompt.strip()


async def test_a_refused_upload_is_reported_honestly(
    slack_bot: SlackBot, slack: FakeSlack, gateway: FakeGateway
) -> None:
    without_scope(slack, "files:write")
    reply = await reply_to(slack_bot, "a red balloon")
    [entry] = await slack_bot.entries()
    assert reply["text"] == (
        f"The images of request {entry.id[:8]} were made, but the Slack app lacks the "
        "files:write scope. Ask a workspace admin to add files:write to the app and reinstall "
        "it. They are kept for 48 h and do not count against your limits until you receive "
        "them. Press Deliver again to get them."
    )
    assert reply["blocks"][1]["elements"][0]["action_id"] == "imagine_deliver"
    assert (entry.status, entry.delivery) == ("succeeded", "undelivered")
    assert len(slack.calls("files.getUploadURLExternal")) == 1  # a missing scope is not retried
    assert slack.messages["C1"] == []


async def test_progress_edits_the_working_message_while_the_image_is_made(
    slack_bot: SlackBot, slack: FakeSlack, gateway: FakeGateway
) -> None:
    gateway.fail("delay", seconds=2.0)  # longer than one request waits between edits
    await slack_bot.command("a red balloon")
    await slack.wait_for(lambda: cards(slack))
    [working] = slack.calls("chat.postMessage")
    edits = [c.args["text"] for c in slack.calls("chat.update") if not c.args.get("blocks")]
    head = ":hourglass_flowing_sand: Imagining for <@U1>: a red balloon"
    assert working.args["text"] == f"{head}\n_Starting…_"
    assert edits == [f"{head}\n_Generating…_"]


async def test_one_request_costs_five_slack_calls_upload_included(
    slack_bot: SlackBot, slack: FakeSlack
) -> None:
    await slack_bot.command("a red balloon")
    await slack.wait_for(lambda: cards(slack))
    [upload] = slack.uploads.values()  # the POST to the upload URL, the fake keeps it apart
    assert upload.data.startswith(PNG_MAGIC)
    calls = [c.method for c in slack.log if c.method != "auth.test"]  # auth.test: at start only
    assert calls == [
        "chat.postMessage",
        "files.getUploadURLExternal",
        "files.completeUploadExternal",
        "chat.update",
    ]
    assert [c.method for c in slack.log].count("auth.test") == 1
    assert slack.responses == []


async def test_workspace_admins_and_channel_managers_count_as_admins(
    slack_bot: SlackBot, slack: FakeSlack
) -> None:
    await slack_bot.handler.set_limits(
        Scope("slack", TEAM, "C1"),
        {"user_daily_images": "0", "admins_exempt": "true"},
        changed_by="UADMIN",
    )
    await slack_bot.store.add_channel_manager(Scope("slack", TEAM, "C1"), "U7", "UADMIN", NOW)
    slack.users["UOWNER"] = {"is_owner": True}
    await slack_bot.command("a red balloon", user="U7")
    await slack_bot.command("a green balloon", user="UOWNER")
    await slack_bot.command("a blue balloon", user="U1")
    await slack.wait_for(lambda: len(cards(slack)) == 2 and slack.responses)
    assert slack.responses[0]["text"].startswith("You have used 0 of your 0 images today")
    assert sorted(e.user_id for e in await slack_bot.entries()) == ["U7", "UOWNER"]


async def test_model_in_the_prompt_picks_an_offered_model(
    tmp_path: Path, slack: FakeSlack, gateway: FakeGateway
) -> None:
    async with running_bot(
        tmp_path / "imagine.db", slack, gateway, IMAGINE_MODELS="bfl/flux-kontext-pro"
    ) as bot:
        await bot.command("a red balloon --model bfl/flux-kontext-pro")
        await slack.wait_for(lambda: cards(slack))
        await bot.command("a red fox --model openai/gpt-image-2.6-flare")
        [refusal] = await slack.wait_for(lambda: slack.responses)
        [entry] = await bot.entries()

    [sent] = gateway.image_requests
    assert sent.fields["model"] == "bfl/flux-kontext-pro"
    assert (entry.model, entry.status, entry.cost_source) == (
        "bfl/flux-kontext-pro",
        "succeeded",
        "table",
    )
    assert refusal["text"] == (
        'The model "openai/gpt-image-2.6-flare" is not offered here. Choose one of: '
        "openai/gpt-image-2, bfl/flux-kontext-pro. You were not charged."
    )
