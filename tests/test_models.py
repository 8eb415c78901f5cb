"""Models as data (issue 11), through the real CLI against the stand-in gateway: the default
gpt-image-2, retired models, choosing a model, free sizes, prices, and `models --check`."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.fakes.gateway import FakeGateway
from tests.fakes.slack import FakeSlack
from tests.runbot import bot_process, free_port, slack_env
from tests.support import (
    KEY,
    gateway_env,
    ledger_rows,
    models_file,
    picture,
    run_cli,
    write_png,
)

PROMPT = "a red balloon on a wooden table"  # 7 words: 7 text tokens on the stand-in
GPT2 = "openai/gpt-image-2"
NOT_CHARGED = "You were not charged."


@pytest.fixture
async def fake() -> AsyncIterator[FakeGateway]:
    async with FakeGateway(models=[GPT2]) as server:  # serves and lists openai/gpt-image-2 only
        yield server


async def test_with_a_gateway_serving_only_gpt_image_2_the_defaults_generate_edit_and_vary(
    tmp_path: Path, fake: FakeGateway
) -> None:
    assert [m["id"] for m in fake.models.body()["data"]] == [GPT2]
    photo = write_png(tmp_path / "photo.png", (1200, 800))
    env = gateway_env(tmp_path, fake)
    made = await run_cli("generate", PROMPT, "--json", env=env, cwd=tmp_path)
    edited = await run_cli("edit", "make it blue", str(photo), "--json", env=env, cwd=tmp_path)
    varied = await run_cli("vary", str(photo), "--json", env=env, cwd=tmp_path)

    for ran in (made, edited, varied):
        assert ran.code == 0, ran.err
    generate, edit, vary = fake.image_requests
    assert {r.fields["model"] for r in (generate, edit, vary)} == {GPT2}
    assert (generate.fields["size"], generate.fields["quality"]) == ("1024x1024", "medium")
    assert edit.fields["size"] == vary.fields["size"] == "1200x800"  # the photo's own size
    assert picture(tmp_path / varied.json()["images"][0])[1] == (1200, 800)
    # priced at gpt-image-2's rates: 7 text tokens at $5/M, 1056 image tokens out at $30/M
    assert made.json()["cost_usd"] == pytest.approx((7 * 5 + 1056 * 30) / 1e6)
    rows = await ledger_rows(env=env, cwd=tmp_path)
    assert [(r["kind"], r["model"], r["cost_source"]) for r in rows] == [
        ("generate", GPT2, "tokens"),
        ("edit", GPT2, "tokens"),
        ("vary", GPT2, "tokens"),
    ]
    assert float(rows[0]["est_cost_usd"]) == pytest.approx(0.031715)


@pytest.mark.parametrize(
    ("model", "line"),
    [
        (
            "openai/gpt-image-1",
            "The model openai/gpt-image-1 was shut down on 2026-10-23 and makes no more images: "
            f"set IMAGINE_MODEL to its replacement, openai/gpt-image-2. {NOT_CHARGED}",
        ),
        (
            "gpt-image-1-mini",
            "The model gpt-image-1-mini was shut down on 2026-12-01 and makes no more images: "
            f"set IMAGINE_MODEL to its replacement, gpt-image-2. {NOT_CHARGED}",
        ),
    ],
)
async def test_a_retired_model_is_refused_before_any_image_request(
    tmp_path: Path, fake: FakeGateway, model: str, line: str
) -> None:
    env = gateway_env(tmp_path, fake, IMAGINE_MODEL=model)
    text = await run_cli("generate", PROMPT, env=env, cwd=tmp_path)
    as_json = await run_cli("generate", PROMPT, "--json", env=env, cwd=tmp_path)

    assert (text.code, text.out, text.err) == (1, "", f"imagine-bot: {line}\n")
    assert (as_json.code, as_json.err) == (1, f"imagine-bot: {line}\n")
    assert as_json.json() == {
        "ok": False,
        "error": {"kind": "model_retired", "message": line, "charged": False},
    }
    assert fake.image_requests == []
    assert await ledger_rows(env=env, cwd=tmp_path) == []


async def test_a_deprecated_model_works_and_warns_with_its_shutdown_date(
    tmp_path: Path, fake: FakeGateway
) -> None:
    deprecated = {
        "id": "gpt-image-2",
        "status": "deprecated",
        "shutdown": "2099-01-01",
        "replacement": "gpt-image-2.6-sunburst",
    }
    env = gateway_env(tmp_path, fake, IMAGINE_MODELS_FILE=models_file(tmp_path, deprecated))
    ran = await run_cli("generate", PROMPT, env=env, cwd=tmp_path)

    assert ran.code == 0, ran.err
    warning = (
        "the model openai/gpt-image-2 is deprecated and shuts down on 2099-01-01; "
        "its replacement is openai/gpt-image-2.6-sunburst"
    )
    assert ran.err.count(warning) == 1
    assert len(fake.image_requests) == 1


async def test_size_2048x1152_works_and_an_illegal_size_names_the_nearest_legal_ones(
    tmp_path: Path, fake: FakeGateway
) -> None:
    env = gateway_env(tmp_path, fake)
    wide = await run_cli("generate", PROMPT, "--size", "2048x1152", "--json", env=env, cwd=tmp_path)
    bad = await run_cli("generate", PROMPT, "--size", "2000x1000", "--json", env=env, cwd=tmp_path)

    assert wide.code == 0, wide.err
    assert picture(tmp_path / wide.json()["images"][0]) == ("PNG", (2048, 1152))
    [sent] = fake.image_requests
    assert sent.fields["size"] == "2048x1152"
    message = (
        "openai/gpt-image-2 cannot make 2000x1000: both sides must be multiples of 16. "
        "Nearest: 2000x1008 or 2016x1008. You were not charged."
    )
    assert (bad.code, bad.err) == (2, f"imagine-bot: {message}\n")
    assert bad.json()["error"] == {"kind": "bad_request", "message": message, "charged": False}
    assert len(fake.image_requests) == 1
    assert [r["size"] for r in await ledger_rows(env=env, cwd=tmp_path)] == ["2048x1152"]


async def test_a_model_outside_imagine_models_or_allowed_models_is_refused_with_the_list(
    tmp_path: Path, fake: FakeGateway
) -> None:
    fake.models.served = [GPT2, "bfl/flux-kontext-pro"]
    env = gateway_env(
        tmp_path, fake, IMAGINE_MODELS="openai/gpt-image-2.5-flare,bfl/flux-kontext-pro"
    )
    unoffered = await run_cli(
        "generate", PROMPT, "--model", "openai/gpt-image-2.6-flare", env=env, cwd=tmp_path
    )
    limited = await run_cli(
        "limits", "set", "allowed_models=openai/gpt-image-2", env=env, cwd=tmp_path
    )
    outside = await run_cli(
        "generate", PROMPT, "--model", "bfl/flux-kontext-pro", "--json", env=env, cwd=tmp_path
    )
    inside = await run_cli("generate", PROMPT, "--model", "gpt-image-2", env=env, cwd=tmp_path)

    assert (unoffered.code, unoffered.err) == (
        2,
        'imagine-bot: The model "openai/gpt-image-2.6-flare" is not offered here. Choose one of: '
        "openai/gpt-image-2, openai/gpt-image-2.5-flare, bfl/flux-kontext-pro. "
        "You were not charged.\n",
    )
    assert limited.code == 0, limited.err
    assert "allowed_models = openai/gpt-image-2  (set here)" in limited.out
    refusal = (
        "Not allowed here: model bfl/flux-kontext-pro; use openai/gpt-image-2 (allowed_models). "
        f"{NOT_CHARGED}"
    )
    assert (outside.code, outside.err) == (1, f"imagine-bot: {refusal}\n")
    assert outside.json()["error"] == {"kind": "limit", "message": refusal, "charged": False}
    assert inside.code == 0, inside.err
    [sent] = fake.image_requests
    assert sent.fields["model"] == GPT2
    assert [r["model"] for r in await ledger_rows(env=env, cwd=tmp_path)] == [GPT2]


async def test_a_chosen_model_gets_its_own_options_and_its_own_price(
    tmp_path: Path, fake: FakeGateway
) -> None:
    fake.models.served = [GPT2, "bfl/flux-kontext-pro"]
    env = gateway_env(tmp_path, fake, IMAGINE_MODELS="bfl/flux-kontext-pro")
    chosen = f"{PROMPT} --model bfl/flux-kontext-pro"
    ran = await run_cli("generate", chosen, "--json", env=env, cwd=tmp_path)

    assert ran.code == 0, ran.err
    [sent] = fake.image_requests
    assert (sent.fields["model"], sent.fields["size"]) == ("bfl/flux-kontext-pro", "1024x1024")
    assert "quality" not in sent.fields  # the model has no quality setting
    [row] = await ledger_rows(env=env, cwd=tmp_path)
    # one price per image ($0.04), whatever tokens the stand-in reports
    assert (row["model"], row["cost_source"], row["quality"]) == (
        "bfl/flux-kontext-pro",
        "table",
        "",
    )
    assert ran.json()["cost_usd"] == 0.04


async def test_max_pixels_caps_free_sizes(tmp_path: Path, fake: FakeGateway) -> None:
    env = gateway_env(tmp_path, fake, IMAGINE_MAX_PIXELS="2000000")
    ran = await run_cli("generate", PROMPT, "--size", "2048x1152", "--json", env=env, cwd=tmp_path)

    refusal = (
        "Not allowed here: size 2048x1152 (2,359,296 pixels); at most 2,000,000 pixels here "
        f"(max_pixels). {NOT_CHARGED}"
    )
    assert (ran.code, ran.err) == (1, f"imagine-bot: {refusal}\n")
    assert fake.image_requests == []
    assert await ledger_rows(env=env, cwd=tmp_path) == []


def statuses(out: str) -> dict[str, str]:
    """Model name -> the last words of its head line (served / not served / retired)."""
    heads = [line for line in out.splitlines() if line and not line.startswith((" ", "Could"))]
    found = {}
    for line in heads:
        name, _, rest = line.partition("  ")
        found[name] = rest.rsplit("  ", 1)[-1]
    return found


async def test_models_check_says_served_not_served_or_retired(
    tmp_path: Path, fake: FakeGateway
) -> None:
    fake.models.served = [GPT2, "openai/gpt-image-1", "bfl/flux-kontext-pro"]
    env = gateway_env(tmp_path, fake)
    text = await run_cli("models", "--check", env=env, cwd=tmp_path)
    as_json = await run_cli("models", "--check", "--json", env=env, cwd=tmp_path)

    assert text.code == as_json.code == 0, text.err
    said = statuses(text.out)
    assert said[GPT2] == "served"
    assert said["bfl/flux-kontext-pro"] == "served"
    assert said["openai/gpt-image-2.5-flare"] == "not served"
    assert said["openai/gpt-image-1"] == "retired"  # listed, but shut down on 2026-10-23
    assert f"{GPT2}  active, default  served" in text.out.splitlines()
    assert (
        "openai/gpt-image-1  shut down 2026-10-23, use openai/gpt-image-2  retired"
        in text.out.splitlines()
    )
    data = as_json.json()
    assert data["checked"] is True and data["note"] is None
    by_name = {m["name"]: m for m in data["models"]}
    assert {name: m["served"] for name, m in by_name.items()} == said
    assert by_name[GPT2]["prices"]["image_output_per_m"] == 30.0
    assert by_name[GPT2]["size_rule"]["max_edge"] == 3840
    assert [r.path for r in fake.requests] == ["/v1/models", "/v1/models"]
    assert all("authorization" in r.headers for r in fake.requests)  # the key, to its own host


async def test_models_check_reads_openais_list_and_its_shutdown_dates(tmp_path: Path) -> None:
    async with FakeGateway(key=KEY) as fake:
        fake.models.style = "openai"
        fake.models.served = ["gpt-image-2", "gpt-image-2.5-flare"]
        fake.models.shutdown_dates = {"gpt-image-2.5-flare": "2026-11-30"}
        env = gateway_env(tmp_path, fake, IMAGINE_MODEL="gpt-image-2")
        ran = await run_cli("models", "--check", env=env, cwd=tmp_path)
        sent = fake.requests[0].headers["authorization"]

    assert ran.code == 0, ran.err
    said = statuses(ran.out)
    assert (said["gpt-image-2"], said["gpt-image-2.5-flare"]) == ("served", "retired")
    assert said["gpt-image-2.6-flare"] == "not served"
    assert sent == f"Bearer {KEY}"


async def test_a_gateway_without_a_models_list_is_not_an_error(
    tmp_path: Path, fake: FakeGateway
) -> None:
    fake.models.style = None  # 404
    env = gateway_env(tmp_path, fake)
    text = await run_cli("models", "--check", env=env, cwd=tmp_path)
    as_json = await run_cli("models", "--check", "--json", env=env, cwd=tmp_path)

    assert text.code == as_json.code == 0
    assert text.out.splitlines()[0] == (
        f"Could not check the gateway at {fake.url}: "
        "the gateway publishes no models list (HTTP 404)."
    )
    assert statuses(text.out)["openai/gpt-image-1"] == "retired"  # known from the catalog
    assert statuses(text.out)[GPT2] == "active, default"  # no verdict without a list
    data = as_json.json()
    assert data["checked"] is False
    assert data["note"] == "the gateway publishes no models list (HTTP 404)"
    assert {m["name"]: m["served"] for m in data["models"]}[GPT2] is None


async def test_models_without_check_lists_the_catalog_and_calls_nothing(
    tmp_path: Path, fake: FakeGateway
) -> None:
    ran = await run_cli("models", env=gateway_env(tmp_path, fake), cwd=tmp_path)

    assert ran.code == 0, ran.err
    lines = ran.out.splitlines()
    assert lines[0] == f"{GPT2}  active, default"
    assert lines[1] == (
        "  sizes: any WxH with sides in multiples of 16, up to 3840 on a side, shapes from 1:3 "
        "to 3:1, 655,360-8,294,400 pixels or auto; qualities: low, medium, high, auto; "
        "n up to 10; formats: png, jpeg, webp; edits, masks, transparent backgrounds"
    )
    assert lines[2] == (
        "  prices: $5 text in, $8 image in, $30 image out per M tokens; "
        "per 1024x1024 image: low $0.006, medium $0.053, high $0.211"
    )
    assert "bfl/flux-kontext-pro  active" in lines
    assert fake.requests == []


async def test_run_checks_the_models_once_logs_a_missing_one_and_readyz_says_so(
    tmp_path: Path, fake: FakeGateway
) -> None:
    fake.models.served = ["openai/gpt-image-1"]
    port = free_port()
    problem = (
        "the gateway does not serve the model openai/gpt-image-2 (IMAGINE_MODEL); "
        "see imagine-bot models --check"
    )
    async with FakeSlack() as slack, httpx.AsyncClient() as http:
        env = slack_env(tmp_path, slack, fake, port)
        async with bot_process(tmp_path, env) as process:
            answer = await until_readyz_answers(http, port, process)
            process.send_signal(signal.SIGTERM)
            _, err = await asyncio.wait_for(process.communicate(), 30)

    assert answer.status_code == 503
    assert answer.text == f"{problem}\n"
    log = err.decode()
    assert log.count(problem) == 1 and f"ERROR bot.entry.run: {problem}" in log
    assert [r.path for r in fake.requests] == ["/v1/models"]


async def until_readyz_answers(
    http: httpx.AsyncClient, port: int, process: asyncio.subprocess.Process
) -> httpx.Response:
    """/readyz once the adapters are up: only the model's problem is left to report."""
    for _ in range(300):
        assert process.returncode is None
        try:
            answer = await http.get(f"http://127.0.0.1:{port}/readyz")
            if "not connected" not in answer.text:
                return answer
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.1)
    raise AssertionError("imagine-bot never answered /readyz")


