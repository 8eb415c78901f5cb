"""`imagine-bot run | generate | edit | vary | models | deliver | usage | limits |
dashboard-link | migrate`.

Exit status: 0 done; 1 the request was refused or failed; 2 bad usage or configuration;
130 interrupted. With --json, stdout holds exactly one JSON object whatever the outcome.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import json
import logging
import os
import sys
import tempfile
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from importlib.metadata import version
from pathlib import Path
from typing import Any

from bot import images, reports
from bot.config import Settings, load_settings
from bot.delivery import DeliveryFailed
from bot.entry.cliargs import Parser, UsageError, wants_json
from bot.entry.envnames import unknown_names
from bot.entry.logs import setup_logging
from bot.entry.web_cli import add_dashboard_link
from bot.entry.wiring import App, open_app, require_gateway_key
from bot.errors import BadRequest, ConfigError, GatewayMisconfigured, UserFacingError, plural
from bot.limits import check_scope, describe_change
from bot.models import Actor, ImageRequest, Result, Scope, SourceImage

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
            _print_error(exc)
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
        return _fail(exc, as_json)
    except KeyboardInterrupt:
        _fail(Interrupted("Interrupted."), as_json)
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


def _scope_options(parser: argparse.ArgumentParser, default: str | None = None) -> None:
    parser.add_argument("--platform", default=default, help="cli, discord or slack")
    parser.add_argument("--workspace", default=default, help="guild or team id ('*' for all)")
    parser.add_argument("--channel", default=default, help="channel id ('*' for all)")


def build_parser() -> argparse.ArgumentParser:
    """The command line, with these exact names (scripts depend on them)."""
    parser = Parser(prog="imagine-bot", description=__doc__)
    parser.add_argument("--version", action="version", version=f"%(prog)s {version('imagine-bot')}")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="start the Discord and/or Slack bot")
    run.add_argument("--offline", action="store_true", help="draw placeholders, call nothing")

    gen = sub.add_parser("generate", help="make images from a prompt")
    gen.add_argument("prompt")
    _image_options(gen)
    gen.set_defaults(func=cmd_image)

    edit = sub.add_parser("edit", help="change images as a prompt says")
    edit.add_argument("prompt")
    edit.add_argument("images", nargs="+", type=Path, metavar="IMAGE")
    edit.add_argument("--mask", type=Path, help="PNG whose transparent parts may change")
    _image_options(edit)
    edit.set_defaults(func=cmd_image)

    vary = sub.add_parser("vary", help="make variations of an image")
    vary.add_argument("images", nargs=1, type=Path, metavar="IMAGE")
    _image_options(vary)
    vary.set_defaults(func=cmd_image, prompt="")

    deliver = sub.add_parser("deliver", help="write the kept images of a request into --out")
    deliver.add_argument("request_id", metavar="REQUEST_ID")
    deliver.add_argument("--out", type=Path, default=Path("."), help="folder to write images to")
    deliver.add_argument("--user", default=None, help="who asked (default: your OS user)")
    deliver.add_argument("--json", action="store_true", help="print one JSON object")
    deliver.set_defaults(func=cmd_deliver)

    usage = sub.add_parser("usage", help="show usage (of a user, or of a scope)")
    _scope_options(usage)
    usage.add_argument("--user", help="one user's usage and what remains")
    usage.add_argument("--json", action="store_true")
    usage.set_defaults(func=cmd_usage)
    usage_sub = usage.add_subparsers(dest="usage_command")
    export = usage_sub.add_parser("export", help="write the ledger as CSV (of a scope, a user)")
    _scope_options(export, default=argparse.SUPPRESS)
    export.add_argument("--user", default=argparse.SUPPRESS, help="only this user's rows")
    export.add_argument("--since", required=True, type=_date, help="YYYY-MM-DD (UTC)")
    export.add_argument("--until", type=_date, help="YYYY-MM-DD, exclusive (default: now)")
    export.add_argument("--out", type=Path, help="CSV file (default: stdout)")
    export.set_defaults(func=cmd_export)

    limits = sub.add_parser("limits", help="show or set limits")
    limits_sub = limits.add_subparsers(dest="limits_command", required=True)
    show = limits_sub.add_parser("show", help="the effective limits of a scope")
    _scope_options(show)
    show.add_argument("--json", action="store_true")
    show.set_defaults(func=cmd_limits_show)
    set_ = limits_sub.add_parser("set", help="set limits: KEY=VALUE ... (KEY= clears)")
    _scope_options(set_)
    set_.add_argument("assignments", nargs="+", metavar="KEY=VALUE")
    set_.set_defaults(func=cmd_limits_set)

    models = sub.add_parser("models", help="list the image models, their sizes and prices")
    models.add_argument("--check", action="store_true", help="ask the gateway which it serves")
    models.add_argument("--json", action="store_true", help="print one JSON object")

    add_dashboard_link(sub)

    migrate = sub.add_parser("migrate", help="apply database migrations")
    migrate.add_argument(
        "--from", dest="source", help="copy a SQLite ledger: sqlite:///path/imagine.db"
    )
    return parser


def _date(text: str) -> datetime:
    try:
        return datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date: {text!r} (use YYYY-MM-DD)") from None


def _scope(args: argparse.Namespace) -> Scope:
    if not (args.platform or args.workspace or args.channel):
        return Scope("cli", "local", "local")
    return Scope(args.platform or "cli", args.workspace or "*", args.channel or "*")


def _print_error(exc: UserFacingError) -> None:
    error = {"kind": exc.kind, "message": exc.message, "charged": exc.charged}
    print(json.dumps({"ok": False, "error": error}))


def _fail(exc: UserFacingError, as_json: bool) -> int:
    if as_json:
        _print_error(exc)
    print(f"imagine-bot: {exc.message}", file=sys.stderr)
    return 2 if isinstance(exc, ConfigError | GatewayMisconfigured | BadRequest) else 1


async def cmd_image(app: App, args: argparse.Namespace) -> int:
    """generate / edit / vary from the terminal, writing the images into --out."""
    require_gateway_key(app.settings, args.offline)
    try:
        await asyncio.to_thread(_make_folder, args.out)
        result = await _run_image(app, args)
        paths = await _deliver(app, result, args)
    except UserFacingError as exc:
        return _fail(exc, args.json)
    _report(result, paths, args.json)
    return 0


async def cmd_deliver(app: App, args: argparse.Namespace) -> int:
    """Write the kept images of a request whose delivery failed into --out."""
    actor = Actor("cli", "local", "local", args.user or getpass.getuser())
    try:
        await asyncio.to_thread(_make_folder, args.out)
        result = await app.handler.deliver_again(args.request_id, actor)
        paths = await _deliver(app, result, args)
    except UserFacingError as exc:
        return _fail(exc, args.json)
    _report(result, paths, args.json)
    return 0


async def _deliver(app: App, result: Result, args: argparse.Namespace) -> list[Path]:
    """Write a result into --out; when that fails its images stay kept, and the error says
    where and the command that writes them."""
    user = f" --user {args.user}" if args.user else ""
    again = (
        f"The ledger database {app.handler.deliveries.kept_where} holds them; once {args.out} "
        f"can be written (or into another folder), write them with: "
        f"imagine-bot deliver {result.request_id} --out {args.out}{user}"
    )

    async def write() -> list[Path]:
        return await asyncio.to_thread(_write_images, result, args.out)

    return await app.handler.deliver(result, write, again=again)


def _report(result: Result, paths: list[Path], as_json: bool) -> None:
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
    print(
        f"{len(paths)} image(s), estimated cost ${result.cost_usd:.3f}, "
        f"request {result.request_id}",
        file=sys.stderr,
    )


async def _run_image(app: App, args: argparse.Namespace) -> Result:
    typed: dict[str, str | int | None] = {
        "model": args.model,
        "size": args.size,
        "quality": args.quality,
        "n": args.n,
        "format": args.format,
        "background": args.background,
    }
    handler = app.handler
    sources = await _load_sources(app, getattr(args, "images", []))
    shape = (sources[0].width, sources[0].height) if sources else None
    vary = args.command == "vary"
    prompt, options = handler.parse(args.prompt, typed, require_prompt=not vary, source=shape)
    actor = Actor("cli", "local", "local", args.user or getpass.getuser())
    mask_path: Path | None = getattr(args, "mask", None)
    mask = await _load_mask(mask_path, sources) if mask_path else None
    req = ImageRequest(
        kind=args.command,
        prompt=prompt,
        actor=actor,
        idempotency_key=args.idempotency_key or f"cli-{uuid.uuid4().hex}",
        options=options,
        sources=sources,
        mask=mask,
    )
    run = {"generate": handler.generate, "edit": handler.edit, "vary": handler.vary}
    return await run[args.command](req)


def _read(path: Path, cap: int) -> bytes:
    """The file, refused unread when larger than `cap`; a device is read to one byte past it."""
    try:
        with path.open("rb") as file:
            images.check_size(os.fstat(file.fileno()).st_size, path.name, cap)
            return file.read(cap + 1)
    except OSError as exc:
        raise BadRequest(f"Cannot read {path}: {exc.strerror or exc}.") from None


async def _load_sources(app: App, paths: list[Path]) -> tuple[SourceImage, ...]:
    loaded = []
    cap = app.settings.max_source_bytes
    for path in paths:
        data = await asyncio.to_thread(_read, path, cap)
        loaded.append(await images.load_source(data, filename=path.name, max_bytes=cap))
    return tuple(loaded)


async def _load_mask(path: Path, sources: tuple[SourceImage, ...]) -> SourceImage:
    data = await asyncio.to_thread(_read, path, images.DEFAULT_MASK_INPUT_BYTES)
    return await images.load_mask(data, sources[0], filename=path.name)


def _make_folder(out: Path) -> None:
    """Create --out and prove it takes a file, before anything is charged."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out):
            pass
    except OSError as exc:
        raise BadRequest(f"Cannot write images to {out}: {exc.strerror or exc}.") from None


