"""`imagine-bot zoom | pan | upscale | blend | vary --strength` and `--no`, as real processes.

The CLI runs as its own process against the local gateway; each test decodes the images
and masks that gateway received, and reads the ledger back through `usage export`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from PIL import Image

from bot.config import DEFAULT_STRONG_PROMPT, DEFAULT_SUBTLE_PROMPT, DEFAULT_VARY_PROMPT
from bot.offline import HATCH
from tests.fakes.gateway import FakeGateway
from tests.support import alpha_range, cli_env, decoded, gateway_env, ledger_rows, picture, run_cli

RED, BLUE = (220, 30, 30), (30, 30, 220)


@pytest.fixture
async def fake() -> AsyncIterator[FakeGateway]:
    async with FakeGateway() as server:
        yield server


@pytest.fixture
def env(tmp_path: Path, fake: FakeGateway) -> dict[str, str]:
    """The CLI's environment, its gateway the fake."""
    return gateway_env(tmp_path, fake)


@pytest.fixture
def image(tmp_path: Path) -> str:
    """A red 1024×1024 PNG to send."""
    return solid(tmp_path / "square.png", (1024, 1024))


def solid(path: Path, size: tuple[int, int], colour: tuple[int, int, int] = RED) -> str:
    Image.new("RGB", size, colour).save(path, "PNG")
    return str(path)


async def test_zoom_sends_the_halved_source_centred_with_its_mask_and_writes_the_result(
    tmp_path: Path, fake: FakeGateway, env: dict[str, str], image: str
) -> None:
    ran = await run_cli("zoom", image, "--json", "--out", "out", env=env, cwd=tmp_path)
    assert ran.code == 0, ran.err
    (seen,) = fake.image_requests
    canvas, mask = decoded(seen.files("image[]")[0].data), decoded(seen.files("mask")[0].data)
    assert canvas.size == mask.size == (1024, 1024)
    assert alpha_range(mask, (256, 256, 768, 768)) == (255, 255)
    assert alpha_range(mask, (0, 0, 1024, 256)) == (0, 0)
    assert alpha_range(mask, (0, 0, 256, 1024)) == (0, 0)
    assert canvas.getpixel((512, 512))[:3] == RED and canvas.getpixel((100, 100))[3] == 0
    (written,) = ran.json()["images"]
    assert picture(tmp_path / written) == ("PNG", (1024, 1024))
    (row,) = await ledger_rows(env=env, cwd=tmp_path)
    assert (row["kind"], row["status"], row["images_delivered"]) == ("zoom", "succeeded", "1")


async def test_pan_and_upscale_send_their_canvas_and_size(
    tmp_path: Path, fake: FakeGateway, env: dict[str, str], image: str
) -> None:
    panned = await run_cli("pan", image, "--direction", "down", "--json", env=env, cwd=tmp_path)
    upscaled = await run_cli("upscale", image, "--json", env=env, cwd=tmp_path)
    assert (panned.code, upscaled.code) == (0, 0), panned.err + upscaled.err
    pan, upscale = fake.image_requests
    mask = decoded(pan.files("mask")[0].data)
    assert (pan.fields["size"], mask.size) == ("1024x1536", (1024, 1536))
    assert alpha_range(mask, (0, 0, 1024, 1024)) == (255, 255)
    assert alpha_range(mask, (0, 1024, 1024, 1536)) == (0, 0)
    assert (upscale.fields["size"], upscale.files("mask")) == ("2880x2880", [])
    assert decoded(upscale.files("image[]")[0].data).size == (1024, 1024)
    rows = await ledger_rows(env=env, cwd=tmp_path)
    assert sorted((r["kind"], r["size"], r["status"]) for r in rows) == [
        ("pan", "1024x1536", "succeeded"),
        ("upscale", "2880x2880", "succeeded"),
    ]


async def test_blend_sends_every_image_with_the_prompt_and_what_to_leave_out(
    tmp_path: Path, fake: FakeGateway
) -> None:
    env = gateway_env(tmp_path, fake)
    images = [
        solid(tmp_path / "a.png", (1024, 1024)),
        solid(tmp_path / "b.png", (1536, 1024), BLUE),
        solid(tmp_path / "c.png", (1024, 1536)),
    ]
    argv = ["blend", *images, "--prompt", "a dragon", "--no", "text, logos", "--json"]
    ran = await run_cli(*argv, env=env, cwd=tmp_path)
    assert ran.code == 0, ran.err
    (seen,) = fake.image_requests
    sizes = [decoded(part.data).size for part in seen.files("image[]")]
    assert sizes == [(1024, 1024), (1536, 1024), (1024, 1536)]
    assert seen.fields["prompt"] == (
        "Blend these images into one picture: a dragon. "
        "Leave these out of the image entirely: text, logos."
    )
    (row,) = await ledger_rows(env=env, cwd=tmp_path)
    assert (row["kind"], row["status"]) == ("blend", "succeeded")


