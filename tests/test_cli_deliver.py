"""The CLI never loses a made image: --out is proved writable before the gateway is called,
images are written through a temporary file and a rename, and when writing still fails
after they were made, they stay kept and `imagine-bot deliver` writes them.

What really fails, as root: /sys/kernel (sysfs takes no new files, whoever asks) before the
call, and --out replaced by a regular file while the gateway is answering (no one can create
a file under a file) after it.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from bot.wording import format_amount
from tests.fakes.gateway import FakeGateway
from tests.support import (
    finish,
    gateway_env,
    ledger_rows,
    picture,
    run_cli,
    start_cli,
    user_usage,
    wait_until,
)

PROMPT = "a red balloon on a wooden table"
SYS = Path("/sys/kernel")


@pytest.fixture
def env(tmp_path: Path, gateway: FakeGateway) -> dict[str, str]:
    """The CLI's environment, calling the fake gateway."""
    return gateway_env(tmp_path, gateway)


def names_in(folder: Path) -> list[str]:
    """The files in a folder (no temporary file left behind)."""
    return sorted(path.name for path in folder.iterdir())


@pytest.mark.skipif(not SYS.is_dir(), reason="needs sysfs at /sys")
async def test_an_out_folder_that_exists_but_takes_no_file_is_refused_before_the_call(
    tmp_path: Path, gateway: FakeGateway, env: dict[str, str]
) -> None:

    ran = await run_cli("generate", PROMPT, "--out", str(SYS), env=env, cwd=tmp_path)

    assert ran.code == 2
    assert ran.err == (
        f"imagine-bot: Cannot write images to {SYS}: Permission denied. You were not charged.\n"
    )
    assert ran.out == ""
    assert gateway.requests == []
    assert await ledger_rows(env=env, cwd=tmp_path) == []


async def test_images_made_but_not_written_are_kept_and_deliver_writes_them(
    tmp_path: Path, gateway: FakeGateway, env: dict[str, str]
) -> None:
    out = tmp_path / "art"
    out.mkdir()
    gateway.fail("delay", seconds=2)

    process = await start_cli(
        *("generate", PROMPT, "-n", "2", "--out", "art", "--user", "alice"), env=env, cwd=tmp_path
    )
    await wait_until(lambda: bool(gateway.image_requests))
    shutil.rmtree(out)
    out.write_text("a file where the folder was")
    ran = await finish(process)

    [row] = await ledger_rows(env=env, cwd=tmp_path)
    request_id = row["id"]
    assert ran.code == 1
    assert ran.out == ""
    assert ran.err == (
        f"imagine-bot: The images of request {request_id[:8]} were made, but they could not "
        "be written to art: Not a directory. They are kept for 48 h and do not count against "
        f"your limits until you receive them. The ledger database {tmp_path / 'imagine.db'} "
        "holds them; once art can be written (or into another folder), write them with: "
        f"imagine-bot deliver {request_id} --out art --user alice\n"
    )
    assert (row["status"], row["images_delivered"], row["delivery"]) == (
        "succeeded",
        "2",
        "undelivered",
    )
    assert float(row["est_cost_usd"]) > 0
    assert (await user_usage("alice", env=env, cwd=tmp_path))["images_today"] == 0
    cost = format_amount(float(row["est_cost_usd"]), "usd")
    report = await run_cli("usage", env=env, cwd=tmp_path)
    assert report.out.splitlines()[:4] == [
        "Today: 2 images (" + cost + "), 0 failed requests (not charged)",
        "This week (from Monday): 2 images (" + cost + ")",
        "This month: 2 images (" + cost + ")",
        "Made but not delivered (included above, not held against people's limits): "
        f"today 2 images ({cost}), this month 2 images ({cost})",
    ]

    deliver = ("deliver", request_id, "--out", "saved", "--user", "alice")
    blocked = await run_cli(
        *deliver[:2], "--out", "art/x", "--user", "alice", env=env, cwd=tmp_path
    )
    assert blocked.code == 2
    assert blocked.err == (
        "imagine-bot: Cannot write images to art/x: Not a directory. You were not charged.\n"
    )
    delivered = await run_cli(*deliver, env=env, cwd=tmp_path)
    again = await run_cli(*deliver, env=env, cwd=tmp_path)

    assert delivered.code == 0, delivered.err
    names = delivered.out.splitlines()
    assert [Path(name).parent for name in names] == [Path("saved")] * 2
    for name in names:
        assert picture(tmp_path / name) == ("PNG", (1024, 1024))
    assert names_in(tmp_path / "saved") == sorted(Path(name).name for name in names)
    assert re.fullmatch(
        rf"2 image\(s\), estimated cost \$\d+\.\d{{3}}, request {request_id}\n", delivered.err
    )
    assert again.code == 2
    assert (
        again.err == f"imagine-bot: The images of request {request_id[:8]} were delivered already. "
        "You were not charged.\n"
    )
    [row] = await ledger_rows(env=env, cwd=tmp_path)
    assert row["delivery"] == "delivered"
    assert (await user_usage("alice", env=env, cwd=tmp_path))["images_today"] == 2
    assert len(gateway.image_requests) == 1


async def test_deliver_is_refused_for_someone_else_and_for_an_unknown_request(
    tmp_path: Path, env: dict[str, str]
) -> None:
    made = await run_cli("generate", PROMPT, "--user", "alice", "--json", env=env, cwd=tmp_path)
    request_id = made.json()["request_id"]

    other = await run_cli("deliver", request_id, "--user", "bob", env=env, cwd=tmp_path)
    unknown = await run_cli("deliver", "0" * 32, env=env, cwd=tmp_path)
    done = await run_cli("deliver", request_id, "--user", "alice", "--json", env=env, cwd=tmp_path)

    assert other.code == 1
    assert other.err == (
        "imagine-bot: Only the person who asked for these images can have them delivered. "
        "You were not charged.\n"
    )
    assert unknown.code == 2
    assert unknown.err == (
        "imagine-bot: That result is no longer known to the bot; start a new /imagine. "
        "You were not charged.\n"
    )
    assert done.code == 2
    assert done.json()["error"]["message"] == (
        f"The images of request {request_id[:8]} were delivered already. You were not charged."
    )
    for ran in (other, unknown, done):
        assert "Traceback" not in ran.err
