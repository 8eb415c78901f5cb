"""Editing in Slack: the Edit/Vary image shortcuts with their modals, and @mentions in threads."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from adapters.slack.mentions import HINT, MISSING_HISTORY
from tests.fakes.gateway import FakeGateway
from tests.fakes.slack import FakeSlack
from tests.fakes.slack_app import SlackBot, png, running_bot

LATER = "2000000000.000001"
LATER_STILL = "2000000000.000002"


def shortcut(callback_id: str, message: dict[str, Any], slack: FakeSlack) -> dict[str, Any]:
    """A message shortcut payload as Slack sends it."""
    return {
        "type": "message_action",
        "callback_id": callback_id,
        "user": {"id": "U1", "username": "u1"},
        "channel": {"id": "C1", "name": "general"},
        "message": message,
        "message_ts": message["ts"],
        "response_url": slack.response_url(),
    }


async def not_an_image(
    slack_bot: SlackBot, slack: FakeSlack, gateway: FakeGateway, name: str
) -> str:
    """Edit image on a message whose only file, called `name`, is a PDF: the reply, after
    checking that no modal opened and nothing reached the gateway."""
    report = slack.add_file(b"%PDF-1.7 not an image", name)
    message = slack.add_message("C1", "the report", files=[report])
    await slack_bot.interactive(shortcut("imagine_edit_image", message, slack))
    [reply] = await slack.wait_for(lambda: slack.responses)
    assert slack.views == [] and gateway.image_requests == []
    return str(reply["text"])


def submission(view: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """A view_submission payload for a modal the bot opened."""
    return {
        "type": "view_submission",
        "user": {"id": "U1"},
        "view": {**view, "state": {"values": values}},
    }


def typed(text: str) -> dict[str, Any]:
    return {"instruction": {"value": {"type": "plain_text_input", "value": text}}}


def picked(index: str) -> dict[str, Any]:
    return {"image": {"value": {"type": "static_select", "selected_option": {"value": index}}}}


def mention(text: str, ts: str, thread_ts: str | None = None, **extra: Any) -> dict[str, Any]:
    event = {"type": "app_mention", "user": "U1", "text": text, "ts": ts, "channel": "C1", **extra}
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event


async def test_edit_shortcut_opens_a_modal_whose_submission_edits_the_image(
    slack_bot: SlackBot, slack: FakeSlack, gateway: FakeGateway
) -> None:
    source = png(300, 200)
    message = slack.add_message("C1", "my balloon", files=[slack.add_file(source, "balloon.png")])
    response = await slack_bot.interactive(shortcut("imagine_edit_image", message, slack))
    assert (response.status_code, response.text) == (200, "")

    [view] = await slack.wait_for(lambda: slack.views)
    assert view["callback_id"] == "imagine_edit_modal"
    assert [b["block_id"] for b in view["blocks"]] == ["instruction"]
    done = await slack_bot.interactive(
        submission(view, typed("make the balloon blue --quality high"))
    )
    assert (done.status_code, done.text) == (200, "")

    await slack.wait_for(lambda: slack.calls("files.completeUploadExternal"))
    [request] = gateway.image_requests
    assert request.path == "/v1/images/edits"
    assert request.fields["prompt"] == "make the balloon blue"
    assert (request.fields["quality"], request.fields["size"]) == ("high", "1008x672")
    [part] = request.files("image[]")
    assert part.data == source
    [complete] = slack.calls("files.completeUploadExternal")
    assert complete.args["channel_id"] == "C1" and "thread_ts" not in complete.args
    [entry] = await slack_bot.entries()
    assert (entry.kind, entry.status, entry.idempotency_key) == (
        "edit",
        "succeeded",
        f"slack:view:{view['id']}",
    )


async def test_a_modal_picks_one_of_several_images(
    slack_bot: SlackBot, slack: FakeSlack, gateway: FakeGateway
) -> None:
    red, green = png(colour=(255, 0, 0)), png(colour=(0, 255, 0))
    files = [slack.add_file(red, "red.png"), slack.add_file(green, "green.png")]
    message = slack.add_message("C1", "two", files=files, thread_ts="1700000000.000001")
    await slack_bot.interactive(shortcut("imagine_edit_image", message, slack))
    [edit_view] = await slack.wait_for(lambda: slack.views)
    options = edit_view["blocks"][0]["element"]["options"]
    assert [o["value"] for o in options] == ["all", "0", "1"]
    await slack_bot.interactive(submission(edit_view, {**picked("1"), **typed("add a hat")}))
    # One request per person at a time: the edit must finish before the variation starts.
    await slack.wait_for(lambda: slack.calls("files.completeUploadExternal"))

    await slack_bot.interactive(shortcut("imagine_vary_image", message, slack))
    vary_view = (await slack.wait_for(lambda: slack.views[1:]))[0]
    assert vary_view["callback_id"] == "imagine_vary_modal"
    await slack_bot.interactive(submission(vary_view, picked("0")))

    await slack.wait_for(lambda: len(slack.calls("files.completeUploadExternal")) == 2)
    by_prompt = {r.fields["prompt"]: r.files("image[]") for r in gateway.image_requests}
    assert [p.data for p in by_prompt["add a hat"]] == [green]
    vary_prompt = slack_bot.handler.settings.vary_prompt
    assert [p.data for p in by_prompt[vary_prompt]] == [red]
    threads = {c.args.get("thread_ts") for c in slack.calls("files.completeUploadExternal")}
    assert threads == {"1700000000.000001"}


async def test_vary_shortcut_on_one_image_varies_it_at_once(
    slack_bot: SlackBot, slack: FakeSlack, gateway: FakeGateway
) -> None:
    source = png(200, 300)
    message = slack.add_message("C1", "", files=[slack.add_file(source, "tall.png")])
    await slack_bot.interactive(shortcut("imagine_vary_image", message, slack))
    await slack.wait_for(lambda: slack.calls("files.completeUploadExternal"))
    assert slack.views == []
    [request] = gateway.image_requests
    assert request.files("image[]")[0].data == source
    assert (request.fields["size"], request.fields["n"]) == ("672x1008", "1")
    [entry] = await slack_bot.entries()
    assert entry.kind == "vary"


async def test_a_thread_mention_edits_the_newest_image_of_the_thread(
    slack_bot: SlackBot, slack: FakeSlack, gateway: FakeGateway
) -> None:
    source = png(256, 256)
    parent = slack.add_message("C1", "the original", files=[slack.add_file(source, "b.png")])
    await slack_bot.event(mention("<@UBOT> make the balloon blue", LATER, parent["ts"]))
    await slack.wait_for(lambda: [c for c in slack.calls("chat.update") if c.args.get("blocks")])
    [replies] = slack.calls("conversations.replies")
    assert (replies.args["channel"], replies.args["ts"]) == ("C1", parent["ts"])
    [first] = gateway.image_requests
    assert first.fields["prompt"] == "make the balloon blue"
    assert [p.data for p in first.files("image[]")] == [source]
    [complete] = slack.calls("files.completeUploadExternal")
    assert complete.args["thread_ts"] == parent["ts"]
    [card] = [m for m in slack.messages["C1"] if m.get("blocks")]
    assert card["thread_ts"] == parent["ts"]

    result_id = json.loads(complete.args["files"])[0]["id"]
    await slack_bot.event(mention("<@UBOT> now add a hat", LATER_STILL, parent["ts"]))
    await slack.wait_for(lambda: len(slack.calls("files.completeUploadExternal")) == 2)
    second = gateway.image_requests[1]
    assert [p.data for p in second.files("image[]")] == [slack.file_data[result_id]]
    assert [e.kind for e in await slack_bot.entries()] == ["edit", "edit"]


async def test_a_mention_with_its_own_image_edits_that_image(
    slack_bot: SlackBot, slack: FakeSlack, gateway: FakeGateway
) -> None:
    source = png(64, 64)
    attached = slack.add_file(source, "mine.png")
    await slack_bot.event(mention("<@UBOT> make it night", LATER, files=[attached]))
    await slack.wait_for(lambda: slack.calls("files.completeUploadExternal"))
    assert slack.calls("conversations.replies") == []
    assert gateway.image_requests[0].files("image[]")[0].data == source


async def test_a_mention_without_image_makes_one_and_an_empty_one_gets_a_hint(
    slack_bot: SlackBot, slack: FakeSlack, gateway: FakeGateway
) -> None:
    await slack_bot.event(mention("<@UBOT>", LATER))
    [hint] = await slack.wait_for(lambda: slack.calls("chat.postEphemeral"))
    assert hint.args["text"] == HINT
    await slack_bot.event(mention("<@UBOT> a lighthouse at dusk", LATER_STILL))
    await slack.wait_for(lambda: slack.calls("files.completeUploadExternal"))
    assert gateway.image_requests[0].path == "/v1/images/generations"
    assert gateway.image_requests[0].fields["prompt"] == "a lighthouse at dusk"


async def test_a_file_that_is_not_an_image_is_explained(
    slack_bot: SlackBot, slack: FakeSlack, gateway: FakeGateway
) -> None:
    assert await not_an_image(slack_bot, slack, gateway, "report.pdf") == (
        "report.pdf is not an image. Pick a message with a PNG, JPEG or WebP image. "
        "You were not charged."
    )


async def test_a_file_that_is_too_large_is_explained(
    tmp_path: Path, slack: FakeSlack, gateway: FakeGateway
) -> None:
    big = png(400, 400)
    parent = slack.add_message("C1", "big", files=[slack.add_file(big + b"\0" * 4096, "big.png")])
    async with running_bot(
        tmp_path / "imagine.db", slack, gateway, IMAGINE_MAX_SOURCE_BYTES=4096
    ) as bot:
        await bot.event(mention("<@UBOT> make it small", LATER, parent["ts"]))
        [told] = await slack.wait_for(lambda: slack.calls("chat.postEphemeral"))
        assert await bot.entries() == []
    assert told.args["text"] == (
        "big.png is too large: the limit is 4 KB. You were not charged. Use a smaller image."
    )
    assert slack.downloads == [] and gateway.image_requests == []


async def test_a_thread_the_app_may_not_read_is_explained(
    slack_bot: SlackBot, slack: FakeSlack, gateway: FakeGateway
) -> None:
    slack.scopes = tuple(s for s in slack.scopes if s != "channels:history")
    parent = slack.add_message("C1", "the original", files=[slack.add_file(png(), "b.png")])
    await slack_bot.event(mention("<@UBOT> make it blue", LATER, parent["ts"]))
    [told] = await slack.wait_for(lambda: slack.calls("chat.postEphemeral"))
    assert told.args["text"] == (
        f"{MISSING_HISTORY} You were not charged. Ask a workspace admin to add it."
    )
    assert "channels:history" in MISSING_HISTORY
    assert gateway.image_requests == [] and await slack_bot.entries() == []


def shown_texts(slack: FakeSlack) -> list[str]:
    """What the bot showed in the channel: working message, card (text and section), comment."""
    [working] = slack.calls("chat.postMessage")
    [card] = [c for c in slack.calls("chat.update") if c.args.get("blocks")]
    [complete] = slack.calls("files.completeUploadExternal")
    section = card.args["blocks"][0]["text"]["text"]
    return [working.args["text"], card.args["text"], section, complete.args["initial_comment"]]


async def test_typed_markup_reaches_the_model_as_typed_and_is_shown_without_pinging(
    slack_bot: SlackBot, slack: FakeSlack, gateway: FakeGateway
) -> None:
    message = slack.add_message("C1", "sign", files=[slack.add_file(png(), "sign.png")])
    await slack_bot.interactive(shortcut("imagine_edit_image", message, slack))
    [view] = await slack.wait_for(lambda: slack.views)
    instruction = "a sign saying <!channel> & <https://x.example|hi>"
    await slack_bot.interactive(submission(view, typed(instruction)))
    await slack.wait_for(lambda: [c for c in slack.calls("chat.update") if c.args.get("blocks")])
    assert gateway.image_requests[0].fields["prompt"] == instruction
    for text in shown_texts(slack):
        assert "a sign saying &lt;!channel&gt; &amp; &lt;https://x.example|hi&gt;" in text
        assert "<!channel>" not in text


async def test_a_mention_is_read_as_the_person_typed_it(
    slack_bot: SlackBot, slack: FakeSlack, gateway: FakeGateway
) -> None:
    await slack_bot.event(mention("<@UBOT> salt &amp; pepper &lt;3 <!here>", LATER))
    await slack.wait_for(lambda: [c for c in slack.calls("chat.update") if c.args.get("blocks")])
    assert gateway.image_requests[0].fields["prompt"] == "salt & pepper <3 <!here>"
    for text in shown_texts(slack):
        assert "salt &amp; pepper &lt;3 &lt;!here&gt;" in text
    [entry] = await slack_bot.entries()
    assert entry.prompt == "salt & pepper <3 <!here>"


async def test_a_form_slack_will_not_open_is_explained_and_costs_nothing(
    slack_bot: SlackBot, slack: FakeSlack, gateway: FakeGateway
) -> None:
    slack.rate_limit("views.open", times=1, retry_after=600)  # longer than the bot waits
    message = slack.add_message("C1", "my balloon", files=[slack.add_file(png(), "balloon.png")])
    await slack_bot.interactive(shortcut("imagine_edit_image", message, slack))
    [reply] = await slack.wait_for(lambda: slack.responses)
    assert reply["text"] == (
        "Slack did not open the form (ratelimited). You were not charged. Please try again."
    )
    assert slack.views == [] and gateway.image_requests == []
    assert await slack_bot.entries() == []
