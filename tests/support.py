"""Shared helpers for end-to-end tests: settings, the real `imagine-bot` CLI, the fake gateway.

    settings = make_settings(tmp_path, IMAGINE_GATEWAY_URL=fake.url)   # in-process Settings
    env = cli_env(tmp_path, IMAGINE_GATEWAY_URL=fake.url)              # a minimal environment
    ran = await run_cli("generate", "a fox", "--json", env=env, cwd=tmp_path)
    async with GatewayProcess(delay=1.0) as gateway: ...               # the fake as a process

The CLI runs as its own OS process in `cwd` (tmp_path, so no `.env` of the repo is read),
with only PATH, HOME, PYTHONPATH (this checkout) and the IMAGINE_* variables given.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import re
import signal
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

import httpx
from PIL import Image

from bot.config import Settings, load_settings
from bot.gateway.client import GatewayClient, build_http_client
from bot.handler import ImagineHandler
from bot.models import Actor, GeneratedImage, LedgerEntry, Progress, Scope, TokenUsage
from bot.store import Store, open_store
from bot.usage import ScopeUsage, UserUsage

ROOT = Path(__file__).resolve().parents[1]
CLI = Path(sys.executable).with_name("imagine-bot")
KEY = "sk-test-7d41f0c9-SECRET-e2e"
MODEL = "openai/gpt-image-2"
RESETS = r"it resets at 00:00 UTC, in (\d+ h( \d+ min)?|\d+ min|\d+ s)\."

# what a person reads when the image service fails, word for word
UNAVAILABLE = (
    "The image service is unavailable right now. You were not charged. Try again in a few minutes."
)
RATE_LIMITED = (
    "The image service is busy (rate limited). You were not charged. Try again in a minute."
)
BLOCKED = (
    "Your request was blocked by the image service's safety system. You were not charged. "
    "Try rewording the prompt."
)
QUOTA = (
    "The bot's image service account has run out of credit. You were not charged. "
    "Tell the bot's admin: they need to add credit with the provider."
)
EDIT_UNSUPPORTED = (
    "This image service cannot edit images. You were not charged. "
    "Tell the bot's admin to configure a gateway that supports edits."
)


def misconfigured(detail: str) -> str:
    """The message of a bot that is set up wrongly."""
    return f"The bot is misconfigured: {detail}. You were not charged. Tell the bot's admin."


def unusable(detail: str) -> str:
    """The message of an answer the bot could not use."""
    return f"The image service sent an unusable answer ({detail}). You were not charged. Try again."


def database_url(tmp_path: Path) -> str:
    """The SQLite ledger of one test."""
    return f"sqlite:///{tmp_path / 'imagine.db'}"


def make_settings(tmp_path: Path, **env: Any) -> Settings:
    """Settings from IMAGINE_* names (no .env file), with a fresh ledger in tmp_path."""
    values: dict[str, Any] = {
        "IMAGINE_DATABASE_URL": database_url(tmp_path),
        "IMAGINE_GATEWAY_KEY": KEY,
    }
    return load_settings(env_file=None, **(values | env))


@asynccontextmanager
async def gateway_handler(settings: Settings) -> AsyncIterator[ImagineHandler]:
    """A handler on the settings' store, calling their gateway through the real client."""
    store = await open_store(settings.database_url)
    try:
        async with build_http_client(settings) as http:
            yield ImagineHandler(settings, store, GatewayClient.from_settings(http, settings))
    finally:
        await store.close()


def cli_env(tmp_path: Path, **env: str) -> dict[str, str]:
    """A minimal environment for the CLI: PATH, HOME, this checkout, the ledger, the key."""
    base = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "PYTHONPATH": str(ROOT),
        "IMAGINE_DATABASE_URL": database_url(tmp_path),
        "IMAGINE_GATEWAY_KEY": KEY,
    }
    return base | env


def gateway_env(tmp_path: Path, gateway: Any, **env: str) -> dict[str, str]:
    """`cli_env` pointed at a fake gateway (anything with a `.url`)."""
    return cli_env(tmp_path, IMAGINE_GATEWAY_URL=gateway.url, **env)


