"""The real `imagine-bot` CLI as its own process, against a local gateway: issue 2's checks."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.config import DEFAULT_VARY_PROMPT
from tests.fakes.gateway import FakeGateway
from tests.support import (
    BLOCKED,
    KEY,
    QUOTA,
    UNAVAILABLE,
    cli_env,
    gateway_env,
    ledger_rows,
    models_file,
    picture,
    run_all,
    run_cli,
    unnamed,
    unnamed_json,
    user_usage,
    write_png,
)

PROMPT = "a red balloon on a wooden table"
CUSTOM_MODEL = "openai/gpt-image-2-e2e"
# an admin's IMAGINE_MODELS_FILE: a model the shipped catalog lacks, with its own prices
CUSTOM_ENTRY = {
    "id": "gpt-image-2-e2e",
    "names": {"vercel": CUSTOM_MODEL},
    "sizes": ["1024x1024", "1536x1024", "1024x1536"],
    "qualities": ["low", "medium", "high"],
    "max_n": 10,
    "formats": ["png", "webp"],
    "transparent_background": True,
    "edits": True,
    "masks": True,
    "prices": {"image_output_per_m": 40.0, "per_image": {"high": {"1024x1536": 0.25}}},
}
OPPER_ENTRY = {
    "id": "imagen-4.0",
    "names": {"opper": "gcp/imagen-4.0"},
    "sizes": ["1024x1024", "1536x1024", "1024x1536"],
    "qualities": ["low", "medium", "high"],
    "max_n": 4,
    "formats": ["png", "jpeg", "webp"],
    "edits": True,
    "masks": True,
    "prices": {"per_image": {"*": {"1024x1024": 0.04}}},
}
WRONG_KEY = "sk-wrong-3b9d27e1-LEAKED"
BAD_KEY = (
    "The bot is misconfigured: the image service rejected the API key. You were not charged. "
    "Tell the bot's admin."
)
DEBUG = {"IMAGINE_LOG_LEVEL": "DEBUG"}


@pytest.fixture
async def fake() -> AsyncIterator[FakeGateway]:
    async with FakeGateway() as server:
        yield server


async def test_offline_generate_writes_a_png_without_a_key(tmp_path: Path) -> None:
    env = cli_env(tmp_path)
    del env["IMAGINE_GATEWAY_KEY"]
    ran = await run_cli("generate", PROMPT, "--offline", env=env, cwd=tmp_path)

    assert ran.code == 0, ran.err
    [name] = ran.out.splitlines()
    assert name.startswith("imagine-") and name.endswith("-1.png")
    assert picture(tmp_path / name) == ("PNG", (1024, 1024))
    assert ran.err.startswith("1 image(s), estimated cost $0.000, request ")


async def test_generate_two_tall_images_with_the_key_model_and_options(
    tmp_path: Path, fake: FakeGateway
) -> None:
    added = models_file(tmp_path, CUSTOM_ENTRY)
    env = gateway_env(tmp_path, fake, IMAGINE_MODEL=CUSTOM_MODEL, IMAGINE_MODELS_FILE=added)
    args = ("-n", "2", "--size", "1024x1536", "--quality", "high", "--background", "opaque")
    ran = await run_cli(
        "generate",
        PROMPT,
        *args,
        "--out",
        "art",
        "--user",
        "alice",
        "--json",
        env=env,
        cwd=tmp_path,
    )

    assert ran.code == 0, ran.err
    data = ran.json()
    assert sorted(data) == ["cost_usd", "images", "ok", "request_id"]
    assert data["ok"] is True
    assert len(data["images"]) == 2
    for path in data["images"]:
        assert Path(path).parent == Path("art")
        assert picture(tmp_path / path) == ("PNG", (1024, 1536))
    assert data["cost_usd"] == pytest.approx(2 * 6240 * 40 / 1e6)
    [seen] = fake.image_requests
    assert seen.path == "/v1/images/generations"
    assert seen.headers["authorization"] == f"Bearer {KEY}"
    assert seen.json == {
        "model": CUSTOM_MODEL,
        "prompt": PROMPT,
        "n": 2,
        "size": "1024x1536",
        "quality": "high",
        "background": "opaque",
        "output_format": "png",
        "user": "cli:alice",
    }
    usage = await user_usage("alice", env=env, cwd=tmp_path)
    assert (usage["images_today"], usage["cost_today_usd"]) == (2, data["cost_usd"])


@pytest.mark.parametrize("command", ["edit", "vary"])
async def test_edits_and_variations_keep_the_sources_shape(
    tmp_path: Path, fake: FakeGateway, command: str
) -> None:
    wide = write_png(tmp_path / "wide.png", (1500, 1000))
    env = gateway_env(tmp_path, fake)
    prompt = ["make the sky orange"] if command == "edit" else []
    ran = await run_cli(command, *prompt, str(wide), "--json", env=env, cwd=tmp_path)

    assert ran.code == 0, ran.err
    [seen] = fake.image_requests
    assert seen.form["size"] == "1504x1008"
    [written] = ran.json()["images"]
    assert picture(tmp_path / written)[1] == (1504, 1008)


@pytest.fixture
def mask(tmp_path: Path) -> Path:
    """A 64×48 mask.png, transparent all over: every pixel may change."""
    return write_png(tmp_path / "mask.png", (64, 48), mode="RGBA")


async def test_edit_sends_every_image_and_the_mask_as_multipart(
    tmp_path: Path, fake: FakeGateway, mask: Path
) -> None:
    first = write_png(tmp_path / "room.png", (64, 48))
    second = write_png(tmp_path / "lamp.png", (32, 32))
    env = gateway_env(tmp_path, fake)
    ran = await run_cli(
        *("edit", "put the lamp on the table", str(first), str(second), "--mask", str(mask)),
        *("--size", "1536x1024", "--format", "webp", "--user", "alice", "--json"),
        env=env,
        cwd=tmp_path,
    )

    assert ran.code == 0, ran.err
    [path] = ran.json()["images"]
    assert picture(tmp_path / path) == ("WEBP", (1536, 1024))
    [seen] = fake.image_requests
    assert seen.path == "/v1/images/edits"
    assert seen.headers["authorization"] == f"Bearer {KEY}"
    assert seen.headers["content-type"].startswith("multipart/form-data")
    images = seen.files("image[]")
    assert [p.filename for p in images] == ["room.png", "lamp.png"]
    assert [picture(p.data)[1] for p in images] == [(64, 48), (32, 32)]
    [sent_mask] = seen.files("mask")
    assert picture(sent_mask.data) == ("PNG", (64, 48))
    assert seen.form == {
        "model": "openai/gpt-image-2",
        "prompt": "put the lamp on the table",
        "n": "1",
        "size": "1536x1024",
        "quality": "medium",
        "output_format": "webp",
        "user": "cli:alice",
    }


async def test_vary_is_an_edit_with_the_variation_prompt_keeping_the_aspect(
    tmp_path: Path, fake: FakeGateway
) -> None:
    wide = write_png(tmp_path / "wide.png", (300, 200))
    tall = write_png(tmp_path / "tall.png", (200, 300))
    env = gateway_env(tmp_path, fake)
    custom = gateway_env(tmp_path, fake, IMAGINE_VARY_PROMPT="The same scene at night.")
    [by_default, configured] = [
        await run_cli("vary", str(wide), "--json", env=env, cwd=tmp_path),
        await run_cli("vary", str(tall), "--json", env=custom, cwd=tmp_path),
    ]

    assert by_default.code == configured.code == 0, by_default.err + configured.err
    # gpt-image-2's smallest area at the sources' 3:2 and 2:3 shapes
    assert picture(tmp_path / by_default.json()["images"][0])[1] == (1008, 672)
    assert picture(tmp_path / configured.json()["images"][0])[1] == (672, 1008)
    first, second = fake.image_requests
    assert first.path == second.path == "/v1/images/edits"
    assert (first.form["prompt"], first.form["size"]) == (DEFAULT_VARY_PROMPT, "1008x672")
    assert (second.form["prompt"], second.form["size"]) == ("The same scene at night.", "672x1008")
    assert [p.filename for p in first.files("image[]")] == ["wide.png"]
    assert first.files("mask") == []


async def test_the_opper_protocol_generates_edits_and_varies(
    tmp_path: Path, fake: FakeGateway, mask: Path
) -> None:
    photo = write_png(tmp_path / "photo.png", (64, 48))
    extra = write_png(tmp_path / "extra.png", (64, 48))
    env = cli_env(
        tmp_path,
        IMAGINE_GATEWAY_PROTOCOL="opper",
        IMAGINE_GATEWAY_URL=fake.opper_url,
        IMAGINE_MODEL="gcp/imagen-4.0",
        IMAGINE_MODELS_FILE=models_file(tmp_path, OPPER_ENTRY),
    )
    generated, edited, varied = await run_all(
        [
            ["generate", PROMPT, "-n", "2", "--size", "1024x1536", "--json", "--out", "g"],
            ["edit", "add a hat", str(photo), str(extra), "--mask", str(mask), "--json"],
            ["vary", str(photo), "--json", "--out", "v"],
        ],
        env=env,
        cwd=tmp_path,
    )

    for ran in (generated, edited, varied):
        assert ran.code == 0, ran.err
    assert [picture(tmp_path / p)[1] for p in generated.json()["images"]] == [(1024, 1536)] * 2
    assert generated.json()["cost_usd"] == pytest.approx(0.08)  # Opper's own usage.cost
    rows = await ledger_rows(env=env, cwd=tmp_path)
    assert {(r["model"], r["cost_source"]) for r in rows} == {("gcp/imagen-4.0", "gateway")}
    assert picture(tmp_path / varied.json()["images"][0])[1] == (1536, 1024)
    by_prompt = {r.json["prompt"]: r for r in fake.image_requests}
    assert {r.path for r in fake.image_requests} == {"/v3/images"}
    assert {r.headers["authorization"] for r in fake.image_requests} == {f"Bearer {KEY}"}
    assert {r.json["model"] for r in fake.image_requests} == {"gcp/imagen-4.0"}
    made = by_prompt[PROMPT].json
    assert (made["n"], made["size"], made["response_format"]) == (2, "1024x1536", "b64_json")
    assert "image" not in made
    edit = by_prompt["add a hat"].json
    assert edit["image"].startswith("data:image/png;base64,")
    assert len(edit["reference_images"]) == 1
    assert edit["mask"].startswith("data:image/png;base64,")
    vary = by_prompt[DEFAULT_VARY_PROMPT].json
    assert vary["image"].startswith("data:image/png;base64,")
    assert vary["size"] == "1536x1024"


async def test_a_rate_limit_then_success_waits_as_retry_after_says(
    tmp_path: Path, fake: FakeGateway
) -> None:
    fake.fail("rate_limit", headers={"retry-after-ms": "37", "retry-after": "30"})
    env = gateway_env(tmp_path, fake, IMAGINE_LOG_LEVEL="INFO")
    ran = await run_cli("generate", PROMPT, "--user", "rita", env=env, cwd=tmp_path)

    assert ran.code == 0, ran.err
    assert len(fake.image_requests) == 2
    # the pause logged is retry-after-ms (0.037 s), not retry-after (30 s) nor a backoff
    assert "HTTP 429 (x-request-id req_1); retry 1 of 2 in 0.04 s" in ran.err
    assert picture(tmp_path / ran.out.strip())[0] == "PNG"


async def test_persistent_server_errors_end_after_bounded_tries_uncharged(
    tmp_path: Path, fake: FakeGateway
) -> None:
    fake.fail("server_error", times=None)
    env = gateway_env(tmp_path, fake, IMAGINE_GATEWAY_MAX_RETRIES="2")
    ran = await run_cli("generate", PROMPT, "--user", "olga", "--json", env=env, cwd=tmp_path)

    assert ran.code == 1
    assert unnamed_json(ran.json()) == {
        "ok": False,
        "error": {"kind": "unavailable", "message": UNAVAILABLE, "charged": False},
    }
    assert unnamed(ran.err) == f"imagine-bot: {UNAVAILABLE}\n"
    assert len(fake.image_requests) == 3
    usage = await user_usage("olga", env=env, cwd=tmp_path)
    assert (usage["images_today"], usage["cost_today_usd"]) == (0, 0)
    [row] = await ledger_rows(env=env, cwd=tmp_path)
    assert (row["status"], row["error_kind"]) == ("failed", "unavailable")


@pytest.mark.parametrize(
    ("fault", "message", "kind"),
    [
        ("moderation_blocked", BLOCKED, "moderation"),
        ("insufficient_quota", QUOTA, "insufficient_quota"),
    ],
)
async def test_a_safety_block_or_an_empty_account_fails_after_one_request(
    tmp_path: Path, fake: FakeGateway, fault: str, message: str, kind: str
) -> None:
    env = gateway_env(tmp_path, fake)
    fake.fail(fault)
    text = await run_cli("generate", PROMPT, "--user", "mo", env=env, cwd=tmp_path)
    assert len(fake.image_requests) == 1
    fake.fail(fault)
    as_json = await run_cli("generate", PROMPT, "--user", "mo", "--json", env=env, cwd=tmp_path)
    assert len(fake.image_requests) == 2

    assert (text.code, text.out, unnamed(text.err)) == (1, "", f"imagine-bot: {message}\n")
    assert (as_json.code, unnamed(as_json.err)) == (1, f"imagine-bot: {message}\n")
    assert unnamed_json(as_json.json()) == {
        "ok": False,
        "error": {"kind": kind, "message": message, "charged": False},
    }
    usage = await user_usage("mo", env=env, cwd=tmp_path)
    assert (usage["images_today"], usage["cost_today_usd"]) == (0, 0)


@pytest.mark.parametrize(
    "logging", [{}, {"IMAGINE_LOG_LEVEL": "INFO", "IMAGINE_LOG_FORMAT": "json"}, DEBUG]
)
async def test_a_bad_key_is_a_configuration_error_that_never_prints_the_key(
    tmp_path: Path, logging: dict[str, str]
) -> None:
    async with FakeGateway(key=KEY) as fake:
        bad = gateway_env(tmp_path, fake, IMAGINE_GATEWAY_KEY=WRONG_KEY, **logging)
        good = gateway_env(tmp_path, fake, **logging)
        rejected, rejected_json = await run_all(
            [["generate", PROMPT], ["generate", PROMPT, "--json"]], env=bad, cwd=tmp_path
        )
        accepted = await run_cli("generate", PROMPT, env=good, cwd=tmp_path)
        sent = [r.headers["authorization"] for r in fake.image_requests]

    assert sent == [f"Bearer {WRONG_KEY}"] * 2 + [f"Bearer {KEY}"]
    assert rejected.code == rejected_json.code == 2
    [shown] = [line for line in rejected.err.splitlines() if line.startswith("imagine-bot:")]
    assert unnamed(shown) == f"imagine-bot: {BAD_KEY}"
    assert unnamed_json(rejected_json.json())["error"] == {
        "kind": "misconfigured",
        "message": BAD_KEY,
        "charged": False,
    }
    assert accepted.code == 0, accepted.err
    if not logging:  # quiet by default: the one line only
        assert unnamed(rejected.err) == f"imagine-bot: {BAD_KEY}\n"
    else:  # the logs really were on
        assert "outcome=misconfigured" in rejected.err
    if logging == DEBUG:
        assert " DEBUG " in rejected.err and " DEBUG " in accepted.err
    for ran in (rejected, rejected_json, accepted):
        for secret in (WRONG_KEY, KEY, "LEAKED", "SECRET"):
            assert secret not in ran.text
        assert "Traceback" not in ran.text


async def test_bad_usage_and_bad_settings_exit_2_with_one_line(tmp_path: Path) -> None:
    env = cli_env(tmp_path)
    no_key = dict(env)
    del no_key["IMAGINE_GATEWAY_KEY"]
    no_prompt, bad_n = await run_all(
        [["generate"], ["generate", PROMPT, "-n", "many"]], env=env, cwd=tmp_path
    )
    timeout = await run_cli("usage", env=env | {"IMAGINE_GATEWAY_TIMEOUT": "soon"}, cwd=tmp_path)
    protocol = await run_cli("usage", env=env | {"IMAGINE_GATEWAY_PROTOCOL": "grpc"}, cwd=tmp_path)
    missing = await run_cli("generate", PROMPT, env=no_key, cwd=tmp_path)
    bad_size = await run_cli(
        "generate", PROMPT, "--size", "999x1", "--offline", env=env, cwd=tmp_path
    )

    assert no_prompt.code == bad_n.code == 2
    assert no_prompt.err.startswith("usage: imagine-bot generate [-h]")
    assert no_prompt.err.endswith(
        "imagine-bot generate: error: the following arguments are required: prompt\n"
    )
    assert bad_n.err.endswith("error: argument -n/--n: invalid int value: 'many'\n")
    assert (timeout.code, protocol.code, missing.code) == (2, 2, 2)
    assert timeout.err == (
        "imagine-bot: Invalid setting IMAGINE_GATEWAY_TIMEOUT: "
        "Input should be a valid number, unable to parse string as a number\n"
    )
    assert protocol.err == (
        "imagine-bot: Invalid setting IMAGINE_GATEWAY_PROTOCOL: "
        "Input should be 'openai' or 'opper'\n"
    )
    assert missing.err == (
        "imagine-bot: Missing setting IMAGINE_GATEWAY_KEY (or AI_GATEWAY_API_KEY): the image "
        "gateway's API key. Set it in the environment or .env, or try --offline.\n"
    )
    assert bad_size.code == 2
    assert bad_size.err == (
        "imagine-bot: openai/gpt-image-2 cannot make 999x1: both sides must be multiples of 16. "
        "Nearest: 1440x480 or 1424x480. You were not charged.\n"
    )
    for ran in (no_prompt, bad_n, timeout, protocol, missing, bad_size):
        assert ran.out == "" and "Traceback" not in ran.err


async def test_an_out_folder_that_cannot_be_made_fails_before_anything_is_charged(
    tmp_path: Path, fake: FakeGateway
) -> None:
    (tmp_path / "taken").write_text("a file where the folder should be")
    env = gateway_env(tmp_path, fake)
    ran = await run_cli("generate", PROMPT, "--out", "taken/art", env=env, cwd=tmp_path)

    assert ran.code == 2
    assert ran.err.startswith("imagine-bot: Cannot write images to taken/art: ")
    assert "Traceback" not in ran.err
    assert fake.image_requests == []
    assert await ledger_rows(env=env, cwd=tmp_path) == []


async def test_export_writes_csv_and_an_unwritable_file_is_one_line(tmp_path: Path) -> None:
    env = cli_env(tmp_path)
    made = await run_cli("generate", PROMPT, "--offline", env=env, cwd=tmp_path)
    csv_path = tmp_path / "ledger.csv"
    exported = await run_cli(
        "usage", "export", "--since", "2000-01-01", "--out", str(csv_path), env=env, cwd=tmp_path
    )
    blocked = await run_cli(
        "usage", "export", "--since", "2000-01-01", "--out", str(tmp_path), env=env, cwd=tmp_path
    )

    assert made.code == exported.code == 0
    header, row = csv_path.read_text().splitlines()
    assert header.startswith("id,created_at,settled_at,platform")
    assert ",cli,local,local," in row and ",succeeded,1," in row
    assert exported.err == "1 row exported.\n"
    assert blocked.code == 2
    assert blocked.err == f"imagine-bot: cannot write {tmp_path}: Is a directory.\n"
