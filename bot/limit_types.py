"""The type a limit can have, and the row that declares a limit: how a value is typed,
checked, shown, stored and compared, and what the rest of the bot reads of each row.

`Limits` (bot/limit_table.py) declares each limit as one `row` naming one of the kinds in
bot/limit_kinds.py; the parsers, the store's checks, the settings defaults and the
documentation all read it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import Field, dataclass, field, fields
from typing import Any, Generic, TypeVar

T = TypeVar("T")


def _greater(a: Any, b: Any) -> bool:
    return bool(a > b)


def _same(column: object) -> object:
    return column


class Invalid(ValueError):
    """A limit value that is not of its type; the message says what is wrong with it."""


@dataclass(frozen=True)
class LimitType(Generic[T]):
    """One type of limit value.

    `parse` reads what a person typed (lower-cased first unless `keeps_case`), `check` a value
    that is already typed (the store's input), `text` writes it as it is typed again,
    `stored` turns a database column back into a typed value, and `more` says whether one
    value allows more than another (role tiers).
    """

    expected: str
    parse: Callable[[str, str], T]
    check: Callable[[object], T | None]
    text: Callable[[T], str] = str
    shown: Callable[[T], str] = str
    more: Callable[[T, T], bool] = _greater
    stored: Callable[[object], object] = _same
    keeps_case: bool = False

    def parse_text(self, key: str, text: str) -> T | None:
        """The value of `text` ('' is unset), or Invalid naming the key."""
        value = text.strip() if self.keeps_case else text.strip().lower()
        return self.parse(key, value) if value else None

    def checked(self, value: object) -> T:
        """A typed value normalised (a float for dollars, a tuple for lists), or Invalid."""
        found = self.check(value)
        if found is None:
            raise Invalid(self.expected)
        return found

    def decode(self, column: object) -> T:
        """A value as a database column holds it (lists as comma text, flags as 0/1)."""
        return self.checked(self.stored(column))


class NoSetting:
    """The default of a limit that has no IMAGINE_* setting of its own."""


NO_SETTING = NoSetting()


@dataclass(frozen=True)
class Row:
    """One limit: its type, its IMAGINE_* default, what it means and its label in forms."""

    type: LimitType[Any]
    default: object
    doc: str
    label: str
    person: bool = True
    fewer_is_more: bool = False
    installation: bool = False


def row(
    kind: LimitType[T],
    default: T | NoSetting | None,
    doc: str,
    label: str,
    *,
    person: bool = True,
    fewer_is_more: bool = False,
    installation: bool = False,
) -> T | None:
    """A field of `Limits` (unset: None) described by one row of the table: `person` when
    a person's override and role tiers may set it, `fewer_is_more` when a lower value allows
    more (a cooldown), `installation` when only the whole installation has it."""
    described = Row(kind, default, doc, label, person, fewer_is_more, installation)
    found: T | None = field(default=None, metadata={"row": described})
    return found


@dataclass(frozen=True)
class Spec:
    """A row of the table with its key, as the rest of the bot reads it."""

    key: str
    type: LimitType[Any]
    default: object
    doc: str
    label: str
    person: bool
    fewer_is_more: bool
    installation: bool

    @property
    def env(self) -> str | None:
        """The environment variable that sets the default (None: no setting)."""
        return None if self.default is NO_SETTING else f"IMAGINE_{self.key.upper()}"

    def parse(self, text: str) -> object:
        """A value from text ('' is unset, None), or Invalid with the key in its message."""
        return self.type.parse_text(self.key, text)

    def more_generous(self, a: object, b: object) -> object:
        """Whichever of two set values allows more; an unset one (None) gives way."""
        if a is None or b is None:
            return b if a is None else a
        return b if self.type.more(b, a) != self.fewer_is_more else a


_ROW_FIELDS = tuple(f.name for f in fields(Row))


def table(cls: type[Any]) -> dict[str, Spec]:
    """The rows of a class declared with `row`, by key, in order."""
    found: tuple[Field[Any], ...] = fields(cls)
    return {
        f.name: Spec(f.name, *(getattr(f.metadata["row"], name) for name in _ROW_FIELDS))
        for f in found
    }
