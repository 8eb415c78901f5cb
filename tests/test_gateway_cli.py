"""The gateway's answers as a person and an admin meet them, through the real `imagine-bot` CLI:
the gateway's own cost charged exactly (SQLite and PostgreSQL), every refusal's exact line with
nothing charged, warnings shown, and an unreachable gateway logged with its host and cause."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import httpx
import pytest

from tests.fakes.gateway import FakeGateway
from tests.storefixtures import STORE_KINDS, store_url
from tests.support import (
    QUOTA,
    UNAVAILABLE,
    cli_env,
    ledger_rows,
    run_cli,
    unnamed,
    unnamed_json,
    user_usage,
)
from tests.test_gateway_answers import BUDGET, GPT2, MASK_IGNORED, VERCEL_REFUSALS

PROMPT = "a red balloon on a wooden table"


def env_for(tmp_path: Path, url: str, **env: str) -> dict[str, str]:
    return cli_env(tmp_path, **({"IMAGINE_GATEWAY_URL": url, "IMAGINE_MODEL": GPT2} | env))


@pytest.mark.parametrize("kind", STORE_KINDS)
async def test_the_gateways_cost_is_charged_exactly(tmp_path: Path, kind: str) -> None:
    async with FakeGateway(models=[GPT2], cost="0.0537") as fake:
        env = env_for(tmp_path, fake.url, IMAGINE_DATABASE_URL=store_url(kind, tmp_path))
        assert (await run_cli("migrate", env=env, cwd=tmp_path)).code == 0
        made = [
            await run_cli("generate", PROMPT, "--user", "ada", "--json", env=env, cwd=tmp_path)
            for _ in range(3)
        ]
        usage = await run_cli("usage", "--user", "ada", "--json", env=env, cwd=tmp_path)
        rows = await ledger_rows(env=env, cwd=tmp_path)

    assert [ran.json()["cost_usd"] for ran in made] == [0.0537] * 3
    assert '"cost_today_usd": 0.1611' in usage.out  # three times $0.0537, to the digit
    assert usage.json()["images_today"] == 3
    assert [(r["status"], r["est_cost_usd"]) for r in rows] == [("succeeded", "0.0537")] * 3


async def test_an_unknown_model_is_refused_with_the_admins_line_and_not_charged(
    tmp_path: Path,
) -> None:
    async with FakeGateway(models=[GPT2]) as fake:
        env = env_for(tmp_path, fake.url, IMAGINE_MODEL="openai/gpt-image-9")
        ran = await run_cli("generate", PROMPT, "--user", "bo", "--json", env=env, cwd=tmp_path)
        async with httpx.AsyncClient() as http:
            listed = (await http.get(fake.url + "/models")).status_code == 200
        requests = len(fake.image_requests)

    offers = f"; it offers {GPT2}" if listed else ""
    message = (
        "The bot is misconfigured: the gateway does not offer model 'openai/gpt-image-9' "
        f"(IMAGINE_MODEL){offers}. You were not charged. Tell the bot's admin."
    )
    assert (ran.code, unnamed(ran.err)) == (2, f"imagine-bot: {message}\n")
    assert unnamed_json(ran.json()) == {
        "ok": False,
        "error": {"kind": "model_not_found", "message": message, "charged": False},
    }
    assert requests == 1
    [row] = await ledger_rows(env=env, cwd=tmp_path)
    assert (row["status"], row["error_kind"], float(row["est_cost_usd"])) == (
        "failed",
        "model_not_found",
        0.0,
    )


@pytest.mark.parametrize(("fault", "error", "message"), VERCEL_REFUSALS)
async def test_each_gateway_refusal_is_its_own_line_and_not_charged(
    tmp_path: Path, fault: str, error: type, message: str
) -> None:
    async with FakeGateway(models=[GPT2]) as fake:
        fake.fail(fault, times=None)
        env = env_for(tmp_path, fake.url)
        ran = await run_cli("generate", PROMPT, "--user", "cy", "--json", env=env, cwd=tmp_path)
        requests = len(fake.image_requests)

    admin_fix = message not in (BUDGET, QUOTA)  # misconfiguration exits 2, the rest 1
    assert (ran.code, unnamed(ran.err)) == (2 if admin_fix else 1, f"imagine-bot: {message}\n")
    assert unnamed_json(ran.json())["error"] == {
        "kind": error.kind,
        "message": message,
        "charged": False,
    }
    assert requests == 1
    [row] = await ledger_rows(env=env, cwd=tmp_path)
    assert (row["status"], row["error_kind"], float(row["est_cost_usd"])) == (
        "failed",
        error.kind,
        0.0,
    )
    usage = await user_usage("cy", env=env, cwd=tmp_path)
    assert (usage["images_today"], usage["cost_today_usd"]) == (0, 0)


async def test_a_gateway_warning_is_shown_with_the_result(tmp_path: Path) -> None:
    async with FakeGateway(models=[GPT2]) as fake:
        env = env_for(tmp_path, fake.url)
        fake.fail("warning")
        text = await run_cli("generate", PROMPT, "--out", "a", env=env, cwd=tmp_path)
        fake.fail("warning")
        as_json = await run_cli("generate", PROMPT, "--out", "b", "--json", env=env, cwd=tmp_path)

    assert text.code == as_json.code == 0
    assert text.err.startswith(f"Note from the image service: {MASK_IGNORED}\n1 image(s), ")
    assert as_json.json()["warnings"] == [MASK_IGNORED]
    assert as_json.err == f"Note from the image service: {MASK_IGNORED}\n"


@pytest.mark.parametrize("as_json", [False, True])
async def test_an_unreachable_gateway_logs_host_and_cause_and_says_only_unavailable(
    tmp_path: Path, as_json: bool
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = env_for(tmp_path, f"http://127.0.0.1:{port}/v1", IMAGINE_GATEWAY_MAX_RETRIES="0")
    ran = await run_cli("generate", PROMPT, *(["--json"] if as_json else []), env=env, cwd=tmp_path)

    assert ran.code == 1
    logged, shown = ran.err.splitlines()
    assert logged.endswith(
        f" WARNING bot.gateway.client: gateway 127.0.0.1:{port} unreachable: connection refused; "
        "gave up after 1 attempt"
    )
    assert unnamed(shown) == f"imagine-bot: {UNAVAILABLE}"
    if as_json:
        error = {"kind": "unavailable", "message": UNAVAILABLE, "charged": False}
        assert unnamed_json(json.loads(ran.out)) == {"ok": False, "error": error}
    else:
        assert ran.out == ""
    [row] = await ledger_rows(env=env, cwd=tmp_path)
    assert (row["status"], row["error_kind"]) == ("failed", "unavailable")
