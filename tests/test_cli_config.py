"""Configuration and admin commands say exactly what is wrong (issue 12, item 5).

The real `imagine-bot` CLI as its own process; the ledger and the limits are read back from
the real SQLite file afterwards, to show that nothing was charged or changed.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import signal
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings, env_names, load_settings
from bot.entry.envnames import unknown_names
from bot.errors import ConfigError
from bot.models import Actor, Limits, Scope
from bot.store import Store, open_store
from tests.fakes.gateway import FakeGateway
from tests.storefixtures import reservation
from tests.support import (
    CLI,
    KEY,
    Ran,
    cli_env,
    database_url,
    finish,
    ledger_rows,
    run_cli,
    start_cli,
    wait_until,
    write_png,
)

PROMPT = "a lighthouse at dusk"


async def opened(tmp_path: Path) -> Store:
    """The test's own ledger, opened in this process."""
    return await open_store(database_url(tmp_path))


def only_json(ran: Ran) -> dict[str, Any]:
    """Stdout as exactly one JSON object on one line, and nothing else."""
    assert ran.out.endswith("\n") and ran.out.count("\n") == 1, ran.out
    data: dict[str, Any] = json.loads(ran.out)
    return data


def log_lines(err: str) -> list[str]:
    """Text log lines without their timestamp: 'WARNING bot.entry.cli: ...'."""
    return [line.split(" ", 2)[2] for line in err.splitlines()]


async def test_the_retired_price_settings_are_named_as_ignored_and_the_catalog_prices(
    tmp_path: Path, gateway: FakeGateway
) -> None:
    env = cli_env(tmp_path, IMAGINE_GATEWAY_URL=gateway.url, IMAGINE_PRICES="{bad")
    ran = await run_cli("generate", PROMPT, "--json", env=env, cwd=tmp_path)

    assert ran.code == 0, ran.err
    assert "IMAGINE_PRICES is not a setting; it is ignored (.env.example lists them all)." in (
        ran.err
    )
    assert only_json(ran)["cost_usd"] == pytest.approx((4 * 5 + 1056 * 30) / 1e6)  # gpt-image-2


@pytest.mark.parametrize("name", ["IMAGINE_GATEWAY_URL", "DISCORD_API_BASE", "SLACK_API_URL"])
def test_a_service_url_with_a_password_in_it_is_refused_without_echoing_it(name: str) -> None:
    with pytest.raises(ConfigError) as refused:
        load_settings(env_file=None, **{name: "https://me:sk-secret-1@127.0.0.1:9/v1"})

    assert refused.value.message == (
        f"Invalid setting {name}: must not carry a user name or password; "
        "keys and tokens have their own settings"
    )
    assert "sk-secret-1" not in refused.value.message


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"DISCORD_SHARD_IDS": "1"},
            "set DISCORD_SHARD_COUNT too (the total number of shards)",
        ),
        ({"DISCORD_SHARD_IDS": "0,x", "DISCORD_SHARD_COUNT": "2"}, "use numbers such as 0,1"),
        (
            {"DISCORD_SHARD_IDS": "0,2", "DISCORD_SHARD_COUNT": "2"},
            "every id must be below DISCORD_SHARD_COUNT (2)",
        ),
    ],
)
def test_shard_ids_that_no_shard_count_allows_stop_start_up(
    env: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError) as refused:
        load_settings(env_file=None, **env)

    assert refused.value.message == f"Invalid setting DISCORD_SHARD_IDS: {message}"
    sharded = load_settings(env_file=None, DISCORD_SHARD_IDS="1", DISCORD_SHARD_COUNT="2")
    assert sharded.discord_shard_ids == ("1",)


REFUSED = {
    "IMAGINE_DEFAULT_SIZE=big": "'big' is not a size; write WxH, e.g. 1024x1024, or auto",
    "IMAGINE_MODEL=": "String should have at least 1 character",
    "IMAGINE_GATEWAY_MAX_RETRIES=11": "Input should be less than or equal to 10",
    "IMAGINE_HTTP_PORT=-1": "Input should be greater than or equal to 0",
    "IMAGINE_RESULT_RETENTION_HOURS=0": "Input should be greater than 0",
    "IMAGINE_DEFAULT_QUALITY=ultra": (
        "Input should be 'low', 'medium', 'high', 'xhigh', 'max' or 'auto'"
    ),
    "IMAGINE_ALERT_WEBHOOK=hooks.example": "must start with http:// or https://",
    "DISCORD_SHARD_COUNT=0": "Input should be greater than or equal to 1",
}


