"""What a request may ask of its model, and of the limits where it is asked.

Each refusal says what would work and that nothing was charged; the handler runs these
before it reserves anything.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime

from bot.catalog import FALLBACK_ID, Catalog, ModelInfo, ModelMenu
from bot.errors import BadRequest, ModelRetired, OptionNotAllowed
from bot.models import ImageRequest, Limits, Options
from bot.options import fit_defaults
from bot.sizes import parse_dims

log = logging.getLogger(__name__)

QUALITY_RANK = {"low": 0, "medium": 1, "high": 2, "xhigh": 3, "max": 4}


def with_model(
    catalog: Catalog, menu: ModelMenu, default: str, req: ImageRequest, now: datetime
) -> tuple[ImageRequest, ModelInfo]:
    """The request with its model named as configured; refused when the model cannot serve it."""
    name = menu.choose(req.options.model)
    model, form = catalog.require(name)
    if model.retired(now.date()):
        setting = "IMAGINE_MODEL" if name == default else "IMAGINE_MODELS"
        replacement = catalog.get(model.replacement or "")
        instead = replacement.name_in(form) if replacement else model.replacement
        raise ModelRetired(name, str(model.shutdown or "an earlier date"), setting, instead)
    if req.kind != "generate" and not model.edits:
        raise BadRequest(f"{name} cannot edit images; choose another model with --model.")
    if req.mask is not None and not model.masks:
        raise BadRequest(
            f"{name} does not take masks; edit the whole image, or choose another model."
        )
    # options kept from an earlier request (Re-roll, Vary) may predate this model: fit them
    fitted = fit_defaults(replace(req.options, model=name), model)
    return replace(req, options=fitted), model


def check_limits(opts: Options, limits: Limits, model: ModelInfo, catalog: Catalog) -> None:
    """Refuse options outside this scope's limits: models, n, quality, sizes, pixels,
    moderation, private results."""
    if opts.moderation == "low" and not limits.allow_low_moderation:
        detail = "moderation low; leave out --moderation, or ask an admin"
        raise OptionNotAllowed("allow_low_moderation", detail)
    if opts.private:
        check_private(limits)
    if limits.allowed_models is not None and not _allowed(opts.model, limits, catalog):
        raise OptionNotAllowed(
            "allowed_models", f"model {opts.model}; use {', '.join(limits.allowed_models)}"
        )
    if limits.max_n is not None and opts.n > limits.max_n:
        raise OptionNotAllowed(
            "max_n", f"at most {limits.max_n} image{'s' if limits.max_n != 1 else ''} per request"
        )
    if limits.max_quality is not None and opts.quality is not None:
        _check_quality(opts.quality, limits.max_quality, model)
    if limits.allowed_sizes is not None and opts.size not in limits.allowed_sizes:
        raise OptionNotAllowed(
            "allowed_sizes", f"size {opts.size}; use {', '.join(limits.allowed_sizes)}"
        )
    dims = parse_dims(opts.size)
    if limits.max_pixels is not None and dims and dims[0] * dims[1] > limits.max_pixels:
        raise OptionNotAllowed(
            "max_pixels",
            f"size {opts.size} ({dims[0] * dims[1]:,} pixels); "
            f"at most {limits.max_pixels:,} pixels here",
        )


def check_private(limits: Limits) -> None:
    """Refuse a private result where the scope turns them off."""
    if limits.allow_private is False:
        raise OptionNotAllowed("allow_private", "private results; leave out --private")


def warn_at_start(catalog: Catalog, menu: ModelMenu, now: datetime) -> None:
    """Log once, at start, each offered model the catalog lacks or marks deprecated."""
    for name in menu.names:
        setting = "IMAGINE_MODEL" if name == menu.default else "IMAGINE_MODELS"
        if not catalog.knows(name):
            log.info(
                "the model catalog does not know %s (%s): its sizes, options and prices are "
                "taken as %s's until IMAGINE_MODELS_FILE describes it",
                name,
                setting,
                FALLBACK_ID,
            )
            continue
        model, form = catalog.require(name)
        if model.status == "deprecated" and not model.retired(now.date()):
            replacement = catalog.get(model.replacement or "")
            instead = f"; its replacement is {replacement.name_in(form)}" if replacement else ""
            log.warning(
                "the model %s is deprecated and shuts down on %s%s", name, model.shutdown, instead
            )


def _allowed(name: str, limits: Limits, catalog: Catalog) -> bool:
    wanted = catalog.find(name)
    for allowed in limits.allowed_models or ():
        found = catalog.find(allowed)
        if allowed.lower() == name.lower() or (found and wanted and found[0] == wanted[0]):
            return True
    return False


def _check_quality(quality: str, ceiling: str, model: ModelInfo) -> None:
    ranked = [q for q in model.qualities if q in QUALITY_RANK]
    top = max((QUALITY_RANK[q] for q in ranked), default=0)
    limit = QUALITY_RANK.get(ceiling, top)
    if QUALITY_RANK.get(quality, top) > limit:
        allowed = [q for q in ranked if QUALITY_RANK[q] <= limit]
        raise OptionNotAllowed("max_quality", f"quality {quality}; use {' or '.join(allowed)}")
