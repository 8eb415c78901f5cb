"""Models as data: what each image model takes, what it costs and whether it still runs.

The catalog ships as `bot/catalog.json`; `IMAGINE_MODELS_FILE` names a JSON file of the same
shape whose entries add models or override fields of shipped ones (matched by `id`). A model
is known by any of its names: its id on Vercel's gateway (`openai/gpt-image-2`), on OpenAI
direct (`gpt-image-2`) or on Opper.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from bot.errors import BadRequest, ConfigError

Status = Literal["active", "deprecated", "shut_down"]
STATUSES = ("active", "deprecated", "shut_down")
SQUARE_PIXELS = 1024 * 1024
FALLBACK_ID = "gpt-image-2"  # what a model missing from the catalog is taken to be like
UNKNOWN = "unknown"  # the name form of such a model


@dataclass(frozen=True)
class SizeRule:
    """Free sizes: both sides multiples of `multiple`, within an aspect and pixel range."""

    multiple: int
    min_ratio: float
    max_ratio: float
    max_edge: int
    min_pixels: int
    max_pixels: int

    def problem(self, width: int, height: int) -> str | None:
        """Why WxH breaks this rule, or None when it is legal."""
        if width % self.multiple or height % self.multiple:
            return f"both sides must be multiples of {self.multiple}"
        if max(width, height) > self.max_edge:
            return f"the longer side can be at most {self.max_edge}"
        if not self.min_ratio - 1e-9 <= width / height <= self.max_ratio + 1e-9:
            return (
                f"the shape must lie between {_ratio(self.min_ratio)} and {_ratio(self.max_ratio)}"
            )
        if not self.min_pixels <= width * height <= self.max_pixels:
            return f"the area must be {self.min_pixels:,} to {self.max_pixels:,} pixels"
        return None

    def describe(self) -> str:
        """The rule in one phrase."""
        return (
            f"any WxH with sides in multiples of {self.multiple}, up to {self.max_edge} on a "
            f"side, shapes from {_ratio(self.min_ratio)} to {_ratio(self.max_ratio)}, "
            f"{self.min_pixels:,}-{self.max_pixels:,} pixels"
        )


@dataclass(frozen=True)
class Prices:
    """USD per million tokens, and per image by quality ('*' for any) and size, for reserving."""

    text_input_per_m: float
    image_input_per_m: float
    image_output_per_m: float
    text_output_per_m: float
    per_image: Mapping[str, Mapping[str, float]]


@dataclass(frozen=True)
class ModelInfo:
    """One image model: its names, status, what it takes and what it costs."""

    id: str
    names: Mapping[str, str]
    status: Status
    shutdown: date | None
    replacement: str | None
    sizes: tuple[str, ...]
    size_rule: SizeRule | None
    qualities: tuple[str, ...]
    max_n: int
    formats: tuple[str, ...]
    transparent_background: bool
    edits: bool
    masks: bool
    input_fidelity: bool
    streamed_previews: bool
    prices: Prices

    def retired(self, today: date) -> bool:
        """Shut down, or deprecated with a shutdown date that has come."""
        if self.status == "shut_down":
            return True
        return self.shutdown is not None and self.shutdown <= today

    def name_in(self, form: str) -> str:
        """This model's name on the gateway kind `form` ('vercel', 'openai', 'opper')."""
        return self.names.get(form) or next(iter(self.names.values()))

    @property
    def fixed_sizes(self) -> tuple[str, ...]:
        """The listed sizes, 'auto' left out."""
        return tuple(size for size in self.sizes if size != "auto")

    def size_problem(self, width: int, height: int) -> str | None:
        """Why WxH is not a size of this model, or None when it is."""
        if f"{width}x{height}" in self.sizes:
            return None
        if self.size_rule is None:
            return "not one of its sizes"
        return self.size_rule.problem(width, height)


@dataclass(frozen=True)
class Catalog:
    """Every known model, found by any of its names."""

    models: tuple[ModelInfo, ...]

    def find(self, name: str) -> tuple[ModelInfo, str] | None:
        """The model called `name` and the form of that name, or None."""
        wanted = name.strip().lower()
        for model in self.models:
            for form, alias in model.names.items():
                if alias.lower() == wanted:
                    return model, form
        for model in self.models:
            if model.id.lower() == wanted:
                return model, "openai"
        return None

    def get(self, model_id: str) -> ModelInfo | None:
        """The model with this catalog id."""
        return next((m for m in self.models if m.id == model_id), None)

    def require(self, name: str) -> tuple[ModelInfo, str]:
        """Like `find`; a model the catalog lacks is taken to be like FALLBACK_ID, by its name.

        The gateway then decides whether it serves that model (an unknown one is its
        `model_not_found`), and prices come from the gateway's own figure where it gives one.
        """
        found = self.find(name)
        if found is not None:
            return found
        base = self.get(FALLBACK_ID) or self.models[0]
        return replace(
            base, id=name, names={UNKNOWN: name}, status="active", shutdown=None
        ), UNKNOWN

    def knows(self, name: str) -> bool:
        """Whether the catalog has an entry called `name`."""
        return self.find(name) is not None