async def test_usage_shows_each_model_and_where_its_cost_came_from(
    tmp_path: Path, fake: FakeGateway
) -> None:
    fake.models.served = [GPT2, "bfl/flux-kontext-pro"]
    env = gateway_env(tmp_path, fake, IMAGINE_MODELS="bfl/flux-kontext-pro")
    for prompt in (PROMPT, f"{PROMPT} --model bfl/flux-kontext-pro"):
        made = await run_cli("generate", prompt, env=env, cwd=tmp_path)
        assert made.code == 0, made.err
    text = await run_cli("usage", env=env, cwd=tmp_path)
    as_json = await run_cli("usage", "--json", env=env, cwd=tmp_path)

    assert text.out.splitlines()[-3:] == [
        "By model this month (cost from):",
        "  bfl/flux-kontext-pro (the model's price table): 1 image ($0.04)",
        "  openai/gpt-image-2 (tokens x the model's rates): 1 image ($0.032)",
    ]
    assert as_json.json()["by_model"] == [
        {"model": "bfl/flux-kontext-pro", "cost_source": "table", "images": 1, "cost_usd": 0.04},
        {"model": GPT2, "cost_source": "tokens", "images": 1, "cost_usd": 0.031715},
    ]


async def test_a_model_the_catalog_lacks_is_tried_like_gpt_image_2_with_a_warning(
    tmp_path: Path,
) -> None:
    async with FakeGateway(models=[GPT2, "vendor/new-model"]) as fake:
        env = gateway_env(
            tmp_path, fake, IMAGINE_MODEL="vendor/new-model", IMAGINE_LOG_LEVEL="INFO"
        )
        ran = await run_cli("generate", PROMPT, "--size", "2048x1152", env=env, cwd=tmp_path)
        [sent] = fake.image_requests

    assert ran.code == 0, ran.err
    assert (
        ran.err.count(
            "the model catalog does not know vendor/new-model (IMAGINE_MODEL): its sizes, options "
            "and prices are taken as gpt-image-2's until IMAGINE_MODELS_FILE describes it"
        )
        == 1
    )
    assert (sent.fields["model"], sent.fields["size"]) == ("vendor/new-model", "2048x1152")
    [row] = await ledger_rows(env=env, cwd=tmp_path)
    assert (row["model"], row["cost_source"]) == ("vendor/new-model", "tokens")


