"""The creative controls under a result, each built into one edit for the gateway.

    control = zoom("1.5")                                  # or pan("left"), vary("subtle"), ...
    built = await build(control, sources, options, model, Instructions())
    # built.sources, built.mask, built.prompt, built.options: what the edit sends

Zoom Out and Pan send a larger canvas and its mask (bot/canvas.py); Vary (Subtle/Strong) an
edit of the image with its own instruction; Upscale the image re-rendered at the model's
largest size of its shape; Blend 2-5 images in one edit. Subtle variations and upscales ask
for `input_fidelity` high on the models that take it. Each control is written into
`Options.control` ("zoom 2", "pan left", "vary subtle", "upscale", "blend"), so a Re-roll
builds the same control again.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

from bot import canvas
from bot.catalog import ModelInfo
from bot.config import DEFAULT_STRONG_PROMPT, DEFAULT_SUBTLE_PROMPT
from bot.errors import BadRequest
from bot.images import image_info
from bot.models import ImageRequest, Options, SourceImage
from bot.sizes import source_size

ControlKind = Literal["zoom", "pan", "upscale", "blend", "vary"]
Strength = Literal["subtle", "strong"]
STRENGTHS: tuple[Strength, ...] = ("subtle", "strong")
ZOOM_DEFAULT = 2.0
ZOOM_RANGE = (1.1, 3.0)
BLEND_RANGE = (2, 5)

ZOOM_PROMPT = (
    "Zoom out: the picture now sits in the middle of a larger canvas. Fill the transparent "
    "border around it, continuing the scene naturally, and keep the picture itself unchanged."
)
PAN_PROMPT = (
    "Extend this picture to the {side}: fill the transparent strip, continuing the scene "
    "seamlessly, and keep the existing picture unchanged."
)
UPSCALE_PROMPT = (
    "Re-render this exact image at a higher resolution with crisp, fine detail; change "
    "nothing in its content, composition or colours."
)
BLEND_PROMPT = "Blend these images into one new picture that combines their subjects and styles."
NO_MASK_NOTE = (
    "{model} does not take masks, so it redrew the whole picture: the original pixels may "
    "have changed."
)


@dataclass(frozen=True)
class Control:
    """One control and its setting: zoom factor, pan direction or vary strength."""

    kind: ControlKind
    factor: float = ZOOM_DEFAULT
    direction: canvas.Direction = "left"
    strength: Strength = "subtle"

    def text(self) -> str:
        """How it is written into Options.control, and read back by `parse`."""
        if self.kind == "zoom":
            return f"zoom {self.factor:g}"
        if self.kind == "pan":
            return f"pan {self.direction}"
        if self.kind == "vary":
            return f"vary {self.strength}"
        return self.kind


@dataclass(frozen=True)
class Instructions:
    """The configurable variation instructions (IMAGINE_VARY_SUBTLE_PROMPT, ..._STRONG_...)."""

    subtle: str = DEFAULT_SUBTLE_PROMPT
    strong: str = DEFAULT_STRONG_PROMPT


@dataclass(frozen=True)
class Built:
    """What one control sends: the images, the mask, the prompt and the options; `note` says
    what the person should know about the result (a model that ignores masks)."""

    sources: tuple[SourceImage, ...]
    mask: SourceImage | None
    prompt: str
    options: Options
    note: str | None = None

    def applied(self, req: ImageRequest, kind: ControlKind) -> ImageRequest:
        """`req` as this edit of the control `kind`: its sources, mask, prompt and options."""
        return replace(
            req,
            kind=kind,
            prompt=self.prompt,
            options=self.options,
            sources=self.sources,
            mask=self.mask,
        )


def zoom(factor: str | float | None = None) -> Control:
    """Zoom Out by `factor` (1.5, 2 or anything from 1.1 to 3; None means 2)."""
    if factor is None or (isinstance(factor, str) and not factor.strip()):
        return Control("zoom", ZOOM_DEFAULT)
    text = str(factor).strip().lower().removesuffix("x").removesuffix("×")
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    low, high = ZOOM_RANGE
    if not low <= value <= high:
        raise BadRequest(
            f"The zoom factor must be a number from {low:g} to {high:g}, e.g. 1.5 or 2, "
            f'not "{factor}".'
        )
    return Control("zoom", round(value, 2))


def pan(direction: str) -> Control:
    """Pan left, right, up or down."""
    word = direction.strip().lower()
    for known in canvas.DIRECTIONS:
        if word == known:
            return Control("pan", direction=known)
    raise BadRequest(f'Pan left, right, up or down, not "{direction}".')


def vary(strength: str) -> Control:
    """Vary (Subtle) or Vary (Strong)."""
    word = strength.strip().lower()
    for known in STRENGTHS:
        if word == known:
            return Control("vary", strength=known)
    raise BadRequest(f'The strength of a variation is subtle or strong, not "{strength}".')


UPSCALE = Control("upscale")
BLEND = Control("blend")


def parse(text: str) -> Control:
    """The control written by `Control.text` (a ledger row's options)."""
    kind, _, setting = text.partition(" ")
    if kind == "zoom":
        return zoom(setting)
    if kind == "pan":
        return pan(setting)
    if kind == "vary":
        return vary(setting)
    if kind == "upscale":
        return UPSCALE
    if kind == "blend":
        return BLEND
    raise BadRequest(f'"{text}" is not a control this bot knows.')


async def build(
    control: Control,
    sources: Sequence[SourceImage],
    options: Options,
    model: ModelInfo,
    instructions: Instructions,
    *,
    words: str = "",
    prompt: str | None = None,
) -> Built:
    """The edit one control sends, from its source images and the person's options.

    `words` (the person's own, with any `--no`) follow the control's instruction; a `prompt`
    (a Re-roll's, as sent before) replaces both.
    """
    _check_count(control, sources)
    opts = replace(options, control=control.text())
    first = sources[0]
    width, height = _shape(first)
    if control.kind == "blend":
        text = f"Blend these images into one picture: {words}" if words else BLEND_PROMPT
        return Built(tuple(sources), None, prompt or text, opts)
    if control.kind == "upscale":
        size = canvas.upscale_size(model, width, height)
        return _whole(
            first, replace(opts, size=size), model, prompt or _joined(UPSCALE_PROMPT, words)
        )
    if control.kind == "vary":
        subtle = control.strength == "subtle"
        text = instructions.subtle if subtle else instructions.strong
        opts = replace(opts, size=source_size(model, width, height))
        return _whole(first, opts, model, prompt or _joined(text, words), fidelity=subtle)
    if control.kind == "zoom":
        placement = canvas.zoom_placement(model, width, height, control.factor)
        text = ZOOM_PROMPT
    else:
        placement = canvas.pan_placement(model, width, height, control.direction)
        text = PAN_PROMPT.format(side=_side(control.direction))
    picture, mask = await canvas.place(first, placement)
    opts = replace(opts, size=placement.size_text, input_fidelity=None)
    if not model.masks:
        note = NO_MASK_NOTE.format(model=options.model or model.id)
        return Built((picture,), None, prompt or _joined(text, words), opts, note)
    return Built((picture,), mask, prompt or _joined(text, words), opts)


def _whole(
    source: SourceImage, opts: Options, model: ModelInfo, prompt: str, *, fidelity: bool = True
) -> Built:
    """An edit of the whole image, asking for high input fidelity where the model has it."""
    wanted = "high" if fidelity and model.input_fidelity else None
    return Built((source,), None, prompt, replace(opts, input_fidelity=wanted))


def _shape(source: SourceImage) -> tuple[int, int]:
    if source.width and source.height:
        return source.width, source.height
    _, width, height = image_info(source.data)
    return width, height


def _check_count(control: Control, sources: Sequence[SourceImage]) -> None:
    if control.kind == "blend":
        low, high = BLEND_RANGE
        if not low <= len(sources) <= high:
            raise BadRequest(f"Blend takes {low} to {high} images, not {len(sources)}.")
        return
    if len(sources) != 1:
        raise BadRequest(f"Pick exactly one image to {control.kind}.")


def _joined(instruction: str, words: str) -> str:
    return f"{instruction} {words.strip()}".strip()


def _side(direction: canvas.Direction) -> str:
    return {"left": "left", "right": "right", "up": "top", "down": "bottom"}[direction]