def load_catalog(extra_file: str | None = None) -> Catalog:
    """The shipped catalog, with the entries of `extra_file` added or laid over it."""
    shipped = resources.files("bot").joinpath("catalog.json").read_text(encoding="utf-8")
    entries = {entry["id"]: entry for entry in json.loads(shipped)["models"]}
    if extra_file:
        for entry in _read_extra(extra_file):
            entries[entry["id"]] = {**entries.get(entry["id"], {}), **entry}
    try:
        return Catalog(tuple(_model(entry) for entry in entries.values()))
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"Invalid setting IMAGINE_MODELS_FILE: {_reason(exc)}") from None


def _read_extra(path: str) -> list[dict[str, Any]]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(
            f"Invalid setting IMAGINE_MODELS_FILE: cannot read {path}: {exc.strerror}"
        ) from None
    except ValueError as exc:
        raise ConfigError(
            f"Invalid setting IMAGINE_MODELS_FILE: {path} is not JSON ({exc})"
        ) from None
    models = data.get("models") if isinstance(data, dict) else None
    if not isinstance(models, list) or not all(isinstance(m, dict) and "id" in m for m in models):
        raise ConfigError(
            f'Invalid setting IMAGINE_MODELS_FILE: {path} needs {{"models": [{{"id": ...}}, ...]}}'
        )
    return models


def _reason(exc: Exception) -> str:
    if isinstance(exc, KeyError):
        return f"a model entry lacks {exc.args[0]!r}"
    return str(exc)


def _model(entry: Mapping[str, Any]) -> ModelInfo:
    status = entry.get("status", "active")
    if status not in STATUSES:
        raise ValueError(f"{entry['id']}: status must be one of {', '.join(STATUSES)}")
    shutdown = entry.get("shutdown")
    rule = entry.get("size_rule")
    names = dict(entry.get("names") or {"openai": entry["id"]})
    return ModelInfo(
        id=str(entry["id"]),
        names=names,
        status=status,
        shutdown=date.fromisoformat(shutdown) if shutdown else None,
        replacement=entry.get("replacement"),
        sizes=tuple(entry.get("sizes", ())),
        size_rule=_rule(rule) if rule else None,
        qualities=tuple(entry.get("qualities", ())),
        max_n=int(entry.get("max_n", 1)),
        formats=tuple(entry.get("formats", ("png",))),
        transparent_background=bool(entry.get("transparent_background", False)),
        edits=bool(entry.get("edits", False)),
        masks=bool(entry.get("masks", False)),
        input_fidelity=bool(entry.get("input_fidelity", False)),
        streamed_previews=bool(entry.get("streamed_previews", False)),
        prices=_prices(entry["prices"]),
    )


def _rule(rule: Mapping[str, Any]) -> SizeRule:
    return SizeRule(
        multiple=int(rule.get("multiple", 16)),
        min_ratio=_parse_ratio(rule.get("min_ratio", "1:3")),
        max_ratio=_parse_ratio(rule.get("max_ratio", "3:1")),
        max_edge=int(rule["max_edge"]),
        min_pixels=int(rule.get("min_pixels", 0)),
        max_pixels=int(rule["max_pixels"]),
    )


def _prices(prices: Mapping[str, Any]) -> Prices:
    table = {
        str(quality): {str(size): float(usd) for size, usd in row.items()}
        for quality, row in prices.get("per_image", {}).items()
    }
    if not table or any(usd < 0 for row in table.values() for usd in row.values()):
        raise ValueError("per_image needs at least one price, none negative")
    return Prices(
        text_input_per_m=float(prices.get("text_input_per_m", 0.0)),
        image_input_per_m=float(prices.get("image_input_per_m", 0.0)),
        image_output_per_m=float(prices.get("image_output_per_m", 0.0)),
        text_output_per_m=float(prices.get("text_output_per_m", 0.0)),
        per_image=table,
    )


def _parse_ratio(text: str) -> float:
    width, _, height = str(text).partition(":")
    return float(width) / float(height or 1)


def _ratio(value: float) -> str:
    if value >= 1:
        return f"{_trim(value)}:1"
    return f"1:{_trim(1 / value)}"


def _trim(value: float) -> str:
    return str(round(value)) if math.isclose(value, round(value)) else f"{value:.2f}"


@dataclass(frozen=True)
class ModelMenu:
    """The models people may choose (IMAGINE_MODELS, the configured default among them)."""

    catalog: Catalog
    default: str
    names: tuple[str, ...]

    def choose(self, name: str | None) -> str:
        """The configured name of the model asked for ('' or None: the default)."""
        if not name or not name.strip():
            return self.default
        wanted = self.catalog.find(name)
        for offered in self.names:
            if offered.lower() == name.strip().lower():
                return offered
            known = self.catalog.find(offered)
            if wanted is not None and known is not None and known[0].id == wanted[0].id:
                return offered
        raise BadRequest(
            f'The model "{name.strip()}" is not offered here. Choose one of: '
            f"{', '.join(self.names)}."
        )

    def info(self, name: str) -> ModelInfo:
        """The catalog entry of a configured model name."""
        return self.catalog.require(name)[0]
