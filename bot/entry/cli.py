"""`imagine-bot run | generate | edit | vary | zoom | pan | upscale | blend | models | deliver |
usage | limits | dashboard-link | migrate` (the creative controls: bot/entry/controls_cli.py).

Exit status: 0 done; 1 the request was refused or failed; 2 bad usage or configuration;
130 interrupted. With --json, stdout holds exactly one JSON object whatever the outcome.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Awaitable, Callable, Sequence
from importlib.metadata import version
from pathlib import Path

from bot.config import Settings, load_settings
from bot.entry import admin_cli, controls_cli
from bot.entry.cliargs import Parser, UsageError, wants_json
from bot.entry.envnames import unknown_names
from bot.entry.logs import setup_logging
from bot.entry.terminal import cmd_deliver, cmd_image, fail
from bot.entry.web_cli import add_dashboard_link
from bot.entry.wiring import App, open_app
from bot.errors import UserFacingError

log = logging.getLogger(__name__)

Command = Callable[[App, argparse.Namespace], Awaitable[int]]


class Interrupted(UserFacingError):
    """Ctrl-C: a request cut short is settled as failed, so nothing is charged for it."""

    kind = "interrupted"


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `imagine-bot` console script."""
    try:
        code = _main(sys.argv[1:] if argv is None else list(argv))
        sys.stdout.flush()
    except BrokenPipeError:
        _drop_stdout()
        return 1
    return code


def _main(argv: list[str]) -> int:
    try:
        args = build_parser().parse_args(argv)
    except UsageError as exc:
        if wants_json(argv):
            fail(exc.message, exc, as_json=True)
        exc.parser.print_usage(sys.stderr)
        print(f"{exc.parser.prog}: error: {exc.reason}", file=sys.stderr)
        return 2
    as_json = bool(getattr(args, "json", False))
    try:
        settings = load_settings()
        quiet = args.command != "run" and "log_level" not in settings.model_fields_set
        setup_logging(settings, level="WARNING" if quiet else None)
        for warning in unknown_names():
            log.warning("%s", warning)
        return asyncio.run(dispatch(settings, args))
    except UserFacingError as exc:
        return fail(exc.message, exc, as_json)
    except KeyboardInterrupt:
        interrupted = Interrupted("Interrupted.")
        fail(interrupted.message, interrupted, as_json)
        return 130


def _drop_stdout() -> None:
    """Whoever read stdout left (`| head`): send the rest nowhere, so exit prints nothing."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


async def dispatch(settings: Settings, args: argparse.Namespace) -> int:
    """Run the chosen command inside one wired app."""
    if args.command == "run":
        from bot.entry.run import run

        return await run(settings, offline=args.offline)
    if args.command == "migrate":
        from bot.store.copy import migrate_command

        return await migrate_command(settings, args.source)
    if args.command == "models":
        from bot.entry.modelsreport import models_command

        return await models_command(settings, as_json=args.json, check=args.check)
    command: Command = args.func
    async with open_app(settings, offline=getattr(args, "offline", False)) as app:
        return await command(app, args)


def _image_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", help="one of IMAGINE_MODELS (default: IMAGINE_MODEL)")
    parser.add_argument("--size", help="WxH the model can make, e.g. 1024x1024 or 2048x1152")
    parser.add_argument("--quality", help="one of the model's qualities, e.g. low, medium, high")
    parser.add_argument("-n", "--n", type=int, dest="n", help="number of images (1-10)")
    parser.add_argument("--format", dest="format", help="png, jpeg or webp")
    parser.add_argument("--background", help="transparent, opaque or auto")
    parser.add_argument("--out", type=Path, default=Path("."), help="folder to write images to")
    parser.add_argument("--user", default=None, help="who is charged (default: your OS user)")
    parser.add_argument("--idempotency-key", help="the same key twice runs and charges once")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--offline", action="store_true", help="draw placeholders, call nothing")


def _image_commands(sub: admin_cli.Subparsers) -> None:
    """generate, edit, vary and the creative controls (bot/entry/controls_cli.py)."""
    gen = sub.add_parser("generate", help="make images from a prompt")
    gen.add_argument("prompt")
    _image_options(gen)
    controls_cli.add_avoid(gen)
    gen.set_defaults(func=cmd_image)

    edit = sub.add_parser("edit", help="change images as a prompt says")
    edit.add_argument("prompt")
    edit.add_argument("images", nargs="+", type=Path, metavar="IMAGE")
    edit.add_argument("--mask", type=Path, help="PNG whose transparent parts may change")
    _image_options(edit)
    controls_cli.add_avoid(edit)
    edit.set_defaults(func=cmd_image)

    vary = sub.add_parser("vary", help="make variations of an image")
    vary.add_argument("images", nargs=1, type=Path, metavar="IMAGE")
    _image_options(vary)
    controls_cli.add_strength(vary)
    vary.set_defaults(func=cmd_image, prompt="")
    controls_cli.add_commands(sub, _image_options, cmd_image)


def build_parser() -> argparse.ArgumentParser:
    """The command line, with these exact names (scripts depend on them)."""
    parser = Parser(prog="imagine-bot", description=__doc__)
    parser.add_argument("--version", action="version", version=f"%(prog)s {version('imagine-bot')}")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="start the Discord and/or Slack bot")
    run.add_argument("--offline", action="store_true", help="draw placeholders, call nothing")

    _image_commands(sub)

    deliver = sub.add_parser("deliver", help="write the kept images of a request into --out")
    deliver.add_argument("request_id", metavar="REQUEST_ID")
    deliver.add_argument("--out", type=Path, default=Path("."), help="folder to write images to")
    deliver.add_argument("--user", default=None, help="who asked (default: your OS user)")
    deliver.add_argument("--json", action="store_true", help="print one JSON object")
    deliver.set_defaults(func=cmd_deliver)

    admin_cli.add_commands(sub)

    models = sub.add_parser("models", help="list the image models, their sizes and prices")
    models.add_argument("--check", action="store_true", help="ask the gateway which it serves")
    models.add_argument("--json", action="store_true", help="print one JSON object")

    add_dashboard_link(sub)

    migrate = sub.add_parser("migrate", help="apply database migrations")
    migrate.add_argument(
        "--from", dest="source", help="copy a SQLite ledger: sqlite:///path/imagine.db"
    )
    return parser