async def test_a_broken_models_file_is_one_line_each(tmp_path: Path, fake: FakeGateway) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    odd = models_file(tmp_path, {"id": "odd", "status": "gone", "prices": {}})
    runs = [
        await run_cli(
            "generate", PROMPT, env=gateway_env(tmp_path, fake, IMAGINE_MODELS_FILE=path),
            cwd=tmp_path,
        )
        for path in (str(tmp_path / "missing.json"), str(broken))
    ]  # fmt: skip
    runs.append(
        await run_cli(
            "models", env=gateway_env(tmp_path, fake, IMAGINE_MODELS_FILE=odd), cwd=tmp_path
        )
    )

    assert [r.code for r in runs] == [2] * 3
    assert [r.err for r in runs] == [
        f"imagine-bot: Invalid setting IMAGINE_MODELS_FILE: cannot read {tmp_path}/missing.json: "
        "No such file or directory\n",
        f"imagine-bot: Invalid setting IMAGINE_MODELS_FILE: {broken} is not JSON "
        "(Expecting property name enclosed in double quotes: line 1 column 2 (char 1))\n",
        "imagine-bot: Invalid setting IMAGINE_MODELS_FILE: odd: status must be one of active, "
        "deprecated, shut_down\n",
    ]
    assert fake.image_requests == []


async def test_a_retired_model_offered_in_imagine_models_is_refused_naming_that_setting(
    tmp_path: Path, fake: FakeGateway
) -> None:
    env = gateway_env(tmp_path, fake, IMAGINE_MODELS="openai/gpt-image-1.5")
    ran = await run_cli("generate", PROMPT, "--model", "gpt-image-1.5", env=env, cwd=tmp_path)

    assert (ran.code, ran.err) == (
        1,
        "imagine-bot: The model openai/gpt-image-1.5 was shut down on 2026-12-01 and makes no "
        "more images: set IMAGINE_MODELS to its replacement, openai/gpt-image-2. "
        f"{NOT_CHARGED}\n",
    )
    assert fake.image_requests == []
    assert await ledger_rows(env=env, cwd=tmp_path) == []
