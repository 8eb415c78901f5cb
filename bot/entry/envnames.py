"""Environment names: those a setting reads, and a warning for each look-alike that none does.

A misspelt `IMAGINE_MODLE` is otherwise ignored in silence, and the bot runs on the default.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from pathlib import Path

from dotenv import dotenv_values

from bot.config import Settings, env_names

PREFIXES = ("IMAGINE_", "DISCORD_", "SLACK_")
# Names with those prefixes that the code reads but Settings does not: the test suite's
# PostgreSQL admin URL (tests/storefixtures.py), so a developer's shell draws no warning.
OTHER_NAMES = frozenset({"IMAGINE_TEST_POSTGRES_URL"})


def unknown_names(
    env_file: str | None = ".env", environ: Mapping[str, str] | None = None
) -> list[str]:
    """A warning for each IMAGINE_*, DISCORD_* or SLACK_* name that nothing reads."""
    known = sorted({name.upper() for field in Settings.model_fields for name in env_names(field)})
    ignored = set(known) | OTHER_NAMES
    in_file = dotenv_values(env_file) if env_file and Path(env_file).is_file() else {}
    sources = (("", os.environ if environ is None else environ), (f" in {env_file}", in_file))
    found: dict[str, str] = {}
    for where, names in sources:
        for name in names:
            if name.upper().startswith(PREFIXES) and name.upper() not in ignored:
                found.setdefault(name, where)
    return [_unknown(name, where, known) for name, where in sorted(found.items())]


def _unknown(name: str, where: str, known: list[str]) -> str:
    close = difflib.get_close_matches(name.upper(), known, n=1, cutoff=0.8)
    hint = f"did you mean {close[0]}?" if close else "it is ignored (.env.example lists them all)."
    return f"{name}{where} is not a setting; {hint}"