@pytest.mark.parametrize("assignment", REFUSED)
def test_each_setting_is_refused_by_its_own_check(assignment: str) -> None:
    name, _, text = assignment.partition("=")
    with pytest.raises(ConfigError) as refused:
        load_settings(env_file=None, **{name: text})

    assert refused.value.message == f"Invalid setting {name}: {REFUSED[assignment]}"


def test_settings_read_lists_urls_and_the_other_key_name() -> None:
    settings = load_settings(
        env_file=None,
        IMAGINE_MODELS="a, b,,c",
        IMAGINE_PUBLIC_URL="https://bot.example/",
        IMAGINE_ALERT_WEBHOOK=" ",
        AI_GATEWAY_API_KEY="sk-other-name",
    )

    assert settings.models == ("a", "b", "c")
    assert settings.public_url == "https://bot.example"
    assert settings.alert_webhook is None
    assert settings.gateway_key is not None
    assert settings.gateway_key.get_secret_value() == "sk-other-name"
    assert settings.slack_api_url == "https://slack.com/api"


async def test_a_database_url_that_cannot_be_parsed_is_one_line(tmp_path: Path) -> None:
    env = cli_env(tmp_path)
    ipv6 = await run_cli(
        "usage", env=env | {"IMAGINE_DATABASE_URL": "postgresql://[::1"}, cwd=tmp_path
    )
    port = await run_cli(
        "usage", env=env | {"IMAGINE_DATABASE_URL": "postgresql://db:notaport/x"}, cwd=tmp_path
    )
    (tmp_path / "taken").write_text("a file where the folder should be")
    folder = await run_cli(
        "usage",
        env=env | {"IMAGINE_DATABASE_URL": f"sqlite:///{tmp_path}/taken/i.db"},
        cwd=tmp_path,
    )

    assert ipv6.err == "imagine-bot: Invalid setting IMAGINE_DATABASE_URL: Invalid IPv6 URL\n"
    assert port.err == (
        "imagine-bot: Invalid setting IMAGINE_DATABASE_URL: "
        "Port could not be cast to integer value as 'notaport'\n"
    )
    assert folder.err == (
        f"imagine-bot: IMAGINE_DATABASE_URL: cannot create the folder for {tmp_path}/taken/i.db: "
        f"[Errno 17] File exists: '{tmp_path}/taken'\n"
    )
    for ran in (ipv6, port, folder):
        assert (ran.code, ran.out) == (2, "")


async def test_a_dotenv_that_is_not_utf8_is_one_line(tmp_path: Path) -> None:
    (tmp_path / ".env").write_bytes("IMAGINE_MODEL=café\n".encode("latin-1"))
    ran = await run_cli("usage", "--json", env=cli_env(tmp_path), cwd=tmp_path)

    assert ran.code == 2
    assert ran.err == "imagine-bot: Cannot read .env: not UTF-8 text at byte 17.\n"
    assert only_json(ran)["error"]["kind"] == "config"


async def test_unknown_names_get_one_warning_each_with_the_closest_setting(
    tmp_path: Path,
) -> None:
    (tmp_path / ".env").write_text(
        "DISCORD_TOKN=discord-secret-value\nSLACK_SIGNING_SECRETS=x\nIMAGINE_MODLE=from-file\n"
    )
    env = cli_env(
        tmp_path,
        IMAGINE_MODLE="openai/gpt-image-1",
        imagine_foo="1",
        AI_GATEWAY_API_KEY=KEY,
        IMAGINE_TEST_POSTGRES_URL="postgresql://postgres@127.0.0.1/test",
        imagine_log_format="text",
    )
    ran = await run_cli("usage", env=env, cwd=tmp_path)

    assert ran.code == 0, ran.err
    assert log_lines(ran.err) == [
        "WARNING bot.entry.cli: DISCORD_TOKN in .env is not a setting; did you mean DISCORD_TOKEN?",
        "WARNING bot.entry.cli: IMAGINE_MODLE is not a setting; did you mean IMAGINE_MODEL?",
        "WARNING bot.entry.cli: SLACK_SIGNING_SECRETS in .env is not a setting; "
        "did you mean SLACK_SIGNING_SECRET?",
        "WARNING bot.entry.cli: imagine_foo is not a setting; "
        "it is ignored (.env.example lists them all).",
    ]
    assert "discord-secret-value" not in ran.text
    assert ran.out.startswith("Today: 0 images")


def test_every_name_a_setting_reads_is_known_and_no_other() -> None:
    every = {name: "x" for field in Settings.model_fields for name in env_names(field)}

    assert "AI_GATEWAY_API_KEY" in every and "IMAGINE_MODEL" in every
    assert unknown_names(None, every | {"HOME": "/root", "SLACK_CLIENT_ID": "1"}) == [
        "SLACK_CLIENT_ID is not a setting; it is ignored (.env.example lists them all)."
    ]