def models_file(tmp_path: Path, *entries: dict[str, object]) -> str:
    """An IMAGINE_MODELS_FILE holding `entries`; returns its path."""
    path = tmp_path / "models.json"
    path.write_text(json.dumps({"models": list(entries)}))
    return str(path)


@dataclass(frozen=True)
class Ran:
    """One finished CLI process."""

    code: int
    out: str
    err: str

    def json(self) -> Any:
        """Stdout as the one JSON object it must be."""
        return json.loads(self.out)

    @property
    def text(self) -> str:
        """Stdout and stderr together."""
        return self.out + self.err


async def start_cli(*args: str, env: dict[str, str], cwd: Path) -> asyncio.subprocess.Process:
    """Start `imagine-bot ARGS...` with pipes for stdout and stderr."""
    return await asyncio.create_subprocess_exec(
        str(CLI),
        *args,
        env=env,
        cwd=cwd,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def finish(process: asyncio.subprocess.Process, timeout: float = 90) -> Ran:
    """Wait for a CLI process and collect what it printed."""
    out, err = await asyncio.wait_for(process.communicate(), timeout)
    assert process.returncode is not None
    return Ran(process.returncode, out.decode(), err.decode())


async def run_cli(*args: str, env: dict[str, str], cwd: Path) -> Ran:
    """Run `imagine-bot ARGS...` to the end."""
    return await finish(await start_cli(*args, env=env, cwd=cwd))


async def run_all(argvs: list[list[str]], *, env: dict[str, str], cwd: Path) -> list[Ran]:
    """Start every command at once (all started before any is awaited), then collect them."""
    processes = [await start_cli(*argv, env=env, cwd=cwd) for argv in argvs]
    return list(await asyncio.gather(*(finish(p) for p in processes)))


async def user_usage(user: str, *, env: dict[str, str], cwd: Path) -> dict[str, Any]:
    """`imagine-bot usage --user U --json` for the CLI's own scope."""
    ran = await run_cli("usage", "--user", user, "--json", env=env, cwd=cwd)
    assert ran.code == 0, ran.err
    data: dict[str, Any] = ran.json()
    return data


async def ledger_rows(*, env: dict[str, str], cwd: Path) -> list[dict[str, str]]:
    """Every ledger row, through `imagine-bot usage export` as CSV."""
    ran = await run_cli("usage", "export", "--since", "2000-01-01", env=env, cwd=cwd)
    assert ran.code == 0, ran.err
    return list(csv.DictReader(io.StringIO(ran.out)))


def limit_message(used: str, key: str) -> re.Pattern[str]:
    """The whole LimitReached text of a daily limit ('You have used 2 of your 2 images
    today'); only the time left until midnight UTC varies."""
    return re.compile(
        re.escape(f"imagine-bot: {used} ({key}); ")
        + RESETS
        + re.escape(" You were not charged.")
        + r"\n"
    )


class GatewayProcess:
    """`python -m tests.fakes.gateway` as its own process, scripted over HTTP."""

    def __init__(self, *, delay: float = 0.0, key: str | None = None) -> None:
        self.delay, self.key = delay, key
        self.url = ""
        self._process: asyncio.subprocess.Process | None = None

    @property
    def origin(self) -> str:
        """http://127.0.0.1:<port>"""
        return self.url.removesuffix("/v1")

    async def __aenter__(self) -> GatewayProcess:
        args = ["-m", "tests.fakes.gateway", "--port", "0", "--delay", str(self.delay)]
        if self.key is not None:
            args += ["--key", self.key]
        self._process = await asyncio.create_subprocess_exec(
            sys.executable, *args, cwd=ROOT, stdout=asyncio.subprocess.PIPE
        )
        assert self._process.stdout is not None
        line = await asyncio.wait_for(self._process.stdout.readline(), 30)
        self.url = line.decode().strip()
        assert self.url.startswith("http://127.0.0.1:"), self.url
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        assert self._process is not None
        self._process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(self._process.wait(), 30)

    async def requests(self) -> list[dict[str, Any]]:
        """The image requests the fake received, oldest first."""
        async with httpx.AsyncClient() as http:
            seen = (await http.get(f"{self.origin}/_fake/requests")).json()
        return [r for r in seen["requests"] if "/images" in r["path"]]

    async def fail(self, name: str, times: int | None = 1, **params: Any) -> None:
        """Script a fault for the next `times` image requests (None: every one)."""
        async with httpx.AsyncClient() as http:
            spec = {"name": name, "times": times, **params}
            (await http.post(f"{self.origin}/_fake/faults", json=spec)).raise_for_status()


class Held:
    """A progress callback that holds its request once it has started, until `release()`."""

    def __init__(self) -> None:
        self.started = asyncio.Event()
        self._released = asyncio.Event()

    async def __call__(self, progress: Progress) -> None:
        if progress.stage == "started":
            self.started.set()
            await self._released.wait()

    def release(self) -> None:
        """Let the held request go on."""
        self._released.set()


async def wait_until(condition: Callable[[], bool]) -> None:
    """Wait (at most 30 s) for something another task or process will do."""
    async with asyncio.timeout(30):
        while not condition():  # noqa: ASYNC110 - the state belongs to code with no event to await
            await asyncio.sleep(0.01)


def image_tokens(prompt: int, made: int, *, sources: int = 0) -> TokenUsage:
    """A gpt-image model's count: `prompt` text and `sources` image tokens in, `made` image
    tokens out."""
    return TokenUsage(
        input_tokens=prompt + sources,
        output_tokens=made,
        input_text_tokens=prompt,
        input_image_tokens=sources,
        output_image_tokens=made,
    )


def write_png(path: Path, size: tuple[int, int], mode: str = "RGB") -> Path:
    """A small real PNG of a given size."""
    colour: Any = (40, 120, 200, 0) if mode == "RGBA" else (40, 120, 200)
    Image.new(mode, size, colour).save(path, format="PNG")
    return path


def picture(data: bytes | Path) -> tuple[str | None, tuple[int, int]]:
    """The format and size of an image file or its bytes."""
    raw = data.read_bytes() if isinstance(data, Path) else data
    with Image.open(io.BytesIO(raw)) as image:
        return image.format, image.size


def decoded(data: bytes) -> Image.Image:
    """An image's bytes decoded, as RGBA."""
    img = Image.open(io.BytesIO(data))
    img.load()
    return img.convert("RGBA")


def alpha_range(img: Image.Image, box: tuple[int, int, int, int]) -> tuple[int, int]:
    """The lowest and the highest alpha inside `box` (left, top, right, bottom)."""
    low, high = img.getchannel("A").crop(box).getextrema()
    return int(low), int(high)


class RunningBot(Protocol):
    """A running adapter in a test (Discord's or Slack's): its handler, store and ledger."""

    @property
    def handler(self) -> ImagineHandler: ...

    @property
    def store(self) -> Store: ...

    async def entries(self) -> list[LedgerEntry]: ...


@dataclass(frozen=True)
class Standing:
    """Where the one request of a test stands: its ledger row, what its asker and its channel
    have used today, and the images kept for it."""

    entry: LedgerEntry
    mine: UserUsage
    report: ScopeUsage
    kept: tuple[GeneratedImage, ...]


async def standing(bot: RunningBot, asker: Actor, channel: Scope) -> Standing:
    """The `Standing` of the only request in `bot`'s ledger."""
    [entry] = await bot.entries()
    return Standing(
        entry,
        await bot.handler.usage(asker),
        await bot.handler.scope_usage(channel),
        await bot.store.kept_results(entry.id),
    )


def parse_time(text: str) -> datetime:
    """A timestamp as the CSV export writes it."""
    return datetime.fromisoformat(text)


REQUEST_NAMED = re.compile(r" \(request [0-9a-f]{8}\)(?=\n?$)")


def unnamed(text: str) -> str:
    """A failure after its ledger row was made, without the '(request 1a2b3c4d)' it must end
    with (the id is random); fails when the text names no request."""
    found = REQUEST_NAMED.search(text)
    assert found is not None, f"no request id in {text!r}"
    return text[: found.start()] + text[found.end() :]


def unnamed_json(answer: dict[str, Any]) -> dict[str, Any]:
    """A --json failure with its error message `unnamed`."""
    error = dict(answer["error"])
    error["message"] = unnamed(error["message"])
    return answer | {"error": error}
