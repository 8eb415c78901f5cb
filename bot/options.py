"""One option parser for every platform: typed options and `--flag value` prompt suffixes.

Flags may sit anywhere in the prompt, as `--flag value`, `--flag=value` or with the em or
en dash a phone puts in place of `--` (`—ar 3:2`). `--model` picks one of the offered
models, and every other value is checked against what that model accepts (bot/catalog.json);
every refusal says what would work. The flags themselves are read in bot/promptflags.py.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace

from bot.catalog import ModelInfo, ModelMenu
from bot.errors import BadRequest
from bot.models import BACKGROUNDS, FORMATS, Options
from bot.promptflags import ALIASES, KNOWN_FLAGS, with_avoid
from bot.promptflags import parse_prompt as parse_prompt  # where the surfaces import it from
from bot.sizes import nearest_sizes, parse_dims, pixels, shape_size, source_size

MAX_PROMPT_CHARS = 32_000
MAX_N = 10
MODERATIONS = ("low", "auto")
TRUE = ("true", "yes", "on", "1")
FALSE = ("false", "no", "off", "0")
NAMED_SIZES = {"landscape": "1536x1024", "portrait": "1024x1536", "square": "1024x1024"}
FORMAT_ALIASES = {"jpg": "jpeg"}

_RATIO = re.compile(r"(\d+(?:\.\d+)?)\s*[:/x×]\s*(\d+(?:\.\d+)?)")


def build_options(
    raw: Mapping[str, str | int | None],
    *,
    defaults: Options,
    menu: ModelMenu,
    max_n: int = MAX_N,
) -> Options:
    """Validate raw option values (None or blank = not given) over `defaults`, for one model."""
    given = _given(raw)
    if "size" in given and "aspect" in given:
        raise BadRequest("Use either --size or --ar, not both.")
    name = menu.choose(given.get("model") or defaults.model)
    model = menu.info(name)
    opts = fit_defaults(replace(defaults, model=name), model)
    if "size" in given:
        opts = replace(opts, size=parse_size(given["size"], model, name))
    if "aspect" in given:
        opts = replace(opts, size=parse_aspect(given["aspect"], model, opts.size))
    if "quality" in given:
        opts = replace(opts, quality=_quality(given["quality"], model, name))
    if "n" in given:
        opts = replace(opts, n=_count(given["n"], min(max_n, MAX_N, model.max_n)))
    if "background" in given:
        opts = replace(opts, background=_background(given["background"], model, name))
    if "format" in given:
        fmt = given["format"].lower()
        fmt = _choice("format", FORMAT_ALIASES.get(fmt, fmt), FORMATS)
        opts = replace(opts, output_format=_format(fmt, model, name))
    if "compression" in given:
        opts = replace(opts, output_compression=_compression(given["compression"]))
    if "moderation" in given:
        opts = replace(opts, moderation=_choice("moderation", given["moderation"], MODERATIONS))
    if "private" in given:
        opts = replace(opts, private=_switch("private", given["private"]))
    _check_combination(opts)
    return opts


def fit_defaults(opts: Options, model: ModelInfo) -> Options:
    """Options a model cannot take moved to its nearest: size, quality, n, format, background."""
    size = opts.size
    dims = parse_dims(size)
    if size == "auto" and "auto" not in model.sizes:
        size = shape_size(model, 1, 1)
    elif dims is not None and model.size_problem(*dims) is not None:
        size = shape_size(model, dims[0], dims[1], dims[0] * dims[1])
    quality = opts.quality
    if quality not in model.qualities:
        fallback = "auto" if "auto" in model.qualities else next(iter(model.qualities), None)
        quality = fallback
    fmt = opts.output_format if opts.output_format in model.formats else model.formats[0]
    background = opts.background
    if background == "transparent" and not model.transparent_background:
        background = None
    n = min(opts.n, model.max_n)
    fidelity = opts.input_fidelity if model.input_fidelity else None
    return replace(
        opts,
        size=size,
        quality=quality,
        n=n,
        output_format=fmt,
        background=background,
        input_fidelity=fidelity,
    )


def parse_request(
    text: str,
    typed: Mapping[str, str | int | None],
    *,
    defaults: Options,
    menu: ModelMenu,
    max_n: int,
    require_prompt: bool = True,
    source: tuple[int, int] | None = None,
) -> tuple[str, Options]:
    """The prompt and options of one request, from its text and the platform's typed options.

    Precedence: an option the person typed into the platform's own field (not None or
    blank) wins; a `--flag` in the prompt fills in an option that was not typed; `defaults`
    fill in the rest. `--size` and `--ar` count as one option, so a typed size also
    overrides an `--ar` suffix. `require_prompt=False` allows an empty prompt (vary). With
    `source` (an edited image's width and height) and no size asked for, the size keeps that
    image's shape on the chosen model. `--no TEXT` (typed: `avoid`) ends the prompt with
    an instruction to leave TEXT out.
    """
    prompt, suffixes = parse_prompt(text)
    typed_given = _given(typed)
    merged: dict[str, str | int | None] = dict(suffixes)
    if {"size", "aspect"} & typed_given.keys():
        merged.pop("size", None)
        merged.pop("aspect", None)
    merged.update(typed_given)
    avoid = str(merged.pop("avoid", None) or "")
    opts = build_options(merged, defaults=defaults, menu=menu, max_n=max_n)
    if source is not None and all(source) and not {"size", "aspect"} & _given(merged).keys():
        opts = replace(opts, size=source_size(menu.info(opts.model), *source))
    prompt = check_prompt(prompt, required=require_prompt)
    return check_prompt(with_avoid(prompt, avoid), required=require_prompt), opts


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


def parse_size(value: str, model: ModelInfo, name: str) -> str:
    """A size `model` makes, from `2048x1152`, `1536×1024`, `landscape`, `portrait` or `square`."""
    text = re.sub(r"\s+", "", value.lower()).replace("×", "x").replace("*", "x")
    if text in NAMED_SIZES:
        width, height = (int(side) for side in NAMED_SIZES[text].split("x"))
        if model.size_problem(width, height) is None:
            return NAMED_SIZES[text]
        return shape_size(model, width, height)
    if text == "auto" and "auto" in model.sizes:
        return text
    dims = parse_dims(text)
    if dims is None:
        raise BadRequest(f'Unknown size "{value}". {_size_hint(model)}')
    problem = model.size_problem(*dims)
    if problem is None:
        return text
    if model.size_rule is None:
        raise BadRequest(f"{name} cannot make {text}. {_size_hint(model)}")
    nearest = " or ".join(nearest_sizes(model, *dims))
    raise BadRequest(f"{name} cannot make {text}: {problem}. Nearest: {nearest}.")


def _size_hint(model: ModelInfo) -> str:
    if model.size_rule is None:
        return f"Use one of: {', '.join(model.sizes)}."
    return f"Use {model.size_rule.describe()}, e.g. 1536x1024 or 2048x1152."


def parse_aspect(value: str, model: ModelInfo, current: str = "1024x1024") -> str:
    """The size of `model` nearest to an aspect ratio such as `3:2`, `16:9` or `1:1`."""
    match = _RATIO.fullmatch(value.strip())
    width = float(match[1]) if match else 0.0
    height = float(match[2]) if match else 0.0
    if width <= 0 or height <= 0:
        raise BadRequest(
            f'Unknown aspect ratio "{value}". Write it as width:height, e.g. --ar 3:2.'
        )
    return shape_size(model, width, height, pixels(current) or 1024 * 1024)


def _quality(value: str, model: ModelInfo, name: str) -> str:
    if not model.qualities:
        raise BadRequest(f"{name} has no quality setting; leave out --quality.")
    return _choice("quality", value, model.qualities)


def _background(value: str, model: ModelInfo, name: str) -> str:
    background = _choice("background", value, BACKGROUNDS)
    if background == "transparent" and not model.transparent_background:
        raise BadRequest(
            f"{name} cannot make transparent backgrounds; leave out --bg, or choose another "
            "model with --model."
        )
    return background


def _format(fmt: str, model: ModelInfo, name: str) -> str:
    if fmt not in model.formats:
        raise BadRequest(f"{name} does not make {fmt}; use --format {' or '.join(model.formats)}.")
    return fmt


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


def _switch(label: str, value: str) -> bool:
    word = value.strip().lower()
    if word in TRUE or word in FALSE:
        return word in TRUE
    raise BadRequest(
        f'--{label} is a switch: write --{label} alone (or --{label}=false), not "{value}".'
    )


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