async def test_json_prints_exactly_one_object_on_every_exit_path(tmp_path: Path) -> None:
    env = cli_env(tmp_path)
    no_key = {k: v for k, v in env.items() if k != "IMAGINE_GATEWAY_KEY"}
    cases: list[tuple[list[str], dict[str, str], int, str, str]] = [
        (
            ["usage", "--json", "--bogus"],
            env,
            2,
            "usage",
            "imagine-bot: unrecognized arguments: --bogus",
        ),
        (
            ["generate", "--json"],
            env,
            2,
            "usage",
            "imagine-bot generate: the following arguments are required: prompt",
        ),
        (
            ["generate", PROMPT, "-n", "many", "--js"],
            env,
            2,
            "usage",
            "imagine-bot generate: argument -n/--n: invalid int value: 'many'",
        ),
        (
            ["limits", "set", "--json", "max_n=2"],
            env,
            2,
            "usage",
            "imagine-bot: unrecognized arguments: --json",
        ),
        (
            ["usage", "--json"],
            env | {"IMAGINE_MODELS_FILE": str(tmp_path / "none.json")},
            2,
            "config",
            "Invalid setting IMAGINE_MODELS_FILE: cannot read "
            f"{tmp_path / 'none.json'}: No such file or directory",
        ),
        (
            ["usage", "--json", "export", "--since", "2000-01-01"],
            env,
            2,
            "bad_request",
            "usage export writes CSV, not JSON: leave out --json. You were not charged.",
        ),
        (
            ["generate", PROMPT, "--json"],
            no_key,
            2,
            "config",
            "Missing setting IMAGINE_GATEWAY_KEY (or AI_GATEWAY_API_KEY): the image gateway's "
            "API key. Set it in the environment or .env, or try --offline.",
        ),
        (
            ["generate", PROMPT, "--size", "999x1", "--offline", "--json"],
            env,
            2,
            "bad_request",
            "openai/gpt-image-2 cannot make 999x1: both sides must be multiples of 16. "
            "Nearest: 1440x480 or 1424x480. You were not charged.",
        ),
        (
            ["usage", "--platform", "dicsord", "--json"],
            env,
            2,
            "bad_request",
            "Unknown platform 'dicsord'. Use discord, slack, cli or * (every platform).",
        ),
        (
            ["limits", "show", "--platform", "discord", "--channel", "C1", "--json"],
            env,
            2,
            "bad_request",
            "Channel C1 needs its server: a channel's limits apply within one Discord server, "
            "so add --workspace with its id.",
        ),
    ]
    ran = await asyncio.gather(*(run_cli(*argv, env=e, cwd=tmp_path) for argv, e, *_ in cases))
    fine = await run_cli("usage", "--platform", "*", "--json", env=env, cwd=tmp_path)

    for (argv, _, code, kind, message), one in zip(cases, ran, strict=True):
        assert one.code == code, argv
        assert only_json(one) == {
            "ok": False,
            "error": {"kind": kind, "message": message, "charged": False},
        }, argv
        assert "Traceback" not in one.err
    assert fine.code == 0
    assert only_json(fine)["images_today"] == 0
    assert await ledger_rows(env=env, cwd=tmp_path) == []


async def test_version_comes_from_the_package_metadata(tmp_path: Path) -> None:
    ran = await run_cli("--version", env=cli_env(tmp_path), cwd=tmp_path)

    assert (ran.code, ran.out, ran.err) == (0, f"imagine-bot {version('imagine-bot')}\n", "")


