"""Blend on Slack: the Blend images shortcut on a message with several images, and
`@Imagine blend …` in a thread, send every image in one edit, charged once; a wrong count is
refused before anything is downloaded."""

from __future__ import annotations

import json

import pytest

from bot import controls
from tests.fakes.gateway import FakeGateway
from tests.fakes.slack import FakeSlack
from tests.fakes.slack_app import SlackBot, png
from tests.test_slack_buttons import buttons, cards
from tests.test_slack_edit import LATER, mention, shortcut

COLOURS = [(200, 40, 40), (40, 200, 40), (40, 40, 200), (220, 220, 40), (20, 20, 20), (90, 0, 90)]


def photos(slack: FakeSlack, count: int) -> list[dict[str, object]]:
    """`count` uploaded images of different colours."""
    return [
        slack.add_file(png(320, 320, colour), f"photo{i}.png")
        for i, colour in enumerate(COLOURS[:count])
    ]


async def test_the_shortcut_blends_every_image_of_the_message_in_one_edit(
    slack_bot: SlackBot, slack: FakeSlack, gateway: FakeGateway
) -> None:
    files = photos(slack, 3)
    message = slack.add_message("C1", "three of them", files=files)
    await slack_bot.interactive(shortcut("imagine_blend_images", message, slack))
    [card] = await slack.wait_for(lambda: cards(slack))
    [sent] = gateway.image_requests
    assert sent.path == "/v1/images/edits"
    assert [p.data for p in sent.files("image[]")] == [slack.file_data[str(f["id"])] for f in files]
    assert sent.fields["prompt"] == controls.BLEND_PROMPT
    [entry] = await slack_bot.entries()
    assert (entry.kind, entry.options.control, entry.status) == ("blend", "blend", "succeeded")
    assert entry.images_delivered == 1
    assert json.loads(buttons(card)["Re-roll"]["value"])["f"] == [f["id"] for f in files]
    assert "Upscale" in buttons(card)


async def test_blend_in_a_thread_blends_its_images_with_the_words(
    slack_bot: SlackBot, slack: FakeSlack, gateway: FakeGateway
) -> None:
    first, second = photos(slack, 2)
    parent = slack.add_message("C1", "a cat", files=[first])
    slack.add_message("C1", "a hat", files=[second], thread_ts=parent["ts"])
    await slack_bot.event(mention("<@UBOT> blend  as a watercolour", LATER, parent["ts"]))
    await slack.wait_for(lambda: cards(slack))
    [sent] = gateway.image_requests
    assert [p.data for p in sent.files("image[]")] == [
        slack.file_data[str(first["id"])],
        slack.file_data[str(second["id"])],
    ]
    assert sent.fields["prompt"] == "Blend these images into one picture: as a watercolour"
    [upload] = slack.calls("files.completeUploadExternal")
    assert upload.args["thread_ts"] == parent["ts"]


@pytest.mark.parametrize(("count", "where"), [(1, "shortcut"), (6, "shortcut"), (1, "thread")])
async def test_too_few_or_too_many_images_are_refused_before_any_download(
    slack_bot: SlackBot, slack: FakeSlack, gateway: FakeGateway, count: int, where: str
) -> None:
    files = photos(slack, count)
    message = slack.add_message("C1", "look", files=files)
    if where == "shortcut":
        await slack_bot.interactive(shortcut("imagine_blend_images", message, slack))
        then = "Use Blend images on a message that carries 2 to 5 images."
    else:
        await slack_bot.event(mention("<@UBOT> blend", LATER, message["ts"]))
        then = "Mention me with `blend` in a thread that holds 2 to 5 images."
    await slack_bot.idle()
    told = slack.responses or [c.args for c in slack.calls("chat.postEphemeral")]
    assert [t["text"] for t in told] == [
        f"Blend takes 2 to 5 images, not {count}. You were not charged. {then}"
    ]
    assert slack.downloads == [] and gateway.image_requests == []
    assert await slack_bot.entries() == []
