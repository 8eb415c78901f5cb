"""The terminal as a surface: `imagine-bot generate | edit | vary | deliver` write images
into --out through the same runner as Discord and Slack."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import json
import os
import sys
import tempfile
import uuid
from pathlib import Path

from bot import images, reports
from bot.delivery import DeliveryFailed
from bot.entry import controls_cli
from bot.entry.wiring import App, require_gateway_key
from bot.errors import BadRequest, ConfigError, Duplicate, UserFacingError
from bot.gateway.errors import GatewayMisconfigured
from bot.models import Actor, Result, SourceImage
from bot.requests import Ask, Failure, Headline, Pace
from bot.requests.ask import Sources


class Terminal:
    """One request shown in the terminal: images into a folder, the outcome kept for exit."""

    pace: Pace | None = None

    def __init__(self, out: Path, user: str | None, kept_where: str) -> None:
        self.out = out
        self.user = user
        self.kept_where = kept_where
        self.result: Result | None = None
        self.paths: list[Path] = []
        self.failure: Failure | None = None

    async def acknowledge(self, headline: Headline) -> bool:
        """Nothing to show: the command waits for its images."""
        return True

    async def progress(self, text: str, preview: bytes | None) -> None:
        """Nothing to show: stdout holds only the image paths (or one JSON object)."""

    async def deliver(self, result: Result) -> None:
        """Write the images into --out."""
        self.paths = await asyncio.to_thread(write_images, result, self.out)
        self.result = result

    async def fail(self, failure: Failure) -> None:
        """Keep the failure for the exit status and the error message."""
        self.failure = failure

    async def drop(self, text: str | None = None) -> None:
        """The idempotency key ran before: say so, and charge nothing."""
        duplicate = Duplicate()
        self.failure = Failure(text or duplicate.message, duplicate)

    def again(self, request_id: str) -> str:
        """The command that writes kept images once --out can take them."""
        user = f" --user {self.user}" if self.user else ""
        return (
            f"The ledger database {self.kept_where} holds them; once {self.out} can be written "
            f"(or into another folder), write them with: "
            f"imagine-bot deliver {request_id} --out {self.out}{user}"
        )


async def cmd_image(app: App, args: argparse.Namespace) -> int:
    """generate / edit / vary and the creative controls from the terminal, writing the
    images into --out."""
    require_gateway_key(app.settings, args.offline)
    typed: dict[str, str | int | None] = {
        "model": args.model,
        "size": args.size,
        "quality": args.quality,
        "n": args.n,
        "format": args.format,
        "background": args.background,
        "avoid": getattr(args, "avoid", None),
    }
    paths: list[Path] = getattr(args, "images", [])
    mask: Path | None = getattr(args, "mask", None)
    try:
        control = controls_cli.control_of(args) if controls_cli.is_control(args) else ""
    except UserFacingError as exc:
        return fail(exc.message, exc, args.json)
    ask = Ask(
        kind="control" if control else args.command,
        actor=actor_of(args),
        key=args.idempotency_key or f"cli-{uuid.uuid4().hex}",
        text=args.prompt,
        typed=typed,
        sources=file_sources(app, paths),
        mask=None if mask is None else mask_source(app, mask, paths),
        control=control,
    )
    return await run(app, ask, args)


async def cmd_deliver(app: App, args: argparse.Namespace) -> int:
    """Write the kept images of a request whose delivery failed into --out."""
    ask = Ask("deliver", actor_of(args), f"cli-{uuid.uuid4().hex}", parent_id=args.request_id)
    return await run(app, ask, args)


async def run(app: App, ask: Ask, args: argparse.Namespace) -> int:
    """Run `ask` in the terminal; print the images (or the error) and return the exit status."""
    try:
        await asyncio.to_thread(make_folder, args.out)
    except UserFacingError as exc:
        return fail(exc.message, exc, args.json)
    terminal = Terminal(args.out, args.user, app.handler.deliveries.kept_where)
    await app.runner.submit(ask, terminal)
    if terminal.failure is not None:
        return fail(terminal.failure.text, terminal.failure.error, args.json)
    if terminal.result is not None:
        report(terminal.result, terminal.paths, args.json)
    return 0


def actor_of(args: argparse.Namespace) -> Actor:
    """The person charged: --user, else the OS user."""
    return Actor("cli", "local", "local", args.user or getpass.getuser())


def fail(text: str, error: UserFacingError | None, as_json: bool) -> int:
    """Print the error (also as JSON with --json); 2 for bad usage or configuration, else 1."""
    if as_json:
        kind = "internal" if error is None else error.kind
        charged = False if error is None else error.charged
        print(
            json.dumps({"ok": False, "error": {"kind": kind, "message": text, "charged": charged}})
        )
    print(f"imagine-bot: {text}", file=sys.stderr)
    return 2 if isinstance(error, ConfigError | GatewayMisconfigured | BadRequest) else 1


def report(result: Result, paths: list[Path], as_json: bool) -> None:
    """The written paths on stdout (or one JSON object), the cost and notes on stderr."""
    for line in reports.notes(result.warnings):
        print(line, file=sys.stderr)
    if as_json:
        made = {
            "ok": True,
            "request_id": result.request_id,
            "images": [str(p) for p in paths],
            "cost_usd": result.cost_usd,
        }
        print(json.dumps(made | ({"warnings": list(result.warnings)} if result.warnings else {})))
        return
    print("\n".join(str(p) for p in paths))
    left = f"; {result.remaining}" if result.remaining else ""
    print(
        f"{len(paths)} image(s), estimated cost ${result.cost_usd:.3f}, "
        f"request {result.request_id}{left}",
        file=sys.stderr,
    )


def file_sources(app: App, paths: list[Path]) -> Sources:
    """The images of `paths`, read and checked when the runner asks for them."""

    async def load() -> tuple[SourceImage, ...]:
        cap = app.settings.max_source_bytes
        loaded = []
        for path in paths:
            data = await asyncio.to_thread(read_file, path, cap)
            loaded.append(await images.load_source(data, filename=path.name, max_bytes=cap))
        return tuple(loaded)

    return load


def mask_source(app: App, mask: Path, paths: list[Path]) -> Sources:
    """The mask of an edit, checked against its first image."""

    async def load() -> tuple[SourceImage, ...]:
        [first] = await file_sources(app, paths[:1])()
        data = await asyncio.to_thread(read_file, mask, images.DEFAULT_MASK_INPUT_BYTES)
        return (await images.load_mask(data, first, filename=mask.name),)

    return load


def read_file(path: Path, cap: int) -> bytes:
    """The file, refused unread when larger than `cap`; a device is read to one byte past it."""
    try:
        with path.open("rb") as file:
            images.check_size(os.fstat(file.fileno()).st_size, path.name, cap)
            return file.read(cap + 1)
    except OSError as exc:
        raise BadRequest(f"Cannot read {path}: {exc.strerror or exc}.") from None


def make_folder(out: Path) -> None:
    """Create --out and prove it takes a file, before anything is charged."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out):
            pass
    except OSError as exc:
        raise BadRequest(f"Cannot write images to {out}: {exc.strerror or exc}.") from None


def write_images(result: Result, out: Path) -> list[Path]:
    """Each image through a temporary file renamed into place: never a cut-off image."""
    paths = []
    for image in result.images:
        path = out / image.filename
        try:
            write_atomically(path, image.data)
        except OSError as exc:
            raise DeliveryFailed(
                f"they could not be written to {out}: {exc.strerror or exc}", transient=False
            ) from None
        paths.append(path)
    return paths


def write_atomically(path: Path, data: bytes) -> None:
    """Write `data` to a temporary file beside `path`, then rename it into place."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".imagine-", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