HUGE = "99999999999999999999999"
G1 = ("--platform", "discord", "--workspace", "G1")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ("--platform", "dicsord", "max_n=2"),
            "Unknown platform 'dicsord'. Use discord, slack or cli.",
        ),
        (
            ("--platform", "*", "max_n=2"),
            "max_n is set for one platform at a time: use discord, slack or cli. Only the "
            "installation's budgets go with --platform '*': bot_daily_images, "
            "bot_daily_cost_usd, bot_weekly_images, bot_weekly_cost_usd, bot_monthly_images, "
            "bot_monthly_cost_usd.",
        ),
        (
            ("--platform", "discord", "--channel", "C1", "max_n=2"),
            "Channel C1 needs its server: a channel's limits apply within one Discord server, "
            "so add --workspace with its id.",
        ),
        (
            ("--platform", "slack", "--channel", "C1", "max_n=2"),
            "Channel C1 needs its workspace: a channel's limits apply within one Slack "
            "workspace, so add --workspace with its id.",
        ),
        (
            ("--workspace", "G1", "max_n=2"),
            "The CLI has one workspace and one channel, both 'local': --workspace G1 matches no "
            "request. For Discord or Slack, add --platform.",
        ),
        ((*G1, f"user_daily_images={HUGE}"), f"user_daily_images is out of range: {HUGE}."),
        ((*G1, "user_daily_cost_usd=inf"), "user_daily_cost_usd is out of range: inf."),
        ((*G1, "channel_daily_cost_usd=nan"), "channel_daily_cost_usd is out of range: nan."),
    ],
)
async def test_limits_set_refuses_a_scope_that_never_applies_or_a_value_no_column_holds(
    tmp_path: Path, argv: tuple[str, ...], message: str
) -> None:
    ran = await run_cli("limits", "set", *argv, env=cli_env(tmp_path), cwd=tmp_path)

    assert (ran.code, ran.out, ran.err) == (2, "", f"imagine-bot: {message}\n")
    store = await opened(tmp_path)
    try:
        assert await store.limit_changes() == []
    finally:
        await store.close()


async def test_limits_set_says_which_scope_it_changed(tmp_path: Path) -> None:
    env = cli_env(tmp_path)
    cases = [
        (
            ("--platform", "discord", "--workspace", "G1", "user_daily_images=20"),
            "Set user_daily_images=20 for Discord server G1 (all channels).",
            Scope("discord", "G1"),
        ),
        (
            ("--platform", "discord", "--workspace", "G1", "--channel", "C1", "max_n=2"),
            "Set max_n=2 for Discord channel C1 in server G1.",
            Scope("discord", "G1", "C1"),
        ),
        (
            ("--platform", "slack", "enabled=no", "cooldown_s=30"),
            "Set enabled=no, cooldown_s=30 for every Slack workspace.",
            Scope("slack"),
        ),
        (
            ("--platform", "slack", "cooldown_s=", "max_n=3"),
            "Set max_n=3 and cleared cooldown_s for every Slack workspace.",
            Scope("slack"),
        ),
        (
            ("max_quality=low",),
            "Set max_quality=low for CLI channel local in workspace local.",
            Scope("cli", "local", "local"),
        ),
    ]
    for argv, said, _ in cases:
        ran = await run_cli("limits", "set", *argv, env=env, cwd=tmp_path)
        assert ran.code == 0, ran.err
        assert ran.out.splitlines()[0] == said

    store = await opened(tmp_path)
    try:
        assert await store.get_limits(Scope("discord", "G1")) == Limits(user_daily_images=20)
        assert await store.get_limits(Scope("discord", "G1", "C1")) == Limits(max_n=2)
        assert await store.get_limits(Scope("slack")) == Limits(enabled=False, max_n=3)
        assert await store.get_limits(Scope("cli", "local", "local")) == Limits(max_quality="low")
        assert len(await store.limit_changes()) == 7
    finally:
        await store.close()


async def test_usage_export_keeps_to_the_scope_flags(tmp_path: Path) -> None:
    now = datetime.now(UTC)
    store = await opened(tmp_path)
    try:
        for place in ("G1/C1/alice", "G1/C2/bob", "G2/C1/alice", "T1/C1/carol"):
            workspace, channel, user = place.split("/")
            platform = "slack" if workspace.startswith("T") else "discord"
            who = Actor(platform, workspace, channel, user)
            await store.reserve(reservation(who, now=now), Limits(), now)
    finally:
        await store.close()
    env = cli_env(tmp_path)
    since = ("--since", "2000-01-01")

    async def exported(*argv: str) -> list[str]:
        ran = await run_cli(*argv, env=env, cwd=tmp_path)
        assert ran.code == 0, ran.err
        rows = csv.DictReader(io.StringIO(ran.out))
        return sorted(f"{r['workspace_id']}/{r['channel_id']}/{r['user_id']}" for r in rows)

    assert await exported("usage", "export", *since) == [
        "G1/C1/alice",
        "G1/C2/bob",
        "G2/C1/alice",
        "T1/C1/carol",
    ]
    assert await exported(
        "usage", "export", *since, "--platform", "discord", "--workspace", "G1"
    ) == [
        "G1/C1/alice",
        "G1/C2/bob",
    ]
    assert await exported(
        "usage", "--platform", "discord", "export", *since, "--channel", "C1"
    ) == [
        "G1/C1/alice",
        "G2/C1/alice",
    ]
    assert await exported("usage", "export", *since, "--user", "alice") == [
        "G1/C1/alice",
        "G2/C1/alice",
    ]
    assert await exported("usage", "export", *since, "--platform", "slack") == ["T1/C1/carol"]

    typo = await run_cli("usage", "export", *since, "--platform", "dicsord", env=env, cwd=tmp_path)
    backwards = await run_cli(
        "usage", "export", *since, "--until", "1999-01-01", env=env, cwd=tmp_path
    )
    assert (typo.code, typo.out) == (2, "")
    assert typo.err == (
        "imagine-bot: Unknown platform 'dicsord'. Use discord, slack, cli or * (every platform).\n"
    )
    assert (backwards.code, backwards.out) == (2, "")
    assert backwards.err == (
        "imagine-bot: --until 1999-01-01 is not after --since 2000-01-01. You were not charged.\n"
    )


