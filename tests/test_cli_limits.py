"""Usage limits through the real `imagine-bot` CLI: many processes, failures, kills (issue 3)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.store import open_store
from tests.fakes.gateway import FakeGateway
from tests.support import (
    GatewayProcess,
    Ran,
    cli_env,
    database_url,
    finish,
    ledger_rows,
    limit_message,
    picture,
    run_all,
    run_cli,
    start_cli,
    unnamed,
    user_usage,
    wait_until,
)

# gpt-image-2 repriced (IMAGINE_MODELS_FILE) so that a medium 1024x1024 image costs the same
# reserved (table) or settled (the fake reports 1056 output tokens at $40/M; text is free).
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
PRICE = 1056 * 40 / 1e6
REPRICED = {
    "id": "gpt-image-2",
    "prices": {"image_output_per_m": 40.0, "per_image": {"medium": {"1024x1024": PRICE}}},
}


def priced(tmp_path: Path) -> dict[str, str]:
    path = tmp_path / "models.json"
    path.write_text(json.dumps({"models": [REPRICED]}))
    return {"IMAGINE_MODELS_FILE": str(path)}


@pytest.fixture
async def slow() -> AsyncIterator[GatewayProcess]:
    async with GatewayProcess(delay=1.0) as gateway:
        yield gateway


@pytest.fixture
async def fake() -> AsyncIterator[FakeGateway]:
    async with FakeGateway() as server:
        yield server


async def set_limits(env: dict[str, str], cwd: Path, *assignments: str) -> str:
    ran = await run_cli("limits", "set", *assignments, env=env, cwd=cwd)
    assert ran.code == 0, ran.err
    return ran.out


async def ten_at_once(users: list[str], env: dict[str, str], cwd: Path) -> list[Ran]:
    argvs = [
        ["generate", f"balloon number {i}", "--user", u, "--json"] for i, u in enumerate(users)
    ]
    return await run_all(argvs, env=env, cwd=cwd)


def check_three_of_ten(ran: list[Ran], cwd: Path, used: str, key: str) -> None:
    """Exactly 3 made their image; 7 were refused by the limit, uncharged."""
    made = [r for r in ran if r.code == 0]
    refused = [r for r in ran if r.code == 1]
    assert (len(made), len(refused)) == (3, 7), [r.err for r in ran]
    for r in made:
        [path] = r.json()["images"]
        assert picture(cwd / path) == ("PNG", (1024, 1024))
    pattern = limit_message(used, key)
    for r in refused:
        assert pattern.fullmatch(r.err), r.err
        error = r.json()["error"]
        assert (error["kind"], error["charged"]) == ("limit", False)


async def test_ten_processes_for_one_user_with_three_images_a_day(
    tmp_path: Path, slow: GatewayProcess
) -> None:
    env = cli_env(tmp_path, IMAGINE_GATEWAY_URL=slow.url)
    shown = await set_limits(env, tmp_path, "user_daily_images=3")
    assert "user_daily_images = 3  (set here)" in shown.splitlines()
    limits = (await run_cli("limits", "show", "--json", env=env, cwd=tmp_path)).json()
    assert limits["user_daily_images"] == 3

    ran = await ten_at_once(["alice"] * 10, env, tmp_path)

    check_three_of_ten(ran, tmp_path, "You have used 3 of your 3 images today", "user_daily_images")
    scope = (await run_cli("usage", "--json", env=env, cwd=tmp_path)).json()
    assert scope["images_today"] == 3
    assert (await user_usage("alice", env=env, cwd=tmp_path))["images_today"] == 3
    assert len(await slow.requests()) == 3


async def test_ten_processes_of_ten_users_in_a_channel_of_three_images_a_day(
    tmp_path: Path, slow: GatewayProcess
) -> None:
    env = cli_env(tmp_path, IMAGINE_GATEWAY_URL=slow.url)
    await set_limits(env, tmp_path, "channel_daily_images=3")

    ran = await ten_at_once([f"user{i}" for i in range(10)], env, tmp_path)

    check_three_of_ten(
        ran, tmp_path, "This channel has used 3 of its 3 images today", "channel_daily_images"
    )
    scope = (await run_cli("usage", "--json", env=env, cwd=tmp_path)).json()
    assert scope["images_today"] == 3
    assert sorted(u["images"] for u in scope["top_users"]) == [1, 1, 1]
    assert len(await slow.requests()) == 3


async def test_ten_processes_against_a_daily_budget_that_fits_three(
    tmp_path: Path, slow: GatewayProcess
) -> None:
    env = cli_env(tmp_path, IMAGINE_GATEWAY_URL=slow.url, **priced(tmp_path))
    await set_limits(env, tmp_path, "user_daily_cost_usd=0.13")  # 3 x $0.04224 fit, 4 do not

    ran = await ten_at_once(["carol"] * 10, env, tmp_path)

    check_three_of_ten(
        ran, tmp_path, "You have spent $0.127 of your $0.13 today", "user_daily_cost_usd"
    )
    assert sorted(r.json()["cost_usd"] for r in ran if r.code == 0) == [pytest.approx(PRICE)] * 3
    usage = await user_usage("carol", env=env, cwd=tmp_path)
    assert usage["images_today"] == 3
    assert usage["cost_today_usd"] == pytest.approx(3 * PRICE)
    assert len(await slow.requests()) == 3


async def test_blocks_outages_and_timeouts_charge_nothing_and_short_results_charge_what_came(
    tmp_path: Path, fake: FakeGateway
) -> None:
    env = cli_env(
        tmp_path,
        IMAGINE_GATEWAY_URL=fake.url,
        IMAGINE_GATEWAY_MAX_RETRIES="0",
        IMAGINE_GATEWAY_TIMEOUT="1",
        **priced(tmp_path),
    )
    outcomes: dict[str, Ran] = {}
    for user, fault, params in [
        ("mod", "moderation_blocked", {}),
        ("down", "server_error", {}),
        ("slow", "hang", {"seconds": 30}),
        ("short", "fewer_images", {"count": 2}),
    ]:
        fake.fail(fault, **params)
        n = "4" if user == "short" else "1"
        outcomes[user] = await run_cli(
            "generate", "a lighthouse", "-n", n, "--user", user, env=env, cwd=tmp_path
        )

    assert {user: ran.code for user, ran in outcomes.items()} == {
        "mod": 1,
        "down": 1,
        "slow": 1,
        "short": 0,
    }
    assert unnamed(outcomes["slow"].err) == (
        "imagine-bot: The image service did not answer within 1 s. You were not charged. "
        "Try again, perhaps with a lower quality.\n"
    )
    assert len(outcomes["short"].out.split()) == 2
    usage = {u: await user_usage(u, env=env, cwd=tmp_path) for u in outcomes}
    charged = {u: (d["images_today"], round(d["cost_today_usd"], 6)) for u, d in usage.items()}
    assert charged == {
        "mod": (0, 0),
        "down": (0, 0),
        "slow": (0, 0),
        "short": (2, round(2 * PRICE, 6)),
    }
    rows = {row["user_id"]: row for row in await ledger_rows(env=env, cwd=tmp_path)}
    settled = {
        u: (r["status"], r["error_kind"], r["n"], r["images_delivered"]) for u, r in rows.items()
    }
    assert settled == {
        "mod": ("failed", "moderation", "1", "0"),
        "down": ("failed", "unavailable", "1", "0"),
        "slow": ("failed", "timeout", "1", "0"),
        "short": ("succeeded", "", "4", "2"),
    }
    assert len(fake.image_requests) == 4


async def test_a_killed_process_is_charged_nothing_once_its_deadline_passes(
    tmp_path: Path, fake: FakeGateway
) -> None:
    fake.fail("hang", seconds=60)
    env = cli_env(tmp_path, IMAGINE_GATEWAY_URL=fake.url, IMAGINE_GATEWAY_TIMEOUT="2")
    process = await start_cli("generate", "a kite", "--user", "kim", env=env, cwd=tmp_path)
    await wait_until(lambda: fake.in_flight == 1)
    process.kill()
    killed = await finish(process)
    assert killed.code == -9

    store = await open_store(database_url(tmp_path))
    try:
        [entry] = [e async for e in store.export(EPOCH, datetime(2100, 1, 1, tzinfo=UTC))]
    finally:
        await store.close()
    assert (entry.status, entry.user_id, entry.n) == ("reserved", "kim", 1)
    assert entry.deadline - entry.created_at == timedelta(seconds=2 * 2 + 2)
    await asyncio.sleep((entry.deadline - datetime.now(UTC)).total_seconds() + 0.1)

    usage = await user_usage("kim", env=env, cwd=tmp_path)
    [row] = await ledger_rows(env=env, cwd=tmp_path)
    assert (usage["images_today"], usage["cost_today_usd"]) == (0, 0)
    assert (row["id"], row["status"], row["images_delivered"]) == (entry.id, "abandoned", "0")
    assert float(row["est_cost_usd"]) == 0


async def test_the_same_idempotency_key_twice_generates_and_charges_once(
    tmp_path: Path, slow: GatewayProcess
) -> None:
    env = cli_env(tmp_path, IMAGINE_GATEWAY_URL=slow.url)
    argv = ["generate", "a tram", "--user", "ida", "--idempotency-key", "order-42", "--json"]
    together = await run_all([argv, argv], env=env, cwd=tmp_path)
    later = await run_cli(*argv, env=env, cwd=tmp_path)

    made = [r for r in together if r.code == 0]
    duplicates = [r for r in [*together, later] if r.code != 0]
    assert len(made) == 1 and len(duplicates) == 2
    for r in duplicates:
        assert r.code == 1
        assert r.err == (
            "imagine-bot: This request was already received; it is handled only once. "
            "You were not charged.\n"
        )
        assert r.json()["error"]["kind"] == "duplicate"
    assert len(await slow.requests()) == 1
    assert (await user_usage("ida", env=env, cwd=tmp_path))["images_today"] == 1
    assert len(await ledger_rows(env=env, cwd=tmp_path)) == 1
