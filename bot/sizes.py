"""Sizes a model can make: the nearest legal ones to a wish, a shape or a source image."""

from __future__ import annotations

import math
import re

from bot.catalog import SQUARE_PIXELS, ModelInfo, SizeRule

_DIMS = re.compile(r"([0-9]{1,5})x([0-9]{1,5})")
SOURCE_MAX_PIXELS = 1536 * 1024  # edits keep a source's shape, not its cost, when it is large
STEPS = 3  # candidates tried on each side of a target, in multiples of the rule


def parse_dims(size: str) -> tuple[int, int] | None:
    """(width, height) of 'WxH', or None for anything else ('auto', nonsense)."""
    match = _DIMS.fullmatch(size)
    if match is None or not int(match[1]) or not int(match[2]):
        return None
    return int(match[1]), int(match[2])


def pixels(size: str) -> int:
    """The area of 'WxH' (0 for 'auto')."""
    dims = parse_dims(size)
    return dims[0] * dims[1] if dims else 0


def nearest_sizes(model: ModelInfo, width: int, height: int, count: int = 2) -> list[str]:
    """The `count` legal sizes of `model` closest to WxH."""
    if model.size_rule is None:
        return sorted(model.fixed_sizes, key=lambda s: _distance(s, width, height))[:count]
    rule = model.size_rule
    ratio = min(max(width / height, rule.min_ratio), rule.max_ratio)
    area = width * height
    return _rule_candidates(rule, math.sqrt(area * ratio), math.sqrt(area / ratio))[:count]


def shape_size(model: ModelInfo, width: float, height: float, area: int = SQUARE_PIXELS) -> str:
    """The legal size of `model` closest to the shape width:height at about `area` pixels."""
    ratio = width / height
    if model.size_rule is None:
        return min(model.fixed_sizes, key=lambda s: _shape_distance(s, ratio, area))
    rule = model.size_rule
    ratio = min(max(ratio, rule.min_ratio), rule.max_ratio)
    area = min(max(area, rule.min_pixels), rule.max_pixels)
    target_w, target_h = math.sqrt(area * ratio), math.sqrt(area / ratio)
    return _rule_candidates(rule, target_w, target_h)[0]


def source_size(model: ModelInfo, width: int, height: int) -> str:
    """The size for an edit or variation of a WxH source: its shape, at most 1536x1024's area."""
    return shape_size(model, width, height, min(width * height, SOURCE_MAX_PIXELS))


def _rule_candidates(rule: SizeRule, width: float, height: float) -> list[str]:
    scale = min(
        1.0, rule.max_edge / max(width, height), math.sqrt(rule.max_pixels / (width * height))
    )
    scale = max(scale, math.sqrt(rule.min_pixels / (width * height)))
    target_w, target_h = width * scale, height * scale
    step = rule.multiple
    base_w, base_h = round(target_w / step), round(target_h / step)
    found = {
        (w * step, h * step)
        for w in range(base_w - STEPS, base_w + STEPS + 1)
        for h in range(base_h - STEPS, base_h + STEPS + 1)
        if w > 0 and h > 0 and rule.problem(w * step, h * step) is None
    }

    def distance(dims: tuple[int, int]) -> tuple[float, int, int]:
        w, h = dims
        off = abs(math.log(w / width)) + abs(math.log(h / height))
        return off + abs(math.log((w / h) / (width / height))), -w * h, w

    return [f"{w}x{h}" for w, h in sorted(found, key=distance)]


def _distance(size: str, width: int, height: int) -> float:
    dims = parse_dims(size)
    if dims is None:
        return math.inf
    w, h = dims
    return (
        abs(math.log(w / width))
        + abs(math.log(h / height))
        + abs(math.log((w / h) / (width / height)))
    )


def _shape_distance(size: str, ratio: float, area: int) -> tuple[float, float]:
    dims = parse_dims(size)
    if dims is None:
        return math.inf, math.inf
    w, h = dims
    return abs(math.log((w / h) / ratio)), abs(math.log(w * h / area))
