"""The default limits, the widest layer under every scope's own: one IMAGINE_* setting per
row of the limits table (bot/limit_table.py), read with that row's own parser."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BeforeValidator, Field, create_model

from bot.limit_table import LIMITS, Limits
from bot.limit_types import Spec
from bot.settings.base import SettingsGroup


class LimitDefaultsBase(SettingsGroup):
    """The limits every scope inherits unless it sets its own."""

    def default_limits(self) -> Limits:
        """The configured defaults, the widest layer of limits."""
        return Limits(**{key: getattr(self, key) for key, spec in LIMITS.items() if spec.env})


def description(spec: Spec) -> str:
    """What a default limit's setting does, as `.env.example` and the README say it."""
    empty = " (empty: no limit)" if spec.default is None and "(empty:" not in spec.doc else ""
    return f"Default limit: {spec.doc}{empty}."


def _reader(spec: Spec) -> BeforeValidator:
    def read(value: object) -> object:
        if value is None or isinstance(value, bool | int | float | tuple):
            return spec.type.checked(value) if value is not None else None
        return spec.parse(str(value))

    return BeforeValidator(read)


def _field(spec: Spec) -> tuple[Any, Any]:
    kind = Annotated[Any, _reader(spec)]
    return kind, Field(spec.default, validation_alias=spec.env, description=description(spec))


if TYPE_CHECKING:
    LimitDefaults = LimitDefaultsBase
else:
    LimitDefaults = create_model(
        "LimitDefaults",
        __base__=LimitDefaultsBase,
        **{key: _field(spec) for key, spec in LIMITS.items() if spec.env},
    )