async def test_odd_image_inputs_are_one_line_and_charge_nothing(
    tmp_path: Path, gateway: FakeGateway
) -> None:
    env = cli_env(tmp_path, IMAGINE_GATEWAY_URL=gateway.url)
    good = write_png(tmp_path / "room.png", (64, 48))
    big = write_png(tmp_path / "big.png", (256, 256))
    (tmp_path / "notes.txt").write_text("not a picture")
    (tmp_path / "art").mkdir()
    cases = [
        (
            ["edit", PROMPT, "missing.png"],
            2,
            "Cannot read missing.png: No such file or directory. You were not charged.",
        ),
        (["edit", PROMPT, "art"], 2, "Cannot read art: Is a directory. You were not charged."),
        (["vary", "art"], 2, "Cannot read art: Is a directory. You were not charged."),
        (
            ["edit", PROMPT, "notes.txt"],
            1,
            'The file "notes.txt" is not an image. You were not charged. '
            "Send a PNG, JPEG, WebP, GIF, BMP or TIFF file.",
        ),
        (
            ["edit", PROMPT, str(good), "--mask", "art"],
            2,
            "Cannot read art: Is a directory. You were not charged.",
        ),
        (
            ["edit", PROMPT, str(good), "--mask", str(good)],
            1,
            'The mask "room.png" has no transparent areas. You were not charged. '
            "Send a PNG whose transparent parts mark where the image should change.",
        ),
    ]
    for argv, code, message in cases:
        ran = await run_cli(*argv, env=env, cwd=tmp_path)
        assert (ran.code, ran.out, ran.err) == (code, "", f"imagine-bot: {message}\n"), argv
    size = big.stat().st_size
    too_big = await run_cli(
        "edit", PROMPT, "big.png", env=env | {"IMAGINE_MAX_SOURCE_BYTES": "100"}, cwd=tmp_path
    )

    assert too_big.code == 1
    assert too_big.err == (
        f'imagine-bot: The image "big.png" is too large: {size} bytes; the limit is 100 bytes. '
        "You were not charged. Send a smaller file.\n"
    )
    assert gateway.image_requests == []
    assert await ledger_rows(env=env, cwd=tmp_path) == []


async def test_a_reader_that_leaves_early_ends_the_cli_without_a_traceback(tmp_path: Path) -> None:
    read, write = os.pipe()
    os.close(read)
    try:
        process = await asyncio.create_subprocess_exec(
            str(CLI),
            "limits",
            "show",
            env=cli_env(tmp_path),
            cwd=tmp_path,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=write,
            stderr=asyncio.subprocess.PIPE,
        )
    finally:
        os.close(write)
    _, err = await asyncio.wait_for(process.communicate(), 90)

    assert (process.returncode, err.decode()) == (1, "")


async def test_ctrl_c_mid_request_is_one_json_object_and_charges_nothing(
    tmp_path: Path, gateway: FakeGateway
) -> None:
    gateway.fail("hang", seconds=60)
    env = cli_env(tmp_path, IMAGINE_GATEWAY_URL=gateway.url)
    process = await start_cli("generate", PROMPT, "--json", env=env, cwd=tmp_path)
    await wait_until(lambda: gateway.in_flight == 1)
    process.send_signal(signal.SIGINT)
    ran = await finish(process)

    assert ran.code == 130
    assert only_json(ran) == {
        "ok": False,
        "error": {
            "kind": "interrupted",
            "message": "Interrupted. You were not charged.",
            "charged": False,
        },
    }
    assert ran.err == "imagine-bot: Interrupted. You were not charged.\n"
    [row] = await ledger_rows(env=env, cwd=tmp_path)
    assert (row["status"], row["images_delivered"], row["error_kind"]) == (
        "failed",
        "0",
        "cancelled",
    )