def _write_images(result: Result, out: Path) -> list[Path]:
    """Each image through a temporary file renamed into place: never a cut-off image."""
    paths = []
    for image in result.images:
        path = out / image.filename
        try:
            _write_atomically(path, image.data)
        except OSError as exc:
            raise DeliveryFailed(
                f"they could not be written to {out}: {exc.strerror or exc}", transient=False
            ) from None
        paths.append(path)
    return paths


def _write_atomically(path: Path, data: bytes) -> None:
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


async def cmd_usage(app: App, args: argparse.Namespace) -> int:
    """A user's usage (with --user) or a scope's totals and top users."""
    scope = _scope(args)
    check_scope(scope, limits=False)
    now = app.handler.clock()
    data: dict[str, Any]
    if args.user:
        actor = Actor(scope.platform, scope.workspace_id, scope.channel_id, args.user)
        user_usage = await app.handler.usage(actor)
        data, text = reports.user_usage_dict(user_usage), reports.format_user_usage(user_usage, now)
    else:
        scope_usage = await app.handler.scope_usage(scope)
        data, text = reports.scope_usage_dict(scope_usage), reports.format_scope_usage(scope_usage)
    print(json.dumps(data) if args.json else text)
    return 0


async def cmd_export(app: App, args: argparse.Namespace) -> int:
    """The ledger between two dates as CSV, of one scope or user if asked ('*' by default)."""
    if args.json:
        raise BadRequest("usage export writes CSV, not JSON: leave out --json.")
    until = args.until or app.handler.clock() + timedelta(seconds=1)
    if until <= args.since:
        raise BadRequest(f"--until {until:%Y-%m-%d} is not after --since {args.since:%Y-%m-%d}.")
    scope = Scope(args.platform or "*", args.workspace or "*", args.channel or "*")
    check_scope(scope, limits=False)
    entries = app.store.export(args.since, until, scope, args.user)
    if args.out is None:
        count = await reports.write_csv(entries, sys.stdout)
    else:
        try:
            out = args.out.open("w", newline="", encoding="utf-8")
        except OSError as exc:
            print(f"imagine-bot: cannot write {args.out}: {exc.strerror or exc}.", file=sys.stderr)
            return 2
        with out:
            count = await reports.write_csv(entries, out)
    print(f"{plural(count, 'row')} exported.", file=sys.stderr)
    return 0


async def cmd_limits_show(app: App, args: argparse.Namespace) -> int:
    """The effective limits of a scope, marking those set there."""
    scope = _scope(args)
    check_scope(scope, limits=True)
    effective = await app.handler.limits_for(scope)
    if args.json:
        print(json.dumps(effective.as_dict()))
    else:
        here = await app.store.get_limits(scope)
        print(reports.format_limits(effective, here))
    return 0


async def cmd_limits_set(app: App, args: argparse.Namespace) -> int:
    """Set or clear limits of exactly one scope; every change is audited."""
    assignments = {}
    for item in args.assignments:
        key, sep, value = item.partition("=")
        if not sep:
            raise BadRequest(f"Expected KEY=VALUE, got {item!r}.")
        assignments[key.strip()] = value
    scope = _scope(args)
    check_scope(scope, limits=True)
    await app.handler.set_limits(scope, assignments, f"cli:{getpass.getuser()}")
    print(describe_change(assignments, scope))
    effective = await app.handler.limits_for(scope)
    print(reports.format_limits(effective, await app.store.get_limits(scope)))
    return 0
