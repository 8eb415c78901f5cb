"""Options written into a prompt: `--flag value`, `--flag=value`, `—flag value` (a phone's dash).

`--no TEXT` runs to the next flag and becomes an instruction to leave TEXT out (`with_avoid`);
`--private` is a switch that takes no value. bot/options.py checks what the values mean.
"""

from __future__ import annotations

import re

from bot.errors import BadRequest

# Flag or typed-option name -> option key.
ALIASES = {
    "size": "size",
    "ar": "aspect",
    "aspect": "aspect",
    "quality": "quality",
    "q": "quality",
    "n": "n",
    "bg": "background",
    "background": "background",
    "format": "format",
    "output_format": "format",
    "compression": "compression",
    "output_compression": "compression",
    "model": "model",
    "no": "avoid",
    "avoid": "avoid",
    "private": "private",
    "moderation": "moderation",
}
KNOWN_FLAGS = (
    "--size, --ar (--aspect), --quality (--q), --n, --bg (--background), --format, "
    "--compression, --model, --no, --private, --moderation"
)
EXAMPLES = {
    "size": "1536x1024",
    "aspect": "3:2",
    "quality": "high",
    "n": "2",
    "background": "transparent",
    "format": "webp",
    "compression": "80",
    "model": "openai/gpt-image-2",
    "avoid": "text, watermarks",
    "private": "",
    "moderation": "low",
}
AVOID = "Leave these out of the image entirely: {}."
_FLAG = re.compile(
    r"(?<!\S)(?:--|[—–])(?P<name>[A-Za-z][\w-]*)"
    r"(?:=(?P<eq>\S*)|[ \t]+(?P<value>(?!--|[—–])\S+))?"
)


def parse_prompt(text: str) -> tuple[str, dict[str, str]]:
    """Split `--flag value` suffixes from a prompt: (cleaned prompt, {option key: raw value})."""
    found: dict[str, str] = {}
    pieces: list[str] = []
    start = 0
    matches = list(_FLAG.finditer(text))
    for index, match in enumerate(matches):
        name = match["name"].lower()
        key = ALIASES.get(name)
        if key is None:
            raise BadRequest(f"Unknown option --{name}. Known options: {KNOWN_FLAGS}.")
        value = match["eq"] if match["eq"] is not None else match["value"]
        end = match.end()
        if key == "private" and match["eq"] is None:
            value, end = "true", match.end("name")  # a switch: the next word is the prompt's
        elif key == "avoid" and value:
            end = matches[index + 1].start() if index + 1 < len(matches) else len(text)
            value = text[match.start("eq" if match["eq"] is not None else "value") : end]
            value = value.strip()
        if not value:
            raise BadRequest(f"--{name} needs a value, e.g. --{name} {EXAMPLES[key]}.")
        if key in found:
            raise BadRequest(f"--{name} is given twice; keep one.")
        found[key] = value
        pieces.append(text[start : match.start()])
        start = end
    pieces.append(text[start:])
    prompt = " ".join(piece.strip() for piece in pieces if piece.strip())
    return prompt, found


def with_avoid(prompt: str, avoid: str) -> str:
    """The prompt ending in an explicit instruction to leave `avoid` out ('' changes nothing)."""
    avoid = avoid.strip().rstrip(".")
    if not avoid:
        return prompt
    prompt = prompt.rstrip()
    if prompt and prompt[-1] not in ".!?":
        prompt += "."
    return f"{prompt} {AVOID.format(avoid)}".strip()
