"""The creative controls on the command line (names fixed: scripts rely on them).

    imagine-bot zoom IMAGE [--factor F]                    (1.5, 2 by default, 1.1 to 3)
    imagine-bot pan IMAGE --direction left|right|up|down
    imagine-bot upscale IMAGE
    imagine-bot blend IMAGE IMAGE [IMAGE ...] [--prompt P] [--no TEXT]
    imagine-bot vary IMAGE [--strength subtle|strong]
    imagine-bot generate|edit ... --no TEXT

Each takes the usual options (--model, --out, --json, --user, --offline, ...) and runs
through the runner and `handler.control`, so it is limited, reserved and charged once like
any request; bot/entry/terminal.py loads the images, writes the results and reports as for
`generate`.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot import controls
from bot.canvas import DIRECTIONS
from bot.errors import BadRequest

COMMANDS = ("zoom", "pan", "upscale", "blend")
SIZED_BY_THE_CONTROL = ("zoom", "pan", "upscale", "vary")


def add_commands(
    sub: Any,
    image_options: Callable[[argparse.ArgumentParser], None],
    func: Callable[..., Any],
) -> None:
    """Add `zoom`, `pan`, `upscale` and `blend` to the command line's subcommands."""
    zoom = sub.add_parser("zoom", help="zoom out: the image smaller on a canvas, border filled in")
    zoom.add_argument("images", nargs=1, type=Path, metavar="IMAGE")
    zoom.add_argument("--factor", help="how far to zoom out: 1.5, 2 (default) or 1.1 to 3")
    pan = sub.add_parser("pan", help="extend the image by half its size in one direction")
    pan.add_argument("images", nargs=1, type=Path, metavar="IMAGE")
    pan.add_argument("--direction", required=True, choices=DIRECTIONS)
    upscale = sub.add_parser("upscale", help="re-render at the model's largest size")
    upscale.add_argument("images", nargs=1, type=Path, metavar="IMAGE")
    blend = sub.add_parser("blend", help="blend 2 to 5 images into one")
    blend.add_argument("images", nargs="+", type=Path, metavar="IMAGE")
    blend.add_argument("--prompt", default="", help="how to blend them (optional)")
    add_avoid(blend)
    for parser in (zoom, pan, upscale, blend):
        image_options(parser)
        parser.set_defaults(func=func, prompt="")


def add_avoid(parser: argparse.ArgumentParser) -> None:
    """`--no TEXT`: things to leave out of the image."""
    parser.add_argument("--no", dest="avoid", metavar="TEXT", help="things to leave out")


def add_strength(vary: argparse.ArgumentParser) -> None:
    """`vary --strength subtle|strong`: Vary (Subtle) or Vary (Strong) instead of plain Vary."""
    vary.add_argument("--strength", choices=controls.STRENGTHS, help="subtle or strong")


def is_control(args: argparse.Namespace) -> bool:
    """Whether the command line asks for a control rather than generate, edit or plain vary."""
    return args.command in COMMANDS or bool(getattr(args, "strength", None))


def control_of(args: argparse.Namespace) -> str:
    """The control the command line asks for, as bot/controls.py writes it ('zoom 2')."""
    if args.command == "zoom":
        control = controls.zoom(args.factor)
    elif args.command == "pan":
        control = controls.pan(args.direction)
    elif args.command == "upscale":
        control = controls.UPSCALE
    elif args.command == "blend":
        control = controls.BLEND
    else:
        control = controls.vary(args.strength)
    if args.size and control.kind in SIZED_BY_THE_CONTROL:
        raise BadRequest(
            f"--size does not apply to {args.command}: it sets the size from the image. "
            "Leave out --size."
        )
    return control.text()
