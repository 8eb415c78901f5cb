"""One option parser for every platform: typed options and `--flag value` prompt suffixes.

Flags may sit anywhere in the prompt, as `--flag value`, `--flag=value` or with the em or
en dash a phone puts in place of `--` (`—ar 3:2`). Every value is checked against what
gpt-image-1 accepts, and every refusal says what would work.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import replace

from bot.errors import BadRequest
from bot.models import BACKGROUNDS, FORMATS, QUALITIES, SIZES, Options

MAX_PROMPT_CHARS = 32_000
MAX_N = 10

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
}
KNOWN_FLAGS = (
    "--size, --ar (--aspect), --quality (--q), --n, --bg (--background), --format, --compression"
)
EXAMPLES = {
    "size": "1536x1024",
    "aspect": "3:2",
    "quality": "high",
    "n": "2",
    "background": "transparent",
    "format": "webp",
    "compression": "80",
}
SHAPES = {"1536x1024": 1.5, "1024x1536": 1024 / 1536, "1024x1024": 1.0}
NAMED_SIZES = {"landscape": "1536x1024", "portrait": "1024x1536", "square": "1024x1024"}
FORMAT_ALIASES = {"jpg": "jpeg"}

_FLAG = re.compile(
    r"(?<!\S)(?:--|[—–])(?P<name>[A-Za-z][\w-]*)"
    r"(?:=(?P<eq>\S*)|[ \t]+(?P<value>(?!--|[—–])\S+))?"
)
_RATIO = re.compile(r"(\d+(?:\.\d+)?)\s*[:/x×]\s*(\d+(?:\.\d+)?)")


def parse_prompt(text: str) -> tuple[str, dict[str, str]]:
    """Split `--flag value` suffixes from a prompt: (cleaned prompt, {option key: raw value})."""
    found: dict[str, str] = {}
    pieces: list[str] = []
    start = 0
    for match in _FLAG.finditer(text):
        name = match["name"].lower()
        key = ALIASES.get(name)
        if key is None:
            raise BadRequest(f"Unknown option --{name}. Known options: {KNOWN_FLAGS}.")
        value = match["eq"] if match["eq"] is not None else match["value"]
        if not value:
            raise BadRequest(f"--{name} needs a value, e.g. --{name} {EXAMPLES[key]}.")
        if key in found:
            raise BadRequest(f"--{name} is given twice; keep one.")
        found[key] = value
        pieces.append(text[start : match.start()])
        start = match.end()
    pieces.append(text[start:])
    prompt = " ".join(piece.strip() for piece in pieces if piece.strip())
    return prompt, found


def build_options(
    raw: Mapping[str, str | int | None], *, defaults: Options, max_n: int = MAX_N
) -> Options:
    """Validate raw option values (None or blank = not given) over `defaults`."""
    given = _given(raw)
    if "size" in given and "aspect" in given:
        raise BadRequest("Use either --size or --ar, not both.")
    opts = defaults
    if "size" in given:
        opts = replace(opts, size=parse_size(given["size"]))
    if "aspect" in given:
        opts = replace(opts, size=parse_aspect(given["aspect"]))
    if "quality" in given:
        opts = replace(opts, quality=_choice("quality", given["quality"], QUALITIES))
    if "n" in given:
        opts = replace(opts, n=_count(given["n"], min(max_n, MAX_N)))
    if "background" in given:
        opts = replace(opts, background=_choice("background", given["background"], BACKGROUNDS))
    if "format" in given:
        fmt = given["format"].lower()
        opts = replace(opts, output_format=_choice("format", FORMAT_ALIASES.get(fmt, fmt), FORMATS))
    if "compression" in given:
        opts = replace(opts, output_compression=_compression(given["compression"]))
    _check_combination(opts)
    return opts


def parse_request(
    text: str,
    typed: Mapping[str, str | int | None],
    *,
    defaults: Options,
    max_n: int,
    require_prompt: bool = True,
) -> tuple[str, Options]:
    """The prompt and options of one request, from its text and the platform's typed options.

    Precedence: an option the person typed into the platform's own field (not None or
    blank) wins; a `--flag` in the prompt fills in an option that was not typed; `defaults`
    fill in the rest. `--size` and `--ar` count as one option, so a typed size also
    overrides an `--ar` suffix. `require_prompt=False` allows an empty prompt (vary).
    """
    prompt, suffixes = parse_prompt(text)
    typed_given = _given(typed)
    merged: dict[str, str | int | None] = dict(suffixes)
    if {"size", "aspect"} & typed_given.keys():
        merged.pop("size", None)
        merged.pop("aspect", None)
    merged.update(typed_given)
    opts = build_options(merged, defaults=defaults, max_n=max_n)
    return check_prompt(prompt, required=require_prompt), opts


def check_prompt(prompt: str, *, required: bool = True) -> str:
    """The prompt, stripped; BadRequest when it is empty (if required) or too long."""
    prompt = prompt.strip()
    if required and not prompt:
        raise BadRequest("Write a prompt, e.g. /imagine a red balloon on a wooden table")
    if len(prompt) > MAX_PROMPT_CHARS:
        raise BadRequest(
            f"The prompt is too long: {len(prompt):,} characters; "
            f"the limit is {MAX_PROMPT_CHARS:,}."
        )
    return prompt


def parse_size(value: str) -> str:
    """A supported size from `1536x1024`, `1536×1024`, `landscape`, `portrait` or `square`."""
    text = re.sub(r"\s+", "", value.lower()).replace("×", "x").replace("*", "x")
    size = NAMED_SIZES.get(text, text)
    if size not in SIZES:
        raise BadRequest(f'Unknown size "{value}". Use one of: {", ".join(SIZES)}.')
    return size


def parse_aspect(value: str) -> str:
    """The supported size nearest to an aspect ratio such as `3:2`, `16:9` or `1:1`."""
    match = _RATIO.fullmatch(value.strip())
    width = float(match[1]) if match else 0.0
    height = float(match[2]) if match else 0.0
    if width <= 0 or height <= 0:
        raise BadRequest(
            f'Unknown aspect ratio "{value}". Write it as width:height, e.g. --ar 3:2.'
        )
    return nearest_size(width, height)


def nearest_size(width: float, height: float) -> str:
    """The supported fixed size whose shape is closest to width:height."""
    ratio = math.log(width / height)
    return min(SHAPES, key=lambda size: abs(ratio - math.log(SHAPES[size])))


def _given(raw: Mapping[str, str | int | None]) -> dict[str, str]:
    given: dict[str, str] = {}
    for name, value in raw.items():
        key = ALIASES.get(name.lower())
        if key is None:
            raise BadRequest(f"Unknown option {name}. Known options: {KNOWN_FLAGS}.")
        if value is not None and str(value).strip():
            given[key] = str(value).strip()
    return given


def _choice(label: str, value: str, allowed: tuple[str, ...]) -> str:
    choice = value.lower()
    if choice not in allowed:
        raise BadRequest(f'Unknown {label} "{value}". Use one of: {", ".join(allowed)}.')
    return choice


def _count(value: str, most: int) -> int:
    number = _whole(value)
    if number is None or not 1 <= number <= most:
        raise BadRequest(
            f'The number of images (--n) must be a whole number from 1 to {most}, not "{value}".'
        )
    return number


def _compression(value: str) -> int:
    number = _whole(value.removesuffix("%"))
    if number is None or number > 100:
        raise BadRequest(
            f'Compression (--compression) must be a whole number from 0 to 100, not "{value}".'
        )
    return number


def _whole(value: str) -> int | None:
    return int(value) if re.fullmatch(r"[0-9]{1,6}", value) else None


def _check_combination(opts: Options) -> None:
    if opts.output_compression is not None and opts.output_format == "png":
        raise BadRequest(
            "--compression works only with --format jpeg or --format webp (PNG is lossless)."
        )
    if opts.background == "transparent" and opts.output_format == "jpeg":
        raise BadRequest(
            "A transparent background needs PNG or WebP, and JPEG has no transparency: "
            "use --format png."
        )
