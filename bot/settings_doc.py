"""The settings as documentation: `.env.example` and the README's configuration table.

`python -m bot.settings_doc` rewrites both from the Settings class (and the README's table
of limits from the limits table); a test keeps them in sync.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from bot.config import Settings, env_name
from bot.limit_table import LIMITS

TABLE_START = "<!-- settings-table:start -->"
TABLE_END = "<!-- settings-table:end -->"
LIMITS_START = "<!-- limits-table:start -->"
LIMITS_END = "<!-- limits-table:end -->"


def _default(name: str) -> str:
    value = Settings.model_fields[name].default
    if value is None:
        return ""
    if isinstance(value, dict):
        return json.dumps(value, separators=(",", ":"))
    if isinstance(value, tuple):
        return ",".join(map(str, value))
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def env_example() -> str:
    """Every setting, commented out at its default, with its description."""
    lines = ["# imagine-bot settings. Copy to .env and uncomment what you change.", ""]
    for name, info in Settings.model_fields.items():
        lines.append(f"# {info.description}")
        lines.append(f"# {env_name(name)}={_default(name)}")
        lines.append("")
    return "\n".join(lines)


def markdown_table() -> str:
    """The configuration table for the README."""
    rows = ["| Variable | Default | What it does |", "|---|---|---|"]
    for name, info in Settings.model_fields.items():
        default = _default(name).replace("|", "\\|")
        shown = (
            f"`{default}`"
            if default and len(default) < 60
            else ("see .env.example" if default else "")
        )
        rows.append(f"| `{env_name(name)}` | {shown} | {info.description} |")
    return "\n".join(rows)


def limits_table() -> str:
    """The table of limits for the README's admin guide."""
    rows = ["| Limit | Meaning | Default setting |", "|---|---|---|"]
    for key, spec in LIMITS.items():
        setting = f"`{spec.env}`" if spec.env else ""
        rows.append(f"| `{key}` | {spec.doc} | {setting} |")
    return "\n".join(rows)


def readme_with_table(readme: str) -> str:
    """The README text with its configuration and limits tables replaced by current ones."""
    readme = _between(readme, TABLE_START, TABLE_END, markdown_table())
    return _between(readme, LIMITS_START, LIMITS_END, limits_table())


def _between(text: str, start: str, end: str, body: str) -> str:
    pattern = re.compile(re.escape(start) + ".*?" + re.escape(end), re.S)
    return pattern.sub(lambda _: f"{start}\n{body}\n{end}", text)


def main(root: Path = Path(".")) -> None:
    """Rewrite .env.example and the README table."""
    (root / ".env.example").write_text(env_example(), encoding="utf-8")
    readme = root / "README.md"
    readme.write_text(readme_with_table(readme.read_text(encoding="utf-8")), encoding="utf-8")


if __name__ == "__main__":
    main()
