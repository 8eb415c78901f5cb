"""The request lifecycle, once, against a recording Surface: a real handler, a real SQLite
ledger and the stand-in gateway over HTTP. Each surface (CLI, Discord, Slack) is tested
on top of this in its own files."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from bot.delivery import DeliveryFailed
from bot.handler import ImagineHandler
from bot.images import load_source
from bot.models import Actor, Result, SourceImage
from bot.requests import Ask, Failure, Headline, Pace, Runner
from bot.requests.words import PRESSED_AGAIN
from tests.fakes.gateway import FakeGateway
from tests.support import wait_until
from tests.test_handler import rows, running

PROMPT = "a red balloon on a wooden table"
ALICE = Actor("discord", "guild1", "general", "alice")
BOB = Actor("discord", "guild1", "general", "bob")


@dataclass
class Recorder:
    """A surface that records what the runner asks of it."""

    pace: Pace | None = field(default_factory=lambda: Pace("test", calls=1000.0, least=0.0))
    answered: bool = True
    refuse_delivery: DeliveryFailed | None = None
    hold_progress: asyncio.Event | None = None
    steps: list[tuple[str, Any]] = field(default_factory=list)

    async def acknowledge(self, headline: Headline) -> bool:
        self.steps.append(("acknowledge", headline))
        return self.answered

    async def progress(self, text: str, preview: bytes | None) -> None:
        self.steps.append(("progress", text))
        if self.hold_progress is not None:
            await self.hold_progress.wait()

    async def deliver(self, result: Result) -> None:
        if self.refuse_delivery is not None:
            raise self.refuse_delivery
        self.steps.append(("deliver", result))

    async def fail(self, failure: Failure) -> None:
        self.steps.append(("fail", failure))

    async def drop(self, text: str | None = None) -> None:
        self.steps.append(("drop", text))

    def again(self, request_id: str) -> str:
        return f"Press Deliver again for {request_id[:8]}."

    def kinds(self) -> list[str]:
        return [kind for kind, _ in self.steps]

    def only(self, kind: str) -> Any:
        [value] = [value for k, value in self.steps if k == kind]
        return value


@pytest.fixture
async def fake() -> AsyncIterator[FakeGateway]:
    async with FakeGateway() as server:
        yield server


@pytest.fixture
async def handler(tmp_path: Path, fake: FakeGateway) -> AsyncIterator[ImagineHandler]:
    async with running(tmp_path, fake) as made:
        yield made


def png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def sources_of(*sizes: tuple[int, int]) -> Any:
    async def load() -> tuple[SourceImage, ...]:
        return tuple(
            [await load_source(png(w, h), filename="in.png", max_bytes=1 << 24) for w, h in sizes]
        )

    return load


async def test_a_request_is_acknowledged_shown_and_delivered_once(
    handler: ImagineHandler, fake: FakeGateway
) -> None:
    surface = Recorder()
    await Runner(handler).submit(Ask("generate", ALICE, "ix-1", text=PROMPT), surface)

    assert surface.kinds()[0] == "acknowledge"
    assert surface.only("acknowledge") == Headline("generate", PROMPT)
    assert surface.kinds()[-1] == "deliver"
    assert ("progress", "Generating…") in surface.steps
    [entry] = await rows(handler.store)
    assert (entry.status, entry.delivery, entry.images_delivered) == ("succeeded", "delivered", 1)
    assert len(fake.image_requests) == 1


async def test_bad_input_is_refused_before_anything_is_shown(
    handler: ImagineHandler, fake: FakeGateway
) -> None:
    surface = Recorder()
    await Runner(handler).submit(Ask("generate", ALICE, "ix-1", text="   "), surface)

    failure = surface.only("fail")
    assert surface.kinds() == ["fail"]
    assert failure.text == (
        "Write a prompt, e.g. /imagine a red balloon on a wooden table You were not charged."
    )
    assert await rows(handler.store) == [] and fake.image_requests == []


async def test_a_gateway_failure_says_not_charged_and_names_the_request(
    handler: ImagineHandler, fake: FakeGateway
) -> None:
    fake.fail("moderation_blocked")
    surface = Recorder()
    await Runner(handler).submit(Ask("generate", ALICE, "ix-1", text=PROMPT), surface)

    [entry] = await rows(handler.store)
    failure = surface.only("fail")
    assert failure.text == (
        "Your request was blocked by the image service's safety system. You were not charged. "
        f"Try rewording the prompt. (request {entry.id[:8]})"
    )
    assert failure.again is None
    assert (entry.status, entry.error_kind) == ("failed", "moderation")


async def test_a_bug_outside_the_handler_says_not_charged(
    handler: ImagineHandler, fake: FakeGateway
) -> None:
    async def broken() -> tuple[SourceImage, ...]:
        raise RuntimeError("a bug in a surface's download")

    surface = Recorder()
    ask = Ask("edit", ALICE, "ix-1", text="make it blue", sources=broken)
    await Runner(handler).submit(ask, surface)

    assert surface.only("fail").text == (
        "Something went wrong inside the bot. You were not charged. "
        "The error was logged; tell the bot's admin if it keeps happening."
    )
    assert await rows(handler.store) == []


async def test_a_redelivered_event_runs_once_and_is_dropped_quietly(
    handler: ImagineHandler, fake: FakeGateway
) -> None:
    runner = Runner(handler)
    first, again = Recorder(), Recorder()
    await runner.submit(Ask("generate", ALICE, "event-7", text=PROMPT), first)
    await runner.submit(Ask("generate", ALICE, "event-7", text=PROMPT), again)

    assert first.kinds()[-1] == "deliver"
    assert again.kinds()[-1] == "drop" and again.only("drop") is None
    assert len(await rows(handler.store)) == 1 and len(fake.image_requests) == 1


async def test_a_second_press_while_the_first_runs_is_dropped_and_a_later_one_runs(
    handler: ImagineHandler, fake: FakeGateway
) -> None:
    runner = Runner(handler)
    await runner.submit(Ask("generate", ALICE, "ix-0", text=PROMPT), Recorder())
    [parent] = await rows(handler.store)
    fake.fail("hang", times=2, seconds=1.0)

    def press(key: str, who: Actor = ALICE) -> Ask:
        return Ask("reroll", who, key, parent_id=parent.id, press=f"reroll:{parent.id}")

    first, twice, other = Recorder(), Recorder(), Recorder()
    running_first = asyncio.create_task(runner.submit(press("ix-1"), first))
    await wait_until(lambda: fake.in_flight == 1)
    await runner.submit(press("ix-2"), twice)
    running_other = asyncio.create_task(runner.submit(press("ix-3", BOB), other))
    await wait_until(lambda: fake.in_flight == 2)
    await asyncio.gather(running_first, running_other)
    later = Recorder()
    await runner.submit(press("ix-4"), later)

    assert twice.steps == [("drop", PRESSED_AGAIN)]
    assert [s.kinds()[-1] for s in (first, other, later)] == ["deliver"] * 3
    charged = [e for e in await rows(handler.store) if e.status == "succeeded"]
    assert sorted(e.user_id for e in charged) == ["alice", "alice", "alice", "bob"]


async def test_an_edit_keeps_its_source_shape(handler: ImagineHandler, fake: FakeGateway) -> None:
    surface = Recorder()
    ask = Ask("edit", ALICE, "ix-1", text="make it blue", sources=sources_of((1500, 1000)))
    await Runner(handler).submit(ask, surface)

    result = surface.only("deliver")
    assert result.options.size == "1504x1008"
    assert fake.image_requests[0].form["size"] == "1504x1008"


async def test_a_variation_under_a_result_keeps_its_options_with_one_image(
    handler: ImagineHandler, fake: FakeGateway
) -> None:
    runner = Runner(handler)
    made = Recorder()
    ask = Ask("generate", ALICE, "ix-1", text=f"{PROMPT} --quality high --n 2 --format webp")
    await runner.submit(ask, made)
    parent = made.only("deliver")
    varied = Recorder()
    vary = Ask("vary", BOB, "ix-2", sources=sources_of((1024, 1024)), parent_id=parent.request_id)
    await runner.submit(vary, varied)

    options = varied.only("deliver").options
    assert (options.quality, options.n, options.output_format) == ("high", 1, "webp")


async def test_a_stuck_progress_edit_never_holds_up_the_gateway_call(
    handler: ImagineHandler, fake: FakeGateway
) -> None:
    stuck = asyncio.Event()
    surface = Recorder(hold_progress=stuck)
    task = asyncio.create_task(
        Runner(handler).submit(Ask("generate", ALICE, "ix-1", text=PROMPT), surface)
    )
    await wait_until(lambda: len(fake.image_requests) == 1 and fake.in_flight == 0)
    answered_while_stuck = not stuck.is_set() and ("progress", "Generating…") in surface.steps
    stuck.set()
    await task

    assert answered_while_stuck
    assert surface.kinds()[-1] == "deliver"


async def test_a_busy_platform_gets_no_progress_edits_beyond_the_acknowledgement(
    handler: ImagineHandler, fake: FakeGateway
) -> None:
    runner = Runner(handler)
    slow = Pace("slack:T1", calls=40 / 60)
    surfaces = [Recorder(pace=slow) for _ in range(40)]
    people = [Actor("slack", "T1", "C1", f"U{i}") for i in range(40)]
    asks = [Ask("generate", who, f"ix-{i}", text=PROMPT) for i, who in enumerate(people)]
    await asyncio.gather(*(runner.submit(a, s) for a, s in zip(asks, surfaces, strict=True)))

    assert all(s.kinds() == ["acknowledge", "deliver"] for s in surfaces)


async def test_a_refused_delivery_keeps_the_images_for_deliver_again(
    handler: ImagineHandler, fake: FakeGateway
) -> None:
    runner = Runner(handler)
    refused = Recorder(refuse_delivery=DeliveryFailed("the channel is gone", transient=False))
    await runner.submit(Ask("generate", ALICE, "ix-1", text=PROMPT), refused)
    [entry] = await rows(handler.store)
    again = Recorder()
    await runner.submit(Ask("deliver", ALICE, "ix-2", parent_id=entry.id), again)

    failure = refused.only("fail")
    assert failure.again == entry.id
    assert failure.text.startswith(
        f"The images of request {entry.id[:8]} were made, but the channel is gone."
    )
    assert failure.text.endswith(f"Press Deliver again for {entry.id[:8]}.")
    assert again.only("deliver").request_id == entry.id
    [delivered] = await rows(handler.store)
    assert (delivered.delivery, len(fake.image_requests)) == ("delivered", 1)


async def test_drain_stops_a_hung_request_and_tells_the_person(
    handler: ImagineHandler, fake: FakeGateway
) -> None:
    fake.fail("hang")
    runner = Runner(handler)
    surface = Recorder()
    task = asyncio.create_task(runner.submit(Ask("generate", ALICE, "ix-1", text=PROMPT), surface))
    await wait_until(lambda: fake.in_flight == 1)
    stopped = await runner.drain(grace=0.05)
    await task
    [entry] = await rows(handler.store)

    assert stopped == 1
    assert surface.only("fail").text == (
        "The bot restarted before your image was finished. You were not charged. "
        f"Try again in a minute. (request {entry.id[:8]})"
    )
    assert entry.status == "failed"
