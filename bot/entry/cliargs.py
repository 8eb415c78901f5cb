"""The command line's parser: argparse that raises instead of exiting, so --json can answer."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import NoReturn

from bot.errors import UserFacingError


class UsageError(UserFacingError):
    """The command line cannot be parsed; raised instead of argparse's exit."""

    kind = "usage"
    states_charge = False

    def __init__(self, parser: argparse.ArgumentParser, message: str) -> None:
        super().__init__(f"{parser.prog}: {message}")
        self.parser = parser
        self.reason = message


class Parser(argparse.ArgumentParser):
    """argparse, raising UsageError so that every exit path can answer in JSON."""

    def error(self, message: str) -> NoReturn:
        """Raise instead of printing and exiting."""
        raise UsageError(self, message)


def wants_json(argv: Sequence[str]) -> bool:
    """Whether --json (or an abbreviation argparse would accept) is among the options."""
    options = argv[: argv.index("--")] if "--" in argv else argv
    return any(len(a) > 2 and "--json".startswith(a.split("=")[0]) for a in options)