async def test_blend_of_one_image_is_bad_usage_and_charges_nothing(
    tmp_path: Path, fake: FakeGateway, env: dict[str, str], image: str
) -> None:
    ran = await run_cli("blend", image, "--json", env=env, cwd=tmp_path)
    assert ran.code == 2
    assert ran.json() == {
        "ok": False,
        "error": {
            "kind": "bad_request",
            "message": "Blend takes 2 to 5 images, not 1. You were not charged.",
            "charged": False,
        },
    }
    assert fake.image_requests == []
    assert await ledger_rows(env=env, cwd=tmp_path) == []


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["zoom", "--factor", "4"],
            'The zoom factor must be a number from 1.1 to 3, e.g. 1.5 or 2, not "4".',
        ),
        (
            ["zoom", "--size", "2048x2048"],
            "--size does not apply to zoom: it sets the size from the image. Leave out --size.",
        ),
    ],
)
async def test_bad_control_options_are_refused_before_anything_is_sent(
    tmp_path: Path,
    fake: FakeGateway,
    env: dict[str, str],
    image: str,
    argv: list[str],
    message: str,
) -> None:
    ran = await run_cli(argv[0], image, *argv[1:], env=env, cwd=tmp_path)
    refused = f"imagine-bot: {message} You were not charged.\n"
    assert (ran.code, ran.out, ran.err) == (2, "", refused)
    assert fake.image_requests == []
    assert await ledger_rows(env=env, cwd=tmp_path) == []


async def test_pan_needs_a_direction(tmp_path: Path, env: dict[str, str], image: str) -> None:
    ran = await run_cli("pan", image, env=env, cwd=tmp_path)
    assert ran.code == 2
    assert ran.err.endswith(
        "imagine-bot pan: error: the following arguments are required: --direction\n"
    )


async def test_vary_strengths_and_plain_vary_send_three_different_instructions(
    tmp_path: Path, fake: FakeGateway, env: dict[str, str], image: str
) -> None:
    for extra in (["--strength", "subtle"], ["--strength", "strong"], []):
        ran = await run_cli("vary", image, *extra, env=env, cwd=tmp_path)
        assert ran.code == 0, ran.err
    prompts = [seen.fields["prompt"] for seen in fake.image_requests]
    assert prompts == [
        DEFAULT_SUBTLE_PROMPT,
        DEFAULT_STRONG_PROMPT,
        DEFAULT_VARY_PROMPT,
    ]
    rows = await ledger_rows(env=env, cwd=tmp_path)
    assert [r["kind"] for r in rows] == ["vary", "vary", "vary"]


async def test_generate_and_edit_take_no(
    tmp_path: Path, fake: FakeGateway, env: dict[str, str], image: str
) -> None:
    made = await run_cli("generate", "a beach", "--no", "people", env=env, cwd=tmp_path)
    edited = await run_cli("edit", "make it blue", image, "--no", "boats", env=env, cwd=tmp_path)
    assert (made.code, edited.code) == (0, 0), made.err + edited.err
    generated, edit = fake.image_requests
    assert generated.fields["prompt"] == ("a beach. Leave these out of the image entirely: people.")
    assert edit.fields["prompt"] == "make it blue. Leave these out of the image entirely: boats."


@pytest.mark.parametrize(
    "argv",
    [
        ["zoom", "IMAGE", "--factor", "1.5"],
        ["pan", "IMAGE", "--direction", "left"],
        ["upscale", "IMAGE"],
        ["blend", "IMAGE", "IMAGE"],
        ["vary", "IMAGE", "--strength", "strong"],
    ],
)
async def test_every_control_draws_offline_without_a_key(tmp_path: Path, argv: list[str]) -> None:
    env = cli_env(tmp_path)
    del env["IMAGINE_GATEWAY_KEY"]
    image = solid(tmp_path / "a.png", (1024, 1024))
    args = [image if arg == "IMAGE" else arg for arg in argv]
    ran = await run_cli(*args, "--offline", "--json", "--out", "out", env=env, cwd=tmp_path)
    assert ran.code == 0, ran.err
    (written,) = ran.json()["images"]
    drawn = decoded((tmp_path / written).read_bytes())
    if argv[0] == "pan":  # the placed source on the right, the new strip hatched
        assert drawn.size == (1536, 1024)
        assert drawn.getpixel((1000, 700))[:3] == RED
        assert drawn.getpixel((100, 700))[:3] in {HATCH[0][:3], HATCH[1][:3]}
    if argv[0] == "upscale":
        assert drawn.size == (2880, 2880) and drawn.getpixel((1440, 1440))[:3] == RED
